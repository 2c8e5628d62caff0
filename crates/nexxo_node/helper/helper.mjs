// Nexxo's Node.js helper: runs JS compilers (Vue, Svelte, Solid, PostCSS, ...) for the Rust side.
//
// Protocol, both directions over stdin/stdout: a 4-byte little-endian length, then that many
// bytes of UTF-8 JSON. Requests are `{ id, task, root, ...args }`; replies are
// `{ id, ok: true, result }` or `{ id, ok: false, error: { message, file?, line?, column?,
// missingPackage? } }`. Requests are handled concurrently and a failing task never ends the
// process. Node built-ins only: this script is embedded in the nexxo binary.
//
// Layout: the helper is one ES module made by concatenating files in a fixed order (see
// `src/helper.rs`): this core (protocol, package loading, error normalization, the `tasks`
// table), then `tasks/*.mjs` (one per framework: vue, svelte, solid, postcss, tailwind), each
// adding entries to `tasks` and using the core's helpers, then `main.mjs`, which starts reading
// stdin once every task is registered. All files share one module scope, so only this core
// imports Node built-ins and top-level names must not repeat across files.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import fsModule, { existsSync, readFileSync, statSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { basename, dirname, extname, isAbsolute, join, posix as posixPath, relative, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';

// The oldest Node this script runs on (Object.hasOwn and friends need 16.9; 18 is the oldest
// still-maintained line). The Rust side turns this exact line into "install Node.js 18+".
const MIN_NODE_MAJOR = 18;
if (Number(process.versions.node.split('.')[0]) < MIN_NODE_MAJOR) {
  process.stderr.write(`NEXXO_NODE_TOO_OLD ${process.versions.node} ${MIN_NODE_MAJOR}\n`);
  process.exit(3);
}

// Compilers may log; anything they print must not corrupt the reply stream, so console output
// (which goes through process.stdout.write) is sent to stderr and replies use the saved writer.
const writeReply = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr);

function send(message) {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const header = Buffer.alloc(4);
  header.writeUInt32LE(body.length, 0);
  writeReply(Buffer.concat([header, body]));
}

// A question to the Rust side while request `requestId` runs (a plugin's `this.resolve`): a
// `{ callbackOf, callback, method, args }` frame, answered by `{ callbackReply, ok, result }`.
const pendingCallbacks = new Map();
let nextCallback = 0;
function callRust(requestId, method, args) {
  const callback = ++nextCallback;
  return new Promise((resolvePromise, rejectPromise) => {
    pendingCallbacks.set(callback, { resolvePromise, rejectPromise });
    send({ callbackOf: requestId, callback, method, args });
  });
}

function answerCallback(reply) {
  const pending = pendingCallbacks.get(reply.callbackReply);
  if (!pending) return;
  pendingCallbacks.delete(reply.callbackReply);
  if (reply.ok) pending.resolvePromise(reply.result ?? null);
  else pending.rejectPromise(new Error(reply.error ?? 'the callback failed'));
}

const requires = new Map();
function requireFrom(root) {
  let require = requires.get(root);
  if (!require) {
    require = createRequire(join(root, 'package.json'));
    requires.set(root, require);
  }
  return require;
}

class MissingPackage extends Error {
  constructor(name, root) {
    super(`Cannot find package '${name}' from ${root}`);
    this.missingPackage = name;
  }
}

function isNotFound(error) {
  return error && (error.code === 'MODULE_NOT_FOUND' || error.code === 'ERR_MODULE_NOT_FOUND');
}

// Resolving is done first and on its own so that only the package itself being absent counts as
// "missing"; a missing file inside an installed package is that package's error. `missingName`
// is what the user is told to install when `name` is a path inside it (`svelte/compiler`).
function resolvePackage(root, name, missingName = name) {
  try {
    return requireFrom(root).resolve(name);
  } catch (error) {
    if (isNotFound(error)) throw new MissingPackage(missingName, root);
    throw error;
  }
}

const modules = new Map();
async function loadPackage(root, name, missingName = name) {
  const key = `${root}\0${name}`;
  if (!modules.has(key)) {
    const path = resolvePackage(root, name, missingName);
    let loaded;
    try {
      loaded = requireFrom(root)(name);
    } catch (error) {
      // ES-only packages cannot be required on Node 20; import them by their resolved file.
      if (error && error.code === 'ERR_REQUIRE_ESM') loaded = await import(pathToFileURL(path).href);
      else throw error;
    }
    modules.set(key, loaded);
  }
  return modules.get(key);
}

// Loads the first of `names` installed in `root`; when none is, the user is told to install
// `missingName` (the package they add to their project, which may differ from the one loaded).
async function loadFirstPackage(root, names, missingName) {
  for (const name of names) {
    try {
      return await loadPackage(root, name);
    } catch (error) {
      if (!(error instanceof MissingPackage)) throw error;
    }
  }
  throw new MissingPackage(missingName, root);
}

