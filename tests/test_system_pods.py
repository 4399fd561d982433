"""What `minikube start --nodes 3 --cni=flannel` runs: the static control-plane pods as mirror
pods, kube-proxy and flannel DaemonSets, storage-provisioner, on the nodes' network; node labels
as minikube sets them; and the system pods leave the learner's seeded names as they were."""

from __future__ import annotations

import kitlib
from kitlib.addons.metallb import EXCLUDE_LABEL
from kitlib.api.pod import MIRROR_ANNOTATION, Pod


def test_get_pods_all_namespaces_lists_what_minikube_lists():
    """Namespaces, name shapes and order of `kubectl get pods -A` on a fresh minikube."""
    c = kitlib.Cluster(nodes=3, seed=0)
    rows = [line.split()[:2] for line in c.kubectl("get pods -A").splitlines()[1:]]
    shapes = [(ns, name[:-6] + "-xxxxx" if name.startswith(("kube-flannel-ds-", "kube-proxy-")) else name)
              for ns, name in rows]
    assert shapes[:3] == [("kube-flannel", "kube-flannel-ds-xxxxx")] * 3
    assert shapes[3][1].startswith("coredns-")
    assert shapes[4:] == [("kube-system", "etcd-minikube"), ("kube-system", "kube-apiserver-minikube"),
                          ("kube-system", "kube-controller-manager-minikube"),
                          ("kube-system", "kube-proxy-xxxxx"), ("kube-system", "kube-proxy-xxxxx"),
                          ("kube-system", "kube-proxy-xxxxx"), ("kube-system", "kube-scheduler-minikube"),
                          ("kube-system", "storage-provisioner")]
    assert all(line.split()[3] == "Running" for line in c.kubectl("get pods -A").splitlines()[1:])


def test_host_network_pods_have_their_node_ip():
    """kube-proxy, flannel, the static pods and storage-provisioner use the node's network: their
    IP is the node's InternalIP, and no pod-network address is taken for them."""
    c = kitlib.Cluster(nodes=3, seed=0)
    node_ip = {n.name: n.status.addresses[0].address for n in c.nodes()}
    system = [p for p in c.pods(namespace=None) if p.spec.host_network]
    assert len(system) == 3 + 3 + 4 + 1
    for p in system:
        assert p.status.pod_ip == node_ip[p.spec.node_name]
    # The first user pod on the control plane still gets the address after CoreDNS's.
    c.apply(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: one}\nspec:\n  nodeName: minikube\n"
        "  containers: [{name: c, image: nginx}]")
    c.advance(10)
    assert c.get("Pod", "one").status.pod_ip == "10.244.0.3"


def test_static_pods_are_mirror_pods_owned_by_the_node():
    """The kubelet's mirror pods: `<component>-minikube`, the config.mirror annotation, owned by the
    Node, system-node-critical (priority 2000001000)."""
    c = kitlib.Cluster(nodes=1)
    node = c.get("Node", "minikube")
    for name in ("etcd-minikube", "kube-apiserver-minikube", "kube-controller-manager-minikube",
                 "kube-scheduler-minikube"):
        pod = c.get("Pod", name, "kube-system")
        assert isinstance(pod, Pod)
        assert MIRROR_ANNOTATION in pod.metadata.annotations
        ref = pod.metadata.owner_references[0]
        assert (ref.kind, ref.name, ref.uid, ref.controller) == ("Node", "minikube", node.metadata.uid, True)
        assert (pod.spec.priority_class_name, pod.spec.priority) == ("system-node-critical", 2000001000)
        assert pod.metadata.labels["tier"] == "control-plane"


def test_daemonsets_of_kube_proxy_and_flannel():
    """kube-proxy (kube-system) and kube-flannel-ds (kube-flannel) run one pod per node."""
    c = kitlib.Cluster(nodes=3, seed=0)
    out = c.kubectl("get ds -A").splitlines()
    assert out[0].split() == ["NAMESPACE", "NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE",
                              "NODE", "SELECTOR", "AGE"]
    assert out[1].split()[:7] == ["kube-flannel", "kube-flannel-ds", "3", "3", "3", "3", "3"]
    assert out[2].split()[:8] == ["kube-system", "kube-proxy", "3", "3", "3", "3", "3", "kubernetes.io/os=linux"]
    images = {p.spec.containers[0].image for p in c.pods(namespace=None) if p.spec.host_network}
    assert {"registry.k8s.io/kube-proxy:v1.37.1", "ghcr.io/flannel-io/flannel:v0.28.9",
            "registry.k8s.io/etcd:3.7.0-0", "gcr.io/k8s-minikube/storage-provisioner:v5"} <= images


