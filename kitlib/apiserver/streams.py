"""Which random generator a draw about an object comes from.

A cluster draws names, UIDs and timings from one seeded generator (:attr:`ApiServer.rng`), so the
same seed gives the same cluster. The node components that minikube runs besides CoreDNS
(kube-proxy, flannel, the static control-plane pods, storage-provisioner) draw from a second
stream, :attr:`ApiServer.system_rng`, seeded from the same seed: their pod names, UIDs, start-up
times and container IDs are as deterministic as the rest, and they take nothing from the stream
the lessons' own pods and Services draw from, so these keep the names and IPs they had before
the system pods existed (as IPAddresses and ServiceCIDRs use ``uid_rng``).

What counts as such a component is a fact of the object, not of who wrote it: a pod on its node's
network (``hostNetwork``) in ``kube-system`` or ``kube-flannel``, a DaemonSet stamping out such
pods, anything in the CNI's own namespace ``kube-flannel`` (the Namespace too), and Calico's
``calico-kube-controllers`` (label ``k8s-app``) in ``kube-system``. A learner's
DaemonSet in ``default`` draws from the main stream like any workload.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from ..api.meta import KubeObject

if TYPE_CHECKING:
    from .server import ApiServer

SYSTEM_NAMESPACES = ("kube-system", "kube-flannel")
"""The namespaces minikube's node components run in."""
CNI_NAMESPACE = "kube-flannel"
CALICO_CONTROLLERS = "calico-kube-controllers"


def is_node_component(obj: KubeObject) -> bool:
    """Whether draws about ``obj`` come from the system stream (see the module docstring)."""
    if obj.kind == "Namespace":
        return obj.metadata.name == CNI_NAMESPACE
    namespace = obj.metadata.namespace
    if namespace == CNI_NAMESPACE:
        return True
    if namespace not in SYSTEM_NAMESPACES:
        return False
    if obj.metadata.labels.get("k8s-app") == CALICO_CONTROLLERS:
        return True  # Calico's controller Deployment, its ReplicaSet and pod: a CNI component
    spec = getattr(obj, "spec", None)
    template = getattr(spec, "template", None)
    pod_spec = template.spec if template is not None else spec
    return bool(getattr(pod_spec, "host_network", False))


def stream_for(api: ApiServer, obj: KubeObject) -> random.Random:
    """The generator a draw about ``obj`` (its UID, its name's suffix, its kubelet's timings) uses.

    A namespace's ``default`` ServiceAccount, which the ServiceAccount controller makes for every
    namespace (the lessons' too), draws from a generator of its own, seeded from its namespace and
    the store's revision: no stream's draws move, so names and IPs stay as they were before kitlib
    had ServiceAccounts."""
    if obj.kind == "ServiceAccount" and obj.metadata.name == "default":
        return random.Random(f"{obj.metadata.namespace}/default/{api.store.revision}")
    return api.system_rng if is_node_component(obj) else api.rng
