"""``kubectl logs (POD | TYPE/NAME) [-c CONTAINER]``: what a container printed.

As kubectl 1.37 (``staging/src/k8s.io/kubectl/pkg/cmd/logs/logs.go``) and its helper
``polymorphichelpers/logsforobject.go`` do it:

* the flags are parsed first (``--tail``, ``--limit-bytes`` as integers, ``--since`` and
  ``--pod-running-timeout`` as Go durations), then the words (``POD``, ``POD CONTAINER``, or
  ``-l SELECTOR``), then the object is fetched, then ``Validate`` runs;
* ``deployment/NAME`` (any kind with a selector: ``rs/``, ``svc/``, ``job/`` ...) takes the first
  pod by ``podutils.ByLogging`` and says ``Found N pods, using pod/NAME`` on stderr;
* a pod with several containers and no ``-c`` uses the first (or the
  ``kubectl.kubernetes.io/default-container`` annotation's) and says ``Defaulted container "x" out
  of: x, y`` on stderr;
* the kubelet's ``validateContainerLogStatus`` (``pkg/kubelet/kubelet_pods.go``) decides which run
  is read: ``--previous`` needs a terminated last state (``previous terminated container "x" in pod
  "y" not found``), a waiting container has no log (``container "x" in pod "y" is waiting to
  start: ContainerCreating``); a pod no node runs yet has an empty log;
* ``-f`` prints what is there now (the simulated clock does not move while a command runs);
  ``--timestamps`` prefixes each line with its RFC 3339 time (nanoseconds, trailing zeros cut).

The lines come from :mod:`kitlib.container.imagelogs` (each image's start-up lines, made at read
time from the run's start) and :mod:`kitlib.container.logs` (what was written while it ran).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

from ..api.labels import parse_selector
from ..api.pod import Container, ContainerStatus, Pod, is_ready
from ..clock import EPOCH
from ..container import imagelogs
from ..container import logs as store
from ..container.logs import LogLine
from ..errors import BadRequest, ServerBadRequest
from .args import Args, KubectlError, resource_type
from .exec import ServerError
from .output import note, request

if TYPE_CHECKING:
    from ..cluster import Cluster

USAGE = ("error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
         "POD or TYPE/NAME is a required argument for the logs command\n"
         "See 'kubectl logs -h' for help and examples")
SELECTOR_TAIL = 10
"""``--tail``'s default with a selector (``selectorTail`` in logs.go)."""
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _duration(args: Args, name: str) -> float | None:
    """The flag's value as Go's ``time.ParseDuration`` reads it, or pflag's error in kubectl's words."""
    text = args.get(name)
    if text is None:
        return None
    rest = text.lstrip("+-")
    sign = -1.0 if text.startswith("-") else 1.0
    why = ""
    if rest == "0":
        return 0.0
    if not rest:
        why = f'time: invalid duration "{text}"'
    total = 0.0
    while rest and not why:
        m = re.match(r"(\d*\.?\d*)([^\d.]*)", rest)
        number, unit = (m.group(1), m.group(2)) if m else ("", "")
        if number in ("", "."):
            why = f'time: invalid duration "{text}"'
        elif not unit:
            why = f'time: missing unit in duration "{text}"'
        elif unit not in _UNITS:
            why = f'time: unknown unit "{unit}" in duration "{text}"'
        else:
            total += float(number) * _UNITS[unit]
            rest = rest[len(number) + len(unit):]
    if why:
        raise KubectlError(f'error: invalid argument "{text}" for "--{name}" flag: {why}\n'
                           "See 'kubectl logs --help' for usage.")
    return sign * total


_RFC3339 = [("2006", r"\d{4}"), ("-", "-"), ("01", r"\d{2}"), ("-", "-"), ("02", r"\d{2}"), ("T", "T"),
            ("15", r"\d{2}"), (":", ":"), ("04", r"\d{2}"), (":", ":"), ("05", r"\d{2}(\.\d+)?"),
            ("Z07:00", r"Z|[+-]\d{2}:\d{2}")]
"""Go's ``time.RFC3339`` layout, element by element (what ``util.ParseRFC3339`` reads ``--since-time`` with)."""


def _since_time(text: str) -> float:
    """``--since-time`` as seconds of the cluster's clock, or Go's ``time.Parse`` error as kubectl prints it."""
    rest = text
    for element, pattern in _RFC3339:
        m = re.match(pattern, rest)
        if m is None:
            raise BadRequest(f'error: parsing time "{text}" as "2006-01-02T15:04:05Z07:00": cannot parse "{rest}" '
                             f'as "{element}"')
        rest = rest[m.end():]
    if rest:
        raise BadRequest(f'error: parsing time "{text}": extra text: "{rest}"')
    from datetime import datetime

    return (datetime.fromisoformat(text.replace("Z", "+00:00")) - EPOCH).total_seconds()


