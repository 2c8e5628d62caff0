#!/usr/bin/env node
// Long fuzz runs and reproducers.
//
//   node tests/fuzz/run.mjs --seed 7 --cases 100000 --dev-cases 20000   # hours on 2 cores
//   node tests/fuzz/run.mjs --seed 1 --case 123                          # one generated case
//   node tests/fuzz/run.mjs --nasty sass-while-true                      # one hand-written case
//   node tests/fuzz/run.mjs --seed 1 --case 123 --dump /tmp/repro        # write its project, don't run
//   node tests/fuzz/run.mjs --list-nasty
//
// Options: --bin PATH (default $NEXXO_BIN or $CARGO_TARGET_DIR/debug/nexxo), --batch N (cases per
// build), --concurrency N, --timeout SECONDS (per build), --budget SECONDS (no new batches
// after), --build-only, --dev-only, --no-nasty, --quiet. Exit code 1 when a case failed.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatReport, runFuzz } from './fuzz.mjs';
import { describeCase, generateCase, repoRoot } from './generate.mjs';
import { nastyCases } from './nasty.mjs';
import { writeProject } from './project.mjs';

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const value = (name, fallback) => {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? argv[at + 1] : fallback;
};

const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), '.cache/nexxo-target');
const bin = path.resolve(value('bin', process.env.NEXXO_BIN ?? path.join(targetDir, 'debug/nexxo')));
const seed = Number(value('seed', 1));

if (flag('list-nasty')) {
  for (const c of nastyCases()) console.log(`${c.name.padEnd(28)} ${c.component.padEnd(14)} ${c.title}`);
  process.exit(0);
}

let only = null;
if (value('case') !== undefined) only = { index: Number(value('case')) };
if (value('nasty') !== undefined) only = { nasty: value('nasty') };

if (value('dump')) {
  if (!only) throw new Error('--dump needs --case or --nasty');
  const c = only.nasty ? { ...nastyCases().find((n) => n.name === only.nasty), nasty: true } : generateCase(seed, only.index);
  const root = path.resolve(value('dump'));
  writeProject(root, [c]);
  console.log(`${describeCase(c)}\nwritten to ${root}\nrun: ${bin} build ${root}   or   ${bin} dev ${root}`);
  process.exit(0);
}

if (!existsSync(bin)) {
  console.error(`nexxo binary not found at ${bin}: build it (cargo build -p nexxo_cli) or pass --bin`);
  process.exit(2);
}

const quiet = flag('quiet');
const report = await runFuzz({
  bin,
  seed,
  only,
  cases: Number(value('cases', 2000)),
  devCases: Number(value('dev-cases', Math.ceil(Number(value('cases', 2000)) / 5))),
  batchSize: Number(value('batch', 20)),
  concurrency: Number(value('concurrency', Math.max(1, os.availableParallelism?.() ?? os.cpus().length))),
  timeoutMs: Number(value('timeout', 30)) * 1000,
  budgetMs: value('budget') ? Number(value('budget')) * 1000 : Infinity,
  build: !flag('dev-only'),
  dev: !flag('build-only'),
  nasty: !flag('no-nasty'),
  log: quiet ? () => {} : (line) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`),
});
console.log(formatReport(report));
console.log(`\n(repository: ${repoRoot}, binary: ${bin})`);
process.exit(report.failures.length ? 1 : 0);
