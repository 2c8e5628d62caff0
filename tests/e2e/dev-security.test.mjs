// What other sites' pages and odd requests get from `nexxo dev` and `nexxo preview`:
// - a page on another local port (a "hostile site") that defines its own `window.__nexxo` and
//   includes the dev server's scripts gets none of the project's code, even knowing the token;
// - requests without fetch metadata need the server's token in code URLs, which only the
//   server's own pages carry, while the page, public/ files, assets and the client stay public;
// - a request with two Host headers is a 400;
// - `nexxo preview` serves no dotfile and no symlink leading out of dist, and answers a
//   traversal attempt exactly as a missing hashed file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import http from 'node:http';
import net from 'node:net';
import { mkdir, writeFile, symlink, readdir, realpath } from 'node:fs/promises';
import { sharedBrowser, openPage, startDev, startPreview, buildOrThrow, rawGet, writeProject } from './harness.mjs';

const browser = sharedBrowser();
let root;
let outside;
let dev;

const PRIVATE = 'PRIVATE-NOTES-7f3a';
const files = {
  'index.html': `<!doctype html>
<html><head><title>app</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/src/page.css"></head>
<body><div id="app"></div><p id="lazy"></p><img id="logo" src="/src/logo.svg" alt="">
<script type="module" src="/src/main.ts"></script></body></html>`,
  'src/page.css': 'body { color: rgb(1, 2, 3); }\n',
  'src/main.ts': `import notes from './notes.txt?raw';
document.querySelector('#app')!.textContent = notes.includes('${PRIVATE}') ? 'app-ok' : 'no notes';
import('./lazy').then((lazy) => {
  document.querySelector('#lazy')!.textContent = lazy.label;
});
`,
  'src/lazy.ts': "export const label: string = 'lazy-ok';\n",
  'src/notes.txt': `${PRIVATE}\n`,
  'src/logo.svg': '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>',
  'public/robots.txt': 'public-ok\n',
};

before(async () => {
  root = await writeProject('nexxo-dev-security-', files);
  outside = path.join(path.dirname(root), 'outside-secret.txt');
  await writeFile(outside, 'TOP-SECRET');
  dev = await startDev(root);
});
after(async () => {
  await dev?.stop();
});


/** The script URLs the dev server's page embeds, and its token. */
async function pageUrls() {
  const html = (await rawGet(dev.port, '/', { accept: 'text/html' })).body;
  const src = (pattern) => new RegExp(`<script src="([^"]*${pattern}[^"]*)"`).exec(html)[1];
  const client = src('@nexxo/client\\.js');
  const token = new URL(client, dev.url).searchParams.get('token');
  assert.match(token, /^[0-9a-f]{32}$/);
  return { token, client, deps: src('@nexxo/deps\\.js'), page: src('@nexxo/page') };
}

const lazyRaw = (token) => `/@nexxo/lazy.js?id=${encodeURIComponent('/src/notes.txt?raw')}${token ? `&token=${token}` : ''}`;

test('the app works in dev: page script, lazy import, stylesheet and image, all with their tokens', async () => {
  const { page, problems } = await openPage(browser(), dev.url);
  await page.waitForFunction(() => document.querySelector('#lazy').textContent === 'lazy-ok');
  assert.equal(await page.textContent('#app'), 'app-ok');
  assert.equal(await page.evaluate(() => getComputedStyle(document.body).color), 'rgb(1, 2, 3)');
  await page.waitForFunction(() => document.querySelector('#logo').naturalWidth === 8);
  // The page's own origin can load a lazy script by hand, so the refusals below are not due to
  // how the test asks.
  const { token } = await pageUrls();
  const defined = await page.evaluate(async (url) => {
    const ids = [];
    const define = window.__nexxo.define;
    window.__nexxo.define = (id, ...rest) => {
      ids.push(id);
      return define(id, ...rest);
    };
    await new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = url;
      script.onload = resolve;
      script.onerror = reject;
      document.head.append(script);
    });
    return ids;
  }, lazyRaw(token));
  assert.deepEqual(defined, ['/src/notes.txt?raw']);
  assert.deepEqual(problems, []);
  await page.close();
});

