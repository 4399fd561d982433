"""The API server's storage: every object by kind and key, with the indexes controllers need."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Set
from types import MappingProxyType
from typing import Any, TypeVar, cast

from .api.labels import LabelSelector
from .api.meta import KubeObject

K = TypeVar("K", bound=KubeObject)
_NO_CHANGES: tuple[Set[str], Mapping[str, KubeObject]] = (frozenset(), MappingProxyType({}))  # shared: immutable
_UNINDEXED: tuple[str | None, str | None, str, str] = (None, None, "", "")


class Store:
    """Objects by kind and ``namespace/name`` key, plus owner and node indexes.

    The store bumps ``metadata.resourceVersion`` on every write, as etcd's revision does.

    Objects are filed under their class's ``kind``, and each kind is served by one class
    (:mod:`kitlib.api.registry`): what is stored under ``cls.kind`` is a ``cls``. The typed reads
    :meth:`get_as` and :meth:`items_as` rely on this.
    """

    def __init__(self) -> None:
        self._objects: dict[str, dict[str, KubeObject]] = defaultdict(dict)
        self._by_owner: dict[str, dict[str, KubeObject]] = defaultdict(dict)
        self._pods_by_node: dict[str, dict[str, KubeObject]] = defaultdict(dict)
        # Pods without a controller, by namespace: what a ReplicaSet may adopt.
        self._orphan_pods: dict[str, dict[str, KubeObject]] = defaultdict(dict)
        # Owners whose owned objects are watched: the ``Kind/key`` of each put or removed since.
        self._owned_changes: dict[str, set[str]] = {}
        # Where each stored object was indexed, by the object's id: objects are changed in place
        # before ``touch``, so the old owner and node can only be known from here. An entry is made
        # when an object is stored and dropped when it leaves the store or another object takes its
        # key, so every id here is that of a stored (so living) object: no other object can have
        # it. Keyed by id, a status write of a stored object finds its entry without building its
        # key; a stored object's kind, namespace and name never change (the API server makes
        # them immutable, and a verb that changes them stores a new object).
        self._indexed: dict[int, tuple[str | None, str | None, str, str]] = {}
        self.revision = 0

    def __getstate__(self) -> dict[str, Any]:
        """The store's state with its index by identity given by the objects themselves, so that
        a copy (``copy.deepcopy`` of a cluster, as the fuzzers take) is keyed by its own objects."""
        state = self.__dict__.copy()
        stored = {id(o): o for objects in self._objects.values() for o in objects.values()}
        state["_indexed"] = [(stored[i], entry) for i, entry in self._indexed.items()]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore :meth:`__getstate__`'s state, keying the index by the objects now held."""
        indexed = state.pop("_indexed")
        self.__dict__.update(state)
        self._indexed = {id(obj): entry for obj, entry in indexed}

    def get(self, kind: str, key: str) -> KubeObject | None:
        return self._objects[kind].get(key)

    def get_as(self, cls: type[K], key: str) -> K | None:
        """:meth:`get` by class: ``store.get_as(Node, "minikube")`` is a Node or None."""
        return cast("K | None", self._objects[cls.kind].get(key))  # one class per kind (see above)

    def put(self, obj: KubeObject) -> KubeObject:
        """Store (or replace) ``obj`` and give it the next resourceVersion."""
        indexed = self._indexed.get(id(obj))
        if indexed is not None:
            # Most writes are status changes of the stored object itself (a pod is put about seven
            # times on its way to Running); when its owner and node are still those it was filed
            # under, the indexes hold it already.
            owner, node, kind_key, key = indexed
            for ref in obj.metadata.owner_references:  # controller_ref(), inline
                if ref.controller:
                    break
            else:
                ref = None
            if (ref.uid if ref is not None else None) == owner:
                kind = obj.kind
                new_node = obj.spec.node_name if kind == "Pod" else None  # type: ignore[attr-defined]  # a Pod has a spec
                if new_node != node:
                    # A binding: the node index moves; the owner index is refreshed as a full
                    # re-index would (the entry goes last), and orphans stay as they were.
                    if node:
                        self._pods_by_node[node].pop(key, None)
                    if new_node:
                        self._pods_by_node[new_node][key] = obj
                    if owner is not None:
                        by_owner = self._by_owner[owner]
                        by_owner.pop(kind_key, None)
                        by_owner[kind_key] = obj
                    self._indexed[id(obj)] = (owner, new_node, kind_key, key)
                if owner is not None:
                    changes = self._owned_changes.get(owner)
                    if changes is not None:
                        changes.add(kind_key)
                self.revision += 1
                obj.metadata.resource_version = str(self.revision)
                return obj
        key = obj.key
        objects = self._objects[obj.kind]
        old = objects.get(key)
        if old is not None:
            self._unindex(old, key)
        self.revision += 1
        obj.metadata.resource_version = str(self.revision)
        objects[key] = obj
        self._index(obj, key)
        return obj

    def touch(self, obj: KubeObject) -> None:
        """Record a status change of a stored object (new resourceVersion, indexes refreshed)."""
        self.put(obj)

    def remove(self, obj: KubeObject) -> None:
        key = obj.key
        stored = self._objects[obj.kind].pop(key, None)
        if stored is not None:
            self._unindex(stored, key)  # the stored object: ``obj`` may be a copy of it
            self.revision += 1

    def items(self, kind: str, namespace: str | None = None,
              selector: LabelSelector | None = None) -> list[KubeObject]:
        """Objects of a kind, sorted by key as the API server lists them."""
        objs: Iterator[KubeObject] = iter(self._objects[kind].values())
        if namespace is not None:
            objs = (o for o in objs if o.metadata.namespace == namespace)
        if selector is not None:
            objs = (o for o in objs if selector.matches(o.metadata.labels))
        return sorted(objs, key=lambda o: (o.metadata.namespace or "", o.metadata.name or ""))

    def items_as(self, cls: type[K], namespace: str | None = None,
                 selector: LabelSelector | None = None) -> list[K]:
        """:meth:`items` by class: ``store.items_as(Node)`` is a list of Nodes."""
        return cast("list[K]", self.items(cls.kind, namespace, selector))  # one class per kind (see above)

    def objects(self, kind: str) -> Iterable[KubeObject]:
        """Every stored object of a kind, unsorted (the fastest read, for caches that index them)."""
        return self._objects[kind].values()

    def count(self, kind: str) -> int:
        return len(self._objects[kind])

    def owned_by(self, uid: str) -> list[KubeObject]:
        """Objects whose controller owner reference points at ``uid``."""
        return list(self._by_owner[uid].values())

    def orphan_pods(self, namespace: str) -> list[KubeObject]:
        """Pods of ``namespace`` with no controller owner reference, sorted by name as :meth:`items`."""
        orphans = self._orphan_pods.get(namespace)
        if not orphans:  # the usual answer, asked on every ReplicaSet sync
            return []
        return sorted(orphans.values(), key=lambda o: o.metadata.name or "")

    def has_orphan_pods(self, namespace: str) -> bool:
        """Whether ``namespace`` has a pod with no controller owner reference."""
        return bool(self._orphan_pods.get(namespace))

    def pending_owned(self, uid: str) -> set[str] | None:
        """The ``Kind/key`` of the objects put under or taken from the watched owner ``uid`` since
        the last :meth:`owned_changes` (None if ``uid`` is not watched): the set itself, which a
        caller that has brought its record of the owned objects up to date may clear."""
        return self._owned_changes.get(uid)

    def watch_owned(self, uid: str) -> None:
        """Start recording which objects owned by ``uid`` change (see :meth:`owned_changes`)."""
        self._owned_changes.setdefault(uid, set())

    def unwatch_owned(self, uid: str) -> None:
        self._owned_changes.pop(uid, None)

    def owned_changes(self, uid: str) -> tuple[Set[str], Mapping[str, KubeObject]]:
        """The ``Kind/key`` of every object put under or taken from the watched owner ``uid`` since
        the last call, and the objects that owner controls now by ``Kind/key`` (the owner index
        itself, to read only: one whose key is not there is gone or no longer owned)."""
        keys = self._owned_changes.get(uid)
        if not keys:
            return _NO_CHANGES
        self._owned_changes[uid] = set()
        return keys, self._by_owner.get(uid) or {}

    def pods_on(self, node: str) -> list[KubeObject]:
        return list(self._pods_by_node[node].values())

    def kinds(self) -> list[str]:
        return [k for k, v in self._objects.items() if v]

    def _index(self, obj: KubeObject, key: str) -> None:
        ref = obj.metadata.controller_ref()
        kind_key = f"{obj.kind}/{key}"
        if ref is not None:
            self._by_owner[ref.uid][kind_key] = obj
            if ref.uid in self._owned_changes:
                self._owned_changes[ref.uid].add(kind_key)
        node = _node_of(obj)
        if node:
            self._pods_by_node[node][key] = obj
        if ref is None and obj.kind == "Pod":
            self._orphan_pods[obj.metadata.namespace or ""][key] = obj
        # The owner's uid, the node it is filed under, its key in the owner index and its own.
        self._indexed[id(obj)] = (ref.uid if ref is not None else None, node, kind_key, key)

    def _unindex(self, obj: KubeObject, key: str) -> None:
        owner, node, kind_key, _ = self._indexed.pop(id(obj), _UNINDEXED)
        if owner is not None:
            self._by_owner[owner].pop(kind_key, None)
            if owner in self._owned_changes:
                self._owned_changes[owner].add(kind_key)
        if node:
            self._pods_by_node[node].pop(key, None)
        if obj.kind == "Pod":
            self._orphan_pods[obj.metadata.namespace or ""].pop(key, None)


def _node_of(obj: KubeObject) -> str | None:
    """The node a Pod is bound to (what the node index files it under); None for other kinds."""
    return getattr(getattr(obj, "spec", None), "node_name", None) if obj.kind == "Pod" else None
