"""What the graph figures' ``update_*`` share: the text traces of a graph and the title."""

from __future__ import annotations

from typing import Any


def write_vertices(trace, columns: dict[str, list]) -> None:
    """Set a graph trace's points; a trace that shows text gets its labels, hover texts and ids too."""
    trace.x, trace.y = columns["x"], columns["y"]
    if "text" in (trace.mode or ""):
        trace.text = columns["text"]
        trace.hovertext = columns["hover"]
        trace.customdata = columns["custom"] or None


def titled(title: str, subtitle: str) -> dict[str, Any]:
    """A graph's title at the top left, with a smaller subtitle under it."""
    return dict(text=title, x=0.01, xanchor="left", y=0.99, yanchor="top", yref="container", font=dict(size=14),
                subtitle=dict(text=subtitle, font=dict(size=12, color="#444")))
