"""kubectl for the config kinds: for Secrets, the columns of ``get secrets`` (``printSecret``) and
``describe secret`` (``describeSecret``), which shows the size of each value, never the value."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from ..api.config import Secret
from .describe import annotation_lines, labels_lines
from .printers import age
from .tabwriter import DESCRIBE
from .view import View

if TYPE_CHECKING:
    from ..cluster import Cluster


def _row(cluster: Cluster, secret: Secret, wide: bool) -> list[str]:
    return [secret.name, secret.type or "", str(len(secret.data)), age(cluster, secret)]


def _size(value: str) -> int:
    """The decoded length of a base64 value (the raw length of one that is not base64)."""
    try:
        return len(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        return len(value)


def _describe(cluster: Cluster, secret: Secret) -> str:
    """``describeSecret``: the sizes of the values in key order (and no events)."""
    lines = [f"Name:\t{secret.name}", f"Namespace:\t{secret.namespace}",
             *labels_lines("Labels", secret.metadata.labels), *annotation_lines(secret.metadata.annotations),
             "", f"Type:\t{secret.type or ''}", "", "Data", "===="]
    lines += [f"{k}:\t{_size(secret.data[k])} bytes" for k in sorted(secret.data)]
    return DESCRIBE.format("\n".join(lines))


SECRET = View("Secret", ("NAME", "TYPE", "DATA", "AGE"), (), _row, _describe)

VIEWS = (SECRET,)
"""The views this module gives :mod:`.kinds`."""
