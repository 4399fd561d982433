"""kubectl for Deployments and their ReplicaSets: the columns of ``get deployments|replicasets``,
``describe deployment``, and ``create deployment NAME --image=IMAGE``, whose object is exactly
what the real kubectl prints with ``--dry-run=client -o yaml`` (the API server adds its defaults
only on the way in)."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from ..api.apps import Deployment, ReplicaSet
from ..api.pod import PodTemplateSpec
from ..controllers.deployment import REVISION
from ..errors import BadRequest
from ..names import random_suffix
from .args import Args
from .describe import (
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


def _containers(template: PodTemplateSpec) -> tuple[str, str]:
    cs = template.spec.containers
    return ",".join(c.name for c in cs), ",".join(c.image or "" for c in cs)


def _row(cluster: Cluster, d: Deployment, wide: bool) -> list[str]:
    st = d.status
    row = [d.name, f"{st.ready_replicas or 0}/{d.spec.replicas or 0}", str(st.updated_replicas or 0),
           str(st.available_replicas or 0), age(cluster, d)]
    if wide:
        row += [*_containers(d.spec.template), str(d.spec.selector or "")]
    return row


def _replicaset_row(cluster: Cluster, rs: ReplicaSet, wide: bool) -> list[str]:
    row = [rs.name, str(rs.spec.replicas or 0), str(rs.status.replicas), str(rs.status.ready_replicas or 0),
           age(cluster, rs)]
    if wide:
        row += [*_containers(rs.spec.template), str(rs.spec.selector or "")]
    return row


def _describe(cluster: Cluster, d: Deployment) -> str:
    st = d.status
    ru = d.spec.strategy.rolling_update if d.spec.strategy else None
    lines = fields([
        ("Name", d.name), ("Namespace", d.namespace), ("CreationTimestamp", format_time(d.metadata.creation_timestamp)),
        ("Labels", label_values(d.metadata.labels)), ("Annotations", annotation_values(d.metadata.annotations)),
        ("Selector", str(d.spec.selector)),
        ("Replicas", f"{d.spec.replicas} desired | {st.updated_replicas or 0} updated | {st.replicas or 0} total | "
                     f"{st.available_replicas or 0} available | {st.unavailable_replicas or 0} unavailable"),
        ("StrategyType", d.spec.strategy.type if d.spec.strategy else "RollingUpdate"),
        ("MinReadySeconds", d.spec.min_ready_seconds or 0),
    ])
    if ru:
        lines += fields([("RollingUpdateStrategy", f"{ru.max_unavailable} max unavailable, {ru.max_surge} max surge")])
    lines.append("Pod Template:")
    lines += fields([("Labels", label_values(d.spec.template.metadata.labels))], indent=1)
    lines.append("  Containers:")
    for c in d.spec.template.spec.containers:
        lines.append(f"   {c.name}:")
        lines += fields([("Image", c.image), *container_ports(c.ports), ("Environment", "<none>"), ("Mounts", "<none>")],
                        indent=2)
    lines.append("Conditions:")
    rows = [[c.type, c.status, c.reason or ""] for c in st.conditions]
    lines += ["  " + line for line in table(["Type", "Status", "Reason"], [["----", "------", "------"], *rows])]
    rss = [r for r in cluster.api.owned(d, "ReplicaSet") if isinstance(r, ReplicaSet)]
    newest = max(rss, key=lambda r: int(r.metadata.annotations.get(REVISION, "0")), default=None)
    old = [r for r in rss if r is not newest and r.spec.replicas]
    lines.append("OldReplicaSets:  " + (", ".join(f"{r.name} ({r.status.replicas}/{r.spec.replicas} replicas created)"
                                                  for r in old) or "<none>"))
    lines.append("NewReplicaSet:   " + (f"{newest.name} ({newest.status.replicas}/{newest.spec.replicas} replicas created)"
                                        if newest else "<none>"))
    lines.append(events(cluster, d))
    return "\n".join(lines)


def create_deployment(cluster: Cluster, args: Args) -> dict[str, Any]:
    """``kubectl create deployment NAME --image=IMAGE [--replicas=N] [--port=P] [-- COMMAND ARGS...]``.

    As kubectl does, ``--port`` and the command go to the first container only.
    """
    if len(args.words) < 3:
        raise BadRequest("error: exactly one NAME is required, got 0")
    images = args.all("image")
    if not images:
        raise BadRequest("error: required flag(s) \"image\" not set")
    # kubectl's --port and --replicas are int32 flags (``-r`` is --replicas' shorthand).
    port = args.flag_int("port", "create deployment", bits=32)
    replicas = args.flag_int("replicas", "create deployment", 1, bits=32, shorthand="r") or 0
    name = args.words[2]
    labels = {"app": name}
    containers = []
    for i, image in enumerate(images):
        c: dict[str, Any] = {"image": image, "name": container_name(image, cluster.rng), "resources": {}}
        if i == 0 and args.rest:
            c["command"] = list(args.rest)
        if i == 0 and port is not None and port >= 0:
            c["ports"] = [{"containerPort": port}]
        containers.append(c)
    meta: dict[str, Any] = {"labels": labels, "name": name}
    if args.get("namespace"):
        meta["namespace"] = args.get("namespace")
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(labels)},
            "strategy": {},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {"containers": containers},
            },
        },
        "status": {},
    }


def container_name(image: str, rng: random.Random) -> str:
    """kubectl names the container after the image: last path element, no tag or digest.

    A name with ``_`` or ``.`` (not allowed in a container name) has them turned into ``-``
    and gets a random suffix, as kubectl's ``sanitizeAndUniquify`` does: ``my_app`` → ``my-app-x7k2p``.
    """
    base = image.split("@")[0].rsplit("/", 1)[-1].split(":")[0]
    if "_" in base or "." in base:
        base = base.replace("_", "-").replace(".", "-") + "-" + random_suffix(rng)
    return base


VIEWS = (
    View("Deployment", ("NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"), ("CONTAINERS", "IMAGES", "SELECTOR"),
         _row, _describe, create=create_deployment, create_types=("deployment", "deploy")),
    View("ReplicaSet", ("NAME", "DESIRED", "CURRENT", "READY", "AGE"), ("CONTAINERS", "IMAGES", "SELECTOR"),
         _replicaset_row),
)
