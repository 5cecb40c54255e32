"""Predict Gateway listener status from Kong's deployment, as Kong's ingress controller computes it.

Pure functions, usable without a cluster (`migrate check`) or with what was read from one:

* `predict_listener_status(gateways, kong_listens) -> list[ListenerStatus]`
* `kong_listens_from_values(values, release=, namespace=, chart=) -> list[KongListen]` (Helm install)
* `kong_listens_from_services(services, proxy_listen, stream_listen) -> list[KongListen]` (Service manifests
  plus the proxy's KONG_PROXY_LISTEN / KONG_STREAM_LISTEN)
* `read_gateways(docs)` / `parse_gateway(obj)` turn Gateway objects into the model.
"""

from migrate.kongstatus.gateways import Gateway, Listener, parse_gateway, read_gateways
from migrate.kongstatus.listens import (
    KongListen,
    kong_listens_from_services,
    kong_listens_from_values,
    parse_listen,
)
from migrate.kongstatus.predict import Condition, ListenerStatus, predict_listener_status

__all__ = [
    "Condition", "Gateway", "KongListen", "Listener", "ListenerStatus", "kong_listens_from_services",
    "kong_listens_from_values", "parse_gateway", "parse_listen", "predict_listener_status", "read_gateways",
]
