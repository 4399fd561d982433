"""The EndpointSlice and Endpoints controllers: keep a Service's endpoint lists in step with
the pods its selector matches.

For each matching pod that has an IP: ``serving`` is the pod's Ready condition,
``terminating`` is whether it is being deleted, and ``ready`` is ``serving and not
terminating`` (or always true with ``publishNotReadyAddresses``); ``zone`` is the
``topology.kubernetes.io/zone`` label of the pod's node when the endpoint is written. A named
``targetPort`` is looked up in each pod's container ports, so two pods may serve the same
Service port on different numbers. A Service without a selector is left alone: its endpoints
are yours.

Topology hints (``trafficDistribution``, ``service.kubernetes.io/topology-mode: Auto``) are
:mod:`kitlib.controllers.hints`. As in Kubernetes, relabelling a node does not rewrite the
endpoints already written: a Service's endpoints take the new zone at its next sync (a pod of it
changes, or the Service does). Simplification: the informers' periodic resync (every 12 to 24
hours), which would also bring them up to date, is not modelled.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import TYPE_CHECKING, cast

from ..api.discovery import (
    MANAGED_BY,
    MANAGED_BY_LABEL,
    MAX_ENDPOINTS_PER_SLICE,
    SERVICE_NAME_LABEL,
    Endpoint,
    EndpointAddress,
    EndpointConditions,
    EndpointPort,
    Endpoints,
    EndpointSlice,
    EndpointsPort,
    EndpointSubset,
    ObjectReference,
)
from ..api.meta import ObjectMeta, OwnerReference
from ..api.node import ZONE_LABEL
from ..api.pod import Pod, is_ready
from ..api.service import Service, is_headless, service_type
from ..manifest import to_plain
from ..names import random_suffix
from . import hints

if TYPE_CHECKING:
    from ..runtime import Runtime

HEADLESS_LABEL = "service.kubernetes.io/headless"


def resolve_target_port(svc_port, pod: Pod) -> int | None:
    """The port number a Service port reaches on ``pod`` (a named targetPort is looked up)."""
    tp = svc_port.target_port if svc_port.target_port not in (None, 0, "") else svc_port.port
    if isinstance(tp, int):
        return tp
    for c in pod.spec.containers:
        for p in c.ports:
            if p.name == tp and (p.protocol or "TCP") == (svc_port.protocol or "TCP"):
                return p.container_port
    return None


def selected_pods(rt: Runtime, svc: Service) -> list[Pod]:
    """The pods whose endpoints the Service lists: its selector matches, they have an IP and have
    not terminated; sorted by name, as the store lists them."""
    sel = svc.spec.selector
    # The store keeps a kind's own class; a cast, not an isinstance per pod, in this hot loop.
    pods = cast("list[Pod]", rt.api.store.items("Pod", svc.namespace))
    return [p for p in pods if _selects(sel, p)]


def _selects(sel: dict[str, str], pod: Pod) -> bool:
    return bool(sel.items() <= pod.metadata.labels.items() and pod.status.pod_ip
                and pod.status.phase not in ("Succeeded", "Failed"))


class _Group:
    """The endpoints of one Service that resolve to the same ports, in pod name order (the order
    the store lists pods in): the EndpointSlices are cut from :attr:`eps`, 100 at a time. With
    them, the same pods' Endpoints addresses sorted by IP as text, then by pod UID (RepackSubsets),
    split into ready and not ready, and leaving out the terminating ones (unless the Service
    publishes not-ready addresses). Kept sorted as pods come and go, so that a change of one pod
    costs a few list operations, not a walk over every pod."""

    __slots__ = ("ports", "keys", "members", "eps", "ready_keys", "ready", "unready_keys", "unready", "low")

    def __init__(self, ports: tuple) -> None:
        self.ports = ports
        self.low = 0
        """The first position in :attr:`eps` changed since the slices were last written: the
        slices cut before it hold what they held."""
        self.keys: list[str] = []  # pod keys, sorted
        self.members: list[tuple[Pod, Endpoint, EndpointAddress]] = []  # in step with keys
        self.eps: list[Endpoint] = []  # in step with keys
        self.ready_keys: list[tuple[str, str]] = []  # (IP, pod UID), sorted
        self.ready: list[EndpointAddress] = []  # in step with ready_keys
        self.unready_keys: list[tuple[str, str]] = []
        self.unready: list[EndpointAddress] = []

    def add(self, key: str, pod: Pod, ep: Endpoint, addr: EndpointAddress, akey: tuple | None) -> None:
        i = bisect_left(self.keys, key)
        if i < self.low:
            self.low = i
        self.keys.insert(i, key)
        self.members.insert(i, (pod, ep, addr))
        self.eps.insert(i, ep)
        if akey is not None:
            keys, addrs = (self.ready_keys, self.ready) if akey[0] else (self.unready_keys, self.unready)
            j = bisect_left(keys, akey[1])
            keys.insert(j, akey[1])
            addrs.insert(j, addr)

    def append(self, key: str, pod: Pod, ep: Endpoint, addr: EndpointAddress, akey: tuple | None) -> None:
        """:meth:`add` for a key that sorts after every key held (a walk over the sorted pods)."""
        self.keys.append(key)
        self.members.append((pod, ep, addr))
        self.eps.append(ep)
        if akey is not None:
            keys, addrs = (self.ready_keys, self.ready) if akey[0] else (self.unready_keys, self.unready)
            j = bisect_left(keys, akey[1])
            keys.insert(j, akey[1])
            addrs.insert(j, addr)

    def remove(self, key: str, akey: tuple | None) -> None:
        i = bisect_left(self.keys, key)
        if i < self.low:
            self.low = i
        del self.keys[i], self.members[i], self.eps[i]
        if akey is not None:
            keys, addrs = (self.ready_keys, self.ready) if akey[0] else (self.unready_keys, self.unready)
            j = bisect_left(keys, akey[1])
            del keys[j], addrs[j]


class _Tracked:
    """What the controller knows of one Service between syncs: what the Service asked at the last
    sync, the pods it listed ({pod key: (pod, resourceVersion, entry, zone, Endpoints address key)})
    grouped as :class:`_Group`, and the slices and Endpoints written."""

    __slots__ = ("asks", "walk", "now", "groups", "written", "slices", "foreign", "placed")

    def __init__(self, asks: tuple, walk: tuple | None) -> None:
        self.asks = asks
        self.walk = walk
        self.now: dict[str, tuple] = {}
        self.groups: dict[tuple, _Group] = {}
        self.written: tuple = ()
        self.slices: list[EndpointSlice] | None = None
        """The managed slices by name as the last sync left them, while no other writer has
        touched a slice or an Endpoints object since (``foreign``, the controller's count of such
        writes, unchanged): then they need not be listed and compared again."""
        self.foreign = -1
        self.placed: list[tuple[EndpointSlice, _Group | None, int]] | None = None
        """Which slice got which cut (group, index) at the last write."""


def _address_key(pod: Pod, entry: tuple, publish: bool) -> tuple | None:
    """(ready, (IP, UID)) of the pod's Endpoints address, None if the Endpoints leave it out."""
    ep = entry[1]
    if ep.conditions.terminating and not publish:
        return None
    return (bool(publish or ep.conditions.serving), (entry[2].ip, pod.metadata.uid or ""))


