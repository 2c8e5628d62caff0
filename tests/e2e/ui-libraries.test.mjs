// Real apps on popular npm packages, built and under `nexxo dev`, in Chromium:
// tests/fixtures/ui-libraries (MUI with Emotion, antd, Chakra UI v3, Mantine with its
// stylesheet, React 19) and tests/fixtures/utility-libraries (lodash, date-fns, dayjs, axios,
// zod, rxjs, immer, uuid, nanoid, ramda, immutable, valibot, qs, mitt, clsx, classnames: ESM-only,
// CommonJS-only and dual packages, `exports` conditions, `process.env.NODE_ENV` reads).
// Each checks what a user sees: no page or console errors, every section rendered, styled and
// reacting to clicks (Mantine from a lazy module, as a route); in dev also a component edit applied
// without a reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot, buildOrThrow, serve, openPage, sharedBrowser, startDev, copyProject, atomicEdit } from './harness.mjs';

const fixture = (name) => path.join(repoRoot, 'tests/fixtures', name);
const browser = sharedBrowser();

const backgroundOf = (page, selector) => page.$eval(selector, (el) => getComputedStyle(el).backgroundColor);

/** The four component libraries rendered, styled by their own CSS, and live. */
async function checkUiLibraries(page) {
  for (const [selector, text] of [
    ['#mui-marker', 'MUI section ready'],
    ['#antd-marker', 'antd section ready'],
    ['#chakra-marker', 'Chakra section ready'],
    ['#mantine-marker', 'Mantine section ready'],
  ]) {
    await page.locator(selector).waitFor();
    assert.equal(await page.textContent(selector), text);
  }
  // Each library's styles reached the page (a bare <button> has a light grey background).
  assert.equal(await backgroundOf(page, '#mui-open'), 'rgb(106, 27, 154)', 'MUI theme colour (Emotion)');
  assert.equal(await page.$eval('#mui-open', (el) => getComputedStyle(el).textTransform), 'uppercase');
  assert.equal(await backgroundOf(page, '#antd-button'), 'rgb(22, 119, 255)', 'antd primary (CSS-in-JS)');
  assert.equal(await backgroundOf(page, '#chakra-button'), 'rgb(13, 148, 136)', 'Chakra teal palette');
  assert.equal(await backgroundOf(page, '#mantine-open'), 'rgb(34, 139, 230)', 'Mantine blue (styles.css)');
  assert.equal(await backgroundOf(page, '#mui-chip'), 'rgb(156, 39, 176)', 'MUI Chip (deep import)');
  const [htmlHeight, viewportHeight] = await page.evaluate(() => [getComputedStyle(document.documentElement).height, `${innerHeight}px`]);
  assert.equal(htmlHeight, viewportHeight, "antd/dist/reset.css sets html's height to 100%");
  // antd's French locale (a CommonJS deep import) reached the DatePicker.
  assert.equal(await page.$eval('.ant-picker input', (input) => input.placeholder), 'Sélectionner une date');

  // MUI: a controlled TextField and a Dialog opened and closed.
  await page.fill('#mui-name', 'Ada');
  assert.equal(await page.textContent('#mui-greeting'), 'Hello Ada');
  await page.click('#mui-open');
  assert.equal(await page.locator('#mui-dialog-text').textContent(), 'The MUI dialog is open');
  assert.equal(await page.textContent('#mui-chip'), 'dialog open');
  await page.click('#mui-close');
  await page.locator('#mui-dialog-text').waitFor({ state: 'detached' });

  // antd: state and a message from the hook API; the Table renders its rows.
  await page.click('#antd-button');
  assert.equal(await page.textContent('#antd-button'), 'antd clicks: 1');
  assert.equal(await page.locator('.ant-message').textContent(), 'antd message shown');
  assert.equal(await page.locator('#antd-table tbody tr').count(), 2);

  // Chakra: the badge's text and palette follow the toggle.
  const badgeBefore = await backgroundOf(page, '#chakra-state');
  await page.click('#chakra-button');
  assert.equal(await page.textContent('#chakra-state'), 'chakra on');
  assert.notEqual(await backgroundOf(page, '#chakra-state'), badgeBefore);

  // Mantine: a Modal (portal, transitions) opened on click.
  await page.click('#mantine-open');
  assert.equal(await page.locator('#mantine-modal-text').textContent(), 'The Mantine modal is open');
}

