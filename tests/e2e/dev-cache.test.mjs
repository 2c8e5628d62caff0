// The dev server's persistent cache: a restarted `nexxo dev` serves the React example without
// compiling any module again (told by its JSON events) and the page renders; `nexxo build`
// runs beside a running dev server (separate cache stores).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot, sharedBrowser, openPage, copyProject, startDev, nexxo } from './harness.mjs';

const browser = sharedBrowser();

async function renderOnce(root) {
  const dev = await startDev(root, ['--log-format', 'json']);
  try {
    const { page, problems } = await openPage(browser(), dev.url);
    await page.waitForSelector('#counter');
    await page.click('#counter');
    assert.equal(await page.textContent('#counter'), 'count is 1');
    assert.deepEqual(problems, []);
    await page.close();
    return { dev, events: dev.events().filter((e) => e.event === 'module') };
  } finally {
    await dev.stop();
  }
}

test('a restarted dev server compiles no module again and the app renders', async () => {
  const root = await copyProject(path.join(repoRoot, 'examples/react-ts'));
  // The cache stores no compile of a file saved within a few milliseconds of the compile's
  // start (its output could be of the older content); a user never starts that fast after a
  // save, the test would.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const first = await renderOnce(root);
  const firstMisses = first.events.filter((e) => e.cache === 'miss');
  assert.ok(firstMisses.length >= 5, `the first start compiles the app: ${JSON.stringify(first.events)}`);

  const second = await renderOnce(root);
  const misses = second.events.filter((e) => e.cache === 'miss');
  const hits = second.events.filter((e) => e.cache === 'hit');
  assert.deepEqual(misses, [], 'no module compiled on the second start');
  assert.ok(hits.length >= firstMisses.length, `every module came from the cache: ${hits.length}`);
});

test('nexxo build succeeds while nexxo dev runs on the same project', async () => {
  const root = await copyProject(path.join(repoRoot, 'examples/react-ts'));
  const dev = await startDev(root);
  try {
    const { page } = await openPage(browser(), dev.url);
    await page.waitForSelector('#counter');
    const build = nexxo(['build', root]);
    assert.equal(build.status, 0, build.stderr);
    assert.doesNotMatch(build.stderr, /cache/, 'no cache warning: the stores are separate');
    await page.reload();
    await page.waitForSelector('#counter');
    await page.close();
  } finally {
    await dev.stop();
  }
});

test('dev servers killed while they write the cache leave it serving the right code', async () => {
  const { readFile, writeFile } = await import('node:fs/promises');
  const root = await copyProject(path.join(repoRoot, 'examples/react-ts'));
  const app = path.join(root, 'src/App.tsx');
  const original = await readFile(app, 'utf8');
  for (let round = 0; round < 4; round++) {
    await writeFile(app, original.replace('Nexxo + React', `Killed round ${round}`));
    const dev = await startDev(root, ['--log-format', 'json']);
    // The page request compiles every module and writes them to the cache; kill -9 the
    // server at a different moment of that each round.
    const request = fetch(dev.url).then((r) => r.text()).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 15 * round));
    await dev.stop('SIGKILL');
    await request;
  }
  await writeFile(app, original.replace('Nexxo + React', 'After the kills'));
  const dev = await startDev(root, ['--log-format', 'json']);
  try {
    const { page, problems } = await openPage(browser(), dev.url);
    await page.waitForSelector('#counter');
    assert.equal(await page.textContent('h1'), 'After the kills');
    await page.click('#counter');
    assert.equal(await page.textContent('#counter'), 'count is 1');
    assert.deepEqual(problems, []);
    await page.close();
    const modules = dev.events().filter((e) => e.event === 'module');
    const app = modules.find((e) => e.id === '/src/App.tsx');
    assert.equal(app?.cache, 'miss', 'the edited module is compiled again');
  } finally {
    await dev.stop();
  }
});
