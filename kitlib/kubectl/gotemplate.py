"""kubectl's ``-o go-template`` engine: a subset of Go's ``text/template`` run over an object's JSON
decoded into ``map[string]interface{}`` (cli-runtime ``pkg/printers/template.go``: the template is
named ``output`` and has the extra functions ``exists`` and ``base64decode``).

The subset: text, comments, ``{{-``/``-}}`` trimming, fields (``.a.b``, ``$x.a``), ``.``, ``$``,
variables (``:=``, ``=``), string/raw-string/number/bool/nil literals, parenthesised pipelines,
``|`` pipelines, ``if``/``else if``/``else``, ``range`` (with ``$i, $e :=``), ``with`` and the
functions ``index``, ``len``, ``printf``, ``print``, ``println``, ``eq``, ``ne``, ``lt``, ``le``,
``gt``, ``ge``, ``and``, ``or``, ``not``, ``html``, ``js``, ``urlquery``, ``exists``, ``base64decode``
(not simulated, refused when parsing: ``define``/``template``/``block``, ``break``/``continue``, ``call``,
``slice``). Values print as Go's
``fmt.Sprint`` prints them (``map[k:v]``, ``[a b]``, float64 ``80``); a missing key prints
``<no value>`` (``missingkey=default``) or is an error (``--allow-missing-template-keys=false``:
``missingkey=error``). Messages follow Go's ``text/template/exec.go``, ``funcs.go`` and ``parse``.
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from ..errors import go_quote
from .jsonpath import go_float, go_sprint, go_type, unquote_extend


class TemplateError(Exception):
    """A template's parse or execution error, worded as Go's ``text/template`` words it;
    ``partial``: what the template wrote before it failed (Go writes it out as it goes)."""

    partial = ""


class _Missing:
    """Go's invalid ``reflect.Value``: what a missing map key evaluates to (prints ``<no value>``)."""

    def __repr__(self) -> str:
        return "<no value>"


MISSING = _Missing()
NAME = "output"


# ---- parse ----------------------------------------------------------------------------------------


@dataclass
class Node:
    """A node of the parse tree; ``pos`` is its byte offset in the template (for error contexts)."""

    pos: int


@dataclass
class Text(Node):
    text: str


@dataclass
class Operand(Node):
    """An operand: ``kind`` is ``field`` (``.a.b``), ``var`` (``$x.a``), ``dot``, ``ident`` (a function
    or ``true``/``false``/``nil``), ``string``, ``number`` or ``pipe`` (parenthesised); ``fields`` the
    field chain after it."""

    kind: str
    text: str
    value: Any = None
    fields: tuple[str, ...] = ()
    pipe: Pipeline | None = None

    def __str__(self) -> str:
        base = f"({self.pipe})" if self.kind == "pipe" else self.text
        return base + "".join("." + f for f in self.fields) if self.kind in ("pipe", "var") else base


@dataclass
class Command(Node):
    args: list[Operand]

    def __str__(self) -> str:
        return " ".join(str(a) for a in self.args)


@dataclass
class Pipeline(Node):
    decl: list[str]
    assign: bool
    cmds: list[Command]

    def __str__(self) -> str:
        head = ", ".join(self.decl) + (" = " if self.assign else " := ") if self.decl else ""
        return head + " | ".join(str(c) for c in self.cmds)


@dataclass
class Action(Node):
    pipe: Pipeline


@dataclass
class Block(Node):
    """``if``, ``range`` or ``with``: its pipeline, its list and its ``else`` list."""

    kind: str
    pipe: Pipeline
    body: list[Node] = field(default_factory=list)
    orelse: list[Node] = field(default_factory=list)


