"""Seeds (golden cases and shared samples), one fuzz run in-process, and the checks on its result.

A run is identified by (command, base seed, index): `random.Random(f"{base}:{command}:{index}")` picks the
seed input, the file to mutate, the mutations and the extra options, so a failure is replayed exactly by
`python -m tests.fuzz --command COMMAND --seed BASE --index INDEX`.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import random
import re
import shutil
import signal
import tempfile
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from tests.fuzz.mutators import mutate, mutate_text_arg
from tests.support import GOLDEN, REPO, SAMPLES

COMMANDS = ("convert", "verify", "helm-values", "check")  # scan: run_scan, against a fake API server
DOCUMENTED_EXIT_CODES = {0, 1, 2}  # README: 0 done, 1 needs a human, 2 usage or input errors
INPUT_SUFFIXES = (".yaml", ".yml", ".json")
NOT_INPUT = {"args.txt", "expected.out", "expected.err", "expected.exit", "accepted-differences.txt"}
VALUES = REPO / "examples" / "my-values.yaml"

Source = Path | Callable[[], bytes]


@dataclass(frozen=True)
class Seed:
    """A command line and the files it reads, copied into a fresh directory for every run."""

    command: str
    name: str
    args: tuple[str, ...]
    files: tuple[tuple[str, Source], ...]  # (name in the run directory, source file or directory or bytes)
    targets: tuple[str, ...]  # the files a run may mutate
    stdin: str | None = None  # the file fed to stdin (also a target)
    text_args: tuple[int, ...] = ()  # indexes of args a run may mutate as text (listen strings)


# --- seeds ---------------------------------------------------------------------------------------------------

def _case_args(case: Path) -> list[str]:
    return [line for line in (case / "args.txt").read_text().splitlines() if line.strip()]


def _case_files(case: Path) -> tuple[tuple[tuple[str, Source], ...], tuple[str, ...]]:
    files: list[tuple[str, Source]] = []
    targets: list[str] = []
    for entry in sorted(case.iterdir()):
        if entry.name in NOT_INPUT:
            continue
        files.append((entry.name, entry))
        if entry.is_dir():
            targets += sorted(str(p.relative_to(case)) for p in entry.rglob("*") if p.suffix in INPUT_SUFFIXES)
        elif entry.suffix in INPUT_SUFFIXES:
            targets.append(entry.name)
    return tuple(files), tuple(targets)


def _golden_cases(command: str) -> list[Path]:
    root = GOLDEN / command
    return sorted(p for p in root.iterdir() if (p / "args.txt").is_file()) if root.is_dir() else []


VERIFY_FLAGS = {"--router-flavor", "--source-kic-version", "--kic-version", "--ingress-class", "--default-ingress-class"}
LISTEN_FLAGS = {"--proxy-listen", "--stream-listen", "--gateway"}


def _verify_flags(convert_args: list[str]) -> list[str]:
    out = []
    for i, arg in enumerate(convert_args[:-1]):
        if arg in VERIFY_FLAGS:
            out += [arg, convert_args[i + 1]]
    return out


def _expected_exit(case: Path) -> int:
    return int((case / "expected.exit").read_text().strip() or "0")


def golden_seeds(command: str) -> list[Seed]:
    seeds: list[Seed] = []
    if command in ("convert", "helm-values", "check"):
        for case in _golden_cases(command):
            args = _case_args(case)
            files, targets = _case_files(case)
            stdin = "stdin.yaml" if "-" in args and (case / "stdin.yaml").exists() else None
            text_args = tuple(i + 1 for i, a in enumerate(args[:-1]) if a in LISTEN_FLAGS)
            seeds.append(Seed(command, f"golden/{command}/{case.name}", tuple(args), files, targets, stdin, text_args))
    if command == "verify":
        # before: a convert case's input, after: its expected output
        for case in _golden_cases("convert"):
            args = _case_args(case)
            out = case / "expected.out"
            if _expected_exit(case) == 2 or not (case / "input.yaml").is_file() or not out.read_text().strip():
                continue
            after = "after.json" if "json" in args else "after.yaml"
            accepted = case / "accepted-differences.txt"
            extra: tuple[tuple[str, Source], ...] = (("accepted.txt", accepted),) if accepted.is_file() else ()
            seeds.append(Seed("verify", f"golden/convert/{case.name} (verify)",
                              ("verify", "--before", "input.yaml", "--after", after, *_verify_flags(args),
                               *(["--accept", "accepted.txt"] if extra else [])),
                              (("input.yaml", case / "input.yaml"), (after, out), *extra),
                              ("input.yaml", after, *(["accepted.txt"] if extra else []))))
    if command in ("helm-values", "check"):
        # the Gateways convert writes, fed on to the next commands of the flow
        for case in _golden_cases("convert"):
            out = case / "expected.out"
            if "json" in _case_args(case) or "kind: Gateway\n" not in out.read_text():
                continue
            if command == "helm-values":
                seeds.append(Seed(command, f"golden/convert/{case.name} (helm-values)", ("helm-values", "gateway.yaml"),
                                  (("gateway.yaml", out),), ("gateway.yaml",)))
            else:
                seeds.append(Seed(command, f"golden/convert/{case.name} (check)",
                                  ("check", "gateway.yaml", "--values", "values.yaml"),
                                  (("gateway.yaml", out), ("values.yaml", VALUES)), ("gateway.yaml", "values.yaml")))
    return seeds


def shared_samples() -> list[Path]:
    if not SAMPLES.is_dir():
        return []
    return sorted(p for p in SAMPLES.iterdir() if p.suffix in INPUT_SUFFIXES)


@cache
def _converted(sample: Path) -> bytes:
    """The sample's own conversion (unmutated), as the `--after` side of a verify seed."""
    result = invoke(["convert", "--no-verify", str(sample)])
    return result.stdout_bytes if result.exit_code in (0, 1) else b""


