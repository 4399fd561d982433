"""The deployment lab without a browser: set values and click buttons, then look at the
engine and at the figure's data. Each control must be one engine call."""

from __future__ import annotations

import html

import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("anywidget")

import kitlib
from kitlib.figures.cluster_map import PHASES
from kitlib.widgets import DeploymentLab
from kitlib.widgets.lab import (
    NO_PODS,
    NO_TRACE,
    PAGE_PODS,
    TABLE_STYLE,
    pod_options,
    short_names,
    trace_html,
)


@pytest.fixture
def lab():
    cluster = kitlib.Cluster(nodes=3, seed=0)
    cluster.kubectl("create deployment web --image=nginx --replicas=3 --port=80")
    cluster.advance(10)
    return DeploymentLab(cluster, "web")


def values(picker) -> list:
    """What a picker's options stand for (their labels are for the learner)."""
    return [v for _, v in picker.options]


def pod_points(lab, namespace="default") -> int:
    """Points drawn for the pods of a namespace (the map also shows kube-system's CoreDNS)."""
    phases = {name for name, _, _ in PHASES}
    return sum(1 for t in lab.map.data if t.name in phases for h in t.hovertext or () if h.startswith(namespace + "/"))


def phase_points(lab, phase: str, namespace="default") -> int:
    trace = next(t for t in lab.map.data if t.name == phase)
    return sum(1 for h in trace.hovertext or () if h.startswith(namespace + "/"))


def test_slider_scales_the_deployment_and_the_map_follows(lab):
    """Moving replicas is cluster.scale: new pods appear at once (being created) on the map."""
    assert pod_points(lab) == 3
    lab.replicas.value = 6
    assert lab.cluster.get("Deployment", "web").spec.replicas == 6
    assert len(lab.cluster.pods()) == 6
    assert pod_points(lab) == 6
    assert phase_points(lab, "ContainerCreating") == 3
    assert pod_points(lab, "kube-system") == 1


def test_time_buttons_advance_the_clock_and_pods_start(lab):
    """+10 s is cluster.advance(10): new pods pull their image and turn Running."""
    lab.replicas.value = 5
    lab.step_buttons[1].click()
    assert lab.cluster.now == 20
    assert phase_points(lab, "Running") == 5
    assert "t = 20 s" in lab.clock.value


def test_kill_pod_replaces_it_with_a_new_ip(lab):
    """Kill pod is cluster.delete: the pod turns Terminating and a replacement is created."""
    victim = lab.cluster.pods()[0]
    lab.pod_picker.value = victim.name
    lab.kill_button.click()
    assert lab.cluster.get("Pod", victim.name).metadata.deletion_timestamp is not None
    lab.step(10)
    names = [p.name for p in lab.cluster.pods()]
    assert victim.name not in names and len(names) == 3
    assert victim.status.pod_ip not in [p.status.pod_ip for p in lab.cluster.pods()]
    assert victim.name not in lab.table.value


def test_fail_and_restore_node(lab):
    """Fail node is cluster.fail_node; the button turns into Restore node, and back."""
    lab.node_picker.value = "minikube-m02"
    lab.node_button.click()
    assert not lab.cluster.node_runtime("minikube-m02").up
    assert lab.node_button.description == "Restore node"
    lab.step(60)
    assert "NotReady" in lab.cluster.kubectl("get nodes")
    lab.node_button.click()
    assert lab.cluster.node_runtime("minikube-m02").up
    assert lab.node_button.description == "Fail node"


def test_trace_draws_the_path_on_the_map(lab):
    """Trace is cluster.connect; the path trace gets one point per hop it can place."""
    pods = lab.cluster.pods()
    a = pods[0]
    b = next(p for p in pods if p.spec.node_name != a.spec.node_name)
    lab.src_picker.value = a.key
    lab.dst_picker.value = b.key
    lab.trace_button.click()
    assert lab.last_connection.ok
    path = next(t for t in lab.map.data if t.name == "connection path")
    assert len(path.x) >= len([h for h in lab.last_connection.hops if h.vertex != "lan"])
    assert "flannel.1" in lab.result.value


def test_errors_show_in_the_status_line_and_change_nothing(lab):
    """An engine error in a callback is shown to the learner, not lost, and the cluster is unchanged."""
    lab.src_picker.value = "external"
    lab.dst_picker.value = values(lab.dst_picker)[0]
    lab.port.value = 80
    lab.trace_button.click()
    assert lab.last_connection is not None and not lab.last_connection.ok
    before = lab.cluster.kubectl("get pods -o yaml")
    lab.pod_picker.options = ["no-such-pod"]
    lab.pod_picker.value = "no-such-pod"
    lab.kill_button.click()
    assert 'pods "no-such-pod" not found' in lab.status.value
    assert lab.cluster.kubectl("get pods -o yaml") == before


