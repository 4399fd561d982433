"""Gateway API routing as Envoy Gateway does it (kitlib.network.gateway), case by case from the
Gateway API v1.6.1 conformance tests (``conformance/tests/httproute-*.go`` and ``.yaml``): each
test names the conformance test whose manifests and request/expected-response pairs it ports.
Backends are the conformance suite's ``infra-backend-v1``..``v3``; 404 is Envoy's "no route"."""

from __future__ import annotations

import pytest
import yaml

from kitlib.manifest import decode
from kitlib.network import gateway as gw

NS = "gateway-conformance-infra"
CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller"
BASE = """
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: eg}
spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: same-namespace, namespace: gateway-conformance-infra}
spec:
  gatewayClassName: eg
  listeners:
  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: Same}}}
"""
SERVICES = {f"{NS}/infra-backend-v{i}": object() for i in (1, 2, 3)}


def compiled(text: str, base: str = BASE, services: dict | None = None, **kw) -> gw.Compiled:
    """Compile the base GatewayClass and Gateway with the manifests in ``text`` (routes get
    creation timestamps a second apart, in the order written)."""
    docs = [d for d in yaml.safe_load_all(base + "\n---\n" + text) if d]
    objs = []
    for i, d in enumerate(docs):
        d["metadata"].setdefault("namespace", NS) if d["kind"] not in ("GatewayClass",) else None
        d["metadata"].setdefault("creationTimestamp", f"2026-01-01T00:00:{i:02d}Z")
        objs.append(decode(d))
    by = {k: [o for o in objs if o.kind == k] for k in ("GatewayClass", "Gateway", "HTTPRoute", "ReferenceGrant")}
    return gw.compile_gateways(CONTROLLER, by["GatewayClass"], by["Gateway"], by["HTTPRoute"], by["ReferenceGrant"],
                               services=SERVICES if services is None else services, **kw)


def backend(table: gw.GatewayTable, path: str, host: str = "example.com", method: str = "GET",
            headers: dict | None = None, port: int = 80) -> str | int:
    """The backend a request reaches (its Service name), or 404 when no route matches."""
    entry = table.route(port, host, path, method, headers)
    if entry is None:
        return 404
    assert len(entry.backends) == 1
    return entry.backends[0].name


def v(n: int) -> str:
    return f"infra-backend-v{n}"


MATCHING = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: matching}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /}}, {headers: [{name: version, value: one}]}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /v2}}, {headers: [{name: version, value: two}]}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
"""


@pytest.mark.parametrize("path,headers,expected", [
    ("/", None, 1), ("/example", None, 1), ("/", {"Version": "one"}, 1), ("/v2", None, 2),
    ("/v2/example", None, 2), ("/", {"Version": "two"}, 2), ("/v2/", None, 2),
    ("/v2example", None, 1), ("/foo/v2/example", None, 1),
])
def test_httproute_matching(path, headers, expected):
    """HTTPRouteMatching (httproute-matching.go): matches are ORed; PathPrefix is element-wise
    (``/v2example`` is not under ``/v2``); a header match outranks a bare ``/`` prefix; header
    names match case-insensitively."""
    table = compiled(MATCHING).tables[f"{NS}/same-namespace"]
    assert backend(table, path, headers=headers) == v(expected)


EXACT = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: exact-matching}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - matches: [{path: {type: Exact, value: /one}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: Exact, value: /two}}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
"""


@pytest.mark.parametrize("path,expected", [("/one", v(1)), ("/two", v(2)), ("/", 404), ("/one/example", 404),
                                           ("/two/", 404), ("/Two", 404)])
def test_exact_path_matching(path, expected):
    """HTTPRouteExactPathMatching: Exact is the whole path, case-sensitive, no trailing slash."""
    assert backend(compiled(EXACT).tables[f"{NS}/same-namespace"], path) == expected


