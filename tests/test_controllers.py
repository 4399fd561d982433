"""Controllers: Deployment → ReplicaSet → Pods, the scheduler, the kubelet and node lifecycle."""

from __future__ import annotations

import re

import pytest

import kitlib
from kitlib.api.pod import is_ready
from kitlib.controllers import deployment as deployment_controller
from kitlib.controllers import rsview
from kitlib.controllers.replicaset import deletion_order
from kitlib.names import ALPHANUMS

SUFFIX = f"[{ALPHANUMS}]"
NODES = ["minikube", "minikube-m02", "minikube-m03"]


def deployment(name="web", image="nginx:1.25", replicas=3, strategy=None, port=80):
    spec = {
        "replicas": replicas,
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}},
                     "spec": {"containers": [{"name": "app", "image": image,
                                              "ports": [{"containerPort": port}]}]}},
    }
    if strategy:
        spec["strategy"] = strategy
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name}, "spec": spec}


def active(cluster, selector="app=web"):
    return [p for p in cluster.pods(selector=selector) if p.metadata.deletion_timestamp is None]


def running(cluster, selector="app=web"):
    return [p for p in active(cluster, selector) if p.status.phase == "Running"]


# ---------------------------------------------------------------- Deployment → ReplicaSet → Pods


def test_deployment_makes_a_replicaset_that_makes_pods(web):
    """A Deployment owns one ReplicaSet named <deployment>-<pod-template-hash>, which owns the pods;
    both ownerReferences are controller references that block owner deletion."""
    d = web.get("Deployment", "web")
    (rs,) = web.list("ReplicaSet")
    h = rs.metadata.labels["pod-template-hash"]
    assert rs.name == f"web-{h}"
    assert rs.spec.selector.match_labels == {"app": "web", "pod-template-hash": h}
    ref = rs.metadata.owner_references[0]
    assert (ref.kind, ref.name, ref.uid, ref.controller, ref.block_owner_deletion) == (
        "Deployment", "web", d.metadata.uid, True, True)
    for pod in web.pods():
        ref = pod.metadata.owner_references[0]
        assert (ref.api_version, ref.kind, ref.name, ref.uid, ref.controller) == (
            "apps/v1", "ReplicaSet", rs.name, rs.metadata.uid, True)
        assert pod.metadata.labels == {"app": "web", "pod-template-hash": h}
        assert pod.metadata.generate_name == f"{rs.name}-"


def test_pod_names_follow_the_generated_name_pattern(web):
    """Pod names are <deployment>-<hash>-<5 characters> drawn from Kubernetes' vowel-free alphabet."""
    h = web.list("ReplicaSet")[0].metadata.labels["pod-template-hash"]
    assert re.fullmatch(f"{SUFFIX}{{1,10}}", h)
    for pod in web.pods():
        assert re.fullmatch(f"web-{h}-{SUFFIX}{{5}}", pod.name), pod.name


def test_pod_template_hash_is_stable_and_tracks_the_template(cluster):
    """The same template always hashes to the same ReplicaSet name; another image, another hash."""
    other = kitlib.Cluster(nodes=1, seed=99)
    cluster.apply(deployment(image="nginx:1.25"))
    other.apply(deployment(image="nginx:1.25"))
    assert cluster.list("ReplicaSet")[0].name == other.list("ReplicaSet")[0].name
    other.apply(deployment(image="nginx:1.26"))
    assert {rs.name for rs in other.list("ReplicaSet")} != {cluster.list("ReplicaSet")[0].name}


def test_pod_goes_pending_containercreating_running(cluster):
    """A new pod is bound at once (Pending, ContainerCreating, no IP); its sandbox gets an IP
    within a second; after the image pull the container runs and the pod turns Ready."""
    cluster.kubectl("create deployment web --image=nginx --replicas=1 --port=80")
    (pod,) = cluster.pods()
    assert pod.spec.node_name in NODES
    assert pod.status.phase == "Pending"
    assert pod.status.pod_ip is None
    assert pod.status.container_statuses[0].state.waiting.reason == "ContainerCreating"
    assert "ContainerCreating" in cluster.kubectl("get pods")
    cluster.advance(0.2)
    assert cluster.pods()[0].status.pod_ip is None
    cluster.advance(0.8)
    pod = cluster.pods()[0]
    assert pod.status.pod_ip is not None and pod.status.phase == "Pending"
    cluster.advance(5)
    pod = cluster.pods()[0]
    assert pod.status.phase == "Running" and is_ready(pod)
    assert pod.status.container_statuses[0].state.running is not None
    assert re.search(r"1/1\s+Running", cluster.kubectl("get pods"))


