"""The Cluster: the one object a notebook holds, a thin facade over the parts it owns.

* :class:`~kitlib.apiserver.server.ApiServer` (``cluster.api``): storage, clock, random
  generator, events, allocators and watches; every kind's rules in its strategy;
* :class:`~kitlib.runtime.Runtime` (``cluster.runtime``): what the nodes hold outside the API,
  and the :class:`~kitlib.controllers.manager.ControllerManager` (``cluster.controllers``).

The cluster changes only through API verbs (``apply``, ``delete``, ``scale``, ...) and
``advance``. Controllers react at once to every change (a real control plane takes
milliseconds), and what takes time on a real cluster (pulling images, starting containers,
noticing a dead node) is queued on the simulated clock. Reads (``get``, ``list``, ``pods``)
return copies: changing one changes nothing until it is applied.

Names and addresses follow minikube with the flannel CNI
(``minikube start --nodes 3 --cni=flannel``): nodes ``minikube``, ``minikube-m02``, ...
on the docker network 192.168.49.0/24, pods in 10.244.0.0/16 with a /24 per node,
Services in 10.96.0.0/12. ``Cluster(cni="calico")`` is ``minikube start --cni=calico`` instead:
Calico's /26 blocks per node from the same pool, IP-in-IP between nodes, and NetworkPolicy
enforced (:mod:`kitlib.network.calico`).
"""

from __future__ import annotations

import builtins
import random
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from . import addons, bootstrap, dump, kubectl, manifest
from .api import fields
from .api.convert import clone
from .api.labels import LabelSelector
from .api.meta import KubeObject, ObjectMeta
from .api.namespace import Namespace
from .api.node import REGION_LABEL, ZONE_LABEL, Node
from .api.pod import Pod
from .api.registry import for_object
from .api.validation import validate_labels
from .apiserver import managedfields
from .apiserver.allocators import IPAllocator, PortAllocator
from .apiserver.server import ApiServer, ClusterConfig
from .clock import Clock
from .container import behaviour
from .controllers import garbage, nodelifecycle, prober
from .controllers.manager import ControllerManager
from .controllers.nodelifecycle import NodeRuntime
from .errors import ApiError, BadRequest, InvalidArgument, PartialFailure, invalid
from .events import EventLog
from .kubectl import drain as drain_filters
from .kubectl.output import Output, warn
from .kubectl.output import write as write_warnings
from .network import datapath, dns, http, netpol, netpol_ref, proxy, traffic
from .network.topology import Topology
from .runtime import Runtime


