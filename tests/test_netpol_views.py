"""The NetworkPolicy views and the firewall lab, without a browser: the heatmap and the policy
graph are functions of the cluster's state, a cell's hover is the verdict's reason, cells changed
by an edit are marked with a shape (not only a colour), flannel shows every cell allowed, and every
lab control is one engine call."""

from __future__ import annotations

import html

import pytest

pytest.importorskip("plotly")
pytest.importorskip("ipywidgets")

import plotly.graph_objects as go

from kitlib.figures import (
    cell_hover,
    policy_graph,
    reachability,
    reachability_heatmap,
    update_reachability_heatmap,
)
from kitlib.figures.netpol import (
    ALLOWED_MARK,
    DENIED_MARK,
    OUTSIDE,
    cell_marks,
    framed_cells,
    policy_view,
)
from kitlib.widgets import FirewallLab
from kitlib.widgets.firewall_lab import LAB_PORTS, READY_MADE, shop_cluster

PORTS = ((8080, "TCP"), (53, "UDP"))


@pytest.fixture(scope="module")
def calico_base():
    return shop_cluster("calico")


@pytest.fixture
def calico():
    return shop_cluster("calico")


def test_without_policies_every_pod_reaches_every_pod(calico_base):
    """No NetworkPolicy: the flat pod network lets every pod connect to every pod, on every port."""
    r = reachability(calico_base, PORTS, dns=True)
    assert r.srcs == ("api", "db", "frontend", "monitoring/prometheus")
    assert r.dsts[-1].startswith("kube-system/coredns-")
    assert all(a for grid in r.allowed for row in grid for a in row)
    assert r.enforced and r.policies == 0


def test_default_deny_ingress_closes_every_door_of_the_namespace_and_hover_says_why(calico):
    """A default-deny-ingress policy isolates every pod of its namespace for ingress: connections
    to them are dropped, pods of other namespaces keep their ingress, and the hover gives
    ``Verdict.explain``'s reason naming the policy."""
    calico.apply(READY_MADE["default deny ingress"])
    r = reachability(calico, PORTS)
    k = r.ports.index((8080, "TCP"))
    assert not r.cell("frontend", "api", 8080)
    assert r.cell("api", "monitoring/prometheus", 8080)
    i, j = r.srcs.index("frontend"), r.dsts.index("api")
    hover = r.hover[k][i][j]
    assert "denied" in hover and "default/default-deny-ingress has no ingress rules" in hover
    fig = reachability_heatmap(r)
    heat = fig.data[0]
    assert heat.type == "heatmap" and heat.text[i][j] == DENIED_MARK and heat.z[i][j] == 0
    assert cell_marks(fig, k)[(i, j)] == DENIED_MARK  # drawn in the cell, not only its colour
    assert cell_marks(fig, k)[(r.srcs.index("api"), r.dsts.index("monitoring/prometheus"))] == ALLOWED_MARK
    shown = cell_hover(fig, k, i, j)
    assert shown.startswith("<b>frontend → api</b> · TCP 8080<br><b>✗ denied</b><br>")
    assert shown.endswith(hover)
    assert hover == ("Egress: not isolated: allowed<br>Ingress: isolated by default/default-deny-ingress<br>"
                     "\u00a0\u00a0default/default-deny-ingress has no ingress rules<br>"
                     "\u00a0\u00a0no ingress rule allows it: denied")


def test_the_hover_sends_each_cell_its_own_words_only(calico):
    """What every cell of a panel shares (the port, the verdict's layout, flannel's note) is in the
    panel's hover template, sent once; each cell carries its verdict word and reason (issue 18:
    the explanation of every cell in full was 700 KiB per edit at workshop scale)."""
    calico.apply(READY_MADE["allow from a label"])
    r = reachability(calico, PORTS)
    fig = reachability_heatmap(r)
    heat = fig.data[0]
    assert heat.hoverinfo is None and heat.hovertext is None
    assert heat.hovertemplate.startswith("<b>%{y} → %{x}</b> · TCP 8080")
    i, j = r.srcs.index("frontend"), r.dsts.index("api")
    word, reason, changed = heat.customdata[i][j]
    assert (word, changed) == ("allowed", "")
    assert "allowed by default/api-allow-frontend ingress[0]: from[0], ports[0]" in reason


