"""The capstone, "Why doesn't it answer?": ten broken clusters, each with one realistic fault.

Each :class:`Scenario` builds a small seeded cluster through the public verbs (``apply``,
``kubectl``, ``enable_addon``), says what a user would report (``symptom``), checks a fix by
behaviour (requests sent through the simulated network, never by looking for a particular YAML),
and gives three staged hints: where to look, which field, nearly the answer. The faults follow the
Kubernetes documentation's "Debug Services" task page
(https://kubernetes.io/docs/tasks/debug/debug-application/debug-service/): DNS, the Service, its
endpoints, the pod listening on the right port, then kube-proxy and policy.

    >>> from kitlib.exercises import capstone
    >>> cluster = capstone.build(1)
    >>> capstone.check(1, cluster).passed
    False
    >>> _ = cluster.kubectl("set selector service web app=web")
    >>> capstone.check(1, cluster).passed
    True

A check may move the simulated clock (30 s, as ``kubectl rollout status`` waits) when pods are
still starting or leaving, so that a fix that starts a rollout is judged once it has rolled out.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..api.config import ConfigMap
from ..api.node import internal_ip
from ..api.pod import Pod, is_ready
from ..api.service import Service, service_type
from ..errors import ApiError, NotFound
from .feedback import Feedback, not_yet, ok
from .progress import exercise

if TYPE_CHECKING:
    from ..cluster import Cluster

AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.53"
"""agnhost ``netexec``: an HTTP server on ``--http-port`` whose ``/hostname`` answers the pod's name."""
NGINX = "nginx:1.27"
CLIENT_IMAGE = "nicolaka/netshoot"
"""The client pod's image: curl and bind's nslookup, as people debug from inside a cluster."""
CLIENT = "default/client"
METALLB_RANGE = "192.168.49.200-192.168.49.250"
SHOP = "shop.example"
NODE_PORT = 30080
SETTLE = 60
"""Seconds each scenario runs before the learner sees it: images pulled, probes run, endpoints written."""
WAIT = 30
"""Seconds a check waits for a rollout to finish before it judges (pods starting or terminating)."""
REQUESTS = 60


# ---------------------------------------------------------------------------- manifests


def _app(name: str = "web", replicas: int = 2, port_name: str | None = None, port: int = 8080) -> str:
    """A Deployment of agnhost netexec listening on ``port`` (``containerPort`` declared, named
    ``port_name`` if given)."""
    named = f"\n          name: {port_name}" if port_name else ""
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
      - name: {name}
        image: {AGNHOST}
        args: ["netexec", "--http-port={port}"]
        ports:
        - containerPort: {port}{named}
"""


def _service(name: str = "web", selector: str = "web", port: int = 80, target: int | str = 8080,
             extra: str = "", node_port: int | None = None) -> str:
    spec_extra = f"\n  {extra}" if extra else ""
    np = f"\n    nodePort: {node_port}" if node_port else ""
    return f"""
apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:{spec_extra}
  selector:
    app: {selector}
  ports:
  - port: {port}
    targetPort: {target}{np}
