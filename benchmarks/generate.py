"""Synthetic but realistic Kong estates for the benchmarks, deterministic from a seed.

N Ingresses spread over many namespaces and hosts (two to four apps per namespace, several Ingresses per
host with distinct paths), TLS on most hosts, the common `konghq.com/*` annotations (plugins, methods,
headers, strip-path, protocols, redirects, ...), the Services they point at (named and numbered ports),
the KongPlugins they name, and a share of TCPIngress/UDPIngress.

    python3 -m benchmarks.generate 10000 --seed 1 -o /tmp/estate.yaml
    python3 -m benchmarks.generate 200 --shape methods-headers -o /tmp/mh.yaml   # pathological shapes
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import Any

INGRESSES_PER_NAMESPACE = 25
TCP_SHARE = 0.02  # TCPIngresses per Ingress
UDP_SHARE = 0.01
PLUGINS = (("rate-limit", "rate-limiting", {"minute": 100}), ("auth", "key-auth", {}),
           ("cors", "cors", {"origins": ["*"]}), ("log", "http-log", {"http_endpoint": "http://logger:8080"}))
METHOD_SETS = ("GET", "GET,POST", "GET,HEAD", "POST,PUT,PATCH,DELETE")
SEGMENTS = ("api", "v1", "v2", "users", "orders", "cart", "search", "static", "admin", "health", "auth", "media")


def _pick(rnd: random.Random, share: float) -> bool:
    return rnd.random() < share


def _annotations(rnd: random.Random, ns: str, plugins: set[str]) -> dict[str, str]:
    a: dict[str, str] = {}
    if _pick(rnd, 0.35):
        a["konghq.com/strip-path"] = rnd.choice(("true", "false"))
    if _pick(rnd, 0.25):
        a["konghq.com/methods"] = rnd.choice(METHOD_SETS)
    if _pick(rnd, 0.1):
        a["konghq.com/headers.x-tenant"] = rnd.choice(("gold", "gold,silver", "bronze"))
    if _pick(rnd, 0.3):
        chosen = rnd.sample([p[0] for p in PLUGINS], rnd.randint(1, 2))
        plugins.update(chosen)
        a["konghq.com/plugins"] = ",".join(chosen)
    if _pick(rnd, 0.15):
        a["konghq.com/protocols"] = rnd.choice(("https", "http,https"))
    if _pick(rnd, 0.1):
        a["konghq.com/https-redirect-status-code"] = rnd.choice(("301", "302", "308"))
    if _pick(rnd, 0.05):
        a["konghq.com/preserve-host"] = "false"
    if _pick(rnd, 0.05):
        a["konghq.com/regex-priority"] = str(rnd.randint(1, 100))
    if _pick(rnd, 0.05):
        a["konghq.com/request-buffering"] = "false"
    if _pick(rnd, 0.03):
        a["konghq.com/tags"] = f"team-{ns},generated"
    return a


def _service(ns: str, name: str, port_name: str, port: int) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": {"app": name},
                     "ports": [{"name": port_name, "port": port, "targetPort": 8080, "protocol": "TCP"}]}}


def generate(n: int, seed: int = 1) -> list[dict[str, Any]]:
    """The objects of an estate with `n` Ingresses."""
    rnd = random.Random(seed)
    namespaces = [f"team-{i:04d}" for i in range(max(1, n // INGRESSES_PER_NAMESPACE))]
    services: dict[tuple[str, str], dict[str, Any]] = {}
    plugins_used: dict[str, set[str]] = {ns: set() for ns in namespaces}
    hosts: dict[str, list[str]] = {ns: [f"app{j}.{ns}.example.com" for j in range(rnd.randint(2, 4))]
                                   for ns in namespaces}
    objects: list[dict[str, Any]] = []
    for i in range(n):
        ns = namespaces[i % len(namespaces)]
        host = rnd.choice(hosts[ns])
        paths = []
        for j in range(rnd.randint(1, 3)):
            svc = f"svc-{rnd.randint(0, 7)}"
            numbered = _pick(rnd, 0.6)
            services.setdefault((ns, svc), _service(ns, svc, "http", 80))
            port = {"number": 80} if numbered else {"name": "http"}
            path_type = rnd.choices(("Prefix", "Exact", "ImplementationSpecific"), (6, 2, 2))[0]
            path = f"/{'/'.join(rnd.sample(SEGMENTS, rnd.randint(1, 2)))}/i{i}p{j}"
            paths.append({"path": path, "pathType": path_type,
                          "backend": {"service": {"name": svc, "port": port}}})
        spec: dict[str, Any] = {"ingressClassName": "kong", "rules": [{"host": host, "http": {"paths": paths}}]}
        if _pick(rnd, 0.7):
            spec["tls"] = [{"hosts": [host], "secretName": f"{host.split('.')[0]}-tls"}]
        meta: dict[str, Any] = {"name": f"ing-{i:05d}", "namespace": ns,
                                "labels": {"app.kubernetes.io/name": f"app-{i % 97}", "team": ns},
                                "creationTimestamp": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00Z"}
        annotations = _annotations(rnd, ns, plugins_used[ns])
        if annotations:
            meta["annotations"] = annotations
        objects.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec})
    for kind, share, base in (("TCPIngress", TCP_SHARE, 9000), ("UDPIngress", UDP_SHARE, 5300)):
        for k in range(int(n * share)):
            ns = namespaces[k % len(namespaces)]
            svc = f"{kind[:3].lower()}-{k}"
            services[(ns, svc)] = _service(ns, svc, kind[:3].lower(), 7000 + k)
            rule = {"port": base + k, "backend": {"serviceName": svc, "servicePort": 7000 + k}}
            objects.append({"apiVersion": "configuration.konghq.com/v1beta1", "kind": kind,
                            "metadata": {"name": f"{kind.lower()}-{k}", "namespace": ns,
                                         "annotations": {"kubernetes.io/ingress.class": "kong"}},
                            "spec": {"rules": [rule]}})
    for _, svc_obj in sorted(services.items()):
        objects.append(svc_obj)
    for ns in namespaces:
        for name, plugin, config in PLUGINS:
            if name in plugins_used[ns]:
                objects.append({"apiVersion": "configuration.konghq.com/v1", "kind": "KongPlugin",
                                "metadata": {"name": name, "namespace": ns}, "plugin": plugin, "config": config})
    return objects


# Pathological shapes (issue 13 item 2): one input grown along one dimension, to show each command's cost is
# linear in it (or refused past a documented bound).  Each takes its size and returns the objects (or, for
# `values`, the text of a values file); `benchmarks.run --shapes` prints their growth.

def _one_ingress(annotations: dict[str, str], paths: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    paths = paths or [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "svc", "port": {"number": 80}}}}]
    return [{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
             "metadata": {"name": "big", "namespace": "default", "annotations": annotations},
             "spec": {"ingressClassName": "kong", "rules": [{"host": "big.example.com", "http": {"paths": paths}}]}},
            _service("default", "svc", "http", 80)]


def _method_name(i: int) -> str:
    """A distinct alphabetic method name (Kong accepts any upper-case token): GET, ..., then XA, XB, ..."""
    base = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
    if i < len(base):
        return base[i]
    i -= len(base)
    name = ""
    while True:
        name = chr(ord("A") + i % 26) + name
        i = i // 26 - 1
        if i < 0:
            return "X" + name


def shape_paths(n: int) -> list[dict[str, Any]]:
    """One Ingress with `n` Prefix paths."""
    paths = [{"path": f"/p{i}", "pathType": "Prefix", "backend": {"service": {"name": "svc", "port": {"number": 80}}}}
             for i in range(n)]
    return _one_ingress({}, paths)


def shape_methods_headers(n: int) -> list[dict[str, Any]]:
    """One Ingress with `n` methods in konghq.com/methods and a header matching any of `n` values."""
    return _one_ingress({"konghq.com/methods": ",".join(_method_name(i) for i in range(n)),
                         "konghq.com/headers.x-tenant": ",".join(f"t{i}" for i in range(n))})


def shape_plugins(n: int) -> list[dict[str, Any]]:
    """One Ingress whose konghq.com/plugins names `n` plugins (100,000 names: a ~1 MB annotation)."""
    return _one_ingress({"konghq.com/plugins": ",".join(f"plugin-{i:06d}" for i in range(n))})


def shape_values(n: int) -> str:
    """A Kong chart values file with `n` unrelated keys (podAnnotations, ~46 bytes each) and comments:
    `helm-values --in-place` must rewrite it in time linear in its size (10 MB ~ 220,000 keys)."""
    lines = ["# values for the kong chart", "image:", "  repository: kong", "  tag: \"3.9\"",
             "proxy:", "  enabled: true", "  type: LoadBalancer", "  http:", "    enabled: true",
             "    servicePort: 80", "    containerPort: 8000", "  tls:", "    enabled: true",
             "    servicePort: 443", "    containerPort: 8443", "podAnnotations:"]
    lines += [f"  example.com/annotation-{i:07d}: \"value {i}\"  # note {i}" for i in range(n)]
    return "\n".join(lines) + "\n"


def shape_gateway() -> list[dict[str, Any]]:
    """The Gateway `shape_values` is merged with: HTTP 80, HTTPS 443 and one TCP listener."""
    return [{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
             "metadata": {"name": "kong", "namespace": "kong"},
             "spec": {"gatewayClassName": "kong", "listeners": [
                 {"name": "http", "protocol": "HTTP", "port": 80},
                 {"name": "https", "protocol": "HTTPS", "port": 443,
                  "tls": {"mode": "Terminate", "certificateRefs": [{"name": "cert"}]}},
                 {"name": "tcp", "protocol": "TCP", "port": 9000}]}}]


def shape_https_no_tls(n: int) -> list[dict[str, Any]]:
    """The benchmark estate of `n` Ingresses, every one HTTPS-only (`konghq.com/protocols: https`) and without
    a TLS entry for its host (issue 14: each such route's report entries were withdrawn by a linear scan)."""
    objects = generate(n, seed=1)
    for obj in objects:
        if obj["kind"] == "Ingress":
            obj["metadata"].setdefault("annotations", {})["konghq.com/protocols"] = "https"
            obj["spec"].pop("tls", None)
    return objects


def shape_one_host(n: int) -> list[dict[str, Any]]:
    """The benchmark estate of `n` Ingresses with every rule on one host (a busy shared domain: the routes of
    every namespace compete on it, so per-host indexes are no help and verify probes meet every route)."""
    objects = generate(n, seed=1)
    for obj in objects:
        if obj["kind"] == "Ingress":
            for rule in obj["spec"]["rules"]:
                rule["host"] = "shop.example.com"
            for tls in obj["spec"].get("tls", []):
                tls["hosts"] = ["shop.example.com"]
                tls["secretName"] = "shop-tls"
    return objects


SHAPES = {"paths": shape_paths, "https-no-tls": shape_https_no_tls, "one-host": shape_one_host, "methods-headers": shape_methods_headers, "plugins": shape_plugins,
          "values": shape_values}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int, help="number of Ingresses (or the size of --shape)")
    parser.add_argument("--shape", choices=sorted(SHAPES), help="one pathological input instead of an estate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    from migrate import yamlio

    if args.shape == "values":
        text = shape_values(args.n)
    elif args.shape:
        text = yamlio.dump_yaml_documents(SHAPES[args.shape](args.n))  # type: ignore[arg-type]
    else:
        text = yamlio.dump_yaml_documents(generate(args.n, args.seed))
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
