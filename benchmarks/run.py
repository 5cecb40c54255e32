"""End-to-end benchmarks of the `migrate` CLI, each command in a fresh interpreter.

Estates (benchmarks/generate.py), each at every --sizes (default 1,000 and 10,000 Ingresses): `estate` (the
common shape), `https-no-tls` (every route HTTPS-only, no TLS entry for its host) and `one-host` (every rule on
one busy host).  For each: wall time, CPU time and peak memory (ru_maxrss via os.wait4) of `migrate convert`
(verification on, the default) and `convert --no-verify`, and of the floor: a child that only loads the same
input and dumps the same output with the fastest libyaml binding (PyYAML's or ruamel.yaml's: both measured);
the ratios, the cost of verification, and each estate's growth exponent over the sizes.  Also the start-up of
`migrate --help`, `helm-values` on a 64-listener Gateway and `check` on its result, and the pathological
shapes of issue 13 at doubling sizes with their growth exponents.

    python3 -m benchmarks.run                                  # everything, best of 3
    python3 -m benchmarks.run --sizes 1000 10000 30000 --repeat 1
    python3 -m benchmarks.run --estates one-host --sizes 1000 2000 --repeat 1
    python3 -m benchmarks.run --shapes --repeat 1              # only the pathological shapes, with their growth

Targets (issue 14): convert <= 2x the floor in time and <= 4x in memory at every size and on every estate,
growth exponent <= 1.05; verification <= 1.5x a plain convert; --help, helm-values and check < 0.3 s.
Nothing here is asserted by the test suite.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.generate import SHAPES, generate, shape_gateway, shape_https_no_tls, shape_one_host

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
    cpu: float = 0.0  # user + system seconds, the process and every child it waited for


def measure(cmd: list[str], stdout: Path | None = None, cwd: Path = ROOT) -> Sample:
    """Wall time, CPU time and peak RSS of one child process.  Linux's wait4 reports the child together with
    the children it waited for (convert's verification child included): max RSS is the largest of them."""
    with open(stdout or os.devnull, "wb") as out, open(os.devnull, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted: do not leave the child running
            proc.kill()
            raise
        elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Sample(elapsed, usage.ru_maxrss, proc.returncode, usage.ru_utime + usage.ru_stime)


def best(cmd: list[str], repeat: int, stdout: Path | None = None, cwd: Path = ROOT) -> Sample:
    runs = [measure(cmd, stdout, cwd) for _ in range(repeat)]
    return Sample(min(r.seconds for r in runs), min(r.max_rss_kb for r in runs), runs[0].exit_code,
                  min(r.cpu for r in runs))


def exponent(samples: list[tuple[int, float]]) -> str:
    """The growth exponent between the smallest and the largest size (1.0: linear)."""
    if len(samples) < 2:
        return "n/a"
    (n0, t0), (n1, t1) = samples[0], samples[-1]
    if n1 == n0 or t0 <= 0 or t1 <= 0:
        return "n/a"
    return f"{math.log(t1 / t0) / math.log(n1 / n0):.2f}"


def _in_child(code: str, *args: str) -> None:
    """Heavy bookkeeping (building inputs, reading outputs) in a child process: Linux keeps a process's peak
    RSS across fork and exec, so a benchmark process that held an estate would lend its own peak to every
    command it measures afterwards (the floor's figure most of all)."""
    subprocess.run([PY, "-c", code, *args], cwd=ROOT, check=True)


def _write_estate(estate: str, n: int, path: Path) -> None:
    _in_child("import sys; from benchmarks.run import ESTATES; from migrate import yamlio; "
              "open(sys.argv[3], 'w').write(yamlio.dump_yaml_documents(ESTATES[sys.argv[1]](int(sys.argv[2]))))",
              estate, str(n), str(path))


def _pickle_output(out: Path, pickled: Path) -> int:
    """The documents of `out` pickled for the floor's dump; their count."""
    count = pickled.with_suffix(".count")
    _in_child("import pickle, sys, yaml; docs = [d for d in yaml.load_all(open(sys.argv[1]).read(), "
              "Loader=yaml.CSafeLoader) if d is not None]; open(sys.argv[2], 'wb').write(pickle.dumps(docs)); "
              "open(sys.argv[3], 'w').write(str(len(docs)))", str(out), str(pickled), str(count))
    return int(count.read_text())


ESTATES: dict[str, Callable[[int], list[dict[str, Any]]]] = {
    "estate": lambda n: generate(n, seed=1), "https-no-tls": shape_https_no_tls, "one-host": shape_one_host}


def bench_convert(estates: list[str], sizes: list[int], repeat: int, work: Path, extra: list[str]
                  ) -> Iterator[str]:
    """For each estate shape and size: convert (verification on, the default), convert --no-verify, and the
    libyaml floor (load the input + dump convert's output); ratios, and growth exponents over the sizes."""
    for estate in estates:
        growth: dict[str, list[tuple[int, float]]] = {"convert": [], "convert --no-verify": []}
        for n in sizes:
            src = work / f"{estate}-{n}.yaml"
            _write_estate(estate, n, src)
            out = work / f"out-{estate}-{n}.yaml"
            verified = best([PY, "-m", "migrate", "convert", str(src), *extra], repeat, out)
            plain = best([PY, "-m", "migrate", "convert", str(src), "--no-verify", *extra], repeat, out)
            pickled = work / f"out-{estate}-{n}.pickle"
            out_count = _pickle_output(out, pickled)
            bases = {name: best([PY, "-c", body, str(src), str(pickled)], repeat) for name, body in BASELINE.items()}
            fastest = min(bases, key=lambda k: bases[k].seconds)
            base = bases[fastest]
            yield (f"{estate} N={n:>6} ({src.stat().st_size / 1e6:.1f} MB in, {out_count} objects / "
                   f"{out.stat().st_size / 1e6:.1f} MB out, exit {verified.exit_code})")
            for label, run in (("convert", verified), ("convert --no-verify", plain)):
                t_ratio = run.seconds / base.seconds
                m_ratio = run.max_rss_kb / base.max_rss_kb
                yield (f"  {label:<20} {run.seconds:7.2f} s wall {run.cpu:7.2f} s CPU {run.max_rss_kb / 1024:6.0f} MiB"
                       f"   x{t_ratio:.2f} time, x{m_ratio:.2f} memory of the floor "
                       f"(targets 2x / 4x: {'met' if t_ratio <= 2 and m_ratio <= 4 else 'MISSED'})")
                growth[label].append((n, run.seconds))
            for name, b in bases.items():
                mark = "  <- floor" if name == fastest else ""
                yield f"  load+dump {name:<10} {b.seconds:7.2f} s wall {b.cpu:7.2f} s CPU {b.max_rss_kb / 1024:6.0f} MiB{mark}"
            ratio = verified.seconds / plain.seconds
            yield (f"  verification costs x{ratio:.2f} a plain convert in wall time, x{verified.cpu / plain.cpu:.2f} "
                   f"in CPU (target: x1.5 wall)")
        if len(sizes) >= 2:
            yield (f"{estate} growth exponent {sizes[0]} -> {sizes[-1]}: convert {exponent(growth['convert'])}, "
                   f"--no-verify {exponent(growth['convert --no-verify'])} (linear: 1.0; target <= 1.05)")


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
                _in_child("import sys; from benchmarks.generate import SHAPES; from migrate import yamlio; "
                          "open(sys.argv[2], 'w').write(yamlio.dump_yaml_documents(SHAPES[sys.argv[1]]"
                          "(int(sys.argv[3]))))", name, str(src), str(n))
                cmd = [PY, "-m", "migrate", "convert", str(src)]  # convert verifies by default
            s = best(cmd, repeat)
            samples.append((n, s))
            yield (f"shape {name:<16} n={n:>6} ({src.stat().st_size / 1e6:5.2f} MB) {s.seconds:7.2f} s "
                   f"{s.max_rss_kb / 1024:7.0f} MiB  exit {s.exit_code}")
        growth = ", ".join(f"x{b.seconds / a.seconds:.1f}" for (_, a), (_, b) in itertools.pairwise(samples))
        yield (f"shape {name:<16} growth per doubling: time {growth} (linear = x2 or less); exponent "
               f"{exponent([(n, x.seconds) for n, x in samples])} (start-up included)")


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
    parser.add_argument("--estates", nargs="+", choices=sorted(ESTATES), default=list(ESTATES), metavar="ESTATE",
                        help="estate shapes to convert (default: all): " + ", ".join(ESTATES))
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
                                   bench_convert(args.estates, args.sizes, args.repeat, work, args.convert_arg),
                                   bench_shapes(list(SHAPE_SIZES), args.repeat, work))
        for line in runs:
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
