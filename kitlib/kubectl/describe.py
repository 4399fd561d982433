"""``kubectl describe``: the human-readable report of one object, with its events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from ..api.meta import KubeObject
from ..api.node import internal_ip
from ..clock import EPOCH, human_duration, parse_timestamp
from .get import pod_status
from .table import render

if TYPE_CHECKING:
    from ..cluster import Cluster

DESCRIBERS: dict[str, Callable[[Cluster, KubeObject], list[tuple[int, str, str]]]] = {}


def describer(kind: str):
    def wrap(fn):
        DESCRIBERS[kind] = fn
        return fn
    return wrap


def _time(ts: str | None) -> str:
    if not ts:
        return "<unset>"
    moment = EPOCH + timedelta(seconds=parse_timestamp(ts))
    return moment.strftime("%a, %d %b %Y %H:%M:%S +0000")


def _map(m: dict[str, str]) -> list[str]:
    return [f"{k}={v}" for k, v in sorted(m.items())] or ["<none>"]


def _annotations(m: dict[str, str]) -> list[str]:
    """Annotations print as ``key: value`` (``printAnnotationsMultiline``), labels as ``key=value``;
    kubectl leaves out the last-applied configuration."""
    from ..controllers.deployment import LAST_APPLIED

    return [f"{k}: {v}" for k, v in sorted(m.items()) if k != LAST_APPLIED] or ["<none>"]


def _block(lines: list[tuple[int, str, str]], width: int | None = None) -> str:
    """Lines of (indent, label, value), labels padded to one column like kubectl's PrefixWriter."""
    out = []
    for indent, label, value in lines:
        if label == "" and value == "":
            continue
        pad = "  " * indent
        if not label:
            out.append(pad + value)
            continue
        out.append(f"{pad}{label}:" if value is None else f"{pad}{(label + ':').ljust(width or 0)}{value}")
    return "\n".join(out)


def _fields(pairs: list[tuple[str, object]], indent: int = 0) -> list[str]:
    width = max(len(k) for k, _ in pairs) + 2
    out = []
    pad = "  " * indent
    for k, v in pairs:
        values = v if isinstance(v, list) else [v]
        if v is None:
            out.append(f"{pad}{k}:")
            continue
        first, *rest = [str(x) for x in values] or [""]
        out.append(f"{pad}{(k + ':').ljust(width)}{first}".rstrip() if first == "" else f"{pad}{(k + ':').ljust(width)}{first}")
        out += [f"{pad}{' ' * width}{x}" for x in rest]
    return out


def events(cluster: Cluster, obj: KubeObject) -> str:
    if obj.kind == "Pod":
        from ..controllers.prober import catch_up  # probe runs not yet written to the event log

        catch_up(cluster.runtime)
    # kubectl sorts events by time (SortableEvents), oldest first.
    evs = sorted(cluster.events.for_object(obj.kind, obj.metadata.uid or obj.key), key=lambda e: e.last_seen)
    if not evs:
        return "Events:            <none>"
    rows = []
    for e in evs:
        age = human_duration(cluster.now - e.last_seen)
        if e.count > 1:
            age = f"{age} (x{e.count} over {human_duration(cluster.now - e.first_seen)})"
        rows.append([e.type, e.reason, age, e.source, e.message])
    table = render(["Type", "Reason", "Age", "From", "Message"], [["----", "------", "----", "----", "-------"], *rows])
    return "Events:\n" + "\n".join("  " + line for line in table.split("\n"))


def describe(cluster: Cluster, obj: KubeObject) -> str:
    fn = DESCRIBERS.get(obj.kind)
    if fn is None:
        from ..manifest import dump_yaml
        return dump_yaml(obj.to_dict())
    return fn(cluster, obj)  # type: ignore[return-value]


