// The file system as a sandboxed plugin (or config) sees it above the project root.
//
// Why: many packages look for their config file in every folder from a file up to the file
// system's root (cosmiconfig in @svgr/core, find-up, browserslist, postcss-load-config...), and
// Node's callback `fs.realpath` lstat's every folder of a path from `/` down. In the sandbox,
// those folders above the root are denied, and a denied `stat('/tmp')` fails the plugin where the
// same plugin under Vite would find "no config there". So, for a denied read of a folder above
// the root or of a file directly in one (or in its `.config`), plugins get "no such file" (ENOENT): the lookup goes on
// and nothing outside the project is read. Any other denied path (another folder's files,
// `~/.ssh`, `/etc`) keeps Node's access error, which names the plugin and the config key.

let sandboxRoot = null;

// Whether `path` is a folder above the root, a file directly in one, or in its `.config` folder
// (cosmiconfig's second place).
function isAboveRoot(path) {
  if (sandboxRoot === null) return false;
  let absolute;
  try {
    absolute = resolve(path instanceof URL ? fileURLToPath(path) : Buffer.isBuffer(path) ? path.toString() : String(path));
  } catch {
    return false;
  }
  const holdsRoot = (folder) => folder !== sandboxRoot && sandboxRoot.startsWith(folder.endsWith('/') ? folder : `${folder}/`);
  const folder = dirname(absolute);
  return holdsRoot(absolute) || holdsRoot(folder) || (basename(folder) === '.config' && holdsRoot(dirname(folder)));
}

function hiddenAboveRoot(error, syscall, path) {
  if (error?.code !== 'ERR_ACCESS_DENIED' || !isAboveRoot(path)) return null;
  const missing = new Error(`ENOENT: no such file or directory, ${syscall} '${String(path)}'`);
  Object.assign(missing, { code: 'ENOENT', errno: -2, syscall, path: String(path) });
  return missing;
}

function wrapSync(target, name, syscall) {
  const original = target[name];
  target[name] = function (path, ...rest) {
    try {
      return original.call(this, path, ...rest);
    } catch (error) {
      const missing = hiddenAboveRoot(error, syscall, path);
      if (!missing) throw error;
      // `statSync(path, { throwIfNoEntry: false })` answers a missing file with undefined.
      if (rest[0]?.throwIfNoEntry === false) return undefined;
      throw missing;
    }
  };
}

function wrapCallback(target, name, syscall) {
  const original = target[name];
  const wrapped = function (path, ...rest) {
    const callback = rest.at(-1);
    if (typeof callback !== 'function') return original.call(this, path, ...rest);
    const answer = (error, ...results) => callback(error ? hiddenAboveRoot(error, syscall, path) ?? error : error, ...results);
    try {
      return original.call(this, path, ...rest.slice(0, -1), answer);
    } catch (error) {
      const missing = hiddenAboveRoot(error, syscall, path);
      if (!missing) throw error;
      process.nextTick(callback, missing);
    }
  };
  Object.assign(wrapped, original);
  target[name] = wrapped;
}

function wrapPromise(target, name, syscall) {
  const original = target[name];
  target[name] = async function (path, ...rest) {
    try {
      return await original.call(this, path, ...rest);
    } catch (error) {
      throw hiddenAboveRoot(error, syscall, path) ?? error;
    }
  };
}

// Installs the view once per process, for the project at `root`.
function hideFoldersAboveRoot(root) {
  if (sandboxRoot !== null || !root) return;
  sandboxRoot = resolve(root);
  for (const [name, syscall] of [['stat', 'stat'], ['lstat', 'lstat'], ['access', 'access'], ['readFile', 'open'], ['open', 'open'], ['readdir', 'scandir'], ['opendir', 'opendir']]) {
    wrapSync(fsModule, `${name}Sync`, syscall);
    wrapCallback(fsModule, name, syscall);
    wrapPromise(fsModule.promises, name, syscall);
  }
  // Node's JavaScript `realpath` lstat's every folder from `/`; the native one asks the kernel
  // for the whole path at once, which the sandbox allows for a path inside the project.
  const realpath = fsModule.realpath;
  const nativeRealpath = realpath.native;
  fsModule.realpath = Object.assign(function (path, ...rest) {
    const callback = rest.at(-1);
    if (typeof callback !== 'function') return realpath.call(this, path, ...rest);
    return realpath.call(this, path, ...rest.slice(0, -1), (error, result) => {
      if (error?.code === 'ERR_ACCESS_DENIED') nativeRealpath(path, ...rest.slice(0, -1), callback);
      else callback(error, result);
    });
  }, realpath);
  const realpathSync = fsModule.realpathSync;
  fsModule.realpathSync = Object.assign(function (path, ...rest) {
    try {
      return realpathSync.call(this, path, ...rest);
    } catch (error) {
      if (error?.code !== 'ERR_ACCESS_DENIED') throw error;
      return realpathSync.native(path, ...rest);
    }
  }, realpathSync);
  // `import { statSync } from 'node:fs'` in plugins sees the wrapped functions too.
  Module.syncBuiltinESMExports();
}
