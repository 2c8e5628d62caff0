// CSS-in-JS in Chromium, built and under `nexxo dev`:
// tests/fixtures/styled-components (styled elements, props-based styles, the `css` helper, a
// ThemeProvider theme; the project lists styled-components, so oxc's styled-components transform
// gives class names with display names, `Title-sc-…`, and component ids that build and dev agree
// on) and tests/fixtures/emotion (the `css` prop through tsconfig's `jsxImportSource` and through
// the `@jsxImportSource` pragma, @emotion/styled). In dev, an edit of a styled colour applies
// without a reload and keeps React state (React Refresh through Emotion's JSX runtime too).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot, buildOrThrow, serve, openPage, sharedBrowser, startDev, copyProject, atomicEdit } from './harness.mjs';

const fixture = (name) => path.join(repoRoot, 'tests/fixtures', name);
const browser = sharedBrowser();

const styleOf = (page, selector, property) =>
  page.$eval(selector, (el, name) => getComputedStyle(el)[name], property);

/** The class a styled-components element gets from its component id: `<displayName>-sc-<hash>-<n>`. */
const componentClass = (page, selector) =>
  page.$eval(selector, (el) => [...el.classList].find((name) => name.includes('-sc-')) ?? el.className);

/** Computed styles of the styled-components fixture; returns the component classes seen. */
async function checkStyledComponents(page) {
  await page.locator('#title').waitFor();
  assert.equal(await page.textContent('#title'), 'styled-components ready');
  assert.equal(await styleOf(page, '#title', 'color'), 'rgb(200, 30, 30)');
  assert.equal(await styleOf(page, '#title', 'fontSize'), '28px');
  // Props-based styles and the theme.
  assert.equal(await styleOf(page, '#primary', 'backgroundColor'), 'rgb(10, 120, 60)');
  assert.equal(await styleOf(page, '#primary', 'color'), 'rgb(255, 255, 255)');
  assert.equal(await styleOf(page, '#primary', 'paddingTop'), '12px');
  assert.equal(await styleOf(page, '#plain', 'backgroundColor'), 'rgb(240, 240, 240)');
  assert.equal(await styleOf(page, '#panel', 'borderTopColor'), 'rgb(10, 120, 60)');
  // The `css` helper's rules, interpolated into the button.
  assert.equal(await styleOf(page, '#primary', 'fontWeight'), '700');
  assert.equal(await styleOf(page, '#plain', 'letterSpacing'), '2px');

  const classes = {
    title: await componentClass(page, '#title'),
    button: await componentClass(page, '#primary'),
    panel: await componentClass(page, '#panel'),
  };
  // Display names as babel-plugin-styled-components makes them: the component's name, prefixed
  // with its file's when they differ.
  assert.match(classes.title, /^Title-sc-[a-z0-9]+-0$/);
  assert.match(classes.button, /^App__Button-sc-[a-z0-9]+-0$/);
  assert.match(classes.panel, /^App__Panel-sc-[a-z0-9]+-1$/);
  return classes;
}

/** Computed styles of the Emotion fixture. */
async function checkEmotion(page) {
  await page.locator('#title').waitFor();
  assert.equal(await page.textContent('#title'), 'emotion ready');
  assert.equal(await styleOf(page, '#title', 'color'), 'rgb(200, 30, 30)');
  assert.equal(await styleOf(page, '#title', 'fontSize'), '30px');
  // An object in the `css` prop.
  assert.equal(await styleOf(page, '#main', 'borderTopWidth'), '4px');
  assert.equal(await styleOf(page, '#main', 'borderTopColor'), 'rgb(10, 120, 60)');
  // @emotion/styled with a prop.
  assert.equal(await styleOf(page, '#primary', 'backgroundColor'), 'rgb(120, 40, 160)');
  // The pragma file.
  assert.equal(await styleOf(page, '#badge', 'color'), 'rgb(0, 90, 180)');
  assert.equal(await styleOf(page, '#badge', 'textDecorationLine'), 'underline');
  // Emotion's JSX runtime turned `css` into a class; React's would have rendered the attribute.
  for (const selector of ['#main', '#title', '#badge']) {
    assert.equal(await page.$eval(selector, (el) => el.getAttribute('css')), null, selector);
    assert.match(await page.$eval(selector, (el) => el.className), /\bcss-/, selector);
  }
}

