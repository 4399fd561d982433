"""Ingress routing (kitlib.network.ingress): which rule of which Ingress answers a request.

The path cases are the "Examples" table of the Kubernetes documentation's Ingress page,
https://kubernetes.io/docs/concepts/services-networking/ingress/#examples (section "Path types",
then "Multiple matches" and "Hostname wildcards"), row by row. How the controller merges Ingresses
by host, the default backends and the ImplementationSpecific paths follow ingress-nginx
(internal/ingress/controller/controller.go, createServers; rootfs/etc/nginx/template: buildServerName),
as the module docstring of kitlib.network.ingress says. The property tests check route(), match()
and explain() against each other and against a brute-force reading of the spec written here.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kitlib.manifest import decode
from kitlib.network.ingress import (
    CATCH_ALL,
    TYPE_RANK,
    Route,
    Router,
    build,
    host_matches,
    normalize_host,
    path_matches,
    request_path,
)


def backend(service: str, port: int = 80) -> dict:
    return {"service": {"name": service, "port": {"number": port}}}


def rule(host: str | None, *paths: tuple[str, str, str]) -> dict:
    """A rule for ``host`` (None: every host) with (path, pathType, service) paths."""
    out: dict = {"http": {"paths": [{"path": p, "pathType": t, "backend": backend(s)} for p, t, s in paths]}}
    if host is not None:
        out["host"] = host
    return out


def ingress(name: str, *rules: dict, default: str | None = None, age: int = 0, namespace: str = "default"):
    """An Ingress created ``age`` seconds after midnight (older Ingresses have smaller ages)."""
    spec: dict = {"rules": list(rules)}
    if default is not None:
        spec["defaultBackend"] = backend(default)
    return decode({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                   "metadata": {"name": name, "namespace": namespace,
                                "creationTimestamp": f"2026-01-01T00:{age // 60:02d}:{age % 60:02d}Z"},
                   "spec": spec})


def served(router: Router, host: str, path: str) -> str | None:
    """The Service that answers (None: the controller's own 404)."""
    route = router.route(host, path)
    return route.service if route else None


# ------------------------------------------------------------------------------ the docs' table

HOST = "foo.bar.com"


def table(*paths: tuple[str, str], default: str | None = None) -> Router:
    """One Ingress for HOST whose each path goes to a Service named after its type and path."""
    return build([ingress("t", rule(HOST, *[(p, t, f"{t}:{p}") for p, t in paths]), default=default)])


EXAMPLES = [
    # (kind, rule paths with their types, request path, winner "Type:path" or None for no match)
    ("Exact", [("/foo", "Exact")], "/foo", "Exact:/foo"),
    ("Exact", [("/foo", "Exact")], "/bar", None),
    ("Exact", [("/foo", "Exact")], "/foo/", None),
    ("Exact", [("/foo/", "Exact")], "/foo", None),
    ("Prefix", [("/foo", "Prefix")], "/foo", "Prefix:/foo"),
    ("Prefix", [("/foo", "Prefix")], "/foo/", "Prefix:/foo"),
    ("Prefix", [("/foo/", "Prefix")], "/foo", "Prefix:/foo/"),
    ("Prefix", [("/foo/", "Prefix")], "/foo/", "Prefix:/foo/"),
    ("Prefix", [("/aaa/bb", "Prefix")], "/aaa/bbb", None),
    ("Prefix", [("/aaa/bbb", "Prefix")], "/aaa/bbb", "Prefix:/aaa/bbb"),
    ("Prefix: ignores trailing slash", [("/aaa/bbb/", "Prefix")], "/aaa/bbb", "Prefix:/aaa/bbb/"),
    ("Prefix: matches trailing slash", [("/aaa/bbb", "Prefix")], "/aaa/bbb/", "Prefix:/aaa/bbb"),
    ("Prefix: matches subpath", [("/aaa/bbb", "Prefix")], "/aaa/bbb/ccc", "Prefix:/aaa/bbb"),
    ("Prefix: not a string prefix", [("/aaa/bbb", "Prefix")], "/aaa/bbbxyz", None),
    ("Prefix: matches /aaa", [("/", "Prefix"), ("/aaa", "Prefix")], "/aaa/ccc", "Prefix:/aaa"),
    ("Prefix: matches /aaa/bbb", [("/", "Prefix"), ("/aaa", "Prefix"), ("/aaa/bbb", "Prefix")], "/aaa/bbb",
     "Prefix:/aaa/bbb"),
    ("Prefix: matches /", [("/", "Prefix"), ("/aaa", "Prefix"), ("/aaa/bbb", "Prefix")], "/ccc", "Prefix:/"),
    ("Mixed: prefers Exact", [("/foo", "Prefix"), ("/foo", "Exact")], "/foo", "Exact:/foo"),
    ("Mixed: prefers Exact, either order", [("/foo", "Exact"), ("/foo", "Prefix")], "/foo", "Exact:/foo"),
]


@pytest.mark.parametrize(("kind", "paths", "request_path", "winner"), EXAMPLES,
                         ids=[f"{k} {','.join(p for p, _ in ps)} vs {r}" for k, ps, r, _ in EXAMPLES])
def test_the_documentation_examples(kind, paths, request_path, winner):
    """Each row of the Ingress page's Examples table: does the request match, and which path wins."""
    router = table(*paths)
    assert served(router, HOST, request_path) == winner
    if winner is not None:
        t, p = winner.split(":", 1)
        assert path_matches(t, p, request_path)


@pytest.mark.parametrize("path", ["/", "/a", "/aaa/bbb/ccc", "/foo/", "/index.html", "/x?y=1", "//", "/%2F"])
def test_prefix_slash_matches_all_paths(path):
    """First row of the table: Prefix / matches every path."""
    assert served(table(("/", "Prefix")), HOST, path) == "Prefix:/"
    assert path_matches("Prefix", "/", request_path(path))


def test_no_match_uses_the_default_backend():
    """Prefix /aaa vs /ccc: "No, uses default backend": the Ingress's spec.defaultBackend; without
    one, the controller's own default backend, which answers 404 (route None)."""
    router = table(("/aaa", "Prefix"), default="fallback")
    route = router.route(HOST, "/ccc")
    assert route is not None and route.is_default_backend and route.service == "fallback"
    match = router.match(HOST, "/ccc")
    assert match.fallback and match.route is route
    assert "default backend" in str(match)
    assert router.route(HOST, "/aaa/x").service == "Prefix:/aaa"  # a matching path still wins
    bare = table(("/aaa", "Prefix"))
    assert bare.route(HOST, "/ccc") is None
    assert str(bare.match(HOST, "/ccc")).endswith("the controller's default backend (404)")


def test_longest_match_wins_whatever_the_order():
    """Multiple matches: the longest matching path first, regardless of the order of the paths."""
    for paths in ([("/a", "Prefix"), ("/a/b", "Prefix"), ("/a/b/c", "Prefix")],
                  [("/a/b/c", "Prefix"), ("/a", "Prefix"), ("/a/b", "Prefix")]):
        router = table(*paths)
        assert served(router, HOST, "/a/b/c/d") == "Prefix:/a/b/c"
        assert served(router, HOST, "/a/b/x") == "Prefix:/a/b"
        assert served(router, HOST, "/a/bx") == "Prefix:/a"
    # A longer Prefix beats a shorter Exact that does not match; an Exact of the whole path wins.
    router = table(("/a", "Exact"), ("/a/b", "Prefix"), ("/a/b", "Exact"))
    assert served(router, HOST, "/a/b") == "Exact:/a/b"
    assert served(router, HOST, "/a/b/") == "Prefix:/a/b"
    assert served(router, HOST, "/a") == "Exact:/a"
    assert served(router, HOST, "/a/") is None


def test_exact_and_prefix_are_case_sensitive():
    """Paths are case-sensitive: Exact /foo does not take /FOO or /Foo, nor Prefix /api take /API."""
    router = table(("/foo", "Exact"), ("/api", "Prefix"))
    assert served(router, HOST, "/foo") == "Exact:/foo"
    assert served(router, HOST, "/FOO") is None and served(router, HOST, "/Foo") is None
    assert served(router, HOST, "/API/v1") is None
    assert not path_matches("Exact", "/foo", "/FOO")


def test_query_and_fragment_are_not_part_of_the_path():
    router = table(("/foo", "Exact"))
    assert served(router, HOST, "/foo?x=1") == "Exact:/foo"
    assert served(router, HOST, "/foo#top") == "Exact:/foo"
    assert request_path("") == "/" and request_path("foo?bar") == "/foo"


# ------------------------------------------------------------------------------ ImplementationSpecific


def test_implementation_specific_is_an_nginx_string_prefix():
    """ingress-nginx turns an ImplementationSpecific path into an nginx prefix location: a plain
    string prefix, so /foo takes /foobar too (unlike Prefix)."""
    router = table(("/foo", "ImplementationSpecific"))
    assert served(router, HOST, "/foo") == "ImplementationSpecific:/foo"
    assert served(router, HOST, "/foobar") == "ImplementationSpecific:/foo"
    assert served(router, HOST, "/foo/x") == "ImplementationSpecific:/foo"
    assert served(router, HOST, "/fo") is None
    assert path_matches("ImplementationSpecific", "/foo", "/foobar")
    assert not path_matches("Prefix", "/foo", "/foobar")


def test_implementation_specific_without_a_path_takes_everything():
    """An ImplementationSpecific path may be left out: it is "/", every path."""
    ing = decode({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                  "metadata": {"name": "x", "namespace": "default"},
                  "spec": {"rules": [{"host": HOST, "http": {"paths": [
                      {"pathType": "ImplementationSpecific", "backend": backend("all")}]}}]}})
    router = build([ing])
    assert served(router, HOST, "/anything/at/all") == "all"
    assert router.route(HOST, "/").path == "/"


def test_implementation_specific_competes_by_length():
    """Longest first across types: ImplementationSpecific /foob beats Prefix /foo for /foobar/x (the
    Prefix does not even match), Prefix /foo/bar beats ImplementationSpecific /foo, and at equal
    length Exact and Prefix come before ImplementationSpecific."""
    router = table(("/foo", "Prefix"), ("/foob", "ImplementationSpecific"), ("/foo/bar", "Prefix"),
                   ("/f", "ImplementationSpecific"))
    assert served(router, HOST, "/foobar/x") == "ImplementationSpecific:/foob"
    assert served(router, HOST, "/foo/bar/x") == "Prefix:/foo/bar"
    assert served(router, HOST, "/foo/x") == "Prefix:/foo"
    assert served(router, HOST, "/fa") == "ImplementationSpecific:/f"
    same = table(("/x", "ImplementationSpecific"), ("/x", "Prefix"), ("/x", "Exact"))
    assert served(same, HOST, "/x") == "Exact:/x"
    assert served(same, HOST, "/x/y") == "Prefix:/x"
    assert served(same, HOST, "/xy") == "ImplementationSpecific:/x"


# ------------------------------------------------------------------------------ hosts

WILDCARD_TABLE = [
    # The "Hostname wildcards" table: (rule host, Host header, matches?)
    ("*.foo.com", "bar.foo.com", True),
    ("*.foo.com", "baz.bar.foo.com", False),
    ("*.foo.com", "foo.com", False),
]


@pytest.mark.parametrize(("rule_host", "header", "matches"), WILDCARD_TABLE)
def test_the_documentation_wildcard_table(rule_host, header, matches):
    """A wildcard covers exactly one DNS label (ingress-nginx's server_name regex ~^[\\w-]+\\.foo\\.com$)."""
    assert host_matches(rule_host, header) is matches
    router = build([ingress("w", rule(rule_host, ("/", "Prefix", "wild")))])
    assert served(router, header, "/") == ("wild" if matches else None)
    assert router.server_for(header).name == (rule_host if matches else CATCH_ALL)


def test_wildcard_needs_a_non_empty_label():
    assert not host_matches("*.foo.com", ".foo.com")
    assert build([ingress("w", rule("*.foo.com", ("/", "Prefix", "wild")))]).route(".foo.com", "/") is None


def test_an_exact_host_beats_a_wildcard():
    """nginx picks an exact server_name before a wildcard one."""
    router = build([ingress("w", rule("*.foo.com", ("/", "Prefix", "wild"))),
                    ingress("e", rule("bar.foo.com", ("/", "Prefix", "exact")), age=1)])
    assert served(router, "bar.foo.com", "/") == "exact"
    assert served(router, "baz.foo.com", "/") == "wild"


@pytest.mark.parametrize("header", ["foo.bar.com", "FOO.bar.COM", "foo.bar.com:8080", "Foo.Bar.Com:443",
                                    "foo.bar.com.", " foo.bar.com "])
def test_host_is_case_insensitive_and_its_port_is_ignored(header):
    """The Host header picks the server case-insensitively, without its port (RFC 7230 5.4)."""
    router = build([ingress("h", rule("foo.bar.com", ("/", "Prefix", "svc")))])
    assert served(router, header, "/") == "svc"
    assert normalize_host(header) == "foo.bar.com"
    assert router.match(header, "/").server == "foo.bar.com"


def test_ipv6_host_keeps_its_brackets():
    assert normalize_host("[fd00::1]:8080") == "[fd00::1]"


def test_host_rules_come_before_host_less_rules():
    """A request for a host that has rules never falls through to the host-less rules, even when
    none of its own paths matches: it gets the controller's 404 instead."""
    router = build([ingress("any", rule(None, ("/", "Prefix", "catch-all"), ("/docs", "Prefix", "docs")), age=0),
                    ingress("shop", rule("shop.example", ("/cart", "Prefix", "cart")), age=1)])
    assert served(router, "shop.example", "/cart/1") == "cart"
    assert served(router, "shop.example", "/docs") is None
    assert served(router, "shop.example", "/") is None
    assert served(router, "other.example", "/docs/x") == "docs"
    assert served(router, "other.example", "/") == "catch-all"
    assert served(router, "192.168.49.200", "/") == "catch-all"  # a request by IP has no named server


def test_name_based_virtual_hosting():
    """The docs' name-based virtual hosting example: first.bar.com → service1, second.foo.com →
    service2, anything else (no matching host) → service3."""
    router = build([ingress("name-virtual-host-ingress-no-third-host",
                            rule("first.bar.com", ("/", "Prefix", "service1")),
                            rule("second.foo.com", ("/", "Prefix", "service2")),
                            rule(None, ("/", "Prefix", "service3")))])
    assert served(router, "first.bar.com", "/") == "service1"
    assert served(router, "second.foo.com", "/x") == "service2"
    assert served(router, "third.example", "/") == "service3"


def test_rules_for_one_host_from_several_ingresses_merge():
    """ingress-nginx builds one server per host from every Ingress that names it."""
    router = build([ingress("a", rule("shop.example", ("/", "Prefix", "web"))),
                    ingress("b", rule("shop.example", ("/api", "Prefix", "api")), age=1)])
    assert served(router, "shop.example", "/api/items") == "api"
    assert served(router, "shop.example", "/") == "web"
    assert router.route("shop.example", "/api").ingress == "default/b"


# ------------------------------------------------------------------------------ default backends


def test_default_backend_of_the_ingress_that_defined_the_host():
    """An Ingress's defaultBackend takes the unmatched paths of the hosts that Ingress brought in
    first; another Ingress's hosts keep their own fallback."""
    router = build([ingress("a", rule("a.example", ("/app", "Prefix", "app")), default="a-default"),
                    ingress("b", rule("a.example", ("/b", "Prefix", "bee")), rule("b.example", ("/b", "Prefix", "bee")),
                            default="b-default", age=1)])
    assert served(router, "a.example", "/other") == "a-default"
    assert served(router, "b.example", "/other") == "b-default"
    assert served(router, "a.example", "/b") == "bee"


def test_an_ingress_with_only_a_default_backend_takes_every_unmatched_host():
    """ingress-nginx: "Ingress defines a backend but no rule. Using it to configure the catch-all
    server": every request no rule takes goes there, and nowhere else."""
    router = build([ingress("site", rule("site.example", ("/", "Prefix", "site"))),
                    ingress("everything", default="everything", age=1)])
    assert served(router, "anything.example", "/x") == "everything"
    assert served(router, "10.0.0.1", "/") == "everything"
    assert served(router, "site.example", "/x") == "site"


def test_the_oldest_default_only_ingress_wins_the_catch_all():
    router = build([ingress("newer", default="newer", age=5), ingress("older", default="older", age=1)])
    assert served(router, "x", "/") == "older"


def test_host_less_rules_with_a_default_backend_leave_the_catch_all_to_the_controller():
    """ingress-nginx uses an Ingress's defaultBackend for the catch-all server only when the Ingress
    has no rules; with host-less rules, unmatched paths get the controller's 404."""
    router = build([ingress("mixed", rule(None, ("/aaa", "Prefix", "aaa")), default="mine")])
    assert served(router, "x.example", "/aaa") == "aaa"
    assert served(router, "x.example", "/ccc") is None


# ------------------------------------------------------------------------------ conflicts


def test_the_older_ingress_wins_a_duplicate_path():
    """Two Ingresses with the same host and path: the older one (creationTimestamp) serves it, and
    explain() says the newer one is shadowed, whatever order they are given in."""
    old = ingress("old", rule("dup.example", ("/x", "Prefix", "old-svc")), age=1)
    new = ingress("new", rule("dup.example", ("/x/", "Prefix", "new-svc")), age=2)
    for order in ([old, new], [new, old]):
        router = build(order)
        assert served(router, "dup.example", "/x/y") == "old-svc"
        assert router.ingresses == ["default/old", "default/new"]
        verdicts = {v.route.ingress: v for v in router.explain("dup.example", "/x/y").verdicts}
        assert verdicts["default/old"].outcome == "matched"
        assert verdicts["default/new"].outcome == "shadowed"
        assert "default/old" in verdicts["default/new"].detail


def test_same_age_ties_break_by_namespace_then_name():
    a = ingress("b", rule("t.example", ("/", "Prefix", "ns-a")), namespace="a")
    b = ingress("a", rule("t.example", ("/", "Prefix", "ns-b")), namespace="b")
    assert served(build([b, a]), "t.example", "/") == "ns-a"


# ------------------------------------------------------------------------------ explain


def test_explain_gives_every_route_a_verdict():
    router = build([
        ingress("shop", rule("shop.example", ("/", "Prefix", "web"), ("/api", "Prefix", "api"),
                             ("/api", "Exact", "api-root"), ("/apix", "Exact", "apix")), default="shop-default"),
        ingress("dup", rule("shop.example", ("/api", "Prefix", "dup")), age=1),
        ingress("other", rule("*.example", ("/", "Prefix", "wild")), rule(None, ("/", "Prefix", "any")), age=2),
    ])
    verdicts = router.explain("shop.example", "/api").verdicts
    by = {(v.route.ingress, v.route.host, v.route.path, v.route.path_type): v for v in verdicts}
    assert by[("default/shop", "shop.example", "/api", "Exact")].outcome == "matched"
    assert by[("default/shop", "shop.example", "/api", "Prefix")].outcome == "Exact beats Prefix"
    assert by[("default/shop", "shop.example", "/", "Prefix")].outcome == "shorter"
    assert by[("default/shop", "shop.example", "/apix", "Exact")].outcome == "no match"
    assert by[("default/dup", "shop.example", "/api", "Prefix")].outcome == "shadowed"
    assert by[("default/other", "*.example", "/", "Prefix")].outcome == "other host"
    assert by[("default/other", "", "/", "Prefix")].outcome == "other host"
    assert by[("default/shop", "", "", "default")].outcome == "not needed"
    assert "one DNS label" in by[("default/other", "*.example", "/", "Prefix")].detail
    assert "has rules of its own" in by[("default/other", "", "/", "Prefix")].detail
    assert "case-sensitive" in by[("default/shop", "shop.example", "/apix", "Exact")].detail
    assert len(verdicts) == 8  # 4 + 1 + 2 paths and the default backend
    # The default backend matches when no path does.
    fallback = {v.route.path_type: v.outcome for v in router.explain("shop.example", "/nothing").verdicts
                if v.route.ingress == "default/shop" and v.route.path in ("", "/")}
    assert fallback == {"default": "not needed", "Prefix": "matched"}
    router2 = build([ingress("s", rule("s.example", ("/a", "Prefix", "a")), default="d")])
    got2 = {v.route.path_type: (v.outcome, v.detail) for v in router2.explain("s.example", "/b").verdicts}
    assert got2["Prefix"][0] == "no match" and "element by element" in got2["Prefix"][1]
    assert got2["default"][0] == "matched"


def test_explain_of_a_wildcard_request_and_an_implementation_specific_miss():
    router = build([ingress("w", rule("*.foo.com", ("/img", "ImplementationSpecific", "img")))])
    (v,) = router.explain("a.foo.com", "/im").verdicts
    assert v.outcome == "no match" and "string prefix" in v.detail
    (v,) = router.explain("a.b.foo.com", "/img").verdicts
    assert v.outcome == "other host"
    (v,) = router.explain("A.FOO.COM:80", "/imgs").verdicts
    assert v.outcome == "matched"


# ------------------------------------------------------------------------------ properties

SEGMENTS = ["a", "aa", "b", "A"]
TYPES = ["Exact", "Prefix", "ImplementationSpecific"]
RULE_HOSTS = [None, "foo.com", "bar.foo.com", "*.foo.com", "*.bar.foo.com", "x.org"]
REQUEST_HOSTS = ["foo.com", "bar.foo.com", "BAR.foo.com:8080", "baz.bar.foo.com", "q.foo.com", "x.org",
                 "nothing.example", "10.0.0.1", ".foo.com"]

segment_paths = st.lists(st.sampled_from(SEGMENTS), max_size=3).map(lambda s: "/" + "/".join(s))
rule_paths = st.tuples(segment_paths, st.booleans()).map(lambda t: t[0] + "/" if t[1] and t[0] != "/" else t[0])
request_paths = st.tuples(segment_paths, st.sampled_from(["", "/", "x", "?q=1", "//", "a"])).map(lambda t: t[0] + t[1])
path_specs = st.tuples(rule_paths, st.sampled_from(TYPES))
rules_st = st.tuples(st.sampled_from(RULE_HOSTS), st.lists(path_specs, min_size=1, max_size=4))
ingress_specs = st.tuples(st.lists(rules_st, max_size=3), st.booleans()).filter(lambda t: t[0] or t[1])


@st.composite
def ingress_sets(draw):
    specs = draw(st.lists(ingress_specs, min_size=1, max_size=5))
    ages = draw(st.permutations(range(len(specs))))
    out = []
    for n, ((rules, has_default), age) in enumerate(zip(specs, ages, strict=True)):
        name = f"ing{n}"
        rs = [rule(host, *[(p, t, f"{name}-{i}-{j}") for j, (p, t) in enumerate(paths)])
              for i, (host, paths) in enumerate(rules)]
        out.append(ingress(name, *rs, default=f"{name}-default" if has_default else None, age=age))
    return out


def reference(ingresses, host: str, path: str) -> tuple[str, int, int] | None:
    """The winner straight from the spec: the host's server (exact name, else a wildcard covering one
    label, else the host-less rules); of its paths those that path_matches() accepts; the longest
    (a Prefix's trailing slash not counted), Exact before Prefix before ImplementationSpecific at
    equal length, the older Ingress (then the earlier path) on a tie; else the server's default
    backend. Returns (ingress key, rule index, path index), rule -1 for a default backend."""
    ordered = sorted(ingresses, key=lambda i: (i.metadata.creation_timestamp, i.namespace, i.name))
    h = normalize_host(host)
    named = [normalize_host(r.host or "") for i in ordered for r in i.spec.rules]
    if h in named:
        server = h
    elif "." in h and h.split(".", 1)[0] and "*." + h.split(".", 1)[1] in named:
        server = "*." + h.split(".", 1)[1]
    else:
        server = ""
    p = request_path(path)
    candidates = []
    for age, ing in enumerate(ordered):
        for i, r in enumerate(ing.spec.rules):
            if normalize_host(r.host or "") != server:
                continue
            for j, hp in enumerate(r.http.paths):
                if path_matches(hp.path_type, hp.path, p):
                    length = len(hp.path.rstrip("/") or "/") if hp.path_type == "Prefix" else len(hp.path)
                    candidates.append(((-length, TYPE_RANK[hp.path_type], age, i, j), (ing.key, i, j)))
    if candidates:
        return min(candidates)[1]
    if server:  # the default backend of the Ingress whose rule brought the host in first
        first = next(i for i in ordered if any(normalize_host(r.host or "") == server for r in i.spec.rules))
        return (first.key, -1, 0) if first.spec.default_backend else None
    only_default = [i for i in ordered if not i.spec.rules and i.spec.default_backend]
    return (only_default[0].key, -1, 0) if only_default else None


def where(route: Route | None) -> tuple[str, int, int] | None:
    return None if route is None else (route.ingress, route.rule, route.path_index if route.rule >= 0 else 0)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ingress_sets(), st.sampled_from(REQUEST_HOSTS), request_paths)
