"""Bad input never breaks a cluster: the node lifecycle and the scheduler under odd calls.

Each test states the Kubernetes behaviour it pins, with the source that says so.
"""

from __future__ import annotations

import ipaddress
import re

import pytest

import kitlib


def test_pods_too_many_for_a_node_bind_once_a_pod_there_is_deleted():
    """Pods Pending for "Too many pods" are retried when a pod on a node is deleted: the
    scheduler's AssignedPodDelete event moves unschedulable pods back to the active queue
    (``MoveAllToActiveOrBackoffQueue``, pkg/scheduler/eventhandlers.go), so they bind as soon
    as the node has room again. The node's 110 pods include its 8 system pods (CoreDNS, the four
    static pods, storage-provisioner, kube-proxy and flannel)."""
    c = kitlib.Cluster(nodes=1, seed=1)
    c.kubectl("create deployment web --image=nginx --replicas=105")
    c.advance(30)
    pending = [p.name for p in c.pods() if not p.spec.node_name]
    assert len(pending) == 3
    assert "Too many pods" in c.kubectl(f"describe pod {pending[0]}")
    bound = [p for p in c.pods() if p.spec.node_name]
    c.delete("Pod", bound[0].name)
    c.delete("Pod", bound[1].name)
    c.advance(40)
    # Two left the node, two replacements came: all but three fit again.
    assert len([p for p in c.pods() if not p.spec.node_name]) == 3
    c.kubectl("scale deployment web --replicas=101")
    c.advance(40)
    assert all(p.spec.node_name for p in c.pods())
    assert "101/101" in c.kubectl("get deployment web")


def ipam_matches_pods(cluster: kitlib.Cluster) -> None:
    """The invariant of host-local IPAM: each node leases exactly the IPs of the pods on it, one
    sandbox (and one IP) a pod."""
    for node in cluster.nodes():
        leased = {str(ipaddress.IPv4Address(i)) for i in cluster.node_runtime(node.name).ipam.in_use}
        ips = [p.status.pod_ip for p in cluster.runtime.pods_on(node.name)
               if p.status.pod_ip and not p.spec.host_network]  # a host-network pod has its node's IP
        assert len(ips) == len(set(ips)), f"{node.name}: two pods share an IP: {sorted(ips)}"
        assert leased == set(ips), f"{node.name}: leased {sorted(leased)}, pods {sorted(ips)}"


def test_a_node_failed_and_restored_while_its_pods_start_gives_each_one_sandbox():
    """A kubelet that comes back resumes its pods (``computePodActions``, pkg/kubelet/kuberuntime):
    a pod whose sandbox is ready keeps it and its IP, one that had none gets one; what the lost
    kubelet had in flight does not also happen. Each pod ends with one sandbox and one IP, and the
    node's IPAM leases exactly the IPs of its pods."""
    for when in (0.1, 1.0):  # before the sandboxes are ready, and after (images still pulling)
        c = kitlib.Cluster(nodes=2, seed=1)
        c.kubectl("create deployment web --image=nginx --replicas=4 --port=80")
        c.advance(when)
        before = {p.name: p.status.pod_ip for p in c.pods()}
        c.fail_node("minikube-m02")
        c.restore_node("minikube-m02")
        c.advance(30)
        ipam_matches_pods(c)
        pods = c.pods()
        assert all(p.status.phase == "Running" and p.status.pod_ip for p in pods)
        if when == 1.0:
            assert {p.name: p.status.pod_ip for p in pods} == before  # the sandboxes were kept
        wide = c.kubectl("get pods -o wide")
        assert all(p.status.pod_ip in wide for p in pods)
        leased = {str(ipaddress.IPv4Address(i)) for n in c.nodes() for i in c.node_runtime(n.name).ipam.in_use}
        assert leased == {p.status.pod_ip for p in c.pods(None) if not p.spec.host_network}



