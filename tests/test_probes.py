"""Readiness, liveness and startup probes: the API fields, their defaults and validation, and what
the kubelet does with them on the simulated clock."""

from __future__ import annotations

import re

import pytest

import kitlib
from kitlib.api.pod import HTTPGetAction, Probe
from kitlib.controllers import prober
from kitlib.errors import ApiError, Invalid


def pod(name: str = "p", image: str = "kitlib/webapp:1.0", port: int = 8080, **probes) -> dict:
    """A pod manifest with one container ``web`` declaring ``port`` (named ``http``: where its image
    listens, 8080 for the demo app, 80 for nginx) and the given probes."""
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"containers": [{"name": "web", "image": image,
                                     "ports": [{"containerPort": port, "name": "http"}], **probes}]}}


def deployment(replicas: int = 2, image: str = "kitlib/webapp:1.0", **probes) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "web", "image": image,
                                                           "ports": [{"containerPort": 8080, "name": "http"}],
                                                           **probes}]}}}}


READY = {"readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 1}}
LIVE = {"livenessProbe": {"httpGet": {"path": "/live", "port": 8080}, "periodSeconds": 1}}


def refused(cluster, snapshot, manifest, message: str) -> None:
    before = snapshot(cluster)
    with pytest.raises(Invalid, match=re.escape(message)):
        cluster.apply(manifest)
    assert snapshot(cluster) == before


def events(cluster, p) -> list[str]:
    prober.catch_up(cluster.runtime)
    return [e.message for e in cluster.events.for_object("Pod", p.metadata.uid)]


# ---------------------------------------------------------------------------- API: fields and defaults


def test_probe_fields_are_modelled_and_round_trip(cluster):
    """Every probe field is a typed attribute and exports under its API name."""
    spec = {"httpGet": {"path": "/ready", "port": "http", "scheme": "HTTP", "host": "10.0.0.1",
                        "httpHeaders": [{"name": "X-Probe", "value": "1"}]},
            "initialDelaySeconds": 5, "timeoutSeconds": 2, "periodSeconds": 3, "successThreshold": 2,
            "failureThreshold": 4}
    live = {"tcpSocket": {"port": 8080}, "terminationGracePeriodSeconds": 5}
    start = {"exec": {"command": ["cat", "/tmp/ok"]}, "failureThreshold": 30}
    p = cluster.apply(pod(readinessProbe=spec, livenessProbe=live, startupProbe=start))[0]
    c = p.spec.containers[0]
    assert isinstance(c.readiness_probe, Probe) and isinstance(c.readiness_probe.http_get, HTTPGetAction)
    assert c.readiness_probe.http_get.http_headers[0].name == "X-Probe"
    assert c.liveness_probe.tcp_socket.port == 8080
    assert c.startup_probe.exec.command == ["cat", "/tmp/ok"]
    exported = p.to_dict()["spec"]["containers"][0]
    assert exported["readinessProbe"] == spec
    assert exported["livenessProbe"] == {**live, "periodSeconds": 10, "timeoutSeconds": 1,
                                         "successThreshold": 1, "failureThreshold": 3}
    assert "extra" not in repr(c.readiness_probe)


def test_probe_defaults(cluster):
    """SetDefaults_Probe: period 10 s, timeout 1 s, success 1, failure 3; httpGet path / and scheme
    HTTP; a zero field is defaulted like a missing one, and initialDelaySeconds 0 is left out."""
    p = cluster.apply(pod(readinessProbe={"httpGet": {"port": 8080}, "periodSeconds": 0, "initialDelaySeconds": 0},
                          startupProbe={"grpc": {"port": 9090}}))[0]
    r = p.to_dict()["spec"]["containers"][0]["readinessProbe"]
    assert r == {"httpGet": {"path": "/", "port": 8080, "scheme": "HTTP"}, "periodSeconds": 10,
                 "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3}
    assert p.spec.containers[0].startup_probe.grpc.service == ""


def test_deployment_template_probes_are_defaulted(cluster):
    """Defaults apply inside a pod template too, and the pods get the same probe."""
    d = cluster.apply(deployment(**READY))[0]
    assert d.spec.template.spec.containers[0].readiness_probe.failure_threshold == 3
    cluster.advance(5)
    assert cluster.pods()[0].spec.containers[0].readiness_probe.timeout_seconds == 1


@pytest.mark.parametrize("probe,message", [
    ({"readinessProbe": {"httpGet": {"port": 80}, "tcpSocket": {"port": 80}}},
     'Pod "p" is invalid: spec.containers[0].readinessProbe.tcpSocket: Forbidden: '
     "may not specify more than 1 handler type"),
    ({"livenessProbe": {"exec": {"command": ["true"]}, "httpGet": {"port": 80}, "grpc": {"port": 1}}},
     "spec.containers[0].livenessProbe.httpGet: Forbidden: may not specify more than 1 handler type, "
     "spec.containers[0].livenessProbe.grpc: Forbidden: may not specify more than 1 handler type"),
    ({"readinessProbe": {"periodSeconds": 5}},
     "spec.containers[0].readinessProbe: Required value: must specify a handler type"),
    ({"readinessProbe": {"httpGet": {"port": 80}, "periodSeconds": -1}},
     "spec.containers[0].readinessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0"),
    ({"readinessProbe": {"httpGet": {"port": 80}, "timeoutSeconds": -2, "failureThreshold": -1}},
     "[spec.containers[0].readinessProbe.timeoutSeconds: Invalid value: -2: must be greater than or equal to 0, "
     "spec.containers[0].readinessProbe.failureThreshold: Invalid value: -1: must be greater than or equal to 0]"),
    ({"readinessProbe": {"httpGet": {"port": 80}, "initialDelaySeconds": -5}},
     "spec.containers[0].readinessProbe.initialDelaySeconds: Invalid value: -5: must be greater than or equal to 0"),
    ({"livenessProbe": {"httpGet": {"port": 80}, "successThreshold": 2}},
     "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1"),
    ({"startupProbe": {"tcpSocket": {"port": 80}, "successThreshold": 3}},
     "spec.containers[0].startupProbe.successThreshold: Invalid value: 3: must be 1"),
    ({"readinessProbe": {"httpGet": {"port": 70000}}},
     "spec.containers[0].readinessProbe.httpGet.port: Invalid value: 70000: must be between 1 and 65535, inclusive"),
    ({"readinessProbe": {"tcpSocket": {"port": "Bad_Name"}}},
     "spec.containers[0].readinessProbe.tcpSocket.port: Invalid value: \"Bad_Name\": "
     "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"),
    ({"readinessProbe": {"httpGet": {"port": 80, "scheme": "FTP"}}},
     'spec.containers[0].readinessProbe.httpGet.scheme: Unsupported value: "FTP": supported values: "HTTP", "HTTPS"'),
    ({"readinessProbe": {"exec": {}}}, "spec.containers[0].readinessProbe.exec.command: Required value"),
    ({"readinessProbe": {"httpGet": {"port": 80}, "terminationGracePeriodSeconds": 5}},
     "spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 5: "
     "must not be set for readinessProbes"),
    ({"livenessProbe": {"httpGet": {"port": 80}, "terminationGracePeriodSeconds": -1}},
     "spec.containers[0].livenessProbe.terminationGracePeriodSeconds: Invalid value: -1: must be greater than 0"),
])
def test_bad_probes_are_rejected_and_change_nothing(cluster, snapshot, probe, message):
    """validateProbe's errors, in the API server's words and order; nothing is stored."""
    refused(cluster, snapshot, pod(**probe), message)


def test_bad_probe_in_a_deployment_template(cluster, snapshot):
    """The template's probes are validated with the template's path."""
    refused(cluster, snapshot, deployment(livenessProbe={"httpGet": {"port": 80}, "successThreshold": 0 - 1}),
            "spec.template.spec.containers[0].livenessProbe.successThreshold: Invalid value: -1: "
            "must be greater than or equal to 0")


def test_an_undeclared_named_port_is_accepted_and_the_probe_errors(cluster):
    """The API server does not check that a probe's named port exists; the kubelet cannot resolve
    it, and every run errors (the container never becomes ready)."""
    p = cluster.apply(pod(readinessProbe={"httpGet": {"path": "/ready", "port": "admin"}, "periodSeconds": 1}))[0]
    cluster.advance(20)
    p = cluster.get("Pod", "p")
    assert not kitlib.api.pod.is_ready(p)
    assert 'Readiness probe errored and resulted in unknown state: strconv.Atoi: parsing "admin": invalid syntax' \
        in events(cluster, p)


# ---------------------------------------------------------------------------- readiness


def test_readiness_waits_for_the_warm_up(cluster):
    """The demo app listens after its 10 s warm-up: the readiness probe is refused until then and
    the pod is 0/1 Running; the first success makes it ready."""
    cluster.apply(pod(**READY))
    cluster.advance(8)
    p = cluster.get("Pod", "p")
    assert p.status.phase == "Running" and not kitlib.api.pod.is_ready(p)
    assert "0/1     Running" in cluster.kubectl("get pods")
    assert any(m.startswith('Readiness probe failed: Get "http://') and m.endswith("connect: connection refused")
               for m in events(cluster, p))
    cluster.advance(8)
    assert kitlib.api.pod.is_ready(cluster.get("Pod", "p"))


def test_pod_without_probes_is_ready_as_soon_as_it_runs(cluster):
    """No readiness probe: ready when the container starts, even before the app listens."""
    cluster.apply(pod())
    cluster.advance(5)
    p = cluster.get("Pod", "p")
    assert kitlib.api.pod.is_ready(p) and p.status.container_statuses[0].started


def test_initial_delay_and_success_threshold(cluster):
    """No probe runs before initialDelaySeconds; successThreshold successes in a row make it ready."""
    cluster.apply(pod(image="nginx", port=80, readinessProbe={"httpGet": {"port": 80}, "initialDelaySeconds": 10,
                                                     "periodSeconds": 2, "successThreshold": 3}))
    cluster.advance(12)
    assert not kitlib.api.pod.is_ready(cluster.get("Pod", "p"))
    cluster.advance(6)
    assert kitlib.api.pod.is_ready(cluster.get("Pod", "p"))


def test_failure_threshold_and_endpoints(cluster):
    """dependency-down makes /ready answer 503; after failureThreshold failures the pod is not
    ready: it stays in its EndpointSlice with ready: false and gets no Service traffic; the
    event is the kubelet's."""
    cluster.apply(deployment(**READY))
    cluster.kubectl("expose deployment web --port=80 --target-port=8080")
    cluster.advance(20)
    sick, well = cluster.pods()
    cluster.set_fault(sick.name, "dependency-down")
    cluster.advance(2.5)
    assert kitlib.api.pod.is_ready(cluster.get("Pod", sick.name))  # two failures so far
    cluster.advance(1)
    assert not kitlib.api.pod.is_ready(cluster.get("Pod", sick.name))
    assert "Readiness probe failed: HTTP probe failed with statuscode: 503" in events(cluster, sick)
    sl = cluster.list("EndpointSlice", "default", "kubernetes.io/service-name=web")[0]
    ready = {e.addresses[0]: e.conditions.ready for e in sl.endpoints}
    assert ready == {sick.status.pod_ip: False, well.status.pod_ip: True}
    ip = cluster.get("Service", "web").spec.cluster_ip
    t = cluster.traffic(well.key, ip, 80, requests=200)
    assert t.failed == 0 and set(t.served) == {well.key}
    cluster.set_fault(sick.name, "dependency-down", on=False)
    cluster.advance(1)
    assert kitlib.api.pod.is_ready(cluster.get("Pod", sick.name))


def test_publish_not_ready_addresses_overrides_readiness(cluster):
    """With publishNotReadyAddresses the not-ready pod's endpoint stays ready and takes traffic."""
    cluster.apply(deployment(replicas=1, image="kitlib/webapp:broken", **READY))
    cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                   "spec": {"selector": {"app": "web"}, "publishNotReadyAddresses": True,
                            "ports": [{"port": 80, "targetPort": 8080}]}})
    cluster.advance(30)
    p = cluster.pods()[0]
    assert not kitlib.api.pod.is_ready(p)
    sl = cluster.list("EndpointSlice", "default", "kubernetes.io/service-name=web")[0]
    assert sl.endpoints[0].conditions.ready is True
    t = cluster.traffic("node/minikube", cluster.get("Service", "web").spec.cluster_ip, 80, requests=10)
    assert t.served == {p.key: 10}


