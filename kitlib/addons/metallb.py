"""MetalLB in layer-2 mode: LoadBalancer IPs for a cluster without a cloud.

Two parts, as in MetalLB v0.14:

* the **controller** gives each ``type: LoadBalancer`` Service an address from the pool and
  writes it to ``status.loadBalancer.ingress[].ip`` (the API server adds ``ipMode: VIP``).
  It takes the lowest free address, in the order the pool lists its ranges; it honours
  ``spec.loadBalancerIP`` and the ``metallb.universe.tf/loadBalancerIPs`` annotation; it gives
  the address back when the Service is deleted or stops being a LoadBalancer, and then retries
  the Services it could not serve;
* the **speakers** (one per node) elect one node per address to answer ARP for it: among the
  nodes whose speaker is alive (with ``externalTrafficPolicy: Local``, only nodes with a ready
  endpoint of the Service), the one whose ``sha256(node + "#" + ip)`` sorts first. Nobody
  announces an address whose Service has no ready endpoint.

Simplification: a speaker that stops answering is dropped from the election at once (MetalLB's
memberlist notices within seconds).
"""

from __future__ import annotations

import hashlib
import ipaddress
from typing import TYPE_CHECKING, Any, cast

from ..api.addresses import in_cidr
from ..api.discovery import SERVICE_NAME_LABEL, EndpointSlice
from ..api.service import LoadBalancerIngress, Service
from ..errors import BadRequest

if TYPE_CHECKING:
    from ..runtime import Runtime

ANNOTATION_IPS = "metallb.universe.tf/loadBalancerIPs"
ANNOTATION_IPS_NEW = "metallb.io/loadBalancerIPs"
EXCLUDE_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"
CONTROLLER = "metallb-controller"
SPEAKER = "metallb-speaker"


def parse_pool(addresses: str | list[str]) -> list[tuple[int, int]]:
    """The pool's ranges as (first, last) integers, from ``"a-b"`` ranges and CIDRs.

    >>> parse_pool("192.168.49.200-192.168.49.201")
    [(3232248264, 3232248265)]
    """
    items = [a.strip() for a in addresses.split(",")] if isinstance(addresses, str) else list(addresses)
    if not items or not all(isinstance(a, str) and a for a in items):
        raise BadRequest('error: metallb needs addresses, e.g. addresses="192.168.49.200-192.168.49.250"')
    ranges = []
    for item in items:
        try:
            if "-" in item:
                a, b = (ipaddress.IPv4Address(x.strip()) for x in item.split("-", 1))
                if int(a) > int(b):
                    raise ValueError
                ranges.append((int(a), int(b)))
            else:
                net = ipaddress.IPv4Network(item, strict=False)
                ranges.append((int(net.network_address), int(net.broadcast_address)))
        except ValueError:
            raise BadRequest(f'error: invalid address range "{item}" for metallb: write "<first>-<last>" '
                             '(e.g. 192.168.49.200-192.168.49.250) or a CIDR (e.g. 192.168.49.192/27)') from None
    return ranges


