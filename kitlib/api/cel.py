"""A small evaluator of CEL (the Common Expression Language), for the ``x-kubernetes-validations``
rules of CustomResourceDefinitions.

It covers the part of CEL that the vendored CRDs' rules use (checked by a test over every rule):
literals (ints, strings with ``'``, ``"``, raw ``r"..."`` in triple quotes, lists), ``self``/``oldSelf``, field
selection and indexing, ``has()``, ``size()``, the macros ``all``, ``exists``, ``exists_one``,
``filter`` and ``map``, ``? :``, ``&&``/``||`` (commutative over errors, as CEL's are), ``!``,
comparisons, ``in``, ``+``/``-``, and the string functions of CEL and of Kubernetes' CEL library
(``startsWith``, ``endsWith``, ``contains``, ``matches``, ``split``, ``substring``, ``isIP``,
``duration``). It is checked against cel-python on the rules' text in the tests.

Semantics follow the CEL spec (github.com/google/cel-spec ``doc/langdef.md``): selecting a field
an object does not have is the error ``no such key: <field>``; ``false && <error>`` is false.

>>> evaluate("self.all(h, h.startsWith('a'))", ["ab", "ac"])
True
>>> evaluate("has(self.x) ? self.x.size() > 1 : true", {"x": "a"})
False
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["CelError", "compile_rule", "evaluate"]


class CelError(Exception):
    """An evaluation error (``no such key: x``), as cel-go words it."""


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>[rR]?(?:'''(?:.|\n)*?'''|\"\"\"(?:.|\n)*?\"\"\"|'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"))
  | (?P<num>\d+(?:\.\d+)?[uU]?)
  | (?P<id>[A-Za-z_][A-Za-z_0-9]*)
  | (?P<op>&&|\|\||==|!=|<=|>=|[-+*/%<>!?:.,()\[\]{}])
""", re.VERBOSE)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b",
            "f": "\f", "v": "\v", "?": "?", "`": "`"}


def _string(text: str) -> str:
    raw = text[0] in "rR"
    if raw:
        text = text[1:]
    quote = 3 if text[:3] in ("'''", '"""') else 1
    body = text[quote:-quote]
    if raw:
        return body
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body)


