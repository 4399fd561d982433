"""Termination as the kubelet does it (kuberuntime_container.go, killContainer): the ``Killing``
event, the preStop hook within the grace period, then SIGTERM; a process that ignores SIGTERM is
killed with SIGKILL when the grace period ends. The pod stays Terminating all that time, out of
its Service's ready endpoints but still answering: the graceful-shutdown pattern."""

from __future__ import annotations

import kitlib
from kitlib.controllers import prober


def pod(name: str, image: str = "nginx", grace: int | None = None, labels: dict | None = None, **container) -> dict:
    spec: dict = {"containers": [{"name": "c", "image": image, **container}]}
    if grace is not None:
        spec["terminationGracePeriodSeconds"] = grace
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels or {}}, "spec": spec}


def gone_after(cluster: kitlib.Cluster, name: str, limit: float = 120.0) -> float:
    """Delete the pod and step the clock until it is gone: how long that took (to the half second)."""
    start = cluster.now
    cluster.kubectl(f"delete pod {name} --wait=false")
    while cluster.api.store.get("Pod", f"default/{name}") is not None and cluster.now - start < limit:
        assert cluster.kubectl(f"get pod {name}").splitlines()[1].split()[2] == "Terminating"
        cluster.advance(0.5)
    return cluster.now - start


def reasons(cluster: kitlib.Cluster, uid: str) -> list[tuple[str, str]]:
    prober.catch_up(cluster.runtime)
    return [(e.reason, e.message) for e in cluster.events.for_object("Pod", uid)]


def test_nginx_quits_at_once_on_sigterm(cluster):
    """nginx handles the stop signal and exits 0 at once: the pod is gone in about a second."""
    cluster.apply(pod("web"))
    cluster.advance(10)
    uid = cluster.get("Pod", "web").metadata.uid
    assert gone_after(cluster, "web") <= 1.0
    assert ("Killing", "Stopping container c") in reasons(cluster, uid)


def test_sleep_as_pid_1_holds_the_whole_grace_period(cluster):
    """`sleep` as PID 1 ignores SIGTERM (no handler, and the kernel applies no default action to
    a namespace's init): it is killed with SIGKILL after terminationGracePeriodSeconds (30 s by
    default); `sh -c` likewise."""
    cluster.apply(pod("sleeper", image="busybox", command=["sleep", "3600"]))
    cluster.apply(pod("shell", image="busybox", grace=5, command=["sh", "-c", "echo hi; sleep 3600"]))
    cluster.advance(10)
    assert 29.5 <= gone_after(cluster, "sleeper") <= 30.5
    assert 4.5 <= gone_after(cluster, "shell") <= 5.5


def test_prestop_sleep_runs_before_sigterm(cluster):
    """A preStop `sleep` action of 10 s: the container gets SIGTERM only after it, so nginx is
    gone about 11 s after the delete."""
    cluster.apply(pod("hooked", lifecycle={"preStop": {"sleep": {"seconds": 10}}}))
    cluster.advance(10)
    assert 10.0 <= gone_after(cluster, "hooked") <= 11.5


def test_prestop_exec_sleep_takes_simulated_time_and_a_failure_is_an_event(cluster):
    """An exec hook runs in the container: its `sleep 3` takes 3 s; its exit code 1 records
    FailedPreStopHook with the kubelet's words (it leaves the error out so no secret leaks)."""
    cluster.apply(pod("bad", lifecycle={"preStop": {"exec": {"command": ["sh", "-c", "sleep 3; exit 1"]}}}))
    cluster.advance(10)
    uid = cluster.get("Pod", "bad").metadata.uid
    assert 3.0 <= gone_after(cluster, "bad") <= 4.5
    assert ("FailedPreStopHook", "PreStopHook failed") in reasons(cluster, uid)


def test_a_hook_longer_than_the_grace_period_is_cut_and_sigterm_still_gets_2s(cluster):
    """The hook may use the grace period up; SIGTERM then still gets kuberuntime's minimum of 2 s
    before SIGKILL."""
    cluster.apply(pod("long", image="busybox", grace=10, command=["sleep", "3600"],
                      lifecycle={"preStop": {"sleep": {"seconds": 60}}}))
    cluster.advance(10)
    assert 11.5 <= gone_after(cluster, "long") <= 12.5


