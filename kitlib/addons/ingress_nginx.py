"""ingress-nginx: the ingress controller of ``cluster.enable_addon("ingress")``.

What the add-on installs is what minikube's ingress add-on installs
(minikube ``deploy/addons/ingress/ingress-deploy.yaml.tmpl``, image tags from
``pkg/minikube/assets/addons.go``), reduced to the parts that route traffic and the objects a
learner sees with ``kubectl get all -n ingress-nginx``:

* namespace ``ingress-nginx``, with Deployment ``ingress-nginx-controller`` (one pod running
  ``/nginx-ingress-controller`` with minikube's args, ``--watch-ingress-without-class=true``
  among them; ready when ``/healthz`` on port 10254 answers). Its container declares
  ``hostPort`` 80 and 443, and its ``nodeSelector`` ``minikube.k8s.io/primary: "true"`` pins it
  to the primary node, so ``http://$(minikube ip)/`` reaches nginx through the CNI portmap
  plugin's DNAT (:mod:`kitlib.network.hostport`);
* Service ``ingress-nginx-controller`` of type NodePort (ports 80 and 443), and Service
  ``ingress-nginx-controller-admission`` (the validating webhook's, not simulated further);
* ConfigMaps ``ingress-nginx-controller``, ``tcp-services`` and ``udp-services``;
* IngressClass ``nginx`` (controller ``k8s.io/ingress-nginx``), marked as the default class.

The validating webhook ``validate.nginx.ingress.kubernetes.io`` checks Ingresses as they are
created or updated (:meth:`IngressNginx.admit`), as a hook of the API server rather than as a
ValidatingWebhookConfiguration object. Not simulated: the admission Jobs
``ingress-nginx-admission-create``/``-patch`` (kitlib has no Job controller), the webhook's
Secret and ValidatingWebhookConfiguration objects, RBAC objects.

The controller takes Ingresses whose class is ``nginx`` and, with
``--watch-ingress-without-class=true``, those without a class. It compiles them into one routing
table (:mod:`kitlib.network.ingress`, with the annotations that module lists) and publishes its
address in each one's ``status.loadBalancer.ingress``. minikube's args have neither
``--publish-service`` nor ``--publish-status-address``, so ingress-nginx publishes the IPs of the
nodes that run its ready pods (``internal/ingress/status/status.go``, ``runningAddresses``;
``internal/k8s/main.go``, ``GetNodeIPs``: a node's ExternalIP, else its InternalIP): on minikube
the primary node's 192.168.49.2, ``minikube ip``.

Cloud-style exposure: ``enable_addon("ingress", service_type="LoadBalancer")`` installs the
Service as type LoadBalancer and runs the controller with
``--publish-service=$(POD_NAMESPACE)/ingress-nginx-controller``, as ingress-nginx's cloud
manifest does: the Ingresses' address is then the Service's EXTERNAL-IP, which stays
``<pending>`` until a load-balancer implementation such as MetalLB gives it one.

A request that reaches the controller pod on port 80 or 443 is matched and proxied straight to
a ready endpoint of the backend Service (round robin, retried on the next endpoint up to three
times), not through the Service's ClusterIP: ingress-nginx reads the EndpointSlices itself. With
no ready endpoint it answers 503.

TLS: for a host listed under an Ingress's ``tls``, the controller serves the certificate of its
Secret; for every other host, or when the Secret is missing, its self-signed default certificate
"Kubernetes Ingress Controller Fake Certificate". A plain-HTTP request for a TLS host is
redirected to HTTPS with 308 Permanent Redirect (``ssl-redirect``, on by default; see
:func:`redirect_to_https`).

Simplifications: kitlib does not parse certificates (a ``kubernetes.io/tls`` Secret with both
keys counts as a certificate for the hosts the Ingress lists); the simulated client does not
verify certificates (like ``curl -k``), it only reports which one it got.
"""

from __future__ import annotations