def test_deployment_status_counts_ready_pods(web):
    """Once its pods run, the Deployment reports 3 ready/available/updated and is Available."""
    d = web.get("Deployment", "web")
    assert (d.status.replicas, d.status.ready_replicas, d.status.available_replicas,
            d.status.updated_replicas) == (3, 3, 3, 3)
    conditions = {c.type: (c.status, c.reason) for c in d.status.conditions}
    assert conditions == {"Available": ("True", "MinimumReplicasAvailable"),
                          "Progressing": ("True", "NewReplicaSetAvailable")}
    assert d.status.observed_generation == d.metadata.generation == 1


def test_replicaset_status_counts_every_pod_write_it_does_not_sync_for(web, monkeypatch):
    """A pod write that changes none of its ReplicaSet's counts (the sandbox's IP) queues no sync
    of a steady ReplicaSet, yet at every moment of a scale-up the ReplicaSet's status counts the
    pods as a full recount does (``calculateStatus``: active pods, ready pods)."""
    unqueued = []
    needless = rsview.sync_needless

    def counted(*args):
        answer = needless(*args)
        unqueued.append(answer)
        return answer

    monkeypatch.setattr(rsview, "sync_needless", counted)
    web.scale("web", 12)
    rs = web.owned(web.get("Deployment", "web"), "ReplicaSet")[0]
    for _ in range(60):
        web.advance(0.1)
        rs = web.get("ReplicaSet", rs.name)
        pods = [p for p in web.owned(rs, "Pod") if p.metadata.deletion_timestamp is None]
        assert (rs.status.replicas, rs.status.ready_replicas or 0) == (len(pods), sum(is_ready(p) for p in pods))
    assert rs.status.ready_replicas == 12
    assert any(unqueued) and not all(unqueued)


def test_deployment_finds_its_new_replicaset_by_template_at_every_sync(web, monkeypatch):
    """A Deployment's new ReplicaSet is the oldest whose pod template equals its own
    (``FindNewReplicaSet``): through a scale, a rollout to a new image, a rollback to the first
    template and a hand edit of the ReplicaSets' labels, the one the controller remembers between
    syncs is at every sync the one a comparison of the templates picks."""
    answers = []
    remembered = deployment_controller._new_rs

    def compared(rt, d, rss):
        answer = remembered(rt, d, rss)
        answers.append((answer, deployment_controller._find_new_rs(d, rss)))
        return answer

    monkeypatch.setattr(deployment_controller, "_new_rs", compared)
    web.scale("web", 6)
    web.advance(10)
    first = web.owned(web.get("Deployment", "web"), "ReplicaSet")[0].name
    web.kubectl("set image deployment/web nginx=nginx:1.27")
    web.advance(30)
    second = {rs.name for rs in web.owned(web.get("Deployment", "web"), "ReplicaSet")} - {first}
    web.kubectl("rollout undo deployment/web")
    web.advance(30)
    web.kubectl("label rs --all tier=web")
    web.scale("web", 4)
    web.advance(30)
    assert len(second) == 1 and len(answers) > 20
    assert all(got is want for got, want in answers)
    assert {got.name for got, _ in answers if got is not None} == {first, *second}
    rss = {rs.name: rs.spec.replicas for rs in web.owned(web.get("Deployment", "web"), "ReplicaSet")}
    assert rss == {first: 4, **{name: 0 for name in second}}


def test_scheduler_spreads_pods_across_ready_nodes(cluster):
    """The scheduler spreads a ReplicaSet's pods: 6 replicas on 3 nodes make 2 per node."""
    cluster.kubectl("create deployment web --image=nginx --replicas=6")
    per_node = {n: len([p for p in cluster.pods() if p.spec.node_name == n]) for n in NODES}
    assert per_node == {n: 2 for n in NODES}


