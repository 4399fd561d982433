"""A real cluster in kitlib: :meth:`kitlib.Cluster.from_dump` loads what

    kubectl get nodes,pods,services,endpointslices,ingresses,ingressclasses,networkpolicies,namespaces -A -o yaml

printed on a kind or minikube cluster (:data:`DUMP_COMMAND`), so that the views draw that cluster
and ``kubectl get``, ``connect``, ``traffic`` and ``http`` run over it.

A dump is a photograph: the objects as the API server held them at one moment. The loaded
cluster keeps what the photograph shows and invents nothing:

* **Time.** The clock stands at the newest timestamp in the dump (its snapshot time), so AGE
  columns read as they did when it was taken; ``uid`` and ``creationTimestamp`` are the dump's.
  ``resourceVersion`` is the new store's own (a fresh etcd numbers its writes anew).
* **Addresses.** The address plan comes from the control plane's own flags where the dump shows
  them (the ``kube-apiserver`` mirror pod's ``--service-cluster-ip-range``, the
  ``kube-controller-manager``'s ``--cluster-cidr``), else from the objects (the ``kubernetes``
  Service's ClusterIP as the first address of a /12; the nodes' podCIDRs in a /16). Nodes keep their
  names, InternalIPs and podCIDRs; Services their ClusterIPs and NodePorts, which the allocators
  then hold (each with its IPAddress), so a new Service never collides; pods keep their IPs,
  marked in use in their node's IPAM, and their sandboxes are wired into the network graph so
  kube-proxy's rules (from the Services and the dump's EndpointSlices) reach them. A node whose
  Ready condition is not True does not answer.
* **Pods** keep their phase, conditions and container states. Their owners (ReplicaSets,
  DaemonSets, the kubelet's static manifests) are not in such a dump, but they exist on the real
  cluster: kitlib does not invent them, and no controller deletes, replaces or duplicates the
  pods (a pod owned by an absent ReplicaSet is kept as it is; deleting it does not bring a new
  one, which the real ReplicaSet would). The kubelet does not restart them and the scheduler
  does not place them: at load, the workload controllers', the scheduler's and the kubelets'
  queues are emptied (a Pending pod is tried again when a node joins or changes, as the real
  scheduler does); what the user creates afterwards runs as on any kitlib cluster. A pod bound to
  a node the dump does not have is skipped (there is no machine to run it on).
* **EndpointSlices** are kept exactly as the dump shows them: they are the truth of what was
  ready. The EndpointSlice controller holds off each loaded Service
  (``EndpointSliceController.held``) until the Service, or a pod its slices list or its selector
  matches, changes; then it takes the slices over as the real controller would.
* **Images** kitlib does not model run and listen on their declared ``containerPort``\\ s,
  answering as agnhost netexec (:mod:`kitlib.container.listeners`), with kitlib's
  ``UnknownImage`` Warning event; the report lists them.
* **The CNI** is read from the system pods (:func:`detect_cni`) and mapped to the nearest CNI
  kitlib simulates (:data:`CNI_MAP`): flannel is flannel; Calico is Calico (its /26 blocks
  rebuilt from the pods' IPs and tunl0 from the node annotation); kindnet with network policies
  (kindnetd images from 2024-07-23 on, kind v0.24.0+: kubernetes-sigs/kind#842, #3612) routes
  pod to pod without a bridge and enforces NetworkPolicy, so it maps to Calico's data path
  (bridgeless veths, policy enforced; its per-node podCIDR taken as that node's blocks; the
  trace shows Calico's ``tunl0`` where kindnet routes on the node network); an older kindnet,
  minikube's ``bridge`` CNI (no CNI pod at all) and anything unknown map to flannel's data path
  (a bridge per node, per-node podCIDR routes, no NetworkPolicy enforcement). The report states
  the mapping.
* **Ingress.** A running ingress-nginx (an IngressClass whose controller is
  ``k8s.io/ingress-nginx`` and controller pods in ``ingress-nginx``) is adopted as the
  ``ingress`` add-on (:meth:`kitlib.addons.IngressNginx.adopt`): its pods route. Ingresses of
  another controller's class are stored and listed, and nothing routes them (a note says so).

Simplified or not loaded: ``managedFields`` (kubectl prints them only with
``--show-managed-fields``); v1 Endpoints, which the dump command does not print (``kubectl get
endpoints`` lists a Service's only once the EndpointSlice controller has taken it over; DNS and
kube-proxy read the slices); the dump's time is a lower bound (a dump does not say when it was
taken); kube-proxy runs in ``proxy_mode`` (iptables unless told), which the dump does not show;
``kubectl logs`` and what a container answers come from kitlib's model of its image, not from the
real container; a new node joins with minikube's naming (``<name>-mNN``). Objects the control
plane keeps beside the dump's (the ServiceCIDR, each ClusterIP's IPAddress, the ``default``
ServiceAccounts) are made at load and dated as their namespace or Service.

Nothing is dropped silently: :class:`DumpReport` (``cluster.dump_report``, printed by ``str``)
counts what was loaded per kind and lists what was skipped (kinds kitlib does not model, objects
the API server's validation refused) and what was loaded only in part (fields kitlib does not
keep, images it does not model, controllers it does not run, pods without an IP). Input that is
not such a dump (not a ``List``, items of the wrong shape or type) is a
:class:`kitlib.BadRequest` naming the problem, and no cluster is made.
"""