import random
import re
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
from ..api.node import Node, internal_ip
from ..api.pod import is_ready
from ..api.service import Service
from ..container.handlers import AppReply, HttpRequest, go_reply, http_date
from ..container.images import respond
from ..errors import BadRequest, NotFound, ServerBadRequest
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
IMAGE = ("registry.k8s.io/ingress-nginx/controller:v1.15.1"
         "@sha256:594ceea76b01c592858f803f9ff4d2cb40542cae2060410b2c95f75907d659e1")
"""minikube's image of the controller (``pkg/minikube/assets/addons.go``, ``IngressController``)."""
SERVICE_TYPES = ("NodePort", "LoadBalancer")
"""``service_type`` values: minikube's NodePort Service (the default), or the cloud manifest's LoadBalancer."""
PRIMARY_LABEL = "minikube.k8s.io/primary"
HEALTH_PORT = 10254
LISTENS = frozenset({(80, "TCP"), (443, "TCP"), (8443, "TCP"), (HEALTH_PORT, "TCP")})
"""What the controller's processes listen on (its Deployment's ``--http-port``/``--https-port``
defaults, the webhook's ``--validating-webhook=:8443``, ``--healthz-port``)."""
WEBHOOK = "validate.nginx.ingress.kubernetes.io"
"""The name of the validating webhook of the ingress-nginx-admission ValidatingWebhookConfiguration."""
_VALID_PATH = re.compile(r"/[A-Za-z0-9._\-/]*")
r"""``validPathType`` (``internal/ingress/inspector/rules.go``): ``(?i)^/[[:alnum:]._\-/]*$``."""
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
    canary: str | None = None
    """Why the request went to the canary's backend or stayed on the primary; None: no canary."""
    upstream_path: str | None = None
    """The path the backend got, after ``rewrite-target``."""