def test_scheduler_skips_a_notready_node(cluster):
    """A NotReady node carries the unreachable NoSchedule taint: new pods go elsewhere, and a
    pod that fits nowhere is Unschedulable with the scheduler's message."""
    cluster.fail_node("minikube-m02")
    cluster.advance(50)
    cluster.kubectl("create deployment web --image=nginx --replicas=4")
    assert "minikube-m02" not in {p.spec.node_name for p in cluster.pods()}
    one = kitlib.Cluster(nodes=1)
    one.fail_node("minikube")
    one.advance(50)
    one.kubectl("create deployment web --image=nginx")
    cond = one.pods()[0].status.condition("PodScheduled")
    assert (cond.status, cond.reason) == ("False", "Unschedulable")
    assert cond.message == ("0/1 nodes are available: 1 node(s) had untolerated taint "
                            "{node.kubernetes.io/unreachable: }. preemption: 0/1 nodes are available: "
                            "1 Preemption is not helpful for scheduling.")


def test_pods_take_their_nodes_internal_ip_when_bound(cluster):
    """The kubelet reports its node's InternalIP as a pod's hostIP (and hostIPs) when it admits
    the pod: after a node's address changes, the pods bound to it from then on show the new one.
    (The scheduler reads each node's address once per round of binding.)"""
    cluster.kubectl("create deployment web --image=nginx --replicas=3")
    node = cluster.get("Node", "minikube-m02")
    next(a for a in node.status.addresses if a.type == "InternalIP").address = "192.168.49.99"
    cluster.api.update_status(node)
    cluster.scale("web", 9)
    on_m02 = sorted((p.status.host_ip, [i.ip for i in p.status.host_ips]) for p in cluster.pods()
                    if p.spec.node_name == "minikube-m02")
    assert on_m02 == [("192.168.49.3", ["192.168.49.3"]), ("192.168.49.99", ["192.168.49.99"]),
                      ("192.168.49.99", ["192.168.49.99"])]


# ---------------------------------------------------------------- deleting and scaling


def test_deleted_pod_terminates_and_is_replaced(web):
    """Deleting a pod makes it Terminating (deletionTimestamp set, 30 s grace), the ReplicaSet
    creates a replacement at once, and the old pod is gone once its container has stopped."""
    victim = web.pods()[0]
    web.delete("Pod", victim.name)
    gone = web.get("Pod", victim.name)
    assert gone.metadata.deletion_timestamp is not None
    assert gone.metadata.deletion_grace_period_seconds == 30
    assert f"{victim.name}   1/1     Terminating" in web.kubectl("get pods")
    assert len(active(web)) == 3
    web.advance(10)
    names = {p.name for p in web.pods()}
    assert victim.name not in names and len(names) == 3
    assert len(running(web)) == 3


def test_scale_up_and_down(web):
    """`scale` changes spec.replicas (and the generation); the ReplicaSet follows."""
    web.scale("web", 5)
    assert web.get("Deployment", "web").metadata.generation == 2
    assert len(active(web)) == 5
    web.advance(10)
    web.scale("web", 1)
    assert len(active(web)) == 1
    web.advance(10)
    assert len(web.pods()) == 1
    web.scale("web", 0)
    web.advance(10)
    assert web.pods() == []
    assert web.kubectl("get deploy web").splitlines()[1].split()[1] == "0/0"


def test_scale_down_removes_the_newest_not_ready_pods_first(web):
    """Scaling down deletes pods that are not yet running before running ones."""
    old = {p.name for p in web.pods()}
    web.scale("web", 5)
    web.scale("web", 3)
    assert {p.name for p in active(web)} == old


def test_scale_down_removes_recently_started_pods_first(web):
    """Among running, ready pods, the ones ready for the shortest time go first."""
    old = {p.name for p in web.pods()}
    web.scale("web", 6)
    web.advance(30)
    web.scale("web", 3)
    assert {p.name for p in active(web)} == old


