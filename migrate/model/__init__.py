"""Typed, normalized views of the input Kubernetes objects."""
