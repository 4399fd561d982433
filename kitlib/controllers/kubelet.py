"""The kubelet: it takes a bound pod from Pending through ContainerCreating to Running, and
tears it down when it is deleted. Each step takes a plausible, seeded time:

* the pod sandbox (network namespace, veth, IP from host-local IPAM): 0.3-0.8 s;
* pulling the image: 1.5-4 s the first time on a node, 0.4-1 s to re-check an ``Always`` image,
  nothing for an ``IfNotPresent`` image already there;
* creating and starting the container: 0.2-0.5 s.

Without a readiness probe a container counts as ready as soon as it has started; probes and
restarts are :mod:`kitlib.controllers.prober`.
"""

from __future__ import annotations

import shlex
from functools import lru_cache
from typing import TYPE_CHECKING

from ..api.node import Node, internal_ip
from ..api.pod import (
    ContainerState,
    ContainerStateRunning,
    ContainerStateWaiting,
    ContainerStatus,
    Pod,
    PodCondition,
    PodIP,
    container_path,
    uses_host_network,
)
from ..apiserver.streams import stream_for
from ..container import behaviour as apps
from ..container import logs, process
from ..container.shell import Session, advance
from ..errors import BadRequest
from ..names import hex_id
from . import prober

if TYPE_CHECKING:
    from ..api.pod import Container
    from ..runtime import Runtime
    from .nodelifecycle import NodeRuntime

STOP_SECONDS = 1.0
"""How long an app that handles SIGTERM takes to exit (well inside the 30 s grace period)."""
MIN_GRACE = 2
"""kuberuntime's minimumGracePeriodInSeconds: SIGTERM always comes this long before SIGKILL."""


def set_condition(rt: Runtime, pod: Pod, type_: str, status: str) -> None:
    _set_condition(pod, type_, status, rt.clock.timestamp())


def _set_condition(pod: Pod, type_: str, status: str, ts: str) -> PodCondition:
    """:func:`set_condition` at the time ``ts``; the condition set."""
    cond = pod.status.condition(type_)
    if cond is None:
        cond = PodCondition(type_, status, None, ts)
        pod.status.conditions.append(cond)
    elif cond.status != status:
        cond.status, cond.last_transition_time = status, ts
    return cond