class Cluster:
    """A simulated Kubernetes cluster.

    >>> c = Cluster(nodes=3, seed=0)
    >>> _ = c.kubectl("create deployment web --image=nginx --replicas=3 --port=80")
    >>> c.advance(30)
    >>> len([p for p in c.pods() if p.status.phase == "Running"])
    3

    minikube gives its nodes no zone. ``zones`` labels them ``topology.kubernetes.io/zone`` (and
    ``region`` labels them ``topology.kubernetes.io/region``) once the cluster is up, exactly as
    ``kubectl label node <name> topology.kubernetes.io/zone=<zone>`` would: a list is dealt out
    to the nodes in order (``minikube``, ``minikube-m02``, ...) and round again; a dict names
    each node's zone.

    >>> c = Cluster(nodes=3, zones=["zone-a", "zone-b"])
    >>> [n.metadata.labels["topology.kubernetes.io/zone"] for n in c.nodes()]
    ['zone-a', 'zone-b', 'zone-a']
    """

    def __init__(self, nodes: int = 3, seed: int = 0, *, pod_cidr: str = "10.244.0.0/16",
                 service_cidr: str = "10.96.0.0/12", node_cidr: str = "192.168.49.0/24",
                 node_prefix: int = 24, name: str = "minikube", proxy_mode: str = "iptables",
                 zones: Sequence[str] | Mapping[str, str] | None = None, region: str | None = None,
                 cni: str = "flannel") -> None:
        if nodes < 1:
            raise ValueError("a cluster needs at least one node")
        if cni not in CNIS:
            raise InvalidArgument(f'unsupported CNI "{cni}": kitlib simulates {", ".join(CNIS)} '
                                  "(minikube start --cni=flannel or --cni=calico)")
        self.cni = cni
        """The pod network plugin, as ``minikube start --cni=...`` names it: ``flannel`` (VXLAN, no
        NetworkPolicy) or ``calico`` (IP-in-IP, enforces NetworkPolicy: :mod:`kitlib.network.calico`)."""
        _check_proxy_mode(proxy_mode)
        names = [name] + [f"{name}-m{i + 1:02d}" for i in range(1, nodes)]
        by_node = _zone_plan(names, zones)
        self.seed = seed
        self.api = ApiServer(ClusterConfig(name=name, pod_cidr=pod_cidr, service_cidr=service_cidr,
                                           node_cidr=node_cidr, node_prefix=node_prefix), seed)
        """The API server: storage, clock, random generator, events, allocators, watches."""
        self.runtime = Runtime(self.api, seed, proxy_mode, cni)
        """What the nodes hold outside the API, with the controller manager."""
        # The cluster was started before time 0; at time 0 it is up and CoreDNS runs.
        self.api.clock.now = -bootstrap.BOOT_SECONDS
        for ns in ("default", "kube-node-lease", "kube-public", "kube-system"):
            self.api.create(Namespace(metadata=ObjectMeta(name=ns)), copy=False)
        self.add_node()
        bootstrap.control_plane(self.runtime)
        bootstrap.node_components(self.runtime, cni)
        for _ in range(nodes - 1):
            self.add_node()
        self.controllers.run()
        self.advance(-self.api.clock.now)
        for node_name, zone in by_node.items():
            self.label("Node", node_name, {ZONE_LABEL: zone, **({REGION_LABEL: region} if region else {})})
        if region and not by_node:
            for node_name in names:
                self.label("Node", node_name, {REGION_LABEL: region})
        self.dump_report: dump.DumpReport | None = None
        """What :meth:`from_dump` loaded, skipped and could not model (None for a cluster kitlib started)."""
        use(self)  # the notebook's current cluster is the last one created (see use)

    @classmethod
    def from_dump(cls, source: str | Path | IO[str] | IO[bytes], seed: int = 0, *,
                  proxy_mode: str = "iptables") -> Cluster:
        """A cluster loaded from what ``kubectl get nodes,pods,services,endpointslices,ingresses,
        ingressclasses,networkpolicies,namespaces -A -o yaml`` printed on a real cluster: a path, the
        YAML text, or a file object (:mod:`kitlib.dump` says what is kept and how the CNI is mapped).
        ``cluster.dump_report`` (printable) counts what was loaded and lists what was skipped or is
        not modelled. Input that is not such a dump is a :class:`kitlib.BadRequest`, and no cluster
        is made (the notebook's current cluster stays the same). ``tests/test_from_dump.py`` loads
        ``tests/data/minikube-dump.yaml``, a two-node minikube with kindnet, and draws every view of it.
        """
        _check_proxy_mode(proxy_mode)
        parsed = dump.parse(source)
        self = cls.__new__(cls)
        self.cni = parsed.kitlib_cni
        self.seed = seed
        self.api = ApiServer(parsed.config, seed)
        self.runtime = Runtime(self.api, seed, proxy_mode, parsed.kitlib_cni)
        self.dump_report = dump.load(self.runtime, parsed)
        use(self)
        return self

    # ------------------------------------------------------------------ the parts, read-only

    @property
    def controllers(self) -> ControllerManager:
        """The controller manager (kube-controller-manager and kube-scheduler)."""
        return self.runtime.controllers

    @property
    def name(self) -> str:
        """The cluster's (and its first node's) name: ``minikube``."""
        return self.api.config.name

    @property
    def pod_cidr(self) -> str:
        """The pod network (``--pod-network-cidr``)."""
        return self.api.config.pod_cidr

    @property
    def service_cidr(self) -> str:
        """The Service ClusterIP range (``--service-cluster-ip-range``)."""
        return self.api.config.service_cidr

    @property
    def node_cidr(self) -> str:
        """The node network (minikube's docker network)."""
        return self.api.config.node_cidr

    @property
    def cluster_domain(self) -> str:
        """The DNS domain of Services and pods: ``cluster.local``."""
        return self.api.config.cluster_domain

    @property
    def rng(self) -> random.Random:
        """The cluster's random generator (seeded: the same seed draws the same names and IPs)."""
        return self.api.rng

    @property
    def clock(self) -> Clock:
        """The simulated clock; move it with :meth:`advance`."""
        return self.api.clock

    @property
    def events(self) -> EventLog:
        """The events recorded so far (``kubectl describe`` and ``kubectl get events`` show them)."""
        return self.api.events

    @property
    def service_ips(self) -> IPAllocator:
        """The ClusterIP allocator: the ServiceCIDRs' ranges and the addresses in use (each has
        its IPAddress object)."""
        return self.api.service_ips

    @property
    def node_ports(self) -> PortAllocator:
        """The NodePort allocator (30000-32767)."""
        return self.api.node_ports

    @property
    def topology(self) -> Topology:
        """The pod network as a graph of interfaces."""
        return self.runtime.topology

    @property
    def proxy_mode(self) -> str:
        """kube-proxy's mode on every node: ``iptables`` (the default), ``nftables`` or ``ipvs``
        (deprecated since Kubernetes 1.35)."""
        return self.runtime.proxy_mode

    @property
    def addons(self) -> dict[str, Any]:
        """The installed add-ons by name (:meth:`enable_addon`)."""
        return self.runtime.addons

    # ------------------------------------------------------------------ reading

    @property
    def now(self) -> float:
        """Simulated seconds since time 0 (the cluster itself started two minutes earlier)."""
        return self.api.clock.now

    def get(self, kind: str, name: str, namespace: str = "default") -> KubeObject:
        """A copy of the stored object, or :class:`kitlib.NotFound` in the API server's words.

        >>> Cluster(nodes=1).get("Node", "minikube").spec.pod_cidr
        '10.244.0.0/24'
        """
        return clone(self.api.get(kind, name, namespace))

    def list(self, kind: str, namespace: str | None = "default",
             selector: str | LabelSelector | None = None) -> list[KubeObject]:
        """Copies of the objects of a kind in a namespace (``namespace=None``: all namespaces, as
        ``kubectl -A``), optionally matching a label selector."""
        return [clone(o) for o in self.api.list(kind, namespace, selector)]

    def pods(self, namespace: str | None = "default", selector: str | None = None) -> builtins.list[Pod]:
        """The pods of a namespace (all namespaces with ``namespace=None``)."""
        return [clone(p) for p in self.api.list_as(Pod, namespace, selector)]

    def nodes(self) -> builtins.list[Node]:
        """Every node, by name."""
        return [clone(n) for n in self.api.nodes()]

    def node_runtime(self, name: str) -> NodeRuntime:
        """What node ``name`` holds outside the API: whether it is up, its images, its IPAM."""
        return self.runtime.node_runtime(name)

    def owned(self, owner: KubeObject, kind: str | None = None) -> builtins.list[KubeObject]:
        """Copies of the objects whose controller is ``owner``, by name."""
        return [clone(o) for o in self.api.owned(owner, kind)]

    def pods_on(self, node: str) -> builtins.list[Pod]:
        """Copies of the pods bound to ``node``, by key."""
        return [clone(p) for p in self.api.pods_on(node)]

    def state(self) -> dict[str, Any]:
        """The whole declared state as plain values (:meth:`kitlib.runtime.Runtime.state`): equal
        before and after any call that failed, and equal for two clusters given the same seed and
        the same calls."""
        return self.runtime.state()

    # ------------------------------------------------------------------ writing

    def apply(self, source: str | dict | builtins.list | Path, validate: str | bool = "strict") -> builtins.list[KubeObject]:
        """Create or update objects from YAML text, a dict, a list of dicts or a file path,
        as ``kubectl apply`` does. All documents are validated before any is stored.

        ``validate`` is kubectl's ``--validate``: ``"strict"`` (or ``True``, the default) refuses
        unknown fields (``strict decoding error: unknown field "spec.replicaz"``); ``"warn"``
        drops them with a Python warning each; ``"ignore"`` (or ``False``) drops them silently.

        >>> c = Cluster(nodes=1)
        >>> c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
        [<Namespace shop>]
        """
        said: builtins.list[str] = []
        applied = [obj for obj, _ in self.apply_with_outcome(source, validate, said)]
        for text in said:
            warnings.warn(text, UserWarning, stacklevel=2)
        return applied

    def apply_with_outcome(self, source: str | dict | builtins.list | Path, validate: str | bool = "strict",
                           said: builtins.list[str] | None = None, *,
                           dry_run: bool = False) -> builtins.list[tuple[KubeObject, str]]:
        """Like :meth:`apply`, with kubectl's word for each object: created, configured, unchanged.
        Under ``validate="warn"`` the API server's warnings are appended to ``said``. With
        ``dry_run`` (``--dry-run=server``) the server admits the objects and stores nothing."""
        try:
            validation = fields.directive(validate)
        except ValueError as exc:
            raise InvalidArgument(f"error: {exc}") from None
        results = self.api.apply(manifest.load(source), validation, said, dry_run=dry_run)
        if dry_run:
            return [(clone(obj), outcome) for obj, outcome in results]
        self.controllers.run()
        return [(clone(obj), outcome) for obj, outcome in results]

    def create(self, obj: KubeObject | dict, *, dry_run: bool = False) -> KubeObject:
        """Create one object (``kubectl create``); :class:`kitlib.AlreadyExists` if the name is taken.
        With ``dry_run`` the API server admits it and stores nothing (``--dry-run=server``)."""
        if not isinstance(obj, (dict, KubeObject)):
            raise InvalidArgument(f"create takes one object, a dict or a kitlib object, not {type(obj).__name__}: "
                                  "use apply for YAML text, a file or a list of objects")
        new = manifest.decode(obj, served=self.api.custom) if isinstance(obj, dict) else obj
        if dry_run:
            return self.api.create(new, dry_run=True)
        created = self.api.create(new, copy=not isinstance(obj, dict))
        self.api.record_manager(created, None, "kubectl-create")
        self.controllers.run()
        return clone(created)

    def update(self, obj: KubeObject) -> KubeObject:
        """Replace the stored object of the same kind and name with ``obj`` (``kubectl replace``)."""
        stored = self.api.update(obj)
        self.controllers.run()
        return clone(stored)

    def delete(self, kind: str, name: str, namespace: str = "default", *,
               grace_period: int | None = None) -> KubeObject:
        """Delete an object gracefully; owned objects are garbage-collected (background cascade).

        A pod first becomes Terminating, and its ReplicaSet creates a replacement at once. A
        namespace becomes Terminating, and goes once the namespace controller has deleted what
        is in it (:mod:`kitlib.controllers.namespace`). ``grace_period`` overrides a pod's
        ``terminationGracePeriodSeconds`` (``kubectl delete --grace-period``); 0 removes it at once
        (``--force``). The call does not wait: ``kubectl delete`` waits for the object to be gone.
        """
        if grace_period is not None and (isinstance(grace_period, bool) or not isinstance(grace_period, int)):
            raise InvalidArgument(f"grace_period must be an int, not {type(grace_period).__name__}")
        return clone(self.runtime.delete(kind, name, namespace, grace_period))

    def scale(self, name: str, replicas: int, namespace: str = "default", kind: str = "Deployment") -> KubeObject:
        """Set ``spec.replicas`` of a Deployment or ReplicaSet through its scale subresource
        (``kubectl scale``).

        ``replicas`` must be an ``int`` (not a bool, float or string: :class:`kitlib.InvalidArgument`,
        a ``ValueError``). As the API server answers: below 0 is Invalid; past int32 the patch does
        not decode (Invalid, ``The request is invalid`` in kubectl); a kind without a scale
        subresource (Service, Pod, Node, Namespace) is NotFound, ``the server could not find the
        requested resource``.
        """
        if isinstance(replicas, bool) or not isinstance(replicas, int):
            raise InvalidArgument(f"replicas must be an int, not {type(replicas).__name__} ({replicas!r})")
        before = self.api.get(kind, name, namespace).to_dict()
        obj = self.api.scale(kind, name, namespace, replicas)
        self.api.record_manager(obj, before, "kubectl", "scale")
        self.controllers.run()
        return clone(obj)

    def server_side_apply(self, doc: dict, manager: str = "kubectl", *, force: bool = False, dry_run: bool = False,
                          validation: str = "Strict",
                          warnings: builtins.list[str] | None = None) -> tuple[KubeObject, bool]:
        """Apply one document server-side as field manager ``manager`` (``kubectl apply
        --server-side``); returns a copy of the object and whether it changed. Another manager's
        field set to another value is a :class:`kitlib.Conflict` unless ``force``."""
        obj, changed = self.api.server_side_apply(doc, manager, force=force, dry_run=dry_run,
                                                  validation=validation, warnings=warnings)
        if changed and not dry_run:
            self.controllers.run()
        return clone(obj), changed

    def managed_fields(self, kind: str, name: str, namespace: str = "default") -> builtins.list[dict[str, Any]]:
        """The object's ``metadata.managedFields`` as the API server writes them (for the writes
        kitlib records: client-side and server-side apply)."""
        obj = self.api.get(kind, name, namespace)
        return managedfields.entries(self.api.managed.get(obj.metadata.uid or "", []))

    def patch(self, kind: str, name: str, namespace: str = "default", patch_type: str = "strategic",
              body: Any = None, *, subresource: str = "", dry_run: bool = False,
              warnings: builtins.list[str] | None = None) -> tuple[KubeObject, bool]:
        """Patch one object as ``kubectl patch`` does (``patch_type`` ``strategic``, ``merge`` or
        ``json``); returns a copy of it and whether anything changed."""
        before = self.api.get(kind, name, namespace).to_dict()
        obj, changed = self.api.patch(kind, name, namespace, patch_type, body, subresource=subresource,
                                      dry_run=dry_run, warnings=warnings)
        if changed and not dry_run:
            self.api.record_manager(obj, before, "kubectl-patch", subresource)
            self.controllers.run()
        return clone(obj), changed

    def label(self, kind: str, name: str, labels: dict[str, str | None], namespace: str = "default",
              overwrite: bool = False) -> KubeObject:
        """Add, change (with ``overwrite``) or remove (value ``None``) labels, as ``kubectl label``."""
        obj = self.api.get(kind, name, namespace)
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
        errs = validate_labels(new, "metadata.labels")
        if errs:
            raise invalid(res.qualified_kind, name, errs)
        before = obj.to_dict()
        obj.metadata.labels = new
        self.api.update_status(obj)  # a metadata patch: no spec change, no admission
        self.api.record_manager(obj, before, "kubectl-label")
        self.controllers.run()
        return clone(obj)

    def set_fault(self, pod: str, fault: str, on: bool = True, namespace: str = "default") -> None:
        """Switch a fault of a pod's app on or off: ``dependency-down`` (``/ready`` and every path
        answer 503), ``hang`` (requests and probes time out), ``crash`` (the app exits 1 s after
        each start) or ``slow`` (answers take 3 s, past a probe's 1 s timeout).
        See :mod:`kitlib.container.behaviour`.

        >>> c = Cluster(nodes=1)
        >>> _ = c.kubectl("create deployment web --image=nginx --port=80"); c.advance(10)
        >>> pod = c.pods()[0]
        >>> c.set_fault(pod.name, "hang")
        >>> c.http(f"http://{pod.status.pod_ip}/").failure
        'timeout'
        """
        obj = behaviour.set_fault(self.runtime, pod, fault, on, namespace)
        prober.fault_changed(self.runtime, obj)
        self.controllers.run()

    def advance(self, seconds: float) -> None:
        """Move the simulated clock forward, running everything that falls due on the way.
        ``seconds`` must be a finite number, 0 or more (:class:`kitlib.InvalidArgument`, a ``ValueError``).

        >>> c = Cluster(nodes=1)
        >>> c.advance(5); c.now
        5.0
        """
        self.runtime.advance(seconds)

    def settle(self, limit: float = 600.0) -> float:
        """Advance until nothing more is scheduled (at most ``limit`` seconds); returns the time taken."""
        return self.runtime.settle(limit)

    # ------------------------------------------------------------------ nodes

    def add_node(self, zone: str | None = None) -> Node:
        """Join a new node: it gets the next node IP and podCIDR, and is Ready at once. With
        ``zone``, it is then labelled ``topology.kubernetes.io/zone=<zone>`` (as ``kubectl label``).

        As in Kubernetes, a Ready worker node without a zone turns topology-aware routing
        (``topology-mode: Auto``) off, and the hints it removed come back only when each Service
        next syncs."""
        if zone is not None:
            _check_zone(zone)
        node = nodelifecycle.join(self.runtime)
        proxy.started(self.runtime, node.name)
        self.controllers.run()
        if zone is not None:
            self.label("Node", node.name, {ZONE_LABEL: zone})
        return clone(node)

    def cordon(self, name: str) -> Node:
        """Mark a node unschedulable: running pods stay, new pods go elsewhere."""
        node = self.api.get_as(Node, name)
        nodelifecycle.set_unschedulable(self.runtime, node, True)
        self.controllers.run()
        return clone(node)

    def uncordon(self, name: str) -> Node:
        """Let the scheduler place pods on the node again."""
        node = self.api.get_as(Node, name)
        nodelifecycle.set_unschedulable(self.runtime, node, False)
        self.controllers.run()
        return clone(node)

    def drain(self, name: str, *, ignore_daemonsets: bool = True, force: bool = False,
              delete_emptydir_data: bool = False) -> builtins.list[Pod]:
        """Cordon a node and evict its pods, as ``kubectl drain --ignore-daemonsets`` (the keywords
        are kubectl's flags): DaemonSet pods and mirror pods stay; a pod no controller owns, or
        one with an ``emptyDir``, makes it refuse (:class:`kitlib.PartialFailure` in kubectl's
        words, the node left cordoned) unless ``force`` or ``delete_emptydir_data`` allow it
        (:mod:`kitlib.kubectl.drain`). Returns the pods evicted."""
        already = bool(self.api.get_as(Node, name).spec.unschedulable)
        if not already:  # kubectl patches only a node that is not cordoned yet
            self.cordon(name)
        found = drain_filters.plan(self.api, name, ignore_daemonsets=ignore_daemonsets, force=force,
                                   delete_emptydir_data=delete_emptydir_data)
        if found.errors:
            cordoned = f"node/{name} {'already cordoned' if already else 'cordoned'}"
            raise PartialFailure([cordoned], [BadRequest(drain_filters.refusal(name, found.error_texts()))],
                                 [] if already else [("Node", "", name)])
        if found.warnings:
            warn(found.warning_text())
        evicted = found.evict
        shown = [clone(p) for p in evicted]
        for pod in evicted:
            garbage.delete(self.runtime, pod)
        self.controllers.run()
        return shown

    def fail_node(self, name: str) -> Node:
        """The node stops answering (power or network lost). Its pods are unreachable at once;
        after 50 s the node is NotReady, and after 300 s more its pods are evicted and recreated
        elsewhere."""
        node = self.api.get_as(Node, name)
        nodelifecycle.fail(self.runtime, node)
        self.controllers.run()
        return clone(node)

    def restore_node(self, name: str) -> Node:
        """The node answers again: its kubelet reports Ready and finishes pending deletions."""
        node = self.api.get_as(Node, name)
        nodelifecycle.restore(self.runtime, node)
        self.controllers.run()
        return clone(node)

    # ------------------------------------------------------------------ network

    def connect(self, src: str, dst: str, port: int, protocol: str = "TCP") -> datapath.Connection:
        """Open a connection from ``src`` (``"ns/pod"``, ``"node/<name>"`` or ``"external"``) to
        ``dst`` (``"ns/pod"``, ``"node/<name>"`` or an IP) and report the path it took. On a Calico
        cluster NetworkPolicy applies after kube-proxy's DNAT: a denied connection times out, and its
        last hop names the Calico chain and node that dropped it.

        >>> c = Cluster(nodes=2); _ = c.kubectl("create deployment web --image=nginx --replicas=2 --port=80")
        >>> c.advance(30); a, b = c.pods()
        >>> c.connect(a.key, b.key, 80).ok
        True
        """
        return datapath.connect(self.runtime, src, dst, port, protocol)

    def explain(self, src: str, dst: str, port: int, protocol: str = "TCP") -> str:
        """Why NetworkPolicies allow or deny a connection from ``src`` to ``dst`` (as :meth:`connect`
        takes them; also a bare pod name in ``default``) at ``port``/``protocol``: which policies
        select the source (egress) and the destination (ingress), which rule allowed, or why none
        did. On flannel, which does not enforce policies, it says so first, then what Calico would do.

        >>> c = Cluster(nodes=1); _ = c.kubectl("create deployment web --image=nginx --replicas=2 --port=80")
        >>> c.advance(30); a, b = c.pods()
        >>> print(c.explain(a.key, b.key, 80).splitlines()[2].split(": ")[1])
        allowed
        """
        protocol = datapath.check_port(port, protocol)
        return netpol_ref.explain(self.runtime, self.cni, src, dst, port, protocol)

    def netpol_verdict(self, src: str, dst: str, port: int, protocol: str = "TCP") -> netpol.Verdict:
        """:meth:`explain` as a value: the :class:`~kitlib.network.netpol.Verdict` of the policies
        (computed whatever the CNI: on flannel it is what Calico would do)."""
        protocol = datapath.check_port(port, protocol)
        return netpol_ref.verdict(self.runtime, src, dst, port, protocol)

    def resolve(self, name: str, src: str | None = None, type: str = "A") -> dns.DnsAnswer:
        """Look ``name`` up in cluster DNS as the client ``src`` would (``"ns/pod"``; None: a pod in
        ``default``; ``"node/<name>"`` and ``"external"`` have no cluster DNS). ``type`` is A, SRV,
        CNAME, AAAA or PTR. Returns a :class:`~kitlib.network.dns.DnsAnswer`.

        >>> Cluster(nodes=1).resolve("kubernetes").records[0].data
        '10.96.0.1'
        """
        return dns.resolve(self.runtime, name, src, type)

    def http(self, url: str, src: str = "external", headers: dict[str, str] | None = None,
             method: str = "GET") -> http.HttpResponse:
        """Send an HTTP request (``method``, GET unless told) for ``url`` from ``src`` and return the
        :class:`~kitlib.network.http.HttpResponse` (``.status`` None when nothing answered).

        With the ingress add-on (``enable_addon("ingress")``), a client outside the cluster resolves
        every host name to the ingress controller, which routes by host and path: the response then
        names the backend in ``.service`` and ``.pod``, the matched rule in ``.ingress``, and for
        ``https://`` the certificate in ``.tls``. With the gateway add-on (``enable_addon("gateway")``), a
        name that a Gateway with an address serves resolves to that Gateway, whose envoy routes by its
        HTTPRoutes: ``.gateway`` then names the Gateway, listener, route, rule and backend (and why the
        other matches lost). ``headers={"Host": ...}`` sets the Host header.

        >>> c = Cluster(nodes=1); _ = c.kubectl("create deployment web --image=nginx --port=80")
        >>> c.advance(30); ip = c.pods()[0].status.pod_ip
        >>> c.http(f"http://{ip}/", src="node/minikube").status
        200
        """
        if not isinstance(method, str) or not _HTTP_TOKEN.fullmatch(method):
            # RFC 9110: a method is a token; curl -X sends whatever it is given, kitlib's Python API refuses.
            raise InvalidArgument(f"invalid HTTP method {method!r}: a method is a token such as GET, HEAD or POST")
        return http.request(self.runtime, url, src, headers, method)

    def traffic(self, src: str, dst: str, port: int, requests: int = 1, protocol: str = "TCP",
                duration: float | None = None) -> traffic.Traffic:
        """Send ``requests`` new connections from ``src`` to ``dst:port`` and count where they landed
        (a :class:`~kitlib.network.traffic.Traffic`), with the same randomness as kube-proxy.
        With ``duration`` (seconds) they are spread over that much simulated time, and the clock advances.

        >>> c = Cluster(nodes=2); _ = c.kubectl("create deployment web --image=nginx --replicas=2 --port=80")
        >>> _ = c.kubectl("expose deployment web --port=80"); c.advance(30)
        >>> ip = c.get("Service", "web").spec.cluster_ip
        >>> sum(c.traffic("node/minikube", ip, 80, requests=1000).served.values())
        1000
        """
        return traffic.traffic(self.runtime, src, dst, port, requests, protocol, duration)

    def proxy_endpoints(self, service: str, namespace: str = "default",
                        port: int | str | None = None) -> dict[str, proxy.NodeRules]:
        """Which endpoints each node's kube-proxy sends a Service's traffic to, by node: a
        :class:`~kitlib.network.proxy.servicemap.NodeRules` per node, whose ``cluster`` endpoints
        are those its ``trafficDistribution`` (or topology-aware hints) leave to the node, and
        ``topology`` says how they were narrowed (``PreferSameZone``, ``PreferSameNode`` or ``""``).
        ``port`` picks a port by number or name (default: the first).

        >>> c = Cluster(nodes=3, zones=["zone-a", "zone-b"])
        >>> _ = c.kubectl("create deployment web --image=nginx --replicas=3 --port=80")
        >>> _ = c.kubectl("expose deployment web --port=80"); c.advance(30)
        >>> {node: len(r.cluster) for node, r in c.proxy_endpoints("web").items()}
        {'minikube': 3, 'minikube-m02': 3, 'minikube-m03': 3}
        """
        return proxy.node_endpoints(self.runtime, service, namespace, port)

    def iptables(self, node: str, table: str | None = "nat") -> str:
        """What ``iptables-save -t nat`` prints of kube-proxy's chains on ``node`` (in nftables
        mode only the built-in chains: kube-proxy removed its own). ``table="filter"`` prints the
        filter table (kube-proxy's firewall: REJECT for Services without endpoints,
        ``KUBE-PROXY-FIREWALL`` for ``loadBalancerSourceRanges``; the kubelet's and flannel's
        chains), ``table=None`` the whole ``iptables-save``.

        >>> c = Cluster(nodes=1)
        >>> [line for line in c.iptables("minikube", table="filter").splitlines() if "KUBE-FORWARD -m" in line][0]
        '-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name  ct_state_invalid_dropped_pkts -j DROP'
        """
        return proxy.iptables_save(self.runtime, node, table)

    def nft(self, node: str) -> str:
        """What ``nft list table ip kube-proxy`` prints on ``node`` in nftables mode (in the other
        modes kube-proxy has deleted the table, and nft's error is raised as :class:`kitlib.NotFound`).

        >>> c = Cluster(nodes=1, proxy_mode="nftables")
        >>> c.nft("minikube").splitlines()[4].strip()
        'type filter hook prerouting priority dstnat - 10; policy accept;'
        """
        return proxy.nft_list(self.runtime, node)

    def ipvsadm(self, node: str) -> str:
        """What ``ipvsadm -Ln`` prints on ``node`` (the virtual servers of IPVS mode, which is
        deprecated since Kubernetes 1.35)."""
        return proxy.ipvsadm(self.runtime, node)

    def set_proxy_mode(self, mode: str) -> None:
        """Switch kube-proxy on every node to ``iptables``, ``nftables`` or ``ipvs`` (as editing
        the kube-proxy ConfigMap and restarting its pods would); affinity and round-robin state
        start afresh. IPVS mode is deprecated (Kubernetes 1.35): each node's kube-proxy then
        records a Warning event ``IPVSDeprecation`` on its Node, as it does on a real cluster.

        >>> c = Cluster(nodes=1)
        >>> c.set_proxy_mode("nftables"); c.proxy_mode
        'nftables'
        """
        _check_proxy_mode(mode)
        self.runtime.proxy_mode = mode
        proxy.reset(self.runtime)
        for node in self.api.nodes():
            proxy.started(self.runtime, node.name)

    def enable_addon(self, name: str, **options: Any) -> Any:
        """Install an add-on: ``enable_addon("metallb", addresses="192.168.49.200-192.168.49.250")`` for
        LoadBalancer addresses, ``enable_addon("ingress")`` for the ingress-nginx controller (it waits,
        advancing the clock, until the controller is ready, as ``minikube addons enable ingress`` does)."""
        addon = addons.enable(self.runtime, name, **options)
        self.controllers.run()
        return addon

    def disable_addon(self, name: str) -> None:
        """Uninstall an add-on installed with :meth:`enable_addon`."""
        addons.disable(self.runtime, name)
        self.controllers.run()

    def kubectl(self, command: str) -> Output:
        """Run a kubectl command line against this cluster and return what kubectl prints on stdout.

        What kubectl writes on stderr, its ``Warning: ...`` lines (a deprecated resource such as
        Endpoints, fields dropped under ``--validate=warn``), goes to ``sys.stderr`` as kubectl
        writes it, a stream of its own in a notebook. The warnings also travel as values: the
        returned string is an :class:`~kitlib.kubectl.output.Output` whose ``warnings`` holds them,
        and a failed command's error holds them in its ``warnings``.

        Errors raise :class:`kitlib.ApiError` whose text is what kubectl prints.
        """
        try:
            out = kubectl.run(self, command)
        except ApiError as err:
            write_warnings(err.warnings)
            raise
        write_warnings(out.warnings)
        return out


