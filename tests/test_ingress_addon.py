"""The ingress-nginx add-on (cluster.enable_addon("ingress")): what it installs, which Ingresses it
serves, and HTTP through the whole path: client → LoadBalancer IP or NodePort → controller pod →
rule → an endpoint pod of the backend Service. Most tests here use the cloud-style option
(``service_type="LoadBalancer"`` with MetalLB); minikube's default shape (hostPort on the primary
node, NodePort Service) is tested in test_ingress_minikube.py.

Sources: ingress-nginx's cloud deploy manifest (controller v1.15.1) and its docs (user-guide/tls: default
certificate "Kubernetes Ingress Controller Fake Certificate", ssl-redirect 308, HSTS; the 503 of an
upstream without endpoints), minikube's ingress add-on, and the Ingress page of kubernetes.io
(simple fan-out, name-based virtual hosting, TLS).
"""

from __future__ import annotations

import pytest

import kitlib
from kitlib.addons.ingress_nginx import FAKE_CERTIFICATE
from kitlib.api.node import internal_ip

POOL = "192.168.49.200-192.168.49.250"
LB_IP = "192.168.49.200"
AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.53"


def backend(service: str, port: int = 80) -> dict:
    return {"service": {"name": service, "port": {"number": port}}}


def ingress(name: str, rules: list[dict], namespace: str = "default", cls: str | None = "nginx", **spec) -> dict:
    """An Ingress of class ``cls`` (None: no class, for the DefaultIngressClass admission to fill in).
    The class is named explicitly because re-applying a manifest without it drops the defaulted
    class in kitlib (see test_re_applying_without_a_class_keeps_the_ingress_served)."""
    if cls is not None:
        spec = {"ingressClassName": cls, **spec}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": namespace}, "spec": {"rules": rules, **spec}}


def rule(host: str | None, *paths: tuple[str, str]) -> dict:
    """A rule for ``host`` with Prefix (path, service) paths on port 80."""
    out: dict = {"http": {"paths": [{"path": p, "pathType": "Prefix", "backend": backend(s)} for p, s in paths]}}
    if host:
        out["host"] = host
    return out


def apps(cluster: kitlib.Cluster) -> kitlib.Cluster:
    """`api` (agnhost netexec x3 on 8080) and `web` (nginx x2), each behind a ClusterIP Service on 80."""
    cluster.kubectl(f"create deployment api --image={AGNHOST} --replicas=3 --port=8080 -- "
                    "/agnhost netexec --http-port=8080")
    cluster.kubectl("expose deployment api --port=80 --target-port=8080")
    cluster.kubectl("create deployment web --image=nginx --replicas=2 --port=80")
    cluster.kubectl("expose deployment web --port=80")
    cluster.advance(30)
    return cluster


def lab(seed: int = 0) -> kitlib.Cluster:
    cluster = kitlib.Cluster(nodes=3, seed=seed)
    cluster.enable_addon("metallb", addresses=POOL)
    cluster.enable_addon("ingress", service_type="LoadBalancer")
    return apps(cluster)


@pytest.fixture
def shop() -> kitlib.Cluster:
    """MetalLB, the ingress add-on, the two apps, and Ingress `shop`: shop.example /api → api, / → web."""
    cluster = lab()
    cluster.apply(ingress("shop", [rule("shop.example", ("/api", "api"), ("/", "web"))]))
    return cluster


def pods_of(cluster, app: str) -> set[str]:
    return {p.key for p in cluster.pods(selector=f"app={app}")}


def controller_pod(cluster):
    (pod,) = cluster.pods("ingress-nginx")
    return pod


def lb_status(cluster, name: str = "shop") -> list[str | None]:
    return [i.ip for i in cluster.get("Ingress", name).status.load_balancer.ingress]


# ------------------------------------------------------------------------------ install