_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>"(?:\\.|[^"\\\n])*")
  | (?P<raw>`[^`]*`)
  | (?P<char>'(?:\\.|[^'\\])+')
  | (?P<number>[+-]?(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][+-]?\d+)?))
  | (?P<var>\$\w*(?:\.\w+)*)
  | (?P<field>(?:\.\w+)+|\.)
  | (?P<ident>[A-Za-z_]\w*)
  | (?P<declare>:=)
  | (?P<assign>=)
  | (?P<punct>[()|,])
""", re.VERBOSE)

_FUNCS = {"and", "or", "not", "len", "index", "print", "printf", "println", "eq", "ne", "lt", "le", "gt", "ge",
          "exists", "base64decode", "html", "js", "urlquery"}
_UNSIMULATED_FUNCS = {"call", "slice"}
_KEYWORDS = {"if", "range", "with", "else", "end", "define", "template", "block", "break", "continue"}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.vars = ["$"]

    def line(self, pos: int) -> int:
        return 1 + self.text.count("\n", 0, pos)

    def fail(self, pos: int, msg: str) -> TemplateError:
        return TemplateError(f"template: {NAME}:{self.line(pos)}: {msg}")

    def actions(self) -> list[tuple[str, int, str]]:
        """The template cut into ``("text", pos, text)`` and ``("action", pos, inside)`` pieces,
        with ``{{-``/``-}}`` trimming applied."""
        out: list[tuple[str, int, str]] = []
        i, n, trim_next = 0, len(self.text), False
        while i <= n:
            start = self.text.find("{{", i)
            chunk = self.text[i:] if start < 0 else self.text[i:start]
            if trim_next:
                chunk = chunk.lstrip(" \t\r\n")
            left = start >= 0 and self.text.startswith("{{- ", start) or self.text[start:start + 4] in (
                "{{-\t", "{{-\n", "{{-\r")
            if start >= 0 and left:
                chunk = chunk.rstrip(" \t\r\n")
            if chunk:
                out.append(("text", i, chunk))
            if start < 0:
                break
            j, quote = start + (4 if left else 2), ""
            body_start = j
            while j < n:
                c = self.text[j]
                if quote:
                    if c == "\\" and quote != "`":
                        j += 1
                    elif c == quote:
                        quote = ""
                elif c in "\"`'":
                    quote = c
                elif self.text.startswith("}}", j):
                    break
                elif self.text.startswith("/*", j) and j == body_start:
                    end = self.text.find("*/", j + 2)
                    if end < 0:
                        raise self.fail(start, "unclosed comment")
                    j = end + 1
                j += 1
            if j >= n:
                raise self.fail(start, "unclosed action")
            inner = self.text[body_start:j]
            trim_next = inner.endswith((" -", "\t-", "\n-", "\r-"))
            if trim_next:
                inner = inner[:-2]
            if not inner.strip().startswith("/*"):
                out.append(("action", body_start, inner))
            elif not inner.strip().endswith("*/"):
                raise self.fail(start, "comment ends before closing delimiter")
            i = j + 2
        return out

    def parse(self) -> list[Node]:
        self.pieces = self.actions()
        self.k = 0
        nodes, end = self.nodes()
        if end is not None:
            raise self.fail(end[0], f"unexpected {{{{{end[1]}}}}}")
        return nodes

    def nodes(self) -> tuple[list[Node], tuple[int, str] | None]:
        """Nodes up to an ``{{end}}`` or ``{{else ...}}`` (returned with it), or the end of the text."""
        nodes: list[Node] = []
        while self.k < len(self.pieces):
            kind, pos, text = self.pieces[self.k]
            self.k += 1
            if kind == "text":
                nodes.append(Text(pos, text))
                continue
            tokens = self.tokens(pos, text)
            if not tokens:
                raise self.fail(pos, "missing value for command")
            first = tokens[0]
            if first[0] == "ident" and first[2] in ("end", "else"):
                return nodes, (pos, text.strip())
            if first[0] == "ident" and first[2] in ("if", "range", "with"):
                nodes.append(self.block(first[2], pos, tokens[1:]))
            elif first[0] == "ident" and first[2] in _KEYWORDS:
                raise self.fail(pos, f"kitlib does not simulate {{{{{first[2]}}}}}")
            else:
                nodes.append(Action(pos, self.pipeline(tokens, pos)))
        return nodes, None

    def block(self, kind: str, pos: int, tokens: list[tuple[str, int, str]]) -> Block:
        saved = len(self.vars)
        block = Block(pos, kind, self.pipeline(tokens, pos, context=kind, allow_two=kind == "range"))
        block.body, end = self.nodes()
        if end is None:
            raise self.fail(len(self.text), "unexpected EOF")
        if end[1] != "end":
            words = end[1].split(None, 1)
            if words[0] != "else":
                raise self.fail(end[0], f"unexpected {{{{{end[1]}}}}}")
            if len(words) > 1 and kind in ("if", "with"):  # {{else if ...}}: a nested block
                rest = self.tokens(end[0], end[1])[1:]
                if rest[0][2] != kind:
                    raise self.fail(end[0], f"expected end; found {rest[0][2]}")
                self.vars = self.vars[:saved]
                inner = self.block(kind, end[0], rest[1:])
                block.orelse = [inner]
                self.vars = self.vars[:saved]
                return block
            self.vars = self.vars[:saved]
            block.orelse, end = self.nodes()
            if end is None:
                raise self.fail(len(self.text), "unexpected EOF")
            if end[1] != "end":
                raise self.fail(end[0], f"expected end; found {{{{{end[1]}}}}}")
        self.vars = self.vars[:saved]
        return block

    def tokens(self, pos: int, text: str) -> list[tuple[str, int, str]]:
        out, i = [], 0
        while i < len(text):
            m = _TOKEN.match(text, i)
            if m is None:
                raise self.fail(pos, f"unexpected {go_quote(text[i])} in command")
            if m.lastgroup != "space":
                out.append((str(m.lastgroup), pos + i, m.group()))
            i = m.end()
        return out

    def pipeline(self, tokens: list[tuple[str, int, str]], pos: int, context: str = "command",
                 allow_two: bool = False) -> Pipeline:
        decl: list[str] = []
        assign = False
        first = tokens[0][1] if tokens else pos  # where Go's parser places the pipeline
        names = [t for t in tokens[:4]]
        if len(names) >= 2 and names[0][0] == "var" and names[1][0] in ("declare", "assign"):
            decl, assign, tokens = [names[0][2]], names[1][0] == "assign", tokens[2:]
        elif (allow_two and len(names) >= 4 and names[0][0] == "var" and names[1][2] == ","
              and names[2][0] == "var" and names[3][0] in ("declare", "assign")):
            decl, assign, tokens = [names[0][2], names[2][2]], names[3][0] == "assign", tokens[4:]
        for name in decl:
            if assign and name not in self.vars:
                raise self.fail(pos, f"undefined variable \"{name}\"")
            if not assign:
                self.vars.append(name)
        self.toks, self.i = tokens, 0
        pipe = self.pipe_tokens(pos, context)
        pipe.decl, pipe.assign, pipe.pos = decl, assign, first
        if self.i < len(self.toks):
            raise self.fail(pos, f"unexpected {self.toks[self.i][2]!r} in {context}".replace("'", "\""))
        return pipe

    def pipe_tokens(self, pos: int, context: str) -> Pipeline:
        cmds: list[Command] = []
        while True:
            args: list[Operand] = []
            start = self.toks[self.i][1] if self.i < len(self.toks) else pos
            while self.i < len(self.toks) and self.toks[self.i][2] not in ("|", ")"):
                args.append(self.operand())
            if not args:
                raise self.fail(pos, f"missing value for {context}")
            cmds.append(Command(start, args))
            if self.i < len(self.toks) and self.toks[self.i][2] == "|":
                self.i += 1
                continue
            return Pipeline(pos, [], False, cmds)

    def operand(self) -> Operand:
        kind, pos, text = self.toks[self.i]
        self.i += 1
        if kind == "field":
            parts = tuple(text.split(".")[1:]) if text != "." else ()
            node_pos = pos + len(parts[0]) + 1 if len(parts) > 1 else pos
            return Operand(node_pos, "field" if parts else "dot", text, fields=parts)
        if kind == "var":
            name, *chain = text.split(".")
            if name not in self.vars:
                raise self.fail(pos, f"undefined variable \"{name}\"")
            # a chain after a variable is placed at its first field (Go's parser)
            return Operand(pos + len(name) if chain else pos, "var", name, fields=tuple(chain))
        if kind == "ident":
            if text in ("true", "false"):
                return Operand(pos, "bool", text, value=text == "true")
            if text == "nil":
                return Operand(pos, "nil", text)
            if text in _UNSIMULATED_FUNCS:
                raise TemplateError(f"kitlib does not simulate the template function {text}")
            if text not in _FUNCS:
                raise self.fail(pos, f"function {go_quote(text)} not defined")
            return Operand(pos, "ident", text)
        if kind == "char":
            return Operand(pos, "number", text, value=GoInt(ord(unquote_extend('"' + text[1:-1] + '"'))))
        if kind in ("string", "raw"):
            value = text[1:-1] if kind == "raw" else unquote_extend(text)
            return Operand(pos, "string", text, value=value)
        if kind == "number":
            return Operand(pos, "number", text, value=_number(text))
        if text == "(":
            pipe = self.pipe_tokens(pos, "parenthesized pipeline")
            if self.i >= len(self.toks) or self.toks[self.i][2] != ")":
                raise self.fail(pos, "unclosed left paren")
            self.i += 1
            fields: tuple[str, ...] = ()
            if self.i < len(self.toks) and self.toks[self.i][0] == "field" and self.toks[self.i][2] != ".":
                fields = tuple(self.toks[self.i][2].split(".")[1:])
                self.i += 1
            return Operand(pos, "pipe", "", pipe=pipe, fields=fields)
        raise self.fail(pos, f"unexpected {go_quote(text)} in operand")


