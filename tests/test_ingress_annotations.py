"""ingress-nginx's annotations, as the controller implements them, through minikube's add-on.

Sources (ingress-nginx): ``internal/ingress/annotations/rewrite/main.go`` and
``.../canary/main.go`` (parsing and defaults), ``internal/ingress/controller/template/template.go``
(``buildLocation``, ``buildProxyPass``, ``enforceRegexModifier``), ``controller.go`` (locations sorted
longest first, ``mergeAlternativeBackends``), ``location.go`` (``updateServerLocations``),
``rootfs/etc/nginx/lua/lua_ingress.lua`` (``redirect_to_https``), ``balancer.lua``
(``route_to_alternative_balancer``), ``nginx.tmpl`` (app-root), and the documentation's examples
(``docs/examples/rewrite/README.md``, ``docs/user-guide/nginx-configuration/annotations.md``,
kubernetes.io's minimal-ingress).
"""

from __future__ import annotations

import pytest

import kitlib
from kitlib.network.ingress import Annotations, Route, build, parse_annotations, rewrite

A = "nginx.ingress.kubernetes.io/"
AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.53"


def ing(name: str, host: str | None, paths: list[tuple[str, str, str]], annotations: dict | None = None,
        cls: str = "nginx", **spec) -> dict:
    """An Ingress with (path, pathType, service) paths on port 80."""
    rule: dict = {"http": {"paths": [{"path": p, "pathType": t, "backend": {"service": {"name": s, "port": {
        "number": 80}}}} for p, t, s in paths]}}
    if host:
        rule["host"] = host
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "annotations": {A + k: v for k, v in (annotations or {}).items()}},
            "spec": {"ingressClassName": cls, "rules": [rule], **spec}}


@pytest.fixture
def mk() -> kitlib.Cluster:
    """minikube's ingress add-on; `http-svc`, `api` (agnhost netexec, answers /hostname with its
    pod's name) and `web`, `canary` (nginx)."""
    c = kitlib.Cluster(nodes=2, seed=4)
    c.enable_addon("ingress")
    for name in ("http-svc", "api"):
        c.kubectl(f"create deployment {name} --image={AGNHOST} --port=8080 -- /agnhost netexec --http-port=8080")
        c.kubectl(f"expose deployment {name} --port=80 --target-port=8080")
    for name in ("web", "canary"):
        c.kubectl(f"create deployment {name} --image=nginx --port=80")
        c.kubectl(f"expose deployment {name} --port=80")
    c.advance(30)
    return c


# ------------------------------------------------------------------------------ rewrite-target


def test_docs_rewrite_example_with_capture_groups(mk):
    """docs/examples/rewrite: path /something(/|$)(.*) with rewrite-target /$2 and use-regex:
    /something → /, /something/ → /, /something/new → /new."""
    mk.apply(ing("rewrite", "rewrite.bar.com", [("/something(/|$)(.*)", "ImplementationSpecific", "http-svc")],
                 {"use-regex": "true", "rewrite-target": "/$2"}))
    for sent, got in [("/something", "/"), ("/something/", "/"), ("/something/new", "/new"),
                      ("/something/new?x=1", "/new?x=1")]:
        resp = mk.http(f"http://rewrite.bar.com{sent}")
        assert resp.status == 200 and resp.service == "default/http-svc", sent
        assert resp.proxy.upstream_path == got, sent
    # The backend sees the rewritten path: netexec's /hostname answers its pod's name.
    resp = mk.http("http://rewrite.bar.com/something/hostname")
    assert resp.body == resp.pod.split("/")[1]
    # Regex locations are case-insensitive (~*), and the pattern is anchored at the start only.
    assert mk.http("http://rewrite.bar.com/SOMETHING/hostname").proxy.upstream_path == "/hostname"
    assert mk.http("http://rewrite.bar.com/somethingelse").status == 404
    assert mk.http("http://rewrite.bar.com/x/something").status == 404