let builtStyledClasses;

test('styled-components: the built app has styles, display names and component ids', async () => {
  buildOrThrow(fixture('styled-components'));
  const server = await serve(path.join(fixture('styled-components'), 'dist'));
  try {
    const { page, problems } = await openPage(browser(), server.url);
    builtStyledClasses = await checkStyledComponents(page);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.close();
  }
});

test('styled-components in nexxo dev: same classes as the build; a colour edit applies without a reload', async () => {
  const root = await copyProject(fixture('styled-components'));
  const dev = await startDev(root);
  try {
    const { page, problems } = await openPage(browser(), dev.url);
    const classes = await checkStyledComponents(page);
    // SSR-safe ids: the same file gives the same component ids in dev and in the build.
    if (builtStyledClasses) assert.deepEqual(classes, builtStyledClasses);

    await page.click('#primary');
    assert.equal(await page.textContent('#primary'), 'clicks: 1');
    await page.evaluate(() => (window.__nexxoTestMarker = 'kept'));
    // A styled component in a module of its own (its importer is the React Refresh boundary)…
    await atomicEdit(root, 'src/Title.tsx', 'color: rgb(200, 30, 30);', 'color: rgb(30, 30, 200);');
    await page.waitForFunction(() => getComputedStyle(document.querySelector('#title')).color === 'rgb(30, 30, 200)');
    // …and one beside the component that renders it.
    await atomicEdit(root, 'src/App.tsx', "'rgb(240, 240, 240)'", "'rgb(250, 220, 0)'");
    await page.waitForFunction(() => getComputedStyle(document.querySelector('#plain')).backgroundColor === 'rgb(250, 220, 0)');
    assert.equal(await page.evaluate(() => window.__nexxoTestMarker), 'kept', 'the page must not reload');
    assert.equal(await page.textContent('#primary'), 'clicks: 1', 'React state survives');
    assert.match(await componentClass(page, '#title'), /^Title-sc-/);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await dev.stop();
  }
});

test('emotion: the built app applies the css prop (tsconfig and pragma) and @emotion/styled', async () => {
  buildOrThrow(fixture('emotion'));
  const server = await serve(path.join(fixture('emotion'), 'dist'));
  try {
    const { page, problems } = await openPage(browser(), server.url);
    await checkEmotion(page);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.close();
  }
});

test('emotion in nexxo dev: styles apply; a css prop colour edit applies without a reload, state kept', async () => {
  const root = await copyProject(fixture('emotion'));
  const dev = await startDev(root);
  try {
    const { page, problems } = await openPage(browser(), dev.url);
    await checkEmotion(page);
    await page.click('#primary');
    assert.equal(await page.textContent('#primary'), 'clicks: 1');
    await page.evaluate(() => (window.__nexxoTestMarker = 'kept'));
    await atomicEdit(root, 'src/App.tsx', 'color: rgb(200, 30, 30);', 'color: rgb(30, 30, 200);');
    await page.waitForFunction(() => getComputedStyle(document.querySelector('#title')).color === 'rgb(30, 30, 200)');
    await atomicEdit(root, 'src/pragma/Badge.tsx', "color: 'rgb(0, 90, 180)'", "color: 'rgb(0, 150, 0)'");
    await page.waitForFunction(() => getComputedStyle(document.querySelector('#badge')).color === 'rgb(0, 150, 0)');
    assert.equal(await page.evaluate(() => window.__nexxoTestMarker), 'kept', 'the page must not reload');
    assert.equal(await page.textContent('#primary'), 'clicks: 1', 'React state survives');
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await dev.stop();
  }
});