def sample_seeds() -> list[Seed]:
    seeds: list[Seed] = []
    for sample in shared_samples():
        seeds.append(Seed("convert", f"samples/{sample.name}", ("convert", "input.yaml"),
                          (("input.yaml", sample),), ("input.yaml",)))
        seeds.append(Seed("verify", f"samples/{sample.name} (verify)",
                          ("verify", "--before", "input.yaml", "--after", "after.yaml"),
                          (("input.yaml", sample), ("after.yaml", lambda s=sample: _converted(s))),
                          ("input.yaml", "after.yaml")))
    return seeds


@cache
def seeds_for(command: str, samples: bool) -> tuple[Seed, ...]:
    if samples:
        return tuple(s for s in sample_seeds() if s.command == command)
    return tuple(golden_seeds(command))


# --- extra options ---------------------------------------------------------------------------------------------

EXTRA_OPTIONS: dict[str, list[list[str]]] = {
    "convert": [["--router-flavor", "expressions"], ["--router-flavor", "traditional_compatible"],
                ["--gateway-api-version", "v1.6"], ["--source-kic-version", "2"], ["--backend-tls-policy"],
                ["--kic-version", "3.5.7"], ["-o", "json"], ["--report-format", "json"],
                ["--report-format", "markdown"], ["--no-verify"], ["--allowed-routes", "all"],
                ["--output-dir", "out"], ["--patches", "patches.yaml"], ["--default-ingress-class", "kong"],
                ["--report", "report.txt"]],
    "verify": [["-o", "json"], ["--router-flavor", "expressions"], ["--router-flavor", "traditional_compatible"],
               ["--kic-version", "3.5.7"], ["--kic-version", "3.4.0"], ["--source-kic-version", "2"],
               ["--kong-config", "kong-config"], ["--default-ingress-class", "kong"]],
    "helm-values": [["-o", "all"], ["-o", "env"], ["-o", "service"], ["--chart", "ingress"],
                    ["--udp-service", "separate"], ["--prune"], ["--in-place"], ["--reset-parameters"]],
    "check": [["-o", "json"], ["--chart", "ingress"]],
    "scan": [["--verify"], ["-o", "json"], ["--page-size", "2"], ["--output-dir", "out"], ["--report-format", "json"],
             ["--router-flavor", "expressions"], ["-n", "shop"], ["--gateway-api-version", "v1.6"],
             ["--proxy-service", "kong/kong-kong-proxy"], ["--chart", "ingress"], ["--default-ingress-class", "kong"]],
}


