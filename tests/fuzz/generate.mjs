// Seeded generator of malformed inputs for Nexxo: mutations of the repository's own fixture and
// example files (byte flips, deletions, duplications, splices, truncations, token swaps).
// Every case is a pure function of (seed, index) and the checked-out seed files, so
// `run.mjs --seed S --case I` rebuilds exactly the case a failing run printed.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** mulberry32 over a 32-bit state derived from (seed, stream): small, fast, deterministic. */
export function rng(seed, stream = 0) {
  let state = (hash32(`${seed}`) ^ Math.imul(stream + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r = {
    next,
    int: (n) => Math.floor(next() * n),
    range: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
  };
  return r;
}

function hash32(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Seed corpus: every text file of tests/fixtures and examples, grouped by the kind of input it
// feeds, in a fixed (sorted) order, plus a few inline snippets with syntax the fixtures lack.

const KIND_OF = [
  [/\.module\.scss$/, 'module.scss'],
  [/\.module\.css$/, 'module.css'],
  [/\.scss$/, 'scss'],
  [/\.sass$/, 'sass'],
  [/\.css$/, 'css'],
  [/\.tsx$/, 'tsx'],
  [/\.jsx$/, 'jsx'],
  [/\.d\.ts$/, null],
  [/\.ts$/, 'ts'],
  [/\.m?js$/, 'js'],
  [/(^|\/)nexxo\.config\.json$/, 'config'],
  [/(^|\/)(package|package-lock|tsconfig)\.json$/, null],
  [/\.json$/, 'json'],
  [/\.html$/, 'html'],
  [/(^|\/)\.env(\.[\w.]+)?$/, 'env'],
];

const SNIPPETS = {
  ts: [
    'export class A<T extends { x: number }> { #p = 1; static { this.q = 2; } get v(): T | undefined { return undefined; } }\n' +
      'export const r = /a(?<n>b)\\/[/]c/giu.exec(`x${1 + 2}y${`n${3}`}`);\nexport enum E { A = 1, B = A << 2 }\n' +
      'export function* g(): Generator<number> { yield* [1, 2]; }\nexport const o = { a: 1, ...{ b: 2 }, [`k`]: 3 } satisfies object;\n',
    "import type { X } from './x';\nexport declare namespace N { const a: string; }\nexport const f = async <T,>(x: T) => await x ?? null;\n" +
      "label: for (const a of [1]) { if (a) continue label; }\nexport default (a?.b?.[0]?.(1) as unknown as number) ** 2;\n",
  ],
  tsx: [
    "export const C = ({ a }: { a: string }) => <div className={a} data-x='1'>{a}<><span>{`t${a}`}</span></></div>;\n" +
      'export default function App() { return <C a="q" {...{}} />; }\n',
  ],
  js: [
    "import x, * as ns from './m.js';\nexport { x as default, ns };\nexport const re = /[\\]/]+/y, s = 'a\\\nb', n = 0x1_0n;\n" +
      'if (a) b; else { c: d; }\nnew.target; import.meta.env.MODE; import(`./${p}.js`);\n',
  ],
  css: [
    '@charset "utf-8";\n@layer a, b;\n@media (width >= 600px) { .a { color: rgb(0 0 0 / 50%); } }\n.b { &:hover { color: red; } .c & { x: y } }\n' +
      '@supports (display: grid) and (not (display: inline-grid)) { .d { grid-template-areas: "a b"; } }\n' +
      '.e::before { content: "\\201C"; background: url("data:image/png;base64,AAAA") } @font-face { font-family: x; src: url(./f.woff2) }\n' +
      ':root { --v: { a: b }; } .f { width: calc(100% - (2 * var(--g, 3px))); }\n',
  ],
  'module.css': [
    '.a { color: red; }\n.b { composes: a; color: blue; }\n.c { composes: a b; }\n:global(.g) .d { x: y }\n.e :local(.f) { }\n@value v: 1px;\n',
  ],
  scss: [
    '$a: 1px !default;\n@use "sass:math";\n@mixin m($x: 2) { width: math.div($x, 2) * 1px; @content; }\n' +
      '.a { @include m(4) { color: red; } &-b { c: d } %p { e: f } }\n.g { @extend %p; }\n' +
      '@each $k, $v in (a: 1, b: 2) { .#{$k} { w: $v } }\n@function f($n) { @if $n > 1 { @return $n * f($n - 1); } @return 1; }\n' +
      '.h { w: f(5); } @for $i from 1 through 3 { .i-#{$i} { w: $i } } $l: [1, 2, 3]; .j { w: nth($l, 2) }\n',
  ],
  json: ['{"a": [1, 2.5e3, -0, true, null, {"b": "\\u00e9\\ud83d\\ude00"}], "": {}}\n'],
  env: [
    'NEXXO_A=1\nNEXXO_B="quoted ${NEXXO_A} $NEXXO_A"\nNEXXO_C=\'single\'\nexport NEXXO_D=exported # comment\nNEXXO_E="multi\nline"\nBAD LINE\n=novalue\n',
  ],
  config: [
    '{"base": "/app/", "mode": "x", "define": {"__A__": "1"}, "resolve": {"alias": {"@": "./src"}}, "envPrefix": ["NEXXO_", "APP_"],\n' +
      ' "build": {"target": ["es2020", "chrome90"], "sourcemap": "hidden", "minify": false, "outDir": "out", "manualChunks": {"v": ["x"]}}}\n',
  ],
};

let corpusCache;
/** Seed files by kind: `{ kind: [{ name, bytes }] }`. */
export function corpus() {
  if (corpusCache) return corpusCache;
  const byKind = {};
  const add = (kind, name, bytes) => (byKind[kind] ??= []).push({ name, bytes });
  const walk = (dir) => {
    for (const entry of readdirSync(dir).sort()) {
      if (entry === 'node_modules' || entry === 'dist' || entry === 'package-lock.json') continue;
      const full = path.join(dir, entry);
      const info = statSync(full);
      if (info.isDirectory()) walk(full);
      else if (info.size < 200_000) {
        const rel = path.relative(repoRoot, full);
        const match = KIND_OF.find(([re]) => re.test(rel));
        if (match && match[1]) add(match[1], rel, readFileSync(full));
      }
    }
  };
  walk(path.join(repoRoot, 'tests/fixtures'));
  walk(path.join(repoRoot, 'examples'));
  for (const [kind, snippets] of Object.entries(SNIPPETS)) {
    snippets.forEach((text, i) => add(kind, `snippet:${kind}#${i}`, Buffer.from(text)));
  }
  // Kinds with few seeds borrow from their neighbours.
  byKind.jsx = [...(byKind.jsx ?? []), ...byKind.tsx, ...byKind.js];
  byKind['module.scss'] = [...(byKind['module.scss'] ?? []), ...byKind.scss, ...byKind['module.css']];
  byKind.sass ??= [];
  corpusCache = byKind;
  return byKind;
}

// ---------------------------------------------------------------------------------------------
// Mutations.

const TOKENS = [
  '{', '}', '(', ')', '[', ']', '<', '>', '</', '/>', '`', '${', '"', "'", '/*', '*/', '//', '/', '\\',
  ';', ',', ':', '=', '=>', '?.', '??=', '...', '#', '@', '&', '#{', '$', '%', '!important', '\n', '\r', '\t',
  '\u0000', '\uFEFF', '\u2028', '\uD800', '\uDFFF', '\uFFFD', 'é', '😀', '<!--', '-->', '<![CDATA[',
  'import(', "import x from '", "export * from './", 'export default', 'async ', 'await ', 'yield ', 'new ',
  'class ', 'function ', 'enum ', 'declare ', 'as ', 'satisfies ', 'typeof ', 'keyof ', 'infer ', '@decorator ',
  'import.meta.hot', 'import.meta.env.', 'process.env.NODE_ENV', 'require(', 'eval(', 'debugger',
  '@import "', "@use '", '@forward ', '@extend ', '@include ', '@mixin ', '@function ', '@return ', '@if ', '@else ',
  '@each ', '@for ', '@while ', '@media ', '@supports ', '@layer ', '@container ', '@font-face', '@keyframes ',
  '@charset ', '@value ', 'composes: ', ' from ', ':global(', ':local(', ':is(', ':has(', '::before', 'url(',
  'url("', 'var(--', 'calc(', 'image-set(', '!default', '<script>', '<script type="module">', '</script>',
  '<style>', '</style>', '<link rel="stylesheet" href="', '<img src="', ' srcset="', '<template>', '<svg>',
  '&amp;', '&#0;', '&#xD800;', '\\u{D800}', '\\uD800', '\\0', '\\x', '\\u{110000}', '9'.repeat(400), '-0', '1e999',
  'NaN', 'null', 'true', '[]', '{}', '""', '"$schema"', '"__proto__"', '"constructor"', '${NEXXO_A}', '$NEXXO_A',
  'export ', 'NEXXO_', '=', '"', '#', '\\n',
];

/** UTF-8, except that lone surrogates become their WTF-8 bytes (ED A0 80…): invalid UTF-8. */
export function tokenBytes(text) {
  const parts = [];
  const lone = /([\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF])/;
  for (const piece of text.split(lone)) {
    if (piece.length === 1 && lone.test(piece)) {
      const code = piece.charCodeAt(0);
      parts.push(Buffer.from([0xed, 0xa0 | ((code >> 6) & 0x1f), 0x80 | (code & 0x3f)]));
    } else parts.push(Buffer.from(piece, 'utf8'));
  }
  return Buffer.concat(parts);
}

const MUTATORS = {
  flip(r, buf) {
    const out = Buffer.from(buf);
    if (!out.length) return { out: Buffer.from([r.int(256)]), note: 'flip(empty)' };
    const at = r.int(out.length);
    out[at] = r.chance(0.5) ? out[at] ^ (1 << r.int(8)) : r.int(256);
    return { out, note: `flip@${at}` };
  },
  delete(r, buf) {
    const at = r.int(buf.length + 1);
    const len = r.range(1, Math.max(1, Math.min(buf.length - at, r.pick([1, 4, 16, 256]))));
    return { out: Buffer.concat([buf.subarray(0, at), buf.subarray(at + len)]), note: `delete@${at}+${len}` };
  },
  duplicate(r, buf) {
    const at = r.int(buf.length + 1);
    const len = Math.min(buf.length - at, r.range(1, r.pick([2, 8, 64, 512])));
    const times = r.pick([1, 2, 3, 10, 100, 1000]);
    const piece = buf.subarray(at, at + len);
    const copies = Buffer.concat(Array(times).fill(piece));
    return { out: Buffer.concat([buf.subarray(0, at), copies, buf.subarray(at)]), note: `dup@${at}+${len}x${times}` };
  },
  splice(r, buf, donors) {
    const donor = r.pick(donors);
    const from = r.int(donor.bytes.length + 1);
    const len = Math.min(donor.bytes.length - from, r.range(1, 400));
    const at = r.int(buf.length + 1);
    const cut = r.chance(0.5) ? r.int(Math.min(64, buf.length - at) + 1) : 0;
    const piece = donor.bytes.subarray(from, from + len);
    return {
      out: Buffer.concat([buf.subarray(0, at), piece, buf.subarray(at + cut)]),
      note: `splice@${at}-${cut}<${donor.name}@${from}+${len}`,
    };
  },
  truncate(r, buf) {
    const at = r.int(buf.length + 1);
    return { out: buf.subarray(0, at), note: `truncate@${at}` };
  },
  swapTokens(r, buf) {
    const text = buf.toString('latin1');
    const tokens = text.match(/[A-Za-z_$][\w$-]*|\d+|\s+|[^\w\s]/g) ?? [];
    if (tokens.length < 2) return MUTATORS.insertToken(r, buf);
    const a = r.int(tokens.length);
    const b = r.int(tokens.length);
    [tokens[a], tokens[b]] = [tokens[b], tokens[a]];
    return { out: Buffer.from(tokens.join(''), 'latin1'), note: `swap#${a}<>#${b}` };
  },
  insertToken(r, buf) {
    const token = r.pick(TOKENS);
    const at = r.int(buf.length + 1);
    const times = r.chance(0.15) ? r.pick([2, 5, 50, 300]) : 1;
    const piece = tokenBytes(token.repeat(times));
    return { out: Buffer.concat([buf.subarray(0, at), piece, buf.subarray(at)]), note: `insert@${at}:${JSON.stringify(token).slice(0, 20)}x${times}` };
  },
  replaceToken(r, buf) {
    const text = buf.toString('latin1');
    const tokens = text.match(/[A-Za-z_$][\w$-]*|\d+|\s+|[^\w\s]/g) ?? [];
    if (!tokens.length) return MUTATORS.insertToken(r, buf);
    const a = r.int(tokens.length);
    const by = r.pick(TOKENS);
    tokens[a] = tokenBytes(by).toString('latin1');
    return { out: Buffer.from(tokens.join(''), 'latin1'), note: `replace#${a}:${JSON.stringify(by).slice(0, 20)}` };
  },
};
const MUTATOR_NAMES = Object.keys(MUTATORS);

/** Applies 1–4 random mutations to `bytes`; returns the bytes and a description. */
export function mutate(r, bytes, donors) {
  let out = bytes;
  const notes = [];
  const count = r.pick([1, 1, 1, 2, 2, 3, 4]);
  for (let i = 0; i < count; i++) {
    const { out: next, note } = MUTATORS[r.pick(MUTATOR_NAMES)](r, out, donors);
    out = next.length > 2_000_000 ? next.subarray(0, 2_000_000) : next;
    notes.push(note);
  }
  return { bytes: out, notes };
}

// ---------------------------------------------------------------------------------------------
// Cases.

export const COMPONENT = {
  js: 'JS parser', ts: 'JS parser', tsx: 'JS parser', jsx: 'JS parser', json: 'JSON modules',
  css: 'CSS', 'module.css': 'CSS (Modules)', scss: 'Sass', 'module.scss': 'Sass', sass: 'Sass',
  html: 'HTML', config: 'config', env: 'env',
};

// How often each kind is generated (module kinds are cheap to batch, config/env are one build each).
const WEIGHTS = [
  ['ts', 16], ['tsx', 8], ['js', 6], ['jsx', 4], ['css', 10], ['module.css', 6], ['scss', 10],
  ['module.scss', 3], ['sass', 3], ['json', 5], ['html', 6], ['env', 4], ['config', 3],
];
const TOTAL_WEIGHT = WEIGHTS.reduce((sum, [, w]) => sum + w, 0);

/**
 * Case `index` of `seed`: `{ seed, index, kind, component, source, notes, files }` where files
 * are `{ path, bytes }` relative to the case's own folder (`c<index>/`), `main` is the file the
 * batch entry imports (modules), and `env`/`config`/`html` cases name their role.
 */
export function generateCase(seed, index) {
  const r = rng(seed, index);
  let roll = r.int(TOTAL_WEIGHT);
  let kind = WEIGHTS[0][0];
  for (const [k, w] of WEIGHTS) {
    if (roll < w) {
      kind = k;
      break;
    }
    roll -= w;
  }
  const seeds = corpus()[kind]?.length ? corpus()[kind] : corpus().ts;
  const base = r.pick(seeds);
  // Donors: mostly the same kind, sometimes anything (cross-language splices).
  const all = Object.values(corpus()).flat();
  const donors = r.chance(0.7) ? seeds : all;
  const { bytes, notes } = mutate(r, base.bytes, donors);
  const ext = { 'module.css': '.module.css', 'module.scss': '.module.scss' }[kind] ?? `.${kind}`;
  const c = { seed, index, kind, component: COMPONENT[kind], source: base.name, notes, files: [] };
  if (kind === 'env') {
    c.envFile = r.pick(['.env', '.env.local', '.env.production', '.env.production.local']);
    c.files.push({ path: 'env', bytes });
  } else if (kind === 'config') {
    c.files.push({ path: 'nexxo.config.json', bytes });
  } else if (kind === 'html') {
    c.files.push({ path: 'page.html', bytes });
  } else {
    c.main = `m${ext}`;
    c.files.push({ path: c.main, bytes });
    // Sass partials and CSS @imports the seed may reach: a sibling partial keeps them resolvable.
    if (kind === 'scss' || kind === 'sass' || kind === 'module.scss') {
      for (const partial of corpus().scss.filter((s) => /\/_[^/]+\.scss$/.test(s.name))) {
        c.files.push({ path: `partials/${path.basename(partial.name)}`, bytes: partial.bytes });
      }
    }
  }
  return c;
}

/** One line naming a case, for reports. */
export function describeCase(c) {
  if (c.nasty) return `nasty:${c.name} [${c.component}] ${c.title}`;
  return `seed ${c.seed} case ${c.index} [${c.component}] ${c.kind} from ${c.source}: ${c.notes.join(', ')}`;
}
