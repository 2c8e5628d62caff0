// Tailwind CSS v4 without a PostCSS config (`tailwind`), as @tailwindcss/vite runs it: part of
// the helper script, sharing the core's scope (see helper.mjs).

// Where Tailwind's engine may be installed: the project itself, or (with strict installers such
// as pnpm, which do not hoist dependencies) beside one of the packages users add.
const TAILWIND_ENTRY_PACKAGES = ['@tailwindcss/vite', '@tailwindcss/postcss', 'tailwindcss'];

function tailwindSearchDirs(root) {
  const dirs = [root];
  for (const name of TAILWIND_ENTRY_PACKAGES) {
    const dir = packageDir(root, name);
    if (dir) dirs.push(dir);
  }
  return dirs;
}

async function loadTailwindPackage(root, name) {
  for (const dir of tailwindSearchDirs(root)) {
    try {
      return await loadPackage(dir, name);
    } catch (error) {
      if (!(error instanceof MissingPackage)) throw error;
    }
  }
  throw new MissingPackage('@tailwindcss/postcss', root);
}

tasks.tailwind = async ({ root, filename, css }) => {
  const tailwind = await loadTailwindPackage(root, '@tailwindcss/node');
  const { Scanner } = await loadTailwindPackage(root, '@tailwindcss/oxide');
  const dependencies = new Set();
  let compiler;
  try {
    compiler = await tailwind.compile(css, {
      base: dirname(filename),
      from: filename,
      shouldRewriteUrls: true,
      onDependency: (path) => dependencies.add(resolve(path)),
    });
  } catch (error) {
    throw tailwindError(error, filename);
  }

  // As @tailwindcss/vite: `@import "tailwindcss" source(none)` scans nothing, no `source()`
  // scans the project root, and `@source` adds more.
  const sources = (
    compiler.root === 'none'
      ? []
      : compiler.root === null || compiler.root === undefined
        ? [{ base: root, pattern: '**/*', negated: false }]
        : [{ ...compiler.root, negated: false }]
  ).concat(compiler.sources ?? []);
  const usesUtilities = Boolean(compiler.features & tailwind.Features.Utilities);
  const scanner = new Scanner({ sources });
  const candidates = usesUtilities ? scanner.scan() : [];

  let output;
  try {
    output = compiler.build(candidates);
  } catch (error) {
    throw tailwindError(error, filename);
  }
  const dirDependencies = [];
  if (usesUtilities) {
    for (const file of scanner.files) dependencies.add(resolve(file));
    // Negated globs (`@source not`) exclude files; they are not places to watch.
    for (const { base, pattern } of scanner.globs) {
      if (!pattern.startsWith('!')) dirDependencies.push({ dir: resolve(base), glob: pattern });
    }
  }
  dependencies.delete(resolve(filename));
  return { css: output, dependencies: [...dependencies], dirDependencies };
};

// Tailwind's errors carry no location of their own; they are about the stylesheet given.
function tailwindError(error, filename) {
  if (isNormalized(error)) return error;
  return new TaskError(firstLine(error?.message ?? error), { file: filename });
}
