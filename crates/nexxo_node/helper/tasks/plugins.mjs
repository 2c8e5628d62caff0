// Config files and users' Rollup/Vite plugins: part of the helper script, sharing the core's scope
// (see helper.mjs). These tasks run in helpers the Rust side starts confined (Landlock and Node's
// permission model, see `nexxo_sandbox`), one helper per plugin, so a plugin can only reach what
// its process was granted.
//
// - `config.load` `{ file, code?, command, mode }` → `{ config, pluginConfigs, plugins }`:
//   evaluates `nexxo.config.{ts,mts,js,mjs}` (`code`: the file with TypeScript already stripped
//   by the Rust side), calls the config function with `{ mode, command }`, flattens `plugins`
//   (nested arrays, promises and falsy entries, as Vite), drops those whose `apply` excludes this
//   command, and calls each `config` hook in order. `config` is the user's object without
//   `plugins` and without functions; `pluginConfigs` the partial configs the hooks returned;
//   `plugins` one descriptor per plugin: `{ index, name, enforce, hooks: { <hook>: { order,
//   filter } } }`, filters with RegExps as `{ regex: source, flags }`.
// - `plugin.init` `{ file, code?, command, mode, index, name, resolvedConfig }`: evaluates the
//   config the same way in this helper and keeps plugin `index` (checking its name), then calls
//   its `config` and `configResolved` hooks, so its state is as under Vite.
// - `plugin.hook` `{ hook, args }` → `{ result, emitted, warnings, watchFiles }`: calls one hook
//   with a plugin context. `this.resolve` asks the Rust side (a callback frame, see main.mjs)
//   while the hook runs; emitted files, warnings and watched files come back with the result.
// - `plugin.middleware` `{ method, url, headers, body }` → `{ handled, status, headers, body }`:
//   the connect-style middlewares the plugin added in `configureServer`.

const ROLLUP_VERSION = '4.40.0';

// Evaluates the config module and returns its (awaited) default export. TypeScript configs
// arrive as `code`, stripped by the Rust side; imports resolve from the config's folder, with ES
// module conditions, through the helper's own module graph (see plugin_modules.mjs).
async function evaluateConfigFile(file, code) {
  return (await importConfigModule(file, code)).default;
}

async function flattenPlugins(list) {
  const flat = [];
  for (const entry of Array.isArray(list) ? list : [list]) {
    const plugin = await entry;
    if (!plugin) continue;
    if (Array.isArray(plugin)) flat.push(...(await flattenPlugins(plugin)));
    else flat.push(plugin);
  }
  return flat;
}

// The user's config and its plugins (every one, before `apply` is checked).
async function loadUserConfig({ root, file, code, command, mode }) {
  // Configs and plugins run sandboxed (plugin_fs.mjs).
  hideFoldersAboveRoot(root);
  let exported = await evaluateConfigFile(file, code);
  if (typeof exported === 'function') exported = await exported({ command, mode, isSsrBuild: false, isPreview: false });
  if (exported === undefined || exported === null) exported = {};
  if (typeof exported !== 'object' || Array.isArray(exported)) {
    throw new TaskError(`${basename(file)} must export an object or a function returning one (export default { ... })`, { file });
  }
  const plugins = await flattenPlugins(exported.plugins ?? []);
  plugins.forEach((plugin, index) => {
    if (typeof plugin !== 'object' || typeof plugin.name !== 'string') {
      throw new TaskError(`plugins[${index}] in ${basename(file)} is not a plugin (an object with a \`name\`)`, { file });
    }
  });
  return { config: exported, plugins };
}

// Vite's `apply`: 'build' or 'serve', or a function of the config and env.
function applies(plugin, config, env) {
  const { apply } = plugin;
  if (!apply) return true;
  if (typeof apply === 'function') return Boolean(apply(config, env));
  return apply === env.command;
}

const HOOK_NAMES = [
  'options', 'buildStart', 'resolveId', 'load', 'transform', 'moduleParsed', 'renderChunk',
  'generateBundle', 'writeBundle', 'closeBundle', 'buildEnd', 'config', 'configResolved',
  'transformIndexHtml', 'configureServer', 'handleHotUpdate', 'hotUpdate',
];

