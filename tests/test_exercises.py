"""Lesson 1's exercise checks pass on a right answer and give a hint on a wrong one."""

from __future__ import annotations

import kitlib
from kitlib.exercises import lesson01 as ex


def _cluster():
    c = kitlib.Cluster(nodes=3, seed=0)
    c.kubectl("create deployment web --image=nginx --replicas=3 --port=80")
    c.advance(10)
    return c


def test_spread_needs_six_running_pods_on_every_node():
    c = _cluster()
    first = ex.check_spread(c)
    assert not first and "3 replicas" in first.message and first.hint
    c.scale("web", 6)
    assert not ex.check_spread(c)  # not Running yet
    c.advance(15)
    assert ex.check_spread(c)


def test_spread_fails_while_a_node_is_drained():
    c = _cluster()
    c.drain("minikube-m03")
    c.scale("web", 6)
    c.advance(15)
    assert not ex.check_spread(c)


def test_cross_node_needs_a_connection_between_nodes():
    c = _cluster()
    assert not ex.check_cross_node(c, None)
    pods = c.pods()
    a = pods[0]
    b = next(p for p in pods if p.spec.node_name != a.spec.node_name)
    assert not ex.check_cross_node(c, c.connect(a.key, b.key, 81))
    result = ex.check_cross_node(c, c.connect(a.key, b.key, 80))
    assert result and "no NAT" in result.message


def test_new_ip_after_a_kill():
    c = _cluster()
    assert not ex.check_new_ip(c, None, None)
    assert not ex.check_new_ip(c, "web-x", "192.168.49.2")
    victim = c.pods()[0]
    assert not ex.check_new_ip(c, victim.name, victim.status.pod_ip)
    c.delete("Pod", victim.name)
    c.advance(15)
    assert ex.check_new_ip(c, victim.name, victim.status.pod_ip)


def test_new_ip_refuses_a_made_up_pod_or_another_pods_ip():
    """The check reads the pod as the API server removed it (the watch cache's DELETED event):
    a name that never ran, or an IP the killed pod did not have, fails even if no pod holds it."""
    c = _cluster()
    victim, other = c.pods()[:2]
    c.delete("Pod", victim.name)
    c.advance(15)
    made_up = ex.check_new_ip(c, "web-678b8c8999-abcde", "10.244.1.77")
    assert not made_up and made_up.message.endswith("no pod web-678b8c8999-abcde ran in this cluster.")
    wrong_ip = ex.check_new_ip(c, victim.name, "10.244.1.77")
    assert not wrong_ip and f"had the IP {victim.status.pod_ip}, not 10.244.1.77" in wrong_ip.message
    assert not ex.check_new_ip(c, victim.name, other.status.pod_ip)
    assert ex.check_new_ip(c, victim.name, victim.status.pod_ip)


def test_node_failure_needs_the_eviction_delay():
    c = _cluster()
    assert not ex.check_node_failure(c, "minikube-m02")
    c.fail_node("minikube-m02")
    c.advance(60)
    early = ex.check_node_failure(c, "minikube-m02")
    assert not early and "300 s" in early.hint
    c.advance(360)
    assert ex.check_node_failure(c, "minikube-m02")


def test_feedback_prints_for_learners():
    c = _cluster()
    text = str(ex.check_node_failure(c, "nope"))
    assert text.startswith("✘ Not yet:") and "Hint:" in text
