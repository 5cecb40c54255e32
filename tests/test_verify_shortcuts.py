"""verify's shortcuts give the answer the plain definition gives (issue 14).

* Host signatures: a host whose Kong routes are the same on both sides is not routed probe by probe, and an
  era whose routes for a host equal an earlier era's takes that era's outcome; an https probe to a host no side
  has a certificate for is not routed (the handshake fails on both sides), nor one whose http form was just
  routed on a host every side serves alike on both schemes (`KongRouter.scheme_neutral`).  With signatures made unique
  (so no shortcut ever applies) every count and every difference must stay the same.
* The listener index of KIC's parent lookups (`selected_listeners`) against the definition it replaced: a
  parentRef selects the listeners whose name is its sectionName, or all without one, in order.
* Verification beside the output (a forked child): the report and the output are byte-identical to a serial
  run, and a child that fails is redone by the parent.
* Probes routed in several processes (shards of whole hosts): the same result as one process, differences in
  probe order; a shard whose process fails is redone.
"""

from __future__ import annotations

import gc
import itertools
import os
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate, shape_https_no_tls, shape_one_host
from migrate import processes, yamlio
from migrate.convert.options import ConvertOptions
from migrate.convert.pipeline import run_convert
from migrate.kic.parents import selected_listeners
from migrate.kic.store import Obj
from migrate.kong.router import KongRouter
from migrate.loader import LoadResult, SourceDoc, parse_text
from migrate.sources import SourceRef
from migrate.verify import VerifyResult, compare, routing, verify
from migrate.verify.outcome import Request
from migrate.verify.probes import generate_probes
from tests.test_properties_convert import estates

ROOT = Path(__file__).resolve().parent.parent


def _docs(text: str) -> list[SourceDoc]:
    loaded = LoadResult()
    parse_text(text, "estate.yaml", loaded)
    assert not loaded.errors, loaded.errors
    return loaded.docs


def _summary(result: VerifyResult) -> tuple[Any, ...]:
    return (result.probes, result.identical, result.different,
            [(d.request, d.before.key(), d.after.key(), d.eras) for d in result.differences],
            result.rejected, result.bounded)


def _verify_both_ways(docs: list[Any], objects: list[dict[str, Any]],
                      monkeypatch: pytest.MonkeyPatch) -> tuple[VerifyResult, VerifyResult]:
    fast = verify(docs, objects)
    with monkeypatch.context() as m:  # and the same in three processes (a fork per shard after the first)
        m.setattr(routing, "PARALLEL_MIN_PROBES", 0)
        m.setattr(routing, "parallel_allowed", lambda: True)
        m.setattr(routing, "usable_cpus", lambda: 3)
        sharded = verify(docs, objects)
    assert _summary(sharded) == _summary(fast)
    assert [(d.request, d.reason) for d in sharded.accepted] == [(d.request, d.reason) for d in fast.accepted]
    with monkeypatch.context() as m:
        m.setattr(KongRouter, "same_routing", lambda self, other, host: False)
        m.setattr(routing.ProbeComparer, "_certified", lambda self, host: True)  # route https without certs too
        m.setattr(routing.ProbeComparer, "_scheme_neutral", lambda self, host: False)  # and every https form
        plain = verify(docs, objects)
    return fast, plain


def test_signature_shortcuts_change_nothing_on_the_benchmark_estate(monkeypatch: pytest.MonkeyPatch) -> None:
    objects = generate(120, seed=3)
    docs = _docs(yamlio.dump_yaml_documents(objects))
    after = run_convert(docs, ConvertOptions()).objects
    neutral: list[bool] = []
    real = routing.ProbeComparer._scheme_neutral

    def spy(self: routing.ProbeComparer, host: str) -> bool:
        neutral.append(real(self, host))
        return neutral[-1]

    with monkeypatch.context() as m:
        m.setattr(routing.ProbeComparer, "_scheme_neutral", spy)
        verify(docs, after)
    assert True in neutral and False in neutral  # the estate has both kinds of hosts
    fast, plain = _verify_both_ways(docs, after, monkeypatch)
    assert fast.probes > 1000
    assert _summary(fast) == _summary(plain)


