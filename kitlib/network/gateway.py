"""Gateway API routing as Envoy Gateway v1.9.0 programs Envoy: which rule of which HTTPRoute answers
a request that reaches a Gateway's listener, and the status the controller writes.

The rules, from the Gateway API v1.6.1 spec (``apis/v1/gateway_types.go``, ``httproute_types.go``)
and Envoy Gateway's translator (``internal/gatewayapi/``, ``internal/xds/translator/route.go``):

* **listeners**: a request arrives on a port; all HTTP(S) listeners of a Gateway on that port share
  one Envoy listener. A listener's ``hostname`` (none: every host) limits which hosts it takes; a
  wildcard ``*.example.com`` is a suffix match covering *one or more* labels (``foo.example.com``
  and ``a.b.example.com``), never ``example.com`` itself (``Listener.Hostname``).
* **attachment**: a route's ``parentRefs`` name a Gateway (namespace: the route's own by default),
  optionally one listener by ``sectionName`` and/or ``port``; the listener must allow the route's
  kind (HTTP/HTTPS: HTTPRoute and GRPCRoute) and namespace (``allowedRoutes.namespaces.from``:
  ``Same``, the default, ``All`` or ``Selector``). The route's ``hostnames`` are intersected with
  the listener's: with both set only the hostnames in common count (the more specific of two
  overlapping wildcards), and with none in common the route is not accepted
  (``NoMatchingListenerHostname``).
* **virtual hosts**: each (listener, hostname) pair becomes an Envoy virtual host; Envoy picks one
  by the request's Host (port dropped, case ignored): an exact domain, else the longest matching
  ``*.`` suffix, else ``*``. Only the chosen virtual host's routes are tried, so a route for
  ``foo.example.com`` takes precedence over one for ``*.example.com`` (the spec's "characters in a
  matching non-wildcard hostname").
* **matches**: all conditions of one match must hold (path, every header, every query parameter,
  the method), any match of a rule suffices, and no matches means ``PathPrefix /``. Path ``Exact``
  is the whole path, case-sensitively; ``PathPrefix`` element by element (``/foo`` matches ``/foo``,
  ``/foo/`` and ``/foo/bar``, never ``/foobar``; a trailing ``/`` of the prefix is dropped, as
  Envoy's ``path_separated_prefix``); ``RegularExpression`` a full match (RE2 as Python's ``re``).
  Header names are case-insensitive, values exact; query parameters exact and case-sensitive.
* **precedence** among all matches of the virtual host (Envoy Gateway's ``sort.go``): Exact before
  RegularExpression before PathPrefix, then the longer path, then more header matches (a method
  match counts as the ``:method`` header), then more exact header matches, then more query
  matches; remaining ties go to the oldest route (``creationTimestamp``), then ``namespace/name``
  alphabetically, then rule order, then match order. The first in that order whose conditions hold
  wins; none: Envoy's 404 with an empty body.
* **backends**: traffic is split by ``weight`` (1 by default; 0 takes nothing; all 0: 500). A
  backend that does not resolve (``BackendNotFound``, ``InvalidKind``, ``RefNotPermitted``: another
  namespace's Service without a ReferenceGrant) keeps its share of the traffic and answers it with
  500; a rule without backends and without a redirect answers 500.
* **filters**: ``RequestHeaderModifier``/``ResponseHeaderModifier`` (set, add, remove; names
  case-insensitive), ``RequestRedirect`` (scheme, hostname, path, port with the spec's defaulting,
  status 302 by default) and ``URLRewrite`` (hostname, path ``ReplaceFullPath`` or
  ``ReplacePrefixMatch``).

:func:`compile_gateways` turns the API objects into one :class:`GatewayTable` per Gateway and the
status conditions; :meth:`GatewayTable.route` is the fast path (:meth:`GatewayTable.route_many`
for a batch), :meth:`GatewayTable.explain` also says why every other match lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from ..api.gateway import (
    Gateway,
    GatewayClass,
    HTTPBackendRef,
    HTTPPathModifier,
    HTTPRoute,
    HTTPRouteFilter,
    HTTPRouteMatch,
    Listener,
    ParentReference,
    ReferenceGrant,
)

GROUP = "gateway.networking.k8s.io"
HTTP_KINDS = ("HTTPRoute", "GRPCRoute")
"""What an HTTP or HTTPS listener supports (``allowedRouteKindsForProtocol``)."""
SUPPORTED_PROTOCOLS = ("HTTP", "HTTPS", "TLS", "TCP", "UDP")
TYPE_RANK = {"Exact": 0, "RegularExpression": 1, "PathPrefix": 2}

# Envoy Gateway's status messages (internal/gatewayapi/*.go, status/*.go).
MSG_CLASS_ACCEPTED = "Valid GatewayClass"
MSG_GATEWAY_ACCEPTED = "The Gateway has been scheduled by Envoy Gateway"
MSG_ADDRESS_NOT_ASSIGNED = "No addresses have been assigned to the Gateway"
MSG_NO_RESOURCES = "Envoy replicas unavailable"
MSG_PROGRAMMED = "Address assigned to the Gateway, {available}/{replicas} envoy replicas available"
MSG_LISTENER_PROGRAMMED = "Sending translated listener configuration to the data plane"
MSG_LISTENER_ACCEPTED = "Listener has been successfully translated"
MSG_LISTENER_RESOLVED = "Listener references have been resolved"
MSG_LISTENER_INVALID = "Listener is invalid, see other Conditions for details."
MSG_HOSTNAME_CONFLICT = "Port, protocol and hostname tuple must be unique for every listener"
MSG_ROUTE_ACCEPTED = "Route is accepted"
MSG_ROUTE_RESOLVED = "Resolved all the Object references for the Route"
MSG_NO_MATCHING_PARENT = "No listeners match this parent ref"
MSG_NOT_ALLOWED = "No listeners included by this parent ref allowed this attachment."
MSG_NO_HOSTNAME = "There were no hostname intersections between the HTTPRoute and this parent ref's Listener(s)."
MSG_BAD_GROUP = ("Group is invalid, only the core API group (specified by omitting the group field or setting it "
                 "to an empty string), multicluster.x-k8s.io and gateway.envoyproxy.io are supported")
MSG_BAD_KIND = "Kind is invalid, only Service, MCS ServiceImport and Envoy Gateway Backend are supported"


# ---------------------------------------------------------------------------- status values


@dataclass(frozen=True)
class Cond:
    """One status condition as the controller computes it (the add-on adds generation and time)."""

    type: str
    status: str
    reason: str
    message: str


@dataclass
class ListenerState:
    """A listener's status: its conditions, the route kinds it supports, how many routes attached."""

    name: str
    conditions: list[Cond] = field(default_factory=list)
    supported_kinds: list[str] = field(default_factory=list)
    attached_routes: int = 0

    @property
    def valid(self) -> bool:
        return not any(c.status == "False" or (c.type == "Conflicted" and c.status == "True")
                       for c in self.conditions)

    def set(self, cond: Cond) -> None:
        """Set a condition, keeping the position of one of the same type (``MergeConditions``)."""
        _merge(self.conditions, cond)


