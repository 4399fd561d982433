"""The application model: what runs inside each container, as its probes and its clients see it.

A container's behaviour is chosen by its image (:data:`BEHAVIOURS`, looked up by repository):

* ``nginx``: listens at once; answers as :func:`kitlib.container.images.nginx` (200 on ``/``, 404 on
  unknown paths such as ``/ready``);
* ``kitlib/webapp`` (any tag), the course's demo app: it spends :data:`WEBAPP_WARMUP` seconds
  loading before it listens (set ``WARMUP_SECONDS`` in the container's ``env`` to change it),
  then answers ``/live`` (200 ``ok`` while the process is healthy), ``/ready`` (200 ``ready``, or
  503 when a dependency is down) and every other path with ``Hello from <pod> (<image tag>)``.
  The tag ``broken`` never gets its dependency (``/ready`` is always 503): a bad release;
* ``agnhost liveness`` (the documentation's liveness-HTTP example): ``/healthz`` answers 200
  ``ok`` for the first :data:`LIVENESS_HEALTHY` seconds after the process started, then 500
  ``error: <seconds>`` (test/images/agnhost/liveness/server.go); other paths 404;
* every other image listens at once and answers as agnhost ``netexec``.

Which ports each app listens on is its image's and command's business, not ``containerPort``'s
(:mod:`kitlib.container.listeners`, :func:`listening_ports`).

Exec probes run their command in the container (:mod:`kitlib.container.shell`, with the files its
main process wrote: :mod:`kitlib.container.process`); a program the shell model does not run (a
database's own health tool, say) is taken to succeed.

Per-pod fault switches (:func:`set_fault`, also :meth:`kitlib.Cluster.set_fault`):

* ``dependency-down``: the app answers 503 on every path, ``/ready`` included; ``/live`` stays 200;
* ``hang``: the process accepts connections but never answers: requests and HTTP, gRPC and exec
  probes time out (a ``tcpSocket`` probe still succeeds: the kernel accepts the connection);
* ``crash``: the process exits with code 1 one second after it starts, every time it starts;
* ``slow``: every answer takes :data:`SLOW_SECONDS`, longer than a probe's default 1 s timeout.

Nothing here is random: the same calls give the same outcomes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, cast

from ..api.defaults import image_repo, image_tag
from ..errors import BadRequest
from . import listeners, logs
from .handlers import AppReply, ContainerApps, HttpRequest, go_reply

if TYPE_CHECKING:
    from ..api.pod import Container, Pod, Probe
    from ..runtime import Runtime

FAULTS = ("dependency-down", "hang", "crash", "slow")
WEBAPP = "kitlib/webapp"
WEBAPP_WARMUP = 10.0
"""Seconds the demo app loads before it listens (a JVM or a big model would take longer)."""
SLOW_SECONDS = 3.0
"""How long a ``slow`` app takes to answer: past the default 1 s probe timeout, inside curl's patience."""
LIVENESS_HEALTHY = 10.0
"""agnhost liveness: /healthz is 200 while ``time.Since(started).Seconds() <= 10``, then 500."""
AGNHOST = "registry.k8s.io/e2e-test-images/agnhost"
CRASH_SECONDS = 1.0
"""How long a ``crash``-ing app runs before it exits with code 1."""


@dataclass(frozen=True)
class Behaviour:
    """A ready-made app: how long it warms up and which paths it answers for health."""

    name: str
    warmup: float = 0.0
    never_ready: bool = False
    stop_exit_code: int = 0
    """The exit code on SIGTERM: 0 (``Completed``) for nginx, 143 (``Error``) for a plain process."""


BEHAVIOURS: dict[str, Behaviour] = {
    "nginx": Behaviour("nginx"),
    WEBAPP: Behaviour("webapp", warmup=WEBAPP_WARMUP, stop_exit_code=143),
}
DEFAULT = Behaviour("netexec", stop_exit_code=2)
LIVENESS = Behaviour("liveness", stop_exit_code=2)
"""Go's runtime as PID 1 without a SIGTERM handler: it re-raises the signal, which the kernel
ignores for a namespace's init, then exits 2 (runtime.dieFromSignal)."""


