"""`migrate verify`: prove offline that the Gateway API objects route every request as Kong routed the Ingresses.

The public names are loaded lazily: the Kong model (`migrate.kong`) imports this package's vocabulary modules
(outcome, shapes, probes), and `compare` imports the Kong model.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Difference", "VerifyOptions", "VerifyResult", "parse_accepted", "verify"]


def __getattr__(name: str) -> Any:
    if name == "VerifyOptions":
        from migrate.verify.options import VerifyOptions

        return VerifyOptions
    if name in ("Difference", "VerifyResult", "parse_accepted", "verify"):
        from migrate.verify import compare

        return getattr(compare, name)
    raise AttributeError(name)