@dataclass
class ParentState:
    """What the controller writes into one ``status.parents[]`` entry of a route."""

    parent_ref: ParentReference
    conditions: list[Cond] = field(default_factory=list)

    def condition(self, type_: str) -> Cond | None:
        return next((c for c in self.conditions if c.type == type_), None)


# ---------------------------------------------------------------------------- compiled routes


@dataclass(frozen=True)
class Backend:
    """One ``backendRef`` of a rule: a Service and port, or the reason it did not resolve."""

    name: str
    namespace: str
    port: int | None
    weight: int
    kind: str = "Service"
    reason: str | None = None
    """None when it resolved, else ``BackendNotFound``, ``InvalidKind``, ``RefNotPermitted``, ..."""
    message: str = ""
    filters: tuple[HTTPRouteFilter, ...] = ()

    @property
    def resolved(self) -> bool:
        return self.reason is None

    @property
    def service(self) -> str:
        """``namespace/name`` of the Service."""
        return f"{self.namespace}/{self.name}"

    def __str__(self) -> str:
        where = f"{self.kind}/{self.service}" + (f":{self.port}" if self.port is not None else "")
        return where if self.resolved else f"{where} ({self.reason})"


@dataclass(eq=False)
class Entry:
    """One match of one rule of one HTTPRoute, attached to one listener under one host name:
    what Envoy Gateway turns into one Envoy route (``httproute/<ns>/<name>/rule/<i>/match/<j>``)."""

    gateway: str
    listener: str
    domain: str
    """The virtual host's domain: an exact host, ``*.suffix`` or ``*``."""
    route: str
    """``namespace/name`` of the HTTPRoute."""
    rule: int
    match: int
    rule_name: str | None
    path_type: str
    path: str
    method: str | None
    headers: tuple[tuple[str, str, Any], ...]
    """(lower-case name, type, value or compiled pattern)."""
    query: tuple[tuple[str, str, Any], ...]
    filters: tuple[HTTPRouteFilter, ...]
    backends: tuple[Backend, ...]
    rank: tuple[Any, ...] = ()
    regex: Any = None
    plain: bool = False
    """No method, header or query condition: the path decides alone."""
    literal: str = ""
    """The literal start of a RegularExpression path (``/re/`` of ``/re/[a-z]+``): a cheap pre-check."""

    @property
    def name(self) -> str:
        """Envoy Gateway's route name (``irRouteName``)."""
        ns, name = self.route.split("/", 1)
        return f"httproute/{ns}/{name}/rule/{self.rule}/match/{self.match}"

    @property
    def redirect(self) -> Any:
        return next((f.request_redirect for f in self.filters
                     if f.type == "RequestRedirect" and f.request_redirect is not None), None)

    def path_holds(self, path: str) -> bool:
        """Whether the path condition holds for ``path`` (no query string)."""
        if self.path_type == "Exact":
            return path == self.path
        if self.path_type == "RegularExpression":
            return self.regex.fullmatch(path) is not None
        key = self.path
        return key == "/" or path == key or path.startswith(key + "/")

    def holds(self, method: str, headers: dict[str, str] | None, query: dict[str, str] | None) -> bool:
        """Whether the method, header and query conditions hold (the path's already did)."""
        if self.method is not None and method != self.method:
            return False
        for name, kind, value in self.headers:
            got = headers.get(name) if headers else None
            if got is None or (got != value if kind == "Exact" else value.fullmatch(got) is None):
                return False
        for name, kind, value in self.query:
            got = query.get(name) if query else None
            if got is None or (got != value if kind == "Exact" else value.fullmatch(got) is None):
                return False
        return True

    def describe(self) -> str:
        """The match in words: ``PathPrefix /api, GET, header x-env=canary``."""
        parts = [f"{self.path_type} {self.path}"]
        if self.method:
            parts.append(self.method)
        parts += [f"header {n}{'=' if k == 'Exact' else '~'}{_show(v)}" for n, k, v in self.headers]
        parts += [f"query {n}{'=' if k == 'Exact' else '~'}{_show(v)}" for n, k, v in self.query]
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.route} rule {self.rule} match {self.match} ({self.describe()}) on {self.domain}"


