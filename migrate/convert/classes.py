"""Which Ingresses Kong serves: the ingress-class algorithm of Kong's controller (REFERENCE §2.7)."""

from __future__ import annotations

from dataclasses import dataclass

from migrate.model.objects import KONG_INGRESS_CONTROLLER, IngressClass

CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_CLASS = "kong"
KONG_ANNOTATION_PREFIX = "konghq.com/"


@dataclass(frozen=True)
class ClassSelector:
    classes: frozenset[str]
    default_class_exists: bool  # a selected IngressClass is marked as the cluster default
    # how the default is known: "" (none), "IngressClass <name>" or "--default-ingress-class <name>"
    default_from: str = ""

    def _default_reason(self, what: str) -> str:
        return f"{what}; Kong's IngressClass is the cluster default ({self.default_from})"

    def accepts(self, annotations: dict[str, str], class_name: str | None) -> tuple[bool, str]:
        """Accept or not, and why (for the report)."""
        annotated = annotations.get(CLASS_ANNOTATION, "").strip()
        if annotated:
            return annotated in self.classes, f"annotation {CLASS_ANNOTATION}={annotated!r}"
        if class_name:
            return class_name in self.classes, f"spec.ingressClassName={class_name!r}"
        if self.default_class_exists:
            return True, self._default_reason("no class set")
        return False, "no ingress class set and no Kong IngressClass is marked as default"

    def accepts_annotation_only(self, annotations: dict[str, str]) -> tuple[bool, str]:
        """Kong CRDs (TCPIngress, UDPIngress) are matched by the class annotation only."""
        annotated = annotations.get(CLASS_ANNOTATION, "").strip()
        if annotated:
            return annotated in self.classes, f"annotation {CLASS_ANNOTATION}={annotated!r}"
        if self.default_class_exists:
            return True, self._default_reason("no class annotation")
        return False, f"no {CLASS_ANNOTATION} annotation"


def build_selector(explicit: tuple[str, ...], ingress_classes: list[IngressClass],
                   default_class: str | None = None) -> ClassSelector:
    """`--ingress-class` values win; otherwise "kong" plus every IngressClass run by Kong's controller.

    `default_class` (`--default-ingress-class`) says that Kong's IngressClass of that name is the cluster default,
    whether or not the input holds the IngressClass object: class-less objects are then Kong's, as Kong's
    controller takes them (store.go: the class it serves is the default IngressClass), and the class is served.
    """
    if explicit:
        classes = set(explicit)
    else:
        classes = {DEFAULT_CLASS} | {c.meta.name for c in ingress_classes if c.controller == KONG_INGRESS_CONTROLLER}
    if default_class:
        classes.add(default_class)
        return ClassSelector(frozenset(classes), True, f"--default-ingress-class {default_class}")
    default = next((c.meta.name for c in ingress_classes
                    if c.is_default and c.meta.name in classes and c.controller in ("", KONG_INGRESS_CONTROLLER)), None)
    return ClassSelector(frozenset(classes), default is not None, f"IngressClass {default}" if default else "")


def skip_hint(selector: ClassSelector, annotations: dict[str, str], class_name: str | None,
              annotation_only: bool = False) -> tuple[str, str | None]:
    """The action for a skipped object, and a warning when it looks like Kong's: a class-less object cannot be
    included with --ingress-class (there is no class to name), only by saying which Kong class is the default."""
    classless = not annotations.get(CLASS_ANNOTATION, "").strip() and (annotation_only or not class_name)
    if not classless:
        return "pass --ingress-class to include it", None
    action = ("if Kong's IngressClass is the cluster default, pass --default-ingress-class NAME (or add that "
              "IngressClass object, with its ingressclass.kubernetes.io/is-default-class annotation, to the input)")
    kong = sorted(k for k in annotations if k.startswith(KONG_ANNOTATION_PREFIX))
    if not kong:
        return action, None
    shown = ", ".join(kong[:3]) + (f" and {len(kong) - 3} more" if len(kong) > 3 else "")
    return action, (f"no ingress class, but it carries Kong annotations ({shown}): it looks like Kong's, and Kong "
                    "served it only if its IngressClass is the cluster default; it was not converted")
