// Process measurement: wall time, peak RSS of a whole process tree (sampled from /proc), output
// sizes, and waiting for a dev server.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const PAGE_SIZE = 4096;

/** pid → parent pid for every process. */
function parentMap() {
  const parents = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  return parents;
}

/** Resident memory, in bytes, of `pid` and all its descendants. */
export function treeRss(pid) {
  const parents = parentMap();
  const tree = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [child, parent] of parents) {
      if (tree.has(parent) && !tree.has(child)) {
        tree.add(child);
        grew = true;
      }
    }
  }
  let total = 0;
  for (const member of tree) {
    try {
      total += Number(readFileSync(`/proc/${member}/statm`, 'utf8').split(' ')[1]) * PAGE_SIZE;
    } catch {
      // Gone already.
    }
  }
  return total;
}

/** Starts a command in its own process group, sampling the tree's RSS until it ends or is stopped. */
export function startProcess(command, args, { cwd, env = {} }) {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, treeRss(child.pid));
  }, 50);
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearInterval(sampler);
      resolve({ code, signal });
    });
  });
  return {
    child,
    exited,
    output: () => output,
    peakRss: () => peakRss,
    currentRss: () => treeRss(child.pid),
    stop: async () => {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }, 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs a build command to completion; returns seconds and peak RSS (bytes). */
export async function timeBuild(command, args, options) {
  const started = performance.now();
  const run = startProcess('python3', [MAXRSS_WRAPPER, command, ...args], options);
  const timeout = setTimeout(() => run.stop(), options.timeoutMs ?? 15 * 60 * 1000);
  const { code, signal } = await run.exited;
  clearTimeout(timeout);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) {
    throw new Error(`${path.basename(command)} ${args.join(' ')} failed (${code ?? signal}):\n${run.output().slice(-3000)}`);
  }
  const reported = /NEXXO_BENCH_MAXRSS_KB=(\d+) NEXXO_BENCH_SECONDS=([\d.]+)/.exec(run.output());
  const kernelPeak = reported ? Number(reported[1]) * 1024 : 0;
  // The wrapper times the build itself, so Python's start-up is not counted.
  return { seconds: reported ? Number(reported[2]) : seconds, peakRss: Math.max(run.peakRss(), kernelPeak) };
}

/** Wraps builds to read the kernel's peak RSS of the build process (see maxrss.py). */
const MAXRSS_WRAPPER = fileURLToPath(new URL('./maxrss.py', import.meta.url));

/** Total size of the JS and CSS files (no maps) under `dir`, raw and gzip. */
export function outputSize(dir) {
  let raw = 0;
  let gzip = 0;
  const walk = (folder) => {
    for (const name of readdirSync(folder)) {
      const file = path.join(folder, name);
      if (statSync(file).isDirectory()) {
        walk(file);
      } else if (/\.(m?js|css)$/.test(name)) {
        const bytes = readFileSync(file);
        raw += bytes.length;
        gzip += gzipSync(bytes).length;
      }
    }
  };
  if (existsSync(dir)) walk(dir);
  return { raw, gzip };
}

/** Resolves once `url` answers with any HTTP status. */
export async function waitForHttp(url, run, timeoutMs = 180000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (run.child.exitCode !== null) throw new Error(`dev server exited:\n${run.output().slice(-3000)}`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(2000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  throw new Error(`dev server did not answer at ${url}:\n${run.output().slice(-3000)}`);
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
