"""Issue 12 item 6: report details (regexes shown as emitted, legacy annotations ignored, rewrite gate)."""

from __future__ import annotations

from migrate.convert.options import ConvertOptions
from migrate.convert.pipeline import run_convert
from migrate.loader import SourceDoc
from migrate.report import Report, Status, quote, render_text
from migrate.sources import SourceRef
from migrate.yamlio import load_yaml_stream


def test_quote_keeps_backslashes_as_emitted() -> None:
    assert quote("/\\*") == "'/\\*'"  # prints '/\*', the value the HTTPRoute holds
    assert quote("it's") == '"it\'s"'
    assert quote("a\tb") == repr("a\tb")  # control characters stay visible


def _convert(text: str) -> Report:
    docs = [SourceDoc(d, SourceRef(kind=d["kind"], namespace=d["metadata"].get("namespace", ""),
                                   name=d["metadata"]["name"], file="t.yaml", index=i))
            for i, d in enumerate(load_yaml_stream(text)) if d]
    report = Report()
    run_convert(docs, ConvertOptions(), report)
    return report


INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: a
  namespace: ns
  annotations: {{kubernetes.io/ingress.class: kong, {annotations}}}
spec:
  rules:
  - host: a.example.com
    http:
      paths:
      - {{path: /*, pathType: ImplementationSpecific, backend: {{service: {{name: s, port: {{number: 80}}}}}}}}
"""


def test_regex_in_the_report_is_the_emitted_one() -> None:
    text = render_text(_convert(INGRESS.format(annotations="x: y")))
    assert "RegularExpression '/\\*'" in text and "\\\\" not in text


def test_legacy_annotations_are_ignored_not_unconverted() -> None:
    report = _convert(INGRESS.format(annotations="configuration.konghq.com: k, plugins.konghq.com: p"))
    legacy = {e.subject: e.status for e in report.entries
              if e.subject in ("annotation configuration.konghq.com", "annotation plugins.konghq.com")}
    assert legacy == {"annotation configuration.konghq.com": Status.IGNORED,
                      "annotation plugins.konghq.com": Status.IGNORED}
    assert not report.needs_human


def test_rewrite_says_converting_starts_routing() -> None:
    report = _convert(INGRESS.format(annotations="konghq.com/rewrite: /new"))
    warnings = [e for e in report.entries if e.status == Status.WARNING and e.subject == "annotation konghq.com/rewrite"]
    assert warnings and "converting it starts routing it" in warnings[0].message
