// Unmodified Vite plugins from npm in a React app (tests/fixtures/vite-plugins), each in its
// plugin sandbox: vite-plugin-svgr (`?react` SVG components, compiled through Nexxo's `vite`
// module), unplugin-icons (`~icons/...` virtual modules), rollup-plugin-visualizer (its report,
// emitted into the bundle), vite-plugin-static-copy (files copied into outDir after the
// build; served by its `configureServer` middleware in dev) and vite-plugin-html-config
// (`transformIndexHtml` tags).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot, buildOrThrow, serve, openPage, sharedBrowser, copyProject, startDev } from './harness.mjs';

const browser = sharedBrowser();
const fixture = path.join(repoRoot, 'tests/fixtures/vite-plugins');

/** What the app shows: the svgr logo, the icon from @iconify-json/mdi, the copied note, the
 * tags vite-plugin-html-config put in the page's head. */
async function checkApp(page) {
  assert.equal(await page.getAttribute('head meta[name="description"]', 'content'), 'Built with npm Vite plugins');
  assert.equal(await page.evaluate(() => window.injectedBy), 'vite-plugin-html-config');
  await page.locator('#logo circle#logo-circle').waitFor();
  assert.equal(await page.getAttribute('#logo', 'aria-label'), 'logo');
  assert.equal(await page.getAttribute('#logo circle', 'fill'), 'rebeccapurple');
  // unplugin-icons' component is the mdi "account" icon: an svg with that icon's path.
  const iconPath = await page.getAttribute('#account path', 'd');
  const mdi = JSON.parse(fs.readFileSync(path.join(repoRoot, 'tests/node_modules/@iconify-json/mdi/icons.json'), 'utf8'));
  assert.ok(mdi.icons.account.body.includes(iconPath), `${iconPath} is not mdi:account`);
  await page.waitForFunction(() => document.querySelector('#note').textContent.length > 0);
  assert.equal(await page.textContent('#note'), 'a note copied by vite-plugin-static-copy');
}

test('npm Vite plugins build an app that works, with the visualizer report', async () => {
  const root = await copyProject(fixture);
  buildOrThrow(root);
  const dist = path.join(root, 'dist');
  assert.equal(fs.readFileSync(path.join(dist, 'notes/hello.txt'), 'utf8').trim(), 'a note copied by vite-plugin-static-copy');
  const server = await serve(dist);
  try {
    const { page, problems } = await openPage(await browser(), server.url);
    await checkApp(page);
    assert.deepEqual(problems, []);
    // The visualizer's report: its own page draws the bundle's modules.
    const report = await openPage(await browser(), `${server.url}stats.html`);
    assert.equal(await report.page.title(), 'Nexxo bundle');
    await report.page.waitForFunction(() => document.querySelectorAll('svg g').length > 3);
    const text = await report.page.evaluate(() => document.body.textContent);
    assert.match(text, /main\.tsx/);
    assert.deepEqual(report.problems, []);
  } finally {
    await server.close();
  }
});

test('the same plugins run under nexxo dev', async () => {
  const root = await copyProject(fixture);
  const dev = await startDev(root);
  try {
    const { page, problems } = await openPage(await browser(), dev.url);
    await checkApp(page);
    assert.deepEqual(problems, []);
  } finally {
    await dev.stop();
  }
});
