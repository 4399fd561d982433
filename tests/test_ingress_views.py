"""The ingress views and the ingress lab, without a browser: the routing tree is a function of the
cluster's state and of a request's Match, and every widget control is one engine call."""

from __future__ import annotations

import pytest

pytest.importorskip("plotly")
pytest.importorskip("ipywidgets")

import plotly.graph_objects as go

import kitlib
from kitlib.figures import ingress_tree, routing_tree, update_routing_tree
from kitlib.figures.routing_tree import TRACES
from kitlib.widgets import IngressLab
from kitlib.widgets.ingress_lab import ingress_manifest

AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.53"


def shop_cluster(seed: int = 1, metallb: bool = True, ingress: bool = True) -> kitlib.Cluster:
    """web (nginx) and api (agnhost) behind Ingress shop: shop.example/ → web, /api → api."""
    c = kitlib.Cluster(nodes=3, seed=seed)
    if metallb:  # the cloud-style shape: a LoadBalancer Service that MetalLB gives an address
        c.enable_addon("metallb", addresses="192.168.49.200-192.168.49.250")
    c.enable_addon("ingress", **({"service_type": "LoadBalancer"} if metallb else {}))
    c.kubectl("create deployment web --image=nginx --replicas=2 --port=80")
    c.kubectl("expose deployment web --port=80")
    c.kubectl(f"create deployment api --image={AGNHOST} --replicas=2 --port=8080 -- "
              "/agnhost netexec --http-port=8080")
    c.kubectl("expose deployment api --port=80 --target-port=8080")
    c.advance(30)
    if ingress:
        c.kubectl("create ingress shop --rule=shop.example/*=web:80 --rule=shop.example/api*=api:80")
    return c


def ingress(name: str, *paths: tuple[str, str, str, str]) -> dict:
    """An Ingress with (host, path, pathType, service) paths, port 80."""
    rules: dict[str, list] = {}
    for host, path, ptype, svc in paths:
        rules.setdefault(host, []).append({"path": path, "pathType": ptype,
                                           "backend": {"service": {"name": svc, "port": {"number": 80}}}})
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": name},
            "spec": {"ingressClassName": "nginx",
                     "rules": [{"host": h, "http": {"paths": p}} for h, p in rules.items()]}}


def trace(fig, name):
    return next(t for t in fig.data if t.name == name)


def texts(fig, name) -> list[str]:
    return list(trace(fig, name).text or [])


# ------------------------------------------------------------------ the routing tree

def test_without_the_addon_the_figure_is_empty_with_a_note():
    """No ingress controller: nothing routes Ingresses, and the figure says how to get one."""
    c = kitlib.Cluster(nodes=1)
    fig = routing_tree(c)
    assert len(fig.data) == len(TRACES)
    assert all(not list(t.x or []) for t in fig.data)
    assert any('enable_addon("ingress")' in (a.text or "") for a in fig.layout.annotations)
    assert "no ingress controller" in fig.layout.title.text


def test_the_matched_rule_its_service_and_pod_are_highlighted():
    """shop.example/api/cart takes the longest matching Prefix, /api; ingress-nginx proxies to a
    ready api pod, and the tree draws host → rule → Service → that pod as the request's path."""
    c = shop_cluster()
    resp = c.http("http://shop.example/api/cart")
    assert resp.status == 200 and resp.service == "default/api"
    tree = ingress_tree(c, resp)
    assert tree.path() == ["host:shop.example", "rule:shop.example:default/shop:0:1", "svc:default/api:80",
                           f"pod:svc:default/api:80:{resp.pod}"]
    fig = routing_tree(c, resp)
    assert texts(fig, "rule that took the request") == ["Prefix /api"]
    assert list(trace(fig, "pod that answered").customdata) == [f"pod:svc:default/api:80:{resp.pod}"]
    assert len(trace(fig, "path of the request").x) == 3 * 3  # three segments
    assert "Prefix /api of default/shop" in fig.layout.title.subtitle.text
    assert "200 OK" in fig.layout.title.subtitle.text


