"""Seeded mutations of manifests: structural (on the parsed documents) and textual (on the bytes).

Every function takes a `random.Random`, so the same seed gives the same mutant.  Each mutation returns a
short description (what it did, where) that a failure report prints next to the seed.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from migrate.yamlio import load_yaml_stream

Path_ = tuple[Any, ...]

# --- value corpora -------------------------------------------------------------------------------------------

HUGE = 70_000  # long enough to hit size checks and slow paths, short enough to stay fast

STRINGS: list[str] = [
    "", " ", "  \t ", "x", "0", "80", "-1", "1e3", "0x50", "true", "False", "no", "null", "~", "NaN", ".inf",
    "a" * 64, "a" * 254, "a" * HUGE, "ü" * 2_000, "é\u0301" * 100, "\u202eevil", "😀", "例え.jp",
    "\x00", "a\x00b", "a\nb", "a\tb", "\r\n", "\\", "\\$1", "$1", "$(uri_captures[1])", "${HOME}", "{{ x }}",
    "%s%n", "'", '"', "`", "#", "a: b", "- x", "[", "{", "*", "&a", "!tag", "|", ">", "?", ",", ",,", " , ",
    "../..", "/", "//", "ns:name", "ns/name", ":", "kong", "KONG", "default", "kube-system",
    "http", "https", "grpc", "grpcs", "tcp", "tls", "udp", "tls_passthrough", "ws", "wss",
    "GET", "get,POST", "GET, ,PURGE", "G3T", "~*^a(", "~*", "~*.*", "v0", "v1", "v2",
]
INTS: list[int] = [0, 1, -1, 80, 443, 65535, 65536, 2**31, 2**63, -(2**63), 10**30]
FLOATS: list[float] = [0.5, 80.0, -0.0, 1e308, float("inf"), float("-inf"), float("nan")]
PORTS: list[Any] = [0, 65536, -1, "x", "80", "", 80.5, True, None, 2**31, "http", [80], {"number": 80}, 1, 65535]
HOSTS: list[Any] = [
    "*.example.com", "*", "*.*.example.com", "foo.*.example.com", "*foo.example.com", "EXAMPLE.COM",
    "Shop.Example.com", "example.com.", ".example.com", "a..example.com", "", " ", "exa mple.com",
    "xn--bcher-kva.example", "bücher.example", "1.2.3.4", "::1", "[::1]", "example.com:80", "-a.example.com",
    "a" * 64 + ".example.com", ".".join(["a" * 60] * 5), "*.", "localhost", "_svc.example.com", None, 5, ["a.com"],
]
PATHS: list[Any] = [
    "/~^/a(b", "/~", "/~(?i)/api", "/~/(?<name>x)", "/~/(?P<n>x)/$", "~/x", "", "x", "//", "/a/../b", "/%00",
    "/[", "/a b", "/" * 500, "/~(a+)+$", "/~\\", "/~.*", "/~[[:alpha:]]", "/~\\p{L}+", "/~(?=x)", "/~\\1",
    "/a/", "/a//b", "/~/a|/b", "/?q=1", "/#frag", "/ü", "/a" * 2_000, None, 7, ["/a"], "/~" + "(" * 300,
]
PATH_TYPES: list[Any] = ["Exact", "Prefix", "ImplementationSpecific", "PathPrefix", "RegularExpression", "exact", "", None, 3]

KONG_ANNOTATIONS: list[str] = [
    "konghq.com/methods", "konghq.com/headers.x-tenant", "konghq.com/headers.host", "konghq.com/headers-separator",
    "konghq.com/plugins", "konghq.com/protocols", "konghq.com/https-redirect-status-code", "konghq.com/strip-path",
    "konghq.com/preserve-host", "konghq.com/regex-priority", "konghq.com/host-aliases", "konghq.com/regex-prefix",
    "konghq.com/path-handling", "konghq.com/snis", "konghq.com/request-buffering", "konghq.com/response-buffering",
    "konghq.com/rewrite", "konghq.com/tags", "konghq.com/override", "konghq.com/connect-timeout",
    "konghq.com/read-timeout", "konghq.com/write-timeout", "konghq.com/retries", "konghq.com/path",
    "konghq.com/protocol", "konghq.com/host-header", "konghq.com/tls-verify", "konghq.com/tls-verify-depth",
    "konghq.com/ca-certificates-secrets", "konghq.com/ca-certificates-configmaps", "konghq.com/client-cert",
    "konghq.com/upstream-policy", "konghq.com/force-ssl-redirect", "kubernetes.io/ingress.class",
    "ingress.kubernetes.io/service-upstream", "cert-manager.io/cluster-issuer", "kubernetes.io/tls-acme",
    "konghq.com/gatewayclass-unmanaged", "ingressclass.kubernetes.io/is-default-class",
]
ANNOTATION_VALUES: list[str] = [
    "GET", "get, post", "PURGE", "G3T,POST", "http", "https", "http,https", "HTTPS", "grpc,grpcs", "ws", "tcp",
    "tls_passthrough", "udp", "301", "308", "426", "0", "999", "-5", "true", "false", "t", "F", "1", "maybe", "",
    " ", ",", "~*^(a", "~*a.*", "gold,silver", "/~", "~", "v0", "v1", "v3", "a.example.com,*.b.example.com",
    "/api/$1", "/api/$9", "\\$1", "$", "rate-limit", "ns:rate-limit", "missing", "a,b,c", "kong", "nginx",
    "10", "100000000000", "1.5", "-1", "abc", "hash-by-session", "missing-kongingress", "x" * 300_000,
]
KINDS: list[str] = [
    "Ingress", "Service", "KongPlugin", "KongClusterPlugin", "KongIngress", "TCPIngress", "UDPIngress",
    "IngressClass", "Gateway", "GatewayClass", "HTTPRoute", "GRPCRoute", "TCPRoute", "UDPRoute", "TLSRoute",
    "ReferenceGrant", "KongUpstreamPolicy", "BackendTLSPolicy", "Secret", "ConfigMap", "List", "Namespace", "",
]
API_VERSIONS: list[str] = [
    "networking.k8s.io/v1", "networking.k8s.io/v1beta1", "extensions/v1beta1", "v1", "configuration.konghq.com/v1",
    "configuration.konghq.com/v1beta1", "gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1",
    "gateway.networking.k8s.io/v1alpha2", "gateway.networking.k8s.io/v1alpha3", "gateway.networking.k8s.io/v2",
    "networking.k8s.io", "", "/v1", "x/y/z",
]
NAMES: list[Any] = ["", "UPPER", "a" * 64, "a" * 254, "a.b", "a/b", "-a", "a_b", "ü", " a", None, 7, ["a"], "kong"]

PORT_KEYS = {"port", "number", "servicePort", "containerPort", "targetPort", "nodePort", "overrideServiceTargetPort"}
HOST_KEYS = {"host", "hostname", "hostnames", "hosts", "snis"}
PATH_KEYS = {"path"}


def _value_pool(rng: random.Random, old: Any) -> Any:
    """A value of another type than `old` (or an odd one of the same type)."""
    choices: list[Callable[[], Any]] = [
        lambda: rng.choice(STRINGS), lambda: rng.choice(INTS), lambda: rng.choice(FLOATS),
        lambda: rng.choice([True, False]), lambda: None, lambda: [], lambda: {},
        lambda: [copy.deepcopy(old)], lambda: {"x": copy.deepcopy(old)}, lambda: str(old),
        lambda: [copy.deepcopy(old)] * 3, lambda: {str(old)[:20] or "k": None},
    ]
    return rng.choice(choices)()


# --- locating nodes ------------------------------------------------------------------------------------------

@dataclass
class Slot:
    """A place in the documents: parent container and key (dict key or list index); `path` for reports."""

    parent: Any
    key: Any
    path: Path_

    @property
    def value(self) -> Any:
        return self.parent[self.key]

    def set(self, value: Any) -> None:
        self.parent[self.key] = value

    def where(self) -> str:
        return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in self.path) or "<root>"


def slots(docs: list[Any], limit: int = 20_000) -> list[Slot]:
    """Every value position in the documents (documents themselves included), breadth-first, bounded."""
    out: list[Slot] = [Slot(docs, i, (i,)) for i in range(len(docs))]
    i = 0
    while i < len(out) and len(out) < limit:
        slot = out[i]
        i += 1
        node = slot.value
        if isinstance(node, dict):
            out.extend(Slot(node, k, (*slot.path, k)) for k in list(node))
        elif isinstance(node, list):
            out.extend(Slot(node, j, (*slot.path, j)) for j in range(len(node)))
    return out


# --- structural mutations ----------------------------------------------------------------------------------

StructMutation = Callable[[random.Random, list[Any]], str | None]


def m_retype(rng: random.Random, docs: list[Any]) -> str | None:
    cands = slots(docs)[len(docs):] or slots(docs)
    if not cands:
        return None
    slot = rng.choice(cands)
    new = _value_pool(rng, slot.value)
    slot.set(new)
    return f"retype {slot.where()} -> {_short(new)}"


def m_delete_key(rng: random.Random, docs: list[Any]) -> str | None:
    cands = [s for s in slots(docs) if isinstance(s.parent, dict)]
    if not cands:
        return None
    slot = rng.choice(cands)
    del slot.parent[slot.key]
    return f"delete {slot.where()}"


def m_rename_key(rng: random.Random, docs: list[Any]) -> str | None:
    cands = [s for s in slots(docs) if isinstance(s.parent, dict)]
    if not cands:
        return None
    slot = rng.choice(cands)
    key = slot.key
    new_key: Any = rng.choice([str(key).upper(), f"{key}x", f" {key}", "", str(key)[:-1], rng.choice(STRINGS)])
    if rng.random() < 0.1:
        new_key = rng.choice([1, None, True, 1.5])  # non-string keys: YAML allows them
    value = slot.parent.pop(key)
    slot.parent[new_key] = value
    return f"rename key {slot.where()} -> {_short(new_key)}"


def m_list_items(rng: random.Random, docs: list[Any]) -> str | None:
    cands = [s for s in slots(docs) if isinstance(s.value, list)]
    if not cands:
        return None
    slot = rng.choice(cands)
    items: list[Any] = slot.value
    op = rng.choice(["dup", "dup", "double", "drop", "empty", "reverse", "append-odd"])
    if op == "dup" and items:
        j = rng.randrange(len(items))
        items.insert(rng.randrange(len(items) + 1), copy.deepcopy(items[j]))
    elif op == "double" and items and len(items) < 200:
        items.extend(copy.deepcopy(items))
    elif op == "drop" and items:
        del items[rng.randrange(len(items))]
    elif op == "empty":
        items.clear()
    elif op == "reverse":
        items.reverse()
    else:
        op = "append-odd"
        items.append(_value_pool(rng, items[0] if items else None))
    return f"list {op} at {slot.where()}"


def m_string(rng: random.Random, docs: list[Any]) -> str | None:
    cands = [s for s in slots(docs) if isinstance(s.value, str)]
    if not cands:
        return None
    slot = rng.choice(cands)
    old = slot.value
    new = rng.choice([
        rng.choice(STRINGS), old + rng.choice(STRINGS), rng.choice(STRINGS) + old, old.upper(), old * 2,
        old[: rng.randrange(len(old) + 1)], old + "." , old.replace("/", "//"), old + "ü" * 5,
    ])
    slot.set(new)
    return f"string {slot.where()} -> {_short(new)}"


def _keyed(docs: list[Any], keys: set[str]) -> list[Slot]:
    return [s for s in slots(docs) if isinstance(s.parent, dict) and s.key in keys]


def m_port(rng: random.Random, docs: list[Any]) -> str | None:
    cands = _keyed(docs, PORT_KEYS)
    if not cands:
        return None
    slot = rng.choice(cands)
    new = copy.deepcopy(rng.choice(PORTS))
    slot.set(new)
    return f"port {slot.where()} -> {_short(new)}"


def m_host(rng: random.Random, docs: list[Any]) -> str | None:
    cands = _keyed(docs, HOST_KEYS)
    cands += [Slot(s.value, j, (*s.path, j)) for s in cands if isinstance(s.value, list) for j in range(len(s.value))]
    if not cands:
        return None
    slot = rng.choice(cands)
    new = copy.deepcopy(rng.choice(HOSTS))
    if isinstance(slot.value, list) and rng.random() < 0.7:
        new = [new] if rng.random() < 0.5 else [*slot.value, new]
    slot.set(new)
    return f"host {slot.where()} -> {_short(new)}"


def m_path(rng: random.Random, docs: list[Any]) -> str | None:
    cands = [s for s in _keyed(docs, PATH_KEYS) if not isinstance(s.value, dict)]
    # Gateway API path matches: {type, value}
    cands += [Slot(s.value, "value", (*s.path, "value")) for s in _keyed(docs, PATH_KEYS)
              if isinstance(s.value, dict) and "value" in s.value]
    types = _keyed(docs, {"pathType", "type"})
    if not cands and not types:
        return None
    if types and (not cands or rng.random() < 0.25):
        slot = rng.choice(types)
        new = rng.choice(PATH_TYPES)
    else:
        slot = rng.choice(cands)
        new = copy.deepcopy(rng.choice(PATHS))
    slot.set(new)
    return f"path {slot.where()} -> {_short(new)}"


def _annotation_maps(docs: list[Any]) -> list[Slot]:
    out = []
    for s in slots(docs):
        if s.key == "annotations" and isinstance(s.value, dict):
            out.append(s)
    return out


def m_annotation(rng: random.Random, docs: list[Any]) -> str | None:
    maps = _annotation_maps(docs)
    metas = [s for s in slots(docs) if s.key == "metadata" and isinstance(s.value, dict)]
    if not maps and not metas:
        return None
    kong = [(m.value, k) for m in maps for k in m.value if isinstance(k, str) and "konghq.com/" in k]
    op = rng.choice(["swap", "swap", "set", "set", "add", "borrow"])
    if op == "swap" and len(kong) >= 2:
        (a, ka), (b, kb) = rng.sample(kong, 2)
        a[ka], b[kb] = b[kb], a[ka]
        return f"swap annotation values {ka} <-> {kb}"
    if op == "set" and kong:
        target, key = rng.choice(kong)
        target[key] = rng.choice(ANNOTATION_VALUES)
        return f"annotation {key} -> {_short(target[key])}"
    if op == "borrow" and kong:
        target, key = rng.choice(kong)
        src, skey = rng.choice(kong)
        new_key = rng.choice(KONG_ANNOTATIONS)
        target[new_key] = src[skey]
        return f"annotation {new_key} <- value of {skey}"
    # add a Kong annotation (creating the map when needed)
    if maps and (not metas or rng.random() < 0.7):
        target = rng.choice(maps).value
    else:
        meta = rng.choice(metas).value
        target = meta.setdefault("annotations", {})
        if not isinstance(target, dict):
            return None
    key = rng.choice(KONG_ANNOTATIONS)
    value: Any = rng.choice(ANNOTATION_VALUES)
    if rng.random() < 0.1:
        value = _value_pool(rng, value)  # annotations must be strings: an int, a list, null
    target[key] = value
    return f"add annotation {key}: {_short(value)}"


def m_identity(rng: random.Random, docs: list[Any]) -> str | None:
    """kind, apiVersion, name, namespace: other kinds, versions, invalid names."""
    cands = _keyed(docs, {"kind", "apiVersion", "name", "namespace", "ingressClassName", "secretName",
                          "gatewayClassName", "sectionName", "controllerName", "group"})
    if not cands:
        return None
    slot = rng.choice(cands)
    pool: list[Any] = {"kind": KINDS, "apiVersion": API_VERSIONS}.get(slot.key, NAMES)
    new = copy.deepcopy(rng.choice(pool))
    slot.set(new)
    return f"identity {slot.where()} -> {_short(new)}"


def m_splice(rng: random.Random, docs: list[Any]) -> str | None:
    """Replace a node by a copy of another node (anywhere in the input): well-typed but misplaced data."""
    every = slots(docs)
    if len(every) < 2:
        return None
    dst, src = rng.choice(every[len(docs):] or every), rng.choice(every)
    if dst.path[: len(src.path)] == src.path:
        return None  # would nest a node into itself
    dst.set(copy.deepcopy(src.value))
    return f"splice {src.where()} -> {dst.where()}"


def m_documents(rng: random.Random, docs: list[Any]) -> str | None:
    if not docs:
        docs.append({})
        return "add empty document"
    op = rng.choice(["dup", "dup-renamed", "drop", "null", "wrap-list", "scalar"])
    j = rng.randrange(len(docs))
    if op == "dup":
        docs.insert(rng.randrange(len(docs) + 1), copy.deepcopy(docs[j]))
    elif op == "dup-renamed" and isinstance(docs[j], dict):
        twin = copy.deepcopy(docs[j])
        meta = twin.get("metadata")
        if isinstance(meta, dict):
            meta["namespace"] = rng.choice(["other", "kong", "default", "shop"])
        docs.append(twin)
    elif op == "drop":
        del docs[j]
    elif op == "null":
        docs[j] = None
    elif op == "wrap-list":
        docs[j] = {"apiVersion": "v1", "kind": "List", "items": [docs[j], copy.deepcopy(docs[j])]}
    else:
        op = "scalar"
        docs.insert(j, rng.choice(["text", 5, [], [1, 2], True]))
    return f"documents {op} #{j}"


STRUCTURAL: list[tuple[StructMutation, int]] = [
    (m_retype, 6), (m_delete_key, 4), (m_rename_key, 1), (m_list_items, 4), (m_string, 4), (m_port, 4),
    (m_host, 4), (m_path, 4), (m_annotation, 6), (m_identity, 3), (m_splice, 3), (m_documents, 2),
]


# --- text mutations -----------------------------------------------------------------------------------------

TextMutation = Callable[[random.Random, bytes], tuple[bytes, str]]

TOKENS = [b"\t", b"---\n", b"...\n", b"%YAML 1.1\n", b"&a ", b"*a", b"!!binary ", b"!custom ", b"? ", b"<<: *a\n",
          b"'", b'"', b"{", b"}", b"[", b"]", b":", b": ", b"#", b"|", b">", b"-", b"- ", b",", b"\x00", b"\r",
          b"\xef\xbb\xbf", b"\xff", b"\xc3", b"\n", b"  ", b"%", b"@", b"`", b"\\", b"\\u00"]


def _line_spans(data: bytes) -> list[tuple[int, int]]:
    spans, start = [], 0
    for i, b in enumerate(data):
        if b == 0x0A:
            spans.append((start, i + 1))
            start = i + 1
    if start < len(data):
        spans.append((start, len(data)))
    return spans


def t_truncate(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    at = rng.randrange(len(data) + 1)
    return data[:at], f"truncate at {at}"


def t_flip(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    if not data:
        return data, "flip (empty)"
    buf = bytearray(data)
    done = []
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(buf))
        bit = 1 << rng.randrange(8)
        buf[at] ^= bit
        done.append(f"{at}^{bit}")
    return bytes(buf), "flip " + ",".join(done)


def t_insert(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    at = rng.randrange(len(data) + 1)
    token = rng.choice(TOKENS)
    return data[:at] + token + data[at:], f"insert {token!r} at {at}"


def t_tab(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    spans = _line_spans(data)
    if not spans:
        return b"\t" + data, "tab at 0"
    start, _ = rng.choice(spans)
    if rng.random() < 0.5 and data[start:start + 1] == b" ":
        return data[:start] + b"\t" + data[start + 1:], f"tab indent at {start}"
    return data[:start] + b"\t" + data[start:], f"tab at {start}"


def t_lines(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    spans = _line_spans(data)
    if len(spans) < 2:
        return data + data, "double"
    lines = [data[a:b] for a, b in spans]
    if not lines[-1].endswith(b"\n"):
        lines[-1] += b"\n"
    j = rng.randrange(len(lines))
    op = rng.choice(["dup", "dup", "drop", "swap", "indent", "dedent", "move"])
    if op == "dup":  # a duplicated mapping line is a duplicate key
        lines.insert(j + 1, lines[j])
    elif op == "drop":
        del lines[j]
    elif op == "swap":
        k = rng.randrange(len(lines))
        lines[j], lines[k] = lines[k], lines[j]
    elif op == "indent":
        lines[j] = b" " + lines[j]
    elif op == "dedent":
        lines[j] = lines[j][1:] if lines[j].startswith(b" ") else lines[j]
    else:
        line = lines.pop(j)
        lines.insert(rng.randrange(len(lines) + 1), line)
    return b"".join(lines), f"line {op} {j}"


def t_crlf(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    return data.replace(b"\n", b"\r\n"), "CRLF"


def t_encoding(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    text = data.decode("utf-8", "replace")
    enc = rng.choice(["utf-16", "utf-16-le", "utf-32", "latin-1", "utf-8-sig"])
    return text.encode(enc, "replace"), f"re-encode {enc}"


TEXTUAL: list[tuple[TextMutation, int]] = [
    (t_truncate, 3), (t_flip, 3), (t_insert, 5), (t_tab, 2), (t_lines, 5), (t_crlf, 1), (t_encoding, 1),
]


def _pick(rng: random.Random, table: list[tuple[Any, int]]) -> Any:
    return rng.choices([f for f, _ in table], weights=[w for _, w in table])[0]


# --- a mutant -------------------------------------------------------------------------------------------------

@dataclass
class Mutant:
    data: bytes
    steps: list[str] = field(default_factory=list)


def parse(data: bytes, json_file: bool) -> list[Any] | None:
    """The seed's documents, or None when it does not parse (then only text mutations apply)."""
    try:
        text = data.decode("utf-8")
        if json_file:
            return [json.loads(text)]
        return list(load_yaml_stream(text))
    except Exception:  # noqa: BLE001 - any seed that does not parse is mutated as text only
        return None


