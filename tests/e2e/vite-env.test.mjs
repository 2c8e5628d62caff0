// `define` and env as in Vite, in the built app and under `nexxo dev`, in Chromium (where there
// is no `process`): packages under node_modules that read `process.env.X` (ESM and CommonJS)
// run without throwing, `process.env.NODE_ENV` follows the command, `import.meta.env` keys
// defined as a boolean or a number keep their type, and a `VITE_` prefix works when
// `envPrefix` names it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { sharedBrowser, openPage, startDev, buildOrThrow, serve, writeProject } from './harness.mjs';

const browser = sharedBrowser();
let root;

const files = {
  'index.html': `<!doctype html>
<html><head><title>env</title><link rel="icon" href="data:,"></head>
<body><p id="out"></p><script type="module" src="/src/main.ts"></script></body></html>`,
  'src/main.ts': `import { mode, flag, fromGlobal } from 'env-reader';
import legacy from 'cjs-env-reader';
const env = import.meta.env;
document.querySelector('#out')!.textContent = [
  mode, flag, fromGlobal, legacy.debug, legacy.mode,
  typeof env.FLAG, env.LIMIT + 1, env.VITE_TITLE,
].join('|');
`,
  'src/env.d.ts': `interface ImportMetaEnv { FLAG: boolean; LIMIT: number; VITE_TITLE: string }
interface ImportMeta { readonly env: ImportMetaEnv }
`,
  '.env': 'VITE_TITLE=hello\nSECRET_TOKEN=never-in-the-page\n',
  'nexxo.config.json': JSON.stringify({
    envPrefix: ['NEXXO_', 'VITE_'],
    define: { 'import.meta.env.FLAG': true, 'import.meta.env.LIMIT': 3 },
  }),
  'node_modules/env-reader/package.json': '{"name":"env-reader","type":"module","main":"index.js"}',
  'node_modules/env-reader/index.js': `export const mode = process.env.NODE_ENV;
export const flag = process.env.DEBUG_THING ?? 'unset';
export const fromGlobal = globalThis.process.env.OTHER ?? 'none';
`,
  'node_modules/cjs-env-reader/package.json': '{"name":"cjs-env-reader","main":"index.js"}',
  'node_modules/cjs-env-reader/index.js': `module.exports = {
  debug: process.env.DEBUG || 'off',
  mode: process.env.NODE_ENV === 'production' ? 'prod' : 'dev',
};
`,
};

before(async () => {
  root = await writeProject('nexxo-vite-env-', files);
});

async function pageText(url) {
  const { page, problems } = await openPage(browser(), url);
  await page.waitForFunction(() => document.querySelector('#out')?.textContent !== '', null, { timeout: 10_000 });
  const text = await page.textContent('#out');
  await page.close();
  return { text, problems };
}

test('the built app: process.env reads in packages, typed import.meta.env, VITE_ prefix', async () => {
  buildOrThrow(root);
  const server = await serve(path.join(root, 'dist'));
  try {
    const { text, problems } = await pageText(server.url);
    assert.deepEqual(problems, []);
    assert.equal(text, 'production|unset|none|off|prod|boolean|4|hello');
  } finally {
    await server.close();
  }
});

test('nexxo dev: the same values, with NODE_ENV development', async () => {
  const dev = await startDev(root);
  after(() => dev.stop());
  const { text, problems } = await pageText(dev.url);
  assert.deepEqual(problems, []);
  assert.equal(text, 'development|unset|none|off|dev|boolean|4|hello');
});