def test_changed_cells_are_framed_with_a_symbol_not_only_coloured(calico):
    """Cells whose verdict changed with the last edit get a black square around them (a shape a
    colour-blind reader sees too), and only those cells; every cell shows ✓ or ✗ besides its colour."""
    calico.apply(READY_MADE["default deny ingress"])
    before = reachability(calico, PORTS)
    calico.apply(READY_MADE["allow from a label"])
    after = reachability(calico, PORTS)
    assert after.changed(before) == {(0, after.srcs.index("frontend"), after.dsts.index("api"))}
    fig = reachability_heatmap(after, previous=before)
    assert framed_cells(fig, 0) == {(after.srcs.index("frontend"), after.dsts.index("api"))}
    assert framed_cells(fig, 1) == set()
    frame = fig.layout.shapes[1]
    assert (frame.type, frame.line.color, frame.visible) == ("path", "#000000", True)
    marks = cell_marks(fig, 0)
    assert len(marks) == len(after.srcs) * len(after.dsts)
    assert {(i, j) for (i, j), m in marks.items() if m == DENIED_MARK} == \
        {(after.srcs.index(s), after.dsts.index(d)) for s, d in after.denied(8080)}
    assert "□ changed by the last edit: now allowed<br><b>✓ allowed</b>" in cell_hover(
        fig, 0, after.srcs.index("frontend"), after.dsts.index("api"))
    assert "changed" not in cell_hover(fig, 0, after.srcs.index("api"), after.dsts.index("frontend"))
    assert "1 changed by the last edit" in fig.layout.title.subtitle.text


def test_flannel_stores_policies_and_enforces_nothing():
    """On flannel every cell is allowed whatever the policies say; the hover says flannel does
    not enforce NetworkPolicy and what Calico would do."""
    c = shop_cluster("flannel")
    c.apply(READY_MADE["default deny ingress"])
    r = reachability(c, PORTS)
    assert not r.enforced and all(a for grid in r.allowed for row in grid for a in row)
    assert not all(a for grid in r.policy for row in grid for a in row)
    k, i, j = 0, r.srcs.index("frontend"), r.dsts.index("api")
    fig = reachability_heatmap(r)
    shown = cell_hover(fig, k, i, j)
    assert "<b>✓ allowed</b>: flannel does not enforce NetworkPolicy" in shown
    assert "with Calico the policies would deny it:" in shown and shown.endswith(r.hover[k][i][j])
    assert "not enforced" in fig.layout.title.text


def test_one_panel_per_port_with_a_dropdown(calico_base):
    """Each port/protocol is a panel (a heatmap, its marks and its change frames); the dropdown
    shows one."""
    fig = reachability_heatmap(calico_base, LAB_PORTS)
    assert len(fig.data) == len(LAB_PORTS) and len(fig.layout.shapes) == 2 * len(LAB_PORTS)
    assert [t.visible for t in fig.data] == [True, False, False]
    assert [s.visible for s in fig.layout.shapes] == [True, True, False, False, False, False]
    menu = fig.layout.updatemenus[0]
    assert [b.label for b in menu.buttons] == ["TCP 80", "TCP 8080", "UDP 53"]
    assert menu.buttons[2].method == "update"
    assert menu.buttons[2].args[0]["visible"] == [False, False, True]
    assert [menu.buttons[2].args[1][f"shapes[{n}].visible"] for n in range(6)] == [False] * 4 + [True] * 2