def test_a_pod_bound_to_a_failed_node_waits_for_its_kubelet_and_gets_one_sandbox():
    """A node that stops answering still reads Ready until the node controller's grace period
    (40 s) is over, so the scheduler may bind new pods to it. No kubelet sees them: they stay
    Pending, with no start time, host IP or container status, until the node is back; then its
    kubelet admits them (``HandlePodAdditions``) and starts each with one sandbox and one IP.
    (Found by ``make fuzz``: the pod used to be admitted at once as well, so it got a second
    sandbox on restore and the first IP leaked.)"""
    c = kitlib.Cluster(nodes=2, seed=1)
    c.fail_node("minikube-m02")
    c.kubectl("create deployment web --image=nginx --replicas=4 --port=80")
    c.advance(0.1)
    waiting = [p for p in c.pods() if p.spec.node_name == "minikube-m02"]
    assert waiting, "the scheduler binds some pods to the node that still reads Ready"
    for pod in waiting:
        assert pod.status.phase == "Pending"
        assert pod.status.start_time is None and pod.status.host_ip is None
        assert not pod.status.container_statuses
    c.restore_node("minikube-m02")
    c.advance(30)
    ipam_matches_pods(c)
    assert all(p.status.phase == "Running" and p.status.pod_ip for p in c.pods())
    assert len(c.node_runtime("minikube-m02").ipam.in_use) == len(waiting)

def test_a_node_added_after_one_was_deleted_gets_a_fresh_name_ip_and_pod_cidr(cluster):
    """minikube numbers nodes -m02, -m03, ... upward and gives node N the address .N+1 of its
    network; ``kubectl delete node`` removes the Node object, not the machine, so a new node never
    takes a name or address still in use. The node IPAM controller frees the deleted Node's podCIDR
    (``ReleaseCIDR``) and hands out the next free one after the last it gave (``cidrset``)."""
    cluster.kubectl("delete node minikube-m02")
    node = cluster.add_node()
    assert node.name == "minikube-m04"
    assert node.status.addresses[0].address == "192.168.49.5"
    assert node.spec.pod_cidr == "10.244.3.0/24"
    nodes = cluster.nodes()
    assert [n.name for n in nodes] == ["minikube", "minikube-m03", "minikube-m04"]
    assert len({n.status.addresses[0].address for n in nodes}) == len({n.spec.pod_cidr for n in nodes}) == 3
    assert "minikube-m04   Ready" in cluster.kubectl("get nodes -o wide")


def test_a_node_beyond_the_address_plan_is_refused_and_changes_nothing(snapshot):
    """The node IPAM controller fails when no podCIDR is left ("CIDR allocation failed; there are
    no remaining CIDRs left to allocate in the accepted range"), and minikube has no address for a
    node past its network: add_node raises ValueError and the cluster is as it was."""
    c = kitlib.Cluster(nodes=1, seed=0, node_cidr="192.168.0.0/16")
    for _ in range(255):
        c.add_node()
    assert len({n.spec.pod_cidr for n in c.nodes()}) == 256  # 10.244.0.0/24 to 10.244.255.0/24
    before = snapshot(c)
    with pytest.raises(ValueError, match="no remaining CIDRs left to allocate"):
        c.add_node()  # the 257th /24 of 10.244.0.0/16
    assert snapshot(c) == before

    small = kitlib.Cluster(nodes=1, seed=0, node_cidr="192.168.49.0/29")
    for _ in range(4):
        small.add_node()  # .2 to .6
    before = snapshot(small)
    with pytest.raises(ValueError, match="no address left for node 6 on the node network 192.168.49.0/29"):
        small.add_node()
    assert snapshot(small) == before


def test_a_pod_bound_to_a_node_that_does_not_exist_is_garbage_collected():
    """A pod created with ``spec.nodeName`` of a node that does not exist is never started (no
    kubelet watches it) and stays Pending; a DELETE of it is graceful (it is bound), so it turns
    Terminating. The pod garbage collector looks at every pod every 20 s (``gcCheckPeriod``): the
    first pass that sees the missing node queues it for the 40 s quarantine (``quarantineTime``),
    and the pass at its end, finding the node still missing, force-deletes the pods bound to it
    (``gcOrphaned``, pkg/controller/podgc/gc_controller.go): 40 to 60 s after the pod appeared."""
    c = kitlib.Cluster(nodes=2, seed=1)
    manifest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                "spec": {"nodeName": "nosuch", "containers": [{"name": "c", "image": "nginx"}]}}
    c.apply(manifest)  # at 0 s, when a pass runs: deleted at 40 s
    c.advance(5)
    assert c.get("Pod", "p").status.phase == "Pending"
    c.delete("Pod", "p")
    assert "Terminating" in c.kubectl("get pods")
    c.advance(34.9)
    assert [p.name for p in c.pods()] == ["p"]
    c.advance(0.1)
    assert c.pods() == []

    c.advance(5)
    c.apply({**manifest, "metadata": {"name": "q"}})  # at 45 s: seen at 60 s, deleted at 100 s
    c.advance(54.9)
    assert c.get("Pod", "q").status.phase == "Pending"  # never deleted, never started
    c.advance(0.1)
    assert c.pods() == []
    ipam_matches_pods(c)