_CONDITION_ORDER = {t: i for i, t in enumerate(
    ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"))}


_KUBELET_CONDITIONS = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady")
"""The conditions the kubelet adds when it admits a pod, in the order it lists them."""


def _order_conditions(pod: Pod) -> None:
    pod.status.conditions.sort(key=lambda c: _CONDITION_ORDER.get(c.type, 99))


def agent(rt: Runtime, node: str) -> NodeRuntime | None:
    """The kubelet of node ``node``, or None where no kubelet serves that Node: the Node does not
    exist (deleted, or never registered) or was created through the API without a machine behind it."""
    if rt.api.store.get("Node", node) is None:
        return None
    return rt.node_state.get(node)


def _alive(rt: Runtime, pod: Pod, generation: int, key: str | None = None) -> NodeRuntime | None:
    """The kubelet of ``pod``'s node if a step it queued for ``pod`` still stands: the pod is the
    same, and its node has answered all along since (a node that failed lost the kubelet's work in
    flight); None if the step is void. The caller goes on with that kubelet, which is the one
    :meth:`Runtime.node_runtime` would look up again. ``key``: the pod's, when the caller has it
    (a pod's namespace and name never change)."""
    # agent(), inline (this runs before each of a pod's steps): nothing here has side effects, so
    # stopping at the first failed check answers the same.
    store = rt.api.store
    if store.get("Pod", pod.key if key is None else key) is not pod:
        return None
    node = pod.spec.node_name or ""
    if store.get("Node", node) is None:
        return None
    runtime = rt.node_state.get(node)
    return runtime if runtime is not None and runtime.up and runtime.generation == generation else None


def pod_added(rt: Runtime, pod: Pod) -> None:
    """The kubelet of ``pod``'s node sees a pod that was created bound to it (``spec.nodeName``
    set, the scheduler bypassed), as ``HandlePodAdditions`` does: its admission (``canAdmitPod``)
    rejects the pod if the node has no room for it (``OutOfpods``: phase Failed, "Pod was
    rejected: ..."), else it reports the pod scheduled and starts it as any other. Nothing happens
    where no kubelet serves the node, nor while the node does not answer (its kubelet admits the
    pod when it is back: :func:`kitlib.controllers.nodelifecycle.restore`). The scheduler's pods
    need no check: it placed them where they fit (:func:`kitlib.controllers.scheduler.bind`)."""
    name = pod.spec.node_name or ""
    runtime = agent(rt, name)
    node = rt.api.store.get("Node", name)
    if runtime is None or not runtime.up or not isinstance(node, Node):
        return
    capacity = int(node.status.allocatable.get("pods", "0"))
    used = sum(1 for p in rt.api.store.pods_on(name)
               if p is not pod and isinstance(p, Pod) and p.status.phase not in ("Succeeded", "Failed"))
    if used + 1 > capacity:  # the NodeResourcesFit check of the kubelet's generalFilter
        message = f"Node didn't have enough resource: pods, requested: 1, used: {used}, capacity: {capacity}"
        rt.api.record_event(pod, "OutOfpods", message, "kubelet", "Warning")
        pod.status.phase, pod.status.reason, pod.status.message = "Failed", "OutOfpods", f"Pod was rejected: {message}"
        rt.api.update_status(pod)
        return
    # generateAPIPodStatus: the kubelet's status always says the pod is scheduled.
    pod.status.conditions = [c for c in pod.status.conditions if c.type != "PodScheduled"]
    pod.status.conditions.append(PodCondition("PodScheduled", "True", None, rt.clock.timestamp()))
    admit(rt, pod, node)


def admit(rt: Runtime, pod: Pod, node: Node, host_ip: str | None = None) -> None:
    """The kubelet sees a new pod bound to its node and starts creating it; ``host_ip`` is the
    node's InternalIP when the caller has it at hand (the scheduler, for every pod it binds)."""
    api = rt.api
    clock = api.clock
    ts = clock.timestamp()
    st = pod.status
    st.phase = "Pending"
    st.host_ip = internal_ip(node) if host_ip is None else host_ip
    st.host_ips = [PodIP(st.host_ip)]
    st.start_time = ts
    containers = pod.spec.containers
    unready = prober.unready_message([x.name for x in containers])
    conditions = st.conditions
    readmitted = False  # any of the kubelet's conditions there already (a loop: usually one to look at)
    for c in conditions:
        if c.type in _KUBELET_CONDITIONS:
            readmitted = True
            break
    if readmitted:
        for t in _KUBELET_CONDITIONS:
            _set_condition(pod, t, "False", ts)
        _set_condition(pod, "Initialized", "True", ts)
        for c in conditions:
            if c.type in ("Ready", "ContainersReady"):
                c.reason, c.message = "ContainersNotReady", unready
        _order_conditions(pod)
    else:  # the usual case, the same conditions built at once: none of the kubelet's is there yet
        conditions[:0] = (
            PodCondition("PodReadyToStartContainers", "False", None, ts),
            PodCondition("Initialized", "True", None, ts),
            PodCondition("Ready", "False", None, ts, "ContainersNotReady", unready),
            PodCondition("ContainersReady", "False", None, ts, "ContainersNotReady", unready),
        )
        if len(conditions) > 5:  # more than the scheduler's: sorted after the kubelet's, as above
            conditions[4:] = sorted(conditions[4:], key=lambda c: _CONDITION_ORDER.get(c.type, 99))
    st.container_statuses = [
        ContainerStatus(name=c.name, image=c.image or "", ready=False, started=False, restart_count=0,
                        state=ContainerState(waiting=ContainerStateWaiting("ContainerCreating")))
        for c in containers
    ]
    api.update_status(pod, notify=False)
    # The pod's node is ``node`` (every caller binds it there or finds it there): its name is read
    # from the pod, whose spec the binding just wrote, as the kubelet's later steps read it.
    generation = rt.node_runtime(pod.spec.node_name or "").generation
    clock.after(stream_for(api, pod).uniform(0.3, 0.8), _sandbox_ready, rt, pod, generation)


def _sandbox_ready(rt: Runtime, pod: Pod, generation: int) -> None:
    key = pod.key
    runtime = _alive(rt, pod, generation, key)
    if runtime is None or pod.metadata.deletion_timestamp is not None:
        return
    host_network = uses_host_network(pod)
    if host_network:
        # No sandbox network of its own: the pod's IP is its node's, and no veth or pod-network
        # address is taken (the kubelet's ``podIPs`` are the host IPs).
        ip: str | None = pod.status.host_ip
    else:
        ip = runtime.ipam.allocate()
    if ip is None:
        rt.api.record_event(pod, "FailedCreatePodSandBox", "Failed to create pod sandbox: failed to allocate "
                        "for range 0: no IP addresses available in range set", "kubelet", "Warning")
        return
    pod.status.pod_ip = ip
    pod.status.pod_ips = [PodIP(ip)]
    _set_condition(pod, "PodReadyToStartContainers", "True", rt.clock.timestamp())
    if not host_network:
        rt.topology.add_pod(pod)
    rt.api.update_status(pod)
    start_containers(rt, pod, runtime, key)


def start_containers(rt: Runtime, pod: Pod, runtime: NodeRuntime | None = None, key: str | None = None) -> None:
    """In the pod's sandbox, pull the images and start the containers (what a restarted kubelet
    resumes for a pending pod whose sandbox is still there: ``computePodActions`` creates a sandbox
    only when none is ready). ``runtime``: the pod's node's kubelet, and ``key`` the pod's, when the
    caller has them."""
    if runtime is None:
        runtime = rt.node_runtime(pod.spec.node_name or "")
    api = rt.api
    rng = stream_for(api, pod)
    images = runtime.images
    delay = 0.0
    for c in pod.spec.containers:
        image = c.image or ""
        policy = c.image_pull_policy
        if policy == "IfNotPresent" and image in images:
            api.record_event(pod, "Pulled", _image_texts(image)[1], "kubelet", field_path=_texts(c.name)[0])
        elif policy != "Never":
            pull = rng.uniform(0.4, 1.0) if image in images else rng.uniform(1.5, 4.0)
            delay += pull
            path = _texts(c.name)[0]
            api.record_event(pod, "Pulling", _image_texts(image)[0], "kubelet", field_path=path)
            api.record_event(pod, "Pulled", _pulled(image, f"{pull * 1000:.0f}ms"), "kubelet", field_path=path)
            images.add(image)
    rt.clock.after(delay + rng.uniform(0.2, 0.5), _containers_started, rt, pod, runtime.generation, key)


def _containers_started(rt: Runtime, pod: Pod, generation: int, key: str | None = None) -> None:
    if _alive(rt, pod, generation, key) is None or pod.metadata.deletion_timestamp is not None:
        return
    api = rt.api
    ts = api.clock.timestamp()
    rng = stream_for(api, pod)  # the pod's stream: its namespace and host network do not change here
    statuses = pod.status.container_statuses
    for c, cs in zip(pod.spec.containers, statuses, strict=True):
        cs.state = ContainerState(running=ContainerStateRunning(ts))
        cs.started = True
        cs.ready = True
        ids = hex_id(rng, 128)  # the container's ID, then its image's: two draws of 64 in one
        cs.container_id = "docker://" + ids[:64]
        cs.image_id = f"docker-pullable://{_repo(c.image or '')}@sha256:{ids[64:]}"
        path, created, started = _texts(c.name)
        api.record_event(pod, "Created", created, "kubelet", field_path=path)
        api.record_event(pod, "Started", started, "kubelet", field_path=path)
        prober.container_started(rt, pod, c, cs)
    pod.status.phase = "Running"
    ready = True
    for cs in statuses:  # all(), without a generator: every pod that starts comes here
        if not cs.ready:
            ready = False
            break
    if ready and prober.needs_prober(rt, pod):  # set_ready(), at the timestamp taken above
        prober.publish(rt, pod)
    else:
        _set_ready(rt, pod, ready, ts)


def set_ready(rt: Runtime, pod: Pod, ready: bool) -> None:
    """Set the pod's Ready and ContainersReady conditions (what endpoints follow); a pod with
    probes becomes ready only as far as its probes allow."""
    if ready and prober.needs_prober(rt, pod):
        prober.publish(rt, pod)
        return
    _set_ready(rt, pod, ready)


def _set_ready(rt: Runtime, pod: Pod, ready: bool, ts: str | None = None) -> None:
    """Ready and ContainersReady to ``ready`` at ``ts`` (now, unless the caller took it already)."""
    status = "True" if ready else "False"
    if ts is None:
        ts = rt.clock.timestamp()
    for t in ("ContainersReady", "Ready"):
        cond = _set_condition(pod, t, status, ts)
        if ready:
            cond.reason = cond.message = None
        else:
            cond.reason = "ContainersNotReady"
            cond.message = prober.unready_message([c.name for c in pod.spec.containers])
    for cs in pod.status.container_statuses:
        cs.ready = ready and cs.state.running is not None
    rt.api.update_status(pod)


@lru_cache(maxsize=1024)
def _texts(name: str) -> tuple[str, str, str]:
    """The field path of container ``name`` and its Created and Started events' messages: pure
    functions of the name, made once for the thousands of replicas that share it (the same text,
    and one string kept by all their events instead of one each)."""
    return container_path(name), f"Created container {name}", f"Started container {name}"


@lru_cache(maxsize=1024)
def _image_texts(image: str) -> tuple[str, str]:
    """The Pulling event's message, and the Pulled one's for an image already there (pure
    functions of the image, as :func:`_texts` of the name)."""
    return f'Pulling image "{image}"', f'Container image "{image}" already present on machine'


@lru_cache(maxsize=4096)
def _pulled(image: str, took: str) -> str:
    """The Pulled event's message after a pull that took ``took`` (a pure function of the two: a
    re-check takes one of some 600 whole milliseconds, so replicas share their texts too)."""
    return f'Successfully pulled image "{image}" in {took} ({took} including waiting). Image size: 72188133 bytes.'


@lru_cache(maxsize=1024)  # a pure function of the image, which thousands of replicas share
def _repo(image: str) -> str:
    name = image.split("@")[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    return name


def terminate(rt: Runtime, pod: Pod, grace_period: int | None = None) -> None:
    """Graceful deletion: the pod becomes Terminating (its endpoints stop being ready at once) and
    the kubelet kills each running container as ``killContainer`` does
    (pkg/kubelet/kuberuntime/kuberuntime_container.go):

    * the ``Killing`` event ("Stopping container web");
    * the ``preStop`` hook, if any, within the grace period: ``sleep`` waits its seconds, ``exec``
      runs its command in the container (its ``sleep`` takes simulated time), ``httpGet`` asks
      the container's app; a hook that fails records ``FailedPreStopHook`` ("PreStopHook failed");
    * SIGTERM with what is left of the grace period, never less than 2 s: a process that handles
      it exits (nginx at once, with 0); one that ignores it (``sleep`` or a shell as PID 1) is
      killed with SIGKILL when that time is up, unless its script ends by itself before.

    Once every container has stopped, the kubelet removes the pod and frees its IP. On a node that
    does not answer, nothing happens until the node is back: the pod stays Terminating. A pod
    bound to a node no kubelet serves stays Terminating too, until the pod garbage collector
    deletes it if that node does not exist (:func:`kitlib.controllers.garbage.collect_orphan`).

    ``grace_period`` is the DELETE's ``gracePeriodSeconds`` (``kubectl delete --grace-period``,
    ``--now`` is 1) in place of the pod's ``terminationGracePeriodSeconds``; 0 (``--force``) removes
    the pod from the API at once, without waiting for the kubelet."""
    if pod.metadata.deletion_timestamp is not None:
        return
    if grace_period == 0:
        remove(rt, pod)
        return
    grace = pod.spec.termination_grace_period_seconds if pod.spec.termination_grace_period_seconds is not None else 30
    if grace_period is not None:
        grace = grace_period
    pod.metadata.deletion_timestamp = rt.clock.timestamp(rt.now + grace)
    pod.metadata.deletion_grace_period_seconds = grace
    rt.api.update_status(pod)
    if not pod.spec.node_name:
        remove(rt, pod)
        return
    runtime = agent(rt, pod.spec.node_name)
    if runtime is not None and runtime.up:
        longest = 0.0
        running = {cs.name for cs in pod.status.container_statuses if cs.state.running is not None}
        for c in pod.spec.containers:
            if c.name not in running:
                continue
            rt.api.record_event(pod, "Killing", f"Stopping container {c.name}", "kubelet",
                                field_path=container_path(c.name))
            longest = max(longest, _kill(rt, pod, c, grace))
        rt.clock.after(min(STOP_SECONDS, grace) if longest == 0.0 else longest, _stopped, rt, pod)


def _kill(rt: Runtime, pod: Pod, c: Container, grace: int) -> float:
    """How long ``c`` takes to stop: its preStop hook, then SIGTERM (and SIGKILL)."""
    hook_time = 0.0
    hook = ((c.extra.get("lifecycle") or {}).get("preStop") or {}) if isinstance(c.extra.get("lifecycle"), dict) else {}
    if hook:
        hook_time, ok = _pre_stop(rt, pod, c, hook, grace)
        hook_time = min(hook_time, float(grace))
        if not ok:
            rt.clock.after(hook_time, _hook_failed, rt, pod, c.name)
    left = max(grace - int(hook_time), MIN_GRACE)
    code = process.exit_on_sigterm(rt, pod, c)
    if code is not None:
        return hook_time + min(STOP_SECONDS, left)
    natural = process.exits_in(rt, pod, c)  # a script that ends by itself before SIGKILL
    return min(hook_time + left, natural[0]) if natural is not None else hook_time + left


def _hook_failed(rt: Runtime, pod: Pod, name: str) -> None:
    # The kubelet leaves the hook's error out of the event so that no secret leaks (kuberuntime_container.go).
    rt.api.record_event(pod, "FailedPreStopHook", "PreStopHook failed", "kubelet", "Warning",
                        field_path=container_path(name))


def _pre_stop(rt: Runtime, pod: Pod, c: Container, hook: dict, grace: int) -> tuple[float, bool]:
    """Run a preStop handler: (how long it takes, whether it succeeded)."""
    if isinstance(hook.get("sleep"), dict):
        return float(hook["sleep"].get("seconds") or 0), True
    if isinstance(hook.get("exec"), dict):
        command = [str(a) for a in hook["exec"].get("command") or []]
        return _hook_exec(rt, pod, c, command, grace)
    if isinstance(hook.get("httpGet"), dict):
        port = apps.resolve_port(c, hook["httpGet"].get("port", 0))
        return 0.0, isinstance(port, int) and apps.listens(rt, pod, c, port)
    return 0.0, False


def _hook_exec(rt: Runtime, pod: Pod, c: Container, command: list[str], grace: int) -> tuple[float, bool]:
    """An exec hook in the shell model: its ``sleep`` takes time (the hook ends when its script does)."""
    from ..container.shell import Session, parse_script

    if not command:
        return 0.0, False
    program = command[0].rsplit("/", 1)[-1]
    script = command[2] if program in ("sh", "bash", "ash", "dash") and len(command) >= 3 and command[1] == "-c" \
        else " ".join(shlex.quote(a) for a in command)
    try:
        session = Session(parse_script(script, process.environment(rt, pod, c)), program=program)
    except (BadRequest, ValueError):
        return float(grace), True
    fs = process.files(rt, pod, c)
    try:
        return _hook_script(rt, pod, c, session, fs, grace)
    finally:
        process.keep(rt, pod, c, fs)  # what the hook wrote stays in the container


def _hook_script(rt: Runtime, pod: Pod, c: Container, session: Session, fs: dict[str, str],
                 grace: int) -> tuple[float, bool]:
    taken = 0.0
    out: list[str] = []
    while taken < grace:
        try:
            step = advance(rt, pod, c, session, fs, out)
        except BadRequest:
            return 0.0, True  # a program kitlib does not simulate: taken to do its job at once
        if step.kind == "exit":
            return taken, step.code == 0
        if step.kind == "block":
            return float(grace), True
        taken += step.seconds
    return float(grace), True


def _stopped(rt: Runtime, pod: Pod) -> None:
    runtime = agent(rt, pod.spec.node_name or "")
    if rt.api.store.get("Pod", pod.key) is pod and runtime is not None and runtime.up:
        remove(rt, pod)


def remove(rt: Runtime, pod: Pod) -> None:
    """The pod is gone: free its IP and its veth, and delete it from the API."""
    runtime = rt.node_state.get(pod.spec.node_name or "")
    if runtime is not None and pod.status.pod_ip and not uses_host_network(pod):
        runtime.ipam.release(pod.status.pod_ip)
    rt.topology.remove_pod(pod)
    logs.forget(rt, pod)
    process.forget(rt, pod)
    rt.api.delete(pod)