class IngressNginx:
    """The ingress-nginx add-on of one cluster (see the module docstring)."""

    name = "ingress"

    def __init__(self, rt: Runtime, service_type: str = "NodePort", **options: Any) -> None:
        _no_options(options)
        self.service_type = _service_type(service_type)
        self.rt = rt
        self._router: routing.Router | None = None
        self._busy = False
        self._next: dict[str, int] = {}  # upstream -> round-robin position
        # balancer.lua's math.random for canary weights: a stream of its own, so that canaries
        # do not shift the draws of kube-proxy or the API server.
        self._canary_rng = random.Random(f"{rt.seed}:ingress-canary")

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
        for doc in _manifests(self.service_type):
            if doc["kind"] == "IngressClass" and c.api.store.get("IngressClass", CLASS) is not None:
                continue
            c.create(doc)
        c.api.watch(self._on_change)
        c.api.validating_webhooks.append(self.admit)
        self._sync_status()
        for _ in range(60):
            if self.ready_pods():
                break
            c.advance(2)

    def adopt(self) -> None:
        """Take over an ingress-nginx that already runs (a cluster loaded from a dump,
        :mod:`kitlib.dump`): its controller pods' images answer as the controller, and the add-on
        watches the API and admits Ingresses from now on; nothing is created, and the Ingresses'
        status stays as loaded until one of them changes."""
        c = self.rt
        repos = {image_repo(IMAGE)} | {image_repo(ct.image or "") for p in c.pods(NAMESPACE)
                                       if p.metadata.labels.get("app.kubernetes.io/component") == "controller"
                                       for ct in p.spec.containers}
        for repo in sorted(repos):
            c.apps.apps.register(repo, handle, tls=True, listens=LISTENS)
        c.api.watch(self._on_change)
        c.api.validating_webhooks.append(self.admit)

    def configure(self, service_type: str | None = None, **options: Any) -> None:
        """Enabling the add-on again changes nothing; a different ``service_type`` is refused
        (disable the add-on first), as the two manifests differ in the Deployment's args too."""
        _no_options(options)
        if service_type is not None and _service_type(service_type) != self.service_type:
            raise BadRequest(f'error: the ingress addon is enabled with service_type "{self.service_type}": '
                             'disable it first (cluster.disable_addon("ingress")) to change it')

    def uninstall(self) -> None:
        """Delete the namespace (and with it the controller) and the IngressClass, and wait until
        they are gone, as ``minikube addons disable`` does (``kubectl delete -f``, which waits):
        the namespace controller empties the namespace first, so this takes some 10 simulated
        seconds. The Ingresses stay, with their status cleared, and nothing serves them any more."""
        c = self.rt
        c.api.unwatch(self._on_change)
        if self.admit in c.api.validating_webhooks:
            c.api.validating_webhooks.remove(self.admit)
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
        names ingress-nginx's controller, or (minikube's manifest, ``--watch-ingress-without-class=true``;
        ingress-nginx ``internal/ingress/controller/store/store.go`` checks the flag when an Ingress
        names no class) it has no class at all."""
        name = class_of(ing)
        if not name:
            return self.service_type == "NodePort"  # only minikube's manifest has the flag
        ic = self.rt.api.store.get("IngressClass", name)
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
        """(IP, HTTP port, HTTPS port) where clients outside the cluster reach the controller.
        minikube's add-on: the IP of the node its pod runs on (the primary node, ``minikube ip``)
        on ports 80 and 443, its ``hostPort``. ``service_type="LoadBalancer"``: the Service's
        EXTERNAL-IP on 80 and 443, or while that is pending the primary node's IP on the NodePorts."""
        svc = self.service()
        if svc is None:
            raise NotFound(f'services "{NAME}" not found')
        if self.service_type == "NodePort":
            nodes = self.node_ips()
            return (nodes[0] if nodes else internal_ip(self.rt.nodes()[0])), 80, 443
        lb = [i.ip for i in svc.status.load_balancer.ingress if i.ip]
        if lb:
            return lb[0], 80, 443
        ports = {p.port: p.node_port for p in svc.spec.ports}
        return internal_ip(self.rt.nodes()[0]), ports.get(80) or 80, ports.get(443) or 443

    def address_note(self) -> str:
        """What :meth:`address` is, in a phrase."""
        if self.service_type == "NodePort":
            return "the IP of the node that runs the ingress controller (minikube ip), its hostPort"
        svc = self.service()
        if svc is not None and any(i.ip for i in svc.status.load_balancer.ingress):
            return "the ingress controller Service's EXTERNAL-IP"
        return "the primary node's IP (minikube ip): the controller Service's EXTERNAL-IP is still pending"

    def node_ips(self) -> list[str]:
        """The addresses of the nodes that run a Running and Ready controller pod, as ingress-nginx
        publishes them without ``--publish-service`` (``GetNodeIPs``: ExternalIP, else InternalIP)."""
        out: list[str] = []
        for pod in self.ready_pods():
            node = self.rt.api.store.get("Node", pod.spec.node_name or "")
            if not isinstance(node, Node):
                continue
            external = [a.address for a in node.status.addresses if a.type == "ExternalIP" and a.address]
            for ip in external or [a.address for a in node.status.addresses if a.type == "InternalIP" and a.address]:
                if ip not in out:
                    out.append(ip)
        return out

    def _on_change(self, obj: Any, removed: bool) -> None:
        if self._busy:
            return
        kind = obj.kind
        if kind in ("Ingress", "IngressClass"):
            self._router = None
            if kind == "Ingress" and not removed and self.serves(obj):
                self._sync_status([obj], event=True)
        elif kind == "Service" and obj.key == f"{NAMESPACE}/{NAME}" and self.service_type == "LoadBalancer":
            self._sync_status()
        elif kind == "Pod" and obj.namespace == NAMESPACE and self.service_type == "NodePort":
            self._sync_status()

    def _sync_status(self, ingresses: list[Any] | None = None, event: bool = False) -> None:
        """Write the controller's address into each served Ingress: the nodes of its ready pods
        (minikube's args), or the Service's load-balancer address (``--publish-service``)."""
        if self.service_type == "NodePort":
            addresses = [IngressLoadBalancerIngress(ip=ip) for ip in self.node_ips()]
        else:
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
        router = self.router
        trace = ProxyTrace(router.explain(host, req.path))
        if req.scheme == "https":
            trace.tls = self.tls_session(req.host if not is_ip(req.host) else None)
        match, route = trace.match, trace.match.route
        node = pod.spec.node_name or ""
        vertex = pod_vertex(pod.key)
        rule = str(match)
        server = router.server_for(host)

        def note(text: str) -> None:
            trace.hops.append(Hop(vertex, node, "nginx", pod.status.pod_ip or "", host, text))

        app_root = server.app_root
        if app_root and routing.request_path(req.path) == "/":
            # nginx.tmpl: if ($uri = /) { return 302 $scheme://$http_host<app-root>; }, in the server
            # block, so before any location (and its ssl-redirect) runs.
            note(f"app-root {app_root}: the server answers 302 for / before choosing a location")
            return _page(c, 302, trace, (("Location", f"{req.scheme}://{host}{app_root}"),))
        annotations = route.annotations if route is not None else server.annotations
        if self.redirect_to_https(req.scheme, host, annotations):
            location = _https_location(host, req.path, annotations)
            why = ("force-ssl-redirect" if annotations.force_ssl_redirect else
                   f"{routing.normalize_host(host)} has TLS: ssl-redirect")
            note(f"{rule}; {why} answers 308")
            return _page(c, 308, trace, (("Location", location),))
        note(f"ingress rule: {rule}")
        if route is None:
            return _page(c, 404, trace)
        canary = router.canary_for(route)
        if canary is not None:
            draw = self._canary_rng.randint(1, canary.weight_total) if canary.route.annotations.canary_weight \
                else None
            chosen, why = canary.choose(req.headers, draw)
            trace.canary = (f"canary {canary.route.ingress} → {canary.route.backend}: {why}" if chosen
                            else f"primary (canary {canary.route.ingress} not chosen: {why})")
            note(trace.canary)
            if chosen:
                route = replace(canary.route, annotations=route.annotations, path=route.path)
        path = routing.rewrite(route, req.path)
        if path != req.path:
            trace.upstream_path = path
            note(f'rewrite "(?i){route.path}" {route.annotations.rewrite_target} break: {req.path} → {path}')
        req = replace(req, path=path)
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

    def admit(self, obj: Any, old: Any) -> None:
        """The validating webhook ``validate.nginx.ingress.kubernetes.io`` on a create or update of
        an Ingress this controller serves (``CheckIngress`` in ``controller.go``): with
        ``strict-validate-path-type`` (on by default) an Exact or Prefix path may hold only
        letters, digits, ``.``, ``_``, ``-`` and ``/`` (``inspector.ValidatePathType``); a regex
        path needs ``pathType: ImplementationSpecific``. Not simulated: the nginx configuration
        test the webhook also runs, and the webhook's failure while no controller pod is ready."""
        if not isinstance(obj, Ingress) or obj.metadata.deletion_timestamp is not None or not self.serves(obj):
            return
        bad = [f"path {p.path} cannot be used with pathType {p.path_type or '<nil>'}"
               for rule in obj.spec.rules for p in (rule.http.paths if rule.http else [])
               if p.path and p.path_type != "ImplementationSpecific" and not _VALID_PATH.fullmatch(p.path)]
        if bad:
            # errors.Join separates the errors with newlines; the API server prefixes the webhook's name.
            raise ServerBadRequest(f'admission webhook "{WEBHOOK}" denied the request: ingress contains invalid '
                                   f'paths: {chr(10).join(bad)}')

    def redirect_to_https(self, scheme: str, host: str, annotations: routing.Annotations) -> bool:
        """Whether a request is redirected to HTTPS (``lua_ingress.lua``, ``redirect_to_https``):
        with ``force-ssl-redirect`` any plain-HTTP request; else with ``ssl-redirect`` (on by
        default) a plain-HTTP request for a host that has a certificate of its own."""
        if scheme != "http":
            return False
        if annotations.force_ssl_redirect:
            return True
        return annotations.ssl_redirect and self.router.tls_for(host) is not None

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


