// Web workers as in Vite, in the built app and under `nexxo dev`, in Chromium: a module worker
// (importing JSON, another module, an npm package and an asset), a classic worker, a shared
// worker and a worker starting a worker with `new Worker(new URL(…, import.meta.url))`, and the
// `?worker`, `?worker&inline` and `?worker&url` imports; each answers a message and the page
// shows the answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { sharedBrowser, openPage, startDev, buildOrThrow, serve, writeProject, atomicEdit, rawGet } from './harness.mjs';

const browser = sharedBrowser();
let root;

const files = {
  'index.html': `<!doctype html>
<html><head><title>workers</title><link rel="icon" href="data:,"></head>
<body><p id="out"></p><script type="module" src="/src/main.ts"></script></body></html>`,
  // A secret the worker route must not hand out as a worker script.
  '.env': 'SECRET=1\n',
  'src/main.ts': `import QueryWorker from './workers/query.ts?worker';
import InlineWorker from './workers/query.ts?worker&inline';
import queryUrl from './workers/query.ts?worker&url';

function ask(worker: Worker, message: unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    worker.onmessage = (event) => resolve(event.data);
    worker.onerror = (event) => reject(new Error('worker failed: ' + event.message));
    worker.postMessage(message);
  });
}

function askShared(worker: SharedWorker, message: unknown): Promise<string> {
  return new Promise((resolve) => {
    worker.port.onmessage = (event) => resolve(event.data);
    worker.port.start();
    worker.port.postMessage(message);
  });
}

Promise.all([
  ask(new Worker(new URL('./workers/module.ts', import.meta.url), { type: 'module' }), 2),
  ask(new Worker(new URL("./workers/classic.js", import.meta.url)), 'hi'),
  askShared(new SharedWorker(new URL('./workers/shared.ts', import.meta.url), { type: 'module' }), 'hi'),
  ask(new QueryWorker({ name: 'named' }), 'hi'),
  ask(new InlineWorker(), 'inline'),
  ask(new Worker(queryUrl, { type: 'module' }), 'url'),
  ask(new Worker(new URL('./workers/nested.ts', import.meta.url), { type: 'module' }), 'deep'),
]).then(
  (answers) => (document.querySelector('#out')!.textContent = answers.join('|')),
  (error) => (document.querySelector('#out')!.textContent = String(error)),
);
`,
  'src/workers/module.ts': `import data from './data.json';
import { double } from './double';
import logo from './logo.svg';
import { shout } from 'tiny-shout';

self.onmessage = async (event: MessageEvent<number>) => {
  const asset = await fetch(logo);
  self.postMessage(\`module:\${double(event.data)}:\${shout(data.label)}:\${asset.ok}\`);
};
`,
  // An npm package the worker imports (the dependency bundle in dev, bundled in the build).
  'node_modules/tiny-shout/package.json': '{"name": "tiny-shout", "version": "1.0.0", "type": "module", "main": "index.js"}\n',
  'node_modules/tiny-shout/index.js': "export const shout = (text) => text.toUpperCase() + '!';\n",
  'src/workers/double.ts': 'export const double = (n: number): number => n * 2;\n',
  'src/workers/data.json': '{"label": "json"}\n',
  // Over assetsInlineLimit (4 kB): emitted as a file of its own.
  'src/workers/logo.svg': `<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><!-- ${'x'.repeat(5000)} --></svg>`,
  'src/workers/classic.js': "self.onmessage = (event) => postMessage('classic:' + event.data + ':' + typeof importScripts);\n",
  'src/workers/shared.ts': `declare const self: SharedWorkerGlobalScope;
self.onconnect = (event) => {
  const port = event.ports[0];
  port.onmessage = (message) => port.postMessage('shared:' + message.data);
};
`,
  // A worker starting a worker.
  'src/workers/nested.ts': `self.onmessage = (event) => {
  const inner = new Worker(new URL('./query.ts', import.meta.url), { type: 'module' });
  inner.onmessage = (answer) => self.postMessage('nested>' + answer.data);
  inner.postMessage(event.data);
};
`,
  // A dynamic import: a chunk of the worker's own in the build, inlined into the inline worker
  // (a \`blob:\` URL has no folder to find chunks in).
  'src/workers/query.ts': `self.onmessage = async (event) => {
  const { mark } = await import('./mark');
  self.postMessage('query:' + event.data + ':' + self.name + mark);
};
`,
  'src/workers/mark.ts': "export const mark = '~';\n",
};

const EXPECTED =
  'module:4:JSON!:true|classic:hi:function|shared:hi|query:hi:named~|query:inline:~|query:url:~|nested>query:deep:~';

before(async () => {
  root = await writeProject('nexxo-workers-', files);
});

/** The page's answers once every worker replied (or the error that stopped them). */
async function answers(page) {
  await page.waitForFunction(() => document.querySelector('#out')?.textContent !== '', null, { timeout: 15_000 });
  return page.textContent('#out');
}

async function builtAnswers() {
  const server = await serve(path.join(root, 'dist'));
  try {
    const { page, problems } = await openPage(browser(), server.url);
    const text = await answers(page);
    await page.close();
    return { text, problems };
  } finally {
    await server.close();
  }
}

