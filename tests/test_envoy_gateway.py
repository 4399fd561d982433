"""The gateway add-on (Envoy Gateway v1.9.0): what it installs, the proxy it creates per Gateway,
the status it writes, and requests through a Gateway's address with ``cluster.http``."""

from __future__ import annotations

import json

import pytest

import kitlib
from kitlib.addons.envoy_gateway import ENVOY_IMAGE, IMAGE, proxy_name

QUICKSTART = """
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg}
spec:
  gatewayClassName: eg
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: backend, labels: {app: backend, service: backend}}
spec:
  ports: [{name: http, port: 3000, targetPort: 3000}]
  selector: {app: backend}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: backend}
spec:
  replicas: 1
  selector: {matchLabels: {app: backend, version: v1}}
  template:
    metadata: {labels: {app: backend, version: v1}}
    spec:
      containers:
      - image: registry.k8s.io/gateway-api/echo-basic:v1.5.1
        imagePullPolicy: IfNotPresent
        name: backend
        ports: [{containerPort: 3000}]
        env:
        - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        - {name: NAMESPACE, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: backend}
spec:
  parentRefs: [{name: eg}]
  hostnames: ["www.example.com"]
  rules:
  - backendRefs: [{group: "", kind: Service, name: backend, port: 3000, weight: 1}]
    matches: [{path: {type: PathPrefix, value: /}}]
"""
"""Envoy Gateway v1.9.0's ``examples/kubernetes/quickstart.yaml`` without its GatewayClass (the
add-on creates it) and ServiceAccount (kitlib does not model them)."""


def quickstart(metallb: bool = True) -> kitlib.Cluster:
    c = kitlib.Cluster(nodes=2, seed=7)
    if metallb:
        c.enable_addon("metallb", addresses="192.168.49.200-192.168.49.250")
    c.enable_addon("gateway")
    c.apply(QUICKSTART)
    c.advance(60)
    return c


@pytest.fixture(scope="module")
def cluster() -> kitlib.Cluster:
    return quickstart()


def test_install_creates_the_controller_and_gatewayclass(cluster):
    """enable_addon("gateway") runs the envoy-gateway controller in envoy-gateway-system and creates
    GatewayClass eg, which the controller accepts ("Valid GatewayClass")."""
    dep = cluster.get("Deployment", "envoy-gateway", "envoy-gateway-system")
    assert dep.spec.template.spec.containers[0].image == IMAGE
    assert dep.status.available_replicas == 1
    gc = cluster.get("GatewayClass", "eg", "")
    assert gc.spec.controller_name == "gateway.envoyproxy.io/gatewayclass-controller"
    [cond] = gc.status.conditions
    assert (cond.type, cond.status, cond.reason, cond.message) == ("Accepted", "True", "Accepted", "Valid GatewayClass")


def test_proxy_per_gateway_named_and_labelled_as_envoy_gateway_does(cluster):
    """Each Gateway gets a Deployment and a LoadBalancer Service envoy-<ns>-<name>-<hash> in
    envoy-gateway-system; listener port 80 is the Service's port http-80 with target 10080."""
    name = proxy_name("default", "eg")
    assert name == "envoy-default-eg-e41e7b31"
    svc = cluster.get("Service", name, "envoy-gateway-system")
    assert svc.spec.type == "LoadBalancer"
    assert [(p.name, p.port, p.target_port) for p in svc.spec.ports] == [("http-80", 80, 10080)]
    assert svc.metadata.labels == {"app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy",
                                   "app.kubernetes.io/managed-by": "envoy-gateway",
                                   "gateway.envoyproxy.io/owning-gateway-name": "eg",
                                   "gateway.envoyproxy.io/owning-gateway-namespace": "default"}
    dep = cluster.get("Deployment", name, "envoy-gateway-system")
    envoy = dep.spec.template.spec.containers[0]
    assert envoy.image == ENVOY_IMAGE == "docker.io/envoyproxy/envoy:distroless-v1.39.0"
    assert [p.container_port for p in envoy.ports] == [19001, 19003, 10080]
    assert dep.status.ready_replicas == 1