// A hook is a function or `{ handler, order, filter }` (Rollup's object hooks, Vite 7's filters).
function hookHandler(plugin, hook) {
  const value = plugin[hook];
  if (typeof value === 'function') return value;
  if (value && typeof value === 'object' && typeof value.handler === 'function') return value.handler;
  // transformIndexHtml's older object form: { enforce|order, transform }.
  if (hook === 'transformIndexHtml' && value && typeof value.transform === 'function') return value.transform;
  return null;
}

// A filter crosses to Rust as plain data: strings stay strings (globs for ids, substrings for
// code), RegExps become `{ regex, flags }`.
function filterPattern(value) {
  if (value === undefined || value === null) return undefined;
  const one = (item) => (item instanceof RegExp ? { regex: item.source, flags: item.flags } : String(item));
  return Array.isArray(value) ? value.map(one) : [one(value)];
}

function filterPart(part) {
  if (part === undefined || part === null) return undefined;
  if (typeof part === 'string' || part instanceof RegExp || Array.isArray(part)) return { include: filterPattern(part) };
  return { include: filterPattern(part.include), exclude: filterPattern(part.exclude) };
}

function describeHook(plugin, hook) {
  const value = plugin[hook];
  const description = { order: value?.order ?? value?.enforce ?? null };
  const filter = value && typeof value === 'object' ? value.filter : undefined;
  if (filter) description.filter = { id: filterPart(filter.id), code: filterPart(filter.code) };
  return description;
}

function describePlugin(plugin, index) {
  const hooks = {};
  for (const hook of HOOK_NAMES) if (hookHandler(plugin, hook)) hooks[hook] = describeHook(plugin, hook);
  return { index, name: plugin.name, enforce: plugin.enforce ?? null, hooks };
}

// Vite's order: `enforce: 'pre'` plugins, then the others, then `enforce: 'post'`.
function sortedByEnforce(entries) {
  const rank = (entry) => (entry.plugin.enforce === 'pre' ? 0 : entry.plugin.enforce === 'post' ? 2 : 1);
  return [...entries].sort((a, b) => rank(a) - rank(b));
}

// The config's plain-data part: functions, plugins and class instances do not cross.
function plainConfig(config) {
  const { plugins: _plugins, ...rest } = config;
  return JSON.parse(JSON.stringify(rest, (_key, value) => (value instanceof RegExp ? undefined : value)) ?? '{}');
}

// Vite's deep merge of a plugin's partial config into the config so far (arrays concatenated).
function mergeConfig(base, extra) {
  const merged = { ...base };
  for (const [key, value] of Object.entries(extra ?? {})) {
    const current = merged[key];
    if (Array.isArray(current) && Array.isArray(value)) merged[key] = [...current, ...value];
    else if (isPlainObject(current) && isPlainObject(value)) merged[key] = mergeConfig(current, value);
    else if (value !== undefined) merged[key] = value;
  }
  return merged;
}

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
}

async function runConfigHooks(entries, config, env) {
  const partials = [];
  for (const { plugin } of sortedByEnforce(entries)) {
    const handler = hookHandler(plugin, 'config');
    if (!handler) continue;
    const partial = await handler.call(plugin, config, env);
    if (partial && typeof partial === 'object') {
      partials.push({ name: plugin.name, config: plainConfig(partial) });
      config = mergeConfig(config, partial);
    }
  }
  return { config, partials };
}

tasks['config.load'] = async (request) => {
  const env = { command: request.command, mode: request.mode, isSsrBuild: false, isPreview: false };
  const { config, plugins } = await loadUserConfig(request);
  const entries = plugins.map((plugin, index) => ({ plugin, index })).filter(({ plugin }) => applies(plugin, config, env));
  const { partials } = await runConfigHooks(entries, config, env);
  return {
    config: plainConfig(config),
    pluginConfigs: partials,
    plugins: sortedByEnforce(entries).map(({ plugin, index }) => describePlugin(plugin, index)),
  };
};

// ---- One plugin per helper ----

let activePlugin = null;
let activeConfig = null;
let activeEnv = null;
const parsedModules = new Map();
const middlewares = [];

