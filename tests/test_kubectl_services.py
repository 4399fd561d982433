"""kubectl for Services: `expose`, `create service`, `get svc,endpoints,endpointslices` and
`describe svc`, checked against the real kubectl where it is installed.

`create service ... --dry-run=client` needs no cluster, so its output is compared with the real
kubectl's directly. `expose` and `describe` read objects from the API server, so for them the
real kubectl talks to a small read-only stub of the API that serves this cluster's objects:
the output of kubectl's own client-side code is then compared with kitlib's.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import threading
import time
import urllib.parse
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import oracle
import pytest
import yaml

import kitlib
from kitlib.api.labels import parse_selector
from kitlib.api.service import LoadBalancerIngress
from kitlib.errors import AlreadyExists, ApiError, BadRequest, Invalid, NotFound
from kitlib.kubectl.output import stderr_text

KUBECTL = oracle.KUBECTL
needs_kubectl = oracle.needs_kubectl


def real(*args: str) -> tuple[int, str]:
    """Run the real kubectl without a cluster: (exit code, stdout + stderr)."""
    done = subprocess.run([KUBECTL, *args], capture_output=True, text=True, timeout=60, check=False)
    return done.returncode, done.stdout + done.stderr


def rows(text: str) -> list[list[str]]:
    return [re.split(r"\s{2,}", line) for line in text.splitlines()]


# ------------------------------------------------------------------- a stub API for kubectl

GROUPS = {
    ("", "v1"): [("services", "Service", True, ["svc"]), ("endpoints", "Endpoints", True, ["ep"]),
                 ("pods", "Pod", True, ["po"]), ("namespaces", "Namespace", False, ["ns"]),
                 ("events", "Event", True, ["ev"]), ("nodes", "Node", False, ["no"])],
    ("apps", "v1"): [("deployments", "Deployment", True, ["deploy"]), ("replicasets", "ReplicaSet", True, ["rs"])],
    ("discovery.k8s.io", "v1"): [("endpointslices", "EndpointSlice", True, [])],
    ("networking.k8s.io", "v1"): [("ipaddresses", "IPAddress", False, ["ip"]),
                                  ("servicecidrs", "ServiceCIDR", False, [])],
}


def _events(cluster: kitlib.Cluster, selector: str) -> list[dict]:
    """The cluster's events as the API lists them, dated so that the real kubectl (which
    measures age against the wall clock) sees the same ages as the simulation."""
    uid = dict(term.split("=", 1) for term in selector.split(",") if "=" in term).get("involvedObject.uid")
    # Timestamps are whole seconds and kubectl truncates ages, so an age comes out right only if
    # kubectl prints within the second the events were stamped in: stamp early in a second.
    if time.time() % 1 > 0.25:
        time.sleep(1.001 - time.time() % 1)
    wall = math.floor(time.time())

    def stamp(t: float) -> str:
        moment = datetime.fromtimestamp(wall - int(cluster.now - t), tz=timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    out = []
    for i, e in enumerate(e for e in cluster.events.all() if e.key == uid):
        out.append({"metadata": {"name": f"e{i}", "namespace": "default"}, "type": e.type,
                    "reason": e.reason, "message": e.message, "count": e.count,
                    "source": {"component": e.source},
                    "involvedObject": {"kind": e.kind, "uid": e.key, "fieldPath": e.field_path},
                    "firstTimestamp": stamp(e.first_seen), "lastTimestamp": stamp(e.last_seen)})
    return out


def _handler(cluster: kitlib.Cluster):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def send(self, code: int, body: dict, kind: str = "") -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            for text in cluster.api.warnings(kind) if kind else ():  # the API server's Warning headers
                self.send_header("Warning", f'299 - "{text}"')
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802 (http.server's name)
            url = urllib.parse.urlparse(self.path)
            query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
            parts = [p for p in url.path.split("/") if p]
            if parts == ["api"]:
                return self.send(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []})
            if parts == ["apis"]:
                return self.send(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                    {"name": g, "versions": [{"groupVersion": f"{g}/{v}", "version": v}],
                     "preferredVersion": {"groupVersion": f"{g}/{v}", "version": v}} for g, v in GROUPS if g]})
            group, version, rest = ("", parts[1], parts[2:]) if parts[:1] == ["api"] else \
                (parts[1], parts[2], parts[3:]) if len(parts) >= 3 else ("", "", [])
            if (group, version) not in GROUPS:
                return self.send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404})
            gv = f"{group}/{version}" if group else version
            if not rest:
                return self.send(200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                                       "resources": [{"name": p, "singularName": k.lower(), "namespaced": n, "kind": k,
                                                      "verbs": ["get", "list"], "shortNames": s}
                                                     for p, k, n, s in GROUPS[(group, version)]]})
            namespace = None
            if rest[0] == "namespaces" and len(rest) >= 3:
                namespace, rest = rest[1], rest[2:]
            kind = next(k for p, k, _, _ in GROUPS[(group, version)] if p == rest[0])
            if kind == "Event":
                return self.send(200, {"kind": "EventList", "apiVersion": "v1", "metadata": {},
                                       "items": _events(cluster, query.get("fieldSelector", ""))})
            if len(rest) > 1:
                try:
                    return self.send(200, cluster.get(kind, rest[1], namespace or "default").to_dict(), kind)
                except NotFound as err:
                    return self.send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404,
                                           "reason": "NotFound", "message": err.message,
                                           "details": {"name": rest[1], "kind": rest[0]}}, kind)
            sel = query.get("labelSelector")
            items = cluster.list(kind, namespace, parse_selector(sel) if sel else None)
            return self.send(200, {"kind": f"{kind}List", "apiVersion": gv, "metadata": {"resourceVersion": "1"},
                                   "items": [o.to_dict() for o in items]}, kind)

    return Handler


@pytest.fixture
def against_real(tmp_path):
    """``against_real(cluster)`` returns ``kubectl(command)``: what the real kubectl prints for
    ``command`` when its API server serves ``cluster``'s objects."""
    oracle.require()
    servers = []

    def attach(cluster: kitlib.Cluster):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(cluster))
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        servers.append(server)
        config = tmp_path / f"config-{len(servers)}"
        config.write_text(f"""apiVersion: v1
kind: Config
clusters: [{{name: stub, cluster: {{server: "http://127.0.0.1:{server.server_address[1]}"}}}}]
contexts: [{{name: stub, context: {{cluster: stub, user: stub}}}}]
current-context: stub
users: [{{name: stub, user: {{}}}}]
""")

        def kubectl(command: str) -> str:
            return real("--kubeconfig", str(config), "--cache-dir", str(tmp_path / "cache"), *command.split())[1]
        return kubectl

    yield attach
    for server in servers:
        server.shutdown()


