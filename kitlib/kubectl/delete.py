"""``kubectl delete`` as kubectl 1.37 does it (``pkg/cmd/delete/delete.go``): the objects named,
selected (``-l``, ``--all``) or listed in manifests (``-f FILE|-``) deleted one by one, each printed
as ``<kind>.<group> "<name>" deleted from <namespace> namespace`` (``force deleted`` under
``--force``, ``(dry run)``/``(server dry run)`` after), the errors after them; then, unless
``--wait=false``, kubectl waits until every deleted object is gone: here the cluster's clock
advances, event by event, until the last one is (a pod's grace period, its containers' exit),
bounded by ``--timeout`` (0: a week, kubectl's ``168h``).

``--grace-period`` overrides a pod's ``terminationGracePeriodSeconds``; ``--now`` is 1; 0 without
``--force`` is 1 (kubectl's guard against accidents); ``--force`` is 0, the pod removed from the
API at once, with kubectl's warning."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..api.registry import Resource
from ..errors import ApiError, BadRequest, NotFound, PartialFailure
from ..manifest import load, mapping
from .args import Args
from .output import note, request

if TYPE_CHECKING:
    from ..cluster import Cluster

WEEK = 168 * 3600
"""kubectl's wait when ``--timeout`` is 0 (``effectiveTimeout = 168 * time.Hour``)."""
FORCE_WARNING = ("Warning: Immediate deletion does not wait for confirmation that the running resource has been "
                 "terminated. The resource may continue to run on the cluster indefinitely.")


@dataclass(frozen=True)
class _Target:
    res: Resource
    name: str
    namespace: str
    source: str = ""  # the manifest it came from (kubectl's "error when deleting <source>")


def delete_command(cluster: Cluster, args: Args, stdin: str) -> str:
    """``kubectl delete (TYPE NAME... | TYPE/NAME | -l SELECTOR | --all | -f FILE|-) [--grace-period=N]
    [--now] [--force] [--wait=false] [--timeout=D] [--dry-run=client|server] [--ignore-not-found]
    [-o name]``."""
    from .commands import _outcome, _sources, _targets  # the shared verbs' helpers
    grace = args.flag_int("grace-period", "delete", -1)
    assert grace is not None
    if args.on("now"):
        if grace != -1:
            raise BadRequest("error: --now and --grace-period cannot be specified together")
        grace = 1
    force = args.on("force")
    if grace == 0 and not force:
        grace = 1  # kubectl turns --grace-period=0 into 1 unless --force says it is meant
    if force and grace < 0:
        grace = 0
    dry_run = args.get("dry-run") or "none"
    if dry_run not in ("none", "client", "server"):
        raise BadRequest(f'error: Invalid dry-run value ({dry_run}). Must be "none", "server", or "client".')
    fmt = args.get("output") or ""
    if fmt not in ("", "name"):
        raise BadRequest(f"error: unexpected -o output mode: {fmt}. We only support '-o name'")
    selector = args.get("selector")
    if args.on("all") and selector:
        raise BadRequest("error: cannot set --all and --selector at the same time")
    if force and grace > 0:
        raise BadRequest("error: --force and --grace-period greater than 0 cannot be specified together")
    if force and grace == 0:
        note(FORCE_WARNING)
    ignore_not_found = args.on("ignore-not-found") if args.has("ignore-not-found") else \
        bool(args.on("all") or selector)
    timeout = _seconds(args.get("timeout") or "0s")
    ns = args.namespace
    targets: list[_Target] = []
    errors: list[ApiError] = []
    if args.all("filename"):
        for src in _sources(args.all("filename"), stdin):
            source = "STDIN" if isinstance(src, str) else str(src)
            for doc in load(src):
                res = mapping(doc, cluster.api.custom, source)
                given = doc.get("metadata")
                meta: dict = given if isinstance(given, dict) else {}
                namespace = (meta.get("namespace") or ns) if res.cls.namespaced else ""
                targets.append(_Target(res, str(meta.get("name") or ""), namespace, source))
    else:
        found = _targets(args.words[1:], cluster)
        for _, names in found:
            if not names and not selector and not args.on("all"):
                raise BadRequest("error: resource(s) were provided, but no name was specified")
        for res, names in found:
            request(cluster, res.kind)
            # Named objects are deleted one by one as they come; a selector or --all lists them first.
            listed = names or [o.name for o in cluster.api.list(res.kind, ns, selector)]
            targets += [_Target(res, n, ns if res.cls.namespaced else "") for n in listed]
    out: list[str] = []
    changed: list[tuple[str, str, str]] = []
    gone: list[tuple[str, str, str]] = []  # (kind, key, uid) to wait for
    for t in targets:
        try:
            if dry_run != "client":
                obj = cluster.api.get(t.res.kind, t.name, t.namespace or "default")
                if dry_run == "none":
                    obj = cluster.delete(t.res.kind, t.name, t.namespace or "default",
                                         grace_period=grace if grace >= 0 else None)
                    changed.append((obj.kind, obj.metadata.namespace or "", obj.name))
                    gone.append((obj.kind, obj.key, obj.metadata.uid or ""))
        except NotFound as err:
            if not ignore_not_found:
                errors.append(_deleting(err, t.source))
            continue
        except ApiError as err:
            errors.append(err)
            continue
        out.append(_line(t, grace, dry_run, fmt))
    if not out and not errors:
        return "No resources found"
    # An error ends the command before the wait (DeleteResult returns the visit's error).
    if gone and args.get("wait") != "false" and not errors:
        try:
            _wait(cluster, gone, timeout)
        except ApiError as err:  # the deletions stand and were printed; the timeout follows them
            raise PartialFailure(out, [err], changed) from None
    return _outcome(out, errors, changed)