from __future__ import annotations

import io
import ipaddress
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import yaml

from . import manifest
from .addons.ingress_nginx import CONTROLLER_CLASS, NAMESPACE, IngressNginx
from .api.convert import clone, to_api
from .api.discovery import EndpointSlice
from .api.meta import KubeObject
from .api.networking import Ingress, IngressClass, class_of
from .api.node import Node, internal_ip, node_ready
from .api.pod import Pod, uses_host_network
from .api.registry import RESOURCES
from .api.service import Service
from .api.servicecidr import IPAddress
from .apiserver.server import ClusterConfig
from .clock import parse_timestamp
from .container import listeners
from .controllers import servicecidr
from .controllers.nodelifecycle import NodeRuntime
from .errors import ApiError, BadRequest, InvalidArgument
from .network import calico
from .network.ipam import HostLocal

if TYPE_CHECKING:
    from .runtime import Runtime

DUMP_COMMAND = ("kubectl get nodes,pods,services,endpointslices,ingresses,ingressclasses,networkpolicies,"
                "namespaces -A -o yaml")
"""What :meth:`kitlib.Cluster.from_dump` reads the output of."""
LOADED_KINDS = ("Namespace", "Node", "Pod", "Service", "EndpointSlice", "IngressClass", "Ingress", "NetworkPolicy")
"""The kinds of :data:`DUMP_COMMAND`, in the order they are loaded (a Service before its slices)."""
CNI_MAP: dict[str, tuple[str, bool]] = {
    "flannel": ("flannel", False),
    "calico": ("calico", True),
    "kindnet": ("calico", True),
    "kindnet (without network policies)": ("flannel", False),
    "bridge": ("flannel", False),
    "unknown": ("flannel", False),
}
"""The dump's CNI -> (kitlib's CNI whose data path stands in for it, whether NetworkPolicy is enforced)."""
KINDNET_POLICIES_SINCE = "20240723"
"""kindnetd builds from this date on carry kube-network-policies (aojea/kindnet#40, merged 2024-07-19;
kind's kubernetes-sigs/kind#3612, released in kind v0.24.0, 2024-08-15, closing kind#842; kindnet's
documentation, ``docs/user/network-policies``): older kindnet, such as kind v0.23's
``v20240513-cd2ac642`` (kind#3705: a default-deny policy changes nothing), enforces nothing."""
CALICO_TUNNEL_ANNOTATION = "projectcalico.org/IPv4IPIPTunnelAddr"
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
_HOLDING = ("deployment", "replicaset", "daemonset", "scheduler", "kubelet", "endpointslice")
"""The controllers whose queued work from the load is dropped: the dump's pods and slices stand."""


@dataclass(frozen=True)
class Skipped:
    """An object of the dump that was not loaded, and why."""

    kind: str
    name: str
    reason: str


@dataclass(frozen=True)
class Note:
    """An object that was loaded, with something about it kitlib does not model."""

    kind: str
    name: str
    note: str


