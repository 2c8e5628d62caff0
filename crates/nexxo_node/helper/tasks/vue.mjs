// Vue single-file components (`vue.compile`, `vue.style`): part of the helper script, sharing the
// core's scope (see helper.mjs). The main module is assembled as @vitejs/plugin-vue does, with
// the export helper's attachments written as plain assignments.

async function loadVueCompiler(root) {
  const compiler = await loadFirstPackage(root, ['vue/compiler-sfc', '@vue/compiler-sfc'], 'vue');
  // Props and emits typed with types imported from other files need TypeScript's file system;
  // the callback runs only when such a type is met, so projects without TypeScript never load it.
  if (typeof compiler.registerTS === 'function' && !vueTsRegistered.has(compiler)) {
    vueTsRegistered.add(compiler);
    compiler.registerTS(() => requireFrom(root)('typescript'));
  }
  return compiler;
}
const vueTsRegistered = new WeakSet();

// A `src=` block's file: resolved beside the .vue file, read, and recorded for watching.
function readVueSrc(filename, src, files) {
  const path = resolve(dirname(filename), src);
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new TaskError(`Cannot read ${path} (src="${src}"): ${error.message}`, { file: filename });
  }
  files.push(path);
  return { path, text };
}

// Where a Vue compiler error is, in the file the user edits. `base` is the block the compiler
// saw: its text's offset in `source` (the file named `file`), or 0 when it saw the whole file.
function vueErrorAt(error, file, source, baseOffset) {
  const start = error?.loc?.start;
  if (start && Number.isInteger(start.offset) && typeof source === 'string') {
    return { file, ...positionAt(source, baseOffset + start.offset) };
  }
  // Babel errors from the script compiler: `loc.index` is the offset in the script block.
  if (error?.loc && Number.isInteger(error.loc.index) && typeof source === 'string') {
    return { file, ...positionAt(source, baseOffset + error.loc.index) };
  }
  // Script macro errors carry only a code frame of the whole file.
  return { file, ...locationFromCodeFrame(error?.message) };
}

function vueErrorMessage(error) {
  return firstLine(error?.message ?? error)
    .replace(/^\[@?vue\/compiler-sfc\]\s*/, '')
    .replace(/\s*\(\d+:\d+\)$/, '');
}

// Vue's compiler warns through console.warn; the warnings are collected for the reply instead.
// Safe because compileScript is synchronous: no other request runs while it is replaced.
function collectConsoleWarnings(run, warnings) {
  const original = console.warn;
  console.warn = (...args) => {
    const message = stripAnsi(args.join(' ')).replace(/^\[@?vue\/compiler-sfc\]\s*/, '').trim();
    if (message) warnings.push({ message });
  };
  try {
    return run();
  } finally {
    console.warn = original;
  }
}

const VUE_SCRIPT_LANGS = new Set(['js', 'ts', 'jsx', 'tsx']);

