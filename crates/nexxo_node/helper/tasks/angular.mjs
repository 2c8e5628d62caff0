// Angular (`angular.compile`, `angular.link`): part of the helper script, sharing the core's
// scope (see helper.mjs). The project's own @angular/compiler-cli and TypeScript, used the way
// the Angular CLI's application builder uses them: one ahead-of-time compilation of the whole
// TypeScript program (tsconfig's files) per build, kept so that a dev edit compiles again
// incrementally from the previous program; Babel with the compiler's linker for packages that
// ship partially compiled code (`ɵɵngDeclare*` calls).

// One compilation per project and tsconfig: the programs the next compile reuses, the parsed
// source files (dropped for the files the Rust side says changed) and the template diagnostics
// of files the last compile did not touch.
const angularCompilations = new Map();

// The Angular compiler's own diagnostic codes are negative (`-998002` is NG8002 after the
// leading 99 and sign are dropped, as `ngtsc` prints them).
function angularDiagnosticCode(code) {
  if (code >= 0) return `TS${code}`;
  const text = String(-code);
  return `NG${text.startsWith('99') ? text.slice(2) : text}`;
}

function sha256(text) {
  return createHash('sha256').update(text).digest('hex');
}

// `^20.19.0 || ^22.12.0 || >=24.0.0` (Angular's `engines.node`) against this Node.
function nodeSatisfies(range, version = process.versions.node) {
  const parse = (text) => text.replace(/^[v=\s]+/, '').split('.').map((part) => Number.parseInt(part, 10) || 0);
  const [major, minor, patch] = parse(version);
  const atLeast = (want) => major !== want[0] ? major > want[0] : minor !== want[1] ? minor > want[1] : patch >= want[2];
  return range.split('||').some((alternative) => {
    const text = alternative.trim();
    if (text.startsWith('^')) {
      const want = parse(text.slice(1));
      return major === want[0] && atLeast(want);
    }
    if (text.startsWith('>=')) return atLeast(parse(text.slice(2)));
    return true;
  });
}

// Angular's packages refuse to work on an older Node in confusing ways (syntax errors deep in
// the compiler); say so first, with the range the installed @angular/core declares.
function ensureNodeForAngular(root) {
  const dir = packageDir(root, '@angular/core');
  if (!dir) throw new MissingPackage('@angular/core', root);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const range = manifest.engines?.node;
  if (range && !nodeSatisfies(range)) {
    throw new TaskError(
      `Angular ${manifest.version} needs Node.js ${range}, but this is Node.js ${process.versions.node}: install a newer Node.js (Nexxo uses NEXXO_NODE, else the node on PATH)`,
    );
  }
}

// The compiler options the Angular CLI forces for an application build, over the tsconfig's.
const ANGULAR_CONFIG_OVERRIDES = {
  suppressOutputPathCheck: true,
  outDir: undefined,
  sourceMap: false,
  declaration: false,
  declarationMap: false,
  allowEmptyCodegenFiles: false,
  annotationsAs: 'decorators',
  enableResourceInlining: false,
  supportTestBed: false,
  supportJitMode: false,
  // TypeScript would drop `/* @__PURE__ */` annotations with the comments.
  removeComments: false,
};

function angularCompilerOptions(options, hmr, sourcemap) {
  const compilerOptions = { ...options };
  // ES2022 classes (9); below that the CLI keeps TypeScript's field semantics as Angular expects.
  if (compilerOptions.target === undefined || compilerOptions.target < 9) {
    compilerOptions.target = 9;
    compilerOptions.useDefineForClassFields ??= false;
  }
  // ES modules for the bundler (CommonJS, AMD, … would be 1–4).
  if (compilerOptions.module === undefined || compilerOptions.module < 5) compilerOptions.module = 7;
  compilerOptions.compilationMode = 'full';
  return {
    ...compilerOptions,
    noEmitOnError: false,
    composite: false,
    incremental: false,
    // The map of each emitted file comes back inline; the Rust side takes it out.
    inlineSources: sourcemap,
    inlineSourceMap: sourcemap,
    sourceMap: undefined,
    mapRoot: undefined,
    sourceRoot: undefined,
    tsBuildInfoFile: undefined,
    externalRuntimeStyles: false,
    _enableHmr: hmr,
  };
}