/** Every library's computed result, as `src/main.ts` of the fixture writes it. */
const UTILITY_RESULTS = {
  'lodash-es': '[[[1,2],[3,4],[5]],"hello-utility-world"]',
  lodash: '[[1,2,3],42,"function",[2,4]]',
  'date-fns': '["2024-02-02","2 février"]',
  dayjs: '["2025-02-28 12:00","février"]',
  zod: '[true,false,2]',
  immer: '[1,2,true,true]',
  uuid: '["d8391e23-68a6-5bc5-afcb-c5cef647720f",true]',
  nanoid: '[21,true]',
  ramda: '18',
  clsx: 'base active extra',
  classnames: 'btn btn-primary',
  immutable: '[[1,2,3],{"a":1,"b":2}]',
  valibot: '[true,false]',
  qs: '["a[0]=1&a[1]=2&b[c]=d",{"x":{"y":"1"},"z":"2"}]',
  mitt: 'pings: 0',
  rxjs: '[20,40,60]',
  'rxjs-subject': 'subject delivered',
  axios: '[200,"served from public"]',
};

async function checkUtilityLibraries(page) {
  await page.waitForFunction((count) => document.querySelectorAll('#results li').length === count, Object.keys(UTILITY_RESULTS).length);
  const shown = await page.$$eval('#results li', (items) => Object.fromEntries(items.map((li) => [li.id, li.textContent])));
  assert.deepEqual(shown, UTILITY_RESULTS);
  await page.click('#emit');
  await page.click('#emit');
  assert.equal(await page.textContent('#mitt'), 'pings: 2');
}

const checks = { 'ui-libraries': checkUiLibraries, 'utility-libraries': checkUtilityLibraries };

/** The page loaded once: in dev, a lazy module needing packages that the page's dependency
 * bundle lacks would reload it (the navigation then says 'reload'). */
async function assertLoadedOnce(page) {
  assert.equal(await page.evaluate(() => performance.getEntriesByType('navigation')[0].type), 'navigate');
}

for (const [name, check] of Object.entries(checks)) {
  test(`${name}: the built app runs without errors`, async () => {
    buildOrThrow(fixture(name));
    const server = await serve(path.join(fixture(name), 'dist'));
    try {
      const { page, problems } = await openPage(browser(), server.url);
      await check(page);
      await assertLoadedOnce(page);
      assert.deepEqual(problems, []);
      await page.close();
    } finally {
      await server.close();
    }
  });

  test(`${name}: the app runs without errors in nexxo dev`, async () => {
    const dev = await startDev(fixture(name));
    try {
      const { page, problems } = await openPage(browser(), dev.url);
      await check(page);
      await assertLoadedOnce(page);
      assert.deepEqual(problems, []);
      await page.close();
    } finally {
      await dev.stop();
    }
  });
}

test('ui-libraries in nexxo dev: a component edit applies without a reload, state kept', async () => {
  const root = await copyProject(fixture('ui-libraries'));
  const dev = await startDev(root);
  try {
    const { page, problems } = await openPage(browser(), dev.url);
    await checkUiLibraries(page);
    await page.evaluate(() => (window.__nexxoTestMarker = 'kept'));
    await atomicEdit(root, 'src/MuiSection.tsx', 'MUI section ready', 'MUI section edited');
    await page.waitForFunction(() => document.querySelector('#mui-marker')?.textContent === 'MUI section edited');
    assert.equal(await page.evaluate(() => window.__nexxoTestMarker), 'kept', 'the page must not reload');
    assert.equal(await page.textContent('#mui-greeting'), 'Hello Ada', 'the TextField state survives');
    assert.equal(await page.textContent('#antd-button'), 'antd clicks: 1');
    assert.equal(await backgroundOf(page, '#mui-open'), 'rgb(106, 27, 154)', 'the theme still applies');
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await dev.stop();
  }
});