def ours(cluster: kitlib.Cluster, command: str) -> str:
    """What kitlib's kubectl prints, success or error, with kubectl's final newline: stdout, then
    stderr (its warnings, then the error), as :func:`real` joins them."""
    try:
        out = cluster.kubectl(command)
    except ApiError as err:
        return stderr_text(err.warnings) + str(err) + "\n"
    return out + "\n" + out.stderr


# ------------------------------------------------------------------------- create service

CREATE = [
    "create service clusterip web --tcp=80:8080",
    "create service clusterip web --tcp=80:8080,443:8443",
    "create service clusterip web --tcp=80 --tcp=443",
    "create service clusterip web --tcp=80:http",
    "create service clusterip web --clusterip=None",
    "create service clusterip web --clusterip=10.96.0.50 --tcp=80",
    "create service nodeport web --tcp=80:8080 --node-port=30080",
    "create service nodeport web --tcp=80",
    "create service loadbalancer web --tcp=80",
    "create service externalname db --external-name=db.example.com",
    "create service externalname db --external-name=db.example.com --tcp=5432",
    "create svc clusterip web --tcp=80 -n shop",
]


@needs_kubectl
@pytest.mark.parametrize("command", CREATE)
def test_create_service_prints_what_kubectl_prints(cluster, command):
    """`create service ... --dry-run=client -o yaml|json|name` prints the real kubectl's text."""
    for flags in ("-o yaml", "-o json", "-o name", ""):
        rc, theirs = real(*command.split(), "--dry-run=client", *flags.split())
        assert rc == 0
        assert cluster.kubectl(f"{command} --dry-run=client {flags}") + "\n" == theirs


