"""Gateway API hostname syntax, shared by input parsing and output naming (Kubernetes names: migrate.names)."""

from __future__ import annotations

import re

# Gateway API hostname: optional leading "*." then DNS labels; no IPs are checked here.  Matched whole
# (fullmatch): `$` would also accept a hostname ending in a newline.
GATEWAY_HOSTNAME = re.compile(r"(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


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
    if not GATEWAY_HOSTNAME.fullmatch(host):
        return "not a valid DNS name (optionally with a leading '*.')"
    if any(len(label) > 63 for label in host.split(".")):
        return "a DNS label is longer than 63 characters"
    return None
