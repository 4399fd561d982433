"""What the graph figures' ``update_*`` share: the text traces of a graph, the title, and a memo of
what the last redraw wrote, so that an unchanged value is not validated and compared again."""

from __future__ import annotations

from typing import Any

_MISSING = object()


def unchanged(fig, key: str, value: Any) -> bool:
    """True when ``value`` equals what the figure's redraw last wrote under ``key``; otherwise
    remember ``value`` and return False (the caller then writes it).

    plotly validates a value in full before it finds it equal to the current one: a dozen
    annotations or shapes cost 2-3 ms per redraw, for values that rarely change between clicks.
    Only values a learner cannot change in the browser go through here (not axis ranges, which
    zoom changes, nor ``visible``, which a legend click changes).

    >>> import plotly.graph_objects as go
    >>> fig = go.Figure()
    >>> unchanged(fig, "layout.shapes", []), unchanged(fig, "layout.shapes", []), unchanged(fig, "layout.shapes", [{}])
    (False, True, False)
    """
    memo = fig.__dict__.setdefault("_kitlib_drawn", {})
    if memo.get(key, _MISSING) == value:
        return True
    memo[key] = value
    return False


def forget(fig, key: str) -> None:
    """Drop what the last redraw wrote under ``key`` (the property was cleared another way), so
    that the next :func:`unchanged` writes it again."""
    fig.__dict__.get("_kitlib_drawn", {}).pop(key, None)


def write_vertices(trace, columns: dict[str, list], fig=None) -> None:
    """Set a graph trace's points; a trace that shows text gets its labels, hover texts and ids too.
    With ``fig``, columns equal to what the last redraw wrote are skipped (see :func:`unchanged`)."""
    shows_text = "text" in (trace.mode or "")
    values: dict[str, list | None] = {"x": columns["x"], "y": columns["y"]}
    if shows_text:
        values.update(text=columns["text"], hovertext=columns["hover"], customdata=columns["custom"] or None)
    for prop, value in values.items():
        if fig is None or not unchanged(fig, f"{trace.name}.{prop}", value):
            trace[prop] = value


def titled(title: str, subtitle: str) -> dict[str, Any]:
    """A graph's title at the top left, with a smaller subtitle under it."""
    return dict(text=title, x=0.01, xanchor="left", y=0.99, yanchor="top", yref="container", font=dict(size=14),
                subtitle=dict(text=subtitle, font=dict(size=12, color="#444")))
