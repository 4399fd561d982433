"""Exported objects are valid Kubernetes 1.37 objects (kubernetes-validate's strict schemas)."""

from __future__ import annotations

import pytest

kubernetes_validate = pytest.importorskip("kubernetes_validate")

VERSION = "1.37.0"


def validate(obj) -> None:
    kubernetes_validate.validate(obj.to_dict(), VERSION, strict=True)


def test_the_schemas_for_1_32_ship():
    """kubernetes-validate carries the 1.37 schemas, so the checks below run against 1.37."""
    assert "1.37.0" in kubernetes_validate.utils.all_versions()


@pytest.fixture
def lively(web):
    """Objects in many states: running, pending unschedulable, terminating, on a NotReady node."""
    web.kubectl("create namespace shop")
    web.kubectl("create deployment cart --image=nginx:1.27 --replicas=2 --port=8080 -n shop")
    web.fail_node("minikube-m03")
    web.advance(60)
    for node in ("minikube", "minikube-m02"):
        web.cordon(node)
    web.scale("web", 5)
    web.delete("Pod", web.pods_on("minikube")[0].name)
    return web


@pytest.mark.parametrize("kind", ["Pod", "Deployment", "ReplicaSet", "Node", "Namespace"])
def test_exported_objects_validate(lively, kind):
    """Every exported Pod, Deployment, ReplicaSet, Node and Namespace passes strict validation."""
    objs = lively.list(kind)
    assert objs
    for obj in objs:
        validate(obj)


def test_fresh_and_minimal_objects_validate(cluster):
    """The objects of a brand-new cluster and a just-created deployment validate too."""
    cluster.kubectl("create deployment web --image=nginx")
    for kind in ("Namespace", "Node", "Deployment", "ReplicaSet", "Pod"):
        for obj in cluster.list(kind):
            validate(obj)


def test_strict_validation_catches_a_wrong_field(web):
    """The check is real: a misspelt field fails strict validation."""
    doc = web.get("Deployment", "web").to_dict()
    doc["spec"]["replica"] = 3
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, VERSION, strict=True)
