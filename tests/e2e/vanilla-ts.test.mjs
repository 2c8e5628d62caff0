// examples/vanilla-ts built with the real binary and opened in headless Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { SourceMapConsumer } from 'source-map-js';
import { repoRoot, openPage, sharedBrowser, builtApp } from './harness.mjs';

const root = path.join(repoRoot, 'examples/vanilla-ts');
const dist = path.join(root, 'dist');
const browser = sharedBrowser();
const app = builtApp(root, { args: ['--sourcemap'] });

test('renders TS output, env title, JSON data and a hashed image', async () => {
  const { page, problems } = await openPage(browser(), app().url);
  await page.waitForFunction(() => document.querySelectorAll('#features li').length === 5);
  assert.equal(await page.textContent('#title'), 'Hello from Nexxo');
  assert.equal(await page.$eval('#title', (h) => getComputedStyle(h).color), 'rgb(109, 40, 217)', 'linked stylesheet');
  assert.equal(await page.getAttribute('#features', 'data-app'), 'vanilla-ts');
  await page.waitForFunction(() => document.querySelector('#logo').complete);
  const logo = await page.$eval('#logo', (img) => ({ width: img.naturalWidth, src: img.getAttribute('src') }));
  assert.ok(logo.width > 0, 'the logo image loads');
  assert.match(logo.src, /^\/assets\/logo-[\w-]{8}\.png$/);
  await page.click('#counter');
  await page.click('#counter');
  assert.equal(await page.textContent('#count'), '2');
  assert.deepEqual(problems, []);
  await page.close();
});

test('the lazy chunk is fetched only when the button is clicked', async () => {
  const { page, problems } = await openPage(browser(), app().url);
  await page.waitForSelector('#features li');
  const lazyRequests = () => app().requests.filter((p) => /\/assets\/details-[\w-]+\.js$/.test(p)).length;
  const before = lazyRequests();
  assert.equal(await page.getAttribute('#details', 'data-loaded'), null);
  await page.click('#load-lazy');
  await page.waitForSelector('#details[data-loaded="true"]');
  assert.equal(await page.textContent('#details'), 'Details loaded lazily (mode: production)');
  assert.equal(lazyRequests(), before + 1);
  assert.deepEqual(problems, []);
  await page.close();
});

test('public files are copied and secrets never reach the output', () => {
  assert.equal(readFileSync(path.join(dist, 'robots.txt'), 'utf8'), readFileSync(path.join(root, 'public/robots.txt'), 'utf8'));
  for (const name of readdirSync(path.join(dist, 'assets'))) {
    assert.ok(!readFileSync(path.join(dist, 'assets', name), 'utf8').includes('do-not-ship-me'), name);
  }
});

test('the source map leads from the bundle back to the original TS line', () => {
  const entry = readdirSync(path.join(dist, 'assets')).find((n) => /^index-.*\.js$/.test(n));
  const code = readFileSync(path.join(dist, 'assets', entry), 'utf8');
  const map = new SourceMapConsumer(JSON.parse(readFileSync(path.join(dist, 'assets', `${entry}.map`), 'utf8')));
  const offset = code.indexOf('#load-lazy');
  assert.ok(offset > 0);
  const before = code.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1);
  const original = map.originalPositionFor({ line, column });
  assert.equal(path.basename(original.source), 'main.ts');
  const mainLines = readFileSync(path.join(root, 'src/main.ts'), 'utf8').split('\n');
  assert.ok(mainLines[original.line - 1].includes('#load-lazy'), `mapped to line ${original.line}: ${mainLines[original.line - 1]}`);
});
