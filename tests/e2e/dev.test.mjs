// `nexxo dev` against the React example (copied to a temporary folder so edits stay there):
// rendering, hot updates without reload (state kept), CSS and CSS Module updates, the error
// overlay, reload when nobody accepts, a new npm import, source maps, lazy routes, and the
// order, removal and immediate effect of imported stylesheets.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { SourceMapConsumer } from 'source-map-js';
import { repoRoot, sharedBrowser, openPage, copyProject, startDev, atomicEdit } from './harness.mjs';

const browser = sharedBrowser();
let root;
let dev;

before(async () => {
  root = await copyProject(path.join(repoRoot, 'examples/react-ts'));
  dev = await startDev(root);
});
after(async () => {
  await dev?.stop();
});

/** Edits a file of the copied project (an atomic save, as editors do). */
const edit = (file, from, to) => atomicEdit(root, file, from, to);

async function openApp() {
  const opened = await openPage(browser(), dev.url);
  await opened.page.waitForSelector('#counter');
  // Survives hot updates, gone after a reload.
  await opened.page.evaluate(() => (window.__nexxoTestMarker = 'kept'));
  return opened;
}

const marker = (page) => page.evaluate(() => window.__nexxoTestMarker);
const textOf = (page, selector) => page.textContent(selector);