def test_losing_rules_carry_their_verdict():
    """Every other rule says why it lost: a shorter Prefix, Exact beating Prefix at equal length,
    a newer Ingress's duplicate path (shadowed), a path that does not match, another host."""
    c = shop_cluster()
    c.apply(ingress("shop", ("shop.example", "/", "Prefix", "web"), ("shop.example", "/api", "Prefix", "api"),
                    ("shop.example", "/api/cart", "Exact", "api"), ("shop.example", "/api/cart", "Prefix", "web"),
                    ("shop.example", "/login", "Exact", "web"), ("blog.example", "/", "Prefix", "web")))
    c.advance(1)
    c.apply(ingress("shop2", ("shop.example", "/api", "Prefix", "web")))
    resp = c.http("http://shop.example/api/cart")
    tree = ingress_tree(c, resp)
    expect = {("shop", "/api/cart", "shop.example"): "matched", ("shop", "/", "shop.example"): "shorter",
              ("shop", "/api", "shop.example"): "shorter", ("shop", "/login", "shop.example"): "no match",
              ("shop2", "/api", "shop.example"): "shadowed", ("shop", "/", "blog.example"): "other host"}
    for (ing, path, host), outcome in expect.items():
        v = tree.rule(f"default/{ing}", path, host)
        assert tree.verdicts[v.id] == outcome, (ing, path, host)
    beaten = next(rid for rid, (_, r) in tree.rules.items() if r.path == "/api/cart" and r.path_type == "Prefix")
    assert tree.verdicts[beaten] == "Exact beats Prefix"
    fig = routing_tree(c, resp)
    assert texts(fig, "rule that took the request") == ["Exact /api/cart · shop"]
    lost = texts(fig, "matched too, but lost (shorter / pathType)")
    assert sorted(lost) == sorted(["Prefix / · shop<br>✗ shorter", "Prefix /api · shop<br>✗ shorter",
                                   "Prefix /api/cart · shop<br>✗ Exact beats Prefix"])
    assert texts(fig, "shadowed by an older Ingress") == ["Prefix /api · shop2<br>✗ shadowed"]
    assert texts(fig, "no match") == ["Exact /login · shop<br>✗ no match"]
    other = trace(fig, "other host / not needed")
    assert any("<b>other host</b>" in h for h in other.hovertext)
    assert len(trace(fig, "matched too, but lost").x) == 4 * 3  # dashed: the four rules that matched too


def test_a_request_no_rule_takes_ends_at_the_controllers_404():
    """A host no rule names, with no catch-all rule or default backend: the controller's 404."""
    c = shop_cluster()
    resp = c.http("http://other.example/")
    assert resp.status == 404
    tree = ingress_tree(c, resp)
    assert tree.path() == ["host:_", "notfound"]
    assert tree.vertices["host:_"].label == "*"
    fig = routing_tree(c, resp)
    assert texts(fig, "controller's 404") == ["controller's 404"]
    assert all(tree.verdicts[rid] == "other host" for rid in tree.rules)


def test_missing_services_and_services_without_ready_pods():
    """A rule to a Service that does not exist, and a Service scaled to zero: both answer 503,
    and the tree shows why."""
    c = shop_cluster()
    c.apply(ingress("shop", ("shop.example", "/", "Prefix", "web"), ("shop.example", "/api", "Prefix", "api"),
                    ("shop.example", "/cart", "Prefix", "cart")))
    c.scale("api", 0)
    c.advance(5)
    resp = c.http("http://shop.example/api/x")
    assert resp.status == 503
    tree = ingress_tree(c, resp)
    assert tree.path()[-1] == "nopods:svc:default/api:80"
    fig = routing_tree(c, resp)
    assert texts(fig, "Service missing (503)") == ["cart:80<br>✗ not found"]
    assert texts(fig, "no ready pods (503)") == ["no ready pods"]
    assert len(texts(fig, "ready pods")) == 2  # web's two pods


