"""`verify --kong-config DIR`: the Kong configurations of both sides as decK files, to diff by hand."""

from __future__ import annotations

import re

from migrate import yamlio
from migrate.verify.compare import VerifyResult

HEADER = ("# The Kong configuration Kong's ingress controller builds for the {label} side, as modelled by\n"
          "# kong-gateway-migrate (migrate verify). Ids, tags and certificate material are left out.\n")


def _file_name(label: str) -> str:
    if label == "before":
        return "before.yaml"
    slug = re.sub(r"[^a-z0-9.]+", "-", label.lower()).strip("-")
    return f"{slug}.yaml"


def kong_config_files(result: VerifyResult) -> dict[str, str]:
    """File name -> decK YAML for each translated side."""
    files: dict[str, str] = {}
    for side in result.sides:
        text = yamlio.dump_yaml_documents([side.config.to_deck()], HEADER.format(label=side.label))
        files[_file_name(side.label)] = text
    return files
