"""What a kubectl command prints: its output on stdout, and the warnings it writes on stderr.

The API server sends warnings with its answers (``Warning`` headers: a deprecated resource type,
fields dropped under ``--validate=warn``), and kubectl writes each on stderr as it arrives, as
``Warning: <text>``, once per command (client-go's ``rest.WarningWriter`` with ``Deduplicate``).
A command's handlers pass them on with :func:`warn` (or :func:`request`, for the warnings every
request about a resource type draws); :func:`collecting` gathers them for one command. They come
back apart from the output, as typed values:

* a command that succeeds returns an :class:`Output`: the ``str`` kubectl prints on stdout, with
  the warnings in its ``warnings`` tuple;
* a command that fails raises its :class:`~kitlib.errors.ApiError` with them in ``warnings``.

:meth:`kitlib.Cluster.kubectl` then writes them to ``sys.stderr`` (:func:`write`), so that a
notebook shows them as a stream of their own, before the output or the error.

>>> from kitlib import Cluster
>>> c = Cluster(nodes=1)
>>> out = c.kubectl("get endpoints kubernetes")  # also writes the warning to sys.stderr
>>> out.warnings
('v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice',)
>>> print(out)
NAME         ENDPOINTS           AGE
kubernetes   192.168.49.2:8443   2m
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from ..cluster import Cluster

_said: ContextVar[list[str] | None] = ContextVar("kubectl_warnings", default=None)
"""The warnings of the command running now (None outside one)."""


class Output(str):
    """What a kubectl command printed on stdout (the string itself), and the warnings it wrote on
    stderr before it (``warnings``, each without kubectl's ``Warning:`` prefix)."""

    warnings: tuple[str, ...]

    def __new__(cls, text: str = "", warnings: Iterable[str] = ()) -> Output:
        out = super().__new__(cls, text)
        out.warnings = tuple(warnings)
        return out

    @property
    def stderr(self) -> str:
        """The warnings as kubectl writes them: one ``Warning: ...`` line each."""
        return stderr_text(self.warnings)


class Note(str):
    """A line kubectl itself writes on stderr, not a server's warning: no ``Warning:`` prefix
    (``Defaulted container "x" out of: x, y``, ``Found 3 pods, using pod/web-...``)."""


def stderr_text(warnings: Iterable[str]) -> str:
    """``Warning: <text>`` lines, as kubectl's warning handler writes them (a :class:`Note` as it is)."""
    return "".join(f"{text}\n" if isinstance(text, Note) else f"Warning: {text}\n" for text in warnings)


def warn(text: str) -> None:
    """Pass on a warning the server sent with its answer; the same text is written once a command."""
    said = _said.get()
    if said is not None and text and text not in said:
        said.append(text)


def note(text: str) -> None:
    """Pass on a line kubectl writes on stderr itself (a :class:`Note`), in the warnings' stream
    (each time it is said: only the server's warnings are deduplicated)."""
    said = _said.get()
    if said is not None and text:
        said.append(Note(text))


def request(cluster: Cluster, kind: str) -> None:
    """A request about resource type ``kind`` is made: pass on the warnings the server sends with
    every answer about it (``v1 Endpoints is deprecated ...``)."""
    for text in cluster.api.warnings(kind):
        warn(text)


@contextmanager
def collecting() -> Iterator[list[str]]:
    """The warnings passed on while the block runs, in the order they came."""
    said: list[str] = []
    token = _said.set(said)
    try:
        yield said
    finally:
        _said.reset(token)


def write(warnings: Iterable[str], stream: TextIO | None = None) -> None:
    """Write the warnings as kubectl does, on stderr (the current ``sys.stderr`` by default)."""
    text = stderr_text(warnings)
    if text:
        out = stream or sys.stderr
        out.write(text)
        out.flush()  # before the output is printed, as kubectl's stderr comes first
