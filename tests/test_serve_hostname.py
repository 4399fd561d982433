"""serve_hostname, the Debug Services page's ``hostnames`` image, and CoreDNS's start-up lines.

Sources: kubernetes/kubernetes ``test/images/serve_hostname/serve_hostname.go`` and its Dockerfile
(``ENTRYPOINT ["/serve_hostname"]``), agnhost's ``serve-hostname/serve_hostname.go`` (the same
program as a subcommand); coredns/coredns v1.14.6 ``coremain/run.go``, ``core/dnsserver/onstartup.go``,
``plugin/reload/reload.go``; coredns/caddy ``caddyfile/parse.go``; kubeadm's and minikube's Corefile.
"""

from __future__ import annotations

import pytest

import kitlib
from kitlib.container import corefile, listeners

AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.53"

KUBEADM_COREFILE = """\
.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
"""
"""kubeadm's Corefile before v1.33's ``cache`` block, as kind and kubeadm clusters run it."""


@pytest.fixture
def cluster() -> kitlib.Cluster:
    c = kitlib.Cluster(nodes=1, seed=0)
    c.kubectl("create deployment hostnames --image=registry.k8s.io/serve_hostname")
    c.kubectl("create deployment agn --image=" + AGNHOST + " -- /agnhost serve-hostname")
    c.advance(15)
    return c


def test_the_hostnames_image_listens_on_9376_and_is_not_an_unknown_image(cluster):
    """``registry.k8s.io/serve_hostname`` runs ``/serve_hostname``: HTTP on TCP 9376 (``-port``
    default), nothing else; kitlib knows it, so no ``UnknownImage`` warning."""
    p = cluster.pods(selector="app=hostnames")[0]
    assert listeners.listening_ports(cluster.runtime, p, p.spec.containers[0]) == {(9376, "TCP")}
    assert cluster.kubectl("get events --field-selector reason=UnknownImage") == "No resources found in default namespace."


@pytest.mark.parametrize(("args", "expected"), [
    (["-port=8000"], {(8000, "TCP")}),
    (["-udp", "-http=false"], {(9376, "UDP")}),
    (["-tcp"], set()),  # HTTP (the default) and TCP at once: log.Fatalf, nothing listens
])
def test_the_standalone_image_takes_the_same_flags(args, expected):
    """The standalone binary parses Go's flags: ``-port``, ``-tcp``, ``-udp``, ``-http``."""
    c = kitlib.Cluster(nodes=1, seed=0)
    c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "h"},
             "spec": {"containers": [{"name": "h", "image": "registry.k8s.io/serve_hostname", "args": args}]}})
    c.advance(15)
    p = c.get("Pod", "h")
    assert listeners.listening_ports(c.runtime, p, p.spec.containers[0]) == expected


@pytest.mark.parametrize("app", ["hostnames", "agn"])
def test_serve_hostname_answers_the_pod_hostname_without_a_newline_on_every_path(cluster, app):
    """``fmt.Fprintf(w, "%s", hostname)`` on ``/``: the body is ``os.Hostname()`` (the pod's name),
    no newline, on any path, the standalone image and agnhost's subcommand alike."""
    p = cluster.pods(selector=f"app={app}")[0]
    for path in ("/", "/anything"):
        r = cluster.http(f"http://{p.status.pod_ip}:9376{path}", src="node/minikube")
        assert (r.status, r.body) == (200, p.name)


def test_the_standalone_image_logs_only_each_request(cluster):
    """The standalone serve_hostname prints no start-up line (agnhost's prints ``Serving on port
    9376.``); each request: Go's ``log.Printf("HTTP request from %s", r.RemoteAddr)``."""
    p = cluster.pods(selector="app=hostnames")[0]
    r = cluster.http(f"http://{p.status.pod_ip}:9376/", src="node/minikube")
    (line,) = cluster.kubectl(f"logs {p.name}").splitlines()
    assert line.startswith(f"2026/01/01 00:00:15 HTTP request from {r.connection.hops[-1].src}:")
    agn = cluster.pods(selector="app=agn")[0]
    assert cluster.kubectl(f"logs {agn.name}").endswith(" Serving on port 9376.")


def test_the_reload_plugins_hash_is_the_one_kubeadm_clusters_print():
    """plugin/reload hashes ``json.Marshal`` of the parsed server blocks: kubeadm's Corefile gives
    the SHA512 its clusters log (``591cf328...``), seen in countless ``kubectl logs`` of CoreDNS."""
    assert corefile.configuration_sha512(KUBEADM_COREFILE) == (
        "591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52594972691"
        "cd6ff41be96639138a43908")


def test_coredns_prints_its_start_up_lines():
    """``kubectl logs --namespace=kube-system <coredns pod>`` (Debugging DNS Resolution): automaxprocs'
    line, the zone ``.:53``, the reload plugin's SHA512 of minikube's Corefile (kubeadm's plus the
    ``log`` plugin and the ``host.minikube.internal`` hosts block), then ``CoreDNS-1.14.6`` and
    ``linux/amd64, go1.26.5, 424d125``."""
    c = kitlib.Cluster(nodes=1, seed=0)
    name = c.kubectl("get pods --namespace=kube-system -l k8s-app=kube-dns -o name").strip()
    text = corefile.corefile(c.runtime)
    assert "    log\n    errors\n" in text and "       192.168.49.1 host.minikube.internal\n" in text
    assert c.kubectl(f"logs --namespace=kube-system {name}") == (
        "maxprocs: Leaving GOMAXPROCS=2: CPU quota undefined\n"
        ".:53\n"
        "[INFO] plugin/reload: Running configuration SHA512 = "
        "9e2996f8cb67ac53e0259ab1f8d615d07d1beb0bd07e6a1e39769c3bf486a905bb991cc47f8d2f14d0d3a90a87dfc625a0b4c524fed169d8"
        "158c40657c0694b1\n"
        "CoreDNS-1.14.6\n"
        "linux/amd64, go1.26.5, 424d125")
