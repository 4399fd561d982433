"""NetworkPolicy views: a reachability heatmap (who may talk to whom, per port) and a policy graph
(what one policy lets in and out).

**The heatmap.** Rows are sources, columns destinations, one panel per port and protocol (a
dropdown picks it). A cell is ✓ (green) when the connection is allowed and ✗ (red) when a policy
drops it, so colour is never the only cue. Hovering a cell shows the verdict's reason
(:meth:`kitlib.network.netpol.Verdict.explain` in short): which policies select each side and which
rule allowed the connection, or why none did. What a panel's cells share is its hover template,
each cell carries only its own words (``customdata``), because a widget sends them with every
redraw (issue 18: the full explanation of every cell was 700 KiB per edit at workshop scale). Cells whose verdict changed since the ``previous``
matrix (the one before the learner's last edit) get a black square around them. The marks and
the squares are drawn as one SVG path per panel (two layout shapes, shown with the panel): a
text or a marker per cell made plotly.js's redraw after an edit two to three times as long (issue
18). The verdicts
come from one batch call, ``PolicySet.matrix``. On a cluster whose network plug-in does not
enforce NetworkPolicy (flannel), every cell is allowed, and the hover says what Calico would do.

**The policy graph**, in the spirit of the Cilium policy editor: the pods the policy selects in
the middle, the peers its ingress rules allow on the left, the peers its egress rules allow on
the right, each edge labelled with its ports, and the policy's YAML beside them. A direction the
policy isolates without any rule shows "nothing" (everything denied); a direction it does not
isolate says so.

``reachability(cluster, ports)`` and ``policy_view(cluster, name)`` are the views as plain data;
``reachability_heatmap`` / ``policy_graph`` draw them as a ``go.Figure`` (or a
``go.FigureWidget``), and ``update_*`` redraw a widget in place in one ``batch_update``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go
import yaml

from ..api.labels import LabelSelector
from ..api.namespace import Namespace
from ..api.pod import Pod
from ..network.topology import EXTERNAL
from .redraw import titled
from .service_graph import short_name

# Okabe-Ito, as in the other figures.
BLACK, ORANGE, SKY, GREEN, BLUE, VERMILLION, PURPLE, GREY = (
    "#000000", "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#999999")
ALLOWED_MARK, DENIED_MARK = "✓", "✗"
ENFORCING_CNIS = ("calico",)
"""Network plug-ins that enforce NetworkPolicy. flannel does not: it only moves packets
(https://github.com/flannel-io/flannel#networking-details: "Flannel is focused on networking. For
network policy, other projects such as Calico can be used")."""
SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", "kube-flannel", "ingress-nginx",
                     "metallb-system", "calico-system", "tigera-operator")
DNS_SELECTOR = "k8s-app=kube-dns"
NAME_LABEL = "kubernetes.io/metadata.name"
"""The label the API server sets on every namespace, to its name (immutable since v1.22)."""
OUTSIDE = "outside"
"""The label of the client outside the cluster (``cluster.connect("external", ...)``)."""


def enforces_policy(cluster) -> bool:
    """True when the cluster's network plug-in enforces NetworkPolicy (Calico, not flannel)."""
    return getattr(cluster, "cni", "flannel") in ENFORCING_CNIS


def _netpol():
    # Imported on use: the views are drawn only for clusters that have the NetworkPolicy kind.
    from ..network import netpol

    return netpol


def peer_label(pod: Pod) -> str:
    """How a pod is named on the axes: its name in ``default``, ``namespace/name`` elsewhere; a
    Deployment's pod without its ReplicaSet hash (``kube-system/coredns-…-mf6d4``)."""
    return short_name(pod.key) if pod.namespace == "default" else f"{pod.namespace}/{short_name(pod.key)}"


def _namespace_labels(cluster) -> dict[str, dict[str, str]]:
    return {ns.name: dict(ns.metadata.labels) for ns in cluster.api.list_as(Namespace, None)}


def workload_pods(cluster, namespaces: Sequence[str] | None = None) -> list[Pod]:
    """The running, pod-network pods of ``namespaces`` (default: every namespace but the system
    ones), by namespace and name. Host-network pods are left out: policies see them as their node."""
    out = []
    for pod in cluster.api.list_as(Pod, None):
        if pod.metadata.deletion_timestamp is not None or not pod.status.pod_ip or pod.spec.host_network:
            continue
        if (pod.namespace in namespaces) if namespaces is not None else (pod.namespace not in SYSTEM_NAMESPACES):
            out.append(pod)
    return sorted(out, key=lambda p: (p.namespace != "default", p.namespace, p.name))


def dns_pods(cluster) -> list[Pod]:
    """The cluster DNS pods (CoreDNS, ``k8s-app=kube-dns`` in kube-system) that have an IP."""
    return [p for p in cluster.pods("kube-system", DNS_SELECTOR) if p.status.pod_ip]


def outside_peer(cluster):
    """The client outside the cluster (the host of ``cluster.connect("external", ...)``): not a
    pod, so only ``ipBlock`` peers match it."""
    ip = cluster.topology.graph.nodes[EXTERNAL]["ip"]
    return _netpol().Peer(ip=ip, pod=None, namespace_labels={})


# ------------------------------------------------------------------ the heatmap's data

Cube = tuple[tuple[tuple[bool, ...], ...], ...]