def serialize(docs: list[Any], json_file: bool, rng: random.Random) -> bytes:
    if json_file and len(docs) == 1:
        return json.dumps(docs[0], indent=rng.choice([None, 2]), ensure_ascii=rng.random() < 0.5).encode("utf-8")
    if rng.random() < 0.15 and all(isinstance(d, dict) for d in docs):
        # JSON is YAML: flow style with every scalar quoted its own way
        return "\n---\n".join(json.dumps(d) for d in docs).encode("utf-8")
    import yaml  # PyYAML: an emitter independent of the one under test (and of its state)

    return yaml.safe_dump_all(docs, allow_unicode=rng.random() < 0.8, sort_keys=False, width=4096,
                              explicit_start=True).encode("utf-8")


def mutate(rng: random.Random, data: bytes, json_file: bool = False, text_only: bool = False) -> Mutant:
    """One to three structural mutations (when the seed parses) and/or one text mutation."""
    mutant = Mutant(data)
    docs = None if text_only else parse(data, json_file)
    structural = docs is not None and rng.random() < 0.8
    if structural and docs is not None:
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
            op = _pick(rng, STRUCTURAL)
            step = op(rng, docs)
            if step:
                mutant.steps.append(step)
        try:
            mutant.data = serialize(docs, json_file, rng)
        except Exception as exc:  # noqa: BLE001 - a value the dumper cannot write: mutate the text instead
            mutant.steps.append(f"(not serializable: {type(exc).__name__}; text mutation instead)")
            structural = False
    if not structural or rng.random() < 0.15:
        op = _pick(rng, TEXTUAL)
        mutant.data, step = op(rng, mutant.data)
        mutant.steps.append(step)
    return mutant


