// Users' Rollup/Vite plugins from a TypeScript config (tests/fixtures/user-plugins): unmodified
// @rollup/plugin-yaml and @rollup/plugin-replace, and a `transformIndexHtml` plugin, built and
// checked in Chromium. And a hostile plugin: each escape attempt is refused with the message
// naming the plugin, the resource and the config key, and allowed once the config grants it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot, buildOrThrow, nexxo, serve, openPage, sharedBrowser, copyProject, startDev } from './harness.mjs';

const browser = sharedBrowser();

test('a TypeScript config with npm Rollup plugins and an HTML plugin builds an app that works', async () => {
  const root = await copyProject(path.join(repoRoot, 'tests/fixtures/user-plugins'));
  buildOrThrow(root);
  const server = await serve(path.join(root, 'dist'));
  try {
    const { page, problems } = await openPage(await browser(), server.url);
    await page.locator('#app').waitFor();
    assert.equal(await page.title(), 'Plugins work');
    assert.equal(await page.textContent('#app'), 'Hello from YAML (2 items, nexxo build)');
    assert.equal(await page.textContent('#marker'), 'marked untouched found');
    assert.equal(await page.textContent('#message'), 'Message from a text file');
    assert.deepEqual(problems, []);
  } finally {
    await server.close();
  }
  // `moduleParsed` saw the modules after the YAML plugin's transform; `getModuleInfo` their importers.
  const graph = JSON.parse(fs.readFileSync(path.join(root, 'dist/module-graph.json'), 'utf8'));
  assert.deepEqual(graph.parsed['src/main.js'], { exportsDefault: false, imports: 4 });
  assert.deepEqual(graph.parsed['src/data.yaml'], { exportsDefault: true, imports: 0 });
  assert.deepEqual(graph.yamlImporters, ['src/main.js']);
});

test('the same plugins run under nexxo dev', async () => {
  const root = await copyProject(path.join(repoRoot, 'tests/fixtures/user-plugins'));
  const dev = await startDev(root);
  try {
    const { page, problems } = await openPage(await browser(), dev.url);
    await page.locator('#app').waitFor();
    await page.waitForFunction(() => document.querySelector('#app').textContent.length > 0);
    assert.equal(await page.title(), 'Plugins work');
    assert.equal(await page.textContent('#app'), 'Hello from YAML (2 items, nexxo serve)');
    assert.equal(await page.textContent('#marker'), 'marked untouched found');
    // The `api` plugin's middleware answers, with connect's mount path stripped from req.url.
    await page.waitForFunction(() => document.querySelector('#api').textContent.length > 0);
    assert.equal(await page.textContent('#api'), 'from a plugin, GET /?x=1');
    assert.equal(await page.textContent('#message'), 'Message from a text file');
    // No module reads message.txt; the `message` plugin's `hotUpdate` names its virtual module.
    fs.writeFileSync(path.join(root, 'src/message.txt'), 'Edited text\n');
    await page.waitForFunction(() => document.querySelector('#message')?.textContent === 'Edited text', null, { timeout: 15000 });
    assert.deepEqual(problems, []);
  } finally {
    await dev.stop();
  }
});

/** A project whose config has one plugin running `body` in `buildStart`, with `permissions`. */
async function hostileProject(body, permissions) {
  const root = await copyProject(path.join(repoRoot, 'tests/fixtures/user-plugins'));
  fs.writeFileSync(
    path.join(root, 'nexxo.config.mjs'),
    `import fs from 'node:fs';
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
export default {
  permissions: ${JSON.stringify(permissions ?? {})},
  plugins: [{ name: 'hostile', async buildStart() { ${body} } }],
};
`,
  );
  fs.rmSync(path.join(root, 'nexxo.config.ts'));
  fs.writeFileSync(path.join(root, 'src/main.js'), "document.querySelector('#app').textContent = 'plain';\n");
  return root;
}