"""


def _cluster(seed: int, cni: str = "flannel") -> Cluster:
    """A new 3-node cluster, as a lesson makes one (only the facade builds clusters: ``tests/test_layers.py``)."""
    import kitlib

    return kitlib.Cluster(nodes=3, seed=seed, cni=cni)


def _client(cluster: Cluster) -> None:
    """The pod people debug from: ``kubectl run client --image=nicolaka/netshoot -- sleep infinity``."""
    cluster.kubectl(f"run client --image={CLIENT_IMAGE} --restart=Never -- sleep infinity")


def _done(cluster: Cluster) -> Cluster:
    cluster.advance(SETTLE)
    return cluster


# ---------------------------------------------------------------------------- what the checks read


def _web_pods(cluster: Cluster, app: str = "web") -> list[Pod]:
    """The ready, running pods of Deployment ``app`` (label ``app=<app>``, not terminating)."""
    return [p for p in cluster.pods(selector=f"app={app}")
            if p.metadata.deletion_timestamp is None and is_ready(p) and p.status.pod_ip]


def _settled(cluster: Cluster, app: str = "web") -> None:
    """Wait (at most once, :data:`WAIT` seconds) while pods are starting or terminating."""
    pods = cluster.pods(selector=f"app={app}")
    if any(p.metadata.deletion_timestamp is not None or not is_ready(p) for p in pods):
        cluster.advance(WAIT)


def _said(resp) -> str:
    """What a request got, in a few words."""
    if resp.status is None:
        return {"refused": "no answer: the connection was refused (curl: Could not connect to server)",
                "timeout": "no answer: the connection timed out",
                "dns": "no answer: the name did not resolve (curl: Could not resolve host)"}.get(
                    resp.failure or "", f"no answer ({resp.failure})")
    who = f" from pod {resp.pod.split('/', 1)[1]}" if resp.pod else ""
    return f"HTTP {resp.status}{who}"


def _from_web(cluster: Cluster, resp, app: str = "web") -> bool:
    names = {p.key for p in _web_pods(cluster, app)}
    return resp.status == 200 and resp.pod in names


def _spread(cluster: Cluster, src: str, service: str = "web", port: int = 80) -> tuple[set[str], set[str], int]:
    """Send :data:`REQUESTS` connections from ``src`` to the Service's ClusterIP: (pods that answered,
    the web pods, failures)."""
    svc = cluster.api.get_as(Service, service)
    t = cluster.traffic(src, svc.spec.cluster_ip or "", port, requests=REQUESTS)
    return set(t.served), {p.key for p in _web_pods(cluster)}, t.failed


def _check_service_answers(cluster: Cluster, hint: str, url: str = "http://web/hostname") -> Feedback:
    """The common check: ``curl http://web/hostname`` from the client answers from a web pod, and
    connections to the Service reach every web pod and nothing else."""
    _settled(cluster)
    resp = cluster.http(url, src=CLIENT)
    if resp.status is not None and resp.pod and not _from_web(cluster, resp):
        return not_yet(f"curl {url} from the client pod was answered by {resp.pod.split('/', 1)[1]}, which is not a "
                       "ready pod of Deployment web (label app=web).", hint)
    if not _from_web(cluster, resp):
        return not_yet(f"curl {url} from the client pod: {_said(resp)}.", hint)
    served, web, failed = _spread(cluster, CLIENT)
    if failed or served != web:
        others = sorted(s.split("/", 1)[1] for s in served - web)
        missing = sorted(s.split("/", 1)[1] for s in web - served)
        detail = (f"{failed} of {REQUESTS} connections failed" if failed else
                  f"answered by {', '.join(others) or 'no other pod'}; never by {', '.join(missing) or '-'}")
        return not_yet(f"{REQUESTS} connections to Service web: {detail}.", hint)
    return ok(f"curl {url} answers ({_said(resp)}), and {REQUESTS} connections to Service web "
              f"reach every web pod ({len(web)}) and no other.")


# ---------------------------------------------------------------------------- 1 selector typo


def build_selector_typo() -> Cluster:
    """Service ``web`` selects ``app: wbe``; the pods are labelled ``app: web``: no endpoints."""
    c = _cluster(1)
    c.apply(_app() + "---" + _service(selector="wbe"))
    _client(c)
    return _done(c)


@exercise
def check_selector_typo(cluster: Cluster) -> Feedback:
    """Fixed when the client reaches the web pods through Service web (all of them)."""
    return _check_service_answers(cluster, "kubectl get endpointslices -l kubernetes.io/service-name=web: a "
                                           "Service with no endpoints selects no pod. Compare its selector with "
                                           "the pods' labels.")


# ---------------------------------------------------------------------------- 2 targetPort


def build_target_port() -> Cluster:
    """The app listens on 8080; Service ``web`` sends to targetPort 80."""
    c = _cluster(2)
    c.apply(_app() + "---" + _service(target=80))
    _client(c)
    return _done(c)


@exercise
def check_target_port(cluster: Cluster) -> Feedback:
    """Fixed when the client reaches every web pod through Service web on port 80."""
    return _check_service_answers(cluster, "The endpoints exist; does anything listen on the port they name? "
                                           "Compare the Service's targetPort with the port in the app's log.")


# ---------------------------------------------------------------------------- 3 named targetPort


def build_named_port() -> Cluster:
    """Service ``web`` has ``targetPort: http``; the pods' container port has no name."""
    c = _cluster(3)
    c.apply(_app() + "---" + _service(target="http"))
    _client(c)
    return _done(c)


