"""The ServiceCIDR controllers: the API server's, which keeps the ServiceCIDR ``kubernetes``, and
kube-controller-manager's, which protects every ServiceCIDR with a finalizer and lets a deleted
one go only when no ClusterIP depends on it alone.

* ``kubernetes-service-cidr-controller`` (``pkg/controlplane/controller/defaultservicecidr``,
  :func:`ensure_default`): as it starts, the API server creates ``kubernetes`` from its
  ``--service-cluster-ip-range`` and sets it ``Ready`` ("Kubernetes default Service CIDR is
  ready"); it looks every :data:`DEFAULT_SYNC_PERIOD` seconds and creates it again once it is gone.
* ``service-cidrs-controller`` (``pkg/controller/servicecidrs``, :func:`sync`): a ServiceCIDR gets
  the finalizer ``networking.k8s.io/service-cidr-finalizer`` and ``Ready=True`` ("Kubernetes Service
  CIDR is ready", which also replaces the default one's message). A DELETE only marks it
  (:func:`kitlib.controllers.garbage.delete`), and from then on the allocator takes no address
  from it. While an IPAddress the allocator wrote lies in it and in no other ServiceCIDR, and no
  other ServiceCIDR contains its whole range (:func:`can_delete`), it stays, ``Ready=False`` with
  the reason ``Terminating``; otherwise the finalizer is removed :data:`DELETION_GRACE` seconds after
  the DELETE (time for every API server's allocator to see it) and the ServiceCIDR goes.

Conditions are written only when their status, reason or message changes
(``updateConditionIfNeeded``).
"""

from __future__ import annotations

import functools
import ipaddress
from typing import TYPE_CHECKING

from ..api.meta import Condition, ObjectMeta
from ..api.servicecidr import (
    ALLOCATOR,
    DEFAULT_NAME,
    FINALIZER,
    IP_FAMILY_LABEL,
    MANAGED_BY_LABEL,
    READY,
    TERMINATING,
    IPAddress,
    ServiceCIDR,
    ServiceCIDRSpec,
)
from ..apiserver.servicecidr_strategy import track
from ..clock import parse_timestamp

if TYPE_CHECKING:
    from ..runtime import Runtime
    from ..store import Store

DEFAULT_READY_MESSAGE = "Kubernetes default Service CIDR is ready"
READY_MESSAGE = "Kubernetes Service CIDR is ready"
TERMINATING_MESSAGE = ("There are still IPAddresses referencing the ServiceCIDR, please remove them or create a "
                       "new ServiceCIDR")
DELETION_GRACE = 10.0
"""``deletionGracePeriod``: seconds from a ServiceCIDR's DELETE until its finalizer may go."""
DEFAULT_SYNC_PERIOD = 10.0
"""How often the API server looks for its ``kubernetes`` ServiceCIDR (its controller's interval)."""

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def ensure_default(rt: Runtime) -> None:
    """The API server's ``sync``: create ``kubernetes`` if it is missing, and set it Ready."""
    api = rt.api
    if api.store.get("ServiceCIDR", DEFAULT_NAME) is not None:
        return
    obj = api.create(ServiceCIDR(metadata=ObjectMeta(name=DEFAULT_NAME),
                                 spec=ServiceCIDRSpec([api.config.service_cidr])), copy=False)
    if isinstance(obj, ServiceCIDR):  # syncStatus: Ready when it has no Ready condition yet
        _update_condition(rt, obj, Condition(type=READY, status="True", message=DEFAULT_READY_MESSAGE))


def sync(rt: Runtime, obj: ServiceCIDR) -> float:
    """kube-controller-manager's ``sync`` of one ServiceCIDR; the seconds until its deletion should
    be looked at again (0: nothing to wait for)."""
    api = rt.api
    meta = obj.metadata
    if meta.deletion_timestamp is not None:
        if not can_delete(api.store, obj):
            _update_condition(rt, obj, Condition(type=READY, status="False", reason=TERMINATING,
                                                 message=TERMINATING_MESSAGE))
            return 0.0
        wait = DELETION_GRACE - (rt.now - parse_timestamp(meta.deletion_timestamp))
        if wait > 0:
            return wait
        if FINALIZER in meta.finalizers:
            meta.finalizers = [f for f in meta.finalizers if f != FINALIZER]
            if meta.finalizers:
                api.update_status(obj)
            else:
                api.delete(obj)  # the last finalizer gone from an object being deleted: it goes
        return 0.0
    if FINALIZER not in meta.finalizers:
        meta.finalizers = [*meta.finalizers, FINALIZER]
        api.update_status(obj)
    _update_condition(rt, obj, Condition(type=READY, status="True", message=READY_MESSAGE))
    return 0.0