def test_update_rewrites_the_widget_in_place(calico):
    """update_reachability_heatmap keeps the traces of a FigureWidget and keeps the panel shown."""
    fig = reachability_heatmap(calico, LAB_PORTS, figure_class=go.FigureWidget)
    traces = list(fig.data)
    calico.apply(READY_MADE["default deny egress"])
    update_reachability_heatmap(fig, reachability(calico, LAB_PORTS), panel=2)
    assert list(fig.data) == traces
    assert fig.data[2].visible is True and fig.data[0].visible is False
    assert fig.layout.shapes[4].visible is True and fig.layout.shapes[0].visible is False
    front = list(fig.data[2].y).index("frontend")
    # frontend's egress is closed to every other pod; a pod's connection to itself is never filtered
    assert [t for x, t in zip(fig.data[2].x, fig.data[2].text[front], strict=True) if x != "frontend"] == \
        [DENIED_MARK] * 3
    marks = cell_marks(fig, 2)
    assert [marks[(front, j)] for j, x in enumerate(fig.data[2].x) if x != "frontend"] == [DENIED_MARK] * 3


def test_the_outside_matches_only_ip_blocks(calico):
    """The client outside the cluster is not a pod: only an ipBlock peer lets it in."""
    calico.apply(READY_MADE["default deny ingress"])
    calico.apply({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                  "metadata": {"name": "frontend-from-outside"},
                  "spec": {"podSelector": {"matchLabels": {"app": "frontend"}},
                           "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0",
                                                             "except": ["10.244.0.0/16"]}}]}]}})
    r = reachability(calico, ((80, "TCP"),), outside=True)
    assert r.srcs[-1] == OUTSIDE
    assert r.cell(OUTSIDE, "frontend") and not r.cell(OUTSIDE, "api")
    assert not r.cell("api", "frontend")  # pod IPs are in the except


def test_policy_graph_selected_pods_in_the_middle_sources_left_yaml_beside(calico):
    """The graph of a policy: the pods its podSelector selects in the middle, each ingress peer on
    the left with its ports, egress on the right (here: not isolated), and the YAML as applied,
    with policyTypes defaulted by the API server."""
    calico.apply(READY_MADE["allow from a label"])
    g = policy_view(calico, "api-allow-frontend")
    assert [v.label for v in g.column(1.6)] == ["api"]
    src = g.vertices["in:0:0"]
    assert src.kind == "source" and "app=frontend" in src.label and "default/frontend" in src.hover
    assert g.edges == [("in:0:0", "pod:default/api", "TCP 8080")]
    assert g.vertices["out:open"].kind == "open"
    assert "policyTypes:\n  - Ingress" in g.yaml
    fig = policy_graph(calico, "api-allow-frontend")
    assert any("podSelector" in (a.text or "") for a in fig.layout.annotations)


def test_policy_graph_shows_nothing_allowed_and_and_peers(calico):
    """A direction isolated without rules allows nothing; a peer with a namespaceSelector and a
    podSelector is one box (AND), and a rule without peers allows anyone."""
    calico.apply(READY_MADE["default deny egress"])
    g = policy_view(calico, "default-deny-egress")
    assert g.vertices["out:none"].kind == "nothing"
    assert g.vertices["in:open"].kind == "open"
    assert len(g.column(1.6)) == 3
    calico.apply(READY_MADE["allow DNS egress"])
    g = policy_view(calico, "allow-dns")
    peer = g.vertices["out:0:0"]
    assert peer.kind == "destination" and "AND" in peer.hover and "coredns" in peer.hover
    assert {e[2] for e in g.edges} == {"UDP 53, TCP 53"}


def test_lab_apply_is_one_call_on_each_cluster_and_the_switch_compares_them():
    """Apply makes cluster.apply on both clusters; on Calico the heatmap shows the drop, on flannel
    (the switch makes no call) the same policy changes nothing."""
    lab = FirewallLab()
    calls = []
    for name, c in lab.clusters.items():
        original = c.apply
        c.apply = lambda text, _o=original, _n=name: (calls.append(_n), _o(text))[1]
    lab.ready_made.value = "default deny ingress"
    assert not calls  # picking only fills the editor
    lab.apply_button.click()
    assert calls == ["calico", "flannel"] and lab.status.value == ""
    assert lab.data["calico"].denied(8080)
    heat = lab.heatmap.data[1]  # the TCP 8080 panel
    assert DENIED_MARK in {t for row in heat.text for t in row}
    assert DENIED_MARK in cell_marks(lab.heatmap, 1).values()
    lab.cni.value = "flannel"
    assert lab.cluster.cni == "flannel" and calls == ["calico", "flannel"]
    assert DENIED_MARK not in {t for row in lab.heatmap.data[1].text for t in row}
    assert set(cell_marks(lab.heatmap, 1).values()) == {ALLOWED_MARK}