@exercise
def check_named_port(cluster: Cluster) -> Feedback:
    """Fixed when the client reaches every web pod through Service web."""
    return _check_service_answers(cluster, "kubectl get endpointslices: PORTS <unset> means the pods have no "
                                           "port by the name the Service's targetPort gives.")


# ---------------------------------------------------------------------------- 4 readiness probe


def build_readiness() -> Cluster:
    """nginx pods with a readiness probe on ``/healthz``, a page nginx does not have (404)."""
    c = _cluster(4)
    c.apply(f"""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: {NGINX}
        ports:
        - containerPort: 80
        readinessProbe:
          httpGet:
            path: /healthz
            port: 80
          periodSeconds: 5
---""" + _service(target=80))
    _client(c)
    return _done(c)


@exercise
def check_readiness(cluster: Cluster) -> Feedback:
    """Fixed when the web pods are ready and the client reaches all of them through Service web."""
    _settled(cluster)
    pods = [p for p in cluster.pods(selector="app=web") if p.metadata.deletion_timestamp is None]
    unready = [p.name for p in pods if not is_ready(p)]
    if unready or not pods:
        return not_yet(f"pods not ready: {', '.join(unready) or 'no web pod'} (READY 0/1).",
                       "kubectl describe pod -l app=web: read the Unhealthy events. What does the probe ask for, "
                       "and what does nginx answer?")
    return _check_service_answers(cluster, "The pods are ready now; is anything else off?", url="http://web/")


# ---------------------------------------------------------------------------- 5 NodePort from inside


CLIENT_CONFIG = "client-config"


def build_node_port() -> Cluster:
    """Service ``web`` is a NodePort (80:30080); the client's ConfigMap sends it to ``web:30080``."""
    c = _cluster(5)
    c.apply(_app() + "---" + _service(extra="type: NodePort", node_port=NODE_PORT) + f"""---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {CLIENT_CONFIG}
data:
  WEB_URL: http://web:{NODE_PORT}/hostname
""")
    _client(c)
    return _done(c)


@exercise
def check_node_port(cluster: Cluster) -> Feedback:
    """Fixed when the URL in ConfigMap ``client-config`` (key ``WEB_URL``), sent from the client pod,
    answers from a web pod."""
    hint = ("Inside the cluster, a Service is reached on its ClusterIP (its name) and its port; the nodePort "
            "belongs to the nodes' IPs.")
    try:
        url = cluster.api.get_as(ConfigMap, CLIENT_CONFIG).data.get("WEB_URL", "")
    except NotFound:
        return not_yet(f"there is no ConfigMap {CLIENT_CONFIG}.", "Rebuild the scenario: capstone.build(5).")
    if not url:
        return not_yet(f"ConfigMap {CLIENT_CONFIG} has no WEB_URL.", hint)
    try:
        resp = cluster.http(url, src=CLIENT)
    except ApiError as err:
        return not_yet(f"WEB_URL {url!r} is not a URL curl can send: {err}", hint)
    if not _from_web(cluster, resp):
        return not_yet(f"the client sends WEB_URL={url}: {_said(resp)}.", hint)
    if any(internal_ip(n) == resp.ip for n in cluster.nodes()):
        return ok(f"WEB_URL={url} answers ({_said(resp)}), through a node's NodePort. From inside, "
                  "http://web/hostname is shorter and does not depend on a node.")
    return ok(f"WEB_URL={url} answers ({_said(resp)}): the Service's name and port, as a pod should use it.")


# ---------------------------------------------------------------------------- 6 LoadBalancer pending


def build_load_balancer() -> Cluster:
    """A LoadBalancer Service on a cluster with no load-balancer controller: EXTERNAL-IP <pending>."""
    c = _cluster(6)
    c.apply(_app() + "---" + _service(extra="type: LoadBalancer"))
    return _done(c)


