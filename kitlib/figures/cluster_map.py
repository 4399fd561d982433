"""The cluster map: nodes as boxes, pods inside them coloured by phase, the overlay between
nodes, and optionally the path a connection took.

``cluster_map(cluster)`` returns a ``go.Figure`` (for headless runs and static output);
``update_cluster_map(fig, cluster)`` redraws a ``go.FigureWidget`` in place in one
``batch_update`` with a fixed set of traces, so a widget updates with one message.

The map stays cheap to draw in a browser at 100 nodes and 3,000 pods (plotly draws every point as
an SVG element, and redraws them all on every update):

* pod labels (name suffix and IP) are drawn up to ``LABEL_PODS`` pods; above, the pod traces are in
  ``markers`` mode, so no text element is made per point, and the labels are on hover only;
* markers shrink to the room between neighbouring pods (16 px at workshop scale), without an
  outline when small;
* the device labels (cni0, flannel.1, eth0) and a node's addresses are drawn while the boxes are
  wide enough for them (up to ``DEVICE_LABEL_NODES`` nodes, five boxes a row); with more nodes a
  node's label is its name and state, its addresses on hover;
* a big node's pods are laid out in more columns (``layout.pod_columns``).

``Scattergl`` would draw thousands of points on a canvas, but where there is no GPU (headless
Chromium, many course VMs) WebGL runs in SwiftShader, on the CPU, and the map redraws slower
there than in SVG (measured: 275-560 ms against 200 ms at 3,000 pods), so the traces stay SVG.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from ..api.node import internal_ip, node_ready
from ..api.pod import Pod
from ..kubectl.pods import pod_status
from .layout import NODE_W, POD_ROW_H, node_boxes, pod_columns, positions
from .redraw import forget, unchanged

# Okabe-Ito: distinguishable with the common colour-vision deficiencies; shapes differ too.
PHASES: list[tuple[str, str, str]] = [
    ("Running", "#009E73", "circle"),
    ("ContainerCreating", "#56B4E9", "diamond"),
    ("Pending", "#E69F00", "square"),
    ("Terminating", "#D55E00", "x"),
    ("Unknown", "#999999", "triangle-up"),
]
PATH_COLOUR = "#CC79A7"
# A failed connection's path: Okabe-Ito vermillion and dashed, so that it differs from an answered
# one in shape as well as colour (colour is never the only signal).
FAILED_COLOUR = "#D55E00"
PATH_NAMES = {True: "connection path", False: "failed connection path"}
TRACES = ["node network", "overlay (VXLAN)", *[p[0] for p in PHASES], "labels", "path"]
LABEL_PODS = 40  # pods labelled on the map up to this many; above, on hover only
DEVICE_LABEL_NODES = 10  # up to this many nodes the grid has five boxes a row, room for device labels
MARKER_PX = 16  # a pod's marker at workshop scale
MARGIN_T, MARGIN_B = 80, 10
PLOT_W = 1000  # px: about the width of a notebook's output (plotly fits the figure to it)


def _phase_group(status: str) -> str:
    if status in ("Running", "ContainerCreating", "Pending", "Terminating"):
        return status
    return "Unknown"


def map_data(cluster, highlight=None, namespace: str | None = None,
             memo: dict[str, tuple] | None = None) -> dict[str, Any]:
    """Everything the map draws, as plain data: traces by name and the node-box shapes.

    ``memo`` (a dict kept between redraws of one figure, emptied and refilled here) holds each
    pod's phase group, hover text and label by its key, uid and resourceVersion: every write to
    a stored pod gives it a new resourceVersion (``store.put``/``touch``), and what is drawn of a
    pod depends on the pod alone, so an unchanged pod's kubectl STATUS and texts are not worked
    out again (at 3,000 pods that was a third of the map's kernel time)."""
    # A view reads the API server's store as an informer does, without copying, and writes nothing.
    nodes = cluster.api.nodes()
    # The map is of the pod network: a host-network pod (kube-proxy, flannel, the control plane's
    # static pods) is its node's own stack, with no veth or pod IP to draw.
    pods = [(p, p.key) for p in cluster.api.list_as(Pod, namespace) if not p.spec.host_network]
    by_node: dict[str, list[str]] = {n.name: [] for n in nodes}
    for p, key in pods:
        if p.spec.node_name in by_node:
            by_node[p.spec.node_name].append(key)
    busiest = max((len(v) for v in by_node.values()), default=0)
    boxes, lan_y = node_boxes([n.name for n in nodes], busiest)
    on_path = [] if highlight is None else [h.vertex for h in highlight.hops]
    pos = positions(cluster.topology.graph, boxes, lan_y, by_node, veths=on_path)
    show_text = len(pods) <= LABEL_PODS

    traces: dict[str, dict[str, list]] = {name: {"x": [], "y": [], "text": [], "hovertext": []} for name in TRACES}
    lan = traces["node network"]
    for n in nodes:
        b = boxes[n.name]
        ex, ey = pos[f"eth0:{n.name}"]
        lan["x"] += [ex, ex, None]
        lan["y"] += [b.y0, lan_y, None]
    xs = [b.x0 for b in boxes.values()] + [b.x1 for b in boxes.values()]
    lan["x"] += [min(xs) - 3, max(xs), None]
    lan["y"] += [lan_y, lan_y, None]
    overlay = traces["overlay (VXLAN)"]
    tunnel = "tunl0" if cluster.cni == "calico" else "flannel.1"  # Calico's IP-in-IP tunnel
    if len(nodes) <= 8:
        names = [n.name for n in nodes]
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                (x0, y0), (x1, y1) = pos[f"{tunnel}:{a}"], pos[f"{tunnel}:{b}"]
                overlay["x"] += [x0, x1, None]
                overlay["y"] += [y0, y1, None]

    last = {} if memo is None else dict(memo)
    if memo is not None:
        memo.clear()
    for p, key in pods:
        v = f"pod:{key}"
        if v not in pos:
            continue
        version = (p.metadata.uid, p.metadata.resource_version)
        drawn = last.get(key)
        if drawn is None or drawn[0] != version:
            status = pod_status(cluster, p)
            short = p.name.rsplit("-", 1)[-1] if p.metadata.owner_references else p.name
            drawn = (version, _phase_group(status), f"{short}<br>{p.status.pod_ip or 'no IP yet'}",
                     f"{key}<br>IP {p.status.pod_ip or '-'}<br>{status} on {p.spec.node_name}")
        if memo is not None:
            memo[key] = drawn
        t = traces[drawn[1]]
        x, y = pos[v]
        t["x"].append(x)
        t["y"].append(y)
        if show_text:
            t["text"].append(drawn[2])
        t["hovertext"].append(drawn[3])

    labels = traces["labels"]
    for n in nodes:
        b = boxes[n.name]
        state = "Ready" if node_ready(n) and cluster.node_runtime(n.name).up else (
            "down" if not cluster.node_runtime(n.name).up else "NotReady")
        if n.spec.unschedulable:
            state += ", cordoned"
        labels["x"].append((b.x0 + b.x1) / 2)
        labels["y"].append(b.y1 + 1.1)
        pool = cluster.runtime.calico  # Calico ignores the podCIDR: its blocks hold the pods
        cidrs = ", ".join(b.cidr for b in pool.blocks.values() if b.node == n.name) if pool else n.spec.pod_cidr
        if len(nodes) > DEVICE_LABEL_NODES:
            # Ten boxes a row leave room for the name and state only: the addresses go on hover.
            labels["text"].append(f"<b>{n.name}</b> · {state}")
            labels["hovertext"].append(f"{n.name} · {state}<br>{internal_ip(n)} · pods {cidrs}")
            continue
        labels["text"].append(f"<b>{n.name}</b> · {state}<br>{internal_ip(n)} · pods {cidrs}")
        labels["hovertext"].append(n.name)
        devices = (((f"tunl0:{n.name}", "tunl0"),) if cluster.cni == "calico" else
                   ((f"cni0:{n.name}", "cni0"), (f"flannel.1:{n.name}", "flannel.1")))
        for dev, text in (*devices, (f"eth0:{n.name}", "eth0")):
            x, y = pos[dev]
            labels["x"].append(x)
            labels["y"].append(y)
            labels["text"].append(f"<i>{text}</i>")
            labels["hovertext"].append(f"{text} on {n.name}")
    labels["x"].append(pos["external"][0])
    labels["y"].append(lan_y - 0.8)
    labels["text"].append("outside")
    labels["hovertext"].append("a client outside the cluster")

    path = traces["path"]
    if highlight is not None:
        hops = [h for h in highlight.hops if h.vertex in pos]
        for i, hop in enumerate(hops):
            text = f"{hop.where}: {hop.device}<br>{hop.src} → {hop.dst}<br>{hop.note}"
            points = [pos[hop.vertex]]
            if hop.vertex == "lan" and 0 < i < len(hops) - 1:
                # Along the node network: drop to the bus under the sender, run to the receiver.
                points = [(pos[hops[i - 1].vertex][0], lan_y), (pos[hops[i + 1].vertex][0], lan_y)]
            for x, y in points:
                path["x"].append(x)
                path["y"].append(y)
                path["hovertext"].append(text)
                path["text"].append("")

    shapes = []
    for n in nodes:
        b = boxes[n.name]
        up = cluster.node_runtime(n.name).up
        shapes.append(dict(type="rect", x0=b.x0, y0=b.y0, x1=b.x1, y1=b.y1, layer="below",
                           line=dict(color="#444" if up else "#D55E00", width=2, dash="solid" if up else "dot"),
                           fillcolor="#F4F4F4" if up else "#FBE9E1"))
    x_range = [min(xs) - 5, max(xs) + 1]
    y_range = [lan_y - 1.6, max(b.y1 for b in boxes.values()) + 2.2]
    span = y_range[1] - y_range[0]
    height = min(900, 260 + 200 * max(1, round(span / 14)))
    # Two rows of pods are POD_ROW_H apart, two columns NODE_W - 4 over the columns less one (on
    # a plot about PLOT_W wide): a marker as big as the smaller gap (in pixels) does not cover its
    # neighbours; never bigger than at workshop scale, never too small to see.
    row_px = POD_ROW_H * (height - MARGIN_T - MARGIN_B) / span
    col_px = (NODE_W - 4.0) / (pod_columns(busiest) - 1) * PLOT_W / (x_range[1] - x_range[0])
    marker = max(4, min(MARKER_PX, int(min(row_px, col_px) * 0.9)))
    return {"traces": traces, "shapes": shapes, "x_range": x_range, "y_range": y_range, "height": height,
            "show_text": show_text, "marker_size": marker, "ok": None if highlight is None else highlight.ok}


def _trace(name: str) -> go.Scatter:
    if name == "node network":
        return go.Scatter(name=name, mode="lines", line=dict(color="#666", width=3), hoverinfo="skip")
    if name == "overlay (VXLAN)":
        return go.Scatter(name=name, mode="lines", line=dict(color="#0072B2", width=1, dash="dash"), hoverinfo="skip")
    if name == "labels":
        return go.Scatter(name=name, mode="text", textfont=dict(size=11), showlegend=False, hoverinfo="text")
    if name == "path":
        return go.Scatter(name="connection path", mode="lines+markers", hoverinfo="text",
                          line=dict(color=PATH_COLOUR, width=4), marker=dict(size=7, color=PATH_COLOUR))
    colour, symbol = next((c, s) for n, c, s in PHASES if n == name)
    return go.Scatter(name=name, mode="markers+text", textposition="bottom center", textfont=dict(size=8),
                      hoverinfo="text", marker=dict(size=MARKER_PX, color=colour, symbol=symbol,
                                                    line=dict(color="#222", width=1)))


def cluster_map(cluster, highlight=None, namespace: str | None = None, figure_class=go.Figure):
    """The cluster map as a new figure (``figure_class=go.FigureWidget`` for a widget).

    >>> import kitlib
    >>> fig = cluster_map(kitlib.Cluster(nodes=2))
    >>> [t.name for t in fig.data][:2]
    ['node network', 'overlay (VXLAN)']
    """
    fig = figure_class(data=[_trace(name) for name in TRACES])
    fig.update_layout(
        template="plotly_white", height=420, margin=dict(l=10, r=10, t=MARGIN_T, b=MARGIN_B),
        xaxis=dict(visible=False), yaxis=dict(visible=False, scaleanchor=None),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0), hovermode="closest",
    )
    update_cluster_map(fig, cluster, highlight, namespace)
    return fig