def test_enable_installs_the_controller(cluster):
    """With service_type="LoadBalancer": the namespace, Deployment, the LoadBalancer and admission
    Services and IngressClass `nginx` (the default class); enabling waits until the controller pod
    is Running and Ready."""
    addon = cluster.enable_addon("ingress", service_type="LoadBalancer")
    assert cluster.get("Namespace", "ingress-nginx", "").metadata.labels["app.kubernetes.io/name"] == "ingress-nginx"
    deploy = cluster.get("Deployment", "ingress-nginx-controller", "ingress-nginx")
    assert deploy.status.ready_replicas == 1
    pod = controller_pod(cluster)
    assert pod.status.phase == "Running" and addon.ready_pods() == [pod]
    svc = cluster.get("Service", "ingress-nginx-controller", "ingress-nginx")
    assert svc.spec.type == "LoadBalancer"
    assert [(p.name, p.port) for p in svc.spec.ports] == [("http", 80), ("https", 443)]
    assert all(30000 <= p.node_port <= 32767 for p in svc.spec.ports)
    assert cluster.get("Service", "ingress-nginx-controller-admission", "ingress-nginx").spec.type == "ClusterIP"
    ic = cluster.get("IngressClass", "nginx", "")
    assert ic.spec.controller == "k8s.io/ingress-nginx"
    assert ic.metadata.annotations["ingressclass.kubernetes.io/is-default-class"] == "true"
    # The controller answers its health check on 10254, as its probes see it.
    health = cluster.http(f"http://{pod.status.pod_ip}:10254/healthz", src="node/minikube")
    assert (health.status, health.body) == (200, "ok")
    # Enabling twice changes nothing; other options, and another service_type, are refused.
    assert cluster.enable_addon("ingress") is addon
    with pytest.raises(kitlib.ApiError, match="takes only service_type"):
        cluster.enable_addon("ingress", replicas=2)
    with pytest.raises(kitlib.ApiError, match='enabled with service_type "LoadBalancer": disable it first'):
        cluster.enable_addon("ingress", service_type="NodePort")
    with pytest.raises(kitlib.ApiError, match='service_type must be "NodePort"'):
        kitlib.Cluster(nodes=1).enable_addon("ingress", service_type="ClusterIP")


def test_without_metallb_the_load_balancer_stays_pending_and_the_node_port_answers(cluster):
    """The cloud manifest on bare metal: EXTERNAL-IP <pending>, Ingresses without an address, but
    every node's NodePort reaches the controller."""
    apps(cluster)
    addon = cluster.enable_addon("ingress", service_type="LoadBalancer")
    cluster.apply(ingress("shop", [rule("shop.example", ("/", "api"))]))
    svc = cluster.get("Service", "ingress-nginx-controller", "ingress-nginx")
    assert svc.status.load_balancer.ingress == []
    assert "<pending>" in cluster.kubectl("get svc -n ingress-nginx ingress-nginx-controller")
    assert lb_status(cluster) == []
    http_port = {p.port: p.node_port for p in svc.spec.ports}[80]
    assert addon.address() == ("192.168.49.2", http_port, {p.port: p.node_port for p in svc.spec.ports}[443])
    # The lab DNS points the name at the first node; the NodePort takes it to the controller.
    resp = cluster.http(f"http://shop.example:{http_port}/hostname")
    assert resp.status == 200 and resp.pod in pods_of(cluster, "api") and resp.service == "default/api"
    assert resp.body == resp.pod.split("/")[1]
    # Any node's IP works (externalTrafficPolicy Cluster), with the Host header naming the site.
    for node in cluster.nodes():
        via = cluster.http(f"http://{internal_ip(node)}:{http_port}/hostname", headers={"Host": "shop.example"})
        assert via.status == 200 and via.service == "default/api", via
    # HTTPS through the other NodePort: the controller terminates TLS whatever port the client dialled.
    https_port = addon.address()[2]
    secure = cluster.http(f"https://shop.example:{https_port}/hostname")
    assert secure.status == 200 and secure.tls.certificate == FAKE_CERTIFICATE, secure
    # Port 80 of a node is not the controller (the cloud manifest has no hostPort): nothing listens there.
    refused = cluster.http("http://shop.example/")
    assert refused.status is None and refused.failure == "refused"


def test_with_metallb_the_ingress_status_gets_the_address(cluster):
    """MetalLB gives the controller's Service an address, and the controller writes it into the
    status of every Ingress it serves (--publish-service), whether MetalLB came first or later."""
    cluster.enable_addon("ingress", service_type="LoadBalancer")
    cluster.apply(ingress("early", [rule("early.example", ("/", "web"))]))
    assert lb_status(cluster, "early") == []
    cluster.enable_addon("metallb", addresses=POOL)
    assert lb_status(cluster, "early") == [LB_IP]
    cluster.apply(ingress("late", [rule("late.example", ("/", "web"))]))
    assert lb_status(cluster, "late") == [LB_IP]
    line = next(x for x in cluster.kubectl("get ingress").splitlines() if x.startswith("late "))
    assert LB_IP in line and "nginx" in line
    assert cluster.addons["ingress"].address() == (LB_IP, 80, 443)