@exercise
def check_load_balancer(cluster: Cluster) -> Feedback:
    """Fixed when users outside the cluster reach the web pods: on the LoadBalancer's address, or
    (a NodePort Service) on every node's IP and nodePort."""
    hint = ("Who gives a LoadBalancer Service its address on this cluster? Look for a load-balancer controller "
            "(kubectl get pods -A), and see capstone.hint(6, 2).")
    _settled(cluster)
    svc = cluster.api.get_as(Service, "web")
    kind = service_type(svc)
    port = svc.spec.ports[0]
    if kind == "LoadBalancer":
        ingress = svc.status.load_balancer.ingress
        if not ingress or not ingress[0].ip:
            return not_yet("kubectl get svc web: EXTERNAL-IP is still <pending>.", hint)
        url = f"http://{ingress[0].ip}:{port.port}/hostname"
        resp = cluster.http(url, src="external")
        if not _from_web(cluster, resp):
            return not_yet(f"curl {url} from outside: {_said(resp)}.", hint)
        return ok(f"EXTERNAL-IP {ingress[0].ip}; curl {url} from outside answers ({_said(resp)}).")
    if kind == "NodePort":
        for node in cluster.nodes():
            url = f"http://{internal_ip(node)}:{port.node_port}/hostname"
            resp = cluster.http(url, src="external")
            if not _from_web(cluster, resp):
                return not_yet(f"curl {url} from outside: {_said(resp)}.", hint)
        return ok(f"Service web is a NodePort: every node answers on {port.node_port} from outside. "
                  "(A real load balancer would give one address in front of the nodes.)")
    return not_yet(f"Service web is a {kind}: nothing outside the cluster can reach it.", hint)


# ---------------------------------------------------------------------------- 7 Ingress path precedence


INGRESS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
spec:
  ingressClassName: {klass}
  rules:
  - host: shop.example
    http:
      paths:
{paths}"""
PATH = """      - path: {path}
        pathType: {type}
        backend:
          service:
            name: {service}
            port:
              number: 80
"""
API_PATHS = ("/api", "/api/orders/7")
WEB_PATHS = ("/", "/cart", "/apiary")


def _shop(klass: str, paths: list[tuple[str, str, str]]) -> str:
    return INGRESS.format(klass=klass, paths="".join(PATH.format(path=p, type=t, service=s) for p, t, s in paths))


def build_ingress_paths() -> Cluster:
    """Ingress ``shop``: ``/`` Prefix → web, ``/api`` Exact → api; ``/api/orders/7`` goes to web."""
    c = _cluster(7)
    c.apply(_app("web") + "---" + _service("web") + "---" + _app("api") + "---" + _service("api", "api"))
    c.enable_addon("ingress")
    c.apply(_shop("nginx", [("/", "Prefix", "web"), ("/api", "Exact", "api")]))
    return _done(c)


def _routes(cluster: Cluster, want: dict[str, str]) -> Feedback | None:
    for path, app in want.items():
        url = f"http://{SHOP}{path}"
        resp = cluster.http(url, src="external")
        if resp.status != 200 or resp.service != f"default/{app}":
            got = f"went to Service {resp.service.split('/', 1)[1]}" if resp.service else f"got {_said(resp)}"
            return not_yet(f"curl {url} from outside {got}, not Service {app}'s answer.",
                           "kubectl describe ingress shop: which rule matches this path, and with which pathType?")
    return None


@exercise
def check_ingress_paths(cluster: Cluster) -> Feedback:
    """Fixed when ``/api`` and everything under ``/api/`` reach api, and every other path (``/apiary``
    too) reaches web."""
    _settled(cluster, "api")
    problem = _routes(cluster, {**{p: "api" for p in API_PATHS}, **{p: "web" for p in WEB_PATHS}})
    if problem is not None:  # a Feedback that did not pass is falsy: no `problem or ok(...)`
        return problem
    return ok("/api and /api/orders/7 reach Service api; /, /cart and /apiary reach web "
                         "(Prefix matches whole path elements, and the longest match wins).")


# ---------------------------------------------------------------------------- 8 IngressClass mismatch


def build_ingress_class() -> Cluster:
    """Ingress ``shop`` asks for class ``traefik``; the cluster runs ingress-nginx (class ``nginx``)."""
    c = _cluster(8)
    c.apply(_app() + "---" + _service())
    c.enable_addon("ingress")
    c.apply(_shop("traefik", [("/", "Prefix", "web")]))
    return _done(c)


@exercise
def check_ingress_class(cluster: Cluster) -> Feedback:
    """Fixed when ``http://shop.example/`` from outside reaches Service web."""
    problem = _routes(cluster, {"/": "web", "/cart": "web"})
    if problem is not None:
        return not_yet(problem.message, "kubectl get ingress shop and kubectl get ingressclass: which controller "
                                        "serves the class this Ingress names?")
    return ok("http://shop.example/ reaches Service web: the Ingress names the class ingress-nginx serves.")


