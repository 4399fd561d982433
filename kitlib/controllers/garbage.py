"""Deletion: what a DELETE sets in motion besides removing the object.

* a pod is deleted gracefully: the kubelet stops its containers first (:func:`kubelet.terminate`);
* a namespace takes everything in it along (the namespace controller);
* a Service takes its Endpoints along;
* a node takes its pods along (they are gone with the machine);
* and the garbage collector deletes what the deleted object owned (background propagation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..api.meta import KubeObject
from ..api.node import Node
from ..api.pod import Pod
from . import kubelet

if TYPE_CHECKING:
    from ..runtime import Runtime


def delete(rt: Runtime, obj: KubeObject) -> None:
    """Delete ``obj`` as the API server and the controllers behind it do."""
    api = rt.api
    if isinstance(obj, Pod):
        kubelet.terminate(rt, obj)
    elif obj.kind == "Namespace":
        for kind in list(api.store.kinds()):
            for child in api.store.items(kind, obj.name):
                if child.namespaced:
                    delete(rt, child)
        api.delete(obj)
    elif obj.kind == "Service":
        api.delete(obj)
        endpoints = api.store.get("Endpoints", obj.key)
        if endpoints is not None:
            api.delete(endpoints)
        collect(rt, obj)
    elif isinstance(obj, Node):
        for pod in api.pods_on(obj.name):
            api.delete(pod)
        rt.topology.remove_node(obj)
        api.delete(obj)
    else:
        api.delete(obj)
        collect(rt, obj)


def collect(rt: Runtime, owner: KubeObject) -> None:
    """Delete every object whose controller owner is ``owner``."""
    for child in rt.api.owned(owner):
        if child.metadata.deletion_timestamp is None:
            delete(rt, child)