// A TypeScript or Angular diagnostic as the Rust side shows it: file, 1-based line and column,
// the message with its code, and the text of the file it points into (a template is not
// necessarily a file the Rust side would read the same way).
function plainDiagnostic(ts, diagnostic) {
  const message = `${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')} [${angularDiagnosticCode(diagnostic.code)}]`;
  const plain = { message, error: diagnostic.category === ts.DiagnosticCategory.Error };
  const file = diagnostic.file;
  if (file && typeof diagnostic.start === 'number') {
    const { line, character } = ts.getLineAndCharacterOfPosition(file, diagnostic.start);
    plain.file = file.fileName;
    plain.line = line + 1;
    plain.column = character + 1;
    plain.source = file.text;
  } else if (file) {
    plain.file = file.fileName;
  }
  return plain;
}

// `//# sourceMappingURL=data:…` at the end of TypeScript's output → code without it, and the map.
function splitInlineMap(contents) {
  const match = /\n\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/.exec(contents);
  if (!match) return { code: contents, map: null };
  return {
    code: contents.slice(0, match.index + 1),
    map: Buffer.from(match[1], 'base64').toString('utf8'),
  };
}

function createAngularHost(ts, compilerOptions, state, request) {
  const { id, replacements = {} } = request;
  const host = ts.createIncrementalCompilerHost(compilerOptions);
  host.jsDocParsingMode = ts.JSDocParsingMode.ParseForTypeErrors;
  // `fileReplacements`: the replaced file's name keeps its place in the program (imports of it
  // resolve as usual, as the bundler resolves them), with the replacement's text.
  const baseGetSourceFile = host.getSourceFile;
  host.getSourceFile = function (fileName, languageVersion, onError, _shouldCreate, ...rest) {
    const cached = state.sourceFiles.get(fileName);
    if (cached) return cached;
    const replacement = replacements[fileName];
    let file;
    if (replacement) {
      const text = host.readFile(replacement);
      file = text === undefined ? undefined : ts.createSourceFile(fileName, text, languageVersion);
    } else {
      file = baseGetSourceFile.call(host, fileName, languageVersion, onError, true, ...rest);
    }
    if (file) {
      file.version ??= sha256(file.text);
      state.sourceFiles.set(fileName, file);
    }
    return file;
  };
  // Templates and stylesheets: what was read is hashed, so the Rust side knows when it changed.
  host.readResource = function (fileName) {
    const text = this.readFile(fileName) ?? '';
    state.resourceHashes.set(fileName, sha256(text));
    return text;
  };
  // Component styles go through Nexxo's CSS stage (Sass, `@import` bundling, targets,
  // minification), asked from the Rust side while this request runs.
  host.transformResource = async function (data, context) {
    if (context.type !== 'style') return null;
    if (data.trim().length === 0) return { content: '' };
    const result = await callRust(id, 'angular.style', {
      text: data,
      containingFile: context.containingFile,
      resourceFile: context.resourceFile ?? null,
    });
    return { content: String(result?.css ?? '') };
  };
  host.resourceNameToFileName = function (resourceName, containingFile) {
    const resolved = join(dirname(containingFile), resourceName);
    return this.fileExists(resolved) ? resolved : null;
  };
  host.getModifiedResourceFiles = function () {
    return state.modified;
  };
  const resolutionCache = ts.createModuleResolutionCache(host.getCurrentDirectory(), host.getCanonicalFileName.bind(host), compilerOptions);
  host.getModuleResolutionCache = () => resolutionCache;
  return host;
}

