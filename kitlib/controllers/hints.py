"""Topology hints: where the EndpointSlice controller suggests each endpoint be used.

An endpoint's ``hints.forZones`` (and ``hints.forNodes``) tell kube-proxy which clients should
prefer it (:func:`kitlib.network.proxy.servicemap.categorize` reads them). The controller picks
one heuristic per Service, as the reconciler of ``staging/src/k8s.io/endpointslice`` does in
Kubernetes 1.37 (``reconciler.go``, ``trafficdist/``, ``topologycache/``):

1. **Topology-aware routing** when the annotation ``service.kubernetes.io/topology-mode`` is
   ``Auto`` or ``auto`` (the deprecated ``service.kubernetes.io/topology-aware-hints`` decides
   instead when it is set): :class:`TopologyCache`. Each zone is allotted a share of the ready
   endpoints in proportion to the allocatable CPU of its ready nodes (control-plane nodes left
   out), each endpoint is first hinted for its own zone, and zones with too many give some to
   zones with too few. It gives up (no hints, a ``TopologyAwareHintsDisabled`` event) when a
   counted node has no zone or no CPU, when fewer than two zones have nodes, when there are
   fewer ready endpoints than zones, when a zone could not get its minimum without overloading
   an endpoint by more than 20 %, or when a ready endpoint has no zone. The annotation wins
   over ``trafficDistribution``.
2. **``trafficDistribution``** ``PreferClose`` or ``PreferSameZone``: every ready endpoint is
   hinted for its own zone; ``PreferSameNode``: for its own node too (``trafficdist``).
3. Otherwise: no hints (any left over are removed).

Not-ready endpoints get no hints. Where Go walks a map (zones to give to, the zone with the most
to give), zones are taken in name order, so that a seed gives one outcome.

Simplifications, one sentence each: which endpoints a zone gives away follows kitlib's slice
order (pods by name), where the reconciler fills new slices in Go's random set order; the
``TopologyAwareHints*`` events are recorded when a sync reaches this step, and kitlib skips the
syncs that change nothing, so their counts may be lower than a real cluster's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..api.discovery import Endpoint, EndpointHints, ForNode, ForZone
from ..api.node import CONTROL_PLANE_LABEL, ZONE_LABEL, cpu_millis, node_ready
from ..api.service import (
    PREFER_CLOSE,
    PREFER_SAME_NODE,
    PREFER_SAME_ZONE,
    TOPOLOGY_AWARE_HINTS_ANNOTATION,
    TOPOLOGY_MODE_ANNOTATION,
    Service,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..api.node import Node

OVERLOAD_THRESHOLD = 0.2
"""The most any endpoint may be overloaded by the allotment (``overloadThreshold``)."""
ADDRESS_TYPE = "IPv4"

# topologycache/event.go
NO_ZONE_SPECIFIED = "One or more endpoints do not have a zone specified"
NO_ALLOCATED_HINTS_FOR_ZONES = "No hints allocated for zones"
TOPOLOGY_AWARE_HINTS_ENABLED = "Topology Aware Hints has been enabled"
TOPOLOGY_AWARE_HINTS_DISABLED = "Topology Aware Hints has been disabled"
INSUFFICIENT_NODE_INFO = "Insufficient Node information: allocatable CPU or zone not specified on one or more nodes"
NODES_READY_IN_ONE_ZONE_ONLY = "Nodes only ready in one zone"
INSUFFICIENT_NUMBER_OF_ENDPOINTS = "Insufficient number of endpoints"
MIN_ALLOCATION_EXCEEDS_OVERLOAD_THRESHOLD = ("Unable to allocate minimum required endpoints to each zone without "
                                             "exceeding overload threshold")
CLOSE_DISTRIBUTIONS = (PREFER_CLOSE, PREFER_SAME_ZONE, PREFER_SAME_NODE)


@dataclass(frozen=True)
class HintEvent:
    """An event the controller records on the Service (``topologycache.EventBuilder``)."""

    type: str
    reason: str
    message: str


@dataclass(frozen=True)
class Allocation:
    """How many endpoints a zone should get: at least ``minimum``, at most ``maximum``, ideally ``desired``."""

    minimum: int
    maximum: int
    desired: float


@dataclass
class SliceDraft:
    """One EndpointSlice's endpoints as the reconciler is about to write them; ``unchanged``
    when nothing but hints could change in it (its existing hints are then kept while valid)."""

    endpoints: list[Endpoint]
    unchanged: bool


def auto_hints(svc: Service) -> bool:
    """``hintsEnabled``: the topology annotation asks for topology-aware routing (``Auto``/``auto``);
    the deprecated annotation decides when it is present."""
    annotations = svc.metadata.annotations
    value = annotations.get(TOPOLOGY_AWARE_HINTS_ANNOTATION)
    if value is None:
        value = annotations.get(TOPOLOGY_MODE_ANNOTATION)
    return value in ("Auto", "auto")


def heuristic(svc: Service) -> str:
    """Which hints the Service's slices get: ``auto`` (the topology cache), ``zone``
    (PreferClose, PreferSameZone), ``node`` (PreferSameNode) or ``""`` (none)."""
    if auto_hints(svc):
        return "auto"
    td = svc.spec.traffic_distribution
    if td in CLOSE_DISTRIBUTIONS:
        return "node" if td == PREFER_SAME_NODE else "zone"
    return ""


def ready(ep: Endpoint) -> bool:
    """``EndpointReady``: the Ready condition is set and true."""
    return bool(ep.conditions.ready)


def prefer_close(endpoints: list[Endpoint], same_node: bool) -> list[Endpoint]:
    """``preferCloseHeuristic``: each ready endpoint hinted for its own zone (and, for
    PreferSameNode, its own node); the others as they are. Returns copies where hints change."""
    out = []
    for ep in endpoints:
        if ready(ep):
            zones = [ForZone(ep.zone)] if ep.zone is not None else []
            nodes = [ForNode(ep.node_name)] if ep.node_name is not None and same_node else []
            hints = EndpointHints(zones, nodes) if zones or nodes else None
            if ep.hints != hints:
                ep = replace(ep, hints=hints)
        out.append(ep)
    return out


def without_hints(endpoints: list[Endpoint]) -> list[Endpoint]:
    """``RemoveHintsFromSlices`` for one slice: the endpoints with no hints (copies where needed)."""
    return [ep if ep.hints is None else replace(ep, hints=None) for ep in endpoints]


def same_beyond_hints(a: list[Endpoint], b: list[Endpoint]) -> bool:
    """The two lists differ in nothing but hints (``EndpointsEqualBeyondHash`` ignores them)."""
    return len(a) == len(b) and all(x == y if x.hints is None else replace(x, hints=None) == y for x, y in zip(a, b, strict=True))


class TopologyCache:
    """``topologycache.TopologyCache``: the CPU share of each zone, and the hints allotted per Service.

    Only Ready nodes without a control-plane (or master) role label count. One of them without a
    zone or allocatable CPU, or fewer than two zones, and no Service gets hints.
    """

    def __init__(self) -> None:
        self.cpu_by_zone: dict[str, int] | None = {}
        self.cpu_ratios_by_zone: dict[str, float] | None = {}
        """Each zone's share of the counted CPU; None when the nodes do not allow hints."""
        self.endpoints_by_service: dict[str, dict[str, int]] = {}
        """Service key -> the number of endpoints hinted for each zone."""
        self.hints_populated: set[str] = set()
        self.generation = 0
        """Bumped whenever the shares change, so that a Service's next sync checks its hints again."""

    def set_nodes(self, nodes: Iterable[Node]) -> None:
        """``SetNodes``: recount each zone's allocatable CPU over the Ready, non-control-plane nodes."""
        cpu_by_zone: dict[str, int] = {}
        sufficient = True
        total = 0
        for node in nodes:
            labels = node.metadata.labels
            if CONTROL_PLANE_LABEL in labels or "node-role.kubernetes.io/master" in labels:
                continue
            if not node_ready(node):
                continue
            cpu = cpu_millis(node.status.allocatable.get("cpu"))
            zone = labels.get(ZONE_LABEL, "")
            if not zone or cpu == 0:
                cpu_by_zone, sufficient = {}, False
                break
            total += cpu
            cpu_by_zone[zone] = cpu_by_zone.get(zone, 0) + cpu
        before = self.cpu_ratios_by_zone
        if total == 0 or not sufficient or len(cpu_by_zone) < 2:
            self.cpu_by_zone = self.cpu_ratios_by_zone = None
        else:
            self.cpu_by_zone = cpu_by_zone
            self.cpu_ratios_by_zone = {zone: cpu / total for zone, cpu in cpu_by_zone.items()}
        if self.cpu_ratios_by_zone != before:
            self.generation += 1

    def overloaded_services(self) -> list[str]:
        """``GetOverloadedServices``: the Services some zone has too few hinted endpoints for now."""
        ratios = self.cpu_ratios_by_zone
        return sorted(key for key, ezi in self.endpoints_by_service.items() if _service_overloaded(ezi, ratios))

    def allocations(self, n: int) -> dict[str, Allocation] | HintEvent:
        """``getAllocations``: each zone's minimum and maximum share of ``n`` ready endpoints, or
        the event saying why none can be given."""
        ratios = self.cpu_ratios_by_zone
        if ratios is None:
            return _disabled(INSUFFICIENT_NODE_INFO)
        if len(ratios) < 2:
            return _disabled(NODES_READY_IN_ONE_ZONE_ONLY)
        if len(ratios) > n:
            return _disabled(f"{INSUFFICIENT_NUMBER_OF_ENDPOINTS} ({n} endpoints, {len(ratios)} zones)")
        remaining, min_total = n, 0
        minimums: dict[str, tuple[int, float]] = {}
        for zone, ratio in ratios.items():
            desired = ratio * float(n)
            minimum = int(math.ceil(desired * (1 / (1 + OVERLOAD_THRESHOLD))))
            minimums[zone] = (minimum, max(desired, float(minimum)))
            min_total += minimum
            remaining -= minimum
            if remaining < 0:
                return _disabled(f"{MIN_ALLOCATION_EXCEEDS_OVERLOAD_THRESHOLD} ({n} endpoints, {len(ratios)} zones)")
        return {zone: Allocation(m, m + n - min_total, d) for zone, (m, d) in minimums.items()}

    def remove_hints(self, key: str) -> None:
        """``RemoveHints``: forget what was allotted for the Service."""
        self.endpoints_by_service.pop(key, None)
        self.hints_populated.discard(key)

    def add_hints(self, key: str, drafts: list[SliceDraft]) -> tuple[list[list[Endpoint]], list[HintEvent]]:
        """``AddHints``: the endpoints of each slice with their zone hints, and the events to record."""
        total = sum(1 for d in drafts for ep in d.endpoints if ready(ep))
        allocations = self.allocations(total)
        if isinstance(allocations, HintEvent):
            self.remove_hints(key)
            return ([without_hints(d.endpoints) for d in drafts],
                    [replace(allocations, message=_with_type(allocations.message))])
        allocated: dict[str, int] = {}
        # getAllocatedHintsByZone: unchanged slices keep their hints while they remain valid.
        invalid = []
        for d in drafts:
            if d.unchanged:
                by_zone = _hints_by_zone(d.endpoints, allocated, allocations)
                if by_zone is None:
                    invalid.append(d)
                else:
                    for zone, count in by_zone.items():
                        allocated[zone] = allocated.get(zone, 0) + count
        allocatable = [d for d in drafts if not d.unchanged] + invalid
        work = [list(d.endpoints) for d in allocatable]
        # Step 1: every ready endpoint hinted for its own zone.
        for eps in work:
            for i, ep in enumerate(eps):
                if not ready(ep):
                    continue
                if not ep.zone:
                    self.remove_hints(key)
                    return ([without_hints(d.endpoints) for d in drafts],
                            [HintEvent("Warning", "TopologyAwareHintsDisabled", _with_type(NO_ZONE_SPECIFIED))])
                allocated[ep.zone] = allocated.get(ep.zone, 0) + 1
                eps[i] = replace(ep, hints=EndpointHints([ForZone(ep.zone)]))
        # Steps 2 and 3: zones over their share give endpoints to zones under it.
        giving, receiving = _giving_and_receiving(allocations, allocated)
        for zone, diff in _redistribute(work, giving, receiving).items():
            allocated[zone] = allocated.get(zone, 0) + diff
        if not allocated:
            self.remove_hints(key)
            return ([without_hints(d.endpoints) for d in drafts],
                    [HintEvent("Warning", "TopologyAwareHintsDisabled", _with_type(NO_ALLOCATED_HINTS_FOR_ZONES))])
        events = []
        if key not in self.hints_populated:
            events.append(HintEvent("Normal", "TopologyAwareHintsEnabled", _with_type(TOPOLOGY_AWARE_HINTS_ENABLED)))
        self.endpoints_by_service[key] = allocated
        self.hints_populated.add(key)
        rewritten = {id(d): eps for d, eps in zip(allocatable, work, strict=True)}
        return [rewritten.get(id(d), d.endpoints) for d in drafts], events