def mutate_text_arg(rng: random.Random, value: str) -> tuple[str, str]:
    """A command-line string (a listen string, a Gateway selector) mutated as text (valid UTF-8 kept)."""
    op = rng.choice(["insert", "truncate", "replace", "double"])
    if op == "insert":
        at = rng.randrange(len(value) + 1)
        token = rng.choice([",", " ", "ssl", "udp", "http2", "proxy_protocol", ":", "[::]", "0", "-1", "65536",
                            "ü", "\t", "reuseport", "backlog=x", "bind", "*", "off"])
        return value[:at] + token + value[at:], f"arg insert {token!r} at {at}"
    if op == "truncate":
        at = rng.randrange(len(value) + 1)
        return value[:at], f"arg truncate at {at}"
    if op == "replace":
        new = rng.choice(["", " ", "off", "0.0.0.0:0", "0.0.0.0:65536", "x:y", "[::]:80 ssl ssl", ",,", "a/b/c",
                          "kong/", "/kong", "0.0.0.0:8000 http2 ssl, 0.0.0.0:8000 udp", "8000"])
        return new, f"arg replace -> {new!r}"
    return f"{value}, {value}", "arg double"


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}...({len(text)} chars)"


# --- what a live cluster can hold (scan) ---------------------------------------------------------------------
# The API server validates built-in objects (a Service port is an integer 1-65535, an env var's name a string,
# a Deployment has a pod template) and Kong's CRDs have structural schemas, so a scan never reads a list where
# a mapping is.  What it can read is any string in an annotation or an env var value, any JSON in a plugin's
# config, repeated rules and paths, odd but valid hosts and regex paths, and env vars set from elsewhere.