def test_requests_during_warm_up_fail_without_a_readiness_probe(cluster):
    """Without a readiness probe the pod is an endpoint from its start, so requests sent while the
    app warms up are refused; with one, none fail."""
    cluster.apply(deployment(replicas=1))
    cluster.kubectl("expose deployment web --port=80 --target-port=8080")
    ip = cluster.get("Service", "web").spec.cluster_ip
    cluster.advance(6)
    t = cluster.traffic("node/minikube", ip, 80, requests=100, duration=10)
    assert 0 < t.failed < 100 and any("warm-up" in r for r in t.reasons)

    other = kitlib.Cluster(nodes=3, seed=0)
    other.apply(deployment(replicas=1, **READY))
    other.kubectl("expose deployment web --port=80 --target-port=8080")
    ip = other.get("Service", "web").spec.cluster_ip
    other.advance(6)
    t = other.traffic("node/minikube", ip, 80, requests=100, duration=20)
    assert all("warm-up" not in r for r in t.reasons)
    assert t.ok > 0


# ---------------------------------------------------------------------------- liveness and restarts


def test_liveness_restarts_a_hung_app_then_crash_loop_back_off(cluster):
    """A hung app times out its liveness probe; after 3 failures the kubelet kills and restarts the
    container (restartCount 1, lastState terminated). Still hung, it is killed again, and the next
    restart waits 10 s in CrashLoopBackOff."""
    cluster.apply(pod(image="nginx", port=80, livenessProbe={"httpGet": {"path": "/", "port": 80}, "periodSeconds": 1}))
    cluster.advance(15)
    assert cluster.get("Pod", "p").status.container_statuses[0].restart_count == 0
    cluster.set_fault("p", "hang")
    cluster.advance(3.5)
    p = cluster.get("Pod", "p")
    msgs = events(cluster, p)
    assert any(m.startswith("Liveness probe failed: Get") and "context deadline exceeded" in m for m in msgs)
    assert "Container web failed liveness probe, will be restarted" in msgs
    cluster.advance(2.5)
    cs = cluster.get("Pod", "p").status.container_statuses[0]
    assert cs.restart_count == 1 and cs.last_state.terminated is not None and cs.state.running is not None
    assert re.search(r"p\s+1/1\s+Running\s+1 \(\ds ago\)", cluster.kubectl("get pods"))
    # Still hung after the restart: three more timeouts, killed again, and now the back-off.
    cluster.advance(4)
    cs = cluster.get("Pod", "p").status.container_statuses[0]
    assert cs.state.waiting is not None and cs.state.waiting.reason == "CrashLoopBackOff"
    assert cs.state.waiting.message.startswith("back-off 10s restarting failed container=web pod=p_default(")
    assert "CrashLoopBackOff" in cluster.kubectl("get pods")
    assert any(m.startswith("Back-off restarting failed container web in pod p_default(") for m in events(cluster, p))