def test_disable_removes_the_controller_and_clears_statuses(shop):
    """``minikube addons disable ingress`` deletes the add-on's objects and waits until they are gone
    (``kubectl delete -f`` waits): the namespace is Terminating until the namespace controller has
    deleted the controller's pod and found the namespace empty, 10 s after the DELETE."""
    assert lb_status(shop) == [LB_IP]
    start = shop.now
    shop.disable_addon("ingress")
    assert shop.now - start == pytest.approx(10)
    assert "ingress-nginx" not in [n.name for n in shop.list("Namespace", None)]
    assert shop.list("IngressClass", None) == []
    assert shop.pods("ingress-nginx") == []
    assert shop.list("Service", "ingress-nginx") == [] and shop.list("Deployment", "ingress-nginx") == []
    assert lb_status(shop) == []
    # The Ingress stays, but nothing serves it: without the add-on there is no lab DNS either.
    assert shop.get("Ingress", "shop").spec.rules[0].host == "shop.example"
    resp = shop.http("http://shop.example/")
    assert resp.status is None and resp.failure == "dns"
    with pytest.raises(kitlib.ApiError, match='addon "ingress" is not enabled'):
        shop.disable_addon("ingress")


# ------------------------------------------------------------------------------ which Ingresses


def test_ingresses_of_another_class_are_ignored(shop):
    shop.apply({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "traefik"},
                "spec": {"controller": "traefik.io/ingress-controller"}})
    shop.apply(ingress("other", [rule("other.example", ("/", "web"))], ingressClassName="traefik"))
    addon = shop.addons["ingress"]
    assert [i.name for i in addon.ingresses()] == ["shop"]
    assert lb_status(shop, "other") == []
    resp = shop.http("http://other.example/")
    assert resp.status == 404 and resp.pod is None and resp.ingress.route is None


def test_a_class_less_ingress_from_before_is_not_served_by_the_cloud_manifest(cluster):
    """An Ingress created before any default class has no class, and the cloud manifest's
    ingress-nginx does not watch class-less Ingresses (no --watch-ingress-without-class)."""
    apps(cluster)
    cluster.apply(ingress("old", [rule("old.example", ("/", "web"))], cls=None))
    cluster.enable_addon("ingress", service_type="LoadBalancer")
    assert cluster.get("Ingress", "old").spec.ingress_class_name is None
    port = cluster.addons["ingress"].address()[1]
    assert cluster.http(f"http://old.example:{port}/").status == 404
    cluster.apply(ingress("new", [rule("new.example", ("/", "web"))], cls=None))
    assert cluster.get("Ingress", "new").spec.ingress_class_name == "nginx"
    assert cluster.http(f"http://new.example:{port}/").status == 200


def test_a_changed_ingress_is_routed_at_once(shop):
    assert shop.http("http://shop.example/v2/hostname").service == "default/web"
    shop.apply(ingress("shop", [rule("shop.example", ("/api", "api"), ("/", "web"), ("/v2", "api"))]))
    assert shop.http("http://shop.example/v2/hostname").service == "default/api"
    shop.delete("Ingress", "shop")
    assert shop.http("http://shop.example/").status == 404


def test_re_applying_without_a_class_keeps_the_ingress_served(shop):
    shop.apply(ingress("mine", [rule("mine.example", ("/", "web"))], cls=None))
    assert shop.http("http://mine.example/").status == 200
    shop.apply(ingress("mine", [rule("mine.example", ("/", "web"), ("/api", "api"))], cls=None))
    assert shop.http("http://mine.example/api/hostname").service == "default/api"


# ------------------------------------------------------------------------------ the data path


def test_the_whole_path(shop):
    """client → MetalLB address on a node → kube-proxy → controller pod → rule → endpoint pod;
    .service and .pod name the backend; the backend sees the controller pod as its client."""
    ctrl = controller_pod(shop)
    resp = shop.http("http://shop.example/api/clientip")
    assert resp.status == 200, resp
    assert resp.service == "default/api" and resp.pod in pods_of(shop, "api")
    # netexec's /clientip is its own route: the path reaches the app unchanged (no rewrite), so
    # /api/clientip is not /clientip; ask /clientip through a rule that passes it through.
    shop.apply(ingress("ip", [rule("ip.example", ("/clientip", "api"))]))
    ip = shop.http("http://ip.example/clientip")
    assert ip.status == 200 and ip.body.split(":")[0] == ctrl.status.pod_ip
    hops = ip.hops
    assert hops[0].device == "resolver" and hops[0].dst == LB_IP
    assert hops[1].where == "outside" and hops[1].dst == LB_IP
    nginx = next(i for i, h in enumerate(hops) if h.device == "nginx")
    assert hops[nginx].where == ctrl.spec.node_name and hops[nginx].src == ctrl.status.pod_ip
    assert "Prefix /clientip of default/ip" in hops[nginx].note
    assert hops[nginx - 1].vertex == f"pod:{ctrl.key}"  # delivered to the controller pod first
    assert any("MetalLB" in h.note for h in hops[:nginx])
    backend_pod = shop.get("Pod", ip.pod.split("/")[1])
    assert hops[-1].vertex == f"pod:{ip.pod}" and hops[-1].dst == backend_pod.status.pod_ip
    assert hops[-1].where == backend_pod.spec.node_name
    assert all(h.src == ctrl.status.pod_ip for h in hops[nginx + 1:] if h.device != "flannel.1"
               and not h.dst.endswith(":8472"))
    assert ip.ingress.route.ingress == "default/ip"
    assert resp.headers["Connection"] == "keep-alive" and "Server" not in resp.headers


