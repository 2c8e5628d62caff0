// Writes fuzz cases into a project folder: the batch project (index.html → src/main.ts, which
// imports every module case), generated cases under src/c<index>/, nasty cases at their own
// paths, FIFOs and symlinks included.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, lstatSync, mkdirSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const INDEX_HTML = '<!doctype html>\n<html><head><meta charset="utf-8"><title>fuzz</title></head>\n<body><div id="app"></div><script type="module" src="/src/main.ts"></script></body></html>\n';
// The build cache is turned off (cacheDir inside outDir): each batch is a new project anyway.
export const BUILD_CONFIG = '{ "cacheDir": "dist/.nexxo-cache" }\n';

const SIDE_EFFECT = /\.(css|scss|sass)$/;
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4a40000000049454e44ae426082', 'hex');
// What the seed pages link to (tests/fixtures/*, examples/*), so a page whose links survive the
// mutation gets through the plan stage to the bundler.
const PAGE_STUBS = [
  ['src/main.tsx', 'export {};\n'], ['src/home.ts', 'export {};\n'], ['src/about.ts', 'export {};\n'],
  ['src/greeting-card.ts', 'export {};\n'], ['src/global.css', '.g { color: red }\n'], ['src/style.css', '.s { color: red }\n'],
  ['src/photo.png', PNG], ['src/dot.png', PNG], ['public/favicon.svg', '<svg xmlns="http://www.w3.org/2000/svg"/>'],
  ['public/nexxo.svg', '<svg xmlns="http://www.w3.org/2000/svg"/>'], ['public/static.svg', '<svg xmlns="http://www.w3.org/2000/svg"/>'],
];

/** Files of a generated case, relative to the project root, and the import main.ts gets. */
export function placeCase(c) {
  if (c.nasty) return { files: c.files, imports: c.imports };
  const dir = `src/c${c.index}`;
  if (c.kind === 'env') return { files: [{ path: c.envFile, bytes: c.files[0].bytes }], imports: [] };
  if (c.kind === 'config') return { files: c.files, imports: [] };
  // A page lives in a folder of its own (p<index>/index.html), next to the files its seed page
  // links relatively; root-absolute links find the stubs writeProject adds.
  if (c.kind === 'html') return { files: [{ path: `p${c.index}/index.html`, bytes: c.files[0].bytes }, { path: `p${c.index}/src/dot.png`, bytes: PNG }], imports: [] };
  const files = c.files.map((f) => ({ path: `${dir}/${f.path}`, bytes: f.bytes }));
  const style = SIDE_EFFECT.test(c.main) && !c.main.includes('.module.') ? 'side-effect' : 'namespace';
  return { files, imports: [{ spec: `./c${c.index}/${c.main}`, style }] };
}

/** Writes `cases` into a fresh project at `root` (created, must not exist). */
export function writeProject(root, cases) {
  mkdirSync(path.join(root, 'src'), { recursive: true });
  writeFileSync(path.join(root, 'index.html'), INDEX_HTML);
  writeFileSync(path.join(root, 'nexxo.config.json'), BUILD_CONFIG);
  if (cases.some((c) => c.kind === 'html')) {
    for (const [file, bytes] of PAGE_STUBS) writeCaseFile(root, { path: file, bytes: Buffer.from(bytes) });
  }
  const lines = [];
  cases.forEach((c, n) => {
    const placed = placeCase(c);
    for (const file of placed.files) writeCaseFile(root, file);
    placed.imports.forEach(({ spec, style }, k) => {
      const literal = JSON.stringify(spec);
      if (style === 'side-effect') lines.push(`import ${literal};`);
      else lines.push(`import * as n${n}_${k} from ${literal};\nconsole.log(n${n}_${k});`);
    });
  });
  lines.push('export {};');
  writeFileSync(path.join(root, 'src/main.ts'), lines.join('\n') + '\n');
}

/** Writes one file: bytes, a FIFO or a symlink (replacing what is there). */
export function writeCaseFile(root, file) {
  const full = path.join(root, file.path);
  mkdirSync(path.dirname(full), { recursive: true });
  removePath(full);
  if (file.fifo) execFileSync('mkfifo', [full]);
  else if (file.symlink) symlinkSync(file.symlink, full);
  else writeFileSync(full, file.bytes);
}

/** Removes a path; a FIFO is first opened for writing once so a reader blocked on it gets EOF. */
export function removePath(full) {
  let info;
  try {
    info = lstatSync(full);
  } catch {
    return;
  }
  if (info.isFIFO()) releaseFifo(full);
  rmSync(full, { recursive: true, force: true });
}

/** Unblocks readers waiting on a FIFO (open for writing without blocking, close: EOF). */
export function releaseFifo(full) {
  try {
    closeSync(openSync(full, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {}
}

/** Every FIFO a case created, for release after a hang. */
export function fifosOf(root, cases) {
  return cases.flatMap((c) => placeCase(c).files.filter((f) => f.fifo).map((f) => path.join(root, f.path))).filter((f) => existsSync(f));
}
