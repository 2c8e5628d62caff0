// Solid components (`solid.compile`): part of the helper script, sharing the core's scope (see
// helper.mjs). Babel with babel-preset-solid, as vite-plugin-solid runs it; the Rust side has
// already removed TypeScript, so the source is JavaScript with JSX.

tasks['solid.compile'] = async ({ root, filename, source, production = false, hmr = false }) => {
  const babel = await loadPackage(root, '@babel/core');
  // Babel loads presets and plugins itself; resolved paths make it load the project's copies.
  const preset = resolvePackage(root, 'babel-preset-solid');
  const plugins = hmr ? [[resolvePackage(root, 'solid-refresh/babel', 'solid-refresh'), { bundler: 'vite' }]] : [];
  let result;
  try {
    result = await babel.transformAsync(source, {
      babelrc: false,
      configFile: false,
      filename,
      sourceFileName: filename,
      sourceMaps: true,
      presets: [[preset, { generate: 'dom', hydratable: false, dev: !production }]],
      plugins,
      parserOpts: { plugins: ['jsx'] },
    });
  } catch (error) {
    if (isNormalized(error)) throw error;
    throw new TaskError(babelMessage(error, filename), { file: filename, ...babelPosition(error) });
  }
  return { code: result?.code ?? '', map: mapToJson(result?.map) };
};

// Babel prefixes its message with the file name and appends a code frame; the Rust side shows
// both itself.
function babelMessage(error, filename) {
  const line = firstLine(error?.message ?? error);
  const withoutFile = line.startsWith(`${filename}: `) ? line.slice(filename.length + 2) : line;
  return withoutFile.replace(/\s*\(\d+:\d+\)$/, '');
}

// Babel lines are 1-based, columns 0-based.
function babelPosition(error) {
  const loc = error?.loc;
  if (!loc || !Number.isInteger(loc.line)) return {};
  return { line: loc.line, column: Number.isInteger(loc.column) ? loc.column + 1 : undefined };
}
