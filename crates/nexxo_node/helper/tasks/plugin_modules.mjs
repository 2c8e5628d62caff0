// The module graph of a config file and its plugins, linked here with `vm.SourceTextModule`
// instead of Node's own loader, and the `vite` module those plugins import.
//
// Why: Vite plugins import helpers from `vite` (`transformWithEsbuild`, `createFilter`,
// `normalizePath`, `defineConfig` in configs), and Vite itself cannot run in a plugin's sandbox:
// its bundler and esbuild are native addons and child processes, both denied. Node 20's only way
// to answer an import differently, loader hooks, runs them on a worker thread, which the sandbox
// denies too. So ES modules are linked here, `vite` answered with `viteModule()`; CommonJS files
// are loaded by Node's `require`, whose `require('vite')` gets the same module.
//
// Each config evaluation links a fresh graph (`ModuleGraph`), so an edited config or plugin
// file is read again when the config is reloaded.

const VITE_SPECIFIER = 'vite';
const VITE_URL = 'nexxo:vite';
// What `version` says to plugins that branch on Vite's version: the Vite whose plugin API Nexxo
// follows (object hooks with filters, `this.environment`).
const VITE_COMPAT_VERSION = '7.1.0';

const packageTypes = new Map();
// `"type"` of the package.json nearest to `folder`, as Node decides whether `.js` is ESM.
function packageType(folder) {
  if (packageTypes.has(folder)) return packageTypes.get(folder);
  let type = 'commonjs';
  const manifest = join(folder, 'package.json');
  if (existsSync(manifest)) {
    try {
      type = JSON.parse(readFileSync(manifest, 'utf8')).type === 'module' ? 'module' : 'commonjs';
    } catch {
      type = 'commonjs';
    }
  } else if (dirname(folder) !== folder) {
    type = packageType(dirname(folder));
  }
  packageTypes.set(folder, type);
  return type;
}

function moduleFormat(url) {
  if (url === VITE_URL) return 'vite';
  if (!url.startsWith('file:')) return 'native';
  const file = fileURLToPath(url);
  switch (extname(file)) {
    case '.mjs':
      return 'esm';
    case '.cjs':
      return 'cjs';
    case '.json':
      return 'json';
    case '.js':
    case '':
      return packageType(dirname(file)) === 'module' ? 'esm' : 'cjs';
    default:
      // Addons (`.node`) and anything else: Node decides, and refuses what the sandbox denies.
      return 'native';
  }
}

function resolveSpecifier(specifier, parentUrl) {
  if (specifier === VITE_SPECIFIER) return VITE_URL;
  return import.meta.resolve(specifier, parentUrl);
}

function syntheticModule(url, namespace) {
  const names = Object.keys(namespace);
  return new vm.SyntheticModule(
    names,
    function () {
      for (const name of names) this.setExport(name, namespace[name]);
    },
    { identifier: url },
  );
}

// A CommonJS module's namespace as Node gives it to ES modules: `default` is `module.exports`,
// its own keys are named exports.
function commonJsNamespace(exports) {
  const namespace = {};
  if (exports !== null && (typeof exports === 'object' || typeof exports === 'function')) {
    for (const name of Object.keys(exports)) if (name !== 'default') namespace[name] = exports[name];
  }
  namespace.default = exports;
  return namespace;
}

let requireAnswersVite = false;
// `require('vite')` from CommonJS plugins gets the same module as `import`.
function answerViteInRequire() {
  if (requireAnswersVite) return;
  requireAnswersVite = true;
  const load = Module._load;
  Module._load = function (request, ...rest) {
    if (request === VITE_SPECIFIER) return viteModule();
    return load.call(this, request, ...rest);
  };
}

class ModuleGraph {
  constructor() {
    this.modules = new Map();
    this.evaluations = new WeakMap();
    this.linker = (specifier, referencing) => this.module(resolveSpecifier(specifier, referencing.identifier));
  }

  // The module at `url`, created once per graph; `source` replaces the file's text (a config
  // whose TypeScript the Rust side stripped).
  module(url, source) {
    let module = this.modules.get(url);
    if (!module) {
      module = this.create(url, source);
      this.modules.set(url, module);
    }
    return module;
  }

  async create(url, source) {
    const format = source === undefined ? moduleFormat(url) : 'esm';
    switch (format) {
      case 'vite':
        return syntheticModule(url, viteModule());
      case 'esm': {
        const file = fileURLToPath(url);
        return new vm.SourceTextModule(source ?? readFileSync(file, 'utf8'), {
          identifier: url,
          initializeImportMeta(meta) {
            meta.url = url;
            meta.filename = file;
            meta.dirname = dirname(file);
            meta.resolve = (specifier) => resolveSpecifier(specifier, url);
          },
          importModuleDynamically: (specifier) => this.import(resolveSpecifier(specifier, url)),
        });
      }
      case 'cjs':
        answerViteInRequire();
        return syntheticModule(url, commonJsNamespace(createRequire(url)(fileURLToPath(url))));
      case 'json':
        return syntheticModule(url, { default: JSON.parse(readFileSync(fileURLToPath(url), 'utf8')) });
      default:
        return syntheticModule(url, { ...(await import(url)) });
    }
  }