@needs_kubectl
@pytest.mark.parametrize("command", [
    "create service clusterip web",
    "create service nodeport web",
    "create service clusterip web --tcp=abc",
    "create service clusterip web --tcp=70000",
    "create service clusterip web --tcp=80:0",
    "create service clusterip web --tcp=80:Http",
    "create service clusterip web --tcp=80:8080,",
    "create service clusterip --tcp=80",
    "create service clusterip a b --tcp=80",
    "create service loadbalancer web --tcp=80 --node-port=30000",
    "create service nodeport web --tcp=80 --node-port=abc",
    "create service externalname db --external-name=DB_x",
    "create service foo web",
    "create service",
])
def test_create_service_refuses_what_kubectl_refuses(cluster, snapshot, command):
    """kubectl's own checks, before anything reaches the server, with its exact words."""
    rc, theirs = real(*command.split())
    assert rc == 1
    before = snapshot(cluster)
    with pytest.raises(BadRequest):
        cluster.kubectl(command)
    assert ours(cluster, command) == theirs
    assert snapshot(cluster) == before


def test_create_service_needs_external_name(cluster):
    """externalname without --external-name is refused (the real kubectl logs the same words)."""
    with pytest.raises(BadRequest, match=re.escape('required flag(s) "external-name" not set')):
        cluster.kubectl("create service externalname db")


def test_create_service_creates_it(cluster):
    """Without --dry-run the Service is created, gets its defaults and allocations, and kubectl
    says `service/<name> created`."""
    assert cluster.kubectl("create service nodeport web --tcp=80:8080 --node-port=30080") == "service/web created"
    s = cluster.get("Service", "web")
    assert (s.spec.type, s.spec.selector, s.metadata.labels) == ("NodePort", {"app": "web"}, {"app": "web"})
    assert [(p.name, p.port, p.target_port, p.node_port) for p in s.spec.ports] == [("80-8080", 80, 8080, 30080)]
    assert cluster.service_ips.in_use(s.spec.cluster_ip)
    assert cluster.kubectl("create service clusterip api --tcp=80 -o name") == "service/api"


def test_create_service_wraps_the_server_error(cluster, snapshot):
    """kubectl prefixes the server's refusal with `failed to create <Type> service:`."""
    cluster.kubectl("create service nodeport web --tcp=80 --node-port=30080")
    before = snapshot(cluster)
    with pytest.raises(Invalid) as info:
        cluster.kubectl("create service nodeport api --tcp=80 --node-port=30080")
    assert str(info.value) == ('error: failed to create NodePort service: Service "api" is invalid: '
                               "spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated")
    with pytest.raises(AlreadyExists, match=re.escape(
            'error: failed to create ClusterIP service: services "web" already exists')):
        cluster.kubectl("create service clusterip web --tcp=80")
    with pytest.raises(Invalid, match=re.escape(
            'error: failed to create ClusterIP service: Service "two" is invalid: [spec.ports[1].name: Duplicate value: '
            '"443", spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), '
            'Port:443, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}]')):
        cluster.kubectl("create service clusterip two --tcp=443,443")
    with pytest.raises(NotFound, match=re.escape(
            'error: failed to create ClusterIP service: namespaces "shop" not found')):
        cluster.kubectl("create service clusterip web --tcp=80 -n shop")
    assert snapshot(cluster) == before


