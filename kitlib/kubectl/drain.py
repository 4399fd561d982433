"""Which pods ``kubectl drain`` evicts, and what it refuses, in kubectl's words
(``staging/src/k8s.io/kubectl/pkg/drain/filters.go``).

Every pod bound to the node goes through the filters in kubectl's order, each answering
delete, skip, warn or refuse; the first that does not delete decides, otherwise the last one's
answer stands (so a warning of an early filter is dropped when a later one says Okay):

1. ``daemonSetFilter``: a DaemonSet's running pod is never evicted (its controller would put it
   back at once): an error without ``--ignore-daemonsets``, a warning with it;
2. ``mirrorPodFilter``: a mirror pod (``kubernetes.io/config.mirror``) is skipped silently, as
   the kubelet, not the API, runs it;
3. ``localStorageFilter``: a running pod with an ``emptyDir`` volume loses its data: an error
   without ``--delete-emptydir-data``;
4. ``unreplicatedFilter``: a running pod no controller owns would not come back: an error
   without ``--force``, a warning with it.

The errors are grouped by message, each followed by its pods (``namespace/name, ...``); kubectl
walks a Go map there, so the order of several groups varies from run to run, and kitlib prints
them in the filters' order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..api.pod import Pod, is_mirror
from ..apiserver.server import ApiServer

DAEMONSET_FATAL = "DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"
DAEMONSET_WARNING = "ignoring DaemonSet-managed Pods"
LOCAL_STORAGE_FATAL = "Pods with local storage (use --delete-emptydir-data to override)"
LOCAL_STORAGE_WARNING = "deleting Pods with local storage"
UNMANAGED_FATAL = "cannot delete Pods that declare no controller (use --force to override)"
UNMANAGED_WARNING = "deleting Pods that declare no controller"


@dataclass
class DrainPlan:
    """The outcome of the filters for one node: the pods to evict, and the warnings and errors
    (each a message with its pods, as ``PodDeleteList.Warnings`` and ``errors`` join them)."""

    evict: list[Pod] = field(default_factory=list)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def warning_text(self) -> str:
        """``PodDeleteList.Warnings``: ``message: ns/pod, ns/pod; message: ...``."""
        return "; ".join(f"{m}: {', '.join(pods)}" for m, pods in self.warnings.items())

    def error_texts(self) -> list[str]:
        """``PodDeleteList.errors``: ``cannot delete <message>: ns/pod, ...`` for each message."""
        return [(m if m.lower().startswith("cannot delete") else f"cannot delete {m}") + ": " + ", ".join(pods)
                for m, pods in self.errors.items()]


def plan(api: ApiServer, node: str, *, ignore_daemonsets: bool, force: bool,
         delete_emptydir_data: bool) -> DrainPlan:
    """``GetPodsForDeletion``: run every pod on ``node`` through the filters."""
    out = DrainPlan()
    pods = sorted(api.pods_on(node), key=lambda p: (p.namespace, p.name))
    for pod in pods:
        if pod.metadata.deletion_timestamp is not None:
            continue  # already on its way out
        delete, reason, message = True, "Okay", ""
        for check in (_daemonset, _mirror, _local_storage, _unreplicated):
            delete, reason, message = check(api, pod, ignore_daemonsets, force, delete_emptydir_data)
            if not delete:
                break
        ref = f"{pod.namespace}/{pod.name}"
        if reason == "Warning":
            out.warnings.setdefault(message, []).append(ref)
        elif reason == "Error":
            out.errors.setdefault(message, []).append(ref)
        if delete:
            out.evict.append(pod)
    out.errors = {m: out.errors[m] for m in sorted(out.errors, key=lambda m: _FILTER_ORDER.get(m, -1))}
    out.warnings = {m: out.warnings[m] for m in sorted(out.warnings, key=lambda m: _FILTER_ORDER.get(m, -1))}
    return out


def _finished(pod: Pod) -> bool:
    return pod.status.phase in ("Succeeded", "Failed")


def _daemonset(api: ApiServer, pod: Pod, ignore: bool, force: bool, emptydir: bool) -> tuple[bool, str, str]:
    ref = pod.metadata.controller_ref()
    if ref is None or ref.kind != "DaemonSet" or _finished(pod):
        return True, "Okay", ""
    if api.store.get("DaemonSet", f"{pod.namespace}/{ref.name}") is None:
        message = f'daemonsets.apps "{ref.name}" not found'
        return (True, "Warning", message) if force else (False, "Error", message)
    return (False, "Warning", DAEMONSET_WARNING) if ignore else (False, "Error", DAEMONSET_FATAL)


def _mirror(api: ApiServer, pod: Pod, ignore: bool, force: bool, emptydir: bool) -> tuple[bool, str, str]:
    return (False, "Skip", "") if is_mirror(pod) else (True, "Okay", "")


def _local_storage(api: ApiServer, pod: Pod, ignore: bool, force: bool, emptydir: bool) -> tuple[bool, str, str]:
    if not any(v.empty_dir is not None for v in pod.spec.volumes) or _finished(pod):
        return True, "Okay", ""
    return (True, "Warning", LOCAL_STORAGE_WARNING) if emptydir else (False, "Error", LOCAL_STORAGE_FATAL)


def _unreplicated(api: ApiServer, pod: Pod, ignore: bool, force: bool, emptydir: bool) -> tuple[bool, str, str]:
    if _finished(pod) or pod.metadata.controller_ref() is not None:
        return True, "Okay", ""
    return (True, "Warning", UNMANAGED_WARNING) if force else (False, "Error", UNMANAGED_FATAL)


_FILTER_ORDER = {m: i for i, m in enumerate((DAEMONSET_FATAL, DAEMONSET_WARNING, LOCAL_STORAGE_FATAL,
                                             LOCAL_STORAGE_WARNING, UNMANAGED_FATAL, UNMANAGED_WARNING))}


def refusal(node: str, errors: list[str]) -> str:
    """What kubectl writes on stderr when the filters refuse (``RunDrain``, then ``CheckErr`` with
    the aggregate error: one message as it is, several as ``[a, b]``)."""
    aggregate = errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"
    return (f'error: unable to drain node "{node}" due to error: {aggregate}, continuing command...\n'
            f"There are pending nodes to be drained:\n {node}\nerror: {aggregate}")
