// The fuzz run: generated cases through `nexxo build` (batched, failures bisected) and through
// a running `nexxo dev`, then the hand-written nasty cases through both. Returns a report.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bisect, buildCases, casesNamedIn, planBatches } from './build.mjs';
import { DevFuzzer } from './dev.mjs';
import { describeCase, generateCase } from './generate.mjs';
import { excerpt } from './oracle.mjs';
import { nastyCases } from './nasty.mjs';

export const DEFAULTS = {
  seed: 1,
  cases: 2000, // generated cases through `nexxo build`
  devCases: 400, // the first devCases of them also through `nexxo dev`
  slotEvery: 8, // every n-th dev case also edits a module the page imports, then restores it
  batchSize: 20,
  concurrency: 2,
  timeoutMs: 30_000, // one build
  nastyTimeoutMs: 30_000, // one nasty build (run up to nastyConcurrency at once: FIFOs idle)
  nastyConcurrency: 4,
  devRequestTimeoutMs: 30_000,
  budgetMs: Infinity, // no new batches start after this
  nasty: true,
  only: null, // { nasty: name } or { index } to run one case
};

/** Runs `tasks` (async functions) with at most `limit` at once. */
async function pool(tasks, limit) {
  const results = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

export function reproduceCommand(c, where) {
  const flag = where === 'dev' ? ' --dev-only' : ' --build-only';
  return c.nasty ? `node tests/fuzz/run.mjs --nasty ${c.name}${flag}` : `node tests/fuzz/run.mjs --seed ${c.seed} --case ${c.index}${flag}`;
}

export async function runFuzz(options) {
  const o = { ...DEFAULTS, ...options };
  const log = o.log ?? (() => {});
  const started = Date.now();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'nexxo-fuzz-'));
  const report = { seed: o.seed, buildCases: 0, succeeded: 0, builds: 0, devCases: 0, nastyCases: 0, failures: [], nastyResults: [], budgetHit: false };
  const fail = (where, cases, verdict, output) => {
    const failure = { where, cases, verdict, output, reproduce: reproduceCommand(cases[0], where) };
    report.failures.push(failure);
    log(`FAIL [${where}] ${verdict.kind}: ${cases.map(describeCase).join(' + ')}\n     ${verdict.detail ?? ''}\n     reproduce: ${failure.reproduce}`);
  };
  const buildOptions = { bin: o.bin, workDir, timeoutMs: o.timeoutMs };
  try {
    // --- generated cases (in chunks, so long runs keep little in memory) ----------------------
    const indices = o.only?.index !== undefined ? [o.only.index] : o.only?.nasty ? [] : Array.from({ length: o.cases }, (_, i) => i);
    const dev = new DevFuzzer({ bin: o.bin, workDir, requestTimeoutMs: o.devRequestTimeoutMs, log });
    try {
      for (let from = 0; from < indices.length && !report.budgetHit; from += 1000) {
        const generated = indices.slice(from, from + 1000).map((i) => generateCase(o.seed, i));
        if (o.build !== false) {
          await pool(
            planBatches(generated, o.batchSize).map((batch) => async () => {
              if (Date.now() - started > o.budgetMs) {
                report.budgetHit = true;
                return;
              }
              report.buildCases += batch.length;
              // Most mutants are rejected while parsing, which stops the build before linking,
              // tree shaking, lowering, minifying and emitting: the cases the errors do not name
              // are built again (up to 3 rounds) so those stages see the mutants that parse.
              let current = batch;
              for (let round = 0; round < 3 && current.length; round++) {
                const result = await buildCases(current, buildOptions);
                report.builds++;
                if (result.verdict) {
                  log(`build of ${current.length} cases failed (${result.verdict.kind}); bisecting`);
                  const minimal = await bisect(current, result, buildOptions);
                  report.builds += minimal.builds;
                  fail('build', minimal.cases, minimal.verdict, excerpt(minimal.run.output, /panicked|internal error|overflowed|error/i));
                  return;
                }
                if (result.run.code === 0) {
                  report.succeeded += current.length;
                  return;
                }
                const rejected = new Set(casesNamedIn(result.run.output, current));
                if (!rejected.size) return;
                current = current.filter((c) => !rejected.has(c));
              }
            }),
            o.concurrency,
          );
          log(`build: ${report.buildCases} generated cases in ${report.builds} builds (${((Date.now() - started) / 1000).toFixed(0)} s)`);
        }
        if (o.dev !== false) {
          const devSet = o.only ? generated : generated.filter((c) => c.index < o.devCases);
          for (const c of devSet) {
            if (Date.now() - started > o.budgetMs) {
              report.budgetHit = true;
              break;
            }
            const verdict = await dev.runCase(c, { slot: c.index % o.slotEvery === 0 || Boolean(o.only) });
            report.devCases++;
            if (verdict) fail('dev', [c], verdict, verdict.output);
          }
          if (devSet.length) log(`dev: ${report.devCases} generated cases (${((Date.now() - started) / 1000).toFixed(0)} s)`);
        }
      }
    } finally {
      await dev.stop();
    }

    // --- nasty cases ---------------------------------------------------------------------------
    if (o.nasty) {
      let nasty = nastyCases().map((c) => ({ ...c, nasty: true }));
      if (o.only) nasty = o.only.nasty ? nasty.filter((c) => c.name === o.only.nasty) : [];
      if (o.only?.nasty && !nasty.length) throw new Error(`no nasty case named ${o.only.nasty}`);
      report.nastyCases = nasty.length;
      const results = new Map(nasty.map((c) => [c.name, { case: c, build: null, dev: null }]));
      if (o.build !== false) {
        await pool(
          nasty.map((c) => async () => {
            const result = await buildCases([c], { ...buildOptions, timeoutMs: o.nastyTimeoutMs });
            report.builds++;
            results.get(c.name).build = result.verdict ?? 'ok';
            if (result.verdict) fail('build', [c], result.verdict, excerpt(result.run.output, /panicked|internal error|overflowed|error/i));
          }),
          o.nastyConcurrency,
        );
        log(`build: ${nasty.length} nasty cases (${((Date.now() - started) / 1000).toFixed(0)} s)`);
      }
      if (o.dev !== false) {
        const dev = new DevFuzzer({ bin: o.bin, workDir, requestTimeoutMs: o.devRequestTimeoutMs, log });
        try {
          for (const c of nasty) {
            const verdict = await dev.runCase(c);
            results.get(c.name).dev = verdict ?? 'ok';
            if (verdict) fail('dev', [c], verdict, verdict.output);
          }
        } finally {
          await dev.stop();
        }
        log(`dev: ${nasty.length} nasty cases (${((Date.now() - started) / 1000).toFixed(0)} s)`);
      }
      report.nastyResults = [...results.values()];
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  report.ms = Date.now() - started;
  return report;
}

/** The report as text: counts, the nasty cases' table, then every failure with its reproducer. */
export function formatReport(report, { table = true } = {}) {
  const lines = [];
  const total = report.buildCases + report.devCases + report.nastyCases * 2;
  lines.push(
    `nexxo fuzz, seed ${report.seed}: ${total} cases in ${(report.ms / 1000).toFixed(0)} s — ` +
      `${report.buildCases} generated through nexxo build (${report.builds} builds; ${report.succeeded} of them in a build that succeeded), ${report.devCases} through nexxo dev, ` +
      `${report.nastyCases} nasty cases through both${report.budgetHit ? ' (time budget reached: not every case ran)' : ''}`,
  );
  if (table && report.nastyResults.length) {
    lines.push('', 'nasty cases (build | dev):');
    const show = (v) => (v === 'ok' ? 'ok' : v ? v.kind : '-');
    for (const r of report.nastyResults) {
      lines.push(`  ${r.case.name.padEnd(26)} ${r.case.component.padEnd(14)} ${show(r.build).padEnd(18)} | ${show(r.dev).padEnd(18)} ${r.case.title}`);
    }
  }
  lines.push('', report.failures.length ? `${report.failures.length} FAILURE(S):` : 'no failures');
  for (const f of report.failures) {
    lines.push(`- [${f.where}] ${f.verdict.kind} — ${f.cases.map(describeCase).join(' + ')}`);
    if (f.verdict.detail) lines.push(`    ${f.verdict.detail}`);
    if (f.output && !f.verdict.detail?.includes(f.output.trim())) lines.push(`    output: ${f.output}`);
    for (const c of f.cases.filter((c) => !c.nasty)) {
      const bytes = c.files[0].bytes;
      lines.push(`    input (${bytes.length} bytes${c.envFile ? `, as ${c.envFile}` : ''}): ${JSON.stringify(bytes.subarray(0, 240).toString('latin1'))}${bytes.length > 240 ? '…' : ''}`);
    }
    lines.push(`    reproduce: ${f.reproduce}   (add --dump DIR to write the project)`);
  }
  return lines.join('\n');
}
