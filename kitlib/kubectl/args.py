"""kubectl's command line: words, flags (``--flag=value``, ``--flag value``, ``-n value``), the
resource types its words name, and the errors kubectl prints itself."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from ..api.registry import Resource, lookup
from ..errors import BadRequest

SHORT = {"-n": "namespace", "-A": "all-namespaces", "-l": "selector", "-o": "output", "-f": "filename",
         "-i": "stdin", "-t": "tty", "-c": "container", "-w": "watch", "-p": "patch"}
BOOLEAN = {"all-namespaces", "overwrite", "show-labels", "stdin", "tty", "watch", "ignore-daemonsets",
           "force", "all", "wait", "no-headers", "delete-emptydir-data"}


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


def resource_type(word: str) -> Resource:
    """The resource a word names (``po``, ``deployments``, ``svc``), as discovery resolves it."""
    res = lookup(word)
    if res is None:
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
            raise KubectlError(f'Error: invalid argument "{value}" for "{shown}" flag: strconv.ParseInt: '
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
    """Split a command line (a leading ``kubectl`` is dropped) into words and flags."""
    tokens = split(command)
    if tokens and tokens[0] == "kubectl":
        tokens = tokens[1:]
    args = Args()
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "--":
            args.rest = tokens[i + 1:]
            break
        if tok.startswith("--") or (tok.startswith("-") and len(tok) >= 2 and tok[:2] in SHORT):
            if tok.startswith("--"):
                name, eq, value = tok[2:].partition("=")
                missing = f"error: flag needs an argument: --{name}"
            else:
                name, value = SHORT[tok[:2]], tok[2:].lstrip("=")
                missing = f"error: flag needs an argument: '{tok[1]}' in {tok}"
            if not value and not (tok.startswith("--") and "=" in tok):
                if name in BOOLEAN:
                    value = "true"
                elif i + 1 < len(tokens):
                    i += 1
                    value = tokens[i]
                else:
                    raise BadRequest(missing)
            args.flags.setdefault(name, []).append(value)
        else:
            args.words.append(tok)
        i += 1
    return args


def check_flags(args: Args, allowed: Collection[str], command: str) -> None:
    """kubectl's refusal of a flag ``kubectl <command>`` does not take."""
    for flag in args.flags:
        if flag not in allowed:
            raise KubectlError(f"Error: unknown flag: --{flag}\nSee 'kubectl {command} --help' for usage.")


def one_name(words: list[str], command: str) -> str:
    """The NAME of ``kubectl <command> NAME``, or kubectl's error when there is not exactly one."""
    if len(words) != 1:
        raise KubectlError(f"error: exactly one NAME is required, got {len(words)}\n"
                           f"See 'kubectl {command} -h' for help and examples")
    return words[0]
