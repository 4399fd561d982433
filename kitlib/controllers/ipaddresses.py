"""The API server's repair loop for ClusterIPs (``ipallocator-repair-controller``,
``pkg/registry/core/service/ipallocator/controller/repairip.go``): every ClusterIP has its IPAddress,
and every IPAddress the allocator wrote belongs to a Service that has that ClusterIP.

* :func:`sync_service`, on every change to a Service: an address in no ServiceCIDR is reported
  (``ClusterIPOutOfRange``); a missing IPAddress is written again (``ClusterIPNotAllocated``); one
  whose parent is not a Service, or a Service that does not exist, is written again for this one;
  one that names another Service that has the address too is reported
  (``ClusterIPAlreadyAllocated``); one without the allocator's labels is written again, silently.
* :func:`sync_ipaddress`, on every change to an IPAddress the allocator manages: one whose parent
  is not a Service is deleted, as is one whose Service has not the address; one whose Service does
  not exist is deleted once it is a minute old (:data:`LEAK_GRACE`: a Service being created has
  its IPAddress first).

Each complaint is a Warning event from ``ipallocator-repair-controller``. The loop also goes over
every Service every :data:`RESYNC_PERIOD` seconds; kitlib times a pass for a Service only when
something made it needed (its IPAddress deleted while it still had the address), at the next
multiple of that period, so that the queue of a quiet cluster stays empty.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..api.addresses import parse_ip_sloppy
from ..api.service import Service
from ..api.servicecidr import (
    ALLOCATOR,
    IP_FAMILY_LABEL,
    MANAGED_BY_LABEL,
    IPAddress,
    ParentReference,
)
from ..apiserver.servicecidr_strategy import family, record
from ..clock import parse_timestamp
from .servicecidr import containing

if TYPE_CHECKING:
    from ..runtime import Runtime

RESYNC_PERIOD = 180.0
"""``RepairServicesInterval``: the repair loops' resync, 3 minutes."""
LEAK_GRACE = 60.0
"""How old an IPAddress of a Service that does not exist must be before it is taken for leaked."""
REPAIR = "ipallocator-repair-controller"
"""The events' reporting controller; the instance is ``<it>-<the API server's host name>``."""


def source(rt: Runtime) -> str:
    """The events' From column: the reporting controller, and its instance on minikube's host."""
    return f"{REPAIR}, {REPAIR}-{rt.config.name}"


def next_resync(now: float) -> float:
    """When the repair loop next goes over every Service (kitlib's resyncs fall on the multiples
    of :data:`RESYNC_PERIOD` seconds of simulated time)."""
    return (math.floor(now / RESYNC_PERIOD) + 1) * RESYNC_PERIOD


def _warn(rt: Runtime, obj: Service | IPAddress, reason: str, note: str) -> None:
    rt.api.record_event(obj, reason, note, source(rt), "Warning")


def _recreate(rt: Runtime, ip: IPAddress, svc: Service) -> None:
    """``recreateIPAddress``: delete the IPAddress and write the allocator's for ``svc``."""
    rt.api.delete(ip)
    record(rt.api, ip.name, svc)


def _labelled(ip: IPAddress) -> bool:
    """``verifyIPAddressLabels``: the family label matches the address, and the allocator manages it."""
    labels = ip.metadata.labels
    return labels.get(IP_FAMILY_LABEL) == family(ip.name) and labels.get(MANAGED_BY_LABEL) == ALLOCATOR


def sync_service(rt: Runtime, svc: Service) -> None:
    """``syncService``: check that each of ``svc``'s ClusterIPs has its IPAddress, and repair it."""
    store = rt.api.store
    if not svc.spec.cluster_ip or svc.spec.cluster_ip == "None":
        return  # IsServiceIPSet
    for cluster_ip in svc.spec.cluster_ips:
        parsed = parse_ip_sloppy(cluster_ip)
        if parsed is None:
            continue  # validated on create: cannot happen
        ip, fam = str(parsed), family(str(parsed))
        if not containing(store, ip):
            _warn(rt, svc, "ClusterIPOutOfRange",
                  f"Cluster IP [{fam}]: {ip} is not within any configured Service CIDR; please recreate service")
            continue
        obj = store.get_as(IPAddress, ip)
        if obj is None:
            _warn(rt, svc, "ClusterIPNotAllocated", f"Cluster IP [{fam}]: {ip} is not allocated; repairing")
            record(rt.api, ip, svc)
            continue
        ref = obj.spec.parent_ref or ParentReference()
        wrong = (f"the ClusterIP [{fam}]: {ip} for Service {svc.namespace}/{svc.name} has a wrong reference; "
                 "repairing")
        if ref.group or ref.resource != "services":
            _warn(rt, svc, "ClusterIPNotAllocated", wrong)
            _recreate(rt, obj, svc)
            continue
        if (ref.namespace or "") != svc.namespace or (ref.name or "") != svc.name:
            other = store.get_as(Service, f"{ref.namespace or ''}/{ref.name or ''}")
            if other is None:
                _warn(rt, svc, "ClusterIPNotAllocated", wrong)
                _recreate(rt, obj, svc)
                continue
            if ip in other.spec.cluster_ips:
                _warn(rt, svc, "ClusterIPAlreadyAllocated",
                      f"Cluster IP [{fam}]:{ip} was assigned to multiple services; please recreate service")
        if not _labelled(obj):
            _recreate(rt, obj, svc)


def _go_ref(ref: ParentReference | None) -> str:
    """A parentRef as Go's ``%v`` prints the pointer: ``&{group resource namespace name}``."""
    if ref is None:
        return "<nil>"
    return f"&{{{ref.group or ''} {ref.resource or ''} {ref.namespace or ''} {ref.name or ''}}}"


def sync_ipaddress(rt: Runtime, ip: IPAddress) -> float:
    """``syncIPAddress``: delete an IPAddress the allocator manages that no Service holds; the
    seconds after which to look again at one whose Service is missing but which is still young."""
    if ip.metadata.labels.get(MANAGED_BY_LABEL) != ALLOCATOR:
        return 0.0
    ref = ip.spec.parent_ref
    if ref is None or ref.group or ref.resource != "services":
        _warn(rt, ip, "IPAddressNotAllocated",
              f"IPAddress {ip.name} appears to have been modified, not referencing a Service {_go_ref(ref)}: cleaning up")
        rt.api.delete(ip)
        return 0.0
    svc = rt.api.store.get_as(Service, f"{ref.namespace or ''}/{ref.name or ''}")
    if svc is None:
        lifetime = rt.now - parse_timestamp(ip.metadata.creation_timestamp or "")
        if lifetime >= LEAK_GRACE:  # the requeue after the grace period finds it just past it
            _warn(rt, ip, "IPAddressNotAllocated",
                  f"IPAddress: {ip.name} for Service {ref.namespace or ''}/{ref.name or ''} appears to have leaked: "
                  "cleaning up")
            rt.api.delete(ip)
            return 0.0
        return LEAK_GRACE - lifetime
    if ip.name in svc.spec.cluster_ips:
        return 0.0
    _warn(rt, ip, "IPAddressWrongReference",
          f"IPAddress: {ip.name} for Service {svc.namespace}/{svc.name} has a wrong reference; cleaning up")
    rt.api.delete(ip)
    return 0.0
