"""End-to-end benchmarks of the `migrate` CLI, each command in a fresh interpreter.

For N = 1,000 and 10,000 Ingresses (benchmarks/generate.py): wall time and peak memory (ru_maxrss of the
child, via os.wait4) of `migrate convert`, and of a baseline that only loads the same input and dumps the
same output with the fastest YAML path available (PyYAML's or ruamel.yaml's libyaml bindings: both are
measured, the faster is the baseline), then the ratios.  Also the start-up of `migrate --help`, and
`helm-values` on a 64-listener Gateway plus `check` on its result when those commands exist.

    python3 -m benchmarks.run                # N = 1000 and 10000, best of 3
    python3 -m benchmarks.run --sizes 1000 --repeat 1
    python3 -m benchmarks.run --shapes --repeat 1   # only the pathological shapes (issue 13), with their growth

Targets (issue 6): convert(10k) <= 2x baseline time and <= 4x baseline memory, linear in N; helm-values and
check < 0.3 s (issue 14); --help < 0.3 s.  Nothing here is asserted by the test suite.
"""

from __future__ import annotations

import argparse
import itertools
import os
import pickle
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.generate import SHAPES, generate, shape_gateway

PY = sys.executable
ROOT = Path(__file__).resolve().parent.parent

# Baseline bodies: load the input, dump the (pickled) output of convert, with one YAML library.
BASELINE = {
    "pyyaml-c": """
import pickle, sys, yaml
docs = list(yaml.load_all(open(sys.argv[1], encoding="utf-8"), Loader=yaml.CSafeLoader))
out = pickle.load(open(sys.argv[2], "rb"))
sys.stdout.write(yaml.dump_all(out, Dumper=yaml.CSafeDumper, sort_keys=False, default_flow_style=False,
                               allow_unicode=True, width=4096, explicit_start=True))
""",
    "ruamel-c": """
import pickle, sys
from ruamel.yaml import YAML
yaml = YAML(typ="safe", pure=False)
yaml.default_flow_style = False
yaml.width = 4096
yaml.explicit_start = True
docs = list(yaml.load_all(open(sys.argv[1], encoding="utf-8").read()))
out = pickle.load(open(sys.argv[2], "rb"))
yaml.dump_all(out, sys.stdout)
""",
}


@dataclass
class Sample:
    seconds: float
    max_rss_kb: int
    exit_code: int


