"""``kubectl rollout status|history|undo|restart|pause|resume`` for Deployments, in kubectl's own
words (``pkg/cmd/rollout``, ``pkg/polymorphichelpers``).

The simulator does not block, so ``rollout status`` (whose ``--watch`` is on by default) moves
the simulated clock forward instead of waiting: it prints a line each time the Deployment's status
changes, as kubectl prints one per watch event, until the rollout is done, its progress deadline
is exceeded, ``--timeout`` passes (default: one simulated hour, where kubectl would wait for ever)
or nothing more is scheduled. ``--watch=false`` prints one line for the present moment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar, cast

from ..api.apps import DaemonSet, Deployment, ReplicaSet
from ..api.convert import clone
from ..api.meta import KubeObject
from ..controllers import deployment as controller
from ..errors import BadRequest
from ..manifest import to_plain
from .args import Args, resource_type
from .describe import container_ports
from .tabwriter import DESCRIBE

if TYPE_CHECKING:
    from ..cluster import Cluster

T = TypeVar("T", bound=KubeObject)

WATCH_LIMIT = 3600.0
"""Simulated seconds ``rollout status`` watches at most when no ``--timeout`` is given."""


def patch(cluster: Cluster, obj: T, change: Callable[[T], None]) -> T:
    """Store a copy of ``obj`` changed by ``change``, as a PATCH does: admitted and validated, then
    stored (the API server's update)."""
    new = clone(obj)
    change(new)
    return cast(T, cluster.update(new))  # the API server stores the kind it is given


def _deployment(cluster: Cluster, args: Args, words: list[str]) -> tuple[Deployment, list[str]]:
    """The Deployment named by ``deployment/NAME`` or ``deployment NAME``, and the words after it."""
    if not words:
        raise BadRequest("error: required resource not specified")
    if "/" in words[0]:
        kind, name = words[0].split("/", 1)
        rest = words[1:]
    elif len(words) >= 2:
        kind, name, rest = words[0], words[1], words[2:]
    else:
        raise BadRequest("error: one or more resources must be specified as <resource> <name> or <resource>/<name>")
    res = resource_type(kind)
    if res.kind != "Deployment":
        raise BadRequest(f'error: kitlib simulates this command for deployments only, not "{res.plural}"')
    d = cluster.api.get("Deployment", name, args.namespace)
    assert isinstance(d, Deployment)
    return d, rest


def rollout_command(cluster: Cluster, args: Args, stdin: str) -> str:
    """``kubectl rollout status|history|undo|restart|pause|resume deployment/NAME``."""
    if len(args.words) < 2:
        raise BadRequest("error: kubectl rollout needs a subcommand: history, pause, restart, resume, status, undo")
    sub = args.words[1]
    handler = _SUBCOMMANDS.get(sub)
    if handler is None:
        raise BadRequest(f'error: unknown command "{sub}" for "kubectl rollout"')
    words = args.words[2:]
    if sub in ("status", "restart") and words and resource_type(words[0].split("/", 1)[0]).kind == "DaemonSet":
        name = words[0].split("/", 1)[1] if "/" in words[0] else (words[1] if len(words) > 1 else "")
        ds = cluster.api.get("DaemonSet", name, args.namespace)
        assert isinstance(ds, DaemonSet)
        if sub == "restart":
            return _restart(cluster, args, ds)
        return _status(cluster, args, ds, daemonset_status_line)
    d, _ = _deployment(cluster, args, words)
    return handler(cluster, args, d)


def daemonset_status_line(ds: KubeObject) -> tuple[str, bool]:
    """What ``DaemonSetStatusViewer.Status`` (``pkg/polymorphichelpers/rollout_status.go``) says."""
    assert isinstance(ds, DaemonSet)
    strategy = ds.spec.update_strategy
    if strategy is None or strategy.type != "RollingUpdate":
        raise BadRequest("error: rollout status is only available for RollingUpdate strategy type")
    st, name = ds.status, ds.name
    if (ds.metadata.generation or 0) > (st.observed_generation or 0):
        return "Waiting for daemon set spec update to be observed...", False
    updated, desired, available = st.updated_number_scheduled or 0, st.desired_number_scheduled, \
        st.number_available or 0
    if updated < desired:
        return (f'Waiting for daemon set "{name}" rollout to finish: {updated} out of {desired} new pods '
                "have been updated..."), False
    if available < desired:
        return (f'Waiting for daemon set "{name}" rollout to finish: {available} of {desired} updated pods '
                "are available..."), False
    return f'daemon set "{name}" successfully rolled out', True


def status_line(d: KubeObject) -> tuple[str, bool]:
    """What ``DeploymentStatusViewer.Status`` says about ``d`` now, and whether it is done.

    Raises :class:`~kitlib.errors.BadRequest` once the progress deadline is exceeded.
    """
    assert isinstance(d, Deployment)
    st = d.status
    name = d.name
    if (d.metadata.generation or 0) > (st.observed_generation or 0):
        return "Waiting for deployment spec update to be observed...", False
    cond = controller.condition(d, "Progressing")
    if cond is not None and cond.reason == controller.TIMED_OUT:
        raise BadRequest(f'error: deployment "{name}" exceeded its progress deadline')
    want, updated, total, available = d.spec.replicas or 0, st.updated_replicas or 0, st.replicas or 0, \
        st.available_replicas or 0
    if updated < want:
        return (f'Waiting for deployment "{name}" rollout to finish: {updated} out of {want} new replicas '
                "have been updated..."), False
    if total > updated:
        return f'Waiting for deployment "{name}" rollout to finish: {total - updated} old replicas are pending ' \
            "termination...", False
    if available < updated:
        return (f'Waiting for deployment "{name}" rollout to finish: {available} of {updated} updated replicas '
                "are available..."), False
    return f'deployment "{name}" successfully rolled out', True


def _status(cluster: Cluster, args: Args, d: KubeObject,
            line_for: Callable[[KubeObject], tuple[str, bool]] = status_line) -> str:
    if (args.get("watch") or "true") == "false":
        return line_for(d)[0]
    timeout = args.get("timeout")
    limit = cluster.now + (_seconds(timeout) if timeout not in (None, "0", "0s") else WATCH_LIMIT)
    lines: list[str] = []
    seen = None
    while True:
        current = cluster.api.get(d.kind, d.name, d.namespace)
        state = to_plain(current.status)  # type: ignore[attr-defined]  # a Deployment or DaemonSet
        if state != seen:  # one line per change, as kubectl prints one per watch event
            seen = state
            try:
                line, done = line_for(current)
            except BadRequest as err:
                raise BadRequest("\n".join([*lines, err.message])) from None
            lines.append(line)
            if done:
                return "\n".join(lines)
        nxt = cluster.clock.next_due()
        if nxt is None:
            return "\n".join(lines)
        if nxt > limit:
            cluster.advance(max(0.0, limit - cluster.now))
            raise BadRequest("\n".join([*lines, "error: timed out waiting for the condition"]))
        cluster.advance(max(0.0, nxt - cluster.now))


def _seconds(text: str) -> float:
    units = {"h": 3600, "m": 60, "s": 1}
    total, number = 0.0, ""
    for ch in text:
        if ch.isdigit() or ch == ".":
            number += ch
        elif ch in units and number:
            total += float(number) * units[ch]
            number = ""
        else:
            raise BadRequest(f'error: invalid argument "{text}" for "--timeout" flag: time: invalid duration "{text}"')
    if number:
        raise BadRequest(f'error: invalid argument "{text}" for "--timeout" flag: time: missing unit in duration '
                         f'"{text}"')
    return total


def _revisions(cluster: Cluster, d: Deployment) -> dict[int, ReplicaSet]:
    rss = [r for r in cluster.api.owned(d, "ReplicaSet") if isinstance(r, ReplicaSet)]
    return {controller.revision(rs): rs for rs in rss if controller.REVISION in rs.metadata.annotations}


def _history(cluster: Cluster, args: Args, d: Deployment) -> str:
    """The REVISION / CHANGE-CAUSE table, or with ``--revision=N`` that revision's pod template."""
    revisions = _revisions(cluster, d)
    wanted = args.int("revision", 0) or 0
    if wanted > 0:
        rs = revisions.get(wanted)
        if rs is None:
            raise BadRequest("error: unable to find the specified revision")
        return f"deployment.apps/{d.name} with revision #{wanted}\n{pod_template(rs)}\n"
    if not revisions:
        return f"deployment.apps/{d.name} \nNo rollout history found."
    rows = [["REVISION", "CHANGE-CAUSE"]] + [
        [str(r), revisions[r].metadata.annotations.get(controller.CHANGE_CAUSE) or "<none>"] for r in sorted(revisions)]
    return f"deployment.apps/{d.name} \n" + "\n".join(DESCRIBE.lines(rows)) + "\n"


def pod_template(rs: ReplicaSet) -> str:
    """``DescribePodTemplate`` through kubectl's prefix writer (tabs left as they are)."""
    t = rs.spec.template
    annotations = dict(t.metadata.annotations)
    cause = rs.metadata.annotations.get(controller.CHANGE_CAUSE)
    if cause:
        annotations[controller.CHANGE_CAUSE] = cause
    lines = ["Pod Template:"]
    labels = [f"{k}={v}" for k, v in sorted(t.metadata.labels.items())] or ["<none>"]
    lines.append("  Labels:\t" + "\n\t".join(labels))
    if annotations:
        lines.append("  Annotations:\t" + "\n\t".join(f"{k}: {v}" for k, v in sorted(annotations.items())))
    lines.append("  Containers:")
    for c in t.spec.containers:
        lines += [f"   {c.name}:", f"    Image:\t{c.image}", *(f"    {label}:\t{value}" for label, value in container_ports(c.ports)),
                  "    Environment:\t<none>", "    Mounts:\t<none>"]
    lines += ["  Volumes:\t<none>", "  Node-Selectors:\t<none>", "  Tolerations:\t<none>"]
    return "\n".join(lines)


def _undo(cluster: Cluster, args: Args, d: Deployment) -> str:
    """Copy an older ReplicaSet's template (without its hash label) and annotations back into the
    Deployment, as kubectl's ``DeploymentRollbacker`` patches it; the controller then reuses that
    ReplicaSet as the newest revision."""
    to = args.int("to-revision", 0) or 0
    revisions = _revisions(cluster, d)
    if to > 0:
        rs = revisions.get(to)
        if rs is None:
            raise BadRequest(f"error: unable to find specified revision {to} in history")
    else:
        older = sorted(revisions)[:-1]
        if not older:
            raise BadRequest(f'error: no rollout history found for deployment "{d.name}"')
        rs = revisions[older[-1]]
    if d.spec.paused:
        raise BadRequest("error: you cannot rollback a paused deployment; resume it first with "
                         f"'kubectl rollout resume deployment/{d.name}' and try again")
    if controller.same_template(rs.spec.template, d.spec.template):
        return (f"deployment.apps/{d.name} skipped rollback (current template already matches revision "
                f"{controller.revision(rs)})")
    template = clone(rs.spec.template)
    template.metadata.labels.pop(controller.HASH_LABEL, None)
    kept = {k: v for k, v in d.metadata.annotations.items() if k in controller.SKIPPED_ANNOTATIONS}
    kept.update({k: v for k, v in rs.metadata.annotations.items() if k not in controller.SKIPPED_ANNOTATIONS})

    def change(new: Deployment) -> None:
        new.spec.template = template
        new.metadata.annotations = kept

    patch(cluster, d, change)
    return f"deployment.apps/{d.name} rolled back"


def _restart(cluster: Cluster, args: Args, d: Deployment | DaemonSet) -> str:
    """A new ``kubectl.kubernetes.io/restartedAt`` template annotation: a new template, so a rollout
    (a Deployment's, or a DaemonSet's by its update strategy)."""
    if isinstance(d, Deployment) and d.spec.paused:
        raise BadRequest(f'error: deployments.apps "{d.name}" can\'t restart paused deployment '
                         "(run rollout resume first)")
    now = cluster.clock.timestamp()
    key = "kubectl.kubernetes.io/restartedAt"
    if d.spec.template.metadata.annotations.get(key) == now:
        raise BadRequest(f"error: failed to create patch for {d.name}: if restart has already been triggered "
                         "within the past second, please wait before attempting to trigger another")

    def change(new: Deployment | DaemonSet) -> None:
        new.spec.template.metadata.annotations[key] = now

    patch(cluster, d, change)
    return f"{'daemonset' if isinstance(d, DaemonSet) else 'deployment'}.apps/{d.name} restarted"


def _pause(cluster: Cluster, args: Args, d: Deployment) -> str:
    if d.spec.paused:
        raise BadRequest(f'error: deployments.apps "{d.name}" is already paused')
    patch(cluster, d, lambda new: setattr(new.spec, "paused", True))
    return f"deployment.apps/{d.name} paused"


def _resume(cluster: Cluster, args: Args, d: Deployment) -> str:
    if not d.spec.paused:
        raise BadRequest(f'error: deployments.apps "{d.name}" is not paused')
    patch(cluster, d, lambda new: setattr(new.spec, "paused", None))
    return f"deployment.apps/{d.name} resumed"


_SUBCOMMANDS = {"status": _status, "history": _history, "undo": _undo, "restart": _restart, "pause": _pause,
                "resume": _resume}