def _entry(svc: Service, pod: Pod, publish: bool, zone: str | None) -> tuple[tuple, Endpoint, EndpointAddress]:
    """A pod's ports (resolved), its slice endpoint and its Endpoints address (``podToEndpoint``)."""
    ports = []
    for sp in svc.spec.ports:
        number = resolve_target_port(sp, pod)
        if number is not None:
            ports.append((sp.name or "", number, sp.protocol or "TCP"))
    serving = is_ready(pod)
    terminating = pod.metadata.deletion_timestamp is not None
    ep = Endpoint(
        addresses=[pod.status.pod_ip or ""],
        conditions=EndpointConditions(ready=publish or (serving and not terminating), serving=serving,
                                      terminating=terminating),
        node_name=pod.spec.node_name,
        target_ref=ObjectReference("Pod", pod.namespace, pod.name, pod.metadata.uid),
        zone=zone,
    )
    addr = EndpointAddress(ip=pod.status.pod_ip or "", node_name=pod.spec.node_name,
                           target_ref=ObjectReference("Pod", pod.namespace, pod.name, pod.metadata.uid))
    return tuple(ports), ep, addr


def sync(rt: Runtime, svc: Service) -> None:
    """Rewrite the Service's EndpointSlices and Endpoints if what they should say has changed.

    The controller remembers each Service's endpoints (:class:`_Tracked`) and the pods changed
    since its last sync (``EndpointSliceController.dirty``, from the pod events): only those pods
    are looked at again, unless the Service itself, its selector, or a node's zone changed, when
    every pod of the namespace is walked. What is written is the same either way."""
    controller = rt.controllers.endpointslice
    if service_type(svc) == "ExternalName" or not svc.spec.selector:
        tracked = controller.memo.get(svc.key)
        if tracked is not None:
            # Pods change unseen meanwhile (no selector: not indexed): walk them all if it selects again.
            tracked.walk = None
        _drop_managed(rt, svc)
        if service_type(svc) != "ExternalName":
            mirror(rt, svc)
        return
    publish = bool(svc.spec.publish_not_ready_addresses)
    mode = hints.heuristic(svc)
    asks = (tuple((sp.name, sp.port, sp.protocol, sp.target_port) for sp in svc.spec.ports), publish,
            svc.metadata.uid, is_headless(svc), tuple(sorted(svc.metadata.labels.items())), mode,
            # Topology-aware hints are checked again whenever the zones' CPU shares change.
            controller.topology.generation if mode == "auto" else None)
    # What the pods listed depend on beyond the pods' own events: the selector, and the zones
    # (every endpoint takes its node's zone as it is at the sync).
    walk = (tuple(sorted(svc.spec.selector.items())), controller.zone_epoch)
    dirty = controller.dirty.pop(svc.key, None)
    tracked = controller.memo.get(svc.key)
    if tracked is None or tracked.asks != asks or tracked.walk != walk:
        before = tracked.now if tracked is not None and tracked.asks == asks else {}
        fresh = _walk(rt, svc, asks, walk, before, publish)
        # As before: an empty or discarded memo always goes on to the writes.
        changed = not before or len(before) != len(fresh.now) or not all(
            before.get(k, _NONE)[2] is v[2] for k, v in fresh.now.items())
        if tracked is not None:
            fresh.written, fresh.slices, fresh.foreign = tracked.written, tracked.slices, tracked.foreign
        tracked = fresh
    else:
        had = bool(tracked.now)
        changed = _update(rt, svc, tracked, sorted(dirty) if dirty else (), publish) or not had
    if _CHECK:
        _check(rt, svc, tracked, publish)
    controller.memo[svc.key] = tracked
    store = rt.api.store
    # Nothing but this controller has written a slice or an Endpoints object since its last sync
    # of the Service: what it wrote is still there as it left it.
    untouched = tracked.foreign == controller.foreign and tracked.slices is not None
    if not changed and (untouched or all(store.get(o.kind, o.key) is o for o in tracked.written)):
        # No endpoint changed and what was written is still there: nothing to do.
        return
    groups = sorted((g for g in tracked.groups.values() if g.keys), key=lambda g: g.keys[0])
    if untouched and tracked.slices is not None:
        existing, placed = tracked.slices, tracked.placed
    else:
        existing, placed = sorted(_managed_slices(rt, svc), key=lambda s: s.name or ""), None
    controller.writing = True
    try:
        slices, tracked.placed = _sync_slices(rt, svc, groups, mode, existing, placed)
        for group in tracked.groups.values():
            group.low = len(group.keys)
        _sync_endpoints(rt, svc, groups, publish)
    finally:
        controller.writing = False
    tracked.written = (*slices, store.get("Endpoints", svc.key))
    tracked.slices, tracked.foreign = slices, controller.foreign