def update_cluster_map(fig, cluster, highlight=None, namespace: str | None = None) -> None:
    """Redraw ``fig`` (a Figure or FigureWidget made by :func:`cluster_map`) from cluster state.

    Only what changed reaches the browser: plotly sends a property only when its new value differs,
    and a pod trace's mode, text and marker are written only when they change.
    """
    data = map_data(cluster, highlight, namespace, memo=fig.__dict__.setdefault("_kitlib_pods", {}))
    phases = {p[0] for p in PHASES}
    # Arrays equal to what the last redraw wrote are skipped before plotly validates them (the
    # browser never changes points or shapes, so the memo stays true; zoom ranges are not kept).
    def write(obj, key: str, prop: str, value) -> None:
        if not unchanged(fig, key, value):
            setattr(obj, prop, value)

    with fig.batch_update():
        for trace in fig.data:
            name = _name(trace)
            d = data["traces"][name]
            write(trace, name + ".x", "x", d["x"])
            write(trace, name + ".y", "y", d["y"])
            if name in phases:
                _style_pods(trace, data["show_text"], data["marker_size"])
            if name in phases and not data["show_text"]:
                if trace.text is not None:
                    trace.text = None  # markers mode draws no text: nothing to send per point
                    forget(fig, name + ".text")
            elif name in phases or name == "labels":
                write(trace, name + ".text", "text", d["text"])
            write(trace, name + ".hovertext", "hovertext", d["hovertext"] or None)
            if name == "path":
                _style_path(trace, data["ok"])
        write(fig.layout, "shapes", "shapes", data["shapes"])
        fig.layout.xaxis.range = data["x_range"]
        fig.layout.yaxis.range = data["y_range"]
        fig.layout.height = data["height"]
        labels = next(t for t in fig.data if t.name == "labels")
        size = 11 if len(data["shapes"]) <= DEVICE_LABEL_NODES else 9  # ten boxes a row: smaller
        if labels.textfont.size != size:
            labels.textfont.size = size
        title = "Cluster map"
        if data["ok"] is not None:
            title += " · last connection: " + ("answered" if data["ok"] else "failed")
        fig.layout.title = dict(text=title, x=0.01, y=0.98, yanchor="top", font=dict(size=14))


