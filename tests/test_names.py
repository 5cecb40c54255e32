"""Kubernetes names and Gateway API hostnames are matched whole: a regex anchored with `$` also accepts a value
ending in a newline (a YAML `name: "web\n"`), which the API server refuses."""

from __future__ import annotations

import pytest

from migrate.model.validation import hostname_problem
from migrate.names import is_dns1123_label, is_dns1123_subdomain


@pytest.mark.parametrize("value", ["web", "web-1", "a"])
def test_valid_labels(value: str) -> None:
    assert is_dns1123_label(value) and is_dns1123_subdomain(value)


@pytest.mark.parametrize("value", ["web\n", "Web", "-web", "web-", "", "a" * 64])
def test_invalid_labels(value: str) -> None:
    assert not is_dns1123_label(value)


@pytest.mark.parametrize("value", ["web.example.com\n", "web..example", "web.example.", "a" * 254])
def test_invalid_subdomains(value: str) -> None:
    assert not is_dns1123_subdomain(value)


def test_hostnames() -> None:
    assert hostname_problem("*.example.com") is None
    assert hostname_problem("shop.example.com") is None
    assert hostname_problem("shop.example.com\n") is not None
