// `nexxo dev` on a vanilla TypeScript app written by the test: `<link>`ed CSS updates,
// `import.meta.hot.accept(dep, cb)`, public/, JSON, `?raw`, env files, SPA fallback, and the
// safety rules (path traversal, symlinks, foreign Host and Origin). Then `nexxo preview`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import os from 'node:os';
import http from 'node:http';
import { mkdtemp, mkdir, writeFile, symlink, readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { sharedBrowser, openPage, startDev, buildOrThrow, nexxoBin } from './harness.mjs';

const browser = sharedBrowser();
let root;
let outside;
let dev;

const files = {
  'index.html': `<!doctype html>
<html><head><title>vanilla</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/src/page.css"></head>
<body><div id="app"></div><p id="dep"></p><script type="module" src="/src/main.ts"></script></body></html>`,
  'src/page.css': 'body { background-color: rgb(255, 255, 255); }\n',
  'src/main.ts': `import data from './data.json';
import notes from './notes.txt?raw';
import { label } from './label';
const app = document.querySelector('#app')!;
app.textContent = \`\${data.name}|\${notes.trim()}|\${import.meta.env.NEXXO_GREETING}\`;
document.querySelector('#dep')!.textContent = label;
if (import.meta.hot) {
  import.meta.hot.accept('./label', (next) => {
    document.querySelector('#dep')!.textContent = next!.label;
  });
}
`,
  'src/label.ts': "export const label: string = 'first';\n",
  'src/data.json': '{ "name": "json-ok" }\n',
  'src/notes.txt': 'raw-ok\n',
  'public/robots.txt': 'public-ok\n',
  '.env': 'NEXXO_GREETING=hello\nSECRET=do-not-leak\n',
};

before(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nexxo-dev-server-'));
  root = path.join(dir, 'app');
  outside = path.join(dir, 'outside-secret.txt');
  await writeFile(outside, 'TOP-SECRET');
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), content);
  }
  await symlink(outside, path.join(root, 'src/leak.txt'));
  dev = await startDev(root);
});
after(async () => {
  await dev?.stop();
});

/** A raw GET, so paths are sent exactly as written (fetch would normalise `..`). */
function rawGet(port, requestPath, headers = {}) {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path: requestPath, headers }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode, body, headers: response.headers }));
    });
    request.on('error', reject);
    request.end();
  });
}

test('JSON, ?raw, env, public/ and linked CSS work; linked CSS and accepted deps update in place', async () => {
  const { page, problems } = await openPage(browser(), dev.url);
  await page.waitForFunction(() => document.querySelector('#app').textContent.length > 0);
  assert.equal(await page.textContent('#app'), 'json-ok|raw-ok|hello');
  assert.equal((await rawGet(dev.port, '/robots.txt')).body, 'public-ok\n');
  await page.evaluate(() => (window.__marker = 'kept'));

  await writeFile(path.join(root, 'src/page.css'), 'body { background-color: rgb(0, 128, 0); }\n');
  await page.waitForFunction(() => getComputedStyle(document.body).backgroundColor === 'rgb(0, 128, 0)');

  await writeFile(path.join(root, 'src/label.ts'), "export const label: string = 'second';\n");
  await page.waitForFunction(() => document.querySelector('#dep').textContent === 'second');
  assert.equal(await page.evaluate(() => window.__marker), 'kept');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a stylesheet no longer imported is removed from the page', async () => {
  await writeFile(path.join(root, 'src/extra.css'), '#dep { color: rgb(0, 0, 255); }\n');
  await writeFile(path.join(root, 'src/label.ts'), "import './extra.css';\nexport const label: string = 'styled';\n");
  const { page, problems } = await openPage(browser(), dev.url);
  const color = () => page.evaluate(() => getComputedStyle(document.querySelector('#dep')).color);
  await page.waitForFunction(() => document.querySelector('#dep').textContent === 'styled');
  assert.equal(await color(), 'rgb(0, 0, 255)');
  await writeFile(path.join(root, 'src/label.ts'), "export const label: string = 'plain';\n");
  await page.waitForFunction(() => document.querySelector('#dep').textContent === 'plain');
  await page.waitForFunction(() => getComputedStyle(document.querySelector('#dep')).color !== 'rgb(0, 0, 255)');
  assert.deepEqual(problems, []);
  await page.close();
});

test('unknown routes get index.html; env values without the prefix stay out of the page', async () => {
  const spa = await rawGet(dev.port, '/some/client/route', { accept: 'text/html' });
  assert.equal(spa.status, 200);
  assert.match(spa.body, /@nexxo\/client\.js/);
  const pageScriptUrl = /<script src="([^"]*@nexxo\/page[^"]*)"/.exec(spa.body)[1];
  const pageScript = await rawGet(dev.port, pageScriptUrl);
  assert.match(pageScript.body, /hello/);
  assert.doesNotMatch(pageScript.body, /do-not-leak/);
});

