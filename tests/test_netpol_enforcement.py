"""NetworkPolicy enforced by Calico in the data path (``connect``, ``traffic``, ``http``), and not
by flannel.

Felix evaluates a new connection once, after kube-proxy's DNAT: the sender's egress policy at
``cali-fw-<veth>`` on the sender's node, the receiver's ingress policy at ``cali-tw-<veth>`` on
the receiver's node; a packet no policy passes is dropped ("Drop if no policies passed packet"),
so the client times out. Conntrack lets the replies of an allowed connection through. The host's
own traffic to a local pod is not policed (Felix's ``filterOutputChain``), and traffic another
node forwards after SNAT (a NodePort with ``externalTrafficPolicy: Cluster`` whose endpoint is
elsewhere) reaches the pod from that node's tunl0 address, which pod selectors never match.
"""

from __future__ import annotations

import pytest

import kitlib

APPS = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: nginx, ports: [{name: http, containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 80, nodePort: 30080}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, labels: {app: client}}
spec:
  containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: other, labels: {app: other}}
spec:
  containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
"""

DENY_INGRESS = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-ingress}
spec:
  podSelector: {}
  policyTypes: [Ingress]
"""

ALLOW_CLIENT = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-client}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: 80}]
"""

DENY_EGRESS_CLIENT = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: client-deny-egress}
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
"""


def make(cni: str = "calico") -> kitlib.Cluster:
    c = kitlib.Cluster(nodes=3, seed=0, cni=cni)
    c.apply(APPS)
    c.advance(30)
    return c


def web_pods(c: kitlib.Cluster) -> list:
    return sorted((p for p in c.pods() if p.name.startswith("web-")), key=lambda p: p.name)


@pytest.fixture
def cluster() -> kitlib.Cluster:
    return make()


def test_without_policies_everything_talks_to_everything(cluster):
    """No policy selects a pod: it is not isolated, every connection is allowed."""
    for p in web_pods(cluster):
        assert cluster.connect("default/client", p.key, 80).ok


def test_default_deny_ingress_drops_at_the_receivers_cali_tw_chain(cluster):
    """An empty podSelector with policyTypes [Ingress] isolates every pod of the namespace; the
    packet crosses the network and is dropped on the receiver's node, the client times out."""
    cluster.apply(DENY_INGRESS)
    pod = next(p for p in web_pods(cluster) if p.spec.node_name != cluster.get("Pod", "client").spec.node_name)
    veth = cluster.runtime.topology.veth(pod.key)
    conn = cluster.connect("default/client", pod.key, 80)
    assert not conn.ok and conn.failure == "timeout"
    assert conn.reason == (f"NetworkPolicy: the ingress of default/{pod.name} does not allow "
                           f"{cluster.get('Pod', 'client').status.pod_ip} on 80/TCP: Calico drops the packet at "
                           f"cali-tw-{veth} on {pod.spec.node_name}, nothing answers and the connection times out")
    last = conn.hops[-1]
    assert last.vertex == f"kernel:{pod.spec.node_name}"
    assert (f"Calico (Felix) on {pod.spec.node_name}: cali-FORWARD → cali-to-wl-dispatch → cali-tw-{veth} "
            f"(to workload {pod.name}): isolated by default/default-deny-ingress") in last.note
    assert last.note.endswith('DROP ("Drop if no policies passed packet")')


def test_allow_by_label_and_a_relabel_takes_effect_at_once(cluster):
    """An ingress rule from podSelector app=client lets the client in and keeps others out;
    labelling the other pod app=client lets it in on the next connection."""
    cluster.apply(DENY_INGRESS)
    cluster.apply(ALLOW_CLIENT)
    pod = web_pods(cluster)[0]
    assert cluster.connect("default/client", pod.key, 80).ok
    assert cluster.connect("default/other", pod.key, 80).failure == "timeout"
    assert cluster.connect("default/client", pod.key, 81).failure == "timeout"  # not the allowed port
    cluster.label("Pod", "other", {"app": "client"}, overwrite=True)
    assert cluster.connect("default/other", pod.key, 80).ok


def test_through_a_service_the_policy_applies_to_the_endpoint_kube_proxy_chose(cluster):
    """kube-proxy DNATs in PREROUTING, before Felix's filter chains: the policy sees the endpoint
    pod and its port, and every endpoint the Service balances to is checked the same way."""
    cluster.apply(DENY_INGRESS)
    t = cluster.traffic("default/other", "web", 80, requests=9)
    assert t.served == {} and t.failed == 9
    assert all("cali-tw-" in reason for reason in t.reasons)
    conn = cluster.connect("default/other", "web", 80)
    assert conn.failure == "timeout" and conn.service == "default/web"
    assert "DNAT 10." in " ".join(h.note for h in conn.hops) and "cali-tw-" in conn.hops[-1].note
    cluster.apply(ALLOW_CLIENT)
    assert cluster.connect("default/client", "web", 80).ok
    assert cluster.http("http://web/", src="default/client").status == 200


