// Imports that Vite resolves and a bundler alone would not, in the built app and under
// `nexxo dev`, in Chromium: a root-absolute path (`/src/bar`), a file in `public/` imported
// root-absolute (`/data.json`), and a script with an unknown query (`./foo.js?v=1`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import os from 'node:os';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { sharedBrowser, openPage, startDev, buildOrThrow, serve } from './harness.mjs';

const browser = sharedBrowser();
let root;

const files = {
  'index.html': `<!doctype html>
<html><head><title>imports</title><link rel="icon" href="data:,"></head>
<body><p id="out"></p><script type="module" src="/src/main.ts"></script></body></html>`,
  'src/main.ts': `import { a } from './foo.js?v=1';
import { b } from '/src/bar';
import data from '/data.json';
document.querySelector('#out')!.textContent = [a, b, data.from].join('|');
`,
  'src/foo.js': "export const a = 'query-ok';\n",
  'src/bar.ts': "export const b: string = 'root-ok';\n",
  'public/data.json': '{"from": "public-ok"}\n',
};

before(async () => {
  root = path.join(await mkdtemp(path.join(os.tmpdir(), 'nexxo-vite-imports-')), 'app');
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), content);
  }
});

async function pageText(url) {
  const { page, problems } = await openPage(browser(), url);
  await page.waitForFunction(() => document.querySelector('#out')?.textContent !== '', null, { timeout: 10_000 });
  const text = await page.textContent('#out');
  await page.close();
  return { text, problems };
}

test('the built app loads root-absolute, public/ and queried imports', async () => {
  buildOrThrow(root);
  const server = await serve(path.join(root, 'dist'));
  try {
    const { text, problems } = await pageText(server.url);
    assert.deepEqual(problems, []);
    assert.equal(text, 'query-ok|root-ok|public-ok');
  } finally {
    await server.close();
  }
});

test('nexxo dev loads the same imports', async () => {
  const dev = await startDev(root);
  after(() => dev.stop());
  const { text, problems } = await pageText(dev.url);
  assert.deepEqual(problems, []);
  assert.equal(text, 'query-ok|root-ok|public-ok');
});
