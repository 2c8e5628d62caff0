// Hand-written nasty inputs: deep nesting, huge lines, broken encodings, unterminated tokens,
// runaway Sass, CSS Modules cycles, env expansion bombs and special files (FIFOs, symlink loops,
// /dev/zero). Each runs alone (one `nexxo build` each, and once in the dev server) so the report
// names it directly.
//
// A case: { name, component, title, files, imports?, dev? }
//   files: { path, bytes } | { path, fifo: true } | { path, symlink: target }; paths are relative
//          to the project root (the batch project: index.html → src/main.ts, nexxo.config.json).
//   imports: what src/main.ts imports (`{ spec, style }`: 'namespace' or 'side-effect').
//   dev: how to exercise the dev server: { lazy: [module ids], get: [url paths], restart: true }
//        (restart: the case edits .env/config, which restarts the session).

const DEPTH = 3000;
const rep = (text, n) => text.repeat(n);
const utf8 = (text) => Buffer.from(text, 'utf8');
const BIG = 5 * 1024 * 1024;

function mod(name, component, title, file, bytes, extra = {}) {
  const path = `src/nasty/${name}/${file}`;
  return {
    name,
    component,
    title,
    files: [{ path, bytes: typeof bytes === 'string' ? utf8(bytes) : bytes }, ...(extra.files ?? [])],
    imports: [{ spec: `./nasty/${name}/${file}`, style: /\.(s?css|sass)$/.test(file) && !/\.module\./.test(file) ? 'side-effect' : 'namespace' }],
    dev: { lazy: [`/${path}`], get: /\.(s?css|sass)$/.test(file) ? [`/${path}`] : [] },
  };
}