class GoInt(int):
    """An integer constant of the template: Go's ``int`` (the object's integers are ``int64``)."""


def _number(text: str) -> Any:
    """An int or a float64 constant, as Go's parser types a number literal."""
    clean = text.replace("_", "")
    try:
        return GoInt(int(clean, 0))
    except ValueError:
        return float(clean)


def _type(v: Any) -> str:
    """The Go type of a value the template sees."""
    return "int" if isinstance(v, GoInt) else go_type(v)


def parse(text: str) -> list[Node]:
    """The parse tree of ``text``; :class:`TemplateError` as ``template.Parse`` words its errors."""
    return _Parser(text).parse()


# ---- execute --------------------------------------------------------------------------------------


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    return "other"


def truth(v: Any) -> bool:
    """Go's ``template.IsTrue``: the zero value, an empty string/map/list, nil and no value are false."""
    if v is MISSING or v is None:
        return False
    if isinstance(v, (bool, int, float, str, list, dict)):
        return bool(v)
    return True


def sprint(v: Any) -> str:
    """How an action prints a value (``printValue``)."""
    return "<no value>" if v is MISSING or v is None else go_sprint(v)


def _sprint_args(args: list[Any]) -> str:
    """``fmt.Sprint``: a space between operands when neither is a string."""
    out = ""
    for i, a in enumerate(args):
        if i and not isinstance(a, str) and not isinstance(args[i - 1], str):
            out += " "
        out += go_sprint(a)
    return out


