"""The app-server side of HTTP: what a container's app receives, what it answers, and which images
have their own handler in one cluster (:class:`ContainerApps`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from ..clock import EPOCH

if TYPE_CHECKING:
    from ..api.pod import Container, Pod
    from ..runtime import Runtime


@dataclass(frozen=True)
class HttpRequest:
    """One request as the server sees it."""

    method: str
    url: str
    host: str
    port: int
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    client_ip: str = ""
    client_port: int = 0
    scheme: str = "http"

    @property
    def route(self) -> str:
        """The path without its query string."""
        return self.path.split("?", 1)[0]

    @property
    def query(self) -> dict[str, list[str]]:
        """The query string's parameters, each with its list of values."""
        return parse_qs(self.path.split("?", 1)[1]) if "?" in self.path else {}


@dataclass(frozen=True)
class AppReply:
    """What an application answers: a status, headers in the order it sends them, and a body."""

    status: int
    body: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    version: str = "HTTP/1.1"
    phrase: str = ""
    """The reason phrase when the server's differs from the standard one (nginx: "Service Temporarily
    Unavailable")."""
    upstream: Any = None
    """A proxy's trace of where it sent the request (the ingress controller's
    :class:`~kitlib.addons.ingress_nginx.ProxyTrace`), or None for an app that answers itself."""


AppHandler = Callable[["Runtime", "Pod", "Container", HttpRequest], "AppReply | None"]
"""What a container of an image answers to a request (None: it closes without an HTTP reply)."""


class ContainerApps:
    """One cluster's images with their own handler, registered by the add-on that ships them
    (the built-in images are :data:`kitlib.container.images.IMAGES`)."""

    def __init__(self) -> None:
        self._handlers: dict[str, AppHandler] = {}
        self._tls: set[str] = set()
        self._listens: dict[str, frozenset[tuple[int, str]]] = {}

    def register(self, image_repo: str, handler: AppHandler, tls: bool = False,
                 listens: frozenset[tuple[int, str]] | None = None) -> None:
        """Containers of ``image_repo`` (registry and tag dropped) answer with ``handler``;
        ``tls``: its server speaks TLS on its HTTPS port; ``listens``: the (port, protocol) pairs its
        program opens (None: the container's declared ports)."""
        self._handlers[image_repo] = handler
        if tls:
            self._tls.add(image_repo)
        if listens is not None:
            self._listens[image_repo] = listens

    def listeners(self, image_repo: str) -> frozenset[tuple[int, str]] | None:
        """The ports a registered image listens on, when its add-on said (see :meth:`register`)."""
        return self._listens.get(image_repo)

    def handler(self, image_repo: str) -> AppHandler | None:
        """The registered handler of ``image_repo``, or None."""
        return self._handlers.get(image_repo)

    def speaks_tls(self, image_repo: str) -> bool:
        """Whether ``image_repo``'s server speaks TLS (kitlib simulates TLS only where one registered it)."""
        return image_repo in self._tls


def status_line(status: int) -> str:
    """``200 OK``, ``404 Not Found``; just the number for a status with no standard phrase."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def now(rt: Runtime) -> datetime:
    """The simulated time as a UTC datetime."""
    return EPOCH + timedelta(seconds=rt.now)


def http_date(rt: Runtime) -> str:
    """The simulated time as an HTTP ``Date`` header."""
    return format_datetime(now(rt), usegmt=True)


def go_reply(rt: Runtime, status: int, body: str, extra: tuple[tuple[str, str], ...] = ()) -> AppReply:
    """A reply as Go's net/http writes it: Date, Content-Length and, with a body, a plain-text type."""
    headers = (*extra, ("Date", http_date(rt)), ("Content-Length", str(len(body.encode()))))
    if body:
        headers += (("Content-Type", "text/plain; charset=utf-8"),)
    return AppReply(status, body, headers)


__all__ = ["AppHandler", "AppReply", "ContainerApps", "HttpRequest", "go_reply", "http_date", "now", "status_line"]