def _disabled(message: str) -> HintEvent:
    return HintEvent("Warning", "TopologyAwareHintsDisabled", message)


def _with_type(message: str) -> str:
    """``FormatWithAddressType``."""
    return f"{message}, addressType: {ADDRESS_TYPE}"


def disabled_event() -> HintEvent:
    """The event when a Service that had hints from the annotation no longer asks for them."""
    return HintEvent("Warning", "TopologyAwareHintsDisabled", _with_type(TOPOLOGY_AWARE_HINTS_DISABLED))


def _hints_by_zone(endpoints: list[Endpoint], allocated: dict[str, int],
                   allocations: dict[str, Allocation]) -> dict[str, int] | None:
    """``getHintsByZone``: the hints a slice holds per zone, or None when they must be redone (a ready
    endpoint without a zone hint, a hint for a zone without a share, or a zone over its maximum)."""
    by_zone: dict[str, int] = {}
    for ep in endpoints:
        if not ready(ep):
            continue
        if ep.hints is None or not ep.hints.for_zones:
            return None
        for hint in ep.hints.for_zones:
            if hint.name not in allocations:
                return None
            by_zone[hint.name] = by_zone.get(hint.name, 0) + 1
    for zone, count in by_zone.items():
        if count + allocated.get(zone, 0) > allocations[zone].maximum:
            return None
    return by_zone


