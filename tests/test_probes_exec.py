"""Probes run what they say: exec probes run their command in the container (against the files its
main process wrote), httpGet probes ask the app, and ``initialDelaySeconds`` counts from the
container's start. The documentation's examples (kubernetes.io/docs/tasks/configure-pod-container/
configure-liveness-readiness-startup-probes/) hold with their own timings."""

from __future__ import annotations

import kitlib
from kitlib.clock import parse_timestamp
from kitlib.controllers import prober

LIVENESS_EXEC = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"labels": {"test": "liveness"}, "name": "liveness-exec"},
    "spec": {"containers": [{
        "name": "liveness", "image": "registry.k8s.io/busybox:1.27.2",
        "args": ["/bin/sh", "-c", "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"],
        "livenessProbe": {"exec": {"command": ["cat", "/tmp/healthy"]}, "initialDelaySeconds": 5,
                          "periodSeconds": 5}}]}}
"""The documentation's pods/probe/exec-liveness.yaml."""

LIVENESS_HTTP = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"labels": {"test": "liveness"}, "name": "liveness-http"},
    "spec": {"containers": [{
        # No containerPort, as in the documentation: agnhost liveness listens on 8080 all the same.
        "name": "liveness", "image": "registry.k8s.io/e2e-test-images/agnhost:2.40", "args": ["liveness"],
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080,
                                      "httpHeaders": [{"name": "Custom-Header", "value": "Awesome"}]},
                          "initialDelaySeconds": 3, "periodSeconds": 3}}]}}
"""The documentation's pods/probe/http-liveness.yaml."""


def started_at(pod) -> float:
    cs = pod.status.container_statuses[0]
    return parse_timestamp(cs.state.running.started_at)


def messages(cluster: kitlib.Cluster, name: str) -> list[tuple[str, str, float]]:
    prober.catch_up(cluster.runtime)
    p = cluster.get("Pod", name)
    return [(e.reason, e.message, e.last_seen) for e in cluster.events.for_object("Pod", p.metadata.uid)]


def test_liveness_exec_restarts_when_the_file_is_gone(cluster):
    """The file exists for the first 30 s, so `cat /tmp/healthy` succeeds; after that it fails
    three times (failureThreshold) and the kubelet kills the container. `sh` as PID 1 ignores
    SIGTERM, so it is killed with SIGKILL 30 s later (exit code 137), then restarted."""
    cluster.apply(LIVENESS_EXEC)
    cluster.advance(25)
    start = started_at(cluster.get("Pod", "liveness-exec"))
    assert cluster.kubectl("exec liveness-exec -- cat /tmp/healthy") == ""
    assert not [m for m in messages(cluster, "liveness-exec") if m[0] == "Unhealthy"]
    cluster.advance(start + 31 - cluster.now)
    out = cluster.kubectl("describe pod liveness-exec")
    assert "Liveness:      exec [cat /tmp/healthy] delay=5s timeout=1s period=5s" in out
    cluster.advance(start + 46 - cluster.now)
    unhealthy = [m for m in messages(cluster, "liveness-exec") if m[0] == "Unhealthy"]
    assert unhealthy[0][1] == "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n"
    killing = [m for m in messages(cluster, "liveness-exec") if m[0] == "Killing"]
    assert killing[0][1] == "Container liveness failed liveness probe, will be restarted"
    assert start + 35 <= killing[0][2] <= start + 45
    assert cluster.get("Pod", "liveness-exec").status.container_statuses[0].restart_count == 0
    cluster.advance(killing[0][2] + 31 - cluster.now)  # SIGKILL after the 30 s grace period
    cs = cluster.get("Pod", "liveness-exec").status.container_statuses[0]
    assert cs.restart_count == 1
    assert (cs.last_state.terminated.reason, cs.last_state.terminated.exit_code) == ("Error", 137)
    assert "    Last State:    Terminated\n      Reason:       Error\n      Exit Code:    137\n" in \
        cluster.kubectl("describe pod liveness-exec")
    assert cluster.kubectl("get pod liveness-exec").splitlines()[1].split()[1:4] == ["1/1", "Running", "1"]