export function nastyCases() {
  const cases = [
    // --- JS / TS / JSX parser and transforms -------------------------------------------------
    mod('js-deep-parens', 'JS parser', `${DEPTH} nested parentheses`, 'm.ts', `export const x = ${rep('(', DEPTH)}1${rep(')', DEPTH)};\n`),
    mod('js-deep-arrays', 'JS parser', `${DEPTH} nested array literals`, 'm.js', `export const x = ${rep('[', DEPTH)}${rep(']', DEPTH)};\n`),
    mod('js-deep-objects', 'JS parser', `${DEPTH} nested object literals`, 'm.js', `export const x = ${rep('{a:', DEPTH)}1${rep('}', DEPTH)};\n`),
    mod('js-deep-blocks', 'JS parser', `${DEPTH} nested blocks`, 'm.js', `export let x = 1;\n${rep('{', DEPTH)}x++;${rep('}', DEPTH)}\n`),
    mod('js-deep-arrows', 'JS parser', `${DEPTH} nested arrow functions`, 'm.ts', `export const f = ${rep('() => ', DEPTH)}1;\n`),
    mod('js-deep-calls', 'JS parser', `${DEPTH} nested calls`, 'm.js', `const f = (x) => x;\nexport const x = ${rep('f(', DEPTH)}1${rep(')', DEPTH)};\n`),
    mod('js-deep-ternary', 'JS parser', `${DEPTH} nested conditionals`, 'm.js', `let a = 1;\nexport const x = ${rep('a ? 1 : ', DEPTH)}0;\n`),
    mod('js-deep-templates', 'JS parser', `${DEPTH} nested template literals`, 'm.js', `export const x = ${rep('`${', DEPTH)}1${rep('}`', DEPTH)};\n`),
    mod('js-deep-unary', 'JS parser', `${DEPTH} nested unary operators`, 'm.js', `export const x = ${rep('!', DEPTH * 10)}1;\n`),
    mod('js-deep-if', 'JS parser', `${DEPTH} nested if statements`, 'm.js', `export let x = 1;\n${rep('if (x) ', DEPTH)}x++;\n`),
    mod('js-long-binary', 'JS parser', '100,000-term binary expression (minified-code shape)', 'm.js', `export const x = 1${rep(' + 1', 100_000)};\n`),
    mod('js-long-member', 'JS parser', '100,000-link member chain', 'm.js', `const a = {};\nexport const x = () => a${rep('.b', 100_000)};\n`),
    mod('ts-deep-generics', 'JS parser', `${DEPTH} nested generic types`, 'm.ts', `export type T = ${rep('Array<', DEPTH)}number${rep('>', DEPTH)};\nexport const x = 1;\n`),
    mod('tsx-deep-jsx', 'JS parser', `${DEPTH} nested JSX elements`, 'm.tsx', `export const x = ${rep('<div>', DEPTH)}hi${rep('</div>', DEPTH)};\n`),
    mod('js-5mb-string', 'JS parser', '5 MB single-line string literal', 'm.js', `export const s = "${rep('a', BIG)}";\n`),
    mod('js-5mb-array', 'JS parser', '5 MB single-line array', 'm.js', `export const a = [${rep('1,', BIG / 2)}];\n`),
    mod('js-invalid-utf8', 'JS parser', 'invalid UTF-8 bytes in code and strings', 'm.ts', Buffer.concat([utf8('export const a = "'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82]), utf8('";\nexport const b'), Buffer.from([0x80, 0xbf]), utf8(' = 1;\n')])),
    mod('js-lone-surrogates', 'JS parser', 'lone surrogates: WTF-8 bytes and \\uD800 escapes', 'm.ts', Buffer.concat([utf8('export const a = "\\uD800\\uDFFF\\u{D800}";\nexport const b = "'), Buffer.from([0xed, 0xa0, 0x80, 0xed, 0xbf, 0xbf]), utf8('";\nexport const \\u{D800}x = 1;\n')])),
    mod('js-nul-bytes', 'JS parser', 'NUL bytes in code, strings and comments', 'm.js', 'export const a = "\0\0";\n// \0\n/* \0 */\nexport const\0 b = 1;\n'),
    mod('js-boms', 'JS parser', 'BOM at the start and in the middle', 'm.ts', '\uFEFF\uFEFFexport const a = 1;\uFEFF\n'),
    mod('js-unterminated-string', 'JS parser', 'unterminated string', 'm.js', 'export const a = "abc\n'),
    mod('js-unterminated-comment', 'JS parser', 'unterminated block comment', 'm.js', 'export const a = 1; /* never closed\n'),
    mod('js-unterminated-template', 'JS parser', 'unterminated template literal', 'm.js', 'export const a = `abc ${1 + `x ${'),
    mod('js-unterminated-regex', 'JS parser', 'unterminated regular expression', 'm.js', 'export const a = /abc[/;\n'),
    mod('js-unterminated-jsx', 'JS parser', 'unterminated JSX', 'm.tsx', 'export const a = <div><span>{"x"'),
    mod('js-empty', 'JS parser', 'empty module', 'm.ts', ''),
    // Found by the generated cases: the dev transform fails on every TypeScript enum.
    mod('ts-enum', 'JS parser', 'TypeScript enum (dev transform)', 'm.ts', 'export enum E { A, B = A << 2 }\nexport const enum C { D = 1 }\nexport const x = C.D + E.B;\n'),
    // --- CSS (lightningcss, CSS Modules) ---------------------------------------------------------
    mod('css-deep-nesting', 'CSS', `${DEPTH} nested CSS blocks`, 'm.css', `${rep('.a { ', DEPTH)}color: red;${rep(' }', DEPTH)}\n`),
    mod('css-deep-unclosed', 'CSS', `${DEPTH} nested CSS blocks, never closed`, 'm.css', `${rep('.a { ', DEPTH)}color: red;\n`),
    mod('css-deep-parens', 'CSS', `${DEPTH} nested calc() parentheses`, 'm.css', `.a { width: calc${rep('(', DEPTH)}1px${rep(')', DEPTH)}; }\n`),
    mod('css-deep-is', 'CSS', `${DEPTH} nested :is() selectors`, 'm.css', `${rep(':is(', DEPTH)}.a${rep(')', DEPTH)} { color: red }\n`),
    mod('css-deep-media', 'CSS', `${DEPTH} nested @media blocks`, 'm.css', `${rep('@media screen { ', DEPTH)}.a { color: red }${rep(' }', DEPTH)}\n`),
    mod('css-5mb-line', 'CSS', '5 MB single-line stylesheet', 'm.css', rep('.a{color:red}', BIG / 13)),
    mod('css-invalid-utf8', 'CSS', 'invalid UTF-8, NUL and BOMs in a stylesheet', 'm.css', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8('.a { content: "'), Buffer.from([0xff, 0x00, 0xed, 0xa0, 0x80]), utf8('"; }\n.b\0 { color: red }\n\uFEFF')])),
    mod('css-unterminated', 'CSS', 'unterminated comment, string and url(', 'm.css', '.a { background: url(x.png; content: "abc\n/* never closed'),
    mod('css-error-far-column', 'CSS', 'CSS error at column 70,000 (code frame wider than 65,535)', 'm.css', `.a { b: c; }${rep(' ', 70_000)}}}\n`),
    mod('css-self-import', 'CSS', 'stylesheet that @imports itself', 'm.css', '@import "./m.css";\n.a { color: red }\n'),
    mod('css-import-cycle', 'CSS', 'two stylesheets @importing each other', 'm.css', '@import "./b.css";\n.a { color: red }\n', { files: [{ path: 'src/nasty/css-import-cycle/b.css', bytes: utf8('@import "./m.css";\n.b { color: blue }\n') }] }),
    mod('cssm-self-composes', 'CSS (Modules)', 'CSS Module class that composes itself', 'm.module.css', '.a { composes: a; color: red; }\n'),
    mod('cssm-composes-cycle', 'CSS (Modules)', 'CSS Module classes composing each other', 'm.module.css', '.a { composes: b; }\n.b { composes: a; }\n'),
    mod('cssm-composes-self-file', 'CSS (Modules)', 'CSS Module composing itself from its own file', 'm.module.css', ".a { composes: a from './m.module.css'; }\n"),
    mod('cssm-composes-file-cycle', 'CSS (Modules)', 'two CSS Modules composing from each other', 'm.module.css', ".a { composes: b from './b.module.css'; }\n", { files: [{ path: 'src/nasty/cssm-composes-file-cycle/b.module.css', bytes: utf8(".b { composes: a from './m.module.css'; }\n") }] }),
    // --- Sass (grass) ----------------------------------------------------------------------------
    mod('sass-while-true', 'Sass', '@while true with an empty body', 'm.scss', '@while true { }\n.a { color: red }\n'),
    mod('sass-while-true-output', 'Sass', '@while true emitting rules (output grows)', 'm.scss', '@while true { .a { color: red } }\n'),
    mod('sass-while-counter', 'Sass', '@while loop whose counter never reaches the bound', 'm.scss', '$i: 0;\n@while $i < 1 { $i: $i - 1; }\n'),
    mod('sass-deep-nesting', 'Sass', `${DEPTH} nested Sass rules`, 'm.scss', `${rep('.a { ', DEPTH)}color: red;${rep(' }', DEPTH)}\n`),
    mod('sass-deep-parens', 'Sass', `${DEPTH} nested parentheses in a Sass expression`, 'm.scss', `.a { width: ${rep('(', DEPTH)}1px${rep(')', DEPTH)}; }\n`),
    mod('sass-deep-lists', 'Sass', `${DEPTH} nested bracketed lists`, 'm.scss', `$l: ${rep('[', DEPTH)}${rep(']', DEPTH)};\n.a { b: length($l) }\n`),
    mod('sass-recursive-mixin', 'Sass', 'mixin that includes itself forever', 'm.scss', '@mixin m { @include m; }\n.a { @include m; }\n'),
    mod('sass-recursive-function', 'Sass', 'function that calls itself forever', 'm.scss', '@function f($n) { @return f($n + 1); }\n.a { b: f(0); }\n'),
    mod('sass-string-doubling', 'Sass', 'string doubled 40 times (2^40 bytes)', 'm.scss', '$s: "ab";\n@for $i from 1 through 40 { $s: $s + $s; }\n.a { content: $s; }\n'),
    mod('sass-huge-for', 'Sass', '@for over 1e12 iterations', 'm.scss', '@for $i from 1 through 1000000000000 { }\n'),
    mod('sass-self-use', 'Sass', 'module that @uses itself', 'm.scss', "@use './m';\n.a { color: red }\n"),
    mod('sass-self-import', 'Sass', 'stylesheet that @imports itself', 'm.scss', "@import './m';\n.a { color: red }\n"),
    mod('sass-extend-bomb', 'Sass', 'exponential @extend chain', 'm.scss', Array.from({ length: 40 }, (_, i) => `.c${i + 1} { @extend .c${i}; } .c${i + 1} .c${i + 1} { x: y }`).join('\n') + '\n.c0 { x: y }\n'),
    mod('sass-error-far-column', 'Sass', 'Sass error at column 70,000 (code frame wider than 65,535)', 'm.scss', `.a { b: c; }${rep(' ', 70_000)}}\n`),
    mod('js-error-far-column', 'JS parser', 'JS error at column 70,000', 'm.ts', `export const a = 1;${rep(' ', 70_000)})\n`),
    mod('json-error-far-column', 'JSON modules', 'JSON error at column 70,000', 'm.json', `[1${rep(' ', 70_000)}}`),
    mod('sass-invalid-utf8', 'Sass', 'invalid UTF-8 and NUL in Sass', 'm.scss', Buffer.concat([utf8('$a: "'), Buffer.from([0xff, 0xed, 0xa0, 0x80, 0x00]), utf8('";\n.a { b: $a }\n')])),
    mod('sass-unterminated', 'Sass', 'unterminated interpolation, string and block', 'm.scss', '.a { b: #{"x'),
    mod('sass-indented-deep', 'Sass', `${DEPTH} levels of indented-syntax nesting`, 'm.sass', Array.from({ length: DEPTH }, (_, i) => `${' '.repeat(i)}.a`).join('\n') + `\n${' '.repeat(DEPTH)}color: red\n`),
    mod('scssm-self-composes', 'Sass', 'Sass CSS Module composing itself', 'm.module.scss', '.a { composes: a; b: c }\n'),
    // --- JSON modules ----------------------------------------------------------------------------
    mod('json-deep', 'JSON modules', `${DEPTH} nested arrays in a JSON import`, 'm.json', `${rep('[', DEPTH)}${rep(']', DEPTH)}`),
    mod('json-5mb', 'JSON modules', '5 MB single-line JSON import', 'm.json', `[${rep('1,', BIG / 2)}1]`),
    mod('json-invalid-utf8', 'JSON modules', 'invalid UTF-8 and lone surrogate escapes in JSON', 'm.json', Buffer.concat([utf8('{"a": "\\ud800", "b": "'), Buffer.from([0xff, 0xed, 0xa0, 0x80]), utf8('"}')])),
  ];

  // --- HTML pages ------------------------------------------------------------------------------
  const page = (name, title, bytes, extra = []) => ({
    name,
    component: 'HTML',
    title,
    files: [{ path: `src/nasty/${name}/page.html`, bytes: typeof bytes === 'string' ? utf8(bytes) : bytes }, ...extra],
    imports: [],
    dev: { get: [`/src/nasty/${name}/page.html`, `/@nexxo/page/src/nasty/${name}/page.html.js`] },
  });
  cases.push(
    page('html-deep-divs', `${DEPTH * 3} nested elements`, `<!doctype html><body>${rep('<div>', DEPTH * 3)}x${rep('</div>', DEPTH * 3)}</body>\n`),
    page('html-unclosed-divs', `${DEPTH * 3} unclosed elements`, `<!doctype html><body>${rep('<div><p><span><b>', DEPTH)}</body>\n`),
    page('html-5mb-line', '5 MB single-line page', `<!doctype html><body><p>${rep('x', BIG)}</p><script type="module" src="/src/main.ts"></script></body>\n`),
    page('html-inline-deep-script', `inline module script with ${DEPTH} nested parentheses`, `<!doctype html><script type="module">const x = ${rep('(', DEPTH)}1${rep(')', DEPTH)};</script>\n`),
    page('html-error-far-column', 'missing module script at column 70,000', `<!doctype html>${rep(' ', 70_000)}<script type="module" src="./missing.ts"></script>\n`),
    page('html-unterminated-script', 'unterminated <script> and comment', '<!doctype html><script type="module">const a = "\n<!-- never closed'),
    page('html-invalid-utf8', 'invalid UTF-8, NUL and a BOM in a page', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8('<!doctype html><title>'), Buffer.from([0xff, 0x00, 0xed, 0xa0, 0x80]), utf8('</title><img src="./\0.png"><script type="module" src="/src/main.ts"></script>\n')])),
    page('html-many-scripts', '5,000 module scripts on one page', `<!doctype html>${rep('<script type="module" src="/src/main.ts"></script>', 5000)}\n`),
    page('html-script-fifo', 'module script that is a FIFO', '<!doctype html><script type="module" src="./fifo.ts"></script>\n', [{ path: 'src/nasty/html-script-fifo/fifo.ts', fifo: true }]),
    page('html-img-devzero', '<img> pointing at a symlink to /dev/zero', '<!doctype html><img src="./zero.png"><script type="module" src="/src/main.ts"></script>\n', [{ path: 'src/nasty/html-img-devzero/zero.png', symlink: '/dev/zero' }]),
    page('html-link-fifo', '<link rel=stylesheet> that is a FIFO', '<!doctype html><link rel="stylesheet" href="./fifo.css"><script type="module" src="/src/main.ts"></script>\n', [{ path: 'src/nasty/html-link-fifo/fifo.css', fifo: true }]),
  );
  // A FIFO page gets its dev check on the linked stylesheet.
  cases.at(-1).dev.get.push('/src/nasty/html-link-fifo/fifo.css');

  // --- config (nexxo.config.json) and .env -----------------------------------------------------
  const root = (name, component, title, files, dev = { restart: true }) => ({ name, component, title, files, imports: [], dev });
  cases.push(
    root('config-deep', 'config', `${DEPTH} nested arrays in nexxo.config.json`, [{ path: 'nexxo.config.json', bytes: utf8(`{"define": {"a": ${rep('[', DEPTH)}${rep(']', DEPTH)}}}`) }]),
    root('config-define-deep', 'config', `define value with ${DEPTH} nested parentheses`, [{ path: 'nexxo.config.json', bytes: utf8(`{"define": {"__X__": "${rep('(', DEPTH)}1${rep(')', DEPTH)}"}}`) }]),
    root('config-define-invalid', 'config', 'define values that are not expressions', [{ path: 'nexxo.config.json', bytes: utf8('{"define": {"__X__": "}{", "__Y__": "\\u0000", "a.b.": "1", "": "2", "import.meta": "3"}}') }]),
    root('config-alias-loop', 'config', 'resolve.alias entries pointing at each other', [{ path: 'nexxo.config.json', bytes: utf8('{"resolve": {"alias": {"loop-a": "loop-b", "loop-b": "loop-a", "@": "@/x"}}}') }, { path: 'src/nasty/config-alias-loop/m.ts', bytes: utf8("import 'loop-a';\nimport '@/y';\n") }]),
    root('config-invalid-utf8', 'config', 'invalid UTF-8, NUL and a BOM in nexxo.config.json', [{ path: 'nexxo.config.json', bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8('{"base": "/'), Buffer.from([0xff, 0x00, 0xed, 0xa0, 0x80]), utf8('/"}')]) }]),
    root('config-odd-values', 'config', 'odd values: huge numbers, negative limits, odd base and scoped names', [{ path: 'nexxo.config.json', bytes: utf8('{"base": "//evil/../?#", "build": {"assetsInlineLimit": -1e308, "target": "chrome99999999999999999999"}, "cacheMaxSize": 18446744073709551616, "css": {"modules": {"generateScopedName": "[hash:99999][local][local]"}}}') }]),
    root('config-error-far-column', 'config', 'nexxo.config.json error at column 70,000', [{ path: 'nexxo.config.json', bytes: utf8(`{"base": "/",${rep(' ', 70_000)}"nope": 1}`) }]),
    root('env-far-column', 'env', '.env with a broken line 70,000 columns wide', [{ path: '.env', bytes: utf8(`NEXXO_A=${rep(' ', 70_000)}"unterminated\n`) }]),
    root('config-fifo', 'config', 'nexxo.config.json that is a FIFO', [{ path: 'nexxo.config.json', fifo: true }]),
    root('env-expansion-cycle', 'env', '.env variables expanding each other in a cycle', [{ path: '.env', bytes: utf8('NEXXO_A=${NEXXO_B}\nNEXXO_B=${NEXXO_A}\nNEXXO_C=$NEXXO_C$NEXXO_C\n') }]),
    root('env-expansion-bomb', 'env', '.env expansion doubling 40 times (2^40 bytes)', [{ path: '.env', bytes: utf8(['NEXXO_V0=ab', ...Array.from({ length: 40 }, (_, i) => `NEXXO_V${i + 1}=\${NEXXO_V${i}}\${NEXXO_V${i}}`)].join('\n') + '\n') }]),
    root('env-5mb-line', 'env', '5 MB single-line .env value', [{ path: '.env', bytes: utf8(`NEXXO_BIG=${rep('x', BIG)}\n`) }]),
    root('env-invalid-utf8', 'env', 'invalid UTF-8, NUL and a BOM in .env', [{ path: '.env', bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8('NEXXO_A="'), Buffer.from([0xff, 0x00, 0xed, 0xa0, 0x80]), utf8('\nNEXXO_B=\'unterminated\n\0=1\n')]) }]),
    root('env-fifo', 'env', '.env that is a FIFO', [{ path: '.env', fifo: true }]),
    root('env-devzero', 'env', '.env.local symlinked to /dev/zero', [{ path: '.env.local', symlink: '/dev/zero' }]),
  );

  // --- special files ---------------------------------------------------------------------------
  cases.push(
    special('fifo-module', 'JS parser', 'imported module that is a FIFO', [{ path: 'src/nasty/fifo-module/m.ts', fifo: true }], './nasty/fifo-module/m.ts'),
    special('fifo-stylesheet', 'CSS', 'imported stylesheet that is a FIFO', [{ path: 'src/nasty/fifo-stylesheet/m.css', fifo: true }], './nasty/fifo-stylesheet/m.css', 'side-effect'),
    special('fifo-sass-partial', 'Sass', 'Sass partial that is a FIFO', [{ path: 'src/nasty/fifo-sass-partial/m.scss', bytes: utf8("@use './p';\n") }, { path: 'src/nasty/fifo-sass-partial/_p.scss', fifo: true }], './nasty/fifo-sass-partial/m.scss', 'side-effect'),
    special('fifo-css-import', 'CSS', 'CSS @import of a FIFO', [{ path: 'src/nasty/fifo-css-import/m.css', bytes: utf8("@import './f.css';\n") }, { path: 'src/nasty/fifo-css-import/f.css', fifo: true }], './nasty/fifo-css-import/m.css', 'side-effect'),
    special('fifo-asset', 'JS parser', 'imported asset (?raw) that is a FIFO', [{ path: 'src/nasty/fifo-asset/f.txt', fifo: true }], './nasty/fifo-asset/f.txt?raw'),
    special('fifo-public', 'public', 'public/ entry that is a FIFO', [{ path: 'public/fifo.txt', fifo: true }], null, 'namespace', { get: ['/fifo.txt'] }),
    special('fifo-page', 'HTML', 'an .html page that is a FIFO', [{ path: 'src/nasty/fifo-page/page.html', fifo: true }], null, 'namespace', { get: ['/src/nasty/fifo-page/page.html'] }),
    special('symlink-loop-file', 'resolver', 'imported module in a symlink loop (a → b → a)', [{ path: 'src/nasty/symlink-loop-file/a.ts', symlink: 'b.ts' }, { path: 'src/nasty/symlink-loop-file/b.ts', symlink: 'a.ts' }], './nasty/symlink-loop-file/a.ts'),
    special('symlink-loop-dir', 'resolver', 'folder symlinked to its parent (infinite tree)', [{ path: 'src/nasty/symlink-loop-dir/up', symlink: '..' }, { path: 'src/nasty/symlink-loop-dir/m.ts', bytes: utf8("export * from './up/symlink-loop-dir/up/symlink-loop-dir/m2';\n") }, { path: 'src/nasty/symlink-loop-dir/m2.ts', bytes: utf8('export const a = 1;\n') }], './nasty/symlink-loop-dir/m.ts'),
    special('symlink-devzero-module', 'JS parser', 'imported module symlinked to /dev/zero', [{ path: 'src/nasty/symlink-devzero-module/m.ts', symlink: '/dev/zero' }], './nasty/symlink-devzero-module/m.ts'),
    special('symlink-devzero-css', 'CSS', 'imported stylesheet symlinked to /dev/zero', [{ path: 'src/nasty/symlink-devzero-css/m.css', symlink: '/dev/zero' }], './nasty/symlink-devzero-css/m.css', 'side-effect'),
    special('symlink-devzero-public', 'public', 'public/ entry symlinked to /dev/zero', [{ path: 'public/zero.bin', symlink: '/dev/zero' }], null, 'namespace', { get: ['/zero.bin'] }),
    special('symlink-devzero-asset', 'assets', 'imported image symlinked to /dev/zero', [{ path: 'src/nasty/symlink-devzero-asset/z.png', symlink: '/dev/zero' }], './nasty/symlink-devzero-asset/z.png'),
    special('symlink-dangling', 'resolver', 'imported module that is a dangling symlink', [{ path: 'src/nasty/symlink-dangling/m.ts', symlink: 'missing.ts' }], './nasty/symlink-dangling/m.ts'),
  );
  const oddNames = ['a b.ts', 'ünï cödé.ts', 'new\nline.ts', 'hash#x.ts', 'q?x.ts', '%20%2e%2e.ts', 'emoji😀.ts', "quote'\"`.ts", 'back\\slash.ts', ' lead.ts', 'trail .ts', '-dash.ts', '$dollar{x}.ts'];
  for (const [i, name] of oddNames.entries()) {
    const bytes = utf8(`export const v${i} = ${JSON.stringify(name)};\n`);
    const files = [{ path: `src/nasty/odd-name-${i}/${name}`, bytes }];
    const spec = `./nasty/odd-name-${i}/${name.replace(/[\\'\n]/g, (c) => ({ '\\': '\\\\', "'": "\\'", '\n': '\\n' })[c])}`;
    cases.push(special(`odd-name-${i}`, 'resolver', `module named ${JSON.stringify(name)}`, files, spec));
  }
  cases.push(
    special('odd-name-css', 'CSS', 'stylesheet and asset with spaces, unicode, # and ?', [{ path: 'src/nasty/odd-name-css/a b#ü?.css', bytes: utf8(".a { background: url('./i m#g?.png'); }\n") }, { path: 'src/nasty/odd-name-css/i m#g?.png', bytes: Buffer.from('89504e470d0a1a0a', 'hex') }], "./nasty/odd-name-css/a b#ü?.css", 'side-effect'),
    special('odd-name-public', 'public', 'public/ files with odd names', ['a b.txt', 'ü.txt', 'new\nline.txt', 'h#x.txt', 'q?x.txt'].map((n) => ({ path: `public/${n}`, bytes: utf8('x') })), null, 'namespace', { get: ['/a%20b.txt', '/%C3%BC.txt', '/new%0Aline.txt', '/h%23x.txt', '/q%3Fx.txt'] }),
    special('odd-name-page', 'HTML', 'page named with spaces, unicode and #', [{ path: 'src/nasty/odd-name-page/p a#ü.html', bytes: utf8('<!doctype html><script type="module" src="/src/main.ts"></script>\n') }], null, 'namespace', { get: ['/src/nasty/odd-name-page/p%20a%23%C3%BC.html'] }),
  );
  return cases;
}

function special(name, component, title, files, spec, style = 'namespace', dev) {
  const lazyIds = spec ? [`/src/${spec.slice(2).split('?')[0]}${spec.includes('?') ? `?${spec.split('?')[1]}` : ''}`] : [];
  // In dev the special file is also reached through an import from a plain module, since the
  // dev server refuses to serve special files directly (404/403) but its resolver may follow them.
  const importer = spec ? [{ path: `src/importer-${name}.ts`, bytes: Buffer.from(`import * as m from ${JSON.stringify(spec)};\nconsole.log(m);\n`) }] : [];
  return {
    name,
    component,
    title,
    files: [...files, ...importer],
    imports: spec ? [{ spec, style }] : [],
    dev: dev ?? { lazy: [...lazyIds, ...importer.map((f) => `/${f.path}`)], get: [] },
  };
}
