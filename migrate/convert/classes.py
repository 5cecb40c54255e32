"""Which Ingresses Kong serves: the ingress-class algorithm of Kong's controller (REFERENCE §2.7)."""

from __future__ import annotations

from dataclasses import dataclass

from migrate.model.objects import KONG_INGRESS_CONTROLLER, IngressClass

CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_CLASS = "kong"


@dataclass(frozen=True)
class ClassSelector:
    classes: frozenset[str]
    default_class_exists: bool  # a selected IngressClass is marked as the cluster default

    def accepts(self, annotations: dict[str, str], class_name: str | None) -> tuple[bool, str]:
        """Accept or not, and why (for the report)."""
        annotated = annotations.get(CLASS_ANNOTATION, "").strip()
        if annotated:
            return annotated in self.classes, f"annotation {CLASS_ANNOTATION}={annotated!r}"
        if class_name:
            return class_name in self.classes, f"spec.ingressClassName={class_name!r}"
        if self.default_class_exists:
            return True, "no class set; a Kong IngressClass is the cluster default"
        return False, "no ingress class set and no Kong IngressClass is marked as default"

    def accepts_annotation_only(self, annotations: dict[str, str]) -> tuple[bool, str]:
        """Kong CRDs (TCPIngress, UDPIngress) are matched by the class annotation only."""
        annotated = annotations.get(CLASS_ANNOTATION, "").strip()
        if annotated:
            return annotated in self.classes, f"annotation {CLASS_ANNOTATION}={annotated!r}"
        if self.default_class_exists:
            return True, "no class annotation; a Kong IngressClass is the cluster default"
        return False, f"no {CLASS_ANNOTATION} annotation"


def build_selector(explicit: tuple[str, ...], ingress_classes: list[IngressClass]) -> ClassSelector:
    """`--ingress-class` values win; otherwise "kong" plus every IngressClass run by Kong's controller."""
    if explicit:
        classes = set(explicit)
    else:
        classes = {DEFAULT_CLASS} | {c.meta.name for c in ingress_classes if c.controller == KONG_INGRESS_CONTROLLER}
    default = any(
        c.is_default and c.meta.name in classes and (c.controller in ("", KONG_INGRESS_CONTROLLER))
        for c in ingress_classes
    )
    return ClassSelector(frozenset(classes), default)