def test_gateway_and_route_status(cluster):
    """With MetalLB the proxy Service gets an address; the Gateway reports it and is Accepted and
    Programmed, its listener has one attached route; the HTTPRoute is Accepted with ResolvedRefs."""
    gw = cluster.get("Gateway", "eg")
    assert [(a.type, a.value) for a in gw.status.addresses] == [("IPAddress", "192.168.49.200")]
    assert [(c.type, c.status, c.reason, c.message) for c in gw.status.conditions] == [
        ("Accepted", "True", "Accepted", "The Gateway has been scheduled by Envoy Gateway"),
        ("Programmed", "True", "Programmed", "Address assigned to the Gateway, 1/1 envoy replicas available")]
    [listener] = gw.status.listeners
    assert listener.attached_routes == 1 and [k.kind for k in listener.supported_kinds] == ["HTTPRoute", "GRPCRoute"]
    [parent] = cluster.get("HTTPRoute", "backend").status.parents
    assert parent.controller_name == "gateway.envoyproxy.io/gatewayclass-controller"
    assert [(c.type, c.status, c.message) for c in parent.conditions] == [
        ("Accepted", "True", "Route is accepted"),
        ("ResolvedRefs", "True", "Resolved all the Object references for the Route")]


def test_http_through_the_gateway_reaches_echo_basic(cluster):
    """cluster.http resolves www.example.com to the Gateway's address; envoy routes by the HTTPRoute
    and proxies to the backend pod, whose echo-basic describes the request it saw as JSON."""
    resp = cluster.http("http://www.example.com/get?x=1")
    assert resp.status == 200 and resp.ip == "192.168.49.200"
    # Envoy Gateway's PASS_THROUGH: no server header of Envoy's; echo-basic (Go) sends none.
    assert "server" not in resp.headers and resp.headers["content-type"] == "application/json"
    body = json.loads(resp.body)
    pod = cluster.pods(selector="app=backend")[0]
    assert (body["path"], body["host"], body["method"], body["proto"]) == ("/get?x=1", "www.example.com", "GET",
                                                                            "HTTP/1.1")
    assert (body["namespace"], body["pod"], body["httpPort"]) == ("default", pod.name, "3000")
    assert body["headers"]["X-Forwarded-Proto"] == ["http"]
    assert body["headers"]["X-Forwarded-For"] == ["192.168.49.1"]
    match = resp.gateway
    assert (match.gateway, match.listener, match.route, match.rule) == ("default/eg", "http", "default/backend", 0)
    assert str(match.backend) == "Service/default/backend:3000"
    assert resp.pod == pod.key and resp.service == "default/backend"


def test_no_route_is_envoys_empty_404(cluster):
    """A host the Gateway serves but no route matches: Envoy's 404 with an empty body."""
    resp = cluster.http("http://192.168.49.200/", headers={"Host": "other.example.com"})
    assert resp.status == 404 and resp.body == "" and resp.headers["content-length"] == "0"
    assert resp.gateway.entry is None


def test_no_ready_endpoint_is_503_no_healthy_upstream():
    """With the backend scaled to zero envoy answers 503 "no healthy upstream"; a backend Service that
    does not exist answers 500 and the route's ResolvedRefs turns False (BackendNotFound)."""
    c = quickstart()
    c.kubectl("scale deployment backend --replicas=0")
    c.advance(40)
    resp = c.http("http://www.example.com/")
    assert (resp.status, resp.body) == (503, "no healthy upstream")
    c.kubectl("delete service backend")
    c.advance(1)
    assert c.http("http://www.example.com/").status == 500
    [parent] = c.get("HTTPRoute", "backend").status.parents
    resolved = next(x for x in parent.conditions if x.type == "ResolvedRefs")
    assert (resolved.status, resolved.reason, resolved.message) == ("False", "BackendNotFound",
                                                                    "Service default/backend not found.")


