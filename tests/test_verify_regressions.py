"""Each defect of issue #10 is caught by `verify` on the output the converter produced before its fix.

tests/verify_regressions/<case>.yaml holds that old output; golden/convert/<case>/ holds the input, the
arguments and the fixed output (which test_verify_golden checks).  Every case names what the KIC-model verify
must say about the old output: a routing difference on a given request, or a configuration Kong rejects.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate.loader import load_inputs
from migrate.verify import verify
from migrate.verify.render import render_text
from migrate.yamlio import load_yaml_stream
from tests.support import GOLDEN, REPO
from tests.test_verify_golden import convert_params, verify_options

OLD_OUTPUTS = REPO / "tests" / "verify_regressions"

# case -> (what verify reports on the old output, a text that report must contain)
EXPECTED: dict[str, tuple[str, str]] = {
    # 1. RequestRedirect without hostname: KIC's redirect plugin gets a relative Location; Kong >= 3.9 rejects it
    "kic-https-redirect": ("rejected", "config.location '/' must be an absolute http(s) URL"),
    # 2. ReplacePrefixMatch: regex-only paths lose Kong's longest-prefix order (and the catch-all '/')
    "kic-strip-path-overlap": ("differs", "DIFFERENT http GET shop.example.com/shop/x"),
    # 3. ReplacePrefixMatch: request-transformer replace.uri drops the Service's konghq.com/path
    "kic-strip-path-service-path": ("differs", "before: backend apps/acl:80; upstream path /base/x"),
    # 4. the default-backend route lost the Ingress's plugins and methods
    "kic-default-backend-annotations": ("differs", "plugins KongPlugin apps/key-auth"),
    # 5. look-ahead regexes under traditional_compatible (Rust regex engine)
    "kic-compatible-raw-prefix": ("rejected", "look-around is not supported by the Rust regex engine"),
    # 6. snis on a route attached only to the HTTP listener: KIC 3.5.7+ gives it protocols [http]
    "kic-snis-without-tls": ("rejected", "'snis' can only be set when 'protocols' is"),
    # 7. HTTPS-only without konghq.com/protocols: plain HTTP served on KIC before 3.5.7
    "kic-https-only-protocols": ("differs", "only on: KIC 3.4.0-3.4.13/3.5.0-3.5.6"),
    # 8. ns:name plugin without a grant from Ingress: a new grant turns on a plugin that never ran
    "kic-cross-namespace-plugin-grant": ("differs", "plugins KongPlugin plugins/audit"),
    # 9. a named port matching a string targetPort was dropped
    "kic-named-port-target-port": ("differs", "before: backend apps/web:80"),
    # 10. KongIngress route/proxy sections converted although KIC 3 ignores them
    "kic-kongingress-route-proxy-ignored": ("differs", "DIFFERENT http POST tuned.example.com/api"),
    # 11. the spec-level model reported differences for a host-less rule next to TLS hosts: KIC routes the
    # converted objects exactly as the Ingresses, so the old (already right) output verifies clean
    "kic-hostless-next-to-tls": ("clean", "result: same routing"),
}


def test_every_old_output_has_an_expectation() -> None:
    assert sorted(p.stem for p in OLD_OUTPUTS.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_the_old_conversion_is_caught(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    kind, text = EXPECTED[case]
    golden = GOLDEN / "convert" / case
    params = convert_params(golden)
    monkeypatch.chdir(golden)
    before = load_inputs(params["inputs"]).docs
    old = [d for d in load_yaml_stream((OLD_OUTPUTS / f"{case}.yaml").read_text()) if isinstance(d, dict)]
    result = verify(before, old, verify_options(params))
    rendered = render_text(result)
    if kind == "clean":
        assert result.exit_code() == 0, rendered
    elif kind == "rejected":
        assert result.rejected, rendered
    else:
        assert result.differences, rendered
    assert text in rendered, rendered


def test_old_outputs_are_inputs_of_existing_golden_cases() -> None:
    for path in OLD_OUTPUTS.glob("*.yaml"):
        assert (GOLDEN / "convert" / path.stem / "input.yaml").is_file(), path
        assert Path(path).read_text().startswith("# Output of migrate convert before the fix")
