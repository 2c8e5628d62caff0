// PostCSS with the project's config (`postcss`, `postcss.config`): part of the helper script,
// sharing the core's scope (see helper.mjs). Config files are found and loaded as
// postcss-load-config (what Vite uses) does, for the forms projects use in practice.

// In postcss-load-config's search order, per folder.
const POSTCSS_CONFIG_FILES = [
  'package.json',
  '.postcssrc',
  '.postcssrc.json',
  '.postcssrc.js',
  '.postcssrc.cjs',
  '.postcssrc.mjs',
  'postcss.config.js',
  'postcss.config.cjs',
  'postcss.config.mjs',
];
const POSTCSS_TS_CONFIG_FILES = [
  '.postcssrc.ts',
  '.postcssrc.cts',
  '.postcssrc.mts',
  'postcss.config.ts',
  'postcss.config.cts',
  'postcss.config.mts',
];

function hasPostcssKey(packageJson) {
  try {
    const parsed = JSON.parse(readFileSync(packageJson, 'utf8'));
    return parsed !== null && typeof parsed === 'object' && parsed.postcss !== undefined;
  } catch {
    return false;
  }
}

// The config file for a stylesheet in `dir`: the nearest folder with one, from `dir` up to
// `root` inclusive (never above the project). A package.json counts only with a `postcss` key.
// A stylesheet outside the project (a linked package) gets the project's config.
function findPostcssConfig(dir, root) {
  const stop = resolve(root);
  const start = resolve(dir);
  const relativeToRoot = relative(stop, start);
  let current = relativeToRoot.startsWith('..') || isAbsolute(relativeToRoot) ? stop : start;
  for (;;) {
    for (const name of POSTCSS_CONFIG_FILES) {
      const file = join(current, name);
      if (!existsSync(file)) continue;
      if (name === 'package.json' && !hasPostcssKey(file)) continue;
      return file;
    }
    for (const name of POSTCSS_TS_CONFIG_FILES) {
      const file = join(current, name);
      if (existsSync(file)) {
        throw new TaskError(
          `TypeScript PostCSS configs are not supported yet: rename ${name} to ${name.replace(/\.[cm]?ts$/, '.mjs')} (and remove its type annotations)`,
          { file },
        );
      }
    }
    const parent = dirname(current);
    if (current === stop || parent === current) return null;
    current = parent;
  }
}

// A module by path: ES modules through import (a query per modification time so an edited
// config is read again), CommonJS through require with its cache entry dropped first.
async function importFresh(file, mtimeMs) {
  const require = createRequire(file);
  delete require.cache[file];
  const url = `${pathToFileURL(file).href}?mtime=${mtimeMs}`;
  return interopDefault(await import(url));
}

async function readPostcssConfig(file, mtimeMs) {
  const name = basename(file);
  try {
    if (name === 'package.json') return JSON.parse(readFileSync(file, 'utf8')).postcss;
    if (name === '.postcssrc' || name === '.postcssrc.json') {
      const text = readFileSync(file, 'utf8');
      try {
        return JSON.parse(text);
      } catch (error) {
        const yamlHint = name === '.postcssrc' ? ' (YAML .postcssrc files are not supported yet; write it as JSON)' : '';
        throw new TaskError(`Invalid PostCSS config: ${error.message}${yamlHint}`, { file });
      }
    }
    return await importFresh(file, mtimeMs);
  } catch (error) {
    if (isNormalized(error)) throw error;
    throw new TaskError(`Could not load the PostCSS config: ${firstLine(error?.message ?? error)}`, { file });
  }
}

// A plugin, parser or syntax named in a config: loaded from the config's folder, where the
// user installed it. A missing one is reported as a package to install.
async function loadFromConfigDir(configFile, name) {
  const require = createRequire(configFile);
  let path;
  try {
    path = require.resolve(name);
  } catch (error) {
    if (isNotFound(error)) throw new MissingPackage(name, dirname(configFile));
    throw error;
  }
  try {
    return interopDefault(require(name));
  } catch (error) {
    if (error?.code !== 'ERR_REQUIRE_ESM') throw error;
    return interopDefault(await import(pathToFileURL(path).href));
  }
}

