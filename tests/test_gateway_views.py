"""The Gateway API views and the gateway lab, without a browser: the routing tree is a function of
the cluster's state and of a request's GatewayMatch, and every widget control is one engine call.
Also the two engine pieces the lab uses: a Gateway without routes answers 404, and the add-on's
batch of routing decisions (``split``) continues the rotation real requests use."""

from __future__ import annotations

import pytest

pytest.importorskip("plotly")
pytest.importorskip("ipywidgets")

import kitlib
from kitlib.figures import gateway_text, gateway_tree, gateway_view, update_gateway_tree
from kitlib.figures.gateway_tree import LEGEND_NAMES, TRACES
from kitlib.widgets import GatewayLab
from kitlib.widgets.gateway_lab import (
    SCENARIO,
    match_manifest,
    parse_headers,
    route_manifest,
    shop_cluster,
)


@pytest.fixture
def shop() -> kitlib.Cluster:
    """The lab's cluster: web, web-v2, api; Gateway eg; HTTPRoute shop (/ → web 100 / web-v2 0, /api → api)."""
    return shop_cluster(seed=1)


def trace(fig, name):
    return next(t for t in fig.data if t.name == name)


def texts(fig, name) -> list[str]:
    return list(trace(fig, name).text or [])


# ------------------------------------------------------------------ the engine pieces

def test_a_gateway_without_routes_answers_404_with_an_empty_body():
    """Envoy Gateway programs an HTTP listener with or without routes; no virtual host matches: 404."""
    c = kitlib.Cluster(nodes=3, seed=0)
    c.enable_addon("metallb", addresses="192.168.49.200-192.168.49.250")
    c.enable_addon("gateway")
    c.apply(SCENARIO.split("---")[0])
    c.advance(20)
    resp = c.http("http://192.168.49.200/", headers={"Host": "www.example.com"})
    assert (resp.status, resp.body) == (404, "")
    assert resp.gateway is not None and resp.gateway.entry is None


def test_split_counts_where_requests_go_and_continues_the_rotation(shop):
    """Weights 75/25: 1,000 requests split 750/250; real requests continue the same turns (75 more
    to web, then web-v2's 25)."""
    route = shop.get("HTTPRoute", "shop")
    shop.apply(route_manifest(route, weights=(0, [75, 25])))
    addon = shop.addons["gateway"]
    split = addon.split("http://shop.example.com/", n=1000)
    assert split.counts == {"default/web": 750, "default/web-v2": 250}
    assert str(split) == "default/web 750 (75.0 %) · default/web-v2 250 (25.0 %)"
    assert split.match.route == "default/shop" and split.match.rule == 0
    assert addon.split("http://shop.example.com/", n=75).counts == {"default/web": 75}
    assert shop.http("http://shop.example.com/").service == "default/web-v2"


def test_split_names_a_404_an_unknown_host_and_the_header_rule(shop):
    addon = shop.addons["gateway"]
    assert addon.split("http://nobody.example.net/", n=5).counts == {"no Gateway": 5}
    assert addon.split("http://shop.example.com/api/x", n=3).counts == {"default/api": 3}


def test_split_changes_nothing_when_its_input_is_bad(shop):
    with pytest.raises(kitlib.ApiError, match="unsupported scheme"):
        shop.addons["gateway"].split("ftp://shop.example.com/")


# ------------------------------------------------------------------ the routing tree

def test_without_the_addon_the_tree_is_empty_with_a_note():
    fig = gateway_tree(kitlib.Cluster(nodes=1))
    assert [t.name for t in fig.data] == [LEGEND_NAMES.get(n, n) for n in TRACES]
    assert 'cluster.enable_addon("gateway")' in fig.layout.annotations[0].text


def test_the_tree_draws_gateway_listener_route_rules_services_and_pods(shop):
    fig = gateway_tree(shop)
    assert texts(fig, "Gateway") == ["eg"]
    assert texts(fig, "listeners") == ["http · HTTP/80<br>any host"]
    assert texts(fig, "HTTPRoutes") == ["shop"]
    assert texts(fig, "rules") == ["PathPrefix /", "PathPrefix /api"]
    assert texts(fig, "Services") == ["web:80", "web-v2:80", "api:80"]
    assert len(texts(fig, "ready pods")) == 6
    assert "Gateway default/eg · 192.168.49.200" in fig.layout.title.text