METHODS = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: method-matching}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - {matches: [{method: POST}], backendRefs: [{name: infra-backend-v1, port: 8080}]}
  - {matches: [{method: GET}], backendRefs: [{name: infra-backend-v2, port: 8080}]}
  - matches: [{path: {type: PathPrefix, value: /path1}, method: GET}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{headers: [{name: version, value: one}], method: PUT}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /path2}, headers: [{name: version, value: two}], method: POST}]
    backendRefs: [{name: infra-backend-v3, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /path3}, method: PATCH},
              {path: {type: PathPrefix, value: /path4}, headers: [{name: version, value: three}], method: DELETE}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - {matches: [{path: {type: PathPrefix, value: /path5}}], backendRefs: [{name: infra-backend-v1, port: 8080}]}
  - {matches: [{method: PATCH}], backendRefs: [{name: infra-backend-v2, port: 8080}]}
  - {matches: [{headers: [{name: version, value: four}]}], backendRefs: [{name: infra-backend-v3, port: 8080}]}
"""


@pytest.mark.parametrize("method,path,headers,expected", [
    ("POST", "/", None, v(1)), ("GET", "/", None, v(2)), ("HEAD", "/", None, 404),
    ("GET", "/path1", None, v(1)), ("PUT", "/", {"version": "one"}, v(2)),
    ("POST", "/path2", {"version": "two"}, v(3)), ("PATCH", "/path3", None, v(1)),
    ("DELETE", "/path4", {"version": "three"}, v(1)), ("PUT", "/", None, 404), ("DELETE", "/path4", None, 404),
    ("PATCH", "/path5", None, v(1)), ("PATCH", "/", {"version": "four"}, v(2)),
])
def test_method_matching(method, path, headers, expected):
    """HTTPRouteMethodMatching: the method is one more ANDed condition; a longer path outranks a
    method; method and a header tie, and then rule order decides."""
    assert backend(compiled(METHODS).tables[f"{NS}/same-namespace"], path, method=method,
                   headers=headers) == expected


QUERY = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: query-param-matching}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - {matches: [{queryParams: [{name: animal, value: whale}]}], backendRefs: [{name: infra-backend-v1, port: 8080}]}
  - {matches: [{queryParams: [{name: animal, value: dolphin}]}], backendRefs: [{name: infra-backend-v2, port: 8080}]}
  - matches: [{queryParams: [{name: animal, value: dolphin}, {name: color, value: blue}]},
              {queryParams: [{name: ANIMAL, value: Whale}]}]
    backendRefs: [{name: infra-backend-v3, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /path5}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - {matches: [{queryParams: [{name: animal, value: hydra}]}], backendRefs: [{name: infra-backend-v2, port: 8080}]}
  - {matches: [{headers: [{name: version, value: four}]}], backendRefs: [{name: infra-backend-v3, port: 8080}]}
"""


@pytest.mark.parametrize("path,headers,expected", [
    ("/?animal=whale", None, v(1)), ("/?animal=dolphin", None, v(2)), ("/?animal=dolphin&color=blue", None, v(3)),
    ("/?ANIMAL=Whale", None, v(3)), ("/?animal=whale&otherparam=irrelevant", None, v(1)),
    ("/?animal=dolphin&color=yellow", None, v(2)), ("/?color=blue", None, 404), ("/?animal=dog", None, 404),
    ("/?animal=whaledolphin", None, 404), ("/", None, 404), ("/path5?animal=hydra", None, v(1)),
    ("/?animal=hydra", {"version": "four"}, v(3)),
])
def test_query_param_matching(path, headers, expected):
    """HTTPRouteQueryParamMatching: names and values exact and case-sensitive; more query matches
    outrank fewer; a longer path and a header match outrank a query match."""
    assert backend(compiled(QUERY).tables[f"{NS}/same-namespace"], path, headers=headers) == expected


