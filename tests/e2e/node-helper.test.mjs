// Nexxo starts Node.js only for what needs a Node compiler (Vue, Svelte, Solid, PostCSS): with
// NEXXO_NODE pointing at a fake `node` that leaves a marker file, a React app builds and runs in
// dev without the marker ever appearing, while a Vue app does run the fake (so this test can
// fail) and fails with an error that says Node.js did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, sharedBrowser, openPage, copyProject, startDev, nexxo } from './harness.mjs';

const browser = sharedBrowser();
const FAKE_OUTPUT = 'fake node refuses to run';

/** A fake `node` that leaves a marker file, prints one line and fails; one per test. */
async function makeFakeNode() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nexxo-fake-node-'));
  const marker = path.join(dir, 'node-was-started');
  const node = path.join(dir, 'node');
  await writeFile(node, `#!/bin/sh\ntouch '${marker}'\necho '${FAKE_OUTPUT}' >&2\nexit 1\n`);
  await chmod(node, 0o755);
  return { node, started: () => existsSync(marker) };
}

/** A copy of `source` with a cache of its own, so the build compiles instead of restoring. */
async function freshCopy(source) {
  const root = await copyProject(source);
  await writeFile(path.join(root, 'nexxo.config.json'), '{ "cacheDir": ".nexxo-cache" }\n');
  return root;
}

test('a React app builds and runs in nexxo dev without starting Node', async () => {
  const root = await freshCopy(path.join(repoRoot, 'examples/react-ts'));
  const fake = await makeFakeNode();
  const env = { NEXXO_NODE: fake.node };
  const result = nexxo(['build', root], { env });
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  assert.equal(fake.started(), false, 'the build must not start Node');

  const dev = await startDev(root, [], { env });
  try {
    const { page, problems } = await openPage(browser(), dev.url);
    await page.waitForSelector('#counter');
    await page.click('#counter');
    assert.equal(await page.textContent('#counter'), 'count is 1');
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await dev.stop();
  }
  assert.equal(fake.started(), false, 'nexxo dev must not start Node');
});

test('a Vue app does start the configured Node, and its failure is reported clearly', async () => {
  const root = await freshCopy(path.join(repoRoot, 'tests/fixtures/vue-features'));
  const fake = await makeFakeNode();
  const result = nexxo(['build', root], { env: { NEXXO_NODE: fake.node } });
  assert.notEqual(result.status, 0, 'the build cannot compile .vue files without Node');
  assert.equal(fake.started(), true, 'the fake node was started');
  assert.match(result.stderr, /Node\.js/);
  assert.ok(result.stderr.includes(FAKE_OUTPUT), `Node's own output is shown:\n${result.stderr}`);
  assert.doesNotMatch(result.stderr, /internal error|panicked/);
});
