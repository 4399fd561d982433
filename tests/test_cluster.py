"""The Cluster: what a new cluster looks like, determinism, and the Python verbs."""

from __future__ import annotations

import pytest

import kitlib
from kitlib.api.node import internal_ip


def test_nodes_are_named_like_minikube(cluster):
    """`minikube start --nodes 3` names its nodes minikube, minikube-m02, minikube-m03."""
    assert [n.name for n in cluster.nodes()] == ["minikube", "minikube-m02", "minikube-m03"]


def test_node_addresses_and_pod_cidrs(cluster):
    """Nodes get 192.168.49.2, .3, ... on minikube's docker network, and one /24 podCIDR each
    from 10.244.0.0/16 in the order they joined."""
    nodes = {n.name: n for n in cluster.nodes()}
    assert [(a.type, a.address) for a in nodes["minikube"].status.addresses] == [
        ("InternalIP", "192.168.49.2"), ("Hostname", "minikube")]
    assert [internal_ip(n) for n in nodes.values()] == [
        "192.168.49.2", "192.168.49.3", "192.168.49.4"]
    assert [n.spec.pod_cidr for n in nodes.values()] == ["10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24"]
    assert [n.spec.pod_cidrs for n in nodes.values()] == [["10.244.0.0/24"], ["10.244.1.0/24"], ["10.244.2.0/24"]]


def test_first_node_is_the_control_plane(cluster):
    """Only the first node carries the node-role.kubernetes.io/control-plane label."""
    roles = {n.name: "node-role.kubernetes.io/control-plane" in n.metadata.labels for n in cluster.nodes()}
    assert roles == {"minikube": True, "minikube-m02": False, "minikube-m03": False}
    assert cluster.get("Node", "minikube-m02").metadata.labels["kubernetes.io/hostname"] == "minikube-m02"


def test_nodes_start_ready(cluster):
    """A new node reports Ready=True (KubeletReady)."""
    for node in cluster.nodes():
        ready = node.status.condition("Ready")
        assert (ready.status, ready.reason) == ("True", "KubeletReady")


def test_default_namespaces_carry_their_name_label(cluster):
    """The four namespaces of a new cluster exist, each labelled kubernetes.io/metadata.name=<name>,
    Active, with the kubernetes finalizer; flannel's manifest adds its own, with its labels."""
    namespaces = cluster.list("Namespace")
    assert [ns.name for ns in namespaces] == ["default", "kube-flannel", "kube-node-lease", "kube-public",
                                              "kube-system"]
    for ns in namespaces:
        extra = {"k8s-app": "flannel", "pod-security.kubernetes.io/enforce": "privileged"} \
            if ns.name == "kube-flannel" else {}
        assert ns.metadata.labels == {"kubernetes.io/metadata.name": ns.name, **extra}
        assert ns.status.phase == "Active"
        assert ns.spec.finalizers == ["kubernetes"]


def test_new_namespace_gets_the_name_label(cluster):
    """The API server labels every namespace it creates with kubernetes.io/metadata.name."""
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    assert cluster.get("Namespace", "shop").metadata.labels == {"kubernetes.io/metadata.name": "shop"}


def test_a_cluster_needs_a_node():
    """A cluster with no node is refused at construction."""
    with pytest.raises(ValueError, match="at least one node"):
        kitlib.Cluster(nodes=0)


def test_one_node_cluster():
    """A one-node cluster is just `minikube` with 10.244.0.0/24."""
    c = kitlib.Cluster(nodes=1)
    assert [(n.name, n.spec.pod_cidr) for n in c.nodes()] == [("minikube", "10.244.0.0/24")]


def _scenario(seed: int) -> tuple:
    c = kitlib.Cluster(nodes=3, seed=seed)
    c.kubectl("create deployment web --image=nginx --replicas=5 --port=80")
    c.advance(20)
    c.delete("Pod", c.pods()[0].name)
    c.scale("web", 7)
    c.advance(20)
    pods = tuple((p.name, p.status.pod_ip, p.spec.node_name, p.metadata.uid) for p in c.pods())
    return pods, c.kubectl("get pods -o wide"), c.get("Deployment", "web").metadata.uid


