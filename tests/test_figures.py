"""The cluster map is a function of cluster state."""

from __future__ import annotations

import json

import plotly.graph_objects as go

import kitlib
from kitlib.figures import cluster_map, update_cluster_map
from kitlib.figures.cluster_map import DEVICE_LABEL_NODES, LABEL_PODS, PHASES, TRACES
from kitlib.figures.layout import pod_columns


def _cluster(replicas=4, seed=0):
    c = kitlib.Cluster(nodes=3, seed=seed)
    c.kubectl(f"create deployment web --image=nginx --replicas={replicas} --port=80")
    c.advance(10)
    return c


def test_one_box_per_node_and_one_point_per_pod():
    """Nodes are shapes, pods are points inside their node's box; host-network pods (kube-proxy,
    flannel, the static pods) are their node's own stack and are not drawn."""
    c = _cluster()
    fig = cluster_map(c)
    assert isinstance(fig, go.Figure)
    assert len(fig.layout.shapes) == 3
    running = next(t for t in fig.data if t.name == "Running")
    assert len(running.x) == 5  # four web pods and CoreDNS
    drawn = sorted((p for p in c.pods(None) if not p.spec.host_network), key=lambda p: p.key)
    for pod, x, y in zip(drawn, running.x, running.y, strict=True):
        box = fig.layout.shapes[[n.name for n in c.nodes()].index(pod.spec.node_name)]
        assert box.x0 < x < box.x1 and box.y0 < y < box.y1


def test_labels_show_node_ip_and_pod_cidr():
    """Each node is labelled with its InternalIP and podCIDR."""
    fig = cluster_map(_cluster())
    labels = " ".join(next(t for t in fig.data if t.name == "labels").text)
    assert "192.168.49.3" in labels and "10.244.1.0/24" in labels


def test_same_state_same_figure():
    """Determinism: the same seed draws the same figure."""
    assert cluster_map(_cluster(seed=3)).to_json() == cluster_map(_cluster(seed=3)).to_json()


def test_update_keeps_a_fixed_set_of_traces():
    """Updating in place never adds or removes traces (one message per update in a widget)."""
    c = _cluster()
    fig = cluster_map(c)
    c.scale("web", 9)
    update_cluster_map(fig, c)
    assert [t.name for t in fig.data][: len(TRACES) - 1] == TRACES[:-1]
    drawn = [h for t in fig.data if t.name in ("ContainerCreating", "Running", "Pending") for h in t.hovertext or ()]
    assert len([h for h in drawn if h.startswith("default/")]) == 9


def test_highlight_follows_the_hops():
    """A connection's path is drawn through the vertices it crossed."""
    c = _cluster()
    a, b = c.pods()[0], next(p for p in c.pods() if p.spec.node_name != c.pods()[0].spec.node_name)
    conn = c.connect(a.key, b.key, 80)
    fig = cluster_map(c, highlight=conn)
    path = next(t for t in fig.data if t.name == "connection path")
    running = next(t for t in fig.data if t.name == "Running")
    points = set(zip(running.x, running.y, strict=True))
    assert (path.x[0], path.y[0]) in points and (path.x[-1], path.y[-1]) in points
    assert "answered" in fig.layout.title.text


def test_failed_node_is_drawn_dotted():
    """A node that does not answer is drawn with a dotted outline."""
    c = _cluster()
    c.fail_node("minikube-m02")
    fig = cluster_map(c)
    assert fig.layout.shapes[1].line.dash == "dot"
    assert fig.layout.shapes[0].line.dash == "solid"


def _pod_traces(fig):
    return [t for t in fig.data if t.name in {p[0] for p in PHASES}]


def test_pods_are_labelled_up_to_40_and_hover_only_above():
    """Up to LABEL_PODS pods each pod is labelled (name suffix and IP) under its marker; above, the
    pod traces are in markers mode with no text (a browser then makes no text element per pod),
    and the labels come back when the pods are few again. Hover texts stay in both cases."""
    c = _cluster(replicas=10)
    fig = cluster_map(c, figure_class=go.FigureWidget)
    running = next(t for t in fig.data if t.name == "Running")
    assert {t.mode for t in _pod_traces(fig)} == {"markers+text"}
    assert any("<br>10.244." in s for s in running.text)
    c.scale("web", LABEL_PODS + 5)
    c.advance(10)
    update_cluster_map(fig, c)
    assert {t.mode for t in _pod_traces(fig)} == {"markers"}
    assert all(t.text is None for t in _pod_traces(fig))
    assert len([h for h in running.hovertext if h.startswith("default/")]) == LABEL_PODS + 5
    c.scale("web", 10)
    c.advance(60)
    update_cluster_map(fig, c)
    assert {t.mode for t in _pod_traces(fig)} == {"markers+text"}
    assert len(running.text) == len(running.x) == 11  # ten web pods and CoreDNS
    assert json.loads(cluster_map(c).to_json()) == json.loads(fig.to_json())  # as if drawn afresh