def test_kubernetes_docs_minimal_ingress_rewrite_answers_200(mk):
    """kubernetes.io's minimal-ingress (rewrite-target: /, path /testpath, with ingressClassName
    nginx as on minikube): /testpath reaches nginx as /, which answers 200; without the annotation
    nginx would get /testpath and answer 404."""
    doc = ing("minimal-ingress", None, [("/testpath", "Prefix", "web")], {"rewrite-target": "/"})
    mk.apply(doc)
    resp = mk.http("http://anything.example/testpath")
    assert resp.status == 200 and "Welcome to nginx!" in resp.body and resp.proxy.upstream_path == "/"
    # nginx's rewrite replaces the whole URI: /testpath/foo becomes / as well.
    assert mk.http("http://anything.example/testpath/foo").proxy.upstream_path == "/"
    del doc["metadata"]["annotations"][A + "rewrite-target"]
    mk.apply(doc)
    assert mk.http("http://anything.example/testpath").status == 404  # nginx's own 404 for /testpath
    # As written in the docs, with ingressClassName nginx-example, minikube's controller ignores it.
    mk.apply(ing("minimal-ingress", None, [("/testpath", "Prefix", "web")], {"rewrite-target": "/"},
                 cls="nginx-example"))
    resp = mk.http("http://anything.example/testpath")
    assert resp.status == 404 and resp.ingress.route is None


def test_use_regex_makes_every_path_of_the_host_a_regex(mk):
    """use-regex on one Ingress turns every location of that host into ~* "^path", across
    Ingresses; nginx takes the first regex that matches, longest path first."""
    mk.apply(ing("plain", "re.example", [("/api", "Exact", "web")]))
    assert mk.http("http://re.example/api/x").status == 404  # Exact, no regex yet
    mk.apply(ing("regex", "re.example", [("/v[0-9]+/items", "ImplementationSpecific", "api")], {"use-regex": "true"}))
    # The other Ingress's Exact /api is now ~* "^/api": a prefix, case-insensitive.
    resp = mk.http("http://re.example/API/x")
    assert resp.status == 404 and resp.service == "default/web"  # nginx answered (its own 404)
    assert resp.ingress.route.ingress == "default/plain"
    assert mk.http("http://re.example/v2/items/hostname").service == "default/api"
    router = mk.addons["ingress"].router
    server = router.server_for("re.example")
    assert server.regex and [p for _, p, _ in server.locations] == ["/v[0-9]+/items", "/api"]
    assert not router.server_for("other.example").regex  # other hosts keep their locations


def test_prefix_paths_in_a_regex_server_keep_element_semantics_by_two_locations():
    """updateServerLocations: a Prefix /foo without its own rewrite becomes /foo/ and the exact
    /foo, both ~* regexes once the server is a regex server; longest first."""
    routes = build([_decode(ing("a", "h.example", [("/foo", "Prefix", "web")])),
                    _decode(ing("b", "h.example", [("/b(.*)", "ImplementationSpecific", "api")],
                                {"use-regex": "true"}))])
    server = routes.server_for("h.example")
    assert [p for _, p, _ in server.locations] == ["/b(.*)", "/foo/", "/foo"]  # by length
    assert routes.route("h.example", "/foobar").service == "web"  # ^/foo matches /foobar, as in nginx
    assert routes.route("h.example", "/bar").service == "api"


def test_rewrite_function_cases():
    """rewrite "(?i)<path>" <target> break: the whole URI is replaced; the query string is kept
    unless the target has one; a missing group is empty; a target equal to the path does nothing."""
    def r(path: str, target: str) -> Route:
        return Route("default/x", 0, 0, "", path, "ImplementationSpecific",
                     annotations=Annotations(rewrite_target=target))
    assert rewrite(r("/api(/|$)(.*)", "/$2"), "/api/v1/items?q=1") == "/v1/items?q=1"
    assert rewrite(r("/api(/|$)(.*)", "/new/$2?from=api"), "/api/x?q=1") == "/new/x?from=api"
    assert rewrite(r("/api", "/"), "/API/x") == "/"
    assert rewrite(r("/(app)/(.*)", "/$2/$1/$3"), "/app/x") == "/x/app/"
    assert rewrite(r("/same", "/same"), "/same/x") == "/same/x"


def test_annotation_values_parse_as_the_controller_parses_them():
    """GetBoolAnnotation is strconv.ParseBool (an invalid value keeps the default); app-root must
    be a path; canary settings without canary: "true" are dropped."""
    a = parse_annotations({A + "ssl-redirect": "no", A + "force-ssl-redirect": "True", A + "use-regex": "1",
                           A + "app-root": "http://x/app"})
    assert (a.ssl_redirect, a.force_ssl_redirect, a.use_regex, a.app_root) == (True, True, True, "")
    b = parse_annotations({A + "canary-weight": "30", A + "canary-by-header": "X"})
    assert (b.canary, b.canary_weight, b.canary_by_header) == (False, 0, "")