def _https_location(host: str, request_uri: str, annotations: routing.Annotations) -> str:
    """The redirect's target: ``https://`` + the host without its port + the request URI, whose
    final ``/`` is dropped unless ``preserve-trailing-slash`` (``lua_ingress.lua``)."""
    if not annotations.preserve_trailing_slash and request_uri.endswith("/"):
        request_uri = request_uri[:-1]
    return f"https://{host.split(':', 1)[0]}{request_uri}"


STATUS_TITLES = {302: "302 Found", 308: "308 Permanent Redirect", 404: "404 Not Found", 502: "502 Bad Gateway",
                 503: "503 Service Temporarily Unavailable", 504: "504 Gateway Time-out"}


def _page(rt: Runtime, status: int, trace: ProxyTrace, extra: tuple[tuple[str, str], ...] = ()) -> AppReply:
    """nginx's built-in error page, without the version (ingress-nginx sets ``server_tokens off``)."""
    title = STATUS_TITLES[status]
    body = (f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
            "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
    headers = (("Date", http_date(rt)), ("Content-Type", "text/html"),
               ("Content-Length", str(len(body.encode()))), ("Connection", "keep-alive"), *extra)
    # nginx's status line says "302 Moved Temporarily" while its error page says "302 Found"
    # (ngx_http_header_filter_module.c, ngx_http_special_response.c).
    phrase = "Moved Temporarily" if status == 302 else title.split(" ", 1)[1]
    return AppReply(status, body, headers + _hsts(rt, trace), upstream=trace, phrase=phrase)


def _forward(rt: Runtime, reply: AppReply, trace: ProxyTrace) -> AppReply:
    # nginx sets its own Date and drops the upstream's Server, Connection and Date.
    kept = tuple((k, v) for k, v in reply.headers if k not in ("Date", "Server", "Connection"))
    headers = (("Date", http_date(rt)), *kept, ("Connection", "keep-alive"))
    return AppReply(reply.status, reply.body, headers + _hsts(rt, trace), reply.version, upstream=trace)


def _hsts(rt: Runtime, trace: ProxyTrace) -> tuple[tuple[str, str], ...]:
    # ingress-nginx adds HSTS to HTTPS answers of hosts with their own certificate
    # (lua_ingress.lua, header()), unless its ConfigMap says hsts: "false", as minikube's does.
    cm = rt.api.store.get("ConfigMap", f"{NAMESPACE}/{NAME}")
    if cm is not None and (getattr(cm, "data", None) or {}).get("hsts") == "false":
        return ()
    if trace.tls is not None and not trace.tls.default:
        return (("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),)
    return ()


def _no_options(options: dict[str, Any]) -> None:
    if options:
        raise BadRequest(f'error: the ingress addon takes only service_type (got {", ".join(sorted(options))})')


def _service_type(value: Any) -> str:
    if value not in SERVICE_TYPES:
        raise BadRequest(f'error: service_type must be "NodePort" (minikube\'s add-on) or "LoadBalancer" '
                         f"(the cloud manifest), not {value!r}")
    return str(value)


def _manifests(service_type: str) -> list[dict[str, Any]]:
    """The objects of minikube's ingress manifest that take part in routing or that
    ``kubectl get all -n ingress-nginx`` shows; ``service_type`` "LoadBalancer" swaps in the
    Deployment and Service of ingress-nginx's cloud manifest (``deploy/static/provider/cloud/
    deploy.yaml``: ``--publish-service``, ``--ingress-class=nginx`` and no
    ``--watch-ingress-without-class``, no hostPort, no primary-node selector)."""
    minikube = service_type == "NodePort"
    meta = {"namespace": NAMESPACE, "labels": dict(LABELS)}
    probe = {"httpGet": {"path": "/healthz", "port": HEALTH_PORT, "scheme": "HTTP"}, "initialDelaySeconds": 10,
             "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1}
    if minikube:
        args = ["/nginx-ingress-controller", "--election-id=ingress-nginx-leader",
                f"--controller-class={CONTROLLER_CLASS}", "--watch-ingress-without-class=true",
                "--configmap=$(POD_NAMESPACE)/ingress-nginx-controller",
                "--tcp-services-configmap=$(POD_NAMESPACE)/tcp-services",
                "--udp-services-configmap=$(POD_NAMESPACE)/udp-services"]
    else:
        args = ["/nginx-ingress-controller", f"--publish-service=$(POD_NAMESPACE)/{NAME}",
                "--election-id=ingress-nginx-leader", f"--controller-class={CONTROLLER_CLASS}",
                f"--ingress-class={CLASS}", "--configmap=$(POD_NAMESPACE)/ingress-nginx-controller"]
    args += ["--validating-webhook=:8443", "--validating-webhook-certificate=/usr/local/certificates/cert",
             "--validating-webhook-key=/usr/local/certificates/key"]
    host_ports = ({"hostPort": 80}, {"hostPort": 443}) if minikube else ({}, {})
    # The cloud manifest sets externalTrafficPolicy: Local to keep client IPs; kitlib keeps the
    # default Cluster, so that every node's NodePort answers while EXTERNAL-IP is pending.
    ipv4 = {"ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack"}
    return [
        *({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, **meta},
           **({"data": {"hsts": "false"}} if name == NAME else {})}
          for name in (NAME, "tcp-services", "udp-services")),
        {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
         "metadata": {"name": CLASS, "labels": dict(LABELS), "annotations": {DEFAULT_CLASS_ANNOTATION: "true"}},
         "spec": {"controller": CONTROLLER_CLASS}},
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": NAME, **meta},
         "spec": {
             "minReadySeconds": 0, "revisionHistoryLimit": 10,
             "selector": {"matchLabels": dict(LABELS)},
             "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
             "template": {"metadata": {"labels": {**LABELS, **({"gcp-auth-skip-secret": "true"} if minikube else {})}},
                          "spec": {
                 "serviceAccountName": "ingress-nginx", "terminationGracePeriodSeconds": 0 if minikube else 300,
                 "dnsPolicy": "ClusterFirst",
                 "nodeSelector": {PRIMARY_LABEL: "true", "kubernetes.io/os": "linux"} if minikube
                 else {"kubernetes.io/os": "linux"},
                 **({"tolerations": [{"effect": "NoSchedule", "key": "node-role.kubernetes.io/master",
                                      "operator": "Equal"}]} if minikube else {}),
                 "volumes": [{"name": "webhook-cert", "secret": {"secretName": "ingress-nginx-admission"}}],
                 "containers": [{
                     "name": "controller", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                     "args": args,
                     "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                             {"name": "POD_NAMESPACE",
                              "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                             {"name": "LD_PRELOAD", "value": "/usr/local/lib/libmimalloc.so"}],
                     "ports": [{"name": "http", "containerPort": 80, **host_ports[0], "protocol": "TCP"},
                               {"name": "https", "containerPort": 443, **host_ports[1], "protocol": "TCP"},
                               {"name": "webhook", "containerPort": 8443, "protocol": "TCP"}],
                     "readinessProbe": {**probe, "failureThreshold": 3},
                     "livenessProbe": {**probe, "failureThreshold": 5},
                     "resources": {"requests": {"cpu": "100m", "memory": "90Mi"}},
                     "volumeMounts": [{"mountPath": "/usr/local/certificates/", "name": "webhook-cert",
                                       "readOnly": True}],
                 }]}}}},
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": NAME, **meta},
         "spec": {"type": service_type, "selector": dict(LABELS), **ipv4,
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