def _most(zones: dict[str, float]) -> tuple[str, float]:
    """``getMost``: the zone with the most (the first by name on a tie)."""
    best, most = "", 0.0
    for zone in sorted(zones):
        if zones[zone] > most:
            best, most = zone, zones[zone]
    return best, most


def _giving_and_receiving(allocations: dict[str, Allocation],
                          allocated: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """``getGivingAndReceivingZones``: how many endpoints each zone gives away and receives."""
    giving_wanted: dict[str, float] = {}
    receiving_wanted: dict[str, float] = {}
    for zone, allocation in allocations.items():
        have, target = float(allocated.get(zone, 0)), allocation.desired
        if have > target:
            giving_wanted[zone] = have - target
        elif have < target:
            receiving_wanted[zone] = target - have
    giving: dict[str, int] = {}
    receiving: dict[str, int] = {}
    while True:
        give_zone, to_give = _most(giving_wanted)
        take_zone, to_take = _most(receiving_wanted)
        if not give_zone or not take_zone or (to_give < 1.0 and to_take < 1.0) or to_give < 0.5 or to_take < 0.5:
            break
        giving[give_zone] = giving.get(give_zone, 0) + 1
        giving_wanted[give_zone] -= 1
        receiving[take_zone] = receiving.get(take_zone, 0) + 1
        receiving_wanted[take_zone] -= 1
    return giving, receiving


def _redistribute(slices: list[list[Endpoint]], giving: dict[str, int], receiving: dict[str, int]) -> dict[str, int]:
    """``redistributeHints``: rehint endpoints of giving zones for receiving zones, in slice order."""
    changes: dict[str, int] = {}
    for eps in slices:
        for i, ep in enumerate(eps):
            if not ready(ep):
                continue
            if not giving or not receiving:
                return changes
            if not ep.zone:
                continue
            give_zone = ep.zone
            if giving.get(give_zone, 0) > 0:
                for take_zone in sorted(receiving):
                    if receiving[take_zone] > 0:
                        eps[i] = replace(ep, hints=EndpointHints([ForZone(take_zone)]))
                        giving[give_zone] -= 1
                        if not giving[give_zone]:
                            del giving[give_zone]
                        receiving[take_zone] -= 1
                        if not receiving[take_zone]:
                            del receiving[take_zone]
                        changes[take_zone] = changes.get(take_zone, 0) + 1
                        changes[give_zone] = changes.get(give_zone, 0) - 1
                        break
    return changes


def _service_overloaded(ezi: dict[str, int], ratios: dict[str, float] | None) -> bool:
    """``serviceOverloaded``: some zone has fewer hinted endpoints than its minimum share."""
    if not ezi:
        return False
    if not ratios:
        return True
    total = float(sum(ezi.values()))
    for zone, ratio in ratios.items():
        if zone not in ezi:
            return True
        if ezi[zone] < int(math.ceil(total * ratio * (1 / (1 + OVERLOAD_THRESHOLD)))):
            return True
    return False