ORDER = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: path-matching-order}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - {matches: [{path: {type: Exact, value: /match}}], backendRefs: [{name: infra-backend-v1, port: 8080}]}
  - {matches: [{path: {type: Exact, value: /match/exact}}], backendRefs: [{name: infra-backend-v2, port: 8080}]}
  - {matches: [{path: {type: Exact, value: /match/exact/one}}], backendRefs: [{name: infra-backend-v3, port: 8080}]}
  - {matches: [{path: {type: PathPrefix, value: /match/}}], backendRefs: [{name: infra-backend-v3, port: 8080}]}
  - {matches: [{path: {type: PathPrefix, value: /match/prefix/}}], backendRefs: [{name: infra-backend-v1, port: 8080}]}
  - matches: [{path: {type: PathPrefix, value: /match/prefix/one}}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
"""


@pytest.mark.parametrize("path,expected", [
    ("/match/exact/one", 3), ("/match/exact", 2), ("/match", 1), ("/match/prefix/one/any", 2),
    ("/match/prefix/any", 1), ("/match/any", 3),
])
def test_path_match_order(path, expected):
    """HTTPRoutePathMatchOrder: Exact before PathPrefix, then the longest prefix."""
    assert backend(compiled(ORDER).tables[f"{NS}/same-namespace"], path) == v(expected)


INTERSECTION_GW = BASE.split("---")[0] + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: httproute-hostname-intersection, namespace: gateway-conformance-infra}
spec:
  gatewayClassName: eg
  listeners:
  - {name: listener-1, port: 80, protocol: HTTP, hostname: very.specific.com}
  - {name: listener-2, port: 80, protocol: HTTP, hostname: "*.wildcard.io"}
  - {name: listener-3, port: 80, protocol: HTTP, hostname: "*.anotherwildcard.io"}
"""
INTERSECTION = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: specific-host-matches-listener-specific-host}
spec:
  parentRefs: [{name: httproute-hostname-intersection}]
  hostnames: [non.matching.com, "*.nonmatchingwildcard.io", very.specific.com]
  rules: [{matches: [{path: {type: PathPrefix, value: /s1}}], backendRefs: [{name: infra-backend-v1, port: 8080}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: specific-host-matches-listener-wildcard-host}
spec:
  parentRefs: [{name: httproute-hostname-intersection}]
  hostnames: [non.matching.com, wildcard.io, foo.wildcard.io, bar.wildcard.io, foo.bar.wildcard.io]
  rules: [{matches: [{path: {type: PathPrefix, value: /s2}}], backendRefs: [{name: infra-backend-v2, port: 8080}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: wildcard-host-matches-listener-specific-host}
spec:
  parentRefs: [{name: httproute-hostname-intersection}]
  hostnames: [non.matching.com, "*.specific.com"]
  rules: [{matches: [{path: {type: PathPrefix, value: /s3}}], backendRefs: [{name: infra-backend-v3, port: 8080}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: wildcard-host-matches-listener-wildcard-host}
spec:
  parentRefs: [{name: httproute-hostname-intersection}]
  hostnames: ["*.anotherwildcard.io"]
  rules: [{matches: [{path: {type: PathPrefix, value: /s4}}], backendRefs: [{name: infra-backend-v1, port: 8080}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: no-intersecting-hosts}
spec:
  parentRefs: [{name: httproute-hostname-intersection}]
  hostnames: [specific.but.wrong.com, wildcard.io]
  rules: [{matches: [{path: {type: PathPrefix, value: /s5}}], backendRefs: [{name: infra-backend-v2, port: 8080}]}]
"""


@pytest.mark.parametrize("host,path,expected", [
    ("very.specific.com", "/s1", v(1)), ("very.specific.com:1234", "/s1", v(1)), ("non.matching.com", "/s1", 404),
    ("foo.nonmatchingwildcard.io", "/s1", 404), ("foo.wildcard.io", "/s1", 404),
    ("very.specific.com", "/non-matching-prefix", 404), ("foo.wildcard.io", "/s2", v(2)),
    ("bar.wildcard.io", "/s2", v(2)), ("foo.bar.wildcard.io", "/s2", v(2)), ("non.matching.com", "/s2", 404),
    ("wildcard.io", "/s2", 404), ("very.specific.com", "/s2", 404), ("very.specific.com", "/s3", v(3)),
    ("foo.specific.com", "/s3", 404), ("foo.wildcard.io", "/s3", 404), ("foo.anotherwildcard.io", "/s4", v(1)),
    ("foo.bar.anotherwildcard.io", "/s4", v(1)), ("anotherwildcard.io", "/s4", 404),
    ("specific.but.wrong.com", "/s5", 404), ("wildcard.io", "/s5", 404),
])
def test_hostname_intersection(host, path, expected):
    """HTTPRouteHostnameIntersection: a route's hostnames count only where they intersect the
    listener's; a listener wildcard covers one or more labels, never the bare suffix; the port of
    the Host header is ignored."""
    table = compiled(INTERSECTION, INTERSECTION_GW).tables[f"{NS}/httproute-hostname-intersection"]
    assert backend(table, path, host=host) == expected


def test_no_intersecting_hosts_is_not_accepted():
    """HTTPRouteHostnameIntersection: a route with no hostname in common with any listener is not
    accepted, with reason NoMatchingListenerHostname and Envoy Gateway's message."""
    out = compiled(INTERSECTION, INTERSECTION_GW)
    [parent] = out.routes[f"{NS}/no-intersecting-hosts"]
    assert parent.condition("Accepted") == gw.Cond(
        "Accepted", "False", "NoMatchingListenerHostname",
        "There were no hostname intersections between the HTTPRoute and this parent ref's Listener(s).")
    assert parent.condition("ResolvedRefs").status == "True"
    listeners = {ls.name: ls.attached_routes for ls in out.listeners[f"{NS}/httproute-hostname-intersection"]}
    assert listeners == {"listener-1": 2, "listener-2": 1, "listener-3": 1}


ACROSS = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: matching-part1}
spec:
  parentRefs: [{name: same-namespace}]
  hostnames: [example.com, example.net]
  rules:
  - matches: [{path: {type: PathPrefix, value: /}}, {headers: [{name: version, value: one}]}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: matching-part2}
spec:
  hostnames: [example.com]
  parentRefs: [{name: same-namespace}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /v2}}, {headers: [{name: version, value: two}]}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
"""


@pytest.mark.parametrize("host,path,headers,expected", [
    ("example.com", "/", None, v(1)), ("example.com", "/example", None, v(1)), ("example.net", "/example", None, v(1)),
    ("example.com", "/example", {"Version": "one"}, v(1)), ("example.com", "/v2", None, v(2)),
    ("example.net", "/v2", None, v(1)), ("example.com", "/v2/example", None, v(2)),
    ("example.com", "/", {"Version": "two"}, v(2)), ("example.org", "/", None, 404),
])
def test_matching_across_routes(host, path, headers, expected):
    """HTTPRouteMatchingAcrossRoutes (httproute-matching-across-routes.go): precedence is computed
    across all routes of a host, not route by route; example.net has only the first route."""
    table = compiled(ACROSS).tables[f"{NS}/same-namespace"]
    assert backend(table, path, host=host, headers=headers) == expected


def test_older_route_wins_a_tie():
    """At equal precedence the oldest route (creationTimestamp) wins, then namespace/name."""
    text = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: zzz-older}
spec: {parentRefs: [{name: same-namespace}], rules: [{backendRefs: [{name: infra-backend-v1, port: 8080}]}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: aaa-newer}
spec: {parentRefs: [{name: same-namespace}], rules: [{backendRefs: [{name: infra-backend-v2, port: 8080}]}]}
"""
    table = compiled(text).tables[f"{NS}/same-namespace"]
    found = table.explain(80, "x.example", "/")
    assert found.entry.route == f"{NS}/zzz-older"
    loser = next(vd for vd in found.verdicts if vd.entry.route == f"{NS}/aaa-newer")
    assert loser.outcome == "lower precedence"


REDIRECTS = BASE + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: same-namespace-with-http-listener-on-8080, namespace: gateway-conformance-infra}
spec:
  gatewayClassName: eg
  listeners: [{name: http, port: 8080, protocol: HTTP}]
"""
REDIRECT_ROUTES = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: http-route-for-listener-on-port-80}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /scheme-nil-and-port-nil}}]
    filters: [{type: RequestRedirect, requestRedirect: {hostname: example.org}}]
  - matches: [{path: {type: PathPrefix, value: /scheme-nil-and-port-80}}]
    filters: [{type: RequestRedirect, requestRedirect: {port: 80, hostname: example.org}}]
  - matches: [{path: {type: PathPrefix, value: /scheme-nil-and-port-8080}}]
    filters: [{type: RequestRedirect, requestRedirect: {port: 8080, hostname: example.org}}]
  - matches: [{path: {type: PathPrefix, value: /scheme-https-and-port-nil}}]
    filters: [{type: RequestRedirect, requestRedirect: {scheme: https, hostname: example.org}}]
  - matches: [{path: {type: PathPrefix, value: /scheme-https-and-port-443}}]
    filters: [{type: RequestRedirect, requestRedirect: {scheme: https, port: 443, hostname: example.org}}]
  - matches: [{path: {type: PathPrefix, value: /scheme-https-and-port-8443}}]
    filters: [{type: RequestRedirect, requestRedirect: {scheme: https, port: 8443, hostname: example.org}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: http-route-for-listener-on-port-8080}
spec:
  parentRefs: [{name: same-namespace-with-http-listener-on-8080}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /scheme-nil-and-port-nil}}]
    filters: [{type: RequestRedirect, requestRedirect: {hostname: example.org}}]
  - matches: [{path: {type: PathPrefix, value: /scheme-nil-and-port-80}}]
    filters: [{type: RequestRedirect, requestRedirect: {port: 80, hostname: example.org}}]
  - matches: [{path: {type: PathPrefix, value: /scheme-https-and-port-nil}}]
    filters: [{type: RequestRedirect, requestRedirect: {scheme: https, hostname: example.org}}]
"""


@pytest.mark.parametrize("gateway,port,path,location", [
    ("same-namespace", 80, "/scheme-nil-and-port-nil", "http://example.org/scheme-nil-and-port-nil"),
    ("same-namespace", 80, "/scheme-nil-and-port-80", "http://example.org/scheme-nil-and-port-80"),
    ("same-namespace", 80, "/scheme-nil-and-port-8080", "http://example.org:8080/scheme-nil-and-port-8080"),
    ("same-namespace", 80, "/scheme-https-and-port-nil", "https://example.org/scheme-https-and-port-nil"),
    ("same-namespace", 80, "/scheme-https-and-port-443", "https://example.org/scheme-https-and-port-443"),
    ("same-namespace", 80, "/scheme-https-and-port-8443", "https://example.org:8443/scheme-https-and-port-8443"),
    ("same-namespace-with-http-listener-on-8080", 8080, "/scheme-nil-and-port-nil",
     "http://example.org:8080/scheme-nil-and-port-nil"),
    ("same-namespace-with-http-listener-on-8080", 8080, "/scheme-nil-and-port-80",
     "http://example.org/scheme-nil-and-port-80"),
    ("same-namespace-with-http-listener-on-8080", 8080, "/scheme-https-and-port-nil",
     "https://example.org/scheme-https-and-port-nil"),
])
def test_redirect_port_and_scheme(gateway, port, path, location):
    """HTTPRouteRedirectPortAndScheme: without a port the redirect takes the scheme's well-known
    port, else the listener's; 80 for http and 443 for https are left out of the Location; 302 by
    default."""
    table = compiled(REDIRECT_ROUTES, REDIRECTS).tables[f"{NS}/{gateway}"]
    entry = table.route(port, "example.com", path)
    assert gw.redirect(entry, "http", "example.com", path, port) == gw.Redirect(302, location)


REWRITE = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: rewrite-path}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /prefix/one}}]
    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /one}}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /strip-prefix}}]
    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /full/one}}]
    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /one}}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /host}}]
    filters: [{type: URLRewrite, urlRewrite: {hostname: one.example.org}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
"""


@pytest.mark.parametrize("path,host,expected", [
    ("/prefix/one/two", "example.com", "/one/two"), ("/strip-prefix/three", "example.com", "/three"),
    ("/strip-prefix", "example.com", "/"), ("/full/one/two", "example.com", "/one"),
    ("/host/x?q=1", "one.example.org", "/host/x?q=1"),
])
def test_rewrite_path_and_host(path, host, expected):
    """HTTPRouteRewritePath and HTTPRouteRewriteHost: ReplacePrefixMatch swaps the matched prefix
    (``/`` strips it), ReplaceFullPath the whole path; the hostname rewrite sets Host; the query
    string stays."""
    table = compiled(REWRITE).tables[f"{NS}/same-namespace"]
    entry = table.route(80, "example.com", path)
    assert gw.rewrite(entry, "example.com", path) == (host, expected)


def test_request_header_modifier():
    """HTTPRouteRequestHeaderModifier: set replaces, add appends with a comma, remove drops; names
    case-insensitive."""
    from kitlib.api.gateway import HTTPHeader, HTTPHeaderFilter, HTTPRouteFilter
    f = HTTPRouteFilter(type="RequestHeaderModifier", request_header_modifier=HTTPHeaderFilter(
        set=[HTTPHeader("X-Header-Set", "set-overwrites-values")], add=[HTTPHeader("X-Header-Add", "add-appends-values")],
        remove=["X-Header-Remove"]))
    out = gw.request_headers([f], {"x-header-set": "some-other-value", "X-Header-Add": "some-value",
                                   "x-header-remove": "gone", "Other": "kept"})
    assert out == {"X-Header-Set": "set-overwrites-values", "X-Header-Add": "some-value,add-appends-values",
                   "Other": "kept"}


WEIGHTS = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: weights}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /split}}]
    backendRefs: [{name: infra-backend-v1, port: 8080, weight: 70}, {name: infra-backend-v2, port: 8080, weight: 30},
                  {name: infra-backend-v3, port: 8080, weight: 0}]
  - matches: [{path: {type: PathPrefix, value: /zero}}]
    backendRefs: [{name: infra-backend-v1, port: 8080, weight: 0}]
  - matches: [{path: {type: PathPrefix, value: /missing}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}, {name: nope, port: 8080}]
"""


def test_weights_split_traffic_and_zero_takes_none():
    """HTTPRouteWeight: traffic splits by weight (70:30 over 100 requests), weight 0 takes none, all
    zero picks nothing (Envoy answers 500); an unresolved backend keeps its share (500s)."""
    table = compiled(WEIGHTS).tables[f"{NS}/same-namespace"]
    split = table.route(80, "a.example", "/split")
    picks = [gw.pick(split.backends, t).name for t in range(100)]
    assert (picks.count(v(1)), picks.count(v(2)), picks.count(v(3))) == (70, 30, 0)
    assert gw.pick(table.route(80, "a.example", "/zero").backends, 0) is None
    missing = table.route(80, "a.example", "/missing").backends
    assert [b.reason for b in (gw.pick(missing, 0), gw.pick(missing, 1))] == [None, "BackendNotFound"]


def test_backend_status_reasons():
    """HTTPRouteInvalidNonExistentBackendRef, HTTPRouteInvalidBackendRefUnknownKind and
    HTTPRouteInvalidCrossNamespaceBackendRef: ResolvedRefs False with Envoy Gateway's reasons and
    messages; the route is still accepted."""
    text = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: missing}
spec: {parentRefs: [{name: same-namespace}], rules: [{backendRefs: [{name: nonexistent, port: 8080}]}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: kind}
spec: {parentRefs: [{name: same-namespace}], rules: [{backendRefs: [{kind: UnknownKind, name: x, port: 8080}]}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: cross}
spec: {parentRefs: [{name: same-namespace}],
       rules: [{backendRefs: [{name: web-backend, namespace: gateway-conformance-web-backend, port: 8080}]}]}
"""
    out = compiled(text)
    got = {k.split("/")[1]: (p[0].condition("Accepted").status, p[0].condition("ResolvedRefs").reason,
                             p[0].condition("ResolvedRefs").message) for k, p in out.routes.items()}
    assert got == {
        "missing": ("True", "BackendNotFound", f"Service {NS}/nonexistent not found."),
        "kind": ("True", "InvalidKind", gw.MSG_BAD_KIND + "."),
        "cross": ("True", "RefNotPermitted", "Backend ref to Service gateway-conformance-web-backend/web-backend "
                                            "not permitted by any ReferenceGrant."),
    }


def test_reference_grant_permits_cross_namespace_backend():
    """HTTPRouteReferenceGrant: a ReferenceGrant in the backend's namespace from HTTPRoutes of the
    route's namespace to Services lets the reference resolve."""
    text = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: cross}
spec: {parentRefs: [{name: same-namespace}],
       rules: [{backendRefs: [{name: web-backend, namespace: gateway-conformance-web-backend, port: 8080}]}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: ReferenceGrant
metadata: {name: grant, namespace: gateway-conformance-web-backend}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: gateway-conformance-infra}]
  to: [{group: "", kind: Service, name: web-backend}]
"""
    services = {**SERVICES, "gateway-conformance-web-backend/web-backend": object()}
    out = compiled(text, services=services)
    [parent] = out.routes[f"{NS}/cross"]
    assert parent.condition("ResolvedRefs") == gw.Cond("ResolvedRefs", "True", "ResolvedRefs", gw.MSG_ROUTE_RESOLVED)


def test_parent_ref_section_name_and_port():
    """HTTPRouteInvalidParentRefNotMatchingSectionName / ...ListenerPort: a parentRef naming no
    listener (by sectionName or port) is not accepted: NoMatchingParent."""
    text = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: section}
spec: {parentRefs: [{name: same-namespace, sectionName: nonexistent}], rules: [{backendRefs: []}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: port}
spec: {parentRefs: [{name: same-namespace, port: 81}], rules: [{backendRefs: []}]}
"""
    out = compiled(text)
    for name in ("section", "port"):
        assert out.routes[f"{NS}/{name}"][0].condition("Accepted") == gw.Cond(
            "Accepted", "False", "NoMatchingParent", "No listeners match this parent ref")


def test_not_allowed_by_listeners():
    """A route in another namespace than the Gateway's, whose listener allows only Same, is not
    accepted: NotAllowedByListeners (HTTPRouteInvalidCrossNamespaceParentRef)."""
    text = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: other, namespace: gateway-conformance-web-backend}
spec: {parentRefs: [{name: same-namespace, namespace: gateway-conformance-infra}], rules: [{}]}
"""
    [parent] = compiled(text).routes["gateway-conformance-web-backend/other"]
    assert parent.condition("Accepted") == gw.Cond("Accepted", "False", "NotAllowedByListeners",
                                                   "No listeners included by this parent ref allowed this attachment.")


def test_listener_status():
    """Envoy Gateway's listener conditions: Programmed, Accepted, ResolvedRefs for a valid listener;
    an HTTPS listener whose Secret is missing: ResolvedRefs False InvalidCertificateRef, Programmed
    False; two listeners with the same port, protocol and hostname: Conflicted HostnameConflict."""
    base = BASE.split("---")[0] + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: g, namespace: gateway-conformance-infra}
spec:
  gatewayClassName: eg
  listeners:
  - {name: http, port: 80, protocol: HTTP}
  - {name: https, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: missing}]}}
  - {name: dup, port: 80, protocol: HTTP}
"""
    out = compiled("", base)
    states = {s.name: [(c.type, c.status, c.reason) for c in s.conditions] for s in out.listeners[f"{NS}/g"]}
    assert states["http"] == [("Programmed", "True", "Programmed"), ("Accepted", "True", "Accepted"),
                              ("ResolvedRefs", "True", "ResolvedRefs")]
    assert states["https"] == [("ResolvedRefs", "False", "InvalidCertificateRef"), ("Accepted", "True", "Accepted"),
                               ("Programmed", "False", "Invalid")]
    https = out.listeners[f"{NS}/g"][1]
    assert https.conditions[0].message == f"No valid secrets exist: certificate refs 0: Secret {NS}/missing does not exist."
    assert states["dup"][0] == ("Conflicted", "True", "HostnameConflict")
    assert out.gateways[f"{NS}/g"] == [gw.Cond("Accepted", "True", "ListenersNotValid", "Listeners not valid: dup")]
    assert out.classes["eg"] == [gw.Cond("Accepted", "True", "Accepted", "Valid GatewayClass")]


def test_explain_says_why_each_match_lost():
    """explain() gives every match a verdict: the winner, the path, the method, the header."""
    table = compiled(METHODS).tables[f"{NS}/same-namespace"]
    found = table.explain(80, "example.com", "/path2", "POST", {"version": "one"})
    outcomes = {(vd.entry.rule, vd.entry.match): vd.outcome for vd in found.verdicts}
    assert (found.entry.rule, outcomes[(0, 0)]) == (0, "matched")
    assert outcomes[(1, 0)] == "method" and outcomes[(2, 0)] == "path" and outcomes[(4, 0)] == "header"
    assert str(found).endswith(f"listener http, HTTPRoute {NS}/method-matching rule 0 (PathPrefix /, POST)")


def test_intersect_and_host_matches():
    """The spec's hostname examples (HTTPRouteSpec.Hostnames)."""
    assert gw.intersect("test.example.com", ["*.example.com"]) == ["test.example.com"]
    assert gw.intersect("*.example.com", ["*.example.com", "test.example.com", "foo.test.example.com",
                                          "example.com", "test.example.net"]) == [
        "*.example.com", "test.example.com", "foo.test.example.com"]
    assert gw.host_matches("*.example.com", "foo.test.example.com")
    assert not gw.host_matches("*.example.com", "example.com")


LISTENER_HOSTS_GW = BASE.split("---")[0] + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: httproute-listener-hostname-matching, namespace: gateway-conformance-infra}
spec:
  gatewayClassName: eg
  listeners:
  - {name: listener-1, port: 80, protocol: HTTP, hostname: bar.com}
  - {name: listener-2, port: 80, protocol: HTTP, hostname: foo.bar.com}
  - {name: listener-3, port: 80, protocol: HTTP, hostname: "*.bar.com"}
  - {name: listener-4, port: 80, protocol: HTTP, hostname: "*.foo.com"}
