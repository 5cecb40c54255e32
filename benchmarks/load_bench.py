"""Reading a large `kubectl get -A -o yaml` dump (issue 14): one `kind: List` document of a whole estate.

Writes the benchmark estate of N Ingresses (benchmarks.generate) as the single List document kubectl prints,
then times reading it (the loader alone, in this process) and `migrate convert --no-verify` on it (a child
process, its peak RSS from getrusage).  Sizes are what a reader of the issue asks about: a 100 MB dump is about
100,000 Ingresses with their Services and plugins.

    python3 -m benchmarks.load_bench 100000                 # builds /tmp/list-100000.yaml once, then measures
    python3 -m benchmarks.load_bench 10000 --multi          # the same estate as one document per object
    python3 -m benchmarks.load_bench 100000 --loader-only
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def write_dump(n: int, path: Path, multi: bool = False) -> None:
    """The estate of `n` Ingresses as `kubectl get -A -o yaml` prints it (or as one document per object)."""
    from benchmarks.generate import generate
    from migrate import yamlio

    objects = generate(n)
    with path.open("w") as fh:
        if multi:
            fh.write(yamlio.dump_yaml_documents(objects))
            return
        # kubectl's layout: apiVersion, items, kind, metadata; items written in slices to keep this process small
        fh.write("apiVersion: v1\nitems:\n")
        for start in range(0, len(objects), 2000):
            text = yamlio.dump_yaml({"items": objects[start:start + 2000]})
            fh.write(text.split("\n", 1)[1])
        fh.write('kind: List\nmetadata:\n  resourceVersion: ""\n')


def measure_loader(path: Path) -> tuple[float, int, int]:
    """(seconds, objects, errors) of loading `path` in this process."""
    import gc

    from migrate.loader import load_inputs

    gc.set_threshold(50_000, 20, 20)  # as the commands run
    start = time.perf_counter()
    result = load_inputs([str(path)])
    return time.perf_counter() - start, len(result.docs), len(result.errors)


def measure_convert(path: Path) -> tuple[float, int, int]:
    """(seconds, peak RSS in KiB, exit code) of `migrate convert --no-verify path` in a child process."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "migrate", "convert", "--no-verify", str(path)], cwd=REPO,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr[-2000:])
    return elapsed, peak, proc.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int, help="number of Ingresses in the estate")
    parser.add_argument("--multi", action="store_true", help="one document per object instead of one List")
    parser.add_argument("--loader-only", action="store_true", help="time the loader, not convert")
    parser.add_argument("-o", "--output", type=Path, help="the dump to build (or reuse)")
    args = parser.parse_args(argv)
    path = args.output or Path(f"/tmp/{'multi' if args.multi else 'list'}-{args.n}.yaml")
    if not path.exists():
        start = time.perf_counter()
        write_dump(args.n, path, args.multi)
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - start:.1f} s")
    size = path.stat().st_size / 1e6
    if args.loader_only:
        seconds, docs, errors = measure_loader(path)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"load {path.name} ({size:.1f} MB): {seconds:.1f} s, {docs} objects, {errors} errors, "
              f"peak RSS {peak / 1024:.0f} MiB (this process)")
        return 0
    seconds, peak, code = measure_convert(path)
    print(f"migrate convert --no-verify {path.name} ({size:.1f} MB): {seconds:.1f} s, peak RSS {peak / 1024:.0f} MiB, "
          f"exit {code}")
    return 0 if code in (0, 1) else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
