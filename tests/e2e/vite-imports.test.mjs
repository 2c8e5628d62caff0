// Imports that Vite resolves and a bundler alone would not, in the built app and under
// `nexxo dev`, in Chromium: a root-absolute path (`/src/bar`), a file in `public/` imported
// root-absolute (`/data.json`), a script with an unknown query (`./foo.js?v=1`), and
// `new URL('./x.svg', import.meta.url)` for a file emitted as an asset and one inlined; and a
// CommonJS package whose `module.exports` names itself as `default` too (as classnames and
// axios do), imported by default and by name; and a package imported only by a module loaded
// with `import()`, which in dev must be in the page's first dependency bundle (as Vite's scan
// finds it) rather than reload the page when the lazy module is opened.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { sharedBrowser, openPage, startDev, buildOrThrow, serve, writeProject } from './harness.mjs';

const browser = sharedBrowser();
let root;

const files = {
  'index.html': `<!doctype html>
<html><head><title>imports</title><link rel="icon" href="data:,"></head>
<body><p id="out"></p><script type="module" src="/src/main.ts"></script></body></html>`,
  'src/main.ts': `import { a } from './foo.js?v=1';
import { b } from '/src/bar';
import data from '/data.json';
import selfDefault, { flavour } from 'cjs-self-default';
const big = document.createElement('img');
big.id = 'big';
big.src = new URL('./photo.svg', import.meta.url).href;
const small = document.createElement('img');
small.id = 'small';
small.src = new URL("./dot.svg", import.meta.url).href;
document.body.append(big, small);
import('./lazy').then(({ lazyText }) => {
  document.querySelector('#out')!.textContent = [a, b, data.from, selfDefault('cjs'), flavour, lazyText].join('|');
});
`,
  // Over assetsInlineLimit (4 kB): emitted as a file. The other is inlined as a data URL.
  'src/photo.svg': `<svg xmlns="http://www.w3.org/2000/svg" width="12" height="7"><!-- ${'x'.repeat(5000)} --><rect width="12" height="7"/></svg>`,
  'src/dot.svg': '<svg xmlns="http://www.w3.org/2000/svg" width="3" height="5"><rect width="3" height="5"/></svg>',
  'src/foo.js': "export const a = 'query-ok';\n",
  'src/bar.ts': "export const b: string = 'root-ok';\n",
  'public/data.json': '{"from": "public-ok"}\n',
  'src/lazy.ts': "import { shout } from 'lazy-only-pkg';\nexport const lazyText = shout('lazy');\n",
  'node_modules/lazy-only-pkg/package.json': '{"name":"lazy-only-pkg","type":"module","main":"index.js"}',
  'node_modules/lazy-only-pkg/index.js': "export const shout = (text) => `${text}-pkg-ok`;\n",
  'node_modules/cjs-self-default/package.json': '{"name":"cjs-self-default","main":"index.js"}',
  'node_modules/cjs-self-default/index.js': `function tag(name) { return name + '-default-ok'; }
tag.flavour = 'named-ok';
module.exports = tag;
module.exports.default = tag;
`,
};

before(async () => {
  root = await writeProject('nexxo-vite-imports-', files);
});

async function pageText(url) {
  const { page, problems } = await openPage(browser(), url);
  await page.waitForFunction(() => document.querySelector('#out')?.textContent !== '', null, { timeout: 10_000 });
  const text = await page.textContent('#out');
  // Loaded once: a page that reloaded itself (to get a new dependency bundle) says 'reload'.
  assert.equal(await page.evaluate(() => performance.getEntriesByType('navigation')[0].type), 'navigate');
  // Both images load (a wrong URL would leave them at 0 × 0).
  await page.waitForFunction(() => ['big', 'small'].every((id) => document.getElementById(id)?.complete));
  const sizes = await page.evaluate(() =>
    ['big', 'small'].map((id) => { const img = document.getElementById(id); return `${img.naturalWidth}x${img.naturalHeight}`; }).join(','),
  );
  await page.close();
  return { text: `${text}|${sizes}`, problems };
}

test('the built app loads root-absolute, public/, queried and new URL(…, import.meta.url) imports', async () => {
  buildOrThrow(root);
  const server = await serve(path.join(root, 'dist'));
  try {
    const { text, problems } = await pageText(server.url);
    assert.deepEqual(problems, []);
    assert.equal(text, 'query-ok|root-ok|public-ok|cjs-default-ok|named-ok|lazy-pkg-ok|12x7,3x5');
  } finally {
    await server.close();
  }
});

test('nexxo dev loads the same imports', async () => {
  const dev = await startDev(root);
  after(() => dev.stop());
  const { text, problems } = await pageText(dev.url);
  assert.deepEqual(problems, []);
  assert.equal(text, 'query-ok|root-ok|public-ok|cjs-default-ok|named-ok|lazy-pkg-ok|12x7,3x5');
});
