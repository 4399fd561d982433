"""Bad input never breaks a cluster: the node lifecycle and the scheduler under odd calls.

Each test states the Kubernetes behaviour it pins, with the source that says so.
"""

from __future__ import annotations

import kitlib


def test_pods_too_many_for_a_node_bind_once_a_pod_there_is_deleted():
    """Pods Pending for "Too many pods" are retried when a pod on a node is deleted: the
    scheduler's AssignedPodDelete event moves unschedulable pods back to the active queue
    (``MoveAllToActiveOrBackoffQueue``, pkg/scheduler/eventhandlers.go), so they bind as soon
    as the node has room again."""
    c = kitlib.Cluster(nodes=1, seed=1)
    c.kubectl("create deployment web --image=nginx --replicas=112")
    c.advance(30)
    pending = [p.name for p in c.pods() if not p.spec.node_name]
    assert len(pending) == 3
    assert "Too many pods" in c.kubectl(f"describe pod {pending[0]}")
    bound = [p for p in c.pods() if p.spec.node_name]
    c.delete("Pod", bound[0].name)
    c.delete("Pod", bound[1].name)
    c.advance(40)
    # Two left the node, two replacements came: all but three fit again.
    assert len([p for p in c.pods() if not p.spec.node_name]) == 3
    c.kubectl("scale deployment web --replicas=108")
    c.advance(40)
    assert all(p.spec.node_name for p in c.pods())
    assert "108/108" in c.kubectl("get deployment web")