# Options whose value a user types: each gets odd values now and then.
ODD_OPTIONS: dict[str, list[str]] = {
    "convert": ["--kic-version", "--source-kic-version", "--gateway-name", "--gateway-namespace", "--gateway-class",
                "--ingress-class", "--default-ingress-class"],
    "verify": ["--kic-version", "--source-kic-version", "--ingress-class", "--default-ingress-class"],
    "helm-values": ["--release", "--namespace", "--gateway", "--gateway-class", "--http-container-port",
                    "--https-container-port"],
    "check": ["--release", "--namespace", "--gateway", "--gateway-class"],
    "scan": ["--gateway", "--proxy-service", "--context", "-n", "--gateway-name", "--gateway-namespace",
             "--kic-version", "--ingress-class"],
}
ODD_VALUES = ["", " ", "3", "3.5", "3.5.7.1", "v3.5.7", "2", "9", "x", "a/b", "a/", "/b", "kong/kong", "UPPER", "ü",
              "a" * 300, "-x", "3.4.14", "0.0.0", "99999999999999999999", "0", "65536", "-1", "kong", "a..b", "*"]


# --- running ---------------------------------------------------------------------------------------------------

class RunTimeout(BaseException):  # noqa: N818 - a BaseException, so no `except Exception` in the code swallows it
    """A run went over the local driver's time limit (never raised by the pytest budget)."""


def invoke(args: list[str], stdin: bytes | None = None) -> Any:
    """The CLI in-process; exceptions are caught and returned on the result, never swallowed."""
    from typer.testing import CliRunner

    from migrate.cli import app

    threshold = gc.get_threshold()
    try:
        return CliRunner().invoke(app, args, input=stdin, catch_exceptions=True)
    finally:
        # read_inputs tunes the collector for one big run and freezes the loaded input; undo it between runs
        gc.unfreeze()
        gc.set_threshold(*threshold)


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


