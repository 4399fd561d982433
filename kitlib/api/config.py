"""The config kinds (core/v1): Secret, here only as the holder of a TLS certificate that an Ingress names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .convert import extra_field
from .meta import KubeObject, ObjectMeta
from .resource import Resource

TLS_TYPE = "kubernetes.io/tls"
OPAQUE = "Opaque"


@dataclass(repr=False)
class Secret(KubeObject):
    """A Secret; ``data`` holds base64 text, ``string_data`` plain text merged into it on write."""

    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "Secret"

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    type: str | None = None
    data: dict[str, str] = field(default_factory=dict)
    string_data: dict[str, str] = field(default_factory=dict)
    immutable: bool | None = None
    extra: dict[str, Any] = extra_field()


RESOURCES = (Resource(Secret, "secrets", ()),)
"""The resource types this module defines, gathered by :mod:`kitlib.api.registry`."""