_VERB = re.compile(r"%([-+# 0]*)(\d+|\*)?(?:\.(\d+))?([a-zA-Z%])")


def printf(fmt: str, args: list[Any]) -> str:
    """Go's ``fmt.Sprintf`` for the verbs ``%v %s %q %d %f %g %e %x %t %%`` (width, precision, flags)."""
    out, i, n = [], 0, 0
    while True:
        m = _VERB.search(fmt, i)
        if m is None:
            out.append(fmt[i:])
            break
        out.append(fmt[i:m.start()])
        i = m.end()
        flags, width, prec, verb = m.group(1), m.group(2) or "", m.group(3), m.group(4)
        if verb == "%":
            out.append("%")
            continue
        if n >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        a = args[n]
        n += 1
        kind = _kind(a)
        text: str | None = None
        if verb == "v":
            text = go_sprint(a)
        elif verb == "s" and kind == "string":
            text = a[:int(prec)] if prec is not None else a
        elif verb == "q" and kind == "string":
            text = go_quote(a)
        elif verb in "dxXob" and kind == "int":
            text = format(a, verb.replace("b", "b"))
        elif verb in "feEgG" and kind == "float":
            text = go_float(a) if verb == "g" and prec is None else format(a, f".{prec or 6}{verb}")
        elif verb == "x" and kind == "string":
            text = a.encode().hex()
        elif verb == "t" and kind == "bool":
            text = "true" if a else "false"
        if text is None:
            shown = "<nil>" if a is None else f"{_type(a)}={go_sprint(a)}"
            out.append(f"%!{verb}({shown})")
            continue
        if "+" in flags and kind in ("int", "float") and a >= 0:
            text = "+" + text
        if width and width != "*":
            text = text.ljust(int(width)) if "-" in flags else (
                text.rjust(int(width), "0") if "0" in flags and kind in ("int", "float") else text.rjust(int(width)))
        out.append(text)
    if n < len(args):
        out.append("%!(EXTRA " + ", ".join(f"{_type(a)}={go_sprint(a)}"
                                           for a in args[n:]) + ")")
    return "".join(out)


