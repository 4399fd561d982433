"""The random-operation generators, argument pools and driver that the fuzz tests share
(``tests/test_operations.py``, ``tests/test_fuzz_stateful.py``).

An operation is a *shape* (what is called: ``kubectl create deployment``, ``cluster.scale``, ...)
with arguments drawn from small pools, so that names already in use are hit often and about half
the calls are invalid. Pods are picked by index among the live pods when the call runs, so the
same sequence replays on a second cluster.

``KITLIB_FUZZ_OPS`` (an environment variable, read by :func:`fuzz_ops`) asks for a longer run than
CI's: ``make fuzz`` sets it.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Callable
from dataclasses import dataclass

import kitlib

SEEDS = range(100)
OPS_PER_SEED = 100
MIN_OPERATIONS = 10_000

WAITS: dict[str, str] = {
    "kubectl rollout status (waits)": "the clock moves while kubectl waits, and the controllers with it, "
                                      "whether the wait ends in success or in a timeout",
}
"""Calls that may fail after simulated time has passed: their failures are not checked for leaving
the state unchanged (only for being ApiErrors and for replaying the same)."""
PARTIAL = ("kubectl label (a second, missing name)", "kubectl delete", "kubectl apply [", "kubectl cordon/drain",
           "cluster node")
"""Shapes (or, ending in ``[``, shape prefixes) whose failure may be a :class:`kitlib.PartialFailure`:
kubectl changed some of the objects
and failed on others (``drain`` cordons the node, then refuses to evict), and says so (as a real kubectl exits 1 after printing its successes). Such a
failure must name what it changed (``err.changed``, with the successes first in its text) and must
have changed the state; one that changed nothing is checked as any other failure. Both properties
hold: every failure is an ApiError and the same calls replay the same."""

# -------------------------------------------------------------------------------- argument pools

NODES = ["minikube", "minikube-m02", "minikube-m03", "minikube-m09", "Minikube", ""]
# (good, bad): _pick draws a good value six times in seven.
NAMES = (["web", "web", "api", "db", "cache", "shop"], ["Bad_Name", "-lead", "x" * 64, "", "web.v2"])
IMAGES = (["nginx", "nginx:1.25", "busybox", "kitlib/webapp:1", "kitlib/webapp:broken"],
          ["", "Bad Image", "nginx:", "UPPER/case"])
REPLICAS = (["0", "1", "2", "3"], ["-1", "-5", "many", "1.5", ""])
HUGE_REPLICAS = ["2147483648", "99999999999"]  # past int32: the API server must refuse them
PORTS = (["80", "8080", "65535"], ["0", "-1", "65536", "70000", "http", "", "80:8080"])
TYPES = (["ClusterIP", "NodePort", "LoadBalancer"], ["nodeport", "ExternalName", "Bogus", ""])
NODE_PORTS = (["30080", "30000", "32767", "31234"], ["29999", "32768", "40000", "0", "-1", "abc"])
GOOD_NAMES = NAMES[0]
KINDS = ["deployment", "deploy", "pod", "service", "svc", "replicaset", "node", "ingress", "pdos",
         "namespace", "servicecidr", "ip"]
LABELS = ["tier=front", "tier=back", "tier-", "app=other", "bad key=x", "x=a b", "k=" + "v" * 70,
          "tier=back --overwrite", "", "team=a -l app=web"]
FAULTS = ["dependency-down", "hang", "crash", "slow", "explode", ""]
DT = [0, 0, 0.1, 0.5, 1, 2, 5, 15]


def _pick(r: random.Random, pool: tuple[list[str], list[str]]) -> str:
    good, bad = pool
    return r.choice(good) if r.random() < 0.85 else r.choice(bad)


@dataclass(frozen=True)
class PodRef:
    """The ``index``-th live pod of ``default`` when the call runs (a missing name if none)."""

    index: int

    def resolve(self, cluster: kitlib.Cluster) -> str:
        live = [p for p in cluster.pods() if p.metadata.deletion_timestamp is None]
        return live[self.index % len(live)].name if live else "no-such-pod"

    def __repr__(self) -> str:
        return f"<pod#{self.index}>"


def _resolve(cluster: kitlib.Cluster, value: object) -> object:
    if isinstance(value, PodRef):
        return value.resolve(cluster)
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], PodRef):
        return value[0] + value[1].resolve(cluster)  # ("default/", PodRef) -> "default/web-..."
    return value


@dataclass(frozen=True)
class Op:
    """One call: ``shape`` names what kind of call it is, ``text`` is how to write it by hand."""

    shape: str
    verb: str  # "kubectl" or a Cluster method
    args: tuple
    kwargs: tuple = ()

    @property
    def text(self) -> str:
        if self.verb == "kubectl":
            return f"cluster.kubectl({self.args[0]!r})"
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs]
        return f"cluster.{self.verb}({', '.join(parts)})"

    def run(self, cluster: kitlib.Cluster) -> object:
        args = [_resolve(cluster, a) for a in self.args]
        kwargs = {k: _resolve(cluster, v) for k, v in self.kwargs}
        return getattr(cluster, self.verb)(*args, **kwargs)


# -------------------------------------------------------------------------------- manifests

def _deployment(name: str, replicas: object = 2, image: str = "nginx", port: object = 80,
                app: str | None = None) -> dict:
    app = app or name
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app}},
                     "template": {"metadata": {"labels": {"app": app}},
                                  "spec": {"containers": [{"name": "c", "image": image,
                                                           "ports": [{"containerPort": port}]}]}}}}


def _service(name: str, type_: str = "ClusterIP", port: object = 80, node_port: object = None,
             app: str = "web", **spec: object) -> dict:
    p: dict = {"port": port, "targetPort": 80, "protocol": "TCP"}
    if node_port is not None:
        p["nodePort"] = node_port
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"type": type_, "selector": {"app": app}, "ports": [p], **spec}}


def _ipaddress(name: str) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "IPAddress", "metadata": {"name": name},
            "spec": {"parentRef": {"group": "gateway.networking.k8s.io", "resource": "gateways", "name": "gw"}}}


def _servicecidr(name: str, cidr: str) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "ServiceCIDR", "metadata": {"name": name},
            "spec": {"cidrs": [cidr]}}


MANIFESTS: list[tuple[str, object]] = [
    # valid
    ("Deployment api", _deployment("api")),
    ("Deployment db", _deployment("db", replicas=1, image="busybox")),
    ("Service web NodePort 30080", _service("web", "NodePort", node_port=30080)),
    ("Service web-lb LoadBalancer", _service("web-lb", "LoadBalancer")),
    ("Service api", _service("api", port=8080, app="api")),
    ("Namespace shop", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
    ("Pod solo", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "solo", "labels": {"app": "web"}},
                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}),
    ("Service db headless (YAML)", "apiVersion: v1\nkind: Service\nmetadata:\n  name: db\nspec:\n"
     "  clusterIP: None\n  selector:\n    app: db\n  ports:\n  - port: 5432\n"),
    ("Deployment web + Service web", [_deployment("web", replicas=3), _service("web", port=80)]),
    ("Ingress ing", {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "ing"},
     "spec": {"rules": [{"host": "shop.example", "http": {"paths": [{"path": "/", "pathType": "Prefix",
         "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}),
    ("IPAddress 10.96.0.99 reserved", _ipaddress("10.96.0.99")),
    ("ServiceCIDR extra 10.100.0.0/24", _servicecidr("extra", "10.100.0.0/24")),
    ("Service web at 10.100.0.7", {**_service("web"), "spec": {**_service("web")["spec"], "clusterIP": "10.100.0.7"}}),
    # invalid
    ("IPAddress 10.96.0.10 (kube-dns's) for another parent", _ipaddress("10.96.0.10")),
    ("IPAddress name 10.096.0.1", _ipaddress("10.096.0.1")),
    ("IPAddress without parentRef", {"apiVersion": "networking.k8s.io/v1", "kind": "IPAddress",
                                     "metadata": {"name": "10.96.0.98"}, "spec": {}}),
    ("IPAddress 10.96.0.97 + Service asking for it", [_ipaddress("10.96.0.97"), {**_service("taker"), "spec": {
        **_service("taker")["spec"], "clusterIP": "10.96.0.97"}}]),
    ("ServiceCIDR bits beyond the prefix", _servicecidr("sloppy", "10.100.0.1/24")),
    ("ServiceCIDR over the pod network", _servicecidr("pods", "10.244.0.0/24")),
    ("ServiceCIDR extra changed", _servicecidr("extra", "10.101.0.0/24")),
    ("Deployment Bad_Name", _deployment("Bad_Name")),
    ("Deployment replicas -1", _deployment("neg", replicas=-1)),
    ("Deployment replicas 2**31", _deployment("huge", replicas=2**31)),
    ("Deployment containerPort 70000", _deployment("badport", port=70000)),
    ("Deployment image empty", _deployment("noimage", image="")),
    ("Deployment web selector changed", _deployment("web", app="other")),
    ("Service np2 NodePort 30080", _service("np2", "NodePort", node_port=30080)),
    ("Service nodePort 40000", _service("np3", "NodePort", node_port=40000)),
    ("Service port 70000", _service("big", port=70000)),
    ("Service port 0", _service("zero", port=0)),
    ("Service type Bogus", _service("odd", "Bogus")),
    ("Service web clusterIP changed", {**_service("web"), "spec": {**_service("web")["spec"], "clusterIP": "10.96.0.77"}}),
    ("two Services same nodePort", [_service("twin-a", "NodePort", node_port=30111),
                                    _service("twin-b", "NodePort", node_port=30111)]),
    ("Namespace + Deployment replicas -2", [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "fresh"}},
                                            _deployment("x", replicas=-2)]),
    ("NodePort Service + Service port 70000", [_service("ok-first", "NodePort", node_port=30222),
                                               _service("bad-second", port=70000)]),
    ("kind Frobnicator", {"apiVersion": "v1", "kind": "Frobnicator", "metadata": {"name": "f"}}),
    ("apiVersion apps/v2", {"apiVersion": "apps/v2", "kind": "Deployment", "metadata": {"name": "v2"}}),
    ("Service in missing namespace", {"apiVersion": "v1", "kind": "Service",
                                      "metadata": {"name": "web", "namespace": "nope"},
                                      "spec": {"ports": [{"port": 80}]}}),
    ("Pod solo changed spec", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "solo"},
     "spec": {"containers": [{"name": "c", "image": "busybox", "ports": [{"containerPort": 81}]}]}}),
    ("no apiVersion", {"kind": "Deployment", "metadata": {"name": "noversion"}}),
    ("broken YAML", "kind: [unclosed\n"),
    ("empty text", ""),
    ("Deployment replicas 2.5", _deployment("half", replicas=2.5)),
    ("Deployment replicas '3'", _deployment("quoted", replicas="3")),
    ("Deployment containerPort 2**31", _deployment("wide", port=2**31)),
    ("Service nodePort string", _service("np-str", "NodePort", node_port="30080")),
    ("ConfigMap data number", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"},
                               "data": {"port": 80}}),
    ("metadata a string", {"apiVersion": "v1", "kind": "Namespace", "metadata": "shop"}),
    ("kind a number", {"apiVersion": "v1", "kind": 5, "metadata": {"name": "five"}}),
    ("List items not a list", {"apiVersion": "v1", "kind": "List", "items": {"a": "b"}}),
    ("YAML alias bomb", "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefg", "bcdefgh", strict=True))),
    ("YAML anchor inside itself", "a: &a [*a]\n"),
    ("Ingress bad host/pathType", {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
     "metadata": {"name": "bad-ing"}, "spec": {"rules": [{"host": "Foo_Bar", "http": {"paths": [
         {"path": "nope", "pathType": "Sometimes", "backend": {"service": {"name": "web"}}}]}}]}}),
]


def _yaml_text(manifest: object) -> str:
    from kitlib.api.convert import dump_yaml

    if isinstance(manifest, str):
        return manifest
    docs = manifest if isinstance(manifest, list) else [manifest]
    return "---\n".join(dump_yaml(d) for d in docs)


# -------------------------------------------------------------------------------- operations

def _kubectl(shape: str, line: str) -> Op:
    if line.startswith("rollout status") and "--watch=false" not in line:
        shape = "kubectl rollout status (waits)"
    return Op(shape, "kubectl", (line,))


def _replicas(r: random.Random) -> str:
    return r.choice(HUGE_REPLICAS) if r.random() < 0.05 else _pick(r, REPLICAS)


def _huge(line: str) -> str:
    return " (huge replicas)" if any(f"={h}" in line for h in HUGE_REPLICAS) else ""


def _create_deployment(r: random.Random) -> Op:
    line = (f"create deployment {_pick(r, NAMES)} --image={_pick(r, IMAGES)} --replicas={_replicas(r)}"
            + (f" --port={_pick(r, PORTS)}" if r.random() < 0.7 else ""))
    return _kubectl("kubectl create deployment" + _huge(line), line)


def _kubectl_scale(r: random.Random) -> Op:
    line = (f"scale {r.choice(['deployment', 'deploy', 'deploy', 'rs', 'pod', 'svc'])} {_pick(r, NAMES)} "
            f"--replicas={_replicas(r)}")
    return _kubectl("kubectl scale" + _huge(line), line)


def _apply(r: random.Random, via_kubectl: bool) -> Op:
    label, manifest = r.choice(MANIFESTS)
    if via_kubectl:
        return _kubectl(f"kubectl apply [{label}]", "apply -f - <<EOF\n" + _yaml_text(manifest) + "\nEOF")
    return _call(f"cluster.apply [{label}]", "apply", manifest)


def _kubectl_label(r: random.Random) -> Op:
    labels = r.choice(LABELS)
    # Unquoted, "bad key=x" and "x=a b" name a second object ("bad", "a") after the first.
    shape = "kubectl label (a second, missing name)" if labels in ("bad key=x", "x=a b") else "kubectl label"
    return _kubectl(shape, f"label {r.choice(KINDS)} {r.choice(GOOD_NAMES + ['minikube'])} {labels}")


def _kubectl_rollout(r: random.Random) -> Op:
    sub = r.choice(["status", "restart", "undo", "history", "pause", "resume", "bogus"])
    flag = r.choice(["", "", " --to-revision=1", " --to-revision=9", " --watch=false", " --timeout=1s"])
    target = r.choice(["deployment/", "deploy/", "deploy/", "svc/", "pod/"]) + r.choice(GOOD_NAMES)
    return _kubectl("kubectl rollout", f"rollout {sub} {target}{flag}")


def _scale_kind(r: random.Random) -> Op:
    kind = r.choice(["ReplicaSet", "Service", "Pod", "Node", "Namespace", "Frob"])
    name = {"Pod": PodRef(r.randrange(8)), "Node": "minikube", "Namespace": "default"}.get(kind, r.choice(GOOD_NAMES))
    shape = f"cluster.scale kind={kind}" if kind in ("Service", "Pod", "Node", "Namespace") else "cluster.scale kind"
    return _call(shape, "scale", name, r.choice([1, 2, -1]), kind=kind)


def _http(r: random.Random) -> Op:
    url = r.choice(["http://web/", "http://web.default.svc.cluster.local:80/", "http://192.168.49.2:30080/",
                    "http://10.96.0.1/", "https://shop.example/", "http://shop.example/api", "notaurl",
                    "http://[::1/", "http://web:99999/", "http://192.168.49.200/", "ftp://web/", ""])
    shape = "cluster.http (unclosed IPv6 bracket)" if "[" in url else "cluster.http"
    return _call(shape, "http", url, _endpoint(r),
                 **({"headers": {"Host": "shop.example"}} if r.random() < 0.2 else {}))


def _create(r: random.Random) -> Op:
    label, manifest = r.choice([m for m in MANIFESTS if isinstance(m[1], dict)])
    return _call(f"cluster.create [{label}]", "create", manifest)


def _call(shape: str, verb: str, *args: object, **kwargs: object) -> Op:
    return Op(shape, verb, args, tuple(kwargs.items()))


def _pod_or_name(r: random.Random) -> object:
    return PodRef(r.randrange(8)) if r.random() < 0.7 else r.choice(["no-such-pod", "", "Bad_Pod"])


def _endpoint(r: random.Random) -> object:
    return r.choice([("default/", PodRef(r.randrange(8))), ("default/", PodRef(r.randrange(8))),
                     "external", "node/minikube", "node/minikube-m02", "node/minikube-m09",
                     "default/no-such-pod", "nowhere", ""])


def _dst(r: random.Random) -> object:
    return r.choice([("default/", PodRef(r.randrange(8))), "node/minikube", "10.96.0.1", "10.96.0.10",
                     "192.168.49.2", "192.168.49.200", "web", "web.default.svc.cluster.local",
                     "999.1.1.1", "not an ip", ""])


def _port(r: random.Random) -> int:
    return r.choice([80, 80, 8080, 53, 30080, 0, -1, 65536, 70000])


GENERATORS: list[tuple[str, Callable[[random.Random], Op], int]] = [
    ("kubectl create deployment", _create_deployment, 6),
    ("kubectl expose", lambda r: _kubectl("kubectl expose",
        f"expose deployment {_pick(r, NAMES)} --port={_pick(r, PORTS)} --type={_pick(r, TYPES)}"
        + (f" --name={_pick(r, NAMES)}-svc" if r.random() < 0.4 else "")
        + (f" --target-port={_pick(r, PORTS)}" if r.random() < 0.3 else "")), 5),
    ("kubectl scale", _kubectl_scale, 4),
    ("kubectl delete", lambda r: _kubectl("kubectl delete",
        f"delete {r.choice(KINDS)} {r.choice(GOOD_NAMES + ['no-such', 'web-svc', 'api-svc'])}"), 4),
    ("kubectl label", _kubectl_label, 3),
    ("kubectl get/describe", lambda r: _kubectl("kubectl get/describe",
        f"{r.choice(['get', 'describe'])} {r.choice(KINDS + ['all', 'pods,svc', 'endpoints'])} "
        f"{r.choice(GOOD_NAMES + ['minikube', '', ''])} {r.choice(['', '-o wide', '-o yaml', '-A', '-o bogus'])}"), 4),
    ("kubectl read", lambda r: _kubectl("kubectl read", r.choice([
        "get pods", "get pods -o wide", "get svc", "get deploy,rs", "get nodes -o wide", "get endpointslices",
        "get ingress", "get pods -A", "get svc -o yaml", "describe node minikube", "describe deployment web",
        "get deployment web -o json", "get pods -l app=web", "rollout status deployment/web",
        "rollout history deployment/web"])), 10),
    ("kubectl rollout", _kubectl_rollout, 3),
    ("kubectl set image", lambda r: _kubectl("kubectl set image",
        f"set image deployment/{r.choice(GOOD_NAMES)} {r.choice(['nginx', 'c', 'busybox', 'x', '*'])}="
        f"{_pick(r, IMAGES)}"), 3),
    ("kubectl create ingress", lambda r: _kubectl("kubectl create ingress",
        f"create ingress {r.choice(GOOD_NAMES)} "
        + r.choice(["--rule=shop.example/*=web:80", "--rule=/=web:80", "--rule=foo_bar.com/=web:80",
                    "--rule=x.example=svc:80", "--default-backend=web:80", "--default-backend=web:",
                    "--rule=shop.example/api*=api:http", "--rule=10.0.0.1/=web:80", ""])
        + r.choice(["", "", " --class=nginx", " --class=traefik"])), 3),
    ("kubectl create service", lambda r: _kubectl("kubectl create service",
        f"create service {r.choice(['nodeport', 'clusterip', 'loadbalancer', 'externalname', 'bogus'])} "
        f"{_pick(r, NAMES)} "
        + r.choice([f"--tcp={_pick(r, PORTS)}", f"--tcp={_pick(r, PORTS)} --node-port={_pick(r, NODE_PORTS)}",
                    "--tcp=80,80", "--clusterip=None", "--clusterip=10.96.0.77 --tcp=80",
                    "--external-name=db.example.com", ""])), 4),
    ("kubectl apply", lambda r: _apply(r, True), 4),
    ("kubectl cordon/drain", lambda r: _kubectl("kubectl cordon/drain",
        f"{r.choice(['cordon', 'uncordon', 'drain'])} {r.choice(NODES)}"
        + r.choice(["", " --ignore-daemonsets"])), 2),
    ("kubectl misc", lambda r: _kubectl("kubectl misc", r.choice([
        "frobnicate pods", "", "get", "create", "delete", "scale", "expose", "label", "set image",
        "annotate deployment/web team=a", "annotate deployment/nope team=a", "create namespace shop",
        "create ns Bad_NS", "delete namespace shop", "get pods -l 'app in (web'", "create deployment web",
        "exec no-such-pod -- hostname", "apply -f /nope/web.yaml"])), 1),
    ("cluster.apply", lambda r: _apply(r, False), 4),
    ("cluster.create", _create, 3),
    ("cluster.scale", lambda r: _call("cluster.scale", "scale", r.choice(GOOD_NAMES),
        r.choice([0, 1, 2, 3, 4, -1, -7])), 4),
    ("cluster.scale huge", lambda r: _call("cluster.scale (huge replicas)", "scale", "web", 2**31), 1),
    ("cluster.scale kind", _scale_kind, 2),
    ("cluster.delete", lambda r: _call("cluster.delete", "delete",
        r.choice(["Pod", "Deployment", "Service", "ReplicaSet", "Ingress", "Frob", "Node"]),
        r.choice(GOOD_NAMES + ["no-such", "minikube-m09"])), 3),
    ("cluster.delete pod", lambda r: _call("cluster.delete pod", "delete", "Pod", PodRef(r.randrange(8))), 2),
    ("cluster.label", lambda r: _call("cluster.label", "label", r.choice(["Deployment", "Pod", "Service", "Node"]),
        r.choice(GOOD_NAMES + ["minikube"]), r.choice([
            {"tier": "front"}, {"tier": "back"}, {"tier": None}, {"app": "other"}, {"bad key": "x"},
            {"k": "v" * 70}, {"x": "a b"}, {}]), overwrite=r.random() < 0.3), 3),
    ("cluster.label pod", lambda r: _call("cluster.label pod", "label", "Pod", PodRef(r.randrange(8)),
        r.choice([{"app": "other"}, {"tier": "a"}, {"bad key": "x"}, {"app": None}]),
        overwrite=r.random() < 0.5), 2),
    ("cluster.connect", lambda r: _call("cluster.connect", "connect", _endpoint(r), _dst(r), _port(r),
        r.choice(["TCP", "TCP", "UDP", "SCTP", "ICMP"])), 3),
    ("cluster.http", _http, 3),
    ("cluster.traffic", lambda r: _call("cluster.traffic", "traffic", _endpoint(r), _dst(r), _port(r),
        requests=r.choice([1, 10, 50, 0, -3]), **({"duration": r.choice([1.0, 5.0, 0.0, -1.0])}
                                                    if r.random() < 0.3 else {})), 3),
    ("cluster.resolve", lambda r: _call("cluster.resolve", "resolve", r.choice([
        "web", "web.default", "web.default.svc.cluster.local", "kubernetes", "nope", "",
        "_http._tcp.web.default.svc.cluster.local", "10.96.0.1", "1.0.96.10.in-addr.arpa"]),
        r.choice([None, None, ("default/", PodRef(r.randrange(8))), "node/minikube", "external", "bogus"]),
        r.choice(["A", "A", "SRV", "CNAME", "AAAA", "PTR", "MX", ""])), 2),
    ("cluster.set_fault", lambda r: _call("cluster.set_fault", "set_fault", _pod_or_name(r), r.choice(FAULTS),
        r.random() < 0.6), 3),
    ("cluster node", lambda r: _call("cluster node", r.choice(["fail_node", "restore_node", "cordon",
                                                               "uncordon", "drain"]), r.choice(NODES)), 3),
    ("cluster.set_proxy_mode", lambda r: _call("cluster.set_proxy_mode", "set_proxy_mode",
        r.choice(["iptables", "ipvs", "IPVS", "nftables", ""])), 1),
    ("cluster.enable_addon metallb", lambda r: _call("cluster.enable_addon metallb", "enable_addon", "metallb",
        **({} if r.random() < 0.1 else {"addresses": r.choice([
            "192.168.49.200-192.168.49.250", "192.168.49.200-192.168.49.201", "192.168.49.192/27",
            "192.168.49.250-192.168.49.200", "nonsense", "", "10.0.0.1-10.0.0.300"])})), 2),
    ("cluster.enable_addon other", lambda r: _call("cluster.enable_addon other", "enable_addon",
        r.choice(["bogus", "ingress", "ingress", "dashboard"]),
        **({"replicas": 2} if r.random() < 0.2 else {})), 1),
    ("cluster.disable_addon", lambda r: _call("cluster.disable_addon", "disable_addon",
        r.choice(["metallb", "ingress", "bogus"])), 1),
    ("cluster.advance", lambda r: _call("cluster.advance", "advance", r.choice(DT)), 12),
    ("cluster.advance negative", lambda r: _call("cluster.advance negative", "advance", -1), 1),
]
_WEIGHTS = [w for _, _, w in GENERATORS]


def operations(seed: int, count: int) -> list[Op]:
    """``count`` operations drawn by a generator seeded with ``seed``."""
    r = random.Random(seed)
    ops: list[Op] = []
    while len(ops) < count:
        ops.append(r.choices(GENERATORS, _WEIGHTS)[0][1](r))
    return ops


def new_cluster(seed: int) -> kitlib.Cluster:
    cluster = kitlib.Cluster(nodes=1 + seed % 3, seed=seed)
    cluster.kubectl("create deployment web --image=nginx --replicas=2 --port=80")
    cluster.advance(5)
    return cluster


# -------------------------------------------------------------------------------- the driver

_ADDRESS = re.compile(r" at 0x[0-9a-f]+")


def render(result: object) -> str:
    """An operation's return value as text (objects as their API dicts)."""
    if isinstance(result, str):
        return result
    if isinstance(result, list):
        return "[" + ", ".join(render(x) for x in result) + "]"
    if hasattr(result, "to_dict") and hasattr(result, "metadata"):
        return repr(result.to_dict())
    if type(result).__module__.startswith("kitlib.addons"):
        return type(result).__name__  # the add-on object itself; its state is in the snapshot
    return _ADDRESS.sub("", repr(result))


@dataclass
class Violation:
    seed: int
    step: int
    op: Op
    problem: str

    def __str__(self) -> str:
        return f"seed={self.seed} step={self.step} [{self.op.shape}] {self.op.text}: {self.problem}"


def _first_difference(before: dict, after: dict) -> str:
    for key in before:
        if before[key] != after.get(key):
            return key
    return "?"


def _partial_problems(op: Op, err: kitlib.PartialFailure, before: dict, after: dict) -> list[str]:
    """What is wrong with a failure that reports partial success: it must come from a shape known
    to be per object, report its successes before its errors, and have changed the state."""
    found = []
    if not any(op.shape == p or (p.endswith("[") and op.shape.startswith(p)) for p in PARTIAL):
        found.append(f"a partial failure from a shape not in PARTIAL: {err}")
    if not str(err).startswith(err.output) or not err.output or not err.errors:
        found.append(f"a partial failure that does not print its successes, then its errors: {err!r}")
    if after == before:
        found.append(f"reports changing {err.changed} but changed nothing")
    return found


def checked_call(cluster: kitlib.Cluster, op: Op, before: dict | None) -> tuple[str, dict | None, list[str]]:
    """Run one operation: its output, the state after a failure (None if not taken) and what went
    wrong. With ``before`` (the state before the call), a failed call must leave it unchanged,
    except a :data:`WAITS` shape and a :class:`kitlib.PartialFailure` that reports its changes."""
    try:
        return "ok: " + render(op.run(cluster)), None, []
    except kitlib.ApiError as err:
        output = f"{type(err).__name__}: {err}"
        if before is None or op.shape in WAITS:
            return output, None, []
        after = cluster.state()
        if isinstance(err, kitlib.PartialFailure) and err.changed:
            return output, after, _partial_problems(op, err, before, after)
        if after != before:
            return output, after, [f"failed ({type(err).__name__}: {err}) but changed "
                                   f"{_first_difference(before, after)}"]
        return output, after, []
    except Exception as err:  # noqa: BLE001 - a plain exception from the internals is itself a finding
        return f"PLAIN {type(err).__name__}: {err}", None, [f"plain {type(err).__name__}: {err}"]


def drive(seed: int, ops: list[Op], check_atomic: bool) -> tuple[list[str], dict, list[Violation]]:
    """Run ``ops`` on a fresh cluster; the outputs, the final snapshot and what went wrong."""
    cluster = new_cluster(seed)
    outputs: list[str] = []
    problems: list[Violation] = []
    after: dict | None = None
    for step, op in enumerate(ops):
        # After a failed call the state is the one just checked: that snapshot serves as the next "before".
        before = (after or cluster.state()) if check_atomic else None
        output, after, found = checked_call(cluster, op, before)
        outputs.append(output)
        problems += [Violation(seed, step, op, p) for p in found]
    return outputs, cluster.state(), problems


def run_all(seeds=SEEDS, per_seed: int = OPS_PER_SEED) -> tuple[int, int, list[Violation]]:
    """Each seed's operations on two fresh clusters: the number run, how many failed, the violations."""
    executed = failed = 0
    problems: list[Violation] = []
    for seed in seeds:
        ops = operations(seed, per_seed)
        out_a, final_a, problems_a = drive(seed, ops, check_atomic=True)
        out_b, final_b, _ = drive(seed, ops, check_atomic=False)
        executed += len(out_a)
        failed += sum(not o.startswith("ok: ") for o in out_a)
        problems += problems_a
        for step, (a, b) in enumerate(zip(out_a, out_b, strict=True)):
            if a != b:
                problems.append(Violation(seed, step, ops[step], f"not deterministic: {a[:200]!r} != {b[:200]!r}"))
                break
        else:
            if final_a != final_b:
                problems.append(Violation(seed, len(ops) - 1, ops[-1], "not deterministic: final snapshots differ in "
                                          + _first_difference(final_a, final_b)))
    return executed, failed, problems



def fuzz_ops(default: int) -> int:
    """How many operations a fuzz test runs: ``KITLIB_FUZZ_OPS`` if set (``make fuzz``), else ``default``."""
    value = os.environ.get("KITLIB_FUZZ_OPS", "")
    return int(value) if value.strip() else default
