"""The API server: storage, the clock, the random generator, events, allocators and watches.

Everything that changes an object goes through its verbs: :meth:`ApiServer.create`,
:meth:`~ApiServer.update`, :meth:`~ApiServer.update_status` and :meth:`~ApiServer.delete`
(plus :meth:`~ApiServer.apply` for a set of documents). Each write runs the kind's
:class:`~kitlib.apiserver.strategy.Strategy` and then tells the watchers (the controller
manager's informers and the add-ons), in the order they started watching.

A request is all or nothing (:meth:`ApiServer.request`): when it fails, what it allocated is
given back and the random generator is rewound, so that a failed call leaves no trace, not even
in the names and addresses drawn after it.
"""

from __future__ import annotations

import builtins
import json
import random
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar, cast

from .. import manifest
from ..api import strategicpatch
from ..api.convert import clone
from ..api.crd import CustomKind
from ..api.labels import LabelSelector, parse_selector
from ..api.meta import KubeObject
from ..api.node import Node
from ..api.pod import Pod
from ..api.registry import CUSTOM, Resource, for_object, lookup
from ..clock import Clock
from ..errors import AlreadyExists, BadRequest, Conflict, FieldError, Invalid, NotFound, invalid
from ..events import EventLog
from ..names import new_uid, random_suffix
from ..store import Store
from . import deprecation, lastapplied, managedfields, patch
from .allocators import IPAllocator, PortAllocator, RangeAllocator
from .core_strategy import namespace_lifecycle
from .strategies import strategy_for
from .strategy import Allocation
from .streams import stream_for

K = TypeVar("K", bound=KubeObject)

INT32_MAX = 2**31 - 1
"""The largest value of an int32 field such as ``spec.replicas``."""
SECURE_PORT = 8443
"""The port kube-apiserver listens on (minikube's ``--apiserver-port``; kubeadm's default is 6443)."""
VERSION = "v1.37.1"
"""The cluster's Kubernetes version: the API server's, and the kubelets' that ``kubectl get nodes``
shows (minikube runs every component at the version it starts). minikube's newest default is
v1.36.2; v1.37 is the release after it."""

# How many removals the watch cache keeps replayable (the real cache's size depends on the
# resource and the load; a simulator's window is this many objects).
DELETED_KEPT = 1000

Watcher = Callable[[KubeObject, bool], None]
"""Called with every object written (``False``) or removed (``True``), as a watch event."""


@dataclass(frozen=True)
class ClusterConfig:
    """The address plan and names a cluster is started with (``minikube start`` flags)."""

    name: str = "minikube"
    pod_cidr: str = "10.244.0.0/16"
    service_cidr: str = "10.96.0.0/12"
    node_cidr: str = "192.168.49.0/24"
    node_prefix: int = 24
    cluster_domain: str = "cluster.local"


