"""Cluster DNS: CoreDNS's records, each pod's resolv.conf and the resolver's search list."""

from __future__ import annotations

import pytest

import kitlib
from kitlib.controllers import kubelet
from kitlib.network import dns


def _pod(name: str, namespace: str = "default", image: str = "busybox", **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
            "spec": {"containers": [{"name": name, "image": image, "command": ["sleep", "3600"]}], **spec}}


def _service(name: str, namespace: str = "default", **spec) -> dict:
    spec.setdefault("selector", {"app": name})
    spec.setdefault("ports", [{"name": "http", "port": 80, "targetPort": 80}])
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace}, "spec": spec}


@pytest.fixture
def dns_lab(web):
    """`web` with a ClusterIP Service, a busybox client pod in `default`, and namespace `other`
    holding its own `web` Service (no pods) and a client."""
    web.apply(_service("web"))
    web.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}})
    web.apply(_service("web", "other"))
    web.apply(_pod("client"))
    web.apply(_pod("client", "other"))
    web.advance(30)
    return web


def ip_of(cluster, name, namespace="default"):
    return cluster.get("Service", name, namespace).spec.cluster_ip


def test_service_name_resolves_to_cluster_ip(dns_lab):
    """<svc>.<ns>.svc.cluster.local has an A record with the Service's ClusterIP, TTL 30."""
    answer = dns_lab.resolve("web.default.svc.cluster.local", src="default/client")
    assert answer.ok and answer.addresses == [ip_of(dns_lab, "web")]
    assert str(answer.records[0]) == f"web.default.svc.cluster.local.\t30\tIN\tA\t{ip_of(dns_lab, 'web')}"
    assert answer.server == "10.96.0.10"


def test_search_list_is_tried_in_order(dns_lab):
    """A name with fewer than 5 dots is tried with each search suffix first, in resolv.conf's
    order, and only then as it is."""
    answer = dns_lab.resolve("nosuch", src="default/client")
    assert not answer.ok and answer.rcode == "NXDOMAIN"
    assert [n for n, _ in answer.tried] == ["nosuch.default.svc.cluster.local", "nosuch.svc.cluster.local",
                                            "nosuch.cluster.local", "nosuch"]
    assert dns.candidates("a.b.c.d.e.f", ("x",)) == ["a.b.c.d.e.f", "a.b.c.d.e.f.x"]
    assert dns.candidates("web.", ("x",)) == ["web"]


def test_short_name_resolves_in_the_pods_own_namespace(dns_lab):
    """The first search suffix is the pod's namespace: `web` is default/web from default and
    other/web from other."""
    here = dns_lab.resolve("web", src="default/client")
    there = dns_lab.resolve("web", src="other/client")
    assert here.fqdn == "web.default.svc.cluster.local" and here.address == ip_of(dns_lab, "web")
    assert there.fqdn == "web.other.svc.cluster.local" and there.address == ip_of(dns_lab, "web", "other")
    assert here.tried == [("web.default.svc.cluster.local", "NOERROR")]


def test_namespace_qualified_short_name_reaches_another_namespace(dns_lab):
    """`web.other` is first tried as web.other.default.svc.cluster.local (NXDOMAIN), then as
    web.other.svc.cluster.local, the Service in namespace other."""
    answer = dns_lab.resolve("web.other", src="default/client")
    assert answer.ok and answer.address == ip_of(dns_lab, "web", "other")
    assert answer.tried == [("web.other.default.svc.cluster.local", "NXDOMAIN"),
                            ("web.other.svc.cluster.local", "NOERROR")]


def test_cluster_ip_resolves_even_without_endpoints(dns_lab):
    """A ClusterIP Service's A record does not depend on its endpoints (other/web selects no pod)."""
    assert dns_lab.resolve("web.other.svc.cluster.local").ok