@dataclass
class VirtualHost:
    """The routes of one domain on one port, indexed for matching."""

    domain: str
    entries: list[Entry] = field(default_factory=list)
    exact: dict[str, list[Entry]] = field(default_factory=dict)
    regex: list[Entry] = field(default_factory=list)
    prefix: dict[str, list[Entry]] = field(default_factory=dict)
    needs_headers: bool = False
    needs_query: bool = False

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)
        if entry.headers:
            self.needs_headers = True
        if entry.query:
            self.needs_query = True

    def index(self) -> None:
        """Sort by precedence and build the indexes (after every :meth:`add`)."""
        self.entries.sort(key=lambda e: e.rank)
        self.exact, self.regex, self.prefix = {}, [], {}
        for e in self.entries:
            if e.path_type == "Exact":
                self.exact.setdefault(e.path, []).append(e)
            elif e.path_type == "RegularExpression":
                self.regex.append(e)
            else:
                self.prefix.setdefault(e.path, []).append(e)

    def match(self, path: str, method: str, headers: dict[str, str] | None,
              query: dict[str, str] | None) -> Entry | None:
        """The first entry in precedence order whose conditions all hold."""
        for e in self.exact.get(path, ()):
            if e.plain or e.holds(method, headers, query):
                return e
        for e in self.regex:
            if path.startswith(e.literal) and e.regex.fullmatch(path) is not None \
                    and (e.plain or e.holds(method, headers, query)):
                return e
        prefix = self.prefix
        if prefix:
            key = path
            while True:
                bucket = prefix.get(key)
                if bucket is not None:
                    for e in bucket:
                        if e.plain or e.holds(method, headers, query):
                            return e
                if key == "/":
                    return None
                cut = key.rfind("/")
                if cut < 0:
                    return None
                key = key[:cut] or "/"
        return None


@dataclass
class PortTable:
    """The virtual hosts of all HTTP(S) listeners of one Gateway on one port."""

    port: int
    protocol: str
    listeners: list[str] = field(default_factory=list)
    exact: dict[str, VirtualHost] = field(default_factory=dict)
    wildcards: list[tuple[str, VirtualHost]] = field(default_factory=list)
    """(``.suffix``, virtual host), the longest suffix first."""
    any_host: VirtualHost | None = None
    _by_host: dict[str, VirtualHost | None] = field(default_factory=dict, repr=False)

    def vhost(self, domain: str) -> VirtualHost:
        if domain == "*":
            if self.any_host is None:
                self.any_host = VirtualHost("*")
            return self.any_host
        if domain.startswith("*."):
            found = next((v for s, v in self.wildcards if v.domain == domain), None)
            if found is None:
                found = VirtualHost(domain)
                self.wildcards.append((domain[1:], found))
                self.wildcards.sort(key=lambda sv: -len(sv[0]))
            return found
        return self.exact.setdefault(domain, VirtualHost(domain))

    def all_vhosts(self) -> list[VirtualHost]:
        return [*self.exact.values(), *(v for _, v in self.wildcards), *([self.any_host] if self.any_host else [])]

    def vhost_for(self, host: str) -> VirtualHost | None:
        """Envoy's virtual host selection by the Host header (see the module docstring)."""
        hit = self._by_host.get(host, False)
        if hit is not False:
            return hit  # type: ignore[return-value]  # False is the cache's "absent" marker
        name = normalize_host(host)
        found = self.exact.get(name)
        if found is None:
            found = next((v for suffix, v in self.wildcards if name.endswith(suffix) and len(name) > len(suffix)),
                         self.any_host)
        if len(self._by_host) < 65536:
            self._by_host[host] = found
        return found


@dataclass
class Verdict:
    """What one match made of a request: ``matched``, or why it lost."""

    entry: Entry
    outcome: str
    """``matched``, ``other host``, ``path``, ``method``, ``header``, ``query`` (that condition
    failed) or ``lower precedence`` (it held, but an earlier match in precedence order won)."""
    detail: str


@dataclass
class GatewayMatch:
    """Where a Gateway sent a request: the listener, the route, rule and match, and the backend.
    ``entry`` None: no route matched (Envoy's 404)."""

    gateway: str
    port: int
    host: str
    path: str
    method: str
    entry: Entry | None
    domain: str | None = None
    backend: Backend | None = None
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def listener(self) -> str | None:
        return self.entry.listener if self.entry else None

    @property
    def route(self) -> str | None:
        return self.entry.route if self.entry else None

    @property
    def rule(self) -> int | None:
        return self.entry.rule if self.entry else None

    def __str__(self) -> str:
        head = f"{self.method} {self.host}{self.path} at gateway {self.gateway} port {self.port}"
        if self.entry is None:
            return f"{head}: no route matches (404)"
        to = f" → {self.backend}" if self.backend is not None else ""
        return (f"{head}: listener {self.entry.listener}, HTTPRoute {self.entry.route} rule {self.entry.rule} "
                f"({self.entry.describe()}){to}")


@dataclass
class GatewayTable:
    """The routing table of one Gateway: a :class:`PortTable` per listener port."""

    gateway: str
    ports: dict[int, PortTable] = field(default_factory=dict)
    listener_hosts: dict[str, str | None] = field(default_factory=dict)
    """Listener name → its hostname (None: every host), for the accepted HTTP(S) listeners."""
    listener_ports: dict[str, int] = field(default_factory=dict)
    hostnames: set[str] = field(default_factory=set)
    """Every domain a virtual host serves (exact names and ``*.`` wildcards; ``*`` for any)."""

    def route(self, port: int, host: str, path: str, method: str = "GET",
              headers: dict[str, str] | None = None) -> Entry | None:
        """The winning entry for a request (``path`` may carry a query), None: 404. The fast path."""
        table = self.ports.get(port)
        if table is None:
            return None
        vhost = table.vhost_for(host)
        if vhost is None:
            return None
        query = None
        if "?" in path:
            path, qs = path.split("?", 1)
            if vhost.needs_query:
                query = parse_query(qs)
        lowered = {k.lower(): v for k, v in headers.items()} if headers and vhost.needs_headers else None
        return vhost.match(path, method, lowered, query)

    def route_many(self, requests: Iterable[tuple[int, str, str, str, tuple[tuple[str, str], ...]]]
                   ) -> list[Entry | None]:
        """:meth:`route` for a batch of ``(port, host, path, method, headers)`` tuples; repeated
        requests are answered from a memo (the table is immutable once compiled)."""
        memo: dict[Any, Any] = {}
        out: list[Entry | None] = []
        append = out.append
        route = self.route
        for req in requests:
            hit = memo.get(req, memo)
            if hit is memo:
                port, host, path, method, headers = req
                hit = route(port, host, path, method, dict(headers) if headers else None)
                memo[req] = hit
            append(hit)
        return out

    def match(self, port: int, host: str, path: str, method: str = "GET",
              headers: dict[str, str] | None = None) -> GatewayMatch:
        """:meth:`route` as a :class:`GatewayMatch` (without the verdicts)."""
        table = self.ports.get(port)
        vhost = table.vhost_for(host) if table else None
        entry = self.route(port, host, path, method, headers)
        return GatewayMatch(self.gateway, port, host, path, method, entry, vhost.domain if vhost else None)

    def explain(self, port: int, host: str, path: str, method: str = "GET",
                headers: dict[str, str] | None = None) -> GatewayMatch:
        """:meth:`match` with a :class:`Verdict` for every match of every route on the port."""
        found = self.match(port, host, path, method, headers)
        table = self.ports.get(port)
        if table is None:
            return found
        chosen = table.vhost_for(host)
        bare, _, qs = path.partition("?")
        query = parse_query(qs)
        lowered = {k.lower(): v for k, v in (headers or {}).items()}
        for vhost in table.all_vhosts():
            for e in vhost.entries:
                found.verdicts.append(_verdict(e, vhost, chosen, found.entry, host, bare, method, lowered, query))
        return found


