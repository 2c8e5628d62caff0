// PostCSS and Tailwind through the project's own packages: Tailwind v4 with no PostCSS config
// (`@import "tailwindcss"`) and through `@tailwindcss/postcss`, Tailwind v3 with its config
// and PostCSS config (its own node_modules), and a PostCSS config with a plugin file of the
// project's own. Built and opened in Chromium; Tailwind v4 also in dev, where a class added to a
// script gets its style without a reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot, buildOrThrow, serve, openPage, sharedBrowser, copyProject, startDev, atomicEdit } from './harness.mjs';
import { checkTailwind, checkPostcssPlugin, paintedRgb, assertSameColor } from './vue-svelte-solid-checks.mjs';

const fixture = (name) => path.join(repoRoot, 'tests/fixtures', name);
const browser = sharedBrowser();

const fixtures = {
  'tailwind-v4': (page) => checkTailwind(page, 4),
  'tailwind-v4-postcss': (page) => checkTailwind(page, 4),
  'tailwind-v3': (page) => checkTailwind(page, 3),
  'postcss-plugin': checkPostcssPlugin,
};

for (const [name, check] of Object.entries(fixtures)) {
  test(`tests/fixtures/${name}: the built page has the generated styles`, async () => {
    buildOrThrow(fixture(name));
    const server = await serve(path.join(fixture(name), 'dist'));
    try {
      const { page, problems } = await openPage(browser(), server.url);
      await check(page);
      assert.deepEqual(problems, []);
      await page.close();
    } finally {
      await server.close();
    }
  });
}

test('tailwind-v4 in nexxo dev: a class added to a script gets its style without a reload', async () => {
  const root = await copyProject(fixture('tailwind-v4'));
  const dev = await startDev(root);
  try {
    const { page, problems } = await openPage(browser(), dev.url);
    await checkTailwind(page, 4);
    await page.evaluate(() => (window.__nexxoTestMarker = 'kept'));
    const background = () => page.$eval('#widget', (el) => getComputedStyle(el).backgroundColor);
    assert.equal(await background(), 'rgba(0, 0, 0, 0)', 'no background before the edit');

    // A class no source used yet: the stylesheet must be generated again, as Vite does.
    await atomicEdit(root, 'src/widget.ts', "'mt-2 px-6", "'bg-green-600 mt-2 px-6");
    await page.waitForFunction(() => getComputedStyle(document.querySelector('#widget')).backgroundColor !== 'rgba(0, 0, 0, 0)');
    // Tailwind v4's green-600, oklch(0.627 0.194 149.214), as painted.
    assertSameColor(await paintedRgb(page, await background()), [0, 166, 62], 'bg-green-600');
    assert.equal(await page.evaluate(() => window.__nexxoTestMarker), 'kept', 'the page must not reload');
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await dev.stop();
  }
});