tasks['plugin.init'] = async (request) => {
  const env = { command: request.command, mode: request.mode, isSsrBuild: false, isPreview: false };
  const { config, plugins } = await loadUserConfig(request);
  const plugin = plugins[request.index];
  if (!plugin || plugin.name !== request.name) {
    throw new TaskError(`plugin '${request.name}' is not at plugins[${request.index}] when the config is evaluated again; does the config depend on something that changes between runs?`, { file: request.file });
  }
  activePlugin = plugin;
  activeEnv = env;
  const configHook = hookHandler(plugin, 'config');
  if (configHook) await configHook.call(plugin, config, env);
  activeConfig = { ...request.resolvedConfig, command: env.command, mode: env.mode, plugins, env: request.resolvedConfig?.env ?? {}, logger: viteModule().createLogger() };
  const configResolved = hookHandler(plugin, 'configResolved');
  if (configResolved) await configResolved.call(plugin, activeConfig);
  return { name: plugin.name };
};

// A denied access reads as the resource and the config key that would allow it.
function deniedMessage(error, pluginName) {
  const code = error?.code;
  const permission = error?.permission;
  const resource = error?.resource || error?.path || error?.address || '';
  const kind =
    permission === 'ChildProcess' || code === 'ERR_ACCESS_DENIED' && /child/i.test(String(error?.message)) ? 'exec'
      : permission === 'WorkerThreads' ? 'worker'
        : permission === 'FileSystemWrite' || /write|open.*'w/.test(String(error?.syscall)) ? 'write'
          : permission === 'FileSystemRead' ? 'read'
            : error?.syscall === 'connect' || error?.syscall === 'bind' || error?.syscall === 'listen' ? 'net'
              : code === 'ERR_DLOPEN_DISABLED' ? 'addon'
                : error?.syscall === 'spawn' || /spawn/.test(String(error?.syscall)) ? 'exec'
                  : 'read';
  const target = resource ? ` ${resource}` : '';
  const key = { read: 'read', write: 'write', net: 'net', exec: 'exec' }[kind];
  const what = {
    read: `reading${target}`,
    write: `writing${target}`,
    net: `a network connection${target}`,
    exec: `running a program${target}`,
    worker: 'starting a worker thread',
    addon: 'loading a native addon',
  }[kind];
  const allow = key
    ? `allow it with \`permissions: { '${pluginName}': { ${key}: [${resource ? `'${resource}'` : '...'}] } }\` in the Nexxo config`
    : 'plugins cannot be given this right';
  return `plugin '${pluginName}' was denied ${what} (${code ?? error?.message}): ${allow}`;
}

function isDenied(error) {
  if (!error || typeof error !== 'object') return false;
  if (error.code === 'ERR_ACCESS_DENIED' || error.code === 'ERR_DLOPEN_DISABLED') return true;
  return (error.code === 'EACCES' || error.code === 'EPERM') && !error.nexxoPluginError;
}

function withDeniedMessage(error, pluginName) {
  if (isDenied(error)) {
    const denied = new TaskError(deniedMessage(error, pluginName));
    denied.denied = true;
    return denied;
  }
  // `fetch` wraps the socket error it got.
  if (error?.cause && isDenied(error.cause)) return withDeniedMessage(error.cause, pluginName);
  return error;
}

let referenceCount = 0;

