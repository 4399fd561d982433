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

ingress-nginx's annotations (``nginx.ingress.kubernetes.io/...``, :class:`Annotations`, parsed
as ``internal/ingress/annotations/rewrite`` and ``.../canary`` parse them) change this:

* **regex locations**: when any path of a host has ``use-regex: "true"`` or a ``rewrite-target``
  that differs from the path, every location of that host's server becomes a case-insensitive
  regex ``location ~* "^<path>"`` (``template.go``, ``enforceRegexModifier`` and ``buildLocation``;
  an Exact path too, and without ``$``). nginx tries regex locations in the order of the file,
  and ingress-nginx writes them longest path first (``controller.go`` sorts by length), so the
  first, i.e. longest, pattern that matches the start of the path wins. Before that, a Prefix
  path without rewrite or regex of its own becomes two locations, ``/foo/`` and the exact ``/foo``
  (``location.go``, ``updateServerLocations``).
* **rewrite-target**: the matched location rewrites the URI with ``rewrite "(?i)<path>" <target>
  break;`` (``buildProxyPass``): the whole path becomes ``<target>`` with ``$1``… replaced by the
  path's capture groups, and the query string is kept (:func:`rewrite`).
* **canary**: an Ingress with ``canary: "true"`` gets no locations of its own; each of its paths
  becomes the alternative backend of the primary upstream serving the same host, path and
  pathType (``mergeAlternativeBackends``), chosen per request by header, then weight (:class:`Canary`).
* ``ssl-redirect``, ``force-ssl-redirect`` and ``app-root`` are read by the controller
  (:mod:`kitlib.addons.ingress_nginx`).

:func:`build` compiles a :class:`Router`; :meth:`Router.match` is the fast path and
:meth:`Router.explain` also says why every other rule lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..api.networking import Ingress, IngressBackend

TYPE_RANK = {"Exact": 0, "Prefix": 1, "ImplementationSpecific": 2, "default": 3}
"""At equal length, the lower rank wins: Exact before Prefix."""
CATCH_ALL = "_"
"""The server name ingress-nginx gives the catch-all server (nginx's ``server_name _``)."""
ANNOTATION_PREFIX = "nginx.ingress.kubernetes.io/"
_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


@dataclass(frozen=True)
class Annotations:
    """The ingress-nginx annotations of one Ingress that kitlib implements, parsed as the
    controller parses them: an invalid value counts as absent (the controller logs a warning and
    uses the default)."""

    rewrite_target: str = ""
    use_regex: bool = False
    ssl_redirect: bool = True
    """Default ``true`` (the ConfigMap's ``ssl-redirect``): redirect to HTTPS when the host has a certificate."""
    force_ssl_redirect: bool = False
    preserve_trailing_slash: bool = False
    app_root: str = ""
    canary: bool = False
    canary_weight: int = 0
    canary_weight_total: int = 100
    canary_by_header: str = ""
    canary_by_header_value: str = ""


NO_ANNOTATIONS = Annotations()


