"""The resource types the simulated API server serves, with kubectl's names for them.

Each module of :data:`MODULES` lists its kinds in its own ``RESOURCES`` tuple: a kind added to one
of these modules is served without a change here; a new module of kinds is one entry in
:data:`MODULES`.

The kinds of :data:`CUSTOM` are custom resources: kitlib knows them, but a cluster serves them
only while their CustomResourceDefinition exists there (``ApiServer.custom``).
"""

from __future__ import annotations

from . import (
    apps,
    config,
    crd,
    discovery,
    event,
    gateway,
    namespace,
    networking,
    networkpolicy,
    node,
    pod,
    service,
    servicecidr,
)
from .meta import KubeObject
from .resource import Resource

__all__ = ["CUSTOM", "MODULES", "RESOURCES", "Resource", "for_object", "lookup", "register", "register_custom"]

MODULES = (namespace, node, pod, apps, service, discovery, config, event, networking, servicecidr, networkpolicy,
           gateway, crd)
"""The API modules that define kinds, each with a module-level ``RESOURCES`` tuple."""
RESOURCES: dict[str, Resource] = {}
"""Each served kind's resource type, by kind."""
CUSTOM: set[str] = {r.kind for r in gateway.RESOURCES}
"""The kinds served only through a CustomResourceDefinition: the Gateway API's, and every kind a
cluster's CRD defined that kitlib serves generically (:func:`register_custom`). Knowing a kind is
process-wide; serving it is each cluster's (``ApiServer.custom``)."""


def register(resource: Resource) -> Resource:
    """Serve a resource type."""
    RESOURCES[resource.kind] = resource
    return resource


for _module in MODULES:
    for _r in _module.RESOURCES:
        register(_r)


def register_custom(resource: Resource) -> Resource:
    """Know a custom kind from now on (its objects' class, its names); clusters serve it only
    while they have its CustomResourceDefinition. The first definition of a kind name wins."""
    if resource.kind not in RESOURCES:
        register(resource)
        CUSTOM.add(resource.kind)
    return RESOURCES[resource.kind]


def lookup(name: str) -> Resource | None:
    """Find a resource by any name kubectl accepts: ``pods``, ``pod``, ``po``, ``Pod``, ``deployments.apps``."""
    low = name.lower()
    for r in RESOURCES.values():
        names = {r.plural, r.singular, r.kind.lower(), r.qualified, r.type_name, *r.short_names}
        if low in names:
            return r
    return None


def for_object(obj: KubeObject) -> Resource:
    return RESOURCES[obj.kind]
