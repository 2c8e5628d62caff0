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

/** Files of a generated case, relative to the project root, and the import main.ts gets. */
export function placeCase(c) {
  if (c.nasty) return { files: c.files, imports: c.imports };
  const dir = `src/c${c.index}`;
  if (c.kind === 'env') return { files: [{ path: c.envFile, bytes: c.files[0].bytes }], imports: [] };
  if (c.kind === 'config') return { files: c.files, imports: [] };
  const files = c.files.map((f) => ({ path: `${dir}/${f.path}`, bytes: f.bytes }));
  if (c.kind === 'html') return { files, imports: [] };
  const style = SIDE_EFFECT.test(c.main) && !c.main.includes('.module.') ? 'side-effect' : 'namespace';
  return { files, imports: [{ spec: `./c${c.index}/${c.main}`, style }] };
}

/** Writes `cases` into a fresh project at `root` (created, must not exist). */
export function writeProject(root, cases) {
  mkdirSync(path.join(root, 'src'), { recursive: true });
  writeFileSync(path.join(root, 'index.html'), INDEX_HTML);
  writeFileSync(path.join(root, 'nexxo.config.json'), BUILD_CONFIG);
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
