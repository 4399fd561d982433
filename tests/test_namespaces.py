"""Deleting a namespace: Terminating until the namespace controller has emptied it.

Sources: the namespace registry's Delete (pkg/registry/core/namespace/storage/storage.go), the
NamespaceLifecycle admission plug-in (apiserver admission/plugin/namespace/lifecycle), and the
namespace controller (pkg/controller/namespace: namespace_controller.go, deletion/).
"""

from __future__ import annotations

import pytest

import kitlib

SHOP = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}
POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "solo", "namespace": "shop"},
       "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
TERMINATED = r"unable to create new content in namespace shop because it is being terminated"


@pytest.fixture
def shop() -> kitlib.Cluster:
    """A two-node cluster with namespace ``shop`` running ``deployment/web`` (2 pods) and a Service."""
    c = kitlib.Cluster(nodes=2, seed=3)
    c.apply(SHOP)
    c.kubectl("create deployment web --image=nginx --replicas=2 -n shop")
    c.kubectl("expose deployment web --port=80 -n shop")
    c.advance(20)
    assert [p.status.phase for p in c.pods("shop")] == ["Running", "Running"]
    return c


def phases(c: kitlib.Cluster) -> list[str]:
    return [line.split()[2] for line in c.kubectl("get pods -n shop").splitlines()[1:]]


def test_a_deleted_namespace_is_terminating_until_its_pods_are_gone(shop):
    """The DELETE only marks the namespace: ``deletionTimestamp`` and phase Terminating, with the
    ``kubernetes`` finalizer still in ``spec.finalizers``. The namespace controller takes it up 5 s
    later (``namespaceDeletionGracePeriod``) and deletes what is in it, pods gracefully; it writes
    what remains as the namespace's conditions, and that update queues its next pass 5 s later,
    which finds the namespace empty, removes the finalizer, and the namespace is gone."""
    start = shop.now
    assert shop.kubectl("delete namespace shop --wait=false") == 'namespace "shop" deleted'
    ns = shop.get("Namespace", "shop")
    assert ns.metadata.deletion_timestamp == shop.runtime.clock.timestamp(start)
    assert (ns.status.phase, ns.spec.finalizers) == ("Terminating", ["kubernetes"])
    assert "shop              Terminating" in shop.kubectl("get ns")
    shop.advance(4.9)
    assert phases(shop) == ["Running", "Running"]  # nothing is deleted before the controller's pass
    shop.advance(0.1)
    assert phases(shop) == ["Terminating", "Terminating"]
    assert shop.list("Deployment", "shop") == shop.list("Service", "shop") == shop.list("EndpointSlice", "shop") == []
    ns = shop.get("Namespace", "shop")
    assert [(c.type, c.status, c.reason, c.message) for c in ns.status.conditions] == [
        ("NamespaceDeletionDiscoveryFailure", "False", "ResourcesDiscovered", "All resources successfully discovered"),
        ("NamespaceDeletionGroupVersionParsingFailure", "False", "ParsedGroupVersions",
         "All legacy kube types successfully parsed"),
        ("NamespaceDeletionContentFailure", "False", "ContentDeleted",
         "All content successfully deleted, may be waiting on finalization"),
        ("NamespaceContentRemaining", "True", "SomeResourcesRemain",
         "Some resources are remaining: pods. has 2 resource instances"),
        ("NamespaceFinalizersRemaining", "False", "ContentHasNoFinalizers", "All content-preserving finalizers finished"),
    ]
    described = shop.kubectl("describe ns shop")
    assert "Status:       Terminating\nConditions:\n" in described
    assert "NamespaceContentRemaining                    True    " in described
    assert "type: NamespaceContentRemaining" in shop.kubectl("get ns shop -o yaml")
    shop.advance(1)
    assert shop.pods("shop") == []  # stopped within their grace period
    assert shop.get("Namespace", "shop").spec.finalizers == ["kubernetes"]
    shop.advance(3.9)
    assert "shop" in [n.name for n in shop.list("Namespace", None)]
    shop.advance(0.1)
    assert "shop" not in [n.name for n in shop.list("Namespace", None)]
    assert shop.list("ReplicaSet", "shop") == shop.list("Endpoints", "shop") == []


