"""Typed loading of the Ingress side (issue 13): a field of the wrong JSON type is named with its file, document,
field path and line; the object is not read, the rest of the input is."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate.loader import LoadResult, parse_text
from tests.support import run_cli

GOOD = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: good, namespace: shop}
spec:
  ingressClassName: kong
  rules:
  - host: good.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
"""

# (document, the message after "input.yaml (document 0) ")
CASES = [
    ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: d, namespace: shop}\nspec:\n"
     "  defaultBackend:\n    service:\n      name: web\n      port: {number: 8.5}\n",
     "line 8: Ingress/shop/d: spec.defaultBackend.service.port.number is a number (8.5), expected an integer"),
    ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: big, namespace: shop}\nspec:\n"
     "  defaultBackend: {service: {name: web, port: {number: 4294967296}}}\n",
     "line 5: Ingress/shop/big: spec.defaultBackend.service.port.number is 4294967296, too large for an int32"),
    ("apiVersion: networking.k8s.io/v1beta1\nkind: Ingress\nmetadata: {name: b, namespace: shop}\nspec:\n"
     "  rules:\n  - http:\n      paths:\n      - backend: {serviceName: web, servicePort: [80]}\n",
     "line 8: Ingress/shop/b: spec.rules[0].http.paths[0].backend.servicePort is a list, expected a port number or "
     "name"),
    ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: h, namespace: shop}\nspec:\n"
     "  rules:\n  - host: [a.example.com]\n",
     "line 6: Ingress/shop/h: spec.rules[0].host is a list, expected a string"),
    ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: c, namespace: shop}\nspec:\n"
     "  ingressClassName: 5\n",
     "line 5: Ingress/shop/c: spec.ingressClassName is an integer, expected a string"),
    ("apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: kong}\nspec:\n"
     "  controller: ingress-controllers.konghq.com/kong\n  parameters: kong-params\n",
     "line 6: IngressClass/kong: spec.parameters is a string, expected a mapping"),
    ("apiVersion: configuration.konghq.com/v1beta1\nkind: UDPIngress\nmetadata: {name: u, namespace: shop}\n"
     "spec:\n  rules:\n  - port: 53\n    backend:\n      serviceName: dns\n      servicePort: {port: 53}\n",
     "line 9: UDPIngress/shop/u: spec.rules[0].backend.servicePort is a mapping, expected a port number or name"),
    ("apiVersion: configuration.konghq.com/v1\nkind: KongClusterPlugin\nmetadata: {name: p}\nplugin: cors\n"
     "config: [origins]\n",
     "line 5: KongClusterPlugin/p: config is a list, expected a mapping"),
    ("apiVersion: configuration.konghq.com/v1\nkind: KongPlugin\nmetadata: {name: p, namespace: shop}\n"
     "plugin: [cors]\n",
     "line 4: KongPlugin/shop/p: plugin is a list, expected a string"),
    ("apiVersion: configuration.konghq.com/v1\nkind: KongIngress\nmetadata: {name: k, namespace: shop}\n"
     "upstream:\n  healthchecks:\n    active:\n      healthy:\n        http_statuses: [200, '302']\n",
     "line 8: KongIngress/shop/k: upstream.healthchecks.active.healthy.http_statuses[1] is a string ('302'), "
     "expected an integer"),
    ("apiVersion: configuration.konghq.com/v1\nkind: KongIngress\nmetadata: {name: k, namespace: shop}\n"
     "route:\n  headers:\n    x-tenant: gold\n",
     "line 6: KongIngress/shop/k: route.headers.x-tenant is a string, expected a list"),
    ("apiVersion: configuration.konghq.com/v1\nkind: KongIngress\nmetadata: {name: k, namespace: shop}\n"
     "proxy: {retries: '5'}\n",
     "line 4: KongIngress/shop/k: proxy.retries is a string ('5'), expected an integer"),
    ("apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: shop}\ntype: 7\n",
     "line 4: Secret/shop/s: type is an integer, expected a string"),
    ("apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: shop}\nspec:\n  externalName: [a]\n",
     "line 5: Service/shop/s: spec.externalName is a list, expected a string"),
]


@pytest.mark.parametrize(("document", "message"), CASES, ids=[m.split(": ")[1] for _, m in CASES])
def test_a_wrongly_typed_field_is_named_with_its_line(document: str, message: str) -> None:
    out = LoadResult()
    parse_text(document + "---\n" + GOOD, "input.yaml", out)
    assert [str(e) for e in out.errors] == [f"input.yaml (document 0) {message}; the object was not read"]
    assert [d.ref.object_id for d in out.docs] == ["Ingress/shop/good"]


def test_convert_reports_the_object_and_converts_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "input.yaml"
    path.write_text(CASES[0][0] + "---\n" + GOOD)
    result = run_cli(["convert", "--no-verify", str(path)])
    assert result.exit_code == 2
    assert f"input error: {path} (document 0) {CASES[0][1]}; the object was not read" in result.stderr
    assert "- good.example.com" in result.stdout


def test_an_unknown_api_version_is_left_to_the_converter() -> None:
    """Types are checked against the schema of the object's own API version only."""
    out = LoadResult()
    parse_text("apiVersion: networking.k8s.io/v2\nkind: Ingress\nmetadata: {name: x, namespace: shop}\n"
               "spec: {rules: oops}\n", "input.yaml", out)
    assert out.errors == [] and len(out.docs) == 1