def test_play_advances_one_second_per_tick(lab):
    """The play widget's tick is cluster.advance(1)."""
    start = lab.cluster.now
    lab.play.value = 1
    lab.play.value = 2
    assert lab.cluster.now == start + 2


@pytest.fixture
def big_lab():
    """Two nodes with 60 pods of web each: more than the lab lists at once (PAGE_PODS)."""
    cluster = kitlib.Cluster(nodes=2, seed=0)
    cluster.kubectl("create deployment web --image=nginx --replicas=120 --port=80")
    cluster.advance(30)
    return DeploymentLab(cluster, "web")


def test_a_small_namespace_lists_every_pod(lab):
    """At workshop scale the table is `kubectl get pods -o wide` and the pickers list every pod."""
    assert lab.table.value.startswith(f"<pre style='{TABLE_STYLE}'>$ kubectl get pods -o wide\n")
    assert html.unescape(lab.table.value).endswith(lab.cluster.kubectl("get pods -o wide") + "</pre>")
    assert sorted(values(lab.pod_picker)) == sorted(p.name for p in lab.cluster.pods())


def test_a_big_namespace_shows_the_chosen_nodes_pods(big_lab):
    """Above PAGE_PODS pods, the table is kubectl's own output for the node picked (its header and
    rows, cut at PAGE_PODS rows) and the pod picker lists the pods shown; picking another node
    shows that node's pods."""
    lab, c = big_lab, big_lab.cluster
    assert lab.node_picker.value == "minikube"
    command = "get pods -o wide --field-selector spec.nodeName=minikube"
    rows = c.kubectl(command).splitlines()
    assert len(rows) - 1 == len([p for p in c.pods() if p.spec.node_name == "minikube"]) > PAGE_PODS
    table = html.unescape(lab.table.value)
    assert f"$ kubectl {command}\n" + "\n".join(rows[:PAGE_PODS + 1]) + "</pre>" in table
    assert rows[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED", "NODE",
                               "READINESS", "GATES"]
    assert "120 pods in namespace default" in table and f"the first {PAGE_PODS};" in table
    assert list(values(lab.pod_picker)) == [r.split()[0] for r in rows[1:PAGE_PODS + 1]]
    lab.node_picker.value = "minikube-m02"
    on_m02 = sorted(p.name for p in c.pods() if p.spec.node_name == "minikube-m02")[:PAGE_PODS]
    assert list(values(lab.pod_picker)) == on_m02
    assert "--field-selector spec.nodeName=minikube-m02" in lab.table.value
    kept = lab.src_picker.value  # the source picked on minikube stays, ahead of m02's pods, nodes, outside
    assert list(values(lab.src_picker)) == [kept, *(f"default/{n}" for n in on_m02), "node/minikube",
                                            "node/minikube-m02", "external"]


def test_a_big_namespace_keeps_the_trace_ends_across_nodes(big_lab):
    """Tracing between nodes: the source picked on one node stays picked when the lists follow
    another node, so a pod on each can be chosen."""
    lab = big_lab
    src = values(lab.src_picker)[0]
    lab.node_picker.value = "minikube-m02"
    assert lab.src_picker.value == src and src.split("/")[1] not in values(lab.pod_picker)
    lab.dst_picker.value = values(lab.dst_picker)[1]
    lab.trace_button.click()
    assert lab.last_connection.ok, lab.status.value


def test_kill_reaches_pods_not_listed(big_lab):
    """lab.kill(name) deletes any pod, as Kill pod does for the pod picked."""
    lab, c = big_lab, big_lab.cluster
    victim = next(p.name for p in c.pods() if p.spec.node_name == "minikube-m02")
    assert victim not in values(lab.pod_picker)
    lab.kill(victim)
    assert c.get("Pod", victim).metadata.deletion_timestamp is not None


def test_scaling_down_lists_every_pod_again(big_lab):
    """Back under PAGE_PODS pods, the table and the pickers show every pod again."""
    lab, c = big_lab, big_lab.cluster
    lab.replicas.value = 5
    lab.step(60)
    assert "--field-selector" not in lab.table.value and "pods in namespace" not in lab.table.value
    assert sorted(values(lab.pod_picker)) == sorted(p.name for p in c.pods())


def test_pod_pickers_show_what_tells_the_pods_apart(lab):
    """Pods of one ReplicaSet share `<deployment>-<pod-template-hash>-`: the picker's labels leave
    out the shared hash and show the random suffix, the pod's IP and its node, while the value
    stays the pod's name (what `kubectl delete pod` takes)."""
    c = lab.cluster
    pods = {p.name: p for p in c.pods()}
    for label, name in lab.pod_picker.options:
        p = pods[name]
        suffix = name.rsplit("-", 1)[1]
        assert label == f"web-…-{suffix} ({p.status.pod_ip}, {p.spec.node_name})"
    assert all(label.startswith("web-…-") and value.startswith("default/web-")
               for label, value in lab.src_picker.options if value.startswith("default/"))
    assert ("node/minikube", "node/minikube") in lab.src_picker.options