def test_nothing_new_may_be_created_in_a_terminating_namespace(shop, snapshot):
    """NamespaceLifecycle refuses every create in a Terminating namespace with a 403 that names
    the object (or its generateName); a refused request changes nothing. Updates and deletes of
    what is there stay allowed. A ReplicaSet cannot replace a pod deleted meanwhile."""
    shop.kubectl("delete namespace shop --wait=false")
    before = snapshot(shop)
    with pytest.raises(kitlib.Forbidden, match=rf'^pods "solo" is forbidden: {TERMINATED}$'):
        shop.apply(POD)
    with pytest.raises(kitlib.Forbidden, match=rf'^Error from server \(Forbidden\): deployments.apps "api" is '
                                               rf"forbidden: {TERMINATED}$"):
        shop.kubectl("create deployment api --image=nginx -n shop")
    named_later = {**POD, "metadata": {"generateName": "job-", "namespace": "shop"}}
    with pytest.raises(kitlib.Forbidden, match=rf'^pods "job-" is forbidden: {TERMINATED}$'):
        shop.create(named_later)
    with pytest.raises(kitlib.Forbidden, match=rf'^configmaps "cfg" is forbidden: {TERMINATED}$'):
        shop.apply([SHOP, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "shop"}}])
    assert snapshot(shop) == before
    assert shop.kubectl("label deployment web tier=front -n shop") == "deployment.apps/web labeled"
    labelled = {**SHOP, "metadata": {"name": "shop", "labels": {"team": "a"}}}
    assert [w for _, w in shop.apply_with_outcome(labelled)] == ["configured"]
    ns = shop.get("Namespace", "shop", "")
    assert (ns.status.phase, ns.metadata.labels["team"]) == ("Terminating", "a")
    assert ns.metadata.deletion_timestamp is not None  # an update cannot undo a deletion (rest.BeforeUpdate)

    victim = shop.pods("shop")[0]
    shop.delete("Pod", victim.name, "shop")
    assert len(shop.pods("shop")) == 2  # the deleted one Terminating, and no replacement
    rs = shop.list("ReplicaSet", "shop")[0]
    assert "FailedCreate" in [e.reason for e in shop.events.for_object("ReplicaSet", rs.metadata.uid)]


def test_deleting_a_terminating_namespace_again_is_a_conflict(shop, snapshot):
    """The namespace registry answers a second DELETE, while the ``kubernetes`` finalizer is still
    there, with a 409 Conflict in its own words, and changes nothing."""
    shop.delete("Namespace", "shop")
    before = snapshot(shop)
    message = (r'Operation cannot be fulfilled on namespaces "shop": The system is ensuring all content is removed '
               r"from this namespace\.  Upon completion, this namespace will automatically be purged by the system\.")
    with pytest.raises(kitlib.Conflict, match=f"^{message}$"):
        shop.delete("Namespace", "shop")
    with pytest.raises(kitlib.Conflict, match=rf"^Error from server \(Conflict\): {message}$"):
        shop.kubectl("delete ns shop --wait=false")
    assert snapshot(shop) == before


def test_a_namespace_stays_terminating_while_a_pod_in_it_cannot_stop(shop):
    """A pod on a node that does not answer stays Terminating, as no kubelet confirms it stopped.
    Once the pod's grace period has passed since the namespace's deletion, the content left is an
    error: ``NamespaceDeletionContentFailure`` says what remains, and the controller retries with
    backoff (at most every 60 s). When the node is back, its kubelet finishes the pod and the next
    pass lets the namespace go."""
    lost = shop.pods("shop")[0].spec.node_name
    assert {p.spec.node_name for p in shop.pods("shop")} == {"minikube", "minikube-m02"}
    shop.fail_node(lost)
    start = shop.now
    shop.delete("Namespace", "shop")
    shop.advance(30)
    assert [p.spec.node_name for p in shop.pods("shop")] == [lost]
    assert shop.get("Namespace", "shop").status.condition("NamespaceDeletionContentFailure").status == "False"
    shop.advance(60)  # past the 30 s grace period: the pod should be gone, and it is not
    ns = shop.get("Namespace", "shop")
    failure = ns.status.condition("NamespaceDeletionContentFailure")
    assert (failure.status, failure.reason, failure.message) == (
        "True", "ContentDeletionFailed", "Failed to delete all resource types, 1 remaining: unexpected items still "
        "remain in namespace: shop for gvr: /v1, Resource=pods")
    assert ns.status.condition("NamespaceContentRemaining").message == \
        "Some resources are remaining: pods. has 1 resource instances"
    assert failure.last_transition_time == shop.runtime.clock.timestamp(start + 31)
    shop.advance(300)
    assert shop.get("Namespace", "shop").status.phase == "Terminating"
    shop.restore_node(lost)
    assert shop.pods("shop") == []
    shop.advance(60)
    assert "shop" not in [n.name for n in shop.list("Namespace", None)]


def test_an_empty_namespace_goes_after_the_controllers_first_pass():
    """With nothing in it, the first pass (5 s after the DELETE) finalizes the namespace; the same
    seed and calls give the same cluster."""
    def run() -> dict:
        c = kitlib.Cluster(nodes=1, seed=5)
        c.apply(SHOP)
        c.delete("Namespace", "shop")
        c.advance(4.9)
        assert c.get("Namespace", "shop", "").status.phase == "Terminating"
        c.advance(0.1)
        assert [n.name for n in c.list("Namespace", None)] == ["default", "kube-flannel", "kube-node-lease",
                                                               "kube-public", "kube-system"]
        c.apply(SHOP)  # the name is free again: a new, Active namespace
        assert c.get("Namespace", "shop", "").status.phase == "Active"
        return c.state()

    assert run() == run()
