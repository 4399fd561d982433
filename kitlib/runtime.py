"""What the nodes hold outside the API: the one declared object for a cluster's runtime state.

A real node keeps state that no API object shows: its IPAM leases and pulled images, the veths
of the pod network, kube-proxy's rules and the kernel's connection-tracking and affinity
tables, the kubelet's probe workers, and the processes in the containers. :class:`Runtime`
declares all of it in one place, beside the API server that the node agents talk to and the
controller manager that reacts to the API, so that nothing else attaches state to a cluster.

Controllers, the data path and the add-ons take a :class:`Runtime` (or just its ``api``), never
the :class:`kitlib.Cluster`: the facade calls down, nothing calls up.
"""

from __future__ import annotations

import builtins
import math
import numbers
import random
from typing import TYPE_CHECKING, Any, TypeVar

from . import manifest
from .api.labels import LabelSelector
from .api.meta import KubeObject
from .api.node import Node
from .api.pod import Pod
from .clock import Clock
from .container.behaviour import AppRuntime
from .container.logs import ContainerLogs
from .container.process import Processes
from .controllers import garbage
from .controllers.manager import ControllerManager, full_collections_deferred
from .controllers.nodelifecycle import NodeRuntime
from .controllers.prober import ContainerRun, Worker
from .errors import InvalidArgument
from .network import calico
from .network.ipam import HostLocal
from .network.portforward import PortForward
from .network.proxy import ProxyRuntime
from .network.proxy.servicemap import ProxyView
from .network.topology import Topology

if TYPE_CHECKING:
    from .apiserver.server import ApiServer, ClusterConfig

K = TypeVar("K", bound=KubeObject)


