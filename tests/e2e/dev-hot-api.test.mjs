// `import.meta.hot` in a real `nexxo dev` + Chromium, on tests/fixtures/hot-api (copied to a
// temporary folder so edits stay there): `data` and `dispose`, `invalidate`, `on`/`off`,
// `hot?.accept()`, updates that must not run modules this tab never loaded, a lazy route
// retried after a compile error, and a page whose WebSocket cannot connect.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { repoRoot, sharedBrowser, openPage, copyProject, startDev, atomicEdit } from './harness.mjs';

const browser = sharedBrowser();
let root;
let dev;

before(async () => {
  root = await copyProject(path.join(repoRoot, 'tests/fixtures/hot-api'));
  dev = await startDev(root);
});
after(async () => {
  await dev?.stop();
});

/** Edits a file of the copied project (an atomic save, as editors do). */
const edit = (file, from, to) => atomicEdit(root, file, from, to);

/** Opens the app (at `url`) and marks the window: the mark survives hot updates, not reloads. */
async function openApp(url = dev.url) {
  const opened = await openPage(browser(), url);
  await opened.page.waitForFunction(() => document.querySelector('#state')?.textContent !== '');
  await opened.page.evaluate(() => (window.__nexxoTestMarker = 'kept'));
  return opened;
}

const marker = (page) => page.evaluate(() => window.__nexxoTestMarker);
const textOf = (page, selector) => page.textContent(selector);
const waitForText = (page, selector, text) =>
  page.waitForFunction(([s, t]) => document.querySelector(s)?.textContent === t, [selector, text]);

test('dispose gets hot.data, and what is stored in hot.data reaches the new instance', async () => {
  const { page, problems } = await openApp();
  assert.equal(await textOf(page, '#state'), 'state-1 run 1, disposed: none');

  await edit('src/state.ts', "'state-1'", "'state-2'");
  await waitForText(page, '#state', 'state-2 run 2, disposed: state-1');
  await edit('src/state.ts', "'state-2'", "'state-3'");
  await waitForText(page, '#state', 'state-3 run 3, disposed: state-2');
  assert.equal(
    await page.evaluate(() => window.__stateData.every((data) => data === window.__stateData[0])),
    true,
    'import.meta.hot.data is the same object in every instance',
  );
  assert.equal(await marker(page), 'kept', 'the page must not reload');
  assert.deepEqual(problems, []);
  await page.close();
});

test('invalidate() from an accepting module updates its importer', async () => {
  const { page, problems } = await openApp();
  assert.equal(await textOf(page, '#child'), 'child-1 (parent run 1)');

  // The child accepts itself but calls invalidate(): the server sends an update for its
  // importer, which accepts itself and renders the new label.
  await edit('src/child.ts', "'child-1'", "'child-2'");
  await waitForText(page, '#child', 'child-2 (parent run 2)');
  assert.equal(await marker(page), 'kept', 'the page must not reload');
  assert.deepEqual(problems, []);
  await page.close();
});

test("hot.on('vite:beforeUpdate') runs once per update, and off() removes a listener", async () => {
  const { page, problems } = await openApp();
  assert.equal(await textOf(page, '#listener-version'), '1');

  await edit('src/listener.ts', 'export const version = 1;', 'export const version = 2;');
  await waitForText(page, '#listener-version', '2');
  await edit('src/listener.ts', 'export const version = 2;', 'export const version = 3;');
  await waitForText(page, '#listener-version', '3');
  // The instance that was current when each update arrived saw it, and only that one.
  assert.equal(await textOf(page, '#before-update'), '1,2');
  assert.equal(await marker(page), 'kept', 'the page must not reload');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a module accepting through import.meta.hot?.accept() updates without a reload', async () => {
  const { page, problems } = await openApp();
  assert.equal(await textOf(page, '#optional'), 'optional-1');

  await edit('src/optional.ts', "'optional-1'", "'optional-2'");
  await waitForText(page, '#optional', 'optional-2');
  assert.equal(
    await marker(page),
    'kept',
    'the page reloaded: the server did not see import.meta.hot?.accept() as a self-accept',
  );
  assert.deepEqual(problems, []);
  await page.close();
});

