"""kube-scheduler, reduced to what decides placement in this course: it filters out nodes
that are cordoned, tainted, not selected by the pod's ``nodeSelector`` or required node affinity,
without free host ports for the pod's ``hostPort``s (the NodePorts filter), or full, then spreads pods, preferring the node with the fewest pods
of the same owner and then the fewest pods overall (ties drawn at random).

It does not read node conditions: a node that is not ready is tainted so by the node lifecycle
controller (``not-ready`` or ``unreachable``), and a new Node by admission, and the taints keep
pods off it (TaintNodesByCondition). A Node without ``status.allocatable`` has room for no pod."""

from __future__ import annotations

import bisect
import heapq
import operator
from typing import TYPE_CHECKING

from ..api.node import Node, internal_ip
from ..api.pod import NodeSelectorRequirement, Pod, PodCondition, PodSpec, Toleration
from ..apiserver.streams import stream_for
from ..manifest import to_plain
from . import kubelet

if TYPE_CHECKING:
    from ..runtime import Runtime


def _tolerates(pod: Pod, key: str, effect: str) -> bool:
    return tolerated(pod.spec.tolerations, key, effect)


def tolerated(tolerations: list[Toleration], key: str, effect: str, value: str | None = None) -> bool:
    """Whether one of ``tolerations`` tolerates the taint ``key[=value]:effect`` (``ToleratesTaint``:
    an empty key with ``Exists`` tolerates every taint, an empty effect every effect)."""
    for t in tolerations:
        if t.key not in (None, "", key) or t.effect not in (None, "", effect):
            continue
        if t.key in (None, "") and t.operator != "Exists":
            continue
        if t.operator == "Exists" or (t.value or "") == (value or ""):
            return True
    return False


def _requirement_holds(req: NodeSelectorRequirement, value: str | None) -> bool:
    op = req.operator
    if op == "In":
        return value is not None and value in req.values
    if op == "NotIn":
        return value is None or value not in req.values
    if op == "Exists":
        return value is not None
    if op == "DoesNotExist":
        return value is None
    if op in ("Gt", "Lt") and value is not None and value.lstrip("-").isdigit() and req.values:
        return int(value) > int(req.values[0]) if op == "Gt" else int(value) < int(req.values[0])
    return False


def node_selected(spec: PodSpec, node: Node) -> bool:
    """The NodeAffinity filter: ``nodeSelector`` (every label equal) and the required node
    affinity (any term whose ``matchExpressions`` on labels and ``matchFields`` on
    ``metadata.name`` all hold; ``component-helpers/scheduling/corev1/nodeaffinity``)."""
    labels = node.metadata.labels
    if any(labels.get(k) != v for k, v in spec.node_selector.items()):
        return False
    na = spec.affinity.node_affinity if spec.affinity else None
    required = na.required_during_scheduling_ignored_during_execution if na else None
    if required is None:
        return True
    for term in required.node_selector_terms:
        if not term.match_expressions and not term.match_fields:
            continue  # an empty term selects no node
        if all(_requirement_holds(r, labels.get(r.key)) for r in term.match_expressions) and \
                all(_requirement_holds(r, node.name if r.key == "metadata.name" else None) for r in term.match_fields):
            return True
    return False


def _capacity(node: Node) -> int:
    """The pods the node may run (``allocatable.pods``; none if its kubelet never said)."""
    return int(node.status.allocatable.get("pods", "0"))


def _node_filter(pod: Pod, node: Node) -> str | None:
    """Why ``node`` cannot take ``pod`` whatever its load, in the scheduler's words, or None: the
    checks run in the order of the default filter plugins (NodeUnschedulable, TaintToleration,
    ...) and the first that fails names the reason ("Too many pods" is :func:`schedule`'s). They
    read the pod's tolerations only, so :func:`schedule` asks once per node and set of tolerations."""
    if node.spec.unschedulable and not _tolerates(pod, "node.kubernetes.io/unschedulable", "NoSchedule"):
        return "were unschedulable"
    for taint in node.spec.taints:
        if taint.effect in ("NoSchedule", "NoExecute") and not tolerated(pod.spec.tolerations, taint.key,
                                                                         taint.effect, taint.value):
            return f"had untolerated taint {{{taint.key}: {taint.value or ''}}}"
    if not node_selected(pod.spec, node):
        return "didn't match Pod's node affinity/selector"
    return None