LISTENS: list[str] = [
    "off", "", "0.0.0.0:8000", "0.0.0.0:8000, 0.0.0.0:8443 http2 ssl", "0.0.0.0:8000 proxy_protocol",
    "[::]:8000, 0.0.0.0:8000 reuseport backlog=16384", "0.0.0.0:5432, 0.0.0.0:5353 udp", "0.0.0.0:9000 ssl",
    "127.0.0.1:8000", "0.0.0.0:0", "0.0.0.0:65536", "8000", "garbage", ",", "0.0.0.0:8000 udp", "x:y z",
    "0.0.0.0:8443 ssl, 0.0.0.0:8443 http2 ssl", "0.0.0.0:8000 bind", "[::1]:80", "*:80",
]
VALID_HOSTS = ["*.example.com", "a.b.c.example.com", "xn--bcher-kva.example", "a" * 63 + ".example.com",
               "example.com", "localhost", "*.com", "1-2.example.com", "shop.example.com"]
VALID_REGEX_PATHS = ["/~^/a(b", "/~(a+)+$", "/~/(?<name>x)", "/~/(?P<n>x)/$", "/~(?i)/api", "/~/a|/b", "/~.*",
                     "/~[[:alpha:]]", "/~\\p{L}+", "/~(?=x)", "/~\\1", "/~/(.*a){28}$", "/~", "/a b", "/ü", "/%2F"]


