"""The EndpointSlice and Endpoints controllers: keep a Service's endpoint lists in step with
the pods its selector matches.

For each matching pod that has an IP: ``serving`` is the pod's Ready condition,
``terminating`` is whether it is being deleted, and ``ready`` is ``serving and not
terminating`` (or always true with ``publishNotReadyAddresses``). A named ``targetPort``
is looked up in each pod's container ports, so two pods may serve the same Service port on
different numbers. A Service without a selector is left alone: its endpoints are yours.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..api.discovery import (MANAGED_BY, MANAGED_BY_LABEL, MAX_ENDPOINTS_PER_SLICE, SERVICE_NAME_LABEL, Endpoint,
                             EndpointAddress, EndpointConditions, EndpointPort, Endpoints, EndpointSlice,
                             EndpointsPort, EndpointSubset, ObjectReference)
from ..api.meta import ObjectMeta, OwnerReference
from ..api.pod import Pod, is_ready
from ..api.service import Service, is_headless, service_type
from ..manifest import to_plain
from ..names import random_suffix

if TYPE_CHECKING:
    from ..cluster import Cluster

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


def selected_pods(cluster: Cluster, svc: Service) -> list[Pod]:
    sel = svc.spec.selector
    return [p for p in cluster._store.items("Pod", svc.namespace)
            if sel.items() <= p.metadata.labels.items() and p.status.pod_ip
            and p.status.phase not in ("Succeeded", "Failed")]  # type: ignore[misc]


def sync(cluster: Cluster, svc: Service) -> None:
    """Rewrite the Service's EndpointSlices and Endpoints if what they should say has changed."""
    if service_type(svc) == "ExternalName" or not svc.spec.selector:
        _drop_managed(cluster, svc)
        return
    pods = selected_pods(cluster, svc)
    publish = bool(svc.spec.publish_not_ready_addresses)
    groups: dict[tuple, list[tuple[Pod, Endpoint]]] = {}
    for pod in sorted(pods, key=lambda p: p.name):
        ports = []
        for sp in svc.spec.ports:
            number = resolve_target_port(sp, pod)
            if number is not None:
                ports.append((sp.name or "", number, sp.protocol or "TCP"))
        if svc.spec.ports and not ports:
            continue
        serving = is_ready(pod)
        terminating = pod.metadata.deletion_timestamp is not None
        ep = Endpoint(
            addresses=[pod.status.pod_ip or ""],
            conditions=EndpointConditions(ready=publish or (serving and not terminating), serving=serving,
                                          terminating=terminating),
            node_name=pod.spec.node_name,
            target_ref=ObjectReference("Pod", pod.namespace, pod.name, pod.metadata.uid),
        )
        groups.setdefault(tuple(ports), []).append((pod, ep))
        cluster._endpoint_pods.setdefault(pod.key, set()).add(svc.key)
    _sync_slices(cluster, svc, groups)
    _sync_endpoints(cluster, svc, groups, publish)


def _labels(svc: Service, managed: bool = True) -> dict[str, str]:
    labels = {**svc.metadata.labels, SERVICE_NAME_LABEL: svc.name}
    if managed:
        labels[MANAGED_BY_LABEL] = MANAGED_BY
    if is_headless(svc):
        labels[HEADLESS_LABEL] = ""
    return labels


def _managed_slices(cluster: Cluster, svc: Service) -> list[EndpointSlice]:
    return [s for s in cluster.owned(svc, "EndpointSlice")  # type: ignore[misc]
            if s.metadata.labels.get(MANAGED_BY_LABEL) == MANAGED_BY]


def _sync_slices(cluster: Cluster, svc: Service, groups: dict[tuple, list]) -> None:
    wanted: list[tuple[list[EndpointPort], list[Endpoint]]] = []
    for ports, members in groups.items():
        eps = [ep for _, ep in members]
        eports = [EndpointPort(name=n, port=num, protocol=proto) for n, num, proto in ports]
        for i in range(0, len(eps), MAX_ENDPOINTS_PER_SLICE):
            wanted.append((eports, eps[i:i + MAX_ENDPOINTS_PER_SLICE]))
    if not wanted:
        # A Service with no endpoints still has one (empty) placeholder slice.
        wanted.append(([], []))
    existing = sorted(_managed_slices(cluster, svc), key=lambda s: s.name)
    for i, (ports, eps) in enumerate(wanted):
        labels = _labels(svc)
        if i < len(existing):
            sl = existing[i]
            if to_plain(sl.endpoints) != to_plain(eps) or to_plain(sl.ports) != to_plain(ports) \
                    or sl.metadata.labels != labels:
                sl.endpoints, sl.ports, sl.metadata.labels = eps, ports, labels
                sl.metadata.annotations["endpoints.kubernetes.io/last-change-trigger-time"] = cluster.clock.timestamp()
                cluster._store.touch(sl)
                cluster._changed(sl)
            continue
        name = f"{svc.name}-{random_suffix(cluster.rng)}"
        sl = EndpointSlice(
            metadata=ObjectMeta(name=name, generate_name=f"{svc.name}-", namespace=svc.namespace, labels=labels,
                                annotations={"endpoints.kubernetes.io/last-change-trigger-time": cluster.clock.timestamp()},
                                owner_references=[OwnerReference("v1", "Service", svc.name, svc.metadata.uid or "",
                                                                 True, True)]),
            address_type="IPv4", endpoints=eps, ports=ports,
        )
        cluster._commit_create(sl)
    for sl in existing[len(wanted):]:
        cluster._remove(sl)


def _sync_endpoints(cluster: Cluster, svc: Service, groups: dict[tuple, list], publish: bool) -> None:
    subsets = []
    for ports, members in groups.items():
        ready, not_ready = [], []
        for pod, ep in members:
            if ep.conditions.terminating and not publish:
                continue
            addr = EndpointAddress(ip=pod.status.pod_ip or "", node_name=pod.spec.node_name,
                                   target_ref=ObjectReference("Pod", pod.namespace, pod.name, pod.metadata.uid))
            (ready if publish or ep.conditions.serving else not_ready).append(addr)
        if not ready and not not_ready:
            continue
        key = lambda a: tuple(int(x) for x in a.ip.split("."))  # noqa: E731
        subsets.append(EndpointSubset(addresses=sorted(ready, key=key), not_ready_addresses=sorted(not_ready, key=key),
                                      ports=[EndpointsPort(port=num, name=n or None, protocol=proto)
                                             for n, num, proto in ports]))
    existing = cluster._store.get("Endpoints", svc.key)
    labels = {**svc.metadata.labels, **({HEADLESS_LABEL: ""} if is_headless(svc) else {})}
    if existing is None:
        cluster._commit_create(Endpoints(metadata=ObjectMeta(
            name=svc.name, namespace=svc.namespace, labels=labels,
            annotations={"endpoints.kubernetes.io/last-change-trigger-time": cluster.clock.timestamp()}),
            subsets=subsets))
    elif to_plain(existing.subsets) != to_plain(subsets) or existing.metadata.labels != labels:  # type: ignore[attr-defined]
        existing.subsets = subsets  # type: ignore[attr-defined]
        existing.metadata.labels = labels
        existing.metadata.annotations["endpoints.kubernetes.io/last-change-trigger-time"] = cluster.clock.timestamp()
        cluster._store.touch(existing)
        cluster._changed(existing)


def _drop_managed(cluster: Cluster, svc: Service) -> None:
    for sl in _managed_slices(cluster, svc):
        cluster._remove(sl)
    ep = cluster._store.get("Endpoints", svc.key)
    if ep is not None and service_type(svc) == "ExternalName":
        cluster._remove(ep)
