"""kube-proxy: what each node's rules do with a packet sent to a Service address.

Every node runs kube-proxy. It watches Services and EndpointSlices and programs the node's
kernel so that a packet to a Service address is DNATed to one endpoint:

* **iptables mode** (the default): NAT rules. ``KUBE-SERVICES`` matches the ClusterIP,
  external IPs and LoadBalancer IPs (and, last, ``-m addrtype --dst-type LOCAL`` sends node
  addresses to ``KUBE-NODEPORTS``); ``KUBE-SVC-…`` picks an endpoint with a chain of
  ``-m statistic --mode random --probability 1/n, 1/(n-1), …`` rules; ``KUBE-SEP-…`` DNATs.
* **nftables mode** (GA since Kubernetes 1.33): one table, ``ip kube-proxy``. The ``services``
  chain looks the destination up in the ``service-ips`` and ``service-nodeports`` verdict maps
  (one lookup, however many Services), which ``goto`` the port's ``service-…`` chain; there one
  rule, ``numgen random mod N vmap { … }``, picks an ``endpoint-…`` chain, which DNATs.
* **IPVS mode** (deprecated since Kubernetes 1.35, :data:`IPVS_DEPRECATION`): each Service
  address is a virtual server whose real servers are the endpoints, scheduled round robin (``rr``).

The modules, one job each:

==================  ==========================================================================
``servicemap``      kube-proxy's service and endpoint maps (:class:`ProxyView`), and which
                    endpoints one node uses (``categorize``)
``chains``          the chain names (hashes): ``KUBE-SVC-``/``SVL-``/``EXT-``/``SEP-`` (iptables),
                    ``service-``/``local-``/``external-``/``endpoint-``/``affinity-`` (nftables)
``rules``           the nat table's rules as data (``Rule``, ``Chain``, ``NatTable``)
``firewall``        the filter table (kube-proxy's firewall, the kubelet's and flannel's chains),
                    the mangle table's canaries and flannel's nat chain
``iptables``        those rules as ``iptables-save`` prints them
``nftrules``        the ``ip kube-proxy`` table as data (``Rule``, ``Chain``, ``Set``, ``Table``)
``nft``             that table as ``nft list table ip kube-proxy`` prints it
``ipvs``            IPVS virtual servers and ``ipvsadm -Ln``
``packets``         where a packet meets the rules and what they do with it (``decide``)
``balance``         which endpoint new connections get (statistic chain, numgen, round robin,
                    affinity)
==================  ==========================================================================

This module is kube-proxy itself on the nodes: its per-cluster state (:func:`view`,
:func:`reset`, :func:`started`), which endpoints each node uses for a Service
(:func:`node_endpoints`, topology included), the Service ranges it knows (:func:`service_cidrs`)
and what its nodes' commands print
(:func:`nat_table`, :func:`filter_table`, :func:`iptables_save`, :func:`nft_table`, :func:`nft_list`, :func:`ipvsadm`).
"""

from __future__ import annotations

import functools
import gc
import ipaddress
import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, cast

from ...api.node import Node, internal_ip
from ...clock import EPOCH
from ...errors import InvalidArgument, NotFound
from . import firewall, iptables, ipvs, nft, nftrules, rules
from .servicemap import NodeRules, ProxyView

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ...api.discovery import EndpointSlice
    from ...api.service import Service
    from ...api.servicecidr import ServiceCIDR
    from ...runtime import Runtime


@dataclass
class ProxyRuntime:
    """What the nodes' kernels remember between connections: the ``recent`` lists of session
    affinity, the IPVS round-robin positions and persistence templates, and the random stream
    the kernel's ``-m statistic`` draws from (separate from the cluster's, so that sending
    traffic does not change the names and addresses the cluster hands out)."""

    rng: random.Random
    recent: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)
    rr: dict[tuple[str, str], str] = field(default_factory=dict)
    persist: dict[tuple[str, str, str], tuple[str, float]] = field(default_factory=dict)


MODES = ("iptables", "nftables", "ipvs")
"""kube-proxy's modes on Linux (``--proxy-mode``); ``iptables`` is the default."""
IPVS_DEPRECATION = ("The ipvs proxier is now deprecated and may be removed in a future release. "
                    "Please use 'nftables' instead.")