def test_lab_bad_yaml_shows_the_api_servers_error_and_changes_nothing():
    """An invalid policy is refused by the API server on the first cluster; the status line shows
    its message and neither cluster changes."""
    lab = FirewallLab()
    before = {n: c.state() for n, c in lab.clusters.items()}
    lab.editor.value = READY_MADE["allow from a label"].replace("protocol: TCP", "protocol: HTTP")
    lab.apply_button.click()
    assert 'spec.ingress[0].ports[0].protocol: Unsupported value: "HTTP"' in lab.status.value
    assert {n: c.state() for n, c in lab.clusters.items()} == before


def test_lab_relabel_a_namespace_takes_effect_at_once():
    """Relabelling is cluster.label(..., overwrite=True); the matrix follows the new labels."""
    lab = FirewallLab(cnis=("calico",))
    lab.editor.value = READY_MADE["allow from a namespace"].replace(
        "kubernetes.io/metadata.name: monitoring", "team: ops")
    lab.apply_button.click()
    assert not lab.data["calico"].cell("monitoring/prometheus", "api", 8080)
    lab.label_kind.value = "Namespace"
    lab.label_target.value = "monitoring"
    lab.label_key.value, lab.label_value.value = "team", "ops"
    lab.label_button.click()
    assert lab.cluster.get("Namespace", "monitoring", "").metadata.labels["team"] == "ops"
    assert lab.data["calico"].cell("monitoring/prometheus", "api", 8080)
    assert framed_cells(lab.heatmap, 1)  # the TCP 8080 panel's change frames


def test_lab_explain_and_graph():
    """Explain is cluster.explain(src, dst, port, protocol); the graph follows the picked policy."""
    lab = FirewallLab(cnis=("calico",))
    lab.ready_made.value = "default deny egress"
    lab.apply_button.click()
    lab.src.value, lab.dst.value = "default/frontend", next(v for _, v in lab.dst.options if "coredns" in v)
    lab.port.value = (53, "UDP")
    lab.explain_button.click()
    assert "isolated for egress by default/default-deny-egress" in lab.explanation.value
    assert lab.graph_picker.value == "default/default-deny-egress"
    assert "default/default-deny-egress" in lab.graph.layout.title.text


def test_the_lab_sends_the_reasons_of_the_port_shown_and_the_others_when_the_menu_shows_them():
    """The lab's heatmap carries the hover reasons of the port panel on screen only; when the
    figure's port menu shows another panel (the browser reports it as a restyle of ``visible``),
    that panel gets its reasons. An edit then redraws the reasons of the panel shown."""
    lab = FirewallLab(cnis=("calico",))
    heats = lab.heatmap.data
    assert heats[0].customdata is not None and heats[1].customdata is None and heats[2].customdata is None
    r = lab.data["calico"]
    i, j = r.srcs.index("frontend"), r.dsts.index("api")
    assert cell_hover(lab.heatmap, 1, i, j) == "<b>frontend → api</b> · TCP 8080<br><b>✓</b>"
    menu = lab.heatmap.layout.updatemenus[0].buttons[1]  # the menu: TCP 8080, as the browser reports it
    lab.heatmap.plotly_update(*menu.args)
    assert cell_hover(lab.heatmap, 1, i, j) == ("<b>frontend → api</b> · TCP 8080<br><b>✓ allowed</b><br>"
                                                "Egress: not isolated: allowed<br>Ingress: not isolated: allowed")
    lab.ready_made.value = "default deny ingress"
    lab.apply_button.click()
    assert heats[1].visible is True and heats[0].customdata is None
    assert "□ changed by the last edit: now denied<br><b>✗ denied</b>" in cell_hover(lab.heatmap, 1, i, j)


