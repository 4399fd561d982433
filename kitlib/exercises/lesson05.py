"""Checks for lesson 5, "Readiness and liveness"."""

from __future__ import annotations

from ..api.pod import is_ready
from ..container.behaviour import WEBAPP_WARMUP, resolve_port
from ..errors import NotFound
from ..network.traffic import Traffic
from .feedback import Feedback, not_yet, ok
from .lesson01 import deployment_pods
from .progress import exercise

NAME = "shop"
PORT = 8080
NEW_IMAGE = "kitlib/webapp:2"
RESTART_WITHIN = 30


def _container(cluster, name: str, namespace: str):
    try:
        d = cluster.get("Deployment", name, namespace)
    except NotFound:
        return None, None
    return d, d.spec.template.spec.containers[0]


def _handler(probe) -> str:
    return probe.handlers()[0] if probe.handlers() else "none"


def _pods(cluster, name: str, namespace: str) -> list:
    """The Deployment's pods (by its own selector) that are not terminating."""
    return deployment_pods(cluster, name, namespace)[1]


def _rolled_out(cluster, d, name: str, namespace: str, kind: str) -> Feedback | None:
    """None when every pod runs the current template, is ready and has the probe ``kind``."""
    pods = _pods(cluster, name, namespace)
    with_probe = [p for p in pods if getattr(p.spec.containers[0], f"{kind}_probe") is not None]
    ready = [p for p in with_probe if is_ready(p)]
    if len(pods) != d.spec.replicas or len(ready) != d.spec.replicas:
        return not_yet(f"{len(ready)} of {d.spec.replicas} {name} pods have the {kind} probe and are ready "
                       f"({len(pods)} pods in all).", "Let the rollout finish: cluster.advance(30).")
    return None


@exercise
def check_readiness(cluster, name: str = NAME, namespace: str = "default") -> Feedback:
    """Exercise 1: the ``shop`` container has an HTTP readiness probe on ``/ready``, port 8080, and
    every pod has it and is ready."""
    d, c = _container(cluster, name, namespace)
    if d is None:
        return not_yet(f"there is no deployment {name}.", "Run the cell that applies the shop YAML first.")
    probe = c.readiness_probe
    if probe is None:
        return not_yet(f"the {name} container has no readiness probe.",
                       "Add readinessProbe: with httpGet: path: /ready, port: http under the container, "
                       "then cluster.apply(...) the YAML.")
    kind = _handler(probe)
    if kind != "httpGet":
        return not_yet(f"the readiness probe is {kind}: it passes as long as the app runs, even when its "
                       "dependency is down.", "Ask the app itself: httpGet on /ready.")
    path = probe.http_get.path or "/"
    if path == "/live":
        return not_yet("/live answers 200 while the process runs, even when the dependency is down: that is "
                       "the liveness question.", "Readiness asks /ready.")
    if path != "/ready":
        return not_yet(f"the probe asks {path}; the demo app reports whether it can serve on /ready.",
                       "Use path: /ready.")
    port = resolve_port(c, probe.http_get.port)
    if port != PORT:
        return not_yet(f"the probe asks port {probe.http_get.port}, not the app's port {PORT}.",
                       "Use port: 8080, or the port's name, http.")
    pending = _rolled_out(cluster, d, name, namespace, "readiness")
    if pending is not None:
        return pending
    return ok(f"all {d.spec.replicas} {name} pods are ready on httpGet /ready; a pod whose dependency is down "
              "answers 503 there and leaves the Service, without a restart.")