def restart_times(cluster, name: str, until: float) -> list[float]:
    times, last = [], 0
    while cluster.now < until:
        cluster.advance(0.5)
        n = cluster.get("Pod", name).status.container_statuses[0].restart_count
        if n != last:
            times.append(cluster.now)
            last = n
    return times


def test_crash_loop_back_off_doubles_up_to_five_minutes(cluster):
    """An app that crashes on every start is restarted at once, then after 10, 20, 40, 80, 160 s
    and then every 300 s (plus the second it runs and the container start)."""
    cluster.apply(pod(image="nginx", port=80))
    cluster.advance(5)
    cluster.set_fault("p", "crash")
    times = restart_times(cluster, "p", 1500)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    # Each gap: the back-off, the 1 s the app runs, re-pulling the image (Always) and starting it.
    for gap, backoff in zip(gaps, [10, 20, 40, 80, 160, 300, 300], strict=False):
        assert backoff + 1 <= gap <= backoff + 3
    assert len(gaps) >= 7
    assert "CrashLoopBackOff" in cluster.kubectl("get pods")


def test_back_off_resets_after_ten_minutes(cluster):
    """The back-off is forgotten when 10 minutes pass without a restart: the next crash restarts at once."""
    cluster.apply(pod(image="nginx", port=80))
    cluster.advance(5)
    cluster.set_fault("p", "crash")
    cluster.advance(40)
    cluster.set_fault("p", "crash", on=False)
    cluster.advance(700)
    n = cluster.get("Pod", "p").status.container_statuses[0].restart_count
    cluster.set_fault("p", "crash")
    cluster.advance(3)
    assert cluster.get("Pod", "p").status.container_statuses[0].restart_count == n + 1


