"""Checks for lesson 8, "Gateway API: the successor to Ingress".

Every check sends real requests through the simulated Envoy Gateway with
:meth:`kitlib.Cluster.http` from outside the cluster, and reads the answer: which Service took it
(``resp.service``) and which listener, HTTPRoute and rule matched (``resp.gateway``). The canary
check measures the split of 1,000 requests with the add-on's batch of routing decisions
(:func:`measure_split`), the same decisions Envoy makes for each request."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError, NotFound
from .feedback import Feedback, not_yet, ok
from .progress import exercise

SHOP = "shop.example.com"
ROUTE = "store-front"
GATEWAY = "eg"
API_PATHS = ("/api", "/api/", "/api/orders/7")
WEB_PATHS = ("/", "/apiary", "/cart", "/about/api")
"""``/apiary`` teaches that PathPrefix matches whole path elements; ``/about/api`` that it matches from the start."""
CANARY_HEADER = ("x-canary", "always")
CANARY_SHARE, TOLERANCE, REQUESTS = 0.20, 0.03, 1000
STORE = "billing"
INVENTORY = "invoices"
INVENTORY_PATHS = ("/invoices", "/invoices/2026/12")
FANOUT_HINT = (f"One HTTPRoute {ROUTE} with parentRefs: [{{name: {GATEWAY}}}], hostnames: [{SHOP}], and two rules: "
               "matches path {type: PathPrefix, value: /api} → backendRefs [{name: api, port: 80}], and a rule "
               "without matches (every path) → [{name: web, port: 80}].")


def measure_split(cluster, url: str, n: int = REQUESTS, headers: dict[str, str] | None = None,
                  method: str = "GET"):
    """Route ``n`` requests like ``cluster.http(url, headers=..., method=...)`` through the Gateway
    that serves the URL's host, and count the Services they go to (a
    :class:`~kitlib.addons.envoy_gateway.Split`; ``str()`` prints the counts)."""
    addon = cluster.addons.get("gateway")
    if addon is None:
        raise NotFound('the gateway add-on is not enabled: cluster.enable_addon("gateway")')
    return addon.split(url, n=n, headers=headers, method=method)


def _addon(cluster):
    return cluster.addons.get("gateway")


def _no_gateway(cluster, namespace: str) -> Feedback | None:
    if _addon(cluster) is None:
        return not_yet("there is no Gateway API controller.", 'Run the lesson\'s cells first: '
                       'cluster.enable_addon("gateway").')
    try:
        gw = cluster.get("Gateway", GATEWAY, namespace)
    except (NotFound, ApiError):
        return not_yet(f"there is no Gateway {GATEWAY}.", "Run the lesson's cells first: cluster.apply(GATEWAY).")
    if not gw.status.addresses:
        return not_yet(f"Gateway {GATEWAY} has no address yet.", "cluster.advance(20)")
    return None


def _get(cluster, url: str, headers: dict[str, str] | None = None, namespace: str = "default"):
    """The response to ``url`` sent to Gateway eg's address with the URL's host as ``Host``, as
    ``curl --resolve`` does (so a host no route serves yet gets Envoy's 404, not a DNS failure),
    or None when the URL itself is wrong (checks never raise)."""
    host, _, path = url.split("://", 1)[-1].partition("/")
    try:
        gw = cluster.get("Gateway", GATEWAY, namespace)
        ip = gw.status.addresses[0].value
        return cluster.http(f"http://{ip}/{path}", headers={"Host": host, **(headers or {})})
    except (ApiError, IndexError):
        return None


def _who(resp, namespace: str) -> str:
    """Who answered, in words: ``Service web (200)``, ``Envoy's 404`` …"""
    if resp is None or resp.status is None:
        return f"no answer ({resp.reason if resp is not None else 'bad URL'})"
    match = resp.gateway
    if match is None:
        return f"{resp.status} without going through a Gateway"
    if match.entry is None:
        return f"Envoy's {resp.status} (no rule matched)"
    svc = resp.service or ""
    name = svc.split("/", 1)[1] if svc.startswith(f"{namespace}/") else svc
    return f"Service {name} ({resp.status})" if svc else f"a {resp.status} from rule {match.rule} of {match.route}"


def _route_problem(cluster, name: str, namespace: str, hint: str) -> Feedback | None:
    """The route is missing, or its status says it did not attach or a backend did not resolve."""
    try:
        route = cluster.get("HTTPRoute", name, namespace)
    except NotFound:
        return not_yet(f"there is no HTTPRoute {name}.", hint)
    if not any(p.name == GATEWAY for p in route.spec.parent_refs):
        return not_yet(f"HTTPRoute {name} does not name Gateway {GATEWAY} in parentRefs.",
                       f"parentRefs: [{{name: {GATEWAY}}}]")
    generation = route.metadata.generation
    for parent in route.status.parents:
        # Conditions written for an older generation say nothing about the route as it is now (the
        # controller writes them when the clock moves); the requests below are routed at once.
        for c in (c for c in parent.conditions if c.observed_generation == generation):
            if c.type == "Accepted" and c.status != "True":
                return not_yet(f"HTTPRoute {name} is not attached: Accepted {c.status}, {c.reason}: {c.message}",
                               f"Its hostnames must fall under the listener's *.example.com: use {SHOP}.")
            if c.type == "ResolvedRefs" and c.status != "True":
                return not_yet(f"a backend of HTTPRoute {name} does not resolve: {c.reason}: {c.message}",
                               "Check each backendRef's name, namespace and port (kubectl get svc -A).")
    return None


def _expect(cluster, path: str, want: str, namespace: str, headers: dict[str, str] | None = None,
            service_ns: str | None = None) -> tuple[Any, Feedback | None]:
    """Send ``path`` on the shop host; a Feedback when it does not reach Service ``want``."""
    url = f"http://{SHOP}{path}"
    resp = _get(cluster, url, headers, namespace)
    if resp is not None and resp.service == f"{service_ns or namespace}/{want}":
        return resp, None
    match = resp.gateway if resp is not None else None
    entry = match.entry if match is not None else None
    if entry is not None and entry.route != f"{namespace}/{ROUTE}":
        return resp, not_yet(f"{url} was routed by HTTPRoute {entry.route}, not by {ROUTE}.",
                             f"Put the rules in HTTPRoute {ROUTE}, or delete the other route.")
    got = _who(resp, namespace)
    if entry is None:
        return resp, not_yet(f"{url} got {got}.", FANOUT_HINT)
    return resp, not_yet(f"{url} went to {got}, not to Service {want}; the rule that matched: rule {entry.rule} "
                         f"({entry.describe()}).", _path_hint(match, path, want))


def _path_hint(match, path: str, want: str) -> str:
    """Why the wrong rule won, for the usual mistakes with path types."""
    entry = match.entry
    if path == "/apiary" and entry.path_type == "RegularExpression":
        return "A regular expression matched /apiary: use PathPrefix /api, which matches whole path elements."
    wanted = [v.entry for v in match.verdicts if v.outcome != "other host"
              and any(b.name == want for b in v.entry.backends)]
    exact = next((e for e in wanted if e.path_type == "Exact"), None)
    if exact is not None:
        return f"Exact {exact.path} matches {exact.path} only: use type: PathPrefix for {exact.path}."
    return FANOUT_HINT


@exercise
def check_fanout(cluster, namespace: str = "default") -> Feedback:
    """Exercise 1: HTTPRoute ``store-front`` sends ``http://shop.example.com/api`` and ``/api/...``
    to Service ``api`` and every other path of shop.example.com (``/apiary`` included) to ``web``."""
    problem = _no_gateway(cluster, namespace) or _route_problem(cluster, ROUTE, namespace, FANOUT_HINT)
    if problem is not None:
        return problem
    for path in API_PATHS + WEB_PATHS:
        _, problem = _expect(cluster, path, "api" if path in API_PATHS else "web", namespace)
        if problem is not None:
            return problem
    return ok("/api and everything under /api/ reach Service api; /, /cart and /apiary reach Service web "
              "(PathPrefix /api matches whole path elements, and the longest prefix wins).")


@exercise
def check_canary(cluster, namespace: str = "default") -> Feedback:
    """Exercise 2: about 20 % of shop.example.com's web traffic goes to ``web-v2`` (the rest to
    ``web``), every request with ``x-canary: always`` goes to ``web-v2``, and /api still reaches api."""
    fanout = check_fanout_except_web(cluster, namespace)
    if fanout is not None:
        return fanout
    name, value = CANARY_HEADER
    for path in ("/", "/cart"):
        _, problem = _expect(cluster, path, "web-v2", namespace, {name: value})
        if problem is not None:
            return not_yet(problem.message, f"Add a rule whose match has headers: [{{name: {name}, value: {value}}}] "
                                            "and backendRefs [{name: web-v2, port: 80}]; one header match more "
                                            "than the plain rule makes it win.")
    for other in ("never", "true"):
        resp = _get(cluster, f"http://{SHOP}/", {name: other}, namespace)
        entry = resp.gateway.entry if resp is not None and resp.gateway is not None else None
        if entry is not None and any(h[0] == name for h in entry.headers):
            return not_yet(f"a request with {name}: {other} took the header rule too.",
                           f"Match the header's value exactly: value: {value}.")
    try:
        split = measure_split(cluster, f"http://{SHOP}/cart", REQUESTS)
    except ApiError as err:
        return not_yet(f"measuring the split failed: {err}", "Run the lesson's cells first.")
    counts = split.counts
    total = sum(counts.values())
    v2 = counts.get(f"{namespace}/web-v2", 0)
    v1 = counts.get(f"{namespace}/web", 0)
    other = total - v1 - v2
    if other:
        return not_yet(f"of {total} requests to /cart, {other} went neither to web nor to web-v2: {split}.",
                       "The rule for every path lists two backendRefs: web (weight 80) and web-v2 (weight 20).")
    share = v2 / total if total else 0.0
    if abs(share - CANARY_SHARE) > TOLERANCE:
        return not_yet(f"web-v2 took {100 * share:.1f} % of {total} requests to /cart, not about 20 %: {split}.",
                       "Weights are relative: web weight 80 and web-v2 weight 20 (or 4 and 1).")
    return ok(f"{split}: about 20 % to web-v2; every request with {name}: {value} reaches web-v2; /api still "
              "reaches api.")


def check_fanout_except_web(cluster, namespace: str) -> Feedback | None:
    """Exercise 1's /api half still holds, and the web paths reach web or web-v2."""
    problem = _no_gateway(cluster, namespace) or _route_problem(cluster, ROUTE, namespace, FANOUT_HINT)
    if problem is not None:
        return problem
    for path in API_PATHS:
        _, problem = _expect(cluster, path, "api", namespace)
        if problem is not None:
            return problem
    return None


@exercise
def check_cross_namespace(cluster, namespace: str = "default") -> Feedback:
    """Exercise 3: ``http://shop.example.com/invoices`` (and below) reaches Service ``invoices`` of
    namespace ``billing`` from the route in ``default``, through a ReferenceGrant in ``billing`` that
    lets in HTTPRoutes of ``default`` only."""
    problem = _no_gateway(cluster, namespace)
    if problem is not None:
        return problem
    grant_hint = (f"A ReferenceGrant in namespace {STORE}: spec.from [{{group: gateway.networking.k8s.io, kind: "
                  f"HTTPRoute, namespace: {namespace}}}], spec.to [{{group: \"\", kind: Service}}].")
    for path in INVENTORY_PATHS:
        resp, problem = _expect(cluster, path, INVENTORY, namespace, service_ns=STORE)
        if problem is None:
            continue
        entry = resp.gateway.entry if resp is not None and resp.gateway is not None else None
        backends = entry.backends if entry is not None else ()
        denied = next((b for b in backends if b.reason == "RefNotPermitted"), None)
        if denied is not None:
            return not_yet(f"http://{SHOP}{path} got 500: {denied.message}", grant_hint)
        if entry is not None and any(b.name == INVENTORY and b.namespace == namespace for b in backends):
            return not_yet(f"http://{SHOP}{path} names Service {INVENTORY} in {namespace}, where there is none.",
                           f"The backendRef needs namespace: {STORE}.")
        return not_yet(problem.message, f"Add a rule to {ROUTE}: PathPrefix /{INVENTORY} → backendRefs "
                                        f"[{{name: {INVENTORY}, namespace: {STORE}, port: 80}}], and a ReferenceGrant.")
    for grant in cluster.list("ReferenceGrant", STORE):
        froms = [(f.kind, f.namespace) for f in grant.spec.from_]
        too_wide = [ns for kind, ns in froms if kind == "HTTPRoute" and ns != namespace]
        if too_wide:
            return not_yet(f"ReferenceGrant {grant.metadata.name} also lets in HTTPRoutes of {', '.join(too_wide)}.",
                           f"List only namespace {namespace} under spec.from.")
    return ok(f"/{INVENTORY} reaches Service {STORE}/{INVENTORY}: the route in {namespace} names it, and the "
              f"ReferenceGrant in {STORE} allows HTTPRoutes of {namespace} to refer to its Services.")