class MetalLB:
    """The MetalLB add-on of one cluster (see the module docstring)."""

    name = "metallb"

    def __init__(self, rt: Runtime, addresses: str | list[str] = "", pool: str = "default") -> None:
        self.rt = rt
        self.pool = pool
        self.ranges = parse_pool(addresses)
        self.allocated: dict[str, str] = {}
        """Service key -> the address the controller gave it."""
        self.announcing: dict[str, str | None] = {}
        self._waiting: set[str] = set()
        self._busy = False

    # ------------------------------------------------------------------ lifecycle

    def install(self) -> None:
        self.rt.api.watch(self._on_change)
        self._sync_all()

    def configure(self, addresses: str | list[str] = "", pool: str | None = None) -> None:
        """Change the pool; refused (changing nothing) if an assigned address falls outside it."""
        ranges = parse_pool(addresses)
        for key, ip in sorted(self.allocated.items()):
            if not _in(ranges, ip):
                raise BadRequest(f'error: new config not compatible with assigned IPs: service "{key}" '
                                 f'cannot own "{ip}" under new config')
        self.ranges = ranges
        self.pool = pool or self.pool
        self._sync_all()

    def uninstall(self) -> None:
        """Remove MetalLB. The simulator also clears the addresses it assigned, so EXTERNAL-IP
        shows ``<pending>`` again (on a real cluster the stale status stays until rewritten)."""
        self.rt.api.unwatch(self._on_change)
        for key in sorted(self.allocated):
            svc = self.rt.api.store.get("Service", key)
            if isinstance(svc, Service) and svc.status.load_balancer.ingress:
                svc.status.load_balancer.ingress = []
                self._write(svc)
        self.allocated.clear()
        self.announcing.clear()

    # ------------------------------------------------------------------ controller

    def _on_change(self, obj: Any, removed: bool) -> None:
        if self._busy:
            return
        kind = obj.kind
        if kind == "Service":
            self._busy = True
            try:
                self._sync(obj.key, None if removed else obj)
            finally:
                self._busy = False
            self._announce(obj.key)
        elif kind == "EndpointSlice":
            owner = obj.metadata.labels.get(SERVICE_NAME_LABEL)
            if owner:
                self._announce(f"{obj.namespace}/{owner}")
        elif kind == "Node":
            for key in sorted(self.allocated):
                self._announce(key)

    def _sync_all(self) -> None:
        self._busy = True
        try:
            for svc in self.rt.api.store.items("Service"):
                self._sync(svc.key, svc)
        finally:
            self._busy = False
        for key in sorted(self.allocated):
            self._announce(key)

    def _sync(self, key: str, svc: Any) -> None:
        """convergeBalancer for one Service."""
        if svc is None or (svc.spec.type or "ClusterIP") != "LoadBalancer":
            self._waiting.discard(key)
            self.announcing.pop(key, None)
            if self.allocated.pop(key, None) is not None:
                if svc is not None and svc.status.load_balancer.ingress:
                    svc.status.load_balancer.ingress = []
                    self._write(svc)
                self._retry()
            return
        desired, err = _desired(svc)
        current = [i.ip for i in svc.status.load_balancer.ingress if i.ip]
        if current:
            problem = self._assignable(key, current[0])
            if problem is None and (not desired or desired == current[:1]) and err is None:
                self.allocated[key] = current[0]
                self._waiting.discard(key)
                return
            if problem is not None:
                self._event(svc, "Normal", "ClearAssignment", f'current IP for "{key}" not allowed by config, '
                                                              f"will attempt for new IP assignment: {problem}")
            self.allocated.pop(key, None)
            svc.status.load_balancer.ingress = []
            self._write(svc)
        if err is None:
            ip, err = self._allocate(key, desired)
        if err is not None:
            self._waiting.add(key)
            self._event(svc, "Warning", "AllocationFailed", f'Failed to allocate IP for "{key}": {err}')
            return
        self._waiting.discard(key)
        self.allocated[key] = cast(str, ip)  # _allocate gives an address whenever err is None
        svc.status.load_balancer.ingress = [LoadBalancerIngress(ip=ip, ip_mode="VIP")]
        self._write(svc)
        self._event(svc, "Normal", "IPAllocated", f'Assigned IP ["{ip}"]')

    def _assignable(self, key: str, ip: str) -> str | None:
        if not _in(self.ranges, ip):
            return f'"{ip}" is not allowed in config'
        owner = next((k for k, v in self.allocated.items() if v == ip and k != key), None)
        if owner is not None:
            return f'can\'t change sharing key for "{key}", address also in use by {owner}'
        return None

    def _allocate(self, key: str, desired: list[str]) -> tuple[str | None, str | None]:
        if desired:
            problem = self._assignable(key, desired[0])
            return (None, problem) if problem else (desired[0], None)
        used = set(self.allocated.values())
        for first, last in self.ranges:
            for n in range(first, last + 1):
                ip = str(ipaddress.IPv4Address(n))
                if ip not in used:
                    return ip, None
        return None, "no available IPs"

    def _retry(self) -> None:
        for key in sorted(self._waiting):
            svc = self.rt.api.store.get("Service", key)
            self._sync(key, svc)

    def _write(self, svc: Any) -> None:
        self.rt.api.update_status(svc)

    def _event(self, svc: Any, type_: str, reason: str, message: str) -> None:
        source = SPEAKER if reason == "nodeAssigned" else CONTROLLER
        self.rt.api.record_event(svc, reason, message, source, type_)

    # ------------------------------------------------------------------ speakers

    def announcer(self, service: str, ip: str) -> tuple[str | None, str]:
        """The node whose speaker answers ARP for ``ip``, or None and why none does."""
        rt = self.rt
        svc = rt.api.store.get("Service", service)
        if not isinstance(svc, Service) or self.allocated.get(service) != ip:
            return None, (f"no node answers ARP for {ip}: it is not an address MetalLB assigned, so no speaker "
                          "announces it and the client's connection fails with 'No route to host'")
        if not in_cidr(ip, rt.config.node_cidr):
            return None, (f"{ip} is not on the node network {rt.config.node_cidr}: MetalLB's layer-2 "
                          "announcements (ARP) only reach clients on the nodes' own network")
        node = self._elect(svc, ip)
        if node is None:
            local = svc.spec.external_traffic_policy == "Local"
            return None, (f"no node answers ARP for {ip}: MetalLB announces it only from a node with a "
                          f"{'ready endpoint of ' + service + ' on it (externalTrafficPolicy Local)' if local else 'live speaker while ' + service + ' has a ready endpoint'}"
                          ", and there is none, so the client's connection fails with 'No route to host'")
        return node, ""

    def _elect(self, svc: Any, ip: str) -> str | None:
        rt = self.rt
        slices = [s for s in rt.api.store.items("EndpointSlice", svc.namespace)
                  if isinstance(s, EndpointSlice) and s.metadata.labels.get(SERVICE_NAME_LABEL) == svc.name]
        serving = [ep for s in slices for ep in s.endpoints
                   if ep.conditions.ready is None or ep.conditions.ready or ep.conditions.serving]
        if not serving:
            return None
        speakers = [n.name for n in rt.nodes()
                    if rt.node_runtime(n.name).up and EXCLUDE_LABEL not in n.metadata.labels]
        if svc.spec.external_traffic_policy == "Local":
            with_ep = {ep.node_name for ep in serving}
            speakers = [n for n in speakers if n in with_ep]
        if not speakers:
            return None
        return min(speakers, key=lambda n: hashlib.sha256(f"{n}#{ip}".encode()).digest())

    def _announce(self, key: str) -> None:
        ip = self.allocated.get(key)
        if ip is None:
            return
        svc = self.rt.api.store.get("Service", key)
        node = self._elect(svc, ip) if svc is not None else None
        if node != self.announcing.get(key):
            self.announcing[key] = node
            if node is not None:
                self._event(svc, "Normal", "nodeAssigned", f'announcing from node "{node}" with protocol "layer2"')


