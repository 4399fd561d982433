"""Envoy Gateway v1.9.0: the Gateway API implementation of ``cluster.enable_addon("gateway")``.

What the add-on installs is what Envoy Gateway's install manifest and quickstart install, reduced
to the parts that route traffic:

* namespace ``envoy-gateway-system`` with Deployment ``envoy-gateway`` (the controller,
  ``docker.io/envoyproxy/gateway:v1.9.0``, ready when ``/readyz`` on 8081 answers) and its Service;
* GatewayClass ``eg`` with ``controllerName: gateway.envoyproxy.io/gatewayclass-controller``, as
  the quickstart creates it.

The controller accepts every GatewayClass that names it and, for each Gateway of such a class,
creates in ``envoy-gateway-system`` a proxy Deployment and a LoadBalancer Service named as Envoy
Gateway names them (``envoy-<namespace>-<name>-<sha256("namespace/name")[:8]>``,
``ExpectedResourceHashedName``), labelled ``app.kubernetes.io/name: envoy``,
``app.kubernetes.io/component: proxy``, ``app.kubernetes.io/managed-by: envoy-gateway`` and
``gateway.envoyproxy.io/owning-gateway-name``/``-namespace``. The Service has one port per listener
port, named ``<protocol>-<port>`` (``irListenerPortName``); its target is the envoy container's
port: a listener port below 1024 plus 10000 (``servicePortToContainerPort``: 80 → 10080), so envoy
runs without ``CAP_NET_BIND_SERVICE``. The envoy container (``docker.io/envoyproxy/envoy:distroless-v1.39.0``,
``DefaultEnvoyProxyImage``) is ready when ``/ready`` on 19003 answers (``EnvoyReadinessPort``).

The LoadBalancer address comes from MetalLB when it is enabled; without it the Service's
EXTERNAL-IP stays ``<pending>`` and the Gateway stays ``Programmed: False`` (``AddressNotAssigned``),
as on a real cluster without a load-balancer implementation. Status is written as Envoy Gateway
writes it (:mod:`kitlib.network.gateway` computes it): the GatewayClass ``Accepted``, each Gateway's
``Accepted``/``Programmed`` with its addresses and listeners, each HTTPRoute's ``status.parents[]``.

A request reaching an envoy pod on a listener's container port is routed by the Gateway's table
and proxied straight to a ready endpoint of the backend Service (Envoy reads EndpointSlices, not
the ClusterIP): Envoy's empty 404 when no route matches, 500 for a backend that does not resolve,
503 ``no healthy upstream`` when the Service has no ready endpoint, redirects with ``location``.

Envoy's own headers as Envoy Gateway configures it (``internal/xds/translator/listener.go``): no
``server`` header of its own (``server_header_transformation: PASS_THROUGH``), no
``x-envoy-upstream-service-time`` (the router's ``suppress_envoy_headers``); header names in lower
case (Envoy's HTTP/1 codec); ``use_remote_address``: the client's address appended to
``x-forwarded-for``, ``x-forwarded-proto`` set; repeated slashes merged (``merge_slashes``).

Simplifications: the controller reconciles on the simulated clock as soon as the clock moves
(``cluster.advance``), the routing table at once; certificates are not parsed (a Secret that exists
counts as a certificate for the listener's hostname); Envoy's
``x-request-id`` is not added (a random UUID would draw from the cluster's seeded generator).
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, cast

from ..api.addresses import is_ip
from ..api.apps import Deployment
from ..api.crds import gateway_api_documents
from ..api.defaults import image_repo
from ..api.gateway import (
    Gateway,
    GatewayClass,
    GatewayStatusAddress,
    HTTPRoute,
    ListenerStatus,
    ReferenceGrant,
    RouteGroupKind,
    RouteParentStatus,
)
from ..api.meta import Condition
from ..api.pod import is_ready
from ..api.service import Service
from ..container.handlers import AppReply, HttpRequest, go_reply, http_date
from ..container.images import respond
from ..errors import BadRequest
from ..manifest import decode
from ..network import dns
from ..network import gateway as routing
from ..network.datapath import Hop, connect
from ..network.gateway import normalize_host
from ..network.http import accepting_container, parse_url
from ..network.topology import pod_vertex
from .ingress_nginx import TlsSession

if TYPE_CHECKING:
    from ..api.pod import Container, Pod
    from ..runtime import Runtime

NAMESPACE = "envoy-gateway-system"
NAME = "envoy-gateway"
CLASS = "eg"
CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller"
IMAGE = "docker.io/envoyproxy/gateway:v1.9.0"
ENVOY_IMAGE = "docker.io/envoyproxy/envoy:distroless-v1.39.0"
"""``DefaultEnvoyProxyImage`` of Envoy Gateway v1.9.0 (``api/v1alpha1/shared_types.go``)."""
READINESS_PORT = 19003
STATS_PORT = 19001
SHUTDOWN_PORT = 19002
HEALTH_PORT = 8081
WELL_KNOWN_SHIFT = 10000
"""``wellKnownPortShift``: a listener port below 1024 maps to this much higher a container port."""
CONTROLLER_LISTENS = frozenset({(18000, "TCP"), (18001, "TCP"), (18002, "TCP"), (19001, "TCP"),
                                (9443, "TCP"), (HEALTH_PORT, "TCP"), (SHUTDOWN_PORT, "TCP")})
"""The controller's xDS, rate-limit, wasm, metrics, webhook and health ports (the Helm chart's
``deployment.ports``, the probes' 8081) and the proxy's shutdown-manager (same image) on 19002."""
OWNING_NAME = "gateway.envoyproxy.io/owning-gateway-name"
OWNING_NAMESPACE = "gateway.envoyproxy.io/owning-gateway-namespace"
APP_LABELS = {"app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy",
              "app.kubernetes.io/managed-by": "envoy-gateway"}
INSTALL_CRDS = True
"""Create the Gateway API CRDs on install (``kitlib.api.crds.gateway_api_documents()``): switched on
once the CRDs are served as a kind; until then the kinds are always served."""


def proxy_name(namespace: str, name: str) -> str:
    """The name of a Gateway's proxy Deployment and Service (``ExpectedResourceHashedName``).

    >>> proxy_name("default", "eg")
    'envoy-default-eg-e41e7b31'
    """
    ns_name = f"{namespace}/{name}"
    digest = hashlib.sha256(ns_name.encode()).hexdigest()
    resource = ns_name.replace("/", "-")
    if len(resource) > 48:
        resource = resource[:48].rstrip("-")
    return f"envoy-{resource}-{digest[:8]}"


def container_port(port: int) -> int:
    """``servicePortToContainerPort``: 80 → 10080, 8080 → 8080."""
    return port + WELL_KNOWN_SHIFT if port < 1024 else port


@dataclass
class GatewayTrace:
    """What envoy did with one request: the match, the upstream it called, the hops."""

    match: routing.GatewayMatch
    hops: list[Hop] = field(default_factory=list)
    service: str | None = None
    pod: str | None = None
    tls: TlsSession | None = None
    attempts: list[str] = field(default_factory=list)


@dataclass
class Split:
    """What :meth:`EnvoyGateway.split` measured: the Gateway, the match, and the requests per Service."""

    url: str
    gateway: str | None
    match: routing.GatewayMatch | None
    counts: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        total = sum(self.counts.values()) or 1
        return " · ".join(f"{name} {n} ({100 * n / total:.1f} %)"
                          for name, n in sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0])))


class EnvoyGateway:
    """The Envoy Gateway add-on of one cluster (see the module docstring)."""

    name = "gateway"

    def __init__(self, rt: Runtime, **options: Any) -> None:
        if options:
            raise BadRequest(f'error: the gateway addon takes no options (got {", ".join(sorted(options))})')
        self.rt = rt
        self._compiled: routing.Compiled | None = None
        self._busy = False
        self._queued = False
        self._turn: dict[str, int] = {}

    # ------------------------------------------------------------------ lifecycle

    def install(self) -> None:
        """Create the controller's objects and wait until it is ready (``kubectl wait --for=condition=available``)."""
        c = self.rt
        c.apps.apps.register(image_repo(IMAGE), handle_controller, listens=CONTROLLER_LISTENS)
        c.apps.apps.register(image_repo(ENVOY_IMAGE), handle_envoy, tls=True)
        if INSTALL_CRDS:  # the Gateway API's standard-channel CRDs: the kinds are served from here on
            for doc in gateway_api_documents():
                if c.api.store.get("CustomResourceDefinition", doc["metadata"]["name"]) is None:
                    c.create(doc)
        if c.api.store.get("Namespace", NAMESPACE) is None:
            c.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
        for doc in _manifests():
            c.create(doc)
        if c.api.store.get("GatewayClass", CLASS) is None:
            c.create({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                      "metadata": {"name": CLASS}, "spec": {"controllerName": CONTROLLER_NAME}})
        c.api.watch(self._on_change)
        self._queue()
        for _ in range(60):
            if self._controller_ready():
                break
            c.advance(2)
        self.reconcile()

    def configure(self, **options: Any) -> None:
        """The add-on has no options; enabling it again changes nothing."""
        if options:
            raise BadRequest(f'error: the gateway addon takes no options (got {", ".join(sorted(options))})')

    def uninstall(self) -> None:
        """Stop the controller and delete its namespace (the proxies go with it)."""
        self.rt.api.unwatch(self._on_change)
        if self.rt.api.store.get("Namespace", NAMESPACE) is not None:
            self.rt.delete("Namespace", NAMESPACE, NAMESPACE)
        for _ in range(600):
            if self.rt.api.store.get("Namespace", NAMESPACE) is None:
                break
            self.rt.advance(1)

    # ------------------------------------------------------------------ the controller

    @property
    def compiled(self) -> routing.Compiled:
        """Every table and status, compiled from the store (rebuilt after any relevant change)."""
        if self._compiled is None:
            store = self.rt.api.store
            self._compiled = routing.compile_gateways(
                CONTROLLER_NAME, store.items_as(GatewayClass), store.items_as(Gateway), store.items_as(HTTPRoute),
                store.items_as(ReferenceGrant),
                services={s.key: s for s in store.items_as(Service)},
                namespaces={n.name: n for n in store.items("Namespace")},
                secrets={s.key: s for s in store.items("Secret")})
        return self._compiled

    def table(self, gateway: str) -> routing.GatewayTable | None:
        """The routing table of Gateway ``namespace/name``."""
        return self.compiled.tables.get(gateway)

    def proxy_service(self, gateway: str) -> Service | None:
        ns, name = gateway.split("/", 1)
        svc = self.rt.api.store.get("Service", f"{NAMESPACE}/{proxy_name(ns, name)}")
        return svc if isinstance(svc, Service) else None

    def address(self, gateway: str) -> str | None:
        """The Gateway's address (its proxy Service's load-balancer IP), None while pending."""
        svc = self.proxy_service(gateway)
        if svc is None:
            return None
        return next((i.ip for i in svc.status.load_balancer.ingress if i.ip), None)

    def gateway_for_host(self, host: str) -> str | None:
        """The Gateway with an address that serves ``host`` most specifically (exact name, then the
        longest wildcard, then a listener for any host), or None."""
        best: tuple[int, str] | None = None
        for key, table in self.compiled.tables.items():
            if self.address(key) is None:
                continue
            for domain in table.hostnames:
                if not routing.host_matches(domain, host):
                    continue
                score = 100000 if not domain.startswith("*") else len(domain) if domain != "*" else 0
                if best is None or score > best[0]:
                    best = (score, key)
        return best[1] if best else None

    def split(self, url: str, n: int = 1000, headers: dict[str, str] | None = None, method: str = "GET") -> Split:
        """Where ``n`` requests like ``cluster.http(url, headers=..., method=...)`` from outside would
        go: the Gateway that serves the URL's host (or has its address) routes each one, and its
        rule's backends take turns by weight as they do for real requests (the turns advance, so
        the next request continues the rotation). Counts the Services (``namespace/name``), or
        ``500 (<reason>)`` for a backend that does not resolve or weights that are all 0. A batch of
        routing decisions for the labs: no connection is made and no pod answers.

        >>> import kitlib
        >>> c = kitlib.Cluster(nodes=1); gw = c.enable_addon("gateway")
        >>> gw.split("http://nothing.example/", n=3).counts
        {'no Gateway': 3}
        """
        if n < 0:
            raise BadRequest(f"error: n must be 0 or more, not {n}")
        _, host, port, path = parse_url(url)
        host = next((v for k, v in (headers or {}).items() if k.lower() == "host"), host)
        key = self.gateway_for_host(host) or next(
            (k for k in self.compiled.tables if self.address(k) == normalize_host(host)), None)
        table = self.table(key) if key is not None else None
        if table is None:
            return Split(url, None, None, {"no Gateway": n})
        others = {k: v for k, v in (headers or {}).items() if k.lower() != "host"}
        match = table.match(port, host, path, method.upper(), others)
        entry = match.entry
        if entry is None:
            return Split(url, key, match, {"404 (no rule matches)": n})
        if entry.redirect is not None:
            return Split(url, key, match, {"redirect": n})
        turn = self._turn.get(entry.name, 0)
        counts: dict[str, int] = {}
        for t in range(turn, turn + n):
            b = routing.pick(entry.backends, t)
            name = "500 (every weight is 0)" if b is None else b.service if b.resolved else f"500 ({b.reason})"
            counts[name] = counts.get(name, 0) + 1
        if entry.backends:
            self._turn[entry.name] = turn + n
        return Split(url, key, match, counts)

    def _on_change(self, obj: Any, removed: bool) -> None:
        if self._busy:
            return
        kind = obj.kind
        if kind in ("GatewayClass", "Gateway", "HTTPRoute", "ReferenceGrant", "Namespace", "Secret") or (
                kind == "Service" and obj.namespace != NAMESPACE):
            self._compiled = None
            self._queue()
        elif kind in ("Service", "Deployment", "Pod") and obj.namespace == NAMESPACE:
            # A Deployment's status is written without a watch event: its pods' readiness tells.
            self._queue()

    def _queue(self) -> None:
        if not self._queued:
            self._queued = True
            self.rt.clock.at(self.rt.now, self.reconcile)

    def _controller_ready(self) -> bool:
        return any(p.status.phase == "Running" and is_ready(p) for p in self.rt.pods(NAMESPACE)
                   if p.metadata.labels.get("control-plane") == NAME)

    def reconcile(self) -> None:
        """One pass of the controller: proxies for every Gateway, then every status."""
        self._queued = False
        compiled = self.compiled
        self._busy = True
        try:
            for key in compiled.tables:
                self._ensure_proxy(key)
            self._remove_orphans(compiled)
            self._write_status(compiled)
        finally:
            self._busy = False

    def _ensure_proxy(self, key: str) -> None:
        gw = cast(Gateway, self.rt.api.store.get("Gateway", key))
        name = proxy_name(gw.namespace, gw.name)
        ports = []
        seen = set()
        for lst in gw.spec.listeners:
            if lst.protocol in ("HTTP", "HTTPS", "TCP", "TLS") and lst.port not in seen:
                seen.add(lst.port)
                ports.append((f"{lst.protocol.lower()}-{lst.port}", lst.port))
        api = self.rt.api
        svc = api.store.get("Service", f"{NAMESPACE}/{name}")
        if svc is None:
            api.create(decode(_proxy_service(gw, name, ports)), copy=False)
        elif isinstance(svc, Service) and [(p.name, p.port) for p in svc.spec.ports] != ports:
            # The listeners changed: the Service's ports follow (a port kept keeps its NodePort).
            wanted = cast(Service, decode(_proxy_service(gw, name, ports)))
            old = {p.port: p.node_port for p in svc.spec.ports}
            for p in wanted.spec.ports:
                p.node_port = old.get(p.port)
            new = copy.deepcopy(svc)
            new.spec.ports = wanted.spec.ports
            api.update(new)
        dep = api.store.get("Deployment", f"{NAMESPACE}/{name}")
        if not isinstance(dep, Deployment):
            api.create(decode(_proxy_deployment(gw, name, ports)), copy=False)
            return
        wanted_dep = cast(Deployment, decode(_proxy_deployment(gw, name, ports)))
        want = wanted_dep.spec.template.spec.containers[0].ports
        have = dep.spec.template.spec.containers[0].ports
        if [(p.name, p.container_port) for p in have] != [(p.name, p.container_port) for p in want]:
            new_dep = copy.deepcopy(dep)  # a new pod template: the Deployment rolls out
            new_dep.spec.template.spec.containers[0].ports = want
            api.update(new_dep)

    def _remove_orphans(self, compiled: routing.Compiled) -> None:
        """Delete the proxy of a Gateway that is gone or no longer of an accepted class."""
        for kind in ("Deployment", "Service"):
            for obj in list(self.rt.api.store.items(kind, NAMESPACE)):
                labels = obj.metadata.labels
                owner = labels.get(OWNING_NAME)
                if owner is None or labels.get("app.kubernetes.io/managed-by") != "envoy-gateway":
                    continue
                if f"{labels.get(OWNING_NAMESPACE)}/{owner}" not in compiled.tables:
                    self.rt.delete(kind, obj.name, NAMESPACE)

    def _write_status(self, compiled: routing.Compiled) -> None:
        api = self.rt.api
        for gc in api.store.items_as(GatewayClass):
            conds = compiled.classes.get(gc.name)
            if conds is not None and _apply(self.rt, gc.status.conditions, conds, gc.metadata.generation):
                api.update_status(gc)
        for key, accepted in compiled.gateways.items():
            gw = cast(Gateway, api.store.get("Gateway", key))
            changed = self._gateway_status(gw, accepted, compiled.listeners[key])
            if changed:
                api.update_status(gw)
        for route in api.store.items_as(HTTPRoute):
            parents = compiled.routes.get(route.key, [])
            if self._route_status(route, parents):
                api.update_status(route)

    def _gateway_status(self, gw: Gateway, accepted: list[routing.Cond],
                        listeners: list[routing.ListenerState]) -> bool:
        gen = gw.metadata.generation
        svc = self.proxy_service(gw.key)
        ips = [i.ip for i in svc.status.load_balancer.ingress if i.ip] if svc is not None else []
        addresses = [GatewayStatusAddress(type="IPAddress", value=ip) for ip in ips]
        dep = self.rt.api.store.get("Deployment", f"{NAMESPACE}/{proxy_name(gw.namespace, gw.name)}")
        available = getattr(getattr(dep, "status", None), "available_replicas", 0) or 0
        replicas = getattr(getattr(dep, "status", None), "replicas", 0) or 0
        if not addresses:
            programmed = routing.Cond("Programmed", "False", "AddressNotAssigned", routing.MSG_ADDRESS_NOT_ASSIGNED)
        elif available > 0:
            programmed = routing.Cond("Programmed", "True", "Programmed",
                                      routing.MSG_PROGRAMMED.format(available=available, replicas=replicas))
        else:
            programmed = routing.Cond("Programmed", "False", "NoResources", routing.MSG_NO_RESOURCES)
        changed = _apply(self.rt, gw.status.conditions, [*accepted, programmed], gen)
        if [(a.type, a.value) for a in gw.status.addresses] != [(a.type, a.value) for a in addresses]:
            gw.status.addresses = addresses
            changed = True
        old = {ls.name: ls for ls in gw.status.listeners}
        new_listeners = []
        for st in listeners:
            ls = old.get(st.name) or ListenerStatus(name=st.name)
            kinds = [RouteGroupKind(group=routing.GROUP, kind=k) for k in st.supported_kinds]
            if [(k.group, k.kind) for k in ls.supported_kinds] != [(k.group, k.kind) for k in kinds]:
                ls.supported_kinds = kinds
                changed = True
            if ls.attached_routes != st.attached_routes:
                ls.attached_routes = st.attached_routes
                changed = True
            changed |= _apply(self.rt, ls.conditions, st.conditions, gen)
            new_listeners.append(ls)
        if [ls.name for ls in gw.status.listeners] != [ls.name for ls in new_listeners]:
            changed = True
        gw.status.listeners = new_listeners
        return changed

    def _route_status(self, route: HTTPRoute, parents: list[routing.ParentState]) -> bool:
        others = [p for p in route.status.parents if p.controller_name != CONTROLLER_NAME]
        mine = {_ref_key(p.parent_ref): p for p in route.status.parents if p.controller_name == CONTROLLER_NAME}
        changed = False
        out = []
        for state in parents:
            key = _ref_key(state.parent_ref)
            entry = mine.pop(key, None)
            if entry is None:
                entry = RouteParentStatus(parent_ref=_copy_ref(state.parent_ref), controller_name=CONTROLLER_NAME)
                changed = True
            changed |= _apply(self.rt, entry.conditions, state.conditions, route.metadata.generation)
            out.append(entry)
        if mine:
            changed = True
        route.status.parents = others + out
        return changed

    # ------------------------------------------------------------------ the data path

    def tls_session(self, gateway: str, port: int, server_name: str | None) -> TlsSession | None:
        """The certificate envoy presents on ``port`` for SNI ``server_name``: Envoy Gateway gives each
        HTTPS listener a filter chain matching its hostname (none: every name); the most specific
        match wins. None when no programmed HTTPS listener takes the name (the handshake fails)."""
        gw = self.rt.api.store.get("Gateway", gateway)
        if not isinstance(gw, Gateway):
            return None
        valid = {ls.name for ls in self.compiled.listeners.get(gateway, []) if ls.valid}
        best: tuple[int, Any] | None = None
        for lst in gw.spec.listeners:
            if lst.port != port or lst.protocol != "HTTPS" or lst.name not in valid:
                continue
            if not lst.hostname:
                score = 0
            elif server_name and routing.host_matches(lst.hostname.lower(), server_name):
                score = 100000 if not lst.hostname.startswith("*") else len(lst.hostname)
            else:
                continue
            if best is None or score > best[0]:
                best = (score, lst)
        if best is None:
            return None
        lst = best[1]
        ref = lst.tls.certificate_refs[0] if lst.tls and lst.tls.certificate_refs else None
        if ref is None:
            return None
        secret = f"{ref.namespace or gw.namespace}/{ref.name}"
        return TlsSession(server_name, f"secret {secret}", secret=secret, note=(
            f"TLS terminated by envoy at listener {lst.name} of Gateway {gateway} with the certificate of "
            f"secret {secret}" + (f" (SNI {server_name})" if server_name else " (no SNI: the listener takes any name)")
            + "; the request goes on to the backend as plain HTTP"))

    def proxy(self, pod: Pod, req: HttpRequest) -> AppReply | None:
        """Route ``req``, which reached envoy pod ``pod`` on a listener's container port, and answer it."""
        c = self.rt
        labels = pod.metadata.labels
        key = f"{labels.get(OWNING_NAMESPACE)}/{labels.get(OWNING_NAME)}"
        table = self.table(key)
        if table is None:
            return None
        port = next((p for p in {*table.listener_ports.values()} if container_port(p) == req.port), None)
        if port is None:
            return None
        host = next((v for k, v in req.headers.items() if k.lower() == "host"), req.host)
        if "//" in req.path.split("?", 1)[0]:  # the connection manager's merge_slashes
            bare, sep, qs = req.path.partition("?")
            req = replace(req, path=re.sub("/{2,}", "/", bare) + sep + qs)
        headers = {k: v for k, v in req.headers.items() if k.lower() != "host"}
        match = table.explain(port, host, req.path, req.method, headers)
        trace = GatewayTrace(match)
        if req.scheme == "https":
            trace.tls = self.tls_session(key, port, None if is_ip(req.host) else req.host)
            if trace.tls is None:
                return None  # no filter chain for that server name: Envoy resets the handshake
        node = pod.spec.node_name or ""
        vertex = pod_vertex(pod.key)
        entry = match.entry
        pod_ip = pod.status.pod_ip or ""
        trace.hops.append(Hop(vertex, node, "envoy", pod_ip, host, f"gateway {key}: {match}"))
        if entry is None:
            return _envoy(c, 404, "", trace)
        redirect = routing.redirect(entry, req.scheme, host, req.path, port)
        if redirect is not None:
            extra = (("location", redirect.location),)
            return _envoy(c, redirect.status, "", trace, extra, entry)
        if not entry.backends:
            trace.attempts.append("the rule has no backendRefs")
            return _envoy(c, 500, "", trace, (), entry)
        turn = self._turn.get(entry.name, 0)
        self._turn[entry.name] = turn + 1
        backend = routing.pick(entry.backends, turn)
        match.backend = backend
        if backend is None:
            trace.attempts.append("every backendRef has weight 0")
            return _envoy(c, 500, "", trace, (), entry)
        if not backend.resolved:
            trace.attempts.append(f"{backend}: {backend.message}")
            return _envoy(c, 500, "", trace, (), entry)
        trace.service = backend.service
        svc = c.api.store.get("Service", backend.service)
        sport = next((p for p in svc.spec.ports if p.port == backend.port), None) if isinstance(svc, Service) else None
        endpoints = []
        if isinstance(svc, Service) and sport is not None:
            for ip, _, ports in dns.ready_endpoints(c, svc):
                target = next((p for name, p, proto in ports if name == (sport.name or "") and proto == "TCP"), None)
                if target is not None:
                    endpoints.append((ip, target))
        if not endpoints:
            trace.attempts.append(f"service {backend.service} has no ready endpoints")
            trace.hops.append(Hop(vertex, node, "envoy", pod_ip, backend.service,
                                  f"cluster {backend.service}:{backend.port} has no healthy endpoint: 503"))
            return _envoy(c, 503, "no healthy upstream", trace, (("content-type", "text/plain"),), entry)
        ip, target = endpoints[turn % len(endpoints)]
        conn = connect(c, pod.key, ip, target, "TCP")
        trace.hops.extend(conn.hops)
        if not conn.ok or conn.pod is None:
            trace.attempts.append(f"{ip}:{target}: {conn.reason}")
            return _envoy(c, 503, "upstream connect error or disconnect/reset before headers. reset reason: "
                                  "connection failure", trace, (("content-type", "text/plain"),), entry)
        backend_pod = cast("Pod", c.api.store.get("Pod", conn.pod))
        container = accepting_container(conn, backend_pod)
        filters = (*entry.filters, *backend.filters)
        new_host, new_path = routing.rewrite(entry, host, req.path)
        up_headers = routing.request_headers(filters, {"Host": new_host, **headers})
        xff = next((k for k in up_headers if k.lower() == "x-forwarded-for"), None)
        if xff is None:
            up_headers["X-Forwarded-For"] = req.client_ip
        else:
            up_headers[xff] = f"{up_headers[xff]},{req.client_ip}"
        up_headers["X-Forwarded-Proto"] = req.scheme
        upstream = replace(req, host=new_host, port=target, path=new_path, headers=up_headers,
                           client_ip=pod_ip, scheme="http")
        reply = respond(c, backend_pod, container, upstream)
        if reply is None:
            trace.attempts.append(f"{ip}:{target}: closed without an HTTP reply")
            return _envoy(c, 503, "upstream connect error or disconnect/reset before headers. reset reason: "
                                  "connection termination", trace, (("content-type", "text/plain"),), entry)
        trace.pod = conn.pod
        # Envoy's HTTP/1 codec writes header names in lower case. Envoy Gateway configures the
        # connection manager with server_header_transformation PASS_THROUGH ("hide the Envoy proxy
        # in the Server header", internal/xds/translator/listener.go): the upstream's Server header
        # passes, none is added; the router's x-envoy-* headers are suppressed.
        kept = {k.lower(): v for k, v in reply.headers if k.lower() != "connection"}
        kept = routing.response_headers(filters, kept)
        return AppReply(reply.status, reply.body, tuple((k.lower(), v) for k, v in kept.items()), reply.version,
                        upstream=trace)