# ---------------------------------------------------------------------------- 9 default deny breaks DNS


POLICIES = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: client-to-web
spec:
  podSelector:
    matchLabels:
      run: client
  policyTypes: [Egress]
  egress:
  - to:
    - podSelector:
        matchLabels:
          app: web
    ports:
    - port: 8080
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web-from-client
spec:
  podSelector:
    matchLabels:
      app: web
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector:
        matchLabels:
          run: client
    ports:
    - port: 8080
"""


def build_dns_policy() -> Cluster:
    """Calico, a default-deny policy for ingress and egress, and rules that let the client reach
    web on 8080, but no rule for DNS: names stop resolving."""
    c = _cluster(9, cni="calico")
    c.apply(_app() + "---" + _service() + "---" + _app("db", replicas=1))
    _client(c)
    c.apply(POLICIES)
    return _done(c)


@exercise
def check_dns_policy(cluster: Cluster) -> Feedback:
    """Fixed when the client resolves ``web`` and reaches the web pods by name, while its egress stays
    closed to everything else (the db pod)."""
    hint = ("The client cannot reach DNS: which policies isolate its egress (kubectl get networkpolicy), and "
            "which rule would allow port 53 to the CoreDNS pods?")
    _settled(cluster)
    answer = cluster.resolve("web", src=CLIENT)
    if not answer.records:
        return not_yet("nslookup web from the client pod: no answer (;; connection timed out; no servers could "
                       "be reached).", hint)
    checked = _check_service_answers(cluster, hint)
    if not checked.passed:
        return checked
    db = _web_pods(cluster, "db")
    if db:
        verdict = cluster.netpol_verdict(CLIENT, db[0].key, 8080)
        if verdict.egress.allowed:
            return not_yet(f"names resolve, but the client may now send to {db[0].name} too: its egress is open "
                           "wider than DNS.", "Keep default-deny; allow only port 53 to the kube-dns pods.")
    return ok("the client resolves web and reaches the web pods; its egress allows DNS and web, nothing more.")


# ---------------------------------------------------------------------------- 10 externalTrafficPolicy Local


def build_local_policy() -> Cluster:
    """A NodePort Service with ``externalTrafficPolicy: Local`` and one web pod: only its node answers."""
    c = _cluster(10)
    c.apply(_app(replicas=1) + "---" + _service(extra="type: NodePort\n  externalTrafficPolicy: Local",
                                                node_port=NODE_PORT))
    return _done(c)


@exercise
def check_local_policy(cluster: Cluster) -> Feedback:
    """Fixed when every node's IP answers on the nodePort from outside, from a web pod."""
    _settled(cluster)
    for node in cluster.nodes():
        url = f"http://{internal_ip(node)}:{NODE_PORT}/hostname"
        resp = cluster.http(url, src="external")
        if not _from_web(cluster, resp):
            return not_yet(f"curl {url} from outside: {_said(resp)}.",
                           "kubectl get pods -o wide and kubectl describe svc web: with externalTrafficPolicy "
                           "Local, a node answers only if a web pod runs on it.")
    return ok(f"every node answers on {NODE_PORT} from outside.")


# ---------------------------------------------------------------------------- the scenarios


