"""The kinds kubectl knows: one :class:`~.view.View` per kind, from the module named after it.

Each module of :data:`MODULES` lists its views in a module-level ``VIEWS`` tuple (its columns, its
describer, its ``create`` generator): a kind added to one of these modules needs no change here; a
new module is one entry in :data:`MODULES`.
"""

from __future__ import annotations

from . import (
    configs,
    customresources,
    daemonsets,
    deployments,
    events,
    ingresses,
    namespaces,
    networkpolicies,
    nodes,
    pods,
    servicecidrs,
    services,
)
from .view import View

MODULES = (pods, nodes, namespaces, deployments, daemonsets, services, ingresses, configs, servicecidrs,
           networkpolicies, events, customresources)
"""The kubectl modules that describe kinds, each with a module-level ``VIEWS`` tuple."""
VIEWS: tuple[View, ...] = tuple(view for module in MODULES for view in module.VIEWS)
"""Every kind's view."""
BY_KIND: dict[str, View] = {view.kind: view for view in VIEWS}
"""Each kind's view."""
CREATABLE: dict[str, View] = {word: view for view in VIEWS for word in view.create_types}
"""The view of each type ``kubectl create`` takes: ``svc`` → Service."""
