"""DaemonSets (apps/v1): one pod per eligible node, defaults and validation as the API server's,
kubectl's columns, rolling updates by maxUnavailable."""

from __future__ import annotations

import re

import pytest

import kitlib
from kitlib.api.apps import DaemonSet
from kitlib.api.node import Taint
from kitlib.api.pod import Pod

AGENT = """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: nginx:1.27}]
"""


def _agents(c: kitlib.Cluster) -> list[Pod]:
    return [p for p in c.pods() if p.name.startswith("agent-")]


@pytest.fixture
def cluster() -> kitlib.Cluster:
    c = kitlib.Cluster(nodes=3, seed=3)
    c.apply(AGENT)
    c.advance(20)
    return c


def test_one_pod_per_node_named_and_labelled_by_the_controller(cluster):
    """The DaemonSet controller creates one pod per node, named NAME-xxxxx, labelled with the
    template's hash and generation, pinned to its node by a matchFields node affinity."""
    pods = _agents(cluster)
    assert sorted(p.spec.node_name for p in pods) == ["minikube", "minikube-m02", "minikube-m03"]
    for p in pods:
        assert len(p.name) == len("agent-") + 5
        assert p.metadata.labels["pod-template-generation"] == "1"
        assert "controller-revision-hash" in p.metadata.labels
        term = p.spec.affinity.node_affinity.required_during_scheduling_ignored_during_execution.node_selector_terms
        assert [(r.key, r.operator, r.values) for r in term[0].match_fields] == [
            ("metadata.name", "In", [p.spec.node_name])]
        keys = {(t.key, t.effect) for t in p.spec.tolerations}
        assert ("node.kubernetes.io/unschedulable", "NoSchedule") in keys
        assert ("node.kubernetes.io/unreachable", "NoExecute") in keys
        assert ("node.kubernetes.io/network-unavailable", "NoSchedule") not in keys  # not hostNetwork


def test_defaults_and_status(cluster):
    """SetDefaults_DaemonSet: RollingUpdate, maxUnavailable 1, maxSurge 0, revisionHistoryLimit 10;
    the status counts the nodes."""
    ds = cluster.get("DaemonSet", "agent")
    assert isinstance(ds, DaemonSet)
    ru = ds.spec.update_strategy.rolling_update
    assert (ds.spec.update_strategy.type, ru.max_unavailable, ru.max_surge) == ("RollingUpdate", 1, 0)
    assert ds.spec.revision_history_limit == 10
    st = ds.status
    assert (st.desired_number_scheduled, st.current_number_scheduled, st.number_ready,
            st.updated_number_scheduled, st.number_available, st.observed_generation) == (3, 3, 3, 3, 3, 1)


def test_get_ds_columns(cluster):
    """kubectl's printDaemonSet columns; -o wide adds CONTAINERS IMAGES SELECTOR."""
    assert cluster.kubectl("get ds agent") == (
        "NAME    DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR   AGE\n"
        "agent   3         3         3       3            3           <none>          20s")
    assert cluster.kubectl("get daemonsets agent -o wide").splitlines()[1].split() == [
        "agent", "3", "3", "3", "3", "3", "<none>", "20s", "agent", "nginx:1.27", "app=agent"]


def test_new_node_gets_a_pod_and_removed_node_loses_it(cluster):
    """A node that joins gets the daemon pod; a node deleted takes its pod with it."""
    node = cluster.add_node()
    cluster.advance(10)
    assert node.name in {p.spec.node_name for p in _agents(cluster)}
    cluster.kubectl(f"delete node {node.name}")
    cluster.advance(10)
    assert node.name not in {p.spec.node_name for p in _agents(cluster)}
    assert cluster.get("DaemonSet", "agent").status.desired_number_scheduled == 3


def test_node_selector_limits_the_nodes(cluster):
    """Only nodes whose labels match the template's nodeSelector run the pod."""
    cluster.apply(AGENT.replace("agent", "edge").replace(
        "spec:\n      containers", "spec:\n      nodeSelector: {role: edge}\n      containers"))
    cluster.kubectl("label node minikube-m02 role=edge")
    cluster.advance(10)
    assert [p.spec.node_name for p in cluster.pods() if p.name.startswith("edge-")] == ["minikube-m02"]
    assert cluster.get("DaemonSet", "edge").status.desired_number_scheduled == 1


