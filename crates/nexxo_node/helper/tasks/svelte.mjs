// Svelte components (`svelte.compile`): part of the helper script, sharing the core's scope (see
// helper.mjs). Svelte 3, 4 and 5 take different options; all report positions with 1-based lines
// and 0-based columns, which are made 1-based here.

function svelteMajor(compiler) {
  const major = Number(String(compiler.VERSION ?? '').split('.')[0]);
  if (!Number.isInteger(major) || major < 3) {
    throw new TaskError(`Svelte ${compiler.VERSION ?? '(unknown version)'} is not supported; install Svelte 3, 4 or 5`);
  }
  return major;
}

// `cssInjected`: the component adds its own CSS to the page when it runs (for components inside
// packages, which the dev server pre-bundles with no CSS stage, as vite-plugin-svelte does).
function svelteOptions(major, filename, production, hmr, cssInjected) {
  const css = cssInjected ? 'injected' : 'external';
  if (major >= 5) {
    return { filename, generate: 'client', dev: !production, hmr: hmr && !production, css };
  }
  if (major === 4) return { filename, generate: 'dom', dev: !production, css };
  return { filename, generate: 'dom', dev: !production, css: cssInjected };
}

function sveltePosition(start) {
  if (!start || !Number.isInteger(start.line)) return {};
  return { line: start.line, column: Number.isInteger(start.column) ? start.column + 1 : undefined };
}

tasks['svelte.compile'] = async ({ root, filename, source, production = false, hmr = false, cssInjected = false }) => {
  const compiler = await loadPackage(root, 'svelte/compiler', 'svelte');
  const major = svelteMajor(compiler);
  let output;
  try {
    output = compiler.compile(source, svelteOptions(major, filename, production, hmr, cssInjected));
  } catch (error) {
    if (isNormalized(error)) throw error;
    throw new TaskError(String(error?.message ?? error).trim(), {
      file: filename,
      ...sveltePosition(error?.start),
    });
  }
  const css = output.css?.code ? output.css.code : null;
  return {
    js: output.js.code,
    map: mapToJson(output.js.map),
    css,
    cssMap: css ? mapToJson(output.css.map) : null,
    warnings: (output.warnings ?? []).map((warning) => ({
      message: String(warning.message).trim(),
      code: warning.code ?? null,
      ...sveltePosition(warning.start),
    })),
    major,
  };
};

// Svelte 5 runes in plain modules (`counter.svelte.ts`, `store.svelte.js`): `compileModule`.
// The source is JavaScript (Rust strips TypeScript first).
tasks['svelte.module'] = async ({ root, filename, source, production = false }) => {
  const compiler = await loadPackage(root, 'svelte/compiler', 'svelte');
  if (svelteMajor(compiler) < 5 || typeof compiler.compileModule !== 'function') {
    throw new TaskError(`${filename}: .svelte.js/.svelte.ts modules need Svelte 5`, { file: filename });
  }
  let output;
  try {
    output = compiler.compileModule(source, { filename, generate: 'client', dev: !production });
  } catch (error) {
    if (isNormalized(error)) throw error;
    throw new TaskError(String(error?.message ?? error).trim(), {
      file: filename,
      ...sveltePosition(error?.start),
    });
  }
  return { js: output.js.code, map: mapToJson(output.js.map) };
};
