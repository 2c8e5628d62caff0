// Fuzz test: a fixed seed of malformed JS/TS/JSX, CSS, Sass, HTML, JSON, nexxo.config.json and
// .env inputs (mutations of the fixtures and examples) plus the hand-written nasty cases of
// tests/fuzz/nasty.mjs (deep nesting, 5 MB lines, broken encodings, runaway Sass, CSS Modules
// cycles, FIFOs, symlink loops, /dev/zero, odd file names), through `nexxo build` and a running
// `nexxo dev`. Nexxo may reject any of them (exit 1, an error overlay) but must never crash,
// hang, grow without bound or stop answering. Longer runs: tests/fuzz/run.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { nexxoBin } from './harness.mjs';
import { formatReport, runFuzz } from '../fuzz/fuzz.mjs';
import { generateCase } from '../fuzz/generate.mjs';
import { judge, runLimited } from '../fuzz/oracle.mjs';

const SEED = 20261130;

test('fuzz: cases are a function of the seed, and the oracle catches crashes and hangs', async () => {
  for (let i = 0; i < 300; i++) {
    const a = generateCase(SEED, i);
    const b = generateCase(SEED, i);
    assert.deepEqual(a, b, `case ${i} differs between two generations`);
  }
  assert.notDeepEqual(generateCase(SEED, 0).files, generateCase(SEED + 1, 0).files);
  const verdict = async (script, timeoutMs = 10_000) => judge(await runLimited('/bin/sh', ['-c', script], { timeoutMs }).done);
  assert.equal((await verdict('kill -SEGV $$')).kind, 'killed by SIGSEGV');
  assert.equal((await verdict('exit 101')).kind, 'exit code 101');
  assert.equal((await verdict("echo \"thread 'main' panicked at x\"; exit 1")).kind, 'panicked');
  assert.equal((await verdict("echo \"thread 'w' has overflowed its stack\"; kill -ABRT $$")).kind, 'stack overflow');
  assert.equal((await verdict('sleep 30', 300)).kind, 'hang');
  assert.equal(await verdict('echo error: bad input; exit 1'), null);
});

test('fuzz: malformed inputs never crash, hang or stop the dev server', { timeout: 30 * 60_000 }, async () => {
  assert.ok(existsSync(nexxoBin), `nexxo binary not found at ${nexxoBin}`);
  const report = await runFuzz({
    bin: nexxoBin,
    seed: SEED,
    // About 55 s of builds and 65 s of dev requests with the debug binary on 2 cores, plus the
    // nasty cases (about 30 s once none of them hangs).
    cases: 6000,
    devCases: 1500,
    batchSize: 20,
    concurrency: 2,
    // Bounded even when every batch hangs: no new generated batch starts after 4 minutes.
    budgetMs: 4 * 60_000,
    log: (line) => console.log(line),
  });
  console.log(formatReport(report));
  assert.equal(report.failures.length, 0, formatReport(report, { table: false }));
});