# ---------------------------------------------------------------------------- the apps


def handle_controller(rt: Runtime, pod: Pod, container: Container, req: HttpRequest) -> AppReply | None:
    """The envoy-gateway controller's health server (8081) and the shutdown manager's (19002)."""
    if req.port == HEALTH_PORT and req.route in ("/healthz", "/readyz"):
        return go_reply(rt, 200, "ok")
    if req.port == SHUTDOWN_PORT and req.route in ("/healthz", "/shutdown/ready"):
        return go_reply(rt, 200, "")
    return go_reply(rt, 404, "404 page not found\n")


def handle_envoy(rt: Runtime, pod: Pod, container: Container, req: HttpRequest) -> AppReply | None:
    """What the envoy container answers: readiness on 19003, routing on the listeners' ports."""
    if req.port == READINESS_PORT:
        if req.route == "/ready":
            return AppReply(200, "LIVE\n", (("content-type", "text/plain; charset=UTF-8"), ("date", http_date(rt))))
        return AppReply(404, "", (("date", http_date(rt)), ("content-length", "0")))
    addon = rt.addons.get("gateway")
    if addon is None:
        return None
    return cast(EnvoyGateway, addon).proxy(pod, req)


def _envoy(rt: Runtime, status: int, body: str, trace: GatewayTrace, extra: tuple[tuple[str, str], ...] = (),
           entry: routing.Entry | None = None) -> AppReply:
    """A response Envoy makes itself (a direct response, a redirect, an upstream error)."""
    # No server header: PASS_THROUGH adds none to Envoy's own replies either.
    headers = {**dict(extra), "content-length": str(len(body.encode()))}
    headers["date"] = http_date(rt)
    if entry is not None:
        headers = routing.response_headers(entry.filters, headers)
    return AppReply(status, body, tuple((k.lower(), v) for k, v in headers.items()), upstream=trace)


