"""A container's main process: what it runs, the files it writes, how it ends and how it takes SIGTERM.

What runs is the container's ``command`` and ``args`` over its image's ``ENTRYPOINT`` and ``CMD``
(:data:`kitlib.container.listeners.IMAGE_CONFIG`), by the rule of "Define a Command and Arguments for a Container"
(kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container): ``command``
replaces the entrypoint and drops the image's CMD; ``args`` alone replaces the CMD. An entrypoint
script that ends in ``exec "$@"`` (nginx's ``/docker-entrypoint.sh``, curl's ``/entrypoint.sh``)
hands over to what follows it.

Two kinds of main process:

* a **server** (nginx, agnhost, http-echo, the course's webapp, any image kitlib has no config
  for, or a program of the image the shell model does not run, such as ``httpd -f`` or ``nc -l``)
  runs until it is signalled. It costs nothing here: no state, no event on the clock;
* a **script**: a shell (``sh -c '...'``), or one of the shell model's programs run directly
  (``sleep 3600``, ``echo hi``, ``true``). It runs in :mod:`kitlib.container.shell`'s model with
  the cluster's clock: ``sleep 30`` pauses it for 30 simulated seconds (the kubelet's prober
  schedules the rest, :mod:`kitlib.controllers.prober`). When the script ends, the main process
  exits with its code, and so does the container. ``sh`` with no script reads its standard input,
  which is empty in a container started without ``stdin: true``, and exits 0 at once (busybox's
  default ``CMD ["sh"]`` pod completes and, in a Deployment, crash-loops).

Each container run has its own writable filesystem (a restart starts with a fresh one, as a new
container does): the files the script or ``kubectl exec`` wrote, by path. It is made only when
something writes to it.

SIGTERM (:func:`exit_on_sigterm`): a process that is PID 1 gets no default signal action from the
kernel, so a shell or ``sleep`` ignores SIGTERM and is killed with SIGKILL when the grace period
ends (exit code 137). Servers exit as their image does (:class:`~kitlib.container.behaviour.Behaviour`).

Simplified: the shell model runs no loops, ``if``, pipes or command substitution; a script that
uses them is taken to run until it is signalled. ``env`` lists its variables in a fixed order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from ..errors import BadRequest
from . import behaviour, listeners
from .images import hostname
from .shell import (
    SIMULATED,
    STEP_PROGRAMS,
    Session,
    Step,
    _Unterminated,
    advance,
    parse_script,
    toolbox,
)

if TYPE_CHECKING:
    from ..api.pod import Container, Pod
    from ..runtime import Runtime

_WRAPPERS = {"/docker-entrypoint.sh", "/entrypoint.sh"}
"""Entrypoint scripts that end in ``exec "$@"``."""
_SHELLS = {"sh", "ash", "dash", "bash", "zsh"}
SIGKILL_EXIT = 137
"""128 + SIGKILL: what a process killed at the end of the grace period exits with."""


@dataclass
class Process:
    """The main process of one container run that runs a script, or a container whose files were written."""

    session: Session | None = None
    """The script as it stands (None: a server)."""
    fs: dict[str, str] = field(default_factory=dict)
    """The files written in the container, by path."""
    resume_at: float | None = None
    """While the script sleeps: when it goes on."""
    blocked: bool = False
    """The script waits in a program that runs until it is signalled."""


@dataclass
class Processes:
    """Every cluster's main processes with state, by (pod uid, container name)."""

    by_container: dict[tuple[str, str], Process] = field(default_factory=dict)


def _key(pod: Pod, container: Container) -> tuple[str, str]:
    return (pod.metadata.uid or pod.key, container.name)


def argv(container: Container) -> list[str]:
    """The main process's command line: ``command``/``args`` over the image's ENTRYPOINT/CMD.

    >>> from kitlib.api.pod import Container
    >>> argv(Container(name="c", image="busybox"))
    ['sh']
    >>> argv(Container(name="c", image="nginx:1.27", extra={"args": ["nginx-debug", "-g", "daemon off;"]}))
    ['nginx-debug', '-g', 'daemon off;']
    """
    return list(_argv(*_spec(container)))


def _spec(container: Container) -> tuple[str, tuple[str, ...] | None, tuple[str, ...] | None]:
    return (container.image or "", *listeners.command_and_args(container))


@lru_cache(maxsize=1024)
def _argv(image: str, command: tuple[str, ...] | None, args: tuple[str, ...] | None) -> tuple[str, ...]:
    line = listeners.image_argv(listeners.canonical_repo(image), command, args)
    while line and line[0] in _WRAPPERS:
        line = line[1:]
    return line