"""What kube-proxy (1.35 and later) logs when it starts in IPVS mode, and records as a Warning
event ``IPVSDeprecation`` on its Node (``createProxier`` in ``cmd/kube-proxy/app/server_linux.go``)."""
NO_TABLE = "Error: No such file or directory\nlist table ip kube-proxy\n              ^^^^^^^^^^"
"""What ``nft list table ip kube-proxy`` says where kube-proxy is not in nftables mode (it deletes
its table when it starts in another mode)."""


def view(rt: Runtime) -> ProxyView:
    """kube-proxy's view of the API now (kept on the runtime until the store's revision moves)."""
    store = rt.api.store
    cached = rt.proxy_view
    if cached is None or cached.revision != store.revision:
        # The store keeps a kind's own class.
        cached = rt.proxy_view = ProxyView(store.revision, cast("Iterable[Service]", store.objects("Service")),
                                           cast("Iterable[EndpointSlice]", store.objects("EndpointSlice")),
                                           rt.nodes())
    return cached


def _node_name(rt: Runtime, node: str) -> str:
    """``node`` without a ``node/`` prefix, or NotFound as kubectl words it."""
    if node.startswith("node/"):
        node = node[5:]
    if rt.api.store.get("Node", node) is None:
        raise NotFound(f'nodes "{node}" not found')
    return node


def node_endpoints(rt: Runtime, service: str, namespace: str = "default",
                   port: int | str | None = None) -> dict[str, NodeRules]:
    """Which endpoints each node's kube-proxy uses for one port of ``service`` (the first port
    unless ``port`` gives its number or name), by node name: ``CategorizeEndpoints``, with the
    topology hints applied (:attr:`NodeRules.topology`). Empty for a Service kube-proxy ignores
    (headless, ExternalName)."""
    svc = rt.api.get("Service", service, namespace)
    spec = svc.spec  # type: ignore[attr-defined]  # the API's get returns a Service for "Service"
    chosen = spec.ports[0] if port is None and spec.ports else next(
        (p for p in spec.ports if port in (p.port, p.name) and not isinstance(port, bool)), None)
    if chosen is None:
        listed = ", ".join(f"{p.port}" + (f" ({p.name})" if p.name else "") for p in spec.ports) or "none"
        raise InvalidArgument(f"service {namespace}/{service} has no port {port!r} (its ports: {listed})")
    v = view(rt)
    sp = next((sp for sp in v.ports if sp.namespace == namespace and sp.name == service
               and sp.port_name == (chosen.name or "") and sp.protocol == (chosen.protocol or "TCP")), None)
    if sp is None:
        return {}
    return {n.name: v.rules(sp, n.name) for n in rt.nodes()}


def reset(rt: Runtime) -> None:
    """Forget affinity and round-robin state (kube-proxy restarted in another mode)."""
    state = rt.proxy_state
    state.recent.clear()
    state.rr.clear()
    state.persist.clear()


def started(rt: Runtime, node: str) -> None:
    """kube-proxy started on ``node`` in the cluster's mode: in IPVS mode it records the
    deprecation warning as an event on the Node (``kubectl get events`` shows it)."""
    if rt.proxy_mode == "ipvs":
        obj = rt.api.store.get("Node", node)
        if obj is not None:
            rt.api.record_event(obj, "IPVSDeprecation", IPVS_DEPRECATION, "kube-proxy", "Warning")


def nat_table(rt: Runtime, node: str) -> rules.NatTable:
    """kube-proxy's nat table on ``node`` as data, in the cluster's proxy mode."""
    node = _node_name(rt, node)
    if rt.proxy_mode == "ipvs":
        return rules.ipvs_nat_table(rt.config.pod_cidr)
    if rt.proxy_mode == "nftables":
        return rules.empty_nat_table()
    return rules.nat_table(view(rt), node, rt.config.pod_cidr)


def filter_table(rt: Runtime, node: str) -> rules.NatTable:
    """The filter table on ``node`` as data: kube-proxy's firewall (iptables mode), the kubelet's
    and flannel's chains (see :mod:`.firewall`)."""
    node = _node_name(rt, node)
    return firewall.filter_table(view(rt), node, rt.proxy_mode, rt.config.pod_cidr, rt.cni)


TABLES = ("nat", "filter", "mangle")
"""The tables ``iptables(node, table=...)`` prints; ``None`` prints them all."""


