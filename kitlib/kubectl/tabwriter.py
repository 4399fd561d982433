"""Go's ``text/tabwriter``, once, and the presets for the layouts kubectl prints.

A line is a list of cells; every cell but the last is padded. A column is aligned over a
*block*: the consecutive lines that have a padded cell in that column (a line with fewer cells
ends the block, and the next block is sized on its own). Each padded cell is as wide as the
widest cell of its block plus ``padding``, and at least ``minwidth``.

>>> print(TABLE.format("NAME\\tAGE\\nweb\\t5s"))
NAME   AGE
web    5s
>>> print(DESCRIBE.format("Name:\\tweb\\nIP Families:\\tIPv4"))
Name:         web
IP Families:  IPv4
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class TabWriter:
    """One setting of Go's ``tabwriter.NewWriter(out, minwidth, tabwidth, padding, ' ', 0)``."""

    minwidth: int
    padding: int
    trim_empty_last: bool = False
    """Leave no padding before an empty last cell (``Container ID:`` with no ID ends there)."""

    def format(self, text: str) -> str:
        """Align tab-terminated cells, as Go's writer does with the text written to it."""
        return "\n".join(self.lines([line.split("\t") for line in text.split("\n")]))

    def lines(self, rows: Sequence[Sequence[str]]) -> list[str]:
        """The aligned lines of rows already split into cells."""
        widths: list[list[int]] = [[] for _ in rows]
        self._block(rows, widths, 0, len(rows), [])
        out = []
        for cells, ws in zip(rows, widths, strict=True):
            last = len(cells) - 1
            line = "".join(c.ljust(ws[j]) if j < len(ws) else c for j, c in enumerate(cells))
            out.append(line.rstrip(" ") if self.trim_empty_last and last > 0 and cells[last] == "" else line)
        return out

    def _block(self, rows: Sequence[Sequence[str]], widths: list[list[int]], first: int, last: int,
               current: list[int]) -> None:
        """Go's ``format``: size ``column`` over each block of lines in ``first:last``, then recurse."""
        column = len(current)
        i = first
        while i < last:
            if column >= len(rows[i]) - 1:
                widths[i] = current
                i += 1
                continue
            end, width = i, self.minwidth
            while end < last and column < len(rows[end]) - 1:
                width = max(width, len(rows[end][column]) + self.padding)
                end += 1
            self._block(rows, widths, i, end, current + [width])
            i = end


TABLE = TabWriter(minwidth=6, padding=3)
"""``kubectl get``'s tables (``printers.GetNewTabWriter``), and the tables inside the pod, node and
deployment describers."""
DESCRIBE = TabWriter(minwidth=0, padding=2)
"""kubectl describe's prefix writer (``tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)``), also
``rollout history``'s table."""
FIELDS = TabWriter(minwidth=0, padding=1, trim_empty_last=True)
"""The ``Label:  value`` groups of kitlib's pod, node and deployment describers: each group is
aligned on its own, one space after the widest label's colon."""