def test_missing_names_are_nxdomain(dns_lab):
    """Unknown services, unknown namespaces and names outside svc/pod get NXDOMAIN; a namespace
    name on its own exists but has no record (NODATA)."""
    for name in ("nope.default.svc.cluster.local", "web.nons.svc.cluster.local", "web.cluster.local"):
        assert dns.query(dns_lab.runtime, name).rcode == "NXDOMAIN", name
    reply = dns.query(dns_lab.runtime, "default.svc.cluster.local")
    assert reply.rcode == "NOERROR" and reply.nodata


def test_headless_service_answers_the_ready_pods_only(dns_lab):
    """A headless Service (clusterIP: None) has one A record per ready endpoint; a pod that is
    not ready drops out. (Readiness probes arrive later; the kubelet's flag stands in here.)"""
    dns_lab.apply(_service("web-headless", clusterIP="None", selector={"app": "web"}))
    pods = sorted(dns_lab.pods(selector="app=web"), key=lambda p: p.status.pod_ip)
    answer = dns_lab.resolve("web-headless", src="default/client")
    assert sorted(answer.addresses) == sorted(p.status.pod_ip for p in pods)
    kubelet.set_ready(dns_lab.runtime, dns_lab.api.get("Pod", pods[0].name), False)
    dns_lab.controllers.run()
    answer = dns_lab.resolve("web-headless", src="default/client")
    assert pods[0].status.pod_ip not in answer.addresses and len(answer.addresses) == 2


def test_headless_with_publish_not_ready_addresses_answers_every_pod(dns_lab):
    """publishNotReadyAddresses marks every endpoint ready, so DNS lists unready pods too."""
    dns_lab.apply(_service("peers", clusterIP="None", selector={"app": "web"}, publishNotReadyAddresses=True))
    pods = dns_lab.pods(selector="app=web")
    kubelet.set_ready(dns_lab.runtime, dns_lab.api.get("Pod", pods[0].name), False)
    dns_lab.controllers.run()
    assert len(dns_lab.resolve("peers").addresses) == 3


def test_headless_without_ready_endpoints_is_nxdomain(dns_lab):
    """A headless Service with no ready endpoint has no name at all (NXDOMAIN), unlike a ClusterIP one."""
    dns_lab.apply(_service("empty", clusterIP="None", selector={"app": "none"}))
    answer = dns_lab.resolve("empty.default.svc.cluster.local")
    assert not answer.ok and answer.rcode == "NXDOMAIN"


def test_external_name_is_a_cname(dns_lab):
    """An ExternalName Service is a CNAME to spec.externalName; the target is outside the cluster
    and this simulator has no internet, so no address follows it."""
    dns_lab.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db"},
                   "spec": {"type": "ExternalName", "externalName": "db.example.com"}})
    cname = dns_lab.resolve("db", src="default/client", type="CNAME")
    assert cname.ok and [str(r) for r in cname.records] == [
        "db.default.svc.cluster.local.\t30\tIN\tCNAME\tdb.example.com."]
    a = dns.query(dns_lab.runtime, "db.default.svc.cluster.local", "A")
    assert [r.type for r in a.records] == ["CNAME"]


def test_external_name_to_a_cluster_name_is_followed(dns_lab):
    """When the CNAME target is itself a cluster name, CoreDNS adds its A record to the answer."""
    dns_lab.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "alias"},
                   "spec": {"type": "ExternalName", "externalName": "web.other.svc.cluster.local"}})
    answer = dns_lab.resolve("alias", src="default/client")
    assert answer.ok and answer.address == ip_of(dns_lab, "web", "other")
    assert [r.type for r in answer.records] == ["CNAME", "A"]


