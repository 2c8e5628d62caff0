// `nexxo dev` on a vanilla TypeScript app written by the test: `<link>`ed CSS updates and
// errors, `import.meta.hot.accept(dep, cb)`, public/, JSON, `?raw`, env files, SPA fallback,
// `/@fs/` URLs, and the safety rules (path traversal, symlinks, secrets, foreign Host and
// Origin). Then `--base`, a multi-page app, and `nexxo preview`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import os from 'node:os';
import http from 'node:http';
import { mkdtemp, mkdir, writeFile, symlink, readFile, realpath } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { sharedBrowser, openPage, startDev, startPreview, buildOrThrow, copyProject, repoRoot, rawGet, writeProject } from './harness.mjs';

const browser = sharedBrowser();
let root;
let outside;
let moduleStore;
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
  // Secrets the server must never hand out, although they sit in the root.
  '.env.local': 'LOCAL_SECRET=local-leak\n',
  '.git/config': '[core]\n\trepositoryformatversion = 0\n',
  'certs/dev.pem': '-----BEGIN PRIVATE KEY-----\n',
  // A path browsers percent-encode.
  'src/my dir/café.txt': 'encoded-ok\n',
};

before(async () => {
  root = await writeProject('nexxo-dev-server-', files);
  const dir = path.dirname(root);
  outside = path.join(dir, 'outside-secret.txt');
  await writeFile(outside, 'TOP-SECRET');
  await symlink(outside, path.join(root, 'src/leak.txt'));
  // `node_modules` linked from elsewhere (as copyProject and pnpm do): its files are served.
  moduleStore = path.join(dir, 'module-store');
  await mkdir(path.join(moduleStore, 'pkg'), { recursive: true });
  await writeFile(path.join(moduleStore, 'pkg/asset.txt'), 'package-asset-ok\n');
  await symlink(moduleStore, path.join(root, 'node_modules'));
  dev = await startDev(root);
});
after(async () => {
  await dev?.stop();
});


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

test('/@fs/ URLs are decoded; a symlinked root node_modules is served from', async () => {
  const file = path.join(await realpath(root), 'src/my dir/café.txt');
  const encoded = await rawGet(dev.port, `/@fs${encodeURI(file)}`);
  assert.equal(encoded.status, 200, `/@fs${encodeURI(file)}`);
  assert.equal(encoded.body, 'encoded-ok\n');
  const asset = `/@fs${await realpath(moduleStore)}/pkg/asset.txt`;
  const fromPackage = await rawGet(dev.port, asset);
  assert.equal(fromPackage.status, 200, asset);
  assert.equal(fromPackage.body, 'package-asset-ok\n');
  // Decoding happens before the `..` check.
  const escape = await rawGet(dev.port, `/@fs${encodeURI(path.dirname(file))}/%2e%2e/%2e%2e/%2e%2e/outside-secret.txt`);
  assert.ok([403, 404].includes(escape.status), `answered ${escape.status}`);
  assert.doesNotMatch(escape.body, /TOP-SECRET/);
});

test('.env files, .git and keys in the root are refused on every route', async () => {
  const realRoot = await realpath(root);
  const attempts = [
    '/.env',
    '/.env.local',
    '/%2Eenv',
    '/.ENV',
    '/.git/config',
    '/.git/',
    '/certs/dev.pem',
    `/@fs${realRoot}/.env`,
    `/@fs${realRoot}/.git/config`,
    '/@nexxo/lazy.js?id=%2F.env%3Fraw',
    '/@nexxo/lazy.js?id=%2F.env.local%3Fraw',
    '/@nexxo/lazy.js?id=%2F.git%2Fconfig%3Fraw',
    `/@nexxo/lazy.js?id=${encodeURIComponent(`/@fs${realRoot}/certs/dev.pem?raw`)}`,
  ];
  for (const attempt of attempts) {
    for (const accept of ['*/*', 'text/html']) {
      const response = await rawGet(dev.port, attempt, { accept });
      // 403 (404 for names that only differ in case on a case-sensitive file system), never
      // the file and never the SPA page in its place.
      assert.ok([403, 404].includes(response.status), `${attempt} (${accept}) answered ${response.status}`);
      assert.doesNotMatch(response.body, /do-not-leak|local-leak|repositoryformatversion|PRIVATE KEY|@nexxo/, attempt);
    }
  }
  for (const attempt of ['/.env', '/.env.local', '/.git/config', '/certs/dev.pem']) {
    assert.equal((await rawGet(dev.port, attempt)).status, 403, attempt);
  }
});

test('client routes may contain colons; a drive letter is still refused', async () => {
  const route = await rawGet(dev.port, '/t/12:30', { accept: 'text/html' });
  assert.equal(route.status, 200);
  assert.match(route.body, /@nexxo\/client\.js/);
  assert.equal((await rawGet(dev.port, '/C:/Windows/win.ini')).status, 403);
});