def script_of(container: Container) -> tuple[str, str] | None:
    """The shell and script the main process runs in the shell model, or None for a server."""
    return _script(*_spec(container))


@lru_cache(maxsize=1024)
def _script(image: str, command: tuple[str, ...] | None, args: tuple[str, ...] | None) -> tuple[str, str] | None:
    # Cached: thousands of replicas of one template ask the same question.
    line = _argv(image, command, args)
    if not line:
        return None
    program = line[0].rsplit("/", 1)[-1]
    if program in _SHELLS:
        if len(line) >= 3 and line[1] == "-c":
            return program, line[2]
        if len(line) == 1:
            return program, ""  # reads its empty stdin and exits 0
        return None
    box = toolbox(image)
    if (program in SIMULATED or program in STEP_PROGRAMS) and program in box.programs | {"true", "false"}:
        return "sh", " ".join(_quote(a) for a in line)
    return None


def _quote(word: str) -> str:
    return "'" + word.replace("'", "'\"'\"'") + "'" if not word or any(c in word for c in " ;&|$'\"\\<>") else word


def environment(rt: Runtime, pod: Pod, container: Container) -> dict[str, str]:
    """The process's environment: ``PATH`` and ``HOSTNAME``, the spec's ``env``, the Service
    variables the kubelet adds (:func:`service_variables`), ``HOME``. (The runtime's order comes
    from Go's map iteration, so it varies; kitlib's is fixed.)"""
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME": hostname(pod)}
    for item in container.extra.get("env") or []:
        if isinstance(item, dict) and item.get("name"):
            env[str(item["name"])] = str(item.get("value", ""))
    for name, value in service_variables(rt, pod, container):
        env.setdefault(name, value)
    env.setdefault("HOME", "/root")
    return env


def service_variables(rt: Runtime, pod: Pod, container: Container) -> list[tuple[str, str]]:
    """The Service environment variables of the container, as the kubelet computes them when it
    starts it (pkg/kubelet/kubelet_pods.go getServiceEnvVarMap, pkg/kubelet/envvars FromServices):
    the ``kubernetes`` Service of ``default`` always, and with ``enableServiceLinks`` (the default)
    every Service of the pod's namespace, each with a cluster IP; only Services that existed when
    the container started (a pod started before its Service does not have its variables).

    For Service ``web-api`` with port 80 named ``http``: ``WEB_API_SERVICE_HOST``,
    ``WEB_API_SERVICE_PORT``, ``WEB_API_SERVICE_PORT_HTTP``, then Docker's link variables
    ``WEB_API_PORT=tcp://IP:80``, ``WEB_API_PORT_80_TCP``, ``_PROTO``, ``_PORT``, ``_ADDR``."""
    from ..api.service import Service
    from ..clock import parse_timestamp

    started = rt.apps.started.get((pod.metadata.uid or pod.key, container.name), rt.now)
    links = pod.spec.enable_service_links is not False
    chosen: dict[str, Service] = {}
    for svc in rt.api.store.items_as(Service):
        ip = svc.spec.cluster_ip
        if not ip or ip == "None" or not svc.spec.ports:
            continue
        created = svc.metadata.creation_timestamp
        if created is not None and parse_timestamp(created) > started:
            continue
        if svc.metadata.namespace == "default" and svc.metadata.name == "kubernetes":
            chosen.setdefault(svc.name, svc)
        elif svc.metadata.namespace == pod.namespace and links:
            chosen[svc.name] = svc
    out: list[tuple[str, str]] = []
    for name in sorted(chosen):
        svc = chosen[name]
        ip = svc.spec.cluster_ip or ""
        prefix = name.replace("-", "_").upper()
        ports = svc.spec.ports
        out += [(f"{prefix}_SERVICE_HOST", ip), (f"{prefix}_SERVICE_PORT", str(ports[0].port))]
        out += [(f"{prefix}_SERVICE_PORT_{p.name.replace('-', '_').upper()}", str(p.port)) for p in ports if p.name]
        for i, p in enumerate(ports):
            proto = p.protocol or "TCP"
            url = f"{proto.lower()}://{ip}:{p.port}" if ":" not in ip else f"{proto.lower()}://[{ip}]:{p.port}"
            if i == 0:
                out.append((f"{prefix}_PORT", url))
            base = f"{prefix}_PORT_{p.port}_{proto.upper()}"
            out += [(base, url), (f"{base}_PROTO", proto.lower()), (f"{base}_PORT", str(p.port)), (f"{base}_ADDR", ip)]
    return out


def files(rt: Runtime, pod: Pod, container: Container) -> dict[str, str]:
    """A copy of the container run's writable files, to run a command on (:func:`keep` stores
    what it wrote; a command that fails as an API error leaves the container as it was)."""
    procs = rt.processes.by_container
    proc = procs.get(_key(pod, container)) if procs else None
    return dict(proc.fs) if proc is not None else {}


