"""hostPort: a container port published on its node's own IP by the CNI ``portmap`` plugin.

A container port with ``hostPort`` (``ports[].hostPort`` of a pod that is not ``hostNetwork``)
is not opened by the kubelet: the container runtime passes it to the CNI chain, whose ``portmap``
plugin (containernetworking/plugins ``plugins/meta/portmap/portmap.go``) writes NAT rules on
the pod's node. ``PREROUTING`` and ``OUTPUT`` jump to ``CNI-HOSTPORT-DNAT`` for packets to a
local address; that chain jumps, per pod, to ``CNI-DN-<hash>``, which DNATs
``<any local IP>:hostPort`` to ``podIP:containerPort``. So a connection to the node's IP on the
hostPort reaches the pod, and only on the node the pod runs on (other nodes have no rule).
With ``snat`` on (the default), a source in the pod's own network (the bridge's subnet; with
Calico the pod itself) is marked by ``CNI-HOSTPORT-SETMARK`` and masqueraded by
``CNI-HOSTPORT-MASQ`` (hairpin); other sources keep their address. kitlib shows these rules as
hops of the data path, not in ``cluster.iptables``.

The chain's name is ``CNI-DN-`` and 21 hex digits of SHA-512 over the network's name and the
container (sandbox) ID (``utils.MustFormatChainNameWithPrefix``); kitlib has no sandbox IDs
and hashes the pod's UID in their place.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..api.pod import Pod, uses_host_network

if TYPE_CHECKING:
    from ..runtime import Runtime

NETWORK_NAMES = {"flannel": "cbr0", "calico": "k8s-pod-network"}
"""The ``name`` of each CNI's conflist (flannel's kube-flannel.yml ``cni-conf.json``, Calico's
``10-calico.conflist``), which the chain name hashes."""
MAX_CHAIN = 28
"""iptables' longest chain name, to which portmap cuts its chain names."""


@dataclass(frozen=True)
class HostPort:
    """One published port: ``node``'s ``host_port``/``protocol`` → ``pod``'s ``pod_ip``:``container_port``."""

    pod: Pod
    node: str
    host_port: int
    container_port: int
    protocol: str
    chain: str

    @property
    def rule(self) -> str:
        """The DNAT the pod's chain does, as ``iptables -t nat -S`` would list it (shortened)."""
        return (f"-A {self.chain} -p {self.protocol.lower()} -m {self.protocol.lower()} --dport {self.host_port} "
                f"-j DNAT --to-destination {self.pod.status.pod_ip}:{self.container_port}")


def chain_name(rt: Runtime, pod: Pod) -> str:
    """The pod's ``CNI-DN-…`` chain."""
    digest = hashlib.sha512((NETWORK_NAMES.get(rt.cni, "cbr0") + (pod.metadata.uid or pod.key)).encode()).hexdigest()
    prefix = "CNI-DN-"
    return prefix + digest[:MAX_CHAIN - len(prefix)]


def on_node(rt: Runtime, node: str) -> list[HostPort]:
    """Every hostPort published on ``node``: those of its pods that have an IP and a network sandbox."""
    out = []
    for pod in rt.pods_on(node):
        # The rules live as long as the pod's sandbox: from its IP until it has finished.
        if uses_host_network(pod) or not pod.status.pod_ip or pod.status.phase in ("Succeeded", "Failed"):
            continue
        chain = ""
        for container in pod.spec.containers:
            for p in container.ports:
                if p.host_port:
                    chain = chain or chain_name(rt, pod)
                    out.append(HostPort(pod, node, p.host_port, p.container_port, p.protocol or "TCP", chain))
    return out


def lookup(rt: Runtime, node: str, port: int, protocol: str) -> HostPort | None:
    """The hostPort mapping that takes ``port``/``protocol`` on ``node``'s IP, or None."""
    return next((h for h in on_node(rt, node) if h.host_port == port and h.protocol == protocol), None)


__all__ = ["HostPort", "chain_name", "lookup", "on_node"]