def test_same_seed_same_cluster():
    """Everything random (names, UIDs, placement, timings) comes from the seed: two runs of the
    same scenario with the same seed are identical."""
    assert _scenario(0) == _scenario(0)
    assert _scenario(7) == _scenario(7)


def test_different_seed_different_names():
    """Another seed draws other pod names (the ReplicaSet name, a hash of the template, stays)."""
    a, _, _ = _scenario(0)
    b, _, _ = _scenario(1)
    assert {p[0] for p in a} != {p[0] for p in b}
    assert {p[0].rsplit("-", 1)[0] for p in a} == {p[0].rsplit("-", 1)[0] for p in b}


def test_advance_moves_the_clock(cluster):
    """`advance` moves simulated time forward; time never goes back."""
    cluster.advance(2.5)
    cluster.advance(0)
    assert cluster.now == 2.5
    with pytest.raises(ValueError, match="time only moves forward"):
        cluster.advance(-1)


def test_settle_runs_until_nothing_is_due(cluster):
    """`settle` advances until the event queue is empty: the pods are all Running after it."""
    cluster.kubectl("create deployment web --image=nginx --replicas=2")
    took = cluster.settle()
    assert 0 < took < 10
    assert [p.status.phase for p in cluster.pods()] == ["Running", "Running"]


def test_get_and_not_found(web):
    """`get` returns the stored object; a missing one raises NotFound in the server's words."""
    assert web.get("Deployment", "web").spec.replicas == 3
    with pytest.raises(kitlib.NotFound, match=r'^deployments.apps "nope" not found$'):
        web.get("Deployment", "nope")
    with pytest.raises(kitlib.NotFound, match=r'^pods "web" not found$'):
        web.get("Pod", "web", "kube-system")


def test_list_by_namespace_and_selector(web):
    """`list` filters by namespace and by a label selector; `pods(None)` spans all namespaces."""
    assert len(web.list("Pod", "default", "app=web")) == 3
    assert web.list("Pod", "default", "app=db") == []
    assert [p.name.split("-")[0] for p in web.list("Pod", "kube-system", "k8s-app=kube-dns")] == ["coredns"]
    assert len(web.pods(None)) == 3 + 1 + 4 + 3 + 3 + 1  # web, CoreDNS, static pods, kube-proxy, flannel, storage


def test_create_rejects_a_taken_name(web):
    """`create` of an existing name raises AlreadyExists."""
    doc = web.get("Deployment", "web").to_dict()
    with pytest.raises(kitlib.AlreadyExists, match=r'^deployments.apps "web" already exists$'):
        web.create(doc)


def test_create_in_a_missing_namespace(cluster):
    """Creating into a namespace that does not exist is NotFound for the namespace."""
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "nope"},
           "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    with pytest.raises(kitlib.NotFound, match=r'^namespaces "nope" not found$'):
        cluster.create(pod)


def test_bare_pod_is_scheduled_and_runs(cluster):
    """A pod created directly (no controller) is scheduled, gets the admission defaults and runs."""
    pod = cluster.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "solo"},
                          "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}})
    assert pod.spec.node_name in {"minikube", "minikube-m02", "minikube-m03"}
    assert pod.spec.service_account_name == "default"
    assert pod.spec.containers[0].image_pull_policy == "IfNotPresent"
    assert {t.key for t in pod.spec.tolerations} == {"node.kubernetes.io/not-ready",
                                                     "node.kubernetes.io/unreachable"}
    cluster.advance(10)
    assert cluster.get("Pod", "solo").status.phase == "Running"