def _labels(svc: Service, managed: bool = True) -> dict[str, str]:
    labels = {**svc.metadata.labels, SERVICE_NAME_LABEL: svc.name}
    if managed:
        labels[MANAGED_BY_LABEL] = MANAGED_BY
    if is_headless(svc):
        labels[HEADLESS_LABEL] = ""
    return labels


def _managed_slices(rt: Runtime, svc: Service) -> list[EndpointSlice]:
    return [s for s in rt.owned(svc, "EndpointSlice")
            if isinstance(s, EndpointSlice) and s.metadata.labels.get(MANAGED_BY_LABEL) == MANAGED_BY]


def _sync_slices(rt: Runtime, svc: Service, groups: list[_Group], mode: str, existing: list[EndpointSlice],
                 placed: list[tuple[EndpointSlice, _Group | None, int]] | None,
                 ) -> tuple[list[EndpointSlice], list[tuple[EndpointSlice, _Group | None, int]] | None]:
    """Write the Service's slices: each group's endpoints cut 100 at a time, the i-th slice (by
    name) of ``existing`` (the managed slices, by name) rewritten with the i-th cut if it differs,
    slices created for the cuts beyond, the extra slices deleted. Returns the managed slices
    after the writes, by name, and which slice got which cut.

    Without hints, a slice that got the same cut of the same group at the last write
    (``placed``), from before the group's first change since (:attr:`_Group.low`), holds what it
    should and is not compared again: one pod's change costs the slices it shifts, not all."""
    if mode:
        return _sync_hinted_slices(rt, svc, groups, mode, existing), None
    events = _hints_off(rt, svc)
    plan: list[tuple[list[EndpointPort], _Group | None, int]] = []
    for group in groups:  # in the order of their first pods' names
        # One list of ports per group to compare with; each slice written gets its own.
        eports = [EndpointPort(name=n, port=num, protocol=proto) for n, num, proto in group.ports]
        for c in range(-(-len(group.eps) // MAX_ENDPOINTS_PER_SLICE)):
            plan.append((eports, group, c))
    if not plan:
        # A Service with no endpoints still has one (empty) placeholder slice.
        plan.append(([], None, 0))
    labels = _labels(svc)
    now = rt.clock.timestamp()
    written = existing[:len(plan)]
    for k, (ports, cut_of, c) in enumerate(plan):
        start = c * MAX_ENDPOINTS_PER_SLICE
        if k < len(existing):
            sl = existing[k]
            if placed is not None and k < len(placed) and cut_of is not None:
                was, was_group, was_cut = placed[k]
                if was is sl and was_group is cut_of and was_cut == c \
                        and start + MAX_ENDPOINTS_PER_SLICE <= cut_of.low:
                    continue
            eps = cut_of.eps[start:start + MAX_ENDPOINTS_PER_SLICE] if cut_of is not None else []
            # Dataclass equality: both sides are built the same way, and it is much cheaper than
            # comparing the API dicts (the endpoints are mostly the very objects written before,
            # which lists compare by identity first).
            if sl.endpoints != eps or sl.ports != ports or sl.metadata.labels != labels:
                sl.endpoints, sl.ports, sl.metadata.labels = eps, _copy_ports(ports), dict(labels)
                sl.metadata.annotations["endpoints.kubernetes.io/last-change-trigger-time"] = now
                rt.api.update_status(sl)
            continue
        eps = cut_of.eps[start:start + MAX_ENDPOINTS_PER_SLICE] if cut_of is not None else []
        written.append(_create_slice(rt, svc, _copy_ports(ports), eps, labels, now))
    for sl in existing[len(plan):]:
        rt.api.delete(sl)
    for event in events:
        rt.api.record_event(svc, event.reason, event.message, "endpoint-slice-controller", event.type)
    placed_now = [(sl, cut_of, c) for sl, (_, cut_of, c) in zip(written, plan, strict=True)]
    if len(written) > len(existing):  # new slices take their places by name
        written = sorted(written, key=lambda s: s.name or "")
    return written, placed_now


def _copy_ports(ports: list[EndpointPort]) -> list[EndpointPort]:
    """Each slice its own ports, as each was built on its own."""
    return [EndpointPort(name=p.name, port=p.port, protocol=p.protocol, app_protocol=p.app_protocol) for p in ports]


def _create_slice(rt: Runtime, svc: Service, ports: list[EndpointPort], eps: list[Endpoint],
                  labels: dict[str, str], now: str) -> EndpointSlice:
    sl = EndpointSlice(
        metadata=ObjectMeta(name=_slice_name(rt, svc), generate_name=_prefix(svc), namespace=svc.namespace,
                            labels=dict(labels), annotations={"endpoints.kubernetes.io/last-change-trigger-time": now},
                            owner_references=[OwnerReference("v1", "Service", svc.name, svc.metadata.uid or "",
                                                             True, True)]),
        address_type="IPv4", endpoints=eps, ports=ports,
    )
    rt.api.create_trusted(sl)
    return sl


def _sync_hinted_slices(rt: Runtime, svc: Service, groups: list[_Group], mode: str,
                        existing: list[EndpointSlice]) -> list[EndpointSlice]:
    """:func:`_sync_slices` for a Service with topology hints: every cut is hinted and compared."""
    wanted: list[tuple[list[EndpointPort], list[Endpoint]]] = []
    for group in groups:
        eps = group.eps
        eports = [EndpointPort(name=n, port=num, protocol=proto) for n, num, proto in group.ports]
        for i in range(0, len(eps), MAX_ENDPOINTS_PER_SLICE):
            wanted.append((eports, eps[i:i + MAX_ENDPOINTS_PER_SLICE]))
    if not wanted:
        wanted.append(([], []))
    wanted, events = _with_hints(rt, svc, wanted, existing, mode)
    labels = _labels(svc)
    now = rt.clock.timestamp()
    written = existing[:len(wanted)]
    for i, (ports, eps) in enumerate(wanted):
        if i < len(existing):
            sl = existing[i]
            if sl.endpoints != eps or sl.ports != ports or sl.metadata.labels != labels:
                sl.endpoints, sl.ports, sl.metadata.labels = eps, _copy_ports(ports), dict(labels)
                sl.metadata.annotations["endpoints.kubernetes.io/last-change-trigger-time"] = now
                rt.api.update_status(sl)
            continue
        written.append(_create_slice(rt, svc, _copy_ports(ports), eps, labels, now))
    for sl in existing[len(wanted):]:
        rt.api.delete(sl)
    for event in events:
        rt.api.record_event(svc, event.reason, event.message, "endpoint-slice-controller", event.type)
    return sorted(written, key=lambda s: s.name or "")


def _hints_off(rt: Runtime, svc: Service) -> list[hints.HintEvent]:
    """The topology step for a Service without hints: an event if it had some, and the cache
    forgets them."""
    cache = rt.controllers.endpointslice.topology
    events = [hints.disabled_event()] if svc.key in cache.hints_populated else []
    cache.remove_hints(svc.key)
    return events


def _with_hints(rt: Runtime, svc: Service, wanted: list[tuple[list[EndpointPort], list[Endpoint]]],
                existing: list[EndpointSlice], mode: str) -> tuple[list[tuple[list[EndpointPort], list[Endpoint]]],
                                                                   list[hints.HintEvent]]:
    """The slices' endpoints with the hints ``mode`` gives them (the reconciler's topology step),
    and the events to record on the Service."""
    cache = rt.controllers.endpointslice.topology
    if mode == "auto":
        labels = _labels(svc)
        drafts = []
        for i, (ports, eps) in enumerate(wanted):
            old = existing[i] if i < len(existing) else None
            if old is not None and old.ports == ports and old.metadata.labels == labels \
                    and hints.same_beyond_hints(old.endpoints, eps):
                drafts.append(hints.SliceDraft(old.endpoints, unchanged=True))
            else:
                drafts.append(hints.SliceDraft(eps, unchanged=False))
        hinted, events = cache.add_hints(svc.key, drafts)
        return [(ports, eps) for (ports, _), eps in zip(wanted, hinted, strict=True)], events
    events = _hints_off(rt, svc)
    if mode:
        return [(ports, hints.prefer_close(eps, mode == "node")) for ports, eps in wanted], events
    return wanted, events


def _sync_endpoints(rt: Runtime, svc: Service, groups: list[_Group], publish: bool) -> None:
    # As RepackSubsets: each port maps to the addresses that serve it, and ports served by
    # the same addresses share a subset. Addresses sort by IP as text, then by pod UID.
    serving = [g for g in groups if not (svc.spec.ports and not g.ports)]
    if len(serving) == 1:
        subsets = _one_subset(serving[0])
    else:
        subsets = _repack(serving, publish)
    existing = _endpoints(rt, svc.key)
    labels = {**svc.metadata.labels, **({HEADLESS_LABEL: ""} if is_headless(svc) else {})}
    if existing is None:
        rt.api.create_trusted(Endpoints(metadata=ObjectMeta(
            name=svc.name, namespace=svc.namespace, labels=labels,
            annotations={"endpoints.kubernetes.io/last-change-trigger-time": rt.clock.timestamp()}),
            subsets=subsets))
    elif existing.subsets != subsets or existing.metadata.labels != labels:
        existing.subsets = subsets
        existing.metadata.labels = labels
        existing.metadata.annotations["endpoints.kubernetes.io/last-change-trigger-time"] = rt.clock.timestamp()
        rt.api.update_status(existing)


def _one_subset(group: _Group) -> list[EndpointSubset]:
    """The Endpoints' subsets when one group of pods serves every port: the group's sorted
    addresses as they are, no walk over them."""
    if not group.ready_keys and not group.unready_keys:
        return []
    # dict.fromkeys: each port once, in the group's order (as the general case keys them).
    return [EndpointSubset(addresses=list(group.ready), not_ready_addresses=list(group.unready),
                           ports=[EndpointsPort(port=num, name=n or None, protocol=proto)
                                  for n, num, proto in dict.fromkeys(group.ports)])]


def _repack(groups: list[_Group], publish: bool) -> list[EndpointSubset]:
    """RepackSubsets over pods that resolve the Service's ports differently (named target ports)."""
    by_port: dict[tuple | None, dict[tuple, tuple[bool, EndpointAddress]]] = {}
    for group in groups:
        for pod, ep, addr in group.members:
            if ep.conditions.terminating and not publish:
                continue
            ready = bool(publish or ep.conditions.serving)
            for port in group.ports or [None]:
                by_port.setdefault(port, {})[(addr.ip, pod.metadata.uid or "")] = (ready, addr)
    shared: dict[frozenset, list] = {}
    for port, addrs in by_port.items():
        key = frozenset((k, ready) for k, (ready, _) in addrs.items())
        entry = shared.setdefault(key, [addrs, []])
        if port is not None:
            entry[1].append(port)
    subsets = []
    for addrs, ports in shared.values():
        ordered = [addrs[k] for k in sorted(addrs)]
        subsets.append(EndpointSubset(addresses=[a for ready, a in ordered if ready],
                                      not_ready_addresses=[a for ready, a in ordered if not ready],
                                      ports=[EndpointsPort(port=num, name=n or None, protocol=proto)
                                             for n, num, proto in ports]))
    return subsets


def _endpoints(rt: Runtime, key: str) -> Endpoints | None:
    """The stored Endpoints object ``key``, if any."""
    ep = rt.api.store.get("Endpoints", key)
    return ep if isinstance(ep, Endpoints) else None


def _prefix(svc: Service) -> str:
    # generateName keeps at most 58 characters, leaving room for the 5 random ones.
    return f"{svc.name}-"[:58]


def _slice_name(rt: Runtime, svc: Service) -> str:
    while True:
        name = _prefix(svc) + random_suffix(rt.rng)
        if rt.api.store.get("EndpointSlice", f"{svc.namespace}/{name}") is None:
            return name


def _drop_managed(rt: Runtime, svc: Service) -> None:
    for sl in _managed_slices(rt, svc):
        rt.api.delete(sl)
    ep = rt.api.store.get("Endpoints", svc.key)
    if ep is not None and service_type(svc) == "ExternalName":
        rt.api.delete(ep)


MIRROR_MANAGED_BY = "endpointslicemirroring-controller.k8s.io"
SKIP_MIRROR_LABEL = "endpointslice.kubernetes.io/skip-mirror"


def mirror(rt: Runtime, svc: Service) -> None:
    """The EndpointSlice mirroring controller: for a Service without a selector, copy the
    Endpoints you manage by hand into an EndpointSlice, so that kube-proxy (which reads only
    slices) routes to them."""
    ep = _endpoints(rt, svc.key)
    mirrored = [s for s in rt.owned(svc, "EndpointSlice")
                if isinstance(s, EndpointSlice) and s.metadata.labels.get(MANAGED_BY_LABEL) == MIRROR_MANAGED_BY]
    if ep is None or ep.metadata.labels.get(SKIP_MIRROR_LABEL) == "true":
        for sl in mirrored:
            rt.api.delete(sl)
        return
    endpoints, ports = [], []
    for subset in ep.subsets:
        ports = [EndpointPort(name=p.name or "", port=p.port, protocol=p.protocol or "TCP") for p in subset.ports]
        for addr, ready in [(a, True) for a in subset.addresses] + [(a, False) for a in subset.not_ready_addresses]:
            endpoints.append(Endpoint(addresses=[addr.ip], conditions=EndpointConditions(ready=ready),
                                      node_name=addr.node_name, target_ref=addr.target_ref))
    labels = {**svc.metadata.labels, SERVICE_NAME_LABEL: svc.name, MANAGED_BY_LABEL: MIRROR_MANAGED_BY}
    if mirrored:
        sl = mirrored[0]
        if to_plain(sl.endpoints) != to_plain(endpoints) or to_plain(sl.ports) != to_plain(ports):
            sl.endpoints, sl.ports = endpoints, ports
            rt.api.update_status(sl)
        for extra in mirrored[1:]:
            rt.api.delete(extra)
        return
    rt.api.create_trusted(EndpointSlice(
        metadata=ObjectMeta(name=_slice_name(rt, svc), generate_name=_prefix(svc), namespace=svc.namespace,
                            labels=labels,
                            owner_references=[OwnerReference("v1", "Service", svc.name, svc.metadata.uid or "",
                                                             True, True)]),
        address_type="IPv4", endpoints=endpoints, ports=ports))


_NONE = (None, None, None, None, None)
_CHECK = False
"""Set by the equivalence tests: after each incremental sync, walk every pod as well and check
that both give the same endpoints."""


def _zone(rt: Runtime, pod: Pod) -> str | None:
    node = rt.api.store.get("Node", pod.spec.node_name) if pod.spec.node_name else None
    return (node.metadata.labels.get(ZONE_LABEL) or None) if node is not None else None


def _walk(rt: Runtime, svc: Service, asks: tuple, walk: tuple | None, before: dict[str, tuple],
          publish: bool) -> _Tracked:
    """Every pod the Service selects, walked in name order: a pod's endpoint is rebuilt only
    when the pod or its node's zone changed since ``before``."""
    tracked = _Tracked(asks, walk)
    now, groups = tracked.now, tracked.groups
    listed = rt.controllers.endpointslice.endpoint_pods
    prefix = f"{svc.namespace}/"
    for pod in selected_pods(rt, svc):  # sorted by name, as the store lists them
        key = prefix + pod.metadata.name  # type: ignore[operator]  # a stored pod has a name; pod.name costs a call in this hot loop
        known = before.get(key)
        version = pod.metadata.resource_version
        zone = _zone(rt, pod)
        if known is not None and known[0] is pod and known[1] == version and known[3] == zone:
            entry, akey = known[2], known[4]
        else:
            entry = _entry(svc, pod, publish, zone)
            akey = _address_key(pod, entry, publish)
            listed.setdefault(key, set()).add(svc.key)
        now[key] = (pod, version, entry, zone, akey)
        # A pod that declares none of the named ports still gets an endpoint, in a slice
        # without ports (kube-proxy sends it nothing); the Endpoints object leaves it out.
        group = groups.get(entry[0])
        if group is None:
            group = groups[entry[0]] = _Group(entry[0])
        group.append(key, pod, entry[1], entry[2], akey)
    return tracked


def _update(rt: Runtime, svc: Service, tracked: _Tracked, dirty, publish: bool) -> bool:
    """Bring ``tracked`` up to date with the pods changed since the last sync (``dirty``, their
    keys); whether any endpoint was added, removed or rebuilt."""
    changed = False
    store = rt.api.store
    sel = svc.spec.selector
    now, groups = tracked.now, tracked.groups
    listed = rt.controllers.endpointslice.endpoint_pods
    for key in dirty:
        pod = cast("Pod | None", store.get("Pod", key))
        known = now.get(key)
        if pod is None or not _selects(sel, pod):
            if known is not None:
                groups[known[2][0]].remove(key, known[4])
                del now[key]
                changed = True
            continue
        version = pod.metadata.resource_version
        zone = _zone(rt, pod)
        if known is not None:
            if known[0] is pod and known[1] == version and known[3] == zone:
                continue
            groups[known[2][0]].remove(key, known[4])
        entry = _entry(svc, pod, publish, zone)
        akey = _address_key(pod, entry, publish)
        listed.setdefault(key, set()).add(svc.key)
        now[key] = (pod, version, entry, zone, akey)
        group = groups.get(entry[0])
        if group is None:
            group = groups[entry[0]] = _Group(entry[0])
        group.add(key, pod, entry[1], entry[2], akey)
        changed = True
    return changed


def _check(rt: Runtime, svc: Service, tracked: _Tracked, publish: bool) -> None:
    """The incremental endpoints against a walk over every pod (see :data:`_CHECK`)."""
    full = _walk(rt, svc, tracked.asks, tracked.walk, tracked.now, publish)
    assert list(full.now) == sorted(tracked.now), (svc.key, list(full.now), sorted(tracked.now))
    for key, v in full.now.items():
        assert v[2] == tracked.now[key][2], (svc.key, key)
    got = [(g.ports, g.keys, g.eps, g.ready_keys, g.unready_keys)
           for g in sorted((g for g in tracked.groups.values() if g.keys), key=lambda g: g.keys[0])]
    want = [(g.ports, g.keys, g.eps, g.ready_keys, g.unready_keys) for g in full.groups.values()]
    assert got == want, svc.key
