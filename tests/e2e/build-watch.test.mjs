// `nexxo build --watch` on an app written by the test: the first build, a rebuild after an
// edit, a syntax error (reported with its location while the last good output stays served),
// the fix, a `.env` change, and Ctrl-C. Then `build.input`: two pages in subfolders and a
// script entry, and a missing input.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile, rm } from 'node:fs/promises';
import { sharedBrowser, openPage, serve, nexxo, nexxoBin, buildOrThrow, writeProject, atomicEdit } from './harness.mjs';

const browser = sharedBrowser();

/** The temporary folders `writeProject` made for this file, removed at the end. */
const projects = [];
async function newProject(prefix, files) {
  const root = await writeProject(prefix, files);
  projects.push(path.dirname(root));
  return root;
}
after(async () => {
  await Promise.all(projects.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Starts `nexxo build <root> --watch`; its output is collected until it exits. */
function startWatch(root, args = []) {
  const child = spawn(nexxoBin, ['build', root, '--watch', ...args], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    exited,
    output: () => output,
    /** Waits until the output after `from` characters matches `pattern`; returns the match. */
    async waitFor(pattern, from = 0, timeout = 30_000) {
      const deadline = Date.now() + timeout;
      for (;;) {
        const match = pattern.exec(output.slice(from));
        if (match) return match;
        if (child.exitCode !== null) throw new Error(`nexxo exited (${child.exitCode}) before ${pattern}:\n${output}`);
        if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeout} ms:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

/** The text of `selector` once the page at `url` has run its scripts. */
async function textOf(url, selector) {
  const { page, problems } = await openPage(browser(), url);
  try {
    await page.waitForFunction((s) => document.querySelector(s)?.textContent, selector);
    assert.deepEqual(problems, []);
    return await page.textContent(selector);
  } finally {
    await page.close();
  }
}

test('build --watch rebuilds after an edit, survives a syntax error, recovers, and stops on Ctrl-C', async () => {
  const root = await newProject('nexxo-build-watch-', {
    'index.html': `<!doctype html><html><head><link rel="icon" href="data:,"></head>
<body><p id="app"></p><script type="module" src="/src/main.ts"></script></body></html>`,
    'src/main.ts': `import { label } from './label';
document.querySelector('#app')!.textContent = \`\${label}|\${import.meta.env.NEXXO_GREETING}\`;
`,
    'src/label.ts': "export const label: string = 'first';\n",
    '.env': 'NEXXO_GREETING=hello\n',
  });
  const watch = startWatch(root);
  let server;
  try {
    await watch.waitFor(/watching for changes/);
    server = await serve(path.join(root, 'dist'));
    assert.equal(await textOf(server.url, '#app'), 'first|hello');

    // An edit: one new line, and the served page shows it.
    let mark = watch.output().length;
    await writeFile(path.join(root, 'src/label.ts'), "export const label: string = 'second';\n");
    await watch.waitFor(/rebuilt in \d+ ms \(1 file changed/, mark);
    assert.equal(await textOf(server.url, '#app'), 'second|hello');
    // The save's several events (truncate, write) gave one rebuild.
    assert.equal(watch.output().slice(mark).match(/rebuilt in/g).length, 1, watch.output().slice(mark));

    // A syntax error: reported with file, line, column and frame; the process goes on and the
    // previous output is still what is served.
    mark = watch.output().length;
    await writeFile(path.join(root, 'src/label.ts'), "export const label: string = 'broken;\n");
    await watch.waitFor(/rebuild failed with 1 error/, mark);
    const report = watch.output().slice(mark);
    assert.match(report, /src\/label\.ts:1:\d+/);
    assert.match(report, /export const label: string = 'broken;/);
    assert.equal(watch.child.exitCode, null, 'nexxo must keep watching after an error');
    assert.equal(await textOf(server.url, '#app'), 'second|hello');

    // The fix rebuilds and the page shows it.
    mark = watch.output().length;
    // Saved the way many editors do: a temporary file renamed over the original.
    await atomicEdit(root, 'src/label.ts', "'broken;", "'fixed';");
    await watch.waitFor(/rebuilt in \d+ ms/, mark);
    assert.equal(await textOf(server.url, '#app'), 'fixed|hello');

    // `.env` is read again: the new value reaches the code.
    mark = watch.output().length;
    await writeFile(path.join(root, '.env'), 'NEXXO_GREETING=bonjour\n');
    await watch.waitFor(/rebuilt in \d+ ms/, mark);
    assert.equal(await textOf(server.url, '#app'), 'fixed|bonjour');
    // Nothing else changed, so no further rebuild follows on its own (the build's own writes
    // to dist/ and the cache are not changes).
    const settled = watch.output().length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.doesNotMatch(watch.output().slice(settled), /rebuilt|failed/);

    // Ctrl-C: status 0, the output in place, no staging folder left beside it.
    watch.child.kill('SIGINT');
    const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), 10_000));
    const exit = await Promise.race([watch.exited, timeout]);
    assert.deepEqual(exit, { code: 0, signal: null }, watch.output());
    assert.match(watch.output(), /stopped watching/);
    const leftovers = (await readdir(root)).filter((name) => name.includes('nexxo-staging'));
    assert.deepEqual(leftovers, []);
    assert.ok(existsSync(path.join(root, 'dist/index.html')));
  } finally {
    await server?.close();
    if (watch.child.exitCode === null) watch.child.kill('SIGKILL');
  }
});

test('build.watch in the config watches like --watch, and SIGTERM stops it with status 0', async () => {
  const root = await newProject('nexxo-build-watch-config-', {
    'index.html': '<!doctype html><p id="app"></p><script type="module" src="/src/main.ts"></script>',
    'src/main.ts': "document.querySelector('#app')!.textContent = 'one';\n",
    'nexxo.config.json': '{ "build": { "watch": { "buildDelay": 50 } } }\n',
  });
  const child = spawn(nexxoBin, ['build', root], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  try {
    const until = async (pattern) => {
      const deadline = Date.now() + 30_000;
      while (!pattern.test(output)) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no ${pattern}:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    await until(/watching for changes/);
    await writeFile(path.join(root, 'src/main.ts'), "document.querySelector('#app')!.textContent = 'two';\n");
    await until(/rebuilt in \d+ ms/);
    const assets = await readdir(path.join(root, 'dist/assets'));
    const code = await Promise.all(assets.map((name) => readFile(path.join(root, 'dist/assets', name), 'utf8')));
    assert.ok(code.some((text) => text.includes('two')), code.join('\n'));
    child.kill('SIGTERM');
    assert.deepEqual(await exited, { code: 0, signal: null }, output);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('build.input: pages in subfolders and a script entry', async () => {
  const root = await newProject('nexxo-build-input-', {
    // Not in build.input, so not built (as in Vite).
    'index.html': '<!doctype html><p>not an entry</p>',
    'pages/shop/index.html': `<!doctype html><html><head><link rel="icon" href="data:,"></head>
<body><p id="app"></p><script type="module" src="./shop.ts"></script></body></html>`,
    'pages/shop/shop.ts': "import { brand } from '../../src/brand';\ndocument.querySelector('#app')!.textContent = `shop of ${brand}`;\n",
    'pages/blog/post.html': `<!doctype html><html><head><link rel="icon" href="data:,"></head>
<body><p id="app"></p><script type="module" src="/src/blog.ts"></script></body></html>`,
    'src/blog.ts': "import { brand } from './brand';\ndocument.querySelector('#app')!.textContent = `blog of ${brand}`;\n",
    'src/brand.ts': "export const brand = 'nexxo';\n",
    'src/worker.ts': "self.postMessage('worker entry ran');\n",
    'nexxo.config.json': JSON.stringify({
      build: { input: { shop: 'pages/shop/index.html', blog: 'pages/blog/post.html', 'background-worker': 'src/worker.ts' } },
    }),
  });
  buildOrThrow(root);
  const dist = path.join(root, 'dist');
  assert.ok(!existsSync(path.join(dist, 'index.html')), 'index.html must not be built when build.input leaves it out');
  const server = await serve(dist);
  try {
    assert.equal(await textOf(`${server.url}pages/shop/`, '#app'), 'shop of nexxo');
    assert.equal(await textOf(`${server.url}pages/blog/post.html`, '#app'), 'blog of nexxo');
  } finally {
    await server.close();
  }
  const assets = await readdir(path.join(dist, 'assets'));
  // The object form's keys name the entry chunks, pages' included (as in Vite).
  assert.ok(assets.some((name) => /^shop-[\w-]+\.js$/.test(name)), assets.join(', '));
  assert.ok(assets.some((name) => /^blog-[\w-]+\.js$/.test(name)), assets.join(', '));
  const worker = assets.find((name) => /^background-worker-[\w-]+\.js$/.test(name));
  assert.ok(worker, `no background-worker-<hash>.js among ${assets.join(', ')}`);
  assert.match(await readFile(path.join(dist, 'assets', worker), 'utf8'), /worker entry ran/);
});

test('build.input naming a missing file fails with the key', async () => {
  const root = await newProject('nexxo-build-input-missing-', {
    'index.html': '<!doctype html><p>home</p>',
    'nexxo.config.json': '{ "build": { "input": { "main": "index.html", "admin": "admin/index.html" } } }\n',
  });
  const result = nexxo(['build', root]);
  assert.equal(result.status, 1, result.stdout + result.stderr);
  assert.match(result.stderr, /build\.input\.admin: `admin\/index\.html` does not exist/);
  assert.ok(!existsSync(path.join(root, 'dist')));
});
