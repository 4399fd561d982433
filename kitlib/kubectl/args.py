"""kubectl's command line: words, flags (``--flag=value``, ``--flag value``, ``-n value``), the
resource types its words name, and the errors kubectl prints itself."""

from __future__ import annotations

import re
from collections.abc import Collection, Container
from dataclasses import dataclass, field

from ..api.registry import CUSTOM, Resource, lookup
from ..errors import BadRequest
from .flags import (
    ELSEWHERE,
    FLAG_SETS,
    NO_OPTION_DEFAULT,
    ROOT,
    ROOT_COMMANDS,
    SUBCOMMANDS,
    FlagSet,
)


class KubectlError(BadRequest):
    """A client-side error whose text is exactly what kubectl prints (it may span lines): kubectl
    adds no ``Error from server`` prefix to its own errors."""

    printed = True


class ShellSyntaxError(KubectlError):
    """A command line the shell refuses before kubectl runs (an unterminated quote): the text is
    what ``bash -c`` prints for it, and bash exits 2."""


_PIECE = re.compile(r"""[^ \t\r\n'"\\]+|'[^']*'|"[^"\\]*(?:\\.[^"\\]*)*"|['"]|\\.|\\$|[ \t\r\n]+""", re.DOTALL)
_DQUOTE_ESCAPE = re.compile(r'\\([\\"])')


def split(line: str) -> list[str]:
    r"""The words a POSIX shell makes of ``line``: quotes and backslashes as ``shlex.split`` reads
    them, in one linear pass (shlex grows each word a character at a time, quadratic in its length).
    An unterminated quote is bash's syntax error; a backslash at the very end stays a backslash, as
    in bash.

    >>> split('''exec web -- sh -c "echo 'hi'" a\\ b''')
    ['exec', 'web', '--', 'sh', '-c', "echo 'hi'", 'a b']
    """
    words: list[str] = []
    parts: list[str] = []
    started = False
    for m in _PIECE.finditer(line):
        piece = m.group()
        first = piece[0]
        if first in " \t\r\n":
            if started:
                words.append("".join(parts))
                parts, started = [], False
            continue
        started = True
        if first in "'\"":
            if len(piece) == 1:
                raise ShellSyntaxError(f"bash: -c: line 1: unexpected EOF while looking for matching `{first}'")
            body = piece[1:-1]
            parts.append(body if first == "'" else _DQUOTE_ESCAPE.sub(r"\1", body))
        elif first == "\\":
            parts.append(piece[1:] or "\\")
        else:
            parts.append(piece)
    if started:
        words.append("".join(parts))
    return words


def resource_type(word: str, served: Container[str] | None = None) -> Resource:
    """The resource a word names (``po``, ``deployments``, ``svc``), as discovery resolves it;
    a custom kind only if the cluster serves it (``served``: its custom kinds)."""
    res = lookup(word)
    if res is None or (served is not None and res.kind in CUSTOM and res.kind not in served):
        raise BadRequest(f'error: the server doesn\'t have a resource type "{word}"')
    return res


@dataclass
class Args:
    """One parsed command line: its words, its flags (each value given, in order), and what follows ``--``."""

    words: list[str] = field(default_factory=list)
    flags: dict[str, list[str]] = field(default_factory=dict)
    rest: list[str] = field(default_factory=list)  # after "--"

    @property
    def namespace(self) -> str:
        """``-n``, or ``default``."""
        return self.get("namespace") or "default"

    def get(self, name: str, default: str | None = None) -> str | None:
        """The flag's last value."""
        values = self.flags.get(name)
        return values[-1] if values else default

    def all(self, name: str) -> list[str]:
        """Every value the flag was given."""
        return self.flags.get(name, [])

    def has(self, name: str) -> bool:
        """Whether the flag was given."""
        return name in self.flags

    def on(self, name: str) -> bool:
        """Whether a boolean flag is on: given bare or ``=true`` last (``--show-labels=false`` is off)."""
        return self.get(name) == "true"

    def flag_int(self, name: str, command: str, default: int | None = None, *, bits: int = 64,
                 shorthand: str = "") -> int | None:
        """The flag's last value as pflag parses an ``int`` (``bits=64``) or ``int32`` flag, or
        cobra's error as kubectl prints it: ``invalid syntax`` for a non-number, ``value out of
        range`` past the flag's size."""
        value = self.get(name)
        if value is None:
            return default
        try:
            number = int(value)
            reason = "value out of range" if not -(2 ** (bits - 1)) <= number < 2 ** (bits - 1) else ""
        except ValueError:
            reason = "invalid syntax"
        if reason:
            shown = f"-{shorthand}, --{name}" if shorthand else f"--{name}"
            raise KubectlError(f'error: invalid argument "{value}" for "{shown}" flag: strconv.ParseInt: '
                               f'parsing "{value}": {reason}\nSee \'kubectl {command} --help\' for usage.')
        return number


    def int(self, name: str, default: int | None = None) -> int | None:
        """The flag's last value as a number, refused in cobra's words when it is not one."""
        value = self.get(name)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError:
            raise BadRequest(f'error: invalid argument "{value}" for "--{name}" flag: strconv.ParseInt: '
                             f'parsing "{value}": invalid syntax') from None