@dataclass
class AppRuntime:
    """Per cluster: the faults switched on per pod (by uid), when each container last started, and
    the images add-ons registered a handler for."""

    faults: dict[str, set[str]] = field(default_factory=dict)
    started: dict[tuple[str, str], float] = field(default_factory=dict)
    apps: ContainerApps = field(default_factory=ContainerApps)
    noted: set[tuple[str, str]] = field(default_factory=set)
    """(pod uid, container) already warned about as an image kitlib does not model."""


_image_repo = lru_cache(maxsize=4096)(image_repo)
""":func:`image_repo`, a pure function of its text, cached: every container start asks for its
behaviour, and thousands of replicas share one image."""


def behaviour(container: Container) -> Behaviour:
    """The ready-made behaviour of ``container``'s image (``WARMUP_SECONDS`` in env overrides the warm-up)."""

    image = container.image or ""
    repo = _image_repo(image)
    if repo == AGNHOST and "liveness" in (container.extra.get("command") or []) + (container.extra.get("args") or []):
        return LIVENESS
    b = BEHAVIOURS.get(repo, DEFAULT)
    if b.name == "webapp":
        warmup = b.warmup
        for env in container.extra.get("env") or []:
            if isinstance(env, dict) and env.get("name") == "WARMUP_SECONDS":
                try:
                    warmup = max(0.0, float(env.get("value", warmup)))
                except (TypeError, ValueError):
                    pass
        if warmup != b.warmup or image_tag(image) == "broken":
            b = Behaviour(b.name, warmup, image_tag(image) == "broken", b.stop_exit_code)
    return b


def set_fault(rt: Runtime, name: str, fault: str, on: bool = True, namespace: str = "default") -> Pod:
    """Flip a fault switch of a pod's app (see the module docstring) and return the pod: clients
    see it at once, the kubelet's probes once told (:func:`kitlib.controllers.prober.fault_changed`)."""
    if fault not in FAULTS:
        raise BadRequest(f'error: unknown fault "{fault}": use one of {", ".join(FAULTS)}')
    pod = cast("Pod", rt.get("Pod", name, namespace))  # the API's get returns the kind's own class
    faults = rt.apps.faults.setdefault(pod.metadata.uid or pod.key, set())
    if on:
        faults.add(fault)
    else:
        faults.discard(fault)
    return pod


def faults(rt: Runtime, pod: Pod) -> set[str]:
    """The faults switched on for ``pod``."""
    switched = rt.apps.faults
    return switched.get(pod.metadata.uid or pod.key, set()) if switched else set()


def started(rt: Runtime, pod: Pod, container: Container) -> None:
    """The kubelet started ``container``: its warm-up begins now; an image kitlib does not model
    gets its Warning event (:func:`kitlib.container.listeners.note_unknown`); a run after the first
    starts a new log (:func:`kitlib.container.logs.started`)."""
    rt.apps.started[(pod.metadata.uid or pod.key, container.name)] = rt.now
    listeners.note_unknown(rt, pod, container)
    logs.started(rt, pod, container.name)


def listens_at(rt: Runtime, pod: Pod, container: Container) -> float:
    """When the container's app starts listening (-inf for an app that listens at once)."""
    b = behaviour(container)
    if not b.warmup:
        return -math.inf
    start = rt.apps.started.get((pod.metadata.uid or pod.key, container.name))
    return -math.inf if start is None else start + b.warmup


def latency(rt: Runtime, pod: Pod) -> float:
    """How long the app takes to answer a request (inf: it never does)."""
    f = faults(rt, pod)
    if "hang" in f:
        return math.inf
    return SLOW_SECONDS if "slow" in f else 0.0


