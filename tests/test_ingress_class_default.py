"""Issue 12 items 1 and 2: class-less objects and `--default-ingress-class` (convert, verify), and a run that
converts nothing says so instead of "everything converted"."""

from __future__ import annotations

import json
from pathlib import Path

from migrate.convert.classes import build_selector, skip_hint
from migrate.model.objects import IngressClass, Meta
from migrate.sources import SourceRef
from tests.support import run_cli

CLASSLESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: api
  namespace: shop
  annotations: {konghq.com/strip-path: "true"}
spec:
  rules:
  - host: api.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
"""


def _class(name: str, default: bool, controller: str = "ingress-controllers.konghq.com/kong") -> IngressClass:
    return IngressClass(meta=Meta(name=name, namespace="", source=SourceRef(kind="IngressClass", name=name)),
                        controller=controller, is_default=default)


def test_selector_default_from_flag_or_ingressclass() -> None:
    assert not build_selector((), []).default_class_exists
    flagged = build_selector(("public",), [], "kong")
    assert flagged.default_class_exists and flagged.classes == {"public", "kong"}
    assert flagged.accepts({}, None) == (True, "no class set; Kong's IngressClass is the cluster default "
                                               "(--default-ingress-class kong)")
    learnt = build_selector((), [_class("kong-internal", True), _class("nginx", True, "k8s.io/ingress-nginx")])
    assert learnt.default_from == "IngressClass kong-internal"
    assert learnt.accepts_annotation_only({})[0]


def test_skip_hint_for_classless_objects_points_to_the_default_class() -> None:
    selector = build_selector((), [])
    action, warning = skip_hint(selector, {"konghq.com/plugins": "a"}, None)
    assert "--default-ingress-class NAME" in action and warning and "konghq.com/plugins" in warning
    assert skip_hint(selector, {}, None)[1] is None  # nothing Kong-looking: no warning
    assert skip_hint(selector, {}, "nginx") == ("pass --ingress-class to include it", None)


def test_verify_models_the_default_class(tmp_path: Path) -> None:
    before = tmp_path / "before.yaml"
    before.write_text(CLASSLESS)
    after = tmp_path / "after.yaml"
    converted = run_cli(["convert", str(before), "--default-ingress-class", "kong", "--no-verify"])
    assert converted.exit_code == 0, converted.stderr
    after.write_text(converted.stdout)
    # without the flag, KIC would not have served the class-less Ingress: the routes look new
    assert run_cli(["verify", "--before", str(before), "--after", str(after)]).exit_code == 1
    result = run_cli(["verify", "--before", str(before), "--after", str(after), "--default-ingress-class", "kong"])
    assert result.exit_code == 0, result.stdout
    assert "assumed IngressClass kong (not in the input)" in result.stdout
    assert run_cli(["verify", "--before", str(before), "--after", str(after), "--default-ingress-class",
                    "Not_A_Name"]).exit_code == 2


def test_nothing_converted_in_every_report_format(tmp_path: Path) -> None:
    src = tmp_path / "in.yaml"
    src.write_text(CLASSLESS)
    result = run_cli(["convert", str(src), "--report-format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stderr)
    assert data["summary"].startswith("nothing converted: 1 Ingress skipped, without a class")
    assert "kind: Gateway" not in result.stdout and "# nothing converted" in result.stdout
    md = run_cli(["convert", str(src), "--report-format", "markdown"])
    assert "## Result" in md.stderr and "nothing converted" in md.stderr
