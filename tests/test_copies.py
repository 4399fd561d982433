"""Copies of API objects: :func:`kitlib.api.convert.clone`, and the stamper a ReplicaSet copies
its template's pod spec with, thousands of times in one sync.

A controller's pod gets its own copy of the template (``GetPodFromTemplate`` deep-copies
``template.Spec``): changing one pod's spec never changes the template or another pod. A stamper
makes the same copies as ``clone`` from a snapshot of the template taken when it is made.
"""

from __future__ import annotations

import dataclasses
import gc
from typing import Any

import pytest

import kitlib
from kitlib import manifest
from kitlib.api.convert import clone, stamper
from kitlib.api.meta import ObjectMeta
from kitlib.api.pod import Pod

TEMPLATES: dict[str, dict[str, Any]] = {
    "one container, one port": {"containers": [{"name": "web", "image": "nginx", "ports": [{"containerPort": 80}]}]},
    "probes, env, resources, volumes": {
        "containers": [{"name": "app", "image": "kitlib/webapp:1",
                        "ports": [{"containerPort": 8080, "name": "http"}, {"containerPort": 9090}],
                        "env": [{"name": "MODE", "value": "a"}, {"name": "N", "value": "2"}],
                        "resources": {"limits": {"cpu": "100m"}, "requests": {"memory": "64Mi"}},
                        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080,
                                                       "httpHeaders": [{"name": "X-A", "value": "b"}]},
                                           "periodSeconds": 1},
                        "livenessProbe": {"exec": {"command": ["true"]}},
                        "volumeMounts": [{"name": "scratch", "mountPath": "/tmp"}]},
                       {"name": "side", "image": "busybox", "command": ["sleep", "3600"]}],
        "volumes": [{"name": "scratch", "emptyDir": {}}],
        "nodeSelector": {"disk": "ssd"},
        "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule"}],
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}]}]}}},
        "securityContext": {"runAsUser": 1000},
        "hostNetwork": False,
    },
}


def pod(spec: dict[str, Any]) -> Pod:
    """A Pod decoded from a manifest with ``spec``."""
    decoded = manifest.decode({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec},
                              "Strict", None, {})
    assert isinstance(decoded, Pod)
    return decoded


def mutable_parts(value: Any, seen: dict[int, Any] | None = None) -> dict[int, Any]:
    """Every list, dict and dataclass instance reachable from ``value``, by id."""
    seen = {} if seen is None else seen
    if isinstance(value, (list, dict)) or dataclasses.is_dataclass(value):
        seen[id(value)] = value
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else \
            [getattr(value, f.name) for f in dataclasses.fields(value)]
        for child in children:
            mutable_parts(child, seen)
    return seen


def tracking(value: Any) -> list[tuple[str, bool]]:
    """Each container's type and whether the garbage collector tracks it, in walk order."""
    return [(type(v).__name__, gc.is_tracked(v)) for v in mutable_parts(value).values()]


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_a_stamped_spec_is_a_clone_of_the_template(name):
    """Each stamp equals what clone makes of the template (same fields, same YAML), and shares no
    list, dict or object with the template or with another stamp; the collector tracks its parts as
    it tracks clone's."""
    spec = kitlib.Cluster(nodes=1).api.prepare(pod(TEMPLATES[name]), None).spec  # defaulted as a pod's
    make = stamper(spec)
    first, second = make(), make()
    assert first == second == clone(spec) == spec
    assert kitlib.manifest.to_plain(first) == kitlib.manifest.to_plain(spec)
    template_parts, first_parts, second_parts = mutable_parts(spec), mutable_parts(first), mutable_parts(second)
    assert not template_parts.keys() & first_parts.keys()
    assert not first_parts.keys() & second_parts.keys()
    assert tracking(first) == tracking(clone(spec))


def test_a_stamper_copies_the_template_as_it_was_when_it_was_made():
    """A stamper copies a snapshot: a change to the template afterwards (a new image, a port more,
    an unknown field) reaches the copies of a new stamper only, and the cached copy function of the
    old shape does not stand in for the new one."""
    spec = pod(TEMPLATES["one container, one port"]).spec
    old = stamper(spec)
    before = clone(spec)
    spec.containers[0].image = "nginx:1.27"
    spec.containers[0].ports.append(clone(spec.containers[0].ports[0]))
    spec.containers[0].ports[1].container_port = 81
    spec.extra["runtimeClassName"] = "gvisor"
    spec.node_selector["disk"] = "ssd"
    assert old() == before
    new = stamper(spec)()
    assert new == spec and new != before
    assert [p.container_port for p in new.containers[0].ports] == [80, 81]
    assert new.extra["runtimeClassName"] == "gvisor" and new.node_selector == {"disk": "ssd"}
    assert old() == before  # the old shape's function still copies the old snapshot


def test_what_clone_copies_otherwise_a_stamp_copies_with_clone():
    """An object carrying an attribute besides its fields (a custom resource's decoded fields), a
    dict with other keys than strings and a set are copied by clone at each stamp: equal, not
    shared."""
    meta = ObjectMeta(name="x", labels={"a": "b"})
    meta.sent = {"kept": [1]}  # type: ignore[attr-defined]  # what clone's fallback copies
    value = {"meta": meta, "by_port": {80: ["http"]}, "set": {1, 2}, "text": "t"}
    make = stamper(value)
    copy = make()
    assert copy == clone(value) and copy["meta"].sent == {"kept": [1]}
    assert copy["meta"] is not meta and copy["meta"].sent is not meta.sent
    assert copy["by_port"] is not value["by_port"] and copy["set"] is not value["set"]
    assert make()["meta"] is not copy["meta"]


def test_pods_of_a_replicaset_have_their_own_specs(web):
    """Each pod a ReplicaSet stamps out has its own spec: binding one pod (its node name) or
    changing its containers in place leaves the template and the other pods alone."""
    pods = web.api.list_as(Pod)
    (rs,) = web.api.list("ReplicaSet")
    assert len({p.spec.node_name for p in pods}) > 1  # each binding changed its own spec
    pods[0].spec.containers[0].image = "changed"
    assert [p.spec.containers[0].image for p in pods[1:]] == ["nginx"] * (len(pods) - 1)
    assert rs.spec.template.spec.containers[0].image == "nginx"