def _env_entries(docs: list[Any]) -> list[dict[str, Any]]:
    return [item for s in slots(docs) if s.key == "env" and isinstance(s.value, list)
            for item in s.value if isinstance(item, dict)]


def s_env(rng: random.Random, docs: list[Any]) -> str | None:
    entries = _env_entries(docs)
    if not entries:
        return None
    entry = rng.choice(entries)
    op = rng.choice(["listen", "listen", "text", "valueFrom", "empty", "unset"])
    if op == "listen":
        entry["value"] = rng.choice(LISTENS)
    elif op == "text" and isinstance(entry.get("value"), str):
        entry["value"], _ = mutate_text_arg(rng, entry["value"])
    elif op == "valueFrom":  # the value comes from a ConfigMap: the scan cannot see it
        entry.pop("value", None)
        entry["valueFrom"] = {"configMapKeyRef": {"name": "kong-env", "key": str(entry.get("name"))}}
    elif op == "empty":
        entry["value"] = ""
    else:
        op = "unset"
        entry.pop("value", None)
    return f"env {entry.get('name')} {op} -> {_short(entry.get('value', entry.get('valueFrom')))}"


def s_env_add(rng: random.Random, docs: list[Any]) -> str | None:
    envs = [s.value for s in slots(docs) if s.key == "env" and isinstance(s.value, list)]
    if not envs:
        return None
    name = rng.choice(["KONG_PROXY_LISTEN", "KONG_STREAM_LISTEN", "KONG_PORT_MAPS", "KONG_ROUTER_FLAVOR",
                       "CONTROLLER_PUBLISH_SERVICE", "CONTROLLER_PUBLISH_SERVICE_UDP", "CONTROLLER_FEATURE_GATES",
                       "CONTROLLER_INGRESS_CLASS", "KONG_ADMIN_LISTEN", "KONG_STATUS_LISTEN"])
    value = rng.choice([*LISTENS, "expressions", "traditional_compatible", "kong/kong-kong-proxy", "nope/", "a/b/c",
                        "GatewayAlpha=true", "GatewayAlpha=false,FillIDs=true", "=", "80:8000, 443:8443", "80"])
    rng.choice(envs).append({"name": name, "value": value})  # a repeated name: the last one wins in Kubernetes
    return f"env add {name}={value!r}"


