r"""kubectl's JSONPath dialect (``k8s.io/client-go/util/jsonpath``, ``parser.go`` and ``jsonpath.go``),
and the Go formatting its output goes through.

A template is text with actions in braces: ``{.items[*].metadata.name}``; ``{range .items[*]}...{end}``
loops; ``{"\n"}`` is a quoted string (Go's escapes); ``[?(@.type=="Ready")]`` filters a list
(``==  !=  <  >  <=  >=``, or bare ``[?(@.x)]``: the items that have ``x``); ``..name`` searches
every level; ``[0]``, ``[-1]``, ``[1:3]``, ``[::2]`` index and slice; ``[0,2]`` and
``['a','b']`` are unions; ``.*`` is every value.

The results of one action are printed space-separated: a map or list as compact JSON (Go's
``json.Marshal``: keys sorted, ``<>&`` escaped), anything else as Go's ``fmt.Fprint`` prints it.
Go iterates a map in random order; here ``.*`` and ``..`` walk a map's keys in sorted order.

Values are the object as JSON decodes it: ``dict``, ``list``, ``str``, ``bool``, ``None``, ``int``
(Go's ``int64``, as kubectl's unstructured objects hold integers) and ``float`` (``float64``).

>>> run('{.items[*].metadata.name}', {"items": [{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}]})
'a b'
>>> run('{range .items[*]}{.metadata.name}{"\\t"}{.n}{"\\n"}{end}', {"items": [{"metadata": {"name": "a"}, "n": 1}]})
'a\t1\n'
>>> run('{.c[?(@.type=="Ready")].status}', {"c": [{"type": "Ready", "status": "True"}]})
'True'
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..errors import go_quote


class JSONPathError(Exception):
    """A template the parser refuses, or an error while executing one (the text is Go's)."""


class _Invalid:
    """Go's invalid ``reflect.Value`` (what a range over nothing walks its body with)."""


INVALID = _Invalid()

# ---- the parse tree (node.go) -------------------------------------------------------------------


@dataclass
class ListNode:
    nodes: list[Any] = field(default_factory=list)


@dataclass
class TextNode:
    text: str


@dataclass
class FieldNode:
    value: str


@dataclass
class IdentifierNode:
    name: str


@dataclass
class Param:
    value: int = 0
    known: bool = False
    derived: bool = False


@dataclass
class ArrayNode:
    params: tuple[Param, Param, Param]


@dataclass
class FilterNode:
    left: ListNode
    right: ListNode
    operator: str


@dataclass
class IntNode:
    value: int


@dataclass
class FloatNode:
    value: float


@dataclass
class BoolNode:
    value: bool


@dataclass
class WildcardNode:
    pass


@dataclass
class RecursiveNode:
    pass


@dataclass
class UnionNode:
    nodes: list[ListNode]


# ---- the parser (parser.go) ---------------------------------------------------------------------

_DICT_KEY = re.compile(r"^'([^']*)'$")
_SLICE = re.compile(r"^(-?[\d]*)(:-?[\d]*)?(:-?[\d]*)?$")
_FILTER = re.compile(r"^([^!<>=]+)([!<>=]+)(.+?)$", re.DOTALL)
_EOF = ""


def _terminator(r: str) -> bool:
    return r in (" ", "\t", "\r", "\n", _EOF, ".", ",", "[", "]", "$", "@", "{", "}")


def _alphanumeric(r: str) -> bool:
    return r == "_" or r.isalpha() or r.isdigit()


class Parser:
    """client-go's ``Parser``: ``parse(text)`` builds ``root``, or raises the parser's error."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.root = ListNode()
        self.input = ""
        self.pos = 0
        self.start = 0
        self.width = 0

    def parse(self, text: str) -> None:
        self.input = text
        self.root = ListNode()
        self.pos = 0
        self._text(self.root)

    def _consume(self) -> str:
        value = self.input[self.start:self.pos]
        self.start = self.pos
        return value

    def _next(self) -> str:
        if self.pos >= len(self.input):
            self.width = 0
            return _EOF
        self.width = 1
        self.pos += 1
        return self.input[self.pos - 1]

    def _peek(self) -> str:
        r = self._next()
        self.pos -= self.width
        return r

    def _backup(self) -> None:
        self.pos -= self.width

    def _text(self, cur: ListNode) -> None:
        # Iterative where Go recurses (parseText → parseLeftDelim → ... → parseRightDelim →
        # parseText), so that a long template does not exhaust Python's stack.
        while True:
            while True:
                if self.input.startswith("{", self.pos):
                    if self.pos > self.start:
                        cur.nodes.append(TextNode(self._consume()))
                    break
                if self._next() == _EOF:
                    if self.pos > self.start:
                        cur.nodes.append(TextNode(self._consume()))
                    return
            self.pos += 1
            self._consume()
            action = ListNode()
            cur.nodes.append(action)
            self._inside(action)
            cur = self.root

    def _inside(self, cur: ListNode) -> None:
        """parseInsideAction, up to and including the closing ``}``."""
        while True:
            rest = self.input[self.pos:]
            if rest.startswith("}"):
                self.pos += 1
                self._consume()
                return
            if rest.startswith("[?("):
                self._filter(cur)
                continue
            if rest.startswith(".."):
                if cur.nodes and isinstance(cur.nodes[-1], RecursiveNode):
                    raise JSONPathError("invalid multiple recursive descent")
                self.pos += 2
                self._consume()
                cur.nodes.append(RecursiveNode())
                if _alphanumeric(self._peek() or "-"):
                    self._field(cur)
                continue
            r = self._next()
            if r == _EOF or r in "\r\n":
                raise JSONPathError("unclosed action")
            if r == " " or r in "@$":
                self._consume()
            elif r == "[":
                self._array(cur)
            elif r in "\"'":
                self._quote(cur, r)
            elif r == ".":
                self._field(cur)
            elif r in "+-" or r.isdigit():
                self._backup()
                self._number(cur)
            elif _alphanumeric(r):
                self._backup()
                self._identifier(cur)
            else:
                raise JSONPathError(f"unrecognized character in action: {_go_rune(r)}")

    def _identifier(self, cur: ListNode) -> None:
        while True:
            if _terminator(self._next()):
                self._backup()
                break
        value = self._consume()
        cur.nodes.append(BoolNode(value == "true") if value in ("true", "false") else IdentifierNode(value))

    def _number(self, cur: ListNode) -> None:
        if self._peek() in ("+", "-"):
            self._next()
        while True:
            r = self._next()
            if r != "." and not r.isdigit():
                self._backup()
                break
        value = self._consume()
        if re.fullmatch(r"[+-]?\d+", value):
            cur.nodes.append(IntNode(int(value)))
            return
        try:
            if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)", value):
                raise ValueError(value)
            cur.nodes.append(FloatNode(float(value)))
        except ValueError:
            raise JSONPathError(f"cannot parse number {value}") from None

    def _array(self, cur: ListNode) -> None:
        while True:
            r = self._next()
            if r in (_EOF, "\n"):
                raise JSONPathError("unterminated array")
            if r == "]":
                break
        text = self._consume()[1:-1]
        if text == "*":
            text = ":"
        parts = text.split(",")
        if len(parts) > 1:
            union = [_action("union", f"[{p.strip(' ')}]") for p in parts]
            cur.nodes.append(UnionNode(union))
            return
        key = _DICT_KEY.match(text)
        if key:
            cur.nodes.extend(_action("arraydict", f".{key.group(1)}").nodes)
            return
        m = _SLICE.match(text)
        if not m:
            raise JSONPathError(f"invalid array index {text}")
        groups = list(m.groups(""))
        params = (Param(), Param(), Param())
        for i in range(3):
            value = groups[i]
            if value:
                if i > 0:
                    value = value[1:]
                if i > 0 and value == "":
                    params[i].known = False
                else:
                    try:
                        params[i].value = int(value)
                    except ValueError:
                        raise JSONPathError(f"array index {value} is not a number") from None
                    params[i].known = True
            elif i == 1:
                params[i].known, params[i].value, params[i].derived = True, params[0].value + 1, True
        cur.nodes.append(ArrayNode(params))

    def _filter(self, cur: ListNode) -> None:
        self.pos += 3
        self._consume()
        begin = end = False
        pair = ""
        while True:
            r = self._next()
            if r in (_EOF, "\n"):
                raise JSONPathError("unterminated filter")
            if r in "\"'":
                if not begin:
                    begin, pair = True, r
                    continue
                if self.input[self.pos - 2] != "\\" and r == pair:
                    end = True
            elif r == ")" and begin == end:
                break
        if self._next() != "]":
            raise JSONPathError("unclosed array expect ]")
        text = self._consume()[:-2]
        m = _FILTER.match(text)
        if m is None:
            cur.nodes.append(FilterNode(_action("text", text), ListNode(), "exists"))
        else:
            cur.nodes.append(FilterNode(_action("left", m.group(1)), _action("right", m.group(3)), m.group(2)))

    def _quote(self, cur: ListNode, end: str) -> None:
        while True:
            r = self._next()
            if r in (_EOF, "\n"):
                raise JSONPathError("unterminated quoted string")
            if r == end and self.input[self.pos - 2] != "\\":
                break
        value = self._consume()
        try:
            cur.nodes.append(TextNode(unquote_extend(value)))
        except ValueError:
            raise JSONPathError(f"unquote string {value} error invalid syntax") from None

    def _field(self, cur: ListNode) -> None:
        self._consume()
        while True:
            r = self._next()
            if r == "\\":
                self._next()
            elif _terminator(r):
                self._backup()
                break
        value = self._consume()
        cur.nodes.append(WildcardNode() if value == "*" else FieldNode(value.replace("\\", "")))


def _action(name: str, text: str) -> ListNode:
    """parseAction: ``text`` parsed as the inside of one action."""
    p = Parser(name)
    p.parse("{" + text + "}")
    node = p.root.nodes[0]
    assert isinstance(node, ListNode)
    return node


def _go_rune(r: str) -> str:
    """Go's ``%#U``: ``U+0021 '!'``."""
    return f"U+{ord(r):04X} '{r}'" if r.isprintable() else f"U+{ord(r):04X}"