tasks['angular.compile'] = async (request) => {
  const { root, tsconfig, replacements = {}, hmr = false, sourcemap = true, modified = [] } = request;
  ensureNodeForAngular(root);
  const ts = interopDefault(await loadPackage(root, 'typescript'));
  const ng = await loadPackage(root, '@angular/compiler-cli');
  const key = `${root}\0${tsconfig}`;
  const settings = hashKey(replacements, hmr, sourcemap);
  let state = angularCompilations.get(key);
  if (!state || state.settings !== settings) {
    state = { settings, sourceFiles: new Map(), resourceHashes: new Map(), diagnostics: new WeakMap(), modified: undefined };
    angularCompilations.set(key, state);
  }
  const previous = state.ngProgram ? { ngProgram: state.ngProgram, builder: state.builder } : undefined;
  for (const file of modified) state.sourceFiles.delete(file);
  state.modified = previous && modified.length > 0 ? new Set(modified) : undefined;

  const { options, rootNames, errors: configErrors } = ng.readConfiguration(tsconfig, ANGULAR_CONFIG_OVERRIDES);
  if (configErrors.length > 0) {
    return { files: {}, diagnostics: configErrors.map((d) => plainDiagnostic(ts, d)), fresh: true };
  }
  const compilerOptions = angularCompilerOptions(options, hmr, sourcemap);
  const host = createAngularHost(ts, compilerOptions, state, request);
  const ngProgram = new ng.NgtscProgram(rootNames, compilerOptions, host, previous?.ngProgram);
  const compiler = ngProgram.compiler;
  const tsProgram = ngProgram.getTsProgram();
  // TypeScript's builder needs a version on every file, the compiler's own shims included.
  const baseGetSourceFiles = tsProgram.getSourceFiles;
  tsProgram.getSourceFiles = function (...args) {
    const sourceFiles = baseGetSourceFiles.apply(this, args);
    for (const sourceFile of sourceFiles) sourceFile.version ??= sha256(sourceFile.text);
    return sourceFiles;
  };
  const builder = ts.createEmitAndSemanticDiagnosticsBuilderProgram(tsProgram, host, previous?.builder, configErrors);
  await compiler.analyzeAsync();

  // The files whose diagnostics may have changed: TypeScript's affected files, and the
  // component files of type-check shims (a changed input type changes another template's checks).
  const affected = new Set();
  for (;;) {
    const next = builder.getSemanticDiagnosticsOfNextAffectedFile(undefined, (sourceFile) => {
      if (compiler.ignoreForDiagnostics.has(sourceFile) && sourceFile.fileName.endsWith('.ngtypecheck.ts')) {
        const original = builder.getSourceFile(sourceFile.fileName.slice(0, -'.ngtypecheck.ts'.length) + '.ts');
        if (original) affected.add(original);
        return true;
      }
      return false;
    });
    if (!next) break;
    affected.add(next.affected);
  }
  for (const sourceFile of builder.getSourceFiles()) {
    for (const resource of compiler.getResourceDependencies(sourceFile)) {
      if (state.modified?.has(resource)) affected.add(sourceFile);
    }
  }

  const diagnostics = [];
  const add = (list) => {
    for (const diagnostic of list) {
      if (diagnostic.category === ts.DiagnosticCategory.Error || diagnostic.category === ts.DiagnosticCategory.Warning) {
        diagnostics.push(plainDiagnostic(ts, diagnostic));
      }
    }
  };
  add(compiler.getOptionDiagnostics());
  add(builder.getOptionsDiagnostics());
  add(builder.getGlobalDiagnostics());
  const firstCompile = !previous;
  for (const sourceFile of builder.getSourceFiles()) {
    if (compiler.ignoreForDiagnostics.has(sourceFile)) continue;
    add(builder.getSyntacticDiagnostics(sourceFile));
    add(builder.getSemanticDiagnostics(sourceFile));
    if (sourceFile.isDeclarationFile) continue;
    let templateDiagnostics = state.diagnostics.get(sourceFile);
    if (firstCompile || affected.has(sourceFile) || !templateDiagnostics) {
      templateDiagnostics = compiler.getDiagnosticsForFile(sourceFile, affected.size === 1 ? ng.OptimizeFor.SingleFile : ng.OptimizeFor.WholeProgram);
      state.diagnostics.set(sourceFile, templateDiagnostics);
    }
    add(templateDiagnostics);
  }

  // Component hot replacement: the new template function of each component whose template or
  // styles alone changed (null: the change needs the module itself compiled again).
  const componentUpdates = {};
  if (hmr && previous && state.modified) {
    for (const sourceFile of builder.getSourceFiles()) {
      if (sourceFile.isDeclarationFile) continue;
      const resources = compiler.getResourceDependencies(sourceFile);
      if (!resources.some((resource) => state.modified.has(resource))) continue;
      if (state.modified.has(sourceFile.fileName)) continue;
      ts.forEachChild(sourceFile, (node) => {
        if (!ts.isClassDeclaration(node) || !node.name) return;
        const update = compiler.emitHmrUpdateModule(node);
        if (update !== null) {
          const base = compilerOptions.rootDir ?? host.getCurrentDirectory();
          componentUpdates[componentUpdateId(base, sourceFile.fileName, node.name.text)] = update;
        }
      });
    }
  }

  const files = {};
  const transformers = compiler.prepareEmit().transformers;
  const write = (fileName, contents, _bom, _onError, sourceFiles) => {
    if (!sourceFiles?.length) return;
    const sourceFile = ts.getOriginalNode(sourceFiles[0], ts.isSourceFile);
    if (compiler.ignoreForEmit.has(sourceFile)) return;
    compiler.incrementalCompilation.recordSuccessfulEmit(sourceFile);
    const { code, map } = splitInlineMap(contents);
    files[sourceFile.fileName] = { ...emittedFacts(sourceFile), code, map, typescript: false };
  };
  // What the Rust side checks to know when a file must be compiled again.
  const emittedFacts = (sourceFile) => ({
    hash: sha256(sourceFile.text),
    resources: compiler.getResourceDependencies(sourceFile).map((resource) => ({
      file: resource,
      hash: state.resourceHashes.get(resource) ?? null,
    })),
  });
  // Without source maps, files that TypeScript could transpile one by one (`isolatedModules`)
  // get Angular's transforms only and come back as TypeScript, which oxc strips much faster
  // than TypeScript's own emit (as the Angular CLI leaves it to esbuild).
  const angularOnly = !sourcemap && compilerOptions.isolatedModules;
  const printer = angularOnly ? ts.createPrinter({ newLine: ts.NewLineKind.LineFeed, removeComments: false }) : undefined;
  const transformOnly = (sourceFile) => {
    const result = ts.transform(sourceFile, [...(transformers.before ?? []), ...(transformers.after ?? [])], compilerOptions);
    const transformed = result.transformed[0];
    const code = transformed === sourceFile ? sourceFile.text : printer.printFile(transformed);
    result.dispose();
    compiler.incrementalCompilation.recordSuccessfulEmit(sourceFile);
    files[sourceFile.fileName] = { ...emittedFacts(sourceFile), code, map: null, typescript: true };
  };
  if (!angularOnly) {
    while (builder.emitNextAffectedFile(write, undefined, undefined, transformers)) {
      // TypeScript emits one affected file per call until none is left.
    }
  }
  // Files Angular must emit again that TypeScript does not consider affected (a component
  // whose template changed), or all of them when only Angular transforms them.
  for (const sourceFile of builder.getSourceFiles()) {
    if (files[sourceFile.fileName] || sourceFile.isDeclarationFile || compiler.ignoreForEmit.has(sourceFile)) continue;
    if (!firstCompile && compiler.incrementalCompilation.safeToSkipEmit(sourceFile) && !affected.has(sourceFile)) continue;
    if (angularOnly) transformOnly(sourceFile);
    else builder.emit(sourceFile, write, undefined, undefined, transformers);
  }
  state.ngProgram = ngProgram;
  state.builder = builder;
  state.modified = undefined;
  return { files, diagnostics, fresh: firstCompile, componentUpdates };
};

