"""The pod network as a graph: every interface a packet crosses is a vertex.

Built as flannel builds it on each node:

* each pod's ``eth0`` is one end of a veth pair; the other end (``vethXXXXXXXX``) is a port
  of the node's ``cni0`` bridge, whose address (``10.244.N.1``) is the pods' gateway;
* the node's kernel routes between ``cni0``, its ``eth0`` on the node network, and
  ``flannel.1``, a VXLAN device (``10.244.N.0``) with a route to every other node's podCIDR;
* between ``flannel.1`` devices the overlay carries pod packets wrapped in UDP/8472 over the
  node network (the underlay).

Edges carry a ``layer``: ``pod`` (veth and bridge), ``host`` (inside a node's kernel),
``overlay`` (VXLAN tunnels) and ``underlay`` (the node network). Paths are found on views
of the graph restricted to the layers a packet can use, so the shortest path is the route.

On a Calico cluster (:mod:`kitlib.network.calico`) there is no bridge: each pod's veth
(``cali`` + 11 hex digits) plugs straight into the node's kernel, and ``tunl0`` (kind ``ipip``,
its block's first address) carries IP-in-IP packets to the other nodes.
"""

from __future__ import annotations

import ipaddress
import random

import networkx as nx

from ..api.node import Node, internal_ip
from ..api.pod import Pod
from ..names import hex_id
from .calico import TUNNEL, veth_name

LAN = "lan"
EXTERNAL = "external"


def pod_vertex(pod_key: str) -> str:
    return f"pod:{pod_key}"