_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def unquote_extend(s: str) -> str:
    """client-go's ``UnquoteExtend``: Go's ``strconv.Unquote`` for a double- or single-quoted string."""
    if len(s) < 2 or s[0] != s[-1] or s[0] not in "\"'":
        raise ValueError(s)
    quote, body = s[0], s[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == quote:
            raise ValueError(s)
        if c != "\\":
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(body):
            raise ValueError(s)
        e = body[i + 1]
        i += 2
        if e in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[e])
        elif e == quote:
            out.append(e)
        elif e in "xuU":
            n = {"x": 2, "u": 4, "U": 8}[e]
            digits = body[i:i + n]
            if len(digits) != n or not re.fullmatch(r"[0-9a-fA-F]+", digits):
                raise ValueError(s)
            out.append(chr(int(digits, 16)))
            i += n
        elif e in "01234567":
            digits = body[i - 1:i + 2]
            if not re.fullmatch(r"[0-7]{3}", digits) or int(digits, 8) > 255:
                raise ValueError(s)
            out.append(chr(int(digits, 8)))
            i += 2
        else:
            raise ValueError(s)
    return "".join(out)


# ---- Go's formatting ----------------------------------------------------------------------------


def _digits(f: float) -> tuple[str, int]:
    """The shortest decimal digits of ``abs(f)`` (Python's ``repr`` and Go's ``strconv`` agree on
    them) and where the decimal point goes: ``1500.0`` is ``("15", 4)``."""
    sign, digits, exponent = Decimal(repr(abs(f))).normalize().as_tuple()
    text = "".join(map(str, digits))
    return text, len(text) + int(exponent)


