"""The application model (kitlib.container): what each image answers, its warm-up and the fault switches."""

from __future__ import annotations

import pytest

import kitlib
from kitlib.container import behaviour


def webapp(cluster: kitlib.Cluster, image: str = "kitlib/webapp:1.0", env: list | None = None) -> kitlib.api.pod.Pod:
    container = {"name": "web", "image": image, "ports": [{"containerPort": 8080}]}
    if env:
        container["env"] = env
    cluster.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "app"},
                   "spec": {"containers": [container]}})
    cluster.advance(5)
    return cluster.get("Pod", "app")


def get(cluster, p, path: str):
    return cluster.http(f"http://{p.status.pod_ip}:8080{path}", src="node/minikube")


def test_webapp_refuses_connections_while_it_warms_up(cluster):
    """The demo app runs but does not listen for its first 10 s: connections are refused."""
    p = webapp(cluster)
    r = get(cluster, p, "/")
    assert r.failure == "refused" and "warm-up 10 s" in r.reason
    cluster.advance(10)
    r = get(cluster, p, "/")
    assert r.status == 200 and r.body == "Hello from app (1.0)\n"


def test_webapp_health_endpoints(cluster):
    """/live and /ready answer 200; dependency-down turns /ready (and other paths) to 503, not /live."""
    p = webapp(cluster)
    cluster.advance(10)
    assert (get(cluster, p, "/live").body, get(cluster, p, "/ready").body) == ("ok\n", "ready\n")
    cluster.set_fault("app", "dependency-down")
    assert get(cluster, p, "/ready").status == 503
    assert get(cluster, p, "/").status == 503
    assert get(cluster, p, "/live").status == 200
    cluster.set_fault("app", "dependency-down", on=False)
    assert get(cluster, p, "/ready").status == 200


def test_warm_up_can_be_set_with_env(cluster):
    """WARMUP_SECONDS in the container's env sets the warm-up."""
    p = webapp(cluster, env=[{"name": "WARMUP_SECONDS", "value": "30"}])
    cluster.advance(10)
    assert get(cluster, p, "/").failure == "refused"
    cluster.advance(20)
    assert get(cluster, p, "/").status == 200


def test_broken_tag_is_never_ready(cluster):
    """kitlib/webapp:broken serves but its /ready is always 503: a bad release."""
    p = webapp(cluster, "kitlib/webapp:broken")
    cluster.advance(10)
    assert get(cluster, p, "/ready").status == 503


def test_nginx_listens_at_once_and_has_no_ready_path(web):
    """nginx needs no warm-up; /ready is an ordinary unknown path to it (404)."""
    p = web.pods()[0]
    r = web.http(f"http://{p.status.pod_ip}/ready", src="node/minikube")
    assert r.status == 404
    assert behaviour.behaviour(p.spec.containers[0]).warmup == 0


def test_hang_times_out_requests_and_traffic(web):
    """A hung app accepts connections but never answers: http times out, traffic counts failures."""
    p = web.pods()[0]
    web.set_fault(p.name, "hang")
    r = web.http(f"http://{p.status.pod_ip}/", src="node/minikube")
    assert r.failure == "timeout" and "hangs" in r.reason
    t = web.traffic("node/minikube", p.status.pod_ip, 80, requests=10)
    assert t.failed == 10


def test_crash_refuses_connections_while_the_container_is_down(web):
    """A crashed container is not running: connections are refused until it restarts."""
    p = web.pods()[0]
    web.set_fault(p.name, "crash")
    web.advance(0.1)
    r = web.http(f"http://{p.status.pod_ip}/", src="node/minikube")
    assert r.failure == "refused"


def test_slow_still_answers(web):
    """A slow app answers (after 3 s): clients without a short timeout still get 200."""
    p = web.pods()[0]
    web.set_fault(p.name, "slow")
    assert web.http(f"http://{p.status.pod_ip}/", src="node/minikube").status == 200
    assert behaviour.latency(web.runtime, p) == behaviour.SLOW_SECONDS


def test_faults_are_per_pod(web):
    """A fault switched on one pod leaves the others alone."""
    a, b = web.pods()[:2]
    web.set_fault(a.name, "hang")
    assert web.http(f"http://{b.status.pod_ip}/", src="node/minikube").status == 200


def test_set_fault_on_a_missing_pod_is_not_found(cluster):
    with pytest.raises(kitlib.NotFound, match='pods "nope" not found'):
        cluster.set_fault("nope", "hang")


def test_pods_without_probes_or_faults_schedule_nothing_new(cluster):
    """nginx pods without probes put nothing on the clock once they run (today's timings stay)."""
    cluster.kubectl("create deployment web --image=nginx --replicas=3 --port=80")
    cluster.advance(30)
    assert not any(name.startswith("kitlib.controllers.prober.") for _, _, name in cluster.clock.pending())


def test_localhost_sees_the_warm_up_and_the_hang(cluster):
    """From inside the pod (localhost) the app is just as unready or hung."""
    webapp(cluster)
    assert cluster.http("http://localhost:8080/", src="default/app").failure == "refused"
    cluster.advance(10)
    assert cluster.http("http://localhost:8080/", src="default/app").status == 200
    cluster.set_fault("app", "hang")
    assert cluster.http("http://localhost:8080/", src="default/app").failure == "timeout"