class ApiServer:
    """One cluster's API server and everything it owns."""

    def __init__(self, config: ClusterConfig, seed: int) -> None:
        self.config = config
        self.rng = random.Random(seed)
        """The random generator of the cluster: names, IPs, timings and load balancing."""
        self.uid_rng = random.Random(f"{seed}:uids")
        """The UIDs of the objects the API server keeps for its ClusterIP allocator (IPAddresses,
        ServiceCIDRs: ``Strategy.own_uid_stream``), from a stream of their own seeded from the
        same seed: writing them draws nothing from :attr:`rng`, so every name, address and timing
        a lesson shows is what it was before these objects existed."""
        self.system_rng = random.Random(f"{seed}:system")
        """The draws of the node components (kube-proxy, flannel, the static pods,
        storage-provisioner): :func:`kitlib.apiserver.streams.stream_for` says which objects."""
        self.clock = Clock()
        self.events = EventLog()
        self.store = Store()
        """The storage, read by controllers as their informers' cache; written only by the verbs."""
        self.service_ips = IPAllocator(config.service_cidr, self.rng)
        self.node_ports = PortAllocator(30000, 32767, self.rng)
        self.pod_cidrs = RangeAllocator(config.pod_cidr, config.node_prefix)
        """The node IPAM controller's podCIDR allocator (``--allocate-node-cidrs``)."""
        self.custom: dict[str, CustomKind] = {}
        """The custom kinds this server serves because their CustomResourceDefinition is stored
        here, by kind (each cluster its own: the Gateway API's kinds exist only after the CRDs)."""
        self._watchers: list[Watcher] = []
        self.deleted: deque[KubeObject] = deque(maxlen=DELETED_KEPT)
        """The last objects removed from storage, in their final state: what a watch started from
        an earlier resourceVersion replays as DELETED events from the watch cache (an exercise
        check reads it to tell a pod that really ran and was killed from a made-up one)."""
        self.validating_webhooks: list[Callable[[KubeObject, KubeObject | None], None]] = []
        """Validating admission webhooks an add-on registers: each is called with the object and
        the stored one (None on create) after validation, and raises the webhook's denial."""
        self._request = _Request(self.rng)  # the request in flight, if any
        self.managed: dict[str, builtins.list[managedfields.Entry]] = {}
        """Each object's ``managedFields`` by UID (:mod:`kitlib.apiserver.managedfields`), for the
        writes that record them (client-side and server-side apply)."""

    # ------------------------------------------------------------------ reading

    @property
    def now(self) -> float:
        """Simulated seconds since time 0."""
        return self.clock.now

    def resource(self, kind: str) -> Resource:
        """The resource type for any name kubectl accepts, or kubectl's error."""
        res = lookup(kind)
        if res is None or (res.kind in CUSTOM and res.kind not in self.custom):
            raise BadRequest(f'error: the server doesn\'t have a resource type "{kind}"')
        return res

    def warnings(self, kind: str) -> tuple[str, ...]:
        """The ``Warning`` headers the server sends with every response about a resource type (a
        deprecated one: ``v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice``);
        kubectl prints each on stderr as ``Warning: ...``."""
        res = self.resource(kind)
        if deprecation.is_deprecated(res, deprecation.major_minor(VERSION)):
            return (deprecation.warning_message(res),)
        return ()

    def get(self, kind: str, name: str, namespace: str = "default") -> KubeObject:
        """The stored object itself (for the engine; the public :meth:`kitlib.Cluster.get` copies it),
        or :class:`kitlib.NotFound` in the API server's words."""
        res = self.resource(kind)
        obj = self.store.get(res.kind, f"{namespace}/{name}" if res.cls.namespaced else name)
        if obj is None:
            raise NotFound(f'{res.qualified} "{name}" not found')
        return obj

    def list(self, kind: str, namespace: str | None = "default",
             selector: str | LabelSelector | None = None) -> list[KubeObject]:
        """Stored objects of a kind in a namespace (``None``: all), optionally by label selector."""
        res = self.resource(kind)
        sel = parse_selector(selector) if isinstance(selector, str) else selector
        return self.store.items(res.kind, namespace if res.cls.namespaced else None, sel)

    def get_as(self, cls: type[K], name: str, namespace: str = "default") -> K:
        """:meth:`get` by class: ``api.get_as(Node, "minikube")`` is a Node (same errors as :meth:`get`)."""
        return cast(K, self.get(cls.kind, name, namespace))  # the store keeps one class per kind

    def list_as(self, cls: type[K], namespace: str | None = "default",
                selector: str | LabelSelector | None = None) -> builtins.list[K]:
        """:meth:`list` by class: ``api.list_as(Pod, None)`` is a list of Pods."""
        return cast("builtins.list[K]", self.list(cls.kind, namespace, selector))  # one class per kind

    def nodes(self) -> builtins.list[Node]:
        """Every node, by name."""
        return self.store.items_as(Node)

    def pods_on(self, node: str) -> builtins.list[Pod]:
        """The pods bound to ``node``, by key."""
        # The store's node index holds only Pods.
        return sorted(cast("builtins.list[Pod]", self.store.pods_on(node)), key=lambda p: p.key)

    def owned(self, owner: KubeObject, kind: str | None = None) -> builtins.list[KubeObject]:
        """Objects whose controller is ``owner`` (optionally of one kind), by name."""
        objs = self.store.owned_by(owner.metadata.uid or "")
        if len(objs) < 2 and (kind is None or not objs or objs[0].kind == kind):
            return objs  # one or none, as sorted: a Deployment's sync on every ready pod asks
        return sorted((o for o in objs if kind is None or o.kind == kind), key=lambda o: o.name)

    def require_namespace(self, namespace: str) -> None:
        """:class:`kitlib.NotFound` unless the namespace exists."""
        if self.store.get("Namespace", namespace) is None:
            raise NotFound(f'namespaces "{namespace}" not found')

    def state(self) -> dict[str, Any]:
        """Everything the API server holds, as plain values that compare equal exactly when
        nothing changed: objects (with resourceVersions), clock and queue, the random generator,
        events and allocations. A failed request leaves it as it was."""
        return {
            "revision": self.store.revision,
            "objects": {kind: [o.to_dict() for o in self.store.items(kind)] for kind in sorted(self.store.kinds())},
            "now": self.clock.now,
            "queue": self.clock.pending(),
            "rng": self.rng.getstate(),
            "uid_rng": self.uid_rng.getstate(),
            "system_rng": self.system_rng.getstate(),
            "events": [(e.kind, e.key, e.type, e.reason, e.message, e.count, e.last_seen, e.field_path)
                       for e in self.events.all()],
            "service_ips": self.service_ips.allocated(),
            "service_ip_ranges": self.service_ips.state(),
            "node_ports": self.node_ports.allocated(),
            "pod_cidrs": self.pod_cidrs.state(),
            "managed": {uid: managedfields.entries(managed) for uid, managed in sorted(self.managed.items())},
        }

    def serve(self, kind: CustomKind) -> None:
        """Serve a custom kind from now on (its CustomResourceDefinition was stored)."""
        self.custom[kind.resource.kind] = kind

    def unserve(self, kind: str, crd: str) -> None:
        """Stop serving ``kind`` (its definition ``crd`` was deleted) and delete its objects."""
        served = self.custom.get(kind)
        if served is None or served.crd != crd:
            return
        for obj in self.store.items(kind):
            self.delete(obj)
        del self.custom[kind]

    # ------------------------------------------------------------------ requests

    def request(self, *, dry_run: bool = False) -> AbstractContextManager[Allocation]:
        """One API request: on an exception, undo its allocations and rewind the random generators;
        a ``dry_run`` request is undone that way when it succeeds too. Nested requests join the
        outer one. Enter it at once (``with api.request() as txn:``): the server has one request
        in flight, re-entered by the nested ones."""
        return self._request.opening(dry_run)

    def prepare(self, obj: KubeObject, old: KubeObject | None) -> KubeObject:
        """Run ``obj``'s strategy for a create (``old`` None) or an update of ``old``, inside the
        current request. ``obj`` is changed in place (defaults, allocations) and returned."""
        res = for_object(obj)
        if res.cls.namespaced:
            obj.metadata.namespace = obj.metadata.namespace or "default"
        if old is None and not obj.metadata.name and obj.metadata.generate_name:
            obj.metadata.name = self._generate_name(res, obj)
        with self.request() as txn:
            self._run_strategy(res, obj, old, txn)
        return obj

    def _run_strategy(self, res: Resource, obj: KubeObject, old: KubeObject | None, txn: Allocation) -> None:
        """:meth:`prepare`'s strategy and admission webhooks, inside the open request ``txn``."""
        strategy = strategy_for(res.kind)
        if strategy.draws:
            self._request.save_rng()
        strategy.prepare(self, obj, old, txn)
        for webhook in self.validating_webhooks:  # validating admission runs after validation
            webhook(obj, old)

    def create(self, obj: KubeObject, *, copy: bool = True, dry_run: bool = False) -> KubeObject:
        """Create ``obj`` (a copy of it unless ``copy=False``: a new object nobody else holds).
        With ``dry_run`` (``--dry-run=server``) return what would be stored, leaving no trace."""
        if copy:
            obj = clone(obj)
        with self.request(dry_run=dry_run) as txn:
            res = for_object(obj)
            meta = obj.metadata
            if res.cls.namespaced:
                meta.namespace = meta.namespace or "default"
                namespace_lifecycle(self, obj)
            # prepare(obj, None), inside this request (a controller's pods come here by the thousand)
            if not meta.name and meta.generate_name:
                meta.name = self._generate_name(res, obj)
            self._run_strategy(res, obj, None, txn)
            if obj.metadata.name and self.store.get(res.kind, obj.key) is not None:
                raise AlreadyExists(f'{res.qualified} "{obj.name}" already exists')
            return obj if dry_run else self._commit_create(obj)

    def create_trusted(self, obj: KubeObject) -> KubeObject:
        """Store a new object as given, without its strategy's checks: for the API server's own
        objects and the well-formed ones controllers build at a high rate (EndpointSlices)."""
        return self._commit_create(obj)

    def update(self, new: KubeObject) -> KubeObject:
        """Replace the stored object of ``new``'s kind and key with ``new`` (``kubectl replace``);
        the server keeps what only it sets (uid, status, allocations the client left out)."""
        res = for_object(new)
        old = self.store.get(res.kind, f"{new.metadata.namespace or 'default'}/{new.name}"
                             if res.cls.namespaced else new.name)
        if old is None:
            raise NotFound(f'{res.qualified} "{new.name}" not found')
        with self.request():
            prepared = self.prepare(clone(new), old)
            return self._commit_update(old, prepared)

    def scale(self, kind: str, name: str, namespace: str, replicas: int) -> KubeObject:
        """The ``scale`` subresource (``kubectl scale``): set ``spec.replicas`` and return the object.
        As the API server answers: a kind without the subresource is NotFound (no route); past
        int32 the patch does not decode; below 0 is Invalid."""
        obj = self.get(kind, name, namespace)
        res = for_object(obj)
        if not strategy_for(res.kind).scalable:
            # No .../<plural>/<name>/scale route: the server's 404, as client-go words it.
            raise NotFound("the server could not find the requested resource")
        if replicas > INT32_MAX:
            raise _undecodable_scale(obj, replicas)
        if replicas < 0:
            raise invalid(res.qualified_kind, name, [FieldError("spec.replicas", "Invalid value", replicas,
                                                                 "must be greater than or equal to 0")])
        spec: Any = obj.spec  # type: ignore[attr-defined]  # every scalable kind has a spec with replicas
        if spec.replicas != replicas:
            spec.replicas = replicas
            obj.metadata.generation = (obj.metadata.generation or 1) + 1
            self.update_status(obj)  # a spec write through the subresource: no other admission
        return obj

    def patch(self, kind: str, name: str, namespace: str, patch_type: str, body: Any, *,
              subresource: str = "", dry_run: bool = False,
              warnings: builtins.list[str] | None = None) -> tuple[KubeObject, bool]:
        """The PATCH verb (``kubectl patch``): ``body`` of ``patch_type`` (``json``, ``merge`` or
        ``strategic``, :mod:`kitlib.apiserver.patch`) applied to the stored object, then admitted as
        an update; returns the object and whether anything changed (an unchanged object is not
        written). ``subresource`` ``status`` changes only the status, ``scale`` patches the
        autoscaling/v1 Scale. Unknown fields are dropped with a warning (the server's default field
        validation, ``Warn``, as kubectl patch asks for none)."""
        existing = self.get(kind, name, namespace)
        res = for_object(existing)
        custom = res.kind in self.custom
        if subresource == "scale":
            return self._patch_scale(existing, patch_type, body, dry_run)
        live = existing.to_dict()
        merged = patch.patched(live, patch_type, body, custom)
        if not isinstance(merged, dict):
            raise patch.undecodable(res, merged)
        # The main resource ignores a status in the patch, the status subresource all but it.
        if subresource == "status":
            merged = {**live, "status": merged.get("status")} if "status" in merged else \
                {k: v for k, v in live.items() if k != "status"}
        elif "status" in live:
            merged["status"] = live["status"]
        else:
            merged.pop("status", None)
        sent_version = (merged.get("metadata") or {}).get("resourceVersion")
        if sent_version != existing.metadata.resource_version:
            raise Conflict(f'Operation cannot be fulfilled on {res.qualified} "{name}": the object has been '
                           "modified; please apply your changes to the latest version and try again")
        if merged == live:
            return existing, False
        meta = merged.get("metadata")
        if not isinstance(meta, dict) or meta.get("name") != existing.name or \
                (res.cls.namespaced and meta.get("namespace") != existing.metadata.namespace):
            raise BadRequest("the name of the object does not match the name on the URL")
        with self.request(dry_run=dry_run):
            obj = manifest.decode(merged, "Warn", warnings, self.custom)
            if subresource == "status":
                stored = clone(existing)
                stored.status = obj.status  # type: ignore[attr-defined]  # only kinds with a status have the subresource
                if not dry_run:
                    self.update_status(stored)
                    stored = self.store.get(res.kind, existing.key) or stored
                return stored, True
            prepared = self.prepare(obj, existing)
            if dry_run:
                return prepared, True
            return self._commit_update(existing, prepared), True

    def _patch_scale(self, obj: KubeObject, patch_type: str, body: Any, dry_run: bool) -> tuple[KubeObject, bool]:
        """A PATCH of the ``scale`` subresource: the autoscaling/v1 Scale patched, its replicas set
        (the object scaled is returned; kubectl prints the Scale as ``scale.autoscaling/<name>``)."""
        res = for_object(obj)
        if not strategy_for(res.kind).scalable:
            raise NotFound("the server could not find the requested resource")
        spec: Any = obj.spec  # type: ignore[attr-defined]  # every scalable kind has a spec with replicas
        meta = obj.to_dict()["metadata"]
        scale = {"apiVersion": "autoscaling/v1", "kind": "Scale",
                 "metadata": {k: meta[k] for k in ("creationTimestamp", "name", "namespace", "resourceVersion", "uid")
                              if k in meta},
                 "spec": {"replicas": spec.replicas},
                 "status": {"replicas": obj.status.replicas or 0,  # type: ignore[attr-defined]  # as above
                            "selector": str(spec.selector)}}
        merged = patch.patched(scale, patch_type, body, True)
        replicas = ((merged if isinstance(merged, dict) else {}).get("spec") or {}).get("replicas", 0)
        if isinstance(replicas, bool) or not isinstance(replicas, int):
            raise patch.undecodable(res, merged)
        if dry_run or replicas == spec.replicas:
            return obj, replicas != spec.replicas
        return self.scale(res.kind, obj.name, obj.metadata.namespace or "", replicas), True

    def update_status(self, obj: KubeObject, *, notify: bool = True) -> KubeObject:
        """Store a stored object after a controller changed it in place (its status, or fields the
        server owns), with a new resourceVersion. ``notify=False`` skips the watch event, for
        writes no controller reacts to (bookkeeping such as ``observedGeneration``)."""
        if obj.kind in self.custom:
            # The status subresource validates the custom resource against its schema.
            strategy_for(obj.kind).validate_status(self, obj)  # type: ignore[attr-defined]  # a CustomResourceStrategy
        self.store.put(obj)  # touch: the stored object again, with a new resourceVersion
        if notify:
            for watcher in self._watchers:  # _notify, inline: a pod's every status write comes here
                watcher(obj, False)
        return obj

    def admit_delete(self, obj: KubeObject) -> None:
        """Run the admission plug-ins on a DELETE of ``obj`` before anything is deleted, e.g.
        :class:`kitlib.Forbidden` for the namespaces NamespaceLifecycle keeps."""
        strategy_for(obj.kind).admit_delete(self, obj)

    def delete(self, obj: KubeObject) -> None:
        """Remove ``obj`` from storage now (the final step of a deletion), then free what it held
        (a Service's registry releases its ClusterIP after the delete: ``afterDelete``). Graceful
        deletion and cascading are the callers': the kubelet and the garbage collector."""
        self.store.remove(obj)
        self.managed.pop(obj.metadata.uid or "", None)
        self.deleted.append(obj)
        self._notify(obj, True)
        strategy_for(obj.kind).release(self, obj)

    def apply(self, docs: builtins.list[dict[str, Any]], validation: str = "Strict",
              warnings: builtins.list[str] | None = None, *,
              dry_run: bool = False) -> builtins.list[tuple[KubeObject, str]]:
        """Create or update every document, as client-side ``kubectl apply`` does, with kubectl's word
        for each object (created, configured, unchanged). All are admitted before any is stored.

        A new object is created with the ``last-applied-configuration`` annotation; a stored one is
        patched with the three-way patch from its last applied configuration
        (:mod:`kitlib.apiserver.lastapplied`): an empty patch leaves it ``unchanged`` (kubectl sends
        nothing), any other is ``configured``. ``validation`` is the field validation asked for (see
        :func:`kitlib.manifest.decode`); the server's warnings (unknown fields under ``Warn``, each
        kind's own) go to ``warnings``. With ``dry_run`` (``--dry-run=server``) nothing is stored and
        no trace is left."""
        pending_ns = {d.get("metadata", {}).get("name") for d in docs if d.get("kind") == "Namespace"}
        with self.request(dry_run=dry_run):
            plans: builtins.list[tuple[KubeObject, str]] = []
            said: builtins.list[builtins.list[str]] = []  # each document's warnings (WarningsOnCreate/Update)
            planned: dict[tuple[str, str], KubeObject] = {}
            for doc in docs:
                res = manifest.mapping(doc, self.custom)
                meta = doc.get("metadata")
                given = meta.get("namespace") if isinstance(meta, dict) else None
                sent = lastapplied.modified(doc, (given or "default") if res.cls.namespaced else None)
                obj = manifest.decode(sent, validation, warnings, self.custom)
                namespace = obj.metadata.namespace or "" if res.cls.namespaced else ""
                # A name that appears twice is created by the first document and updated by the next.
                existing = planned.get((res.kind, obj.key)) or self.store.get(res.kind, obj.key)
                if existing is None:
                    if namespace and (namespace not in pending_ns or self.store.get("Namespace", namespace) is not None):
                        namespace_lifecycle(self, obj)  # a namespace this apply creates is Active
                    prepared, word = self.prepare(obj, None), "created"
                else:
                    live = existing.to_dict()
                    custom = res.kind in self.custom
                    patch = lastapplied.patch_for(live, sent, custom)
                    if not patch:
                        plans.append((existing, "unchanged"))
                        said.append([])  # kubectl sends no request for an empty patch: no warnings
                        continue
                    merged = lastapplied.patched(live, patch, custom)
                    sent_version = (patch.get("metadata") or {}).get("resourceVersion")
                    if sent_version is not None and sent_version != existing.metadata.resource_version:
                        # A resourceVersion in the patch is a precondition (optimistic concurrency).
                        raise Conflict(f'Operation cannot be fulfilled on {res.qualified} "{existing.name}": '
                                       "the object has been modified; please apply your changes to the latest "
                                       "version and try again")
                    # The manifest's own fields were checked above; the rest are the live object's.
                    prepared = self.prepare(manifest.decode(merged, "Ignore", None, self.custom), existing)
                    word = "configured"
                planned[(res.kind, prepared.key)] = prepared
                plans.append((prepared, word))
                said.append(strategy_for(res.kind).warnings(prepared, existing))
            results = []
            for (prepared, word), warned in zip(plans, said, strict=True):
                if warnings is not None:
                    warnings += warned
                existing = self.store.get(prepared.kind, prepared.key)
                if dry_run or word == "unchanged":
                    results.append((prepared, word))
                elif existing is None:
                    results.append((self._commit_create(prepared), word))
                    self._record(prepared, None, "kubectl-client-side-apply")
                elif existing is prepared or existing.to_dict() == prepared.to_dict():
                    results.append((existing, word))  # a patch that changes nothing writes nothing
                else:
                    before = existing.to_dict()
                    results.append((self._commit_update(existing, prepared), word))
                    self._record(prepared, before, "kubectl-client-side-apply")
            return results

    def _record(self, obj: KubeObject, before: dict[str, Any] | None, manager: str, subresource: str = "") -> None:
        """An Update by ``manager`` in ``obj``'s managedFields (:func:`managedfields.record_update`)."""
        res = for_object(obj)
        schema = strategicpatch.Schema(None) if res.kind in self.custom else \
            strategicpatch.Schema.of(res.cls.api_version, res.kind)
        managedfields.record_update(self.managed.setdefault(obj.metadata.uid or "", []), manager,
                                    res.cls.api_version, self.clock.timestamp(), before, obj.to_dict(), schema,
                                    subresource)

    def record_manager(self, obj: KubeObject, before: dict[str, Any] | None, manager: str,
                       subresource: str = "") -> None:
        """Record a write of ``obj`` (``before``: the object as it was, None for a create) as an
        Update by field manager ``manager`` in its managedFields."""
        self._record(obj, before, manager, subresource)

    def server_side_apply(self, doc: dict[str, Any], manager: str = "kubectl", *, force: bool = False,
                          dry_run: bool = False, validation: str = "Strict",
                          warnings: builtins.list[str] | None = None) -> tuple[KubeObject, bool]:
        """Server-side apply (an ``application/apply-patch+yaml`` PATCH) of one document by field
        manager ``manager``: created if new; else merged into the live object, refused with the
        field manager's conflicts (409) where another manager owns a field set to another value,
        unless ``force``; fields this manager applied before and no longer applies are removed
        when nobody else owns them. Returns the object and whether it changed."""
        res = manifest.mapping(doc, self.custom)
        custom = res.kind in self.custom
        schema = strategicpatch.Schema(None) if custom else strategicpatch.Schema.of(res.cls.api_version, res.kind)
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        sent = dict(doc)
        if res.cls.namespaced:
            sent["metadata"] = {**(meta or {}), "namespace": (meta or {}).get("namespace") or "default"}
        obj = manifest.decode(sent, validation, warnings, self.custom)
        applied = managedfields.field_set(doc, schema)
        existing = self.store.get(res.kind, obj.key)
        with self.request(dry_run=dry_run):
            if existing is None:
                if res.cls.namespaced:
                    namespace_lifecycle(self, obj)
                prepared = self.prepare(obj, None)
                if dry_run:
                    return prepared, True
                created = self._commit_create(prepared)
                self.managed[created.metadata.uid or ""] = [managedfields.Entry(
                    manager, "Apply", res.cls.api_version, self.clock.timestamp(), applied)]
                return created, True
            live = existing.to_dict()
            managed = [managedfields.Entry(e.manager, e.operation, e.api_version, e.time, set(e.fields),
                                           e.subresource) for e in self.managed.get(existing.metadata.uid or "", [])]
            found = managedfields.conflicts(managed, manager, applied, doc, live)
            if found and not force:
                raise Conflict(managedfields.conflict_message(found))
            for e, p in found:
                e.fields.discard(p)
            mine = next((e for e in managed if e.manager == manager and e.operation == "Apply"), None)
            before = mine.fields if mine is not None else set()
            others = set().union(*(e.fields for e in managed if e is not mine))
            merged = lastapplied.patched(live, {k: v for k, v in doc.items() if k != "status"}, custom)
            for p in sorted(before - applied - others, key=len, reverse=True):
                managedfields.remove(merged, p)
            if mine is None:
                mine = managedfields.Entry(manager, "Apply", res.cls.api_version, "")
                managed.append(mine)
            mine.fields, mine.time = set(applied), self.clock.timestamp()
            managed = [e for e in managed if e.fields]
            if merged == live:
                if not dry_run:
                    self.managed[existing.metadata.uid or ""] = managed
                return existing, False
            prepared = self.prepare(manifest.decode(merged, "Ignore", None, self.custom), existing)
            if dry_run:
                return prepared, True
            stored = self._commit_update(existing, prepared)
            self.managed[stored.metadata.uid or ""] = managed
            return stored, True

    def record_event(self, obj: KubeObject, reason: str, message: str, source: str,
                     type_: str = "Normal", *, field_path: str = "") -> None:
        """Record an Event about ``obj`` (``kubectl describe`` lists them), or about the part of it
        that ``field_path`` names (a kubelet's ``spec.containers{web}``)."""
        meta = obj.metadata
        self.events.record(obj.kind, meta.uid or obj.key, type_, reason, message, source, self.clock.now,
                           field_path, (meta.namespace or "", meta.name or ""))

    # ------------------------------------------------------------------ watches

    def watch(self, watcher: Watcher) -> None:
        """Tell ``watcher`` about every write and removal from now on."""
        self._watchers.append(watcher)

    def unwatch(self, watcher: Watcher) -> None:
        """Stop telling ``watcher``."""
        if watcher in self._watchers:
            self._watchers.remove(watcher)

    def notify(self, obj: KubeObject) -> None:
        """Tell the watchers about ``obj`` without writing it: a change on the node side that the
        controllers must see (a node that stopped answering)."""
        self._notify(obj, False)

    def _notify(self, obj: KubeObject, removed: bool) -> None:
        for watcher in self._watchers:
            watcher(obj, removed)

    # ------------------------------------------------------------------ storage

    def _generate_name(self, res: Resource, obj: KubeObject) -> str:
        self._request.save_rng()
        while True:
            name = f"{obj.metadata.generate_name}{random_suffix(self.rng)}"
            key = f"{obj.metadata.namespace}/{name}" if res.cls.namespaced else name
            if self.store.get(res.kind, key) is None:
                return name

    def _commit_create(self, obj: KubeObject) -> KubeObject:
        strategy = strategy_for(obj.kind)
        meta = obj.metadata
        if strategy.own_uid_stream:
            txn = self._request.txn if self._request.depth else None
            if txn is not None and not txn.uid_rng_saved:
                # Rewound with the request's other undos (the main generator is rewound by request()).
                txn.undo.append(partial(self.uid_rng.setstate, self.uid_rng.getstate()))
                txn.uid_rng_saved = True
            meta.uid = new_uid(self.uid_rng)
        else:
            meta.uid = new_uid(stream_for(self, obj))
        meta.creation_timestamp = self.clock.timestamp()
        meta.deletion_timestamp = None
        if strategy.generation:
            meta.generation = 1
        strategy.on_create(obj)
        strategy.before_store(self, obj, None)
        self.store.put(obj)
        self._notify(obj, False)
        return obj

    def _commit_update(self, existing: KubeObject, new: KubeObject) -> KubeObject:
        new.metadata.uid = existing.metadata.uid
        new.metadata.creation_timestamp = existing.metadata.creation_timestamp
        # rest.BeforeUpdate: a deletion in progress is the server's, and an update cannot undo it.
        new.metadata.deletion_timestamp = existing.metadata.deletion_timestamp
        new.metadata.deletion_grace_period_seconds = existing.metadata.deletion_grace_period_seconds
        new.metadata.owner_references = new.metadata.owner_references or existing.metadata.owner_references
        kept = {k: v for k, v in existing.metadata.annotations.items() if _server_annotation(k)}
        new.metadata.annotations = {**kept, **new.metadata.annotations}
        gen = existing.metadata.generation
        if gen is not None:
            new.metadata.generation = gen + (1 if spec_of(existing) != spec_of(new) else 0)
        strategy = strategy_for(existing.kind)
        strategy.on_update(existing, new)
        strategy.before_store(self, new, existing)
        self.store.put(new)
        self._notify(new, False)
        return new


