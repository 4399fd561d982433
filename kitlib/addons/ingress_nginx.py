"""ingress-nginx: the ingress controller of ``cluster.enable_addon("ingress")``.

What the add-on installs is what ingress-nginx's own manifest installs, reduced to the parts
that route traffic:

* namespace ``ingress-nginx``, with Deployment ``ingress-nginx-controller`` (one pod running
  ``/nginx-ingress-controller``; it is ready when ``/healthz`` on port 10254 answers);
* Service ``ingress-nginx-controller`` of type LoadBalancer (ports 80 and 443): its EXTERNAL-IP
  stays ``<pending>`` until a load-balancer implementation such as MetalLB gives it one, and
  meanwhile its NodePorts reach the controller; and Service ``ingress-nginx-controller-admission``
  (the validating webhook's, not simulated further);
* IngressClass ``nginx`` (controller ``k8s.io/ingress-nginx``), marked as the default class, as
  minikube's ingress add-on marks it.

The controller watches Ingresses whose class is ``nginx`` and ignores the others (it does not
take class-less Ingresses: ``--watch-ingress-without-class`` is off). It compiles them into one
routing table (:mod:`kitlib.network.ingress`) and writes the Service's address into each one's
``status.loadBalancer.ingress``. A request that reaches the controller pod on port 80 or 443 is
matched and proxied straight to a ready endpoint of the backend Service (round robin, retried on
the next endpoint up to three times), not through the Service's ClusterIP: ingress-nginx reads
the EndpointSlices itself. With no ready endpoint it answers 503.

TLS: for a host listed under an Ingress's ``tls``, the controller serves the certificate of its
Secret; for every other host, or when the Secret is missing, its self-signed default certificate
"Kubernetes Ingress Controller Fake Certificate". A plain-HTTP request for a TLS host is
redirected to HTTPS with 308 Permanent Redirect (ingress-nginx's ``ssl-redirect``).

Simplifications: kitlib does not parse certificates (a ``kubernetes.io/tls`` Secret with both
keys counts as a certificate for the hosts the Ingress lists); the simulated client does not
verify certificates (like ``curl -k``), it only reports which one it got.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, cast

from ..api.addresses import is_ip
from ..api.config import TLS_TYPE, Secret
from ..api.defaults import image_repo
from ..api.networking import (
    DEFAULT_CLASS_ANNOTATION,
    Ingress,
    IngressClass,
    IngressLoadBalancerIngress,
    class_of,
)
from ..api.node import internal_ip
from ..api.pod import is_ready
from ..api.service import Service
from ..container.handlers import AppReply, HttpRequest, go_reply, http_date
from ..container.images import respond
from ..errors import BadRequest, NotFound
from ..network import dns
from ..network import ingress as routing
from ..network.datapath import Hop, connect
from ..network.http import accepting_container
from ..network.topology import pod_vertex

if TYPE_CHECKING:
    from ..api.pod import Container, Pod
    from ..runtime import Runtime

NAMESPACE = "ingress-nginx"
NAME = "ingress-nginx-controller"
CLASS = "nginx"
CONTROLLER_CLASS = "k8s.io/ingress-nginx"
IMAGE = "registry.k8s.io/ingress-nginx/controller:v1.12.1"
HEALTH_PORT = 10254
LISTENS = frozenset({(80, "TCP"), (443, "TCP"), (8443, "TCP"), (HEALTH_PORT, "TCP")})
"""What the controller's processes listen on (its Deployment's ``--http-port``/``--https-port``
defaults, the webhook's ``--validating-webhook=:8443``, ``--healthz-port``)."""
FAKE_CERTIFICATE = "Kubernetes Ingress Controller Fake Certificate"
"""The subject CN of the self-signed certificate ingress-nginx generates at start-up."""
EVENT_SOURCE = "nginx-ingress-controller"
LABELS = {"app.kubernetes.io/component": "controller", "app.kubernetes.io/instance": "ingress-nginx",
          "app.kubernetes.io/name": "ingress-nginx"}
RETRIES = 3
"""``proxy-next-upstream-tries``: endpoints tried for one request before giving up."""
UNINSTALL_WAIT = 600
"""Simulated seconds ``uninstall`` waits at most for the namespace to go (kubectl would wait a week)."""


@dataclass
class TlsSession:
    """The TLS handshake at the controller: which name the client sent (SNI) and which certificate it got."""

    server_name: str | None
    certificate: str
    """``secret default/shop-tls`` or the default certificate's name."""
    secret: str | None = None
    default: bool = False
    note: str = ""