def test_liveness_http_restarts_after_agnhosts_ten_healthy_seconds(cluster):
    """agnhost liveness answers /healthz with 200 for its first 10 s, then 500: probes every 3 s
    from 3 s fail at 12, 15 and 18 s, and the container is restarted (Go as PID 1 exits 2 on
    SIGTERM)."""
    cluster.apply(LIVENESS_HTTP)
    cluster.advance(5)
    start = started_at(cluster.get("Pod", "liveness-http"))
    cluster.advance(start + 10.5 - cluster.now)
    assert not [m for m in messages(cluster, "liveness-http") if m[0] == "Unhealthy"]
    cluster.advance(start + 18.5 - cluster.now)
    found = messages(cluster, "liveness-http")
    unhealthy = [m for m in found if m[0] == "Unhealthy"]
    assert [round(m[2] - start) for m in found if m[0] == "Unhealthy"] in ([12], [18])  # one event, counted
    assert unhealthy[0][1] == "Liveness probe failed: HTTP probe failed with statuscode: 500"
    assert any(m[1] == "Container liveness failed liveness probe, will be restarted" and round(m[2] - start) == 18
               for m in found)
    cluster.advance(3)
    cs = cluster.get("Pod", "liveness-http").status.container_statuses[0]
    assert cs.restart_count == 1 and cs.last_state.terminated.exit_code == 2


def test_agnhost_liveness_answers_like_its_server_go(cluster):
    """/healthz: 200 `ok` for 10 s, then 500 `error: <seconds>`; unknown paths: Go's 404."""
    cluster.apply({**LIVENESS_HTTP, "spec": {"containers": [{**LIVENESS_HTTP["spec"]["containers"][0],
                                                            "livenessProbe": None}]}})
    cluster.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client"},
                   "spec": {"containers": [{"name": "c", "image": "curlimages/curl", "command": ["sleep", "1d"]}]}})
    cluster.advance(6)
    ip = cluster.get("Pod", "liveness-http").status.pod_ip
    assert cluster.kubectl(f"exec client -- curl -s http://{ip}:8080/healthz") == "ok"
    assert cluster.kubectl(f"exec client -- curl -s http://{ip}:8080/nope") == "404 page not found"
    cluster.advance(15)
    assert cluster.kubectl(f"exec client -- curl -s http://{ip}:8080/healthz").startswith("error: ")


def test_startup_probe_gives_a_slow_app_its_five_minutes(cluster):
    """The documentation's startup probe (failureThreshold 30 × periodSeconds 10): an app that
    needs 2 minutes starts and is never killed; one that needs more than 5 is killed at 290 s
    ("failed startup probe, will be restarted")."""
    probe = {"httpGet": {"path": "/healthz", "port": "liveness-port"}}
    for name, warmup in (("slow", "120"), ("stuck", "400")):
        cluster.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {"containers": [{
            "name": "web", "image": "kitlib/webapp:1.0", "env": [{"name": "WARMUP_SECONDS", "value": warmup}],
            "ports": [{"name": "liveness-port", "containerPort": 8080}],
            "livenessProbe": {**probe, "failureThreshold": 1, "periodSeconds": 10},
            "startupProbe": {**probe, "failureThreshold": 30, "periodSeconds": 10}}]}})
    cluster.advance(5)
    start = {n: started_at(cluster.get("Pod", n)) for n in ("slow", "stuck")}
    cluster.advance(start["slow"] + 125 - cluster.now)
    slow = cluster.get("Pod", "slow").status.container_statuses[0]
    assert slow.started and slow.ready and slow.restart_count == 0
    cluster.advance(start["stuck"] + 295 - cluster.now)
    killing = [m for m in messages(cluster, "stuck") if m[0] == "Killing"]
    assert [(m[1], round(m[2] - start["stuck"])) for m in killing] == [
        ("Container web failed startup probe, will be restarted", 290)]
    assert cluster.get("Pod", "slow").status.container_statuses[0].restart_count == 0