class _Request:
    """The API server's request in flight, as the context manager :meth:`ApiServer.request` returns
    (one object, re-entered by nested requests: a controller creating 30,000 pods makes 60,000
    requests, and a generator-based context manager cost a few microseconds each).

    The random generator's state is saved before the request's first draw that a failure could
    follow (:meth:`save_rng`: a generated name, a strategy that allocates), not on every request:
    a copy of the state is 625 numbers, and most requests (a Pod's create) draw only once they
    can no longer fail (the new object's uid)."""

    __slots__ = ("rng", "depth", "dry_run", "txn", "state")

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.depth = 0
        """How many ``with`` blocks are open: the outer request and those that joined it."""
        self.dry_run = False
        self.txn = Allocation()
        self.state: Any = None
        """The random generator's state before the request's first draw (None: nothing drawn yet)."""

    def opening(self, dry_run: bool) -> _Request:
        if not self.depth:  # a nested request joins the outer one, dry run or not
            self.dry_run = dry_run
        return self

    def __enter__(self) -> Allocation:
        self.depth += 1
        if self.depth == 1:
            self.txn = Allocation(dry_run=self.dry_run)
            self.state = None
        return self.txn

    def save_rng(self) -> None:
        """A draw that a failure of the request could follow is about to be made: save the state
        (once) so that the failure rewinds it. Outside a request, nothing is saved."""
        if self.depth and self.state is None:
            self.state = self.rng.getstate()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        self.depth -= 1
        if self.depth:
            return  # a nested request: the outer one decides
        if exc_type is not None or self.dry_run:
            self.txn.rollback()
            if self.state is not None:
                self.rng.setstate(self.state)
        else:
            self.txn.finish()
        self.state = None


