"""``kubectl exec POD [-c CONTAINER] -- COMMAND``: run a network tool inside a container.

What the command does inside the container is :func:`kitlib.container.shell.run`'s business (the
tools each image ships, and what they print). When the command exits non-zero, kubectl adds
``command terminated with exit code N`` and exits 1 itself: that raises :class:`ExecError`
carrying the whole text.

The clock does not move while a command runs (a connection that times out after two minutes on
a real cluster returns at once here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..api.node import Node, internal_ip
from ..api.pod import Container, Pod, is_ready
from ..container.process import files
from ..container.shell import run
from ..controllers import prober
from ..errors import ApiError, BadRequest, ServerBadRequest
from .args import Args, resource_type

if TYPE_CHECKING:
    from ..cluster import Cluster


class ExecError(ApiError):
    """``kubectl exec`` exited non-zero. ``str(err)`` is everything it printed, e.g. curl's error
    and ``command terminated with exit code 7``; ``exit_code`` is the command's own code."""

    reason, code = "CommandFailed", 1
    printed = True

    def __init__(self, message: str, exit_code: int = 1, output: str = "") -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.output = output


class ServerError(ApiError):
    """An error the API server reports without a reason (``Error from server: ...``)."""

    reason, code = "InternalError", 500

    def _kubectl_format(self) -> str:
        return f"Error from server: {self.message}"


# ---------------------------------------------------------------------------- kubectl exec


def exec_command(cluster: Cluster, args: Args, stdin: str) -> str:
    """``kubectl exec``: find the pod and container as kubectl and the API server do, then run."""
    words = args.words[1:]
    notes: list[str] = []
    if args.rest:
        command = list(args.rest)
    else:
        command = words[1:]
        if command:
            notes.append("kubectl exec [POD] [COMMAND] is DEPRECATED and will be removed in a future version. "
                         "Use kubectl exec [POD] -- [COMMAND] instead.")
    if not words:
        raise BadRequest("error: pod, type/name or --filename must be specified")
    if not command:
        raise BadRequest("error: you must specify at least one command for the container")
    namespace = args.namespace
    pod = _target_pod(cluster, words[0], namespace)
    if pod.status.phase in ("Succeeded", "Failed"):
        raise BadRequest(f"error: cannot exec into a container in a completed pod; current phase is {pod.status.phase}")
    name = args.get("container")
    if name is None:
        container = _default_container(pod, notes)
    else:
        found = next((c for c in pod.spec.containers if c.name == name), None)
        if found is None:
            raise ServerBadRequest(f"container {name} is not valid for pod {pod.name}")
        container = found
    if not pod.spec.node_name:
        raise ServerBadRequest(f"pod {pod.name} does not have a host assigned")
    node = cluster.api.get("Node", pod.spec.node_name)
    assert isinstance(node, Node)
    if not cluster.node_runtime(node.name).up:
        raise ServerError(f"error dialing backend: dial tcp {internal_ip(node)}:10250: i/o timeout")
    status = next((cs for cs in pod.status.container_statuses if cs.name == container.name), None)
    if status is None or status.state.running is None:
        raise BadRequest(f'error: unable to upgrade connection: container not found ("{container.name}")')
    stored = cluster.api.get("Pod", pod.name, pod.namespace)
    assert isinstance(stored, Pod)
    before = dict(files(cluster.runtime, stored, container))
    output, code = run(cluster.runtime, stored, container, command)
    if files(cluster.runtime, stored, container) != before:
        prober.wake(cluster.runtime, stored)  # an exec probe may see the file now
    text = "".join(n + "\n" for n in notes) + output
    if code != 0:
        raise ExecError(text + f"command terminated with exit code {code}", code, output)
    # kubectl's other verbs return text without the last line end; so does exec.
    return text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")


def _target_pod(cluster: Cluster, ref: str, namespace: str) -> Pod:
    kind, _, name = ref.partition("/") if "/" in ref else ("pod", "", ref)
    res = resource_type(kind)
    if res.kind == "Pod":
        pod = cluster.api.get("Pod", name, namespace)
        assert isinstance(pod, Pod)
        return pod
    owner = cluster.api.get(res.kind, name, namespace)
    spec = getattr(owner, "spec", None)
    selector = getattr(spec, "selector", None)
    labels = selector if isinstance(selector, dict) else getattr(selector, "match_labels", None)
    pods = [p for p in cluster.api.list_as(Pod, namespace) if labels and labels.items() <= p.metadata.labels.items()]
    if not pods:
        # kubectl waits --pod-running-timeout (1m) for a pod to appear, then gives up.
        raise BadRequest("error: timed out waiting for the condition")
    # kubectl's podutils.ByLogging: a running, ready pod first, then the older one.
    pods.sort(key=lambda p: (p.status.phase != "Running", not is_ready(p), p.metadata.creation_timestamp or "", p.name))
    return pods[0]


def _default_container(pod: Pod, notes: list[str]) -> Container:
    wanted = pod.metadata.annotations.get("kubectl.kubernetes.io/default-container")
    chosen = next((c for c in pod.spec.containers if c.name == wanted), pod.spec.containers[0])
    inits = [f"{c.get('name')} (init)" for c in pod.spec.extra.get("initContainers", [])]
    names = [c.name for c in pod.spec.containers] + inits
    if len(names) > 1 and wanted is None:
        notes.append(f'Defaulted container "{chosen.name}" out of: {", ".join(names)}')
    return chosen


__all__ = ["ExecError", "exec_command"]