@dataclass
class Compiled:
    """Everything the controller derives from the API objects: tables and status."""

    tables: dict[str, GatewayTable] = field(default_factory=dict)
    classes: dict[str, list[Cond]] = field(default_factory=dict)
    gateways: dict[str, list[Cond]] = field(default_factory=dict)
    """Gateway key → its Accepted condition (Programmed depends on the proxy: the add-on's)."""
    listeners: dict[str, list[ListenerState]] = field(default_factory=dict)
    routes: dict[str, list[ParentState]] = field(default_factory=dict)


# ---------------------------------------------------------------------------- compile


def compile_gateways(controller: str, classes: Iterable[GatewayClass], gateways: Iterable[Gateway],
                     routes: Iterable[HTTPRoute], grants: Iterable[ReferenceGrant] = (),
                     services: dict[str, Any] | None = None, namespaces: dict[str, Any] | None = None,
                     secrets: dict[str, Any] | None = None) -> Compiled:
    """Compile what controller ``controller`` serves: the GatewayClasses naming it, their Gateways,
    the HTTPRoutes attached to them. ``services``/``secrets`` map ``ns/name`` to the object,
    ``namespaces`` name to the Namespace (for ``allowedRoutes`` selectors).

    >>> from kitlib.manifest import decode
    >>> gc = decode({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
    ...     "metadata": {"name": "eg"}, "spec": {"controllerName": "example.com/gw"}})
    >>> gw = decode({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
    ...     "metadata": {"name": "eg", "namespace": "default"}, "spec": {"gatewayClassName": "eg",
    ...     "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}]}})
    >>> rt = decode({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
    ...     "metadata": {"name": "web", "namespace": "default"}, "spec": {"parentRefs": [{"name": "eg"}],
    ...     "rules": [{"backendRefs": [{"name": "web", "port": 80}]}]}})
    >>> out = compile_gateways("example.com/gw", [gc], [gw], [rt], services={"default/web": object()})
    >>> out.tables["default/eg"].route(80, "any.example", "/x").route
    'default/web'
    """
    services = services or {}
    namespaces = namespaces or {}
    secrets = secrets or {}
    grant_list = list(grants)
    out = Compiled()
    ours = set()
    for gc in sorted(classes, key=lambda c: (c.metadata.creation_timestamp or "", c.name)):
        if gc.spec.controller_name == controller:
            ours.add(gc.name)
            out.classes[gc.name] = [Cond("Accepted", "True", "Accepted", MSG_CLASS_ACCEPTED)]
    gws = [g for g in gateways if g.spec.gateway_class_name in ours]
    gws.sort(key=lambda g: (g.metadata.creation_timestamp or "", g.namespace, g.name))
    by_key = {g.key: g for g in gws}
    for gw in gws:
        out.tables[gw.key] = GatewayTable(gw.key)
        out.listeners[gw.key] = _listener_states(gw, secrets, grant_list)
        out.gateways[gw.key] = [_gateway_accepted(out.listeners[gw.key])]
        for lst, st in zip(gw.spec.listeners, out.listeners[gw.key], strict=True):
            if st.valid and lst.protocol in ("HTTP", "HTTPS"):
                # Envoy Gateway programs an HTTP listener (its connection manager) with or without
                # routes (internal/xds/translator/translator.go, processHTTPListenerXdsTranslation):
                # without a matching virtual host, Envoy answers 404.
                _program(out.tables[gw.key], lst)
    ordered = sorted(routes, key=lambda r: (r.metadata.creation_timestamp or "", r.namespace, r.name))
    touched: set[int] = set()
    for age, route in enumerate(ordered):
        parents = []
        backends = None
        for ref in route.spec.parent_refs:
            if (ref.group or GROUP) != GROUP or (ref.kind or "Gateway") != "Gateway":
                continue
            gw_key = f"{ref.namespace or route.namespace}/{ref.name}"
            target = by_key.get(gw_key)
            if target is None:
                continue  # not a Gateway this controller serves: its status is another's business
            if backends is None:
                backends = _backends(route, services, grant_list)
            state = ParentState(ref)
            parents.append(state)
            _attach(out, target, route, ref, state, backends, namespaces, age, touched)
        if parents:
            out.routes[route.key] = parents
    for table in out.tables.values():
        for pt in table.ports.values():
            for vh in pt.all_vhosts():
                if id(vh) in touched:
                    vh.index()
    return out


