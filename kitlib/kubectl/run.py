"""``kubectl run NAME --image=IMAGE``: one pod (and with ``--expose`` its ClusterIP Service), as
kubectl 1.37 builds them (``pkg/cmd/run/run.go``: ``createPod``, ``createService``).

* The pod: labels ``run=NAME`` unless ``--labels``; one container named NAME with ``--env``,
  ``--port`` (one ``containerPort``), ``--image-pull-policy``, ``--privileged``; the words after
  NAME (or after ``--``) are its ``args``, or its ``command`` with ``--command``;
  ``dnsPolicy: ClusterFirst`` and ``restartPolicy`` from ``--restart`` (Always by default: since
  kubectl 1.18 ``run`` makes pods only).
* ``--expose --port=P``: a Service named NAME, selecting the pod's labels, port P → targetPort P,
  labelled with ``--labels`` only.
* ``-i`` (``--stdin``) or ``--attach``: kubectl waits for the pod to be Running and Ready
  (``--pod-running-timeout``, 1m: ``error: timed out waiting for the condition``, as for a short
  command under the default ``--restart=Always``, whose pod is never Ready), then attaches to it, or,
  when the pod has already completed, prints its log; with ``--restart=Never|OnFailure`` it waits
  for the pod to end and exits with the container's code.
  ``--rm`` then deletes what it created (``pod "tmp" deleted from default namespace``), without
  waiting. In a notebook kubectl's stdin is not a terminal and holds nothing: ``-t`` is refused as
  kubectl refuses it there (``Unable to use a TTY - input is not a terminal or the right kind of
  file``, on stderr), and the container's stdin is closed at once (``sh`` then exits 0). The clock
  moves while kubectl waits, in one-second steps: a pod first seen running is attached to
  (kubectl's two prompt lines on stderr), one first seen completed has its log printed.

Simplified: a container that keeps running once attached (a server) would keep kubectl attached
until Ctrl-C; kitlib detaches after :data:`ATTACH_LIMIT` simulated seconds, as Ctrl-C would (the pod
stays: ``--rm`` runs only when the attached session ends), and says so on stderr.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..api.pod import Pod, is_ready
from ..errors import ApiError, PartialFailure
from .args import Args, KubectlError
from .exec import ExecError
from .generate import emit
from .logs import _lines
from .output import note

if TYPE_CHECKING:
    from ..cluster import Cluster

_ALNUM = r"[a-z0-9]+"
_PATH_COMPONENT = rf"{_ALNUM}(?:(?:[._]|__|[-]+){_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
REFERENCE = re.compile(
    rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
    r"(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?")
"""distribution/reference's ``ReferenceRegexp`` (anchored): what kubectl accepts as ``--image``."""

_ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
"""apimachinery's ``IsEnvVarName``, which kubectl checks ``--env`` names with."""

ATTACH_LIMIT = 60.0
"""Simulated seconds kitlib stays attached to a container that keeps running (then it detaches, as
Ctrl-C would)."""

STEP = 1.0
"""How far the clock moves between two looks at the pod while kubectl waits for it."""

PROMPT = ("All commands and output from this session will be recorded in container logs, including credentials "
          "and sensitive information passed through the command prompt.",
          "If you don't see a command prompt, try pressing enter.")
"""What kubectl's attach writes on stderr before it attaches (``pkg/cmd/attach/attach.go``), unless ``-q``."""


def _labels(spec: str) -> dict[str, str]:
    """``parseLabels``: ``k=v,k2=v2``."""
    labels: dict[str, str] = {}
    if not spec:
        return labels
    for item in spec.split(","):
        parts = item.split("=")
        if len(parts) != 2:
            raise KubectlError(f"error: unexpected label spec: {item}")
        if not parts[0]:
            raise KubectlError("error: unexpected empty label key")
        labels[parts[0]] = parts[1]
    return labels


def _envs(values: list[str]) -> list[dict[str, str]]:
    """``parseEnvs``: ``NAME=VALUE``, NAME a C identifier-like name."""
    out = []
    for env in values:
        name, found, value = env.partition("=")
        if not found or not name or not _ENV_NAME.fullmatch(name):
            raise KubectlError(f"error: invalid env: {env}")
        out.append({"name": name, "value": value})
    return out


def _pairs(values: list[str]) -> dict[str, str]:
    """``ParsePairs`` for ``--annotations``: ``KEY=VALUE`` each."""
    out: dict[str, str] = {}
    for item in values:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise KubectlError(f'error: invalid annotations: "{item}"')
        out[key] = value
    return out


def _timeout(text: str) -> float:
    """A Go duration as ``--pod-running-timeout`` takes it (``1m0s``, ``30s``, ``2m``)."""
    total, rest = 0.0, text
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    for number, unit in re.findall(r"([0-9.]+)(ms|h|m|s)", text):
        total += float(number) * units[unit]
        rest = rest.replace(f"{number}{unit}", "", 1)
    if rest or not text:
        raise KubectlError(f'error: invalid argument "{text}" for "--pod-running-timeout" flag: '
                           f'time: invalid duration "{text}"\nSee \'kubectl run --help\' for usage.')
    return total