def s_annotation(rng: random.Random, docs: list[Any]) -> str | None:
    """m_annotation with string keys and values only (the API server refuses anything else)."""
    step = m_annotation(rng, docs)
    for s in _annotation_maps(docs):
        for key, value in list(s.value.items()):
            if not isinstance(value, str) or not isinstance(key, str):
                del s.value[key]
                s.value[str(key)] = value if isinstance(value, str) else json.dumps(value, default=str)
    return step


def s_plugin_config(rng: random.Random, docs: list[Any]) -> str | None:
    """A plugin's config is free-form JSON in Kong's CRDs: any value anywhere in it."""
    plugins = [d for d in docs if isinstance(d, dict) and d.get("kind") in ("KongPlugin", "KongClusterPlugin")]
    if not plugins:
        return None
    plugin = rng.choice(plugins)
    slot = rng.choice(slots([plugin.setdefault("config", {})]))
    new = _value_pool(rng, slot.value)
    slot.set(new)  # a NaN or infinity is not JSON: the document is then left out of the cluster
    return f"plugin config {slot.where()} -> {_short(new)}"


def s_rules(rng: random.Random, docs: list[Any]) -> str | None:
    cands = [s for s in slots(docs) if s.key in ("rules", "paths", "tls", "hosts") and isinstance(s.value, list)
             and s.value]
    if not cands:
        return None
    slot = rng.choice(cands)
    items = slot.value
    op = rng.choice(["dup", "drop", "reverse"])
    if op == "dup":
        items.append(copy.deepcopy(rng.choice(items)))
    elif op == "drop":
        del items[rng.randrange(len(items))]
    else:
        items.reverse()
    return f"list {op} at {slot.where()}"