// The `this` of a hook call: Rollup's plugin context, as far as Nexxo offers it, with what the
// hook emits collected for the reply.
function pluginContext(requestId, collected) {
  const fileNames = new Map();
  const context = {
    meta: { rollupVersion: ROLLUP_VERSION, watchMode: activeEnv?.command === 'serve' },
    environment: { name: 'client', mode: activeEnv?.command === 'build' ? 'build' : 'dev', config: { ...activeConfig, consumer: 'client' } },
    async resolve(source, importer, options = {}) {
      const result = await callRust(requestId, 'resolve', { source, importer: importer ?? null, skipSelf: options.skipSelf !== false });
      return result ? { id: result.id, external: Boolean(result.external), moduleSideEffects: true, meta: {} } : null;
    },
    emitFile(file) {
      if (!file || file.type !== 'asset') {
        throw new TaskError(`this.emitFile of type '${file?.type}' is not supported by Nexxo (only 'asset')`);
      }
      const source = typeof file.source === 'string' ? Buffer.from(file.source, 'utf8') : Buffer.from(file.source ?? []);
      const fileName = file.fileName ?? emittedAssetName(file.name ?? 'asset', source);
      const referenceId = `nexxo-asset-${++referenceCount}`;
      fileNames.set(referenceId, fileName);
      collected.emitted.push({ fileName, source: source.toString('base64') });
      return referenceId;
    },
    getFileName(referenceId) {
      const fileName = fileNames.get(referenceId);
      if (!fileName) throw new TaskError(`this.getFileName: unknown reference '${referenceId}'`);
      return fileName;
    },
    addWatchFile(file) {
      collected.watchFiles.push(String(file));
    },
    getWatchFiles() {
      return [...collected.watchFiles];
    },
    getModuleInfo(id) {
      return parsedModules.get(id) ?? null;
    },
    getModuleIds() {
      return parsedModules.keys();
    },
    warn(warning) {
      const message = typeof warning === 'string' ? warning : warning?.message ?? String(warning);
      const loc = typeof warning === 'object' ? warning?.loc : undefined;
      collected.warnings.push({ message, line: loc?.line ?? null, column: Number.isInteger(loc?.column) ? loc.column + 1 : null, file: loc?.file ?? null });
    },
    error(error) {
      const message = typeof error === 'string' ? error : error?.message ?? String(error);
      const loc = typeof error === 'object' ? error?.loc : undefined;
      const failure = new TaskError(message, { file: loc?.file ?? error?.id, line: loc?.line, column: Number.isInteger(loc?.column) ? loc.column + 1 : undefined });
      failure.nexxoPluginError = true;
      throw failure;
    },
    debug() {},
    info(message) {
      process.stderr.write(`[${activePlugin?.name}] ${typeof message === 'string' ? message : message?.message}\n`);
    },
    parse() {
      throw new TaskError('this.parse is not available in Nexxo plugins yet');
    },
    load() {
      throw new TaskError('this.load is not available in Nexxo plugins yet');
    },
  };
  return context;
}

// `<name>-<hash>.<ext>` under `assets/`, as Nexxo names its own assets.
function emittedAssetName(name, source) {
  const hash = createHash('sha256').update(source).digest('base64url').replace(/[-_]/g, '').slice(0, 8);
  const base = basename(name);
  const ext = extname(base);
  return `assets/${base.slice(0, base.length - ext.length)}-${hash}${ext}`;
}

// Maps cross as JSON text.
function normalizeCodeResult(result) {
  if (result === null || result === undefined || result === false) return null;
  if (typeof result === 'string') return { code: result, map: null };
  if (typeof result === 'object' && typeof result.code === 'string') {
    return { code: result.code, map: result.map === undefined || result.map === null || result.map?.mappings === '' ? null : mapToJson(result.map) };
  }
  // `{ code: undefined, meta }` and the like change nothing.
  return null;
}

function normalizeResolveResult(result) {
  if (result === null || result === undefined) return null;
  if (result === false) return { id: null, external: true };
  if (typeof result === 'string') return { id: result, external: false };
  if (typeof result === 'object' && typeof result.id === 'string') {
    return { id: result.id, external: result.external === true || result.external === 'absolute' || result.external === 'relative' };
  }
  return null;
}

// Vite's HtmlTagDescriptor → HTML text.
function serializeTag({ tag, attrs = {}, children }) {
  const attributes = Object.entries(attrs)
    .filter(([, value]) => value !== false && value !== undefined && value !== null)
    .map(([key, value]) => (value === true ? ` ${key}` : ` ${key}="${String(value).replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"`))
    .join('');
  const inner = Array.isArray(children) ? children.map(serializeTag).join('') : children ?? '';
  const voidTags = new Set(['link', 'meta', 'base', 'br', 'hr', 'img', 'input']);
  return voidTags.has(tag) ? `<${tag}${attributes}>` : `<${tag}${attributes}>${inner}</${tag}>`;
}

