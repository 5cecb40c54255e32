"""A model of Kong's ingress controller (KIC) translator: Kubernetes objects in, Kong declarative
configuration (`migrate.kong.config.KongConfig`) out, as KIC v3.4/v3.5 builds it."""