def test_a_busy_host_verified_in_shards_gives_the_serial_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every rule on one host: the host is cut into pieces across the shards (`_verify_both_ways` compares the
    sharded run with the serial one); and the HTTPS-only estate, whose hosts have no certificate."""
    for objects in (shape_one_host(80), shape_https_no_tls(80)):
        docs = _docs(yamlio.dump_yaml_documents(objects))
        after = run_convert(docs, ConvertOptions()).objects
        fast, plain = _verify_both_ways(docs, after, monkeypatch)
        assert _summary(fast) == _summary(plain)


def test_era_shortcut_keeps_differences_of_the_era_that_differs(monkeypatch: pytest.MonkeyPatch) -> None:
    """An HTTPS-only route whose HTTPRoute attaches to HTTP and HTTPS listeners: on KIC before 3.5.7 it
    accepts http (no 426), on 3.5.7+ it does not; the eras differ on that host only."""
    text = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: web, annotations: {konghq.com/protocols: https}}
spec:
  ingressClassName: kong
  tls: [{hosts: [shop.example.com], secretName: shop-tls}]
  rules:
  - host: shop.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: shop, port: {number: 80}}}}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: api, namespace: web}
spec:
  ingressClassName: kong
  rules:
  - host: api.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}]}
"""
    docs = _docs(text)
    after = run_convert(docs, ConvertOptions()).objects
    # drop the kept protocols annotation, so the eras really differ on shop.example.com
    for obj in after:
        annotations = obj.get("metadata", {}).get("annotations", {})
        annotations.pop("konghq.com/protocols", None)
    fast, plain = _verify_both_ways(docs, after, monkeypatch)
    assert fast.differences, "the edited output must route http differently on one era"
    assert {d.request.host for d in fast.differences} == {"shop.example.com"}
    assert _summary(fast) == _summary(plain)


@settings(max_examples=25, deadline=None)
@given(estates)
def test_signature_shortcuts_change_nothing_on_random_estates(estate: list[dict[str, Any]]) -> None:
    docs = _docs(yamlio.dump_yaml_documents(estate))
    after = run_convert(docs, ConvertOptions()).objects
    with pytest.MonkeyPatch.context() as monkeypatch:
        fast, plain = _verify_both_ways(docs, after, monkeypatch)
    assert _summary(fast) == _summary(plain)


listener_names = st.sampled_from(["http", "https", "tcp", "", "web"])


@given(st.lists(st.fixed_dictionaries({"name": listener_names, "port": st.integers(1, 3)}), max_size=8),
       st.one_of(st.none(), listener_names))
def test_selected_listeners_is_the_section_name_filter(listeners: list[dict[str, Any]], section: str | None) -> None:
    gateway = Obj({"kind": "Gateway", "metadata": {"name": "g", "namespace": "n"}, "spec": {"listeners": listeners}},
                  SourceRef(kind="Gateway"))
    ref: dict[str, Any] = {"name": "g"} if section is None else {"name": "g", "sectionName": section}
    expected = [ln for ln in listeners if section is None or str(ln.get("name") or "") == section]
    assert selected_listeners(gateway, ref) == expected
    assert selected_listeners(gateway, ref) == expected  # and again, from the index kept on the object


def _convert(tmp_path: Path, env: dict[str, str], name: str) -> tuple[bytes, bytes, int]:
    src = tmp_path / "estate.yaml"
    if not src.exists():
        src.write_text(yamlio.dump_yaml_documents(generate(150, seed=5)))
    proc = subprocess.run([sys.executable, "-m", "migrate", "convert", str(src)], cwd=ROOT, capture_output=True,
                          env={**os.environ, **env}, timeout=300)
    return proc.stdout, proc.stderr, proc.returncode


