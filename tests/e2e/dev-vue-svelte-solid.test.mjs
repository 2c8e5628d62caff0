// `nexxo dev` on copies of the Vue, Svelte and Solid examples: component edits apply without a
// reload, keeping state where Vite keeps it (a Vue template or style edit; the Svelte and Solid
// examples keep their count in a module, because both frameworks remount the edited component
// and its children, as Vite does); a syntax error shows the overlay at the right line and fixing
// it clears the overlay. Also the fixtures rendering in dev, and Svelte 4 updating on an edit.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot, sharedBrowser, openPage, copyProject, startDev, atomicEdit } from './harness.mjs';
import {
  checkExample,
  checkVueFeatures,
  checkSvelte5,
  checkSvelte4,
  checkSolid,
  clickCounter,
  BROKEN_COMPONENTS,
  lineOf,
} from './vue-svelte-solid-checks.mjs';

const browser = sharedBrowser();

const marker = (page) => page.evaluate(() => window.__nexxoTestMarker);
const counterText = async (page) => (await page.textContent('[data-testid=counter]')).trim();
const waitForText = (page, selector, text) =>
  page.waitForFunction(([s, t]) => document.querySelector(s)?.textContent.trim() === t, [selector, text]);

/** Starts `nexxo dev` on a copy of the example for the tests of one `describe`. */
function devExample(name) {
  const state = {};
  before(async () => {
    state.root = await copyProject(path.join(repoRoot, 'examples', name));
    state.dev = await startDev(state.root);
  });
  after(async () => {
    await state.dev?.stop();
  });
  return state;
}

/** Opens the app, checks it, counts to 3 and sets a marker that a reload would remove. */
async function openCounted(state, name) {
  const opened = await openPage(browser(), state.dev.url);
  await checkExample(opened.page, name, { dev: true });
  await clickCounter(opened.page, 1);
  assert.equal(await counterText(opened.page), 'Count is 3');
  await opened.page.evaluate(() => (window.__nexxoTestMarker = 'kept'));
  return opened;
}

/** Breaks the example's component, checks the overlay, then fixes it with `fixed` added. */
async function checkOverlayAndFix(state, name, fixed, fixedSelector) {
  const broken = BROKEN_COMPONENTS[name];
  const { page } = await openPage(browser(), state.dev.url);
  await page.waitForSelector('[data-testid=counter]');
  const line = await lineOf(state.root, broken.file, broken.line);
  await atomicEdit(state.root, broken.file, broken.from, broken.to);
  const overlay = page.locator('nexxo-error-overlay');
  await overlay.waitFor();
  const text = await overlay.evaluate((el) => el.shadowRoot.textContent);
  assert.match(text, new RegExp(`${broken.file.replace(/[.]/g, '\\.')}:${line}:\\d+`));
  assert.ok(text.includes(broken.to), `the code frame shows the broken line:\n${text}`);

  await atomicEdit(state.root, broken.file, broken.to, fixed);
  await overlay.waitFor({ state: 'detached' });
  await page.waitForSelector(fixedSelector);
  await page.close();
}

