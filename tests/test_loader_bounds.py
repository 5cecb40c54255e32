"""Inputs are bounded by their structure, not their size (issue 14).

A `kubectl get -A -o yaml` dump is one `kind: List` document: it is read whatever its size in bytes, each of its
items bounded on its own; documents, nodes, alias expansion and one object's text are bounded, each with its own
error.  The bounds are module constants; the tests lower them to keep inputs small.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from migrate import loader, yamlio
from migrate.loader import LoadResult, load_inputs, parse_text
from tests.support import REPO, run_cli


def _ingress(i: int, host: str | None = None, annotations: str = "") -> str:
    host = host or f"app{i}.example.com"
    return (f"- apiVersion: networking.k8s.io/v1\n  kind: Ingress\n  metadata:\n    name: ing-{i}\n"
            f"    namespace: shop\n{annotations}  spec:\n    ingressClassName: kong\n    rules:\n    - host: {host}\n"
            "      http:\n        paths:\n        - path: /\n          pathType: Prefix\n          backend:\n"
            "            service:\n              name: web\n              port:\n                number: 80\n")


def _list(items: list[str]) -> str:
    """A List as `kubectl get -A -o yaml` prints it: apiVersion, items, kind, metadata."""
    return "apiVersion: v1\nitems:\n" + "".join(items) + 'kind: List\nmetadata:\n  resourceVersion: ""\n'


def _load(text: str, name: str = "dump.yaml") -> LoadResult:
    out = LoadResult()
    parse_text(text, name, out)
    return out


def test_a_list_over_the_old_32_mib_cap_is_read(tmp_path: Path) -> None:
    """33 MiB in one List document (ConfigMaps of 900 KB each, then an Ingress): read and converted."""
    dump = tmp_path / "dump.yaml"
    payload = "x" * 900_000
    with dump.open("w") as fh:
        fh.write("apiVersion: v1\nitems:\n")
        for i in range(38):
            fh.write(f"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: blob-{i}\n    namespace: shop\n"
                     f"  data:\n    blob: {payload}\n")
        fh.write(_ingress(1, "big.example.com"))
        fh.write("kind: List\nmetadata:\n  resourceVersion: \"\"\n")
    assert dump.stat().st_size > 32 * 1024 * 1024  # the old cap
    result = run_cli(["convert", "--no-verify", str(dump)])
    assert result.exit_code == 0, result.stderr
    assert "- big.example.com" in result.stdout
    assert "ignored input kinds: ConfigMap x38" in result.stderr


def test_a_list_is_bounded_item_by_item() -> None:
    """More items than any bound on documents would allow; items refused for their nodes are named, the rest read."""
    text = _list([_ingress(i) for i in range(3000)])
    out = _load(text)
    assert not out.errors and len(out.docs) == 3000
    assert out.docs[2999].ref.object_id == "Ingress/shop/ing-2999"
    assert out.docs[2999].ref.item == 2999


def test_an_item_with_too_many_nodes_is_refused_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "MAX_OBJECT_NODES", 60)
    big = _ingress(1, annotations="    annotations:\n" + "".join(f"      k{j}: v\n" for j in range(40)))
    text = _list([_ingress(0), big, _ingress(2)])
    out = _load(text)
    assert [d.ref.object_id for d in out.docs] == ["Ingress/shop/ing-0", "Ingress/shop/ing-2"]
    [error] = out.errors
    line = text.splitlines().index("    name: ing-1") - 2  # where its `- apiVersion` is, 1-based
    assert str(error).startswith(f"dump.yaml (document 0) line {line}: items[1] Ingress/shop/ing-1: this object has ")
    assert "YAML nodes, more than the 60 one Kubernetes object can hold" in str(error)


def test_an_alias_bomb_in_one_item_refuses_that_item_only() -> None:
    laughs = "".join(f"      {c}: &{c} [" + ", ".join([f"*{p}"] * 9 if p else ['"lol"'] * 9) + "]\n"
                     for c, p in zip("abcdefg", ["", *"abcdef"], strict=True))
    bomb = _ingress(1).replace("  spec:\n", "  lol:\n" + laughs + "  spec:\n", 1)
    out = _load(_list([_ingress(0), bomb, _ingress(2)]))
    assert [d.ref.name for d in out.docs] == ["ing-0", "ing-2"]
    [error] = out.errors
    assert "items[1] Ingress/shop/ing-1: YAML aliases expand this object to" in str(error)
    assert "refused as a possible alias bomb" in str(error)


def test_the_field_line_of_a_late_list_item(monkeypatch: pytest.MonkeyPatch) -> None:
    """The line of a field of item 2,500 is found in that item's own lines (and is right)."""
    items = [_ingress(i) for i in range(3000)]
    items[2500] = _ingress(2500, annotations="    annotations:\n      konghq.com/methods: [GET]\n")
    text = _list(items)

    def whole_document(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the whole document was walked")

    real = loader._locate
    monkeypatch.setattr(loader, "_locate", lambda reader, path, lenient=False:
                        whole_document() if lenient else real(reader, path))
    out = _load(text)
    line = text.splitlines().index("      konghq.com/methods: [GET]") + 1
    [error] = out.errors
    assert str(error).startswith(f"dump.yaml (document 0) line {line}: Ingress/shop/ing-2500: "
                                 "metadata.annotations['konghq.com/methods'] is a list")
    assert len(out.docs) == 2999


def test_flow_style_list_items_fall_back_to_the_whole_document() -> None:
    text = ('{"apiVersion": "v1", "kind": "List", "items": [\n'
            '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "namespace": "shop"}},\n'
            '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "b", "namespace": "shop",\n'
            '  "labels": {"x": 5}}}]}\n')
    out = _load(text)
    assert [str(e) for e in out.errors] == [
        "dump.yaml (document 0) line 4: Service/shop/b: metadata.labels.x is an integer; Kubernetes accepts only "
        "strings here (quote it); the object was not read"]


def test_the_run_reads_at_most_so_many_objects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "MAX_INPUT_OBJECTS", 5)
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("".join(f"---\n{_ingress(i)[2:].replace(chr(10) + '  ', chr(10))}" for i in range(8)))
    second.write_text(_list([_ingress(9)]))
    out = load_inputs([str(first), str(second)])
    assert len(out.docs) == 5
    assert [str(e) for e in out.errors] == [
        f"{first} (document 5): the input holds more than 5 objects (documents and List items), more than one run "
        "reads: this document and the rest of the input were not read (convert it in parts, a few namespaces at a "
        "time)",
        f"{second}: not read: the run's input bound was reached before it"]