@contextlib.contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    if not seconds:
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise RunTimeout(f"over {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass
class Outcome:
    command: str
    index: int
    base: str
    seed: str
    args: list[str]
    steps: list[str]
    exit_code: int | None = None
    problems: list[str] = field(default_factory=list)
    stderr: str = ""
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        lines = [f"{self.command} run {self.index} (seed {self.base!r}) on {self.seed}: exit {self.exit_code}",
                 f"  replay: python -m tests.fuzz --command {self.command} --seed {self.base} --index {self.index}"
                 f"{' --samples' if self.seed.startswith('samples/') else ''} --save DIR",
                 f"  migrate {' '.join(_quote(a) for a in self.args)}",
                 *(f"  mutation: {s}" for s in self.steps),
                 *(f"  problem: {p}" for p in self.problems)]
        return "\n".join(lines)


def _quote(arg: str) -> str:
    return arg if re.fullmatch(r"[\w./:=@,+-]+", arg) else repr(arg)


def _materialize(seed: Seed, work: Path) -> None:
    for name, source in seed.files:
        dest = work / name
        if callable(source):
            dest.write_bytes(source())
        elif source.is_dir():
            shutil.copytree(source, dest)
        else:
            shutil.copyfile(source, dest)


def plan_run(command: str, base: str, index: int, samples: bool = False) -> tuple[Seed, random.Random] | None:
    seeds = seeds_for(command, samples)
    if not seeds:
        return None
    rng = random.Random(f"{base}:{command}:{'samples:' if samples else ''}{index}")
    return rng.choice(seeds), rng


def run_one(command: str, base: str, index: int, *, samples: bool = False, save: Path | None = None,
            time_limit: float | None = None) -> Outcome | None:
    planned = plan_run(command, base, index, samples)
    if planned is None:
        return None
    seed, rng = planned
    args = list(seed.args)
    outcome = Outcome(command, index, base, seed.name, args, [])
    with tempfile.TemporaryDirectory(prefix="migrate-fuzz-") as tmp:
        work = Path(tmp)
        _materialize(seed, work)
        targets = list(seed.targets)
        chosen = rng.sample(targets, 2 if len(targets) > 1 and rng.random() < 0.1 else 1) if targets else []
        for rel in chosen:
            path = work / rel
            data = path.read_bytes()
            if path.suffix in (".yaml", ".yml") and rng.random() < 0.1:
                # two estates in one input: objects of another case next to these (shared hosts, names, ports)
                other = rng.choice(seeds_for(command, samples))
                extra = [(n, s) for n, s in other.files if n in other.targets and isinstance(s, Path) and s.is_file()
                         and s.suffix in (".yaml", ".yml")]
                if extra:
                    name, source = rng.choice(extra)
                    data += b"\n---\n" + source.read_bytes()
                    outcome.steps.append(f"{rel}: appended {other.name}/{name}")
            mutant = mutate(rng, data, json_file=path.suffix == ".json", text_only=path.suffix not in INPUT_SUFFIXES)
            path.write_bytes(mutant.data)
            outcome.steps += [f"{rel}: {s}" for s in mutant.steps]
        if seed.text_args and rng.random() < 0.3:
            i = rng.choice(seed.text_args)
            args[i], step = mutate_text_arg(rng, args[i])
            outcome.steps.append(f"argument {i}: {step}")
        for _ in range(rng.choice([0, 0, 1, 1, 2])):
            args += rng.choice(EXTRA_OPTIONS[command])
        if rng.random() < 0.15:
            args += [rng.choice(ODD_OPTIONS[command]), rng.choice(ODD_VALUES)]
        if command == "helm-values" and ("--prune" in args or "--in-place" in args) and "--values" not in args:
            args = [a for a in args if a not in ("--prune", "--in-place")]
        outcome.args = args
        stdin = (work / seed.stdin).read_bytes() if seed.stdin else None
        values = _last_option(args, "--values")
        values_before = (work / values).read_bytes() if values and (work / values).is_file() else None
        result = _run_checked(outcome, command, args, work, time_limit, stdin)
        if result is not None:
            in_place_failed = "--in-place" in args and result.exit_code != 0 and values and values_before is not None
            if in_place_failed and ((work / values).read_bytes() != values_before or (work / f"{values}.bak").exists()):
                outcome.problems.append(f"--in-place exit {result.exit_code} changed {values} or wrote a .bak")
        if save is not None and not outcome.ok:
            _save(outcome, work, save)
    return outcome


def _run_checked(outcome: Outcome, command: str, args: list[str], work: Path, time_limit: float | None,
                 stdin: bytes | None = None) -> Any:
    """One bounded in-process run in `work`, its exit code, stderr and problems recorded on `outcome`; the
    result, or None when it ran out of time."""
    try:
        with _cwd(work), _time_limit(time_limit):
            result = invoke(args, stdin)
    except RunTimeout as exc:
        outcome.timed_out = True
        outcome.problems.append(f"timeout: {exc}")
        _reset_after_interrupt()
        return None
    outcome.exit_code = result.exit_code
    outcome.stderr = result.stderr
    outcome.problems += check_result(command, args, result, work)
    return result


def _reset_after_interrupt() -> None:
    """A run interrupted anywhere (the local driver's time limit) may leave ruamel.yaml's module-level dumpers
    mid-stream, and every later dump in this process would fail: start them afresh."""
    from migrate import yamlio

    for dumper in vars(yamlio).values():
        if getattr(dumper, "_context_manager", None) is not None:
            dumper._context_manager = None


def _save(outcome: Outcome, work: Path, save: Path) -> None:
    dest = save / f"{outcome.command}-{outcome.index}"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(work, dest, symlinks=True)
    (dest / "REPRO.txt").write_text(outcome.describe() + "\n\n--- stderr (tail) ---\n" + outcome.stderr[-4000:])


# --- checks ------------------------------------------------------------------------------------------------------

def _last_option(args: list[str], *names: str) -> str | None:
    value = None
    for i, arg in enumerate(args[:-1]):
        if arg in names:
            value = args[i + 1]
    return value


def _parse_yaml(text: str, what: str) -> tuple[list[Any], str | None]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return list(yaml.load_all(text, Loader=loader)), None
    except yaml.YAMLError as exc:
        return [], f"{what} is not valid YAML: {str(exc).splitlines()[0:3]}"


def _parse_json(text: str, what: str) -> tuple[Any, str | None]:
    try:
        return json.loads(text), None
    except ValueError as exc:
        return None, f"{what} is not valid JSON: {exc}"


def _manifest_problems(docs: list[Any], what: str) -> list[str]:
    """Every document convert writes can go to `kubectl apply`: a mapping with apiVersion, kind, and a name (and
    namespace) the API server accepts."""
    from migrate.names import is_dns1123_label, is_dns1123_subdomain

    out = []
    for i, doc in enumerate(docs):
        if doc is None:
            continue
        meta = doc.get("metadata") if isinstance(doc, dict) else None
        if not (isinstance(doc, dict) and isinstance(doc.get("apiVersion"), str) and isinstance(doc.get("kind"), str)
                and isinstance(meta, dict) and isinstance(meta.get("name"), str) and meta["name"]):
            out.append(f"{what} document {i} is not a named Kubernetes object: {str(doc)[:200]}")
        elif not is_dns1123_subdomain(meta["name"]) or not is_dns1123_label(str(meta.get("namespace", "default"))):
            out.append(f"{what} document {i}: {doc['kind']} {meta.get('namespace')}/{meta['name']}: a name the API "
                       "server refuses")
    return out


SECTION = re.compile(r"^# ==== (.+) ====$", re.MULTILINE)


def check_result(command: str, args: list[str], result: Any, work: Path) -> list[str]:
    problems: list[str] = []
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        tb = "".join(traceback.format_exception(*result.exc_info)) if result.exc_info else repr(exc)
        problems.append(f"exception escaped: {type(exc).__name__}: {str(exc)[:300]}\n{_tail(tb)}")
        return problems
    if result.exit_code not in DOCUMENTED_EXIT_CODES:
        problems.append(f"exit code {result.exit_code} is not one of {sorted(DOCUMENTED_EXIT_CODES)}")
    if "Traceback (most recent call last)" in result.stdout + result.stderr:
        problems.append("a traceback was printed")
    if result.exit_code == 2 and "error" not in result.stderr.lower():
        problems.append("exit 2 without an error message on stderr")
    if command == "helm-values" and result.exit_code in (1, 2) and result.stdout.strip():
        # its --help: exit 1 'no values are printed', exit 2 'nothing is printed or written'
        problems.append(f"helm-values exit {result.exit_code} printed {len(result.stdout)} characters")
    if result.exit_code not in (0, 1):
        return problems
    out = result.stdout
    fmt = _last_option(args, "-o", "--output")
    if command in ("convert", "scan"):
        if "--output-dir" in args:
            out_dir = work / "out"
            for path in sorted(p for p in out_dir.rglob("*") if p.is_file()) if out_dir.is_dir() else []:
                rel = str(path.relative_to(out_dir))
                if path.suffix == ".json":
                    data, err = _parse_json(path.read_text(), f"--output-dir file {rel}")
                    docs = data.get("items", []) if isinstance(data, dict) else [data]
                elif path.suffix == ".yaml":
                    docs, err = _parse_yaml(path.read_text(), f"--output-dir file {rel}")
                else:
                    continue  # the text and markdown reports, scan's kong-env.txt
                manifests = "/" not in rel and not rel.startswith(("service-patches.", "report."))
                problems += [err] if err else _manifest_problems(docs, rel) if manifests else []
        elif fmt == "json":
            data, err = _parse_json(out, "stdout (-o json)")
            problems += [err] if err else _manifest_problems(data.get("items", []) if isinstance(data, dict) else [data], "stdout")
        else:
            docs, err = _parse_yaml(out, "stdout")
            problems += [err] if err else _manifest_problems(docs, "stdout")
        if _last_option(args, "--report-format") == "json" and "--output-dir" not in args:
            report = _last_option(args, "--report")
            text = (work / report).read_text() if report and (work / report).is_file() else result.stderr
            _, err = _parse_json(text, f"the JSON report ({report or 'stderr'})")
            problems += [err] if err else []
        if "--patches" in args and (work / "patches.yaml").exists():
            _, err = _parse_yaml((work / "patches.yaml").read_text(), "--patches file")
            problems += [err] if err else []
    elif command == "verify":
        if fmt == "json":
            _, err = _parse_json(out, "stdout (-o json)")
            problems += [err] if err else []
        kong_config = work / "kong-config"
        if "--kong-config" in args and kong_config.is_dir():
            for path in sorted(kong_config.glob("*.yaml")):
                _, err = _parse_yaml(path.read_text(), f"--kong-config file {path.name}")
                problems += [err] if err else []
    elif command == "helm-values":
        if "--in-place" in args:
            values = _last_option(args, "--values")
            if values and (work / values).is_file():
                _, err = _parse_yaml((work / values).read_text(), "--in-place values file")
                problems += [err] if err else []
        parts = SECTION.split(out)
        sections = [("stdout", parts[0])] + [(f"stdout section {parts[i]}", parts[i + 1]) for i in range(1, len(parts) - 1, 2)]
        for what, text in sections:
            docs, err = _parse_yaml(text, what)
            services = fmt == "service" or "services" in what
            problems += [err] if err else _manifest_problems(docs, what) if services else []
    elif command == "check" and fmt == "json":
        _, err = _parse_json(out, "stdout (-o json)")
        problems += [err] if err else []
    return problems


def _tail(tb: str, lines: int = 14) -> str:
    return "\n".join("    " + line for line in tb.rstrip().splitlines()[-lines:])


# --- scan: the same mutations, served by a fake API server ----------------------------------------------------

KONG_LABELS = {"app.kubernetes.io/name": "kong", "app.kubernetes.io/instance": "kong"}
SCAN_PROXY: list[dict[str, Any]] = [  # a Kong release as the chart installs it: proxy and UDP proxy Services, Deployment
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kong-kong-proxy", "namespace": "kong",
     "labels": KONG_LABELS}, "spec": {"selector": KONG_LABELS, "ports": [
         {"name": "kong-proxy", "port": 80, "targetPort": 8000, "protocol": "TCP"},
         {"name": "kong-proxy-tls", "port": 443, "targetPort": 8443, "protocol": "TCP"},
         {"name": "stream-5432", "port": 5432, "targetPort": 5432, "protocol": "TCP"}]}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kong-kong-udp-proxy", "namespace": "kong",
     "labels": KONG_LABELS}, "spec": {"selector": KONG_LABELS, "ports": [
         {"name": "streamudp-5353", "port": 5353, "targetPort": 5353, "protocol": "UDP"}]}},
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "kong-kong", "namespace": "kong",
     "labels": KONG_LABELS}, "spec": {"template": {"metadata": {"labels": KONG_LABELS}, "spec": {"containers": [
         {"name": "proxy", "env": [{"name": "KONG_PROXY_LISTEN", "value": "0.0.0.0:8000, 0.0.0.0:8443 http2 ssl"},
                                   {"name": "KONG_STREAM_LISTEN", "value": "0.0.0.0:5432, 0.0.0.0:5353 udp"},
                                   {"name": "KONG_ROUTER_FLAVOR", "value": "traditional"}]},
         {"name": "ingress-controller", "env": [
             {"name": "CONTROLLER_PUBLISH_SERVICE", "value": "kong/kong-kong-proxy"},
             {"name": "CONTROLLER_FEATURE_GATES", "value": "GatewayAlpha=true"}]}]}}}},
]


