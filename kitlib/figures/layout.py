"""Where things sit on the cluster map, derived from the topology graph.

Nodes are boxes on a grid; a node's pods fill the top of its box and its network devices
(cni0, the routing table, flannel.1, eth0) sit at the bottom; the node network runs under
all boxes, and the outside world is at its left end.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

NODE_W, POD_COLS, POD_ROW_H = 12.0, 3, 2.0


@dataclass(frozen=True)
class Box:
    name: str
    x0: float
    y0: float
    x1: float
    y1: float


def pod_columns(pods_per_node: int) -> int:
    """Columns of pods in a node's box: three up to four rows of them (workshop scale), then more
    (at most nine), so a box of 30 pods is not ten rows tall and flat markers."""
    return POD_COLS if pods_per_node <= 4 * POD_COLS else min(9, math.ceil(pods_per_node / 4))


def node_boxes(node_names: list[str], pods_per_node: int) -> tuple[dict[str, Box], float]:
    """A box per node on a grid; returns the boxes and the y of the node network under them."""
    cols = min(len(node_names), 5 if len(node_names) <= 10 else 10)
    pod_rows = max(2, math.ceil(pods_per_node / pod_columns(pods_per_node)))
    height = pod_rows * POD_ROW_H + 4.0
    boxes = {}
    for i, name in enumerate(node_names):
        r, c = divmod(i, cols)
        x0 = c * (NODE_W + 2)
        y1 = -r * (height + 4)
        boxes[name] = Box(name, x0, y1 - height, x0 + NODE_W, y1)
    bottom = min(b.y0 for b in boxes.values()) - 2.0
    return boxes, bottom


def positions(graph, boxes: dict[str, Box], lan_y: float, pods_by_node: dict[str, list[str]],
              veths: Iterable[str] | None = None) -> dict[str, tuple[float, float]]:
    """(x, y) of every vertex of the topology graph; of the veths only those in ``veths`` if given
    (the map draws a veth only on a connection's path: 3,000 pods have 6,000 veth ends)."""
    pos: dict[str, tuple[float, float]] = {}
    cols = pod_columns(max((len(v) for v in pods_by_node.values()), default=0))
    for node, box in boxes.items():
        mid = (box.x0 + box.x1) / 2
        pos[f"cni0:{node}"] = (mid - 2.5, box.y0 + 2.6)
        pos[f"kernel:{node}"] = (mid, box.y0 + 1.6)
        pos[f"flannel.1:{node}"] = (mid + 3.0, box.y0 + 1.6)
        pos[f"tunl0:{node}"] = (mid + 3.0, box.y0 + 1.6)  # Calico's tunnel, where flannel.1 would be
        pos[f"eth0:{node}"] = (mid, box.y0 + 0.5)
        for i, key in enumerate(pods_by_node.get(node, [])):
            r, c = divmod(i, cols)
            x = box.x0 + 2.0 + c * (NODE_W - 4.0) / (cols - 1)
            y = box.y1 - 1.0 - r * POD_ROW_H
            pos[f"pod:{key}"] = (x, y)
    xs = [b.x0 for b in boxes.values()] + [b.x1 for b in boxes.values()]
    pos["lan"] = ((min(xs) + max(xs)) / 2, lan_y)
    pos["external"] = (min(xs) - 3, lan_y)
    vertices = graph.nodes(data=True) if veths is None else ((v, graph.nodes[v]) for v in veths if v in graph)
    for v, data in vertices:
        if data.get("kind") == "veth":
            pod = next((u for u in graph.neighbors(v) if u.startswith("pod:")), None)
            if pod in pos:
                px, py = pos[pod]
                cx, cy = pos[f"cni0:{data['node']}" if f"cni0:{data['node']}" in graph else f"kernel:{data['node']}"]
                pos[v] = (px + (cx - px) * 0.35, py + (cy - py) * 0.35)
    return pos