def test_weights_are_edge_widths_and_labels(shop):
    """web 100 is a wide edge, web-v2 0 a dotted one; after 75/25 both are labelled. The rule →
    backend edges are shapes under the tree, so that moving a weight restyles them and changes no
    trace (the browser redraws the shapes alone)."""
    view = gateway_view(shop)
    kinds = {(src.split("|")[-1], dst): kind for src, dst, kind in view.edges if dst.startswith("svc|")}
    assert kinds[("0", "svc|Service/default/web:80")] == "share > 2/3"
    assert kinds[("0", "svc|Service/default/web-v2:80")] == "weight 0"
    fig = gateway_tree(shop)
    assert [(s.line.width, s.line.dash, s.label.text) for s in fig.layout.shapes] == \
        [(7.5, None, "100"), (1.2, "dot", "0"), (7.5, None, None)]  # web, web-v2, and /api's one backend
    shop.apply(route_manifest(shop.get("HTTPRoute", "shop"), weights=(0, [75, 25])))
    fig = gateway_tree(shop)
    assert [(s.line.width, s.line.dash, s.label.text) for s in fig.layout.shapes] == \
        [(7.5, None, "75"), (2.0, None, "25"), (7.5, None, None)]


def test_moving_a_weight_changes_the_edges_shapes_and_no_trace(shop):
    """The lab's weight slider redraws only the shapes: the traces (vertices, other edges, the
    rule's hover) stay as they were."""
    import plotly.graph_objects as go

    fig = gateway_tree(shop, figure_class=go.FigureWidget)
    before = [t.to_plotly_json() for t in fig.data]
    shop.apply(route_manifest(shop.get("HTTPRoute", "shop"), weights=(0, [95, 5])))
    update_gateway_tree(fig, shop)
    assert [t.to_plotly_json() for t in fig.data] == before
    assert [s.label.text for s in fig.layout.shapes] == ["95", "5", None]
    rule = texts(fig, "rules").index("PathPrefix /")
    assert trace(fig, "rules").hovertext[rule].endswith(
        "backends: Service/default/web:80, Service/default/web-v2:80 (weights on the edges)")


def test_the_rule_that_took_the_request_is_purple_and_the_others_say_why(shop):
    resp = shop.http("http://shop.example.com/api/cart")
    view = gateway_view(shop, resp)
    assert view.rule_vertex("default/shop", 1).kind == "matched"
    lost = view.rule_vertex("default/shop", 0)
    assert lost.kind == "beaten" and "lower precedence" in lost.hover
    path = view.path()
    assert path[:4] == ["gateway", "listener|http", "route|http|default/shop", "rule|http|default/shop|1"]
    assert path[4] == "svc|Service/default/api:80" and view.vertices[path[5]].kind == "answered"
    resp = shop.http("http://shop.example.com/apiary")
    view = gateway_view(shop, resp)
    assert view.rule_vertex("default/shop", 1).kind == "nomatch"
    assert "✗ path" in view.rule_vertex("default/shop", 1).label


def test_a_request_no_rule_takes_ends_at_envoys_404(shop):
    resp = shop.http("http://192.168.49.200/", headers={"Host": "other.example.net"})
    assert resp.status == 404
    view = gateway_view(shop, resp)
    assert view.vertices["notfound"].kind == "notfound"
    assert ("listener|http", "notfound", "path of the request") in view.edges


def test_a_route_that_did_not_attach_hangs_under_not_attached_with_its_reason(shop):
    shop.apply(route_manifest(shop.get("HTTPRoute", "shop"), hostnames=["shop.example.org"]))
    shop.apply(SCENARIO.split("---")[0].replace(
        "port: 80", 'port: 80\n    hostname: "*.example.com"'))
    shop.advance(1)
    view = gateway_view(shop)
    detached = view.vertices["route|not attached|default/shop"]
    assert detached.kind == "detached" and "NoMatchingListenerHostname" in detached.label


def test_update_redraws_in_place(shop):
    import plotly.graph_objects as go

    fig = gateway_tree(shop, figure_class=go.FigureWidget)
    update_gateway_tree(fig, shop, shop.http("http://shop.example.com/"))
    assert texts(fig, "rule that took the request") == ["PathPrefix /"]


# ------------------------------------------------------------------ the lab

def test_manifest_helpers_change_one_thing():
    assert parse_headers("x-canary: true, X-User:ann") == {"x-canary": "true", "X-User": "ann"}
    with pytest.raises(ValueError, match="name: value"):
        parse_headers("x-canary")
    assert match_manifest("Exact", "/api") == {"path": {"type": "Exact", "value": "/api"}}


def test_send_is_cluster_http_with_headers_and_method(shop):
    lab = GatewayLab(shop, "shop")
    lab.path.value, lab.headers.value, lab.method.value = "/api/x", "x-user: ann", "POST"
    lab.send_button.click()
    assert lab.status.value == ""
    resp = lab.last_response
    assert (resp.status, resp.service, resp.gateway.method) == (200, "default/api", "POST")
    assert '"X-User"' in resp.body
    assert "HTTPRoute default/shop rule 1" in lab.result.value