def logs_command(cluster: Cluster, args: Args, stdin: str) -> str:
    """``kubectl logs``: parse as kubectl does, find the pod and container, and print the run's lines."""
    tail = args.flag_int("tail", "logs", -1)
    limit = args.flag_int("limit-bytes", "logs", 0) or 0
    args.flag_int("max-log-requests", "logs", 5)
    since = _duration(args, "since")
    words = args.words[1:]
    selector = args.get("selector") or ""
    if not words and not selector or len(words) > 2:
        raise KubectlError(USAGE)
    if len(words) == 1 and selector:
        raise KubectlError("error: only a selector (-l) or a POD name is allowed\n"
                           "See 'kubectl logs -h' for help and examples")
    container_name = words[1] if len(words) == 2 else args.get("container")
    namespace = args.namespace
    timeout = _duration(args, "pod-running-timeout")
    if timeout is not None and timeout <= 0:
        raise BadRequest("error: --pod-running-timeout must be higher than zero")
    since_time = _since_time(args.get("since-time") or "") if args.get("since-time") else None
    request(cluster, "Pod")
    if selector:
        parse_selector(selector)
        pods = [p for p in cluster.api.list("Pod", namespace, selector) if isinstance(p, Pod)]
        if not pods:
            note(f"No resources found in {namespace} namespace.")
        if tail == -1 and not args.has("tail"):
            tail = SELECTOR_TAIL
    else:
        pods = _target_pods(cluster, words[0], namespace, args.on("all-pods"))
    if since_time is not None and since:
        raise BadRequest("error: at most one of `sinceTime` or `sinceSeconds` may be specified")
    all_containers = args.on("all-containers")
    if all_containers and container_name:
        raise BadRequest(f"error: --all-containers=true should not be specified with container name {container_name}")
    if args.has("container") and len(words) == 2:
        raise BadRequest("error: only one of -c or an inline [CONTAINER] arg is allowed")
    if limit < 0:
        raise BadRequest("error: --limit-bytes must be greater than 0")
    if since is not None and since < 0:
        raise BadRequest("error: --since must be greater than 0")
    if tail is not None and tail < -1:
        raise BadRequest("error: --tail must be greater than or equal to -1")
    previous = args.on("previous")
    prefix = args.on("prefix") or args.on("all-pods")
    streams = [(pod, c) for pod in pods
               for c in (pod.spec.containers if all_containers else [_container(pod, container_name, args.on("all-pods"))])]
    most = args.flag_int("max-log-requests", "logs", 5) or 0
    if args.on("follow") and len(streams) > 1 and len(streams) > most:
        raise BadRequest(f"error: you are attempting to follow {len(streams)} log streams, but maximum allowed "
                         f"concurrency is {most}, use --max-log-requests to increase the limit")
    out: list[str] = []
    for pod, c in streams:
        lines = _lines(cluster, pod, c, previous)
        if since:
            lines = [ln for ln in lines if ln.at >= cluster.now - since]
        if since_time is not None:
            lines = [ln for ln in lines if ln.at >= since_time]
        if tail is not None and tail >= 0:
            lines = lines[len(lines) - tail:] if tail else []
        text = "".join((f"[pod/{pod.name}/{c.name}] " if prefix else "")
                       + (f"{_rfc3339(ln.at)} " if args.on("timestamps") else "") + ln.text + "\n"
                       for ln in lines)
        out.append(text[:limit] if limit else text)
    # Kubectl's verbs return their text without the last line end.
    return "".join(out).removesuffix("\n")


def _rfc3339(at: float) -> str:
    """Go's RFC3339Nano: nanoseconds with trailing zeros cut."""
    when = EPOCH + timedelta(seconds=at)
    frac = f"{when.microsecond * 1000:09d}".rstrip("0")
    return when.strftime("%Y-%m-%dT%H:%M:%S") + (f".{frac}" if frac else "") + "Z"


def _target_pods(cluster: Cluster, ref: str, namespace: str, all_pods: bool) -> list[Pod]:
    """``POD`` or ``TYPE/NAME``: a pod, or the first of the object's pods (``GetFirstPod``), or with
    ``--all-pods`` all of them in ``ByLogging`` order."""
    kind, _, name = ref.partition("/") if "/" in ref else ("pod", "", ref)
    res = resource_type(kind)
    if res.kind == "Pod":
        pod = cluster.api.get("Pod", name, namespace)
        assert isinstance(pod, Pod)
        return [pod]
    owner = cluster.api.get(res.kind, name, namespace)
    spec = getattr(owner, "spec", None)
    selector = getattr(spec, "selector", None)
    labels = selector if isinstance(selector, dict) else getattr(selector, "match_labels", None)
    if labels is None:
        raise BadRequest(f"error: cannot get the logs from {res.kind.lower()}: selector for {res.kind} not implemented")
    pods = [p for p in cluster.api.list_as(Pod, namespace) if labels.items() <= p.metadata.labels.items()]
    if not pods:
        # GetFirstPod waits --pod-running-timeout (20s) for a pod to appear, then gives up.
        raise BadRequest("error: timed out waiting for the condition")
    pods.sort(key=_by_logging)
    if all_pods:
        return pods
    if len(pods) > 1:
        note(f"Found {len(pods)} pods, using pod/{pods[0].name}")
    return pods[:1]


