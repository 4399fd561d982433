"""What a resource module tells kubectl about its kind: one :class:`View`, listed in :mod:`.kinds`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .args import Args

if TYPE_CHECKING:
    from ..cluster import Cluster

Row = Callable[["Cluster", Any, bool], list[str]]
"""The cells of one object's row in ``kubectl get`` (``True``: with the ``-o wide`` cells)."""
Describer = Callable[["Cluster", Any], str]
"""The whole ``kubectl describe`` report of one object."""
Generator = Callable[["Cluster", Args], dict[str, Any]]
"""The object ``kubectl create <type> ...`` builds from its command line, checked as kubectl checks it."""


@dataclass(frozen=True)
class View:
    """How kubectl gets, describes and creates one kind.

    A kind without ``describe`` is described as its YAML; one without ``create`` has no
    ``kubectl create <type>`` generator.
    """

    kind: str
    headers: tuple[str, ...]
    """The columns of ``kubectl get``."""
    wide: tuple[str, ...]
    """The columns ``-o wide`` adds."""
    row: Row
    describe: Describer | None = None
    create: Generator | None = None
    create_types: tuple[str, ...] = ()
    """The words ``kubectl create`` takes for this kind: ``("service", "svc")``."""
    wide_order: tuple[str, ...] = ()
    """All the ``-o wide`` columns in their order, where the wide ones are not all at the end (Events')."""
    create_failure: Callable[[dict[str, Any]], str] | None = None
    """What kubectl says before the server's refusal of the generated object, where it wraps it
    (``failed to create ingress``)."""