@describer("Pod")
def _pod(cluster: Cluster, pod) -> str:
    st = pod.status
    node = cluster.api.store.get("Node", pod.spec.node_name) if pod.spec.node_name else None
    ref = pod.metadata.controller_ref()
    head = [
        ("Name", pod.name), ("Namespace", pod.namespace), ("Priority", pod.spec.priority or 0),
        ("Service Account", pod.spec.service_account_name or "default"),
        ("Node", f"{node.name}/{internal_ip(node)}" if node else "<none>"),
        ("Start Time", _time(st.start_time) if st.start_time else None),
        ("Labels", _map(pod.metadata.labels)), ("Annotations", _annotations(pod.metadata.annotations)),
        ("Status", pod_status(cluster, pod)),
    ]
    if pod.metadata.deletion_timestamp:
        head.append(("Termination Grace Period", f"{pod.metadata.deletion_grace_period_seconds}s"))
    head += [("IP", st.pod_ip or "")]
    head = [(k, v) for k, v in head if v is not None]
    lines = _fields(head)
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
        pairs: list[tuple[str, object]] = [("Container ID", cs.container_id or "" if cs else ""),
                                           ("Image", c.image), ("Image ID", cs.image_id if cs else "")]
        if c.ports:
            pairs.append(("Port", [f"{p.container_port}/{p.protocol or 'TCP'}" for p in c.ports][0] if len(c.ports) == 1
                          else ", ".join(f"{p.container_port}/{p.protocol or 'TCP'}" for p in c.ports)))
            pairs.append(("Host Port", ", ".join(f"{p.host_port or 0}/{p.protocol or 'TCP'}" for p in c.ports)))
        else:
            pairs += [("Port", "<none>"), ("Host Port", "<none>")]
        word, state_lines = _state(cs.state) if cs else ("Waiting", [])
        pairs.append(("State", word))
        last_lines: list[str] = []
        if cs and cs.last_state.terminated is not None:
            word, last_lines = _state(cs.last_state)
            pairs.append(("Last State", word))
        probes = [(label, describe_probe(p)) for label, p in (("Liveness", c.liveness_probe),
                  ("Readiness", c.readiness_probe), ("Startup", c.startup_probe)) if p is not None]
        block = _fields(pairs + [("Ready", "True" if cs and cs.ready else "False"),
                                 ("Restart Count", cs.restart_count if cs else 0), *probes,
                                 ("Environment", "<none>"), ("Mounts", "<none>")], indent=2)
        for label, sub in (("Last State:", last_lines), ("State:", state_lines)):
            at = next((i for i, line in enumerate(block) if line.strip().startswith(label)), None)
            if at is not None:
                block[at + 1:at + 1] = ["      " + s for s in sub]
        lines += block
    lines.append("Conditions:")
    cond_rows = [[c.type, c.status] for c in st.conditions]
    table = render(["Type", "Status"], cond_rows) if cond_rows else "Type Status"
    lines += ["  " + line + " " for line in table.split("\n")]
    tol = [f"{t.key}:{t.effect} op={t.operator}" + (f" for {t.toleration_seconds}s" if t.toleration_seconds else "")
           for t in pod.spec.tolerations]
    lines += _fields([("Volumes", "<none>"), ("QoS Class", st.qos_class or "BestEffort"),
                      ("Node-Selectors", "<none>"), ("Tolerations", tol or ["<none>"])])
    lines.append(events(cluster, pod))
    return "\n".join(lines)


def _state(state) -> tuple[str, list[str]]:
    """describeStatus: the state's name and its indented detail lines."""
    if state.running:
        return "Running", [f"Started:      {_time(state.running.started_at)}"]
    if state.terminated:
        t = state.terminated
        out = [f"Reason:       {t.reason}"] if t.reason else []
        return "Terminated", out + [f"Exit Code:    {t.exit_code}", f"Started:      {_time(t.started_at)}",
                                    f"Finished:     {_time(t.finished_at)}"]
    if state.waiting and state.waiting.reason:
        return "Waiting", [f"Reason:       {state.waiting.reason}"]
    return "Waiting", []


def describe_probe(probe) -> str:
    """kubectl's DescribeProbe: ``http-get http://:80/ready delay=0s timeout=1s period=10s #success=1 #failure=3``."""
    attrs = (f"delay={probe.initial_delay_seconds or 0}s timeout={probe.timeout_seconds or 0}s "
             f"period={probe.period_seconds or 0}s #success={probe.success_threshold or 0} "
             f"#failure={probe.failure_threshold or 0}")
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