def iptables_save(rt: Runtime, node: str, table: str | None = "nat") -> str:
    """What ``iptables-save -t nat`` prints of kube-proxy's chains on ``node``; ``table="filter"``
    or ``"mangle"`` prints that table, ``table=None`` the whole ``iptables-save`` (mangle, filter,
    nat, as iptables-save orders them, with flannel's ``FLANNEL-POSTRTG`` in nat).

    Two things differ from a real dump: the packet counters are ``[0:0]``, and services come
    in sorted order (kube-proxy writes them in Go map order, which changes at every sync). In
    IPVS mode the nat table holds only the ipset-based masquerade rules; see :func:`ipvsadm`. In
    nftables mode kube-proxy has removed its iptables chains; see :func:`nft_list`. The nat table
    alone keeps to kube-proxy's and the kubelet's chains, as the lessons show it.
    """
    if table is not None and table not in TABLES:
        raise InvalidArgument(f'unknown table "{table}": iptables-save -t takes {", ".join(TABLES)} '
                              "(or table=None for every table)")
    when = (EPOCH + timedelta(seconds=int(rt.now))).ctime()
    # A large cluster's table has hundreds of thousands of rules, all alive until printed and then
    # freed by reference counting: collections triggered meanwhile (full ones among them) would
    # find nothing to free, so the collector waits until the table is gone.
    enabled = gc.isenabled()
    gc.disable()
    try:
        if table == "nat":
            return iptables.save(nat_table(rt, node), when)
        if table == "filter":
            return iptables.save(filter_table(rt, node), when, "filter")
        node = _node_name(rt, node)
        mangle = iptables.save(firewall.mangle_table(rt.proxy_mode), when, "mangle")
        if table == "mangle":
            return mangle
        obj = cast(Node, rt.api.store.get("Node", node))  # the store keeps a kind's own class
        nat = nat_table(rt, node)
        if rt.cni == "flannel":
            nat = firewall.with_flannel(nat, rt.config.pod_cidr, obj.spec.pod_cidr or "")
        return mangle + iptables.save(filter_table(rt, node), when, "filter") + iptables.save(nat, when)
    finally:
        if enabled:
            gc.enable()


def service_cidrs(rt: Runtime) -> tuple[str, ...]:
    """The Service ranges kube-proxy knows: the IPv4 CIDRs of every ServiceCIDR, each once (its
    ServiceCIDR informer's set, ``OnServiceCIDRsChanged``), a ServiceCIDR being deleted included.
    Go hands them over in its set's random order; here they are in address order, as ``nft`` lists
    an interval set (minikube's cluster has one, 10.96.0.0/12)."""
    return _ipv4_in_order(tuple(c for obj in rt.api.store.objects("ServiceCIDR")
                                for c in cast("ServiceCIDR", obj).spec.cidrs))


@functools.lru_cache(maxsize=64)
def _ipv4_in_order(cidrs: tuple[str, ...]) -> tuple[str, ...]:
    nets: set[ipaddress.IPv4Network] = set()
    for cidr in cidrs:
        try:
            net = ipaddress.ip_network(cidr)
        except ValueError:
            continue
        if isinstance(net, ipaddress.IPv4Network):
            nets.add(net)
    return tuple(str(n) for n in sorted(nets, key=lambda n: (int(n.network_address), n.prefixlen)))


def nft_table(rt: Runtime, node: str) -> nftrules.Table:
    """kube-proxy's ``ip kube-proxy`` table on ``node`` as data (nftables mode only: NotFound,
    in nft's words, in the other modes, where kube-proxy has deleted the table)."""
    node = _node_name(rt, node)
    if rt.proxy_mode != "nftables":
        raise NotFound(NO_TABLE, printed=True)
    obj = cast(Node, rt.api.store.get("Node", node))  # the store keeps a kind's own class
    # The affinity sets' elements: the clients the endpoint chains' "update" rules recorded.
    held = {name: clients for (n, name), clients in rt.proxy_state.recent.items()
            if n == node and name.startswith("affinity-")}
    return nftrules.table(view(rt), node, internal_ip(obj), rt.config.pod_cidr, service_cidrs(rt), held, rt.now)


def nft_list(rt: Runtime, node: str) -> str:
    """What ``nft list table ip kube-proxy`` prints on ``node`` (see :mod:`.nft`)."""
    enabled = gc.isenabled()
    gc.disable()  # as for iptables_save: a large table is freed by reference counting
    try:
        return nft.list_table(nft_table(rt, node))
    finally:
        if enabled:
            gc.enable()


def ipvsadm(rt: Runtime, node: str) -> str:
    """What ``ipvsadm -Ln`` prints on ``node`` (the virtual servers of IPVS mode)."""
    node = _node_name(rt, node)
    return ipvs.ipvsadm_text(view(rt), node)
