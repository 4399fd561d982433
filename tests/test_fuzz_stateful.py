"""A Hypothesis state machine over the public verbs and kubectl (issue 10): after every call, valid
or not, the cluster keeps the invariants a real one keeps.

* Pod IPs are unique, each lies in its node's podCIDR, and each node's IPAM (host-local) holds
  exactly the IPs of the pods on that node.
* ClusterIPs are unique and in the service CIDR; NodePorts are unique and in 30000-32767.
* Every selector Service's EndpointSlices list exactly the pods it selects that have an IP and are
  not Succeeded or Failed, each ``ready`` exactly when the pod is Ready and not terminating (or
  always, with ``publishNotReadyAddresses``): the rule of ``kitlib/controllers/endpointslice.py``.
* Every ReplicaSet owns exactly ``spec.replicas`` active pods (not terminating, not finished): the
  ReplicaSet controller creates and deletes pods at once, whether or not they can be scheduled.
* After the cluster is healed (nodes restored and uncordoned, faults cleared) and time has
  passed, each Deployment that can finish its rollout has finished it: ``spec.replicas`` active
  pods, all Running and Ready, all of the current template (see :func:`can_converge`).
* A failed call raises an ApiError (or a ValueError) and leaves ``cluster.state()`` unchanged, but
  for the shapes of ``tests/fuzzing.py``'s ``WAITS`` and ``PARTIAL``.

The calls are ``tests/fuzzing.py``'s generators (the same shapes and pools as
``tests/test_operations.py``), plus adding a node and the healing step. Examples are derandomized,
so CI runs the same ones each time; ``KITLIB_FUZZ_OPS`` (``make fuzz``) asks for more.
"""

from __future__ import annotations

import ipaddress
import random
import time
from collections import Counter

from fuzzing import GENERATORS, Op, checked_call, fuzz_ops, new_cluster
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

import kitlib
from kitlib.api.discovery import MANAGED_BY, MANAGED_BY_LABEL, SERVICE_NAME_LABEL
from kitlib.container import behaviour
from kitlib.controllers import prober

STEPS = 25
"""Calls per example (``stateful_step_count``)."""
CI_OPERATIONS = 3_000
"""About how many calls CI makes in all (``max_examples`` is this over ``STEPS``)."""
MAX_NODES = 5
HEAL_EVERY = 8
"""Calls between two healing steps (healing is slow, and a healed cluster is a quiet one)."""
SETTLE_SECONDS = prober.MAX_BACKOFF + 30.0
"""Long past a pod's startup (an image pull and a container start take seconds), and past the
longest CrashLoopBackOff: a container that crashed until its fault was cleared starts again only
when its back-off (up to 5 minutes) has run out (see :func:`test_healed_crash_loop_is_ready_after_settling`)."""
SERVING_IMAGES = frozenset({"nginx", "nginx:1.25", "kitlib/webapp:1"})
"""Images whose containers start and stay Ready without probes to fail (busybox exits; broken crashes)."""

SKIPPED_SHAPES: dict[str, str] = {}
"""Operation shapes left out of the machine, each for a known engine bug (one line of reason each)."""

CALLS: Counter[str] = Counter()
"""Calls made by the machine: ok, failed, and the healing step's (every example, shrinking included)."""

_SHAPES = [(name, make) for name, make, _ in GENERATORS if name not in SKIPPED_SHAPES]


def _active(pod) -> bool:
    return pod.metadata.deletion_timestamp is None and pod.status.phase not in ("Succeeded", "Failed")


def _host_network(pod) -> bool:
    return bool(getattr(pod.spec, "host_network", False))


def can_converge(cluster: kitlib.Cluster, deployment) -> bool:
    """Whether a Deployment must have finished its rollout once the cluster is healed: not paused,
    every container image one that serves (no crash, no exit), no probe that a fault or a wrong port
    could fail, and some schedulable node. Anything else may legitimately stall a rollout."""
    spec = deployment.spec
    if getattr(spec, "paused", False):
        return False
    for c in spec.template.spec.containers:
        if c.image not in SERVING_IMAGES or c.readiness_probe or c.liveness_probe or c.startup_probe:
            return False
    if spec.template.spec.node_name:
        return False
    return any(cluster.node_runtime(n.name).up and not n.spec.unschedulable for n in cluster.nodes())