@describer("Node")
def _node(cluster: Cluster, node) -> str:
    lines = _fields([
        ("Name", node.name), ("Roles", ",".join(k.split("/", 1)[1] for k in node.metadata.labels
                                                if k.startswith("node-role.kubernetes.io/")) or "<none>"),
        ("Labels", _map(node.metadata.labels)), ("Annotations", _annotations(node.metadata.annotations)),
        ("CreationTimestamp", _time(node.metadata.creation_timestamp)),
        ("Taints", [f"{t.key}:{t.effect}" for t in node.spec.taints] or ["<none>"]),
        ("Unschedulable", "true" if node.spec.unschedulable else "false"),
    ])
    lines.append("Conditions:")
    rows = [[c.type, c.status, _time(c.last_heartbeat_time), _time(c.last_transition_time), c.reason or "",
             c.message or ""] for c in node.status.conditions]
    table = render(["Type", "Status", "LastHeartbeatTime", "LastTransitionTime", "Reason", "Message"],
                   [["----", "------", "-----------------", "------------------", "------", "-------"], *rows])
    lines += ["  " + line for line in table.split("\n")]
    lines.append("Addresses:")
    lines += [f"  {a.type}:  {a.address}" for a in node.status.addresses]
    lines.append("Capacity:")
    lines += [f"  {k}:  {v}" for k, v in node.status.capacity.items()]
    lines += _fields([("PodCIDR", node.spec.pod_cidr), ("PodCIDRs", ",".join(node.spec.pod_cidrs))])
    pods = [p for p in cluster.pods_on(node.name)]
    lines.append(f"Non-terminated Pods:          ({len([p for p in pods if not p.metadata.deletion_timestamp])} in total)")
    rows = [[p.namespace, p.name, "0 (0%)", "0 (0%)", "0 (0%)", "0 (0%)", human_duration(
        cluster.now - parse_timestamp(p.metadata.creation_timestamp))] for p in pods if not p.metadata.deletion_timestamp]
    table = render(["Namespace", "Name", "CPU Requests", "CPU Limits", "Memory Requests", "Memory Limits", "Age"],
                   [["---------", "----", "------------", "----------", "---------------", "-------------", "---"], *rows])
    lines += ["  " + line for line in table.split("\n")]
    lines.append(events(cluster, node))
    return "\n".join(lines)


@describer("Deployment")
def _deployment(cluster: Cluster, d) -> str:
    st = d.status
    ru = d.spec.strategy.rolling_update if d.spec.strategy else None
    lines = _fields([
        ("Name", d.name), ("Namespace", d.namespace), ("CreationTimestamp", _time(d.metadata.creation_timestamp)),
        ("Labels", _map(d.metadata.labels)), ("Annotations", _annotations(d.metadata.annotations)),
        ("Selector", str(d.spec.selector)),
        ("Replicas", f"{d.spec.replicas} desired | {st.updated_replicas or 0} updated | {st.replicas or 0} total | "
                     f"{st.available_replicas or 0} available | {st.unavailable_replicas or 0} unavailable"),
        ("StrategyType", d.spec.strategy.type if d.spec.strategy else "RollingUpdate"),
        ("MinReadySeconds", d.spec.min_ready_seconds or 0),
    ])
    if ru:
        lines += _fields([("RollingUpdateStrategy", f"{ru.max_unavailable} max unavailable, {ru.max_surge} max surge")])
    lines.append("Pod Template:")
    lines += _fields([("Labels", _map(d.spec.template.metadata.labels))], indent=1)
    lines.append("  Containers:")
    for c in d.spec.template.spec.containers:
        lines.append(f"   {c.name}:")
        port = ", ".join(f"{p.container_port}/{p.protocol or 'TCP'}" for p in c.ports) or "<none>"
        lines += ["    " + x for x in _fields([("Image", c.image), ("Port", port), ("Host Port", "0/TCP" if c.ports else "<none>"),
                                               ("Environment", "<none>"), ("Mounts", "<none>")])]
    lines.append("Conditions:")
    rows = [[c.type, c.status, c.reason or ""] for c in st.conditions]
    table = render(["Type", "Status", "Reason"], [["----", "------", "------"], *rows])
    lines += ["  " + line for line in table.split("\n")]
    rss = cluster.owned(d, "ReplicaSet")
    from ..controllers.deployment import REVISION
    newest = max(rss, key=lambda r: int(r.metadata.annotations.get(REVISION, "0")), default=None)
    old = [r for r in rss if r is not newest and r.spec.replicas]
    lines.append("OldReplicaSets:  " + (", ".join(f"{r.name} ({r.status.replicas}/{r.spec.replicas} replicas created)"
                                                  for r in old) or "<none>"))
    lines.append("NewReplicaSet:   " + (f"{newest.name} ({newest.status.replicas}/{newest.spec.replicas} replicas created)"
                                        if newest else "<none>"))
    lines.append(events(cluster, d))
    return "\n".join(lines)