def test_deletion_order_ranks_like_active_pods_with_ranks(web):
    """deletion_order (ActivePodsWithRanks): an unscheduled pod first, then a Pending one, then
    the running pods."""
    ready = sorted(web.pods(), key=lambda p: p.name)
    web.scale("web", 4)
    pending = next(p for p in web.pods() if p.name not in {r.name for r in ready})
    for n in NODES:
        web.cordon(n)
    web.scale("web", 5)
    unscheduled = next(p for p in web.pods() if not p.spec.node_name)
    order = deletion_order(web.pods(), web)
    assert [p.name for p in order[:2]] == [unscheduled.name, pending.name]
    assert {p.name for p in order[2:]} == {p.name for p in ready}


def test_deletion_order_puts_not_ready_before_ready(web):
    """A running pod that is not ready (its node went NotReady) is deleted before ready ones."""
    pod_on_m02 = next(p for p in web.pods() if p.spec.node_name == "minikube-m02")
    web.fail_node("minikube-m02")
    web.advance(50)
    assert not is_ready(web.get("Pod", pod_on_m02.name))
    assert deletion_order(web.pods(), web)[0].name == pod_on_m02.name


# ---------------------------------------------------------------- nodes


def test_cordon_keeps_pods_and_blocks_new_ones(web):
    """A cordoned node keeps its pods but gets no new ones; uncordon lets it take pods again."""
    before = {p.name for p in web.pods_on("minikube-m02")}
    web.cordon("minikube-m02")
    node = web.get("Node", "minikube-m02")
    assert node.spec.unschedulable is True
    assert [(t.key, t.effect) for t in node.spec.taints] == [("node.kubernetes.io/unschedulable", "NoSchedule")]
    web.scale("web", 9)
    assert {p.name for p in web.pods_on("minikube-m02")} == before
    web.uncordon("minikube-m02")
    assert web.get("Node", "minikube-m02").spec.taints == []
    web.scale("web", 12)
    assert len(web.pods_on("minikube-m02")) > len(before)


def test_pod_with_no_schedulable_node_is_unschedulable(cluster):
    """With every node cordoned a new pod stays Pending: `0/3 nodes are available: 3 node(s) were
    unschedulable` (the NodeUnschedulable filter runs before the taint check)."""
    for n in NODES:
        cluster.cordon(n)
    cluster.kubectl("create deployment web --image=nginx")
    pod = cluster.pods()[0]
    cond = pod.status.condition("PodScheduled")
    assert cond.message == ("0/3 nodes are available: 3 node(s) were unschedulable. preemption: 0/3 nodes "
                            "are available: 3 Preemption is not helpful for scheduling.")
    assert pod.spec.node_name is None
    cluster.uncordon("minikube-m03")
    assert cluster.pods()[0].spec.node_name == "minikube-m03"


def test_drain_evicts_and_pods_come_back_elsewhere(web):
    """Drain cordons the node and evicts its pods (not its DaemonSets' pods); their ReplicaSet
    recreates them on other nodes."""
    on_m03 = [p for p in web.pods_on("minikube-m03") if p.namespace == "default"]
    evicted = web.drain("minikube-m03")
    assert [p.name for p in evicted] == [p.name for p in on_m03]
    assert web.get("Node", "minikube-m03").spec.unschedulable
    web.advance(10)
    assert [p.name.rsplit("-", 1)[0] for p in web.pods_on("minikube-m03")] == ["kube-flannel-ds", "kube-proxy"]
    assert len(running(web)) == 3
    assert {p.spec.node_name for p in web.pods()} == {"minikube", "minikube-m02"}