// The id Angular's runtime asks for a component's update by (`@ng/component?c=<id>`), as the
// compiler writes it into the component's code: the file relative to `rootDir` (else the
// helper's working folder, the project root), `@`, the class name.
function componentUpdateId(base, fileName, className) {
  let path = relative(base, fileName);
  if (path.startsWith('..')) path = fileName;
  return encodeURIComponent(`${path.replaceAll('\\', '/')}@${className}`);
}

// Package files for the bundle: those built with Angular's partial compilation
// (`ɵɵngDeclareComponent` and friends) are linked to full definitions, as the Angular CLI does
// for every such file it bundles; in production builds every package file also gets the CLI's
// own size passes (`optimize`), which let the bundler drop unused classes with static members,
// enums and top-level calls, and Angular's class metadata.
let angularLinkerPlugin;
tasks['angular.link'] = async ({ root, filename, source, link = true, optimize = false }) => {
  const babel = await loadAngularBabel(root);
  const plugins = [];
  if (link) plugins.push(await loadAngularLinker(root));
  if (optimize) plugins.push(...(await angularOptimizationPlugins(root, filename)));
  if (plugins.length === 0) return { code: source };
  try {
    const result = await babel.transformAsync(source, {
      filename,
      inputSourceMap: false,
      sourceMaps: false,
      compact: false,
      configFile: false,
      babelrc: false,
      browserslistConfigFile: false,
      plugins,
    });
    return { code: result?.code ?? source };
  } catch (error) {
    throw new TaskError(babelMessage(error, filename), { file: filename, ...babelPosition(error) });
  }
};