function injectTags(html, tags) {
  const at = (where) => tags.filter((tag) => (tag.injectTo ?? 'head-prepend') === where).map(serializeTag).join('\n');
  const insertAfterOpen = (text, name, content) => {
    if (!content) return text;
    const match = new RegExp(`<${name}(\\s[^>]*)?>`, 'i').exec(text);
    return match ? `${text.slice(0, match.index + match[0].length)}\n${content}${text.slice(match.index + match[0].length)}` : `${content}\n${text}`;
  };
  const insertBeforeClose = (text, name, content) => {
    if (!content) return text;
    const index = text.search(new RegExp(`</${name}>`, 'i'));
    return index < 0 ? `${text}\n${content}` : `${text.slice(0, index)}${content}\n${text.slice(index)}`;
  };
  let out = insertAfterOpen(html, 'head', at('head-prepend'));
  out = insertBeforeClose(out, 'head', at('head'));
  out = insertAfterOpen(out, 'body', at('body-prepend'));
  out = insertBeforeClose(out, 'body', at('body'));
  return out;
}

function applyHtmlResult(html, result) {
  if (result === null || result === undefined) return html;
  if (typeof result === 'string') return result;
  if (Array.isArray(result)) return injectTags(html, result);
  if (typeof result === 'object') return injectTags(typeof result.html === 'string' ? result.html : html, result.tags ?? []);
  return html;
}

// Rollup's OutputBundle from the chunks and assets the Rust side sends.
function outputBundle(files) {
  const bundle = {};
  for (const file of files ?? []) {
    if (file.type === 'chunk') {
      const modules = {};
      for (const [id, info] of Object.entries(file.modules ?? {})) {
        modules[id] = { renderedLength: info.renderedLength ?? 0, originalLength: info.originalLength ?? 0, renderedExports: [], removedExports: [], code: null };
      }
      bundle[file.fileName] = { ...file, type: 'chunk', modules, moduleIds: Object.keys(modules), viteMetadata: { importedCss: new Set(), importedAssets: new Set() } };
    } else {
      bundle[file.fileName] = { ...file, type: 'asset', source: file.source ?? '', needsCodeReference: false };
    }
  }
  return bundle;
}

// A glob as a RegExp (`**` any folders, `*` and `?` within one, `{a,b}` either), for filters
// checked here and `createFilter`.
function globRegExp(glob) {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i];
    if (char === '*' && glob[i + 1] === '*') {
      source += '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (char === '{' && glob.indexOf('}', i) > i) {
      const end = glob.indexOf('}', i);
      source += `(?:${glob.slice(i + 1, end).split(',').map((part) => globRegExp(part).source.slice(1, -1)).join('|')})`;
      i = end;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

function patternMatches(pattern, text, isId) {
  if (pattern instanceof RegExp) {
    pattern.lastIndex = 0;
    return pattern.test(text);
  }
  if (!isId) return text.includes(String(pattern));
  const glob = String(pattern);
  const absolute = glob.startsWith('/') || glob.startsWith('**') ? glob : `${activeConfig?.root ?? ''}/${glob}`;
  return globRegExp(absolute).test(text.split('?')[0]);
}

function partPasses(part, text, isId) {
  if (part === undefined || part === null || text === undefined) return true;
  const list = (value) => (value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]);
  const simple = typeof part === 'string' || part instanceof RegExp || Array.isArray(part);
  const include = simple ? list(part) : list(part.include);
  const exclude = simple ? [] : list(part.exclude);
  if (exclude.some((pattern) => patternMatches(pattern, text, isId))) return false;
  return include.length === 0 || include.some((pattern) => patternMatches(pattern, text, isId));
}

// The hook's filter, checked again here: the Rust side skips patterns its `regex` cannot
// express, and a handler may rely on its filter.
function filterPasses(plugin, hook, args) {
  const filter = plugin[hook]?.filter;
  if (!filter || typeof plugin[hook] !== 'object') return true;
  const id = hook === 'resolveId' ? args.source : args.id;
  return partPasses(filter.id, id, true) && partPasses(filter.code, hook === 'transform' ? args.code : undefined, false);
}