def keep(rt: Runtime, pod: Pod, container: Container, fs: dict[str, str]) -> None:
    """Store ``fs`` as the container's files, if it differs from what they are."""
    procs = rt.processes.by_container
    key = _key(pod, container)
    proc = procs.get(key)
    if proc is None:
        if fs:
            procs[key] = Process(fs=fs)
    elif proc.fs != fs:
        proc.fs = fs


def start(rt: Runtime, pod: Pod, container: Container, out: list[str]) -> Step | None:
    """The container starts: a fresh filesystem, and its script runs until it sleeps, blocks or
    exits (what it prints goes to ``out``). None: a server, which runs until signalled."""
    procs = rt.processes.by_container
    if procs:
        procs.pop(_key(pod, container), None)
    found = script_of(container)
    if found is None:
        return None
    program, script = found
    try:
        parts = parse_script(script, environment(rt, pod, container))
    except (BadRequest, _Unterminated):
        return None  # syntax the model does not run: taken to run until signalled
    if any(part and part[0] in _KEYWORDS for part in parts):
        return None
    proc = procs[_key(pod, container)] = Process(Session(parts, program=program))
    return _run(rt, pod, container, proc, out)


_KEYWORDS = frozenset("while for until if then else elif fi do done case esac function {".split())


def resume(rt: Runtime, pod: Pod, container: Container, out: list[str]) -> Step | None:
    """The script's ``sleep`` is over: it goes on (None: there is no script to resume)."""
    proc = rt.processes.by_container.get(_key(pod, container))
    if proc is None or proc.session is None:
        return None
    return _run(rt, pod, container, proc, out)


def _run(rt: Runtime, pod: Pod, container: Container, proc: Process, out: list[str]) -> Step:
    assert proc.session is not None
    try:
        step = advance(rt, pod, container, proc.session, proc.fs, out)
    except BadRequest:
        step = Step("block", program="?")
    proc.resume_at = rt.now + step.seconds if step.kind == "sleep" else None
    proc.blocked = step.kind == "block"
    return step


def next_change(rt: Runtime, pod: Pod, container: Container) -> float | None:
    """When the script next changes what it has written (its ``sleep`` ends), or None."""
    procs = rt.processes.by_container
    proc = procs.get(_key(pod, container)) if procs else None
    return proc.resume_at if proc is not None else None


_TIMELESS = frozenset("exit sleep touch rm test [ env true false mkdir echo cat hostname".split())
"""Programs whose run changes nothing outside the container: a script of only these can be run ahead."""


def exits_in(rt: Runtime, pod: Pod, container: Container) -> tuple[float, int] | None:
    """When a sleeping script will exit by itself, and with which code: (seconds from now, code);
    None if it never does, or if what it has left to run reaches outside the container (a
    request, a lookup), which kitlib does not run ahead of time."""
    procs = rt.processes.by_container
    proc = procs.get(_key(pod, container)) if procs else None
    if proc is None or proc.session is None or proc.resume_at is None:
        return None
    left = proc.session.parts[proc.session.pc:]
    for part in left:
        words = [w for w in part if w not in (">", ">>")]
        if part not in (("&&",), ("||",), (";",)) and words and words[0].rsplit("/", 1)[-1] not in _TIMELESS:
            return None
    ahead = Session(list(left), 0, proc.session.code, proc.session.program)
    fs = dict(proc.fs)
    total = proc.resume_at - rt.now
    while True:
        step = advance(rt, pod, container, ahead, fs, [])
        if step.kind == "exit":
            return total, step.code
        if step.kind != "sleep" or step.seconds == float("inf"):
            return None
        total += step.seconds


def exit_on_sigterm(rt: Runtime, pod: Pod, container: Container) -> int | None:
    """The exit code the main process ends with on SIGTERM, or None when it ignores SIGTERM (a
    shell or ``sleep`` as PID 1: no handler, and the kernel's default action does not apply to a
    namespace's init); the runtime then kills it with SIGKILL when the grace period ends."""
    if script_of(container) is not None:
        return None
    return behaviour.behaviour(container).stop_exit_code


def forget(rt: Runtime, pod: Pod) -> None:
    """The pod is gone: so are its containers' processes and files."""
    procs = rt.processes.by_container
    if procs:
        uid = pod.metadata.uid or pod.key
        for key in [k for k in procs if k[0] == uid]:
            del procs[key]


__all__ = ["Process", "Processes", "argv", "environment", "exit_on_sigterm", "exits_in", "files", "keep",
           "next_change", "resume", "script_of", "start"]