def _in(ranges: list[tuple[int, int]], ip: str) -> bool:
    try:
        n = int(ipaddress.IPv4Address(ip))
    except ValueError:
        return False
    return any(a <= n <= b for a, b in ranges)


def _desired(svc: Any) -> tuple[list[str], str | None]:
    """getDesiredLbIPs: the annotation or ``spec.loadBalancerIP`` (not both)."""
    ann = svc.metadata.annotations
    text = ann.get(ANNOTATION_IPS_NEW, ann.get(ANNOTATION_IPS, ""))
    spec_ip = svc.spec.load_balancer_ip or ""
    if not text and not spec_ip:
        return [], None
    if text and spec_ip:
        return [], f"service can not have both {ANNOTATION_IPS} and svc.Spec.LoadBalancerIP"
    if spec_ip:
        try:
            ipaddress.ip_address(spec_ip)
        except ValueError:
            return [], f'invalid spec.loadBalancerIP "{spec_ip}"'
        return [spec_ip], None
    ips = [t.strip() for t in text.split(",")]
    try:
        for t in ips:
            ipaddress.ip_address(t)
    except ValueError:
        return [], f'invalid {ANNOTATION_IPS}: "{text}"'
    if len(ips) > 1:
        quoted = " ".join(f'"{t}"' for t in ips)
        return [], f"IPFamilyForAddresses: same address family [{quoted}]"
    return ips, None