def test_the_weight_slider_applies_the_route_and_measure_counts(shop):
    lab = GatewayLab(shop, "shop")
    lab.rule_picker.value = 0
    lab.weight.value = 25
    refs = shop.get("HTTPRoute", "shop").spec.rules[0].backend_refs
    assert [r.weight for r in refs] == [75, 25]
    lab.measure_button.click()
    assert lab.last_split.counts == {"default/web": 750, "default/web-v2": 250}
    assert "measured split of 1,000 requests" in lab.split.value and "25.0 %" in lab.split.value


def test_the_weight_slider_on_a_rule_with_one_backend_changes_nothing(shop):
    lab = GatewayLab(shop, "shop")
    lab.rule_picker.value = 1
    before = shop.state()
    assert lab.weight.disabled
    lab._on_weight({"new": 50})
    assert "one backend" in lab.status.value and shop.state() == before


def test_apply_match_replaces_the_rules_match_and_the_tree_shows_where_the_request_goes_now(shop):
    lab = GatewayLab(shop, "shop")
    lab.path.value = "/api/cart"
    lab.send_button.click()
    lab.rule_picker.value = 1
    lab.match_type.value, lab.match_path.value = "Exact", "/api"
    lab.match_button.click()
    m = shop.get("HTTPRoute", "shop").spec.rules[1].matches
    assert [(x.path.type, x.path.value) for x in m] == [("Exact", "/api")]
    assert "the route changed since" in lab.result.value
    assert lab.match().entry.rule == 0  # /api/cart no longer matches Exact /api


def test_a_bad_match_shows_the_api_servers_error_and_changes_nothing(shop):
    lab = GatewayLab(shop, "shop")
    lab.rule_picker.value = 1
    before = shop.state()
    lab.match_type.value, lab.match_path.value = "PathPrefix", "api"
    lab.match_button.click()
    assert "HTTPRoute.gateway.networking.k8s.io \"shop\" is invalid" in lab.status.value
    assert shop.state() == before


def test_host_names_and_conditions_as_a_learner_reads_them(shop):
    lab = GatewayLab(shop, "shop")
    assert "Route is accepted" in lab.conditions.value and "ResolvedRefs" in lab.conditions.value
    lab.hostnames.value = "shop.example.org"
    lab.hostnames_button.click()
    assert shop.get("HTTPRoute", "shop").spec.hostnames == ["shop.example.org"]
    lab.step(10)
    assert "t = " in lab.clock.value


def test_a_route_applied_before_the_controller_wrote_its_status_is_drawn_attached(shop):
    """The table attaches a route at once; its status comes when the clock moves: the tree
    follows the table, not the missing status."""
    other = SCENARIO.split("---")[1].replace("name: shop", "name: other").replace(
        "shop.example.com", "other.example.com")
    shop.apply(other)
    view = gateway_view(shop)
    assert view.vertices["route|http|default/other"].kind == "route"
    assert not any(v.kind == "detached" for v in view.vertices.values())


# ------------------------------------------------------------------ the tree's text alternative

def test_the_tree_has_a_text_alternative_that_follows_the_route_and_the_request(shop):
    """Every figure has a text alternative next to it (issue 17): the lab's line under the tree
    names each rule with its match, backends, weights and ready pods, each rule's verdict on the
    last request and where that request went; it changes with the weights and the request."""
    lab = GatewayLab(shop, "shop")
    text = lab.figure_text.value
    assert "Routing tree of Gateway default/eg · 192.168.49.200." in text
    assert ("rule 0 (PathPrefix /) → default/web:80 weight 100 (2 ready pods), "
            "default/web-v2:80 weight 0 (2 ready pods); rule 1 (PathPrefix /api) → default/api:80 (2 ready pods)") in text
    assert "last request" not in text
    lab.rule_picker.value = 0
    lab.weight.value = 25
    assert "default/web:80 weight 75 (2 ready pods), default/web-v2:80 weight 25" in lab.figure_text.value
    lab.path.value = "/api/cart"
    lab.send_button.click()
    text = lab.figure_text.value
    assert "rule 1 (PathPrefix /api) → default/api:80 (2 ready pods): took the request" in text
    assert "rule 0 (PathPrefix /) → default/web:80 weight 75 (2 ready pods), " \
           "default/web-v2:80 weight 25 (2 ready pods): matched too, but lower precedence" in text
    assert f"went to HTTPRoute default/shop rule 1 → default/api:80 → pod {lab.last_response.pod}." in text


def test_the_text_alternative_of_a_404_and_of_a_cluster_without_the_addon(shop):
    resp = shop.http("http://192.168.49.200/", headers={"Host": "other.example.net"})
    assert gateway_text(gateway_view(shop, resp)).endswith("The last request matched no rule: Envoy answers 404.")
    assert gateway_text(gateway_view(kitlib.Cluster(nodes=1))) == (
        'Gateway API routing · no Gateway API controller: the gateway add-on is not enabled: '
        'cluster.enable_addon("gateway").')