def parse_annotations(annotations: Mapping[str, str]) -> Annotations:
    """The :class:`Annotations` of an Ingress's ``metadata.annotations``.

    >>> a = parse_annotations({"nginx.ingress.kubernetes.io/rewrite-target": "/$2",
    ...                        "nginx.ingress.kubernetes.io/ssl-redirect": "False"})
    >>> a.rewrite_target, a.ssl_redirect, a.use_regex
    ('/$2', False, False)
    """
    def get(name: str) -> str | None:
        return annotations.get(ANNOTATION_PREFIX + name)

    def boolean(name: str, default: bool) -> bool:
        value = get(name)  # strconv.ParseBool
        return True if value in _TRUE else False if value in _FALSE else default

    def integer(name: str, default: int) -> int:
        value = get(name)  # strconv.Atoi
        return int(value) if value is not None and re.fullmatch(r"[+-]?\d+", value) else default

    app_root = get("app-root") or ""
    if not app_root.startswith("/"):  # url.ParseRequestURI, then "only allows absolute paths"
        app_root = ""
    canary = boolean("canary", False)
    header = get("canary-by-header") or ""
    weight = integer("canary-weight", 0)
    # Without canary: "true" the canary annotations are an error ("configured but not enabled") and dropped.
    return Annotations(rewrite_target=get("rewrite-target") or "", use_regex=boolean("use-regex", False),
                       ssl_redirect=boolean("ssl-redirect", True),
                       force_ssl_redirect=boolean("force-ssl-redirect", False),
                       preserve_trailing_slash=boolean("preserve-trailing-slash", False), app_root=app_root,
                       canary=canary, canary_weight=weight if canary else 0,
                       canary_weight_total=integer("canary-weight-total", 100) if canary else 100,
                       canary_by_header=header if canary else "",
                       canary_by_header_value=(get("canary-by-header-value") or "") if canary else "")


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
    annotations: Annotations = NO_ANNOTATIONS

    @property
    def needs_rewrite(self) -> bool:
        """A ``rewrite-target`` that differs from the path (``needsRewrite``)."""
        target = self.annotations.rewrite_target
        return bool(target) and target != self.path

    @property
    def upstream(self) -> tuple[str, str | None, int | str | None]:
        """(namespace, Service, port): the upstream ingress-nginx builds for this backend."""
        return self.namespace, self.service, self.port

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
class Canary:
    """The alternative backend a canary Ingress adds to a primary upstream, and its traffic
    shaping policy (``balancer.lua``, ``route_to_alternative_balancer``)."""

    route: Route
    """The canary Ingress's path (its backend takes the requests sent to the canary)."""
    primary: tuple[str, str | None, int | str | None]

    def choose(self, headers: Mapping[str, str], draw: int | None) -> tuple[bool, str]:
        """(whether this request goes to the canary, why). ``draw`` is ``math.random(weightTotal)``,
        an integer in 1..weight total, or None to report the weight without drawing."""
        a = self.route.annotations
        name = a.canary_by_header
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), None) if name else None
        if value is not None:
            if a.canary_by_header_value:
                if value == a.canary_by_header_value:
                    return True, f"header {name}: {value} equals canary-by-header-value"
            elif value == "always":
                return True, f"header {name}: always"
            elif value == "never":
                return False, f"header {name}: never"
        total = self.weight_total
        if draw is None:
            return False, f"canary-weight {a.canary_weight}/{total}"
        hit = draw <= a.canary_weight
        return hit, f"canary-weight {a.canary_weight}/{total}: drew {draw} {'≤' if hit else '>'} {a.canary_weight}"

    @property
    def weight_total(self) -> int:
        """The weight total: ``canary-weight-total`` when above 100, else 100."""
        total = self.route.annotations.canary_weight_total
        return total if total > 100 else 100


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
    annotations: Annotations = NO_ANNOTATIONS
    """The annotations of the Ingress that created the server (its root location and app-root)."""
    regex: bool = False
    """Every location is a ``~*`` regex (see the module docstring)."""
    locations: list[tuple[re.Pattern[str] | None, str, Route]] = field(default_factory=list)
    """Regex servers: (compiled ``^path``, path, route) in nginx's order."""

    @property
    def app_root(self) -> str:
        """The ``app-root`` of any location of the server (nginx's ``if ($uri = /)`` is server-wide)."""
        for a in [r.annotations for r in self.active()] + [self.annotations]:
            if a.app_root:
                return a.app_root
        return ""

    def active(self) -> list[Route]:
        """The routes that made it into locations (not shadowed by an older Ingress's path)."""
        hidden = {id(r) for r, _ in self.shadowed}
        return [r for r in self.routes if id(r) not in hidden]

    def finalize(self) -> None:
        """Turn every location into a regex when one of them asks for it, in nginx's order."""
        active = self.active()
        self.regex = any(r.annotations.use_regex or r.needs_rewrite for r in active)
        if not self.regex:
            return
        exact = {r.path for r in active if r.path_type == "Exact"}
        paths: list[tuple[str, Route]] = []
        for r in active:
            if r.path_type == "Prefix" and r.path != "/" and not (r.needs_rewrite or r.annotations.use_regex):
                paths.append((r.path if r.path.endswith("/") else r.path + "/", r))
                if r.path not in exact:
                    paths.append((r.path, r))
            else:
                paths.append((r.path, r))
        paths.sort(key=lambda pr: pr[0], reverse=True)
        paths.sort(key=lambda pr: len(pr[0]), reverse=True)
        self.locations = [(_compile(p), p, r) for p, r in paths]

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
        if self.regex:
            return next((r for pattern, _, r in self.locations if pattern is not None and pattern.match(path)), None)
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
    canaries: dict[tuple[str, str | None, int | str | None], Canary] = field(default_factory=dict)
    """Primary upstream → its alternative backend (ingress-nginx uses the first only)."""
    unmerged: list[tuple[Route, str]] = field(default_factory=list)
    """Canary paths that found no primary, and why (the controller deletes their upstream)."""
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

    def canary_for(self, route: Route) -> Canary | None:
        """The canary of the upstream ``route`` proxies to, if any."""
        return self.canaries.get(route.upstream) if route.service else None

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
    canaries: list[tuple[Ingress, Annotations]] = []
    for ing in ordered:
        key = ing.key
        ann = parse_annotations(ing.metadata.annotations)
        if ann.canary:  # "Ingress ... is marked as Canary, ignoring": merged below
            canaries.append((ing, ann))
            continue
        router.ingresses.append(key)
        default = _route(key, -1, 0, "", "", "default", ing.spec.default_backend, order, ann) \
            if ing.spec.default_backend is not None else None
        order += 1
        for tls in ing.spec.tls:
            for h in tls.hosts:
                router.tls_hosts.setdefault(normalize_host(h), (key, tls.secret_name))
        for i, rule in enumerate(ing.spec.rules):
            host = normalize_host(rule.host or "")
            server = _server(router, host)
            if not server.routes and server.fallback is None and server is not router.catch_all:
                server.annotations = ann
            if default is not None and server.fallback is None and server is not router.catch_all \
                    and not server.routes:
                server.fallback = default
            for j, p in enumerate(rule.http.paths if rule.http else []):
                path = p.path or "/"
                server.add(_route(key, i, j, host, path, p.path_type or "ImplementationSpecific", p.backend, order,
                                  ann))
                order += 1
        if default is not None and not ing.spec.rules and router.catch_all.fallback is None:
            router.catch_all.fallback = default
    for server in router.all_servers():
        server.finalize()
    for ing, ann in canaries:
        _merge_canary(router, ing, ann)
    return router


