"""HTTP through the simulated network: cluster.http(url, src=...) and what containers answer."""

from __future__ import annotations

import pytest

import kitlib
from kitlib.api.node import internal_ip
from kitlib.network import http


@pytest.fixture
def site(web):
    """`web` (nginx x3) exposed as a NodePort Service, and a busybox client pod."""
    web.kubectl("expose deployment web --port=80 --type=NodePort")
    web.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client"},
               "spec": {"containers": [{"name": "client", "image": "busybox", "command": ["sleep", "3600"]}]}})
    web.advance(30)
    return web


def web_pods(cluster):
    return {p.key for p in cluster.pods(selector="app=web")}


def test_service_name_from_a_pod_is_answered_by_an_endpoint(site):
    """From a pod, http://web/ resolves through kube-dns, goes to the ClusterIP and is answered by
    one of the Service's pods with nginx's welcome page."""
    resp = site.http("http://web/", src="default/client")
    assert resp.status == 200 and resp.ok, resp
    assert resp.pod in web_pods(site) and resp.service == "default/web"
    assert resp.body.startswith("<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n")
    assert resp.headers["Content-Length"] == "615" and resp.headers["Server"] == "nginx/1.27.5"
    assert resp.hops[0].device == "resolver"
    assert resp.hops[0].note.startswith(
        f"DNS: web → web.default.svc.cluster.local → {site.get('Service', 'web').spec.cluster_ip}, "
        "asked of kube-dns 10.96.0.10")


def test_from_outside_by_node_ip_and_node_port(site):
    """From outside, a NodePort on any node's IP reaches a Service pod, even on a node that runs none."""
    node_port = site.get("Service", "web").spec.ports[0].node_port
    for node in site.nodes():
        resp = site.http(f"http://{internal_ip(node)}:{node_port}/", src="external")
        assert resp.status == 200 and resp.pod in web_pods(site), resp


def test_cluster_names_do_not_resolve_from_outside(site):
    """Outside the cluster nobody answers for cluster.local: no HTTP status, a DNS failure."""
    resp = site.http("http://web.default.svc.cluster.local/", src="external")
    assert resp.status is None and resp.failure == "dns"
    assert "does not know the cluster's private zone" in resp.reason


def test_cluster_ip_is_not_reachable_from_outside(site):
    """A ClusterIP exists only in the nodes' kube-proxy rules: from outside the request gets no answer."""
    resp = site.http(f"http://{site.get('Service', 'web').spec.cluster_ip}/", src="external")
    assert resp.status is None and resp.failure == "timeout"


def test_refused_connection_has_no_status(site):
    """A port nothing listens on refuses the connection: status None, the reason says so."""
    pod = site.pods(selector="app=web")[0]
    resp = site.http(f"http://{pod.status.pod_ip}:8080/", src="default/client")
    assert resp.status is None and resp.failure == "refused" and "refused" in resp.reason


def test_nginx_paths(site):
    """nginx serves /, /index.html and /50x.html; other paths get its built-in 404 page (CRLF line
    ends, the version in the footer); methods other than GET and HEAD get 405."""
    ip = site.pods(selector="app=web")[0].status.pod_ip
    assert site.http(f"http://{ip}/index.html", src="default/client").status == 200
    missing = site.http(f"http://{ip}/nope", src="default/client")
    assert missing.status == 404 and missing.status_text == "404 Not Found"
    assert missing.body == ("<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
                            "<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.27.5</center>\r\n"
                            "</body>\r\n</html>\r\n")
    assert not missing.ok
    pod = site.pods(selector="app=web")[0]
    container = pod.spec.containers[0]
    req = http.HttpRequest("POST", "http://x/", "x", 80, "/")
    assert http.respond(site.runtime, pod, container, req).status == 405


def test_agnhost_netexec_answers_hostname_echo_and_time(site):
    """agnhost netexec: /hostname is the pod's name, /echo?msg= echoes, / tells the time."""
    site.kubectl("create deployment echo --image=registry.k8s.io/e2e-test-images/agnhost:2.53 --port=8080 "
                 "-- /agnhost netexec --http-port=8080")
    site.advance(30)
    pod = site.pods(selector="app=echo")[0]
    base = f"http://{pod.status.pod_ip}:8080"
    assert site.http(f"{base}/hostname", src="default/client").body == pod.name
    assert site.http(f"{base}/echo?msg=hi", src="default/client").body == "hi"
    assert site.http(f"{base}/", src="default/client").body.startswith("NOW: 2026-01-01 00:01:")


