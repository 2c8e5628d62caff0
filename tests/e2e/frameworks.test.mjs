// Preact (jsxImportSource from tsconfig), Lit (legacy decorators from tsconfig) and multi-page
// apps with shared chunks and manualChunks, built and opened in headless Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, buildOrThrow, serve, openPage, sharedBrowser } from './harness.mjs';
import { checkLitGreeting, checkPreactClicker } from './framework-checks.mjs';

const fixture = (name) => path.join(repoRoot, 'tests/fixtures', name);
const browser = sharedBrowser();

async function withBuiltApp(name, fn) {
  buildOrThrow(fixture(name));
  const server = await serve(path.join(fixture(name), 'dist'));
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

test('a Preact app renders with hooks', async () => {
  await withBuiltApp('preact', async (server) => {
    const { page, problems } = await openPage(browser(), server.url);
    await checkPreactClicker(page);
    assert.deepEqual(problems, []);
    await page.close();
  });
});

test('a Lit element with decorators renders into its shadow root', async () => {
  await withBuiltApp('lit', async (server) => {
    const { page, problems } = await openPage(browser(), server.url);
    await checkLitGreeting(page);
    assert.deepEqual(problems, []);
    await page.close();
  });
});

test('a multi-page app shares chunks between pages and honours manualChunks', async () => {
  await withBuiltApp('multi-page', async (server) => {
    const assets = readdirSync(path.join(fixture('multi-page'), 'dist/assets'));
    assert.ok(assets.some((n) => /^vendor-lib-[\w-]{8}\.js$/.test(n)), `manual chunk among ${assets}`);
    for (const [url, name] of [[server.url, 'home'], [`${server.url}about/`, 'about']]) {
      const { page, problems } = await openPage(browser(), url);
      await page.waitForFunction(() => document.querySelector('#shared').textContent.length > 0);
      assert.equal(await page.textContent('#page'), name);
      assert.equal(await page.textContent('#shared'), `shared module on [${name}]`);
      const preloads = await page.$$eval('link[rel=modulepreload]', (links) => links.map((l) => l.getAttribute('href')));
      assert.ok(preloads.some((href) => /\/assets\/vendor-lib-/.test(href)), `preloads: ${preloads}`);
      assert.deepEqual(problems, []);
      await page.close();
    }
  });
});