def test_startup_probe_holds_back_liveness_and_readiness(cluster):
    """While the startup probe has not succeeded the container is not started, and liveness (which
    would kill the warming app) does not run; once it succeeds, readiness and liveness begin."""
    cluster.apply(pod(startupProbe={"httpGet": {"path": "/live", "port": "http"}, "periodSeconds": 2,
                                    "failureThreshold": 30},
                      livenessProbe={"httpGet": {"path": "/live", "port": "http"}, "periodSeconds": 1,
                                     "failureThreshold": 1}, **READY))
    cluster.advance(8)
    p = cluster.get("Pod", "p")
    assert p.status.container_statuses[0].started is False
    assert not any(m.startswith("Liveness") for m in events(cluster, p))
    cluster.advance(10)
    p = cluster.get("Pod", "p")
    assert p.status.container_statuses[0].started is True and kitlib.api.pod.is_ready(p)
    assert p.status.container_statuses[0].restart_count == 0


def test_too_eager_liveness_kills_a_warming_app(cluster):
    """Without a startup probe, a liveness probe with no delay kills the app before its warm-up ends."""
    cluster.apply(pod(livenessProbe={"httpGet": {"path": "/live", "port": "http"}, "periodSeconds": 2}))
    cluster.advance(30)
    assert cluster.get("Pod", "p").status.container_statuses[0].restart_count >= 1


