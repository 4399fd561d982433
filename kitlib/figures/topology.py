"""Which endpoints each node's kube-proxy uses for a Service: a grid of nodes (rows, with their
zone and how topology narrowed their choice) by endpoints (columns, with the pod's node and the
zones it is hinted for), a filled cell where the node sends the Service's traffic.

``endpoint_choice(cluster, service)`` gives the grid as plain data, read from
:meth:`kitlib.Cluster.proxy_endpoints`; ``topology_view(cluster, service)`` draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import plotly.graph_objects as go

from .service_graph import GREEN, short_name


@dataclass
class Choice:
    """The grid as plain data: ``used[i][j]`` is whether node ``rows[i]`` sends to endpoint ``columns[j]``."""

    rows: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    used: list[list[bool]] = field(default_factory=list)
    row_labels: list[str] = field(default_factory=list)
    column_labels: list[str] = field(default_factory=list)


def endpoint_choice(cluster, service: str, namespace: str = "default", port: int | str | None = None) -> Choice:
    """Each node against each endpoint of ``service`` (for traffic under a ``Cluster`` policy)."""
    by_node = cluster.proxy_endpoints(service, namespace, port)
    endpoints = {e.address: e for rules in by_node.values() for e in rules.cluster}
    columns = sorted(endpoints, key=lambda a: (endpoints[a].node or "", a))
    choice = Choice(rows=list(by_node), columns=columns)
    for node, rules in by_node.items():
        used = {e.address for e in rules.cluster}
        choice.used.append([a in used for a in columns])
        how = rules.topology or "every endpoint"
        choice.row_labels.append(f"{node} ({rules.zone or 'no zone'}): {how}")
    for a in columns:
        e = endpoints[a]
        hinted = ", ".join(sorted(e.zone_hints | e.node_hints)) or "no hints"
        choice.column_labels.append(f"{short_name(e.key)}<br>on {e.node or '?'}<br>for {hinted}")
    return choice


def topology_view(cluster, service: str, namespace: str = "default", port: int | str | None = None) -> go.Figure:
    """Draw :func:`endpoint_choice` as a heatmap: green where a node's kube-proxy uses the endpoint."""
    c = endpoint_choice(cluster, service, namespace, port)
    z = [[1 if u else 0 for u in row] for row in c.used]
    text = [["uses" if u else "" for u in row] for row in c.used]
    fig = go.Figure(go.Heatmap(z=z, x=c.column_labels, y=c.row_labels, text=text, texttemplate="%{text}",
                               zmin=0, zmax=1, showscale=False, xgap=3, ygap=3,
                               colorscale=[[0, "#EEEEEE"], [1, GREEN]], hoverinfo="skip"))
    fig.update_layout(title=f"Which endpoints of {namespace}/{service} each node's kube-proxy uses",
                      height=140 + 60 * len(c.rows), margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      yaxis={"autorange": "reversed"}, plot_bgcolor="white")
    return fig
