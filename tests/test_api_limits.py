"""The API server's limits on names, labels and annotations, and who owns ``status`` on create
(issue 10): refused in apimachinery's words, and a refused call changes nothing."""

from __future__ import annotations

import pytest


def expect_unchanged(cluster, call, error, match):
    before = cluster.state()
    with pytest.raises(error, match=match):
        call()
    assert cluster.state() == before


# ---------------------------------------------------------------- status on create


def test_a_pod_created_with_a_status_starts_pending_without_it(web):
    """PrepareForCreate (pkg/registry/core/pod/strategy.go) replaces a new pod's status with
    ``phase: Pending``: a ``status.podIP`` the client wrote, even one another pod holds, is never
    stored, and the kubelet gives the pod an address of its own."""
    taken = web.pods()[0].status.pod_ip
    web.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "liar"},
               "spec": {"containers": [{"name": "c", "image": "nginx"}]},
               "status": {"phase": "Running", "podIP": taken, "podIPs": [{"ip": taken}],
                          "hostIP": "1.2.3.4"}})
    created = web.get("Pod", "liar")
    assert created.status.phase == "Pending"
    assert created.status.host_ip != "1.2.3.4"
    assert created.status.pod_ip != taken
    web.advance(10)
    pod = web.get("Pod", "liar")
    assert pod.status.phase == "Running"
    assert pod.status.pod_ip and pod.status.pod_ip != taken


def test_create_drops_the_status_of_every_kind_but_node(cluster):
    """Deployments, ReplicaSets, Services, Ingresses and Namespaces drop a client's status on create
    (their strategies' PrepareForCreate); the server and its controllers write it."""
    cluster.apply([
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"},
         "status": {"phase": "Terminating"}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
         "spec": {"selector": {"app": "x"}, "ports": [{"port": 80}]},
         "status": {"loadBalancer": {"ingress": [{"ip": "9.9.9.9"}]}}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
         "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "d"}},
                  "template": {"metadata": {"labels": {"app": "d"}},
                               "spec": {"containers": [{"name": "c", "image": "nginx"}]}}},
         "status": {"replicas": 7, "readyReplicas": 7}},
    ])
    assert cluster.get("Namespace", "team").status.phase == "Active"
    assert cluster.get("Service", "s").status.load_balancer.ingress == []
    assert not cluster.get("Deployment", "d").status.ready_replicas


def test_an_update_keeps_the_stored_status(web):
    """PrepareForUpdate keeps the stored status: a status in an applied manifest changes nothing."""
    pod = web.pods()[0]
    body = pod.to_dict()
    body["status"] = {"phase": "Failed", "podIP": "10.9.9.9"}
    web.apply(body)
    again = web.get("Pod", pod.name)
    assert again.status.phase == "Running"
    assert again.status.pod_ip == pod.status.pod_ip