def test_verification_beside_the_output_gives_the_serial_bytes(tmp_path: Path) -> None:
    parallel = _convert(tmp_path, {processes.PARALLEL_ENV: "1"}, "parallel")
    serial = _convert(tmp_path, {processes.PARALLEL_ENV: "0"}, "serial")
    assert parallel == serial
    assert b"probes" in serial[1]  # the verification's summary is in the report


def test_a_failed_child_is_redone_by_the_parent(monkeypatch: pytest.MonkeyPatch) -> None:
    if not processes.parallel_allowed():
        pytest.skip("this machine verifies serially (one CPU or no fork)")
    parent = os.getpid()
    calls: list[int] = []

    def work() -> str:
        calls.append(os.getpid())
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return "done by the parent"

    feed, wait = processes.beside_fed(lambda inbox: inbox.get() + work())
    feed("work ")
    assert wait() == "work done by the parent"
    assert calls == [parent]  # the child's call happened in the child; the parent's is the one recorded here


def test_serial_when_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(processes.PARALLEL_ENV, "0")
    parent = os.getpid()
    feed, wait = processes.beside_fed(lambda inbox: (inbox.get(), os.getpid()))
    feed("input")
    assert wait() == ("input", parent)


def test_a_parent_leaving_early_stops_its_child(tmp_path: Path) -> None:
    """convert ended by an error or a signal while verifying: no verification child is left running."""
    if not processes.parallel_allowed():
        pytest.skip("this machine verifies serially (one CPU or no fork)")
    marker = tmp_path / "child.pid"
    script = f"""
import os, sys, time
from migrate import processes

def work():
    open({str(marker)!r}, "w").write(str(os.getpid()))
    time.sleep(120)

processes.beside_fed(lambda inbox: work())
while not os.path.exists({str(marker)!r}) or not open({str(marker)!r}).read():
    time.sleep(0.01)
sys.exit(3)
"""
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, timeout=60)
    assert proc.returncode == 3, proc.stderr
    child = int(marker.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)


requests = st.builds(Request, st.sampled_from(["http", "https"]), st.sampled_from(["a", "b.x", "c", "d", "e.y"]),
                     st.sampled_from(["/", "/a", "/b/"]), st.sampled_from(["GET", "POST"]))


@given(st.lists(requests, unique=True), st.integers(1, 5))
def test_host_shards_partition_the_probes(probes: list[Request], count: int) -> None:
    probes.sort()
    shards = routing.host_shards(set(probes), count)
    assert 1 <= len(shards) <= count
    assert sorted(p for shard in shards for p in shard) == probes  # each probe exactly once
    where = {p: i for i, shard in enumerate(shards) for p in shard}
    for p in probes:  # a request's http and https forms are compared in one process
        twin = p._replace(scheme="https" if p.scheme == "http" else "http")
        assert twin not in where or where[twin] == where[p]
    if probes:  # balanced: shards differ by at most one host's probes (a busy host's are cut further)
        sizes = [len(shard) for shard in shards]
        biggest_host = max(sum(1 for p in probes if p.host == h) for h in {p.host for p in probes})
        assert max(sizes) - min(sizes) <= biggest_host


@given(st.lists(st.builds(Request, st.sampled_from(["http", "https"]), st.sampled_from(["a", "b.x", "c"]),
                          st.sampled_from(["/", "/a", "/b/"]), st.sampled_from(["GET", "POST"]),
                          st.sampled_from([(), (("x-a", "1"),), (("x-a", "2"),)])), unique=True))
def test_routing_order_is_the_twins_adjacent_sort(probes: list[Request]) -> None:
    """The order probes are routed in (sorted host by host) is the one sort by host, path, method, headers and
    scheme it replaces."""
    assert routing.routing_order(probes) == sorted(probes, key=lambda r: (r.host, r.path, r.method, r.headers,
                                                                          r.scheme))