def _listener_states(gw: Gateway, secrets: dict[str, Any], grants: list[ReferenceGrant]) -> list[ListenerState]:
    states = []
    seen: set[str] = set()
    for listener in gw.spec.listeners:
        st = ListenerState(listener.name)
        if listener.protocol not in SUPPORTED_PROTOCOLS:
            st.set(Cond("Accepted", "False", "UnsupportedProtocol",
                        f"Protocol {listener.protocol} is unsupported, must be HTTP, HTTPS, TCP, UDP or TLS."))
        if listener.protocol in ("HTTP", "HTTPS"):
            _allowed_kinds(listener, st)
        if listener.protocol == "HTTPS":
            _certificates(gw, listener, st, secrets, grants)
        key = f"{listener.protocol}:{listener.hostname or ''}:{listener.port}"
        if st.valid and key in seen:
            st.set(Cond("Conflicted", "True", "HostnameConflict", MSG_HOSTNAME_CONFLICT))
        seen.add(key)
        _finish_listener(st)
        states.append(st)
    _protocol_conflicts(gw, states)
    return states


def _allowed_kinds(listener: Listener, st: ListenerState) -> None:
    ar = listener.allowed_routes
    if ar is None or not ar.kinds:
        st.supported_kinds = list(HTTP_KINDS)
        return
    supported: list[str] = []
    unsupported: list[str] = []
    for k in ar.kinds:
        if k.group is not None and k.group != GROUP:
            st.set(Cond("ResolvedRefs", "False", "InvalidRouteKinds", f"Group is not supported, group must be {GROUP}"))
            continue
        (supported if k.kind in HTTP_KINDS else unsupported).append(k.kind)
    for kind in unsupported:
        shown = supported or list(HTTP_KINDS)
        st.set(Cond("ResolvedRefs", "False", "InvalidRouteKinds",
                    f"{kind} is not supported, kind must be one of [{' '.join(shown)}]"))
    st.supported_kinds = supported


def _certificates(gw: Gateway, listener: Listener, st: ListenerState, secrets: dict[str, Any],
                  grants: list[ReferenceGrant]) -> None:
    refs = listener.tls.certificate_refs if listener.tls else []
    if not refs:
        st.set(Cond("Programmed", "False", "Invalid", "Listener must have at least 1 TLS certificate ref"))
        return
    errors = []
    for i, ref in enumerate(refs):
        ns = ref.namespace or gw.namespace
        if ns != gw.namespace and not _granted(grants, "Gateway", gw.namespace, "", "Secret", ns, ref.name):
            errors.append(("RefNotPermitted", f"certificate refs {i}: Certificate ref to secret {ns}/{ref.name} "
                                              "not permitted by any ReferenceGrant."))
        elif f"{ns}/{ref.name}" not in secrets:
            errors.append(("InvalidCertificateRef", f"certificate refs {i}: Secret {ns}/{ref.name} does not exist."))
    if len(errors) == len(refs):
        st.set(Cond("ResolvedRefs", "False", errors[0][0],
                    "No valid secrets exist: " + "\n".join(m for _, m in errors)))


def _finish_listener(st: ListenerState) -> None:
    """``validateListenerConditions``: the conditions a listener ends with."""
    conds = st.conditions
    if not conds:
        st.set(Cond("Programmed", "True", "Programmed", MSG_LISTENER_PROGRAMMED))
        st.set(Cond("Accepted", "True", "Accepted", MSG_LISTENER_ACCEPTED))
        st.set(Cond("ResolvedRefs", "True", "ResolvedRefs", MSG_LISTENER_RESOLVED))
        return
    if len(conds) == 1 and conds[0].type == "ResolvedRefs" and conds[0].reason == "InvalidCertificateRef":
        st.set(Cond("Accepted", "True", "Accepted", MSG_LISTENER_ACCEPTED))
        st.set(Cond("Programmed", "False", "Invalid", MSG_LISTENER_INVALID))
        return
    if conds[0].type != "Programmed" or conds[0].status != "True":
        if not any(c.type == "Programmed" for c in conds):
            st.set(Cond("Programmed", "False", "Invalid", MSG_LISTENER_INVALID))
        if not any(c.type == "ResolvedRefs" for c in conds):
            st.set(Cond("ResolvedRefs", "True", "ResolvedRefs", MSG_LISTENER_RESOLVED))


def _protocol_conflicts(gw: Gateway, states: list[ListenerState]) -> None:
    by_port: dict[int, list[tuple[Listener, ListenerState]]] = {}
    for listener, st in zip(gw.spec.listeners, states, strict=True):
        if listener.protocol in SUPPORTED_PROTOCOLS and listener.protocol != "UDP":
            by_port.setdefault(listener.port, []).append((listener, st))
    for pairs in by_port.values():
        protocols = {"HTTPS" if lst.protocol == "TLS" else lst.protocol for lst, _ in pairs}
        if len(protocols) <= 1:
            continue
        names = ", ".join(sorted(lst.name for lst, _ in pairs))
        for _, st in pairs:
            st.set(Cond("Conflicted", "True", "ProtocolConflict",
                        "All listeners for a given port must use a compatible protocol, conflicting listeners: "
                        + names))


def _gateway_accepted(states: list[ListenerState]) -> Cond:
    """``computeGatewayAcceptedFromListeners``."""
    bad = sorted(s.name for s in states if not any(c.type == "Accepted" and c.status == "True"
                                                   for c in s.conditions))
    if not bad:
        return Cond("Accepted", "True", "Accepted", MSG_GATEWAY_ACCEPTED)
    if len(bad) < len(states):
        return Cond("Accepted", "True", "ListenersNotValid", "Listeners not valid: " + ", ".join(bad))
    return Cond("Accepted", "False", "ListenersNotValid", "No listeners are valid: " + ", ".join(bad))