@cache
def scan_seeds() -> tuple[tuple[str, tuple[dict[str, Any], ...]], ...]:
    """The objects of each golden convert case that a scan reads (plus a Kong release to find)."""
    from migrate.yamlio import load_yaml_stream
    from tests.scan_fixtures.fake_cluster import ALL_RESOURCES

    kinds = {r.kind for r in ALL_RESOURCES}
    out = []
    for case in _golden_cases("convert"):
        if not (case / "input.yaml").is_file():
            continue
        try:
            docs = [d for d in load_yaml_stream((case / "input.yaml").read_text()) if isinstance(d, dict)]
        except Exception:  # noqa: BLE001 - a golden case with malformed input: nothing a cluster would hold
            continue
        docs = [d for d in docs if d.get("kind") in kinds]
        if docs:
            out.append((f"golden/convert/{case.name} (scan)", tuple(docs + SCAN_PROXY)))
    return tuple(out)


def _servable(docs: list[Any]) -> list[tuple[Any, dict[str, Any]]]:
    """(resource, object) for the mutated documents an API server could hold: a known kind, a name, a namespace
    when namespaced (defaulted as the server does), JSON values only."""
    from tests.scan_fixtures.fake_cluster import ALL_RESOURCES

    by_kind = {r.kind: r for r in ALL_RESOURCES}
    out = []
    for doc in docs:
        res = by_kind.get(doc.get("kind")) if isinstance(doc, dict) and isinstance(doc.get("kind"), str) else None
        meta = doc.get("metadata") if res is not None else None
        if res is None or not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
            continue
        if res.namespaced and not (isinstance(meta.get("namespace"), str) and meta["namespace"]):
            meta["namespace"] = "default"
        doc["apiVersion"] = res.api_version
        try:
            json.dumps(doc, allow_nan=False)
        except (TypeError, ValueError):
            continue
        out.append((res, doc))
    return out