def parse(command: str) -> Args:
    """Split a command line (a leading ``kubectl`` is dropped) into words and flags, as cobra does:
    the command is found first (``get``, ``create deployment``, ``rollout status``), then the line
    is parsed with that command's flags (:mod:`.flags`), the global ones included. A flag the
    command does not take is kubectl's ``error: unknown flag``; a boolean takes no word after it.
    Under a subcommand kitlib does not know (``create secret``), flags are not checked, so that the
    command's own error is the one printed."""
    tokens = split(command)
    if tokens and tokens[0] == "kubectl":
        tokens = tokens[1:]
    flag_set, strict = _command(tokens)
    args = Args()
    flags = args.flags
    words = args.words
    i, count = 0, len(tokens)
    while i < count:
        tok = tokens[i]
        i += 1
        if tok == "--":
            args.rest = tokens[i:]
            break
        if len(tok) < 2 or tok[0] != "-":
            words.append(tok)
        elif tok[1] == "-":
            i = _long(tok, tokens, i, flag_set, strict, flags)
        else:
            i = _shorthands(tok, tokens, i, flag_set, strict, flags)
    return args


def _command(tokens: list[str]) -> tuple[FlagSet, bool]:
    """The flags of the command the words name, and whether kitlib knows that command (cobra's
    ``Find``: a flag it does not know as a boolean there is taken to have a value after it)."""
    path, flag_set = "", ROOT
    i, count = 0, len(tokens)
    while i < count:
        tok = tokens[i]
        i += 1
        if tok == "--":
            break
        if len(tok) >= 2 and tok[0] == "-":
            name = tok.lstrip("-")
            if "=" in tok or (tok[1] != "-" and len(tok) > 2):
                continue
            name = flag_set.short.get(name, name) if tok[1] != "-" else name
            if not flag_set.long.get(name, False) and name not in NO_OPTION_DEFAULT:
                i += 1
            continue
        subcommands = SUBCOMMANDS.get(path) if path else FLAG_SETS
        if not subcommands:
            break
        sub = subcommands.get(tok) if path else (tok if tok in FLAG_SETS and " " not in tok else None)
        if sub is None:  # an unknown command or one kitlib does not simulate, or the command's first argument
            return flag_set, bool(path) and tok not in ELSEWHERE.get(path, ())
        path = f"{path} {sub}".strip()
        flag_set = FLAG_SETS[path]
    return flag_set, True


def _usage(flag_set: FlagSet, message: str) -> KubectlError:
    command = f"kubectl {flag_set.path}".strip()
    return KubectlError(f"error: {message}\nSee '{command} --help' for usage.")


def _set(flags: dict[str, list[str]], flag_set: FlagSet, name: str, value: str, shown: str) -> None:
    if flag_set.long.get(name):
        if value not in _BOOLS:
            raise _usage(flag_set, f'invalid argument "{value}" for "{shown}" flag: strconv.ParseBool: parsing '
                                   f'"{value}": invalid syntax')
        value = _BOOLS[value]
    flags.setdefault(name, []).append(value)


_BOOLS = {**dict.fromkeys(("1", "t", "T", "TRUE", "true", "True"), "true"),
          **dict.fromkeys(("0", "f", "F", "FALSE", "false", "False"), "false")}
