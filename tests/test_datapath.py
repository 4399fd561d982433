"""The data path: how a connection travels through veths, bridges, routes and the VXLAN overlay."""

from __future__ import annotations

import pytest

import kitlib


def pod_on(cluster, node):
    return cluster.pods_on(node)[0]


def assert_hops_are_graph_edges(cluster, conn):
    """Consecutive hops are adjacent vertices of the topology graph (an outer hop repeats none)."""
    g = cluster.topology.graph
    path = conn.path
    assert path, conn
    for v in path:
        assert v in g, v
    for a, b in zip(path, path[1:], strict=False):
        assert g.has_edge(a, b), (a, b)


@pytest.fixture
def same_node(cluster):
    """Two pods of `web` on minikube (the other nodes cordoned while they were created)."""
    cluster.cordon("minikube-m02")
    cluster.cordon("minikube-m03")
    cluster.kubectl("create deployment web --image=nginx --replicas=2 --port=80")
    cluster.advance(30)
    return cluster


def test_same_node_path_stays_on_the_bridge(same_node):
    """Pods on one node talk through their veths and the cni0 bridge: eth0 → veth → cni0 → veth →
    eth0, with no routing hop in the node's kernel and no overlay."""
    a, b = same_node.pods()
    conn = same_node.connect(a.key, b.key, 80)
    assert conn.ok, conn
    kinds = [same_node.topology.graph.nodes[v]["kind"] for v in conn.path]
    assert kinds == ["pod", "veth", "bridge", "veth", "pod"]
    assert not any(v.startswith(("kernel:", "flannel.1:")) for v in conn.path)
    assert {(h.src, h.dst) for h in conn.hops} == {(a.status.pod_ip, b.status.pod_ip)}
    assert conn.pod == b.key
    assert_hops_are_graph_edges(same_node, conn)


def test_cross_node_path_goes_through_the_overlay(web):
    """Across nodes the packet is routed to flannel.1, wrapped in UDP 8472 between the two node
    IPs, unwrapped on the other node and bridged to the pod, with its source IP unchanged."""
    a, b = pod_on(web, "minikube"), pod_on(web, "minikube-m03")
    conn = web.connect(a.key, b.key, 80)
    assert conn.ok, conn
    path = conn.path
    for v in ("kernel:minikube", "flannel.1:minikube", "eth0:minikube", "lan", "eth0:minikube-m03",
              "flannel.1:minikube-m03", "kernel:minikube-m03", "cni0:minikube-m03"):
        assert v in path, v
    assert path.index("flannel.1:minikube") < path.index("lan") < path.index("flannel.1:minikube-m03")
    outer = [h for h in conn.hops if h.dst.endswith(":8472")]
    assert [h.vertex for h in outer] == ["kernel:minikube", "eth0:minikube", "lan", "eth0:minikube-m03",
                                         "kernel:minikube-m03"]
    assert {(h.src, h.dst) for h in outer} == {("192.168.49.2", "192.168.49.4:8472")}
    inner = [h for h in conn.hops if h not in outer]
    assert {(h.src, h.dst) for h in inner} == {(a.status.pod_ip, b.status.pod_ip)}
    assert conn.hops[-1].vertex == f"pod:{b.key}"
    assert conn.reason.endswith(f"it sees the client as {a.status.pod_ip}")
    assert conn.src_ip == a.status.pod_ip and conn.dst_ip == b.status.pod_ip
    assert_hops_are_graph_edges(web, conn)


def test_route_notes_name_the_routes(web):
    """The kernel hops show flannel's routes: via flannel.1 onlink to another node's podCIDR,
    dev cni0 to the local one."""
    a, b = pod_on(web, "minikube"), pod_on(web, "minikube-m02")
    notes = [h.note for h in web.connect(a.key, b.key, 80).hops
             if h.vertex.startswith("kernel:") and not h.dst.endswith(":8472")]
    assert notes == ["route 10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink", "route 10.244.1.0/24 dev cni0"]


def test_connection_by_ip_equals_by_name(web):
    """A destination given as the pod's IP takes the same path as one given as ns/pod."""
    a, b = pod_on(web, "minikube"), pod_on(web, "minikube-m02")
    by_name = web.connect(a.key, b.key, 80)
    by_ip = web.connect(a.key, b.status.pod_ip, 80)
    assert by_ip.ok and by_ip.path == by_name.path and by_ip.pod == b.key