def _apply(rt: Runtime, current: list[Condition], wanted: list[routing.Cond], generation: int | None) -> bool:
    """``MergeConditions``: set each wanted condition, keeping lastTransitionTime when its status did
    not change; drop conditions no longer computed. True if anything changed."""
    now = rt.clock.timestamp()
    old = {c.type: c for c in current}
    out = []
    for w in wanted:
        prev = old.get(w.type)
        when = prev.last_transition_time if prev is not None and prev.status == w.status else now
        out.append(Condition(type=w.type, status=w.status, observed_generation=generation, last_transition_time=when,
                             reason=w.reason, message=w.message))
    changed = [(c.type, c.status, c.reason, c.message, c.observed_generation) for c in current] != \
        [(c.type, c.status, c.reason, c.message, c.observed_generation) for c in out]
    if changed:
        current[:] = out
    return changed


def _ref_key(ref: Any) -> tuple[Any, ...]:
    return (ref.group, ref.kind, ref.namespace, ref.name, ref.section_name, ref.port)


def _copy_ref(ref: Any) -> Any:
    return replace(ref, group=ref.group or routing.GROUP, kind=ref.kind or "Gateway")


def _proxy_labels(gw: Gateway) -> dict[str, str]:
    return {**APP_LABELS, OWNING_NAME: gw.name, OWNING_NAMESPACE: gw.namespace}


