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
    sel = svc.spec.selector
    # The store keeps a kind's own class; a cast, not an isinstance per pod, in this hot loop.
    pods = cast("list[Pod]", rt.api.store.items("Pod", svc.namespace))
    return [p for p in pods
            if sel.items() <= p.metadata.labels.items() and p.status.pod_ip
            and p.status.phase not in ("Succeeded", "Failed")]


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
    """Rewrite the Service's EndpointSlices and Endpoints if what they should say has changed."""
    if service_type(svc) == "ExternalName" or not svc.spec.selector:
        _drop_managed(rt, svc)
        if service_type(svc) != "ExternalName":
            mirror(rt, svc)
        return
    publish = bool(svc.spec.publish_not_ready_addresses)
    controller = rt.controllers.endpointslice
    mode = hints.heuristic(svc)
    asks = (tuple((sp.name, sp.port, sp.protocol, sp.target_port) for sp in svc.spec.ports), publish,
            svc.metadata.uid, is_headless(svc), tuple(sorted(svc.metadata.labels.items())), mode,
            # Topology-aware hints are checked again whenever the zones' CPU shares change.
            controller.topology.generation if mode == "auto" else None)
    memo = controller.memo
    seen_asks, before, written = memo.get(svc.key, (None, {}, ()))
    if seen_asks != asks:
        before = {}
    now: dict[str, tuple] = {}
    groups: dict[tuple, list[tuple[Pod, Endpoint, EndpointAddress]]] = {}
    listed = controller.endpoint_pods
    prefix = f"{svc.namespace}/"
    store = rt.api.store
    for pod in selected_pods(rt, svc):  # sorted by name, as the store lists them
        key = prefix + pod.metadata.name  # type: ignore[operator]  # a stored pod has a name; pod.name costs a call in this hot loop
        known = before.get(key)
        version = pod.metadata.resource_version
        node = store.get("Node", pod.spec.node_name) if pod.spec.node_name else None
        zone = (node.metadata.labels.get(ZONE_LABEL) or None) if node is not None else None
        if known is not None and known[0] is pod and known[1] == version and known[3] == zone:
            entry = known[2]
        else:
            entry = _entry(svc, pod, publish, zone)
            listed.setdefault(key, set()).add(svc.key)
        now[key] = (pod, version, entry, zone)
        # A pod that declares none of the named ports still gets an endpoint, in a slice
        # without ports (kube-proxy sends it nothing); the Endpoints object leaves it out.
        groups.setdefault(entry[0], []).append((pod, entry[1], entry[2]))
    if before and len(now) == len(before) and all(
            before.get(k, (None, None, None, None))[2] is v[2] for k, v in now.items()) \
            and all(rt.api.store.get(o.kind, o.key) is o for o in written):
        # No endpoint changed and what was written is still there: nothing to do.
        memo[svc.key] = (asks, now, written)
        return
    _sync_slices(rt, svc, groups, mode)
    _sync_endpoints(rt, svc, groups, publish)
    written = (*_managed_slices(rt, svc), rt.api.store.get("Endpoints", svc.key))
    memo[svc.key] = (asks, now, written)


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


def _sync_slices(rt: Runtime, svc: Service, groups: dict[tuple, list], mode: str) -> None:
    wanted: list[tuple[list[EndpointPort], list[Endpoint]]] = []
    for resolved, members in groups.items():
        eps = [ep for _, ep, _ in members]
        for i in range(0, len(eps), MAX_ENDPOINTS_PER_SLICE):
            eports = [EndpointPort(name=n, port=num, protocol=proto) for n, num, proto in resolved]
            wanted.append((eports, eps[i:i + MAX_ENDPOINTS_PER_SLICE]))
    if not wanted:
        # A Service with no endpoints still has one (empty) placeholder slice.
        wanted.append(([], []))
    existing = sorted(_managed_slices(rt, svc), key=lambda s: s.name)
    wanted, events = _with_hints(rt, svc, wanted, existing, mode)
    for i, (ports, eps) in enumerate(wanted):
        labels = _labels(svc)
        if i < len(existing):
            sl = existing[i]
            # Dataclass equality: both sides are built the same way, and it is much cheaper than
            # comparing the API dicts.
            if sl.endpoints != eps or sl.ports != ports \
                    or sl.metadata.labels != labels:
                sl.endpoints, sl.ports, sl.metadata.labels = eps, ports, labels
                sl.metadata.annotations["endpoints.kubernetes.io/last-change-trigger-time"] = rt.clock.timestamp()
                rt.api.update_status(sl)
            continue
        name = _slice_name(rt, svc)
        sl = EndpointSlice(
            metadata=ObjectMeta(name=name, generate_name=_prefix(svc), namespace=svc.namespace, labels=labels,
                                annotations={"endpoints.kubernetes.io/last-change-trigger-time": rt.clock.timestamp()},
                                owner_references=[OwnerReference("v1", "Service", svc.name, svc.metadata.uid or "",
                                                                 True, True)]),
            address_type="IPv4", endpoints=eps, ports=ports,
        )
        rt.api.create_trusted(sl)
    for sl in existing[len(wanted):]:
        rt.api.delete(sl)
    for event in events:
        rt.api.record_event(svc, event.reason, event.message, "endpoint-slice-controller", event.type)


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
    events = [hints.disabled_event()] if svc.key in cache.hints_populated else []
    cache.remove_hints(svc.key)
    if mode:
        return [(ports, hints.prefer_close(eps, mode == "node")) for ports, eps in wanted], events
    return wanted, events


def _sync_endpoints(rt: Runtime, svc: Service, groups: dict[tuple, list], publish: bool) -> None:
    # As RepackSubsets: each port maps to the addresses that serve it, and ports served by
    # the same addresses share a subset. Addresses sort by IP as text, then by pod UID.
    by_port: dict[tuple | None, dict[tuple, tuple[bool, EndpointAddress]]] = {}
    for ports, members in groups.items():
        if svc.spec.ports and not ports:
            continue
        for pod, ep, addr in members:
            if ep.conditions.terminating and not publish:
                continue
            ready = bool(publish or ep.conditions.serving)
            for port in ports or [None]:
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