def test_startup_probe_failure_kills_the_container(cluster):
    """failureThreshold startup failures kill the container."""
    cluster.apply(pod(startupProbe={"tcpSocket": {"port": 8080}, "periodSeconds": 1, "failureThreshold": 3}))
    cluster.advance(6)
    p = cluster.get("Pod", "p")
    assert "Container web failed startup probe, will be restarted" in events(cluster, p)


def test_slow_app_fails_probes_but_serves_clients(cluster):
    """A slow app answers after 3 s: past the probe's 1 s timeout (not ready), but curl waits."""
    cluster.apply(pod(image="nginx", port=80, readinessProbe={"httpGet": {"port": 80}, "periodSeconds": 1}))
    cluster.advance(5)
    cluster.set_fault("p", "slow")
    cluster.advance(4)
    p = cluster.get("Pod", "p")
    assert not kitlib.api.pod.is_ready(p)
    assert cluster.http(f"http://{p.status.pod_ip}:80/", src="node/minikube").status == 200


def test_tcp_probe_passes_on_a_hung_app(cluster):
    """The kernel accepts connections for a hung process: a tcpSocket probe cannot see the hang."""
    cluster.apply(pod(image="nginx", port=80, livenessProbe={"tcpSocket": {"port": "http"}, "periodSeconds": 1}))
    cluster.advance(5)
    cluster.set_fault("p", "hang")
    cluster.advance(30)
    assert cluster.get("Pod", "p").status.container_statuses[0].restart_count == 0