test("another site's page cannot read the project's code through script tags", async () => {
  const urls = await pageUrls();
  const devOrigin = `http://127.0.0.1:${dev.port}`;
  // With the token too, as if it had leaked: the browser's Sec-Fetch-Site alone must stop these.
  const targets = [
    lazyRaw(''),
    lazyRaw(urls.token),
    `/@nexxo/lazy.js?id=%2Fsrc%2Fmain.ts&token=${urls.token}`,
    `/@nexxo/lazy.js.map?id=%2Fsrc%2Fmain.ts&token=${urls.token}`,
    urls.page,
    urls.page.replace(/\?/, '.map?'),
    urls.deps,
    '/src/main.ts',
    '/src/page.css',
  ];
  // An asset (Vite's list has .txt): served to other sites, but as text/plain with nosniff, so
  // the browser will not run it as a script.
  const asset = '/src/notes.txt';
  const hostile = http.createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html><html><head><link rel="icon" href="data:,"><script>
  window.received = [];
  window.settled = [];
  window.__nexxo = {
    define: (id, specifiers, flags, factory) => received.push(id + ' ' + String(factory)),
    start: (options) => received.push('start ' + JSON.stringify(options)),
    fail: (error) => received.push('fail ' + JSON.stringify(error)),
    reload: () => received.push('reload'),
    updateStyle: (id, css) => received.push('style ' + css),
    removeStyle: () => {},
  };
</script>
${[...targets, asset]
  .map((url) => `<script src="${devOrigin}${url}" onload="settled.push('load')" onerror="settled.push('error')"></script>`)
  .join('\n')}
<link rel="stylesheet" href="${devOrigin}/src/page.css" onload="settled.push('css')" onerror="settled.push('css error')">
</head><body><p id="probe">probe</p></body></html>`);
  });
  await new Promise((resolve) => hostile.listen(0, '127.0.0.1', resolve));
  try {
    const page = await browser().newPage();
    const answers = new Map();
    page.on('response', (response) => {
      if (response.url().startsWith(devOrigin)) answers.set(response.url(), response.status());
    });
    await page.goto(`http://127.0.0.1:${hostile.address().port}/`);
    await page.waitForFunction((count) => window.settled.length === count, targets.length + 2);
    assert.deepEqual(await page.evaluate(() => window.received), [], 'no definition reached the other site');
    assert.ok(
      (await page.evaluate(() => window.settled)).every((state) => state.includes('error')),
      'every script and the stylesheet failed to load',
    );
    assert.notEqual(
      await page.evaluate(() => getComputedStyle(document.querySelector('#probe')).color),
      'rgb(1, 2, 3)',
      "the project's stylesheet did not apply",
    );
    // Refused by the dev server itself, not only by a browser rule.
    for (const url of targets) assert.equal(answers.get(`${devOrigin}${url}`), 403, url);
    await page.close();
  } finally {
    hostile.closeAllConnections();
    await new Promise((resolve) => hostile.close(resolve));
  }
});

test('code URLs need the token when a client sends no fetch metadata; pages, public/ files, assets and the client stay public', async () => {
  const { token, client, deps, page } = await pageUrls();
  const other = '0'.repeat(32);
  const codeUrls = [lazyRaw(token), deps, page, page.replace(/\?/, '.map?'), `/@nexxo/lazy.js.map?id=%2Fsrc%2Fmain.ts&token=${token}`];
  for (const url of codeUrls) {
    const withoutToken = url.replace(/&?token=[0-9a-f]+/, '');
    for (const attempt of [withoutToken, url.replace(token, other), url.replace(token, token.slice(0, 31))]) {
      const refused = await rawGet(dev.port, attempt);
      assert.equal(refused.status, 403, attempt);
      assert.doesNotMatch(refused.body, /__nexxo|PRIVATE-NOTES|sections/, attempt);
    }
    assert.equal((await rawGet(dev.port, url)).status, 200, url);
    for (const site of ['same-origin', 'none']) {
      assert.equal((await rawGet(dev.port, url, { 'sec-fetch-site': site })).status, 200, `${url} ${site}`);
    }
    for (const site of ['same-site', 'cross-site']) {
      assert.equal((await rawGet(dev.port, url, { 'sec-fetch-site': site })).status, 403, `${url} ${site}`);
    }
  }
  assert.match((await rawGet(dev.port, lazyRaw(token))).body, new RegExp(PRIVATE));
  // The page's script URLs carry the token; its source map URL too.
  const pageScript = (await rawGet(dev.port, page)).body;
  const mapUrl = /\/\/# sourceMappingURL=(\S+)/.exec(pageScript)[1];
  assert.equal(new URL(mapUrl, dev.url).searchParams.get('token'), token);
  assert.equal((await rawGet(dev.port, mapUrl)).status, 200);

  // Project files other than assets are for the server's own pages only.
  const crossSite = { 'sec-fetch-site': 'cross-site' };
  const realRoot = await realpath(root);
  for (const file of ['/src/main.ts', '/src/page.css', '/src/lazy.ts', `/@fs${realRoot}/src/main.ts`]) {
    assert.equal((await rawGet(dev.port, file, crossSite)).status, 403, file);
    assert.equal((await rawGet(dev.port, file, { 'sec-fetch-site': 'same-origin' })).status, 200, file);
  }
  // Not to be run as a script or applied as a stylesheet on a guessed type.
  const text = await rawGet(dev.port, '/src/notes.txt', crossSite);
  assert.equal(text.headers['x-content-type-options'], 'nosniff');
  assert.match(text.headers['content-type'], /^text\/plain/);
  // Public: pages (links from other sites), public/, assets, the client runtime.
  const navigation = { ...crossSite, 'sec-fetch-mode': 'navigate', accept: 'text/html' };
  for (const [url, headers] of [
    ['/', navigation],
    ['/some/route', navigation],
    ['/robots.txt', crossSite],
    ['/src/logo.svg', crossSite],
    [client.replace(/\?.*/, ''), crossSite],
  ]) {
    const answer = await rawGet(dev.port, url, headers);
    assert.equal(answer.status, 200, url);
    assert.doesNotMatch(answer.body, new RegExp(PRIVATE), url);
  }
});