def _proxy_service(gw: Gateway, name: str, ports: list[tuple[str, int]]) -> dict[str, Any]:
    labels = _proxy_labels(gw)
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels},
            "spec": {"type": "LoadBalancer", "selector": labels, "sessionAffinity": "None",
                     "externalTrafficPolicy": "Local",
                     "ports": [{"name": n, "port": p, "targetPort": container_port(p), "protocol": "TCP"}
                               for n, p in ports]}}


def _proxy_deployment(gw: Gateway, name: str, ports: list[tuple[str, int]]) -> dict[str, Any]:
    labels = _proxy_labels(gw)

    def probe(port: int, path: str, period: int, failures: int) -> dict[str, Any]:
        return {"httpGet": {"path": path, "port": port, "scheme": "HTTP"}, "timeoutSeconds": 1,
                "periodSeconds": period, "successThreshold": 1, "failureThreshold": failures}

    envoy_ports = [{"name": "metrics", "containerPort": STATS_PORT, "protocol": "TCP"},
                   {"name": "readiness", "containerPort": READINESS_PORT, "protocol": "TCP"}]
    envoy_ports += [{"name": n, "containerPort": container_port(p), "protocol": "TCP"} for n, p in ports]
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels},
            "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": {
                         "serviceAccountName": name, "terminationGracePeriodSeconds": 360,
                         "containers": [
                             {"name": "envoy", "image": ENVOY_IMAGE, "imagePullPolicy": "IfNotPresent",
                              "command": ["envoy"],
                              "args": ["--service-cluster", f"{gw.namespace}/{gw.name}", "--service-node",
                                       "$(ENVOY_POD_NAME)", "--config-yaml", "<bootstrap>", "--log-level", "warn",
                                       "--cpuset-threads", "--drain-strategy", "immediate", "--drain-time-s", "60"],
                              "env": [{"name": "ENVOY_POD_NAMESPACE",
                                       "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                                  "fieldPath": "metadata.namespace"}}},
                                      {"name": "ENVOY_POD_NAME",
                                       "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}],
                              "ports": envoy_ports,
                              "startupProbe": probe(READINESS_PORT, "/ready", 10, 30),
                              "readinessProbe": probe(READINESS_PORT, "/ready", 5, 1),
                              "livenessProbe": probe(READINESS_PORT, "/ready", 10, 3)},
                             {"name": "shutdown-manager", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                              "command": ["envoy-gateway"], "args": ["envoy", "shutdown-manager"],
                              "startupProbe": probe(SHUTDOWN_PORT, "/healthz", 10, 30),
                              "readinessProbe": probe(SHUTDOWN_PORT, "/healthz", 10, 3),
                              "livenessProbe": probe(SHUTDOWN_PORT, "/healthz", 10, 3)}]}}}}


