"""The objects ``kubectl create <generator>`` builds, exactly as the real kubectl prints them
with ``--dry-run=client -o yaml`` (the API server adds its defaults only on the way in)."""

from __future__ import annotations

import random
from typing import Any

from ..names import random_suffix


def deployment(name: str, images: list[str], replicas: int = 1, port: int | None = None,
               namespace: str | None = None, rng: random.Random | None = None,
               command: list[str] | None = None) -> dict[str, Any]:
    """``kubectl create deployment NAME --image=IMAGE [--replicas=N] [--port=P] [-- COMMAND ARGS...]``.

    As kubectl does, ``--port`` and the command go to the first container only.
    """
    labels = {"app": name}
    containers = []
    for i, image in enumerate(images):
        c: dict[str, Any] = {"image": image, "name": _container_name(image, rng), "resources": {}}
        if i == 0 and command:
            c["command"] = list(command)
        if i == 0 and port is not None and port >= 0:
            c["ports"] = [{"containerPort": port}]
        containers.append(c)
    meta: dict[str, Any] = {"creationTimestamp": None, "labels": labels, "name": name}
    if namespace:
        meta["namespace"] = namespace
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(labels)},
            "strategy": {},
            "template": {
                "metadata": {"creationTimestamp": None, "labels": dict(labels)},
                "spec": {"containers": containers},
            },
        },
        "status": {},
    }


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"creationTimestamp": None, "name": name},
            "spec": {}, "status": {}}


def _container_name(image: str, rng: random.Random | None = None) -> str:
    """kubectl names the container after the image: last path element, no tag or digest.

    A name with ``_`` or ``.`` (not allowed in a container name) has them turned into ``-``
    and gets a random suffix, as kubectl's ``sanitizeAndUniquify`` does: ``my_app`` → ``my-app-x7k2p``.
    """
    base = image.split("@")[0].rsplit("/", 1)[-1].split(":")[0]
    if "_" in base or "." in base:
        base = base.replace("_", "-").replace(".", "-") + "-" + random_suffix(rng or random.Random())
    return base
