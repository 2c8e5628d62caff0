// The oracle: runs nexxo under a memory cap and a time limit and says whether the run was
// acceptable. Acceptable: exit code 0 or 1 with none of the crash markers in the output.
// Failures: killed by a signal (SIGABRT, SIGSEGV, SIGKILL…), another exit code, "panicked",
// "internal error", "stack overflow", "RUST_BACKTRACE" in the output, a hang (time limit) or
// unbounded memory (resident memory over the cap, or an allocation failure under the
// address-space limit).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const CRASH_MARKERS = [/panicked/i, /internal error/i, /stack overflow/i, /overflowed its stack/i, /RUST_BACKTRACE/];
const OOM_MARKERS = [/memory allocation of \d+ bytes failed/i, /out of memory/i, /Cannot allocate memory/i];

export const LIMITS = {
  // Resident memory that counts as runaway (polled), and the address-space cap the kernel
  // enforces in case polling is too slow (allocations fail, Rust aborts).
  rssBytes: Number(process.env.NEXXO_FUZZ_RSS_MB ?? 1536) * 1024 * 1024,
  addressSpaceBytes: Number(process.env.NEXXO_FUZZ_AS_MB ?? 16384) * 1024 * 1024,
};

/** Resident memory of `pid` in bytes (0 when gone). */
export function rssOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Spawns `bin args` in its own process group under `prlimit --as`; `watch` polls its memory.
 * Returns { child, done } where done resolves to { code, signal, output, timedOut, memory, ms }.
 */
export function runLimited(bin, args, { cwd, env = {}, timeoutMs = 30_000, onOutput } = {}) {
  const started = Date.now();
  const child = spawn('prlimit', [`--as=${LIMITS.addressSpaceBytes}`, '--core=0', '--', bin, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', RUST_BACKTRACE: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const keep = (chunk) => {
    // Keep the head and the tail: a runaway case may print megabytes.
    output += chunk;
    if (output.length > 400_000) output = output.slice(0, 100_000) + '\n[…]\n' + output.slice(-200_000);
    onOutput?.(chunk.toString());
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let timedOut = false;
  let memory = 0;
  const kill = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  };
  const timer = timeoutMs ? setTimeout(() => ((timedOut = true), kill()), timeoutMs) : null;
  const poll = setInterval(() => {
    const rss = rssOf(child.pid);
    if (rss > LIMITS.rssBytes) {
      memory = rss;
      kill();
    }
  }, 100);
  const done = new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      resolve({ code, signal, output, timedOut, memory, ms: Date.now() - started });
    });
  });
  return { child, done, kill, output: () => output };
}

/** Verdict for a finished run: null when acceptable, else { kind, detail }. */
export function judge(run) {
  if (run.memory) return { kind: 'unbounded memory', detail: `resident memory reached ${(run.memory / 1048576).toFixed(0)} MB (cap ${LIMITS.rssBytes / 1048576} MB)` };
  if (run.timedOut) return { kind: 'hang', detail: `no exit after ${(run.ms / 1000).toFixed(1)} s` };
  if (OOM_MARKERS.some((re) => re.test(run.output))) return { kind: 'unbounded memory', detail: `allocation failed under the ${LIMITS.addressSpaceBytes / 1048576} MB address-space cap (${run.signal ?? `exit ${run.code}`})` };
  const marker = CRASH_MARKERS.find((re) => re.test(run.output));
  if (/overflowed its stack/.test(run.output)) return { kind: 'stack overflow', detail: `${run.signal ?? `exit ${run.code}`}: ${excerpt(run.output, /overflowed its stack/)}` };
  if (run.signal) return { kind: `killed by ${run.signal}`, detail: excerpt(run.output, marker) };
  if (run.code !== 0 && run.code !== 1) return { kind: `exit code ${run.code}`, detail: excerpt(run.output, marker) };
  if (marker) return { kind: marker.source.replace(/\\/g, ''), detail: excerpt(run.output, marker) };
  return null;
}

/** The line(s) around `re` in `text` (or its tail). */
export function excerpt(text, re) {
  const lines = text.split('\n').map((l) => (l.length > 300 ? `${l.slice(0, 300)}…` : l));
  const at = re ? lines.findIndex((l) => re.test(l)) : -1;
  const pick = at >= 0 ? lines.slice(Math.max(0, at - 1), at + 3) : lines.filter(Boolean).slice(-3);
  return pick.join(' | ').slice(0, 500);
}
