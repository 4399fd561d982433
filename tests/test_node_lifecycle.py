"""Bad input never breaks a cluster: the node lifecycle and the scheduler under odd calls.

Each test states the Kubernetes behaviour it pins, with the source that says so.
"""

from __future__ import annotations

import ipaddress

import kitlib


def test_pods_too_many_for_a_node_bind_once_a_pod_there_is_deleted():
    """Pods Pending for "Too many pods" are retried when a pod on a node is deleted: the
    scheduler's AssignedPodDelete event moves unschedulable pods back to the active queue
    (``MoveAllToActiveOrBackoffQueue``, pkg/scheduler/eventhandlers.go), so they bind as soon
    as the node has room again."""
    c = kitlib.Cluster(nodes=1, seed=1)
    c.kubectl("create deployment web --image=nginx --replicas=112")
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
    c.kubectl("scale deployment web --replicas=108")
    c.advance(40)
    assert all(p.spec.node_name for p in c.pods())
    assert "108/108" in c.kubectl("get deployment web")


def ipam_matches_pods(cluster: kitlib.Cluster) -> None:
    """The invariant of host-local IPAM: each node leases exactly the IPs of the pods on it, one
    sandbox (and one IP) a pod."""
    for node in cluster.nodes():
        leased = {str(ipaddress.IPv4Address(i)) for i in cluster.node_runtime(node.name).ipam.in_use}
        ips = [p.status.pod_ip for p in cluster.runtime.pods_on(node.name) if p.status.pod_ip]
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
        assert leased == {p.status.pod_ip for p in c.pods(None)}