@dataclass
class ProxyTrace:
    """What the controller did with one request: the rule it matched and the upstream it called."""

    match: routing.Match
    hops: list[Hop] = field(default_factory=list)
    service: str | None = None
    pod: str | None = None
    tls: TlsSession | None = None
    attempts: list[str] = field(default_factory=list)


class IngressNginx:
    """The ingress-nginx add-on of one cluster (see the module docstring)."""

    name = "ingress"

    def __init__(self, rt: Runtime, **options: Any) -> None:
        _no_options(options)
        self.rt = rt
        self._router: routing.Router | None = None
        self._busy = False
        self._next: dict[str, int] = {}  # upstream -> round-robin position

    # ------------------------------------------------------------------ lifecycle

    def install(self) -> None:
        """Create the controller's objects and wait until it is ready, as
        ``minikube addons enable ingress`` waits ("Verifying ingress addon...")."""
        c = self.rt
        # The controller pod answers by routing, and speaks TLS on 443.
        # Its nginx listens on 80 and 443, the admission webhook on 8443, /healthz and metrics on 10254.
        c.apps.apps.register(image_repo(IMAGE), handle, tls=True, listens=LISTENS)
        if c.api.store.get("Namespace", NAMESPACE) is None:
            c.create({"apiVersion": "v1", "kind": "Namespace",
                      "metadata": {"name": NAMESPACE, "labels": {"app.kubernetes.io/instance": "ingress-nginx",
                                                                 "app.kubernetes.io/name": "ingress-nginx"}}})
        for doc in _manifests():
            if doc["kind"] == "IngressClass" and c.api.store.get("IngressClass", CLASS) is not None:
                continue
            c.create(doc)
        c.api.watch(self._on_change)
        self._sync_status()
        for _ in range(60):
            if self.ready_pods():
                break
            c.advance(2)

    def configure(self, **options: Any) -> None:
        """The add-on has no options; enabling it again changes nothing."""
        _no_options(options)

    def uninstall(self) -> None:
        """Delete the namespace (and with it the controller) and the IngressClass, and wait until
        they are gone, as ``minikube addons disable`` does (``kubectl delete -f``, which waits):
        the namespace controller empties the namespace first, so this takes some 10 simulated
        seconds. The Ingresses stay, with their status cleared, and nothing serves them any more."""
        c = self.rt
        c.api.unwatch(self._on_change)
        for ing in c.api.store.items("Ingress"):
            if isinstance(ing, Ingress) and ing.status.load_balancer.ingress:
                ing.status.load_balancer.ingress = []
                c.api.update_status(ing)
        for kind, name, ns in (("IngressClass", CLASS, ""), ("Namespace", NAMESPACE, "")):
            try:
                c.delete(kind, name, ns or "default")
            except NotFound:
                pass
        for _ in range(UNINSTALL_WAIT):  # kubectl's --wait, bounded: a stuck namespace stays Terminating
            if c.api.store.get("Namespace", NAMESPACE) is None:
                break
            c.advance(1)
        # The controller image's handler stays registered: a reinstall registers it again.

    # ------------------------------------------------------------------ the controller

    @property
    def router(self) -> routing.Router:
        """The routing table of every Ingress this controller serves (rebuilt after a change)."""
        if self._router is None:
            self._router = routing.build(self.ingresses())
        return self._router

    def serves(self, ing: Any) -> bool:
        """Whether this controller takes the Ingress: its class is ``nginx`` and that IngressClass
        names ingress-nginx's controller."""
        name = class_of(ing)
        ic = self.rt.api.store.get("IngressClass", name) if name else None
        return isinstance(ic, IngressClass) and ic.spec.controller == CONTROLLER_CLASS

    def ingresses(self) -> list[Any]:
        """The Ingresses of every namespace that this controller serves."""
        return [ing for ing in self.rt.api.store.items("Ingress") if self.serves(ing)]

    def service(self) -> Any:
        return self.rt.api.store.get("Service", f"{NAMESPACE}/{NAME}")

    def ready_pods(self) -> list[Any]:
        """The controller pods that are Running and Ready."""
        return [p for p in self.rt.pods(NAMESPACE) if p.metadata.labels.get("app.kubernetes.io/component")
                == "controller" and p.status.phase == "Running" and is_ready(p)]

    def address(self) -> tuple[str, int, int]:
        """(IP, HTTP port, HTTPS port) where clients outside the cluster reach the controller: the
        LoadBalancer IP on 80 and 443, or while that is pending the first node's IP (``minikube ip``)
        on the NodePorts."""
        svc = self.service()
        if svc is None:
            raise NotFound(f'services "{NAME}" not found')
        lb = [i.ip for i in svc.status.load_balancer.ingress if i.ip]
        if lb:
            return lb[0], 80, 443
        ports = {p.port: p.node_port for p in svc.spec.ports}
        return internal_ip(self.rt.nodes()[0]), ports.get(80) or 80, ports.get(443) or 443

    def _on_change(self, obj: Any, removed: bool) -> None:
        if self._busy:
            return
        kind = obj.kind
        if kind in ("Ingress", "IngressClass"):
            self._router = None
            if kind == "Ingress" and not removed and self.serves(obj):
                self._sync_status([obj], event=True)
        elif kind == "Service" and obj.key == f"{NAMESPACE}/{NAME}":
            self._sync_status()

    def _sync_status(self, ingresses: list[Any] | None = None, event: bool = False) -> None:
        """Write the controller Service's address into each served Ingress (``--publish-service``)."""
        svc = self.service()
        addresses = [IngressLoadBalancerIngress(ip=i.ip, hostname=i.hostname)
                     for i in (svc.status.load_balancer.ingress if svc is not None else [])]
        self._busy = True
        try:
            for ing in ingresses if ingresses is not None else self.ingresses():
                if event:
                    self.rt.api.record_event(ing, "Sync", "Scheduled for sync", EVENT_SOURCE)
                if ing.status.load_balancer.ingress != addresses:
                    ing.status.load_balancer.ingress = [IngressLoadBalancerIngress(ip=a.ip, hostname=a.hostname)
                                                        for a in addresses]
                    self.rt.api.update_status(ing)
        finally:
            self._busy = False

    # ------------------------------------------------------------------ the data path

    def tls_session(self, server_name: str | None) -> TlsSession:
        """The certificate the controller presents for SNI ``server_name`` (None: the client sent none)."""
        if not server_name:
            return TlsSession(None, FAKE_CERTIFICATE, default=True, note=(
                "the client sent no server name (SNI), e.g. because it dialled an IP: the controller "
                f'presents its default certificate "{FAKE_CERTIFICATE}"'))
        hit = self.router.tls_for(server_name)
        if hit is None:
            return TlsSession(server_name, FAKE_CERTIFICATE, default=True, note=(
                f'no Ingress lists {server_name} under tls: the controller presents its default certificate '
                f'"{FAKE_CERTIFICATE}" (self-signed, so a browser warns and curl needs -k)'))
        ingress, secret_name = hit
        ns = ingress.split("/", 1)[0]
        secret = self.rt.api.store.get("Secret", f"{ns}/{secret_name}") if secret_name else None
        if not isinstance(secret, Secret) or secret.type != TLS_TYPE:
            why = (f"the tls section of {ingress} names no secretName" if not secret_name else
                   f'secret "{ns}/{secret_name}" {"is not of type " + TLS_TYPE if secret else "does not exist"}')
            return TlsSession(server_name, FAKE_CERTIFICATE, default=True, note=(
                f'{why}: the controller logs "Using default certificate" and presents "{FAKE_CERTIFICATE}"'))
        return TlsSession(server_name, f"secret {ns}/{secret_name}", secret=f"{ns}/{secret_name}", note=(
            f"TLS terminated at the controller with the certificate of secret {ns}/{secret_name} "
            f"(SNI {server_name}); the request goes on to the backend as plain HTTP"))

    def proxy(self, pod: Pod, req: HttpRequest) -> AppReply:
        """Route ``req``, which reached controller pod ``pod``, and answer it (see the module docstring)."""
        c = self.rt
        host = req.headers.get("Host") or req.headers.get("host") or req.host
        trace = ProxyTrace(self.router.explain(host, req.path))
        if req.scheme == "https":
            trace.tls = self.tls_session(req.host if not is_ip(req.host) else None)
        match, route = trace.match, trace.match.route
        node = pod.spec.node_name or ""
        vertex = pod_vertex(pod.key)
        rule = str(match)
        if req.scheme == "http" and route is not None and self.router.tls_for(host) is not None:
            location = f"https://{routing.normalize_host(host)}{req.path}"
            trace.hops.append(Hop(vertex, node, "nginx", pod.status.pod_ip or "", host,
                                  f"{rule}; {routing.normalize_host(host)} has TLS: ssl-redirect answers 308"))
            return _page(c, 308, trace, (("Location", location),))
        trace.hops.append(Hop(vertex, node, "nginx", pod.status.pod_ip or "", host, f"ingress rule: {rule}"))
        if route is None:
            return _page(c, 404, trace)
        if route.service is None:
            trace.attempts.append(f"{route.backend}: ingress-nginx proxies only to Services")
            return _page(c, 503, trace)
        svc_key = f"{route.namespace}/{route.service}"
        trace.service = svc_key
        svc = c.api.store.get("Service", svc_key)
        if not isinstance(svc, Service):
            trace.attempts.append(f'service "{svc_key}" not found')
            return _page(c, 503, trace)
        port = next((p for p in svc.spec.ports if p.port == route.port or (p.name and p.name == route.port)), None)
        if port is None:
            trace.attempts.append(f'service "{svc_key}" does not have a port {route.port}')
            return _page(c, 503, trace)
        endpoints = self.endpoints(svc, port.name)
        if not endpoints:
            trace.attempts.append(f"service {svc_key} has no ready endpoints")
            trace.hops.append(Hop(vertex, node, "nginx", pod.status.pod_ip or "", svc_key,
                                  f"upstream {svc_key}:{route.port} has no ready endpoint: 503"))
            return _page(c, 503, trace)
        upstream = f"{svc_key}:{port.port}"
        start = self._next.get(upstream, 0)
        self._next[upstream] = start + 1
        failure = "refused"
        for i in range(min(RETRIES, len(endpoints))):
            ip, target = endpoints[(start + i) % len(endpoints)]
            conn = connect(c, pod.key, ip, target, "TCP")
            trace.hops.extend(conn.hops)
            if not conn.ok or conn.pod is None:
                failure = conn.failure or "timeout"  # accepted by a node, not a pod: nothing answers HTTP
                trace.attempts.append(f"{ip}:{target}: {conn.reason}")
                continue
            backend = cast("Pod", c.api.store.get("Pod", conn.pod))  # the data path names a stored pod
            container = accepting_container(conn, backend)
            headers = {**req.headers, "X-Forwarded-For": req.client_ip, "X-Real-IP": req.client_ip,
                       "X-Forwarded-Host": routing.normalize_host(host), "X-Forwarded-Proto": req.scheme}
            # The pod gets plain HTTP from the controller pod, with the client's Host header.
            upstream_req = replace(req, host=host, port=target, headers=headers,
                                   client_ip=pod.status.pod_ip or "", scheme="http")
            reply = respond(c, backend, container, upstream_req)
            if reply is None:
                trace.attempts.append(f"{ip}:{target}: closed without an HTTP reply")
                failure = "empty"
                continue
            trace.pod = conn.pod
            return _forward(c, reply, trace)
        return _page(c, 504 if failure == "timeout" else 502, trace)

    def endpoints(self, svc: Any, port_name: str | None) -> list[tuple[str, int]]:
        """(IP, port) of each ready endpoint of ``svc`` for its port ``port_name``, as ingress-nginx
        reads them from the EndpointSlices."""
        out = []
        for ip, _, ports in dns.ready_endpoints(self.rt, svc):
            target = next((p for name, p, proto in ports if name == (port_name or "") and proto == "TCP"), None)
            if target is not None:
                out.append((ip, target))
        return out