@dataclass(frozen=True)
class DumpReport:
    """What :meth:`kitlib.Cluster.from_dump` made of a dump: counts per kind, what was skipped
    and what was loaded only in part, the address plan and the CNI mapping. ``str`` prints it."""

    source: str
    snapshot: str
    """The newest timestamp in the dump: the cluster's clock stands there."""
    cni: str
    """The CNI the dump's cluster runs (:func:`detect_cni`)."""
    kitlib_cni: str
    """kitlib's CNI whose data path stands in for it (:data:`CNI_MAP`)."""
    enforces_network_policy: bool
    config: ClusterConfig
    loaded: tuple[tuple[str, int], ...]
    """(kind, how many were loaded), in :data:`LOADED_KINDS` order."""
    skipped: tuple[Skipped, ...] = ()
    notes: tuple[Note, ...] = ()

    def count(self, kind: str) -> int:
        """How many objects of ``kind`` were loaded."""
        return dict(self.loaded).get(kind, 0)

    def __str__(self) -> str:
        lines = [f"Loaded {self.source}: a snapshot of {self.snapshot}",
                 f"  nodes on {self.config.node_cidr}, pods in {self.config.pod_cidr}, "
                 f"Services in {self.config.service_cidr}",
                 f"  CNI {self.cni} -> kitlib's {self.kitlib_cni} data path, NetworkPolicy "
                 + ("enforced" if self.enforces_network_policy else "not enforced"),
                 "  loaded: " + ", ".join(f"{n} {kind}" for kind, n in self.loaded)]
        if self.skipped:
            lines.append(f"  skipped ({len(self.skipped)}):")
            lines += [f"    {s.kind} {s.name}: {s.reason}" for s in self.skipped]
        if self.notes:
            lines.append(f"  loaded, not all modelled ({len(self.notes)}):")
            lines += [f"    {n.kind} {n.name}: {n.note}" for n in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<DumpReport {self.source}: " + ", ".join(f"{n} {k}" for k, n in self.loaded)
                + f"; {len(self.skipped)} skipped, {len(self.notes)} notes>")


@dataclass
class Parsed:
    """A dump read and decoded, before anything is built: what :func:`parse` returns."""

    source: str
    objects: list[tuple[dict[str, Any], KubeObject]]
    skipped: list[Skipped]
    notes: list[Note]
    config: ClusterConfig
    snapshot: float
    cni: str
    kitlib_cni: str
    enforces: bool
    items: int = 0
    """How many items the List had."""


# ---------------------------------------------------------------------------------------------- reading


def _text(source: str | Path | IO[str] | IO[bytes]) -> tuple[str, str]:
    """(the dump's text, a name for it): a path, YAML text, or a file-like object."""
    path = manifest.named_file(source)
    if path is not None:
        try:
            return path.read_bytes().decode("utf-8"), path.name
        except UnicodeDecodeError:
            raise BadRequest(f'error: the dump "{path.name}" is not UTF-8 text') from None
    if isinstance(source, str):
        return source, "<text>"
    if isinstance(source, io.IOBase) or hasattr(source, "read"):
        data = source.read()
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError:
                raise BadRequest("error: the dump is not UTF-8 text") from None
        if not isinstance(data, str):
            raise InvalidArgument(f"from_dump reads text, and the file gave {type(data).__name__}")
        return data, getattr(source, "name", "<file>") if isinstance(getattr(source, "name", None), str) else "<file>"
    raise InvalidArgument(f"from_dump takes a path, YAML text or a file, not {type(source).__name__}")


def _load(text: str) -> Any:
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise BadRequest(f"error: error parsing the dump: {exc}") from None


def _items(top: Any) -> list[dict[str, Any]]:
    """The List's items, or the error that says why this is not what :data:`DUMP_COMMAND` prints."""
    hint = f'from_dump reads what "{DUMP_COMMAND}" prints: a List of objects'
    if not isinstance(top, dict):
        raise BadRequest(f"error: the dump is not a List but a {_go_type(top)}: {hint}")
    if top.get("kind") != "List":
        raise BadRequest(f'error: the dump is not a List (its kind is "{top.get("kind") or ""}"): {hint}')
    items = top.get("items")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise BadRequest(f"error: the dump's items are a {_go_type(items)}, not a list: {hint}")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise BadRequest(f"error: item {i} of the dump is a {_go_type(item)}, not an object")
        for key in ("apiVersion", "kind"):
            if not isinstance(item.get(key), str) or not item.get(key):
                raise BadRequest(f"error: item {i} of the dump has no {key} (or not a string)")
        meta = item.get("metadata")
        if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta.get("name"):
            raise BadRequest(f"error: item {i} of the dump ({item['kind']}) has no metadata.name")
    return items


def _go_type(value: Any) -> str:
    return {dict: "map", list: "list", str: "string", int: "number", float: "number", bool: "bool",
            type(None): "null"}.get(type(value), type(value).__name__)


def _name(doc: dict[str, Any]) -> str:
    meta = doc.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{ns}/{meta.get('name')}" if ns else str(meta.get("name"))


def _dropped(sent: Any, kept: Any, path: str) -> Iterator[str]:
    """The paths of ``sent`` that ``kept`` (the decoded object written back) does not have."""
    if isinstance(sent, dict) and isinstance(kept, dict):
        for k, v in sent.items():
            sub = f"{path}.{k}" if path else k
            if k not in kept:
                if v not in (None, {}, [], "", False):
                    yield sub
            else:
                yield from _dropped(v, kept[k], sub)
    elif isinstance(sent, list) and isinstance(kept, list):
        for a, b in zip(sent, kept, strict=False):
            yield from _dropped(a, b, f"{path}[]")


