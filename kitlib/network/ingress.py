"""Ingress routing: which rule of which Ingress answers a request for ``host`` and ``path``.

An ingress controller merges every Ingress of its class into one routing table, as
ingress-nginx builds one nginx ``server`` per host name:

* **hosts**: a request's ``Host`` (port dropped, case ignored) picks the server of that exact
  host; else the server of a wildcard ``*.example.com`` whose suffix is what is left after the
  first label (a wildcard covers exactly one DNS label); else the catch-all server, which holds
  the rules without a host. Rules with a host therefore come before rules without one, and a
  request for a named host never falls through to the host-less rules.
* **paths**, within the server: ``Exact`` matches the whole path, case-sensitively. ``Prefix``
  matches element by element on ``/``: ``/foo`` matches ``/foo`` and ``/foo/bar`` but not
  ``/foobar``, and a trailing slash is ignored. ``ImplementationSpecific`` is up to the controller;
  ingress-nginx turns it into an nginx prefix ``location``, a plain string prefix (``/foo`` matches
  ``/foobar``). The longest matching path wins; at equal length Exact beats Prefix.
* **fallback**: when no path of the server matches, the request goes to the ``defaultBackend``
  of the Ingress that defined the host (for the catch-all server, of an Ingress with only a
  default backend), otherwise to the controller's own default backend, which answers 404.
  When two Ingresses define the same host and path, the older one wins.

:func:`build` compiles a :class:`Router`; :meth:`Router.match` is the fast path and
:meth:`Router.explain` also says why every other rule lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..api.networking import Ingress, IngressBackend

TYPE_RANK = {"Exact": 0, "Prefix": 1, "ImplementationSpecific": 2, "default": 3}
"""At equal length, the lower rank wins: Exact before Prefix."""
CATCH_ALL = "_"
"""The server name ingress-nginx gives the catch-all server (nginx's ``server_name _``)."""


@dataclass(frozen=True)
class Route:
    """One path of one Ingress rule (or an Ingress's default backend), as the controller compiled it.

    ``rule`` and ``path_index`` locate it in ``spec.rules[rule].http.paths[path_index]``; the
    default backend has ``rule == -1``. ``service`` and ``port`` name the backend Service (in the
    Ingress's namespace) and its port (a number or a port name); ``resource`` is set instead for a
    resource backend.
    """

    ingress: str
    rule: int
    path_index: int
    host: str
    path: str
    path_type: str
    service: str | None = None
    port: int | str | None = None
    resource: str | None = None
    order: int = 0

    @property
    def namespace(self) -> str:
        return self.ingress.split("/", 1)[0]

    @property
    def backend(self) -> str:
        """``svc:port``, or ``Kind/name`` for a resource backend."""
        return f"{self.service}:{self.port}" if self.service else str(self.resource)

    @property
    def is_default_backend(self) -> bool:
        return self.rule < 0

    @property
    def length(self) -> int:
        """The length that ranks matching paths (a Prefix's trailing slash does not count)."""
        return len(_prefix_key(self.path)) if self.path_type == "Prefix" else len(self.path)

    def __str__(self) -> str:
        if self.is_default_backend:
            return f"{self.ingress} defaultBackend → {self.backend}"
        return f"{self.ingress} {self.host or '*'}{self.path} ({self.path_type}) → {self.backend}"


@dataclass(frozen=True)
class Verdict:
    """What one route made of a request: ``matched``, or why it lost."""

    route: Route
    outcome: str
    """``matched``, ``shorter``, ``Exact beats Prefix`` (at equal length), ``shadowed``, ``no match``,
    ``other host`` or ``not needed`` (a default backend when a path matched)."""
    detail: str


@dataclass
class Match:
    """Where a request for ``host`` and ``path`` goes. ``route`` None: the controller's own 404."""

    host: str
    path: str
    server: str
    route: Route | None
    fallback: bool = False
    """True when no path matched and the request went to a default backend."""
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def service(self) -> str | None:
        return self.route.service if self.route else None

    def __str__(self) -> str:
        if self.route is None:
            return f"{self.host}{self.path}: no rule matches → the controller's default backend (404)"
        how = "default backend" if self.fallback else f"{self.route.path_type} {self.route.path}"
        return f"{self.host}{self.path}: {how} of {self.route.ingress} → {self.route.backend}"


@dataclass
class Server:
    """The routes of one host name (``_`` for the catch-all), indexed for matching."""

    name: str
    exact: dict[str, Route] = field(default_factory=dict)
    prefix: dict[str, Route] = field(default_factory=dict)
    implementation: list[Route] = field(default_factory=list)
    fallback: Route | None = None
    routes: list[Route] = field(default_factory=list)
    shadowed: list[tuple[Route, Route]] = field(default_factory=list)
    """(route, the older route with the same path that hides it)."""

    def add(self, route: Route) -> None:
        self.routes.append(route)
        if route.path_type == "Exact":
            table, key = self.exact, route.path
        elif route.path_type == "Prefix":
            table, key = self.prefix, _prefix_key(route.path)
        else:
            same = next((r for r in self.implementation if r.path == route.path), None)
            if same is not None:
                self.shadowed.append((route, same))
            else:
                self.implementation.append(route)
                self.implementation.sort(key=lambda r: -len(r.path))
            return
        if key in table:
            self.shadowed.append((route, table[key]))
        else:
            table[key] = route

    def match_path(self, path: str) -> Route | None:
        """The winning route for ``path`` (no query string), or None when no path matches."""
        best = self.exact.get(path)
        if best is not None:
            return best  # nothing can be longer than the whole path
        shortest = -1  # the length of the Prefix found: only a longer string prefix beats it
        prefix = self.prefix
        if prefix:
            key = path.rstrip("/") or "/" if len(path) > 1 else path
            while True:
                best = prefix.get(key)
                if best is not None:
                    shortest = len(key)  # == best.length: the table's key is the path without its "/"
                    break
                if key == "/":
                    break
                cut = key.rfind("/")
                key = key[:cut] or "/"
        for route in self.implementation:  # longest first
            if len(route.path) <= shortest:
                break
            if path.startswith(route.path):
                return route
        return best


@dataclass
class Router:
    """The routing table of one ingress controller (see the module docstring)."""

    servers: dict[str, Server] = field(default_factory=dict)
    wildcards: dict[str, Server] = field(default_factory=dict)
    catch_all: Server = field(default_factory=lambda: Server(CATCH_ALL))
    ingresses: list[str] = field(default_factory=list)
    tls_hosts: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    """TLS host (exact or ``*.``) → (the Ingress, its ``secretName``), the oldest Ingress first."""
    _by_header: dict[str, Server] = field(default_factory=dict, repr=False, compare=False)
    """Host header as sent → its server, for :meth:`route` (a Router is rebuilt after any change)."""

    def server_for(self, host: str) -> Server:
        """The server that takes requests for ``host``."""
        server = self.servers.get(host)
        if server is not None:
            return server
        host = normalize_host(host)
        server = self.servers.get(host)
        if server is not None:
            return server
        dot = host.find(".")
        if dot > 0:
            server = self.wildcards.get(host[dot + 1:])
            if server is not None:
                return server
        return self.catch_all

    def route(self, host: str, path: str) -> Route | None:
        """The route that answers, default backends included; None: the controller's own 404.
        The fast path of :meth:`match`, for bulk matching."""
        server = self._by_header.get(host)
        if server is None:
            server = self.server_for(host)
            if len(self._by_header) < 65536:
                self._by_header[host] = server
        if "?" in path or "#" in path or not path.startswith("/"):
            path = request_path(path)
        return server.match_path(path) or server.fallback

    def match(self, host: str, path: str) -> Match:
        """Where a request goes, without the explanation.

        >>> r = build([])
        >>> r.match("shop.example", "/").route is None
        True
        """
        server = self.server_for(host)
        path = request_path(path)
        route = server.match_path(path)
        if route is None:
            return Match(host, path, server.name, server.fallback, fallback=True)
        return Match(host, path, server.name, route)

    def explain(self, host: str, path: str) -> Match:
        """:meth:`match`, with a :class:`Verdict` for every route of every Ingress."""
        found = self.match(host, path)
        path = found.path
        server = self.server_for(host)
        winner = found.route
        verdicts = []
        for s in self.all_servers():
            for route in s.routes:
                verdicts.append(_verdict(route, s, server, winner, path, host, found.fallback))
            if s.fallback is not None:
                verdicts.append(_fallback_verdict(s.fallback, s, server, winner))
        found.verdicts = verdicts
        return found

    def all_servers(self) -> list[Server]:
        """Every server: named hosts, wildcards, then the catch-all."""
        return [*self.servers.values(), *self.wildcards.values(), self.catch_all]

    def tls_for(self, host: str) -> tuple[str, str | None] | None:
        """(Ingress, secretName) of the TLS section that lists ``host``, or None."""
        host = normalize_host(host)
        hit = self.tls_hosts.get(host)
        if hit is None and "." in host:
            hit = self.tls_hosts.get("*." + host.split(".", 1)[1])
        return hit


def build(ingresses: Iterable[Ingress]) -> Router:
    """Compile the Ingresses one controller serves into a :class:`Router`, oldest Ingress first.

    >>> from kitlib.manifest import decode
    >>> ing = decode({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
    ...     "metadata": {"name": "shop", "namespace": "default"},
    ...     "spec": {"rules": [{"host": "shop.example", "http": {"paths": [
    ...         {"path": "/api", "pathType": "Prefix",
    ...          "backend": {"service": {"name": "api", "port": {"number": 80}}}}]}}]}})
    >>> build([ing]).match("shop.example", "/api/cart").route.service
    'api'
    """
    router = Router()
    order = 0
    ordered = sorted(ingresses, key=lambda i: (i.metadata.creation_timestamp or "", i.namespace, i.name))
    for ing in ordered:
        key = ing.key
        router.ingresses.append(key)
        default = _route(key, -1, 0, "", "", "default", ing.spec.default_backend, order) \
            if ing.spec.default_backend is not None else None
        order += 1
        for tls in ing.spec.tls:
            for h in tls.hosts:
                router.tls_hosts.setdefault(normalize_host(h), (key, tls.secret_name))
        for i, rule in enumerate(ing.spec.rules):
            host = normalize_host(rule.host or "")
            server = _server(router, host)
            if default is not None and server.fallback is None and server is not router.catch_all \
                    and not server.routes:
                server.fallback = default
            for j, p in enumerate(rule.http.paths if rule.http else []):
                path = p.path or "/"
                server.add(_route(key, i, j, host, path, p.path_type or "ImplementationSpecific", p.backend, order))
                order += 1
        if default is not None and not ing.spec.rules and router.catch_all.fallback is None:
            router.catch_all.fallback = default
    return router


def normalize_host(host: str) -> str:
    """A Host header as servers compare it: lower case, without a port or a final dot."""
    host = host.strip().lower()
    if host.startswith("["):  # an IPv6 literal keeps its colons
        return host.split("]", 1)[0] + "]"
    return host.split(":", 1)[0].rstrip(".")


def request_path(path: str) -> str:
    """The path part of a request target (query and fragment dropped); ``/`` when empty."""
    for sep in ("?", "#"):
        path = path.split(sep, 1)[0]
    return path if path.startswith("/") else "/" + path


def path_matches(path_type: str, rule_path: str, request: str) -> bool:
    """Whether one path of a rule matches a request path, by its type (see the module docstring).

    >>> path_matches("Prefix", "/foo", "/foo/bar"), path_matches("Prefix", "/foo", "/foobar")
    (True, False)
    """
    if path_type == "Exact":
        return request == rule_path
    if path_type == "Prefix":
        key = _prefix_key(rule_path)
        if key == "/":
            return True
        req = request.rstrip("/") or "/"
        return req == key or req.startswith(key + "/")
    return request.startswith(rule_path or "/")


def host_matches(rule_host: str, host: str) -> bool:
    """Whether a rule's host (exact, ``*.`` wildcard, or empty for any) takes ``host``."""
    host = normalize_host(host)
    if not rule_host:
        return True
    if rule_host.startswith("*."):
        return "." in host and host.split(".", 1)[1] == rule_host[2:] and host.split(".", 1)[0] != ""
    return host == rule_host


def _prefix_key(path: str) -> str:
    return path.rstrip("/") or "/"


def _server(router: Router, host: str) -> Server:
    if not host:
        return router.catch_all
    if host.startswith("*."):
        return router.wildcards.setdefault(host[2:], Server(host))
    return router.servers.setdefault(host, Server(host))


def _route(ingress: str, rule: int, index: int, host: str, path: str, path_type: str,
           backend: IngressBackend | None, order: int) -> Route:
    service = port = resource = None
    if backend is not None and backend.service is not None:
        service = backend.service.name
        port = backend.service.port.number or backend.service.port.name
    elif backend is not None and backend.resource is not None:
        resource = f"{backend.resource.kind}/{backend.resource.name}"
    return Route(ingress, rule, index, host, path, path_type, service, port, resource, order)


def _verdict(route: Route, s: Server, chosen: Server, winner: Route | None, path: str, host: str,
             fallback: bool) -> Verdict:
    if route is winner and not fallback:
        return Verdict(route, "matched", f"{route.path_type} {route.path} matches {path}")
    if s is not chosen:
        if not s.name or s.name == CATCH_ALL:
            why = (f"rules without a host only take hosts that no rule names; {normalize_host(host)} "
                   f"has rules of its own")
        elif s.name.startswith("*."):
            why = (f"{s.name} covers exactly one DNS label in place of *, so it does not take "
                   f"{normalize_host(host)}")
        else:
            why = f"the rule is for host {s.name}, the request for {normalize_host(host)}"
        return Verdict(route, "other host", why)
    hider = next((older for r, older in s.shadowed if r is route), None)
    if hider is not None:
        return Verdict(route, "shadowed", f"{hider.ingress} defines the same {route.path_type} path "
                                          f"{route.path} and is older: it wins")
    if not path_matches(route.path_type, route.path, path):
        return Verdict(route, "no match", _no_match(route, path))
    if winner is not None and winner.length == route.length:
        return Verdict(route, f"{winner.path_type} beats {route.path_type}",
                       f"{route.path_type} {route.path} matches too, but at equal length "
                       f"{winner.path_type} {winner.path} wins")
    return Verdict(route, "shorter", f"{route.path_type} {route.path} matches too, but "
                                     f"{winner.path if winner else '?'} is longer")


def _fallback_verdict(route: Route, s: Server, chosen: Server, winner: Route | None) -> Verdict:
    where = "every host no rule names" if s.name == CATCH_ALL else f"host {s.name}"
    if route is winner and s is chosen:
        return Verdict(route, "matched", f"no path matched: the default backend of {where} takes it")
    if s is not chosen:
        return Verdict(route, "other host", f"the default backend for {where}")
    return Verdict(route, "not needed", "used only when no path matches")


def _no_match(route: Route, path: str) -> str:
    if route.path_type == "Exact":
        return f"Exact {route.path} matches only {route.path} itself (case-sensitive), not {path}"
    if route.path_type == "Prefix":
        key = _prefix_key(route.path)
        return (f"Prefix {route.path} matches {key} and {key}/... element by element, not {path}")
    return f"{route.path} is not a string prefix of {path}"


__all__ = ["CATCH_ALL", "Match", "Route", "Router", "Server", "Verdict", "build", "host_matches",
           "normalize_host", "path_matches", "request_path"]