class _Exec:
    def __init__(self, text: str, root: Any, allow_missing_keys: bool) -> None:
        self.text = text
        self.vars: list[tuple[str, Any]] = [("$", root)]
        self.allow = allow_missing_keys
        self.out: list[str] = []

    def fail(self, node: Node, context: str, msg: str) -> TemplateError:
        line = 1 + self.text.count("\n", 0, node.pos)
        col = node.pos - (self.text.rfind("\n", 0, node.pos) + 1) if line > 1 else node.pos
        return TemplateError(f"template: {NAME}:{line}:{col}: executing \"{NAME}\" at <{context}>: {msg}")

    def run(self, nodes: list[Node], dot: Any) -> None:
        for node in nodes:
            if isinstance(node, Text):
                self.out.append(node.text)
            elif isinstance(node, Action):
                value = self.pipeline(node.pipe, dot)
                if not node.pipe.decl:
                    self.out.append(sprint(value))
            elif isinstance(node, Block):
                self.block(node, dot)

    def block(self, node: Block, dot: Any) -> None:
        saved = len(self.vars)
        value = self.pipeline(node.pipe, dot, declare=node.kind != "range")
        if node.kind == "if":
            self.run(node.body if truth(value) else node.orelse, dot)
        elif node.kind == "with":
            self.run(node.body if truth(value) else node.orelse, value if truth(value) else dot)
        else:
            self.range(node, value, dot)
        del self.vars[saved:]

    def range(self, node: Block, value: Any, dot: Any) -> None:
        if value is MISSING or value is None:
            self.run(node.orelse, dot)
            return
        if isinstance(value, list):
            pairs: list[tuple[Any, Any]] = list(enumerate(value))
        elif isinstance(value, dict):
            pairs = [(k, value[k]) for k in sorted(value)]
        elif isinstance(value, int) and not isinstance(value, bool):
            pairs = [(i, i) for i in range(value)]
        else:
            raise self.fail(node.pipe.cmds[-1], str(node.pipe.cmds[-1]), f"range can't iterate over {sprint(value)}")
        if not pairs:
            self.run(node.orelse, dot)
            return
        base = len(self.vars)
        for key, elem in pairs:
            del self.vars[base:]
            if len(node.pipe.decl) == 2:
                self.vars += [(node.pipe.decl[0], key), (node.pipe.decl[1], elem)]
            elif node.pipe.decl:
                self.vars.append((node.pipe.decl[0], elem))
            self.run(node.body, elem)

    def pipeline(self, pipe: Pipeline, dot: Any, declare: bool = True) -> Any:
        value: Any = MISSING
        for i, cmd in enumerate(pipe.cmds):
            value = self.command(cmd, dot, value if i else None, piped=i > 0)
        if value is None:
            value = MISSING  # an interface{} holding nil is no value ("lovely!" in exec.go)
        if declare and pipe.decl:
            if pipe.assign:
                for j in range(len(self.vars) - 1, -1, -1):
                    if self.vars[j][0] == pipe.decl[0]:
                        self.vars[j] = (pipe.decl[0], value)
                        break
            else:
                self.vars.append((pipe.decl[0], value))
        return value

    def command(self, cmd: Command, dot: Any, final: Any, piped: bool) -> Any:
        first = cmd.args[0]
        if first.kind == "ident":
            args = cmd.args[1:]
            values = [self.operand(a, dot) for a in args] + ([final] if piped else [])
            return self.call(cmd, first.text, values, args)
        if first.kind in ("field", "var") and first.fields and (len(cmd.args) > 1 or piped):
            # A map's key is no method: Go's evalField refuses arguments to it.
            receiver = self.fields(first, dot if first.kind == "field" else self.operand(
                Operand(first.pos, "var", first.text), dot), first.fields[:-1])
            if isinstance(receiver, dict):
                raise self.fail(first, str(first), f"{first.fields[-1]} is not a method but has arguments")
        if len(cmd.args) > 1 or piped:
            raise self.fail(first, str(first), f"can't give argument to non-function {first}")
        return self.operand(first, dot)

    def operand(self, op: Operand, dot: Any) -> Any:
        if op.kind in ("string", "number", "bool"):
            return op.value
        if op.kind == "nil":
            raise self.fail(op, str(op), "nil is not a command")
        if op.kind == "dot":
            return dot
        if op.kind == "ident":
            return self.call(Command(op.pos, [op]), op.text, [], [])
        if op.kind == "field":
            return self.fields(op, dot, op.fields)
        if op.kind == "var":
            value = next(v for name, v in reversed(self.vars) if name == op.text)
            return self.fields(op, value, op.fields)
        assert op.pipe is not None
        return self.fields(op, self.pipeline(op.pipe, dot), op.fields)

    def fields(self, op: Operand, value: Any, names: tuple[str, ...]) -> Any:
        for name in names:
            if value is MISSING:
                if not self.allow:
                    raise self.fail(op, str(op), f"nil data; no entry for key {go_quote(name)}")
                return MISSING
            if value is None:
                raise self.fail(op, str(op), f"nil pointer evaluating interface {{}}.{name}")
            if not isinstance(value, dict):
                raise self.fail(op, str(op), f"can't evaluate field {name} in type interface {{}}")
            if name not in value:
                if not self.allow:
                    raise self.fail(op, str(op), f"map has no entry for key {go_quote(name)}")
                value = MISSING
                continue
            value = value[name]
        return value

    def call(self, cmd: Command, name: str, values: list[Any], args: list[Operand]) -> Any:
        try:
            return _call(name, values)
        except _CallError as exc:
            raise self.fail(cmd, str(cmd), f"error calling {name}: {exc}") from None
        except TemplateError as exc:
            raise self.fail(cmd, str(cmd), str(exc)) from None