def test_a_port_nginx_does_not_listen_on_is_refused(web):
    """Only the ports the image's program listens on accept connections (nginx: 80/TCP): another
    port, or UDP on a TCP port, is refused, and the reason says what does listen."""
    a, b = pod_on(web, "minikube"), pod_on(web, "minikube-m02")
    refused = web.connect(a.key, b.key, 8080)
    assert not refused.ok and refused.pod is None and refused.failure == "refused"
    assert refused.reason == (f"nothing in pod {b.name} listens on 8080/TCP (its containers listen on 80/TCP): "
                              "connection refused")
    assert refused.hops[-1].vertex == f"pod:{b.key}"
    assert not web.connect(a.key, b.key, 80, protocol="UDP").ok


def test_external_client_cannot_reach_a_pod_ip(web):
    """Pod IPs exist only inside the cluster: from outside, a pod IP is unreachable."""
    b = pod_on(web, "minikube-m02")
    conn = web.connect("external", b.status.pod_ip, 80)
    assert not conn.ok
    assert "pod IP" in conn.reason and "has a route" in conn.reason
    assert conn.path == ["external"]


def test_external_client_reaches_a_node_port_it_listens_on(web):
    """From outside, a node IP is reachable over the node network; the kubelet listens on 10250."""
    conn = web.connect("external", "node/minikube-m02", 10250)
    assert conn.ok and conn.path == ["external", "lan", "eth0:minikube-m02", "kernel:minikube-m02"]
    assert not web.connect("external", "192.168.49.3", 80).ok
    assert_hops_are_graph_edges(web, conn)


def test_node_reaches_pods_with_its_device_address(web):
    """A node reaches every pod; the kernel gives the packet the address of the device it leaves
    by: cni0's 10.244.0.1 towards its own pods, flannel.1's 10.244.0.0 towards other nodes' pods."""
    local, remote = pod_on(web, "minikube"), pod_on(web, "minikube-m03")
    conn = web.connect("node/minikube", local.key, 80)
    assert conn.ok and conn.path[0] == "kernel:minikube" and conn.src_ip == "10.244.0.1"
    assert conn.hops[-1].src == "10.244.0.1"
    far = web.connect("node/minikube", remote.key, 80)
    assert far.ok and far.src_ip == "10.244.0.0"
    assert far.reason.endswith("it sees the client as 10.244.0.0")
    assert_hops_are_graph_edges(web, far)


def test_pod_to_another_node_ip_is_masqueraded(web):
    """Traffic from a pod to a node IP leaves the pod network, so flannel masquerades it: the node
    sees the source node's IP. To its own node's IP the source stays the pod's IP."""
    a = pod_on(web, "minikube")
    conn = web.connect(a.key, "node/minikube-m02", 10250)
    assert conn.ok, conn
    assert any("MASQUERADE" in h.note for h in conn.hops)
    assert conn.hops[0].src == a.status.pod_ip
    assert conn.hops[-1].src == "192.168.49.2" and conn.hops[-1].dst == "192.168.49.3"
    assert_hops_are_graph_edges(web, conn)
    own = web.connect(a.key, "node/minikube", 10250)
    assert own.ok and own.hops[-1].src == a.status.pod_ip
    assert not any("MASQUERADE" in h.note for h in own.hops)


def test_node_port_without_listener_is_refused(web):
    """A node port nobody listens on refuses; the API server's 8443 is on the control plane only."""
    a = pod_on(web, "minikube-m02")
    assert web.connect(a.key, "node/minikube", 8443).ok
    conn = web.connect(a.key, "node/minikube-m03", 8443)
    assert not conn.ok and "connection refused" in conn.reason


def test_pod_on_failed_node_times_out(web):
    """A pod on a node that stopped answering is unreachable at once: the packet is lost."""
    a, b = pod_on(web, "minikube"), pod_on(web, "minikube-m02")
    web.fail_node("minikube-m02")
    conn = web.connect(a.key, b.key, 80)
    assert not conn.ok and conn.reason.startswith("node minikube-m02 does not answer")
    assert "times out" in conn.reason
    back = web.connect(b.key, a.key, 80)
    assert not back.ok and "is down" in back.reason
    web.restore_node("minikube-m02")
    assert web.connect(a.key, b.key, 80).ok