def test_srv_records_for_named_ports(dns_lab):
    """_<port>._<proto>.<svc>.<ns>.svc.cluster.local has an SRV record: priority 0, weight 100, the
    Service port and the Service name; a headless Service has one per endpoint, with the pod's
    port, a dashed-IP target and the weight split between them."""
    name = "_http._tcp.web.default.svc.cluster.local"
    srv = dns_lab.resolve(name, type="SRV")
    assert [r.data for r in srv.records] == ["0 100 80 web.default.svc.cluster.local."]
    dns_lab.apply(_service("web-headless", clusterIP="None", selector={"app": "web"},
                           ports=[{"name": "http", "port": 8080, "targetPort": 80}]))
    srv = dns_lab.resolve("_http._tcp.web-headless.default.svc.cluster.local", type="SRV")
    ips = sorted(p.status.pod_ip for p in dns_lab.pods(selector="app=web"))
    assert sorted(r.data for r in srv.records) == sorted(
        f"0 33 80 {ip.replace('.', '-')}.web-headless.default.svc.cluster.local." for ip in ips)
    assert not dns_lab.resolve("_nope._tcp.web.default.svc.cluster.local", type="SRV").ok


def test_pod_a_records(dns_lab):
    """a-b-c-d.<ns>.pod.cluster.local answers a.b.c.d (CoreDNS `pods insecure`)."""
    ip = dns_lab.pods(selector="app=web")[0].status.pod_ip
    answer = dns_lab.resolve(f"{ip.replace('.', '-')}.default.pod.cluster.local")
    assert answer.ok and answer.address == ip
    assert not dns_lab.resolve("not-an-ip.default.pod.cluster.local.").ok


def test_resolv_conf_for_cluster_first(dns_lab):
    """The kubelet gives a ClusterFirst pod kube-dns, the search list of its namespace and ndots:5
    (cri-dockerd, minikube's runtime, writes nameserver first)."""
    pod = dns_lab.get("Pod", "client", "other")
    assert dns.resolv_conf(dns_lab.runtime, pod) == (
        "nameserver 10.96.0.10\n"
        "search other.svc.cluster.local svc.cluster.local cluster.local\n"
        "options ndots:5\n")


def test_dns_policy_default_uses_the_node_resolver(dns_lab):
    """dnsPolicy Default (CoreDNS's own) is the node's resolver, which knows no cluster names."""
    coredns = dns_lab.pods("kube-system", "k8s-app=kube-dns")[0]
    assert dns.resolv_conf(dns_lab.runtime, coredns) == "nameserver 192.168.49.1\noptions ndots:0\n"
    dns_lab.apply(_pod("plain", dnsPolicy="Default"))
    dns_lab.advance(30)
    answer = dns_lab.resolve("web", src="default/plain")
    assert not answer.ok and "dnsPolicy Default" in answer.reason


def test_dns_config_is_merged(dns_lab):
    """spec.dnsConfig adds nameservers and search domains and overrides options by name."""
    dns_lab.apply(_pod("tuned", dnsConfig={"searches": ["corp.example"], "options": [{"name": "ndots", "value": "2"}]}))
    text = dns.resolv_conf(dns_lab.runtime, dns_lab.get("Pod", "tuned"))
    assert "search default.svc.cluster.local svc.cluster.local cluster.local corp.example\n" in text
    assert text.endswith("options ndots:2\n")


def test_lookups_fail_when_kube_dns_has_no_endpoints(dns_lab):
    """DNS is itself a Service: with CoreDNS scaled to zero, kube-dns has no endpoints and every
    lookup fails, even for names that exist."""
    dns_lab.scale("coredns", 0, namespace="kube-system")
    dns_lab.advance(40)
    answer = dns_lab.resolve("web", src="default/client")
    assert not answer.ok and answer.rcode is None
    assert "no ready endpoints" in answer.reason and "timeout" in answer.reason
    dns_lab.scale("coredns", 1, namespace="kube-system")
    dns_lab.advance(40)
    assert dns_lab.resolve("web", src="default/client").ok


def test_lookups_fail_when_corednss_node_is_down(dns_lab):
    """A query DNATed to a CoreDNS pod on a node that stopped answering is lost: the lookup times out."""
    dns_lab.fail_node("minikube")
    answer = dns_lab.resolve("web", src="default/client")
    assert not answer.ok and "times out" in answer.reason