def s_host_path(rng: random.Random, docs: list[Any]) -> str | None:
    hosts = [s for s in slots(docs) if isinstance(s.parent, dict) and s.key == "host" and isinstance(s.value, str)]
    paths = [s.parent for s in slots(docs) if isinstance(s.parent, dict) and s.key == "path"
             and isinstance(s.value, str) and s.parent.get("pathType") in (None, "ImplementationSpecific")]
    if hosts and (not paths or rng.random() < 0.5):
        slot = rng.choice(hosts)
        slot.set(rng.choice(VALID_HOSTS))
        return f"host {slot.where()} -> {slot.value!r}"
    if paths:
        target = rng.choice(paths)
        target["path"] = rng.choice(VALID_REGEX_PATHS)
        return f"ImplementationSpecific path -> {target['path']!r}"
    return None


def s_labels(rng: random.Random, docs: list[Any]) -> str | None:
    labels = [s.value for s in slots(docs) if s.key == "labels" and isinstance(s.value, dict)]
    if not labels:
        return None
    target = rng.choice(labels)
    key = rng.choice(["app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component",
                      "helm.sh/chart"])
    value = rng.choice(["kong", "gateway", "other", "", "kong-2", "ingress", "kong-2.48.0", "app"])
    target[key] = value
    return f"label {key}={value!r}"