def test_a_busy_host_is_shared_by_the_shards() -> None:
    probes = {Request(scheme, "busy.example.com", f"/p{i}") for i in range(300) for scheme in ("http", "https")}
    probes |= {Request("http", "small.example.com", "/")}
    shards = routing.host_shards(probes, 3)
    assert len(shards) == 3
    assert all(len(shard) > 150 for shard in shards)


def test_fork_map_keeps_shard_order_and_redoes_a_failed_shard() -> None:
    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    parent = os.getpid()

    def work(shard: int) -> tuple[int, bool]:
        if shard == 2 and os.getpid() != parent:
            raise RuntimeError("this child fails")
        return shard * 10, os.getpid() == parent

    results = processes.fork_map(work, [0, 1, 2, 3])
    assert [value for value, _ in results] == [0, 10, 20, 30]
    # shard 0 in this process, 1 and 3 in children, 2 redone here after its child failed
    assert [here for _, here in results] == [True, False, True, False]


class _Held:
    """An object a weak reference can watch."""


def test_only_a_child_keeps_what_it_need_not_free() -> None:
    """keep_until_exit spares a forked child (about to os._exit) the freeing of large structures; this process
    frees them as usual."""
    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    held = _Held()
    watch = weakref.ref(held)
    processes.keep_until_exit(held)
    del held
    assert watch() is None

    def work(_shard: int) -> bool:
        obj = _Held()
        ref = weakref.ref(obj)
        processes.keep_until_exit(obj)
        del obj
        return ref() is not None

    assert processes.fork_map(work, [0, 1]) == [False, True]  # shard 0 here, shard 1 in a child


def test_a_child_runs_without_cyclic_collection_and_this_process_keeps_it() -> None:
    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    assert gc.isenabled()
    assert processes.fork_map(lambda _shard: gc.isenabled(), [0, 1]) == [True, False]
    assert gc.isenabled()


def test_a_before_side_prepared_early_gives_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """convert translates today's side before its output exists (assuming what the input alone lacks); when the
    output needs more assumed objects, verify translates today's side again with them."""
    objects = generate(60, seed=7)
    docs = _docs(yamlio.dump_yaml_documents(objects))
    after = run_convert(docs, ConvertOptions()).objects
    options = compare.VerifyOptions()
    calls: list[int] = []
    real = compare.prepare_before

    def counted(*args: Any, **kwargs: Any) -> compare.BeforeSide:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(compare, "prepare_before", counted)
    plain = verify(docs, after, options)
    assert len(calls) == 1
    early = real(docs, options)
    calls.clear()
    assert _summary(verify(docs, after, options, early)) == _summary(plain)
    assert calls == []  # the output references nothing the input lacks: the early side is used
    # an output route to a Service the input does not have: one more assumed Service, so today's side again
    extra = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
             "metadata": {"name": "extra", "namespace": "team-0000"},
             "spec": {"parentRefs": [{"name": "kong", "namespace": "kong"}], "hostnames": ["extra.example.com"],
                      "rules": [{"backendRefs": [{"name": "not-in-input", "port": 8080}]}]}}
    plain = verify(docs, [*after, extra], options)
    calls.clear()
    assert _summary(verify(docs, [*after, extra], options, early)) == _summary(plain)
    assert calls == [1]


def test_the_inbox_says_when_the_input_has_come(tmp_path: Path) -> None:
    """The verification child warms its caches until the output arrives: `ready()` is false before the parent
    feeds, true once it has, and `get()` returns what was fed."""
    if not processes.parallel_allowed():
        pytest.skip("this machine verifies serially (one CPU or no fork)")
    marker = tmp_path / "checked"

    def work(inbox: processes.Inbox[str]) -> tuple[bool, str]:
        early = inbox.ready()
        marker.write_text("checked")
        deadline = time.monotonic() + 60
        while not inbox.ready() and time.monotonic() < deadline:
            time.sleep(0.01)
        return early, inbox.get()

    feed, wait = processes.beside_fed(work)
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    feed("the output")
    assert wait() == (False, "the output")