def run_command(cluster: Cluster, args: Args, stdin: str) -> str:
    """``kubectl run``: check the flags as kubectl's ``Complete`` and ``Validate`` do (in their
    order), create the pod (and Service), then print them, or attach to the pod."""
    if not args.has("image"):
        raise KubectlError('error: required flag(s) "image" not set')
    annotations = _pairs(args.all("annotations"))
    labels = _labels(args.get("labels") or "")
    envs = _envs(args.all("env"))
    restart = args.get("restart") or "Always"
    if restart not in ("Always", "OnFailure", "Never"):
        raise KubectlError(f"error: invalid restart policy: {restart}, valid values are: Always, OnFailure, Never")
    pull = args.get("image-pull-policy") or ""
    if pull not in ("", "Always", "IfNotPresent", "Never"):
        raise KubectlError(f"error: invalid image pull policy: {pull}, valid values are: Always, IfNotPresent, Never")
    timeout = _timeout(args.get("pod-running-timeout") or "1m0s")
    if timeout <= 0:
        raise KubectlError("error: --pod-running-timeout must be higher than zero")
    interactive, tty = args.on("stdin"), args.on("tty")
    attach = args.on("attach") if args.has("attach") else interactive
    dry = args.get("dry-run")
    if dry not in (None, "none", "client", "server"):
        raise KubectlError(f'error: Invalid dry-run value ({dry}). Must be "none", "server", or "client".')
    # Validate: the words before "--" name the pod; kubectl needs NAME before any "--".
    words = args.words[1:]
    if not words:
        raise KubectlError("error: NAME is required for run")
    image = args.get("image") or ""
    if not image:
        raise KubectlError("error: --image is required")
    for flag in ("overrides", "save-config"):
        if args.has(flag):
            raise KubectlError(f"error: kitlib's kubectl run does not simulate --{flag}")
    if not REFERENCE.fullmatch(image):
        raise KubectlError(f'error: invalid image name "{image}": invalid reference format')
    if tty and not interactive:
        raise KubectlError("error: -i/--stdin is required for containers with -t/--tty=true")
    port = args.get("port") or ""
    if args.on("expose") and not port:
        raise KubectlError("error: --port must be set when exposing a service")
    if port and not re.fullmatch(r"[+-]?[0-9]+", port):
        raise KubectlError("error: --port must be a number")
    if not attach and args.on("rm"):
        raise KubectlError("error: --rm should only be used for attached containers")
    if attach and dry not in (None, "none"):
        raise KubectlError("error: --dry-run=[server|client] can't be used with attached containers options "
                           "(--attach, --stdin, or --tty)")
    name = words[0]
    arguments = words[1:] + args.rest
    pod = _pod(args, name, labels or {"run": name}, annotations, envs, restart, pull, arguments)
    objects = [pod]
    if args.on("expose"):
        objects.append(_service(args, name, labels, int(port)))
    if not attach:
        # The YAML printer separates the documents it prints with "---".
        joint = "\n---\n" if args.get("output") == "yaml" else "\n"
        printed = [emit(cluster, args, pod, "created")]
        if len(objects) > 1:
            try:
                printed.append(emit(cluster, args, objects[1], "created"))
            except ApiError as err:  # the pod stays; kubectl prints it, then the Service's error
                raise PartialFailure([joint.join(printed)], [err], [("Pod", args.namespace, name)]) from None
        return joint.join(printed)
    return _attached(cluster, args, objects, restart, timeout, tty)


def _pod(args: Args, name: str, labels: dict[str, str], annotations: dict[str, str], envs: list[dict[str, str]],
         restart: str, pull: str, arguments: list[str]) -> dict[str, Any]:
    """``createPod``: the object kubectl sends, its keys in the Go structs' field order (as ``-o
    json`` prints them; ``-o yaml`` sorts them)."""
    container: dict[str, Any] = {"name": name, "image": args.get("image")}
    if arguments:
        container["command" if args.on("command") else "args"] = arguments
    port = args.get("port")
    if port:
        container["ports"] = [{"containerPort": int(port)}]
    if envs:
        container["env"] = envs
    container["resources"] = {}
    if pull:
        container["imagePullPolicy"] = pull
    if args.on("privileged"):
        container["securityContext"] = {"privileged": True}
    if args.on("stdin"):
        container["stdin"] = True
        if not args.on("leave-stdin-open"):
            container["stdinOnce"] = True
    if args.on("tty"):
        container["tty"] = True
    return {"kind": "Pod", "apiVersion": "v1", "metadata": _meta(args, name, labels, annotations),
            "spec": {"containers": [container], "restartPolicy": restart, "dnsPolicy": "ClusterFirst"},
            "status": {}}


def _meta(args: Args, name: str, labels: dict[str, str], annotations: dict[str, str]) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if args.get("namespace"):
        meta["namespace"] = args.get("namespace")
    if labels:
        meta["labels"] = dict(labels)
    if annotations:
        meta["annotations"] = annotations
    return meta


