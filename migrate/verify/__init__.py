"""`migrate verify`: prove offline that the Gateway API objects route every request as Kong routed the Ingresses."""

from migrate.verify.compare import Difference, VerifyResult, parse_accepted, verify
from migrate.verify.options import VerifyOptions

__all__ = ["Difference", "VerifyOptions", "VerifyResult", "parse_accepted", "verify"]