const assetsOf = () => readdirSync(path.join(root, 'dist', 'assets'));
const workerFile = (name) => {
  const file = assetsOf().find((f) => new RegExp(`^${name}-[\\w-]{8}\\.js$`).test(f));
  assert.ok(file, `assets/${name}-<hash>.js in ${assetsOf().join(', ')}`);
  return readFileSync(path.join(root, 'dist', 'assets', file), 'utf8');
};

test('the built app starts each worker from its own bundle', async () => {
  buildOrThrow(root);
  const { text, problems } = await builtAnswers();
  assert.deepEqual(problems, []);
  assert.equal(text, EXPECTED);
  // Each worker is a file of its own; its imports are bundled into it.
  const module = workerFile('module');
  assert.match(module, /toUpperCase/);
  assert.doesNotMatch(module, /from\s*["']\.\/(double|data)/);
  workerFile('classic');
  workerFile('shared');
  // The dynamic import of a worker is a chunk beside it.
  assert.match(workerFile('query'), /import\(\s*["'`]\.\/mark-[\w-]{8}\.js["'`]\s*\)/);
  assert.ok(assetsOf().some((f) => /^mark-[\w-]{8}\.js$/.test(f)), assetsOf().join(', '));
  // `?worker&inline` carries the code itself: no file is requested for it, the page holds it.
  const entry = assetsOf().find((f) => f.startsWith('index-'));
  assert.match(readFileSync(path.join(root, 'dist', 'assets', entry), 'utf8'), /createObjectURL\(new Blob/);
  // The asset the worker imports is emitted too.
  assert.ok(assetsOf().some((f) => /^logo-[\w-]{8}\.svg$/.test(f)), assetsOf().join(', '));

  // The whole-build cache knows the worker's modules and packages: an edit to one builds it
  // again.
  await atomicEdit(root, 'src/workers/double.ts', 'n * 2', 'n * 3');
  await atomicEdit(root, 'node_modules/tiny-shout/index.js', "'!'", "'?'");
  try {
    buildOrThrow(root);
    assert.match(workerFile('module'), /\*\s*3/);
    assert.equal((await builtAnswers()).text, EXPECTED.replace('module:4:JSON!', 'module:6:JSON?'));
  } finally {
    await atomicEdit(root, 'src/workers/double.ts', 'n * 3', 'n * 2');
    await atomicEdit(root, 'node_modules/tiny-shout/index.js', "'?'", "'!'");
  }
});

test('worker.format "iife" bundles module workers as classic scripts', async () => {
  writeFileSync(path.join(root, 'nexxo.config.json'), '{ "worker": { "format": "iife" } }\n');
  try {
    buildOrThrow(root);
    const { text, problems } = await builtAnswers();
    assert.deepEqual(problems, []);
    assert.equal(text, EXPECTED);
    const module = workerFile('module');
    assert.doesNotMatch(module, /^\s*(import|export)\b/m);
    assert.match(module, /^\(function\s*\(/);
  } finally {
    rmSync(path.join(root, 'nexxo.config.json'));
  }
});

test('nexxo dev serves the workers, and an edit to a worker module restarts it', async () => {
  const dev = await startDev(root);
  after(() => dev.stop());
  const { page, problems } = await openPage(browser(), dev.url);
  assert.equal(await answers(page), EXPECTED);
  assert.deepEqual(problems, []);

  // The worker's script holds the project's code: as the page script, it needs the server's
  // token and is refused to other sites.
  const workerPath = `/@nexxo/worker.js?id=${encodeURIComponent('/src/workers/module.ts')}`;
  const token = await page.evaluate(() => new URL(document.querySelector('script[src*="client.js"]').src).searchParams.get('token'));
  const status = async (requestPath, headers = {}) => (await rawGet(dev.port, requestPath, headers)).status;
  assert.equal(await status(`${workerPath}&token=${token}`), 200);
  assert.equal(await status(workerPath), 403);
  assert.equal(await status(`${workerPath}&token=${token}`, { 'sec-fetch-site': 'cross-site' }), 403);
  assert.equal(await status(`/@nexxo/worker.js?id=${encodeURIComponent('/.env')}&token=${token}`), 403);

  await atomicEdit(root, 'src/workers/double.ts', 'n * 2', 'n * 10');
  // The page reloads and starts the worker again with the new module.
  await page.waitForFunction(
    () => document.querySelector('#out')?.textContent.startsWith('module:20:'),
    null,
    { timeout: 15_000, polling: 100 },
  ).catch(async (error) => {
    throw new Error(`${error.message}\npage shows: ${await page.textContent('#out').catch(() => '?')}\n${dev.output()}`);
  });
  assert.equal(await answers(page), EXPECTED.replace('module:4:', 'module:20:'));

  // A syntax error in a worker's module shows the overlay; the fix reloads the page.
  await atomicEdit(root, 'src/workers/double.ts', 'n * 10', 'n * ;');
  const overlay = page.locator('nexxo-error-overlay');
  await overlay.waitFor();
  assert.match(await overlay.evaluate((el) => el.shadowRoot.textContent), /double\.ts:1:/);
  await atomicEdit(root, 'src/workers/double.ts', 'n * ;', 'n * 5');
  await page.waitForFunction(
    () => document.querySelector('#out')?.textContent.startsWith('module:10:'),
    null,
    { timeout: 15_000, polling: 100 },
  );
  assert.equal(await page.locator('nexxo-error-overlay').count(), 0);
  await page.close();
});