class _CallError(Exception):
    """A function's error (``error calling NAME: ...``)."""


def _eq(a: Any, b: Any) -> bool:
    """``eq`` of two values (``funcs.go``): no value equals only no value; different kinds are an error."""
    nil_a, nil_b = a is MISSING or a is None, b is MISSING or b is None
    if nil_a or nil_b:
        return nil_a and nil_b
    if _kind(a) != _kind(b):
        raise _CallError(f"incompatible types for comparison: {_type(a)} and {_type(b)}")
    return bool(a == b)


def _lt(a: Any, b: Any) -> bool:
    """``lt`` (``funcs.go``): only numbers and strings of one kind compare."""
    ka, kb = _kind(a), _kind(b)
    if a is MISSING or a is None or b is MISSING or b is None or "other" in (ka, kb):
        raise _CallError("invalid type for comparison")
    if ka != kb:
        raise _CallError(f"incompatible types for comparison: {_type(a)} and {_type(b)}")
    if ka == "bool":
        raise _CallError("invalid type for comparison")
    return bool(a < b)


def _index(item: Any, keys: list[Any]) -> Any:
    for key in keys:
        if item is MISSING or item is None:
            raise _CallError("index of untyped nil")
        if isinstance(item, dict):
            if not isinstance(key, str):
                raise _CallError(f"value has type {_type(key)}; should be string")
            item = item.get(key, MISSING)  # a missing key: the map's zero value, nil
            item = None if item is MISSING else item
        elif isinstance(item, (list, str)):
            if not isinstance(key, int) or isinstance(key, bool):
                raise _CallError(f"cannot index slice/array with type {go_type(key)}")
            if not 0 <= key < len(item):
                raise _CallError(f"index out of range: {key}")
            item = item[key] if isinstance(item, list) else ord(item[key])
        else:
            raise _CallError(f"can't index item of type {go_type(item)}")
    return item