def _attach(out: Compiled, gw: Gateway, route: HTTPRoute, ref: ParentReference, state: ParentState,
            backends: list[list[Backend]], namespaces: dict[str, Any], age: int, touched: set[int]) -> None:
    states = out.listeners[gw.key]
    selected = [(lst, st) for lst, st in zip(gw.spec.listeners, states, strict=True)
                if (ref.section_name is None or lst.name == ref.section_name)
                and (ref.port is None or lst.port == ref.port)]
    errors = [b for rule in backends for b in rule if not b.resolved]
    if not selected:
        state.conditions.append(Cond("Accepted", "False", "NoMatchingParent", MSG_NO_MATCHING_PARENT))
        _resolved(state, errors)
        return
    allowed = [(lst, st) for lst, st in selected if "HTTPRoute" in st.supported_kinds
               and _allows_namespace(lst, gw.namespace, route.namespace, namespaces)]
    if not allowed:
        state.conditions.append(Cond("Accepted", "False", "NotAllowedByListeners", MSG_NOT_ALLOWED))
        _resolved(state, errors)
        return
    state.conditions.append(Cond("Accepted", "True", "Accepted", MSG_ROUTE_ACCEPTED))
    _resolved(state, errors)
    table = out.tables[gw.key]
    created = route.metadata.creation_timestamp or ""
    attached = False
    for lst, st in allowed:
        domains = intersect(lst.hostname, route.spec.hostnames)
        if not domains:
            continue
        attached = True
        st.attached_routes += 1
        if not st.valid or lst.protocol not in ("HTTP", "HTTPS"):
            continue  # an invalid listener counts the route but programs nothing
        pt = _program(table, lst)
        for domain in domains:
            table.hostnames.add(domain)
            vh = pt.vhost(domain)
            touched.add(id(vh))
            for i, rule in enumerate(route.spec.rules):
                matches = rule.matches or [HTTPRouteMatch()]
                for j, m in enumerate(matches):
                    vh.add(_entry(gw.key, lst.name, domain, route.key, i, j, rule.name, m, rule.filters,
                                  tuple(backends[i]), (created, route.key, age)))
    if not attached:
        _merge(state.conditions, Cond("Accepted", "False", "NoMatchingListenerHostname", MSG_NO_HOSTNAME))


def _program(table: GatewayTable, lst: Listener) -> PortTable:
    """The port table of a valid HTTP(S) listener, with the listener recorded on it."""
    pt = table.ports.get(lst.port)
    if pt is None:
        pt = table.ports[lst.port] = PortTable(lst.port, lst.protocol)
    if lst.name not in pt.listeners:
        pt.listeners.append(lst.name)
    table.listener_hosts[lst.name] = lst.hostname
    table.listener_ports[lst.name] = lst.port
    return pt


def _resolved(state: ParentState, errors: list[Backend]) -> None:
    if not errors:
        state.conditions.append(Cond("ResolvedRefs", "True", "ResolvedRefs", MSG_ROUTE_RESOLVED))
        return
    message = errors[0].message if len(errors) == 1 else "\n".join(_condition_message(b.message) for b in errors)
    state.conditions.append(Cond("ResolvedRefs", "False", errors[0].reason or "", _condition_message(message)))


def _condition_message(message: str) -> str:
    """``status.Error2ConditionMsg``: first letter upper case, a final full stop."""
    if not message:
        return message
    message = message[0].upper() + message[1:]
    return message if message.endswith(".") else message + "."


def _allows_namespace(listener: Listener, gw_ns: str, route_ns: str, namespaces: dict[str, Any]) -> bool:
    ns = listener.allowed_routes.namespaces if listener.allowed_routes else None
    how = (ns.from_ if ns else None) or "Same"
    if how == "All":
        return True
    if how == "Same":
        return route_ns == gw_ns
    if how == "Selector" and ns is not None and ns.selector is not None:
        obj = namespaces.get(route_ns)
        labels = obj.metadata.labels if obj is not None else {}
        return ns.selector.matches(labels)
    return False


def _backends(route: HTTPRoute, services: dict[str, Any], grants: list[ReferenceGrant]) -> list[list[Backend]]:
    return [[_backend(route, b, services, grants) for b in rule.backend_refs] for rule in route.spec.rules]


def _backend(route: HTTPRoute, ref: HTTPBackendRef, services: dict[str, Any],
             grants: list[ReferenceGrant]) -> Backend:
    """``validateBackendRef``: group, kind, ReferenceGrant, port, the Service and its port, in that order."""
    ns = ref.namespace or route.namespace
    kind = ref.kind or "Service"
    weight = 1 if ref.weight is None else ref.weight

    def fail(reason: str, message: str) -> Backend:
        return Backend(ref.name, ns, ref.port, weight, kind, reason, message, tuple(ref.filters))

    if ref.group and ref.group not in ("multicluster.x-k8s.io", "gateway.envoyproxy.io"):
        return fail("InvalidKind", MSG_BAD_GROUP)
    if kind not in ("Service", "ServiceImport", "Backend"):
        return fail("InvalidKind", MSG_BAD_KIND)
    if ns != route.namespace and not _granted(grants, "HTTPRoute", route.namespace, ref.group or "", kind, ns,
                                              ref.name):
        return fail("RefNotPermitted", f"Backend ref to {kind} {ns}/{ref.name} not permitted by any ReferenceGrant.")
    if kind != "Service":
        return fail("BackendNotFound", f"{kind} {ns}/{ref.name} not found")
    if ref.port is None:
        return fail("PortNotSpecified", "A valid port number corresponding to a port on the Service must be specified")
    svc = services.get(f"{ns}/{ref.name}")
    if svc is None:
        return fail("BackendNotFound", f"service {ns}/{ref.name} not found")
    ports = getattr(getattr(svc, "spec", None), "ports", None)
    if ports is not None and not any(p.port == ref.port and (p.protocol or "TCP") == "TCP" for p in ports):
        return fail("PortNotFound", f"TCP Port {ref.port} not found on Service {ns}/{ref.name}")
    return Backend(ref.name, ns, ref.port, weight, kind, filters=tuple(ref.filters))


