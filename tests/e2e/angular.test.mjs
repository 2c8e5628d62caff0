// examples/angular (Angular 21 from the committed package-lock, shaped as `ng new` makes it) built
// by Nexxo from its angular.json and opened in headless Chromium: the AOT-compiled home page with
// its signal, HttpClient data and `@defer` block, SCSS global and component styles, the lazy
// route as a chunk of its own; a template type error fails the build at its file, line and
// column.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import { repoRoot, openPage, sharedBrowser, builtApp, nexxo, copyProject, atomicEdit } from './harness.mjs';

const root = path.join(repoRoot, 'examples/angular');
const browser = sharedBrowser();
const app = builtApp(root);

const scriptRequests = () => app().requests.filter((p) => p.endsWith('.js'));

test('the Angular app renders from its angular.json, with styles, data, @defer and the lazy route', async () => {
  const { page, problems } = await openPage(browser(), app().url);
  await page.waitForSelector('#title');
  assert.equal(await page.textContent('#title'), 'Hello, angular-app');
  // The production configuration has no file replacement: environment.ts as written.
  assert.equal(await page.textContent('#environment'), 'production');

  // Global SCSS (angular.json `styles`) and the component's `styleUrl` SCSS, scoped by Angular.
  assert.equal(await page.$eval('body', (b) => getComputedStyle(b).backgroundColor), 'rgb(250, 245, 235)');
  assert.equal(await page.$eval('.toolbar', (e) => getComputedStyle(e).backgroundColor), 'rgb(25, 118, 210)');
  assert.equal(await page.$eval('#count', (e) => getComputedStyle(e).fontWeight), '700', 'inline component styles');

  // A signal updating the template.
  await page.click('#increment');
  await page.click('#increment');
  await page.waitForFunction(() => document.querySelector('#count').textContent === 'Count is 2');

  // HttpClient fetching public/fruits.json, rendered with `@for`.
  await page.waitForFunction(() => document.querySelectorAll('#fruits li').length === 3);
  assert.equal(await page.textContent('#fruits li:first-child'), 'Apple (red)');

  // The `@defer` block's component arrives from a chunk of its own.
  await page.waitForSelector('#greeting');
  assert.equal(await page.textContent('#greeting'), 'Hello from the deferred block');
  assert.equal(await page.$eval('#greeting', (e) => getComputedStyle(e).fontStyle), 'italic');

  // The lazy route: its chunk is fetched on the click, not before.
  const before = scriptRequests().length;
  assert.equal(await page.$('#about-title'), null);
  await page.click('#about-link');
  await page.waitForSelector('#about-title');
  assert.ok(scriptRequests().length > before, `a chunk was fetched for the route: ${scriptRequests().join(', ')}`);
  assert.equal(await page.$eval('.about', (e) => getComputedStyle(e).borderTopColor), 'rgb(0, 128, 0)', 'lazy component SCSS');
  assert.equal(await page.$$eval('.about li', (items) => items.length), 3);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the build writes index.html at the output root and drops Angular dev-mode code', () => {
  const dist = path.join(root, 'dist');
  const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
  assert.match(html, /<app-root><\/app-root>/);
  assert.match(html, /<script type="module"[^>]*src="\/assets\/[^"]+\.js"/);
  assert.match(html, /<link rel="stylesheet"[^>]*href="\/assets\/[^"]+\.css"/);
  assert.ok(readFileSync(path.join(dist, 'fruits.json'), 'utf8').includes('Banana'), 'public/ copied');
  const scripts = readdirSync(path.join(dist, 'assets')).filter((f) => f.endsWith('.js'));
  const code = scripts.map((f) => readFileSync(path.join(dist, 'assets', f), 'utf8')).join('\n');
  // Dev-mode-only messages are behind `ngDevMode` checks, gone once it is defined false.
  assert.ok(!code.includes('ɵsetClassDebugInfo'), 'class debug info is tree-shaken');
  assert.ok(!code.includes('ɵɵngDeclare'), 'every partially compiled package was linked');
});

test('a template type error fails the build at the template file, line and column', async () => {
  const copy = await copyProject(root);
  await atomicEdit(copy, 'src/app/about/about.html', '{{ feature }}', '{{ feature.nope() }}');
  const result = nexxo(['build', copy], { env: { NO_COLOR: '1' } });
  const output = `${result.stdout}\n${result.stderr}`;
  assert.notEqual(result.status, 0, output);
  assert.match(output, /Property 'nope' does not exist on type 'string'/);
  assert.match(output, /src\/app\/about\/about\.html:5:/);
  assert.match(output, /feature\.nope\(\)/, 'a code frame of the template');
});