test('the React example renders and a component edit keeps state without a reload', async () => {
  const { page, problems } = await openApp();
  assert.equal(await textOf(page, 'h1'), 'Nexxo + React');
  await page.click('#counter');
  await page.click('#counter');
  assert.equal(await textOf(page, '#counter'), 'count is 2');

  await edit('src/Counter.tsx', 'count is {count}', 'clicked {count} times');
  await page.waitForFunction(() => document.querySelector('#counter')?.textContent === 'clicked 2 times');
  assert.equal(await marker(page), 'kept', 'the page must not reload');

  await edit('src/App.tsx', 'Nexxo + React', 'Edited title');
  await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Edited title');
  assert.equal(await textOf(page, '#counter'), 'clicked 2 times', 'useState keeps its value');
  assert.equal(await marker(page), 'kept');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a lazy route is compiled and loaded when opened', async () => {
  const { page, problems } = await openApp();
  await page.click('#nav-about');
  await page.waitForSelector('#about');
  assert.match(await textOf(page, '#about p'), /loaded lazily in mode development/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('CSS and CSS Module edits apply without a reload', async () => {
  const { page, problems } = await openApp();
  const bodyColor = () => page.evaluate(() => getComputedStyle(document.querySelector('#counter').closest('main')).color);
  assert.equal(await bodyColor(), 'rgb(33, 33, 33)');
  await edit('src/index.css', 'color: rgb(33, 33, 33);', 'color: rgb(200, 0, 0);');
  await page.waitForFunction(() => getComputedStyle(document.querySelector('main')).color === 'rgb(200, 0, 0)');

  const logoHeight = () => page.evaluate(() => getComputedStyle(document.querySelector('#react-logo')).height);
  assert.equal(await logoHeight(), '64px');
  await edit('src/App.module.css', 'height: 64px;', 'height: 80px;');
  await page.waitForFunction(() => getComputedStyle(document.querySelector('#react-logo')).height === '80px');
  assert.equal(await marker(page), 'kept');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a syntax error shows the overlay; fixing it clears it and the app works again', async () => {
  const { page } = await openApp();
  await edit('src/Counter.tsx', 'const [count, setCount] = useState(0);', 'const [count, setCount] = useState(0;');
  const overlay = page.locator('nexxo-error-overlay');
  await overlay.waitFor();
  const text = await overlay.evaluate((el) => el.shadowRoot.textContent);
  assert.match(text, /src\/Counter\.tsx:4:\d+/);
  assert.match(text, /useState\(0;/, 'the code frame shows the line');

  await edit('src/Counter.tsx', 'const [count, setCount] = useState(0;', 'const [count, setCount] = useState(10);');
  await overlay.waitFor({ state: 'detached' });
  await page.click('#counter');
  await page.waitForFunction(() => /\b1[01]\b/.test(document.querySelector('#counter').textContent));
  await page.close();
});

test('an edit nobody accepts reloads the page', async () => {
  const { page, problems } = await openApp();
  const navigation = page.waitForEvent('load');
  await edit('src/main.tsx', "import './index.css';", "import './index.css';\ndocument.title = 'reloaded';");
  await navigation;
  await page.waitForFunction(() => document.title === 'reloaded');
  assert.equal(await marker(page), undefined, 'the page reloaded');
  assert.deepEqual(problems, []);
  await page.close();
});

test('importing a package the app did not use yet works without a failed request', async () => {
  const { page, problems } = await openApp();
  // `scheduler` is installed (react-dom depends on it) but not pre-bundled yet.
  await edit(
    'src/Counter.tsx',
    "import { useState } from 'react';",
    "import { useState } from 'react';\nimport { unstable_now } from 'scheduler';\nconst schedulerType = typeof unstable_now;",
  );
  await edit('src/Counter.tsx', '<button id="counter"', '<button data-scheduler={schedulerType} id="counter"');
  await page.waitForSelector('#counter[data-scheduler="function"]');
  assert.deepEqual(problems, []);
  await page.close();
});

test('the page script source map leads back to the original .tsx lines', async () => {
  const pageHtml = await (await fetch(dev.url)).text();
  const src = /<script src="([^"]*@nexxo\/page[^"]*)"/.exec(pageHtml)[1];
  const script = await (await fetch(new URL(src, dev.url))).text();
  assert.ok(!script.includes(root), 'modules are named by URL, never by their absolute path');
  const mapUrl = /\/\/# sourceMappingURL=(\S+)/.exec(script)[1];
  const map = await (await fetch(new URL(mapUrl, dev.url))).json();
  const consumer = new SourceMapConsumer(map);
  const lines = script.split('\n');
  // The earlier test left `useState(10)` in Counter.tsx; compiled, it reads `useState)(10)`.
  const line = lines.findIndex((l) => l.includes('useState)(10)'));
  assert.ok(line >= 0, 'the served script holds the Counter component');
  const column = lines[line].indexOf('useState)(10)');
  const original = consumer.originalPositionFor({ line: line + 1, column });
  assert.equal(original.source, 'src/Counter.tsx');
  const source = await readFile(path.join(root, 'src/Counter.tsx'), 'utf8');
  assert.match(source.split('\n')[original.line - 1], /useState\(10\)/);
});

test('stylesheets apply in import order, and an import that is removed takes its CSS away', async () => {
  const { page, problems } = await openApp();
  await writeFile(path.join(root, 'src/first.css'), '#counter { outline: 5px dashed rgb(1, 1, 1); }\n');
  await writeFile(path.join(root, 'src/second.css'), '#counter { outline-color: rgb(2, 2, 2); }\n');
  const outline = () => page.evaluate(() => getComputedStyle(document.querySelector('#counter')).outlineColor);

  const imports = "import './first.css';\nimport './second.css';\n";
  await edit('src/Counter.tsx', "import { useState } from 'react';\n", `import { useState } from 'react';\n${imports}`);
  await page.waitForFunction(() => getComputedStyle(document.querySelector('#counter')).outlineStyle === 'dashed');
  assert.equal(await outline(), 'rgb(2, 2, 2)', 'the stylesheet imported last wins');

  await edit('src/Counter.tsx', imports, "import './first.css';\n");
  await page.waitForFunction(() => getComputedStyle(document.querySelector('#counter')).outlineColor === 'rgb(1, 1, 1)');
  assert.equal(await marker(page), 'kept', 'the page must not reload');
  assert.deepEqual(problems, []);
  await page.close();
});

test("a module that reads computed styles while it runs sees the CSS imported before it", async () => {
  const { page, problems } = await openApp();
  // Theme code often reads CSS variables at import time; the built app has its CSS by then.
  await writeFile(path.join(root, 'src/probe.css'), ':root { --probe-size: 42px; }\n');
  await writeFile(
    path.join(root, 'src/probe.ts'),
    "import './probe.css';\nexport const probeSize = getComputedStyle(document.documentElement).getPropertyValue('--probe-size').trim();\n",
  );
  await edit('src/Counter.tsx', "import { useState } from 'react';\n", "import { useState } from 'react';\nimport { probeSize } from './probe';\n");
  await edit('src/Counter.tsx', ' id="counter"', ' data-probe={probeSize} id="counter"');
  await page.waitForSelector('#counter[data-probe]');
  assert.equal(await page.getAttribute('#counter', 'data-probe'), '42px');
  assert.equal(await marker(page), 'kept', 'the page must not reload');
  assert.deepEqual(problems, []);
  await page.close();
});
