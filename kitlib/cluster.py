"""The Cluster: one object that owns every API object, the clock and the random generator.

It changes only through API verbs (``apply``, ``delete``, ``scale``, ...) and ``advance``.
Controllers react at once to every change (a real control plane takes milliseconds), and
what takes time on a real cluster (pulling images, starting containers, noticing a dead
node) is queued on the simulated clock.

Names and addresses follow minikube with the flannel CNI
(``minikube start --nodes 3 --cni=flannel``): nodes ``minikube``, ``minikube-m02``, ...
on the docker network 192.168.49.0/24, pods in 10.244.0.0/16 with a /24 per node,
Services in 10.96.0.0/12.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import manifest
from .api import defaults, validation
from .api.convert import clone
from .api.labels import LabelSelector, parse_selector
from .api.meta import KubeObject, ObjectMeta
from .api.namespace import Namespace
from .api.node import Node, NodeAddress, NodeCondition, NodeSpec, NodeStatus, NodeSystemInfo
from .api.pod import Pod
from .api.registry import Resource, for_object, lookup
from .apiserver import ingress as ingress_api
from .clock import Clock
from .errors import AlreadyExists, BadRequest, FieldError, NotFound, invalid
from .events import EventLog
from .names import new_uid
from .network.allocators import IPAllocator, PortAllocator
from .network.ipam import HostLocal, RangeAllocator, node_network_ip
from .store import Store

KUBERNETES_VERSION = "v1.32.0"

VALIDATORS = {
    "Pod": validation.validate_pod,
    "Deployment": validation.validate_deployment,
    "ReplicaSet": validation.validate_replicaset,
    "Namespace": lambda ns: validation.validate_meta(ns.metadata, namespaced=False,
                                                    name_check=validation.dns1123_label),
    "Node": lambda n: validation.validate_meta(n.metadata, namespaced=False),
    "Ingress": ingress_api.validate_ingress,
    "IngressClass": ingress_api.validate_ingress_class,
    "Secret": ingress_api.validate_secret,
}
DEFAULTERS = {
    "Pod": defaults.default_pod,
    "Deployment": defaults.default_deployment,
    "ReplicaSet": defaults.default_replicaset,
    "Secret": ingress_api.default_secret,
}


@dataclass
class NodeRuntime:
    """What lives on a node outside the API: whether it answers, its images, its IPAM state."""

    ipam: HostLocal
    up: bool = True
    images: set[str] = field(default_factory=set)
    generation: int = 0


class Cluster:
    """A simulated Kubernetes cluster.

    >>> c = Cluster(nodes=3, seed=0)
    >>> _ = c.kubectl("create deployment web --image=nginx --replicas=3 --port=80")
    >>> c.advance(30)
    >>> len([p for p in c.pods() if p.status.phase == "Running"])
    3
    """

    def __init__(self, nodes: int = 3, seed: int = 0, *, pod_cidr: str = "10.244.0.0/16",
                 service_cidr: str = "10.96.0.0/12", node_cidr: str = "192.168.49.0/24",
                 node_prefix: int = 24, name: str = "minikube", proxy_mode: str = "iptables") -> None:
        if nodes < 1:
            raise ValueError("a cluster needs at least one node")
        _check_proxy_mode(proxy_mode)
        self.proxy_mode = proxy_mode
        """kube-proxy's mode on every node: ``iptables`` (the default) or ``ipvs``."""
        self.addons: dict[str, Any] = {}  # installed add-ons by name (kitlib.addons)
        self.name = name
        self.seed = seed
        self.rng = random.Random(seed)
        self.clock = Clock()
        self.events = EventLog()
        self.pod_cidr = pod_cidr
        self.service_cidr = service_cidr
        self.node_cidr = node_cidr
        self.cluster_domain = "cluster.local"
        self._store = Store()
        self._node_runtime: dict[str, NodeRuntime] = {}
        self._pod_cidrs = RangeAllocator(pod_cidr, node_prefix)
        self._dirty: dict[str, set[str]] = {"Deployment": set(), "ReplicaSet": set(), "Service": set()}
        self.service_ips = IPAllocator(service_cidr, self.rng)
        self.node_ports = PortAllocator(30000, 32767, self.rng)
        self._endpoint_pods: dict[str, set[str]] = {}  # pod key -> services that list it
        self._service_index: dict[tuple[str, str, str], set[str]] = {}  # (ns, label, value) -> services
        self._service_index_key: dict[str, tuple[str, str, str]] = {}  # service -> its entry above
        self._pending: list[Any] = []  # allocations of the request in flight
        self._unscheduled: set[str] = set()
        self._reconciling = False
        self._hooks: list[Any] = []  # later layers (services, proxies) watch changes
        from .network.topology import Topology

        self.topology = Topology(self)
        from . import bootstrap

        # The cluster was started before time 0; at time 0 it is up and CoreDNS runs.
        self.clock.now = -bootstrap.BOOT_SECONDS
        for ns in ("default", "kube-node-lease", "kube-public", "kube-system"):
            self._create(Namespace(metadata=ObjectMeta(name=ns)))
        self.add_node()
        bootstrap.control_plane(self)
        for _ in range(nodes - 1):
            self.add_node()
        self._reconcile()
        self.advance(-self.clock.now)

    # ------------------------------------------------------------------ reading

    @property
    def now(self) -> float:
        """Simulated seconds since time 0 (the cluster itself started two minutes earlier)."""
        return self.clock.now

    def get(self, kind: str, name: str, namespace: str = "default") -> KubeObject:
        """The stored object, or :class:`kitlib.NotFound` in the API server's words.

        >>> Cluster(nodes=1).get("Node", "minikube").spec.pod_cidr
        '10.244.0.0/24'
        """
        res = self._resource(kind)
        key = f"{namespace}/{name}" if res.cls.namespaced else name
        obj = self._store.get(res.kind, key)
        if obj is None:
            raise NotFound(f'{res.qualified} "{name}" not found')
        return obj

    def list(self, kind: str, namespace: str | None = "default",
             selector: str | LabelSelector | None = None) -> list[KubeObject]:
        """Objects of a kind in a namespace (``namespace=None``: all namespaces, as ``kubectl -A``),
        optionally matching a label selector."""
        res = self._resource(kind)
        sel = parse_selector(selector) if isinstance(selector, str) else selector
        return self._store.items(res.kind, namespace if res.cls.namespaced else None, sel)

    def pods(self, namespace: str | None = "default", selector: str | None = None) -> list[Pod]:
        """The pods of a namespace (all namespaces with ``namespace=None``)."""
        return self.list("Pod", namespace, selector)  # type: ignore[return-value]

    def nodes(self) -> list[Node]:
        return self.list("Node")  # type: ignore[return-value]

    def node_runtime(self, name: str) -> NodeRuntime:
        return self._node_runtime[name]

    def owned(self, owner: KubeObject, kind: str | None = None) -> list[KubeObject]:
        objs = self._store.owned_by(owner.metadata.uid or "")
        return sorted((o for o in objs if kind is None or o.kind == kind), key=lambda o: o.name)

    def pods_on(self, node: str) -> list[Pod]:
        return sorted(self._store.pods_on(node), key=lambda p: p.key)  # type: ignore[return-value]

    # ------------------------------------------------------------------ writing

    def apply(self, source: str | dict | list | Path) -> list[KubeObject]:
        """Create or update objects from YAML text, a dict, a list of dicts or a file path,
        as ``kubectl apply`` does. All documents are validated before any is stored.

        >>> c = Cluster(nodes=1)
        >>> c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
        [<Namespace shop>]
        """
        return [obj for obj, _ in self.apply_with_outcome(source)]

    def apply_with_outcome(self, source: str | dict | list | Path) -> list[tuple[KubeObject, str]]:
        """Like :meth:`apply`, with kubectl's word for each object: created, configured, unchanged."""
        docs = manifest.load(source)
        plans: list[KubeObject] = []
        planned: dict[tuple[str, str], KubeObject] = {}
        pending_ns = {d.get("metadata", {}).get("name") for d in docs if d.get("kind") == "Namespace"}
        try:
            for doc in docs:
                obj = self._decode(doc)
                res = for_object(obj)
                if res.cls.namespaced:
                    obj.metadata.namespace = obj.metadata.namespace or "default"
                    if obj.metadata.namespace not in pending_ns:
                        self._require_namespace(obj.metadata.namespace)
                # A name that appears twice is created by the first document and updated by the next.
                existing = planned.get((res.kind, obj.key)) or self._store.get(res.kind, obj.key)
                prepared = self._prepare(obj, existing)
                planned[(res.kind, obj.key)] = prepared
                plans.append(prepared)
        except Exception:
            self._finish(ok=False)
            raise
        results = []
        for prepared in plans:
            existing = self._store.get(prepared.kind, prepared.key)
            if existing is None:
                results.append((self._commit_create(prepared), "created"))
            elif _spec_of(existing) == _spec_of(prepared) and existing.metadata.labels == prepared.metadata.labels \
                    and _user_annotations(existing) == _user_annotations(prepared):
                results.append((existing, "unchanged"))
            else:
                results.append((self._commit_update(existing, prepared), "configured"))
        self._finish(ok=True)
        self._reconcile()
        return results

    def create(self, obj: KubeObject | dict) -> KubeObject:
        """Create one object (``kubectl create``); :class:`kitlib.AlreadyExists` if the name is taken."""
        if isinstance(obj, dict):
            obj = self._decode(obj)
        else:
            obj = clone(obj)
        res = for_object(obj)
        if res.cls.namespaced:
            obj.metadata.namespace = obj.metadata.namespace or "default"
            self._require_namespace(obj.metadata.namespace)
        try:
            prepared = self._prepare(obj, None)
            if obj.metadata.name and self._store.get(res.kind, obj.key) is not None:
                raise AlreadyExists(f'{res.qualified} "{obj.name}" already exists')
        except Exception:
            self._finish(ok=False)
            raise
        created = self._commit_create(prepared)
        self._finish(ok=True)
        self._reconcile()
        return created

    def delete(self, kind: str, name: str, namespace: str = "default") -> KubeObject:
        """Delete an object gracefully; owned objects are garbage-collected (background cascade).

        A pod first becomes Terminating, and its ReplicaSet creates a replacement at once.
        """
        obj = self.get(kind, name, namespace)
        self._delete(obj)
        self._reconcile()
        return obj

    def scale(self, name: str, replicas: int, namespace: str = "default", kind: str = "Deployment") -> KubeObject:
        """Set ``spec.replicas`` of a Deployment or ReplicaSet (``kubectl scale``)."""
        obj = self.get(kind, name, namespace)
        if replicas < 0:
            res = for_object(obj)
            raise invalid(res.qualified_kind, name, [FieldError("spec.replicas", "Invalid value", replicas,
                                                                 "must be greater than or equal to 0")])
        if obj.spec.replicas != replicas:  # type: ignore[attr-defined]
            obj.spec.replicas = replicas  # type: ignore[attr-defined]
            obj.metadata.generation = (obj.metadata.generation or 1) + 1
            self._store.touch(obj)
            self._mark(obj)
        self._reconcile()
        return obj

    def label(self, kind: str, name: str, labels: dict[str, str | None], namespace: str = "default",
              overwrite: bool = False) -> KubeObject:
        """Add, change (with ``overwrite``) or remove (value ``None``) labels, as ``kubectl label``."""
        obj = self.get(kind, name, namespace)
        res = for_object(obj)
        for k, v in labels.items():
            if v is not None and k in obj.metadata.labels and obj.metadata.labels[k] != v and not overwrite:
                raise BadRequest(f"error: '{k}' already has a value ({obj.metadata.labels[k]}), "
                                 "and --overwrite is false")
        new = {**obj.metadata.labels}
        for k, v in labels.items():
            if v is None:
                new.pop(k, None)
            else:
                new[k] = v
        errs = validation.validate_labels(new, "metadata.labels")
        if errs:
            raise invalid(res.qualified_kind, name, errs)
        obj.metadata.labels = new
        self._store.touch(obj)
        self._changed(obj)
        self._reconcile()
        return obj

    def set_fault(self, pod: str, fault: str, on: bool = True, namespace: str = "default") -> None:
        """Switch a fault of a pod's app on or off: ``dependency-down`` (``/ready`` and every path
        answer 503), ``hang`` (requests and probes time out), ``crash`` (the app exits 1 s after
        each start) or ``slow`` (answers take 3 s, past a probe's 1 s timeout). See :mod:`kitlib.container.behaviour`.

        >>> c = Cluster(nodes=1)
        >>> _ = c.kubectl("create deployment web --image=nginx --port=80"); c.advance(10)
        >>> pod = c.pods()[0]
        >>> c.set_fault(pod.name, "hang")
        >>> c.http(f"http://{pod.status.pod_ip}/").failure
        'timeout'
        """
        from .container import behaviour as apps

        apps.set_fault(self, pod, fault, on, namespace)
        self._reconcile()

    def advance(self, seconds: float) -> None:
        """Move the simulated clock forward, running everything that falls due on the way.

        >>> c = Cluster(nodes=1)
        >>> c.advance(5); c.now
        5.0
        """
        if seconds < 0:
            raise ValueError("time only moves forward")
        until = self.clock.now + seconds
        while (due := self.clock.pop_due(until)) is not None:
            fn, args = due
            fn(*args)
            self._reconcile()
        self.clock.now = until

    def settle(self, limit: float = 600.0) -> float:
        """Advance until nothing more is scheduled (at most ``limit`` seconds); returns the time taken."""
        start = self.clock.now
        while (nxt := self.clock.next_due()) is not None and nxt - start <= limit:
            self.advance(nxt - self.clock.now)
        return self.clock.now - start

    # ------------------------------------------------------------------ nodes

    def add_node(self) -> Node:
        """Join a new node: it gets the next node IP and podCIDR, and is Ready at once."""
        index = self._store.count("Node")
        name = self.name if index == 0 else f"{self.name}-m{index + 1:02d}"
        ip = node_network_ip(self.node_cidr, index)
        pod_cidr = self._pod_cidrs.next()
        labels = {
            "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
        }
        if index == 0:
            labels["node-role.kubernetes.io/control-plane"] = ""
        now = self.clock.timestamp()
        node = Node(
            metadata=ObjectMeta(name=name, labels=labels),
            spec=NodeSpec(pod_cidr=pod_cidr, pod_cidrs=[pod_cidr]),
            status=NodeStatus(
                addresses=[NodeAddress("InternalIP", ip), NodeAddress("Hostname", name)],
                conditions=[NodeCondition("Ready", "True", now, now, "KubeletReady", "kubelet is posting ready status")],
                capacity={"cpu": "2", "memory": "8010424Ki", "pods": "110"},
                allocatable={"cpu": "2", "memory": "8010424Ki", "pods": "110"},
                node_info=NodeSystemInfo(
                    kernel_version="6.8.0-49-generic", os_image="Ubuntu 22.04.5 LTS",
                    container_runtime_version="docker://27.4.1", kubelet_version=KUBERNETES_VERSION,
                    kube_proxy_version=KUBERNETES_VERSION, operating_system="linux", architecture="amd64"),
            ),
        )
        self._node_runtime[name] = NodeRuntime(ipam=HostLocal(pod_cidr))
        self._commit_create(node)
        self.topology.add_node(node)
        self._reconcile()
        return node

    def cordon(self, name: str) -> Node:
        """Mark a node unschedulable: running pods stay, new pods go elsewhere."""
        from .controllers import nodelifecycle

        node = self.get("Node", name)
        nodelifecycle.set_unschedulable(self, node, True)
        self._reconcile()
        return node  # type: ignore[return-value]

    def uncordon(self, name: str) -> Node:
        from .controllers import nodelifecycle

        node = self.get("Node", name)
        nodelifecycle.set_unschedulable(self, node, False)
        self._reconcile()
        return node  # type: ignore[return-value]

    def drain(self, name: str) -> list[Pod]:
        """Cordon a node and evict its pods (``kubectl drain --ignore-daemonsets``)."""
        self.cordon(name)
        evicted = [p for p in self.pods_on(name) if p.metadata.deletion_timestamp is None]
        for pod in evicted:
            self._delete(pod)
        self._reconcile()
        return evicted

    def fail_node(self, name: str) -> Node:
        """The node stops answering (power or network lost). Its pods are unreachable at once;
        after 50 s the node is NotReady, and after 300 s more its pods are evicted and recreated
        elsewhere."""
        from .controllers import nodelifecycle

        node = self.get("Node", name)
        nodelifecycle.fail(self, node)  # type: ignore[arg-type]
        self._reconcile()
        return node  # type: ignore[return-value]

    def restore_node(self, name: str) -> Node:
        """The node answers again: its kubelet reports Ready and finishes pending deletions."""
        from .controllers import nodelifecycle

        node = self.get("Node", name)
        nodelifecycle.restore(self, node)  # type: ignore[arg-type]
        self._reconcile()
        return node  # type: ignore[return-value]

    # ------------------------------------------------------------------ network

    def connect(self, src: str, dst: str, port: int, protocol: str = "TCP"):
        """Open a connection from ``src`` (``"ns/pod"``, ``"node/<name>"`` or ``"external"``) to
        ``dst`` (``"ns/pod"``, ``"node/<name>"`` or an IP) and report the path it took.

        >>> c = Cluster(nodes=2); _ = c.kubectl("create deployment web --image=nginx --replicas=2 --port=80")
        >>> c.advance(30); a, b = c.pods()
        >>> c.connect(a.key, b.key, 80).ok
        True
        """
        from .network.datapath import connect

        return connect(self, src, dst, port, protocol)

    def resolve(self, name: str, src: str | None = None, type: str = "A"):
        """Look ``name`` up in cluster DNS as the client ``src`` would (``"ns/pod"``; None: a pod in
        ``default``; ``"node/<name>"`` and ``"external"`` have no cluster DNS). ``type`` is A, SRV,
        CNAME, AAAA or PTR. Returns a :class:`~kitlib.network.dns.DnsAnswer`.

        >>> Cluster(nodes=1).resolve("kubernetes").records[0].data
        '10.96.0.1'
        """
        from .network import dns

        return dns.resolve(self, name, src, type)

    def http(self, url: str, src: str = "external", headers: dict[str, str] | None = None):
        """Send an HTTP GET for ``url`` from ``src`` and return the
        :class:`~kitlib.network.http.HttpResponse` (``.status`` None when nothing answered).

        With the ingress add-on (``enable_addon("ingress")``), a client outside the cluster resolves
        every host name to the ingress controller, which routes by host and path: the response then
        names the backend in ``.service`` and ``.pod``, the matched rule in ``.ingress``, and for
        ``https://`` the certificate in ``.tls``. ``headers={"Host": ...}`` sets the Host header.

        >>> c = Cluster(nodes=1); _ = c.kubectl("create deployment web --image=nginx --port=80")
        >>> c.advance(30); ip = c.pods()[0].status.pod_ip
        >>> c.http(f"http://{ip}/", src="node/minikube").status
        200
        """
        from .network import http

        return http.request(self, url, src, headers)

    # --- Services: kube-proxy, traffic and add-ons (kitlib.network.proxy, .traffic, kitlib.addons)

    def traffic(self, src: str, dst: str, port: int, requests: int = 1, protocol: str = "TCP",
                duration: float | None = None):
        """Send ``requests`` new connections from ``src`` to ``dst:port`` and count where they landed
        (a :class:`~kitlib.network.traffic.Traffic`), with the same randomness as kube-proxy.
        With ``duration`` (seconds) they are spread over that much simulated time, and the clock advances.

        >>> c = Cluster(nodes=2); _ = c.kubectl("create deployment web --image=nginx --replicas=2 --port=80")
        >>> _ = c.kubectl("expose deployment web --port=80"); c.advance(30)
        >>> ip = c.get("Service", "web").spec.cluster_ip
        >>> sum(c.traffic("node/minikube", ip, 80, requests=1000).served.values())
        1000
        """
        from .network.traffic import traffic

        return traffic(self, src, dst, port, requests, protocol, duration)

    def iptables(self, node: str) -> str:
        """What ``iptables-save -t nat`` prints of kube-proxy's chains on ``node``."""
        from .network.proxy import iptables_save

        return iptables_save(self, node)

    def ipvsadm(self, node: str) -> str:
        """What ``ipvsadm -Ln`` prints on ``node`` (the virtual servers of IPVS mode)."""
        from .network.proxy import ipvsadm

        return ipvsadm(self, node)

    def set_proxy_mode(self, mode: str) -> None:
        """Switch kube-proxy on every node to ``iptables`` or ``ipvs`` (as editing the kube-proxy
        ConfigMap and restarting its pods would); affinity and round-robin state start afresh."""
        from .network import proxy

        _check_proxy_mode(mode)
        self.proxy_mode = mode
        proxy.reset(self)

    def enable_addon(self, name: str, **options: Any):
        """Install an add-on: ``enable_addon("metallb", addresses="192.168.49.200-192.168.49.250")`` for
        LoadBalancer addresses, ``enable_addon("ingress")`` for the ingress-nginx controller (it waits,
        advancing the clock, until the controller is ready, as ``minikube addons enable ingress`` does)."""
        from . import addons

        return addons.enable(self, name, **options)

    def disable_addon(self, name: str) -> None:
        """Uninstall an add-on installed with :meth:`enable_addon`."""
        from . import addons

        addons.disable(self, name)

    def kubectl(self, command: str) -> str:
        """Run a kubectl command line against this cluster and return what kubectl prints.

        Errors raise :class:`kitlib.ApiError` whose text is what kubectl prints.
        """
        from .kubectl import run

        return run(self, command)

    # ------------------------------------------------------------------ internals

    def _resource(self, kind: str) -> Resource:
        res = lookup(kind)
        if res is None:
            raise BadRequest(f'error: the server doesn\'t have a resource type "{kind}"')
        return res

    def _require_namespace(self, namespace: str) -> None:
        if self._store.get("Namespace", namespace) is None:
            raise NotFound(f'namespaces "{namespace}" not found')

    def _decode(self, doc: dict) -> KubeObject:
        return manifest.decode(doc)

    def _prepare(self, obj: KubeObject, existing: KubeObject | None, *, copy: bool = True) -> KubeObject:
        """Default and validate ``obj`` without storing anything (a copy of it, unless ``copy=False``)."""
        res = for_object(obj)
        obj = clone(obj) if copy else obj
        if existing is None and not obj.metadata.name and obj.metadata.generate_name:
            obj.metadata.name = self._generate_name(res, obj)
        if res.kind == "Namespace":  # what the namespace strategy sets on create and on update
            obj.metadata.labels["kubernetes.io/metadata.name"] = obj.name
            obj.spec.finalizers = list(existing.spec.finalizers) if existing else ["kubernetes"]  # type: ignore[attr-defined]
        if res.kind == "Service":
            return self._prepare_service(obj, existing)  # type: ignore[arg-type]
        if res.kind == "Ingress" and existing is None:
            ingress_api.admit(self, obj)  # type: ignore[arg-type]
        elif res.kind == "Ingress" and not obj.spec.ingress_class_name:  # type: ignore[attr-defined]
            # kubectl apply's three-way merge keeps a field the manifest never set: here the class
            # that DefaultIngressClass admission gave the Ingress on create.
            obj.spec.ingress_class_name = existing.spec.ingress_class_name  # type: ignore[attr-defined,union-attr]
        if res.kind in DEFAULTERS and existing is None:
            DEFAULTERS[res.kind](obj)
        elif res.kind in DEFAULTERS:
            if res.kind == "Pod":
                # What the server set on create (binding, admission defaults) stays unless given.
                policies = {c.name: c.image_pull_policy for c in existing.spec.containers}  # type: ignore[attr-defined]
                for c in obj.spec.containers:  # type: ignore[attr-defined]
                    c.image_pull_policy = c.image_pull_policy or policies.get(c.name)
                defaults.default_pod(obj)  # type: ignore[arg-type]
                obj.spec.node_name = obj.spec.node_name or existing.spec.node_name  # type: ignore[attr-defined]
            else:
                DEFAULTERS[res.kind](obj)
        errs = VALIDATORS.get(res.kind, lambda o: [])(obj)
        if existing is not None:
            errs += self._validate_update(res, existing, obj)
        if errs:
            raise invalid(res.qualified_kind, obj.name, errs)
        return obj

    def _prepare_service(self, svc: KubeObject, existing: KubeObject | None) -> KubeObject:
        """Services: defaults, then allocation (its errors come first, alone), then validation."""
        from .apiserver import service as strategy

        strategy.default(svc)  # type: ignore[arg-type]
        txn = strategy.Allocation()
        try:
            strategy.allocate(self, svc, existing, txn)  # type: ignore[arg-type]
            errs = strategy.validate(svc)  # type: ignore[arg-type]
            if errs:
                raise invalid("Service", svc.name, errs)
        except Exception:
            txn.rollback()
            raise
        self._pending.append(txn)
        return svc

    def _finish(self, ok: bool) -> None:
        """End a request: keep what it allocated and free what it gave up, or undo it all."""
        txns, self._pending = self._pending, []
        for txn in txns:
            if ok:
                for fn in getattr(txn, "commit", []):
                    fn()
            else:
                txn.rollback()

    def _validate_update(self, res: Resource, old: KubeObject, new: KubeObject) -> list[FieldError]:
        errs: list[FieldError] = []
        if res.kind in ("Deployment", "ReplicaSet"):
            if manifest.to_plain(old.spec.selector) != manifest.to_plain(new.spec.selector):  # type: ignore[attr-defined]
                errs.append(FieldError("spec.selector", "Invalid value", validation.GoValue(_go_selector_text(new.spec.selector)),  # type: ignore[attr-defined]
                                       "field is immutable"))
        if res.kind == "Secret" and (old.type or "Opaque") != (new.type or "Opaque"):  # type: ignore[attr-defined]
            errs.append(FieldError("type", "Invalid value", new.type, "field is immutable"))  # type: ignore[attr-defined]
        if res.kind == "Pod":
            old_spec = manifest.to_plain(old.spec)  # type: ignore[attr-defined]
            new_spec = manifest.to_plain(new.spec)  # type: ignore[attr-defined]
            for spec in (old_spec, new_spec):
                for c in spec.get("containers", []):
                    c.pop("image", None)
                for key in ("nodeName", "tolerations", "serviceAccount", "serviceAccountName",
                            "enableServiceLinks", "priority", "preemptionPolicy"):
                    spec.pop(key, None)
            if old_spec != new_spec:
                errs.append(FieldError("spec", "Forbidden", detail=(
                    "pod updates may not change fields other than `spec.containers[*].image`,"
                    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
                    "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
                    "(allow it to be set to 1 if it was previously negative)")))
        return errs

    def _generate_name(self, res: Resource, obj: KubeObject) -> str:
        from .names import random_suffix

        while True:
            name = f"{obj.metadata.generate_name}{random_suffix(self.rng)}"
            key = f"{obj.metadata.namespace}/{name}" if res.cls.namespaced else name
            if self._store.get(res.kind, key) is None:
                return name

    def _create(self, obj: KubeObject, *, copy: bool = True) -> KubeObject:
        """Create for a controller; ``copy=False`` stores ``obj`` itself, a new object nobody else holds."""
        prepared = self._prepare(obj, None, copy=copy)
        return self._commit_create(prepared)

    def _commit_create(self, obj: KubeObject) -> KubeObject:
        meta = obj.metadata
        meta.uid = new_uid(self.rng)
        meta.creation_timestamp = self.clock.timestamp()
        meta.deletion_timestamp = None
        if obj.kind in ("Deployment", "ReplicaSet", "Ingress", "IngressClass"):
            meta.generation = 1
        if obj.kind == "Namespace":
            meta.labels["kubernetes.io/metadata.name"] = obj.name
            obj.spec.finalizers = ["kubernetes"]  # type: ignore[attr-defined]
            obj.status.phase = "Active"  # type: ignore[attr-defined]
        if obj.kind == "Pod":
            obj.status.phase = obj.status.phase or "Pending"  # type: ignore[attr-defined]
            obj.status.qos_class = "BestEffort"  # type: ignore[attr-defined]
        self._store.put(obj)
        self._changed(obj)
        return obj

    def _commit_update(self, existing: KubeObject, new: KubeObject) -> KubeObject:
        new.metadata.uid = existing.metadata.uid
        new.metadata.creation_timestamp = existing.metadata.creation_timestamp
        new.metadata.owner_references = new.metadata.owner_references or existing.metadata.owner_references
        annotations = {k: v for k, v in existing.metadata.annotations.items() if k.startswith("deployment.kubernetes.io/")}
        new.metadata.annotations = {**annotations, **new.metadata.annotations}
        gen = existing.metadata.generation
        if gen is not None:
            new.metadata.generation = gen + (1 if _spec_of(existing) != _spec_of(new) else 0)
        if hasattr(existing, "status"):
            new.status = existing.status  # type: ignore[attr-defined]
        if existing.kind == "Pod":
            new.spec.node_name = existing.spec.node_name  # type: ignore[attr-defined]
        if existing.kind == "Service" and new.spec.type != "LoadBalancer":  # type: ignore[attr-defined]
            new.status.load_balancer.ingress = []  # type: ignore[attr-defined]
        if existing.kind == "Service":
            self._unindex_service(existing)
        self._store.put(new)
        self._changed(new)
        return new

    def _delete(self, obj: KubeObject) -> None:
        from .controllers import garbage, kubelet

        if obj.kind == "Pod":
            kubelet.terminate(self, obj)  # type: ignore[arg-type]
        elif obj.kind == "Namespace":
            for kind in list(self._store.kinds()):
                for child in self._store.items(kind, obj.name):
                    if child.namespaced:
                        self._delete(child)
            self._remove(obj)
        elif obj.kind == "Service":
            from .apiserver import service as strategy

            strategy.release(self, obj)  # type: ignore[arg-type]
            self._remove(obj)
            endpoints = self._store.get("Endpoints", obj.key)
            if endpoints is not None:
                self._remove(endpoints)
            garbage.collect(self, obj)
        elif obj.kind == "Node":
            for pod in self.pods_on(obj.name):
                self._remove(pod)
            self.topology.remove_node(obj)
            self._remove(obj)
        else:
            self._remove(obj)
            garbage.collect(self, obj)

    def _remove(self, obj: KubeObject) -> None:
        self._store.remove(obj)
        self._changed(obj, removed=True)

    def _record(self, obj: KubeObject, reason: str, message: str, source: str, type_: str = "Normal") -> None:
        self.events.record(obj.kind, obj.metadata.uid or obj.key, type_, reason, message, source, self.clock.now)

    def _mark(self, obj: KubeObject) -> None:
        if obj.kind in self._dirty:
            self._dirty[obj.kind].add(obj.key)

    def _changed(self, obj: KubeObject, removed: bool = False) -> None:
        """Tell the controllers that watch ``obj``'s kind (their informers, on a real cluster)."""
        self._mark(obj)
        ref = obj.metadata.controller_ref()
        if ref is not None and ref.kind in self._dirty:
            self._dirty[ref.kind].add(f"{obj.namespace}/{ref.name}")
        if obj.kind == "Pod":
            if removed or obj.metadata.deletion_timestamp is not None:
                self._unscheduled.discard(obj.key)
            elif not obj.spec.node_name:  # type: ignore[attr-defined]
                self._unscheduled.add(obj.key)
            if ref is None and not removed:
                # An orphan may be adopted by a ReplicaSet whose selector matches it.
                for rs in self._store.items("ReplicaSet", obj.namespace):
                    self._dirty["ReplicaSet"].add(rs.key)
            self._services_for_pod(obj, removed)
        if obj.kind == "Endpoints" and self._store.get("Service", obj.key) is not None:
            self._dirty["Service"].add(obj.key)  # hand-managed endpoints are mirrored into a slice
        if obj.kind == "Service":
            self._unindex_service(obj)
            sel = obj.spec.selector  # type: ignore[attr-defined]
            if not removed and sel:
                k = min(sel)
                index_key = (obj.namespace, k, sel[k])
                self._service_index.setdefault(index_key, set()).add(obj.key)
                self._service_index_key[obj.key] = index_key
        if obj.kind == "Node":
            self._unscheduled |= {p.key for p in self._store.items("Pod") if not p.spec.node_name  # type: ignore[attr-defined]
                                  and p.metadata.deletion_timestamp is None}
        for hook in self._hooks:
            hook(obj, removed)

    def _unindex_service(self, svc: KubeObject) -> None:
        index_key = self._service_index_key.pop(svc.key, None)
        if index_key is not None:
            self._service_index[index_key].discard(svc.key)

    def _services_for_pod(self, pod: KubeObject, removed: bool) -> None:
        """Mark the Services whose endpoints may change with this pod (those that select it now,
        and those that listed it before)."""
        dirty = self._dirty["Service"]
        listed = self._endpoint_pods.pop(pod.key, set()) if removed else self._endpoint_pods.get(pod.key, set())
        dirty |= listed
        if removed:
            return
        labels = pod.metadata.labels
        for k, v in labels.items():
            for key in self._service_index.get((pod.namespace, k, v), ()):
                svc = self._store.get("Service", key)
                if svc is not None and svc.spec.selector.items() <= labels.items():  # type: ignore[attr-defined]
                    dirty.add(key)

    def _reconcile(self) -> None:
        """Run the controllers until nothing is left to do (they converge within one instant)."""
        if self._reconciling:
            return
        from .controllers import deployment, endpointslice, replicaset, scheduler

        self._reconciling = True
        try:
            for _ in range(1000):
                if self._dirty["Deployment"]:
                    keys, self._dirty["Deployment"] = sorted(self._dirty["Deployment"]), set()
                    for key in keys:
                        d = self._store.get("Deployment", key)
                        if d is not None:
                            deployment.sync(self, d)  # type: ignore[arg-type]
                elif self._dirty["ReplicaSet"]:
                    keys, self._dirty["ReplicaSet"] = sorted(self._dirty["ReplicaSet"]), set()
                    for key in keys:
                        rs = self._store.get("ReplicaSet", key)
                        if rs is not None:
                            replicaset.sync(self, rs)  # type: ignore[arg-type]
                elif self._unscheduled:
                    keys, self._unscheduled = sorted(self._unscheduled), set()
                    scheduler.schedule(self, keys)
                elif self._dirty["Service"]:
                    keys, self._dirty["Service"] = sorted(self._dirty["Service"]), set()
                    for key in keys:
                        svc = self._store.get("Service", key)
                        if svc is not None:
                            endpointslice.sync(self, svc)  # type: ignore[arg-type]
                else:
                    return
        finally:
            self._reconciling = False


def _check_proxy_mode(mode: str) -> None:
    if mode not in ("iptables", "ipvs"):
        raise BadRequest(f'error: unsupported kube-proxy mode "{mode}": use "iptables" or "ipvs"')


def _go_selector_text(sel: LabelSelector | None) -> str:
    if sel is None:
        return "nil"
    labels = ", ".join(f'"{k}":"{v}"' for k, v in sorted(sel.match_labels.items()))
    exprs = "nil" if not sel.match_expressions else "..."
    return (f"v1.LabelSelector{{MatchLabels:map[string]string{{{labels}}}, "
            f"MatchExpressions:[]v1.LabelSelectorRequirement({exprs})}}")


def _spec_of(obj: KubeObject) -> Any:
    """What a user declares: the spec, or for kinds without one (EndpointSlice, Endpoints) the
    whole body but metadata and status."""
    if hasattr(obj, "spec"):
        return manifest.to_plain(obj.spec)  # type: ignore[attr-defined]
    body = obj.to_dict()
    return {k: v for k, v in body.items() if k not in ("metadata", "status")}


def _user_annotations(obj: KubeObject) -> dict[str, str]:
    return {k: v for k, v in obj.metadata.annotations.items() if not k.startswith("deployment.kubernetes.io/")}