def test_default_tolerations_are_each_pods_own(cluster):
    """DefaultTolerationSeconds gives every pod NoExecute tolerations of the not-ready and
    unreachable taints for 300 s; an update of one pod's tolerations (additions are allowed) leaves
    the other pods' as they were."""
    pods = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
             "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}} for name in ("a", "b")]
    cluster.apply(pods)
    defaults = [("node.kubernetes.io/not-ready", "Exists", None, "NoExecute", 300),
                ("node.kubernetes.io/unreachable", "Exists", None, "NoExecute", 300)]

    def tolerations(name):
        return [(t.key, t.operator, t.value, t.effect, t.toleration_seconds)
                for t in cluster.get("Pod", name).spec.tolerations]

    assert tolerations("a") == tolerations("b") == defaults
    pods[0]["spec"]["tolerations"] = [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert [w for _, w in cluster.apply_with_outcome(pods[0])] == ["configured"]
    assert tolerations("a") == [("gpu", "Exists", None, "NoSchedule", None), *defaults]
    assert tolerations("b") == defaults


def test_generate_name(cluster):
    """An object with only generateName gets the prefix plus 5 random characters."""
    pod = cluster.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "job-"},
                          "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
    assert pod.name.startswith("job-") and len(pod.name) == len("job-") + 5


def test_delete_deployment_cascades(web):
    """Deleting a Deployment garbage-collects its ReplicaSet, and the ReplicaSet's pods terminate."""
    web.delete("Deployment", "web")
    assert web.list("ReplicaSet") == []
    assert all(p.metadata.deletion_timestamp for p in web.pods())
    web.advance(5)
    assert web.pods() == []


def test_delete_namespace_deletes_what_is_in_it(cluster):
    """Deleting a namespace deletes the objects in it."""
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    cluster.kubectl("create deployment cart --image=nginx -n shop")
    cluster.advance(10)
    cluster.delete("Namespace", "shop")
    cluster.advance(10)
    assert cluster.list("Deployment", "shop") == []
    assert cluster.pods("shop") == []


def test_label_add_overwrite_and_remove(web):
    """`label` adds labels, refuses to change one without overwrite, and removes with None."""
    web.label("Deployment", "web", {"tier": "front"})
    assert web.get("Deployment", "web").metadata.labels == {"app": "web", "tier": "front"}
    with pytest.raises(kitlib.BadRequest, match=r"'tier' already has a value \(front\), and --overwrite is false"):
        web.label("Deployment", "web", {"tier": "back"})
    web.label("Deployment", "web", {"tier": "back"}, overwrite=True)
    assert web.get("Deployment", "web").metadata.labels["tier"] == "back"
    web.label("Deployment", "web", {"tier": None})
    assert web.get("Deployment", "web").metadata.labels == {"app": "web"}


def test_relabelled_pod_is_orphaned_and_replaced(web):
    """A pod relabelled out of its ReplicaSet's selector is released (its ownerReference is
    removed) and replaced; the orphan keeps running and outlives the Deployment."""
    pod = web.pods()[0]
    web.label("Pod", pod.name, {"app": "debug"}, overwrite=True)
    assert len(web.pods(selector="app=web")) == 3
    orphan = web.get("Pod", pod.name)
    assert orphan.metadata.owner_references == []
    assert orphan.metadata.deletion_timestamp is None
    web.delete("Deployment", "web")
    web.advance(10)
    assert [p.name for p in web.pods()] == [pod.name]


def test_add_node_joins_with_the_next_addresses(cluster):
    """A joining node gets the next name, node IP and podCIDR."""
    node = cluster.add_node()
    assert (node.name, internal_ip(node), node.spec.pod_cidr) == (
        "minikube-m04", "192.168.49.5", "10.244.3.0/24")
    assert "cni0:minikube-m04" in cluster.topology.graph


def test_errors_form_one_family():
    """Every kitlib API error is an ApiError with the HTTP code of the API server's Status."""
    codes = {kitlib.Invalid: 422, kitlib.NotFound: 404, kitlib.AlreadyExists: 409,
             kitlib.Conflict: 409, kitlib.BadRequest: 400}
    for cls, code in codes.items():
        assert issubclass(cls, kitlib.ApiError)
        assert cls.code == code


