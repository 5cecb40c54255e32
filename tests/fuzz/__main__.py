"""Local fuzz driver: many more runs than the test suite's budget, failures saved as reproducers.

    python -m tests.fuzz --runs 5000 --save /tmp/fuzz            # every command, golden seeds
    python -m tests.fuzz --samples --runs 2000                    # shared samples (convert, verify)
    python -m tests.fuzz --command convert --seed s --index 17 --save /tmp/r   # replay one run

Failures are grouped by signature (exception type and innermost frame, or the first problem line); each
group prints its first run in full, with the replay command.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

from tests.fuzz.harness import COMMANDS, Outcome, run_one, run_scan


def signature(outcome: Outcome) -> str:
    problem = outcome.problems[0]
    if problem.startswith("exception escaped"):
        frames = re.findall(r'File "([^"]+)", line (\d+), in (\w+)', problem)
        where = next((f"{Path(f).name}:{fn}" for f, _, fn in reversed(frames) if "/migrate/" in f), "?")
        return f"{problem.split(':', 2)[1].strip()} at {where}"
    return re.sub(r"\d+", "N", problem.splitlines()[0])[:160]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--command", action="append", choices=(*COMMANDS, "scan"),
                        help="(repeatable) default: all (scan: against a fake API server on loopback)")
    parser.add_argument("--runs", type=int, default=500, help="runs per command")
    parser.add_argument("--start", type=int, default=0, help="first run index")
    parser.add_argument("--index", type=int, help="run only this index (replay)")
    parser.add_argument("--seed", default="migrate-fuzz", help="base seed")
    parser.add_argument("--samples", action="store_true", help="mutate the shared samples instead of the goldens")
    parser.add_argument("--save", type=Path, help="save each failing run's directory (mutated inputs, REPRO.txt)")
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds before a run counts as hung")
    parser.add_argument("--slow", type=float, default=10.0, help="list runs slower than this many seconds")
    opts = parser.parse_args()
    commands = opts.command or (["convert", "verify"] if opts.samples else [*COMMANDS, "scan"])
    indexes = [opts.index] if opts.index is not None else list(range(opts.start, opts.start + opts.runs))
    groups: dict[str, list[Outcome]] = defaultdict(list)
    slow: list[tuple[float, Outcome]] = []
    exits: dict[str, dict[object, int]] = defaultdict(lambda: defaultdict(int))
    total = 0
    started = time.monotonic()
    for command in commands:
        for index in indexes:
            t0 = time.monotonic()
            outcome = (run_scan(opts.seed, index, save=opts.save, time_limit=opts.time_limit)
                       if command == "scan" else
                       run_one(command, opts.seed, index, samples=opts.samples, save=opts.save,
                               time_limit=opts.time_limit))
            if outcome is None:
                print(f"{command}: no seeds{' (shared samples absent)' if opts.samples else ''}", file=sys.stderr)
                break
            total += 1
            exits[command]["timeout" if outcome.timed_out else outcome.exit_code] += 1
            took = time.monotonic() - t0
            if took > opts.slow:
                slow.append((took, outcome))
            if not outcome.ok:
                groups[signature(outcome)].append(outcome)
            if opts.index is not None:
                print(outcome.describe())
                print(outcome.stderr[-3000:])
            if total % 200 == 0:
                print(f"... {total} runs, {sum(map(len, groups.values()))} failing, "
                      f"{time.monotonic() - started:.0f} s", file=sys.stderr)
    print(f"{total} runs in {time.monotonic() - started:.0f} s; {sum(map(len, groups.values()))} failing, "
          f"{len(groups)} distinct")
    for command, counts in exits.items():
        print(f"  {command}: exit codes " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items(), key=str)))
    for sig, outcomes in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        print(f"\n=== {len(outcomes)} x {sig}\n{outcomes[0].describe()}")
        print("  other runs: " + ", ".join(f"{o.command}:{o.index}" for o in outcomes[1:20]))
    for took, outcome in sorted(slow, key=lambda t: -t[0])[:20]:
        print(f"\nslow ({took:.1f} s): {outcome.describe()}")
    return 1 if groups else 0


if __name__ == "__main__":
    sys.exit(main())