def test_deleting_a_node_frees_its_pods_addresses():
    """A deleted node takes its pods along; their IPs and veths go with them."""
    c = kitlib.Cluster(nodes=2, seed=1)
    c.kubectl("create deployment web --image=nginx --replicas=4 --port=80")
    c.advance(30)
    c.kubectl("delete node minikube-m02")
    c.advance(30)
    assert all(p.spec.node_name == "minikube" for p in c.pods(None))
    assert not c.node_runtime("minikube-m02").ipam.in_use
    ipam_matches_pods(c)


def test_a_node_applied_without_a_kubelet_is_unknown_then_unreachable_and_takes_no_pods(snapshot):
    """A Node object created through the API has no kubelet behind it, so it never posts a status.
    Admission taints it not-ready (TaintNodesByCondition), and the node lifecycle controller drops
    that taint at once, as the node has no condition that calls for it; ``kubectl get nodes`` says
    ``Unknown`` for a node without a Ready condition (``printNode``), and ``-o wide`` fills what no
    kubelet reported with ``<none>`` and ``<unknown>``. It has no allocatable pods, so the scheduler
    finds it full. After the startup grace period (60 s from its creation, ``nodeStartupGracePeriod``:
    a node that never had a Ready condition does not get the 50 s monitor grace), the controller sets
    its Ready, MemoryPressure, DiskPressure and PIDPressure conditions to Unknown
    (``NodeStatusNeverUpdated``, "Kubelet never posted node status.") and taints it unreachable,
    NoSchedule and NoExecute (pkg/controller/nodelifecycle/node_lifecycle_controller.go). It has no
    machine to fail or restore, and deleting it is harmless."""
    c = kitlib.Cluster(nodes=1, seed=1)
    c.advance(10)
    extra = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "extra"}}
    admitted = c.create(extra, dry_run=True)
    assert [(t.key, t.effect, t.time_added) for t in admitted.spec.taints] == [
        ("node.kubernetes.io/not-ready", "NoSchedule", None)]
    c.apply(extra)
    assert c.get("Node", "extra").spec.taints == []  # as the controller left it
    wide = c.kubectl("get nodes -o wide")
    assert wide.splitlines()[1].split() == ["extra", "Unknown", "<none>", "0s", "<none>", "<none>",
                                            "<unknown>", "<unknown>", "<unknown>"]
    described = c.kubectl("describe node extra")
    assert "Name:              extra" in described and "Conditions:" not in described
    c.kubectl("create deployment web --image=nginx --replicas=3")
    c.advance(30)
    assert {p.spec.node_name for p in c.pods()} == {"minikube"}

    c.kubectl("scale deployment web --replicas=112")  # more than minikube takes: the rest wait
    c.advance(29)  # 59 s after the Node's creation
    node = c.get("Node", "extra")
    assert node.status.conditions == [] and node.spec.taints == []
    waiting = next(p for p in c.pods() if not p.spec.node_name)
    assert "0/2 nodes are available: 2 Too many pods." in c.kubectl(f"describe pod {waiting.name}")
    c.advance(1)
    node = c.get("Node", "extra")
    assert [(x.type, x.status, x.reason, x.message, x.last_heartbeat_time, x.last_transition_time)
            for x in node.status.conditions] == [
        (t, "Unknown", "NodeStatusNeverUpdated", "Kubelet never posted node status.", "2026-01-01T00:00:10Z",
         "2026-01-01T00:01:10Z") for t in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")]
    assert [(t.key, t.effect, t.time_added) for t in node.spec.taints] == [
        ("node.kubernetes.io/unreachable", "NoSchedule", "2026-01-01T00:01:10Z"),
        ("node.kubernetes.io/unreachable", "NoExecute", "2026-01-01T00:01:10Z")]
    assert c.kubectl("get nodes").splitlines()[1].split()[:2] == ["extra", "NotReady"]
    described = c.kubectl("describe node extra")
    assert "node.kubernetes.io/unreachable:NoExecute" in described
    assert re.search(r"\n  Ready +Unknown +.* +NodeStatusNeverUpdated +Kubelet never posted node status\.\n", described)
    c.advance(5)
    assert "0/2 nodes are available: 1 Too many pods, 1 node(s) had untolerated taint " \
           "{node.kubernetes.io/unreachable: }." in c.kubectl(f"describe pod {waiting.name}")
    assert all(p.spec.node_name in (None, "minikube") for p in c.pods())

    assert "extra" not in c.runtime.node_state
    assert c.node_runtime("extra").up is False
    before = snapshot(c)
    for call in (c.fail_node, c.restore_node):
        with pytest.raises(ValueError, match="node extra has no machine behind it"):
            call("extra")
        assert snapshot(c) == before
    from kitlib.figures import cluster_map

    assert "extra" in cluster_map(c).to_json()  # drawn as a node that does not answer
    c.kubectl("delete node extra")
    assert [n.name for n in c.nodes()] == ["minikube"]
    assert c.add_node().name == "minikube-m02"
    ipam_matches_pods(c)


def bound_pod(name: str, node: str) -> dict:
    """A pod created with ``spec.nodeName`` set: the scheduler never sees it."""
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx"}]}}


def test_a_pod_created_with_a_node_name_is_started_by_that_nodes_kubelet():
    """A pod created with ``spec.nodeName`` bypasses the scheduler (no Scheduled event); the kubelet
    of that node, which watches the pods bound to it, admits and starts it (``HandlePodAdditions``),
    and its status says PodScheduled, as every status the kubelet writes does
    (``generateAPIPodStatus``, pkg/kubelet/kubelet_pods.go). A pod bound to a node that does not
    answer waits, Pending, until its kubelet is back."""
    c = kitlib.Cluster(nodes=3, seed=2)
    c.apply(bound_pod("pinned", "minikube-m03"))
    c.advance(10)
    pod = c.get("Pod", "pinned")
    node = c.get("Node", "minikube-m03")
    assert pod.status.phase == "Running" and pod.status.host_ip == node.status.addresses[0].address
    assert ipaddress.ip_address(pod.status.pod_ip) in ipaddress.ip_network(node.spec.pod_cidr)
    scheduled = pod.status.condition("PodScheduled")
    assert (scheduled.status, scheduled.last_transition_time) == ("True", "2026-01-01T00:00:00Z")
    reasons = [e.reason for e in c.events.for_object("Pod", pod.metadata.uid)]
    assert "Scheduled" not in reasons and reasons[-1] == "Started"
    assert c.kubectl("get pod pinned -o wide").splitlines()[1].split()[2:7] == [
        "Running", "0", "10s", pod.status.pod_ip, "minikube-m03"]

    c.fail_node("minikube-m02")
    c.apply(bound_pod("later", "minikube-m02"))
    c.advance(10)
    pod = c.get("Pod", "later")
    assert (pod.status.phase, pod.status.container_statuses, pod.status.start_time) == ("Pending", [], None)
    c.restore_node("minikube-m02")
    c.advance(10)
    pod = c.get("Pod", "later")
    assert pod.status.phase == "Running" and pod.status.condition("PodScheduled").status == "True"
    ipam_matches_pods(c)


def test_a_pod_bound_to_a_full_node_is_rejected_by_its_kubelet():
    """The kubelet admits a pod only if the node has room for it (the NodeResourcesFit check of its
    ``generalFilter``): a pod bound past the scheduler to a node already running its 110 pods fails
    at once, with reason ``OutOfpods`` and a Warning event (pkg/kubelet/lifecycle/predicate.go,
    ``Kubelet.rejectPod``)."""
    c = kitlib.Cluster(nodes=1, seed=1)
    c.kubectl("create deployment web --image=nginx --replicas=109")  # with CoreDNS, 110
    c.advance(30)
    assert len(c.runtime.pods_on("minikube")) == 110
    c.apply(bound_pod("extra", "minikube"))
    pod = c.get("Pod", "extra")
    message = "Node didn't have enough resource: pods, requested: 1, used: 110, capacity: 110"
    assert (pod.status.phase, pod.status.reason, pod.status.message) == (
        "Failed", "OutOfpods", f"Pod was rejected: {message}")
    assert c.kubectl("get pod extra").splitlines()[1].split()[:3] == ["extra", "0/1", "OutOfpods"]
    assert [(e.type, e.reason, e.message) for e in c.events.for_object("Pod", pod.metadata.uid)] == [
        ("Warning", "OutOfpods", message)]
    c.advance(30)
    assert c.get("Pod", "extra").status.phase == "Failed"  # a rejected pod is never retried


def test_a_pod_on_a_node_without_a_kubelet_is_evicted_once_the_node_is_unreachable():
    """A pod bound to a Node no kubelet serves stays Pending. When the node lifecycle controller
    taints the Node unreachable (NoExecute, 60 s after its creation), the taint manager evicts the
    pod once its toleration (300 s, from DefaultTolerationSeconds) runs out; with no kubelet to
    confirm it, the pod then stays Terminating."""
    c = kitlib.Cluster(nodes=1, seed=1)
    c.apply({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "extra"}})
    c.apply(bound_pod("stuck", "extra"))
    c.advance(60)
    pod = c.get("Pod", "stuck")
    assert (pod.status.phase, pod.metadata.deletion_timestamp) == ("Pending", None)
    c.advance(299.9)
    assert c.get("Pod", "stuck").metadata.deletion_timestamp is None
    c.advance(0.1)
    pod = c.get("Pod", "stuck")
    assert pod.metadata.deletion_timestamp is not None
    assert [(e.reason, e.message, e.source) for e in c.events.for_object("Pod", pod.metadata.uid)] == [
        ("TaintManagerEviction", "Marking for deletion Pod default/stuck", "taint-eviction-controller")]
    c.advance(100)
    assert c.kubectl("get pod stuck").splitlines()[1].split()[2] == "Terminating"