_current: Cluster | None = None
"""The notebook's current cluster: the one ``%kubectl`` acts on (:func:`use`, :func:`current`)."""


def use(cluster: Cluster) -> None:
    """Make ``cluster`` the current one, the cluster the notebook magics ``%kubectl`` and
    ``%%kubectl`` act on (:mod:`kitlib.magics`), as ``kubectl config use-context`` picks the
    cluster a terminal's kubectl talks to. (It returns nothing, so a cell ending with it shows
    nothing.)

    Without a call, the current cluster is the last one created in the process, whoever created
    it (a lab widget that builds its own clusters too): a lesson that creates a second cluster
    says ``kitlib.use(cluster)`` to go back to the first.

    >>> import kitlib
    >>> first = kitlib.Cluster(nodes=1)
    >>> second = kitlib.Cluster(nodes=1, seed=1)
    >>> kitlib.current() is second
    True
    >>> kitlib.use(first)
    >>> kitlib.current() is first
    True
    """
    global _current
    if not isinstance(cluster, Cluster):
        raise InvalidArgument(f"kitlib.use() takes a kitlib.Cluster, not {type(cluster).__name__}")
    _current = cluster


def current() -> Cluster:
    """The notebook's current cluster (:func:`use`): the last one created, or the one chosen with
    ``kitlib.use(cluster)``. With none yet, the error kubectl prints when no cluster answers."""
    if _current is None:
        raise BadRequest("The connection to the server localhost:8080 was refused - did you specify the right "
                         "host or port?\n(kitlib: no cluster yet: create one with kitlib.Cluster(), "
                         "as minikube start does, or choose one with kitlib.use(cluster))", printed=True)
    return _current