def test_graceful_shutdown_with_a_prestop_sleep(cluster):
    """The pattern: a preStop sleep keeps a terminating pod running while it leaves its Service's
    ready endpoints, so clients that still reach it (in-flight requests, proxies with a stale view)
    are served; new connections through the Service go to the other pods."""
    for name in ("a", "b"):
        cluster.apply(pod(name, labels={"app": "web"}, ports=[{"containerPort": 80}],
                          lifecycle={"preStop": {"sleep": {"seconds": 15}}}))
    cluster.kubectl("expose pod a --name=web --port=80 --selector=app=web")
    cluster.advance(10)
    a, b = cluster.get("Pod", "a"), cluster.get("Pod", "b")
    cluster.kubectl("delete pod a --wait=false")
    cluster.advance(1)
    assert cluster.kubectl("get pod a").splitlines()[1].split()[2] == "Terminating"
    endpoints = cluster.kubectl("get endpoints web")
    assert b.status.pod_ip in endpoints and a.status.pod_ip not in endpoints
    slice_ = cluster.list("EndpointSlice", "default", "kubernetes.io/service-name=web")[0]
    ep = next(e for e in slice_.endpoints if e.addresses == [a.status.pod_ip])
    assert (ep.conditions.ready, ep.conditions.serving, ep.conditions.terminating) == (False, True, True)
    assert cluster.http(f"http://{a.status.pod_ip}/", src="default/b").status == 200  # still serving
    t = cluster.traffic("default/b", "web", 80, requests=20)
    assert t.served == {"default/b": 20}
    cluster.advance(15)
    assert cluster.api.store.get("Pod", "default/a") is None


def test_prestop_http_to_a_port_nothing_listens_on_fails(cluster):
    """An httpGet hook asks the container's app; nothing listening is a failed hook: the event,
    and SIGTERM follows at once."""
    cluster.apply(pod("h", ports=[{"containerPort": 80}],
                      lifecycle={"preStop": {"httpGet": {"path": "/shutdown", "port": 9999}}}))
    cluster.apply(pod("ok", ports=[{"containerPort": 80}],
                      lifecycle={"preStop": {"httpGet": {"path": "/", "port": 80}}}))
    cluster.advance(10)
    uid_h, uid_ok = cluster.get("Pod", "h").metadata.uid, cluster.get("Pod", "ok").metadata.uid
    assert gone_after(cluster, "h") <= 1.0
    assert gone_after(cluster, "ok") <= 1.0
    assert ("FailedPreStopHook", "PreStopHook failed") in reasons(cluster, uid_h)
    assert "FailedPreStopHook" not in [r for r, _ in reasons(cluster, uid_ok)]


def test_an_exec_hook_runs_in_the_container(cluster):
    """The hook's command sees and writes the container's files: what it writes, `kubectl exec`
    reads while the pod is terminating."""
    cluster.apply(pod("w", image="busybox", command=["sh", "-c", "sleep 3600"],
                      lifecycle={"preStop": {"exec": {"command": ["sh", "-c", "echo bye > /tmp/state; sleep 5"]}}}))
    cluster.advance(10)
    cluster.kubectl("delete pod w --wait=false")
    cluster.advance(1)
    assert cluster.kubectl("exec w -- cat /tmp/state") == "bye"


def test_describe_shows_the_phase_and_terminating_as_kubectl_does(cluster):
    """describe prints the phase (not get's STATUS column: a crash-looping pod is `Running`), and
    for a pod being deleted `Terminating (lasts <time since deletionTimestamp>)`, which reads
    `<invalid>` while the grace period is still running, with the grace period below it."""
    cluster.apply(pod("crash", image="busybox", command=["sh", "-c", "exit 1"]))
    cluster.apply(pod("sleeper", image="busybox", command=["sleep", "3600"]))
    cluster.advance(20)
    assert "\nStatus:          Running\n" in cluster.kubectl("describe pod crash")
    cluster.kubectl("delete pod sleeper --wait=false")
    cluster.advance(5)
    out = cluster.kubectl("describe pod sleeper")
    assert "\nStatus:                   Terminating (lasts <invalid>)\nTermination Grace Period: 30s\n" in out


def test_a_script_that_ends_by_itself_does_not_wait_for_sigkill(cluster):
    """`sh -c "sleep 8; echo done"` ignores SIGTERM, but its script ends 8 s after it started:
    the container is gone then, not at the end of the 30 s grace period."""
    cluster.apply(pod("short", image="busybox", command=["sh", "-c", "sleep 8; echo done"]))
    cluster.advance(5)
    started = cluster.now
    cs = cluster.get("Pod", "short").status.container_statuses[0]
    assert cs.state.running is not None
    from kitlib.clock import parse_timestamp
    ends = parse_timestamp(cs.state.running.started_at) + 8
    took = gone_after(cluster, "short")
    assert abs(started + took - ends) <= 0.5