/** Sends `request` as is over TCP and returns the status line's code. */
function rawStatus(port, request) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk;
      const match = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      if (match) {
        resolve(Number(match[1]));
        socket.destroy();
      }
    });
    socket.on('error', reject);
    socket.on('end', () => reject(new Error(`no status line: ${answer}`)));
  });
}

async function assertOneHostRule(port) {
  const get = (...hosts) =>
    rawStatus(port, `GET / HTTP/1.1\r\n${hosts.map((host) => `Host: ${host}\r\n`).join('')}Accept: text/html\r\nConnection: close\r\n\r\n`);
  assert.equal(await get(`127.0.0.1:${port}`), 200);
  assert.equal(await get(`127.0.0.1:${port}`, 'evil.example.com'), 400);
  assert.equal(await get('evil.example.com', `127.0.0.1:${port}`), 400);
  assert.equal(await get(`127.0.0.1:${port}`, `127.0.0.1:${port}`), 400);
  assert.equal(await get('evil.example.com'), 403);
}

test('a request with two Host headers gets 400 from the dev server', async () => {
  await assertOneHostRule(dev.port);
});

test('nexxo preview: no dotfiles, no symlinks out, one 404 for traversal and missing hashed files, SPA fallback', async () => {
  buildOrThrow(root);
  const dist = path.join(root, 'dist');
  // Files that reach outDir by accident (a copied public/ folder, a tool's state).
  await writeFile(path.join(dist, '.env'), 'SECRET=dist-leak\n');
  await mkdir(path.join(dist, '.git'), { recursive: true });
  await writeFile(path.join(dist, '.git/config'), '[core]\n');
  await symlink(outside, path.join(dist, 'leak.txt'));
  await symlink(path.dirname(outside), path.join(dist, 'up'));
  const assets = await readdir(path.join(dist, 'assets'));
  const script = assets.find((name) => name.endsWith('.js'));
  assert.ok(script, `a built script in ${assets}`);

  const preview = await startPreview(root);
  const { port } = preview;
  try {
    const html = { accept: 'text/html' };
    const missing = await rawGet(port, '/assets/index-00000000.js', html);
    assert.equal(missing.status, 404);
    const refusedPaths = [
      '/assets/..%2f..%2fetc%2fpasswd',
      '/assets/%2e%2e/%2e%2e/outside-secret.txt',
      '/..%2foutside-secret.txt',
      '/%2e%2e/outside-secret.txt',
      '/a%5c..%5c..%5coutside-secret.txt',
      '/index.html%00',
      '/.env',
      '/%2Eenv',
      '/.git/config',
      '/leak.txt',
      '/up/outside-secret.txt',
      '/up/app/index.html',
    ];
    for (const attempt of refusedPaths) {
      const answer = await rawGet(port, attempt, html);
      assert.deepEqual(
        { status: answer.status, body: answer.body, type: answer.headers['content-type'], cache: answer.headers['cache-control'] },
        { status: missing.status, body: missing.body, type: missing.headers['content-type'], cache: missing.headers['cache-control'] },
        attempt,
      );
      assert.doesNotMatch(answer.body, /TOP-SECRET|dist-leak|root:x:0|<html/i, attempt);
    }
    const spa = await rawGet(port, '/deep/client/route', html);
    assert.equal(spa.status, 200);
    assert.match(spa.body, /<title>app<\/title>/);
    const asset = await rawGet(port, `/assets/${script}`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers['cache-control'], /immutable/);
    assert.match(asset.headers['content-type'], /javascript/);
    await assertOneHostRule(port);
  } finally {
    await preview.stop();
  }
});