# ---------------------------------------------------------------------------- the app


def handle(rt: Runtime, pod: Pod, container: Container, req: HttpRequest) -> AppReply | None:
    """What the controller container answers: health on 10254, routing on 80 and 443."""
    if req.port == HEALTH_PORT:
        if req.route == "/healthz":
            return go_reply(rt, 200, "ok")
        return go_reply(rt, 404, "404 page not found\n")
    addon = rt.addons.get("ingress")
    if addon is None or req.port not in (80, 443):
        return None
    return addon.proxy(pod, req)


STATUS_TITLES = {308: "308 Permanent Redirect", 404: "404 Not Found", 502: "502 Bad Gateway",
                 503: "503 Service Temporarily Unavailable", 504: "504 Gateway Time-out"}


def _page(rt: Runtime, status: int, trace: ProxyTrace, extra: tuple[tuple[str, str], ...] = ()) -> AppReply:
    """nginx's built-in error page, without the version (ingress-nginx sets ``server_tokens off``)."""
    title = STATUS_TITLES[status]
    body = (f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
            "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
    headers = (("Date", http_date(rt)), ("Content-Type", "text/html"),
               ("Content-Length", str(len(body.encode()))), ("Connection", "keep-alive"), *extra)
    return AppReply(status, body, headers + _hsts(trace), upstream=trace, phrase=title.split(" ", 1)[1])


def _forward(rt: Runtime, reply: AppReply, trace: ProxyTrace) -> AppReply:
    # nginx sets its own Date and drops the upstream's Server, Connection and Date.
    kept = tuple((k, v) for k, v in reply.headers if k not in ("Date", "Server", "Connection"))
    headers = (("Date", http_date(rt)), *kept, ("Connection", "keep-alive"))
    return AppReply(reply.status, reply.body, headers + _hsts(trace), reply.version, upstream=trace)


def _hsts(trace: ProxyTrace) -> tuple[tuple[str, str], ...]:
    # ingress-nginx adds HSTS to HTTPS answers of hosts with their own certificate.
    if trace.tls is not None and not trace.tls.default:
        return (("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),)
    return ()


def _no_options(options: dict[str, Any]) -> None:
    if options:
        raise BadRequest(f'error: the ingress addon takes no options (got {", ".join(sorted(options))})')


def _manifests() -> list[dict[str, Any]]:
    """The objects of ingress-nginx's deploy manifest that take part in routing."""
    meta = {"namespace": NAMESPACE, "labels": dict(LABELS)}
    probe = {"httpGet": {"path": "/healthz", "port": HEALTH_PORT, "scheme": "HTTP"}, "initialDelaySeconds": 10,
             "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1}
    return [
        {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
         "metadata": {"name": CLASS, "labels": dict(LABELS), "annotations": {DEFAULT_CLASS_ANNOTATION: "true"}},
         "spec": {"controller": CONTROLLER_CLASS}},
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": NAME, **meta},
         "spec": {
             "replicas": 1, "revisionHistoryLimit": 10, "minReadySeconds": 0,
             "selector": {"matchLabels": dict(LABELS)},
             "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
             "template": {"metadata": {"labels": dict(LABELS)}, "spec": {
                 "serviceAccountName": "ingress-nginx", "terminationGracePeriodSeconds": 300,
                 "dnsPolicy": "ClusterFirst", "nodeSelector": {"kubernetes.io/os": "linux"},
                 "containers": [{
                     "name": "controller", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                     "args": ["/nginx-ingress-controller", f"--publish-service=$(POD_NAMESPACE)/{NAME}",
                              "--election-id=ingress-nginx-leader", f"--controller-class={CONTROLLER_CLASS}",
                              f"--ingress-class={CLASS}", "--configmap=$(POD_NAMESPACE)/ingress-nginx-controller",
                              "--validating-webhook=:8443"],
                     "ports": [{"name": "http", "containerPort": 80, "protocol": "TCP"},
                               {"name": "https", "containerPort": 443, "protocol": "TCP"},
                               {"name": "webhook", "containerPort": 8443, "protocol": "TCP"},
                               # The health and metrics server: declared as the chart does with metrics on.
                               {"name": "metrics", "containerPort": HEALTH_PORT, "protocol": "TCP"}],
                     "readinessProbe": {**probe, "failureThreshold": 3},
                     "livenessProbe": {**probe, "failureThreshold": 5},
                 }]}}}},
        # The upstream cloud manifest sets externalTrafficPolicy: Local to keep client IPs; kitlib
        # keeps the default Cluster, as minikube's add-on does, so that every node's NodePort answers.
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": NAME, **meta},
         "spec": {"type": "LoadBalancer", "selector": dict(LABELS), "ipFamilyPolicy": "SingleStack",
                  "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http",
                             "appProtocol": "http"},
                            {"name": "https", "port": 443, "protocol": "TCP", "targetPort": "https",
                             "appProtocol": "https"}]}},
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": f"{NAME}-admission", **meta},
         "spec": {"type": "ClusterIP", "selector": dict(LABELS),
                  "ports": [{"name": "https-webhook", "port": 443, "targetPort": "webhook", "appProtocol": "https"}]}},
    ]


__all__ = ["CLASS", "FAKE_CERTIFICATE", "IngressNginx", "ProxyTrace", "TlsSession", "handle"]