PORTS_REASON = "didn't have free ports for the requested pod ports"
"""The NodePorts filter's ErrReason (kube-scheduler ``pkg/scheduler/framework/plugins/nodeports``)."""


def host_ports(pod: Pod) -> set[tuple[str, str, int]]:
    """(hostIP, protocol, hostPort) of every container port of ``pod`` that asks for a host port."""
    wanted: set[tuple[str, str, int]] = set()
    for c in pod.spec.containers:  # loops, not a comprehension: most pods ask for none
        for p in c.ports:
            if p.host_port:
                wanted.add((str(p.extra.get("hostIP") or "0.0.0.0"), p.protocol or "TCP", p.host_port))
    return wanted


def ports_conflict(wanted: set[tuple[str, str, int]], used: set[tuple[str, str, int]]) -> bool:
    """Whether a wanted host port is taken: same protocol and port, and the same hostIP or either
    is 0.0.0.0 (``HostPortInfo.CheckConflict``)."""
    return any(wp == up and wproto == uproto and (wip == uip or "0.0.0.0" in (wip, uip))
               for wip, wproto, wp in wanted for uip, uproto, up in used)


_TOLERATION_FIELDS = operator.attrgetter("key", "operator", "value", "effect", "toleration_seconds")
"""What a toleration is to the filters, as one tuple (read for every pod the scheduler places)."""


def _tolerations_key(pod: Pod) -> tuple:
    """What the filters read of a pod: its tolerations, node selector and node affinity."""
    key: tuple = tuple(map(_TOLERATION_FIELDS, pod.spec.tolerations))
    if pod.spec.node_selector or pod.spec.affinity is not None:
        key += (repr(sorted(pod.spec.node_selector.items())), repr(to_plain(pod.spec.affinity)))
    return key


def _owner_load(rt: Runtime, ref) -> dict[str, int]:
    """Pods per node controlled by ``ref``'s owner and not being deleted."""
    counts: dict[str, int] = {}
    if ref is None:
        return counts
    for p in rt.api.store.owned_by(ref.uid):
        if isinstance(p, Pod) and p.spec.node_name and p.metadata.deletion_timestamp is None:
            counts[p.spec.node_name] = counts.get(p.spec.node_name, 0) + 1
    return counts


_LOAD_BITS = 32
"""A node's score is one int, (the owner's pods on it) << 32 | (all pods on it): ordered as the pair
is (a node never holds 2**32 pods), and neither a tuple to build nor one to hash per placement."""


class _Spread:
    """The feasible nodes for one set of tolerations and one owner, bucketed by score (the
    owner's pods on the node, then all pods on it), so that placing a pod costs a bucket lookup
    instead of scoring every node (30,000 pods on 273 nodes scored 8 million nodes).

    A bucket holds node positions in the node list's order, so the tied nodes come in the order
    :func:`schedule` once listed them and ``rng.choice`` draws the same node."""

    __slots__ = ("mine", "score", "buckets", "heap")

    def __init__(self, feasible: list[int], names: list[str], mine: dict[str, int], load: dict[str, int]) -> None:
        self.mine = mine
        self.score: dict[int, int] = {}
        self.buckets: dict[int, list[int]] = {}
        self.heap: list[int] = []
        for pos in feasible:
            self._add(pos, mine.get(names[pos], 0) << _LOAD_BITS | load[names[pos]])

    def _add(self, pos: int, score: int) -> None:
        self.score[pos] = score
        bucket = self.buckets.get(score)
        if bucket is None:
            self.buckets[score] = [pos]
            heapq.heappush(self.heap, score)
        else:
            bisect.insort(bucket, pos)

    def best(self) -> list[int]:
        """The positions of the nodes with the lowest score, in node order."""
        while self.heap[0] not in self.buckets:  # an emptied bucket's score, still on the heap
            heapq.heappop(self.heap)
        return self.buckets[self.heap[0]]

    def update(self, pos: int, name: str, load: dict[str, int], full: bool) -> None:
        """Move node ``pos`` (if feasible here) to the bucket of its new score, or out of the
        buckets once ``full``."""
        score = self.score.pop(pos, None)
        if score is None:
            return
        bucket = self.buckets[score]
        bucket.pop(bisect.bisect_left(bucket, pos))
        if not bucket:
            del self.buckets[score]
        if not full:
            self._add(pos, self.mine.get(name, 0) << _LOAD_BITS | load[name])


