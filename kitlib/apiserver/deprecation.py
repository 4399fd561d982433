"""Deprecated resource types, and the warning the API server sends with every request for one.

As ``k8s.io/apiserver/pkg/endpoints/deprecation`` does it: a type whose ``deprecated`` release
(:attr:`kitlib.api.resource.Resource.deprecated`) is not after the server's own version is
deprecated, and the installer adds one ``Warning`` header to every route of it (get, list, watch,
create, update, patch, delete), worded by ``WarningMessage``:

>>> from kitlib.api.registry import lookup
>>> warning_message(lookup("endpoints"))
'v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice'
>>> is_deprecated(lookup("endpoints"), (1, 32)), is_deprecated(lookup("endpoints"), (1, 37))
(False, True)
"""

from __future__ import annotations

from ..api.resource import Resource


def major_minor(version: str) -> tuple[int, int]:
    """``v1.37.1`` as ``(1, 37)`` (``MajorMinor``)."""
    major, minor = version.removeprefix("v").split(".")[:2]
    return int(major), int(minor)


def is_deprecated(res: Resource, current: tuple[int, int]) -> bool:
    """Whether ``res`` was deprecated in or before the release ``current`` (``IsDeprecated``)."""
    return res.deprecated is not None and res.deprecated <= current


def warning_message(res: Resource) -> str:
    """``v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice``."""
    if res.deprecated is None:
        return ""
    major, minor = res.deprecated
    text = f"{res.cls.api_version} {res.kind} is deprecated in v{major}.{minor}+"
    return f"{text}; use {res.replacement}" if res.replacement else text
