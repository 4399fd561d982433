"""Label selectors: the API's ``matchLabels``/``matchExpressions`` and kubectl's selector strings.

>>> sel = parse_selector("app=web,tier!=db")
>>> sel.matches({"app": "web", "tier": "front"})
True
>>> LabelSelector(match_expressions=[LabelSelectorRequirement("env", "In", ["a", "b"])]).matches({"env": "c"})
False
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import BadRequest, FieldError, unsupported
from .validation import label_value_errors, qualified_name_errors, validate_labels

OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"]


@dataclass
class LabelSelectorRequirement:
    """One ``matchExpressions`` entry: key, operator and values."""

    key: str = ""
    operator: str = ""
    values: list[str] = field(default_factory=list)

    def matches(self, labels: dict[str, str]) -> bool:
        if self.operator == "In":
            return labels.get(self.key) in self.values
        if self.operator == "NotIn":
            return self.key not in labels or labels[self.key] not in self.values
        if self.operator == "Exists":
            return self.key in labels
        if self.operator == "DoesNotExist":
            return self.key not in labels
        return False


@dataclass
class LabelSelector:
    """A label selector; it selects what every one of its terms selects (a logical AND)."""

    match_labels: dict[str, str] = field(default_factory=dict)
    match_expressions: list[LabelSelectorRequirement] = field(default_factory=list)

    def matches(self, labels: dict[str, str]) -> bool:
        """True when ``labels`` satisfy every term (an empty selector selects everything)."""
        for k, v in self.match_labels.items():
            if labels.get(k) != v:
                return False
        if not self.match_expressions:
            return True
        return all(r.matches(labels) for r in self.match_expressions)

    def is_empty(self) -> bool:
        return not self.match_labels and not self.match_expressions

    def __str__(self) -> str:
        """kubectl's rendering, e.g. ``app=web,env in (a,b)``."""
        parts = [f"{k}={v}" for k, v in sorted(self.match_labels.items())]
        for r in self.match_expressions:
            if r.operator == "In":
                parts.append(f"{r.key} in ({','.join(sorted(r.values))})")
            elif r.operator == "NotIn" and len(r.values) == 1:
                parts.append(f"{r.key}!={r.values[0]}")
            elif r.operator == "NotIn":
                parts.append(f"{r.key} notin ({','.join(sorted(r.values))})")
            elif r.operator == "Exists":
                parts.append(r.key)
            elif r.operator == "DoesNotExist":
                parts.append(f"!{r.key}")
        return ",".join(parts)


def validate_selector(sel: LabelSelector | None, path: str) -> list[FieldError]:
    """The API server's checks on a LabelSelector (``ValidateLabelSelector``): ``matchLabels`` as
    labels, then each expression's operator, key and values."""
    errs: list[FieldError] = []
    if sel is None:
        return errs
    errs += validate_labels(sel.match_labels, f"{path}.matchLabels")
    for i, r in enumerate(sel.match_expressions):
        p = f"{path}.matchExpressions[{i}]"
        if r.operator not in OPERATORS:
            errs.append(unsupported(f"{p}.operator", r.operator, OPERATORS))
        elif r.operator in ("In", "NotIn") and not r.values:
            errs.append(FieldError(f"{p}.values", "Required value",
                                   detail="must be specified when `operator` is 'In' or 'NotIn'"))
        elif r.operator in ("Exists", "DoesNotExist") and r.values:
            errs.append(FieldError(f"{p}.values", "Forbidden",
                                   detail="may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
        errs += [FieldError(f"{p}.key", "Invalid value", r.key, msg) for msg in qualified_name_errors(r.key)]
        for j, v in enumerate(r.values):
            errs += [FieldError(f"{p}.values[{j}]", "Invalid value", v, msg) for msg in label_value_errors(v)]
    return errs


_TERM = re.compile(
    r"""\s*(?:
        (?P<not>!)\s*(?P<nkey>[^\s,=!()]+)                                   # !key
      | (?P<skey>[^\s,=!()]+)\s+(?P<op>in|notin)\s*\((?P<vals>[^)]*)\)       # key in (a,b)
      | (?P<ekey>[^\s,=!()]+)\s*(?P<eq>==|=|!=)\s*(?P<val>[^\s,=!()]*)       # key=value
      | (?P<xkey>[^\s,=!()]+)                                                # key
    )\s*(?:,|$)""",
    re.VERBOSE,
)


def parse_selector(text: str) -> LabelSelector:
    """Parse a kubectl selector string (``-l``): ``a=b``, ``a!=b``, ``a in (x,y)``, ``!a``, ``a``.

    Raises :class:`kitlib.BadRequest` with kubectl's wording for a malformed selector.
    """
    sel = LabelSelector()
    pos, text = 0, text.strip()
    while pos < len(text):
        m = _TERM.match(text, pos)
        if not m or m.end() == pos:
            raise BadRequest(f"error: unable to parse requirement: found '{text[pos:]}', expected: identifier")
        pos = m.end()
        if m["not"]:
            sel.match_expressions.append(LabelSelectorRequirement(m["nkey"], "DoesNotExist"))
        elif m["op"]:
            values = [v.strip() for v in m["vals"].split(",") if v.strip()]
            op = "In" if m["op"] == "in" else "NotIn"
            sel.match_expressions.append(LabelSelectorRequirement(m["skey"], op, values))
        elif m["eq"]:
            if m["eq"] == "!=":
                sel.match_expressions.append(LabelSelectorRequirement(m["ekey"], "NotIn", [m["val"]]))
            elif m["ekey"] in sel.match_labels and sel.match_labels[m["ekey"]] != m["val"]:
                sel.match_expressions.append(LabelSelectorRequirement(m["ekey"], "In", [m["val"]]))
            else:
                sel.match_labels[m["ekey"]] = m["val"]
        else:
            sel.match_expressions.append(LabelSelectorRequirement(m["xkey"], "Exists"))
    return sel


def selector_from_map(labels: dict[str, str]) -> LabelSelector:
    """The selector a Service or ``kubectl create deployment`` uses: equality on every label."""
    return LabelSelector(match_labels=dict(labels))