def test_default_deny_egress_breaks_dns(cluster):
    """The client's own egress policy drops its DNS query to CoreDNS (53/UDP, after DNAT) at
    cali-fw-<veth> on its node: the name does not resolve. Allowing DNS to kube-system and the
    web pods' port brings it back."""
    cluster.apply(DENY_EGRESS_CLIENT)
    conn = cluster.connect("default/client", "web", 80)
    assert conn.failure == "dns"
    assert "reached no CoreDNS pod (NetworkPolicy: the egress of default/client does not allow" in conn.reason
    pod = web_pods(cluster)[0]
    direct = cluster.connect("default/client", pod.key, 80)
    client = cluster.get("Pod", "client")
    veth = cluster.runtime.topology.veth(client.key)
    assert direct.failure == "timeout" and direct.hops[-1].vertex == f"kernel:{client.spec.node_name}"
    assert f"cali-FORWARD → cali-from-wl-dispatch → cali-fw-{veth} (from workload client)" in direct.hops[-1].note
    cluster.apply("""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: client-egress}
spec:
  podSelector: {matchLabels: {app: client}}
  egress:
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}]
    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
  - to: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 80}]
""")
    assert cluster.connect("default/client", "web", 80).ok


def test_replies_of_an_allowed_connection_are_allowed(cluster):
    """The web pods deny all egress, yet they answer: conntrack passes the replies of a connection
    their ingress accepted, and egress policy only governs the connections they open."""
    cluster.apply("""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-no-egress}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
""")
    pod = web_pods(cluster)[0]
    assert cluster.connect("default/client", pod.key, 80).ok
    assert cluster.connect(pod.key, "default/client", 80).failure == "timeout"


def test_flannel_stores_policies_and_enforces_none():
    """minikube's default CNI ignores NetworkPolicy: the API accepts it, nothing changes."""
    c = make("flannel")
    c.apply(DENY_INGRESS)
    c.apply(DENY_EGRESS_CLIENT)
    assert "default-deny-ingress" in c.kubectl("get networkpolicy")
    assert all(c.connect("default/client", p.key, 80).ok for p in web_pods(c))
    assert c.connect("default/client", "web", 80).ok


def test_a_node_reaches_its_own_pods_but_not_others_through_default_deny(cluster):
    """Host to local workload is not policed; from another node the packet arrives from that
    node's tunl0 address, a peer no podSelector matches, and is dropped."""
    cluster.apply(DENY_INGRESS)
    pod = web_pods(cluster)[0]
    assert cluster.connect(f"node/{pod.spec.node_name}", pod.key, 80).ok
    other = next(n.name for n in cluster.nodes() if n.name != pod.spec.node_name)
    conn = cluster.connect(f"node/{other}", pod.key, 80)
    assert conn.failure == "timeout"
    assert f"does not allow {cluster.runtime.calico.tunnel[other]} on 80/TCP" in conn.reason


def test_nodeport_with_snat_reaches_the_policy_as_the_forwarding_nodes_tunl0_address(cluster):
    """An ipBlock for the outside client lets it in when the endpoint is on the node it dialled
    (Felix's chains run before the SNAT); through another node the source is that node's tunl0
    address after MASQUERADE, which the ipBlock does not cover."""
    cluster.kubectl("scale deployment web --replicas=1")
    cluster.advance(30)
    pod = web_pods(cluster)[0]
    cluster.apply("""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-outside}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{ipBlock: {cidr: 192.168.49.1/32}}]
""")
    local = cluster.connect("external", f"node/{pod.spec.node_name}", 30080)
    assert local.ok, local.reason
    other = next(n.name for n in cluster.nodes() if n.name != pod.spec.node_name)
    remote = cluster.connect("external", f"node/{other}", 30080)
    assert remote.failure == "timeout"
    assert f"does not allow {cluster.runtime.calico.tunnel[other]} on 80/TCP" in remote.reason


E2E = """
apiVersion: v1
kind: Pod
metadata: {name: sctp, labels: {pod: sctp}}
spec:
  containers:
  - name: cont-80-sctp
    image: registry.k8s.io/e2e-test-images/agnhost:2.53
    args: [porter]
    env: [{name: SERVE_SCTP_PORT_80, value: foo}]
---
apiVersion: v1
kind: Pod
metadata: {name: udp, labels: {pod: udp}}
spec:
  containers:
  - name: cont-81-udp
    image: registry.k8s.io/e2e-test-images/agnhost:2.53
    command: [/agnhost, serve-hostname, --udp, --http=false, --port, "81"]
"""


def test_the_e2e_suites_sctp_and_udp_servers_and_policies_by_protocol(cluster):
    """The e2e netpol suite's servers: agnhost porter with SERVE_SCTP_PORT_80 answers SCTP on 80,
    serve-hostname --udp on 81/UDP; a policy allowing only TCP 80 drops both; naming the protocol
    lets each through."""
    cluster.apply(E2E)
    cluster.advance(30)
    assert cluster.connect("default/client", "default/sctp", 80, "SCTP").ok
    assert cluster.connect("default/client", "default/sctp", 80).failure == "refused"  # nothing on TCP 80
    assert cluster.connect("default/client", "default/udp", 81, "UDP").ok
    cluster.apply("""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: tcp-only}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 80}]}]
""")
    assert cluster.connect("default/client", "default/sctp", 80, "SCTP").failure == "timeout"
    assert cluster.connect("default/client", "default/udp", 81, "UDP").failure == "timeout"
    cluster.apply("""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: tcp-only}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 80, protocol: SCTP}, {port: 81, protocol: UDP}]}]
""")
    assert cluster.connect("default/client", "default/sctp", 80, "SCTP").ok
    assert cluster.connect("default/client", "default/udp", 81, "UDP").ok
