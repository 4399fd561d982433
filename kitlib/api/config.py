"""The config kinds (core/v1): Secret, here only as the holder of a TLS certificate that an Ingress
names, and ConfigMap; and the rule for the keys of both (``IsConfigMapKey``).

>>> config_key_errors("game.properties")
[]
>>> config_key_errors("..data")
["must not start with '..'"]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .convert import extra_field
from .meta import KubeObject, ObjectMeta
from .resource import Resource

TLS_TYPE = "kubernetes.io/tls"
OPAQUE = "Opaque"
CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")
CONFIG_KEY_MSG = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
                  "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation "
                  "is '[-._a-zA-Z0-9]+')")
"""apimachinery's ``RegexError`` for a config key, its doubled spaces included."""
MAX_KEY_LENGTH = 253
"""``DNS1123SubdomainMaxLength``, the longest key."""


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


@dataclass(repr=False)
class ConfigMap(KubeObject):
    """A ConfigMap: ``data`` holds text, ``binary_data`` base64 text (``binaryData``), and no key is
    in both. ``immutable: true`` freezes both maps, and cannot be undone."""

    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "ConfigMap"

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    immutable: bool | None = None
    data: dict[str, str] = field(default_factory=dict)
    binary_data: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = extra_field()


def config_key_errors(key: str) -> list[str]:
    """``IsConfigMapKey``: why ``key`` cannot name a value of a ConfigMap or Secret (none if it can)."""
    errs = []
    if len(key) > MAX_KEY_LENGTH:
        errs.append(f"must be no more than {MAX_KEY_LENGTH} characters")
    if not CONFIG_KEY.fullmatch(key):
        errs.append(CONFIG_KEY_MSG)
    if key == ".":
        errs.append("must not be '.'")
    elif key == "..":
        errs.append("must not be '..'")
    elif key.startswith(".."):
        errs.append("must not start with '..'")
    return errs


RESOURCES = (Resource(Secret, "secrets", ()), Resource(ConfigMap, "configmaps", ("cm",)))
"""The resource types this module defines, gathered by :mod:`kitlib.api.registry`."""
