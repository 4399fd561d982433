"""Bad input never breaks a cluster: the node lifecycle and the scheduler under odd calls.

Each test states the Kubernetes behaviour it pins, with the source that says so.
"""

from __future__ import annotations

import ipaddress

import pytest

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
    Terminating; the pod garbage collector's ``gcOrphaned`` force-deletes it once the node has been
    missing for the 40 s quarantine (pkg/controller/podgc/gc_controller.go)."""
    c = kitlib.Cluster(nodes=2, seed=1)
    manifest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                "spec": {"nodeName": "nosuch", "containers": [{"name": "c", "image": "nginx"}]}}
    c.apply(manifest)
    c.advance(5)
    assert c.get("Pod", "p").status.phase == "Pending"
    c.delete("Pod", "p")
    assert "Terminating" in c.kubectl("get pods")
    c.advance(40)
    assert c.pods() == []

    c.apply({**manifest, "metadata": {"name": "q"}})  # never deleted: collected all the same
    c.advance(40)
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


def test_a_node_applied_without_a_kubelet_stays_not_ready_and_takes_no_pods(snapshot):
    """A Node object created through the API has no kubelet behind it: it never posts a status,
    so it is not Ready, the scheduler places no pod on it, and ``kubectl get nodes -o wide`` prints
    it with empty columns. It has no machine to fail or restore, and deleting it is harmless."""
    c = kitlib.Cluster(nodes=1, seed=1)
    c.apply({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "extra"}})
    wide = c.kubectl("get nodes -o wide")
    assert wide.splitlines()[1].split()[:3] == ["extra", "NotReady", "<none>"]
    assert "Name:              extra" in c.kubectl("describe node extra")
    c.kubectl("create deployment web --image=nginx --replicas=3")
    c.advance(30)
    assert {p.spec.node_name for p in c.pods()} == {"minikube"}
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