def _call(name: str, args: list[Any]) -> Any:
    """A builtin (``funcs.go``) or one of kubectl's (``exists``, ``base64decode``)."""
    if name in ("and", "or"):
        if not args:
            raise TemplateError(f"wrong number of args for {name}: want at least 1 got 0")
        for a in args:
            if truth(a) != (name == "and"):
                return a
        return args[-1]
    if name == "not":
        if len(args) != 1:
            raise TemplateError(f"wrong number of args for not: want 1 got {len(args)}")
        return not truth(args[0])
    if name == "len":
        if len(args) != 1:
            raise TemplateError(f"wrong number of args for len: want 1 got {len(args)}")
        if args[0] is MISSING or args[0] is None:
            raise _CallError("reflect: call of reflect.Value.Type on zero Value")
        if not isinstance(args[0], (str, list, dict)):
            raise _CallError(f"len of type {_type(args[0])}")
        return len(args[0])
    if name == "index":
        if not args:
            raise TemplateError("wrong number of args for index: want at least 1 got 0")
        return _index(args[0], args[1:])
    if name in ("print", "println", "printf"):
        args = [None if a is MISSING else a for a in args]
    if name == "print":
        return _sprint_args(args)
    if name == "println":
        return " ".join(go_sprint(a) for a in args) + "\n"
    if name == "printf":
        if not args or not isinstance(args[0], str):
            raise TemplateError("wrong number of args for printf: want at least 1 got 0")
        return printf(args[0], args[1:])
    if name in ("eq", "ne", "lt", "le", "gt", "ge"):
        if len(args) < 2 or (name != "eq" and len(args) != 2):
            raise _CallError("missing argument for comparison")
        a, b = args[0], args[1]
        if name == "eq":
            return any(_eq(a, x) for x in args[1:])
        if name == "ne":
            return not _eq(a, b)
        if name == "lt":
            return _lt(a, b)
        if name == "le":
            return _lt(a, b) or _eq(a, b)
        if name == "gt":
            return not (_lt(a, b) or _eq(a, b))
        return not _lt(a, b)
    if name == "exists":
        # cli-runtime's exists: whether the path of keys exists in nested maps (template.go).
        item = args[0] if args else MISSING
        for key in args[1:]:
            if not isinstance(item, dict) or key not in item:
                return False
            item = item[key]
        return True
    if name == "base64decode":
        if len(args) != 1 or not isinstance(args[0], str):
            raise TemplateError("wrong number of args for base64decode: want 1 got " + str(len(args)))
        try:
            return base64.b64decode(args[0], validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            raise _CallError("base64 decode failed: illegal base64 data at input byte 0") from None
    if name in ("html", "js", "urlquery"):
        # evalArgs: one string argument as is, else fmt.Sprint of them all (no value as <no value>).
        text = args[0] if len(args) == 1 and isinstance(args[0], str) else "".join(
            (" " if i and not isinstance(a, str) and not isinstance(args[i - 1], str) else "") + sprint(a)
            for i, a in enumerate(args))
        if name == "urlquery":
            return urllib.parse.quote_plus(text, safe="-_.~")
        if name == "js":
            return "".join(_js(c) for c in text)
        return "".join(_HTML.get(c, c) for c in text)  # template.HTMLEscapeString
    raise TemplateError(f"kitlib does not simulate the template function {name}")


def _js(c: str) -> str:
    """One character as ``template.JSEscapeString`` writes it."""
    if c in "\\'\"":
        return "\\" + c
    if c in "<>&=" or (c < " ") or not c.isprintable():
        return f"\\u{ord(c):04X}"
    return c


_HTML = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&#39;", '"': "&#34;", "\0": "\ufffd"}


def execute(text: str, data: Any, *, allow_missing_keys: bool = True) -> str:
    """What the template ``text`` writes for ``data``; :class:`TemplateError` for a parse or execution error.

    >>> execute('{{range .items}}{{.ip}}{{"\\\\n"}}{{end}}', {"items": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}]})
    '10.0.0.1\\n10.0.0.2\\n'
    >>> execute("{{.a}} {{.b}} {{len .c}}", {"a": 80.0, "c": [1.0, 2.0]})
    '80 <no value> 2'
    """
    nodes = parse(text)
    run = _Exec(text, data, allow_missing_keys)
    try:
        run.run(nodes, data)
    except TemplateError as exc:
        exc.partial = "".join(run.out)
        raise
    return "".join(run.out)