@exercise
def check_rollout(cluster, result: Traffic | None, name: str = NAME, namespace: str = "default") -> Feedback:
    """Exercise 2: ``shop`` rolled out to ``kitlib/webapp:2`` while traffic to its Service, served by both
    versions, had no failure."""
    if not isinstance(result, Traffic):
        return not_yet("pass the result of cluster.traffic(...) to the check.",
                       f'result = cluster.traffic(client.key, "{name}", 80, requests=600, duration=60)')
    if result.service != f"{namespace}/{name}":
        return not_yet(f"that traffic went to {result.service or result.address}, not to the Service {name}.",
                       f'Send it to "{name}", port 80.')
    d, c = _container(cluster, name, namespace)
    if d is None:
        return not_yet(f"there is no deployment {name}.", "Run the cell that applies the shop YAML first.")
    if c.image != NEW_IMAGE:
        return not_yet(f"{name} runs {c.image}, not {NEW_IMAGE}.",
                       f'cluster.kubectl("set image deployment/{name} webapp={NEW_IMAGE}")')
    if result.failed:
        hint = ("Without a readiness probe a new pod takes requests during its 10 s warm-up: do exercise 1 "
                "first, then roll out again (set image back to kitlib/webapp:1 and forth)."
                if c.readiness_probe is None else "Is the readiness probe the one of exercise 1?")
        return not_yet(f"{result.failed} of {result.requests} requests failed.", hint)
    versions = {key.split("/")[-1].rsplit("-", 1)[0] for key in result.served}
    if len(versions) < 2:
        return not_yet("every request was served by one version: the traffic was not sent during the rollout.",
                       "Start the traffic (with duration=60) right after set image, in the same cell. To roll "
                       "out again, set the image back to kitlib/webapp:1 first.")
    status = cluster.kubectl(f"rollout status deployment/{name} -n {namespace} --watch=false")
    if "successfully rolled out" not in status:
        return not_yet(f"the rollout has not finished: {status}", "cluster.advance(30), then check again.")
    return ok(f"{result.requests} requests, none failed, served by {len(result.served)} pods of both versions: "
              "each new pod took traffic only once its readiness probe passed.")


def _kill_after(probe) -> float:
    """Seconds from a container's start until ``probe`` has failed ``failureThreshold`` times in a row
    if the app never answers (the probe runs first at initialDelaySeconds, then every periodSeconds)."""
    return (probe.initial_delay_seconds or 0) + (probe.period_seconds or 10) * ((probe.failure_threshold or 3) - 1)


@exercise
def check_liveness(cluster, name: str = NAME, namespace: str = "default") -> Feedback:
    """Exercise 3: an HTTP liveness probe on ``/live`` that kills a hung pod within 30 s and never a
    warming-up one (``initialDelaySeconds`` or a startup probe), and pods that run without restarts."""
    d, c = _container(cluster, name, namespace)
    if d is None:
        return not_yet(f"there is no deployment {name}.", "Run the cell that applies the shop YAML first.")
    probe = c.liveness_probe
    if probe is None:
        return not_yet(f"the {name} container has no liveness probe.",
                       "Add livenessProbe: with httpGet: path: /live, port: http, then cluster.apply(...).")
    kind = _handler(probe)
    if kind == "tcpSocket":
        return not_yet("a hung app still accepts connections (the kernel does that), so a tcpSocket probe "
                       "never notices the hang.", "Ask the app: httpGet on /live.")
    if kind != "httpGet":
        return not_yet(f"the liveness probe is {kind}.", "Use httpGet on /live.")
    path = probe.http_get.path or "/"
    if path == "/ready":
        return not_yet("/ready fails when a dependency is down: every pod would be restarted, and restarts "
                       "do not bring a database back.", "Liveness asks /live.")
    if path != "/live" or resolve_port(c, probe.http_get.port) != PORT:
        return not_yet(f"the probe asks {path} on port {probe.http_get.port}.", "Use path: /live and port: http.")
    to_restart = (probe.period_seconds or 10) * (probe.failure_threshold or 3)
    if to_restart > RESTART_WITHIN:
        return not_yet(f"a hung pod is restarted only after about {to_restart} s "
                       f"(periodSeconds × failureThreshold).", f"Make that at most {RESTART_WITHIN} s.")
    startup = c.startup_probe
    guard, first_kill = ("startup probe", _kill_after(startup)) if startup is not None \
        else ("liveness probe", _kill_after(probe))
    if first_kill <= WEBAPP_WARMUP:
        return not_yet(f"a new pod is killed by its {guard} {first_kill:g} s after it starts, before its "
                       f"{WEBAPP_WARMUP:g} s warm-up ends.",
                       "Raise initialDelaySeconds, or add a startupProbe with failureThreshold × periodSeconds "
                       "well above 10 s.")
    pending = _rolled_out(cluster, d, name, namespace, "liveness")
    if pending is not None:
        return pending
    restarted = [p.name for p in _pods(cluster, name, namespace)
                 if any(s.restart_count for s in p.status.container_statuses)]
    if restarted:
        return not_yet(f"pods restarted: {', '.join(restarted)}.", "Give the app more time to start.")
    return ok(f"a hung pod is restarted within about {to_restart} s, and new pods get {first_kill:g} s to "
              f"start ({guard}); all {d.spec.replicas} pods run without a restart.")
