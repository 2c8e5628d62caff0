// Nexxo's Node.js helper: runs JS compilers (Vue, Svelte, Solid, PostCSS, ...) for the Rust side.
//
// Protocol, both directions over stdin/stdout: a 4-byte little-endian length, then that many
// bytes of UTF-8 JSON. Requests are `{ id, task, root, ...args }`; replies are
// `{ id, ok: true, result }` or `{ id, ok: false, error: { message, file?, line?, column?,
// missingPackage? } }`. Requests are handled concurrently and a failing task never ends the
// process. Node built-ins only: this script is embedded in the nexxo binary.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

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
// "missing"; a missing file inside an installed package is that package's error.
function resolvePackage(root, name) {
  try {
    return requireFrom(root).resolve(name);
  } catch (error) {
    if (isNotFound(error)) throw new MissingPackage(name, root);
    throw error;
  }
}

const modules = new Map();
async function loadPackage(root, name) {
  const key = `${root}\0${name}`;
  if (!modules.has(key)) {
    const path = resolvePackage(root, name);
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

function packageVersion(root, name) {
  try {
    return requireFrom(root)(`${name}/package.json`).version ?? null;
  } catch {
    // `exports` may hide package.json: find the package folder from its resolved entry instead.
    try {
      const entry = requireFrom(root).resolve(name);
      const marker = `${join('node_modules', name)}`;
      const at = entry.lastIndexOf(marker);
      if (at < 0) return null;
      const dir = entry.slice(0, at + marker.length);
      return createRequire(join(dir, 'package.json'))('./package.json').version ?? null;
    } catch {
      return null;
    }
  }
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

// Compilers report locations in different shapes: PostCSS `file/line/column`, Svelte
// `filename` + `start`, Babel and Vue `loc`. They are passed on as the compiler gives them.
function errorReply(error) {
  if (!(error instanceof Error)) return { message: String(error) };
  const reply = { message: error.message || String(error) };
  const loc = error.loc ?? error.start ?? {};
  const file = error.file ?? error.filename ?? error.id ?? loc.file;
  const line = error.line ?? loc.line;
  const column = error.column ?? loc.column;
  if (typeof file === 'string') reply.file = file;
  if (Number.isInteger(line)) reply.line = line;
  if (Number.isInteger(column)) reply.column = column;
  if (error.missingPackage) reply.missingPackage = error.missingPackage;
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

let pending = Buffer.alloc(0);
process.stdin.on('data', (chunk) => {
  pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
  while (pending.length >= 4) {
    const length = pending.readUInt32LE(0);
    if (pending.length < 4 + length) break;
    const body = pending.subarray(4, 4 + length).toString('utf8');
    pending = pending.subarray(4 + length);
    let request;
    try {
      request = JSON.parse(body);
    } catch (error) {
      send({ id: null, ok: false, error: { message: `Bad request: ${error.message}` } });
      continue;
    }
    handle(request);
  }
});
// The Rust side closing our stdin means it is done with us.
process.stdin.on('end', () => process.exit(0));
// A stray rejection inside a compiler must not end the helper and every request on it.
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`nexxo node helper: unhandled rejection: ${reason?.stack ?? reason}\n`);
});