def go_float(f: float, json_style: bool = False) -> str:
    """A float64 as Go's ``fmt`` ``%v`` prints it (``1e+06``, ``0.5``, ``80``), or as
    ``encoding/json`` writes it (``json_style``: ``1e+21``, ``1e-7``, else plain).

    >>> go_float(1e6), go_float(123456.0), go_float(0.5), go_float(1e-7, json_style=True)
    ('1e+06', '123456', '0.5', '1e-7')
    """
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if math.isnan(f):
        return "NaN"
    if f == 0:
        return "0"
    sign = "-" if f < 0 else ""
    digits, point = _digits(f)
    exp = point - 1
    use_e = (abs(f) < 1e-6 or abs(f) >= 1e21) if json_style else (exp < -4 or exp >= 6)
    if use_e:
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        # encoding/json writes e-7 where fmt writes e-07 ("clean up e-09 to e-9").
        shown = str(abs(exp)) if json_style and exp < 0 else f"{abs(exp):02d}"
        return f"{sign}{mant}e{'-' if exp < 0 else '+'}{shown}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    return f"{sign}{digits[:point]}.{digits[point:]}"


def go_sprint(v: Any) -> str:
    """Go's ``fmt.Sprint`` of a decoded JSON value: ``map[a:1 b:x]``, ``[a b]``, ``<nil>``."""
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{go_sprint(v[k])}" for k in sorted(v)) + "]"
    if isinstance(v, list):
        return "[" + " ".join(go_sprint(x) for x in v) + "]"
    return str(v)


