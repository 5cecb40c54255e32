"""Time `migrate verify` on generated estates: build both routing tables, generate the probes, route each
probe through both models.  Input from benchmarks/generate.py; the "after" side is the converter's output.

    python3 -m benchmarks.verify_bench                 # 1,000 Ingresses, best of 3
    python3 -m benchmarks.verify_bench --sizes 1000 10000 --repeat 1

Target (issue 7): seconds on 1,000 Ingresses.  Nothing here is asserted by the test suite.
"""

from __future__ import annotations

import argparse
import time

from benchmarks.generate import generate
from migrate.convert.options import ConvertOptions
from migrate.convert.pipeline import run_convert
from migrate.loader import SourceDoc
from migrate.sources import SourceRef
from migrate.verify import verify


def _docs(objects: list[dict[str, object]]) -> list[SourceDoc]:
    out = []
    for i, obj in enumerate(objects):
        meta = obj.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        out.append(SourceDoc(obj, SourceRef(kind=str(obj.get("kind")), namespace=str(meta.get("namespace") or ""),
                                            name=str(meta.get("name") or ""), file="generated", index=i)))
    return out


def bench(n: int, repeat: int) -> None:
    docs = _docs(generate(n, seed=1))
    after = run_convert(docs, ConvertOptions()).objects
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = verify(docs, after)
        best = min(best, time.perf_counter() - start)
    assert result is not None
    print(f"verify {n:>6} Ingresses: {best:6.2f} s  ({result.probes} probes, {result.identical} identical, "
          f"{result.different} different; {result.probes / best:,.0f} probes/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for n in args.sizes:
        bench(n, args.repeat)


if __name__ == "__main__":
    main()
