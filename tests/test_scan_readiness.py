"""readiness.class_notes parses only the objects that may lack an ingress class: the count it reports is the
one a parse of every object gives."""

from __future__ import annotations

from typing import Any

from migrate.convert.options import ConvertOptions
from migrate.loader import SourceDoc
from migrate.model.inventory import build_inventory
from migrate.report import Report
from migrate.scan.collect import Snapshot
from migrate.scan.readiness import class_notes
from migrate.sources import SourceRef


def _doc(kind: str, name: str, annotations: dict[str, Any] | None = None, spec: Any = None) -> SourceDoc:
    api = "networking.k8s.io/v1" if kind in ("Ingress", "IngressClass") else "configuration.konghq.com/v1beta1"
    meta: dict[str, Any] = {"name": name} if kind == "IngressClass" else {"name": name, "namespace": "shop"}
    if annotations is not None:
        meta["annotations"] = annotations
    obj: dict[str, Any] = {"apiVersion": api, "kind": kind, "metadata": meta}
    if spec is not None:
        obj["spec"] = spec
    return SourceDoc(obj, SourceRef(kind=kind, namespace=meta.get("namespace", ""), name=name, file="cluster:t"))


def _rules() -> dict[str, Any]:
    return {"rules": [{"host": "a.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
        "service": {"name": "web", "port": {"number": 80}}}}]}}]}


def test_class_less_objects_are_counted_as_a_full_parse_counts_them() -> None:
    docs = [
        _doc("Ingress", "by-field", spec={"ingressClassName": "kong", **_rules()}),
        _doc("Ingress", "by-annotation", {"kubernetes.io/ingress.class": "kong"}, spec=_rules()),
        _doc("Ingress", "none", spec=_rules()),  # class-less
        _doc("Ingress", "blank-annotation", {"kubernetes.io/ingress.class": "  "}, spec=_rules()),  # class-less
        _doc("Ingress", "empty-field", spec={"ingressClassName": "", **_rules()}),  # class-less
        _doc("TCPIngress", "tcp-classed", {"kubernetes.io/ingress.class": "kong"},
             spec={"rules": [{"port": 9000, "backend": {"serviceName": "db", "servicePort": 5432}}]}),
        _doc("TCPIngress", "tcp-none", spec={"rules": [{"port": 9001, "backend": {"serviceName": "db",
                                                                                "servicePort": 5432}}]}),  # class-less
        _doc("UDPIngress", "udp-spec-class", spec={"ingressClassName": "kong", "rules": [  # not a UDPIngress field
            {"port": 9002, "backend": {"serviceName": "dns", "servicePort": 53}}]}),  # class-less
        _doc("Ingress", "broken", spec={"rules": "not a list"}),  # not parsed: not counted
    ]
    # What parsing every object (as class_notes did before) finds class-less.
    inventory = build_inventory(docs, Report())
    full_parse = [i for i in inventory.ingresses
                  if not i.ingress_class_name and not i.meta.annotations.get("kubernetes.io/ingress.class", "").strip()]
    full_parse += [o for o in inventory.tcp_ingresses + inventory.udp_ingresses
                   if not o.meta.annotations.get("kubernetes.io/ingress.class", "").strip()]
    assert sorted(o.meta.name for o in full_parse) == ["blank-annotation", "empty-field", "none", "tcp-none",
                                                        "udp-spec-class"]
    snap = Snapshot(context="t", server="https://t", docs=docs)
    notes = class_notes(snap, ConvertOptions())
    assert [n.level for n in notes] == ["warning"]
    assert notes[0].message.startswith("5 object(s) without an ingress class are not converted")
    default = class_notes(snap, ConvertOptions(default_ingress_class="kong"))
    assert default[0].message.startswith("5 object(s) without an ingress class are Kong's")
    classed = Snapshot(context="t", server="https://t", docs=docs[:2] + docs[5:6])
    assert class_notes(classed, ConvertOptions()) == []