def go_repr(v: Any) -> str:
    """Go's ``%#v`` of a decoded JSON value (as jsonpath's execution errors show the object)."""
    if v is None:
        return "interface {}(nil)"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, str):
        return go_quote(v)
    if isinstance(v, dict):
        return "map[string]interface {}{" + ", ".join(f"{go_quote(k)}:{go_repr(v[k])}" for k in sorted(v)) + "}"
    if isinstance(v, list):
        return "[]interface {}{" + ", ".join(go_repr(x) for x in v) + "}"
    return str(v)


_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _json_string(s: str) -> str:
    text = json.dumps(s, ensure_ascii=False)
    return re.sub("[<>&\u2028\u2029]", lambda m: _HTML_ESCAPES[m.group()], text)


def go_json(v: Any, indent: str = "", level: int = 0) -> str:
    """Go's ``json.Marshal`` (``indent``: ``json.MarshalIndent(v, "", indent)``) of a decoded value."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v, json_style=True)
    if isinstance(v, str):
        return _json_string(v)
    inner = "\n" + indent * (level + 1) if indent else ""
    close = "\n" + indent * level if indent else ""
    sep = ": " if indent else ":"
    if isinstance(v, dict):
        if not v:
            return "{}"
        return "{" + inner + ("," + inner).join(f"{_json_string(k)}{sep}{go_json(v[k], indent, level + 1)}"
                                                for k in sorted(v)) + close + "}"
    if isinstance(v, list):
        if not v:
            return "[]"
        return "[" + inner + ("," + inner).join(go_json(x, indent, level + 1) for x in v) + close + "]"
    return _json_string(str(v))


def go_type(v: Any) -> str:
    """The Go type a decoded value has (``map[string]interface {}``, ``string``, ``int64``)."""
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int64"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "map[string]interface {}"
    if isinstance(v, list):
        return "[]interface {}"
    return "<invalid reflect.Value>"


# ---- execution (jsonpath.go) --------------------------------------------------------------------

_BOOL, _INT, _FLOAT, _STRING = "bool", "int", "float", "string"


def _basic_kind(v: Any) -> str:
    if isinstance(v, bool):
        return _BOOL
    if isinstance(v, int):
        return _INT
    if isinstance(v, float):
        return _FLOAT
    if isinstance(v, str):
        return _STRING
    raise JSONPathError("invalid type for comparison")


def _equal(a: Any, b: Any) -> bool:
    if _basic_kind(a) != _basic_kind(b):
        raise JSONPathError("incompatible types for comparison")
    return bool(a == b)


def _less(a: Any, b: Any) -> bool:
    ka, kb = _basic_kind(a), _basic_kind(b)
    if ka != kb:
        raise JSONPathError("incompatible types for comparison")
    if ka == _BOOL:
        raise JSONPathError("invalid type for comparison")
    return bool(a < b)


def _compare(op: str, a: Any, b: Any) -> bool:
    if op == "<":
        return _less(a, b)
    if op == ">":
        return not (_less(a, b) or _equal(a, b))
    if op == "==":
        return _equal(a, b)
    if op == "!=":
        return not _equal(a, b)
    if op == "<=":
        return _less(a, b) or _equal(a, b)
    if op == ">=":
        return not _less(a, b)
    raise JSONPathError(f"unrecognized filter operator {op}")


def _children(v: Any) -> list[Any]:
    """What Go's reflection iterates in a value (a map's values in sorted key order, a string's bytes)."""
    if isinstance(v, dict):
        return [v[k] for k in sorted(v)]
    if isinstance(v, list):
        return list(v)
    if isinstance(v, str):
        return list(v.encode())
    return []