@dataclass(frozen=True)
class Hint:
    """One staged hint: ``stage`` 1 (where to look), 2 (which field), 3 (nearly the answer)."""

    scenario: int
    stage: int
    text: str

    def __str__(self) -> str:
        return f"Hint {self.stage} of 3 for scenario {self.scenario}: {self.text}"

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return f"<div style='border-left:4px solid #0072B2;padding:4px 8px'>{html.escape(str(self))}</div>"


@dataclass(frozen=True)
class Scenario:
    """One broken cluster: how to build it, what the user reports, how a fix is checked, three hints."""

    number: int
    title: str
    symptom: str
    build: Callable[[], Cluster]
    check: Callable[[Cluster], Feedback]
    hints: tuple[str, str, str]


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(1, "A selector typo",
             "The client pod cannot reach web: `curl http://web/hostname` fails at once with \"Could not "
             "connect to server\". Both web pods are Running and 1/1 ready, and their logs show no request.",
             build_selector_typo, check_selector_typo,
             ("Follow the request: the name resolves (nslookup web), so look at the Service and its endpoints.",
              "kubectl get endpointslices shows no endpoints: compare the Service's selector (kubectl describe svc "
              "web) with the pods' labels (kubectl get pods --show-labels).",
              "The selector says app=wbe, the pods say app=web: kubectl set selector service web app=web.")),
    Scenario(2, "A targetPort nobody listens on",
             "`curl http://web/hostname` from the client pod fails at once with \"Could not connect to server\". "
             "The Service has two endpoints, and both pods are ready.",
             build_target_port, check_target_port,
             ("The endpoints are there: check that the pods listen on the port the endpoints name.",
              "kubectl describe svc web shows TargetPort and Endpoints IP:port; kubectl logs deploy/web says which "
              "port the app opened. curl a pod's IP on both ports.",
              "The app listens on 8080, the Service sends to 80: set the Service's targetPort to 8080 (containerPort "
              "is information only).")),
    Scenario(3, "A named port the pods do not have",
             "`curl http://web/hostname` from the client pod fails at once with \"Could not connect to server\". "
             "`kubectl describe svc web` lists both pods' IPs under Endpoints, and the pods answer on their own "
             "IPs.",
             build_named_port, check_named_port,
             ("Endpoints without a port carry no traffic: look at the EndpointSlice's PORTS column.",
              "The Service's targetPort is a name, http: it must match the name of a port in the pod's container "
              "(kubectl get deploy web -o yaml, ports).",
              "Name the container's port: ports: [{name: http, containerPort: 8080}] in the Deployment, or set the "
              "Service's targetPort to 8080.")),
    Scenario(4, "A readiness probe on the wrong path",
             "`curl http://web/` from the client pod fails at once with \"Could not connect to server\". "
             "`kubectl get pods` shows the web pods Running, READY 0/1, with no restarts.",
             build_readiness, check_readiness,
             ("Pods that are Running but not READY are left out of the Service's endpoints: ask why they are not "
              "ready.",
              "kubectl describe pod -l app=web: the Readiness line and the Unhealthy events say what the probe asks "
              "and what it got.",
              "nginx answers 404 for /healthz: point the readiness probe at a page it serves, path: /.")),
    Scenario(5, "A NodePort used from inside",
             "The client reads the address of web from ConfigMap client-config (WEB_URL). From the client pod, "
             "`curl http://web:30080/hostname` times out; from a laptop, `curl http://192.168.49.2:30080/hostname` "
             "works.",
             build_node_port, check_node_port,
             ("Compare the port in WEB_URL with the Service's PORT(S) column: 80:30080/TCP has two numbers.",
              "web resolves to the ClusterIP, which listens on port (80) only; nodePort (30080) is opened on the "
              "nodes' IPs.",
              "Set WEB_URL to http://web/hostname (port 80): kubectl patch configmap client-config with "
              "data WEB_URL.")),
    Scenario(6, "A LoadBalancer that stays pending",
             "The team made web a LoadBalancer Service so that users can reach it. Minutes later, "
             "`kubectl get svc web` still shows EXTERNAL-IP <pending>, and there is no address to give the users.",
             build_load_balancer, check_load_balancer,
             ("Who gives a LoadBalancer Service its address? Look for that controller in the cluster.",
              "On a cloud, the cloud controller manager does; on minikube or bare metal nothing does, so "
              "status.loadBalancer stays empty (kubectl describe svc web shows no events from a controller).",
              'Install MetalLB with an address range: cluster.enable_addon("metallb", '
              f'addresses="{METALLB_RANGE}"), or change the Service to type: NodePort.')),
    Scenario(7, "An Ingress path that matches less than expected",
             "Through the ingress controller, `curl http://shop.example/api` reaches the API, but "
             "`curl http://shop.example/api/orders/7` gets the web app's answer instead of the API's.",
             build_ingress_paths, check_ingress_paths,
             ("Which rule of Ingress shop takes /api/orders/7? kubectl describe ingress shop lists them.",
              "Look at each path's pathType: Exact matches only the path itself; Prefix matches it and everything "
              "under it, element by element.",
              "Make the /api path pathType: Prefix (the order of the paths does not matter: the longest match "
              "wins).")),
    Scenario(8, "An Ingress no controller serves",
             "After copying the shop Ingress from another cluster, `curl http://shop.example/` gets \"404 Not "
             "Found\" from nginx, and `kubectl get ingress shop` shows no ADDRESS.",
             build_ingress_class, check_ingress_class,
             ("An empty ADDRESS means no controller took the Ingress. Which controllers does this cluster run?",
              "kubectl get ingressclass lists the classes and their controllers; compare with the CLASS column "
              "of kubectl get ingress.",
              "Set spec.ingressClassName: nginx (the class of ingress-nginx).")),
    Scenario(9, "A default-deny policy that broke DNS",
             "The security team added a default-deny NetworkPolicy (Calico) and rules that let the client reach "
             "web on 8080. Now `curl http://web/hostname` from the client says \"Could not resolve host: web\", "
             "yet `curl http://<web's ClusterIP>/hostname` works.",
             build_dns_policy, check_dns_policy,
             ("The IP works and the name does not: the client cannot reach DNS. Try nslookup web from it.",
              "kubectl get networkpolicy, then explain(...) from the client to a CoreDNS pod on port 53/UDP: "
              "the client's egress is isolated, and no rule allows DNS.",
              "Add an egress rule (a new NetworkPolicy) for the client: to namespaceSelector "
              "kubernetes.io/metadata.name: kube-system with podSelector k8s-app: kube-dns, ports 53 UDP and TCP.")),
    Scenario(10, "externalTrafficPolicy: Local on nodes without pods",
             "Users reach web on any node's IP and port 30080. `curl http://192.168.49.4:30080/hostname` works, "
             "but the same request to 192.168.49.2 or 192.168.49.3 times out.",
             build_local_policy, check_local_policy,
             ("Which nodes answer, and where do the web pods run? kubectl get pods -o wide.",
              "kubectl describe svc web: External Traffic Policy Local sends outside traffic only to pods on the "
              "node it arrives at; a node without one drops it.",
              "Set externalTrafficPolicy: Cluster (the client IP is then SNATed), or run a web pod on every node.")),
)


def scenario(n: int) -> Scenario:
    """Scenario ``n`` (1 to 10)."""
    if not 1 <= n <= len(SCENARIOS):
        raise ValueError(f"there are scenarios 1 to {len(SCENARIOS)}, not {n}")
    return SCENARIOS[n - 1]


def build(n: int) -> Cluster:
    """Build scenario ``n``'s broken cluster (the same names and IPs every time); it becomes the
    notebook's current cluster, the one ``%kubectl`` acts on."""
    return scenario(n).build()


def check(n: int, cluster: Cluster) -> Feedback:
    """Check the fix of scenario ``n`` by what requests get; never raises on a wrong fix."""
    try:
        return scenario(n).check(cluster)
    except ApiError as err:  # a Service the learner deleted, a ConfigMap gone ...
        return not_yet(f"the check could not run: {err}", f"Rebuild the scenario with capstone.build({n}) and "
                                                           "fix only the fault.")


def hint(n: int, stage: int = 1) -> Hint:
    """Hint ``stage`` (1: where to look, 2: which field, 3: nearly the answer) of scenario ``n``."""
    hints = scenario(n).hints
    stage = min(max(stage, 1), len(hints))
    return Hint(n, stage, hints[stage - 1])