@dataclass(frozen=True)
class Reachability:
    """Who may connect to whom: ``allowed[port][src][dst]``, what the network does (all True on a
    cluster that does not enforce policies), and ``policy[port][src][dst]``, what the policies say."""

    cni: str
    enforced: bool
    srcs: tuple[str, ...]
    dsts: tuple[str, ...]
    ports: tuple[tuple[int, str], ...]
    allowed: Cube
    policy: Cube
    hover: tuple[tuple[tuple[str, ...], ...], ...]
    """The reason of each cell, ``hover[port][src][dst]`` (HTML, as its hover shows it under the
    verdict: see :func:`cell_hover`); empty when made with ``explain=False``."""
    policies: int = 0
    """How many NetworkPolicies exist in the cluster."""
    revision: int = 0
    """The API store's revision the matrix was computed at."""
    explainer: Callable[[int], tuple[tuple[str, ...], ...]] | None = field(default=None, compare=False, repr=False)
    """Makes one port's hover texts on demand (``reachability(..., explain="lazy")``)."""
    _panels: dict[int, tuple[tuple[str, ...], ...]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def explained(self) -> bool:
        """Whether the matrix has (or can make) its cells' hover texts."""
        return bool(self.hover) or self.explainer is not None

    def panel_hover(self, k: int) -> tuple[tuple[str, ...], ...]:
        """The hover texts of port ``k``'s cells, ``[src][dst]`` (made once, when asked, for a lazy matrix)."""
        if self.hover:
            return self.hover[k]
        if k not in self._panels:
            if self.explainer is None:
                raise ValueError("the heatmap needs the hover texts: reachability(..., explain=True)")
            self._panels[k] = self.explainer(k)
        return self._panels[k]

    def cell(self, src: str, dst: str, port: int = 80, protocol: str = "TCP") -> bool:
        """Whether ``src`` may connect to ``dst`` on ``port``/``protocol`` (labels as on the axes)."""
        k = self.ports.index((port, protocol))
        return self.allowed[k][self.srcs.index(src)][self.dsts.index(dst)]

    def changed(self, previous: Reachability | None) -> set[tuple[int, int, int]]:
        """The cells ``(port, src, dst)`` (indices into this matrix) whose verdict differs from
        ``previous``; cells that ``previous`` did not have are not changes."""
        if previous is None:
            return set()
        out = set()
        for k, port in enumerate(self.ports):
            if port not in previous.ports:
                continue
            pk = previous.ports.index(port)
            pi = {s: i for i, s in enumerate(previous.srcs)}
            pj = {d: j for j, d in enumerate(previous.dsts)}
            for i, s in enumerate(self.srcs):
                for j, d in enumerate(self.dsts):
                    if s in pi and d in pj and previous.allowed[pk][pi[s]][pj[d]] != self.allowed[k][i][j]:
                        out.add((k, i, j))
        return out

    def denied(self, port: int = 80, protocol: str = "TCP") -> list[tuple[str, str]]:
        """The (src, dst) pairs that cannot connect on ``port``/``protocol``."""
        k = self.ports.index((port, protocol))
        return [(s, d) for i, s in enumerate(self.srcs) for j, d in enumerate(self.dsts)
                if not self.allowed[k][i][j]]


def reachability(cluster, ports: Sequence[tuple[int, str]] = ((80, "TCP"),), *,
                 namespaces: Sequence[str] | None = None, dns: bool = False, outside: bool = False,
                 explain: bool | str = True) -> Reachability:
    """The reachability matrix of the cluster's pods: sources × destinations × ``ports``, from one
    ``PolicySet.matrix`` call. ``dns`` adds the CoreDNS pods as destinations, ``outside`` the
    client outside the cluster as a source (it matches only ``ipBlock`` peers). ``explain=False``
    leaves out the hover texts (one ``decide`` per cell), for a matrix that is only compared;
    ``explain="lazy"`` makes a port's texts when :meth:`Reachability.panel_hover` first asks (a
    lab that shows one port panel at a time)."""
    netpol = _netpol()
    policy_set = netpol.policy_set(cluster.api)
    pods = workload_pods(cluster, namespaces)
    srcs = [policy_set.peer(p) for p in pods]
    src_labels = [peer_label(p) for p in pods]
    if outside:
        srcs.append(outside_peer(cluster))
        src_labels.append(OUTSIDE)
    dst_pods = pods + (dns_pods(cluster) if dns else [])
    dsts = [policy_set.peer(p) for p in dst_pods]
    dst_labels = [peer_label(p) for p in dst_pods]
    ports = tuple((int(p), str(proto)) for p, proto in ports)
    matrix = policy_set.matrix(srcs, dsts, list(ports))
    enforced = enforces_policy(cluster)
    policy: list = []
    allowed: list = []
    hover: list = []
    for k, (port, proto) in enumerate(ports):
        p_rows, a_rows, h_rows = [], [], []
        for i, src in enumerate(srcs):
            p_row = tuple(matrix.get(i, j, k) for j in range(len(dsts)))
            p_rows.append(p_row)
            a_rows.append(p_row if enforced else tuple(True for _ in dsts))
            if explain is True:
                h_rows.append(tuple(
                    _reason(policy_set.decide(src, dst, port, proto)) for dst in dsts))
        policy.append(tuple(p_rows))
        allowed.append(tuple(a_rows))
        hover.append(tuple(h_rows))
    count = cluster.api.store.count("NetworkPolicy")

    def explainer(k: int) -> tuple[tuple[str, ...], ...]:
        port, proto = ports[k]
        return tuple(tuple(_reason(policy_set.decide(src, dst, port, proto)) for dst in dsts) for src in srcs)

    return Reachability(cluster.cni, enforced, tuple(src_labels), tuple(dst_labels), ports, tuple(allowed),
                        tuple(policy), tuple(hover) if explain is True else (), count, cluster.api.store.revision,
                        explainer if explain == "lazy" else None)


def _reason(verdict) -> str:
    """A cell's reason as its hover shows it, under the hover's own head (source → destination,
    port, verdict): :meth:`Verdict.explain`'s lines without its first (the head says the same), a
    side that no policy isolates in a few words (the Explain button gives the whole sentence).
    The hover of a cell is sent to the browser with every redraw, so it is kept short (issue 18)."""
    if verdict.same_pod:
        return "a pod's connection to itself never leaves its network namespace: no policy applies"
    lines = []
    for side, who in ((verdict.egress, verdict.src), (verdict.ingress, verdict.dst)):
        word = side.direction.lower()
        if not side.pod:
            lines.append(f"{side.direction}: {who} is not a pod: allowed")
        elif not side.isolated:
            lines.append(f"{side.direction}: not isolated: allowed")
        else:
            lines.append(f"{side.direction}: isolated by {', '.join(side.selecting)}")
            if side.allowed:
                lines += [f"  allowed by {ref}" for ref in side.allowed_by]
            else:
                lines += [f"  {reason}" for reason in side.why_not]
                lines.append(f"  no {word} rule allows it: denied")
    return html.escape("\n".join(lines), quote=False).replace("\n", "<br>")


# ------------------------------------------------------------------ the heatmap

HEATMAP_CAPTION = (f"{ALLOWED_MARK} green: allowed · {DENIED_MARK} red: dropped by policy · "
                   "□ black square: changed by the last edit · hover a cell for the reason")


def _port_name(port: tuple[int, str]) -> str:
    return f"{port[1]} {port[0]}"


PANEL = 1
"""Traces per port panel: its heatmap (the marks and frames are shapes, two per panel)."""
_CHECK = "M{x0},{ym}L{xm},{y1}L{x1},{y0}"
"""A ✓ in the cell centred at (x, y), in the axes' units (cells; y grows downwards: the y axis is reversed)."""
_CROSS = "M{x0},{y0}L{x1},{y1}M{x0},{y1}L{x1},{y0}"
"""A ✗: two strokes."""
_FRAME = "M{fx0},{fy0}H{fx1}V{fy1}H{fx0}Z"
"""The square around a changed cell."""


NO_PATH = "M0,0"
"""A path that draws nothing: a shape needs one."""


def _n(v: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros (the paths go with every redraw)."""
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _heatmap_trace(visible: bool) -> go.Heatmap:
    # The cells' marks are not the heatmap's own text (one SVG text per cell, measured and styled
    # one by one: about half of a redraw in the browser, issue 18) but a path shape (_marks).
    # The text stays for the hover (%{text}), where it costs nothing to draw.
    return go.Heatmap(colorscale=[[0.0, VERMILLION], [0.5, VERMILLION], [0.5, GREEN], [1.0, GREEN]],
                      zmin=0, zmax=1, showscale=False, xgap=2, ygap=2, visible=visible,
                      hoverlabel=dict(align="left"))


def _path(cells, shape: str) -> str:
    """An SVG path of ``shape`` (a template of :data:`_CHECK`, :data:`_CROSS`, :data:`_FRAME`) drawn
    in each cell (row i, column j), in the axes' units: a category axis counts its categories 0, 1,
    2, ..., so the cell's centre is at x=j, y=i."""
    xs: dict[int, dict[str, str]] = {}
    ys: dict[int, dict[str, str]] = {}
    out = []
    for i, j in cells:
        if j not in xs:
            xs[j] = dict(x0=_n(j - 0.1), xm=_n(j - 0.03), x1=_n(j + 0.12), fx0=_n(j - 0.37), fx1=_n(j + 0.37))
        if i not in ys:
            ys[i] = dict(y0=_n(i - 0.16), ym=_n(i + 0.02), y1=_n(i + 0.16), fy0=_n(i - 0.33), fy1=_n(i + 0.33))
        out.append(shape.format_map({**xs[j], **ys[i]}))
    return "".join(out)


def _shapes(data: Reachability, changed, shown: int) -> list[dict[str, Any]]:
    """Per panel, its verdict marks (every allowed cell's ✓ and denied cell's ✗, white) and the
    frames of the cells the last edit changed (black): one SVG path each, where a marker or a text
    per cell took 20-30 ms of each redraw in the browser (issue 18)."""
    out: list[dict[str, Any]] = []
    for k, grid in enumerate(data.allowed):
        yes = [(i, j) for i, row in enumerate(grid) for j, a in enumerate(row) if a]
        no = [(i, j) for i, row in enumerate(grid) for j, a in enumerate(row) if not a]
        frames = sorted((i, j) for kk, i, j in changed if kk == k)
        out.append(dict(type="path", path=_path(yes, _CHECK) + _path(no, _CROSS) or NO_PATH, xref="x", yref="y",
                        line=dict(color="white", width=2.2), visible=k == shown, layer="above"))
        out.append(dict(type="path", path=_path(frames, _FRAME) or NO_PATH, xref="x", yref="y",
                        line=dict(color=BLACK, width=3), visible=k == shown, layer="above"))
    return out


def reachability_heatmap(cluster_or_data, ports: Sequence[tuple[int, str]] = ((80, "TCP"),),
                         previous: Reachability | None = None, figure_class=go.Figure, **options: Any):
    """The reachability heatmap as a new figure (``figure_class=go.FigureWidget`` for a widget):
    of a cluster (``ports`` and ``options`` as :func:`reachability` takes them) or of a
    :class:`Reachability`. Cells that differ from ``previous`` are framed.

    >>> import kitlib
    >>> c = kitlib.Cluster(nodes=1)
    >>> fig = reachability_heatmap(c)
    >>> [(t.type, t.name) for t in fig.data], len(fig.layout.shapes)
    ([('heatmap', 'TCP 80')], 2)
    """
    data = cluster_or_data if isinstance(cluster_or_data, Reachability) else \
        reachability(cluster_or_data, ports, **options)
    fig = figure_class(data=_traces(len(data.ports)))
    fig.update_layout(template="plotly_white", margin=dict(l=10, r=10, t=112, b=10), hovermode="closest",
                      xaxis=dict(title=dict(text="destination", font=dict(size=12)), fixedrange=True, tickangle=-30),
                      yaxis=dict(title=dict(text="source", font=dict(size=12)), fixedrange=True))
    update_reachability_heatmap(fig, data, previous)
    return fig


def _traces(n: int) -> list:
    return [_heatmap_trace(k == 0) for k in range(n)]


def update_reachability_heatmap(fig, data: Reachability, previous: Reachability | None = None,
                                panel: int | None = None, *, hover: str = "all") -> None:
    """Redraw ``fig`` (made by :func:`reachability_heatmap`) from ``data``; ``panel`` is the port
    shown (an index into ``data.ports``; default: the one shown now). ``hover="shown"`` gives only
    the shown panel its cells' hover data (a widget that fills the others with
    :func:`show_panel_hover` when the port menu shows them: a third of the bytes per redraw)."""
    if not data.explained:
        raise ValueError("the heatmap needs the hover texts: reachability(..., explain=True)")
    changed = data.changed(previous)
    n = len(data.ports)
    shown = panel if panel is not None else _shown(fig)
    shown = shown if shown < n else 0
    with fig.batch_update():
        if len(fig.data) != PANEL * n:
            fig.data = []
            for t in _traces(n):
                fig.add_trace(t)
        for k in range(n):
            heat = fig.data[PANEL * k]
            heat.x, heat.y = list(data.dsts), list(data.srcs)
            heat.z = [[1 if a else 0 for a in row] for row in data.allowed[k]]
            heat.text = [[ALLOWED_MARK if a else DENIED_MARK for a in row] for row in data.allowed[k]]
            cells = {(i, j) for kk, i, j in changed if kk == k}
            if hover == "all" or k == shown:
                heat.hovertemplate = _hovertemplate(data, k)
                heat.customdata = _customdata(data, k, cells)
            else:  # until shown: the cell's verdict, its reason comes when the menu shows the panel
                heat.hovertemplate = f"<b>%{{y}} → %{{x}}</b> · {_port_name(data.ports[k])}<br><b>%{{text}}</b><extra></extra>"
                heat.customdata = None
            heat.name = _port_name(data.ports[k])
            heat.visible = k == shown
        # Category axes count their categories from 0: cell (i, j) is at x=j, y=i; the first
        # source at the top.
        fig.layout.xaxis.range = [-0.5, len(data.dsts) - 0.5]
        fig.layout.yaxis.range = [len(data.srcs) - 0.5, -0.5]
        fig.layout.shapes = _shapes(data, changed, shown)
        fig.layout.updatemenus = [_port_menu(data, shown)] if n > 1 else []
        fig.layout.annotations = []
        fig.layout.height = int(min(1000, 250 + 34 * max(len(data.srcs), 2)))
        fig.layout.title = titled(_heatmap_title(data),
                                  _heatmap_subtitle(data, len(changed)) + "<br>" + HEATMAP_CAPTION)


def show_panel_hover(fig, data: Reachability, previous: Reachability | None, k: int) -> bool:
    """Give panel ``k`` its cells' hover data if :func:`update_reachability_heatmap` left it out
    (``hover="shown"``); True if it did."""
    heat = fig.data[PANEL * k]
    if heat.customdata is not None:
        return False
    changed = {(i, j) for kk, i, j in data.changed(previous) if kk == k}
    with fig.batch_update():
        heat.hovertemplate = _hovertemplate(data, k)
        heat.customdata = _customdata(data, k, changed)
    return True


def _hovertemplate(data: Reachability, k: int) -> str:
    """A panel's hover: what is the same for every cell is in the template, the cell's own words
    in its ``customdata``: [verdict word, reason, "changed by the last edit" or ""]."""
    port, proto = data.ports[k]
    head = f"<b>%{{y}} → %{{x}}</b> · {html.escape(proto)} {port}%{{customdata[2]}}<br>"
    if data.enforced:
        return head + "<b>%{text} %{customdata[0]}</b><br>%{customdata[1]}<extra></extra>"
    return head + (f"<b>{ALLOWED_MARK} allowed</b>: {html.escape(data.cni)} does not enforce NetworkPolicy<br>"
                   "<i>with Calico the policies would %{customdata[0]} it:</i><br>%{customdata[1]}<extra></extra>")


def _customdata(data: Reachability, k: int, changed: set[tuple[int, int]]) -> list[list[list[str]]]:
    words = ("denied", "allowed") if data.enforced else ("deny", "allow")
    verdicts = data.allowed[k] if data.enforced else data.policy[k]
    return [[[words[verdicts[i][j]], reason,
              f"<br>□ changed by the last edit: now {'allowed' if data.allowed[k][i][j] else 'denied'}"
              if (i, j) in changed else ""]
             for j, reason in enumerate(row)] for i, row in enumerate(data.panel_hover(k))]


_FIELD = re.compile(r"%\{(x|y|text|customdata\[(\d)\])\}")


def cell_hover(fig, k: int, src: int, dst: int) -> str:
    """The hover of one cell of panel ``k`` as the browser shows it (the template filled in): for
    tests and for reading a hover in a notebook.

    >>> import kitlib
    >>> c = kitlib.Cluster(nodes=1, cni="calico")
    >>> _ = c.kubectl("run web --image=nginx")
    >>> _ = c.settle()
    >>> print(cell_hover(reachability_heatmap(c), 0, 0, 0).replace("<br>", "\\n"))
    <b>web → web</b> · TCP 80
    <b>✓ allowed</b>
    a pod's connection to itself never leaves its network namespace: no policy applies
    """
    heat = fig.data[PANEL * k]
    values = {"x": heat.x[dst], "y": heat.y[src], "text": heat.text[src][dst]}
    cell = heat.customdata[src][dst] if heat.customdata is not None else ()

    def fill(match: re.Match) -> str:
        return str(cell[int(match.group(2))]) if match.group(2) else str(values[match.group(1)])

    return _FIELD.sub(fill, heat.hovertemplate).replace("<extra></extra>", "")


_STROKE = re.compile(r"M(-?[\d.]+),(-?[\d.]+)((?:L-?[\d.]+,-?[\d.]+)*)")


def cell_marks(fig, k: int) -> dict[tuple[int, int], str]:
    """The mark drawn in each cell ``(source, destination)`` of panel ``k`` (✓ or ✗), read from
    the panel's marks shape as the browser draws it: for tests, and for reading a figure in a
    notebook.

    >>> import kitlib
    >>> c = kitlib.Cluster(nodes=1, cni="calico")
    >>> _ = c.kubectl("run web --image=nginx")
    >>> _ = c.settle()
    >>> cell_marks(reachability_heatmap(c), 0)
    {(0, 0): '✓'}
    """
    out: dict[tuple[int, int], str] = {}
    for x, y, lines in _STROKE.findall(fig.layout.shapes[2 * k].path):
        if not lines:
            continue  # NO_PATH
        cell = (round(float(y)), round(float(x)))
        # a ✓ is one stroke of two segments; a ✗ two strokes of one
        out[cell] = ALLOWED_MARK if lines.count("L") == 2 else DENIED_MARK
    return out


def framed_cells(fig, k: int) -> set[tuple[int, int]]:
    """The cells ``(source, destination)`` of panel ``k`` framed as changed by the last edit."""
    path = fig.layout.shapes[2 * k + 1].path
    return set() if path == NO_PATH else {(round(float(y)), round(float(x))) for x, y, _ in _STROKE.findall(path)}


def _shown(fig) -> int:
    for k, trace in enumerate(fig.data[::PANEL]):
        if trace.visible is True or trace.visible is None:
            return k
    return 0


def _port_menu(data: Reachability, shown: int) -> dict[str, Any]:
    buttons = []
    for k, port in enumerate(data.ports):
        visible = [kk == k for kk in range(len(data.ports)) for _ in range(PANEL)]
        # The panel's two shapes (its marks, its frames) show with it.
        shapes = {f"shapes[{2 * kk + s}].visible": kk == k for kk in range(len(data.ports)) for s in (0, 1)}
        buttons.append(dict(label=_port_name(port), method="update", args=[{"visible": visible}, shapes]))
    return dict(buttons=buttons, active=shown, direction="down", x=1.0, xanchor="right", y=1.02, yanchor="bottom",
                showactive=True, pad=dict(b=2))


def _heatmap_title(data: Reachability) -> str:
    if data.enforced:
        return f"Who may connect to whom · {html.escape(data.cni)} enforces NetworkPolicy"
    return f"Who may connect to whom · {html.escape(data.cni)}: NetworkPolicy is not enforced"


def _heatmap_subtitle(data: Reachability, changed: int) -> str:
    denied = sum(not a for grid in data.allowed for row in grid for a in row)
    cells = sum(len(row) for grid in data.allowed for row in grid)
    text = f"{data.policies} NetworkPolic{'y' if data.policies == 1 else 'ies'} · {denied} of {cells} cells denied"
    if not data.enforced:
        would = sum(not a for grid in data.policy for row in grid for a in row)
        text += f" (Calico would deny {would})"
    if changed:
        text += f" · {changed} changed by the last edit"
    return text


PAIRS_NAMED = 6
"""How many denied pairs of a port the text alternative names before it counts the rest."""


def heatmap_text(data: Reachability, previous: Reachability | None = None) -> str:
    """The heatmap in words (its text alternative, for a screen reader and for anyone who cannot
    tell its colours apart), from the same verdicts it is drawn from: per port, how many
    connections are allowed and denied and the first denied pairs; what the last edit changed.

    >>> import kitlib
    >>> c = kitlib.Cluster(nodes=1, cni="calico")
    >>> _ = c.kubectl("run web --image=nginx")
    >>> _ = c.settle()
    >>> print(heatmap_text(reachability(c)))
    Reachability heatmap, calico enforces NetworkPolicy, 0 NetworkPolicies, 1 source × 1 destination. TCP 80: 1 allowed (✓), 0 denied (✗).
    """
    def count(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    head = (f"Reachability heatmap, {data.cni} "
            + ("enforces NetworkPolicy" if data.enforced else "does not enforce NetworkPolicy: every connection is allowed")
            + f", {data.policies} NetworkPolic{'y' if data.policies == 1 else 'ies'}, "
            + f"{count(len(data.srcs), 'source')} × {count(len(data.dsts), 'destination')}.")
    parts = [head]
    changed = data.changed(previous)
    for k, port in enumerate(data.ports):
        grid = data.allowed[k] if data.enforced else data.policy[k]
        denied = [(data.srcs[i], data.dsts[j]) for i, row in enumerate(grid) for j, a in enumerate(row) if not a]
        cells = sum(len(row) for row in grid)
        if data.enforced:
            text = f"{_port_name(port)}: {cells - len(denied)} allowed ({ALLOWED_MARK}), {len(denied)} denied ({DENIED_MARK})"
        else:
            text = f"{_port_name(port)}: all {cells} allowed ({ALLOWED_MARK}); with Calico the policies would deny {len(denied)}"
        if denied:
            named = ", ".join(f"{s} → {d}" for s, d in denied[:PAIRS_NAMED])
            text += f"; denied: {named}" + (f" and {len(denied) - PAIRS_NAMED} more" if len(denied) > PAIRS_NAMED else "")
        now = sum(1 for kk, _, _ in changed if kk == k)
        if now:
            text += f"; {now} changed by the last edit (framed)"
        parts.append(text + ".")
    return " ".join(parts)


# ------------------------------------------------------------------ the policy graph

X_SRC, X_SEL, X_DST, X_YAML = 0.0, 1.6, 3.2, 4.75
ROW = 1.0
GRAPH_KINDS: dict[str, tuple[str, str, str, int]] = {
    # kind: (trace name, colour, marker symbol, size)
    "selected": ("pods the policy selects", PURPLE, "circle", 18),
    "source": ("allowed sources (ingress)", BLUE, "square", 16),
    "destination": ("allowed destinations (egress)", ORANGE, "square", 16),
    "block": ("IP blocks", SKY, "diamond", 16),
    "anyone": ("anyone (a rule without peers)", GREEN, "star", 18),
    "nothing": ("nothing allowed (isolated, no rule)", VERMILLION, "x", 16),
    "open": ("not isolated by this policy", GREY, "circle-open", 14),
}
GRAPH_TRACES = ["edges", *[v[0] for v in GRAPH_KINDS.values()]]


@dataclass(frozen=True)
class GraphVertex:
    """A point of the policy graph: ``id`` is ``pod:<ns/name>``, ``in:<rule>:<peer>``,
    ``out:<rule>:<peer>``, ``in:none`` / ``out:none`` (nothing allowed) or ``in:open`` / ``out:open``."""

    id: str
    kind: str  # a key of GRAPH_KINDS
    label: str
    hover: str
    x: float
    y: float


@dataclass
class PolicyGraph:
    """One NetworkPolicy as a graph: selected pods, allowed peers on both sides, and its YAML."""

    policy: str
    vertices: dict[str, GraphVertex] = field(default_factory=dict)
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # (from, to, ports)
    yaml: str = ""
    notes: list[str] = field(default_factory=list)

    def column(self, x: float) -> list[GraphVertex]:
        """The vertices of one column, top to bottom."""
        return sorted((v for v in self.vertices.values() if v.x == x), key=lambda v: -v.y)


def _selector_text(sel: LabelSelector | None) -> str:
    return str(sel) if sel is not None and not sel.is_empty() else "all"


def _ports_text(ports) -> str:
    if not ports:
        return "all ports"
    out = []
    for p in ports:
        port = "all" if p.port is None else str(p.port)
        if p.end_port is not None:
            port += f"-{p.end_port}"
        out.append(f"{p.protocol or 'TCP'} {port}")
    return ", ".join(out)


def _namespaces_text(sel: LabelSelector) -> str:
    """``every namespace``, ``namespace kube-system`` (a selector on kubernetes.io/metadata.name
    alone), or ``namespaces <selector>``."""
    if sel.is_empty():
        return "every namespace"
    if not sel.match_expressions and list(sel.match_labels) == [NAME_LABEL]:
        return f"namespace {sel.match_labels[NAME_LABEL]}"
    return f"namespaces {sel}"


def _peer(cluster, peer, namespace: str, ns_labels: dict[str, dict[str, str]]) -> tuple[str, str, str, list[str]]:
    """(kind, label, hover, pod keys) of one peer of a rule."""
    if peer.ip_block is not None:
        block = peer.ip_block
        text = block.cidr + (f" except {', '.join(block.except_)}" if block.except_ else "")
        return "block", html.escape(text), f"ipBlock {html.escape(text)}: addresses, not pods", []
    if peer.namespace_selector is None:
        namespaces = [namespace]
        where = f"namespace {namespace}"
    else:
        namespaces = sorted(n for n, labels in ns_labels.items() if peer.namespace_selector.matches(labels))
        where = _namespaces_text(peer.namespace_selector)
    pod_sel = peer.pod_selector
    pods = [p for ns in namespaces for p in cluster.pods(ns) if pod_sel is None or pod_sel.matches(p.metadata.labels)]
    keys = [p.key for p in pods if p.metadata.deletion_timestamp is None]
    what = "every pod" if pod_sel is None or pod_sel.is_empty() else f"pods {pod_sel}"
    both = " (AND: both selectors in one peer)" if peer.pod_selector is not None and \
        peer.namespace_selector is not None else ""
    label = f"{html.escape(what)}<br>in {html.escape(where)}"
    hover = (f"{html.escape(what)} in {html.escape(where)}{both}<br>matches now: "
             + (html.escape(", ".join(keys)) if keys else "no pod"))
    return "source", label, hover, keys


def policy_view(cluster, name: str, namespace: str = "default") -> PolicyGraph:
    """NetworkPolicy ``namespace/name`` as a graph: selected pods in the middle, the peers its
    ingress rules allow on the left and its egress rules allow on the right."""
    from ..api.networkpolicy import policy_types

    np = cluster.get("NetworkPolicy", name, namespace)
    graph = PolicyGraph(f"{namespace}/{name}")
    ns_labels = _namespace_labels(cluster)
    selected = [p for p in cluster.pods(namespace) if np.spec.pod_selector.matches(p.metadata.labels)
                and p.metadata.deletion_timestamp is None]
    for i, pod in enumerate(selected):
        graph.vertices[f"pod:{pod.key}"] = GraphVertex(
            f"pod:{pod.key}", "selected", html.escape(pod.name),
            f"pod {html.escape(pod.key)} {pod.status.pod_ip or ''}<br>labels: "
            + html.escape(", ".join(f"{k}={v}" for k, v in sorted(pod.metadata.labels.items()))),
            X_SEL, -i * ROW)
    if not selected:
        graph.notes.append(f"podSelector {_selector_text(np.spec.pod_selector)} selects no pod in {namespace} now")
    types = policy_types(np)
    for direction, rules, x, side in (("Ingress", np.spec.ingress, X_SRC, "in"), ("Egress", np.spec.egress, X_DST, "out")):
        _side(cluster, graph, direction in types, direction, rules, x, side, namespace, ns_labels)
    # Centre each column on the selected pods.
    mid = -(len(selected) - 1) / 2 * ROW if selected else 0.0
    for x in (X_SRC, X_DST):
        col = graph.column(x)
        for i, v in enumerate(col):
            y = mid + ((len(col) - 1) / 2 - i) * ROW * 1.4
            graph.vertices[v.id] = GraphVertex(v.id, v.kind, v.label, v.hover, v.x, y)
    doc = np.to_dict()
    meta = {k: v for k, v in doc.get("metadata", {}).items() if k in ("name", "namespace")}
    graph.yaml = yaml.safe_dump({"apiVersion": doc.get("apiVersion", "networking.k8s.io/v1"),
                                 "kind": "NetworkPolicy", "metadata": meta, "spec": doc.get("spec", {})},
                                sort_keys=False, default_flow_style=False)
    return graph


def _side(cluster, graph: PolicyGraph, isolated: bool, direction: str, rules, x: float, side: str,
          namespace: str, ns_labels) -> None:
    pods = [v.id for v in graph.column(X_SEL)]
    word = "from" if side == "in" else "to"
    key = direction.lower()
    if not isolated:
        graph.vertices[f"{side}:open"] = GraphVertex(
            f"{side}:open", "open", f"{direction.lower()}: not isolated<br>by this policy",
            f"{direction} is not in policyTypes: this policy does not restrict {direction.lower()} traffic "
            "(other policies may)", x, 0.0)
        return
    if not rules:
        graph.vertices[f"{side}:none"] = GraphVertex(
            f"{side}:none", "nothing", f"nothing: all {direction.lower()}<br>denied",
            f"{direction} is in policyTypes and there is no {direction.lower()} rule: the selected pods are "
            f"isolated for {direction.lower()}, and this policy allows nothing (other policies may)", x, 0.0)
        return
    for r, rule in enumerate(rules):
        peers = rule.from_ if side == "in" else rule.to
        ports = _ports_text(rule.ports)
        if not peers:
            vid = f"{side}:{r}:*"
            graph.vertices[vid] = GraphVertex(
                vid, "anyone", f"anyone<br><i>{key}[{r}]</i>",
                f"{key}[{r}] has no {word!r} peers: it allows every peer, pods and addresses, "
                f"on {ports}", x, 0.0)
            _link(graph, vid, pods, ports, side)
            continue
        for j, peer in enumerate(peers):
            kind, label, hover, _ = _peer(cluster, peer, namespace, ns_labels)
            if side == "out" and kind == "source":
                kind = "destination"
            vid = f"{side}:{r}:{j}"
            graph.vertices[vid] = GraphVertex(vid, kind, label + f"<br><i>{key}[{r}].{word}[{j}]</i>",
                                              hover + f"<br>{key}[{r}].{word}[{j}]: {ports}", x, 0.0)
            _link(graph, vid, pods, ports, side)


def _link(graph: PolicyGraph, vid: str, pods: list[str], ports: str, side: str) -> None:
    for pod in pods:
        graph.edges.append((vid, pod, ports) if side == "in" else (pod, vid, ports))


def _plain(label: str) -> str:
    """A vertex label as plain words: its line breaks as spaces, its italic rule reference in
    brackets, its other markup and escapes gone."""
    label = label.replace("<br>", " ").replace("<i>", "(").replace("</i>", ")")
    return html.unescape(re.sub(r"<[^>]+>", "", label))


def policy_text(graph: PolicyGraph) -> str:
    """The policy graph's text alternative, from the same vertices and edges it draws: the pods the
    policy selects, then for ingress and for egress what it allows (each peer with its ports), that
    it allows nothing, or that it leaves that direction alone; and the graph's notes.

    >>> import kitlib
    >>> c = kitlib.Cluster(nodes=1, seed=0, cni="calico")
    >>> _ = c.apply({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
    ...              "metadata": {"name": "deny"}, "spec": {"podSelector": {}}})
    >>> policy_text(policy_view(c, "deny"))
    'Policy graph of NetworkPolicy default/deny: it selects no pod. Ingress: nothing allowed (isolated, no rule). Egress: not isolated by this policy. Note: podSelector all selects no pod in default now.'
    """
    selected = [_plain(v.label) for v in graph.column(X_SEL)]
    parts = [f"Policy graph of NetworkPolicy {graph.policy}: it selects "
             + (f"{len(selected)} pod{'s' if len(selected) != 1 else ''} ({', '.join(selected)})" if selected
                else "no pod")]
    for side, direction in (("in", "Ingress"), ("out", "Egress")):
        peers = [v for v in graph.vertices.values() if v.id.startswith(f"{side}:")]
        words = []
        for v in peers:
            if v.kind in ("nothing", "open"):
                words.append(GRAPH_KINDS[v.kind][0])
                continue
            ports = sorted({p for a, b, p in graph.edges if v.id in (a, b)})
            words.append(f"{_plain(v.label)} on {', '.join(ports) or 'all ports'}")
        allowed = "; ".join(words) if words else "nothing"
        prefix = "" if peers and peers[0].kind in ("nothing", "open") else "allowed: "
        parts.append(f"{direction}: {prefix}{allowed}")
    text = ". ".join(parts) + "."
    if graph.notes:
        text += " Note: " + "; ".join(graph.notes) + "."
    return text


def policy_graph_text(cluster, name: str, namespace: str = "default") -> str:
    """:func:`policy_text` of the graph :func:`policy_graph` draws for NetworkPolicy ``namespace/name``."""
    return policy_text(policy_view(cluster, name, namespace))


def _graph_trace(name: str) -> go.Scatter:
    if name == "edges":
        return go.Scatter(name=name, mode="lines", line=dict(color="#999", width=1.4), hoverinfo="skip",
                          showlegend=False)
    kind = next(k for k, v in GRAPH_KINDS.items() if v[0] == name)
    _, colour, symbol, size = GRAPH_KINDS[kind]
    position = {"source": "middle left", "block": "middle left", "destination": "middle right"}.get(kind, "top center")
    return go.Scatter(name=name, mode="markers+text", hoverinfo="text", cliponaxis=False, textposition=position,
                      textfont=dict(size=10, color="#222"),
                      marker=dict(size=size, color=colour, symbol=symbol, line=dict(color="#222", width=1)))


def policy_graph(cluster, name: str, namespace: str = "default", figure_class=go.Figure):
    """The policy graph of NetworkPolicy ``namespace/name`` as a new figure, its YAML beside it."""
    fig = figure_class(data=[_graph_trace(n) for n in GRAPH_TRACES])
    fig.update_layout(template="plotly_white", margin=dict(l=10, r=10, t=64, b=10), hovermode="closest",
                      xaxis=dict(visible=False, range=[-1.5, 7.9], fixedrange=True),
                      yaxis=dict(visible=False, fixedrange=True),
                      legend=dict(orientation="h", yanchor="top", y=-0.01, x=0, font=dict(size=11)))
    update_policy_graph(fig, cluster, name, namespace)
    return fig


def update_policy_graph(fig, cluster, name: str, namespace: str = "default") -> PolicyGraph:
    """Redraw ``fig`` (made by :func:`policy_graph`) for NetworkPolicy ``namespace/name``; the graph
    drawn (for :func:`policy_text`)."""
    graph = policy_view(cluster, name, namespace)
    columns: dict[str, dict[str, list]] = {n: {"x": [], "y": [], "text": [], "hover": []} for n in GRAPH_TRACES}
    v = graph.vertices
    for vx in v.values():
        col = columns[GRAPH_KINDS[vx.kind][0]]
        col["x"].append(vx.x)
        col["y"].append(vx.y)
        col["text"].append(vx.label)
        col["hover"].append(vx.hover)
    annotations: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for a, b, ports in graph.edges:
        columns["edges"]["x"] += [v[a].x, v[b].x, None]
        columns["edges"]["y"] += [v[a].y, v[b].y, None]
        peer = a if not a.startswith("pod:") else b
        if (peer, ports) not in seen:  # one port label per peer, next to it
            seen.add((peer, ports))
            pod = b if peer == a else a
            t = 0.3
            annotations.append(dict(x=v[peer].x + (v[pod].x - v[peer].x) * t,
                                    y=v[peer].y + (v[pod].y - v[peer].y) * t + 0.18, text=html.escape(ports),
                                    showarrow=False, font=dict(size=10, color="#333"), bgcolor="white"))
    ys = [vx.y for vx in v.values()] or [0.0]
    top, lines = max(ys) + 1.0, graph.yaml.rstrip("\n").split("\n")
    for x, text in ((X_SRC, "allowed sources<br>(ingress)"), (X_SEL, "selected<br>pods"),
                    (X_DST, "allowed destinations<br>(egress)")):
        annotations.append(dict(x=x, y=top, text=f"<b>{text}</b>", showarrow=False, font=dict(size=12, color="#555")))
    yaml_text = "<br>".join(html.escape(line, quote=False).replace(" ", "\u00a0") for line in lines)
    annotations.append(dict(x=X_YAML, y=1.0, yref="paper", xanchor="left", yanchor="top", align="left",
                            showarrow=False, text=yaml_text, font=dict(family="monospace", size=10, color="#222"),
                            bgcolor="#F5F5F5", bordercolor="#CCC", borderpad=6))
    for i, note in enumerate(graph.notes):
        annotations.append(dict(x=X_SRC - 1.2, y=min(ys) - 0.9 - 0.45 * i, xanchor="left", showarrow=False,
                                text=html.escape(note, quote=False), font=dict(size=11, color="#555")))
    bottom = min(ys) - 0.9 - 0.45 * len(graph.notes)
    with fig.batch_update():
        for trace in fig.data:
            col = columns[trace.name]
            trace.x, trace.y = col["x"], col["y"]
            if "text" in (trace.mode or ""):
                trace.text, trace.hovertext = col["text"], col["hover"]
        fig.layout.annotations = annotations
        fig.layout.yaxis.range = [bottom, top + 0.5]
        fig.layout.height = int(min(1100, max(360, 140 + 60 * (top + 0.5 - bottom), 150 + 14 * len(lines))))
        fig.layout.title = titled(f"NetworkPolicy {html.escape(graph.policy)}",
                                  "hover a box for the pods it matches now")
    return graph


__all__ = ["Reachability", "PolicyGraph", "GraphVertex", "reachability", "reachability_heatmap",
           "update_reachability_heatmap", "cell_hover", "cell_marks", "framed_cells", "heatmap_text", "show_panel_hover", "policy_view", "policy_graph", "update_policy_graph", "enforces_policy",
           "workload_pods"]