def test_trace_count_is_fixed_and_updates_rewrite_data_in_place():
    """update_routing_tree keeps the same traces and changes only their data."""
    c = shop_cluster()
    fig = routing_tree(c, None, figure_class=go.FigureWidget)
    names = [t.name for t in fig.data]
    assert len(names) == len(TRACES)
    assert not list(trace(fig, "path of the request").x)
    assert len(texts(fig, "rules")) == 2  # no request yet: neutral rules
    for url in ("http://shop.example/api/x", "http://other.example/", "http://shop.example/"):
        update_routing_tree(fig, c, c.http(url))
        assert [t.name for t in fig.data] == names
        assert list(trace(fig, "path of the request").x)
    assert texts(fig, "rule that took the request") == ["Prefix /"]
    c.disable_addon("ingress")
    update_routing_tree(fig, c, None)
    assert [t.name for t in fig.data] == names
    assert all(not list(t.x or []) for t in fig.data)


def test_tree_is_a_function_of_state():
    """Same seed, same request: the same figure, to the byte."""
    figs = []
    for _ in range(2):
        c = shop_cluster()
        figs.append(routing_tree(c, c.http("http://shop.example/api/x")).to_json())
    assert figs[0] == figs[1]


def test_namespace_filter_and_default_backends():
    """``namespace`` keeps that namespace's Ingresses; a default backend is a rule of its own that
    takes the request when no path matches."""
    c = shop_cluster(ingress=False)
    c.apply({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "fallback"},
             "spec": {"ingressClassName": "nginx",
                      "defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}}})
    resp = c.http("http://anything.example/x")
    tree = ingress_tree(c, resp)
    rid = tree.rule("default/fallback", None).id
    assert tree.verdicts[rid] == "matched"
    assert tree.vertices[rid].label == "default backend"
    assert tree.path()[:2] == ["host:_", rid]
    assert ingress_tree(c, resp, namespace="other").rules == {}


# ------------------------------------------------------------------ the ingress lab

def test_send_shows_the_status_the_matched_rule_and_the_path():
    """Send is cluster.http(url): the lab shows the status, the rule in words and the hops."""
    c = shop_cluster()
    lab = IngressLab(c, "shop")
    lab.url.value = "http://shop.example/api/cart"
    lab.send_button.click()
    resp = lab.last_response
    assert resp.status == 200 and resp.service == "default/api"
    assert lab.status.value == ""
    assert "200 OK" in lab.result.value
    assert "rule <b>shop.example/api</b> (Prefix) of default/shop" in lab.result.value
    assert "Prefix /: shorter" in lab.result.value
    # MetalLB announces from a worker: the control plane is excluded from external load balancers.
    assert "node minikube-m03 (MetalLB)" in lab.result.value and "controller ingress-nginx-controller" in lab.result.value
    assert resp.pod.split("/", 1)[1].split("-")[-1] in lab.result.value  # the pod that answered
    assert texts(lab.figure, "rule that took the request") == ["Prefix /api"]
    assert lab.pod_picker.options  # the backends' pods are listed


def test_add_rule_applies_the_ingress_once_and_changes_routing(monkeypatch):
    """add rule is one cluster.apply of the Ingress with the path added; the tree shows at once
    where the last request would go now, and the next request goes there."""
    c = shop_cluster()
    lab = IngressLab(c, "shop")
    lab.url.value = "http://shop.example/api/cart"
    lab.send_button.click()
    assert lab.last_response.service == "default/api"
    calls = []
    real = c.apply
    monkeypatch.setattr(c, "apply", lambda doc: calls.append(doc) or real(doc))
    lab.host.value, lab.path.value, lab.path_type.value = "shop.example", "/api/cart", "Exact"
    lab.service.value = "web"
    assert lab.port.value == 80
    lab.add_button.click()
    assert len(calls) == 1 and lab.status.value == ""
    paths = [(p.path, p.path_type, p.backend.service.name) for p in c.get("Ingress", "shop").spec.rules[0].http.paths]
    assert paths[-1] == ("/api/cart", "Exact", "web")
    assert texts(lab.figure, "rule that took the request") == ["Exact /api/cart"]
    assert "would go now" in lab.result.value
    assert ("shop.example/api/cart (Exact) → web:80", (0, 2)) in lab.remove_picker.options
    lab.send_button.click()
    assert lab.last_response.service == "default/web"
    assert "would go now" not in lab.result.value


def test_a_bad_rule_shows_the_api_servers_error_and_changes_nothing():
    """A path without a leading slash: the API server rejects the Ingress and nothing changes."""
    c = shop_cluster()
    lab = IngressLab(c, "shop")
    before = c.get("Ingress", "shop").to_dict()
    lab.path.value, lab.service.value = "cart", "web"
    lab.add_button.click()
    assert 'Ingress.networking.k8s.io "shop" is invalid' in lab.status.value
    assert 'spec.rules[0].http.paths[2].path: Invalid value: "cart": must be an absolute path' in lab.status.value
    assert c.get("Ingress", "shop").to_dict() == before


def test_remove_rule_applies_the_ingress_without_the_path():
    """remove rule drops the picked path; /api/... then falls to the Prefix / rule."""
    c = shop_cluster()
    lab = IngressLab(c, "shop")
    lab.remove_picker.value = (0, 1)
    lab.remove_button.click()
    assert [p.path for p in c.get("Ingress", "shop").spec.rules[0].http.paths] == ["/"]
    assert [v for _, v in lab.remove_picker.options] == [(0, 0)]
    lab.url.value = "http://shop.example/api/x"
    lab.send_button.click()
    assert lab.last_response.service == "default/web"
    lab.remove_picker.value = (0, 0)
    lab.remove_button.click()  # no rules and no default backend: the API server refuses
    assert "either `defaultBackend` or `rules` must be specified" in lab.status.value
    assert [p.path for p in c.get("Ingress", "shop").spec.rules[0].http.paths] == ["/"]


def test_scale_to_zero_shows_503():
    """Scaled to zero, the backend has no ready endpoint: ingress-nginx answers 503."""
    c = shop_cluster()
    lab = IngressLab(c, "shop")
    lab.deployment.value = "api"
    assert lab.replicas.value == 2
    lab.replicas.value = 0
    assert c.get("Deployment", "api").spec.replicas == 0
    lab.step_button.click()
    lab.url.value = "http://shop.example/api/x"
    lab.send_button.click()
    assert lab.last_response.status == 503
    assert "503 Service Temporarily Unavailable" in lab.result.value and "no ready endpoint" in lab.result.value
    assert texts(lab.figure, "no ready pods (503)") == ["no ready pods"]


def test_the_tree_has_a_text_alternative_that_follows_each_redraw():
    """Under the tree, its text alternative (issue 17): each host's rules with their backends and
    ready pods, then the rule that took the last request, the pod, the status and why the other
    rules lost, in words (the figure tells the winner by colour, size and line width). It is
    built from the tree's typed facts and changes with every redraw."""
    c = shop_cluster()
    lab = IngressLab(c, "shop")
    before = lab.tree_summary.value
    assert "role='note'" in before
    assert ("Host shop.example: Prefix / → web:80 (2 ready pods), Prefix /api → api:80 (2 ready pods). "
            "No request drawn yet.") in before
    lab.url.value = "http://shop.example/api/cart"
    lab.send_button.click()
    pod = lab.last_response.pod.split("/", 1)[1].split("-")[-1]
    sent = lab.tree_summary.value
    assert ("Request shop.example/api/cart: rule Prefix /api took it (large diamond, thick line) → "
            "Service api:80 → pod api-…-" + pod + ", 200 OK; other rules: Prefix /: shorter.") in sent
    lab.deployment.value = "api"
    lab.replicas.value = 0
    lab.step_button.click()
    lab.send_button.click()
    assert "Prefix /api → api:80 (no ready pods: 503)" in lab.tree_summary.value
    assert "→ Service api:80, 503 Service Temporarily Unavailable;" in lab.tree_summary.value
    lab.url.value = "http://nobody.example/"
    lab.send_button.click()
    assert "Request nobody.example/: no rule takes it, the controller's own 404 answers, 404 Not Found." \
        in lab.tree_summary.value


def test_the_text_alternative_says_when_the_addon_is_missing():
    """Without the ingress add-on the tree is empty, and its text says why."""
    lab = IngressLab(kitlib.Cluster(nodes=1, seed=0), "shop")
    assert 'the ingress add-on is not enabled: cluster.enable_addon("ingress").' in lab.tree_summary.value


def test_kill_pod_deletes_the_picked_pod_and_the_next_request_avoids_it(monkeypatch):
    """Kill pod is one cluster.delete("Pod", name); its endpoint leaves the Service at once."""
    c = shop_cluster()
    lab = IngressLab(c, "shop")
    lab.url.value = "http://shop.example/api/x"
    lab.send_button.click()
    lab.deployment.value = "api"
    victim = lab.last_response.pod.split("/", 1)[1]
    assert lab.pod_picker.value == victim  # the pod that answered is picked first
    calls = []
    real = c.delete
    monkeypatch.setattr(c, "delete", lambda *a: calls.append(a) or real(*a))
    lab.kill_button.click()
    assert calls == [("Pod", victim, "default")]
    assert victim not in [name for _, name in lab.pod_picker.options]
    for _ in range(3):
        lab.send_button.click()
        assert lab.last_response.status == 200 and lab.last_response.pod != f"default/{victim}"


def test_step_advances_the_clock():
    """+10 s is cluster.advance(10)."""
    c = shop_cluster()
    lab = IngressLab(c, "shop")
    now = c.now
    lab.step_button.click()
    assert c.now == now + 10
    assert f"t = {c.now:.0f} s" in lab.clock.value


def test_lab_creates_the_ingress_and_uses_port_80_of_the_node_without_metallb():
    """minikube's add-on listens on the primary node's port 80 (hostPort), so the URL needs no
    port; the first added rule creates the Ingress."""
    c = shop_cluster(metallb=False, ingress=False)
    lab = IngressLab(c, "shop")
    assert c.addons["ingress"].address() == ("192.168.49.2", 80, 443)
    assert lab.url.value == "http://shop.example/"
    lab.service.value = "web"
    lab.add_button.click()
    assert lab.status.value == ""
    assert c.get("Ingress", "shop").spec.rules[0].host == "shop.example"
    assert texts(lab.figure, "hosts") == ["shop.example"]


def test_the_default_url_reaches_the_controller_through_its_host_port():
    """Without MetalLB, the lab's URL (the primary node's IP, port 80) is routed."""
    c = shop_cluster(metallb=False)
    lab = IngressLab(c, "shop")
    lab.send_button.click()
    assert lab.last_response.status == 200 and lab.last_response.service == "default/web"


def test_ingress_manifest_drops_server_fields():
    """The manifest the lab applies carries no status, uid or resourceVersion."""
    c = shop_cluster()
    doc = ingress_manifest(c.get("Ingress", "shop"), add={"host": "", "path": "/x", "pathType": "Exact",
                                                          "service": "web", "port": 80})
    assert set(doc["metadata"]) <= {"name", "namespace", "labels", "annotations"}
    assert "status" not in doc
    assert doc["spec"]["rules"][-1] == {"http": {"paths": [
        {"path": "/x", "pathType": "Exact", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}


def test_lab_without_the_addon_says_why_nothing_answers():
    """No ingress controller: the host does not resolve, the lab says so, and the tree says how
    to enable one."""
    c = kitlib.Cluster(nodes=1)
    lab = IngressLab(c, "shop")
    lab.send_button.click()
    assert lab.last_response.status is None
    assert "no answer" in lab.result.value and "could not resolve shop.example" in lab.result.value
    assert any('enable_addon("ingress")' in (a.text or "") for a in lab.figure.layout.annotations)