def test_a_node_applied_with_a_ready_status_turns_unknown_after_the_monitor_grace_period():
    """A Node created with a status of its own (as a kubelet registers it) but no kubelet behind it
    counts as Ready until the controller has heard nothing for the monitor grace period (50 s, the
    default since 1.32): then its conditions turn Unknown ("Kubelet stopped posting node status."),
    those it never had are added as never updated, it is reported NodeNotReady and tainted
    unreachable."""
    c = kitlib.Cluster(nodes=1, seed=1)
    c.apply({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "fake"},
             "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                        "lastHeartbeatTime": "2026-01-01T00:00:00Z",
                                        "lastTransitionTime": "2026-01-01T00:00:00Z"}]}})
    assert c.get("Node", "fake").spec.taints == []  # Ready: admission's not-ready taint is dropped
    assert c.kubectl("get nodes").splitlines()[1].split()[:2] == ["fake", "Ready"]
    c.advance(49.9)
    assert c.kubectl("get nodes").splitlines()[1].split()[:2] == ["fake", "Ready"]
    c.advance(0.1)
    node = c.get("Node", "fake")
    assert [(x.type, x.status, x.reason, x.message) for x in node.status.conditions] == [
        ("Ready", "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."),
        ("MemoryPressure", "Unknown", "NodeStatusNeverUpdated", "Kubelet never posted node status."),
        ("DiskPressure", "Unknown", "NodeStatusNeverUpdated", "Kubelet never posted node status."),
        ("PIDPressure", "Unknown", "NodeStatusNeverUpdated", "Kubelet never posted node status.")]
    assert [(t.key, t.effect) for t in node.spec.taints] == [
        ("node.kubernetes.io/unreachable", "NoSchedule"), ("node.kubernetes.io/unreachable", "NoExecute")]
    assert [(e.reason, e.message) for e in c.events.for_object("Node", node.metadata.uid)] == [
        ("NodeNotReady", "Node fake status is now: NodeNotReady")]
