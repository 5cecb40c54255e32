"""Kubernetes name and hostname syntax, shared by input parsing and output naming."""

from __future__ import annotations

import re

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# Gateway API hostname: optional leading "*." then DNS labels; no IPs are checked here.
GATEWAY_HOSTNAME = re.compile(r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


def is_dns1123_subdomain(value: str) -> bool:
    return len(value) <= 253 and bool(DNS1123_SUBDOMAIN.match(value))


def is_dns1123_label(value: str) -> bool:
    return len(value) <= 63 and bool(DNS1123_LABEL.match(value))


def hostname_problem(host: str) -> str | None:
    """Why `host` cannot be a Gateway API hostname, or None when it can."""
    if not host:
        return "empty hostname"
    if len(host) > 253:
        return "hostname longer than 253 characters"
    if host == "*":
        return "a bare '*' is not a valid hostname"
    if IPV4.match(host) or ":" in host:
        return "IP addresses are not allowed as hostnames"
    if host != host.lower():
        return "hostname must be lower case"
    if not GATEWAY_HOSTNAME.match(host):
        return "not a valid DNS name (optionally with a leading '*.')"
    if any(len(label) > 63 for label in host.split(".")):
        return "a DNS label is longer than 63 characters"
    return None