class ClusterMachine(RuleBasedStateMachine):
    """Random valid and invalid calls on one cluster, with the invariants checked after each."""

    def __init__(self) -> None:
        super().__init__()
        self.cluster: kitlib.Cluster | None = None
        self.settled = False
        self.steps_since_heal = 0

    @initialize(seed=st.integers(0, 5))
    def start(self, seed: int) -> None:
        self.cluster = new_cluster(seed)  # 1 to 3 nodes, Deployment web with 2 replicas

    def call(self, op: Op, count: str = "") -> str:
        """Run ``op`` with the checks of ``tests/fuzzing.py``; counted in :data:`CALLS` as ok or
        failed, or under ``count`` (the healing step's own calls)."""
        assert self.cluster is not None
        before = self.cluster.state()
        output, _, problems = checked_call(self.cluster, op, before)
        CALLS[count or ("ok" if output.startswith("ok: ") else "failed")] += 1
        problems = [p for p in problems if not p.startswith("plain ValueError")]  # ValueError is allowed
        assert not problems, f"[{op.shape}] {op.text}: {problems}"
        self.settled = False
        self.steps_since_heal += 1
        return output

    # ------------------------------------------------------------------ rules

    @rule(shape=st.sampled_from(_SHAPES), seed=st.integers(0, 2**16))
    def operation(self, shape, seed: int) -> None:
        """One call of ``tests/fuzzing.py``'s shapes (kubectl and the Python verbs, valid and not)."""
        self.call(shape[1](random.Random(seed)))

    @rule(shape=st.sampled_from(_SHAPES), seed=st.integers(0, 2**16))
    def another_operation(self, shape, seed: int) -> None:
        """The same rule again, so that these calls make most of the steps (rules are drawn alike)."""
        self.call(shape[1](random.Random(seed)))

    @rule(what=st.sampled_from(["add_node", 60.0, 400.0]))
    def nodes_and_time(self, what: str | float) -> None:
        """Join a node (up to :data:`MAX_NODES`), or let a minute or past the eviction timeout go by."""
        assert self.cluster is not None
        if what == "add_node" and len(self.cluster.nodes()) < MAX_NODES:
            self.call(Op("cluster.add_node", "add_node", ()))
        elif what != "add_node":
            self.call(Op("cluster.advance", "advance", (what,)))

    @precondition(lambda self: self.steps_since_heal >= HEAL_EVERY)
    @rule()
    def heal_and_settle(self) -> None:
        """Restore and uncordon every node, clear every fault, then let time pass."""
        assert self.cluster is not None
        c = self.cluster
        for node in c.nodes():
            if node.name in c.runtime.node_state:  # a Node applied through the API has no machine
                if not c.node_runtime(node.name).up:
                    self.call(Op("cluster node", "restore_node", (node.name,)), "healing")
                if node.spec.unschedulable:
                    self.call(Op("cluster node", "uncordon", (node.name,)), "healing")
        for pod in c.pods():
            for fault in sorted(behaviour.faults(c.runtime, pod)):
                self.call(Op("cluster.set_fault", "set_fault", (pod.name, fault, False)), "healing")
        self.call(Op("cluster.advance", "advance", (SETTLE_SECONDS,)))
        self.settled = True
        self.steps_since_heal = 0

    # ------------------------------------------------------------------ invariants

    @invariant()
    def pod_addresses(self) -> None:
        if self.cluster is None:
            return
        c = self.cluster
        pods = [p for p in c.pods(namespace=None) if p.status.pod_ip and not _host_network(p)]
        ips = [p.status.pod_ip for p in pods]
        assert len(ips) == len(set(ips)), f"pod IPs not unique: {sorted(ips)}"
        nodes = {n.name: n for n in c.nodes()}
        held: dict[str, set[int]] = {name: set() for name in nodes}
        for p in pods:
            node = nodes.get(p.spec.node_name or "")
            assert node is not None, f"{p.key} has IP {p.status.pod_ip} on node {p.spec.node_name!r}, not a Node"
            assert ipaddress.ip_address(p.status.pod_ip) in ipaddress.ip_network(node.spec.pod_cidr), \
                f"{p.key} {p.status.pod_ip} outside {node.name}'s podCIDR {node.spec.pod_cidr}"
            held[node.name].add(int(ipaddress.ip_address(p.status.pod_ip)))
        for name, ips_on_node in held.items():
            in_use = c.node_runtime(name).ipam.in_use
            assert in_use == ips_on_node, (
                f"{name}'s IPAM holds {sorted(map(str, map(ipaddress.ip_address, in_use)))}, its pods have "
                f"{sorted(map(str, map(ipaddress.ip_address, ips_on_node)))}")

    @invariant()
    def service_addresses(self) -> None:
        if self.cluster is None:
            return
        c = self.cluster
        cidr = ipaddress.ip_network(c.service_cidr)
        ips: list[str] = []
        ports: list[int] = []
        for svc in c.list("Service", namespace=None):
            for ip in svc.spec.cluster_ips or ([svc.spec.cluster_ip] if svc.spec.cluster_ip else []):
                if ip != "None":
                    assert ipaddress.ip_address(ip) in cidr, f"{svc.key} ClusterIP {ip} outside {cidr}"
                    ips.append(ip)
            ports += [p.node_port for p in svc.spec.ports if p.node_port]
        assert len(ips) == len(set(ips)), f"ClusterIPs not unique: {sorted(ips)}"
        assert len(ports) == len(set(ports)), f"NodePorts not unique: {sorted(ports)}"
        assert all(30000 <= p <= 32767 for p in ports), f"NodePort out of range: {sorted(ports)}"

    @invariant()
    def endpoint_slices_list_the_selected_pods(self) -> None:
        if self.cluster is None:
            return
        c = self.cluster
        slices = [s for s in c.list("EndpointSlice", namespace=None)
                  if s.metadata.labels.get(MANAGED_BY_LABEL) == MANAGED_BY]
        for svc in c.list("Service", namespace=None):
            if svc.spec.type == "ExternalName" or not svc.spec.selector:
                continue
            publish = bool(svc.spec.publish_not_ready_addresses)
            want = {}
            for p in c.pods(namespace=svc.namespace):
                if (svc.spec.selector.items() <= p.metadata.labels.items() and p.status.pod_ip
                        and p.status.phase not in ("Succeeded", "Failed")):
                    ready = p.status.condition("Ready")
                    serving = ready is not None and ready.status == "True"
                    want[p.name] = publish or (serving and p.metadata.deletion_timestamp is None)
            listed = [(ep.target_ref.name, bool(ep.conditions.ready)) for s in slices
                      if s.namespace == svc.namespace and s.metadata.labels.get(SERVICE_NAME_LABEL) == svc.name
                      for ep in s.endpoints]
            have = dict(listed)
            assert len(have) == len(listed), f"{svc.key}'s EndpointSlices list a pod twice: {listed}"
            assert have == want, f"{svc.key}'s EndpointSlices say {have}, its pods say {want}"

    @invariant()
    def replica_sets_own_their_replicas(self) -> None:
        if self.cluster is None:
            return
        c = self.cluster
        for rs in c.list("ReplicaSet", namespace=None):
            active = [p.name for p in c.owned(rs, "Pod") if _active(p)]
            assert len(active) == rs.spec.replicas, f"{rs.key} wants {rs.spec.replicas}, owns {active}"

    @invariant()
    def deployments_converge_once_healed(self) -> None:
        if self.cluster is None or not self.settled:
            return
        c = self.cluster
        for d in c.list("Deployment", namespace=None):
            if not can_converge(c, d):
                continue
            pods = [p for rs in c.owned(d, "ReplicaSet") for p in c.owned(rs, "Pod") if _active(p)]
            summary = [(p.name, p.status.phase, p.metadata.labels.get("pod-template-hash")) for p in pods]
            assert len(pods) == d.spec.replicas, f"{d.key} wants {d.spec.replicas} pods, has {summary}"
            assert all(p.status.phase == "Running" and p.status.condition("Ready") is not None
                       and p.status.condition("Ready").status == "True" for p in pods), \
                f"{d.key}'s pods are not all Ready: {summary}"
            assert (d.status.updated_replicas or 0) == d.spec.replicas, \
                f"{d.key}: {d.status.updated_replicas} of {d.spec.replicas} updated, pods {summary}"


