// `nexxo build` side of the fuzzer: many cases per build, bisected to the smallest failing set
// when a build fails the oracle.
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { judge, runLimited } from './oracle.mjs';
import { fifosOf, releaseFifo, writeProject } from './project.mjs';

let counter = 0;

/** Builds a project made of `cases`; returns { verdict, run }. */
export async function buildCases(cases, { bin, workDir, timeoutMs }) {
  const dir = mkdtempSync(path.join(workDir, `b${counter++}-`));
  const root = path.join(dir, 'app');
  try {
    writeProject(root, cases);
    const handle = runLimited(bin, ['build', root], { cwd: dir, timeoutMs });
    // A build killed while blocked on a FIFO leaves it blocked; nothing else to release.
    const run = await handle.done;
    return { verdict: judge(run), run };
  } finally {
    for (const fifo of fifosOf(root, cases)) releaseFifo(fifo);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Splits a failing set of cases until one case (or the smallest set that still fails) is left.
 * Returns { cases, verdict, run, builds }.
 */
export async function bisect(cases, first, options) {
  let current = cases;
  let failing = first;
  let builds = 0;
  while (current.length > 1) {
    const half = Math.ceil(current.length / 2);
    const parts = [current.slice(0, half), current.slice(half)];
    let next = null;
    for (const part of parts) {
      const result = await buildCases(part, options);
      builds++;
      if (result.verdict) {
        next = { part, result };
        break;
      }
    }
    if (!next) break; // only fails with both halves together
    current = next.part;
    failing = next.result;
  }
  return { cases: current, verdict: failing.verdict, run: failing.run, builds };
}

/**
 * Groups generated cases into builds of one family each: JS/TS modules, stylesheets, JSON, pages
 * (`batchSize` at a time, pages fewer since one page that does not plan stops the build), and
 * `.env` / `nexxo.config.json` cases (at most one config and one case per env file name each,
 * since a broken config stops a build before it reads any module). One family per build: a
 * failing stylesheet load stops rolldown's scan before every JS module was parsed.
 */
export function planBatches(cases, batchSize) {
  const family = (c) => ({ ts: 'js', tsx: 'js', js: 'js', jsx: 'js', css: 'style', 'module.css': 'style', scss: 'style', 'module.scss': 'style', sass: 'style' })[c.kind] ?? c.kind;
  const size = { html: Math.max(1, Math.ceil(batchSize / 4)), root: 5 };
  const open = {};
  const batches = [];
  for (const c of cases) {
    const f = family(c) === 'env' || family(c) === 'config' ? 'root' : family(c);
    let batch = open[f];
    const clash = f === 'root' && batch?.some((o) => (c.kind === 'config' ? o.kind === 'config' : o.envFile === c.envFile));
    if (!batch || clash || batch.length >= (size[f] ?? batchSize)) {
      batch = open[f] = [];
      batches.push(batch);
    }
    batch.push(c);
  }
  return batches;
}

/** Cases of `batch` that the build output names (src/c<index>/…, p<index>/…): those it rejected. */
export function casesNamedIn(output, batch) {
  const named = new Set([...output.matchAll(/\b[cp](\d+)\//g)].map((m) => Number(m[1])));
  return batch.filter((c) => named.has(c.index));
}