def test_redirect_and_header_modifiers():
    """A RequestRedirect answers with its status and Location; a ResponseHeaderModifier adds to the
    backend's answer, a RequestHeaderModifier to what the backend sees."""
    c = quickstart()
    c.apply("""
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: extras}
spec:
  parentRefs: [{name: eg}]
  hostnames: ["www.example.com"]
  rules:
  - matches: [{path: {type: PathPrefix, value: /old}}]
    filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 301}}]
  - matches: [{path: {type: PathPrefix, value: /hdr}}]
    filters:
    - {type: RequestHeaderModifier, requestHeaderModifier: {add: [{name: X-Team, value: blue}]}}
    - {type: ResponseHeaderModifier, responseHeaderModifier: {set: [{name: X-Served-By, value: gateway}]}}
    backendRefs: [{name: backend, port: 3000}]
""")
    c.advance(1)
    redirect = c.http("http://www.example.com/old/page")
    assert (redirect.status, redirect.headers["location"]) == (301, "https://www.example.com/old/page")
    resp = c.http("http://www.example.com/hdr")
    assert resp.headers["x-served-by"] == "gateway"  # Envoy writes header names in lower case
    assert json.loads(resp.body)["headers"]["X-Team"] == ["blue"]
    assert resp.gateway.route == "default/extras"


def test_deleting_a_gateway_deletes_its_proxy():
    """The controller deletes a Gateway's proxy Deployment and Service with the Gateway."""
    c = quickstart()
    c.kubectl("delete gateway eg")
    c.advance(30)
    left = [p.name for p in c.pods("envoy-gateway-system")]
    assert c.list("Service", "envoy-gateway-system")[0].name == "envoy-gateway" and len(left) == 1
    assert left[0].startswith("envoy-gateway-")


def test_a_listener_without_routes_answers_404():
    """A listener with no route attached is still programmed: Envoy answers 404."""
    c = quickstart()
    c.kubectl("delete httproute backend")
    c.advance(1)
    resp = c.http("http://192.168.49.200/")
    assert (resp.status, resp.body) == (404, "")


def test_without_metallb_the_gateway_has_no_address():
    """Without a load-balancer implementation the proxy Service stays pending, and the Gateway is
    Programmed False with reason AddressNotAssigned, as Envoy Gateway reports it."""
    c = quickstart(metallb=False)
    gw = c.get("Gateway", "eg")
    assert gw.status.addresses == []
    programmed = next(x for x in gw.status.conditions if x.type == "Programmed")
    assert (programmed.status, programmed.reason, programmed.message) == (
        "False", "AddressNotAssigned", "No addresses have been assigned to the Gateway")


def test_echo_basic_listens_on_3000_and_logs():
    """echo-basic (registry.k8s.io/gateway-api/echo-basic) serves HTTP on 3000 and logs its start."""
    c = kitlib.Cluster(nodes=1, seed=3)
    c.kubectl("create deployment echo --image=registry.k8s.io/gateway-api/echo-basic:v1.5.1")
    c.advance(30)
    pod = c.pods()[0]
    resp = c.http(f"http://{pod.status.pod_ip}:3000/hello", src="node/minikube", headers={"x-custom": "1"})
    body = json.loads(resp.body)
    assert body["path"] == "/hello" and body["headers"] == {"X-Custom": ["1"]} and body["pod"] == ""
    assert c.http(f"http://{pod.status.pod_ip}:3000/health", src="node/minikube").body == "OK"
    logs = c.kubectl(f"logs {pod.name}")
    assert logs.splitlines()[0] == "Starting server, listening on port 3000 (http)"
    assert "Echoing back request made to /hello to client (" in logs


