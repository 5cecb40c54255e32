"""Where an input object came from, so every message can name the file, document and object."""

from __future__ import annotations

from dataclasses import dataclass


# A plain dataclass, not a pydantic model: it is built for every input document, and the CLI imports it
# at start-up (pydantic still validates it where reports embed it).
@dataclass(frozen=True, slots=True)
class SourceRef:
    """Identity of one input object: its kind/namespace/name and its position in the input."""

    kind: str = ""
    namespace: str = ""
    name: str = ""
    file: str = ""
    index: int | None = None
    item: int | None = None
    subitems: tuple[int, ...] = ()  # items of a List nested in `item`

    @property
    def object_id(self) -> str:
        name = self.name or "<unnamed>"
        if self.namespace:
            return f"{self.kind}/{self.namespace}/{name}"
        return f"{self.kind or '<no kind>'}/{name}"

    @property
    def location(self) -> str:
        loc = self.file or "<generated>"
        if self.index is not None:
            loc += f"#{self.index}"
        if self.item is not None:
            loc += f".items[{self.item}]"
        for sub in self.subitems:
            loc += f".items[{sub}]"
        return loc

    def __str__(self) -> str:
        return f"{self.object_id} ({self.location})"


GENERATED = SourceRef(kind="migrate", name="run")