def test_failed_node_timeline(web):
    """When a node stops answering: its pods are unreachable at once; after 50 s the node is
    NotReady (Ready=Unknown) and its pods not ready; 300 s later they are evicted and recreated
    elsewhere; restore_node brings the node back and finishes the stuck deletions."""
    lost = web.pods_on("minikube-m02")[0]
    other = web.pods_on("minikube")[0]
    web.fail_node("minikube-m02")
    conn = web.connect(other.key, lost.key, 80)
    assert not conn.ok and "times out" in conn.reason

    web.advance(49)
    assert "minikube-m02   Ready" in web.kubectl("get nodes")
    web.advance(1)
    node = web.get("Node", "minikube-m02")
    assert node.status.condition("Ready").status == "Unknown"
    assert "minikube-m02   NotReady" in web.kubectl("get nodes")
    assert {(t.key, t.effect) for t in node.spec.taints} == {
        ("node.kubernetes.io/unreachable", "NoSchedule"), ("node.kubernetes.io/unreachable", "NoExecute")}
    assert not is_ready(web.get("Pod", lost.name))

    web.advance(299)
    assert web.get("Pod", lost.name).metadata.deletion_timestamp is None
    web.advance(1)
    assert web.get("Pod", lost.name).metadata.deletion_timestamp is not None
    web.advance(10)
    assert len(running(web)) == 3
    assert all(p.spec.node_name != "minikube-m02" for p in running(web))
    assert web.get("Pod", lost.name)  # stuck Terminating: the node's kubelet cannot confirm

    web.restore_node("minikube-m02")
    assert web.get("Node", "minikube-m02").status.condition("Ready").status == "True"
    assert web.get("Node", "minikube-m02").spec.taints == []
    with pytest.raises(kitlib.NotFound):
        web.get("Pod", lost.name)
    web.scale("web", 6)
    web.advance(10)
    assert web.pods_on("minikube-m02")


def test_node_restored_before_the_grace_period_changes_nothing(web):
    """A node back within 50 s was never marked NotReady, and its pods were never evicted."""
    pods = {p.name for p in web.pods()}
    web.fail_node("minikube-m02")
    web.advance(30)
    web.restore_node("minikube-m02")
    web.advance(400)
    assert {p.name for p in web.pods()} == pods
    assert web.get("Node", "minikube-m02").status.condition("Ready").status == "True"


# ---------------------------------------------------------------- rollouts


def _roll(cluster, replicas, surge, unavailable, max_surge, max_unavailable):
    """Change the image and step through the rollout, checking maxSurge and maxUnavailable."""
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}
    cluster.apply(deployment(replicas=replicas, strategy=strategy))
    cluster.advance(30)
    seen = {"most": 0, "fewest_ready": replicas}

    def watch(obj, removed):  # sees the state after every single change, not only between steps
        pods = active(cluster)
        seen["most"] = max(seen["most"], len(pods))
        seen["fewest_ready"] = min(seen["fewest_ready"], len([p for p in pods if is_ready(p)]))

    cluster.api.watch(watch)
    cluster.apply(deployment(image="nginx:1.26", replicas=replicas, strategy=strategy))
    _step_until_rolled(cluster, replicas, max_surge, max_unavailable)
    cluster.api.unwatch(watch)
    assert seen["most"] <= replicas + max_surge
    assert seen["fewest_ready"] >= replicas - max_unavailable


def _step_until_rolled(cluster, replicas, max_surge, max_unavailable):
    for _ in range(600):
        pods = active(cluster)
        assert len(pods) <= replicas + max_surge
        available = [p for p in pods if is_ready(p)]
        assert len(available) >= replicas - max_unavailable
        for rs in cluster.list("ReplicaSet"):
            assert rs.spec.replicas >= 0
        assert sum(rs.spec.replicas for rs in cluster.list("ReplicaSet")) <= replicas + max_surge
        if (len(pods) == replicas and all(p.spec.containers[0].image == "nginx:1.26" for p in pods)
                and len(available) == replicas):
            return
        cluster.advance(0.1)
    pytest.fail("the rollout did not finish")


@pytest.mark.parametrize(("replicas", "surge", "unavailable", "max_surge", "max_unavailable"), [
    (4, "25%", "25%", 1, 1),
    (10, "25%", "25%", 3, 2),
    (10, 3, 2, 3, 2),
    (3, 0, 1, 0, 1),
    (3, 1, 0, 1, 0),
    (5, "50%", 0, 3, 0),
])
def test_rolling_update_respects_surge_and_unavailable(cluster, replicas, surge, unavailable,
                                                       max_surge, max_unavailable):
    """A new image rolls out through a new ReplicaSet; at every moment the pods number at most
    replicas+maxSurge (rounded up) and at least replicas-maxUnavailable (rounded down) are ready."""
    _roll(cluster, replicas, surge, unavailable, max_surge, max_unavailable)
    old, new = sorted(cluster.list("ReplicaSet"), key=lambda r: r.metadata.annotations[
        "deployment.kubernetes.io/revision"])
    assert (old.spec.replicas, new.spec.replicas) == (0, replicas)
    assert new.metadata.annotations["deployment.kubernetes.io/revision"] == "2"
    cluster.advance(5)
    assert all(p.metadata.owner_references[0].name == new.name for p in cluster.pods())