tasks['vue.compile'] = async ({ root, filename, source, scopeId, production = false, hmr = false }) => {
  const compiler = await loadVueCompiler(root);
  const files = [];
  const warnings = [];

  const parsed = compiler.parse(source, { filename, sourceMap: false });
  if (parsed.errors.length > 0) {
    const error = parsed.errors[0];
    throw new TaskError(vueErrorMessage(error), vueErrorAt(error, filename, source, 0));
  }

  // `src=` blocks: the file's text replaces the block's, and errors point into that file. The
  // parsed descriptor is Vue's cached object, so it is copied rather than changed.
  const descriptor = { ...parsed.descriptor };
  let template = descriptor.template;
  let templateOrigin = template && { file: filename, source, offset: template.loc.start.offset };
  if (template?.src) {
    const { path, text } = readVueSrc(filename, template.src, files);
    template = descriptor.template = { ...template, content: text, ast: undefined };
    templateOrigin = { file: path, source: text, offset: 0 };
  }
  let scriptOrigin = { file: filename, source };
  let script = descriptor.script;
  if (script?.src) {
    const { path, text } = readVueSrc(filename, script.src, files);
    script = descriptor.script = { ...script, content: text, lang: script.lang ?? extname(path).slice(1) };
    scriptOrigin = { file: path, source: text };
  }
  descriptor.styles = descriptor.styles.map((style) => {
    if (!style.src) return style;
    const { path, text } = readVueSrc(filename, style.src, files);
    return { ...style, content: text, srcFile: path };
  });
  const styles = descriptor.styles.map((style, index) => {
    const srcFile = style.srcFile ?? null;
    const content = style.content;
    const line = srcFile ? 1 : style.loc.start.line;
    return {
      index,
      content,
      lang: style.lang ?? (srcFile ? extname(srcFile).slice(1) || 'css' : 'css'),
      scoped: Boolean(style.scoped),
      module: style.module ? (typeof style.module === 'string' ? style.module : '$style') : null,
      srcFile,
      line,
      scopedCss: null,
    };
  });

  const lang = descriptor.scriptSetup?.lang ?? script?.lang ?? 'js';
  if (!VUE_SCRIPT_LANGS.has(lang)) {
    const block = descriptor.scriptSetup ?? script;
    throw new TaskError(`<script lang="${lang}"> is not supported; use js, ts, jsx or tsx`, {
      file: filename,
      ...positionAt(source, block.loc.start.offset),
    });
  }
  const hasScoped = descriptor.styles.some((style) => style.scoped);
  // Plain CSS blocks are scoped here, in the request that parsed them, rather than in a
  // `vue.style` request per block after Nexxo's CSS stage: half the round trips for a
  // component. Only where the order cannot matter: no `@import` (whose rules the CSS stage
  // inlines and Vite scopes with the rest) and no `src` file.
  descriptor.styles.forEach((style, index) => {
    const block = styles[index];
    const needsVue = block.scoped || block.content.includes('v-bind(');
    if (!needsVue || block.lang !== 'css' || block.srcFile || block.content.includes('@import')) return;
    const result = compiler.compileStyle({
      source: block.content,
      filename,
      id: `data-v-${scopeId}`,
      scoped: block.scoped,
      isProd: production,
    });
    if (result.errors.length > 0) {
      const error = result.errors[0];
      const message = error.reason ?? firstLine(error.message);
      if (!Number.isInteger(error.line)) throw new TaskError(message, { file: filename });
      const lineStarts = [0];
      for (let i = 0; i < block.content.length; i++) if (block.content[i] === '\n') lineStarts.push(i + 1);
      const offsetInBlock = (lineStarts[error.line - 1] ?? 0) + Math.max(0, (error.column ?? 1) - 1);
      throw new TaskError(message, { file: filename, ...positionAt(source, style.loc.start.offset + offsetInBlock) });
    }
    block.scopedCss = result.code;
  });
  // Inlining the template into setup() is what a production build does (smaller, faster), but
  // it ties script and template together, so development keeps them apart for re-rendering.
  const inlineTemplate = Boolean(production && descriptor.scriptSetup && template);
  const templateCompilerOptions = (bindingMetadata) => ({
    bindingMetadata,
    expressionPlugins: /tsx?$/.test(lang) ? ['typescript'] : [],
    scopeId: hasScoped ? `data-v-${scopeId}` : undefined,
  });

  let scriptCode = 'const _sfc_main = {}';
  let bindings;
  if (script || descriptor.scriptSetup) {
    let compiled;
    try {
      compiled = collectConsoleWarnings(
        () =>
          compiler.compileScript(descriptor, {
            id: scopeId,
            isProd: production,
            inlineTemplate,
            genDefaultAs: '_sfc_main',
            sourceMap: false,
            templateOptions: {
              id: scopeId,
              scoped: hasScoped,
              slotted: descriptor.slotted,
              isProd: production,
              compilerOptions: templateCompilerOptions(undefined),
            },
          }),
        warnings,
      );
    } catch (error) {
      if (isNormalized(error)) throw error;
      // Babel's offsets are in the block it parsed, which compileScript does not name; with one
      // block that is known. Otherwise the code frame in the message (whole-file lines) is used.
      const blocks = [script, descriptor.scriptSetup].filter(Boolean);
      let location;
      if (script?.src && blocks.length === 1) {
        location = vueErrorAt(error, scriptOrigin.file, scriptOrigin.source, 0);
      } else if (blocks.length === 1) {
        location = vueErrorAt(error, filename, source, blocks[0].loc.start.offset);
      } else {
        location = { file: filename, ...locationFromCodeFrame(error?.message) };
      }
      throw new TaskError(vueErrorMessage(error), location);
    }
    scriptCode = compiled.content;
    bindings = compiled.bindings;
  }

  let templateCode = '';
  if (template && !inlineTemplate) {
    const compiled = compiler.compileTemplate({
      source: template.content,
      ast: template.src || (template.lang && template.lang !== 'html') ? undefined : template.ast,
      filename,
      id: scopeId,
      scoped: hasScoped,
      slotted: descriptor.slotted,
      isProd: production,
      ssrCssVars: descriptor.cssVars,
      preprocessLang: template.lang && template.lang !== 'html' ? template.lang : undefined,
      compilerOptions: templateCompilerOptions(bindings),
    });
    if (compiled.errors.length > 0) {
      const error = compiled.errors[0];
      if (typeof error === 'string') throw new TaskError(error, { file: templateOrigin.file });
      // With the parsed AST reused, locations are already in the whole file.
      const offset = template.ast && !template.src ? 0 : templateOrigin.offset;
      throw new TaskError(vueErrorMessage(error), vueErrorAt(error, templateOrigin.file, templateOrigin.source, offset));
    }
    for (const tip of compiled.tips) warnings.push({ message: stripAnsi(tip) });
    templateCode = compiled.code.replace(/\nexport (function|const) (render|ssrRender)/, '\n$1 _sfc_$2');
  }

  const output = [scriptCode, templateCode];
  if (templateCode) output.push('_sfc_main.render = _sfc_render');
  const fileName = basename(filename);
  const cssModules = [];
  descriptor.styles.forEach((style, index) => {
    const scoped = style.scoped ? `&scoped=${scopeId}` : '';
    const langQuery = `&lang.${styles[index].lang}`;
    if (style.module) {
      const request = `./${fileName}?vue&type=style&index=${index}${scoped}&module${langQuery}`;
      output.push(`import style${index} from ${JSON.stringify(request)}`);
      cssModules.push(`cssModules[${JSON.stringify(styles[index].module)}] = style${index}`);
    } else {
      output.push(`import ${JSON.stringify(`./${fileName}?vue&type=style&index=${index}${scoped}${langQuery}`)}`);
    }
  });
  if (cssModules.length > 0) {
    output.push('const cssModules = {}', ...cssModules, '_sfc_main.__cssModules = cssModules');
  }
  if (hasScoped) output.push(`_sfc_main.__scopeId = ${JSON.stringify(`data-v-${scopeId}`)}`);
  if (!production) output.push(`_sfc_main.__file = ${JSON.stringify(filename)}`);
  if (hmr) {
    output.push(
      `_sfc_main.__hmrId = ${JSON.stringify(scopeId)}`,
      "typeof __VUE_HMR_RUNTIME__ !== 'undefined' && __VUE_HMR_RUNTIME__.createRecord(_sfc_main.__hmrId, _sfc_main)",
      'import.meta.hot.accept(mod => {',
      '  if (!mod) return',
      '  const { default: updated, _rerender_only } = mod',
      '  if (_rerender_only) {',
      '    __VUE_HMR_RUNTIME__.rerender(updated.__hmrId, updated.render)',
      '  } else {',
      '    __VUE_HMR_RUNTIME__.reload(updated.__hmrId, updated)',
      '  }',
      '})',
    );
  }
  output.push('export default _sfc_main');

  return {
    code: output.filter(Boolean).join('\n') + '\n',
    lang,
    templateKey: template ? hashKey(template.content, template.lang ?? null, template.src ?? null) : '',
    // The compiled script, not its text: in development TypeScript imports are kept or dropped
    // by whether the template uses them, so a template edit can change the script's bindings
    // and must then reload the component rather than re-render it. Style attributes are in the
    // key because `__scopeId` and `__cssModules` change the component object too.
    scriptKey: hashKey(
      inlineTemplate ? [script?.content ?? null, descriptor.scriptSetup?.content ?? null] : scriptCode,
      descriptor.cssVars,
      descriptor.styles.map((style) => [Boolean(style.scoped), style.module ?? null]),
    ),
    styles,
    files,
    warnings,
  };
};