def _granted(grants: list[ReferenceGrant], from_kind: str, from_ns: str, to_group: str, to_kind: str, to_ns: str,
             to_name: str) -> bool:
    """Whether a ReferenceGrant in ``to_ns`` lets ``from_kind`` objects of ``from_ns`` refer to the target."""
    for g in grants:
        if g.namespace != to_ns:
            continue
        if not any(f.group == GROUP and f.kind == from_kind and f.namespace == from_ns for f in g.spec.from_):
            continue
        if any(t.group == to_group and t.kind == to_kind and (not t.name or t.name == to_name) for t in g.spec.to):
            return True
    return False


def _entry(gw: str, listener: str, domain: str, route: str, rule: int, index: int, rule_name: str | None,
           m: HTTPRouteMatch, filters: Sequence[HTTPRouteFilter], backends: tuple[Backend, ...],
           age: tuple[str, str, int]) -> Entry:
    path_type = (m.path.type if m.path else None) or "PathPrefix"
    value = (m.path.value if m.path else None) or "/"
    regex = None
    if path_type == "PathPrefix":
        value = value.rstrip("/") or "/"
    elif path_type == "RegularExpression":
        regex = re.compile(value)
    headers = tuple((h.name.lower(), h.type or "Exact", h.value if (h.type or "Exact") == "Exact"
                     else re.compile(h.value)) for h in m.headers)
    query = tuple((q.name, q.type or "Exact", q.value if (q.type or "Exact") == "Exact" else re.compile(q.value))
                  for q in m.query_params)
    n_headers = len(headers) + (1 if m.method else 0)
    n_exact = sum(1 for _, k, _ in headers if k == "Exact") + (1 if m.method else 0)
    rank = (TYPE_RANK.get(path_type, 2), -len((m.path.value if m.path else None) or "/"), -n_headers, -n_exact,
            -len(query), -sum(1 for _, k, _ in query if k == "Exact"), age[0], age[1], rule, index)
    literal = ""
    if regex is not None:
        literal = re.match(r"[^\\^$.|?*+()\[\]{}]*", value).group(0)  # type: ignore[union-attr]  # matches ""
        if len(literal) < len(value) and value[len(literal)] in "?*{":
            literal = literal[:-1]  # the last character may be optional
    return Entry(gw, listener, domain, route, rule, index, rule_name, path_type, value, m.method, headers, query,
                 tuple(filters), backends, rank, regex, not (m.method or headers or query), literal)


_QUERIES: dict[str, dict[str, str]] = {}


def parse_query(qs: str) -> dict[str, str]:
    """A query string's parameters, the first value of each (as Envoy's query matcher takes it),
    percent-decoded; remembered, as query strings repeat.

    >>> parse_query("a=1&b=x%20y&a=2")
    {'a': '1', 'b': 'x y'}
    """
    hit = _QUERIES.get(qs)
    if hit is not None:
        return hit
    out: dict[str, str] = {}
    for part in qs.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if "%" in part or "+" in part:
            name, value = unquote_plus(name), unquote_plus(value)
        out.setdefault(name, value)
    if len(_QUERIES) < 65536:
        _QUERIES[qs] = out
    return out


# ---------------------------------------------------------------------------- host names


def intersect(listener: str | None, route_hosts: Sequence[str]) -> list[str]:
    """The domains a route serves on a listener (see the module docstring); ``["*"]`` for any host.

    >>> intersect("*.example.com", ["foo.example.com", "bar.example.net"])
    ['foo.example.com']
    >>> intersect("foo.example.com", ["*.example.com"]), intersect(None, []), intersect("a.b", [])
    (['foo.example.com'], ['*'], ['a.b'])
    """
    if not route_hosts:
        return [listener or "*"]
    if not listener:
        return list(dict.fromkeys(h.lower() for h in route_hosts))
    out = []
    for h in route_hosts:
        h = h.lower()
        if listener.startswith("*."):
            suffix = listener[1:]
            if h.startswith("*."):
                if h[1:].endswith(suffix):
                    out.append(h)
                elif suffix.endswith(h[1:]):
                    out.append(listener)
            elif h.endswith(suffix) and len(h) > len(suffix):
                out.append(h)
        elif h == listener or (h.startswith("*.") and listener.endswith(h[1:]) and len(listener) > len(h) - 1):
            out.append(listener)
    return list(dict.fromkeys(out))


def host_matches(domain: str, host: str) -> bool:
    """Whether a virtual host's domain (exact, ``*.`` suffix, ``*``) takes ``host``.

    >>> host_matches("*.example.com", "a.b.example.com"), host_matches("*.example.com", "example.com")
    (True, False)
    """
    host = normalize_host(host)
    if domain == "*":
        return True
    if domain.startswith("*."):
        return host.endswith(domain[1:]) and len(host) > len(domain) - 1
    return host == domain


def normalize_host(host: str) -> str:
    """A Host header as Envoy compares it: lower case, without the port."""
    host = host.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.split(":", 1)[0]


# ---------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class Redirect:
    """A RequestRedirect's answer: the status code and the Location."""

    status: int
    location: str


def redirect(entry: Entry, scheme: str, host: str, path: str, listener_port: int) -> Redirect | None:
    """The redirect ``entry`` answers with, None if it has no RequestRedirect filter (see
    ``HTTPRequestRedirectFilter``: the port defaulting and the well-known ports left out)."""
    f = entry.redirect
    if f is None:
        return None
    new_scheme = f.scheme or scheme
    new_host = f.hostname or normalize_host(host)
    if f.port is not None:
        port = f.port
    elif f.scheme:
        port = {"http": 80, "https": 443}.get(f.scheme, listener_port)
    else:
        port = listener_port
    bare, sep, qs = path.partition("?")
    if f.path is not None:
        bare = _modify_path(entry, f.path, bare)
    default = {"http": 80, "https": 443}.get(new_scheme)
    authority = new_host if port == default else f"{new_host}:{port}"
    return Redirect(f.status_code or 302, f"{new_scheme}://{authority}{bare}{sep}{qs}")