class JSONPath:
    """client-go's ``JSONPath``: parse once, then ``execute`` (state kept as Go keeps it, so a
    template is executed once)."""

    def __init__(self, name: str, template: str, *, allow_missing_keys: bool = False,
                 output_json: bool = False) -> None:
        self.parser = Parser(name)
        self.parser.parse(template)
        self.allow_missing_keys = allow_missing_keys
        self.output_json = output_json
        self.begin_range = self.in_range = self.end_range = 0
        self.last_end: int | None = None

    def execute(self, data: Any) -> str:
        """The printed results, or :class:`JSONPathError` with Go's message."""
        return "".join(self.print_results(r) for r in self.find_results(data))

    def find_results(self, data: Any) -> list[list[Any]]:
        nodes = self.parser.root.nodes
        cur = [data]
        full: list[list[Any]] = []
        i = 0
        while i < len(nodes):
            node = nodes[i]
            results = self._walk(cur, node)
            if self.end_range > 0 and self.end_range <= self.in_range:
                self.end_range -= 1
                self.last_end = id(node)
                break
            if self.begin_range > 0:
                self.begin_range -= 1
                self.in_range += 1
                if results:
                    for value in results:
                        self.parser.root.nodes = nodes[i + 1:]
                        full += self.find_results(value)
                else:
                    self.parser.root.nodes = nodes[i + 1:]
                    self.find_results(INVALID)
                self.in_range -= 1
                for k in range(i + 1, len(nodes)):
                    if id(nodes[k]) == self.last_end:
                        i = k
                        break
                i += 1
                continue
            full.append(results)
            i += 1
        return full

    def print_results(self, results: list[Any]) -> str:
        if self.output_json:
            results = [list(results)]
        out = []
        for r in results:
            if self.output_json:
                out.append(go_json(r, "    ") + "\n")
            elif isinstance(r, (dict, list)):
                out.append(go_json(r))
            else:
                out.append("<no value>" if r is INVALID else "null" if r is None else go_sprint(r))
        return " ".join(out)

    def _walk(self, value: list[Any], node: Any) -> list[Any]:
        if isinstance(node, ListNode):
            return self._list(value, node)
        if isinstance(node, TextNode):
            return [node.text]
        if isinstance(node, FieldNode):
            return self._field(value, node)
        if isinstance(node, ArrayNode):
            return self._array(value, node)
        if isinstance(node, FilterNode):
            return self._filter(value, node)
        if isinstance(node, (IntNode, FloatNode, BoolNode)):
            return [node.value for _ in value]
        if isinstance(node, WildcardNode):
            return [c for v in value if v is not None and v is not INVALID for c in _children(v)]
        if isinstance(node, RecursiveNode):
            return self._recursive(value)
        if isinstance(node, UnionNode):
            return [r for n in node.nodes for r in self._list(value, n)]
        if isinstance(node, IdentifierNode):
            if node.name == "range":
                self.begin_range += 1
                return value
            if node.name == "end":
                if self.in_range > 0:
                    self.end_range += 1
                    return []
                raise JSONPathError("not in range, nothing to end")
            raise JSONPathError(f"unrecognized identifier {node.name}")
        raise JSONPathError(f"unexpected Node {node}")

    def _list(self, value: list[Any], node: ListNode) -> list[Any]:
        for n in node.nodes:
            value = self._walk(value, n)
        return value

    def _field(self, values: list[Any], node: FieldNode) -> list[Any]:
        if not values:
            return []
        results = [v[node.value] for v in values if isinstance(v, dict) and node.value in v]
        if not results and not self.allow_missing_keys:
            raise JSONPathError(f"{node.value} is not found")
        return results

    def _array(self, values: list[Any], node: ArrayNode) -> list[Any]:
        out: list[Any] = []
        for value in values:
            if value is None or value is INVALID:
                continue
            if not isinstance(value, list):
                raise JSONPathError(f"{go_type(value)} is not array or slice")
            start, end, step = (Param(p.value, p.known, p.derived) for p in node.params)
            length = len(value)
            if not start.known:
                start.value = 0
            if start.value < 0:
                start.value += length
            if not end.known:
                end.value = length
            if end.value < 0 or (end.value == 0 and end.derived):
                end.value += length
            if end.value == start.value:
                return out
            if start.value >= length or start.value < 0:
                raise JSONPathError(f"array index out of bounds: index {start.value}, length {length}")
            if end.value > length or end.value < 0:
                raise JSONPathError(f"array index out of bounds: index {end.value - 1}, length {length}")
            if start.value > end.value:
                raise JSONPathError(f"starting index {start.value} is greater than ending index {end.value}")
            stride = 1
            if step.known:
                if step.value <= 0:
                    raise JSONPathError("step must be > 0")
                stride = step.value
            out += value[start.value:end.value][::stride]
        return out

    def _filter(self, values: list[Any], node: FilterNode) -> list[Any]:
        out: list[Any] = []
        for value in values:
            if not isinstance(value, list):
                raise JSONPathError(f"{go_sprint(value)} is not array or slice and cannot be filtered")
            for item in value:
                try:
                    lefts = self._list([item], node.left)
                    err = None
                except JSONPathError as exc:
                    lefts, err = [], exc
                if node.operator == "exists":
                    if lefts:
                        out.append(item)
                    continue
                if err is not None:
                    raise err
                if not lefts:
                    continue
                if len(lefts) > 1:
                    raise JSONPathError("can only compare one element at a time")
                rights = self._list([item], node.right)
                if not rights:
                    continue
                if len(rights) > 1:
                    raise JSONPathError("can only compare one element at a time")
                if _compare(node.operator, lefts[0], rights[0]):
                    out.append(item)
        return out

    def _recursive(self, values: list[Any]) -> list[Any]:
        out: list[Any] = []
        for value in values:
            if value is None or value is INVALID:
                continue
            children = _children(value)
            if children:
                out.append(value)
                out += self._recursive(children)
        return out


def run(template: str, data: Any, *, allow_missing_keys: bool = True) -> str:
    """Execute ``template`` on ``data`` as ``kubectl -o jsonpath=...`` does (missing keys allowed)."""
    return JSONPath("out", template, allow_missing_keys=allow_missing_keys).execute(data)
