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
 * Groups generated cases into builds: module and page cases `batchSize` at a time; `.env` and
 * `nexxo.config.json` cases in builds of their own (at most one config and one case per env
 * file name each), since a broken config stops a build before it reads any module.
 */
export function planBatches(cases, batchSize) {
  const batches = [];
  let modules = [];
  let rootBatch = null;
  for (const c of cases) {
    if (c.kind === 'env' || c.kind === 'config') {
      const clash = rootBatch && rootBatch.some((o) => (c.kind === 'config' ? o.kind === 'config' : o.envFile === c.envFile));
      if (!rootBatch || clash || rootBatch.length >= 5) {
        rootBatch = [];
        batches.push(rootBatch);
      }
      rootBatch.push(c);
    } else {
      if (modules.length === 0) batches.push(modules);
      modules.push(c);
      if (modules.length >= batchSize) modules = [];
    }
  }
  return batches;
}
