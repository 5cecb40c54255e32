"""Kong Ingress → Gateway API migration tool."""

__version__ = "0.1.0"