  // Links and evaluates the module at `url`; its namespace.
  async import(url, source) {
    const module = await this.module(url, source);
    try {
      if (module.status === 'unlinked') await module.link(this.linker);
      // Another import of the same module is linking it: wait for that one.
      while (module.status === 'linking') await new Promise((resolvePromise) => setImmediate(resolvePromise));
      if (module.status === 'evaluating') return module.namespace;
      let evaluation = this.evaluations.get(module);
      if (!evaluation) {
        evaluation = module.evaluate();
        this.evaluations.set(module, evaluation);
      }
      await evaluation;
    } catch (error) {
      throw explainMissingViteExport(error);
    }
    return module.namespace;
  }
}

// Evaluates a config file (with `code` as its text when given) in a fresh graph.
async function importConfigModule(file, code) {
  return new ModuleGraph().import(pathToFileURL(file).href, code ?? undefined);
}

function explainMissingViteExport(error) {
  const missing = /requested module 'vite' does not provide an export named '([^']+)'/.exec(error?.message ?? '');
  if (!missing) return error;
  const explained = new TaskError(
    `a plugin imports '${missing[1]}' from 'vite', which Nexxo's 'vite' module does not offer (Vite itself cannot run in a plugin's sandbox; docs/plugins.md lists what it offers: ${Object.keys(viteModule()).join(', ')})`,
  );
  explained.stack = error.stack;
  return explained;
}

// ---- Nexxo's `vite` module ----

// The request whose hook is running, so that a Vite API call made by the hook can ask the Rust
// side (a callback of that request).
const runningHooks = new AsyncLocalStorage();

async function transformScript(name, code, filename, lang, jsx) {
  const requestId = runningHooks.getStore();
  if (requestId === undefined) {
    throw new TaskError(`${name} can only be called while a plugin hook runs in Nexxo`);
  }
  const result = await callRust(requestId, 'transformScript', { code: String(code), filename: String(filename), lang: lang ?? null, jsx });
  return { code: result.code, map: result.map ? JSON.parse(result.map) : null, warnings: [] };
}

// esbuild's `loader`; without one the file name's extension decides, as in esbuild.
function esbuildLang(loader) {
  return ['js', 'jsx', 'ts', 'tsx'].includes(loader) ? loader : undefined;
}

// Rollup's `createFilter` (@rollup/pluginutils): ids with `\0` never pass; exclude wins; no
// include means everything; globs relative to the root unless absolute or starting with `**`.
function createFilter(include, exclude, options = {}) {
  const base = options.resolve === false ? null : typeof options.resolve === 'string' ? options.resolve : activeConfig?.root ?? process.cwd();
  const list = (value) => (value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]);
  const matcher = (pattern) => {
    if (pattern instanceof RegExp) return (id) => {
      pattern.lastIndex = 0;
      return pattern.test(id);
    };
    const glob = String(pattern).replace(/\\/g, '/');
    const anchored = base === null || glob.startsWith('/') || glob.startsWith('**') ? glob : `${base.replace(/\\/g, '/')}/${glob}`;
    const regexp = globRegExp(anchored);
    return (id) => regexp.test(id);
  };
  const includes = list(include).map(matcher);
  const excludes = list(exclude).map(matcher);
  return (id) => {
    if (typeof id !== 'string' || id.includes('\0')) return false;
    const normalized = id.replace(/\\/g, '/');
    if (excludes.some((test) => test(normalized))) return false;
    return includes.length === 0 || includes.some((test) => test(normalized));
  };
}

let viteExports = null;
// What plugins (and configs) get from `import ... from 'vite'`.
function viteModule() {
  if (viteExports) return viteExports;
  const logger = {
    info: (message) => process.stderr.write(`${message}\n`),
    warn: (message) => process.stderr.write(`${message}\n`),
    warnOnce: (message) => process.stderr.write(`${message}\n`),
    error: (message) => process.stderr.write(`${message}\n`),
    clearScreen() {},
    hasErrorLogged: () => false,
    hasWarned: false,
  };
  viteExports = {
    version: VITE_COMPAT_VERSION,
    defineConfig: (config) => config,
    mergeConfig: (defaults, overrides) => mergeConfig(defaults, overrides),
    normalizePath: (id) => posixPath.normalize(String(id).replace(/\\/g, '/')),
    createFilter,
    createLogger: () => logger,
    searchForWorkspaceRoot: (current) => current,
    isCSSRequest: (request) => /\.(css|less|sass|scss|styl|stylus|pcss|postcss|sss)(?:$|\?)/.test(request),
    // Vite 8's: `{ lang, jsx: { runtime, importSource, pragma, pragmaFrag } }`.
    transformWithOxc: (code, filename, options = {}) =>
      transformScript('transformWithOxc', code, filename, options.lang, typeof options.jsx === 'object' ? options.jsx : {}),
    // esbuild's options: `loader`, `jsx` ('automatic' or esbuild's default, classic), `jsxImportSource`,
    // `jsxFactory`, `jsxFragment`.
    transformWithEsbuild: (code, filename, options = {}) =>
      transformScript(
        'transformWithEsbuild',
        code,
        filename,
        esbuildLang(options.loader),
        options.jsx === 'automatic'
          ? { runtime: 'automatic', importSource: options.jsxImportSource }
          : { runtime: 'classic', pragma: options.jsxFactory, pragmaFrag: options.jsxFragment },
      ),
  };
  viteExports.default = { ...viteExports };
  return viteExports;
}