def test_rollout_through_kubectl_apply_says_configured(cluster):
    """`kubectl apply` of a changed template reports `configured` and starts a rollout."""
    text = kitlib.api.convert.dump_yaml(deployment())
    assert cluster.kubectl(f"apply -f - <<EOF\n{text}EOF") == "deployment.apps/web created"
    cluster.advance(30)
    changed = text.replace("nginx:1.25", "nginx:1.26")
    assert cluster.kubectl(f"apply -f - <<EOF\n{changed}EOF") == "deployment.apps/web configured"
    assert len(cluster.list("ReplicaSet")) == 2


def test_rollback_reuses_the_old_replicaset(cluster):
    """Going back to an earlier template scales its old ReplicaSet up again as revision 3."""
    cluster.apply(deployment())
    cluster.advance(30)
    first = cluster.list("ReplicaSet")[0].name
    cluster.apply(deployment(image="nginx:1.26"))
    cluster.advance(60)
    cluster.apply(deployment())
    cluster.advance(60)
    rss = {rs.name: rs for rs in cluster.list("ReplicaSet")}
    assert len(rss) == 2
    assert rss[first].spec.replicas == 3
    assert rss[first].metadata.annotations["deployment.kubernetes.io/revision"] == "3"


def test_recreate_stops_old_pods_before_starting_new(cluster):
    """The Recreate strategy scales the old ReplicaSet to 0 and waits for its pods to be gone
    before the new ReplicaSet creates any."""
    cluster.apply(deployment(strategy={"type": "Recreate"}))
    cluster.advance(30)
    cluster.apply(deployment(image="nginx:1.26", strategy={"type": "Recreate"}))
    for _ in range(200):
        images = {p.spec.containers[0].image for p in cluster.pods()}
        assert len(images) <= 1
        cluster.advance(0.1)
    assert len(running(cluster)) == 3
    assert {p.spec.containers[0].image for p in cluster.pods()} == {"nginx:1.26"}


def test_scaling_does_not_start_a_rollout(web):
    """A replicas change keeps the template, so the same ReplicaSet just scales."""
    (rs,) = web.list("ReplicaSet")
    web.scale("web", 5)
    assert [r.name for r in web.list("ReplicaSet")] == [rs.name]


def test_replicaset_counts_fully_labeled_pods_against_its_current_template(cluster):
    """``status.fullyLabeledReplicas`` counts the pods that carry every label of the ReplicaSet's
    pod template as it is now: after the template's labels change, the pods made from the old
    template still match the selector and count as replicas, but no longer as fully labeled,
    while a replacement made from the new template does (``calculateStatus``)."""
    manifest = {
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "front"},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "front"}},
                 "template": {"metadata": {"labels": {"app": "front", "tier": "a"}},
                              "spec": {"containers": [{"name": "app", "image": "nginx"}]}}},
    }
    cluster.apply(manifest)
    cluster.settle()
    rs = cluster.get("ReplicaSet", "front")
    assert (rs.status.replicas, rs.status.fully_labeled_replicas, rs.status.ready_replicas) == (3, 3, 3)
    manifest["spec"]["template"]["metadata"]["labels"]["tier"] = "b"
    cluster.apply(manifest)
    rs = cluster.get("ReplicaSet", "front")
    assert (rs.status.replicas, rs.status.fully_labeled_replicas, rs.status.ready_replicas) == (3, None, 3)
    cluster.delete("Pod", active(cluster, "app=front")[0].name)
    cluster.settle()
    rs = cluster.get("ReplicaSet", "front")
    assert (rs.status.replicas, rs.status.fully_labeled_replicas, rs.status.ready_replicas) == (3, 1, 3)
    assert sorted(p.metadata.labels["tier"] for p in active(cluster, "app=front")) == ["a", "a", "b"]
