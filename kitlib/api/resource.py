"""A resource type the API server serves: its kind's class, its plural and kubectl's short names.

Each module of :mod:`kitlib.api` that defines kinds lists its own in a module-level ``RESOURCES``
tuple; :mod:`.registry` gathers them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .meta import KubeObject


@dataclass(frozen=True)
class Resource:
    """A resource type: ``deployments.apps`` is plural ``deployments`` in group ``apps``."""

    cls: type[KubeObject]
    plural: str
    short_names: tuple[str, ...] = ()
    deprecated: tuple[int, int] | None = None
    """The release that deprecated the type, ``(1, 33)`` (Go's ``APILifecycleDeprecated``): the API
    server then warns about every request for it."""
    replacement: str = ""
    """What to use instead, ``discovery.k8s.io/v1 EndpointSlice`` (``APILifecycleReplacement``)."""

    @property
    def kind(self) -> str:
        return self.cls.kind

    @property
    def group(self) -> str:
        return self.cls.api_version.split("/")[0] if "/" in self.cls.api_version else ""

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def qualified(self) -> str:
        """``deployments.apps``, or ``pods`` for the core group (as in NotFound messages)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def qualified_kind(self) -> str:
        """``Deployment.apps``, or ``Pod`` (as in Invalid messages)."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    @property
    def type_name(self) -> str:
        """``deployment.apps`` or ``pod``, as in ``kubectl -o name`` and apply's output."""
        return f"{self.singular}.{self.group}" if self.group else self.singular