class Runtime:
    """The nodes' state, the API server they talk to and the controller manager."""

    def __init__(self, api: ApiServer, seed: int, proxy_mode: str, cni: str = "flannel") -> None:
        self.api = api
        self.cni = cni
        """The pod network plugin: ``flannel`` or ``calico`` (:mod:`kitlib.network.calico`)."""
        self.calico: calico.Pool | None = calico.Pool(api.config.pod_cidr, api.config.name) if cni == "calico" else None
        """Calico's IP pool and its blocks, on a Calico cluster."""
        self.seed = seed
        self.proxy_mode = proxy_mode
        """kube-proxy's mode on every node: ``iptables``, ``nftables`` or ``ipvs`` (deprecated)."""
        self.node_state: dict[str, NodeRuntime] = {}
        """By node name."""
        self.topology = Topology(api.config.node_cidr, api.rng, cni)
        self.addons: dict[str, Any] = {}
        """Installed add-ons by name (:mod:`kitlib.addons`)."""
        self.proxy_view: ProxyView | None = None
        """kube-proxy's view of the API, cached per store revision (:func:`kitlib.network.proxy.view`)."""
        self.proxy_state = ProxyRuntime(random.Random(f"{seed}:traffic"))
        """What the nodes' kernels remember: affinity, round robin, the ``-m statistic`` random stream."""
        self.prober_runs: dict[tuple[str, str], ContainerRun] = {}
        """The kubelet's probe workers, by (pod uid, container) (:mod:`kitlib.controllers.prober`)."""
        self.prober_lazy: dict[tuple[str, str | None, str, str], Worker] = {}
        """Failing readiness probes of not-ready containers, counted when read."""
        self.apps = AppRuntime()
        """The processes in the containers: faults, start times, the images add-ons registered
        (:mod:`kitlib.container.behaviour`)."""
        self.logs = ContainerLogs()
        """What each container printed, per run (:mod:`kitlib.container.logs`)."""
        self.processes = Processes()
        """The containers' main processes that run scripts, and their files (:mod:`kitlib.container.process`)."""
        self.port_forwards: dict[int, PortForward] = {}
        """The running ``kubectl port-forward`` tunnels, by local port (:mod:`kitlib.network.portforward`)."""
        self.controllers = ControllerManager(self)

    # ------------------------------------------------------------------ reads for the node agents

    @property
    def config(self) -> ClusterConfig:
        """The cluster's address plan."""
        return self.api.config

    @property
    def clock(self) -> Clock:
        """The simulated clock."""
        return self.api.clock

    @property
    def now(self) -> float:
        """Simulated seconds since time 0."""
        return self.api.clock.now

    @property
    def rng(self) -> random.Random:
        """The cluster's random generator."""
        return self.api.rng

    def get(self, kind: str, name: str, namespace: str = "default") -> KubeObject:
        """The stored object (live: the engine writes it back through the API's verbs)."""
        return self.api.get(kind, name, namespace)

    def list(self, kind: str, namespace: str | None = "default",
             selector: str | LabelSelector | None = None) -> list[KubeObject]:
        """Stored objects of a kind (live)."""
        return self.api.list(kind, namespace, selector)

    def get_as(self, cls: type[K], name: str, namespace: str = "default") -> K:
        """:meth:`get` by class: ``rt.get_as(Service, "web")`` is a Service (live)."""
        return self.api.get_as(cls, name, namespace)

    def list_as(self, cls: type[K], namespace: str | None = "default",
                selector: str | LabelSelector | None = None) -> builtins.list[K]:
        """:meth:`list` by class: ``rt.list_as(Service, None)`` is a list of Services (live)."""
        return self.api.list_as(cls, namespace, selector)

    def pods(self, namespace: str | None = "default", selector: str | None = None) -> builtins.list[Pod]:
        """Stored pods of a namespace (live)."""
        return self.api.list_as(Pod, namespace, selector)

    def nodes(self) -> builtins.list[Node]:
        """Every Node object (live), by name."""
        return self.api.nodes()

    def pods_on(self, node: str) -> builtins.list[Pod]:
        """The pods bound to ``node`` (live), by key."""
        return self.api.pods_on(node)

    def owned(self, owner: KubeObject, kind: str | None = None) -> builtins.list[KubeObject]:
        """Objects whose controller is ``owner`` (live), by name."""
        return self.api.owned(owner, kind)

    def node_runtime(self, name: str) -> NodeRuntime:
        """What node ``name`` holds outside the API (KeyError for a node there is not). A Node
        created through the API, with no machine and so no kubelet behind it, holds nothing: it
        reads as a node that does not answer, and nothing is kept for it."""
        runtime = self.node_state.get(name)
        if runtime is None:
            if self.api.store.get("Node", name) is None:
                raise KeyError(name)
            return NodeRuntime(ipam=HostLocal("0.0.0.0/32"), up=False)
        return runtime

    def state(self) -> dict[str, Any]:
        """The whole declared state of the cluster as plain values: the API server's
        (:meth:`~kitlib.apiserver.server.ApiServer.state`) and the nodes'. Two states compare
        equal exactly when nothing changed; a failed call leaves it as it was."""
        def plain(value: Any) -> Any:
            if isinstance(value, dict):
                return {repr(k): plain(v) for k, v in sorted(value.items(), key=lambda kv: repr(kv[0]))}
            if isinstance(value, (set, frozenset)):
                return sorted(repr(v) for v in value)
            if isinstance(value, (list, tuple)):
                return [plain(v) for v in value]
            if hasattr(value, "__dict__") and not isinstance(value, type):
                return {k: plain(v) for k, v in sorted(vars(value).items())
                        if not k.startswith("_") and k not in ("rng", "rt")}
            return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)

        graph = self.topology.graph
        return {
            "api": self.api.state(),
            "nodes": {name: (sorted(n.ipam.in_use), n.ipam.last_reserved, n.up, sorted(n.images), n.generation)
                      for name, n in sorted(self.node_state.items())},
            "proxy_mode": self.proxy_mode,
            **({"calico": self.calico.state()} if self.calico is not None else {}),
            "vertices": sorted(graph.nodes),
            "edges": sorted(tuple(sorted(e)) for e in graph.edges),
            "addons": plain(self.addons),
            # proxy_view is left out: a cache of the API objects above, rebuilt when they change.
            "proxy_state": plain(self.proxy_state),
            "proxy_rng": self.proxy_state.rng.getstate(),
            "prober": plain(self.prober_runs),
            "prober_lazy": plain(self.prober_lazy),
            "apps": plain(self.apps),
            "logs": plain(self.logs),
            "processes": plain(self.processes),
            "port_forwards": plain(self.port_forwards),
            "queues": {c.name: sorted(c.queue) for c in self.controllers.controllers},
        }

    # ------------------------------------------------------------------ writes of the system components

    def create(self, doc: dict[str, Any]) -> KubeObject:
        """Create an object from its manifest and let the controllers converge, as the bootstrap
        and the add-ons' installers do (``kubectl create -f``)."""
        obj = self.api.create(manifest.decode(doc), copy=False)
        self.controllers.run()
        return obj

    def delete(self, kind: str, name: str, namespace: str = "default",
               grace_period: int | None = None) -> KubeObject:
        """Delete an object as a DELETE request does (admission first: some namespaces may not go),
        let the controllers converge, and return the object as the server last held it."""
        obj = self.api.get(kind, name, namespace)
        self.api.admit_delete(obj)
        garbage.delete(self, obj, grace_period)
        self.controllers.run()
        return obj

    # ------------------------------------------------------------------ time

    def advance(self, seconds: float) -> None:
        """Move the clock forward, running what falls due and letting the controllers converge
        after each step (:meth:`kitlib.Cluster.advance`)."""
        check_seconds(seconds)
        clock = self.api.clock
        until = clock.now + seconds
        with full_collections_deferred:
            while (due := clock.pop_due(until)) is not None:
                fn, args = due
                fn(*args)
                self.controllers.run()
        clock.now = until

    def settle(self, limit: float) -> float:
        """Advance to each next event on the clock, as :meth:`advance` would, until nothing more
        is scheduled within ``limit`` seconds (:meth:`kitlib.Cluster.settle`); the time taken."""
        with full_collections_deferred:
            return self.api.clock.settle(limit, self.controllers.run)


def check_seconds(seconds: object) -> None:
    """Refuse a duration the clock cannot move by: not a real number (a bool neither), NaN, infinite
    or negative. :class:`kitlib.InvalidArgument` is also a ``ValueError``."""
    if type(seconds) is not float and type(seconds) is not int \
            and (isinstance(seconds, bool) or not isinstance(seconds, numbers.Real)):  # the ABC check is slow
        raise InvalidArgument(f"seconds must be a number, not {type(seconds).__name__} ({seconds!r})")
    if math.isnan(seconds) or math.isinf(seconds):
        raise InvalidArgument(f"seconds must be a finite number, not {seconds}")
    if seconds < 0:
        raise InvalidArgument(f"time only moves forward: seconds must be 0 or more, not {seconds}")