def _zone_plan(names: builtins.list[str], zones: Sequence[str] | Mapping[str, str] | None) -> dict[str, str]:
    """Each node's zone from ``Cluster(zones=...)``: a list dealt out in node order, or a dict by
    node name; a ValueError for a name no node has or a zone no label may hold."""
    if zones is None:
        return {}
    if isinstance(zones, str):
        raise InvalidArgument(f"zones must be a list of zone names or a dict of node -> zone, not a string ({zones!r})")
    if isinstance(zones, Mapping):
        unknown = sorted(set(zones) - set(names))
        if unknown:
            raise InvalidArgument(f"zones names nodes the cluster does not have: {', '.join(unknown)} "
                                  f"(its nodes are {', '.join(names)})")
        plan = {n: zones[n] for n in names if n in zones}
    else:
        listed = builtins.list(zones)
        if not listed:
            raise InvalidArgument("zones is empty: give at least one zone name")
        plan = {n: listed[i % len(listed)] for i, n in enumerate(names)}
    for zone in plan.values():
        _check_zone(zone)
    return plan


def _check_zone(zone: object) -> None:
    """A zone must be a valid label value (``kubectl label`` would refuse it otherwise)."""
    if not isinstance(zone, str):
        raise InvalidArgument(f"a zone is a string, not {type(zone).__name__} ({zone!r})")
    errs = validate_labels({ZONE_LABEL: zone}, "metadata.labels")
    if errs:
        raise InvalidArgument(f"zone {zone!r} is not a valid label value: {errs[0]}")


_HTTP_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
"""RFC 9110's ``token``: what an HTTP method may be made of."""
CNIS = ("flannel", "calico")
"""The pod networks kitlib simulates: minikube's ``--cni=flannel`` (VXLAN, no NetworkPolicy
enforcement) and ``--cni=calico`` (Calico v3.32.1: IP-in-IP, NetworkPolicy enforced)."""


def _check_proxy_mode(mode: str) -> None:
    if mode not in proxy.MODES:
        raise BadRequest(f'error: unsupported kube-proxy mode "{mode}": use "iptables", "nftables" or "ipvs"')
