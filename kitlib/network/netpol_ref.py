"""The two ends of a connection as NetworkPolicy sees them, looked up from ``src``/``dst`` text.

``Cluster.explain`` and ``Cluster.netpol_verdict`` take what ``connect`` takes (:class:`~.ref.Ref`):
``"ns/pod"``, ``"node/<name>"``, an IP, ``"external"``, and also a bare pod name in ``default``.
A pod is seen with its labels and its namespace's labels; a host-network pod, a node and the
outside world by their IP only (they match ``ipBlock`` peers and nothing else).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..api.addresses import in_cidr
from ..api.node import internal_ip
from ..api.pod import Pod
from ..errors import BadRequest
from . import netpol
from .datapath import pod_of
from .proxy import service_cidrs
from .ref import Ref
from .topology import EXTERNAL

if TYPE_CHECKING:
    from ..runtime import Runtime

NOT_ENFORCED = ("flannel does not enforce NetworkPolicy: on this cluster the connection is not filtered "
                "(the policies are stored and listed, and change nothing).\n"
                "What Calico (minikube start --cni=calico) would do:")
"""What ``explain`` says first on a cluster whose CNI does not implement policies."""


@dataclass(frozen=True)
class End:
    """One end: the :class:`~.netpol.Peer`, and a note when the address is a Service's."""

    peer: netpol.Peer
    note: str = ""


def _pod_named(rt: Runtime, ref: Ref) -> Pod:
    if ref.kind == "name" and "." not in ref.text:
        ref = Ref("pod", f"default/{ref.text}", "default", ref.text)
    pod = pod_of(rt, ref)
    if not pod.status.pod_ip:
        raise BadRequest(f'error: pod "{pod.name}" has no IP yet: it is {pod.status.phase}, '
                         "its sandbox is still being created")
    return pod


def end(rt: Runtime, text: str, policies: netpol.PolicySet) -> End:
    """Look ``text`` up as a connection's end."""
    ref = Ref.parse(text)
    if ref.kind == "external":
        return End(netpol.Peer(str(rt.topology.graph.nodes[EXTERNAL]["ip"])))
    if ref.kind == "node":
        node = rt.get("Node", ref.name)
        return End(netpol.Peer(internal_ip(node)))  # type: ignore[arg-type]  # the API's get returns a Node
    if ref.kind == "ip":
        key = rt.topology.pod_with_ip(ref.text)
        found = rt.api.store.get("Pod", key) if key else None
        if isinstance(found, Pod):
            return End(policies.peer(found, ref.text))
        if any(in_cidr(ref.text, cidr) for cidr in service_cidrs(rt)):
            return End(netpol.Peer(ref.text), f"{ref.text} is a Service address: policies see the endpoint "
                                              "pod kube-proxy picks (after DNAT); ask about that pod")
        return End(netpol.Peer(ref.text))
    return End(policies.peer(_pod_named(rt, ref)))


def verdict(rt: Runtime, src: str, dst: str, port: int, protocol: str = "TCP") -> netpol.Verdict:
    """The policies' verdict on ``src`` → ``dst`` at ``port``/``protocol`` (whatever the CNI)."""
    policies = netpol.policy_set(rt.api)
    return policies.decide(end(rt, src, policies).peer, end(rt, dst, policies).peer, port, protocol)


def explain(rt: Runtime, cni: str, src: str, dst: str, port: int, protocol: str = "TCP") -> str:
    """``verdict`` in words, after a word on flannel, which does not enforce policies."""
    policies = netpol.policy_set(rt.api)
    a, b = end(rt, src, policies), end(rt, dst, policies)
    text = policies.decide(a.peer, b.peer, port, protocol).explain()
    notes = [n for n in (a.note, b.note) if n]
    if notes:
        text += "\n" + "\n".join(f"  note: {n}" for n in notes)
    return f"{NOT_ENFORCED}\n{text}" if cni != "calico" else text