def test_server_dry_run_checks_without_keeping(cluster, snapshot):
    """`--dry-run=server` runs the server's defaults, allocation and validation, keeps nothing."""
    before = snapshot(cluster)
    assert cluster.kubectl("create service nodeport web --tcp=80 --dry-run=server") == \
        "service/web created (server dry run)"
    shown = yaml.safe_load(cluster.kubectl("create service nodeport web --tcp=80 --dry-run=server -o yaml"))
    assert shown["spec"]["ports"][0]["nodePort"] and shown["spec"]["clusterIP"]
    with pytest.raises(Invalid, match="Service \"x\" is invalid: spec.ports\\[0\\].nodePort"):
        cluster.kubectl("create service nodeport x --tcp=80 --node-port=40000 --dry-run=server")
    assert snapshot(cluster) == before


# -------------------------------------------------------------------------------- expose


def test_expose_deployment(web):
    """`expose deployment web --port=80` names the Service after the deployment, copies its
    selector and labels, and targets the same port."""
    assert web.kubectl("expose deployment web --port=80") == "service/web exposed"
    s = web.get("Service", "web")
    assert (s.spec.type, s.spec.selector, s.metadata.labels) == ("ClusterIP", {"app": "web"}, {"app": "web"})
    assert [(p.name, p.port, p.protocol, p.target_port) for p in s.spec.ports] == [(None, 80, "TCP", 80)]
    assert len(web.get("EndpointSlice", _slice_name(web, "web")).endpoints) == 3


def _slice_name(cluster, svc):
    return cluster.list("EndpointSlice", "default", f"kubernetes.io/service-name={svc}")[0].name


def test_expose_with_type_name_and_target_port(web):
    """--type, --name, --target-port and --protocol go into the Service as given."""
    out = web.kubectl("expose deployment web --name=web-np --type=NodePort --port=8080 --target-port=80")
    assert out == "service/web-np exposed"
    s = web.get("Service", "web-np")
    assert (s.spec.type, s.spec.ports[0].port, s.spec.ports[0].target_port) == ("NodePort", 8080, 80)
    assert 30000 <= s.spec.ports[0].node_port <= 32767


def test_expose_pod_uses_its_labels_and_ports(web):
    """A pod's labels become the selector and its declared container port the default port."""
    pod = web.pods()[0]
    web.kubectl(f"expose pod {pod.name} --name=one")
    s = web.get("Service", "one")
    assert s.spec.selector == pod.metadata.labels
    assert [(p.port, p.target_port) for p in s.spec.ports] == [(80, 80)]


def test_expose_without_any_port(cluster, snapshot):
    """No --port and no declared container port: kubectl cannot guess one."""
    cluster.kubectl("create deployment web --image=nginx")
    before = snapshot(cluster)
    with pytest.raises(BadRequest, match="^error: couldn't find port via --port flag or introspection$"):
        cluster.kubectl("expose deployment web")
    assert snapshot(cluster) == before


def test_expose_twice_is_already_exists(web):
    """Exposing again under the same name is the server's AlreadyExists."""
    web.kubectl("expose deployment web --port=80")
    with pytest.raises(AlreadyExists, match=re.escape('Error from server (AlreadyExists): services "web" already '
                                                      "exists")):
        web.kubectl("expose deployment web --port=80")


def test_expose_into_a_namespace(cluster):
    """-n exposes the deployment of that namespace, in that namespace."""
    cluster.kubectl("create namespace shop")
    cluster.kubectl("create deployment cart --image=nginx --port=8080 -n shop")
    assert cluster.kubectl("expose deployment cart -n shop") == "service/cart exposed"
    assert cluster.get("Service", "cart", "shop").spec.ports[0].port == 8080


def test_expose_refuses_a_bad_type(web, snapshot):
    """The type is not checked by kubectl: the server refuses it."""
    before = snapshot(web)
    with pytest.raises(Invalid, match=re.escape('The Service "web" is invalid: spec.type: Unsupported value: '
                                                '"nodeport": supported values:')):
        web.kubectl("expose deployment web --port=80 --type=nodeport")
    assert snapshot(web) == before