def test_unknown_fault_is_refused(cluster, snapshot):
    cluster.apply(pod())
    before = snapshot(cluster)
    with pytest.raises(ApiError, match='unknown fault "boom"'):
        cluster.set_fault("p", "boom")
    assert snapshot(cluster) == before


# ---------------------------------------------------------------------------- kubectl


def test_describe_shows_probes_last_state_and_events(cluster):
    """describe pod: the Liveness/Readiness lines as kubectl's DescribeProbe prints them, Last
    State with its exit code, and the kubelet's events."""
    cluster.apply(pod(image="nginx", port=80, livenessProbe={"httpGet": {"path": "/", "port": 80}, "periodSeconds": 1},
                      readinessProbe={"tcpSocket": {"port": "http"}},
                      startupProbe={"exec": {"command": ["cat", "/etc/hostname"]}}))
    cluster.advance(5)
    cluster.set_fault("p", "hang")
    cluster.advance(6)
    out = cluster.kubectl("describe pod p")
    assert "Liveness:      http-get http://:80/ delay=0s timeout=1s period=1s successThreshold=1 failureThreshold=3" in out
    assert "Readiness:     tcp-socket :http delay=0s timeout=1s period=10s successThreshold=1 failureThreshold=3" in out
    assert "Startup:       exec [cat /etc/hostname] delay=0s timeout=1s period=10s successThreshold=1 failureThreshold=3" in out
    assert "Last State:    Terminated\n      Reason:       Completed\n      Exit Code:    0" in out
    assert "Restart Count: 1" in out
    assert "Container web failed liveness probe, will be restarted" in out


def test_exported_pods_with_probes_validate_against_the_schema(cluster):
    """Pods with every probe handler, and after restarts, are valid 1.37 objects."""
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    cluster.apply(pod(readinessProbe={"httpGet": {"path": "/ready", "port": "http",
                                                  "httpHeaders": [{"name": "X", "value": "y"}]}},
                      livenessProbe={"tcpSocket": {"port": 8080}, "terminationGracePeriodSeconds": 5},
                      startupProbe={"exec": {"command": ["true"]}}))
    cluster.apply(pod("g", readinessProbe={"grpc": {"port": 9090, "service": "x"}}))
    cluster.advance(5)
    cluster.set_fault("p", "crash")
    cluster.advance(30)
    for p in cluster.pods():
        kubernetes_validate.validate(p.to_dict(), "1.37.0", strict=True)
    cluster.apply(deployment(**READY))
    kubernetes_validate.validate(cluster.get("Deployment", "web").to_dict(), "1.37.0", strict=True)


def test_every_failed_run_is_an_event(cluster):
    """A readiness probe that keeps failing records one Unhealthy event per run (shown as xN)."""
    cluster.apply(pod(image="nginx", port=80, readinessProbe={"httpGet": {"port": 80}, "periodSeconds": 1}))
    cluster.advance(5)
    cluster.set_fault("p", "dependency-down")
    cluster.advance(20)
    p = cluster.get("Pod", "p")
    prober.catch_up(cluster.runtime)
    ev = next(e for e in cluster.events.for_object("Pod", p.metadata.uid)
              if e.message == "Readiness probe failed: HTTP probe failed with statuscode: 503")
    assert ev.count == 20 and ev.last_seen - ev.first_seen == 19
    assert "(x20 over 19s)" in cluster.kubectl("describe pod p")


def test_app_behaviour_follows_a_container_image_changed_in_place():
    """A pod's container image can be changed in place (``kubectl set image pod/...``): the app
    that runs after the restart is the new image's. (The behaviour's image look-up is cached by
    the image's text, so the changed text gives the new answer.)"""
    from kitlib.api.pod import Container
    from kitlib.container import behaviour

    c = Container(name="web", image="docker.io/library/nginx:1.27")
    assert behaviour.behaviour(c).name == "nginx"
    c.image = "kitlib/webapp:broken"
    b = behaviour.behaviour(c)
    assert (b.name, b.warmup, b.never_ready) == ("webapp", behaviour.WEBAPP_WARMUP, True)
    c.image = "nginx"
    assert behaviour.behaviour(c).name == "nginx"
