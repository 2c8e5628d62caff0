// WASM plugins (`wasmPlugins`, docs/wasm-plugins.md) in Chromium, built and under `nexxo dev`:
// tests/fixtures/wasm-plugin has three plugins written in WAT — a virtual module
// (`resolve_id` + `load`), a transform replacing `__WASM_MARKER__`, and a `.txt` loader that
// reads the file through WASI from its one granted folder (`allowRead: ["content"]`) and
// escapes it into a string export. In dev, editing the text file reloads it through the plugin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { repoRoot, buildOrThrow, serve, openPage, sharedBrowser, startDev, copyProject, atomicEdit } from './harness.mjs';

const fixture = path.join(repoRoot, 'tests/fixtures/wasm-plugin');
const browser = sharedBrowser();

/** The page shows each plugin's work; `poem` is the text file's content. */
async function checkPage(page, poem) {
  await page.waitForFunction(() => document.querySelector('#greeting').textContent !== '');
  assert.equal(await page.textContent('#greeting'), 'Hello from a WASM load hook');
  assert.equal(await page.textContent('#marker'), 'transformed by wasm');
  // Quotes, backslashes and the line break survive the plugin's escaping.
  assert.equal(await page.textContent('#poem'), poem);
}

test('wasm plugins: the built page shows the virtual module, the transform and the text loader', async () => {
  const poem = await readFile(path.join(fixture, 'content/poem.txt'), 'utf8');
  assert.match(poem, /"red"[\s\S]*\\blue\\/, 'the fixture text has characters to escape');
  buildOrThrow(fixture);
  const server = await serve(path.join(fixture, 'dist'));
  try {
    const { page, problems } = await openPage(browser(), server.url);
    await checkPage(page, poem);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.close();
  }
});

test('wasm plugins in nexxo dev: same page; an edit of the loaded text file goes through the plugin again', async () => {
  const root = await copyProject(fixture);
  const poem = await readFile(path.join(root, 'content/poem.txt'), 'utf8');
  const dev = await startDev(root);
  try {
    const { page, problems } = await openPage(browser(), dev.url);
    await checkPage(page, poem);
    // The loader's module lists the file it read, so the watcher recompiles it.
    await atomicEdit(root, 'content/poem.txt', 'violets', 'tulips');
    await page.waitForFunction(() => document.querySelector('#poem').textContent.includes('tulips'));
    assert.equal(await page.textContent('#poem'), poem.replace('violets', 'tulips'));
    assert.equal(await page.textContent('#marker'), 'transformed by wasm');
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await dev.stop();
  }
});
