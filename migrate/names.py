"""Kubernetes name syntax (apimachinery's DNS-1123 rules).  A module of its own, importing only `re`: the
helm-values and check commands need it and import nothing of the conversion model."""

from __future__ import annotations

import re

# matched whole (fullmatch): `$` would also accept a name ending in a newline
DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def is_dns1123_label(value: str) -> bool:
    return len(value) <= 63 and bool(DNS1123_LABEL.fullmatch(value))


def is_dns1123_subdomain(value: str) -> bool:
    return len(value) <= 253 and bool(DNS1123_SUBDOMAIN.fullmatch(value))