def test_echo_basic_host_is_what_the_client_sent():
    """echo-basic's ``host`` is Go's ``r.Host``: the Host the client sent, with the URL's port when it
    is not the default, not the container's port behind a Service."""
    c = kitlib.Cluster(nodes=1, seed=3)
    c.kubectl("create deployment echo --image=registry.k8s.io/gateway-api/echo-basic:v1.5.1")
    c.kubectl("expose deployment echo --port=80 --target-port=3000")
    c.advance(30)
    ip = c.get("Service", "echo").spec.cluster_ip
    assert json.loads(c.http(f"http://{ip}/", src="node/minikube").body)["host"] == ip
    pod_ip = c.pods()[0].status.pod_ip
    assert json.loads(c.http(f"http://{pod_ip}:3000/", src="node/minikube").body)["host"] == f"{pod_ip}:3000"


def test_without_an_address_the_nodeport_of_a_node_running_envoy_answers():
    """The proxy Service is a LoadBalancer with externalTrafficPolicy Local (Envoy Gateway's
    default): without an address its NodePort reaches envoy on the node that runs it, and times
    out on a node that does not."""
    c = quickstart(metallb=False)
    svc = c.get("Service", proxy_name("default", "eg"), "envoy-gateway-system")
    assert svc.spec.external_traffic_policy == "Local"
    node_port = svc.spec.ports[0].node_port
    envoy = c.pods("envoy-gateway-system", selector="app.kubernetes.io/name=envoy")[0]
    ips = {n.name: next(a.address for a in n.status.addresses if a.type == "InternalIP") for n in c.nodes()}
    here = c.http(f"http://{ips[envoy.spec.node_name]}:{node_port}/", headers={"Host": "www.example.com"})
    assert here.status == 200 and here.gateway.route == "default/backend"
    other = next(ip for name, ip in ips.items() if name != envoy.spec.node_name)
    there = c.http(f"http://{other}:{node_port}/", headers={"Host": "www.example.com"})
    assert (there.status, there.failure) == (None, "timeout")


def test_bad_options_change_nothing(snapshot):
    """The gateway add-on takes no options: asking with one is refused and changes nothing."""
    c = kitlib.Cluster(nodes=1, seed=5)
    before = snapshot(c)
    with pytest.raises(kitlib.BadRequest, match=r"the gateway addon takes no options \(got replicas\)"):
        c.enable_addon("gateway", replicas=2)
    assert snapshot(c) == before and c.addons == {}


def test_https_listener_terminates_tls_with_its_secret():
    """An HTTPS listener terminates TLS with the certificate of its Secret, chosen by the SNI name;
    its Secret missing, the listener is not programmed (InvalidCertificateRef) and the handshake fails."""
    c = quickstart()
    c.apply("""
apiVersion: v1
kind: Secret
metadata: {name: www-tls}
type: kubernetes.io/tls
data: {tls.crt: Y2VydA==, tls.key: a2V5}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg}
spec:
  gatewayClassName: eg
  listeners:
  - {name: http, protocol: HTTP, port: 80}
  - {name: https, protocol: HTTPS, port: 443, hostname: www.example.com,
     tls: {mode: Terminate, certificateRefs: [{kind: Secret, name: www-tls}]}}
  - {name: broken, protocol: HTTPS, port: 443, hostname: other.example.com,
     tls: {certificateRefs: [{name: missing}]}}
""")
    c.advance(30)
    resp = c.http("https://www.example.com/")
    assert resp.status == 200 and resp.tls.certificate == "secret default/www-tls"
    assert resp.gateway.listener == "https"
    broken = next(ls for ls in c.get("Gateway", "eg").status.listeners if ls.name == "broken")
    resolved = next(x for x in broken.conditions if x.type == "ResolvedRefs")
    assert (resolved.reason, resolved.message) == (
        "InvalidCertificateRef", "No valid secrets exist: certificate refs 0: Secret default/missing does not exist.")
    assert c.http("https://192.168.49.200/", headers={"Host": "other.example.com"}).status is None