def rewrite(entry: Entry, host: str, path: str) -> tuple[str, str]:
    """(Host, path) after the rule's URLRewrite filter (unchanged without one)."""
    f = next((f.url_rewrite for f in entry.filters if f.type == "URLRewrite" and f.url_rewrite is not None), None)
    if f is None:
        return host, path
    bare, sep, qs = path.partition("?")
    if f.path is not None:
        bare = _modify_path(entry, f.path, bare)
    return (f.hostname or host), bare + sep + qs


def _modify_path(entry: Entry, mod: HTTPPathModifier, path: str) -> str:
    if mod.type == "ReplaceFullPath":
        return mod.replace_full_path or "/"
    if mod.type == "ReplacePrefixMatch" and entry.path_type == "PathPrefix":
        prefix = "" if entry.path == "/" else entry.path
        rest = path[len(prefix):]
        replaced = (mod.replace_prefix_match or "/").rstrip("/") + rest
        return replaced if replaced.startswith("/") else "/" + replaced
    return path


def request_headers(filters: Iterable[HTTPRouteFilter], headers: dict[str, str]) -> dict[str, str]:
    """Headers after the RequestHeaderModifier filters (names compared case-insensitively)."""
    out = dict(headers)
    for f in filters:
        if f.type == "RequestHeaderModifier" and f.request_header_modifier is not None:
            out = modify_headers(out, f.request_header_modifier)
    return out


def response_headers(filters: Iterable[HTTPRouteFilter], headers: dict[str, str]) -> dict[str, str]:
    """Headers after the ResponseHeaderModifier filters."""
    out = dict(headers)
    for f in filters:
        if f.type == "ResponseHeaderModifier" and f.response_header_modifier is not None:
            out = modify_headers(out, f.response_header_modifier)
    return out


def modify_headers(headers: dict[str, str], mod: Any) -> dict[str, str]:
    """One HTTPHeaderFilter: ``set`` replaces, ``add`` appends (``a,b``), ``remove`` drops.

    >>> from kitlib.api.gateway import HTTPHeader, HTTPHeaderFilter
    >>> modify_headers({"X-A": "1", "X-B": "2"}, HTTPHeaderFilter(set=[HTTPHeader("x-a", "9")],
    ...                add=[HTTPHeader("X-B", "3")], remove=["X-C"]))
    {'X-B': '2,3', 'x-a': '9'}
    """
    out = dict(headers)
    names = {k.lower(): k for k in out}
    for h in mod.set:
        old = names.pop(h.name.lower(), None)
        if old is not None:
            del out[old]
        out[h.name] = h.value
        names[h.name.lower()] = h.name
    for h in mod.add:
        old = names.get(h.name.lower())
        if old is not None:
            out[old] = f"{out[old]},{h.value}"
        else:
            out[h.name] = h.value
            names[h.name.lower()] = h.name
    for name in mod.remove:
        old = names.pop(name.lower(), None)
        if old is not None:
            del out[old]
    return out


def pick(backends: Sequence[Backend], turn: int) -> Backend | None:
    """The backend the ``turn``-th request of a rule goes to, spread by weight (smooth
    round robin over the weights, deterministic); None when every weight is 0."""
    total = sum(b.weight for b in backends)
    if total <= 0:
        return None
    slot = turn % total
    for b in backends:
        if slot < b.weight:
            return b
        slot -= b.weight
    return None


# ---------------------------------------------------------------------------- explain


def _verdict(e: Entry, vhost: VirtualHost, chosen: VirtualHost | None, winner: Entry | None, host: str,
             path: str, method: str, headers: dict[str, str], query: dict[str, str]) -> Verdict:
    if e is winner:
        return Verdict(e, "matched", f"{e.describe()} holds for {method} {path}")
    if vhost is not chosen:
        why = (f"virtual host {vhost.domain} (listener {e.listener}) is not the one Envoy picked for "
               f"{normalize_host(host)}: " + (f"{chosen.domain} is more specific" if chosen else "none matches"))
        return Verdict(e, "other host", why)
    if not e.path_holds(path):
        how = {"Exact": f"Exact {e.path} matches only {e.path} itself",
               "PathPrefix": f"PathPrefix {e.path} matches {e.path} and {e.path.rstrip('/')}/... element by element",
               "RegularExpression": f"the expression {e.path} does not match the whole path"}[e.path_type]
        return Verdict(e, "path", f"{how}, not {path}")
    if e.method is not None and method != e.method:
        return Verdict(e, "method", f"the match wants method {e.method}, the request is {method}")
    for name, kind, value in e.headers:
        got = headers.get(name)
        if got is None or (got != value if kind == "Exact" else value.fullmatch(got) is None):
            return Verdict(e, "header", f"header {name} must be {_show(value)}, the request has "
                                        + (repr(got) if got is not None else "none"))
    for name, kind, value in e.query:
        got = query.get(name)
        if got is None or (got != value if kind == "Exact" else value.fullmatch(got) is None):
            return Verdict(e, "query", f"query parameter {name} must be {_show(value)}, the request has "
                                       + (repr(got) if got is not None else "none"))
    return Verdict(e, "lower precedence", f"{e.describe()} holds too, but {winner} comes first in precedence "
                                          "order (Exact, longest path, method and headers, query, oldest route)")


def _show(value: Any) -> str:
    return value.pattern if hasattr(value, "pattern") else str(value)


def _merge(conds: list[Cond], cond: Cond) -> None:
    for i, c in enumerate(conds):
        if c.type == cond.type:
            conds[i] = cond
            return
    conds.append(cond)


__all__ = ["Backend", "Compiled", "Cond", "Entry", "GatewayMatch", "GatewayTable", "ListenerState",
           "ParentState", "PortTable", "Redirect", "Verdict", "VirtualHost", "compile_gateways",
           "host_matches", "intersect", "modify_headers", "normalize_host", "pick", "redirect",
           "request_headers", "response_headers", "rewrite"]