def _manifests() -> list[dict[str, Any]]:
    """The controller's Deployment and Service (the Helm chart's ``envoy-gateway`` objects)."""
    labels = {"control-plane": NAME}
    probe = {"httpGet": {"path": "/healthz", "port": HEALTH_PORT}, "timeoutSeconds": 1, "successThreshold": 1}
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": NAME, "namespace": NAMESPACE, "labels": dict(labels)},
         "spec": {"replicas": 1, "selector": {"matchLabels": dict(labels)},
                  "template": {"metadata": {"labels": dict(labels)}, "spec": {
                      "serviceAccountName": NAME, "terminationGracePeriodSeconds": 10,
                      "containers": [{
                          "name": NAME, "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                          "args": ["server", "--config-path=/config/envoy-gateway.yaml"],
                          "env": [{"name": "ENVOY_GATEWAY_NAMESPACE",
                                   "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}},
                                  {"name": "KUBERNETES_CLUSTER_DOMAIN", "value": "cluster.local"}],
                          "ports": [{"name": "grpc", "containerPort": 18000}, {"name": "ratelimit", "containerPort": 18001},
                                    {"name": "wasm", "containerPort": 18002}, {"name": "metrics", "containerPort": 19001},
                                    {"name": "webhook", "containerPort": 9443}],
                          "startupProbe": {**probe, "periodSeconds": 1, "failureThreshold": 30},
                          "livenessProbe": {**probe, "periodSeconds": 20},
                          "readinessProbe": {**probe, "httpGet": {"path": "/readyz", "port": HEALTH_PORT},
                                             "periodSeconds": 10}}]}}}},
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": NAME, "namespace": NAMESPACE, "labels": dict(labels)},
         "spec": {"selector": dict(labels),
                  "ports": [{"name": "grpc", "port": 18000, "targetPort": 18000},
                            {"name": "ratelimit", "port": 18001, "targetPort": 18001},
                            {"name": "wasm", "port": 18002, "targetPort": 18002},
                            {"name": "metrics", "port": 19001, "targetPort": 19001}]}},
    ]


__all__ = ["CLASS", "CONTROLLER_NAME", "ENVOY_IMAGE", "EnvoyGateway", "GatewayTrace", "container_port",
           "handle_controller", "handle_envoy", "proxy_name"]
