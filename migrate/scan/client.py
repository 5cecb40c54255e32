"""Cluster connection: kubeconfig (file, context) or in-cluster config, through the official client."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


class ConfigError(Exception):
    """The credentials could not be loaded: no kubeconfig, unknown context, not in a pod."""


@dataclass
class Connection:
    api: Any  # kubernetes.client.ApiClient (kept untyped: the client is imported lazily)
    context: str  # kubeconfig context name, or "in-cluster"
    server: str


def connect(kubeconfig: str | None, context: str | None, timeout: float = 30.0) -> Connection:
    """Load credentials like kubectl does: --kubeconfig, $KUBECONFIG, ~/.kube/config, else in-cluster."""
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    configuration = client.Configuration()
    in_cluster = kubeconfig is None and context is None and "KUBERNETES_SERVICE_HOST" in os.environ and not (
        os.environ.get("KUBECONFIG") or os.path.exists(os.path.expanduser("~/.kube/config")))
    try:
        if in_cluster:
            config.load_incluster_config(client_configuration=configuration)
            name = "in-cluster"
        else:
            config.load_kube_config(config_file=kubeconfig, context=context, client_configuration=configuration,
                                    persist_config=False)
            contexts, current = config.list_kube_config_contexts(config_file=kubeconfig)
            name = context or (current or {}).get("name", "") or "default"
    except (ConfigException, OSError, TypeError, ValueError) as exc:
        where = kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
        raise ConfigError(f"cannot load cluster credentials from {where}"
                          + (f" (context {context!r})" if context else "") + f": {exc}") from None
    # A scan is interactive: fail fast on an unreachable server instead of urllib3's retry loop.
    configuration.retries = 0
    api = client.ApiClient(configuration)
    api.user_agent = "kong-gateway-migrate-scan"
    return Connection(api=api, context=name, server=str(configuration.host))