def test_freed_ip_has_no_route_to_host(web):
    """Once a pod is gone its IP answers nothing: the bridge gets no ARP reply, 'No route to host'."""
    a, b = pod_on(web, "minikube"), pod_on(web, "minikube-m02")
    old_ip = b.status.pod_ip
    web.delete("Pod", b.name)
    web.advance(10)
    conn = web.connect(a.key, old_ip, 80)
    assert not conn.ok and "No route to host" in conn.reason
    assert conn.path[-1] == "cni0:minikube-m02"
    assert_hops_are_graph_edges(web, conn)


def test_address_outside_every_pod_cidr(web):
    """A pod-network address in no node's podCIDR, or an internet address, goes nowhere."""
    a = pod_on(web, "minikube")
    assert "no route to host" in web.connect(a.key, "10.244.77.1", 80).reason
    assert "no internet" in web.connect(a.key, "8.8.8.8", 443).reason


def test_pod_without_an_ip_yet(cluster):
    """A pod whose sandbox is not ready has no IP: as destination the connection fails, as
    source it is an error."""
    cluster.kubectl("create deployment web --image=nginx --replicas=2 --port=80")
    a, b = cluster.pods()
    conn = cluster.connect("node/minikube", b.key, 80)
    assert not conn.ok and "has no IP yet" in conn.reason
    with pytest.raises(kitlib.BadRequest, match="has no IP yet"):
        cluster.connect(a.key, b.key, 80)


def test_container_not_started_refuses(cluster):
    """With an IP but the container still being created, nothing listens: connection refused."""
    cluster.kubectl("create deployment web --image=nginx --replicas=1 --port=80")
    cluster.advance(1)
    (pod,) = cluster.pods()
    assert pod.status.pod_ip
    conn = cluster.connect(f"node/{pod.spec.node_name}", pod.key, 80)
    assert not conn.ok and "not running yet" in conn.reason and "refused" in conn.reason


def test_bad_arguments_are_errors(web):
    """A wrong protocol, a port outside 1-65535 or a malformed pod reference is an error, not an outcome."""
    a = pod_on(web, "minikube")
    with pytest.raises(kitlib.BadRequest, match='unsupported protocol "ICMP"'):
        web.connect(a.key, a.key, 80, protocol="ICMP")
    with pytest.raises(kitlib.BadRequest, match="port 0 is not in 1-65535"):
        web.connect(a.key, a.key, 0)
    with pytest.raises(kitlib.BadRequest, match='"web" is not a pod reference'):
        web.connect("web", a.key, 80)
    with pytest.raises(kitlib.NotFound, match='pods "nope" not found'):
        web.connect("default/nope", a.key, 80)


def test_connection_reads_as_text(web):
    """str(Connection) is the outcome line followed by one line per hop."""
    a, b = pod_on(web, "minikube"), pod_on(web, "minikube-m02")
    text = str(web.connect(a.key, b.key, 80))
    lines = text.splitlines()
    assert lines[0].startswith("OK: container nginx of pod")
    assert len(lines) == 1 + len(web.connect(a.key, b.key, 80).hops)
    assert str(web.connect(a.key, b.key, 81)).startswith("FAILED: ")


def test_every_pair_of_pods_connects(web):
    """Flat pod network: every pod reaches every other pod on its declared port, without NAT."""
    web.scale("web", 5)
    web.advance(10)
    pods = web.pods()
    for a in pods:
        for b in pods:
            if a is b:
                continue
            conn = web.connect(a.key, b.key, 80)
            assert conn.ok, conn
            assert conn.hops[-1].src == a.status.pod_ip
            assert_hops_are_graph_edges(web, conn)


def test_topology_tracks_pods(web):
    """The graph gains a pod vertex and its veth when the sandbox is made, and loses them when the
    pod is gone."""
    g = web.topology.graph
    pod = pod_on(web, "minikube")
    veth = web.topology.veth(pod.key)
    assert veth and veth.startswith("veth") and len(veth) == 12
    assert g.has_edge(f"pod:{pod.key}", f"veth:minikube:{veth}")
    assert g.has_edge(f"veth:minikube:{veth}", "cni0:minikube")
    assert web.topology.pod_with_ip(pod.status.pod_ip) == pod.key
    web.delete("Pod", pod.name)
    web.advance(5)
    assert f"pod:{pod.key}" not in g and f"veth:minikube:{veth}" not in g
    assert web.topology.pod_with_ip(pod.status.pod_ip) is None
