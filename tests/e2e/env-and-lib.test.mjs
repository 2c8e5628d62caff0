// .env files and modes in the browser; library builds loaded by Node and by a browser page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot, buildOrThrow, serve, openPage, sharedBrowser } from './harness.mjs';

const fixture = (name) => path.join(repoRoot, 'tests/fixtures', name);
const browser = sharedBrowser();

test('env files by mode, real env winning, and only prefixed variables exposed', async () => {
  buildOrThrow(fixture('env'), ['--mode', 'staging'], { NEXXO_FROM_PROCESS: 'process', SECRET_TOKEN: 'never-in-bundle-2' });
  const server = await serve(path.join(fixture('env'), 'dist'));
  try {
    const { page, problems } = await openPage(browser(), server.url);
    await page.waitForFunction(() => document.querySelector('#env').textContent.length > 0);
    const env = JSON.parse(await page.textContent('#env'));
    assert.deepEqual(env, {
      fromEnv: 'env',
      overridden: 'env.local',
      modeValue: 'staging',
      modeLocal: 'staging.local',
      fromProcess: 'process',
      secret: null,
      secretViaObject: null,
      mode: 'staging',
      dev: false,
      prod: true,
      baseUrl: '/',
      nodeEnv: 'production',
    });
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.close();
  }
});

test('library formats load in Node (require and import) and in a browser (iife)', async () => {
  buildOrThrow(fixture('lib'));
  const dist = path.join(fixture('lib'), 'dist');
  const require = createRequire(import.meta.url);
  const cjs = require(path.join(dist, 'tiny-lib.js'));
  assert.equal(cjs.greet('cjs').text, 'Hello, cjs!');
  assert.match(cjs.greet('cjs').badge, /^data:image\/png;base64,/, 'library assets are inlined');
  const umd = require(path.join(dist, 'tiny-lib.umd.js'));
  assert.equal(umd.VERSION, '1.0.0');
  const es = await import(pathToFileURL(path.join(dist, 'tiny-lib.mjs')).href);
  assert.equal(es.greet('es').text, 'Hello, es!');

  writeFileSync(
    path.join(dist, 'iife.html'),
    '<!doctype html><script src="tiny-lib.iife.js"></script><p id="out"></p><script>document.querySelector("#out").textContent = TinyLib.greet("iife").text</script>',
  );
  const server = await serve(dist);
  try {
    const { page, problems } = await openPage(browser(), `${server.url}iife.html`);
    assert.equal(await page.textContent('#out'), 'Hello, iife!');
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.close();
  }
});