def test_device_labels_while_the_boxes_have_room():
    """cni0, flannel.1 and eth0 and a node's addresses are labelled while the grid has five boxes
    a row (up to ten nodes); with more nodes a node's label is its name and state, and its
    InternalIP and podCIDR are on hover."""
    small = next(t for t in cluster_map(kitlib.Cluster(nodes=DEVICE_LABEL_NODES)).data if t.name == "labels")
    assert small.text.count("<i>eth0</i>") == DEVICE_LABEL_NODES
    assert "<b>minikube-m10</b> · Ready<br>192.168.49.11 · pods 10.244.9.0/24" in small.text
    big = next(t for t in cluster_map(kitlib.Cluster(nodes=DEVICE_LABEL_NODES + 1)).data if t.name == "labels")
    assert "<i>eth0</i>" not in big.text
    assert "<b>minikube-m11</b> · Ready" in big.text
    assert "minikube-m11 · Ready<br>192.168.49.12 · pods 10.244.10.0/24" in big.hovertext


def test_workshop_markers_keep_their_size():
    """At workshop scale a pod's marker is 16 px with an outline, as the lesson shows it."""
    fig = cluster_map(_cluster())
    assert {(t.marker.size, t.marker.line.width) for t in _pod_traces(fig)} == {(16, 1)}


def test_a_big_node_lays_its_pods_out_wider():
    """Three columns of pods up to twelve pods a node (the lessons' maps); more in a busier node, so
    its box stays low and its markers need not overlap."""
    assert [pod_columns(n) for n in (1, 12, 13, 30, 110)] == [3, 3, 4, 8, 9]


def test_a_failed_connection_is_drawn_vermillion_and_dashed():
    """A connection refused (nginx listens on 80, not 81) is drawn in its own colour and dash and
    named "failed" in the legend and the title; the next answered one is drawn as before."""
    c = _cluster()
    a, b = c.pods()[0], next(p for p in c.pods() if p.spec.node_name != c.pods()[0].spec.node_name)
    refused = c.connect(a.key, b.key, 81)
    assert not refused.ok
    fig = cluster_map(c, highlight=refused)
    path = next(t for t in fig.data if t.name == "failed connection path")
    assert (path.line.color, path.line.dash, path.marker.color) == ("#D55E00", "dash", "#D55E00")
    assert len(path.x) >= 2 and "failed" in fig.layout.title.text
    update_cluster_map(fig, c, highlight=c.connect(a.key, b.key, 80))
    path = next(t for t in fig.data if t.name == "connection path")
    assert (path.line.color, path.line.dash) == ("#CC79A7", "solid")


def test_the_maps_pod_memo_draws_what_a_fresh_map_draws():
    """The map keeps each pod's STATUS and texts between redraws by resourceVersion (every write
    to a stored pod gives it a new one): after scaling, killing, failing a node and moving the
    clock, a map redrawn through the memo equals one drawn from scratch."""
    import sys

    map_data = sys.modules["kitlib.figures.cluster_map"].map_data
    c = _cluster()
    memo: dict = {}
    steps = [lambda: c.scale("web", 7), lambda: c.advance(1), lambda: c.delete("Pod", c.pods()[0].name),
             lambda: c.fail_node(c.nodes()[1].name), lambda: c.advance(50), lambda: c.scale("web", 2),
             lambda: c.restore_node(c.nodes()[1].name), lambda: c.advance(30)]
    seen = set()
    for step in steps:
        step()
        drawn = map_data(c, memo=memo)
        assert drawn == map_data(c)
        assert set(memo) == {p.key for p in c.pods(None) if not p.spec.host_network}
        seen |= {name for name, t in drawn["traces"].items() if t["x"]}
    assert {"Running", "ContainerCreating", "Terminating"} <= seen  # the memo followed phase changes
