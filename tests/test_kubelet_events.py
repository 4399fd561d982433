"""The kubelet's events while it starts a pod's containers (pkg/kubelet/images/image_manager.go,
kuberuntime_container.go): per container, ``Pulling`` and ``Pulled`` (or ``Pulled`` "already
present" for an ``IfNotPresent`` image the node has), then ``Created`` and ``Started``, each with
the container's field path ``spec.containers{NAME}``."""

from __future__ import annotations

import re

import kitlib

TWO_CONTAINERS = """\
apiVersion: v1
kind: Pod
metadata: {name: two}
spec:
  nodeName: minikube
  containers:
  - {name: web, image: "nginx:1.27"}
  - {name: side, image: busybox, command: [sleep, "3600"]}
"""


def kubelet_events(c: kitlib.Cluster, pod: str) -> list[tuple[str, str, str]]:
    """(reason, field path, message) of the kubelet's events about ``pod``, in order."""
    uid = c.api.get("Pod", pod).metadata.uid or ""  # events are filed under the object's uid
    return [(e.reason, e.field_path, e.message) for e in c.api.events.for_object("Pod", uid)
            if e.source == "kubelet"]


def test_each_container_gets_its_own_events_with_its_name_and_image():
    """Every event names its own container and image, also when replicas of another pod with other
    containers started before (the texts are the kubelet's for each container, never another's)."""
    c = kitlib.Cluster(nodes=1, seed=3)
    c.kubectl("run first --image=busybox --command -- sleep 3600")
    c.settle()
    c.apply(TWO_CONTAINERS)
    c.settle()
    events = kubelet_events(c, "two")
    assert [(r, f) for r, f, _ in events] == [
        ("Pulling", "spec.containers{web}"), ("Pulled", "spec.containers{web}"),
        ("Pulling", "spec.containers{side}"), ("Pulled", "spec.containers{side}"),
        ("Created", "spec.containers{web}"), ("Started", "spec.containers{web}"),
        ("Created", "spec.containers{side}"), ("Started", "spec.containers{side}")]
    messages = [m for _, _, m in events]
    assert messages[0] == 'Pulling image "nginx:1.27"'
    assert re.fullmatch(r'Successfully pulled image "nginx:1\.27" in (\d+)ms \(\1ms including waiting\)\. '
                        r"Image size: 72188133 bytes\.", messages[1])
    assert messages[2] == 'Pulling image "busybox"'  # busybox is untagged: Always pulled, even when present
    assert re.fullmatch(r'Successfully pulled image "busybox" in (\d+)ms \(\1ms including waiting\)\. '
                        r"Image size: 72188133 bytes\.", messages[3])
    assert messages[4:] == ["Created container web", "Started container web",
                            "Created container side", "Started container side"]


def test_an_if_not_present_image_on_the_node_is_not_pulled_again():
    """A second pod of ``nginx:1.27`` (``IfNotPresent``) on the same node: ``Pulled`` "already present
    on machine", no ``Pulling``."""
    c = kitlib.Cluster(nodes=1, seed=3)
    c.apply(TWO_CONTAINERS)
    c.settle()
    c.kubectl("run again --image=nginx:1.27")
    c.settle()
    assert kubelet_events(c, "again") == [
        ("Pulled", "spec.containers{again}", 'Container image "nginx:1.27" already present on machine'),
        ("Created", "spec.containers{again}", "Created container again"),
        ("Started", "spec.containers{again}", "Started container again")]
