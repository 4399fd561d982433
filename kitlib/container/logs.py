"""What a container wrote to stdout and stderr: the lines ``kubectl logs`` reads.

The container runtime keeps each container's output in a log file per run; the kubelet keeps the
current run's and the one before it, which is what ``kubectl logs --previous`` shows. Here a
container's log is a list of :class:`LogLine` values per run, held in :class:`ContainerLogs` on the
:class:`~kitlib.runtime.Runtime` by pod uid and container name:

* :func:`write` appends what the process printed, at the cluster's current time;
* :func:`restarted` is called by the kubelet when a container starts again: the current run
  becomes the previous one (:func:`started`, called at every start, does it for a container
  that printed something);
* :func:`read` returns a run's lines; :func:`forget` drops a removed pod's logs.

Nothing is written for a container that prints nothing, so tens of thousands of quiet pods cost
nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..api.pod import Pod
    from ..runtime import Runtime


@dataclass(frozen=True)
class LogLine:
    """One line a container printed, without its newline."""

    at: float
    """The cluster's time (seconds) when it was printed."""
    text: str
    stream: str = "stdout"
    """``stdout`` or ``stderr``: kubectl logs prints both, interleaved by time."""


@dataclass
class ContainerLog:
    """One container's output: the current run's lines and the previous run's."""

    current: list[LogLine] = field(default_factory=list)
    previous: list[LogLine] | None = None
    """None until the container has restarted once (``--previous`` then has nothing to show)."""
    rotated_at: float | None = None
    """When the current run began as a new run (a second call at that instant changes nothing)."""


@dataclass
class ContainerLogs:
    """Every container's log in a cluster, by pod uid, then container name."""

    by_pod: dict[str, dict[str, ContainerLog]] = field(default_factory=dict)


def _log(rt: Runtime, pod: Pod, container: str) -> ContainerLog:
    logs = rt.logs.by_pod.setdefault(pod.metadata.uid or pod.key, {})
    log = logs.get(container)
    if log is None:
        log = logs[container] = ContainerLog()
    return log


def write(rt: Runtime, pod: Pod, container: str, text: str, stream: str = "stdout") -> None:
    """Append ``text`` (one or more lines; a trailing newline adds no empty line) to the
    container's current run."""
    log = _log(rt, pod, container)
    now = rt.now
    log.current.extend(LogLine(now, line, stream) for line in text.splitlines())


def restarted(rt: Runtime, pod: Pod, container: str) -> None:
    """The container starts again: its current run becomes the previous one (once per instant, so
    that the kubelet's and the app model's calls for the same start rotate once)."""
    log = _log(rt, pod, container)
    if log.rotated_at == rt.now:
        return
    log.previous, log.current = log.current, []
    log.rotated_at = rt.now


def started(rt: Runtime, pod: Pod, container: str) -> None:
    """The container's process starts: a run after the first one begins a new log. A container
    that never printed has no log to rotate (its previous run printed nothing either)."""
    log = rt.logs.by_pod.get(pod.metadata.uid or pod.key, {}).get(container)
    if log is not None:
        restarted(rt, pod, container)


def read(rt: Runtime, pod: Pod, container: str, previous: bool = False) -> list[LogLine] | None:
    """The lines of the current run, or of the previous one (None when there is no previous run)."""
    log = rt.logs.by_pod.get(pod.metadata.uid or pod.key, {}).get(container)
    if previous:
        return None if log is None or log.previous is None else list(log.previous)
    return [] if log is None else list(log.current)


def forget(rt: Runtime, pod: Pod) -> None:
    """The pod is gone: so are its containers' logs."""
    rt.logs.by_pod.pop(pod.metadata.uid or pod.key, None)