def test_a_lazy_matrix_explains_a_port_when_asked_and_says_what_an_eager_one_says(calico):
    """``explain="lazy"`` (the lab: one port panel shown at a time) decides a port's cells when its
    hover texts are first asked for; they are the texts ``explain=True`` makes for every port."""
    calico.apply(READY_MADE["allow from a label"])
    eager = reachability(calico, PORTS)
    lazy = reachability(calico, PORTS, explain="lazy")
    assert lazy.hover == () and lazy.explained and not reachability(calico, PORTS, explain=False).explained
    assert [lazy.panel_hover(k) for k in range(len(PORTS))] == list(eager.hover)
    assert (lazy.allowed, lazy.policy) == (eager.allowed, eager.policy)


def test_the_heatmap_has_a_text_alternative_from_the_verdicts_that_follows_each_edit():
    """Every figure has a text alternative next to it (issue 17): under the lab's heatmap, per port,
    how many connections are allowed (✓) and denied (✗), the first denied pairs, and what the last
    edit changed; applying a deny policy changes the counts and names the pairs."""
    lab = FirewallLab(cnis=("calico",))
    text = lab.heatmap_text.value
    assert "Reachability heatmap, calico enforces NetworkPolicy, 0 NetworkPolicies, 4 sources × 5 destinations." in text
    assert "TCP 8080: 20 allowed (✓), 0 denied (✗)." in text and "changed" not in text
    lab.ready_made.value = "allow from a label"  # api admits only frontend, on 8080
    lab.apply_button.click()
    text = lab.heatmap_text.value
    assert "1 NetworkPolicy," in text
    assert ("TCP 8080: 18 allowed (✓), 2 denied (✗); denied: db → api, monitoring/prometheus → api; "
            "2 changed by the last edit (framed).") in text
    assert "TCP 80: 17 allowed (✓), 3 denied (✗); denied: db → api, frontend → api, monitoring/prometheus → api" in text


def test_on_flannel_the_text_alternative_says_nothing_is_enforced_and_what_calico_would_deny():
    lab = FirewallLab(cnis=("flannel",))
    lab.ready_made.value = "default deny ingress"
    lab.apply_button.click()
    text = lab.heatmap_text.value
    assert "flannel does not enforce NetworkPolicy: every connection is allowed, 1 NetworkPolicy," in text
    assert ("TCP 80: all 20 allowed (✓); with Calico the policies would deny 9; denied: api → db, api → frontend, "
            "db → api, db → frontend, frontend → api, frontend → db and 3 more.") in text


def test_the_policy_graph_has_a_text_alternative_that_follows_the_policy_shown():
    """Every figure has a text alternative next to it (issue 17): under the lab's policy graph, the
    pods the policy selects and, per direction, each allowed peer with its ports, "nothing allowed"
    for an isolated direction without rules, or "not isolated" for a direction it leaves alone."""
    lab = FirewallLab(cnis=("calico",))
    assert lab.graph_text.value == ""  # no policy yet: the graph says what to do
    lab.ready_made.value = "allow from a label"  # api admits only frontend, on 8080
    lab.apply_button.click()
    text = html.unescape(lab.graph_text.value)
    assert "Policy graph of NetworkPolicy default/api-allow-frontend: it selects 1 pod (api)." in text
    assert "Ingress: allowed: pods app=frontend in namespace default (ingress[0].from[0]) on TCP 8080." in text
    assert "Egress: not isolated by this policy." in text
    lab.ready_made.value = "default deny ingress"
    lab.apply_button.click()
    lab.graph_picker.value = "default/default-deny-ingress"
    text = html.unescape(lab.graph_text.value)
    assert "NetworkPolicy default/default-deny-ingress: it selects 3 pods (api, db, frontend)." in text
    assert "Ingress: nothing allowed (isolated, no rule)." in text