def test_round_robin_across_endpoints(shop):
    """The controller proxies to the endpoints itself (not through the ClusterIP), in turn."""
    seen = [shop.http("http://shop.example/api/hostname").pod for _ in range(9)]
    api = sorted(pods_of(shop, "api"))
    assert set(seen) == set(api)
    assert seen[:3] == seen[3:6] == seen[6:]
    assert all(shop.http("http://shop.example/").pod in pods_of(shop, "web") for _ in range(4))


def test_503_when_the_backend_has_no_ready_pod(shop):
    shop.scale("api", 0)
    shop.advance(10)
    resp = shop.http("http://shop.example/api/x")
    assert resp.status == 503 and resp.pod is None and resp.service == "default/api"
    assert "<title>503 Service Temporarily Unavailable</title>" in resp.body
    assert "<center>nginx</center>" in resp.body  # server_tokens off: no version
    assert any("no ready endpoint" in h.note for h in resp.hops)
    assert shop.http("http://shop.example/").status == 200  # the other backend is fine


def test_503_when_the_service_is_missing(shop):
    shop.apply(ingress("ghost", [rule("ghost.example", ("/", "nosuch"))]))
    resp = shop.http("http://ghost.example/")
    assert resp.status == 503 and resp.pod is None
    assert resp.ingress.route.service == "nosuch"


def test_a_hung_pod_is_retried_on_the_next_endpoint(shop):
    """proxy_next_upstream: a timed-out upstream is retried on the next endpoint (up to 3 tries);
    when every try fails, 504."""
    first = shop.http("http://shop.example/api/hostname").pod
    shop.set_fault(first.split("/")[1], "hang")
    hung_ip = shop.get("Pod", first.split("/")[1]).status.pod_ip
    answers = [shop.http("http://shop.example/api/hostname") for _ in range(6)]
    assert all(r.status == 200 and r.pod != first for r in answers)
    retried = [r for r in answers if any(h.dst == hung_ip for h in r.hops)]
    assert len(retried) == 2  # each time its turn came, the hung pod was tried first
    for pod in pods_of(shop, "api"):
        shop.set_fault(pod.split("/")[1], "hang")
    resp = shop.http("http://shop.example/api/hostname")
    assert resp.status == 504 and "504 Gateway Time-out" in resp.body and resp.pod is None


def test_404_from_the_controller_for_an_unknown_host(shop):
    resp = shop.http("http://unknown.example/")
    assert resp.status == 404 and resp.pod is None and resp.service is None
    assert resp.ingress.route is None and resp.ingress.server == "_"
    assert "<title>404 Not Found</title>" in resp.body
    assert resp.reason.endswith(f"from ingress controller {controller_pod(shop).key}")


def test_host_header_with_an_ip_url(shop):
    """curl -H 'Host: shop.example' http://192.168.49.200/: the Host header picks the site."""
    resp = shop.http(f"http://{LB_IP}/api/hostname", headers={"Host": "shop.example"})
    assert resp.status == 200 and resp.service == "default/api"
    assert resp.hops[0].where == "outside"  # an IP needs no DNS
    assert shop.http(f"http://{LB_IP}/").status == 404  # no Host header: no site
    shop.apply(ingress("any", [rule(None, ("/", "web"))]))
    assert shop.http(f"http://{LB_IP}/").service == "default/web"
    assert shop.http(f"http://{LB_IP}/", headers={"host": "SHOP.example:80"}).ingress.route.ingress == "default/shop"