// Finds the `<style>` block `css` came from, so a style error can point into the .vue file.
// Returns the block's content offset in the file's text, or null when the CSS is not a block's
// text as written (preprocessed, or the file changed since).
async function vueStyleOrigin(compiler, filename, css) {
  try {
    const source = readFileSync(filename, 'utf8');
    const { descriptor } = compiler.parse(source, { filename, sourceMap: false });
    const style = descriptor.styles.find((block) => !block.src && block.content === css);
    return style ? { source, offset: style.loc.start.offset } : null;
  } catch {
    return null;
  }
}

tasks['vue.style'] = async ({ root, filename, css, scopeId, scoped = false, production = false }) => {
  const compiler = await loadVueCompiler(root);
  const result = await compiler.compileStyleAsync({
    source: css,
    filename,
    id: `data-v-${scopeId}`,
    scoped,
    isProd: production,
  });
  if (result.errors.length > 0) {
    const error = result.errors[0];
    const message = error.reason ?? firstLine(error.message);
    if (!Number.isInteger(error.line)) throw new TaskError(message, { file: filename });
    const origin = await vueStyleOrigin(compiler, filename, css);
    if (!origin) throw new TaskError(message, { file: filename });
    const lineStarts = [0];
    for (let i = 0; i < css.length; i++) if (css[i] === '\n') lineStarts.push(i + 1);
    const offsetInBlock = (lineStarts[error.line - 1] ?? 0) + Math.max(0, (error.column ?? 1) - 1);
    throw new TaskError(message, { file: filename, ...positionAt(origin.source, origin.offset + offsetInBlock) });
  }
  return { code: result.code };
};