def connection_problem(rt: Runtime, pod: Pod, container: Container, port: int) -> tuple[str, str] | None:
    """How and why a connection the container's port accepted still gets no answer (``refused`` or
    ``timeout``, and a sentence), or None."""
    if rt.now < listens_at(rt, pod, container):
        return "refused", (f"container {container.name} of pod {pod.name} is running but its app is still starting "
                f"(warm-up {behaviour(container).warmup:g} s): nothing listens on port {port} yet, "
                "the connection is refused")
    if "hang" in faults(rt, pod):
        return "timeout", (f"container {container.name} of pod {pod.name} accepted the connection on port {port}, but its "
                "app hangs and never answers: the request times out")
    return None


def status(rt: Runtime, pod: Pod, container: Container, path: str) -> int:
    """The HTTP status the app answers on ``path`` (cheaply: what a probe needs)."""
    route = path.split("?", 1)[0]
    f = faults(rt, pod)
    b = behaviour(container)
    if route == "/live" and b.name == "webapp":
        return 200
    if b.name == "liveness" and "dependency-down" not in f:
        if route == "/healthz":
            return 200 if _since_start(rt, pod, container) <= LIVENESS_HEALTHY else 500
        return 200 if route in ("/started", "/sleep-headers") else 404
    if "dependency-down" in f or (b.never_ready and route == "/ready"):
        return 503
    if b.name == "nginx":
        return 200 if route in ("/", "/index.html", "/50x.html") else 404
    return 200


def reply(rt: Runtime, pod: Pod, container: Container, req: HttpRequest) -> AppReply | None:
    """The webapp's answers and the faults' effect on any app; None: the image's own handler answers."""
    b = behaviour(container)
    code = status(rt, pod, container, req.route)
    if code == 503:
        return go_reply(rt, 503, "not ready: dependency down\n" if b.name == "webapp" else
                         "503 Service Unavailable\n")
    if b.name == "liveness":
        return _liveness_reply(rt, pod, container, req.route, code)
    if b.name != "webapp":
        return None
    if req.route == "/live":
        return go_reply(rt, 200, "ok\n")
    if req.route == "/ready":
        return go_reply(rt, 200, "ready\n")

    return go_reply(rt, 200, f"Hello from {pod.name} ({image_tag(container.image or '')})\n")


def _since_start(rt: Runtime, pod: Pod, container: Container) -> float:
    start = rt.apps.started.get((pod.metadata.uid or pod.key, container.name))
    return 0.0 if start is None else rt.now - start


def _liveness_reply(rt: Runtime, pod: Pod, container: Container, route: str, code: int) -> AppReply:
    """agnhost liveness's answers (Go's net/http: its mux answers unknown paths ``404 page not found``)."""
    if route == "/healthz":
        if code == 200:
            return go_reply(rt, 200, "ok")
        seconds = repr(_since_start(rt, pod, container)).removesuffix(".0")  # Go's %v of a float64
        return go_reply(rt, 500, f"error: {seconds}")
    if route == "/started":
        return go_reply(rt, 200, f"{_since_start(rt, pod, container):g}s")
    return go_reply(rt, code, "404 page not found\n" if code == 404 else "")


def resolve_port(container: Container, port: int | str) -> int | str:
    """A probe's port as a number, or the kubelet's error text for a name the container does not declare."""
    if isinstance(port, int):
        return port
    for p in container.ports:
        if p.name == port:
            return p.container_port
    if port.isdigit():
        return int(port)
    return f'strconv.Atoi: parsing "{port}": invalid syntax'