def test_system_pods_do_not_shift_the_learners_names():
    """The system components draw from their own random stream: the seed gives CoreDNS and the
    learner's pods the names and IPs they had before the system pods existed (pinned here)."""
    c = kitlib.Cluster(nodes=3, seed=0)
    c.kubectl("create deployment web --image=nginx --replicas=3")
    c.advance(30)
    assert sorted(p.name for p in c.pods()) == ["web-7957885594-54xrc", "web-7957885594-j5nhk",
                                               "web-7957885594-r745c"]
    assert [p.name for p in c.pods(namespace="kube-system") if p.name.startswith("coredns")] == [
        "coredns-b945bdbdb-mf6d4"]


def test_system_pod_names_are_deterministic_per_seed():
    """Same seed, same system pod names; another seed, other names."""
    def names(seed: int) -> list[str]:
        return [p.name for p in kitlib.Cluster(nodes=2, seed=seed).pods(namespace="kube-flannel")]
    assert names(4) == names(4)
    assert names(4) != names(5)


def test_node_labels_as_minikube_sets_them():
    """minikube's labelAndUntaintNode and kubeadm's mark-control-plane: the primary node is the
    control plane, excluded from external load balancers, and keeps no NoSchedule taint."""
    c = kitlib.Cluster(nodes=2)
    cp, worker = c.nodes()
    assert cp.metadata.labels["minikube.k8s.io/primary"] == "true"
    assert worker.metadata.labels["minikube.k8s.io/primary"] == "false"
    for n in (cp, worker):
        assert n.metadata.labels["minikube.k8s.io/name"] == "minikube"
        assert n.metadata.labels["minikube.k8s.io/version"] == "v1.38.1"
        assert n.metadata.labels["minikube.k8s.io/updated_at"] == "2025_12_31T23_58_00_0700"
    assert "node-role.kubernetes.io/control-plane" in cp.metadata.labels
    assert EXCLUDE_LABEL in cp.metadata.labels and EXCLUDE_LABEL not in worker.metadata.labels
    assert cp.spec.taints == []


def test_metallb_does_not_announce_from_the_control_plane():
    """MetalLB's speakers skip nodes labelled exclude-from-external-load-balancers
    (metallb internal/k8s/nodes IsNodeExcludedFromBalancers): on a one-node minikube nothing
    announces, on three nodes a worker does."""
    for nodes, expected in ((1, None), (3, {"minikube-m02", "minikube-m03"})):
        c = kitlib.Cluster(nodes=nodes, seed=1)
        c.enable_addon("metallb", addresses="192.168.49.100-192.168.49.110")
        c.kubectl("create deployment web --image=nginx --replicas=3")
        c.kubectl("expose deployment web --port=80 --type=LoadBalancer")
        c.advance(30)
        ip = c.get("Service", "web").status.load_balancer.ingress[0].ip
        node, _why = c.runtime.addons["metallb"].announcer("default/web", ip)
        assert node is None if expected is None else node in expected


def test_pod_with_node_name_bypasses_the_scheduler():
    """A pod created with spec.nodeName is run by that node's kubelet, no scheduler involved."""
    c = kitlib.Cluster(nodes=3)
    c.apply("apiVersion: v1\nkind: Pod\nmetadata: {name: pinned}\nspec:\n  nodeName: minikube-m03\n"
            "  containers: [{name: c, image: nginx}]")
    c.advance(10)
    pod = c.get("Pod", "pinned")
    assert (pod.spec.node_name, pod.status.phase) == ("minikube-m03", "Running")
    assert not any(e.reason == "Scheduled" for e in c.events.for_object("Pod", pod.metadata.uid))


def test_rollout_restart_of_kube_proxy_replaces_one_pod_at_a_time():
    """`kubectl -n kube-system rollout restart daemonset kube-proxy` (lesson 04's real-cluster
    step) stamps the template, and the DaemonSet replaces its pods by maxUnavailable 1; the
    learner's pods keep their seeded names."""
    c = kitlib.Cluster(nodes=3, seed=0)
    before = {p.name for p in c.pods("kube-system", "k8s-app=kube-proxy")}
    assert c.kubectl("-n kube-system rollout restart daemonset kube-proxy") == "daemonset.apps/kube-proxy restarted"
    assert len([p for p in c.pods("kube-system", "k8s-app=kube-proxy") if p.metadata.deletion_timestamp]) == 1
    assert c.kubectl("-n kube-system rollout status ds/kube-proxy").endswith(
        'daemon set "kube-proxy" successfully rolled out')
    after = {p.name for p in c.pods("kube-system", "k8s-app=kube-proxy")}
    assert len(after) == 3 and not after & before
    c.kubectl("create deployment web --image=nginx")
    c.advance(10)
    assert [p.name for p in c.pods()] == ["web-7957885594-j5nhk"]  # as without the restart, and on main