CLUSTER: list[tuple[StructMutation, int]] = [
    (s_env, 5), (s_env_add, 3), (s_annotation, 6), (s_plugin_config, 2), (s_rules, 3), (s_host_path, 3),
    (s_labels, 2),
]


def _vary(node: Any, i: int) -> Any:
    """A copy of `node` whose hosts and paths are made distinct by `i` (many rules, listeners, routes)."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k in ("host", "hostname") and isinstance(v, str):
                out[k] = f"h{i}.{v.lstrip('*.') or 'example.com'}"
            elif k == "path" and isinstance(v, str):
                out[k] = f"{v.rstrip('/')}/{i}"
            elif k in ("hosts", "hostnames") and isinstance(v, list):
                out[k] = [f"h{i}.{h.lstrip('*.')}" if isinstance(h, str) else h for h in v]
            else:
                out[k] = _vary(v, i)
        return out
    if isinstance(node, list):
        return [_vary(v, i) for v in node]
    return copy.deepcopy(node)


def m_multiply(rng: random.Random, docs: list[Any]) -> str | None:
    """Many distinct rules, paths, TLS entries or listeners: the limits (16 rules, 64 listeners) and their splits."""
    cands = [s for s in slots(docs) if s.key in ("rules", "paths", "tls", "listeners", "hostnames", "hosts")
             and isinstance(s.value, list) and s.value]
    if not cands:
        return None
    slot = rng.choice(cands)
    count = rng.choice([17, 33, 65, 130])
    item = rng.choice(slot.value)
    slot.value.extend(_vary(item, i) if not isinstance(item, str) else f"h{i}.{item.lstrip('*.')}"
                      for i in range(count))
    return f"multiply {slot.where()} by {count}"


STRUCTURAL.append((m_multiply, 1))