def test_the_run_reads_at_most_so_many_nodes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "MAX_INPUT_NODES", 200)
    out = _load(_list([_ingress(i) for i in range(20)]))
    assert out.docs == []
    assert [str(e) for e in out.errors] == [
        "dump.yaml (document 0): the input holds more than 200 YAML nodes, more than one run reads: this document "
        "and the rest of the input were not read (convert it in parts, a few namespaces at a time)"]


def test_nodes_through_aliases_count_toward_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "MAX_INPUT_NODES", 500)
    shared = "x: &x {" + ", ".join(f"k{i}: v" for i in range(50)) + "}\n"
    docs = [f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n" + shared + "y: [*x, *x]\n"
            for i in range(4)]
    out = _load("".join(docs))
    assert len(out.docs) == 1  # 317 nodes each (117 written): the second is one too many
    assert "(document 1): the input holds more than 500 YAML nodes" in str(out.errors[0])


class _Endless(io.RawIOBase):
    """`yes | migrate convert -`: an endless stream of valid text."""

    def __init__(self) -> None:
        self.given = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        buffer[:] = b"y\n" * (len(buffer) // 2) + b"y" * (len(buffer) % 2)
        self.given += len(buffer)
        return len(buffer)


def test_an_endless_stdin_stops_at_one_objects_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "MAX_OBJECT_BYTES", 2 * 1024 * 1024)
    endless = _Endless()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(endless)))
    out = load_inputs(["-"])
    assert out.docs == []
    assert [str(e) for e in out.errors] == [
        "<stdin> (document 0): one object takes more than 2 MiB of text (the API server stores objects up to "
        "1.5 MiB): refused; the rest of the file was not read"]
    assert endless.given < 4 * 1024 * 1024