async function loadAngularLinker(root) {
  if (angularLinkerPlugin) return angularLinkerPlugin;
  const { createEs2015LinkerPlugin } = await loadPackage(root, '@angular/compiler-cli/linker/babel', '@angular/compiler-cli');
  angularLinkerPlugin = createEs2015LinkerPlugin({
    linkerJitMode: false,
    // The libraries' own maps are not followed (as the Angular CLI); see angular/angular#42769.
    sourceMapping: false,
    fileSystem: {
      resolve,
      exists: existsSync,
      dirname,
      relative,
      readFile: readFileSync,
    },
    logger: {
      level: 1,
      debug() {},
      info() {},
      warn(...args) { process.stderr.write(`angular linker: ${args.join(' ')}\n`); },
      error(...args) { process.stderr.write(`angular linker: ${args.join(' ')}\n`); },
    },
  });
  return angularLinkerPlugin;
}

// The Angular CLI's Babel size passes, from the project's @angular/build (not part of its
// public exports, so looked up by path; an @angular/build without them means no passes).
let angularOptimizations;
async function angularOptimizationPlugins(root, filename) {
  if (angularOptimizations === undefined) {
    angularOptimizations = null;
    const dir = packageDir(root, '@angular/build');
    const file = dir && join(dir, 'src/tools/babel/plugins/index.js');
    if (file && existsSync(file)) angularOptimizations = createRequire(file)(file);
  }
  if (!angularOptimizations) return [];
  const { adjustStaticMembers, adjustTypeScriptEnums, elideAngularMetadata, markTopLevelPure } = angularOptimizations;
  const sideEffectFree = packageSideEffects(filename) === false;
  const safeAngularPackage = sideEffectFree && /[\\/]node_modules[\\/]@angular[\\/]/.test(filename);
  return [
    [markTopLevelPure, { topLevelSafeMode: !safeAngularPackage }],
    elideAngularMetadata,
    adjustTypeScriptEnums,
    [adjustStaticMembers, { wrapDecorators: sideEffectFree }],
  ];
}

// `sideEffects` of the package.json nearest above `filename`.
const sideEffectsByDir = new Map();
function packageSideEffects(filename) {
  for (let dir = dirname(filename); ; dir = dirname(dir)) {
    if (sideEffectsByDir.has(dir)) return sideEffectsByDir.get(dir);
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      let value;
      try {
        value = JSON.parse(readFileSync(manifest, 'utf8')).sideEffects;
      } catch {
        value = undefined;
      }
      sideEffectsByDir.set(dir, value);
      return value;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

// Babel as the Angular CLI has it: the project's own, else the one @angular/build depends on.
async function loadAngularBabel(root) {
  try {
    return await loadPackage(root, '@babel/core');
  } catch (error) {
    if (!(error instanceof MissingPackage)) throw error;
    const build = packageDir(root, '@angular/build');
    if (!build) throw error;
    return await loadPackage(build, '@babel/core');
  }
}
