"""kubectl's table layout: Go's tabwriter with minwidth 6, padding 3, spaces."""

from __future__ import annotations


def render(headers: list[str], rows: list[list[str]]) -> str:
    """Columns padded to their widest cell plus 3 spaces (at least 6), the last one unpadded."""
    table = [headers, *rows]
    widths = [max(6, max(len(r[i]) for r in table) + 3) for i in range(len(headers))]
    lines = []
    for r in table:
        cells = [c.ljust(widths[i]) for i, c in enumerate(r[:-1])] + [r[-1]]
        lines.append("".join(cells))
    return "\n".join(lines)
