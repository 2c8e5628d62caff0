// The Vue, Svelte and Solid examples and fixtures, built by `nexxo build` and opened in headless
// Chromium (the compilers come from each project's node_modules through Nexxo's Node helper),
// and a broken component of each framework failing the build with its location.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot, buildOrThrow, serve, openPage, sharedBrowser, copyProject, atomicEdit, nexxo } from './harness.mjs';
import {
  checkExample,
  checkVueFeatures,
  checkSvelte5,
  checkSvelte4,
  checkSolid,
  BROKEN_COMPONENTS,
  lineOf,
} from './vue-svelte-solid-checks.mjs';

const browser = sharedBrowser();

async function withBuiltApp(root, check) {
  buildOrThrow(root);
  const server = await serve(path.join(root, 'dist'));
  try {
    const { page, problems } = await openPage(browser(), server.url);
    await check(page);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.close();
  }
}

for (const name of ['vue-ts', 'svelte-ts', 'solid-ts']) {
  test(`examples/${name}: the built app renders its title, images and a working counter`, async () => {
    await withBuiltApp(path.join(repoRoot, 'examples', name), (page) => checkExample(page, name));
  });
}

const fixtures = {
  'vue-features': checkVueFeatures,
  svelte5: checkSvelte5,
  svelte4: checkSvelte4,
  solid: checkSolid,
};

for (const [name, check] of Object.entries(fixtures)) {
  test(`tests/fixtures/${name}: the built app renders and reacts`, async () => {
    await withBuiltApp(path.join(repoRoot, 'tests/fixtures', name), check);
  });
}

for (const [name, broken] of Object.entries(BROKEN_COMPONENTS)) {
  test(`examples/${name}: a broken component fails the build with file:line:column`, async () => {
    const root = await copyProject(path.join(repoRoot, 'examples', name));
    const line = await lineOf(root, broken.file, broken.line);
    await atomicEdit(root, broken.file, broken.from, broken.to);
    const result = nexxo(['build', root]);
    assert.notEqual(result.status, 0, `the build must fail:\n${result.stdout}`);
    const location = new RegExp(`${broken.file.replace(/[.]/g, '\\.')}:${line}:\\d+`);
    assert.match(result.stderr, location);
    assert.doesNotMatch(result.stderr, /internal error|panicked/);
  });
}
