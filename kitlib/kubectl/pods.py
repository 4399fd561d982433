"""kubectl for Pods: the columns of ``get pods`` (``printPod``) and ``describe pod``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..api.node import internal_ip
from ..api.pod import ContainerState, Pod, Probe
from ..clock import human_duration, parse_timestamp
from ..controllers.prober import catch_up
from ..errors import NotFound
from .describe import (
    Field,
    annotation_values,
    container_ports,
    events,
    fields,
    format_time,
    label_values,
    table,
)
from .printers import age
from .view import View

if TYPE_CHECKING:
    from ..cluster import Cluster


def pod_status(cluster: Cluster, pod: Pod) -> str:
    """The STATUS column as kubectl computes it (printPod)."""
    reason = pod.status.reason or pod.status.phase or "Pending"
    has_running = False
    for cs in reversed(pod.status.container_statuses):
        if cs.state.waiting and cs.state.waiting.reason:
            reason = cs.state.waiting.reason
        elif cs.state.terminated and cs.state.terminated.reason:
            reason = cs.state.terminated.reason
        elif cs.state.terminated:
            reason = f"ExitCode:{cs.state.terminated.exit_code}"
        elif cs.ready and cs.state.running:
            has_running = True
    if reason == "Completed" and has_running:
        # One container finished but another still runs: the pod is not done.
        ready = pod.status.condition("Ready")
        reason = "Running" if ready is not None and ready.status == "True" else "NotReady"
    if pod.metadata.deletion_timestamp is not None:
        # kubectl shows "Unknown" only for the old NodeLost reason, which current clusters don't
        # set; a pod that already completed or failed keeps its reason (IsPodPhaseTerminal).
        if pod.status.reason == "NodeLost":
            return "Unknown"
        if pod.status.phase not in ("Succeeded", "Failed"):
            return "Terminating"
    return reason


def restarts_column(cluster: Cluster, pod: Pod) -> str:
    """RESTARTS as the server's ``printPod`` gives it to kubectl: ``2 (35s ago)``, timed from the last
    container exit."""
    restarts = sum(cs.restart_count for cs in pod.status.container_statuses)
    finished = [cs.last_state.terminated.finished_at for cs in pod.status.container_statuses
                if cs.last_state.terminated is not None and cs.last_state.terminated.finished_at]
    if restarts and finished:
        return f"{restarts} ({human_duration(cluster.now - max(parse_timestamp(t) for t in finished))} ago)"
    return str(restarts)


def _row(cluster: Cluster, pod: Pod, wide: bool) -> list[str]:
    total = len(pod.spec.containers)
    ready = sum(1 for cs in pod.status.container_statuses if cs.ready)
    row = [pod.name, f"{ready}/{total}", pod_status(cluster, pod), restarts_column(cluster, pod), age(cluster, pod)]
    if wide:
        row += [pod.status.pod_ip or "<none>", pod.spec.node_name or "<none>", "<none>", "<none>"]
    return row


def _describe(cluster: Cluster, pod: Pod) -> str:
    st = pod.status
    node = _node(cluster, pod.spec.node_name)
    ref = pod.metadata.controller_ref()
    head: list[Field] = [
        ("Name", pod.name), ("Namespace", pod.namespace), ("Priority", pod.spec.priority or 0),
        ("Service Account", pod.spec.service_account_name or "default"),
        ("Node", f"{node.name}/{internal_ip(node)}" if node else "<none>"),
        ("Start Time", format_time(st.start_time) if st.start_time else None),
        ("Labels", label_values(pod.metadata.labels)), ("Annotations", annotation_values(pod.metadata.annotations)),
    ]
    # describePod prints the phase, not get's STATUS column; a pod being deleted is "Terminating
    # (lasts <time since deletionTimestamp>)", which reads <invalid> while that time is still
    # ahead (the grace period is not over): kubectl/pkg/describe/describe.go.
    if pod.metadata.deletion_timestamp and st.phase not in ("Failed", "Succeeded"):
        since = human_duration(cluster.now - parse_timestamp(pod.metadata.deletion_timestamp))
        head += [("Status", f"Terminating (lasts {since})"),
                 ("Termination Grace Period", f"{pod.metadata.deletion_grace_period_seconds}s")]
    else:
        head.append(("Status", st.phase or "Pending"))
    head += [("Reason", st.reason), ("Message", st.message), ("IP", st.pod_ip or "")]
    lines = fields([(k, v) for k, v in head if v is not None])
    lines.append("IPs:" if st.pod_ips else "IPs:              <none>")
    for ip in st.pod_ips:
        lines.append(f"  IP:  {ip.ip}")
    if ref:
        lines.append(f"Controlled By:  {ref.kind}/{ref.name}")
    lines.append("Containers:")
    statuses = {cs.name: cs for cs in st.container_statuses}
    for c in pod.spec.containers:
        cs = statuses.get(c.name)
        lines.append(f"  {c.name}:")
        pairs: list[Field] = [("Container ID", cs.container_id or "" if cs else ""),
                              ("Image", c.image), ("Image ID", cs.image_id if cs else "")]
        pairs += container_ports(c.ports)
        word, state_lines = _state(cs.state) if cs else ("Waiting", [])
        pairs.append(("State", word))
        last_lines: list[str] = []
        if cs and cs.last_state.terminated is not None:
            word, last_lines = _state(cs.last_state)
            pairs.append(("Last State", word))
        probes = [(label, describe_probe(p)) for label, p in (("Liveness", c.liveness_probe),
                  ("Readiness", c.readiness_probe), ("Startup", c.startup_probe)) if p is not None]
        block = fields(pairs + [("Ready", "True" if cs and cs.ready else "False"),
                                ("Restart Count", cs.restart_count if cs else 0), *probes,
                                ("Environment", "<none>"), ("Mounts", "<none>")], indent=2)
        for label, sub in (("Last State:", last_lines), ("State:", state_lines)):
            at = next((i for i, line in enumerate(block) if line.strip().startswith(label)), None)
            if at is not None:
                block[at + 1:at + 1] = ["      " + s for s in sub]
        lines += block
    lines.append("Conditions:")
    cond_rows = [[c.type, c.status] for c in st.conditions]
    conditions = table(["Type", "Status"], cond_rows) if cond_rows else ["Type Status"]
    lines += ["  " + line + " " for line in conditions]
    tol = [f"{t.key}:{t.effect} op={t.operator}" + (f" for {t.toleration_seconds}s" if t.toleration_seconds else "")
           for t in pod.spec.tolerations]
    lines += fields([("Volumes", "<none>"), ("QoS Class", st.qos_class or "BestEffort"),
                     ("Node-Selectors", "<none>"), ("Tolerations", tol or ["<none>"])])
    catch_up(cluster.runtime)  # probe runs not yet written to the event log
    lines.append(events(cluster, pod))
    return "\n".join(lines)


def _node(cluster: Cluster, name: str | None) -> Any:
    """The pod's Node, or None when it is not scheduled (or its Node is gone)."""
    if not name:
        return None
    try:
        return cluster.api.get("Node", name)
    except NotFound:
        return None