def test_short_names_keep_the_hash_while_it_tells_pods_apart():
    """During a rollout two ReplicaSets' pods are listed: their hashes differ, so they stay."""
    assert short_names(["web-678b8c8999-8x8gn", "web-5f6d7c8b9a-d2k4q"]) == {
        "web-678b8c8999-8x8gn": "web-678b8c8999-8x8gn", "web-5f6d7c8b9a-d2k4q": "web-5f6d7c8b9a-d2k4q"}
    assert short_names(["web-678b8c8999-8x8gn"]) == {"web-678b8c8999-8x8gn": "web-678b8c8999-8x8gn"}


def test_a_pod_without_an_ip_says_so_in_its_label():
    """A pod just bound to a node has no IP until its sandbox starts; its label says so."""
    c = kitlib.Cluster(nodes=1, seed=0)
    c.kubectl("run solo --image=nginx")
    [(label, value)] = pod_options(c.pods())
    assert (label, value) == ("solo (no IP yet, minikube)", "solo")


def test_the_deployment_lab_says_what_to_do_first(lab):
    """Before a trace the result line says to pick two ends and press Trace; with no pods, to
    move the replicas slider."""
    assert NO_TRACE in html.unescape(lab.result.value)
    lab.replicas.value = 0
    lab.step(60)
    assert NO_PODS in html.unescape(lab.result.value)


def test_a_trace_wraps_only_between_words():
    """A hop list wraps at spaces only: words with a hyphen or a slash (where a browser could
    break a line) are kept whole, and the <pre> turns off JupyterLab's break-anywhere rule."""
    shown = trace_html("minikube-m02  web-678b8c8999-54xrc  10.244.1.2 → 10.244.2.3:80/TCP")
    assert "<span>minikube-m02</span>" in shown and "<span>10.244.2.3:80/TCP</span>" in shown
    assert "word-break:normal" in shown and "overflow-wrap:normal" in shown
    assert ".kit-trace>span{white-space:nowrap}" in shown


def test_the_map_has_a_text_alternative(lab):
    """Under the map, one sentence says what it draws: nodes (and which are down), pods by phase,
    the last connection and how its path is drawn, so that colour is never the only signal."""
    c = lab.cluster
    assert "Cluster map: 3 nodes; pods in default: 3 Running." in html.unescape(lab.map_text.value)
    lab.src_picker.value, lab.dst_picker.value = "external", values(lab.dst_picker)[0]
    lab.trace_button.click()
    assert "last connection failed (path drawn dashed)" in html.unescape(lab.map_text.value)
    c.fail_node("minikube-m02")
    lab.refresh()
    assert "(minikube-m02 down, drawn dotted)" in lab.map_text.value


def test_the_labs_root_box_keeps_its_pickers_keys(lab):
    """In JupyterLab an arrow key on a focused <select> is also a notebook command-mode shortcut
    ("select cell below"), which wins and cancels the option change. A lab's root box carries
    the class the keyboard module looks for and the invisible widget that loads it; the module
    marks the focused control with JupyterLab's ``data-lm-suppress-shortcuts`` for the keys the
    control uses itself, and leaves Ctrl/Alt/Meta combinations, Enter, Escape and Tab to
    JupyterLab (the browser test presses the keys)."""
    from kitlib.widgets.firewall_lab import FirewallLab
    from kitlib.widgets.gateway_lab import GatewayLab
    from kitlib.widgets.ingress_lab import IngressLab
    from kitlib.widgets.keys import LAB_CLASS, LabKeys
    from kitlib.widgets.readiness_lab import ReadinessLab
    from kitlib.widgets.service_lab import ServiceLab

    lab.cluster.kubectl("expose deployment web --port=80")
    labs = [lab, IngressLab(lab.cluster, "shop"), ServiceLab(lab.cluster, "web"), ReadinessLab(lab.cluster, "web"),
            FirewallLab(cnis=("calico",)), GatewayLab(lab.cluster, "shop")]
    for widget in (each.widget for each in labs):
        assert LAB_CLASS in widget._dom_classes
        keys = [w for w in widget.children if isinstance(w, LabKeys)]
        assert len(keys) == 1 and keys[0].layout.display == "none"
    module = keys[0]._esm
    assert "data-lm-suppress-shortcuts" in module and f"closest('.{LAB_CLASS}')" in module
    assert "ctrlKey || event.metaKey || event.altKey" in module and "['Enter', 'Escape', 'Tab']" in module