def test_initial_delay_counts_from_container_start_not_from_startup_success(cluster):
    """With a startup probe, readiness's initialDelaySeconds still counts from the container's
    start (worker.go skips while time.Since(StartedAt) < InitialDelaySeconds, and separately while
    not started). An app that starts in 20 s with a readiness delay of 25 s is ready ~25 s after
    its start, not 20 + 25 = 45 s."""
    cluster.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{
        "name": "web", "image": "kitlib/webapp:1.0", "env": [{"name": "WARMUP_SECONDS", "value": "20"}],
        "ports": [{"containerPort": 8080}],
        "startupProbe": {"httpGet": {"path": "/live", "port": 8080}, "periodSeconds": 5, "failureThreshold": 30},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, "initialDelaySeconds": 25,
                           "periodSeconds": 5}}]}})
    cluster.advance(6)
    start = started_at(cluster.get("Pod", "p"))
    cluster.advance(start + 21 - cluster.now)
    cs = cluster.get("Pod", "p").status.container_statuses[0]
    assert cs.started and not cs.ready  # started at 20 s; readiness waits for its delay
    cluster.advance(start + 26 - cluster.now)
    ready = cluster.get("Pod", "p").status.condition("Ready")
    assert ready.status == "True"
    assert parse_timestamp(ready.last_transition_time) - start == 25


def test_exec_readiness_false_keeps_the_pod_out_of_the_endpoints(cluster):
    """A readiness probe of `["false"]` fails every time: the pod never becomes ready."""
    cluster.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "never", "labels": {"app": "n"}},
                   "spec": {"containers": [{"name": "web", "image": "nginx",
                                            "readinessProbe": {"exec": {"command": ["false"]}, "periodSeconds": 2}}]}})
    cluster.kubectl("expose pod never --port=80")
    cluster.advance(30)
    assert cluster.kubectl("get pod never").splitlines()[1].split()[1:3] == ["0/1", "Running"]
    assert "Readiness probe failed: " in [m[1] for m in messages(cluster, "never")]
    ip = cluster.get("Pod", "never").status.pod_ip
    assert ip not in cluster.kubectl("get endpoints never")  # listed among notReadyAddresses only


def test_an_exec_probe_that_passes_once_the_file_exists(cluster):
    """Readiness `test -f /tmp/ready`: the pod is ready once the main process writes the file
    (after its `sleep 10`), not before."""
    cluster.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "late"},
                   "spec": {"containers": [{"name": "c", "image": "busybox",
                                            "command": ["sh", "-c", "sleep 10; touch /tmp/ready; sleep 3600"],
                                            "readinessProbe": {"exec": {"command": ["test", "-f", "/tmp/ready"]},
                                                               "periodSeconds": 1}}]}})
    cluster.advance(5)
    start = started_at(cluster.get("Pod", "late"))
    cluster.advance(start + 9.5 - cluster.now)
    assert not cluster.get("Pod", "late").status.container_statuses[0].ready
    cluster.advance(2)
    assert cluster.get("Pod", "late").status.container_statuses[0].ready


def test_a_file_written_by_exec_makes_the_readiness_probe_pass(cluster):
    """The documentation's readiness-exec idea by hand: `cat /tmp/healthy` fails until
    `kubectl exec ... touch /tmp/healthy`; the next probe run then passes and the pod is ready."""
    cluster.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
                   "spec": {"containers": [{"name": "web", "image": "nginx",
                                            "readinessProbe": {"exec": {"command": ["cat", "/tmp/healthy"]},
                                                               "periodSeconds": 5}}]}})
    cluster.advance(60)
    assert not cluster.get("Pod", "web").status.container_statuses[0].ready
    cluster.kubectl("exec web -- touch /tmp/healthy")
    cluster.advance(6)
    assert cluster.get("Pod", "web").status.container_statuses[0].ready


def test_an_exec_probe_that_sleeps_past_its_timeout_fails(cluster):
    """`sh -c "sleep 2"` with the default timeoutSeconds of 1: the kubelet gives up on it."""
    cluster.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "slow"},
                   "spec": {"containers": [{"name": "web", "image": "nginx",
                                            "readinessProbe": {"exec": {"command": ["sh", "-c", "sleep 2"]},
                                                               "periodSeconds": 5}}]}})
    cluster.advance(20)
    assert not cluster.get("Pod", "slow").status.container_statuses[0].ready
    assert 'Readiness probe failed: command "sh -c sleep 2" timed out' in [m[1] for m in messages(cluster, "slow")]