def test_same_routing_is_equality_of_host_signatures() -> None:
    """`same_routing` stops at the first differing candidate; its answer is the full signatures' equality,
    whether the candidates' signatures are already computed or not."""
    docs = _docs(yamlio.dump_yaml_documents(generate(200, seed=13)))
    after = run_convert(docs, ConvertOptions()).objects
    before_side, afters, _ = compare.translate_sides(docs, after, compare.VerifyOptions())
    configs = [before_side.config, afters[-1][1].config]
    hosts = sorted({h for config in configs for _, r in config.routes() for h in (r.hosts or [])}
                   | {"uncovered.invalid"})
    answers = set()
    flavor = compare.VerifyOptions().router_flavor
    for a, b in itertools.product(configs, repeat=2):
        lazy = KongRouter(a, flavor), KongRouter(b, flavor)
        full = KongRouter(a, flavor), KongRouter(b, flavor)
        for host in hosts:
            expected = full[0].host_signature(host) == full[1].host_signature(host)
            assert lazy[0].same_routing(lazy[1], host) == expected, host
            assert full[0].same_routing(full[1], host) == expected, host  # from the cached signatures
            answers.add(expected)
    assert answers == {True, False}


@settings(max_examples=25, deadline=None)
@given(estates)
def test_a_scheme_neutral_host_serves_https_as_http(estate: list[dict[str, Any]]) -> None:
    """What `scheme_neutral` promises, request by request, on both sides of random estates."""
    docs = _docs(yamlio.dump_yaml_documents(estate))
    after = run_convert(docs, ConvertOptions()).objects
    before_side, afters, _ = compare.translate_sides(docs, after, compare.VerifyOptions())
    flavor = compare.VerifyOptions().router_flavor
    for config in (before_side.config, *(side.config for _, side in afters)):
        router = KongRouter(config, flavor)
        for req in generate_probes(router.shapes()):
            if req.scheme == "https" and router.scheme_neutral(req.host):
                http, https = router.route(req._replace(scheme="http")), router.route(req)
                assert (https.key(), https.detail, https.sources) == (http.key(), http.detail, http.sources), req


def test_an_output_rendered_in_slices_is_the_serial_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    """`convert --no-verify` and `scan` render a large YAML output in one process per CPU and join the slices."""
    from migrate.commands import output

    docs = _docs(yamlio.dump_yaml_documents(generate(80, seed=2)))
    objects = run_convert(docs, ConvertOptions()).objects
    objects.insert(3, {})  # a document the stream dumper does not take: the slice falls back to one per dump
    header = "# header\n"
    fmt = output.OutputFormat.YAML
    serial = output.render_objects(objects, fmt, header)
    monkeypatch.setattr(output, "PARALLEL_RENDER_MIN", 1)
    monkeypatch.setattr(processes, "parallel_allowed", lambda: True)
    monkeypatch.setattr(processes, "usable_cpus", lambda: 3)
    assert output.render_objects(objects, fmt, header, parallel=True) == serial
    assert len(objects) > 50  # three slices of many documents


def test_an_input_that_does_not_pickle_is_worked_on_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """The child never gets its input: it fails, and the parent does the work itself, quietly (no thread dies
    with an exception)."""
    if not processes.parallel_allowed():
        pytest.skip("this machine verifies serially (one CPU or no fork)")
    died: list[object] = []
    monkeypatch.setattr(threading, "excepthook", died.append)
    parent = os.getpid()
    feed, wait = processes.beside_fed(lambda inbox: (inbox.get()(), os.getpid()))
    feed(lambda: "computed")  # a lambda does not pickle
    assert wait() == ("computed", parent)
    assert died == []