_NO_CLASH: frozenset[str] = frozenset()
"""The nodes whose host ports a pod that asks for none clashes with."""


def schedule(rt: Runtime, keys: list[str]) -> None:
    """Bind each unscheduled pod in ``keys`` to a node, or mark it Unschedulable."""
    nodes = rt.nodes()
    names = [n.name for n in nodes]
    position = {name: i for i, name in enumerate(names)}
    store = rt.api.store
    load = {n.name: len(store.pods_on(n.name)) for n in nodes}
    capacity: dict[str, int] = {}
    # What the filters answer, per set of tolerations: the index of the set (hashed once per pod),
    # and by that index each node's verdict and the nodes that pass every filter.
    slots: dict[tuple, int] = {}
    verdicts: list[list[tuple[Node, str | None]]] = []
    feasible_for: list[list[str]] = []
    by_name = {n.name: n for n in nodes}
    owner_load: dict[str, dict[str, int]] = {}
    spreads: dict[tuple[int, str], _Spread] = {}  # per set of tolerations and owner
    used_ports: dict[str, set[tuple[str, str, int]]] = {}  # node -> host ports its pods hold, when needed
    # Each chosen node's InternalIP, read once per call: binding writes pods and events, never a
    # Node, so it holds for the whole call. (At scale a node's address objects are out of the CPU's
    # caches again by the time the node is chosen next, 278 pods later: reading them cost more
    # than the rest of the kubelet's admission.)
    host_ips: dict[str, str] = {}
    get = store.get
    for key in keys:
        pod = get("Pod", key)
        if not isinstance(pod, Pod) or pod.spec.node_name or pod.metadata.deletion_timestamp is not None:
            continue
        tkey = _tolerations_key(pod)
        slot = slots.get(tkey)
        if slot is None:
            slot = slots[tkey] = len(verdicts)
            verdicts.append([(n, _node_filter(pod, n)) for n in nodes])
            for n, why in verdicts[slot]:
                if why is None and n.name not in capacity:
                    capacity[n.name] = _capacity(n)
            feasible_for.append([n.name for n, why in verdicts[slot]
                                 if why is None and load[n.name] < capacity[n.name]])
        feasible = feasible_for[slot]
        wanted = host_ports(pod)
        clash: frozenset[str] | set[str] = _NO_CLASH
        if wanted:
            # NodePorts runs after NodeAffinity and before NodeResourcesFit ("Too many pods").
            for n in nodes:
                if n.name not in used_ports:
                    used_ports[n.name] = set().union(*(host_ports(p) for p in store.pods_on(n.name)
                                                         if isinstance(p, Pod)))
            clash = {n.name for n in nodes if ports_conflict(wanted, used_ports[n.name])}
            feasible = [name for name in feasible if name not in clash]
        if not feasible:
            reasons: dict[str, int] = {}
            for n, why in verdicts[slot]:
                why = why or (PORTS_REASON if n.name in clash else "Too many pods")
                reasons[why] = reasons.get(why, 0) + 1
            _unschedulable(rt, pod, len(nodes), reasons)
            continue
        ref = pod.metadata.controller_ref()
        owner = ref.uid if ref else key  # the pod's key (its own spread when it has no controller)
        mine = owner_load.get(owner)
        if mine is None:
            mine = owner_load[owner] = _owner_load(rt, ref)
        spread = spreads.get((slot, owner)) if not clash else None
        if clash:  # a spread of its own, over the nodes whose ports are free
            spread = _Spread([position[n] for n in feasible], names, mine, load)
        elif spread is None:
            spread = spreads[(slot, owner)] = _Spread([position[n] for n in feasible], names, mine, load)
        # The lowest (pods of the owner, pods) wins; ties are drawn among the feasible nodes in
        # node order, as from the list of them.
        pos = stream_for(rt.api, pod).choice(spread.best())
        choice = names[pos]
        load[choice] += 1
        mine[choice] = mine.get(choice, 0) + 1
        full = load[choice] >= capacity[choice]
        if full:  # no longer feasible for anyone
            feasible_for = [[name for name in v if name != choice] for v in feasible_for]
        for s in spreads.values():
            s.update(pos, choice, load, full)
        if wanted:
            used_ports[choice] |= wanted
        host_ip = host_ips.get(choice)
        if host_ip is None:
            host_ip = host_ips[choice] = internal_ip(by_name[choice])
        _bind(rt, pod, by_name[choice], choice, host_ip)


