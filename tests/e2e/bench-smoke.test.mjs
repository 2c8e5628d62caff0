// The benchmark runner in smoke mode (smallest app, one run, Nexxo and Vite, build and dev), so it cannot rot:
// it must produce real numbers, the report table and its charts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, nexxoBin } from './harness.mjs';

test('bench/run.mjs --smoke measures Nexxo and Vite and writes the report', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'nexxo-bench-smoke-'));
  try {
    const run = spawnSync('node', [path.join(repoRoot, 'bench/run.mjs'), '--smoke', '--out', out], {
      env: { ...process.env, NEXXO_BIN: nexxoBin },
      encoding: 'utf8',
      timeout: 5 * 60 * 1000,
    });
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
    const smoke = results.apps.smoke.tools;
    for (const tool of ['nexxo', 'vite']) {
      for (const metric of ['buildCold', 'buildRss', 'outRaw', 'outGzip']) {
        const samples = smoke[tool].samples[metric];
        assert.ok(samples?.length === 1 && samples[0] > 0, `${tool} ${metric}: ${JSON.stringify(smoke[tool])}`);
      }
    }
    for (const tool of ['nexxo', 'vite']) {
      for (const metric of ['devCold', 'devWarm', 'hmrRoot', 'hmrLeaf', 'devRss']) {
        assert.ok(smoke[tool].samples[metric]?.every((v) => v > 0), `${tool} ${metric}: ${JSON.stringify(smoke[tool])}`);
      }
    }
    const markdown = readFileSync(path.join(out, 'BENCHMARKS.md'), 'utf8');
    assert.match(markdown, /\| vite \| [\d.]+ \(×[\d.]+\)/);
    assert.ok(existsSync(path.join(out, 'smoke/buildCold.svg')));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
