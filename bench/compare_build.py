#!/usr/bin/env python3
"""Times production builds of one app by several tools, interleaved run by run.

Each tool's command runs in the app folder; the script reports the median wall time, the median
peak RSS (the largest resident set of the command's processes, from wait4), and the ratio to the
first tool. Output folders are removed before every run so each build is cold for the output.

    bench/compare_build.py --runs 7 --cwd APP \
        "nexxo=/path/to/nexxo build ." "vite=npx vite build"
"""
import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import time


def run_once(command, cwd):
    shutil.rmtree(os.path.join(cwd, "dist"), ignore_errors=True)
    started = time.perf_counter()
    process = subprocess.Popen(shlex.split(command), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = process.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"`{command}` failed:\n{stderr}")
    return elapsed, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--cwd", required=True)
    parser.add_argument("tools", nargs="+", help="name=command")
    args = parser.parse_args()
    tools = [tool.split("=", 1) for tool in args.tools]
    times = {name: [] for name, _ in tools}
    rss = {name: [] for name, _ in tools}
    for _ in range(args.warmup):
        for _, command in tools:
            run_once(command, args.cwd)
    for _ in range(args.runs):
        for name, command in tools:
            elapsed, peak = run_once(command, args.cwd)
            times[name].append(elapsed)
            rss[name].append(peak)
    baseline = statistics.median(times[tools[0][0]])
    print(f"{'tool':<10} {'median ms':>10} {'min ms':>8} {'max ms':>8} {'peak RSS MiB':>13} {'× ' + tools[0][0]:>10}")
    for name, _ in tools:
        median = statistics.median(times[name])
        print(
            f"{name:<10} {median * 1000:>10.0f} {min(times[name]) * 1000:>8.0f} {max(times[name]) * 1000:>8.0f}"
            f" {statistics.median(rss[name]):>13.1f} {median / baseline:>10.2f}"
        )


if __name__ == "__main__":
    main()
