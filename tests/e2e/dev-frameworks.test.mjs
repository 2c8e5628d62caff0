// `nexxo dev` on the Preact and Lit fixtures: the dev server takes `jsxImportSource` and legacy
// decorators from tsconfig.json exactly as the build does (rolldown's own tsconfig merge), so an
// app that builds also runs in dev.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot, startDev, openPage, sharedBrowser } from './harness.mjs';
import { checkLitGreeting, checkPreactClicker } from './framework-checks.mjs';

const fixture = (name) => path.join(repoRoot, 'tests/fixtures', name);
const browser = sharedBrowser();

/** Problems other than the browser's own `/favicon.ico` request: these fixtures have no icon
 * and the dev server answers 404 for it, as Vite does. Chromium reports that 404 only as a
 * console line without the URL; a 404 of the page's own resources also shows as `HTTP 404`. */
function realProblems(problems) {
  const pageResourceFailed = problems.some((p) => p.startsWith('HTTP '));
  return problems.filter((p) => pageResourceFailed || !/Failed to load resource.*404/.test(p));
}

async function withDevServer(name, fn) {
  const dev = await startDev(fixture(name));
  try {
    await fn(dev);
  } finally {
    await dev.stop();
  }
}

test('a Preact app (jsxImportSource from tsconfig) renders and reacts in nexxo dev', async () => {
  await withDevServer('preact', async (dev) => {
    const { page, problems } = await openPage(browser(), dev.url);
    await checkPreactClicker(page);
    assert.deepEqual(realProblems(problems), []);
    await page.close();
  });
});

test('a Lit element with legacy decorators renders in nexxo dev', async () => {
  await withDevServer('lit', async (dev) => {
    const { page, problems } = await openPage(browser(), dev.url);
    await checkLitGreeting(page);
    assert.deepEqual(realProblems(problems), []);
    await page.close();
  });
});