def test_simple_fan_out(shop):
    """The docs' simple fan-out: one host, /api to one Service and / to another."""
    assert shop.http("http://shop.example/api").service == "default/api"
    assert shop.http("http://shop.example/api/v1/items").service == "default/api"
    assert shop.http("http://shop.example/apiary").service == "default/web"  # Prefix is element-wise
    page = shop.http("http://shop.example/")
    assert page.service == "default/web" and "Welcome to nginx!" in page.body
    assert shop.http("http://shop.example/missing.html").status == 404  # nginx's own 404, from the pod
    assert shop.http("http://shop.example/missing.html").pod in pods_of(shop, "web")


def test_name_based_virtual_hosting(shop):
    shop.apply(ingress("vhosts", [rule("foo.bar.com", ("/", "api")), rule("bar.foo.com", ("/", "web")),
                                  rule(None, ("/", "web"))]))
    assert shop.http("http://foo.bar.com/hostname").service == "default/api"
    assert shop.http("http://bar.foo.com/").service == "default/web"
    assert shop.http("http://anything.else/").service == "default/web"
    assert shop.http("http://shop.example/api").service == "default/api"  # its own rules still


# ------------------------------------------------------------------------------ TLS


def tls_site(cluster, secret: bool = True) -> None:
    if secret:
        cluster.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "shop-tls"},
                       "type": "kubernetes.io/tls", "stringData": {"tls.crt": "cert", "tls.key": "key"}})
    cluster.apply(ingress("shop", [rule("shop.example", ("/api", "api"), ("/", "web"))],
                          tls=[{"hosts": ["shop.example"], "secretName": "shop-tls"}]))


def test_https_with_a_tls_secret(shop):
    tls_site(shop)
    resp = shop.http("https://shop.example/api/hostname")
    assert resp.status == 200 and resp.service == "default/api"
    assert resp.tls.certificate == "secret default/shop-tls" and not resp.tls.default
    assert resp.tls.server_name == "shop.example"
    # minikube's ConfigMap (which the add-on installs in both shapes) says hsts: "false".
    assert "Strict-Transport-Security" not in resp.headers
    shop.apply({"apiVersion": "v1", "kind": "ConfigMap", "data": {"hsts": "true"},
                "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"}})
    again = shop.http("https://shop.example/api/hostname")
    assert again.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_https_for_a_host_without_tls_gets_the_fake_certificate(shop):
    resp = shop.http("https://shop.example/")
    assert resp.status == 200 and resp.service == "default/web"
    assert resp.tls.certificate == FAKE_CERTIFICATE and resp.tls.default
    assert "Strict-Transport-Security" not in resp.headers


def test_https_by_ip_sends_no_sni_and_gets_the_default_certificate(shop):
    tls_site(shop)
    resp = shop.http(f"https://{LB_IP}/", headers={"Host": "shop.example"})
    assert resp.status == 200 and resp.service == "default/web"
    assert resp.tls.server_name is None and resp.tls.certificate == FAKE_CERTIFICATE


def test_a_missing_secret_means_the_default_certificate(shop):
    tls_site(shop, secret=False)
    resp = shop.http("https://shop.example/")
    assert resp.status == 200 and resp.tls.certificate == FAKE_CERTIFICATE and resp.tls.default
    assert "does not exist" in resp.tls.note


def test_http_for_a_tls_host_is_redirected(shop):
    """ssl-redirect: plain HTTP for a host with TLS gets 308 to the same URL over https."""
    tls_site(shop)
    resp = shop.http("http://shop.example/api/items?page=2")
    assert resp.status == 308 and resp.pod is None
    assert resp.headers["Location"] == "https://shop.example/api/items?page=2"
    # lua_ingress.lua drops a final "/" from the redirect unless preserve-trailing-slash is set.
    assert shop.http("http://shop.example/api/").headers["Location"] == "https://shop.example/api"
    assert "<title>308 Permanent Redirect</title>" in resp.body
    assert shop.http("http://other.example/").status == 404  # no TLS, no redirect (and no rule)


# ------------------------------------------------------------------------------ determinism


def test_same_seed_same_pods_addresses_and_answers():
    def run() -> list:
        cluster = lab(seed=7)
        cluster.apply(ingress("shop", [rule("shop.example", ("/api", "api"), ("/", "web"))]))
        pods = sorted((p.key, p.status.pod_ip, p.spec.node_name) for p in cluster.pods(None))
        answers = [(r.status, r.pod, r.body, r.headers.get("Date"), [str(h) for h in r.hops])
                   for r in (cluster.http(u) for u in ["http://shop.example/api/hostname"] * 4
                             + ["http://shop.example/", "http://x.example/", "https://shop.example/api/clientip"])]
        return [pods, answers]

    first, second = run(), run()
    assert first == second
    assert len(first[0]) >= 6