def _tokens(source: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if m is None:
            raise SyntaxError(f"unexpected {source[pos]!r} at {pos} in {source!r}")
        pos = m.end()
        kind = m.lastgroup or ""
        if kind == "ws":
            continue
        if kind == "str":
            out.append(("lit", _string(m.group())))
        elif kind == "num":
            text = m.group().rstrip("uU")
            out.append(("lit", float(text) if "." in text else int(text)))
        elif kind == "id" and m.group() in ("true", "false", "null"):
            out.append(("lit", {"true": True, "false": False, "null": None}[m.group()]))
        elif kind == "id" and m.group() == "in":
            out.append(("op", "in"))
        else:
            out.append((kind, m.group()))
    out.append(("end", None))
    return out


Node = tuple[Any, ...]
"""A parsed expression: ``("lit", v)``, ``("id", name)``, ``("sel", x, f)``, ``("has", x, f)``,
``("idx", x, i)``, ``("call", f, target | None, args)``, ``("macro", m, target, var, body)``,
``("list", items)``, ``("un", op, x)``, ``("bin", op, a, b)``, ``("cond", c, a, b)``."""

RESERVED = frozenset({"true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function",
                      "if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while"})
"""CEL's reserved words: a property so named is ``__namespace__`` in a rule."""
_ESCAPED = {"__dash__": "-", "__dot__": ".", "__slash__": "/", "__underscores__": "__"}


def property_name(name: str) -> str:
    """The property a rule's field name refers to (Kubernetes' escaping, ``apiserver/pkg/cel``
    ``Escape``): ``__namespace__`` → ``namespace``, ``a__dash__b`` → ``a-b``.

    >>> property_name("__namespace__"), property_name("x__dash__y"), property_name("port")
    ('namespace', 'x-y', 'port')
    """
    if name.startswith("__") and name.endswith("__") and name[2:-2] in RESERVED:
        return name[2:-2]
    if "__" in name:
        return re.sub(r"__(?:dash|dot|slash|underscores)__", lambda m: _ESCAPED[m.group()], name)
    return name


_MACROS = {"all", "exists", "exists_one", "filter", "map"}
_BINARY = [("||",), ("&&",), ("==", "!=", "<", "<=", ">", ">=", "in"), ("+", "-"), ("*", "/", "%")]


class _Parser:
    def __init__(self, source: str) -> None:
        self.toks = _tokens(source)
        self.pos = 0

    def peek(self) -> tuple[str, Any]:
        return self.toks[self.pos]

    def take(self, value: str | None = None) -> tuple[str, Any]:
        tok = self.toks[self.pos]
        if value is not None and tok[1] != value:
            raise SyntaxError(f"expected {value!r}, got {tok[1]!r}")
        self.pos += 1
        return tok

    def expr(self) -> Node:
        cond = self.binary(0)
        if self.peek() == ("op", "?"):
            self.take()
            yes = self.expr()
            self.take(":")
            return ("cond", cond, yes, self.expr())
        return cond

    def binary(self, level: int) -> Node:
        if level == len(_BINARY):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek()[0] == "op" and self.peek()[1] in _BINARY[level]:
            op = self.take()[1]
            left = ("bin", op, left, self.binary(level + 1))
        return left

    def unary(self) -> Node:
        if self.peek() in (("op", "!"), ("op", "-")):
            op = self.take()[1]
            return ("un", op, self.unary())
        return self.member()

    def args(self) -> list[Node]:
        self.take("(")
        out: list[Node] = []
        while self.peek() != ("op", ")"):
            out.append(self.expr())
            if self.peek() == ("op", ","):
                self.take()
        self.take(")")
        return out

    def member(self) -> Node:
        node = self.primary()
        while True:
            tok = self.peek()
            if tok == ("op", "."):
                self.take()
                name = self.take()[1]
                if self.peek() == ("op", "("):
                    args = self.args()
                    if name in _MACROS:
                        var = args[0]
                        if var[0] != "id":
                            raise SyntaxError(f"{name}: the first argument must be a name")
                        node = ("macro", name, node, var[1], args[1])
                    else:
                        node = ("call", name, node, args)
                else:
                    node = ("sel", node, property_name(name))
            elif tok == ("op", "["):
                self.take()
                index = self.expr()
                self.take("]")
                node = ("idx", node, index)
            else:
                return node

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "lit":
            return ("lit", value)
        if kind == "id":
            if self.peek() == ("op", "("):
                args = self.args()
                if value == "has":
                    arg = args[0]
                    if arg[0] != "sel":
                        raise SyntaxError("has() takes a field selection")
                    return ("has", arg[1], arg[2])
                return ("call", value, None, args)
            return ("id", value)
        if value == "(":
            node = self.expr()
            self.take(")")
            return node
        if value == "[":
            items: list[Node] = []
            while self.peek() != ("op", "]"):
                items.append(self.expr())
                if self.peek() == ("op", ","):
                    self.take()
            self.take("]")
            return ("list", items)
        raise SyntaxError(f"unexpected {value!r}")


@dataclass(frozen=True)
class Rule:
    """A compiled rule: its tree, and whether it refers to ``oldSelf`` (a transition rule, evaluated
    only on an update that has an old value)."""

    source: str
    tree: Node
    transition: bool

    def __call__(self, value: Any, old: Any = None) -> Any:
        return _eval(self.tree, {"self": value, "oldSelf": old})


@functools.cache
def compile_rule(source: str) -> Rule:
    """Parse ``source`` once (rules are cached by their text)."""
    parser = _Parser(source)
    tree = parser.expr()
    if parser.peek()[0] != "end":
        raise SyntaxError(f"unexpected {parser.peek()[1]!r} in {source!r}")
    return Rule(source, tree, re.search(r"\boldSelf\b", source) is not None)


def evaluate(source: str, value: Any, old: Any = None) -> Any:
    """The value of the CEL expression ``source`` with ``self`` bound to ``value`` (and ``oldSelf``
    to ``old``); :class:`CelError` for an evaluation error."""
    return compile_rule(source)(value, old)


def _truth(value: Any) -> bool:
    if not isinstance(value, bool):
        raise CelError("no such overload")
    return value


def _eval(node: Node, env: dict[str, Any]) -> Any:
    op = node[0]
    if op == "lit":
        return node[1]
    if op == "id":
        if node[1] not in env:
            raise CelError(f"undeclared reference to '{node[1]}'")
        return env[node[1]]
    if op == "sel":
        target = _eval(node[1], env)
        if not isinstance(target, dict) or node[2] not in target:
            raise CelError(f"no such key: {node[2]}")
        return target[node[2]]
    if op == "has":
        target = _eval(node[1], env)
        if not isinstance(target, dict):
            raise CelError("invalid type for field selection.")
        return node[2] in target
    if op == "idx":
        target, index = _eval(node[1], env), _eval(node[2], env)
        if isinstance(target, list):
            if not isinstance(index, int) or not 0 <= index < len(target):
                raise CelError(f"index out of bounds: {index}")
            return target[index]
        if isinstance(target, dict):
            if index not in target:
                raise CelError(f"no such key: {index}")
            return target[index]
        raise CelError("no such overload")
    if op == "list":
        return [_eval(n, env) for n in node[1]]
    if op == "un":
        value = _eval(node[2], env)
        if node[1] == "!":
            return not _truth(value)
        return -value
    if op == "cond":
        return _eval(node[2] if _truth(_eval(node[1], env)) else node[3], env)
    if op == "bin":
        return _binary(node[1], node[2], node[3], env)
    if op == "macro":
        return _macro(node[1], _eval(node[2], env), node[3], node[4], env)
    if op == "call":
        target = None if node[2] is None else _eval(node[2], env)
        return _call(node[1], target, [_eval(a, env) for a in node[3]])
    raise CelError(f"unknown node {op}")


def _binary(op: str, left_node: Node, right_node: Node, env: dict[str, Any]) -> Any:
    if op in ("&&", "||"):
        # CEL's logical operators are commutative: a decisive side wins over an error on the other.
        decisive = op == "||"
        try:
            left: Any = _truth(_eval(left_node, env))
        except CelError as exc:
            left = exc
        if left is decisive:
            return decisive
        right = _truth(_eval(right_node, env))
        if right is decisive:
            return decisive
        if isinstance(left, CelError):
            raise left
        return not decisive
    a, b = _eval(left_node, env), _eval(right_node, env)
    if op == "==":
        return _equal(a, b)
    if op == "!=":
        return not _equal(a, b)
    if op == "in":
        if isinstance(b, list):
            return any(_equal(a, x) for x in b)
        if isinstance(b, dict):
            return a in b
        raise CelError("no such overload")
    if type(a) is bool or type(b) is bool or type(a) is not type(b) and not (
            isinstance(a, (int, float)) and isinstance(b, (int, float))):
        if not (isinstance(a, (list, Duration)) and type(a) is type(b)):
            raise CelError("no such overload")
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return a // b if isinstance(a, int) else a / b
    if op == "%":
        return a % b
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return bool(a == b)


def _macro(name: str, target: Any, var: str, body: Node, env: dict[str, Any]) -> Any:
    items = list(target) if isinstance(target, (list, dict)) else None
    if items is None:
        raise CelError("no such overload")

    def test(item: Any) -> Any:
        return _eval(body, {**env, var: item})

    if name == "map":
        return [test(x) for x in items]
    if name == "filter":
        return [x for x in items if _truth(test(x))]
    if name == "exists_one":
        return sum(1 for x in items if _truth(test(x))) == 1
    # all/exists: like && and ||, a decisive element wins over an error of another.
    decisive = name == "exists"
    error: CelError | None = None
    for x in items:
        try:
            if _truth(test(x)) is decisive:
                return decisive
        except CelError as exc:
            error = error or exc
    if error is not None:
        raise error
    return not decisive


class Duration(float):
    """A CEL ``google.protobuf.Duration``, in seconds."""


_DURATION_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def _duration(text: str) -> Duration:
    """Go's ``time.ParseDuration`` (what CEL's ``duration()`` uses): ``1h30m``, ``500ms``, ``0s``."""
    m = re.fullmatch(r"([-+]?)((?:\d+(?:\.\d*)?(?:h|ms|us|µs|ns|m|s))+|0)", text)
    if m is None:
        raise CelError("type conversion error from 'string' to 'google.protobuf.Duration'")
    total = sum(float(n) * _DURATION_UNITS[u] for n, u in re.findall(r"(\d+(?:\.\d*)?)(h|ms|us|µs|ns|m|s)", m[2]))
    return Duration(-total if m[1] == "-" else total)


def _size(value: Any) -> int:
    if isinstance(value, (str, list, dict)):
        return len(value)
    raise CelError("no such overload")


def _call(name: str, target: Any, args: list[Any]) -> Any:
    if target is None:
        if name == "size":
            return _size(args[0])
        if name == "duration":
            return _duration(args[0])
        if name == "isIP":
            # Kubernetes' CEL ip library (netip.ParseAddr): no zones, no IPv4-mapped with leading zeros.
            try:
                ipaddress.ip_address(args[0])
            except ValueError:
                return False
            return True
        if name in ("int", "string"):
            return {"int": int, "string": str}[name](args[0])
        raise CelError(f"undeclared reference to '{name}'")
    if name == "size":
        return _size(target)
    if not isinstance(target, str):
        raise CelError("no such overload")
    if name == "startsWith":
        return target.startswith(args[0])
    if name == "endsWith":
        return target.endswith(args[0])
    if name == "contains":
        return args[0] in target
    if name == "matches":
        return regex(args[0]).search(target) is not None
    if name == "split":
        return target.split(args[0])
    if name == "substring":
        if not 0 <= args[0] <= len(target):
            raise CelError(f"index out of range: {args[0]}")
        return target[args[0]:args[1]] if len(args) > 1 else target[args[0]:]
    if name in ("lowerAscii", "upperAscii"):
        return target.lower() if name == "lowerAscii" else target.upper()
    raise CelError(f"found no matching overload for '{name}'")


@functools.cache
def regex(pattern: str) -> re.Pattern[str]:
    """A compiled RE2 pattern (cached)."""
    # RE2 syntax; the rules' patterns mean the same in Python's re, but for a flag group after
    # the start (``^(?i)...``), which Python takes only at the start: there it covers the rest.
    if "(?i)" in pattern and not pattern.startswith("(?i)"):
        return re.compile(pattern.replace("(?i)", ""), re.IGNORECASE)
    return re.compile(pattern)