def _server_annotation(key: str) -> bool:
    """Annotations the deployment controller owns (revision, desired-replicas): an update keeps them."""
    return key.startswith("deployment.kubernetes.io/")


def spec_of(obj: KubeObject) -> Any:
    """What a user declares: the spec, or for kinds without one (EndpointSlice, Endpoints, Secret)
    the whole body but metadata and status."""
    if hasattr(obj, "spec"):
        return manifest.to_plain(obj.spec)
    body = obj.to_dict()
    return {k: v for k, v in body.items() if k not in ("metadata", "status")}


def _undecodable_scale(obj: KubeObject, replicas: int) -> Invalid:
    """What the API server answers a scale patch whose replicas overflow int32: the merge-patched
    autoscaling/v1 Scale (keys sorted, as json-patch writes it) does not decode, and the handler
    (apiserver ``endpoints/handlers/patch.go``, ``applyPatchToCurrentObject``) reports it as an
    Invalid error with no kind and no name on the field ``patch``."""
    meta = obj.to_dict()["metadata"]
    scale = {"apiVersion": "autoscaling/v1", "kind": "Scale",
             "metadata": {k: meta.get(k) for k in ("creationTimestamp", "name", "namespace", "resourceVersion", "uid")},
             "spec": {"replicas": replicas},
             "status": {"replicas": obj.status.replicas or 0,  # type: ignore[attr-defined]  # Deployment or ReplicaSet
                        "selector": str(obj.spec.selector)}}  # type: ignore[attr-defined]  # as above
    text = json.dumps(scale, sort_keys=True, separators=(",", ":"))
    return invalid("", "", [FieldError("patch", "Invalid value", text,
                                       f"json: cannot unmarshal number {replicas} into Go struct field "
                                       "ScaleSpec.spec.replicas of type int32")])