def _style_pods(trace, show_text: bool, size: int) -> None:
    """A pod trace's mode (text only while pods are labelled) and marker size."""
    mode = "markers+text" if show_text else "markers"
    if trace.mode != mode:
        trace.mode = mode
    if trace.marker.size != size:
        trace.marker.size = size
        trace.marker.line.width = 1 if size >= 10 else 0  # an outline would fill a small marker


def _name(trace) -> str:
    return "path" if trace.name in PATH_NAMES.values() else trace.name


def _style_path(trace, ok: bool | None) -> None:
    """The path in the answered style, or vermillion and dashed (and named so) when it failed."""
    failed = ok is False
    name, colour, dash = PATH_NAMES[not failed], FAILED_COLOUR if failed else PATH_COLOUR, "dash" if failed else "solid"
    if trace.name != name:
        trace.name = name
    if trace.line.color != colour or trace.line.dash != dash:
        trace.line.update(color=colour, dash=dash)
        trace.marker.color = colour


_PHASE_NAMES = {p[0] for p in PHASES}


def map_text(fig, cluster, namespace: str = "default", conn=None) -> str:
    """The cluster map's text alternative, one sentence counted from the figure's own traces: nodes
    (and which are down), the namespace's pods by phase, the connection drawn and how its path is
    drawn. The deployment lab shows it under its map; a lesson prints it beside a static map.

    >>> import kitlib
    >>> c = kitlib.Cluster(nodes=2, seed=0)
    >>> map_text(cluster_map(c), c)
    'Cluster map: 2 nodes; pods in default: none.'
    """
    nodes = cluster.api.nodes()
    down = [n.name for n in nodes if not cluster.node_runtime(n.name).up]
    counts = []
    for trace in fig.data:
        if trace.name in _PHASE_NAMES:
            n = sum(1 for h in trace.hovertext or () if str(h).startswith(f"{namespace}/"))
            if n:
                counts.append(f"{n} {trace.name}")
    text = (f"Cluster map: {len(nodes)} node{'s' if len(nodes) != 1 else ''}"
            + (f" ({', '.join(down)} down, drawn dotted)" if down else "")
            + f"; pods in {namespace}: " + (", ".join(counts) if counts else "none"))
    if conn is not None:
        text += ("; last connection answered (path drawn solid)" if conn.ok else
                 "; last connection failed (path drawn dashed)") + f": {conn.src_ip} → {conn.dst_ip}:{conn.port}"
    return text + "."
