// `nexxo dev` survives hostile files: a script nested thousands of levels deep (a stack overflow
// would abort the server), a Sass `@while true` (a compile that never ends), a CSS Module that
// composes from itself, and a FIFO imported as a module (opening it would block). Each shows
// the error overlay with the file and position; the server keeps serving, and fixing the file
// brings the app back with a hot update.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { sharedBrowser, openPage, startDev } from './harness.mjs';

const browser = sharedBrowser();
let root;
let dev;

const GOOD_MAIN = `import { value } from './value';
document.querySelector('#app')!.textContent = 'ok:' + value;
if (import.meta.hot) import.meta.hot.accept();
`;

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'nexxo-dev-hostile-'));
  await mkdir(path.join(root, 'src'), { recursive: true });
  await writeFile(
    path.join(root, 'index.html'),
    '<!doctype html><html><head><title>hostile</title><link rel="icon" href="data:,"></head><body><div id="app"></div><script type="module" src="/src/main.ts"></script></body></html>',
  );
  await writeFile(path.join(root, 'src/main.ts'), GOOD_MAIN);
  await writeFile(path.join(root, 'src/value.ts'), "export const value = 'first';\n");
  // Keep the Sass time limit short so the test does not wait 10 s.
  process.env.NEXXO_SASS_TIME_LIMIT_MS = '2000';
  dev = await startDev(root);
});

after(async () => {
  await dev?.stop();
  delete process.env.NEXXO_SASS_TIME_LIMIT_MS;
  if (root) await rm(root, { recursive: true, force: true });
});

async function overlayText(page) {
  const overlay = page.locator('nexxo-error-overlay');
  await overlay.waitFor({ state: 'attached', timeout: 30_000 });
  return overlay.evaluate((el) => el.shadowRoot.textContent);
}

async function expectRecovered(page, value) {
  await writeFile(path.join(root, 'src/value.ts'), `export const value = '${value}';\n`);
  await page.waitForSelector('nexxo-error-overlay', { state: 'detached', timeout: 30_000 });
  await page.waitForFunction((v) => document.querySelector('#app')?.textContent === `ok:${v}`, value, {
    timeout: 30_000,
  });
}

test('hostile files show an error, the server survives, and fixing them recovers', async () => {
  const { page } = await openPage(browser(), dev.url);
  await page.waitForFunction(() => document.querySelector('#app')?.textContent === 'ok:first');

  // 1. Arrays nested 3000 deep: without the nesting check and big stacks this aborts the server.
  const deep = `${'['.repeat(3000)}1${']'.repeat(3000)}`;
  await writeFile(path.join(root, 'src/value.ts'), `export const value = ${deep};\n`);
  let text = await overlayText(page);
  assert.match(text, /nesting deeper than 1000 levels/);
  assert.match(text, /src\/value\.ts:1:1022/);
  await expectRecovered(page, 'second');

  // 2. A Sass compile that never ends is stopped; no thread keeps spinning.
  await writeFile(path.join(root, 'src/spin.scss'), '$i: 0;\n@while true { $i: $i + 1; }\n');
  await writeFile(path.join(root, 'src/value.ts'), "import './spin.scss';\nexport const value = 'sass';\n");
  text = await overlayText(page);
  assert.match(text, /Sass compile of src\/spin\.scss took longer than 2 s/);
  await expectRecovered(page, 'third');

  // 3. A CSS Module composing from itself.
  await writeFile(path.join(root, 'src/self.module.css'), ".a { composes: a from './self.module.css'; }\n");
  await writeFile(
    path.join(root, 'src/value.ts'),
    "import s from './self.module.css';\nexport const value = String(s.a);\n",
  );
  text = await overlayText(page);
  assert.match(text, /forms a cycle/);
  await expectRecovered(page, 'fourth');

  // 4. A FIFO imported as a module: refused by name instead of blocking a compile thread.
  const fifo = path.join(root, 'src/pipe.ts');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  await writeFile(path.join(root, 'src/value.ts'), "import './pipe.ts';\nexport const value = 'fifo';\n");
  text = await overlayText(page);
  assert.match(text, /pipe\.ts.*it is a FIFO/);
  await expectRecovered(page, 'fifth');

  // The server is still the same process and still answers.
  const response = await fetch(dev.url);
  assert.equal(response.status, 200);
  assert.doesNotMatch(dev.output(), /overflowed its stack|panicked|internal error/);
});