async function callHook(request, hook, args) {
  const plugin = activePlugin;
  if (hook === 'hotUpdate') return hotUpdate(request, args);
  const handler = hookHandler(plugin, hook);
  if (!handler) return null;
  if (!filterPasses(plugin, hook, args)) return { result: null, emitted: [], warnings: [], watchFiles: [] };
  const collected = { emitted: [], warnings: [], watchFiles: [] };
  const context = pluginContext(request.id, collected);
  let result;
  switch (hook) {
    case 'resolveId':
      result = normalizeResolveResult(await handler.call(context, args.source, args.importer ?? undefined, { isEntry: Boolean(args.isEntry), attributes: {} }));
      break;
    case 'load':
      result = normalizeCodeResult(await handler.call(context, args.id));
      break;
    case 'transform':
      result = normalizeCodeResult(await handler.call(context, args.code, args.id));
      break;
    case 'moduleParsed': {
      const info = { id: args.id, code: args.code ?? null, importedIds: args.importedIds ?? [], dynamicallyImportedIds: args.dynamicallyImportedIds ?? [], importers: args.importers ?? [], dynamicImporters: args.dynamicImporters ?? [], isEntry: Boolean(args.isEntry), isExternal: false, meta: {} };
      parsedModules.set(args.id, info);
      await handler.call(context, info);
      break;
    }
    case 'renderChunk':
      result = normalizeCodeResult(await handler.call(context, args.code, args.chunk, args.outputOptions ?? {}, { chunks: {} }));
      break;
    case 'generateBundle':
    case 'writeBundle':
      for (const module of args.modules ?? []) {
        parsedModules.set(module.id, { code: null, isExternal: false, meta: {}, ...parsedModules.get(module.id), ...module });
      }
      await handler.call(context, args.outputOptions ?? {}, outputBundle(args.files), false);
      break;
    case 'transformIndexHtml':
      result = { html: applyHtmlResult(args.html, await handler.call(context, args.html, { path: args.path, filename: args.filename, server: undefined, bundle: undefined, chunk: undefined })) };
      break;
    case 'options':
      await handler.call(context, args.options ?? {});
      break;
    default:
      // buildStart, buildEnd, closeBundle and the like take no arguments Nexxo must model.
      await handler.call(context, args.error ? new Error(args.error) : undefined);
  }
  return { result: result ?? null, ...collected };
}

// A file changed under `nexxo dev`: Vite 6's `hotUpdate` (client environment, with `type`), then
// the older `handleHotUpdate`. The modules either returns are compiled again; a module is known
// by its id, so the graph answers any id with a node for it (Nexxo keeps the graph in Rust).
async function hotUpdate(request, args) {
  const collected = { emitted: [], warnings: [], watchFiles: [] };
  const context = pluginContext(request.id, collected);
  const moduleNode = (id) => ({ id, url: id, file: id.startsWith('\0') ? null : id.split('?')[0], type: 'js', importers: new Set(), importedModules: new Set() });
  const moduleGraph = {
    getModuleById: moduleNode,
    getModulesByFile: (file) => new Set([moduleNode(file)]),
    invalidateModule() {},
  };
  context.environment = { ...context.environment, moduleGraph, hot: { send() {}, on() {}, off() {} } };
  const update = {
    file: args.file,
    timestamp: Date.now(),
    modules: [moduleNode(args.file)],
    read: async () => readFileSync(args.file, 'utf8'),
    server: devServer(),
  };
  const ids = new Set();
  const take = (returned) => {
    if (!Array.isArray(returned)) return;
    for (const module of returned) if (module?.id ?? module?.url) ids.add(module.id ?? module.url);
  };
  const hot = hookHandler(activePlugin, 'hotUpdate');
  if (hot) take(await hot.call(context, { ...update, type: args.type }));
  const legacy = hookHandler(activePlugin, 'handleHotUpdate');
  if (legacy) take(await legacy.call(context, update));
  return { result: { modules: [...ids] }, ...collected };
}

tasks['plugin.hook'] = async (request) => {
  if (!activePlugin) throw new TaskError('plugin.hook before plugin.init');
  try {
    return await runningHooks.run(request.id, () => callHook(request, request.hook, request.args ?? {}));
  } catch (error) {
    throw withDeniedMessage(error, activePlugin.name);
  }
};

// ---- configureServer: connect-style middlewares ----

