// tests/fixtures/assets: asset imports, ?url/?raw/?inline, wasm, JSON, aliases, tsconfig paths,
// define, inline module scripts, public files and a non-root base, in headless Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, openPage, sharedBrowser, builtApp } from './harness.mjs';

const root = path.join(repoRoot, 'tests/fixtures/assets');
const dist = path.join(root, 'dist');
const browser = sharedBrowser();
const app = builtApp(root, { base: '/sub/' });

test('asset imports and query suffixes behave as in Vite', async () => {
  const { page, problems } = await openPage(browser(), app().url);
  await page.waitForFunction(() => document.querySelector('#results').textContent.length > 0);
  const results = JSON.parse(await page.textContent('#results'));
  assert.match(results.photoUrl, /^\/sub\/assets\/photo-[\w-]{8}\.png$/, 'a large image becomes a hashed file');
  assert.match(results.dotUrl, /^data:image\/png;base64,/, 'a small image is inlined');
  assert.match(results.wasmUrl, /^\/sub\/assets\/add-[\w-]{8}\.wasm$/);
  assert.equal(results.wasmAdd, 5, 'the .wasm file loads and runs');
  assert.equal(results.notesText, 'Hello raw text\nline two\n', '?raw gives the file text');
  assert.equal(results.notesFetched, 'Hello raw text\nline two\n', '?url gives a URL that serves the file');
  assert.equal(results.photoInlineIsDataUrl, true, '?inline forces a data URL');
  assert.equal(results.configVersion, '1.2.3', 'JSON default import');
  assert.equal(results.answer, 42, 'JSON named import');
  assert.equal(results.doubled, 42, 'tsconfig paths alias');
  assert.equal(results.shout, 'ALIAS!', 'resolve.alias from the config');
  assert.equal(results.appVersion, '9.9.9', 'define with an expression string');
  assert.equal(results.featureFlag, true, 'define with a JSON value');
  assert.equal(results.baseUrl, '/sub/');

  for (const selector of ['#html-img', '#js-img', '#public-img']) {
    await page.waitForFunction((s) => document.querySelector(s)?.complete, selector);
    const width = await page.$eval(selector, (img) => img.naturalWidth);
    assert.ok(width > 0, `${selector} loads`);
  }
  assert.equal(await page.getAttribute('#public-img', 'src'), '/sub/static.svg');
  assert.match(await page.getAttribute('link[rel=icon]', 'href'), /^\/sub\/assets\/dot-[\w-]{8}\.png$/);
  assert.equal(await page.getAttribute('body', 'data-inline-script'), 'ran', 'inline module scripts are bundled');
  assert.deepEqual(problems, []);
  await page.close();
});

test('unused exports are tree-shaken away and the output has hashes and a source map', () => {
  const files = readdirSync(path.join(dist, 'assets'));
  const entry = files.find((n) => /^index-[\w-]{8}\.js$/.test(n));
  assert.ok(entry, `hashed entry chunk among ${files}`);
  assert.ok(files.includes(`${entry}.map`));
  const code = readFileSync(path.join(dist, 'assets', entry), 'utf8');
  assert.ok(!code.includes('TREE_SHAKEN_AWAY_MARKER'));
  assert.ok(code.endsWith(`//# sourceMappingURL=${entry}.map`) || code.includes(`//# sourceMappingURL=${entry}.map`));
});