const denied = (result, pattern) => {
  const output = `${result.stdout}\n${result.stderr}`;
  assert.notEqual(result.status, 0, output);
  assert.match(output, /plugin 'hostile' was denied/, output);
  assert.match(output, pattern, output);
  assert.match(output, /permissions: \{ 'hostile'/, output);
};

test('a plugin cannot read outside the project until the config allows it', async () => {
  const outside = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'nexxo-secret-'));
  const secret = path.join(outside, 'id_rsa');
  fs.writeFileSync(secret, 'PRIVATE KEY');
  for (const target of ['/etc/passwd', secret, '/proc/self/environ']) {
    const root = await hostileProject(`fs.readFileSync(${JSON.stringify(target)}, 'utf8');`);
    denied(nexxo(['build', root]), new RegExp(`reading ${target.replace(/[/.]/g, '\\$&')}`));
  }
  // A symlink inside the project to the secret gives nothing either.
  const root = await hostileProject(`fs.readFileSync('link-to-secret', 'utf8');`);
  fs.symlinkSync(secret, path.join(root, 'link-to-secret'));
  assert.notEqual(nexxo(['build', root]).status, 0);
  const allowed = await hostileProject(`if (fs.readFileSync(${JSON.stringify(secret)}, 'utf8') !== 'PRIVATE KEY') throw new Error('wrong');`, {
    hostile: { read: [secret] },
  });
  buildOrThrow(allowed);
});

test('a plugin cannot read ~/.ssh or load a native addon', async () => {
  const key = path.join(os.homedir(), '.ssh', 'id_rsa');
  denied(nexxo(['build', await hostileProject(`fs.readFileSync(${JSON.stringify(key)}, 'utf8');`)]), /reading .*\.ssh\/id_rsa/);
  // Refused before the file is opened, whatever it holds: addons are never granted.
  const root = await hostileProject("createRequire(import.meta.url)('./addon.node');");
  fs.writeFileSync(path.join(root, 'addon.node'), 'not really an addon');
  const addon = nexxo(['build', root]);
  assert.notEqual(addon.status, 0);
  assert.match(`${addon.stdout}${addon.stderr}`, /plugin 'hostile' was denied loading a native addon/);
});

test('a plugin cannot write outside outDir, run programs or start workers', async () => {
  const outside = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'nexxo-write-'));
  const target = path.join(outside, 'planted.txt');
  denied(nexxo(['build', await hostileProject(`fs.writeFileSync(${JSON.stringify(target)}, 'x');`)]), /writing/);
  assert.equal(fs.existsSync(target), false);
  denied(nexxo(['build', await hostileProject(`(await import('node:child_process')).execFileSync('/bin/true');`)]), /running a program/);
  const worker = nexxo(['build', await hostileProject(`new (await import('node:worker_threads')).Worker('1', { eval: true });`)]);
  assert.notEqual(worker.status, 0);
  assert.match(`${worker.stdout}${worker.stderr}`, /plugin 'hostile' was denied starting a worker thread/);
  const binding = nexxo(['build', await hostileProject(`process.binding('fs');`)]);
  assert.notEqual(binding.status, 0);
  assert.match(`${binding.stdout}${binding.stderr}`, /plugin 'hostile' was denied/);
  buildOrThrow(await hostileProject(`fs.writeFileSync(${JSON.stringify(target)}, 'x');`, { hostile: { write: [outside] } }));
  assert.equal(fs.readFileSync(target, 'utf8'), 'x');
});

test('a plugin cannot connect to a loopback port until the config allows it', async () => {
  // In a process of its own: the builds below are run synchronously, which blocks this one.
  const server = spawn(process.execPath, ['-e', "const s = require('net').createServer((c) => c.end('hello')).listen(0, '127.0.0.1', () => console.log(s.address().port));"], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) => server.stdout.once('data', (data) => resolve(Number(String(data).trim()))));
  const connect = `await new Promise((resolve, reject) => { const s = net.connect(${port}, '127.0.0.1'); s.on('error', reject); s.on('data', () => { s.destroy(); resolve(); }); });`;
  const fetchIt = `await fetch('http://127.0.0.1:${port}/');`;
  try {
    denied(nexxo(['build', await hostileProject(connect)]), /network connection/);
    const fetched = nexxo(['build', await hostileProject(fetchIt)]);
    assert.notEqual(fetched.status, 0);
    assert.match(`${fetched.stdout}${fetched.stderr}`, /plugin 'hostile' was denied/);
    buildOrThrow(await hostileProject(connect, { hostile: { net: [`127.0.0.1:${port}`] } }));
  } finally {
    server.kill();
  }
});