# ------------------------------------------------------------------------------ redirects


def test_ssl_redirect_only_for_hosts_with_a_certificate_and_off_by_annotation(mk):
    """ssl-redirect (default true) sends plain HTTP for a host with TLS to https with 308, the
    trailing slash dropped; ssl-redirect: "false" keeps HTTP."""
    mk.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls"}, "type": "kubernetes.io/tls",
              "stringData": {"tls.crt": "c", "tls.key": "k"}})
    mk.apply(ing("secure", "secure.example", [("/", "Prefix", "web")],
                 tls=[{"hosts": ["secure.example"], "secretName": "tls"}]))
    resp = mk.http("http://secure.example/")
    assert resp.status == 308 and resp.headers["Location"] == "https://secure.example"
    assert mk.http("https://secure.example/").status == 200
    mk.apply(ing("secure", "secure.example", [("/", "Prefix", "web")], {"ssl-redirect": "false"},
                 tls=[{"hosts": ["secure.example"], "secretName": "tls"}]))
    assert mk.http("http://secure.example/").status == 200


def test_force_ssl_redirect_without_tls(mk):
    """force-ssl-redirect redirects even when the Ingress has no TLS section."""
    mk.apply(ing("forced", "forced.example", [("/", "Prefix", "web")], {"force-ssl-redirect": "true"}))
    resp = mk.http("http://forced.example:80/shop/?a=1")
    assert resp.status == 308 and resp.headers["Location"] == "https://forced.example/shop/?a=1"
    assert "<title>308 Permanent Redirect</title>" in resp.body
    assert mk.http("http://forced.example/shop/").headers["Location"] == "https://forced.example/shop"
    https = mk.http("https://forced.example/")
    assert https.status == 200 and https.tls.default  # the fake certificate, but no loop


def test_docs_app_root_example(mk):
    """docs/examples/rewrite App Root: GET / answers 302 with Location http://approot.bar.com/app1;
    other paths are proxied."""
    mk.apply(ing("approot", "approot.bar.com", [("/", "Prefix", "http-svc")], {"app-root": "/app1"}))
    resp = mk.http("http://approot.bar.com/")
    assert resp.status == 302 and resp.status_text == "302 Moved Temporarily"
    assert resp.headers["Location"] == "http://approot.bar.com/app1"
    assert "<title>302 Found</title>" in resp.body
    assert mk.http("http://approot.bar.com/app1").status == 200


# ------------------------------------------------------------------------------ canary


def canary_pair(mk, **annotations: str) -> None:
    mk.apply(ing("production", "echo.example", [("/", "Prefix", "web")]))
    mk.apply(ing("canary", "echo.example", [("/", "Prefix", "canary")], {"canary": "true", **annotations}))


def test_canary_ingress_gets_no_location_of_its_own(mk):
    """A canary Ingress only adds an alternative backend: without weight or header nothing goes
    there, and a canary for a host no primary serves is dropped."""
    canary_pair(mk)
    assert {mk.http("http://echo.example/").service for _ in range(20)} == {"default/web"}
    mk.apply(ing("lonely", "lonely.example", [("/", "Prefix", "canary")], {"canary": "true",
                                                                            "canary-weight": "100"}))
    assert mk.http("http://lonely.example/").status == 404
    assert [r.ingress for r, _ in mk.addons["ingress"].router.unmerged] == ["default/lonely"]


def test_canary_weight_splits_the_requests(mk):
    """canary-weight 20 of 100: about one request in five goes to the canary, per request."""
    canary_pair(mk, **{"canary-weight": "20"})
    services = [mk.http("http://echo.example/").service for _ in range(500)]
    share = services.count("default/canary") / len(services)
    assert 0.15 < share < 0.25
    assert "canary-weight 20/100" in mk.http("http://echo.example/").proxy.canary


def test_canary_weight_total(mk):
    """canary-weight-total (above 100) is the denominator: 1 of 1000."""
    canary_pair(mk, **{"canary-weight": "500", "canary-weight-total": "1000"})
    services = [mk.http("http://echo.example/").service for _ in range(400)]
    assert 0.4 < services.count("default/canary") / 400 < 0.6
    canary_pair(mk, **{"canary-weight": "100"})
    assert {mk.http("http://echo.example/").service for _ in range(20)} == {"default/canary"}


