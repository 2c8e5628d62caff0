// `nexxo dev` on a copy of examples/angular: the app renders with the dev configuration's file
// replacement, a template edit is swapped in by Angular's own component replacement (no reload,
// the window's state kept), a template error shows the overlay at the template's line and fixing
// it recovers, and a TypeScript edit reloads the page with the new code.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot, sharedBrowser, openPage, copyProject, startDev, atomicEdit } from './harness.mjs';

const browser = sharedBrowser();

const waitForText = (page, selector, text) =>
  page.waitForFunction(([s, t]) => document.querySelector(s)?.textContent.trim() === t, [selector, text]);

describe('examples/angular in nexxo dev', () => {
  const state = {};
  before(async () => {
    state.root = await copyProject(path.join(repoRoot, 'examples/angular'));
    state.dev = await startDev(state.root);
  });
  after(async () => {
    await state.dev?.stop();
  });

  test('the app renders with the development configuration', async () => {
    const { page, problems } = await openPage(browser(), state.dev.url);
    await waitForText(page, '#title', 'Hello, angular-app');
    // angular.json's development configuration replaces environment.ts.
    assert.equal(await page.textContent('#environment'), 'development');
    assert.equal(await page.$eval('.toolbar', (e) => getComputedStyle(e).backgroundColor), 'rgb(25, 118, 210)');
    await page.waitForFunction(() => document.querySelectorAll('#fruits li').length === 3);
    await page.waitForSelector('#greeting');
    await page.click('#about-link');
    await page.waitForSelector('#about-title');
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('a template edit is swapped in without a reload', async () => {
    const { page, problems } = await openPage(browser(), state.dev.url);
    await waitForText(page, '#title', 'Hello, angular-app');
    await page.evaluate(() => (window.__nexxoTestMarker = 'kept'));
    await atomicEdit(state.root, 'src/app/app.html', 'Hello, {{ title() }}', 'Edited, {{ title() }}');
    await waitForText(page, '#title', 'Edited, angular-app');
    assert.equal(await page.evaluate(() => window.__nexxoTestMarker), 'kept', 'the page must not reload');
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('a template error shows the overlay at its line; fixing it recovers', async () => {
    const { page } = await openPage(browser(), state.dev.url);
    await page.waitForSelector('#title');
    await atomicEdit(state.root, 'src/app/app.html', '{{ environment }}', '{{ environment.nope() }}');
    const overlay = page.locator('nexxo-error-overlay');
    await overlay.waitFor();
    const text = await overlay.evaluate((el) => el.shadowRoot.textContent);
    assert.match(text, /src\/app\/app\.html:7:\d+/);
    assert.match(text, /Property 'nope' does not exist/);
    await atomicEdit(state.root, 'src/app/app.html', '{{ environment.nope() }}', '<b id="fixed">{{ environment }}</b>');
    await overlay.waitFor({ state: 'detached' });
    await waitForText(page, '#fixed', 'development');
    await page.close();
  });

  test('a TypeScript edit brings the new code', async () => {
    const { page } = await openPage(browser(), state.dev.url);
    await page.waitForSelector('#title');
    await atomicEdit(state.root, 'src/app/app.ts', "signal('angular-app')", "signal('renamed-app')");
    await page.waitForFunction(() => /renamed-app$/.test(document.querySelector('#title')?.textContent.trim() ?? ''));
    await page.close();
  });
});
