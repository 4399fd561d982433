"""The kinds kubectl knows: one :class:`~.view.View` per kind, from the module named after it.

A new kind is one module (its columns, its describer, its ``create`` generator, in one
:class:`~.view.View`) and one entry in :data:`VIEWS`.
"""

from __future__ import annotations

from . import deployments, ingresses, namespaces, nodes, pods, secrets, services
from .view import View

VIEWS: tuple[View, ...] = (
    pods.VIEW,
    nodes.VIEW,
    namespaces.VIEW,
    *deployments.VIEWS,
    *services.VIEWS,
    *ingresses.VIEWS,
    secrets.VIEW,
)
BY_KIND: dict[str, View] = {view.kind: view for view in VIEWS}
"""Each kind's view."""
CREATABLE: dict[str, View] = {word: view for view in VIEWS for word in view.create_types}
"""The view of each type ``kubectl create`` takes: ``svc`` → Service."""