def _update_condition(rt: Runtime, obj: ServiceCIDR, new: Condition) -> None:
    """``updateConditionIfNeeded``: write ``new`` (now as its transition time) in place of the
    condition of its type, unless that one has the same status, reason and message."""
    current = obj.status.condition(new.type)
    if current is not None and (current.status, current.reason, current.message) == (new.status, new.reason,
                                                                                      new.message):
        return
    new.last_transition_time = rt.clock.timestamp()
    obj.status.conditions = [new if c.type == new.type else c for c in obj.status.conditions] \
        if current is not None else [*obj.status.conditions, new]
    rt.api.update_status(obj)
    track(rt.api, obj)


def _networks(obj: ServiceCIDR) -> tuple[Network, ...]:
    return _parse(tuple(obj.spec.cidrs))


@functools.lru_cache(maxsize=256)
def _parse(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    out = []
    for cidr in cidrs:
        try:
            out.append(ipaddress.ip_network(cidr))
        except ValueError:
            continue  # validated on create: cannot happen
    return tuple(out)


def _holds(net: Network, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """``PrefixContainsIP``: in ``net``, not its network address nor (IPv4) its broadcast address."""
    if net.version != address.version or address not in net or address == net.network_address:
        return False
    return net.version == 6 or address != net.broadcast_address


def containing(store: Store, ip: str) -> list[ServiceCIDR]:
    """The ServiceCIDRs that hold address ``ip`` (``ContainsAddress``)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return []
    return [c for c in store.items_as(ServiceCIDR) if any(_holds(n, address) for n in _networks(c))]


def overlapping(store: Store, obj: ServiceCIDR) -> list[ServiceCIDR]:
    """The ServiceCIDRs whose ranges overlap ``obj``'s (``OverlapsPrefix``), ``obj`` included."""
    mine = _networks(obj)
    return [c for c in store.items_as(ServiceCIDR)
            if any(n.version == m.version and n.overlaps(m) for n in _networks(c) for m in mine)]


def can_delete(store: Store, obj: ServiceCIDR) -> bool:
    """``canDeleteCIDR``: another ServiceCIDR contains each of ``obj``'s ranges, or no IPAddress the
    allocator wrote lies in ``obj`` alone."""
    others = store.items_as(ServiceCIDR)
    has_parent = True
    for net in _networks(obj):
        parents = [c for c in others if any(n.version == net.version and n.overlaps(net)
                                            and n.prefixlen <= net.prefixlen for n in _networks(c))]
        if not parents or (len(parents) == 1 and parents[0].name == obj.name):
            has_parent = False
    if has_parent:
        return True
    for net in _networks(obj):
        wanted = "IPv6" if net.version == 6 else "IPv4"
        for ip in store.items_as(IPAddress):
            labels = ip.metadata.labels
            if labels.get(IP_FAMILY_LABEL) != wanted or labels.get(MANAGED_BY_LABEL) != ALLOCATOR:
                continue
            holders = containing(store, ip.name)
            if len(holders) == 1 and holders[0].name == obj.name:
                return False
    return True


def waits_for(store: Store, ip: IPAddress) -> list[str]:
    """The ServiceCIDRs being deleted whose deletion an allocator's IPAddress may block or free
    (``containingServiceCIDRs``; the others' sync would change nothing)."""
    if ip.metadata.labels.get(MANAGED_BY_LABEL) != ALLOCATOR or not any(
            c.metadata.deletion_timestamp is not None for c in store.objects("ServiceCIDR")):
        return []
    return [c.name for c in containing(store, ip.name) if c.metadata.deletion_timestamp is not None]