let server = null;
function devServer() {
  if (server) return server;
  const listeners = new Map();
  const emitter = {
    on(event, listener) {
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
      return emitter;
    },
    off(event, listener) {
      listeners.set(event, (listeners.get(event) ?? []).filter((l) => l !== listener));
      return emitter;
    },
    once(event, listener) {
      return emitter.on(event, listener);
    },
    emit() {
      return false;
    },
    add() {},
    unwatch() {},
    close: async () => {},
  };
  server = {
    config: activeConfig,
    middlewares: {
      use(path, handler) {
        if (typeof path === 'function') middlewares.push({ path: '', handler: path });
        else middlewares.push({ path: String(path).replace(/\/$/, ''), handler });
        return server.middlewares;
      },
      stack: middlewares,
    },
    watcher: emitter,
    ws: { ...emitter, send() {}, clients: new Set() },
    hot: { ...emitter, send() {} },
    httpServer: null,
    moduleGraph: { getModuleById: () => undefined, getModulesByFile: () => undefined, invalidateModule() {}, invalidateAll() {} },
    environments: {},
    resolvedUrls: null,
    printUrls() {},
    restart: async () => {},
    reloadModule: async () => {},
    transformRequest: async () => null,
    ssrLoadModule: async () => {
      throw new TaskError('ssrLoadModule is not available in Nexxo plugins');
    },
  };
  return server;
}

tasks['plugin.configureServer'] = async () => {
  const handler = hookHandler(activePlugin, 'configureServer');
  if (!handler) return { middlewares: 0 };
  try {
    const post = await handler.call(activePlugin, devServer());
    // A returned function adds middlewares after Vite's own; Nexxo runs them in the same place.
    if (typeof post === 'function') await post();
  } catch (error) {
    throw withDeniedMessage(error, activePlugin.name);
  }
  return { middlewares: middlewares.length };
};

tasks['plugin.middleware'] = async ({ method, url, headers, body }) => {
  const request = Readable.from(body ? [Buffer.from(body, 'base64')] : []);
  Object.assign(request, { method, url, originalUrl: url, headers, socket: { remoteAddress: '127.0.0.1' }, connection: {} });
  const chunks = [];
  let status = 200;
  let headersSent = false;
  const responseHeaders = {};
  const response = new Writable({
    write(chunk, encoding, callback) {
      headersSent = true;
      chunks.push(Buffer.from(chunk, encoding));
      callback();
    },
  });
  Object.defineProperties(response, {
    statusCode: { get: () => status, set: (value) => { status = value; } },
    headersSent: { get: () => headersSent },
  });
  Object.assign(response, {
    statusMessage: '',
    setHeader(name, value) {
      responseHeaders[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
      return response;
    },
    getHeader: (name) => responseHeaders[name.toLowerCase()],
    getHeaders: () => ({ ...responseHeaders }),
    hasHeader: (name) => name.toLowerCase() in responseHeaders,
    removeHeader(name) {
      delete responseHeaders[name.toLowerCase()];
    },
    writeHead(code, message, extra) {
      status = code;
      const fields = typeof message === 'object' ? message : extra;
      for (const [name, value] of Object.entries(fields ?? {})) response.setHeader(name, value);
      headersSent = true;
      return response;
    },
  });
  const finished = new Promise((resolvePromise, rejectPromise) => {
    response.on('finish', () => resolvePromise(true));
    response.on('error', rejectPromise);
  });
  const pathOf = (value) => String(value).split('?')[0];
  let index = 0;
  const run = () =>
    new Promise((resolvePromise, rejectPromise) => {
      const next = (error) => {
        if (error) return rejectPromise(error);
        while (index < middlewares.length) {
          const { path, handler } = middlewares[index++];
          const requestPath = pathOf(url);
          if (path && !(requestPath === path || requestPath.startsWith(`${path}/`))) continue;
          // connect strips the mount path from req.url while the middleware runs.
          const rest = path ? url.slice(path.length) : url;
          request.url = rest.startsWith('/') ? rest : `/${rest}`;
          try {
            const returned = handler(request, response, next);
            if (returned && typeof returned.catch === 'function') returned.catch(rejectPromise);
          } catch (thrown) {
            rejectPromise(thrown);
          }
          return undefined;
        }
        return resolvePromise(false);
      };
      finished.then(() => resolvePromise(true), rejectPromise);
      next();
    });
  let handled;
  try {
    handled = await run();
  } catch (error) {
    throw withDeniedMessage(error, activePlugin.name);
  }
  if (!handled) return { handled: false };
  await finished;
  return { handled: true, status, headers: responseHeaders, body: Buffer.concat(chunks).toString('base64') };
};