test('editing a lazy route this tab never opened does not run it here', async () => {
  // Tab B opens the route (so the server compiles it); tab A does not.
  const b = await openApp();
  await b.page.click('#open-route');
  await waitForText(b.page, '#route', 'route-1 (run 1)');
  const a = await openApp();

  await edit('src/route.ts', "'route-1'", "'route-2'");
  await waitForText(b.page, '#route', 'route-2 (run 2)');
  // Tab A processed the same update (its afterUpdate listener ran) without running the route.
  await a.page.waitForFunction(() => window.__afterUpdates >= 1);
  assert.equal(await a.page.evaluate(() => window.__routeRuns), undefined, 'the route ran in tab A');
  assert.equal(await textOf(a.page, '#route'), '');
  assert.equal(await marker(a.page), 'kept', 'tab A must not reload');
  assert.equal(await marker(b.page), 'kept', 'tab B must not reload');

  // Opened later, tab A gets the edited route, run once.
  await a.page.click('#open-route');
  await waitForText(a.page, '#route', 'route-2 (run 1)');
  assert.deepEqual(a.problems, []);
  assert.deepEqual(b.problems, []);
  await a.page.close();
  await b.page.close();
});

test('a lazy route that failed to compile loads on the next import() once fixed', async () => {
  const { page } = await openApp();
  await edit('src/helper.ts', "export const helper: string = 'helper-ok';", 'export const helper: string = ;');
  await page.click('#open-broken');
  const overlay = page.locator('nexxo-error-overlay');
  await overlay.waitFor();
  assert.match(await overlay.evaluate((el) => el.shadowRoot.textContent), /src\/helper\.ts:1:\d+/);
  await page.waitForFunction(() => document.querySelector('#broken-status').textContent.startsWith('failed'));

  await edit('src/helper.ts', 'export const helper: string = ;', "export const helper: string = 'helper-fixed';");
  await overlay.waitFor({ state: 'detached' });
  await page.click('#open-broken');
  await waitForText(page, '#broken-status', 'loaded');
  assert.equal(await textOf(page, '#broken'), 'helper-fixed');
  assert.equal(await marker(page), 'kept', 'the page must not reload');
  await page.close();
});

test('a page whose WebSocket cannot connect warns once and does not reload', async () => {
  // A proxy that forwards HTTP but refuses WebSocket upgrades, as many do by default.
  let upgrades = 0;
  const clientScriptRequests = [];
  const proxy = http.createServer((request, response) => {
    if (request.url.includes('@nexxo/client.js')) clientScriptRequests.push(request.method);
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: dev.port,
        path: request.url,
        method: request.method,
        headers: { ...request.headers, host: `127.0.0.1:${dev.port}` },
      },
      (answer) => {
        response.writeHead(answer.statusCode, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => response.writeHead(502).end());
    request.pipe(upstream);
  });
  proxy.on('upgrade', (_request, socket) => {
    upgrades += 1;
    socket.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  try {
    const page = await browser().newPage();
    let loads = 0;
    page.on('load', () => (loads += 1));
    const warning = page.waitForEvent('console', {
      predicate: (message) => message.type() === 'warning' && message.text().includes('hot updates are off'),
    });
    await page.goto(`http://127.0.0.1:${proxy.address().port}/`);
    await page.waitForFunction(() => document.querySelector('#state')?.textContent !== '');
    await page.evaluate(() => (window.__nexxoTestMarker = 'kept'));
    await warning;
    // The old client reloaded about half a second after the socket closed; give it time to.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.equal(await marker(page), 'kept', 'the page must not reload');
    assert.equal(loads, 1);
    assert.equal(upgrades, 1, 'one connection attempt, no retry loop');
    assert.deepEqual(clientScriptRequests, ['GET'], 'no polling of the dev server');
    assert.match(await textOf(page, '#state'), /^state-\d run 1, disposed: none$/, 'the app itself works');
    await page.close();
  } finally {
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
  }
});
