"""Generators for the Kong deployment side: ports, Helm values, listen strings, Service manifests."""