"""What Go's ``strconv.ParseBool`` accepts."""


def _long(tok: str, tokens: list[str], i: int, flag_set: FlagSet, strict: bool,
          flags: dict[str, list[str]]) -> int:
    """``--name``, ``--name=value`` or ``--name value``; the index of the next token."""
    name, eq, value = tok[2:].partition("=")
    if not name or name[0] in "-=":
        raise _usage(flag_set, f"bad flag syntax: {tok}")
    boolean = flag_set.long.get(name)
    if boolean is None and strict:
        raise _usage(flag_set, f"unknown flag: --{name}")
    shorthand = next((s for s, n in flag_set.short.items() if n == name), "")
    shown = f"-{shorthand}, --{name}" if shorthand else f"--{name}"
    if not eq:
        if boolean:
            value = "true"
        elif name in NO_OPTION_DEFAULT:
            value = NO_OPTION_DEFAULT[name]
        elif i < len(tokens):
            value, i = tokens[i], i + 1
        elif boolean is None:  # not checked: let the command's own error be printed
            value = "true"
        else:
            raise _usage(flag_set, f"flag needs an argument: --{name}")
    _set(flags, flag_set, name, value, shown)
    return i


def _shorthands(tok: str, tokens: list[str], i: int, flag_set: FlagSet, strict: bool,
                flags: dict[str, list[str]]) -> int:
    """``-it``, ``-n NS``, ``-nNS``, ``-n=NS``, ``-A=false``; the index of the next token."""
    rest = tok[1:]
    while rest:
        letter, rest = rest[0], rest[1:]
        name = flag_set.short.get(letter) or (_LENIENT_SHORT.get(letter, letter) if not strict else None)
        if name is None:
            raise _usage(flag_set, f"unknown shorthand flag: '{letter}' in {tok}")
        shown = f"-{letter}, --{name}"
        if rest.startswith("="):
            _set(flags, flag_set, name, rest[1:], shown)
            return i
        if flag_set.long.get(name, False):
            _set(flags, flag_set, name, "true", shown)
            continue
        if rest:
            _set(flags, flag_set, name, rest, shown)
            return i
        if i >= len(tokens):
            raise _usage(flag_set, f"flag needs an argument: '{letter}' in {tok}")
        _set(flags, flag_set, name, tokens[i], shown)
        return i + 1
    return i


_LENIENT_SHORT = {"A": "all-namespaces", "l": "selector", "o": "output", "f": "filename"}
"""Shorthands read under a command kitlib does not know, so that its own error is reached."""


def check_flags(args: Args, allowed: Collection[str], command: str) -> None:
    """kubectl's refusal of a flag ``kubectl <command>`` does not take."""
    for flag in args.flags:
        if flag not in allowed and flag not in ROOT.long:
            raise KubectlError(f"error: unknown flag: --{flag}\nSee 'kubectl {command} --help' for usage.")


def _levenshtein(a: str, b: str) -> int:
    """cobra's ``ld`` with ``ignoreCase``: the edit distance of the lower-cased words."""
    a, b = a.lower(), b.lower()
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[len(b)]


def unknown_command(word: str) -> KubectlError:
    """cobra's ``unknown command`` error with its ``Did you mean this?`` list (``SuggestionsFor``:
    each command within edit distance 2, or that starts with the word, in the root's order).

    >>> str(unknown_command("gett")).splitlines()
    ['error: unknown command "gett" for "kubectl"', '', 'Did you mean this?', '\\tset', '\\tget']
    """
    text = f'error: unknown command "{word}" for "kubectl"'
    near = [c for c in ROOT_COMMANDS if _levenshtein(word, c) <= 2 or c.startswith(word.lower())]
    if near:
        text += "\n\nDid you mean this?\n" + "\n".join(f"\t{c}" for c in near)
    return KubectlError(text)


def one_name(words: list[str], command: str) -> str:
    """The NAME of ``kubectl <command> NAME``, or kubectl's error when there is not exactly one."""
    if len(words) != 1:
        raise KubectlError(f"error: exactly one NAME is required, got {len(words)}\n"
                           f"See 'kubectl {command} -h' for help and examples")
    return words[0]
