"""Runs a command and reports the peak resident memory of its largest process.

The benchmark samples the whole process tree's memory every 50 ms; a build that ends within a
sample or two can slip between samples. The kernel's own figure for waited-for children
(ru_maxrss) cannot be missed, so the runner takes the larger of the two.
Usage: python3 maxrss.py <command> [args...]; prints `NEXXO_BENCH_MAXRSS_KB=<n> NEXXO_BENCH_SECONDS=<s>` on stderr last
(the command's own wall time, without Python's start-up).
"""
import resource
import subprocess
import sys
import time

started = time.perf_counter()
status = subprocess.call(sys.argv[1:])
seconds = time.perf_counter() - started
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"NEXXO_BENCH_MAXRSS_KB={peak_kb} NEXXO_BENCH_SECONDS={seconds:.6f}", file=sys.stderr)
sys.exit(status if status >= 0 else 128 - status)