def _state(state: ContainerState) -> tuple[str, list[str]]:
    """describeStatus: the state's name and its indented detail lines."""
    if state.running:
        return "Running", [f"Started:      {format_time(state.running.started_at)}"]
    if state.terminated:
        t = state.terminated
        out = [f"Reason:       {t.reason}"] if t.reason else []
        return "Terminated", out + [f"Exit Code:    {t.exit_code}", f"Started:      {format_time(t.started_at)}",
                                    f"Finished:     {format_time(t.finished_at)}"]
    if state.waiting and state.waiting.reason:
        return "Waiting", [f"Reason:       {state.waiting.reason}"]
    return "Waiting", []


def describe_probe(probe: Probe) -> str:
    """kubectl's DescribeProbe: ``http-get http://:80/ready delay=0s timeout=1s period=10s successThreshold=1
    failureThreshold=3`` (``#success=1 #failure=3`` before kubectl 1.33)."""
    attrs = (f"delay={probe.initial_delay_seconds or 0}s timeout={probe.timeout_seconds or 0}s "
             f"period={probe.period_seconds or 0}s successThreshold={probe.success_threshold or 0} "
             f"failureThreshold={probe.failure_threshold or 0}")
    if probe.exec is not None:
        return f"exec [{' '.join(probe.exec.command)}] {attrs}"
    if probe.http_get is not None:
        hg = probe.http_get
        host = hg.host or ""
        return f"http-get {(hg.scheme or '').lower()}://{host}:{hg.port}{hg.path or ''} {attrs}"
    if probe.tcp_socket is not None:
        return f"tcp-socket {probe.tcp_socket.host or ''}:{probe.tcp_socket.port} {attrs}"
    if probe.grpc is not None:
        return f"grpc <pod>:{probe.grpc.port} {probe.grpc.service or ''} {attrs}"
    return f"unknown {attrs}"


VIEW = View("Pod", ("NAME", "READY", "STATUS", "RESTARTS", "AGE"), ("IP", "NODE", "NOMINATED NODE", "READINESS GATES"),
            _row, _describe)
VIEWS = (VIEW,)
"""The views this module gives :mod:`.kinds`."""