def test_an_unknown_image_is_assumed_to_answer_like_agnhost_netexec_on_its_declared_port(site):
    """An image kitlib does not model is assumed to listen on its declared containerPorts and to
    answer as agnhost netexec (and a Warning event on the pod says so)."""
    site.kubectl("create deployment echo --image=example.com/team/app:1.0 --port=8080")
    site.advance(30)
    pod = site.pods(selector="app=echo")[0]
    assert site.http(f"http://{pod.status.pod_ip}:8080/hostname", src="default/client").body == pod.name


def test_http_echo_answers_its_text(site):
    """hashicorp/http-echo answers the text of its -text argument on every path."""
    site.apply({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "hello"},
                "spec": {"selector": {"matchLabels": {"app": "hello"}}, "template": {
                    "metadata": {"labels": {"app": "hello"}},
                    "spec": {"containers": [{"name": "hello", "image": "hashicorp/http-echo",
                                             "args": ["-text=hello world"], "ports": [{"containerPort": 5678}]}]}}}})
    site.advance(30)
    pod = site.pods(selector="app=hello")[0]
    assert site.http(f"http://{pod.status.pod_ip}:5678/any", src="default/client").body == "hello world\n"


def test_node_https_ports_reject_plain_http(site):
    """The kubelet (10250) speaks only HTTPS: a plain request gets Go's 400 answer."""
    resp = site.http("http://192.168.49.2:10250/", src="external")
    assert resp.status == 400 and resp.body == "Client sent an HTTP request to an HTTPS server.\n"


def test_localhost_is_the_pods_own_namespace(site):
    """localhost from a pod is the pod itself: no DNS, no network."""
    pod = site.pods(selector="app=web")[0]
    resp = site.http("http://localhost/", src=pod.key)
    assert resp.status == 200 and resp.pod == pod.key and [h.device for h in resp.hops] == ["lo"]
    assert site.http("http://localhost:81/", src=pod.key).failure == "refused"


def test_urls_that_are_not_http_are_errors(site):
    """https:// to a plain app gets no TLS handshake (TLS is simulated at the ingress controller only);
    other schemes and bad ports are errors, not outcomes."""
    resp = site.http("https://web:80/", src="default/client")
    assert resp.status is None and resp.failure == "tls" and "TLS only at the ingress controller" in resp.reason
    with pytest.raises(kitlib.BadRequest, match='unsupported scheme "ftp"'):
        site.http("ftp://web/", src="default/client")
    with pytest.raises(kitlib.BadRequest, match="the port is not a number"):
        site.http("http://web:99999/", src="default/client")
    before = site.state()
    with pytest.raises(kitlib.BadRequest, match=r"http://\[::1/: the host is not a valid address or name"):
        site.http("http://[::1/", src="default/client")
    assert site.state() == before


def test_response_reads_as_text(site):
    """str(HttpResponse) is the status line with the answering pod, the headers and the body."""
    text = str(site.http("http://web/", src="default/client"))
    assert text.startswith("HTTP/1.1 200 OK from default/web-") and "(via service default/web)" in text
    failed = str(site.http("http://nope/", src="default/client"))
    assert failed.startswith("FAILED: could not resolve nope")


def test_http_sends_the_method_it_is_given():
    """``Cluster.http(..., method=...)`` sends that method: nginx answers a HEAD with the headers and no
    body, and a POST to its static page with 405, as nginx does for static files."""
    c = kitlib.Cluster(nodes=1, seed=3)
    c.kubectl("create deployment web --image=nginx")
    c.settle()
    ip = c.pods()[0].status.pod_ip
    head = c.http(f"http://{ip}/", src="node/minikube", method="HEAD")
    assert (head.status, head.body) == (200, "")
    assert c.http(f"http://{ip}/", src="node/minikube", method="POST").status == 405
    assert c.http(f"http://{ip}/", src="node/minikube").status == 200


@pytest.mark.parametrize("method", ["", "GET /", "GE\nT", None, 7])
def test_a_method_that_is_no_token_is_refused_and_changes_nothing(method):
    """A method is an RFC 9110 token; anything else is refused before a packet is sent."""
    c = kitlib.Cluster(nodes=1, seed=3)
    before = c.state()
    with pytest.raises(kitlib.ApiError, match="invalid HTTP method"):
        c.http("http://10.96.0.1/", src="node/minikube", method=method)
    assert c.state() == before