// `{ name: options | false }` or `[plugin, 'name', ['name', options], ...]`: a list PostCSS takes.
async function postcssPlugins(configFile, plugins) {
  if (plugins === undefined || plugins === null) return [];
  const instantiate = async (name, options) => {
    const plugin = await loadFromConfigDir(configFile, name);
    const noOptions = options === true || options === null || options === undefined ||
      (typeof options === 'object' && Object.keys(options).length === 0);
    if (typeof plugin !== 'function') return plugin;
    return noOptions ? plugin() : plugin(options);
  };
  if (Array.isArray(plugins)) {
    const list = [];
    for (const entry of plugins) {
      if (!entry) continue;
      if (typeof entry === 'string') list.push(await instantiate(entry, undefined));
      else if (Array.isArray(entry) && typeof entry[0] === 'string') list.push(await instantiate(entry[0], entry[1]));
      else list.push(entry);
    }
    return list;
  }
  if (typeof plugins === 'object') {
    const list = [];
    for (const [name, options] of Object.entries(plugins)) {
      if (options === false) continue;
      list.push(await instantiate(name, options));
    }
    return list;
  }
  throw new TaskError('The PostCSS config\'s `plugins` must be an object or an array', { file: configFile });
}

async function postcssSyntaxOptions(configFile, config) {
  const options = {};
  for (const key of ['parser', 'syntax', 'stringifier']) {
    const value = config[key];
    if (value === undefined || value === null || value === false) continue;
    options[key] = typeof value === 'string' ? await loadFromConfigDir(configFile, value) : value;
  }
  return options;
}

// Loaded configs by file, valid while the file's modification time is the same. A config that
// is a function depends on the stylesheet, so only its module is kept, not its plugins.
const postcssConfigs = new Map();

async function loadPostcssConfig(file, production, filename) {
  const mtimeMs = statSync(file).mtimeMs;
  const env = production ? 'production' : 'development';
  let entry = postcssConfigs.get(file);
  if (!entry || entry.mtimeMs !== mtimeMs) {
    entry = { mtimeMs, exported: await readPostcssConfig(file, mtimeMs), resolved: new Map() };
    postcssConfigs.set(file, entry);
  }
  if (typeof entry.exported !== 'function' && entry.resolved.has(env)) return entry.resolved.get(env);
  let config = entry.exported;
  if (typeof config === 'function') {
    try {
      config = await config({
        env,
        file: { dirname: dirname(filename), basename: basename(filename), extname: extname(filename) },
      });
    } catch (error) {
      if (isNormalized(error)) throw error;
      throw new TaskError(`The PostCSS config failed: ${firstLine(error?.message ?? error)}`, { file });
    }
  }
  if (config === null || typeof config !== 'object') {
    throw new TaskError('The PostCSS config must export an object (or a function returning one)', { file });
  }
  const resolved = {
    file,
    plugins: await postcssPlugins(file, config.plugins),
    options: await postcssSyntaxOptions(file, config),
  };
  if (typeof entry.exported !== 'function') entry.resolved.set(env, resolved);
  return resolved;
}

function postcssErrorToTask(error, filename) {
  if (isNormalized(error)) return error;
  if (error?.name === 'CssSyntaxError') {
    const message = error.plugin ? `[${error.plugin}] ${error.reason}` : error.reason;
    return new TaskError(message ?? firstLine(error.message), {
      file: error.file ?? filename,
      line: error.line,
      column: error.column,
    });
  }
  const plugin = error?.plugin ? `[${error.plugin}] ` : '';
  return new TaskError(`${plugin}${firstLine(error?.message ?? error)}`, { file: filename });
}

tasks['postcss.config'] = ({ root, dir }) => ({ file: findPostcssConfig(dir, root ?? dir) });

tasks.postcss = async ({ root, filename, css, production = false }) => {
  const configFile = findPostcssConfig(dirname(filename), root);
  if (!configFile) throw new TaskError('No PostCSS config was found for this stylesheet', { file: filename });
  const postcss = await loadPackage(root, 'postcss');
  const config = await loadPostcssConfig(configFile, production, filename);
  let result;
  try {
    result = await postcss(config.plugins).process(css, {
      ...config.options,
      from: filename,
      to: filename,
      map: { inline: false, annotation: false, sourcesContent: true },
    });
  } catch (error) {
    throw postcssErrorToTask(error, filename);
  }
  const dependencies = [];
  const dirDependencies = [];
  for (const message of result.messages) {
    if (message.type === 'dependency' && typeof message.file === 'string') {
      dependencies.push(resolve(message.file));
    } else if (message.type === 'dir-dependency' && typeof message.dir === 'string') {
      dirDependencies.push({ dir: resolve(message.dir), glob: message.glob || '**/*' });
    }
  }
  return {
    css: result.css,
    map: result.map ? result.map.toString() : null,
    dependencies,
    dirDependencies,
    warnings: result.warnings().map((warning) => ({
      message: warning.plugin ? `[${warning.plugin}] ${warning.text}` : warning.text,
      line: warning.line,
      column: warning.column,
    })),
    config: configFile,
  };
};