def test_apply_updates_kinds_without_a_spec():
    """Objects without a spec (a manually managed Endpoints) are compared on their whole body:
    a changed address is stored and reported as configured, the same body as unchanged."""
    c = kitlib.Cluster(nodes=1)
    doc = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "db"},
           "subsets": [{"addresses": [{"ip": "192.168.49.50"}], "ports": [{"port": 5432}]}]}
    assert c.apply_with_outcome(doc)[0][1] == "created"
    doc["subsets"][0]["addresses"][0]["ip"] = "192.168.49.51"
    assert c.apply_with_outcome(doc)[0][1] == "configured"
    assert c.get("Endpoints", "db").subsets[0].addresses[0].ip == "192.168.49.51"
    assert c.apply_with_outcome(doc)[0][1] == "unchanged"


def test_pods_of_an_unreachable_node_stay_1_of_1_but_leave_their_service():
    """MarkPodsNotReady flips only the pod's Ready condition: kubectl's READY column (container
    statuses, as the lost kubelet last reported them) stays 1/1, while the EndpointSlice stops
    calling the pod ready."""
    c = kitlib.Cluster(nodes=3, seed=0)
    c.kubectl("create deployment web --image=nginx --replicas=3 --port=80")
    c.kubectl("expose deployment web --port=80")
    c.advance(10)
    victim = next(p for p in c.pods() if p.spec.node_name == "minikube-m03")
    c.fail_node("minikube-m03")
    c.advance(60)
    row = next(line for line in c.kubectl("get pods").splitlines() if line.startswith(victim.name))
    assert row.split()[1:3] == ["1/1", "Running"]
    (sl,) = c.list("EndpointSlice", selector="kubernetes.io/service-name=web")
    conditions = {e.addresses[0]: e.conditions.ready for e in sl.endpoints}
    assert conditions[victim.status.pod_ip] is False
    c.advance(300)
    row = next(line for line in c.kubectl("get pods").splitlines() if line.startswith(victim.name))
    assert row.split()[1:3] == ["1/1", "Terminating"]


def test_reads_return_copies(web, snapshot):
    """What `get`, `list`, `pods` and `nodes` return is a copy: changing it changes nothing in the
    cluster, and kubectl still prints what the API server stores."""
    before = snapshot(web)
    printed = web.kubectl("get svc,deploy,pods,nodes -A")
    svc = web.get("Service", "kubernetes")
    svc.spec.type = "Bogus"
    web.list("Deployment")[0].spec.replicas = 7
    web.pods()[0].status.phase = "Failed"
    web.nodes()[0].spec.unschedulable = True
    web.get("Namespace", "default").metadata.labels["x"] = "y"
    assert web.kubectl("get svc,deploy,pods,nodes -A") == printed
    assert snapshot(web) == before
    assert web.get("Service", "kubernetes").spec.type == "ClusterIP"


def test_a_changed_copy_goes_back_through_a_verb(web):
    """To change an object, change a copy and give it back: `update` admits and validates it as
    the API server does."""
    d = web.get("Deployment", "web")
    d.spec.replicas = 1
    web.update(d)
    assert web.get("Deployment", "web").spec.replicas == 1
    d.spec.replicas = -1
    with pytest.raises(kitlib.Invalid, match=r"spec.replicas: Invalid value: -1: must be greater than or equal to 0"):
        web.update(d)
    assert web.get("Deployment", "web").spec.replicas == 1


def test_the_cni_is_named_as_minikube_names_it():
    """``Cluster(nodes=, seed=, cni=)``: flannel is the default and the only CNI built so far; any
    other is refused before a cluster exists."""
    assert kitlib.Cluster(nodes=1, seed=0, cni="flannel").cni == "flannel"
    assert kitlib.Cluster(nodes=1).cni == "flannel"
    with pytest.raises(ValueError, match='unsupported CNI "weave"'):
        kitlib.Cluster(nodes=1, cni="weave")