test('a broken <link>ed stylesheet shows the overlay; the fix clears it without a reload', async () => {
  const { page } = await openPage(browser(), dev.url);
  await page.waitForFunction(() => document.querySelector('#app').textContent.length > 0);
  await page.evaluate(() => (window.__marker = 'kept'));
  await writeFile(path.join(root, 'src/page.css'), 'body { background-color: rgb(0, 0, 128);\n');
  await page.waitForSelector('nexxo-error-overlay', { state: 'attached' });
  await writeFile(path.join(root, 'src/page.css'), 'body { background-color: rgb(0, 0, 128); }\n');
  await page.waitForSelector('nexxo-error-overlay', { state: 'detached' });
  await page.waitForFunction(() => getComputedStyle(document.body).backgroundColor === 'rgb(0, 0, 128)');
  assert.equal(await page.evaluate(() => window.__marker), 'kept');
  await page.close();
});

test('a foreign Host or WebSocket Origin is refused', async () => {
  const rebinding = await rawGet(dev.port, '/', { host: 'evil.example.com' });
  assert.equal(rebinding.status, 403);
  assert.doesNotMatch(rebinding.body, /@nexxo/);
  assert.equal((await rawGet(dev.port, '/', { host: `localhost:${dev.port}` })).status, 200);

  const upgrade = (origin, host = `127.0.0.1:${dev.port}`) =>
    new Promise((resolve, reject) => {
      const request = http.request({
        host: '127.0.0.1',
        port: dev.port,
        path: '/@nexxo/ws',
        headers: {
          host,
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
  // IP literals and loopback pages on other ports are other sites too: the Origin must be the
  // server the request was sent to.
  assert.equal(await upgrade('http://203.0.113.5'), 403);
  assert.equal(await upgrade(`http://203.0.113.5:${dev.port}`), 403);
  assert.equal(await upgrade(`http://127.0.0.1:${dev.port + 1}`), 403);
  assert.equal(await upgrade('http://localhost:3000', `localhost:${dev.port}`), 403);
  assert.equal(await upgrade('null'), 403);
  assert.equal(await upgrade(`http://127.0.0.1:${dev.port}`), 101);
  assert.equal(await upgrade(`http://localhost:${dev.port}`, `localhost:${dev.port}`), 101);
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

test('with --base /app/ the page\'s root-absolute URLs are served under base', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nexxo-dev-base-'));
  const svg = (color) =>
    `<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8" fill="${color}"/></svg>`;
  const project = {
    'index.html': `<!doctype html>
<html><head><title>based</title><link rel="icon" href="/favicon.svg"><link rel="stylesheet" href="/src/page.css"></head>
<body><div id="app"></div><img id="logo" src="/logo.svg" alt=""><script type="module" src="/src/main.ts"></script></body></html>`,
    'src/page.css': 'body { background-color: rgb(0, 0, 255); }\n',
    'src/main.ts': "document.querySelector('#app')!.textContent = `based:${import.meta.env.BASE_URL}`;\n",
    'logo.svg': svg('red'),
    'public/favicon.svg': svg('blue'),
  };
  for (const [name, content] of Object.entries(project)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  const based = await startDev(dir, ['--base', '/app/']);
  try {
    const { page, problems } = await openPage(browser(), `${based.url}app/`);
    await page.waitForFunction(() => document.querySelector('#app').textContent === 'based:/app/');
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(0, 0, 255)');
    await page.waitForFunction(() => {
      const logo = document.querySelector('#logo');
      return logo.complete && logo.naturalWidth === 8;
    });
    assert.equal(await page.getAttribute('link[rel="icon"]', 'href'), '/app/favicon.svg');
    // The rewritten <link> still gets CSS-only updates.
    await writeFile(path.join(dir, 'src/page.css'), 'body { background-color: rgb(0, 128, 0); }\n');
    await page.waitForFunction(() => getComputedStyle(document.body).backgroundColor === 'rgb(0, 128, 0)');
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await based.stop();
  }
});

test('multi-page: /about serves about/index.html and /contact contact.html before the SPA fallback', async () => {
  const project = await copyProject(path.join(repoRoot, 'tests/fixtures/multi-page'));
  await writeFile(
    path.join(project, 'contact.html'),
    `<!doctype html><html><head><title>Contact page</title></head>
<body><h1 id="page">contact</h1><p id="shared"></p><script type="module" src="/src/about.ts"></script></body></html>`,
  );
  // The fixture has no icon: without one, Chromium's own /favicon.ico request is a 404 in the
  // console that says nothing about the pages.
  await mkdir(path.join(project, 'public'), { recursive: true });
  await writeFile(path.join(project, 'public/favicon.ico'), '');
  const multi = await startDev(project);
  try {
    const title = async (route) => {
      const response = await rawGet(multi.port, route, { accept: 'text/html' });
      assert.equal(response.status, 200, route);
      return /<title>([^<]*)<\/title>/.exec(response.body)?.[1];
    };
    assert.equal(await title('/about'), 'About page');
    assert.equal(await title('/about/'), 'About page');
    assert.equal(await title('/contact'), 'Contact page');
    assert.equal(await title('/no/such/page'), 'Home page');
    const { page, problems } = await openPage(browser(), `${multi.url}about`);
    await page.waitForFunction(() => document.querySelector('#shared').textContent.length > 0);
    assert.equal(await page.textContent('#page'), 'about');
    assert.equal(await page.textContent('#shared'), 'shared module on [about]');
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await multi.stop();
  }
});

test('nexxo preview serves dist/ compressed, with cache headers and the SPA fallback', async () => {
  buildOrThrow(root);
  const preview = await startPreview(root);
  const { port } = preview;
  try {
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
    await preview.stop();
  }
});