test('path traversal, absolute paths and symlinks out of the root serve nothing', async () => {
  const attempts = [
    '/../outside-secret.txt',
    '/src/../../outside-secret.txt',
    '/%2e%2e/outside-secret.txt',
    '/src/%2E%2E/%2e%2e/outside-secret.txt',
    '/..%2foutside-secret.txt',
    `/@fs${outside}`,
    `/@fs${path.dirname(outside)}/app/../outside-secret.txt`,
    '//etc/passwd',
    '/@fs/etc/passwd',
    '/src/leak.txt',
    // The lazy-chunk route compiles the module named in its query: it must check it too.
    '/@nexxo/lazy.js?id=/@fs/etc/passwd%3Fraw',
    `/@nexxo/lazy.js?id=${encodeURIComponent(`/@fs${outside}?raw`)}`,
    '/@nexxo/lazy.js?id=/src/notes.txt%3Fraw&page=/@fs/etc/passwd',
  ];
  for (const attempt of attempts) {
    const response = await rawGet(dev.port, attempt);
    assert.ok([403, 404].includes(response.status), `${attempt} answered ${response.status}`);
    assert.doesNotMatch(response.body, /TOP-SECRET|root:x:0/, attempt);
  }
  // The same file through an allowed path is served, so the refusals above are not accidents.
  assert.equal((await rawGet(dev.port, '/src/notes.txt')).body, 'raw-ok\n');
});

test('a foreign Host or WebSocket Origin is refused', async () => {
  const rebinding = await rawGet(dev.port, '/', { host: 'evil.example.com' });
  assert.equal(rebinding.status, 403);
  assert.doesNotMatch(rebinding.body, /@nexxo/);
  assert.equal((await rawGet(dev.port, '/', { host: `localhost:${dev.port}` })).status, 200);

  const upgrade = (origin) =>
    new Promise((resolve, reject) => {
      const request = http.request({
        host: '127.0.0.1',
        port: dev.port,
        path: '/@nexxo/ws',
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
          origin,
        },
      });
      request.on('upgrade', (response, socket) => {
        socket.destroy();
        resolve(response.statusCode);
      });
      request.on('response', (response) => resolve(response.statusCode));
      request.on('error', reject);
      request.end();
    });
  assert.equal(await upgrade('http://evil.example.com'), 403);
  assert.equal(await upgrade(`http://localhost:${dev.port}`), 101);
});

test('editing index.html or .env reloads the page with the new content', async () => {
  const { page } = await openPage(browser(), dev.url);
  await page.waitForFunction(() => document.querySelector('#app').textContent.includes('hello'));
  let load = page.waitForEvent('load');
  const html = await readFile(path.join(root, 'index.html'), 'utf8');
  await writeFile(path.join(root, 'index.html'), html.replace('<title>vanilla</title>', '<title>edited</title>'));
  await load;
  await page.waitForFunction(() => document.title === 'edited');

  load = page.waitForEvent('load');
  await writeFile(path.join(root, '.env'), 'NEXXO_GREETING=bonjour\n');
  await load;
  await page.waitForFunction(() => document.querySelector('#app').textContent.endsWith('bonjour'));
  await page.close();
});

test('nexxo preview serves dist/ compressed, with cache headers and the SPA fallback', async () => {
  buildOrThrow(root);
  const { spawn } = await import('node:child_process');
  const child = spawn(nexxoBin, ['preview', root, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  try {
    const port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`preview did not start: ${output}`)), 30_000);
      child.stdout.on('data', () => {
        const match = /localhost:(\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
    });
    const index = await rawGet(port, '/deep/link', { accept: 'text/html' });
    assert.equal(index.status, 200);
    const script = /src="([^"]+\.js)"/.exec(index.body)[1];
    assert.equal(index.headers['cache-control'], 'no-cache');
    const asset = await new Promise((resolve) => {
      http.get({ host: '127.0.0.1', port, path: script, headers: { 'accept-encoding': 'gzip' } }, (response) => {
        const chunks = [];
        response.on('data', (c) => chunks.push(c));
        response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
      });
    });
    assert.equal(asset.headers['content-encoding'], 'gzip');
    assert.match(asset.headers['content-type'], /javascript/);
    assert.match(asset.headers['cache-control'], /immutable/);
    assert.match(gunzipSync(asset.body).toString(), /json-ok/);
    // A hashed file that does not exist is a 404, not index.html cached for a year.
    const missing = await rawGet(port, script.replace(/[^/]+\.js$/, 'gone-0000.js'));
    assert.equal(missing.status, 404);
    assert.doesNotMatch(missing.headers['cache-control'] ?? '', /immutable/);
    assert.equal((await rawGet(port, '/', { host: 'evil.example.com' })).status, 403);
    const { page, problems } = await openPage(browser(), `http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => document.querySelector('#app').textContent === 'json-ok|raw-ok|bonjour');
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    child.kill('SIGTERM');
  }
});