TIME_FIELDS = frozenset({"creationTimestamp", "deletionTimestamp", "startTime", "startedAt", "finishedAt",
                         "lastTransitionTime", "lastProbeTime", "lastHeartbeatTime", "timeAdded"})
"""The ``metav1.Time`` fields of the loaded kinds: RFC 3339 times to the second, as the API writes them."""


def _bad_time(value: Any, path: str = "") -> tuple[str, Any] | None:
    """The first time field of ``value`` that is not an RFC 3339 time (path, value), or None."""
    if isinstance(value, dict):
        for k, v in value.items():
            sub = f"{path}.{k}" if path else k
            if k in TIME_FIELDS and v is not None and not (isinstance(v, str) and _TIMESTAMP.match(v)):
                return sub, v
            found = _bad_time(v, sub)
            if found:
                return found
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found = _bad_time(v, f"{path}[{i}]")
            if found:
                return found
    return None


def _timestamps(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _timestamps(v)
    elif isinstance(value, list):
        for v in value:
            yield from _timestamps(v)
    elif isinstance(value, str) and _TIMESTAMP.match(value):
        yield value


def parse(source: str | Path | IO[str] | IO[bytes]) -> Parsed:
    """Read and decode a dump without building anything: every error of its shape or its
    objects' types is raised here, before a cluster exists."""
    text, name = _text(source)
    items = _items(_load(text))
    objects: list[tuple[dict[str, Any], KubeObject]] = []
    skipped: list[Skipped] = []
    notes: list[Note] = []
    for doc in items:
        kind, version = doc["kind"], doc["apiVersion"]
        res = RESOURCES.get(kind)
        if kind not in LOADED_KINDS:
            why = "kitlib does not model this kind" if res is None or res.cls.api_version != version \
                else f"from_dump loads only the kinds of {DUMP_COMMAND.split()[2]}"
            skipped.append(Skipped(kind, _name(doc), why))
            continue
        if res is None or res.cls.api_version != version:
            skipped.append(Skipped(kind, _name(doc), f'kitlib serves {kind} as {res.cls.api_version if res else "?"}, '
                                   f"not {version}"))
            continue
        doc = {k: v for k, v in doc.items() if k != "metadata"} | {"metadata": {
            k: v for k, v in doc["metadata"].items() if k != "managedFields"}}
        bad_time = _bad_time(doc)
        if bad_time is not None:
            raise BadRequest(f"error: {kind} {_name(doc)} in the dump cannot be read: {bad_time[0]}: "
                             f"{json.dumps(bad_time[1])} is not an RFC 3339 time")
        warnings: list[str] = []
        try:
            obj = manifest.decode(doc, "Warn", warnings)
        except ApiError as exc:
            raise BadRequest(f"error: {kind} {_name(doc)} in the dump cannot be read: {exc.message}") from None
        if warnings:
            notes.append(Note(kind, _name(doc), "fields Kubernetes v1.37 does not know, dropped: "
                              + ", ".join(warnings)))
        lost = sorted(set(_dropped(doc, json.loads(json.dumps(to_api(obj))), "")) - {"apiVersion", "kind"})
        lost = [p for p in lost if not any(p.startswith(w.split('"')[1]) for w in warnings if '"' in w)]
        if lost:
            notes.append(Note(kind, _name(doc), "fields kitlib does not keep: " + ", ".join(lost)))
        objects.append((doc, obj))
    _check_addresses([o for _, o in objects])
    stamps = [s for doc, _ in objects for s in _timestamps(doc)]
    snapshot = max(parse_timestamp(s) for s in stamps) if stamps else 0.0
    config = infer_config([o for _, o in objects])
    cni = detect_cni([o for _, o in objects if isinstance(o, Pod)])
    kitlib_cni, enforces = CNI_MAP[cni]
    return Parsed(name, objects, skipped, notes, config, snapshot, cni, kitlib_cni, enforces, len(items))


def _check_addresses(objects: list[KubeObject]) -> None:
    """The addresses the network is built from must be IPv4 (kitlib simulates IPv4 clusters):
    nodes' podCIDRs and InternalIPs, pods' IPs. Else the BadRequest naming the object."""
    def check(kind: str, key: str, what: str, value: str | None, network: bool) -> None:
        if not value:
            return
        try:
            parsed = ipaddress.ip_network(value) if network else ipaddress.ip_address(value)
        except ValueError:
            raise BadRequest(f'error: {kind} {key} in the dump: {what} "{value}" is not '
                             + ("a CIDR" if network else "an IP address")) from None
        if parsed.version != 4:
            raise BadRequest(f"error: {kind} {key} in the dump: {what} {value} is IPv6, and kitlib simulates "
                             "IPv4 clusters only")

    for obj in objects:
        if isinstance(obj, Node):
            check("Node", obj.key, "podCIDR", obj.spec.pod_cidr, True)
            for a in obj.status.addresses:
                if a.type == "InternalIP":
                    check("Node", obj.key, "InternalIP", a.address, False)
        elif isinstance(obj, Pod):
            check("Pod", obj.key, "podIP", obj.status.pod_ip, False)
            check("Pod", obj.key, "hostIP", obj.status.host_ip, False)


# ---------------------------------------------------------------------------------------------- inference


def _flag(pods: Iterable[Pod], component: str, flag: str) -> str | None:
    """The value of ``--flag=`` in the command of a static control-plane pod (``component`` label)."""
    for pod in pods:
        if pod.namespace == "kube-system" and pod.metadata.labels.get("component") == component:
            for c in pod.spec.containers:
                for arg in [*(c.extra.get("command") or []), *(c.extra.get("args") or [])]:
                    if isinstance(arg, str) and arg.startswith(f"--{flag}="):
                        return arg.split("=", 1)[1].split(",")[0]
    return None


def _covering(addresses: list[str], prefix: int) -> str:
    """The smallest network of at least /``prefix`` that holds every address (or network)."""
    nets = [ipaddress.ip_network(a, strict=False) for a in addresses]
    net = ipaddress.ip_network(f"{nets[0].network_address}/{min(prefix, nets[0].prefixlen)}", strict=False)
    while not all(n.subnet_of(net) for n in nets):  # type: ignore[arg-type]  # IPv4 throughout
        net = net.supernet()
    return str(net)


def infer_config(objects: list[KubeObject]) -> ClusterConfig:
    """The cluster's address plan from the dump (see the module docstring)."""
    pods = [o for o in objects if isinstance(o, Pod)]
    nodes = [o for o in objects if isinstance(o, Node)]
    if not nodes:
        raise BadRequest("error: the dump has no Node: from_dump needs the nodes the pods run on")
    control = next((n for n in nodes if "node-role.kubernetes.io/control-plane" in n.metadata.labels), nodes[0])
    # minikube labels its nodes with the profile's name; kind names them <cluster>-control-plane.
    name = control.metadata.labels.get("minikube.k8s.io/name") or (control.name or "").removesuffix("-control-plane")
    cidrs = [n.spec.pod_cidr for n in nodes if n.spec.pod_cidr]
    pod_cidr = _flag(pods, "kube-controller-manager", "cluster-cidr") or (_covering(cidrs, 16) if cidrs
                                                                          else "10.244.0.0/16")
    node_prefix = ipaddress.ip_network(cidrs[0]).prefixlen if cidrs else 24
    service_cidr = _flag(pods, "kube-apiserver", "service-cluster-ip-range")
    if service_cidr is None:
        api = next((o for o in objects if isinstance(o, Service) and o.key == "default/kubernetes"), None)
        first = api.spec.cluster_ip if api is not None and api.spec.cluster_ip else "10.96.0.1"
        service_cidr = str(ipaddress.ip_network(f"{first}/12", strict=False))
    ips = [internal_ip(n) for n in nodes if internal_ip(n)]
    node_cidr = _covering(ips, 24) if ips else "192.168.49.0/24"
    try:
        for cidr in (pod_cidr, service_cidr, node_cidr):
            ipaddress.IPv4Network(cidr)
    except ValueError as exc:
        raise BadRequest(f"error: kitlib simulates IPv4 clusters only: {exc}") from None
    return ClusterConfig(name=name, pod_cidr=pod_cidr, service_cidr=service_cidr, node_cidr=node_cidr,
                         node_prefix=node_prefix)


def detect_cni(pods: list[Pod]) -> str:
    """The CNI the dump's cluster runs, from its system pods: ``flannel`` (``kube-flannel-ds``),
    ``calico`` (``calico-node``), ``kindnet`` (kind's, and minikube's multi-node default; with
    network policies from :data:`KINDNET_POLICIES_SINCE`), ``bridge`` (no CNI pod: minikube's
    default for one node) or ``unknown`` (a CNI kitlib does not know, such as Cilium)."""
    images = {c.image or "" for p in pods for c in p.spec.containers}
    repos = {listeners.canonical_repo(i) for i in images}
    if any("flannel" in r for r in repos):
        return "flannel"
    if any(r.endswith("calico/node") for r in repos):
        return "calico"
    kindnet = [i for i in images if "kindnetd" in i]
    if kindnet:
        tag = kindnet[0].split("@")[0].rsplit(":", 1)[-1]
        date = re.match(r"v(\d{8})", tag)
        if date is None or date.group(1) >= KINDNET_POLICIES_SINCE:
            return "kindnet"
        return "kindnet (without network policies)"
    if any(word in r for r in repos for word in ("cilium", "weave", "antrea", "canal")):
        return "unknown"
    return "bridge"


# ---------------------------------------------------------------------------------------------- building


def _keep(stored: KubeObject, dumped: KubeObject) -> None:
    """Give a stored object back the dump's uid, creationTimestamp and deletion in progress (the
    commit set its own: a pod on a node that went silent stays Terminating)."""
    meta, was = stored.metadata, dumped.metadata
    meta.uid, meta.creation_timestamp = was.uid, was.creation_timestamp
    meta.deletion_timestamp, meta.deletion_grace_period_seconds = was.deletion_timestamp, was.deletion_grace_period_seconds
    meta.generation = was.generation or meta.generation


def load(rt: Runtime, parsed: Parsed) -> DumpReport:
    """Build the dump's cluster on ``rt``, a new Runtime whose API server is empty."""
    api = rt.api
    api.clock.now = parsed.snapshot
    skipped, notes = list(parsed.skipped), list(parsed.notes)
    loaded: Counter[str] = Counter()
    by_kind: dict[str, list[KubeObject]] = {k: [] for k in LOADED_KINDS}
    for _, obj in parsed.objects:
        by_kind[obj.kind].append(obj)

    def store(obj: KubeObject, validate: bool) -> KubeObject | None:
        """Store a dumped object as it was: through its strategy (``validate``: Services, whose
        addresses the allocators must hold, and the networking kinds), or as the API server's
        own write; its uid, times and status given back afterwards."""
        dumped, status = clone(obj), clone(getattr(obj, "status", None))
        try:
            stored = api.create(obj, copy=False) if validate else api.create_trusted(obj)
        except ApiError as exc:
            skipped.append(Skipped(obj.kind, obj.key, f"the API server refuses it: {exc.message}"))
            return None
        _keep(stored, dumped)
        if status is not None:
            stored.status = status  # type: ignore[attr-defined]  # the kinds loaded here have one
        loaded[obj.kind] += 1
        return stored

    def trusted(obj: KubeObject) -> KubeObject | None:
        return store(obj, validate=False)  # the API server's own write: it does not fail

    namespaces = {o.name for o in by_kind["Namespace"]}
    for obj in by_kind["Namespace"]:
        trusted(obj)
    wanted = sorted({o.metadata.namespace for objs in by_kind.values() for o in objs if o.metadata.namespace}
                    | {"default", "kube-system"})
    for ns in wanted:
        if ns not in namespaces:
            manifest_ns = manifest.decode({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
            api.create_trusted(manifest_ns)
            notes.append(Note("Namespace", ns, "not in the dump, which has objects in it: created"))
    servicecidr.ensure_default(rt)

    for node in sorted(by_kind["Node"], key=lambda n: n.name or ""):
        _add_node(rt, trusted(node), notes)
    for pod in by_kind["Pod"]:
        node_name = pod.spec.node_name if isinstance(pod, Pod) else None
        if node_name and api.store.get("Node", node_name) is None:
            # Its node exists on the real cluster (it ran there) but not here: no machine to place it on.
            skipped.append(Skipped("Pod", pod.key, f"its node {node_name} is not in the dump (or was not loaded)"))
            continue
        _add_pod(rt, trusted(pod), notes)
    if parsed.kitlib_cni == "calico" and rt.calico is not None:
        for node in api.nodes():
            _claim_node_cidr(rt, node, parsed.cni)

    for svc in by_kind["Service"]:
        store(svc, validate=True)
    for sl in by_kind["EndpointSlice"]:
        owner = sl.metadata.labels.get("kubernetes.io/service-name")
        trusted(sl)
        if owner and api.store.get("Service", f"{sl.namespace}/{owner}") is None:
            notes.append(Note("EndpointSlice", sl.key, f"its Service {owner} was not loaded: kube-proxy ignores it"))
    for kind in ("IngressClass", "Ingress", "NetworkPolicy"):
        for obj in by_kind[kind]:
            store(obj, validate=True)

    _hold_slices(rt)
    _adopt_ingress(rt, notes)
    for pod in api.store.items_as(Pod):
        running = {cs.name for cs in pod.status.container_statuses if cs.state.running is not None}
        for c in pod.spec.containers:
            if c.name not in running:
                continue  # it never started: nothing listens, and the kubelet has not warned
            found = listeners.listening(rt, c)
            if not found.known:
                notes.append(Note("Pod", pod.key, f"container {c.name}: {found.assumed}"))
                listeners.note_unknown(rt, pod, c)
    for controller in rt.controllers.controllers:
        if controller.name in _HOLDING:
            controller.queue.clear()
    rt.controllers.run()
    _backdate(rt)
    order = {k: i for i, k in enumerate(LOADED_KINDS)}
    return DumpReport(
        source=parsed.source, snapshot=api.clock.timestamp(), cni=parsed.cni, kitlib_cni=parsed.kitlib_cni,
        enforces_network_policy=parsed.enforces, config=parsed.config,
        loaded=tuple(sorted(((k, n) for k, n in loaded.items()), key=lambda kv: order[kv[0]])),
        skipped=tuple(skipped), notes=tuple(notes))


def _backdate(rt: Runtime) -> None:
    """What the control plane wrote along with the dump's objects is as old as they are on the real
    cluster: the ServiceCIDR ``kubernetes`` as the ``default`` namespace, each IPAddress as its
    Service, each ``default`` ServiceAccount as its namespace (none of these kinds is in the dump)."""
    store = rt.api.store

    def created(kind: str, key: str) -> str | None:
        obj = store.get(kind, key)
        return obj.metadata.creation_timestamp if obj is not None else None

    for obj in store.items("ServiceCIDR"):
        obj.metadata.creation_timestamp = created("Namespace", "default") or obj.metadata.creation_timestamp
    for obj in store.items_as(IPAddress):
        ref = obj.spec.parent_ref
        if ref is not None and ref.resource == "services":
            obj.metadata.creation_timestamp = created("Service", f"{ref.namespace}/{ref.name}") \
                or obj.metadata.creation_timestamp
    for obj in store.items("ServiceAccount"):
        obj.metadata.creation_timestamp = created("Namespace", obj.namespace or "") or obj.metadata.creation_timestamp


def _add_node(rt: Runtime, node: KubeObject | None, notes: list[Note]) -> None:
    """The machine behind a loaded Node: its IPAM, its place in the network graph, up or down."""
    if not isinstance(node, Node):
        return
    api = rt.api
    cidr = node.spec.pod_cidr
    if cidr:
        api.pod_cidrs.reserve(cidr)
    tunnel: str | None = None
    if rt.calico is not None:
        ipam: HostLocal | calico.NodeBlocks = calico.NodeBlocks(rt.calico, node.name or "")
        tunnel = node.metadata.annotations.get(CALICO_TUNNEL_ANNOTATION)
        if tunnel:
            _take(rt, ipam, tunnel)
            rt.calico.tunnel[node.name or ""] = tunnel
    else:
        ipam = HostLocal(cidr or "0.0.0.0/32")
    rt.node_state[node.name or ""] = NodeRuntime(ipam=ipam, up=node_ready(node))
    if not node_ready(node):
        notes.append(Note("Node", node.name or "", "not Ready in the dump: it does not answer"))
    if not internal_ip(node):
        notes.append(Note("Node", node.name or "", "has no InternalIP: nothing reaches it"))
    if rt.calico is None and not cidr:
        notes.append(Note("Node", node.name or "", "has no podCIDR: it is left out of the pod network"))
        return
    rt.topology.add_node(node, tunnel)


def _take(rt: Runtime, ipam: HostLocal | calico.NodeBlocks, ip: str) -> bool:
    """Mark ``ip`` in use in a node's IPAM (a Calico block claimed for the node if need be);
    False when it is not the node's to hold."""
    value = int(ipaddress.IPv4Address(ip))
    if isinstance(ipam, calico.NodeBlocks):
        pool = ipam.pool
        if ipaddress.IPv4Address(ip) not in ipaddress.ip_network(pool.cidr):
            return False
        index = (value - pool.base) >> (32 - calico.BLOCK_PREFIX)
        block = pool.blocks.get(index)
        if block is None:
            block = pool.blocks[index] = calico.Block(pool.base + (index << (32 - calico.BLOCK_PREFIX)), ipam.node)
        if block.node != ipam.node:
            return False
        ordinal = value - block.base
        if ordinal in block.free:
            block.free.remove(ordinal)
        ipam.in_use.add(value)
        return True
    net = ipaddress.ip_network(ipam.subnet)
    if ipaddress.IPv4Address(ip) not in net:
        return False
    ipam.in_use.add(value)
    # host-local's cursor is not in the dump: the highest address in use stands for it.
    ipam.last_reserved = max(ipam.last_reserved or 0, value)
    return True


def _claim_node_cidr(rt: Runtime, node: Node, cni: str) -> None:
    """kindnet on Calico's data path: the node's podCIDR is its own, every /26 of it its block."""
    if cni == "calico" or not node.spec.pod_cidr or rt.calico is None:
        return
    pool = rt.calico
    net = ipaddress.ip_network(node.spec.pod_cidr)
    if not net.subnet_of(ipaddress.ip_network(pool.cidr)):  # type: ignore[arg-type]  # IPv4
        return
    step = 1 << (32 - calico.BLOCK_PREFIX)
    for base in range(int(net.network_address), int(net.broadcast_address) + 1, step):
        index = (base - pool.base) >> (32 - calico.BLOCK_PREFIX)
        if index not in pool.blocks:
            pool.blocks[index] = calico.Block(base, node.name or "")


def _add_pod(rt: Runtime, pod: KubeObject | None, notes: list[Note]) -> None:
    """A loaded pod's sandbox: its IP held by its node's IPAM, its veth in the network graph; its
    containers' images checked against what kitlib models."""
    if not isinstance(pod, Pod):
        return
    key = pod.key
    owner = pod.metadata.controller_ref()
    if owner is not None and owner.kind not in ("Node",):
        notes.append(Note("Pod", key, f"its owner {owner.kind} {owner.name} is not in the dump: the pod is kept "
                          "as it is, and nothing replaces it if it goes"))
    node_name = pod.spec.node_name or ""
    running = pod.status.phase in ("Running", "Pending") and bool(pod.status.pod_ip)
    if not node_name:
        notes.append(Note("Pod", key, f"not bound to a node ({pod.status.phase})"))
        return
    runtime = rt.node_state[node_name]  # load() skipped the pods of nodes not loaded
    if not pod.status.pod_ip:
        notes.append(Note("Pod", key, f"has no IP ({pod.status.phase}): nothing reaches it"))
        return
    if uses_host_network(pod) or not running:
        return
    if not _take(rt, runtime.ipam, pod.status.pod_ip):
        notes.append(Note("Pod", key, f"its IP {pod.status.pod_ip} is outside {node_name}'s pod range: "
                          "not wired into the pod network"))
        return
    rt.topology.add_pod(pod)


def _hold_slices(rt: Runtime) -> None:
    """The dump's EndpointSlices stand for each loaded Service until it or its pods change."""
    controller = rt.controllers.endpointslice
    store = rt.api.store
    listed: dict[str, set[str]] = {}
    for sl in store.items("EndpointSlice"):
        if not isinstance(sl, EndpointSlice):
            continue
        service = sl.metadata.labels.get("kubernetes.io/service-name")
        if not service:
            continue
        for ep in sl.endpoints:
            ref = ep.target_ref
            if ref is not None and ref.kind == "Pod" and ref.name:
                listed.setdefault(f"{ref.namespace or sl.namespace}/{ref.name}", set()).add(f"{sl.namespace}/{service}")
    for svc in store.items("Service"):
        controller.hold(svc.key, svc.metadata.resource_version or "")
    for pod_key, services in listed.items():
        controller.endpoint_pods.setdefault(pod_key, set()).update(services)


def _adopt_ingress(rt: Runtime, notes: list[Note]) -> None:
    """An ingress-nginx that runs in the dump becomes the ``ingress`` add-on; other controllers'
    classes are noted."""
    store = rt.api.store
    classes = [ic for ic in store.items("IngressClass") if isinstance(ic, IngressClass)]
    nginx = [ic for ic in classes if ic.spec.controller == CONTROLLER_CLASS]
    for ic in classes:
        if ic.spec.controller != CONTROLLER_CLASS:
            notes.append(Note("IngressClass", ic.name or "", f"controller {ic.spec.controller} is not modelled: "
                              "its Ingresses are kept and nothing routes them"))
    pods = [p for p in rt.pods(NAMESPACE) if p.metadata.labels.get("app.kubernetes.io/component") == "controller"]
    if nginx and pods:
        svc = store.get("Service", f"{NAMESPACE}/ingress-nginx-controller")
        service_type = "LoadBalancer" if isinstance(svc, Service) and svc.spec.type == "LoadBalancer" else "NodePort"
        addon = IngressNginx(rt, service_type=service_type)
        rt.addons["ingress"] = addon
        addon.adopt()
    names = {ic.name for ic in nginx} if nginx and pods else set()
    for ing in store.items("Ingress"):
        if isinstance(ing, Ingress) and class_of(ing) and class_of(ing) not in names:
            notes.append(Note("Ingress", ing.key, f'class "{class_of(ing)}" has no controller kitlib runs: '
                              "nothing routes it"))


__all__ = ["CNI_MAP", "DUMP_COMMAND", "LOADED_KINDS", "DumpReport", "Note", "Parsed", "Skipped", "detect_cni",
           "infer_config", "load", "parse"]
