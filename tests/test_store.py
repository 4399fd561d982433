"""The API server's storage (:mod:`kitlib.store`): objects by kind and key, and the owner, node
and orphan indexes the controllers read, kept right through replacements and removals."""

from __future__ import annotations

import copy
import gc

from kitlib.api.meta import ObjectMeta, OwnerReference
from kitlib.api.pod import Pod, PodSpec
from kitlib.store import Store


def pod(name: str, owner_uid: str | None = None, node: str | None = None) -> Pod:
    refs = [OwnerReference("apps/v1", "ReplicaSet", "rs", owner_uid, True, True)] if owner_uid else []
    return Pod(metadata=ObjectMeta(name=name, namespace="default", owner_references=refs),
               spec=PodSpec(node_name=node))


def keys(objs) -> list[str]:
    return [o.key for o in objs]


def test_a_status_write_moves_a_pod_between_the_indexes():
    """A stored pod changed in place and written again (a binding, an adoption, a release) is
    filed under its new node and owner, with the next resourceVersion each time."""
    store = Store()
    p = store.put(pod("a", owner_uid="rs-1"))
    assert (p.metadata.resource_version, keys(store.owned_by("rs-1")), store.orphan_pods("default")) == ("1", ["default/a"], [])
    p.spec.node_name = "minikube"
    store.put(p)
    assert (p.metadata.resource_version, keys(store.pods_on("minikube")), keys(store.owned_by("rs-1"))) == (
        "2", ["default/a"], ["default/a"])
    p.metadata.owner_references = []  # released by its ReplicaSet
    store.put(p)
    assert (store.owned_by("rs-1"), keys(store.orphan_pods("default")), keys(store.pods_on("minikube"))) == (
        [], ["default/a"], ["default/a"])


def test_a_replaced_object_leaves_the_indexes_to_its_successor():
    """An object stored under the key of another replaces it in every index; writes of the new
    one, and of objects stored after the old one is gone (which may take its place in memory),
    are filed under their own owner and node."""
    store = Store()
    first = store.put(pod("a", owner_uid="rs-1", node="minikube"))
    second = store.put(pod("a", owner_uid="rs-2", node="minikube-m02"))
    assert store.get("Pod", "default/a") is second
    del first
    gc.collect()
    later = [store.put(pod(f"b{i}", owner_uid="rs-3", node="minikube")) for i in range(20)]
    second.metadata.resource_version = None
    store.put(second)  # a status write of the one stored
    for p in later:
        store.put(p)
    assert store.owned_by("rs-1") == []
    assert keys(store.owned_by("rs-2")) == ["default/a"]
    assert keys(store.pods_on("minikube-m02")) == ["default/a"]
    assert keys(store.pods_on("minikube")) == [f"default/b{i}" for i in range(20)]
    assert second.metadata.resource_version == "23"


def test_removing_through_a_copy_unindexes_the_stored_object():
    """A DELETE names the object; what is taken out of every index is the stored object, also
    when the caller holds a copy of it, and the same object stored again is indexed anew."""
    store = Store()
    p = store.put(pod("a", owner_uid="rs-1", node="minikube"))
    store.remove(copy.deepcopy(p))
    assert (store.get("Pod", "default/a"), store.owned_by("rs-1"), store.pods_on("minikube")) == (None, [], [])
    store.put(p)
    p.spec.node_name = "minikube-m02"
    store.put(p)
    assert (keys(store.owned_by("rs-1")), store.pods_on("minikube"), keys(store.pods_on("minikube-m02"))) == (
        ["default/a"], [], ["default/a"])


def test_a_copied_store_files_its_own_objects():
    """A deep copy of a store (as of a whole cluster) holds copies of the objects, filed in the
    copy's indexes; writes to either store move only its own objects between its indexes."""
    store = Store()
    store.put(pod("a", owner_uid="rs-1", node="minikube"))
    twin = copy.deepcopy(store)
    mine, theirs = store.get("Pod", "default/a"), twin.get("Pod", "default/a")
    assert mine is not theirs
    theirs.spec.node_name = "minikube-m02"
    twin.put(theirs)
    mine.metadata.owner_references = []
    store.put(mine)
    assert (keys(twin.pods_on("minikube")), keys(twin.pods_on("minikube-m02")), twin.owned_by("rs-1")) == (
        [], ["default/a"], [theirs])
    assert (keys(store.pods_on("minikube")), store.pods_on("minikube-m02"), store.owned_by("rs-1")) == (
        ["default/a"], [], [])
    assert (theirs.metadata.resource_version, mine.metadata.resource_version) == ("2", "2")


def test_owned_changes_name_each_written_object_once_with_what_is_owned_now():
    """A watched owner's record of changes lists each object written or removed since the last
    read once, beside the objects the owner controls now; reading it empties it."""
    store = Store()
    store.watch_owned("rs-1")
    a = store.put(pod("a", owner_uid="rs-1"))
    store.put(a)
    b = store.put(pod("b", owner_uid="rs-1"))
    store.remove(b)
    changed, owned = store.owned_changes("rs-1")
    assert sorted(changed) == ["Pod/default/a", "Pod/default/b"]
    assert {k: owned.get(k) for k in sorted(changed)} == {"Pod/default/a": a, "Pod/default/b": None}
    assert store.owned_changes("rs-1")[0] == set()