def test_canary_by_header_always_never_and_weight(mk):
    """canary-by-header: "always" → canary, "never" → primary, anything else falls to the weight;
    the header beats the weight."""
    canary_pair(mk, **{"canary-by-header": "X-Canary", "canary-weight": "100"})
    assert mk.http("http://echo.example/", headers={"X-Canary": "never"}).service == "default/web"
    assert mk.http("http://echo.example/", headers={"x-canary": "always"}).service == "default/canary"
    assert mk.http("http://echo.example/", headers={"X-Canary": "maybe"}).service == "default/canary"  # weight 100
    canary_pair(mk, **{"canary-by-header": "X-Canary"})
    assert mk.http("http://echo.example/", headers={"X-Canary": "always"}).service == "default/canary"
    assert mk.http("http://echo.example/").service == "default/web"


def test_canary_by_header_value(mk):
    """canary-by-header-value: only that exact value routes to the canary; others fall through
    to the weight (here 0), "always" included."""
    canary_pair(mk, **{"canary-by-header": "Region", "canary-by-header-value": "eu"})
    assert mk.http("http://echo.example/", headers={"Region": "eu"}).service == "default/canary"
    assert mk.http("http://echo.example/", headers={"Region": "us"}).service == "default/web"
    assert mk.http("http://echo.example/", headers={"Region": "always"}).service == "default/web"
    resp = mk.http("http://echo.example/", headers={"Region": "eu"})
    assert resp.proxy.canary.startswith("canary default/canary → canary:80: header Region: eu")


def test_same_seed_same_canary_split():
    """The weight draws are seeded: the same cluster seed gives the same sequence."""
    def run() -> list:
        c = kitlib.Cluster(nodes=1, seed=9)
        c.enable_addon("ingress")
        for name in ("web", "canary"):
            c.kubectl(f"create deployment {name} --image=nginx --port=80")
            c.kubectl(f"expose deployment {name} --port=80")
        c.advance(30)
        canary_pair(c, **{"canary-weight": "50"})
        return [c.http("http://echo.example/").service for _ in range(30)]
    assert run() == run()


def _decode(doc: dict):
    from kitlib.manifest import decode
    doc = {**doc, "metadata": {**doc["metadata"], "namespace": "default"}}
    return decode(doc)


def test_a_canary_for_a_wildcard_host():
    """The canary merges into the server of the same host name, wildcards included."""
    primary = _decode(ing("p", "*.shop.example", [("/", "Prefix", "web")]))
    canary = _decode(ing("c", "*.shop.example", [("/", "Prefix", "canary")], {"canary": "true",
                                                                              "canary-by-header": "X"}))
    router = build([primary, canary])
    route = router.route("eu.shop.example", "/")
    chosen, why = router.canary_for(route).choose({"X": "always"}, None)
    assert (chosen, why) == (True, "header X: always") and router.unmerged == []


def test_the_admission_webhook_refuses_regex_paths_of_type_prefix(mk):
    """strict-validate-path-type (on by default): the validating webhook denies an Exact or Prefix
    path with characters other than letters, digits, . _ - and /; nothing is stored. A regex
    path needs pathType ImplementationSpecific; another controller's Ingress is not checked."""
    before = mk.runtime.state()
    doc = ing("bad", "bad.example", [("/testando(/|$)(.*)", "Prefix", "web"), ("/x+", "Exact", "web")],
              {"use-regex": "true", "rewrite-target": "/$2"})
    with pytest.raises(kitlib.ApiError) as err:
        mk.apply(doc)
    assert err.value.kubectl_text() == (
        'Error from server (BadRequest): admission webhook "validate.nginx.ingress.kubernetes.io" denied the '
        "request: ingress contains invalid paths: path /testando(/|$)(.*) cannot be used with pathType Prefix\n"
        "path /x+ cannot be used with pathType Exact")
    assert mk.runtime.state() == before
    with pytest.raises(kitlib.ApiError, match="failed to create ingress: admission webhook"):
        mk.kubectl("create ingress x --rule='/a(.*)=web:80'")
    mk.apply(ing("ok", "ok.example", [("/testando(/|$)(.*)", "ImplementationSpecific", "web")]))
    mk.apply(ing("theirs", "t.example", [("/a(.*)", "Prefix", "web")], cls="other"))  # not nginx's
    mk.disable_addon("ingress")
    mk.apply(ing("later", "l.example", [("/a(.*)", "Prefix", "web")], cls="nginx"))  # no webhook any more