def run_probe(rt: Runtime, pod: Pod, container: Container, probe: Probe) -> tuple[str, str]:
    """Run one probe now: (``success`` | ``failure`` | ``error``, the kubelet's output text)."""
    ip = pod.status.pod_ip or ""
    timeout = probe.timeout_seconds or 1
    slow = latency(rt, pod)
    if probe.exec is not None:
        if slow >= timeout:
            return "failure", f'command "{" ".join(probe.exec.command)}" timed out'
        return _exec_probe(rt, pod, container, probe.exec.command, timeout)
    if probe.grpc is not None:
        target = f"{ip}:{probe.grpc.port}"
        if not _listens(rt, pod, container, probe.grpc.port) or slow >= timeout:
            return "failure", (f'timeout: failed to connect service "{target}" within {timeout}s: '
                               "context deadline exceeded")
        return "success", ""
    handler = probe.http_get or probe.tcp_socket
    if handler is None:
        return "error", "missing probe handler"
    port = resolve_port(container, handler.port)
    if isinstance(port, str):
        return "error", port
    host = handler.host or ip
    if probe.tcp_socket is not None:
        if not _listens(rt, pod, container, port):
            return "failure", f"dial tcp {host}:{port}: connect: connection refused"
        return "success", ""
    hg = probe.http_get
    assert hg is not None
    url = f"{(hg.scheme or 'HTTP').lower()}://{host}:{port}{hg.path or '/'}"
    if not _listens(rt, pod, container, port):
        return "failure", f'Get "{url}": dial tcp {host}:{port}: connect: connection refused'
    if slow >= timeout:
        return "failure", f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
    if (hg.scheme or "HTTP") == "HTTPS":
        return "failure", f'Get "{url}": http: server gave HTTP response to HTTPS client'
    code = status(rt, pod, container, hg.path or "/")
    if 200 <= code < 400:
        return "success", ""
    return "failure", f"HTTP probe failed with statuscode: {code}"


def _exec_probe(rt: Runtime, pod: Pod, container: Container, command: list[str],
                probe_timeout: float) -> tuple[str, str]:
    """The kubelet's exec prober: exit code 0 is success; any other is failure, the output the
    event's text; a command still running after ``timeoutSeconds`` fails as timed out
    (pkg/kubelet/prober/prober.go)."""
    from .shell import run_within

    if not command:
        return "error", "missing probe handler"
    argv = [str(a) for a in command]
    try:
        done = run_within(rt, pod, container, argv, probe_timeout)
    except BadRequest:
        return "success", ""  # a program kitlib does not simulate: taken to report healthy
    if done is None:
        return "failure", f'command "{" ".join(argv)}" timed out'
    output, code = done
    return ("success", "") if code == 0 else ("failure", output)


def listens(rt: Runtime, pod: Pod, container: Container, port: int) -> bool:
    """Whether the container's app accepts connections on ``port`` now (a preStop ``httpGet`` asks)."""
    return _listens(rt, pod, container, port)


def listening_ports(rt: Runtime, pod: Pod, container: Container) -> set[tuple[int, str]]:
    """The (port, protocol) pairs ``container`` listens on once its app is up: decided by its image
    and command (:mod:`kitlib.container.listeners`), not by ``containerPort``."""
    return listeners.listening_ports(rt, pod, container)


def _listens(rt: Runtime, pod: Pod, container: Container, port: int, protocol: str = "TCP") -> bool:
    # The pod's containers share one network namespace: a probe reaches whichever of them listens.
    if rt.now < listens_at(rt, pod, container):
        return False
    return any((port, protocol) in listeners.listening(rt, c).ports for c in pod.spec.containers)


def changes_at(rt: Runtime, pod: Pod, container: Container) -> float | None:
    """The next time the app's answers change by themselves (its warm-up ends), or None."""
    from .process import next_change

    times = [t for t in (listens_at(rt, pod, container), next_change(rt, pod, container)) if t is not None]
    if behaviour(container).name == "liveness":
        times.append(rt.apps.started.get((pod.metadata.uid or pod.key, container.name), 0.0)
                     + LIVENESS_HEALTHY + 1e-6)
    future = [t for t in times if t > rt.now]
    return min(future) if future else None


__all__ = ["BEHAVIOURS", "AppRuntime", "Behaviour", "FAULTS", "behaviour", "connection_problem", "listening_ports",
           "run_probe", "set_fault"]