def _merge_canary(router: Router, ing: Ingress, ann: Annotations) -> None:
    """Attach each path of canary Ingress ``ing`` to the primary upstream of the same host, path
    and pathType (``mergeAlternativeBackends``; only the first alternative backend is used)."""
    for i, rule in enumerate(ing.spec.rules):
        host = normalize_host(rule.host or "")
        server = (router.catch_all if not host else router.wildcards.get(host[2:]) if host.startswith("*.")
                  else router.servers.get(host))
        for j, p in enumerate(rule.http.paths if rule.http else []):
            route = _route(ing.key, i, j, host, p.path or "/", p.path_type or "ImplementationSpecific", p.backend,
                           0, ann)
            if route.service is None:
                continue  # "skip non-service backends"
            if server is None:
                router.unmerged.append((route, f"cannot merge alternative backend into hostname {host} "
                                               "that does not exist"))
                continue
            primary = next((r for r in server.active() if r.path == route.path and r.path_type == route.path_type
                            and r.service is not None), None)
            if primary is None or primary.upstream == route.upstream:
                router.unmerged.append((route, "unable to find real backend for alternative backend"))
                continue
            router.canaries.setdefault(primary.upstream, Canary(route, primary.upstream))


def rewrite(route: Route, path: str) -> str:
    """The URI the upstream gets: ``rewrite "(?i)<path>" <target> break;`` applied to ``path``
    (with its query string, which nginx appends again unless the target has a ``?``).

    >>> r = Route("default/x", 0, 0, "", "/something(/|$)(.*)", "ImplementationSpecific",
    ...           annotations=Annotations(rewrite_target="/$2"))
    >>> rewrite(r, "/something/new?a=1"), rewrite(r, "/something")
    ('/new?a=1', '/')
    """
    if not route.needs_rewrite:
        return path
    uri, sep, args = path.partition("?")
    pattern = _compile(route.path, anchored=False)
    m = pattern.search(uri) if pattern is not None else None
    if m is None:
        return path
    target = route.annotations.rewrite_target
    new = re.sub(r"\$(\d)", lambda d: (m.group(int(d.group(1))) or "") if int(d.group(1)) <= (m.re.groups or 0)
                 else "", target)
    if "?" in target or not sep:
        return new
    return f"{new}?{args}"


def _compile(path: str, anchored: bool = True) -> re.Pattern[str] | None:
    """``path`` as nginx's PCRE would take it, case-insensitive; None if Python cannot compile it."""
    try:
        return re.compile(("^" if anchored else "") + path, re.IGNORECASE)
    except re.error:
        return None


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
           backend: IngressBackend | None, order: int, annotations: Annotations = NO_ANNOTATIONS) -> Route:
    service = port = resource = None
    if backend is not None and backend.service is not None:
        service = backend.service.name
        port = backend.service.port.number or backend.service.port.name
    elif backend is not None and backend.resource is not None:
        resource = f"{backend.resource.kind}/{backend.resource.name}"
    return Route(ingress, rule, index, host, path, path_type, service, port, resource, order, annotations)


def _verdict(route: Route, s: Server, chosen: Server, winner: Route | None, path: str, host: str,
             fallback: bool) -> Verdict:
    if route is winner and not fallback:
        if s.regex:
            return Verdict(route, "matched", f'regex location ~* "^{route.path}" matches {path} (case-insensitive)')
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
    if s.regex:
        pattern = _compile(route.path)
        if pattern is None or not pattern.match(path):
            return Verdict(route, "no match", f'regex location ~* "^{route.path}" does not match {path}')
        return Verdict(route, "later regex", f'~* "^{route.path}" matches too, but nginx takes the first regex '
                                             f"location that matches, longest path first: "
                                             f"{winner.path if winner else '?'}")
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


__all__ = ["ANNOTATION_PREFIX", "CATCH_ALL", "Annotations", "Canary", "Match", "Route", "Router", "Server",
           "Verdict", "build", "host_matches", "normalize_host", "parse_annotations", "path_matches", "request_path",
           "rewrite"]