def test_yes_piped_into_convert_is_refused() -> None:
    """The real bound, end to end: no memory exhaustion, a named error."""
    proc = subprocess.run(f"yes | {sys.executable} -m migrate convert -", shell=True, cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 2
    assert "<stdin> (document 0): one object takes more than 32 MiB of text" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_invalid_utf8_after_the_first_read_keeps_what_came_before(tmp_path: Path) -> None:
    dump = tmp_path / "dump.yaml"
    good = "".join(f"---\n{_ingress(i)[2:].replace(chr(10) + '  ', chr(10))}" for i in range(4000))
    dump.write_bytes(good.encode() + b"---\nkind: ConfigMap\ndata: {k: caf\xe9}\n")
    out = load_inputs([str(dump)])
    assert len(out.docs) > 1000
    assert [str(e) for e in out.errors] == [
        f"{dump}: file is not valid UTF-8 (byte offset {len(good) + 33}): Latin-1 or another legacy encoding? save "
        "it as UTF-8"]


def test_a_json_list_is_bounded_item_by_item(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "MAX_OBJECT_NODES", 40)
    item = ('{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s%d", "namespace": "shop"%s}, '
            '"spec": {"ports": [{"port": 80}]}}')
    labels = ', "labels": {' + ", ".join(f'"l{i}": "v"' for i in range(30)) + "}"
    text = '{"apiVersion": "v1", "kind": "List", "items": [' + ", ".join(
        item % (i, labels if i == 1 else "") for i in range(3)) + "]}"
    out = LoadResult()
    parse_text(text, "dump.json", out)
    assert [d.ref.name for d in out.docs] == ["s0", "s2"]
    # as the YAML reader counts them: 80 nodes (the labels' 60, the rest's 20)
    assert "items[1] Service/shop/s1: this object has 80 YAML nodes, more than the 40" in str(out.errors[0])


def test_the_reader_builds_what_the_safe_loader_builds() -> None:
    """read_documents against ruamel.yaml's safe loader on every YAML file of the repository."""
    files = subprocess.run(["git", "ls-files", "*.yaml", "*.yml"], cwd=REPO, capture_output=True, text=True,
                           check=True).stdout.split()
    limits = yamlio.ReadLimits(10_000, 10**9, 10**9, 10**9, 10**12)
    compared = 0
    for name in files:
        if "bad_input/" in name:
            continue  # refused on purpose (see tests/bad_input/cases.yaml)
        data = (REPO / name).read_bytes()
        try:
            expected = list(yamlio.load_yaml_stream(data.decode("utf-8-sig")))
        except Exception:  # noqa: BLE001 - test data written to be malformed
            continue
        assert [d.root for d in yamlio.read_documents(data, limits)] == expected, name
        compared += 1
    assert compared > 200


SAFE_LOADER_CASES = [
    "a: &x 1\nb: *x\n",
    "=: 1\n",
    "base: &b {x: 1, y: 2}\nm:\n  y: 3\n  <<: *b\n  z: 4\n",
    "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nm:\n  <<: [*a, *b]\n",
    "a: &a {x: 1}\nm:\n  k: 1\n  k: 2\n  <<: *a\n",
    "a: !!set {b, c}\nb: !!binary aGk=\nc: !!omap [{a: 1}]\n",
    "? [a, b]\n: 1\n",
    "a: ! 123\nb: !!int '42'\nc: !!float 1\nd: 0o17\ne: 0x1F\nf: 1_000\ng: .inf\nh: 2001-01-01\ni: !!timestamp 2001-01-01\n"
    "j: 1e3\nk: +5\nl: 012\nm: -0\nn: ~\no: ! ''\np: !!str 5\nq: True\nr: NULL\ns: '<<'\n",
    "---\n---\na: 1\n...\n---\n- x\n",
]
SAFE_LOADER_ERRORS = [
    "a: &x 1\nb: &x 2\nc: *x\n",
    "a: *nope\n",
    "a: =\n",
    "a: &a {x: 1}\nm:\n  <<: *a\n  <<: *a\n",
    "m:\n  <<: 5\n",
    "m: <<\n",
    "a: !!str {b: 1}\n",
    "a: !foo {b: 1}\n",
    "? {a: b}\n: 1\n",
    "1: a\ntrue: b\n",
    "a: {x: 1}\na: [1]\n",
    "name: first\nname: second\n",
    "a:\n  b: 1\n  b: 2\nc: 1\nc: 2\n",  # the shallowest duplicate is the one reported
    "a: 1\na: 2\nb: [\n",  # a syntax error anywhere wins over a duplicate key
    "---\na: &x 1\n---\nb: *x\n",
]


@pytest.mark.parametrize("text", SAFE_LOADER_CASES)
def test_the_reader_reads_yaml_features_as_the_safe_loader(text: str) -> None:
    limits = yamlio.ReadLimits(200, 4, 10_000, 10**6, 10**9)
    got = [d.root for d in yamlio.read_documents(text.encode(), limits)]
    assert repr(got) == repr(list(yamlio.load_yaml_stream(text)))


@pytest.mark.parametrize("text", SAFE_LOADER_ERRORS)
def test_the_reader_refuses_yaml_as_the_safe_loader(text: str) -> None:
    from ruamel.yaml.error import MarkedYAMLError

    limits = yamlio.ReadLimits(200, 4, 10_000, 10**6, 10**9)
    with pytest.raises(MarkedYAMLError) as theirs:
        list(yamlio.load_yaml_stream(text))
    with pytest.raises(MarkedYAMLError) as ours:
        list(yamlio.read_documents(text.encode(), limits))

    def said(exc: Any) -> tuple[Any, ...]:
        mark = exc.problem_mark or exc.context_mark
        return type(exc), exc.context, str(exc.problem).split("\n")[0], mark.line, mark.column

    assert said(ours.value) == said(theirs.value)


def test_line_offsets_across_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where each line starts, found by counting whole blocks then walking lines, in any order of asking."""
    import random

    monkeypatch.setattr(loader, "_READ_CHUNK", 64)
    rnd = random.Random(5)
    text = "".join("x" * rnd.randint(0, 150) + "\n" for _ in range(400)).encode()
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == 10]
    stream = loader._Stream(io.BytesIO(text))
    for line in [*rnd.sample(range(len(starts)), 200), 399, 0, 400, 401, 1000]:
        assert stream.offset_of(line) == (starts[line] if line < len(starts) else len(text)), line


def test_a_list_cut_by_a_syntax_error_keeps_the_items_read_whole() -> None:
    """A truncated `kubectl get -A -o yaml` dump (cut mid-item, before the `kind: List` kubectl prints after the
    items): the items before the cut are read, the error names the cut and what was kept."""
    whole = _list([_ingress(i) for i in range(5)])
    cut_at = whole.index("name: ing-3")
    out = _load(whole[:cut_at] + "name: [ing-3\n")
    assert [d.ref.object_id for d in out.docs] == [f"Ingress/shop/ing-{i}" for i in range(3)]
    assert [d.ref.item for d in out.docs] == [0, 1, 2]
    assert len(out.errors) == 1
    assert out.errors[0].message.endswith("; the 3 List item(s) before it were read and kept, the rest of the List "
                                          "was not")
    assert out.errors[0].line == whole[:cut_at].count("\n") + 2  # the cut item's line, 1-based


def test_a_syntax_error_after_the_items_keeps_them_all() -> None:
    text = _list([_ingress(i) for i in range(2)]).replace('resourceVersion: ""', "resourceVersion: [")
    out = _load(text)
    assert [d.ref.object_id for d in out.docs] == ["Ingress/shop/ing-0", "Ingress/shop/ing-1"]
    assert "the 2 List item(s) before it were read and kept" in out.errors[0].message


def test_an_object_cut_by_a_syntax_error_is_not_kept_in_part() -> None:
    """Only a List's whole items are kept: a single object cut by an error is not taken half-read."""
    one = ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: ing-0\n  namespace: shop\n"
           "spec:\n  rules:\n  - host: a.example.com\n    http:\n      paths:\n      - path: /\n"
           "        pathType: [Prefix\n")
    out = _load(one)
    assert not out.docs
    assert len(out.errors) == 1 and "kept" not in out.errors[0].message