def test_untolerated_taint_keeps_the_pod_off(cluster):
    """A NoSchedule taint the template does not tolerate keeps a new daemon pod off the node,
    and a NoExecute one removes the pod already there."""
    node = cluster.get("Node", "minikube-m03")
    node.spec.taints.append(Taint("dedicated", "NoExecute", "db"))
    cluster.update(node)
    cluster.advance(10)
    assert "minikube-m03" not in {p.spec.node_name for p in _agents(cluster)}


def test_rolling_update_replaces_at_most_max_unavailable(cluster):
    """With maxUnavailable 1, a new template replaces one pod at a time: the old pod is deleted
    and a new one created, and the next node waits until that one is available."""
    cluster.apply(AGENT.replace("nginx:1.27", "nginx:1.28"))
    ds = cluster.get("DaemonSet", "agent")
    assert ds.metadata.annotations["deprecated.daemonset.template.generation"] == "2"
    terminating = [p for p in _agents(cluster) if p.metadata.deletion_timestamp is not None]
    assert len(terminating) == 1
    cluster.advance(60)
    pods = [p for p in _agents(cluster) if p.metadata.deletion_timestamp is None]
    assert sorted(p.spec.containers[0].image for p in pods) == ["nginx:1.28"] * 3
    assert {p.metadata.labels["pod-template-generation"] for p in pods} == {"2"}


@pytest.mark.parametrize("patch, message", [
    ("selector: {matchLabels: {app: other}}", re.escape(
        'DaemonSet.apps "agent" is invalid: spec.template.metadata.labels: Invalid value: '
        'map[string]string{"app":"agent"}: `selector` does not match template `labels`')),
    ("selector: {matchLabels: {app: agent}}\n  updateStrategy: {type: RollingUpdate, rollingUpdate: "
     "{maxUnavailable: 0, maxSurge: 0}}",
     'DaemonSet.apps "agent" is invalid: spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: '
     "cannot be 0 when maxSurge is 0"),
    ("selector: {matchLabels: {app: agent}}\n  updateStrategy: {type: Sometimes}",
     'spec.updateStrategy: Unsupported value: .*supported values: "OnDelete", "RollingUpdate"'),
])
def test_validation_messages(patch, message):
    """ValidateDaemonSet's messages; a refused DaemonSet changes nothing."""
    c = kitlib.Cluster(nodes=1)
    before = c.state()
    with pytest.raises(kitlib.Invalid, match=message):
        c.apply(AGENT.replace("selector: {matchLabels: {app: agent}}", patch))
    assert c.state() == before


def test_selector_is_immutable(cluster):
    """A DaemonSet's selector cannot change."""
    with pytest.raises(kitlib.Invalid, match=r"spec.selector: Invalid value: .*field is immutable"):
        cluster.apply(AGENT.replace("{matchLabels: {app: agent}}", "{matchLabels: {app: agent, x: y}}")
                      .replace("labels: {app: agent}}", "labels: {app: agent, x: y}}"))


def test_rollout_status_follows_the_daemonset(cluster):
    """`kubectl rollout status ds/NAME` prints DaemonSetStatusViewer's lines until every node runs
    an updated, available pod."""
    cluster.apply(AGENT.replace("nginx:1.27", "nginx:1.28"))
    lines = cluster.kubectl("rollout status ds/agent").splitlines()
    assert lines[0] == 'Waiting for daemon set "agent" rollout to finish: 0 out of 3 new pods have been updated...'
    assert lines[-1] == 'daemon set "agent" successfully rolled out'
    assert cluster.kubectl("rollout status daemonset agent --watch=false") == (
        'daemon set "agent" successfully rolled out')


def test_a_missing_selector_selects_nothing():
    """ValidateDaemonSetSpec has no Required check: LabelSelectorAsSelector(nil) selects nothing,
    so the template's labels are what fails."""
    c = kitlib.Cluster(nodes=1)
    with pytest.raises(kitlib.Invalid, match=re.escape(
            'DaemonSet.apps "agent" is invalid: spec.template.metadata.labels: Invalid value: '
            'map[string]string{"app":"agent"}: `selector` does not match template `labels`')):
        c.apply(AGENT.replace("  selector: {matchLabels: {app: agent}}\n", ""))