def run_scan(base: str, index: int, *, save: Path | None = None, time_limit: float | None = None) -> Outcome:
    """One scan of mutated objects, served by a fresh fake API server on loopback (kmock slows down with every
    request it has served: one per run keeps runs at a tenth of a second)."""
    import copy

    from tests.fuzz.mutators import CLUSTER, _pick
    from tests.scan_fixtures.fake_cluster import FakeCluster, kubeconfig

    rng = random.Random(f"{base}:scan:{index}")
    name, seed_docs = rng.choice(scan_seeds())
    docs: list[Any] = copy.deepcopy(list(seed_docs))
    steps = []
    for _ in range(rng.choice([1, 1, 2, 3])):
        step = _pick(rng, CLUSTER)(rng, docs)
        if step:
            steps.append(step)
    args = ["scan", "--kubeconfig", "kubeconfig"]
    for _ in range(rng.choice([0, 1, 1, 2])):
        args += rng.choice(EXTRA_OPTIONS["scan"])
    if rng.random() < 0.15:
        args += [rng.choice(ODD_OPTIONS["scan"]), rng.choice(ODD_VALUES)]
    outcome = Outcome("scan", index, base, name, args, steps)
    servable = _servable(docs)
    with FakeCluster() as cluster, tempfile.TemporaryDirectory(prefix="migrate-fuzz-") as tmp:
        for res, doc in servable:
            cluster.add(res, doc)
        work = Path(tmp)
        (work / "kubeconfig").write_text(kubeconfig(cluster.url))
        (work / "objects.json").write_text(json.dumps([d for _, d in servable], indent=1))
        _run_checked(outcome, "scan", args, work, time_limit)
        if save is not None and not outcome.ok:
            _save(outcome, work, save)
    return outcome