def measure(cmd: list[str], stdout: Path | None = None) -> Sample:
    """Wall time and peak RSS of one child process (its own rusage, not the sum of all children)."""
    with open(stdout or os.devnull, "wb") as out, open(os.devnull, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted: do not leave the child running
            proc.kill()
            raise
        elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Sample(elapsed, usage.ru_maxrss, proc.returncode)


def best(cmd: list[str], repeat: int, stdout: Path | None = None) -> Sample:
    runs = [measure(cmd, stdout) for _ in range(repeat)]
    return Sample(min(r.seconds for r in runs), min(r.max_rss_kb for r in runs), runs[0].exit_code)


def _dump_input(objs: list[dict[str, Any]], path: Path) -> None:
    from migrate import yamlio

    path.write_text(yamlio.dump_yaml_documents(objs))


def bench_convert(sizes: list[int], repeat: int, work: Path, extra: list[str]) -> Iterator[str]:
    per_k: dict[int, tuple[float, float]] = {}
    for n in sizes:
        src = work / f"estate-{n}.yaml"
        _dump_input(generate(n, seed=1), src)
        out = work / f"out-{n}.yaml"
        conv = best([PY, "-m", "migrate", "convert", str(src), *extra], repeat, out)
        import yaml  # only the benchmark's own bookkeeping: hand convert's output to the baseline

        out_docs = [d for d in yaml.load_all(out.read_text(), Loader=yaml.CSafeLoader) if d is not None]
        pickled = work / f"out-{n}.pickle"
        pickled.write_bytes(pickle.dumps(out_docs))
        bases = {}
        for name, body in BASELINE.items():
            bases[name] = best([PY, "-c", body, str(src), str(pickled)], repeat)
        fastest = min(bases, key=lambda k: bases[k].seconds)
        base = bases[fastest]
        size_mb = src.stat().st_size / 1e6
        yield (f"N={n:>6} ({size_mb:.1f} MB in, {len(out_docs)} objects / {out.stat().st_size / 1e6:.1f} MB out, "
               f"exit {conv.exit_code})")
        yield f"  convert            {conv.seconds:7.2f} s  {conv.max_rss_kb / 1024:7.0f} MiB"
        for name, s in bases.items():
            mark = "  <- baseline" if name == fastest else ""
            yield f"  load+dump {name:<8} {s.seconds:7.2f} s  {s.max_rss_kb / 1024:7.0f} MiB{mark}"
        t_ratio = conv.seconds / base.seconds
        m_ratio = conv.max_rss_kb / base.max_rss_kb
        yield (f"  ratio              {t_ratio:7.2f} x  {m_ratio:7.2f} x     "
               f"(targets: <= 2x time, <= 4x memory: {'met' if t_ratio <= 2 and m_ratio <= 4 else 'MISSED'})")
        per_k[n] = (conv.seconds, conv.max_rss_kb / 1024)
    if len(per_k) >= 2:
        lo, hi = min(per_k), max(per_k)
        growth = (per_k[hi][0] / per_k[lo][0])
        yield (f"growth {lo} -> {hi} Ingresses (x{hi // lo}): time x{growth:.1f}, "
               f"memory x{per_k[hi][1] / per_k[lo][1]:.1f} (start-up included; linear = x{hi // lo} or less)")


def gateway_64(path: Path) -> None:
    """A Gateway with 64 listeners: HTTP, HTTPS per host on 443, TCP, UDP and TLS passthrough ports."""
    from migrate import yamlio

    listeners: list[dict[str, Any]] = [{"name": "http", "protocol": "HTTP", "port": 80}]
    for i in range(30):
        listeners.append({"name": f"https-{i}", "protocol": "HTTPS", "port": 443, "hostname": f"app{i}.example.com",
                          "tls": {"mode": "Terminate", "certificateRefs": [{"name": f"app{i}-tls"}]}})
    for i in range(15):
        listeners.append({"name": f"tcp-{i}", "protocol": "TCP", "port": 9000 + i})
    for i in range(10):
        listeners.append({"name": f"udp-{i}", "protocol": "UDP", "port": 9100 + i})
    for i in range(8):
        listeners.append({"name": f"tls-{i}", "protocol": "TLS", "port": 9200 + i, "hostname": f"db{i}.example.com",
                          "tls": {"mode": "Passthrough"}})
    assert len(listeners) == 64
    gw = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
          "metadata": {"name": "kong", "namespace": "kong"},
          "spec": {"gatewayClassName": "kong", "listeners": listeners}}
    path.write_text(yamlio.dump_yaml_documents([gw]))


def _has_command(name: str) -> bool:
    probe = subprocess.run([PY, "-m", "migrate", name, "--help"], capture_output=True, cwd=ROOT)
    return probe.returncode == 0


def bench_small(repeat: int, work: Path) -> Iterator[str]:
    help_s = best([PY, "-m", "migrate", "--help"], repeat)
    yield f"migrate --help     {help_s.seconds:7.2f} s  {help_s.max_rss_kb / 1024:7.0f} MiB  (target < 0.3 s)"
    gw = work / "gateway-64.yaml"
    gateway_64(gw)
    values = work / "values.yaml"
    if _has_command("helm-values"):
        hv = best([PY, "-m", "migrate", "helm-values", str(gw)], repeat, values)
        yield (f"helm-values (64)   {hv.seconds:7.2f} s  {hv.max_rss_kb / 1024:7.0f} MiB  exit {hv.exit_code} "
               "(target < 0.3 s)")
    else:
        yield "helm-values (64)   not available"
    if _has_command("check") and values.exists():
        ck = best([PY, "-m", "migrate", "check", str(gw), "--values", str(values)], repeat)
        yield (f"check (64)         {ck.seconds:7.2f} s  {ck.max_rss_kb / 1024:7.0f} MiB  exit {ck.exit_code} "
               "(target < 0.3 s)")
    else:
        yield "check (64)         not available"