"""
LISTENER_HOSTS = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: backend-v1}
spec:
  parentRefs: [{name: httproute-listener-hostname-matching, sectionName: listener-1}]
  rules: [{backendRefs: [{name: infra-backend-v1, port: 8080}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: backend-v2}
spec:
  parentRefs: [{name: httproute-listener-hostname-matching, sectionName: listener-2}]
  rules: [{backendRefs: [{name: infra-backend-v2, port: 8080}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: backend-v3}
spec:
  parentRefs: [{name: httproute-listener-hostname-matching, sectionName: listener-3},
               {name: httproute-listener-hostname-matching, sectionName: listener-4}]
  rules: [{backendRefs: [{name: infra-backend-v3, port: 8080}]}]
"""


@pytest.mark.parametrize("host,expected", [
    ("bar.com", v(1)), ("foo.bar.com", v(2)), ("baz.bar.com", v(3)), ("boo.bar.com", v(3)),
    ("multiple.prefixes.bar.com", v(3)), ("multiple.prefixes.foo.com", v(3)), ("foo.com", 404),
    ("no.matching.host", 404),
])
def test_listener_hostname_matching(host, expected):
    """HTTPRouteListenerHostnameMatching (httproute-listener-hostname-matching.go): routes attached
    by sectionName to listeners of one port; the most specific listener host wins (foo.bar.com over
    *.bar.com), a wildcard covers several labels, never its bare suffix."""
    table = compiled(LISTENER_HOSTS, LISTENER_HOSTS_GW).tables[f"{NS}/httproute-listener-hostname-matching"]
    assert backend(table, "/", host=host) == expected
    assert sorted(table.ports[80].listeners) == ["listener-1", "listener-2", "listener-3", "listener-4"]