_PHASE_ORDER = {"Running": 0, "Unknown": 1, "Pending": 2}


def _by_logging(pod: Pod) -> tuple[bool, int, bool, str, int, str, str]:
    # podutils.ByLogging: assigned before unassigned; Running, Unknown, Pending (any other phase
    # counts as Running: the map's zero value); ready first, ready longer first; more restarts
    # first; older first. Go's sort is not stable: the name breaks ties here.
    ready = is_ready(pod)
    since = next((c.last_transition_time or "" for c in pod.status.conditions if c.type == "Ready"), "") if ready else ""
    restarts = max((cs.restart_count for cs in pod.status.container_statuses), default=0)
    return (not pod.spec.node_name, _PHASE_ORDER.get(pod.status.phase or "", 0), not ready, since, -restarts,
            pod.metadata.creation_timestamp or "", pod.name)


def _container(pod: Pod, name: str | None, all_pods: bool) -> Container:
    """The container to read: named, annotated as the default, or the first (said on stderr)."""
    names = [c.name for c in pod.spec.containers]
    inits = [str(c.get("name")) for c in pod.spec.extra.get("initContainers") or []]
    if not name:
        wanted = pod.metadata.annotations.get("kubectl.kubernetes.io/default-container")
        if wanted and wanted in names:
            name = wanted
        else:
            if wanted:
                note(f'Default container name "{wanted}" not found in pod {pod.name}')
            name = names[0]
            if (len(names) > 1 or inits) and not all_pods:
                note(f'Defaulted container "{name}" out of: {", ".join(inits + names)}')
    found = next((c for c in pod.spec.containers if c.name == name), None)
    if found is None:
        raise BadRequest(f"error: container {name} is not valid for pod {pod.name} out of: "
                         f"{', '.join(inits + names)}")
    return found


def _seconds(timestamp: str | None) -> float | None:
    if not timestamp:
        return None
    from datetime import datetime

    return (datetime.fromisoformat(timestamp.replace("Z", "+00:00")) - EPOCH).total_seconds()


def _lines(cluster: Cluster, pod: Pod, c: Container, previous: bool) -> list[LogLine]:
    """The run the kubelet reads (``validateContainerLogStatus``), its start-up lines then its output."""
    if not pod.spec.node_name:
        return []  # the API server has no kubelet to ask: an empty log
    node = cluster.runtime.node_state.get(pod.spec.node_name)
    cs: ContainerStatus | None = next((s for s in pod.status.container_statuses if s.name == c.name), None)
    where = f'container "{c.name}" in pod "{pod.name}"'
    if cs is None:
        raise ServerBadRequest(f"{where} is waiting to start: ContainerCreating")
    if node is not None and not node.up:
        ip = next((a.address for n in cluster.nodes() if n.name == pod.spec.node_name
                   for a in n.status.addresses if a.type == "InternalIP"), "")
        raise ServerError(f'Get "https://{ip}:10250/containerLogs/{pod.namespace}/{pod.name}/{c.name}": '
                          f"dial tcp {ip}:10250: i/o timeout")
    state, last = cs.state, cs.last_state
    rt = cluster.runtime
    if previous:
        if last.terminated is None or not last.terminated.container_id:
            raise ServerBadRequest(f"previous terminated {where} not found")
        started = _seconds(last.terminated.started_at)
        written = store.read(rt, pod, c.name, previous=True) or []
    elif state.running is not None or state.terminated is not None:
        run = state.running or state.terminated
        started = _seconds(run.started_at if run is not None else None)
        written = store.read(rt, pod, c.name) or []
    elif last.terminated is not None:
        started = _seconds(last.terminated.started_at)
        written = store.read(rt, pod, c.name) or []
    else:
        reason = state.waiting.reason if state.waiting is not None else None
        if reason == "ErrImagePull":
            raise ServerBadRequest(f"{where} is waiting to start: image can't be pulled")
        if reason == "ImagePullBackOff":
            raise ServerBadRequest(f"{where} is waiting to start: trying and failing to pull image")
        if reason:
            raise ServerBadRequest(f"{where} is waiting to start: {reason}")
        raise ServerBadRequest(f"{where} is waiting to start - no logs yet")
    first = imagelogs.startup(rt, pod, c, started) if started is not None else []
    return sorted(first + written, key=lambda ln: ln.at)


__all__ = ["logs_command"]