@pytest.fixture
def exposable(cluster):
    """Objects to expose in every shape kubectl handles."""
    cluster.kubectl("create deployment web --image=nginx --replicas=2 --port=80")
    cluster.apply("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: multi, labels: {app: multi, tier: front}}
spec:
  selector: {matchLabels: {app: multi}}
  template:
    metadata: {labels: {app: multi, tier: front}}
    spec:
      containers:
      - {name: a, image: nginx, ports: [{containerPort: 80}, {containerPort: 443, name: https}]}
      - {name: b, image: dns, ports: [{containerPort: 53, protocol: UDP}, {containerPort: 53, protocol: TCP}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: expr}
spec:
  selector:
    matchLabels: {app: expr}
    matchExpressions: [{key: tier, operator: In, values: [a, b]}, {key: x, operator: Exists}]
  template:
    metadata: {labels: {app: expr, tier: a, x: y}}
    spec: {containers: [{name: a, image: nginx}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: onlyexpr}
spec:
  selector: {matchExpressions: [{key: tier, operator: In, values: [a]}]}
  template:
    metadata: {labels: {tier: a}}
    spec: {containers: [{name: a, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: lonely}
spec: {containers: [{name: a, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: tagged, labels: {run: tagged}}
spec: {containers: [{name: a, image: nginx, ports: [{containerPort: 8080, name: http}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: nosel}
spec: {ports: [{port: 80}]}
""")
    cluster.kubectl("expose deployment web --port=80 --target-port=80 --type=NodePort")
    cluster.advance(30)
    return cluster


EXPOSE = [
    "expose deployment web --port=80",
    "expose deployment/web --port=80 -n default",
    "expose deploy web --port=80 --cluster-ip=None",
    "expose deployment multi",
    "expose deployment multi --port=53",
    "expose deployment multi --port=80 --protocol=UDP",
    "expose deployment multi --port=80,90 --target-port=http",
    "expose deployment expr --port=80",
    "expose deployment onlyexpr --port=80",
    "expose pod lonely --port=80",
    "expose pod lonely --cluster-ip=None",
    "expose pod tagged",
    "expose service web --name=web2",
    "expose service web --name=web2 --target-port=8080 --type=LoadBalancer --load-balancer-ip=1.2.3.4 "
    "--external-ip=5.6.7.8 --session-affinity=ClientIP --cluster-ip=10.96.0.99",
    "expose service nosel --name=x",
    "expose deployment web --selector=a=b,c=d --labels=tier=x",
    "expose deployment web --selector=a",
    "expose deployment web --labels=a",
    "expose deployment web --port=abc",
    "expose deployment web --session-affinity=Foo",
    "expose node minikube --port=80",
    "expose deployment --port=80",
    "expose --port=80",
    "expose deployment nope --port=80",
]


@pytest.mark.parametrize("command", EXPOSE)
def test_expose_builds_what_kubectl_builds(exposable, against_real, command):
    """`expose ... --dry-run=client` prints what the real kubectl prints for the same objects
    (Service, errors and all), in yaml and json."""
    kubectl = against_real(exposable)
    for flags in ("-o yaml", "-o json"):
        full = f"{command} --dry-run=client {flags}"
        assert ours(exposable, full) == kubectl(full)


def test_expose_dry_run_name_and_plain(exposable, against_real):
    """`-o name` and no -o print `service/<name>` and `service/<name> exposed (dry run)`."""
    kubectl = against_real(exposable)
    for command in ("expose pod tagged --dry-run=client -o name", "expose pod tagged --dry-run=client"):
        assert ours(exposable, command) == kubectl(command)


def test_expose_replicaset(exposable, against_real):
    """A ReplicaSet is exposed like its Deployment."""
    rs = exposable.list("ReplicaSet", selector="app=web")[0].name
    command = f"expose rs {rs} --dry-run=client -o yaml"
    assert ours(exposable, command) == against_real(exposable)(command)


# ----------------------------------------------------------------------------------- get


@pytest.fixture
def zoo(cluster):
    """A Service of every kind, with their pods running."""
    cluster.kubectl("create deployment web --image=nginx --replicas=4 --port=80")
    cluster.kubectl("expose deployment web --port=80")
    cluster.kubectl("expose deployment web --name=web-np --type=NodePort --port=80")
    cluster.kubectl("expose deployment web --name=web-lb --type=LoadBalancer --port=80")
    cluster.kubectl("create service externalname db --external-name=db.example.com")
    cluster.kubectl("create service clusterip headless --clusterip=None")
    cluster.advance(30)
    return cluster


def test_get_services(zoo):
    """NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE: `80:3xxxx/TCP` for node ports, `<pending>`
    for a load balancer nobody serves, the externalName, `None` for headless."""
    svc = {s.name: s for s in zoo.list("Service")}
    np, lb = svc["web-np"].spec.ports[0].node_port, svc["web-lb"].spec.ports[0].node_port
    table = rows(zoo.kubectl("get svc"))
    assert table == [
        ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
        ["db", "ExternalName", "<none>", "db.example.com", "<none>", "30s"],
        ["headless", "ClusterIP", "None", "<none>", "<none>", "30s"],
        ["kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP", "2m30s"],
        ["web", "ClusterIP", svc["web"].spec.cluster_ip, "<none>", "80/TCP", "30s"],
        ["web-lb", "LoadBalancer", svc["web-lb"].spec.cluster_ip, "<pending>", f"80:{lb}/TCP", "30s"],
        ["web-np", "NodePort", svc["web-np"].spec.cluster_ip, "<none>", f"80:{np}/TCP", "30s"],
    ]
    header = zoo.kubectl("get svc").splitlines()[0]
    assert header == "NAME         TYPE           CLUSTER-IP       EXTERNAL-IP      PORT(S)        AGE"


def test_get_services_wide_shows_the_selector(zoo):
    """-o wide adds SELECTOR (`<none>` for a Service without one)."""
    table = rows(zoo.kubectl("get svc -o wide"))
    assert table[0][-1] == "SELECTOR"
    assert {r[0]: r[-1] for r in table[1:]} == {"db": "app=db", "headless": "app=headless", "kubernetes": "<none>",
                                                "web": "app=web", "web-lb": "app=web", "web-np": "app=web"}


def test_kube_dns_ports(cluster):
    """kube-dns's PORT(S) reads 53/UDP,53/TCP,9153/TCP."""
    assert rows(cluster.kubectl("get svc -n kube-system"))[1][:5] == \
        ["kube-dns", "ClusterIP", "10.96.0.10", "<none>", "53/UDP,53/TCP,9153/TCP"]


def test_load_balancer_external_ip(zoo):
    """EXTERNAL-IP shows the load balancer's addresses, sorted, cut to 16 characters unless
    -o wide; externalIPs come after them."""
    lb = zoo.api.get("Service", "web-lb")  # a load-balancer controller writes the status
    lb.status.load_balancer.ingress = [LoadBalancerIngress(ip="192.168.49.201"), LoadBalancerIngress(ip="192.168.49.200")]
    zoo.api.update_status(lb, notify=False)
    assert rows(zoo.kubectl("get svc web-lb"))[1][3] == "192.168.49.20..."
    assert rows(zoo.kubectl("get svc web-lb -o wide"))[1][3] == "192.168.49.200,192.168.49.201"
    lb.status.load_balancer.ingress = [LoadBalancerIngress(ip="192.168.49.200")]
    zoo.api.update_status(lb, notify=False)
    assert rows(zoo.kubectl("get svc web-lb"))[1][3] == "192.168.49.200"
    lb = zoo.get("Service", "web-lb")
    lb.spec.external_ips = ["10.0.0.9"]
    zoo.update(lb)
    assert rows(zoo.kubectl("get svc web-lb"))[1][3] == "192.168.49.200,10.0.0.9"


def test_get_endpoints(zoo):
    """ENDPOINTS: the first three ready ip:port, then `+ N more...`; `<none>` with no subsets."""
    table = {r[0]: r[1] for r in rows(zoo.kubectl("get endpoints"))[1:]}
    ips = [a.ip for a in zoo.get("Endpoints", "web").subsets[0].addresses]
    assert table["web"] == ",".join(f"{ip}:80" for ip in ips[:3]) + " + 1 more..."
    assert (table["headless"], table["kubernetes"]) == ("<none>", "192.168.49.2:8443")
    assert "db" not in table
    assert rows(zoo.kubectl("get ep web"))[0] == ["NAME", "ENDPOINTS", "AGE"]


def test_get_endpointslices(zoo):
    """NAME ADDRESSTYPE PORTS ENDPOINTS AGE; `<unset>` for an empty slice."""
    table = rows(zoo.kubectl("get endpointslices"))
    assert table[0] == ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
    by_service = {r[0].rsplit("-", 1)[0]: r[1:4] for r in table[1:]}
    assert by_service["headless"] == ["IPv4", "<unset>", "<unset>"]
    assert by_service["kubernetes"] == ["IPv4", "8443", "192.168.49.2"]
    ports, addresses = by_service["web"][1:]
    assert ports == "80" and addresses.endswith(" + 1 more...") and addresses.count(",") == 2
    dns = rows(zoo.kubectl("get endpointslices -n kube-system"))[1]
    assert dns[1:4] == ["IPv4", "53,53,9153", "10.244.0.2"]


# ------------------------------------------------------------------------------ describe

DESCRIBE_WEB = """Name:                     web
Namespace:                default
Labels:                   app=web
Annotations:              <none>
Selector:                 app=web
Type:                     ClusterIP
IP Family Policy:         SingleStack
IP Families:              IPv4
IP:                       {ip}
IPs:                      {ip}
Port:                     <unset>  80/TCP
TargetPort:               80/TCP
Endpoints:                {endpoints}
Session Affinity:         None
Internal Traffic Policy:  Cluster
Events:                   <none>"""


def test_describe_service_layout(zoo):
    """describe svc lays the Service out as kubectl 1.37 does, Endpoints read from its slices."""
    s = zoo.get("Service", "web")
    sl = zoo.list("EndpointSlice", "default", "kubernetes.io/service-name=web")[0]
    shown = ",".join(f"{e.addresses[0]}:80" for e in sl.endpoints[:3]) + " + 1 more..."
    assert zoo.kubectl("describe svc web") == DESCRIBE_WEB.format(ip=s.spec.cluster_ip, endpoints=shown)


def test_describe_external_name(zoo):
    """An ExternalName Service has no IP (the line keeps its padding), no ports and no traffic
    policy lines."""
    assert zoo.kubectl("describe svc db") == """Name:              db
Namespace:         default
Labels:            app=db
Annotations:       <none>
Selector:          app=db
Type:              ExternalName
IP Families:       <none>
IP:{padding}
IPs:               <none>
External Name:     db.example.com
Session Affinity:  None
Events:            <none>""".format(padding=" " * 16)


@pytest.fixture
def eventful(zoo):
    """web-lb with events from a load-balancer implementation, one of them repeated."""
    lb = zoo.get("Service", "web-lb")
    zoo.api.record_event(lb, "IPAllocated", 'Assigned IP ["192.168.49.200"]', "metallb-controller")
    zoo.advance(600)
    for _ in range(2):
        zoo.api.record_event(lb, "nodeAssigned", 'announcing from node "minikube" with protocol "layer2"', "metallb-speaker")
        zoo.advance(60)
    return zoo


def test_describe_shows_events(eventful):
    """Events print as a table after the fields, aligned on their own; a repeated event shows
    its count and first time."""
    assert eventful.kubectl("describe svc web-lb").split("Events:")[1] == """
  Type    Reason        Age               From                Message
  ----    ------        ----              ----                -------
  Normal  IPAllocated   12m               metallb-controller  Assigned IP ["192.168.49.200"]
  Normal  nodeAssigned  60s (x2 over 2m)  metallb-speaker     announcing from node "minikube" with protocol "layer2\""""


def test_describe_events_match_kubectl(eventful, against_real):
    """The same events as the real kubectl renders them."""
    assert ours(eventful, "describe svc web-lb") == against_real(eventful)("describe svc web-lb")


@pytest.fixture
def states(zoo):
    """Services in the states describe distinguishes: load balancer with an address and
    externalTrafficPolicy Local, named ports, pods not ready or terminating, no slices, a slice
    without ports (no pod declares the named targetPort), events."""
    zoo.apply("""
apiVersion: v1
kind: Service
metadata: {name: lb, annotations: {metallb.universe.tf/ip-allocated-from-pool: default}}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 80}, {name: https, port: 443, targetPort: 8443, appProtocol: https}]
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {clusterIP: None, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: unmatched}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: nope}]
  trafficDistribution: PreferClose
""")
    zoo.get("Service", "lb").status.load_balancer.ingress = [LoadBalancerIngress(ip="192.168.49.200", ip_mode="VIP")]
    zoo.delete("Pod", zoo.pods()[0].name)
    zoo.scale("web", 6)
    zoo.advance(0.6)
    zoo.api.record_event(zoo.get("Service", "lb"), "IPAllocated", 'Assigned IP ["192.168.49.200"]', "metallb-controller")
    zoo.advance(600)
    zoo.scale("web", 7)
    zoo.advance(0.6)
    return zoo


@pytest.mark.parametrize("name", ["web", "web-np", "web-lb", "lb", "db", "headless", "ext", "unmatched",
                                  "kubernetes"])
def test_describe_matches_kubectl(states, against_real, name):
    """For each Service, kitlib's describe is the real kubectl's, character for character."""
    assert ours(states, f"describe svc {name}") == against_real(states)(f"describe svc {name}")


def test_describe_endpoints_and_slices_match_kubectl(states, against_real):
    """describe endpoints and describe endpointslice, for every one of them, as kubectl prints them."""
    kubectl = against_real(states)
    commands = [f"describe endpoints {e.name} -n {e.namespace}" for e in states.list("Endpoints", None)]
    commands += [f"describe endpointslice {s.name} -n {s.namespace}" for s in states.list("EndpointSlice", None)]
    assert len(commands) > 12
    for command in commands:
        assert ours(states, command) == kubectl(command)


ENDPOINTS_WARNING = "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice\n"


@pytest.mark.parametrize("command", ["get ep web -o name", "get svc,ep -o name", "describe endpoints web",
                                     "get endpoints nope", "get endpointslices -o name"])
def test_endpoints_requests_warn_on_stderr_as_kubectl_does(states, against_real, command, capsys):
    """Endpoints are deprecated since 1.33: the API server sends ``v1 Endpoints is deprecated in
    v1.33+; use discovery.k8s.io/v1 EndpointSlice`` with every answer about them, and kubectl
    writes it once on stderr, apart from its output (which is unchanged), and before an error."""
    assert ours(states, command) == against_real(states)(command)
    assert capsys.readouterr().err == ("" if "endpointslices" in command else ENDPOINTS_WARNING)


@pytest.mark.parametrize("command", ["get endpoints", "get ep -A -o wide", "get svc,endpoints,endpointslices"])
def test_get_endpoints_tables_warn_as_kubectl_does(states, against_real, command):
    """A table (which the real API server prints, so the stub cannot) comes with the same warning."""
    theirs = [line for line in against_real(states)(command).splitlines() if line.startswith("Warning:")]
    out = states.kubectl(command)
    assert out.stderr == "".join(line + "\n" for line in theirs) == ENDPOINTS_WARNING
    assert out.splitlines()[0].split() in (["NAME", "ENDPOINTS", "AGE"], ["NAMESPACE", "NAME", "ENDPOINTS", "AGE"],
                                           ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"])


def test_describe_kube_dns_matches_kubectl(cluster, against_real):
    """kube-dns: three labels, two annotations, three named ports."""
    command = "describe svc kube-dns -n kube-system"
    assert ours(cluster, command) == against_real(cluster)(command)