class Topology:
    """The network graph of a cluster, kept in step with its nodes and pods."""

    def __init__(self, node_cidr: str, rng: random.Random, cni: str = "flannel") -> None:
        self.rng = rng  # the cluster's: flannel's veth names are drawn from it
        self.cni = cni
        self.graph = nx.Graph()
        gateway = str(ipaddress.ip_network(node_cidr).network_address + 1)
        self.graph.add_node(LAN, kind="switch", label=f"node network {node_cidr}")
        self.graph.add_node(EXTERNAL, kind="client", ip=gateway, label=f"outside ({gateway})")
        self.graph.add_edge(EXTERNAL, LAN, layer="underlay")
        self._veths: dict[str, str] = {}
        self._pods_by_ip: dict[str, str] = {}
        # Each node's vertex the pods' veths plug into (cni0, or Calico's kernel), by node name:
        # the same text every time, so one string serves all its pods (str is immutable, and the
        # vertex is looked up by its text: nothing can go stale).
        self._ports: dict[str, str] = {}

    def add_node(self, node: Node, tunnel_ip: str | None = None) -> None:
        """Plug a node in: its kernel, eth0 and the CNI's devices (``tunnel_ip``: Calico's tunl0 address)."""
        g, n = self.graph, node.name
        if self.cni == "calico":
            g.add_node(f"kernel:{n}", kind="host", node=n, label="routing table")
            g.add_node(f"{TUNNEL}:{n}", kind="ipip", node=n, ip=tunnel_ip or "", label=TUNNEL)
            g.add_node(f"eth0:{n}", kind="nic", node=n, ip=internal_ip(node), label="eth0")
            g.add_edge(f"{TUNNEL}:{n}", f"kernel:{n}", layer="host")
            g.add_edge(f"eth0:{n}", f"kernel:{n}", layer="host")
            g.add_edge(f"eth0:{n}", LAN, layer="underlay")
            for other in [v for v, d in g.nodes(data=True) if d.get("kind") == "ipip" and d["node"] != n]:
                g.add_edge(f"{TUNNEL}:{n}", other, layer="overlay")
            return
        net = ipaddress.ip_network(node.spec.pod_cidr or "")
        g.add_node(f"kernel:{n}", kind="host", node=n, label="routing table")
        g.add_node(f"cni0:{n}", kind="bridge", node=n, ip=str(net.network_address + 1), label="cni0")
        g.add_node(f"flannel.1:{n}", kind="vxlan", node=n, ip=str(net.network_address), label="flannel.1")
        g.add_node(f"eth0:{n}", kind="nic", node=n, ip=internal_ip(node), label="eth0")
        g.add_edge(f"cni0:{n}", f"kernel:{n}", layer="host")
        g.add_edge(f"flannel.1:{n}", f"kernel:{n}", layer="host")
        g.add_edge(f"eth0:{n}", f"kernel:{n}", layer="host")
        g.add_edge(f"eth0:{n}", LAN, layer="underlay")
        for other in [v for v, d in g.nodes(data=True) if d.get("kind") == "vxlan" and d["node"] != n]:
            g.add_edge(f"flannel.1:{n}", other, layer="overlay")

    def remove_node(self, node: Node) -> None:
        for v in [v for v, d in self.graph.nodes(data=True) if d.get("node") == node.name]:
            self.graph.remove_node(v)

    def add_pod(self, pod: Pod) -> str:
        """Wire a pod's sandbox: a veth pair from its eth0 to the node's bridge."""
        n = pod.spec.node_name or ""
        key = pod.key  # once: pod_vertex(key) and both maps below
        calico = self.cni == "calico"
        # Calico's name is a hash of the pod's name (no draw); flannel's bridge plugin draws one.
        veth = veth_name(pod.namespace or "", pod.name) if calico else "veth" + hex_id(self.rng, 8)
        self._veths[key] = veth
        port = self._ports.get(n)
        if port is None:
            port = self._ports[n] = f"kernel:{n}" if calico else f"cni0:{n}"
        pv, vv = "pod:" + key, f"veth:{n}:{veth}"  # pod_vertex(key), inline
        g = self.graph
        nodes, adj = g._node, g._adj  # noqa: SLF001 - the dicts Graph.add_node and add_edge fill
        ip = pod.status.pod_ip
        if pv in nodes or vv in nodes or port not in nodes:
            g.add_node(pv, kind="pod", node=n, ip=ip, label=pod.name)
            g.add_node(vv, kind="veth", node=n, label=veth)
            g.add_edge(pv, vv, layer="pod")
            g.add_edge(vv, port, layer="pod")
        else:
            # The same four calls written into the graph's own dicts, in the order they fill them
            # (a Graph's adjacency and attribute dicts are plain dicts; an edge's data dict is
            # shared by its two directions): half the cost, paid by every pod that starts.
            nodes[pv] = {"kind": "pod", "node": n, "ip": ip, "label": pod.name}
            nodes[vv] = {"kind": "veth", "node": n, "label": veth}
            inner, outer = {"layer": "pod"}, {"layer": "pod"}
            adj[pv] = {vv: inner}
            adj[vv] = {pv: inner, port: outer}
            adj[port][vv] = outer
            nx._clear_cache(g)  # noqa: SLF001 - what add_node and add_edge end with
        self._pods_by_ip[ip or ""] = key
        return veth

    def remove_pod(self, pod: Pod) -> None:
        veth = self._veths.pop(pod.key, None)
        if veth is None:
            return
        self.graph.remove_node(pod_vertex(pod.key))
        self.graph.remove_node(f"veth:{pod.spec.node_name}:{veth}")
        if self._pods_by_ip.get(pod.status.pod_ip or "") == pod.key:
            del self._pods_by_ip[pod.status.pod_ip or ""]

    def veth(self, pod_key: str) -> str | None:
        return self._veths.get(pod_key)

    def pod_with_ip(self, ip: str) -> str | None:
        """The ``namespace/name`` of the pod whose sandbox has ``ip``."""
        return self._pods_by_ip.get(ip)

    def path(self, a: str, b: str, layers: set[str]) -> list[str]:
        """The route from vertex ``a`` to ``b`` using only edges of ``layers``."""
        view = nx.subgraph_view(self.graph, filter_edge=lambda u, v: self.graph[u][v]["layer"] in layers)
        return nx.bidirectional_shortest_path(view, a, b)
