"""kubectl for Nodes: the columns of ``get nodes`` (``printNode``) and ``describe node``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..api.node import Node, internal_ip, node_ready
from ..clock import human_duration, parse_timestamp
from .describe import annotation_values, events, fields, format_time, label_values, table
from .printers import age
from .view import View

if TYPE_CHECKING:
    from ..cluster import Cluster

ROLE_PREFIX = "node-role.kubernetes.io/"
"""A label ``node-role.kubernetes.io/<role>`` gives the Node that role."""


def _row(cluster: Cluster, node: Node, wide: bool) -> list[str]:
    """``printNode``: Ready or NotReady by the Ready condition, ``Unknown`` without one (a Node no
    kubelet has posted for yet); in the wide columns ``<none>`` for a missing address and
    ``<unknown>`` for what no kubelet reported."""
    if node.status.condition("Ready") is None:
        status = "Unknown"
    else:
        status = "Ready" if node_ready(node) else "NotReady"
    if node.spec.unschedulable:
        status += ",SchedulingDisabled"
    roles = ",".join(sorted(k.split("/", 1)[1] for k in node.metadata.labels if k.startswith(ROLE_PREFIX))) \
        or "<none>"
    info = node.status.node_info
    row = [node.name, status, roles, age(cluster, node), info.kubelet_version if info else ""]
    if wide:
        reported = (info.os_image, info.kernel_version, info.container_runtime_version) if info else ("", "", "")
        row += [internal_ip(node) or "<none>", "<none>", *(value or "<unknown>" for value in reported)]
    return row


def _describe(cluster: Cluster, node: Node) -> str:
    lines = fields([
        ("Name", node.name),
        ("Roles", ",".join(k.split("/", 1)[1] for k in node.metadata.labels if k.startswith(ROLE_PREFIX)) or "<none>"),
        ("Labels", label_values(node.metadata.labels)), ("Annotations", annotation_values(node.metadata.annotations)),
        ("CreationTimestamp", format_time(node.metadata.creation_timestamp)),
        ("Taints", [f"{t.key}:{t.effect}" for t in node.spec.taints] or ["<none>"]),
        ("Unschedulable", "true" if node.spec.unschedulable else "false"),
    ])
    if node.status.conditions:  # describeNode prints the section only for a node with conditions
        lines.append("Conditions:")
        rows = [[c.type, c.status, format_time(c.last_heartbeat_time), format_time(c.last_transition_time),
                 c.reason or "", c.message or ""] for c in node.status.conditions]
        lines += ["  " + line for line in table(
            ["Type", "Status", "LastHeartbeatTime", "LastTransitionTime", "Reason", "Message"],
            [["----", "------", "-----------------", "------------------", "------", "-------"], *rows])]
    lines.append("Addresses:")
    lines += [f"  {a.type}:  {a.address}" for a in node.status.addresses]
    lines.append("Capacity:")
    lines += [f"  {k}:  {v}" for k, v in node.status.capacity.items()]
    lines += fields([("PodCIDR", node.spec.pod_cidr), ("PodCIDRs", ",".join(node.spec.pod_cidrs))])
    pods = [p for p in cluster.api.pods_on(node.name) if not p.metadata.deletion_timestamp]
    lines.append(f"Non-terminated Pods:          ({len(pods)} in total)")
    rows = [[p.namespace, p.name, "0 (0%)", "0 (0%)", "0 (0%)", "0 (0%)",
             human_duration(cluster.now - parse_timestamp(p.metadata.creation_timestamp))] for p in pods]
    lines += ["  " + line for line in table(
        ["Namespace", "Name", "CPU Requests", "CPU Limits", "Memory Requests", "Memory Limits", "Age"],
        [["---------", "----", "------------", "----------", "---------------", "-------------", "---"], *rows])]
    lines.append(events(cluster, node))
    return "\n".join(lines)


VIEW = View("Node", ("NAME", "STATUS", "ROLES", "AGE", "VERSION"),
            ("INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"), _row, _describe)
VIEWS = (VIEW,)
"""The views this module gives :mod:`.kinds`."""