describe('examples/vue-ts in nexxo dev', () => {
  const state = devExample('vue-ts');

  test('template, style and script edits apply without a reload', async () => {
    const { page, problems } = await openCounted(state, 'vue-ts');
    // A template-only edit re-renders: the child's state stays.
    await atomicEdit(state.root, 'src/App.vue', '>Nexxo + Vue<', '>Edited Vue<');
    await waitForText(page, '[data-testid=title]', 'Edited Vue');
    assert.equal(await counterText(page), 'Count is 3', 'a template edit keeps state');
    assert.equal(await marker(page), 'kept', 'the page must not reload');

    // A style-only edit swaps the CSS alone.
    await atomicEdit(state.root, 'src/App.vue', 'color: rgb(66, 184, 131);', 'color: rgb(200, 0, 0);');
    await page.waitForFunction(
      () => getComputedStyle(document.querySelector('[data-testid=title]')).color === 'rgb(200, 0, 0)',
    );
    assert.equal(await counterText(page), 'Count is 3', 'a style edit keeps state');
    assert.equal(await marker(page), 'kept');

    // A <script> edit reloads the component (Vite resets its state), not the page.
    await atomicEdit(state.root, 'src/components/Counter.vue', "const label = 'Count is'", "const label = 'Clicks:'");
    await page.waitForFunction(() => /^Clicks: \d+$/.test(document.querySelector('[data-testid=counter]')?.textContent.trim()));
    assert.equal(await marker(page), 'kept', 'a script edit must not reload the page');
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('a template syntax error shows the overlay at its line; fixing it clears it', async () => {
    await checkOverlayAndFix(state, 'vue-ts', '{{ count }}<i id="fixed">!</i>', '#fixed');
  });
});

describe('examples/svelte-ts in nexxo dev', () => {
  const state = devExample('svelte-ts');

  test('markup edits apply without a reload and the count is kept', async () => {
    const { page, problems } = await openCounted(state, 'svelte-ts');
    await atomicEdit(state.root, 'src/App.svelte', '>Nexxo + Svelte<', '>Edited Svelte<');
    await waitForText(page, '[data-testid=title]', 'Edited Svelte');
    assert.equal(await counterText(page), 'Count is 3');
    assert.equal(await marker(page), 'kept', 'the page must not reload');

    await atomicEdit(state.root, 'src/lib/Counter.svelte', 'Count is {counter.count}', 'Clicks: {counter.count}');
    await waitForText(page, '[data-testid=counter]', 'Clicks: 3');
    assert.equal(await marker(page), 'kept');
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('a syntax error shows the overlay at its line; fixing it clears it', async () => {
    await checkOverlayAndFix(state, 'svelte-ts', '</h1><p id="fixed">fixed</p>', '#fixed');
  });
});

describe('examples/solid-ts in nexxo dev', () => {
  const state = devExample('solid-ts');

  test('JSX edits apply without a reload and the count is kept', async () => {
    const { page, problems } = await openCounted(state, 'solid-ts');
    await atomicEdit(state.root, 'src/App.tsx', '>Nexxo + Solid<', '>Edited Solid<');
    await waitForText(page, '[data-testid=title]', 'Edited Solid');
    assert.equal(await counterText(page), 'Count is 3');
    assert.equal(await marker(page), 'kept', 'the page must not reload');

    await atomicEdit(state.root, 'src/Counter.tsx', 'Count is {count()}', 'Clicks: {count()}');
    await waitForText(page, '[data-testid=counter]', 'Clicks: 3');
    assert.equal(await marker(page), 'kept');
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('a JSX error shows the overlay at its line; fixing it clears it', async () => {
    await checkOverlayAndFix(state, 'solid-ts', '</h1><p id="fixed">fixed</p>', '#fixed');
  });
});

const fixtures = { 'vue-features': checkVueFeatures, svelte5: checkSvelte5, solid: checkSolid };

for (const [name, check] of Object.entries(fixtures)) {
  test(`tests/fixtures/${name} renders and reacts in nexxo dev`, async () => {
    const dev = await startDev(path.join(repoRoot, 'tests/fixtures', name));
    try {
      const { page, problems } = await openPage(browser(), dev.url);
      await check(page);
      assert.deepEqual(problems, []);
      await page.close();
    } finally {
      await dev.stop();
    }
  });
}

test('tests/fixtures/svelte4 renders in nexxo dev and shows an edit (a reload is allowed)', async () => {
  const root = await copyProject(path.join(repoRoot, 'tests/fixtures/svelte4'));
  const dev = await startDev(root);
  try {
    const { page, problems } = await openPage(browser(), dev.url);
    await checkSvelte4(page);
    await atomicEdit(root, 'src/App.svelte', 'Hello {name}', 'Hi {name}');
    await waitForText(page, '#title', 'Hi Svelte 4');
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await dev.stop();
  }
});