def test_route_match_and_explain_agree_with_the_reference(ingresses, host, path):
    router = build(ingresses)
    route = router.route(host, path)
    match = router.match(host, path)
    explained = router.explain(host, path)
    assert match.route is route and explained.route is route
    # fallback: no path matched, so a default backend answers (the controller's own when route is None).
    assert match.fallback == explained.fallback == (route is None or route.is_default_backend)
    assert where(route) == reference(ingresses, host, path)
    matched = [v for v in explained.verdicts if v.outcome == "matched"]
    assert [v.route for v in matched] == ([route] if route is not None else [])
    # Every path route of every Ingress gets exactly one verdict.
    paths = sum(len(r.http.paths) for i in ingresses for r in i.spec.rules)
    assert len([v for v in explained.verdicts if not v.route.is_default_backend]) == paths
    # Nothing that lost is longer than the winner among the routes that match on its server.
    if route is not None and not route.is_default_backend:
        assert path_matches(route.path_type, route.path, request_path(path))
        for v in explained.verdicts:
            if v.outcome in ("shorter", "Exact beats Prefix", "Prefix beats ImplementationSpecific",
                             "Exact beats ImplementationSpecific"):
                assert v.route.length <= route.length


@settings(max_examples=300, deadline=None)
@given(rule_paths, request_paths)
def test_prefix_is_element_wise(rule_path, path):
    """Prefix p matches r exactly when p's elements (split on /, a trailing slash ignored) start r's."""
    p = rule_path.rstrip("/").split("/")
    r = request_path(path).rstrip("/").split("/")
    assert path_matches("Prefix", rule_path, request_path(path)) == (r[:len(p)] == p)
