"""The resource types the simulated API server serves, with kubectl's names for them."""

from __future__ import annotations

from dataclasses import dataclass

from .apps import Deployment, ReplicaSet
from .discovery import Endpoints, EndpointSlice
from .meta import KubeObject
from .namespace import Namespace
from .networking import Ingress, IngressClass
from .node import Node
from .pod import Pod
from .secret import Secret
from .service import Service


@dataclass(frozen=True)
class Resource:
    """A resource type: ``deployments.apps`` is plural ``deployments`` in group ``apps``."""

    cls: type[KubeObject]
    plural: str
    short_names: tuple[str, ...] = ()

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


RESOURCES: dict[str, Resource] = {}


def register(resource: Resource) -> Resource:
    """Serve a resource type (later modules add Services, EndpointSlices, ...)."""
    RESOURCES[resource.kind] = resource
    return resource


for _r in (
    Resource(Namespace, "namespaces", ("ns",)),
    Resource(Node, "nodes", ("no",)),
    Resource(Pod, "pods", ("po",)),
    Resource(Deployment, "deployments", ("deploy",)),
    Resource(ReplicaSet, "replicasets", ("rs",)),
    Resource(Service, "services", ("svc",)),
    Resource(Endpoints, "endpoints", ("ep",)),
    Resource(EndpointSlice, "endpointslices", ()),
    Resource(Secret, "secrets", ()),
    Resource(Ingress, "ingresses", ("ing",)),
    Resource(IngressClass, "ingressclasses", ()),
):
    register(_r)


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