SETTINGS = settings(max_examples=max(1, fuzz_ops(CI_OPERATIONS) // STEPS), stateful_step_count=STEPS,
                    deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))


def test_cluster_machine() -> None:
    """Random calls, valid and invalid, keep every invariant (``KITLIB_FUZZ_OPS`` calls, about)."""
    CALLS.clear()
    start = time.perf_counter()
    run_state_machine_as_test(ClusterMachine, settings=SETTINGS)
    calls = CALLS["ok"] + CALLS["failed"]
    print(f"{calls} calls ({CALLS['failed']} failed; {CALLS['healing']} more to heal) "
          f"in {time.perf_counter() - start:.1f}s")
    assert calls >= fuzz_ops(CI_OPERATIONS) // 2


def test_healed_crash_loop_is_ready_after_settling() -> None:
    """A container whose app crashed for minutes is in CrashLoopBackOff with the kubelet's longest
    back-off (5 minutes, ``MaxContainerBackOff``); clearing the fault does not restart it sooner,
    so its pod stays Running and not Ready until the back-off runs out. The healing step waits
    that long (a 40,000-call run once reported such a pod after ``set_fault``, ``advance 400``
    and a heal that waited 120 s)."""
    cluster = new_cluster(0)
    cluster.kubectl("set image deployment/web nginx=kitlib/webapp:1")
    cluster.advance(30)
    name = cluster.pods()[0].name
    cluster.set_fault(name, "crash")
    cluster.advance(400.0)
    cluster.set_fault(name, "crash", on=False)
    cluster.advance(120.0)
    pod = cluster.get("Pod", name)
    assert pod.status.phase == "Running"
    assert pod.status.container_statuses[0].state.waiting.reason == "CrashLoopBackOff"
    assert pod.status.condition("Ready").status == "False"
    cluster.advance(SETTLE_SECONDS - 120.0)
    pod = cluster.get("Pod", name)
    assert pod.status.condition("Ready").status == "True"
    assert can_converge(cluster, cluster.get("Deployment", "web"))
