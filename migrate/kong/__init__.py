"""A model of Kong Gateway itself: the declarative configuration KIC sends it, the checks Kong applies when it
loads that configuration, and one router per flavor that routes a request through it."""
