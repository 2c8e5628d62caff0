// The dev server and the build resolve imports with one set of rules (Vite's): for each tricky
// import in this table, the page built by `nexxo build` and the page served by `nexxo dev`
// must show the same file, and it must be the file Vite picks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { sharedBrowser, openPage, startDev, buildOrThrow, serve, writeProject } from './harness.mjs';

const browser = sharedBrowser();
let root;

// import specifier → the file Vite resolves it to (each file exports its own name).
const table = {
  './util': 'src/util.js', // `.js` before `.ts` in Vite's extension order
  './only.js': 'src/only.ts', // a `.js` import of a TypeScript file
  './dir': 'src/dir/index.ts',
  './data': 'src/data.json',
  'pkg-cond': 'node_modules/pkg-cond/browser.js', // `exports` with the browser condition
  'pkg-cond/feature': 'node_modules/pkg-cond/features/feature.js', // subpath pattern
  'pkg-fields': 'node_modules/pkg-fields/module.js', // `module` before `main`
  '@/aliased': 'src/aliased.ts', // resolve.alias
  '~lib/helper': 'src/lib/helper.ts', // tsconfig paths
  '/src/absolute': 'src/absolute.ts', // root-absolute
  './queried.js?v=2': 'src/queried.js', // an unknown query on a real file
};

const named = (file) => `export const name = ${JSON.stringify(file)};\nexport default name;\n`;
const files = {
  'index.html': `<!doctype html>
<html><head><title>parity</title><link rel="icon" href="data:,"><link rel="stylesheet" href="@/styles/page.css"></head>
<body><pre id="out"></pre><p id="styled">styled</p><script type="module" src="@/main.ts"></script></body></html>`,
  'nexxo.config.json': JSON.stringify({ resolve: { alias: { '@': './src' } } }),
  'tsconfig.json': JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '~lib/*': ['./src/lib/*'] } } }),
  'src/main.ts': [
    "import '@/styles/theme.css';",
    "import '@/styles/extra.scss';",
    ...Object.keys(table).map((specifier, i) => `import * as m${i} from ${JSON.stringify(specifier)};`),
    `const found = { ${Object.keys(table).map((s, i) => `${JSON.stringify(s)}: (m${i} as any).name ?? (m${i} as any).default.name`).join(', ')} };`,
    "document.querySelector('#out')!.textContent = JSON.stringify(found);",
    '',
  ].join('\n'),
  'src/styles/theme.css': "@import '@/styles/colors.css';\n#styled { color: var(--brand); background: url(@/styles/dot.svg); }\n",
  'src/styles/colors.css': ':root { --brand: rgb(1, 2, 3); }\n',
  'src/styles/extra.scss': "@use '@/styles/vars';\n#styled { outline: 1px solid vars.$ring; }\n",
  'src/styles/_vars.scss': '$ring: rgb(7, 8, 9);\n',
  'src/styles/page.css': '#styled { border-left: 4px solid rgb(4, 5, 6); }\n',
  'src/styles/dot.svg': '<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"><rect width="2" height="2"/></svg>',
  'src/util.js': named('src/util.js'),
  'src/util.ts': named('src/util.ts'),
  'src/only.ts': named('src/only.ts'),
  'src/dir/index.ts': named('src/dir/index.ts'),
  'src/data.json': JSON.stringify({ name: 'src/data.json' }),
  'src/aliased.ts': named('src/aliased.ts'),
  'src/lib/helper.ts': named('src/lib/helper.ts'),
  'src/absolute.ts': named('src/absolute.ts'),
  'src/queried.js': named('src/queried.js'),
  'node_modules/pkg-cond/package.json': JSON.stringify({
    name: 'pkg-cond',
    exports: {
      '.': { node: './node.js', browser: './browser.js', default: './default.js' },
      './*': './features/*.js',
    },
  }),
  'node_modules/pkg-cond/node.js': named('node_modules/pkg-cond/node.js'),
  'node_modules/pkg-cond/browser.js': named('node_modules/pkg-cond/browser.js'),
  'node_modules/pkg-cond/default.js': named('node_modules/pkg-cond/default.js'),
  'node_modules/pkg-cond/features/feature.js': named('node_modules/pkg-cond/features/feature.js'),
  'node_modules/pkg-fields/package.json': JSON.stringify({ name: 'pkg-fields', main: 'main.js', module: 'module.js' }),
  'node_modules/pkg-fields/main.js': named('node_modules/pkg-fields/main.js'),
  'node_modules/pkg-fields/module.js': named('node_modules/pkg-fields/module.js'),
};

before(async () => {
  root = await writeProject('nexxo-resolve-parity-', files);
});

async function resolvedOnPage(url) {
  const { page, problems } = await openPage(browser(), url);
  await page
    .waitForFunction(() => document.querySelector('#out')?.textContent !== '', null, { timeout: 10_000 })
    .catch(() => {});
  // Errors first: they say why nothing was shown.
  assert.deepEqual(problems, []);
  const found = JSON.parse(await page.textContent('#out'));
  const style = await page.evaluate(() => {
    const s = getComputedStyle(document.querySelector('#styled'));
    return { color: s.color, background: s.backgroundImage, border: s.borderLeftColor, outline: s.outlineColor };
  });
  await page.close();
  return { found, style, problems };
}

let built;

test('the build resolves each import to the file Vite picks', async () => {
  buildOrThrow(root);
  const server = await serve(path.join(root, 'dist'));
  try {
    built = await resolvedOnPage(server.url);
  } finally {
    await server.close();
  }
  assert.deepEqual(built.problems, []);
  assert.deepEqual(built.found, table);
  // Aliases work in CSS `@import` and `url()` too.
  assert.equal(built.style.color, 'rgb(1, 2, 3)');
  assert.match(built.style.background, /^url\(/);
  // And in the page's `<link href>` (and `<script src>`).
  assert.equal(built.style.border, 'rgb(4, 5, 6)');
  // And in Sass `@use`.
  assert.equal(built.style.outline, 'rgb(7, 8, 9)');
});

test('nexxo dev resolves every import to the same file as the build', async () => {
  const dev = await startDev(root);
  after(() => dev.stop());
  const served = await resolvedOnPage(dev.url);
  assert.deepEqual(served.problems, []);
  assert.deepEqual(served.found, table);
  assert.deepEqual(served.found, built?.found);
  assert.equal(served.style.color, 'rgb(1, 2, 3)');
  assert.match(served.style.background, /^url\(/);
  assert.equal(served.style.border, 'rgb(4, 5, 6)');
  assert.equal(served.style.outline, 'rgb(7, 8, 9)');
});
