"""The answer of an exercise check."""

from __future__ import annotations

import html
from dataclasses import dataclass


@dataclass(frozen=True)
class Feedback:
    """``passed``, what was found, and a hint when it did not pass."""

    passed: bool
    message: str
    hint: str = ""

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        mark = "✔ Well done:" if self.passed else "✘ Not yet:"
        text = f"{mark} {self.message}"
        return text + (f"\n   Hint: {self.hint}" if self.hint and not self.passed else "")

    def _repr_html_(self) -> str:
        colour = "#009E73" if self.passed else "#D55E00"
        body = html.escape(str(self)).replace("\n", "<br>")
        return f"<div style='border-left:4px solid {colour};padding:4px 8px'>{body}</div>"

    def __repr__(self) -> str:
        return str(self)


def ok(message: str) -> Feedback:
    return Feedback(True, message)


def not_yet(message: str, hint: str) -> Feedback:
    return Feedback(False, message, hint)
