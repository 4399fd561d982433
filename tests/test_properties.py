"""Properties that hold after any sequence of operations (hypothesis draws the sequences)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kitlib

NODES = ["minikube", "minikube-m02", "minikube-m03"]

operation = st.one_of(
    st.tuples(st.just("scale"), st.integers(0, 8)),
    st.tuples(st.just("delete"), st.integers(0, 20)),
    st.tuples(st.just("advance"), st.floats(0, 400, allow_nan=False)),
    st.tuples(st.just("fail"), st.sampled_from(NODES)),
    st.tuples(st.just("restore"), st.sampled_from(NODES)),
    st.tuples(st.just("cordon"), st.sampled_from(NODES)),
    st.tuples(st.just("uncordon"), st.sampled_from(NODES)),
)

invalid_operation = st.sampled_from([
    lambda c: c.scale("web", -1),
    lambda c: c.delete("Pod", "no-such-pod"),
    lambda c: c.kubectl("scale deployment web --replicas=-3"),
    lambda c: c.kubectl("get pdos"),
    lambda c: c.kubectl("create deployment web --image=nginx"),
    lambda c: c.kubectl("create deployment Bad_Name --image=nginx"),
    lambda c: c.kubectl("create deployment big --image=nginx --port=70000"),
    lambda c: c.label("Deployment", "web", {"app": "other"}),
    lambda c: c.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "fresh"}},
                       {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
                        "spec": {"replicas": -2}}]),
    lambda c: c.cordon("minikube-m07"),
])

# The `snapshot` fixture is a pure function, so sharing it across examples is safe.
SETTINGS = settings(max_examples=40, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def run(cluster: kitlib.Cluster, op) -> None:
    verb, arg = op
    if verb == "scale":
        cluster.scale("web", arg)
    elif verb == "delete":
        live = [p for p in cluster.pods() if p.metadata.deletion_timestamp is None]
        if live:
            cluster.delete("Pod", live[arg % len(live)].name)
    elif verb == "advance":
        cluster.advance(arg)
    elif verb == "fail":
        cluster.fail_node(arg)
    elif verb == "restore":
        cluster.restore_node(arg)
    elif verb == "cordon":
        cluster.cordon(arg)
    else:
        cluster.uncordon(arg)


def new_cluster(seed: int) -> kitlib.Cluster:
    c = kitlib.Cluster(nodes=3, seed=seed)
    c.kubectl("create deployment web --image=nginx --replicas=3 --port=80")
    return c


def assert_addresses_sound(cluster: kitlib.Cluster) -> None:
    ips = [p.status.pod_ip for p in cluster.pods() if p.status.pod_ip]
    assert len(ips) == len(set(ips)), ips
    for pod in cluster.pods():
        if pod.status.pod_ip:
            cidr = cluster.get("Node", pod.spec.node_name).spec.pod_cidr
            assert ipaddress.ip_address(pod.status.pod_ip) in ipaddress.ip_network(cidr)
            assert cluster.topology.pod_with_ip(pod.status.pod_ip) == pod.key


@SETTINGS
@given(seed=st.integers(0, 2**16), ops=st.lists(operation, max_size=12))
def test_pod_ips_are_unique_and_inside_their_node_cidr(seed, ops):
    """Whatever happens, no two pods share an IP and each IP lies in its node's podCIDR."""
    cluster = new_cluster(seed)
    for op in ops:
        run(cluster, op)
        assert_addresses_sound(cluster)


@SETTINGS
@given(seed=st.integers(0, 2**16), ops=st.lists(operation, max_size=12))
def test_replicas_converge_once_nodes_are_back(seed, ops):
    """After every node is restored and uncordoned and time passes, exactly spec.replicas pods run
    and none is left Terminating; every running pod answers on its port."""
    cluster = new_cluster(seed)
    for op in ops:
        run(cluster, op)
    for node in NODES:
        cluster.restore_node(node)
        cluster.uncordon(node)
    cluster.advance(60)
    replicas = cluster.get("Deployment", "web").spec.replicas
    pods = cluster.pods()
    assert len(pods) == replicas
    assert all(p.status.phase == "Running" and p.metadata.deletion_timestamp is None for p in pods)
    d = cluster.get("Deployment", "web")
    assert (d.status.ready_replicas or 0) == replicas
    for pod in pods:
        assert cluster.connect("node/minikube", pod.key, 80).ok
    assert_addresses_sound(cluster)


@SETTINGS
@given(seed=st.integers(0, 2**16), ops=st.lists(operation, max_size=8), bad=invalid_operation)
def test_a_failed_call_changes_nothing(snapshot, seed, ops, bad):
    """In any state, a call that fails leaves everything exactly as it was."""
    cluster = new_cluster(seed)
    for op in ops:
        run(cluster, op)
    before = snapshot(cluster)
    with pytest.raises(kitlib.ApiError):
        bad(cluster)
    assert snapshot(cluster) == before


@settings(SETTINGS, max_examples=15)
@given(seed=st.integers(0, 2**16), ops=st.lists(operation, max_size=10))
def test_same_seed_same_history(snapshot, seed, ops):
    """Two clusters with the same seed given the same operations end in the same state."""
    a, b = new_cluster(seed), new_cluster(seed)
    for op in ops:
        run(a, op)
        run(b, op)
    assert snapshot(a) == snapshot(b)