def _service(args: Args, name: str, labels: dict[str, str], port: int) -> dict[str, Any]:
    """``createService``: selects the pod's labels; carries only the labels given with ``--labels``."""
    return {"kind": "Service", "apiVersion": "v1", "metadata": _meta(args, name, labels, {}),
            "spec": {"ports": [{"protocol": "TCP", "port": port, "targetPort": port}],
                     "selector": dict(labels) or {"run": name}},
            "status": {"loadBalancer": {}}}


def _attached(cluster: Cluster, args: Args, objects: list[dict[str, Any]], restart: str, timeout: float,
              tty: bool) -> str:
    """Create, wait for the pod, print what its container prints, and with ``--rm`` delete."""
    namespace = args.namespace
    created = [cluster.create(objects[0])]
    for obj in objects[1:]:
        try:
            created.append(cluster.create(obj))
        except ApiError:
            pass  # attached, kubectl never reports the Service's error (Run returns from the attach)
    name = created[0].name
    if tty:
        note("Unable to use a TTY - input is not a terminal or the right kind of file")
    # handleAttachPod: wait for the pod to be Running and Ready (podRunningAndReady), or completed.
    pod = _wait(cluster, name, namespace, timeout, lambda p: _completed(p) or (_running(p) and is_ready(p)))
    out: list[str] = []
    failure: ExecError | None = None
    if pod is None:
        failure = ExecError("error: timed out waiting for the condition")
    else:
        if not _completed(pod) and not args.on("quiet"):
            for line in PROMPT:
                note(line)
        # Attached, kubectl streams until the container's stdin closes and its run ends; with
        # Never or OnFailure it then waits for the pod's end (podCompleted, podSucceeded).
        if restart == "Never":
            ended = _wait(cluster, name, namespace, ATTACH_LIMIT, _completed)
        elif restart == "OnFailure":
            ended = _wait(cluster, name, namespace, ATTACH_LIMIT, lambda p: p.status.phase == "Succeeded")
        else:
            ended = _wait(cluster, name, namespace, ATTACH_LIMIT, _first_run_over)
        if ended is None:
            # A server: kubectl stays attached until Ctrl-C, which ends it without its --rm cleanup.
            note(f"kitlib: detached from pod/{name} after {ATTACH_LIMIT:.0f} simulated seconds, as Ctrl-C "
                 "would (its container is still running, and the pod stays)")
            running = cluster.api.store.get("Pod", f"{namespace}/{name}")
            assert isinstance(running, Pod)
            try:
                return "".join(ln.text + "\n" for ln in _lines(cluster, running, running.spec.containers[0],
                                                               False)).removesuffix("\n")
            except ApiError:
                return ""
        container = ended.spec.containers[0]
        status = ended.status.container_statuses[0] if ended.status.container_statuses else None
        previous = status is not None and status.state.terminated is None and status.restart_count > 0
        try:
            text = "".join(ln.text + "\n" for ln in _lines(cluster, ended, container, previous))
        except ApiError:
            text = ""
        if text:
            out.append(text.removesuffix("\n"))
        if restart in ("Never", "OnFailure"):
            failure = _exit(ended)
    if args.on("rm"):
        for made in created:  # removeCreatedObjects: in the order created
            try:
                cluster.delete(made.kind, made.name, namespace)
            except ApiError:
                continue  # IgnoreNotFound
            out.append(f'{made.kind.lower()} "{made.name}" deleted from {namespace} namespace')
    if failure is not None:
        text = "\n".join([*out, failure.message])
        raise ExecError(text, failure.exit_code, "\n".join(out))
    return "\n".join(out)


def _running(pod: Pod) -> bool:
    """``podRunningAndReady``'s running half: the pod is Running."""
    return pod.status.phase == "Running"


def _completed(pod: Pod) -> bool:
    return pod.status.phase in ("Succeeded", "Failed")


def _first_run_over(pod: Pod) -> bool:
    """The container's first run has ended (with restartPolicy Always it is then restarted)."""
    statuses = pod.status.container_statuses
    return _completed(pod) or bool(statuses) and (statuses[0].state.terminated is not None
                                                  or statuses[0].restart_count > 0)


def _wait(cluster: Cluster, name: str, namespace: str, limit: float, done: Any) -> Pod | None:
    """Move the clock a step at a time until ``done(pod)``, at most ``limit`` seconds."""
    waited = 0.0
    while True:
        pod = cluster.api.store.get("Pod", f"{namespace}/{name}")
        if isinstance(pod, Pod) and done(pod):
            return pod
        if waited >= limit:
            return None
        cluster.advance(STEP)
        waited += STEP


def _exit(pod: Pod) -> ExecError | None:
    """kubectl's verdict on a pod that ended: nothing when it succeeded, else its exit code."""
    if pod.status.phase == "Succeeded":
        return None
    statuses = pod.status.container_statuses
    term = statuses[0].state.terminated if statuses else None
    if term is None or not term.exit_code:
        return ExecError(f"error: pod {pod.namespace}/{pod.name} failed with unknown exit code")
    # A CodeExitError: checkErr prints its text as it is (no "error: ") and exits with the code.
    message = f"pod {pod.namespace}/{pod.name} terminated ({term.reason or ''})\n"
    return ExecError(message.rstrip("\n"), term.exit_code)