// The folder of package `name` as resolved from `fromDir`, or null. `exports` may hide
// package.json, so the folder is found from the resolved entry when that is not requirable.
function packageDir(fromDir, name) {
  try {
    return dirname(requireFrom(fromDir).resolve(`${name}/package.json`));
  } catch {
    try {
      const entry = requireFrom(fromDir).resolve(name);
      const marker = join('node_modules', name);
      const at = entry.lastIndexOf(marker);
      return at < 0 ? null : entry.slice(0, at + marker.length);
    } catch {
      return null;
    }
  }
}

// A loaded module's main value: the default export of an ES module (imported, or required on a
// Node that can require ES modules) or of transpiled CommonJS, else the module itself.
function interopDefault(loaded) {
  const isNamespace = loaded && (loaded[Symbol.toStringTag] === 'Module' || loaded.__esModule);
  return isNamespace && loaded.default !== undefined ? loaded.default : loaded;
}

function packageVersion(root, name) {
  const dir = packageDir(root, name);
  if (!dir) return null;
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version ?? null;
  } catch {
    return null;
  }
}

// A task failure whose location is already normalized: `file` absolute, `line` and `column`
// 1-based, all in the file the user edits. Tasks convert each compiler's own error shape to this.
class TaskError extends Error {
  constructor(message, { file, line, column } = {}) {
    super(message);
    if (typeof file === 'string') this.file = file;
    if (Number.isInteger(line) && line > 0) this.line = line;
    if (Number.isInteger(column) && column > 0) this.column = column;
  }
}

// Errors already meant for the user pass through a task's own normalization unchanged.
function isNormalized(error) {
  return error instanceof TaskError || error instanceof MissingPackage;
}

// 1-based line and column of a 0-based character offset in `source`.
function positionAt(source, offset) {
  const before = source.slice(0, Math.max(0, Math.min(offset, source.length)));
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: before.length - lineStart + 1 };
}

// Some compilers (Vue's script compiler) only give a location inside a code frame:
// `  2  |  code` followed by `     |    ^^^`. The first marked line is the error's position.
function locationFromCodeFrame(text) {
  const lines = String(text).split('\n');
  for (let i = 1; i < lines.length; i++) {
    const marker = /^(\s*\|\s?)(\s*)\^/.exec(lines[i]);
    const numbered = /^\s*>?\s*(\d+)\s*\|/.exec(lines[i - 1]);
    if (marker && numbered) {
      return { line: Number(numbered[1]), column: marker[2].length + 1 };
    }
  }
  return {};
}

// The first line of a compiler message, without the tool prefix or code frame that the Rust
// side's own diagnostic replaces.
function firstLine(message) {
  return String(message ?? '').split('\n')[0].trim();
}

// A short stable key for comparing compiler inputs across requests.
function hashKey(...parts) {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

// Source maps cross the protocol as JSON text (or null), whatever shape the compiler gives.
function mapToJson(map) {
  if (map === null || map === undefined) return null;
  return typeof map === 'string' ? map : JSON.stringify(map);
}

function stripAnsi(text) {
  // eslint-disable-next-line no-control-regex
  return String(text).replace(/\x1b\[[0-9;]*m/g, '');
}

const tasks = {
  version({ root, packages = [] }) {
    const versions = {};
    for (const name of packages) versions[name] = root ? packageVersion(root, name) : null;
    return { node: process.versions.node, packages: versions };
  },

  async call({ root, package: name, export: exportName, args = [] }) {
    const loaded = await loadPackage(root, name);
    const fn = exportName === 'default' ? (loaded.default ?? loaded) : (loaded[exportName] ?? loaded.default?.[exportName]);
    if (typeof fn !== 'function') {
      throw new Error(`Package '${name}' has no exported function '${exportName}'`);
    }
    return await fn(...args);
  },
};

// Tasks normalize their compiler's errors to `TaskError` (or `MissingPackage`); anything else is
// passed on with whatever location fields it carries (PostCSS `file/line/column` are 1-based).
function errorReply(error) {
  if (!(error instanceof Error)) return { message: String(error) };
  const reply = { message: error.message || String(error) };
  if (error.missingPackage) {
    reply.missingPackage = error.missingPackage;
    return reply;
  }
  if (error instanceof TaskError) {
    for (const key of ['file', 'line', 'column']) if (error[key] !== undefined) reply[key] = error[key];
    return reply;
  }
  const loc = error.loc ?? error.start ?? {};
  const file = error.file ?? error.filename ?? error.id ?? loc.file;
  const line = error.line ?? loc.line;
  const column = error.column ?? loc.column;
  if (typeof file === 'string') reply.file = file;
  if (Number.isInteger(line)) reply.line = line;
  if (Number.isInteger(column)) reply.column = column;
  return reply;
}

async function handle(request) {
  const { id } = request;
  try {
    const task = Object.hasOwn(tasks, request.task) ? tasks[request.task] : undefined;
    if (!task) throw new Error(`Unknown task '${request.task}'`);
    const result = await task(request);
    send({ id, ok: true, result: result === undefined ? null : result });
  } catch (error) {
    send({ id, ok: false, error: errorReply(error) });
  }
}

