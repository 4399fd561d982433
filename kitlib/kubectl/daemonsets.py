"""kubectl for DaemonSets: the columns of ``get daemonsets`` (``printDaemonSet`` in
``pkg/printers/internalversion/printers.go``) and ``describe daemonset`` (``DaemonSetDescriber``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..api.apps import DaemonSet
from ..api.pod import Pod
from .describe import annotation_values, container_ports, events, fields, label_values
from .printers import age, format_labels
from .view import View

if TYPE_CHECKING:
    from ..cluster import Cluster


def _row(cluster: Cluster, ds: DaemonSet, wide: bool) -> list[str]:
    st = ds.status
    row = [ds.name, str(st.desired_number_scheduled), str(st.current_number_scheduled), str(st.number_ready),
           str(st.updated_number_scheduled or 0), str(st.number_available or 0),
           format_labels(ds.spec.template.spec.node_selector), age(cluster, ds)]
    if wide:
        cs = ds.spec.template.spec.containers
        row += [",".join(c.name for c in cs), ",".join(c.image or "" for c in cs), str(ds.spec.selector or "")]
    return row


def _describe(cluster: Cluster, ds: DaemonSet) -> str:
    st = ds.status
    pods = [p for p in cluster.api.owned(ds, "Pod") if isinstance(p, Pod)]
    phases = [p.status.phase or "Pending" for p in pods]
    lines = fields([
        ("Name", ds.name), ("Namespace", ds.namespace), ("Selector", str(ds.spec.selector or "")),
        ("Node-Selector", format_labels(ds.spec.template.spec.node_selector)),
        ("Labels", label_values(ds.metadata.labels)), ("Annotations", annotation_values(ds.metadata.annotations)),
    ])
    lines += [f"Desired Number of Nodes Scheduled: {st.desired_number_scheduled}",
              f"Current Number of Nodes Scheduled: {st.current_number_scheduled}",
              f"Number of Nodes Scheduled with Up-to-date Pods: {st.updated_number_scheduled or 0}",
              f"Number of Nodes Scheduled with Available Pods: {st.number_available or 0}",
              f"Number of Nodes Misscheduled: {st.number_misscheduled}"]
    lines += fields([("Pods Status", f"{phases.count('Running')} Running / {phases.count('Pending')} Waiting / "
                                     f"{phases.count('Succeeded')} Succeeded / {phases.count('Failed')} Failed")])
    tmpl = ds.spec.template
    lines.append("Pod Template:")
    lines += fields([("Labels", label_values(tmpl.metadata.labels)),
                     *([("Service Account", tmpl.spec.service_account_name)] if tmpl.spec.service_account_name else [])],
                    indent=1)
    lines.append("  Containers:")
    for c in tmpl.spec.containers:
        lines.append(f"   {c.name}:")
        lines += fields([("Image", c.image), *container_ports(c.ports), ("Environment", "<none>"),
                         ("Mounts", "<none>")], indent=2)
    if tmpl.spec.priority_class_name:
        lines += fields([("Priority Class Name", tmpl.spec.priority_class_name)], indent=1)
    lines += fields([("Node-Selectors", format_labels(tmpl.spec.node_selector)),
                     ("Tolerations", [_toleration(t) for t in tmpl.spec.tolerations] or ["<none>"])], indent=1)
    lines.append(events(cluster, ds))
    return "\n".join(lines)


def _toleration(t: object) -> str:
    key, op, value, effect = (getattr(t, a) for a in ("key", "operator", "value", "effect"))
    text = (key or "") + (f"={value}" if value else "") + (f":{effect}" if effect else "")
    return text + (" op=Exists" if op == "Exists" else "")


VIEWS = (
    View("DaemonSet", ("NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"),
         ("CONTAINERS", "IMAGES", "SELECTOR"), _row, _describe),
)