def test_no_cluster_dns_from_outside_or_from_a_node(dns_lab):
    """Only pods use kube-dns: a machine outside and the nodes ask their own resolvers."""
    outside = dns_lab.resolve("web.default.svc.cluster.local", src="external")
    assert not outside.ok and "does not know the cluster's private zone" in outside.reason
    node = dns_lab.resolve("web", src="node/minikube-m02")
    assert not node.ok and "not CoreDNS" in node.reason


def test_names_outside_the_cluster_have_no_internet(dns_lab):
    """CoreDNS forwards other names upstream; the simulator has no internet (SERVFAIL), and a
    made-up top-level domain is NXDOMAIN as the root servers say."""
    google = dns_lab.resolve("google.com", src="default/client")
    assert not google.ok and google.rcode == "SERVFAIL" and "no internet" in google.reason
    assert dns.query(dns_lab.runtime, "kubernetes.default").rcode == "NXDOMAIN"
    assert dns.query(dns_lab.runtime, "host.minikube.internal").records[0].data == "192.168.49.1"


def test_reverse_lookup_of_a_cluster_ip(dns_lab):
    """PTR for a ClusterIP names the Service."""
    answer = dns_lab.resolve("1.0.96.10.in-addr.arpa", type="PTR")
    assert [r.data for r in answer.records] == ["kubernetes.default.svc.cluster.local."]


def test_answer_reads_as_text(dns_lab):
    """str(DnsAnswer) says what answered, what was tried and the records."""
    text = str(dns_lab.resolve("web.other", src="default/client"))
    assert text.startswith("OK: web.other → web.other.svc.cluster.local (asked of kube-dns 10.96.0.10)")
    assert "tried web.other.default.svc.cluster.local: NXDOMAIN" in text


def test_bad_arguments_are_errors(dns_lab):
    """An unknown record type or a malformed source is an error, not an answer."""
    with pytest.raises(kitlib.BadRequest, match='unsupported query type "MX"'):
        dns_lab.resolve("web", type="MX")
    with pytest.raises(kitlib.BadRequest, match='"client" is not a pod reference'):
        dns_lab.resolve("web", src="client")
    with pytest.raises(kitlib.NotFound, match='pods "ghost" not found'):
        dns_lab.resolve("web", src="default/ghost")


def test_resolving_changes_nothing(dns_lab, snapshot):
    """A lookup is an observation: the cluster, its clock and its random generator stay as they were."""
    before = snapshot(dns_lab)
    dns_lab.resolve("web", src="default/client")
    dns_lab.resolve("nope", src="other/client")
    assert snapshot(dns_lab) == before


def test_connect_to_a_name_resolves_first(dns_lab):
    """cluster.connect from a pod to a Service name starts with the DNS lookup, then goes to the
    ClusterIP as for the address: kube-proxy DNATs it to a pod."""
    conn = dns_lab.connect("default/client", "web", 80)
    assert conn.ok and conn.service == "default/web" and conn.pod.startswith("default/web-")
    ip = ip_of(dns_lab, "web")
    assert conn.hops[0].device == "resolver" and conn.dst_ip == ip
    assert conn.hops[0].note == f"DNS: web → web.default.svc.cluster.local → {ip}, asked of kube-dns 10.96.0.10"
    assert any("DNAT" in h.note for h in conn.hops)
    # The DNS hop stands on the client's own vertex, so the path lists it once.
    assert conn.path[0] == "pod:default/client" and conn.path[1] != conn.path[0]
    fqdn = dns_lab.connect("default/client", "web.default.svc.cluster.local", 80)
    assert fqdn.ok and fqdn.hops[0].note.startswith("DNS: web.default.svc.cluster.local → 10.")


def test_connect_to_a_name_from_outside_fails_at_dns(dns_lab):
    """From outside (and from a node) a cluster name does not resolve, so nothing is sent."""
    for src in ("external", "node/minikube"):
        conn = dns_lab.connect(src, "web", 80)
        assert not conn.ok and conn.reason.startswith("web does not resolve: ")
        assert [h.device for h in conn.hops] == ["resolver"] and conn.dst_ip == ""
    assert not dns_lab.connect("default/client", "nope", 80).ok
