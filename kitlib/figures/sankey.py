"""Where N requests landed, as a Sankey: the client → the node whose kube-proxy handled each
request → the pod that answered → the node that pod runs on; requests that got no answer flow
into sinks named after the reason.

Every request is accounted for: what leaves the client equals what reaches the last column
(answered or failed). ``sankey_flows(traffic, cluster)`` gives the links as plain data;
``traffic_sankey(traffic, cluster)`` draws them; ``update_traffic_sankey(fig, traffic,
cluster)`` redraws a ``go.FigureWidget`` in place (one Sankey trace, always).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import plotly.graph_objects as go

from ..errors import NotFound
from ..network.ref import Ref
from .redraw import unchanged
from .service_graph import (
    BLACK,
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    SKY,
    TRAFFIC_COLOUR,
    VERMILLION,
    short_name,
)

COLOURS = {"source": BLACK, "proxy": ORANGE, "pod": GREEN, "node": BLUE, "failed": VERMILLION,
           "gone": GREY, "address": SKY}


@dataclass
class Flows:
    """A Sankey as plain data: labelled nodes and (source index, target index, requests) links."""

    labels: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # source | proxy | pod | node | failed
    hovers: list[str] = field(default_factory=list)
    links: list[tuple[int, int, int]] = field(default_factory=list)
    title: str = ""
    _index: dict[str, int] = field(default_factory=dict)

    def node(self, key: str, kind: str, label: str, hover: str = "") -> int:
        if key not in self._index:
            self._index[key] = len(self.labels)
            self.labels.append(label)
            self.kinds.append(kind)
            self.hovers.append(hover or label)
        return self._index[key]

    def link(self, a: int, b: int, value: int) -> None:
        if value > 0:
            self.links.append((a, b, value))

    def total_out(self, kind: str) -> int:
        """Requests leaving the nodes of a kind."""
        return sum(v for a, _, v in self.links if self.kinds[a] == kind)

    def total_in(self, kinds: tuple[str, ...]) -> int:
        """Requests arriving at nodes of these kinds."""
        return sum(v for _, b, v in self.links if self.kinds[b] in kinds)


def _source_label(source: str | None, traffic) -> str:
    if not source:
        return "client"
    ref = Ref.parse(source)
    if ref.kind == "external":
        return "outside"
    if ref.kind == "node":
        return f"node {ref.name}"
    return "pod " + short_name(source)


def sankey_flows(traffic, cluster, source: str | None = None) -> Flows:
    """The links of the Sankey for ``traffic`` (a :class:`~kitlib.network.traffic.Traffic`).

    Requests answered: client → kube-proxy on the entry node → pod → the pod's node. Requests
    that got no answer go from the entry node (or from the client, when no kube-proxy took
    them) to a sink per reason; when both a node and several reasons are involved, through one
    "no answer" node, so that the counts stay exact.
    """
    f = Flows()
    if traffic is None:
        f.title = "No requests sent yet: send some to see where they land"
        return f
    source = source if source is not None else getattr(traffic, "src", None) or getattr(traffic, "source", None)
    src = f.node("source", "source", f"{_source_label(source, traffic)} ({traffic.requests})",
                 f"{traffic.requests} requests to {traffic.address}")
    entry = {n: c for n, c in sorted((getattr(traffic, "entry_nodes", {}) or {}).items()) if c > 0}
    flows = {k: v for k, v in sorted((getattr(traffic, "flows", {}) or {}).items()) if v > 0}
    served = {k: v for k, v in sorted((traffic.served or {}).items()) if v > 0}
    reasons = {r: n for r, n in sorted(traffic.reasons.items(), key=lambda kv: (-kv[1], kv[0])) if n > 0}

    known = dict(getattr(traffic, "pod_nodes", {}) or {})

    def pod_node(key: str) -> str | None:
        if known.get(key):
            return known[key]
        ns, _, name = key.partition("/")
        try:
            return cluster.get("Pod", name, ns).spec.node_name
        except NotFound:
            return None

    proxies = {n: f.node(f"proxy:{n}", "proxy", f"kube-proxy {n}",
                         f"{c} requests DNATed by kube-proxy on {n}") for n, c in entry.items()}
    for n, c in entry.items():
        f.link(src, proxies[n], c)
    pods: dict[str, int] = {}

    def pod(key: str) -> int:
        if key not in pods:
            pods[key] = f.node(f"pod:{key}", "pod", f"{short_name(key)} ({served.get(key, 0)})",
                               f"{key} answered {served.get(key, 0)} requests")
        return pods[key]

    via: dict[str, int] = {}
    for (n, key), c in flows.items():
        a = proxies.get(n)
        if a is None:  # a flow through a node the entry counts do not name: count it from there anyway
            a = proxies[n] = f.node(f"proxy:{n}", "proxy", f"kube-proxy {n}")
            f.link(src, a, c)
        f.link(a, pod(key), c)
        via[key] = via.get(key, 0) + c
    for key, c in served.items():  # answered without kube-proxy (a pod dialled directly)
        if c > via.get(key, 0):
            f.link(src, pod(key), c - via.get(key, 0))
    for key, c in served.items():
        node = pod_node(key)
        if node is None:
            sink = f.node("node:?", "gone", "node unknown", "the pod has been deleted since")
        else:
            sink = f.node(f"node:{node}", "node", f"node {node}", f"requests answered on {node}")
        f.link(pod(key), sink, c)

    # Requests with no answer: where they stopped (kube-proxy refused or dropped them, the pod
    # they were sent to did not answer, or no kube-proxy ever saw them), and why.
    lost_at = {n: c - sum(v for (m, _), v in flows.items() if m == n) for n, c in entry.items()}
    stops = [(proxies[n], c) for n, c in lost_at.items() if c > 0]
    for key, c in via.items():
        if c > served.get(key, 0):
            stops.append((pod(key), c - served.get(key, 0)))
    unhandled = traffic.failed - sum(c for _, c in stops)
    stops += [(src, unhandled)] if unhandled > 0 else []
    if traffic.failed > 0:
        stops = stops or [(src, traffic.failed)]
        if not reasons:
            reasons = {"no answer": traffic.failed}
        if len(reasons) == 1 or len(stops) == 1:
            # One reason, or one place: each link's reason is known exactly.
            if len(reasons) == 1:
                (reason, _), = reasons.items()
                sink = f.node(f"failed:{reason}", "failed", f"✗ {_wrap(reason)} ({traffic.failed})", reason)
                for a, c in stops:
                    f.link(a, sink, c)
            else:
                (a, _), = stops
                for reason, c in reasons.items():
                    f.link(a, f.node(f"failed:{reason}", "failed", f"✗ {_wrap(reason)} ({c})", reason), c)
        else:
            hub = f.node("failed", "failed", f"✗ no answer ({traffic.failed})", "requests that got no answer")
            for a, c in stops:
                f.link(a, hub, c)
            for reason, c in reasons.items():
                f.link(hub, f.node(f"failed:{reason}", "failed", f"✗ {_wrap(reason)} ({c})", reason), c)
    ok = traffic.requests - traffic.failed
    f.title = f"{traffic.requests} requests to {traffic.address}: {ok} answered, {traffic.failed} failed"
    return f


HEADINGS = {"source": "client", "proxy": "kube-proxy (entry node)", "pod": "pod (DNAT target)",
            "node": "the pod's node", "gone": "the pod's node", "failed": "no answer"}


def columns(f: Flows) -> list[tuple[float, str]]:
    """Where plotly puts each column of the Sankey (sinks go to the right), and its heading."""
    outgoing = {a for a, _, _ in f.links}
    depth = dict.fromkeys(range(len(f.labels)), 0)
    for _ in range(len(f.labels)):  # longest path from the client; the graph has no cycle
        for a, b, _ in f.links:
            depth[b] = max(depth[b], depth[a] + 1)
    if not f.links:
        return []
    last = max(depth.values())
    cols: dict[int, list[str]] = {}
    for i, kind in enumerate(f.kinds):
        d = depth[i] if i in outgoing else last
        if HEADINGS[kind] not in cols.setdefault(d, []):
            cols[d].append(HEADINGS[kind])
    return [(d / last if last else 0.0, " / ".join(names)) for d, names in sorted(cols.items())]


def _wrap(text: str, width: int = 34) -> str:
    """Break a long reason into lines for a Sankey label."""
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    if len(lines) > 3:
        lines = lines[:3]
        lines[-1] += " …"
    return "<br>".join(html.escape(x) for x in lines)


def traffic_sankey(traffic, cluster, source: str | None = None, figure_class=go.Figure):
    """A Sankey of where ``traffic``'s requests landed (``figure_class=go.FigureWidget`` for a widget).

    >>> import kitlib
    >>> traffic_sankey(None, kitlib.Cluster(nodes=1)).data[0].type
    'sankey'
    """
    fig = figure_class(data=[go.Sankey(
        arrangement="snap", valueformat="d", valuesuffix=" requests",
        node=dict(pad=14, thickness=16, line=dict(color="#333", width=0.5), hovertemplate="%{customdata}<extra></extra>"),
        link=dict(hovertemplate="%{source.label} → %{target.label}: %{value}<extra></extra>"),
    )])
    fig.update_layout(template="plotly_white", height=380, margin=dict(l=10, r=10, t=64, b=10),
                      font=dict(size=11))
    update_traffic_sankey(fig, traffic, cluster, source)
    return fig


def update_traffic_sankey(fig, traffic, cluster, source: str | None = None) -> None:
    """Redraw ``fig`` (made by :func:`traffic_sankey`) for a new Traffic result."""
    f = sankey_flows(traffic, cluster, source)
    colours = [COLOURS[k] for k in f.kinds]
    link_colours = [_fade(VERMILLION if f.kinds[b] == "failed" else TRAFFIC_COLOUR) for _, b, _ in f.links]
    with fig.batch_update():
        s = fig.data[0]
        # plotly.js cannot lay out a Sankey without links (RangeError in the browser): hide it instead.
        s.visible = bool(f.links)
        s.node.label = f.labels
        s.node.color = colours
        s.node.customdata = f.hovers
        s.link.source = [a for a, _, _ in f.links]
        s.link.target = [b for _, b, _ in f.links]
        s.link.value = [v for _, _, v in f.links]
        s.link.color = link_colours
        fig.layout.title = dict(text=html.escape(f.title), x=0.01, xanchor="left", font=dict(size=14))
        headings = [dict(x=x, y=1.0, xref="paper", yref="paper", yanchor="bottom", showarrow=False,
                         xanchor="left" if x == 0 else ("right" if x == 1 else "center"),
                         text=f"<b>{text}</b>", font=dict(size=11, color="#555"))
                    for x, text in columns(f)]
        if not unchanged(fig, "annotations", headings):
            fig.layout.annotations = headings


def _fade(colour: str, alpha: float = 0.45) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"