def bind(rt: Runtime, pod: Pod, node: Node) -> None:
    """Set ``spec.nodeName`` (the Binding) and hand the pod to that node's kubelet."""
    _bind(rt, pod, node, node.name, internal_ip(node))


def _bind(rt: Runtime, pod: Pod, node: Node, name: str, host_ip: str) -> None:
    """:func:`bind`, given the node's name and InternalIP."""
    api = rt.api
    pod.spec.node_name = name
    st = pod.status
    scheduled = PodCondition("PodScheduled", "True", None, api.clock.timestamp())
    if st.conditions:  # an earlier attempt's PodScheduled=False goes
        st.conditions = [c for c in st.conditions if c.type != "PodScheduled"]
        st.conditions.append(scheduled)
    else:  # a new pod has no condition yet: no list to filter
        st.conditions = [scheduled]
    st.reason = st.message = None
    api.update_status(pod, notify=False)
    api.record_event(pod, "Scheduled", f"Successfully assigned {pod.key} to {name}", "default-scheduler")
    # The node's kubelet takes the pod only if it answers. A node that failed still reads Ready
    # until the node controller's grace period is over, so the scheduler may bind pods to it; they
    # stay Pending, with no status from a kubelet, until the node is back, and its kubelet admits
    # them then (nodelifecycle.restore). Admitting here too would give such a pod a second sandbox
    # and IP on restore, the first one leaked.
    runtime = rt.node_state.get(name)
    if runtime is not None and runtime.up:
        kubelet.admit(rt, pod, node, host_ip)


def _unschedulable(rt: Runtime, pod: Pod, total: int, reasons: dict[str, int]) -> None:
    parts = ", ".join(f"{n} node(s) {why}" if not why.startswith("Too") else f"{n} {why}"
                      for why, n in sorted(reasons.items()))
    # A taken host port is resolvable by preemption, which finds no victim among equal-priority
    # pods; the other reasons kitlib reports make preemption "not helpful" (sorted, as FitError does).
    victims = reasons.get(PORTS_REASON, 0)
    preemption = ([f"{victims} No preemption victims found for incoming pod"] if victims else []) + \
        ([f"{total - victims} Preemption is not helpful for scheduling"] if total - victims else [])
    message = (f"0/{total} nodes are available: {parts}. preemption: 0/{total} nodes are available: "
               f"{', '.join(preemption)}.")
    cond = pod.status.condition("PodScheduled")
    if cond is None or cond.message != message:
        pod.status.conditions = [c for c in pod.status.conditions if c.type != "PodScheduled"]
        pod.status.conditions.append(PodCondition("PodScheduled", "False", None, rt.clock.timestamp(),
                                                  "Unschedulable", message))
        rt.api.update_status(pod, notify=False)
        rt.api.record_event(pod, "FailedScheduling", message, "default-scheduler", "Warning")
