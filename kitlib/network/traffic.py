"""Many requests at once: where N connections to an address land, and which ones fail.

``cluster.traffic(src, dst, port, requests=N)`` sends N new connections from one client. For
a Service address, the node whose kube-proxy handles them DNATs each one exactly as the
kernel would (the ``-m statistic`` chain, IPVS round robin, session affinity), so the counts
per pod have the distribution of N separate requests, without looping N times: the
statistic chain is itself a sequence of binomial draws. Every distinct path (one per
endpoint) is then traced once with :func:`kitlib.Cluster.connect`'s data path.

With ``duration=seconds`` the requests are spread evenly over that much simulated time and
the clock advances with them: requests sent while a dead pod is still a ready endpoint (a
failed node's pods stay ready for the 50 s before the node controller notices) fail, and
are counted with their reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..api.addresses import in_cidr
from ..api.node import Node, node_zone
from ..errors import ApiError, BadRequest
from . import datapath, dns, proxy
from .proxy import balance, packets
from .ref import Ref

if TYPE_CHECKING:
    from ..runtime import Runtime


@dataclass
class Traffic:
    """The outcome of :meth:`kitlib.Cluster.traffic`.

    ``served`` counts the requests each pod answered (``ip/<address>`` for an endpoint that is
    not a pod, such as the API server); ``flows`` counts the requests each entry node's
    kube-proxy sent to each endpoint, answered or not (a request DNATed to a pod on a dead
    node is in ``flows`` but not in ``served``); requests refused or dropped by kube-proxy
    itself count in ``entry_nodes`` only.
    """

    requests: int
    served: dict[str, int] = field(default_factory=dict)
    failed: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    entry_nodes: dict[str, int] = field(default_factory=dict)
    flows: dict[tuple[str, str], int] = field(default_factory=dict)
    service: str | None = None
    address: str = ""
    kind: str = ""
    """``ClusterIP``, ``NodePort``, ``LoadBalancer``, ``ExternalIP`` (a Service address) or
    ``Pod``, ``Node``, ``Other`` (plain routing)."""
    src: str = ""
    port: int = 0
    protocol: str = "TCP"
    duration: float | None = None
    sent_at: float | None = None
    """The simulated second the first request was sent (``cluster.now`` then)."""
    pod_nodes: dict[str, str | None] = field(default_factory=dict)
    """Endpoint key -> the node it runs on (what :attr:`by_node` groups by)."""
    node_zones: dict[str, str] = field(default_factory=dict)
    """Node -> its ``topology.kubernetes.io/zone`` label, for the nodes in :attr:`pod_nodes` that
    have one (what :attr:`by_zone` groups by)."""

    @property
    def ok(self) -> int:
        """How many requests were answered."""
        return self.requests - self.failed

    @property
    def by_node(self) -> dict[str, int]:
        """Answered requests per node of the pod that answered them."""
        out: dict[str, int] = {}
        for key, n in self.served.items():
            node = self.pod_nodes.get(key) or "?"
            out[node] = out.get(node, 0) + n
        return dict(sorted(out.items()))

    @property
    def by_zone(self) -> dict[str, int]:
        """Answered requests per zone of the node of the pod that answered them (``?``: no zone)."""
        out: dict[str, int] = {}
        for key, n in self.served.items():
            zone = self.node_zones.get(self.pod_nodes.get(key) or "") or "?"
            out[zone] = out.get(zone, 0) + n
        return dict(sorted(out.items()))

    def share(self, key: str) -> float:
        """The fraction of all requests that ``key`` answered."""
        return self.served.get(key, 0) / self.requests if self.requests else 0.0

    def __str__(self) -> str:
        target = f"{self.address}:{self.port}/{self.protocol}"
        what = f"{self.kind} of {self.service}" if self.service else self.kind
        span = f" over {self.duration:g} s" if self.duration else ""
        lines = [f"{self.requests} requests from {self.src} to {target} ({what}){span}: "
                 f"{self.ok} answered, {self.failed} failed"]
        width = max((len(k) for k in self.served), default=0)
        for key, n in sorted(self.served.items(), key=lambda kv: (-kv[1], kv[0])):
            node = self.pod_nodes.get(key) or "?"
            pct = 100 * n / self.requests if self.requests else 0
            lines.append(f"  {key:<{width}}  on {node:<14} {n:>9}  {pct:5.1f}%")
        for reason, n in sorted(self.reasons.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  failed {n}: {reason}")
        if self.entry_nodes:
            lines.append("  kube-proxy on: " + ", ".join(f"{k} {v}" for k, v in sorted(self.entry_nodes.items())))
        return "\n".join(lines)

    def _repr_pretty_(self, p, cycle) -> None:  # IPython shows the readable form
        p.text(str(self))

    def fail(self, n: int, reason: str) -> None:
        if not n:
            return
        self.failed += n
        self.reasons[reason] = self.reasons.get(reason, 0) + n

    def serve(self, key: str, node: str | None, n: int) -> None:
        self.served[key] = self.served.get(key, 0) + n
        self.pod_nodes.setdefault(key, node)


def traffic(rt: Runtime, src: str, dst: str, port: int, requests: int = 1, protocol: str = "TCP",
            duration: float | None = None) -> Traffic:
    """Send ``requests`` new connections from ``src`` to ``dst:port`` (see the module docstring)."""
    result = _traffic(rt, src, dst, port, requests, protocol, duration)
    for node in sorted({n for n in result.pod_nodes.values() if n}):
        obj = rt.api.store.get_as(Node, node)
        if obj is not None and node_zone(obj):
            result.node_zones[node] = node_zone(obj)
    return result


def _traffic(rt: Runtime, src: str, dst: str, port: int, requests: int, protocol: str,
             duration: float | None) -> Traffic:
    if isinstance(requests, bool) or not isinstance(requests, int) or requests < 0:
        raise BadRequest(f"error: requests must be a whole number of at least 0, not {requests!r}")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, (int, float))
                                 or not duration > 0 or math.isinf(duration)):
        raise BadRequest(f"error: duration must be a number of seconds greater than 0, not {duration!r}")
    protocol = datapath.check_port(port, protocol)
    s = datapath.resolve_source(rt, Ref.parse(src))
    target = Ref.parse(dst)
    if not target.is_dns_name:
        datapath.resolve_destination(rt, target)  # a bad destination fails before anything is sent
    result = Traffic(requests, src=src, port=port, protocol=protocol, duration=duration, sent_at=rt.now)
    if duration is None:
        _send(rt, result, s, target, port, protocol, requests, rt.now, rt.now)
        return result
    start, step = rt.now, duration / requests if requests else 0.0
    end = start + duration
    j = 0
    while j < requests:
        t = start + j * step
        rt.advance(max(0.0, t - rt.now))
        nxt = rt.clock.next_due()
        if nxt is None or nxt >= end:
            k = requests - j
        else:
            # The requests sent before the next thing happens all see the cluster as it is now.
            k = max(1, min(requests - j, math.ceil((nxt - start) / step) - j))
        _send(rt, result, s, target, port, protocol, k, t, start + (j + k - 1) * step)
        j += k
    if not requests:
        _send(rt, result, s, target, port, protocol, 0, rt.now, rt.now)
    rt.advance(max(0.0, end - rt.now))
    return result


def _send(rt: Runtime, t: Traffic, s: datapath.Source, dst: Ref, port: int, protocol: str, n: int,
          first: float, last: float) -> None:
    """``n`` requests sent between ``first`` and ``last``, all meeting the cluster as it is now.

    A DNS name is looked up first, as the client's resolver would. When the answer has several
    addresses (a headless Service), CoreDNS's ``loadbalance`` plugin shuffles them in every
    reply and the client dials the first, so the requests spread evenly over them.
    """
    if not dst.is_dns_name:
        _send_to(rt, t, s, dst, port, protocol, n, first, last)
        return
    answer = dns.lookup_for(rt, s.ref, dst.text)
    addresses = answer.addresses if answer.ok else []
    if not addresses:
        t.kind = t.kind or "Other"
        t.address = t.address or dst.text
        t.fail(n, f"{dst.text} does not resolve: {answer.reason}")
        return
    rng = rt.proxy_state.rng
    remaining = n
    for i, address in enumerate(addresses):
        k = remaining if i == len(addresses) - 1 else balance.binomial(rng, remaining, 1 / (len(addresses) - i))
        if k or i == 0:
            _send_to(rt, t, s, Ref.parse(address), port, protocol, k, first, last)
        remaining -= k


def _send_to(rt: Runtime, t: Traffic, s: datapath.Source, dst: Ref, port: int, protocol: str, n: int,
             first: float, last: float) -> None:
    try:
        dst_ip, dst_pod, dst_node = datapath.resolve_destination(rt, dst)
    except ApiError as err:
        t.fail(n, str(err))
        return
    t.address = dst_ip or t.address
    if not dst_ip:
        t.kind = t.kind or "Pod"
        if n:
            t.fail(n, datapath.connect_from(rt, s, dst, port, protocol).reason)
        return
    if s.node and not rt.node_runtime(s.node).up:
        t.fail(n, datapath.source_down_reason(s.node))
        return
    entry = packets.entry_for(rt, s.kind, s.node, s.ip, dst_ip, port, protocol)
    if entry is None:
        t.kind = _kind(rt, dst_ip, dst_pod, dst_node)
        if n:
            conn = datapath.route(rt, s, dst_ip, dst_pod, dst_node, port, protocol)
            if conn.ok:
                key = conn.pod or f"ip/{dst_ip}"
                node = dst_pod.spec.node_name if dst_pod is not None else dst_node
                t.serve(key, node, n)
            else:
                t.fail(n, conn.reason)
        return
    t.kind, t.service = entry.kind, entry.service_port.service
    if not n:
        return
    if entry.node is None:
        t.fail(n, entry.reason)
        return
    down = datapath.entry_down(rt, s, entry)
    if down is not None:
        t.fail(n, down)
        return
    t.entry_nodes[entry.node] = t.entry_nodes.get(entry.node, 0) + n
    decision = packets.decide(rt, entry)
    if decision.action != "dnat":
        t.fail(n, decision.reason)
        return
    for ep, c in balance.choose(rt, entry, decision, n, first, last):
        conn = datapath.via_endpoint(rt, s, entry, decision, ep, dst_ip, port, protocol)
        flow = (entry.node, ep.key)
        t.flows[flow] = t.flows.get(flow, 0) + c
        if conn.ok:
            t.serve(conn.pod or ep.key, ep.node, c)
        else:
            t.fail(c, conn.reason)


def _kind(rt: Runtime, ip: str, pod, node: str | None) -> str:
    if pod is not None or in_cidr(ip, rt.config.pod_cidr):
        return "Pod"
    if node is not None:
        return "Node"
    if any(in_cidr(ip, cidr) for cidr in proxy.service_cidrs(rt)):
        return "ClusterIP"
    return "Other"