# Pathological shapes (issue 13 item 2), each at three sizes doubling: the command, and the sizes.
SHAPE_SIZES = {"paths": [2500, 5000, 10000], "methods-headers": [100, 200, 400], "plugins": [4000, 8000, 16000],
               "values": [20000, 40000, 80000]}


def bench_shapes(names: list[str], repeat: int, work: Path) -> Iterator[str]:
    """Wall time and peak RSS of each shape at doubling sizes, and the growth per doubling (linear: x2)."""
    from migrate import yamlio

    gw = work / "shape-gateway.yaml"
    gw.write_text(yamlio.dump_yaml_documents(shape_gateway()))
    for name in names:
        samples: list[tuple[int, Sample]] = []
        for n in SHAPE_SIZES[name]:
            src = work / f"shape-{name}-{n}.yaml"
            if name == "values":
                src.write_text(SHAPES[name](n))  # type: ignore[arg-type]
                # --in-place rewrites it: a fresh copy per run
                cmd = [PY, "-c", "import shutil, sys, runpy; shutil.copy(sys.argv[1], sys.argv[2]); "
                       "sys.argv = ['migrate', 'helm-values', sys.argv[3], '--values', sys.argv[2], '--in-place']; "
                       "runpy.run_module('migrate', run_name='__main__')",
                       str(src), str(work / "values-in-place.yaml"), str(gw)]
            else:
                src.write_text(yamlio.dump_yaml_documents(SHAPES[name](n)))  # type: ignore[arg-type]
                cmd = [PY, "-m", "migrate", "convert", str(src)]  # convert verifies by default
            s = best(cmd, repeat)
            samples.append((n, s))
            yield (f"shape {name:<16} n={n:>6} ({src.stat().st_size / 1e6:5.2f} MB) {s.seconds:7.2f} s "
                   f"{s.max_rss_kb / 1024:7.0f} MiB  exit {s.exit_code}")
        growth = ", ".join(f"x{b.seconds / a.seconds:.1f}" for (_, a), (_, b) in itertools.pairwise(samples))
        yield f"shape {name:<16} growth per doubling: time {growth} (linear = x2 or less)"


def machine() -> list[str]:
    cpu = ""
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        cpu = next((ln.split(":", 1)[1].strip() for ln in lscpu.splitlines() if ln.startswith("Model name")), "")
    except OSError:
        pass
    return [f"machine: {os.cpu_count()} CPUs ({cpu or platform.processor() or 'unknown CPU'}), "
            f"Python {platform.python_version()} on {platform.system()} {platform.release()}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is kept")
    parser.add_argument("--convert-arg", action="append", default=[], metavar="ARG",
                        help="extra argument for `migrate convert` (repeatable), e.g. --convert-arg=--allowed-routes=all")
    parser.add_argument("--shapes", nargs="*", choices=sorted(SHAPE_SIZES), metavar="SHAPE",
                        help="only the pathological shapes (all without a name): " + ", ".join(SHAPE_SIZES))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="migrate-bench-") as tmp:
        work = Path(tmp)
        if args.shapes is not None:
            runs: Iterator[str] = itertools.chain(machine(), bench_shapes(args.shapes or list(SHAPE_SIZES),
                                                                          args.repeat, work))
        else:
            runs = itertools.chain(machine(), bench_small(args.repeat, work),
                                   bench_convert(args.sizes, args.repeat, work, args.convert_arg),
                                   bench_shapes(list(SHAPE_SIZES), args.repeat, work))
        for line in runs:
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
