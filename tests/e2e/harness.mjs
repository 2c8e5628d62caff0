// Shared helpers for the browser tests: run the nexxo binary, serve a folder on 127.0.0.1,
// and drive Debian's Chromium through playwright-core.
import { spawnSync } from 'node:child_process';
import { createServer, request as httpRequest } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(repoRoot, 'target');
export const nexxoBin = process.env.NEXXO_BIN ?? path.join(targetDir, 'debug', 'nexxo');

/** Runs `nexxo <args>`; returns status, stdout and stderr. */
export function nexxo(args, { cwd = repoRoot, env = {} } = {}) {
  if (!existsSync(nexxoBin)) {
    throw new Error(`nexxo binary not found at ${nexxoBin}: build it first (cargo build) or set NEXXO_BIN`);
  }
  const result = spawnSync(nexxoBin, args, {
    cwd,
    env: { ...process.env, NO_COLOR: '1', ...env },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Builds a project and fails with nexxo's output when the build fails. */
export function buildOrThrow(root, args = [], env = {}) {
  const result = nexxo(['build', root, ...args], { env });
  if (result.status !== 0) {
    throw new Error(`nexxo build ${root} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

/**
 * Serves `dir` on 127.0.0.1 under `base` (like a static host would serve dist/), with
 * `folder/` → `folder/index.html`. Records every request path.
 */
export async function serve(dir, { base = '/' } = {}) {
  const requests = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    requests.push(url.pathname);
    let pathname = decodeURIComponent(url.pathname);
    if (!pathname.startsWith(base)) {
      res.writeHead(404).end('outside base');
      return;
    }
    pathname = pathname.slice(base.length);
    if (pathname === '' || pathname.endsWith('/')) pathname += 'index.html';
    const file = path.join(dir, pathname);
    if (!file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      // Browsers ask for /favicon.ico on their own; pages without an icon are not broken.
      if (url.pathname === '/favicon.ico') res.writeHead(204).end();
      else res.writeHead(404).end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}${base}`,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Opens `url` in a new page and records page errors and failed requests. */
export async function openPage(browser, url) {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  await page.goto(url);
  return { page, problems };
}

/** Launches one Chromium for the test file (closed after it); returns a getter for it. */
export function sharedBrowser() {
  let browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });
  return () => browser;
}

/**
 * Builds `root` once for the test file and serves its dist/ under `base` (stopped after the
 * file); returns a getter for the server.
 */
export function builtApp(root, { args = [], env = {}, base = '/' } = {}) {
  let server;
  before(async () => {
    buildOrThrow(root, args, env);
    server = await serve(path.join(root, 'dist'), { base });
  });
  after(async () => {
    await server?.close();
  });
  return () => server;
}

/**
 * Copies a project to a fresh temporary folder so a test can edit its files; `node_modules`
 * is linked, not copied: the project's own, or else the nearest one above it (the fixtures
 * under tests/ use tests/node_modules), so the copy resolves packages as the original does.
 */
export async function copyProject(source) {
  const { mkdtemp, cp, symlink } = await import('node:fs/promises');
  const os = await import('node:os');
  const target = await mkdtemp(path.join(os.tmpdir(), 'nexxo-dev-'));
  await cp(source, target, {
    recursive: true,
    filter: (file) => !/[\\/](node_modules|dist)$/.test(file),
  });
  const nodeModules = nearestNodeModules(source);
  if (nodeModules) await symlink(nodeModules, path.join(target, 'node_modules'));
  return target;
}

/**
 * `dir/node_modules` or that of the closest ancestor of `dir` that has one with packages in it
 * (a `node_modules` holding only Nexxo's cache folder, `.nexxo`, does not count).
 */
function nearestNodeModules(dir) {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const candidate = path.join(current, 'node_modules');
    if (existsSync(candidate) && readdirSync(candidate).some((name) => !name.startsWith('.'))) return candidate;
    if (path.dirname(current) === current) return null;
  }
}

/**
 * Starts `nexxo dev <root>` on a free port of 127.0.0.1 and waits until it prints its URL;
 * `env` adds variables to the server's environment. Returns the URL, the output so far, and
 * `stop()`.
 */
export function startDev(root, args = [], { env = {} } = {}) {
  return startServer('dev', root, args, env);
}

/** Starts `nexxo preview <root>` (serving its built dist/) like [`startDev`]. */
export function startPreview(root, args = [], { env = {} } = {}) {
  return startServer('preview', root, args, env);
}

async function startServer(command, root, args, env) {
  const { spawn } = await import('node:child_process');
  if (!existsSync(nexxoBin)) throw new Error(`nexxo binary not found at ${nexxoBin}`);
  const child = spawn(nexxoBin, [command, root, '--port', '0', ...args], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nexxo ${command} did not start:\n${output}`)), 60_000);
    const check = () => {
      // Human output prints the URL; `--log-format json` a "ready" event with the port.
      const match = /Local:\s+http:\/\/localhost:(\d+)/.exec(output) || /"port":(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on('data', check);
    child.on('exit', (code) => reject(new Error(`nexxo ${command} exited with ${code}:\n${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    output: () => output,
    /** JSON events printed so far (with `--log-format json`). */
    events: () =>
      output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line)),
    /** Stops the server: SIGTERM (a clean shutdown) unless another signal is given. */
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.on('exit', resolve);
        child.kill(signal);
      }),
  };
}

/**
 * Replaces `from` with `to` in `root/file` the way editors save (write a temporary file, then
 * rename it over the original), so tests exercise the watcher's atomic-save path.
 */
export async function atomicEdit(root, file, from, to) {
  const { readFile, writeFile, rename } = await import('node:fs/promises');
  const assert = (await import('node:assert/strict')).default;
  const full = path.join(root, file);
  const text = await readFile(full, 'utf8');
  assert.ok(text.includes(from), `${file} should contain ${from}`);
  const temporary = `${full}.nexxo-test~`;
  await writeFile(temporary, text.replace(from, to));
  await rename(temporary, full);
}

/**
 * A raw GET to 127.0.0.1:`port`: the path is sent exactly as written (fetch would normalise
 * `..`), with no fetch metadata unless `headers` has some.
 */
export function rawGet(port, requestPath, headers = {}) {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path: requestPath, headers }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode, body, headers: response.headers }));
    });
    request.on('error', reject);
    request.end();
  });
}

/**
 * Writes `files` (path → text) into a new project folder under the system's temp folder and
 * returns its path; `prefix` names the temp folder.
 */
export async function writeProject(prefix, files) {
  const { mkdtemp, mkdir, writeFile } = await import('node:fs/promises');
  const os = await import('node:os');
  const root = path.join(await mkdtemp(path.join(os.tmpdir(), prefix)), 'app');
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), content);
  }
  return root;
}