def _deleting(err: ApiError, source: str) -> ApiError:
    """``AddSourceToErr("deleting", source, err)``: the server's error naming the manifest."""
    if not source:
        return err
    wrapped = copy.copy(err)
    wrapped.message = f'error when deleting "{source}": {err.message}'
    wrapped.args = (wrapped.message,)
    return wrapped


def _line(t: _Target, grace: int, dry_run: str, fmt: str) -> str:
    """``PrintObj``: what kubectl prints for one object it deleted."""
    kind = t.res.type_name
    if fmt == "name":
        return f"{kind}/{t.name}"
    operation = "force deleted" if grace == 0 else "deleted"
    if t.res.cls.namespaced:
        operation += f" from {t.namespace} namespace"
    operation += {"client": " (dry run)", "server": " (server dry run)"}.get(dry_run, "")
    return f'{kind} "{t.name}" {operation}'


def _wait(cluster: Cluster, gone: list[tuple[str, str, str]], timeout: float) -> None:
    """kubectl's wait for deletion: advance the clock to each next event until none of the objects
    is stored under its UID any more, or the timeout passes (kubectl's error then, from
    ``extendErrWaitTimeout`` in ``pkg/cmd/wait``: ``timed out waiting for the condition on
    <resource>/<name>``)."""
    limit = cluster.now + (timeout or WEEK)

    def left() -> list[tuple[str, str, str]]:
        out = []
        for kind, key, uid in gone:
            obj = cluster.api.store.get(kind, key)
            if obj is not None and (obj.metadata.uid or "") == uid:
                out.append((kind, key, uid))
        return out

    while (remaining := left()):
        nxt = cluster.api.clock.next_due()
        if nxt is None or nxt > limit:
            cluster.advance(max(limit - cluster.now, 0.0))
            kind, key, _ = remaining[0]
            res = cluster.api.resource(kind)
            raise BadRequest(f"error: timed out waiting for the condition on {res.plural}/{key.split('/')[-1]}")
        cluster.advance(max(nxt - cluster.now, 0.0))


def _seconds(text: str) -> float:
    """A Go duration (``30s``, ``2m``, ``1h30m``) in seconds, or kubectl's flag error."""
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    if text in ("0", ""):
        return 0.0
    parts = re.findall(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise BadRequest(f'error: invalid argument "{text}" for "--timeout" flag: time: invalid duration "{text}"')
    return sum(float(n) * units[u] for n, u in parts)
