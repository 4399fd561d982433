"""The one exception family of kitlib, shaped like the API server's Status errors.

    ApiError                 any failure the API server or kubectl reports
     ├── Invalid             422: the object fails validation (field errors)
     ├── NotFound            404: no such object
     ├── AlreadyExists       409: create of a name that is taken
     ├── Conflict            409: an update that clashes with the stored object
     ├── Forbidden           403: refused by an admission plug-in (NamespaceLifecycle)
     ├── BadRequest          400 / a kubectl usage error ("error: ...")
     │    ├── ServerBadRequest   a 400 the API server reports ("Error from server (BadRequest): ...")
     │    └── InvalidArgument    a Python argument refused before any request (also a ValueError)
     └── PartialFailure      a kubectl command over several objects that did some and failed on others

A failed call never changes the cluster: verbs validate first and commit last. The one exception
is :class:`PartialFailure`, raised as kubectl exits 1 after changing the objects it reports.
"""

from __future__ import annotations

from dataclasses import dataclass


class ApiError(Exception):
    """An error in the API server's (or kubectl's) own words.

    ``str(err)`` is the server's message; :meth:`kubectl_text` is what kubectl prints. An error
    raised by :meth:`kitlib.Cluster.kubectl` is ``printed``: its message is kubectl's text already.
    """

    reason = "InternalError"
    code = 500
    printed = False
    """Whether the message is already what kubectl prints (the error came through kubectl)."""
    warnings: tuple[str, ...] = ()
    """The warnings kubectl wrote on stderr before the error (the server's answers to the requests
    that came before it, e.g. ``v1 Endpoints is deprecated ...``), without ``Warning:``."""

    def __init__(self, message: str, *, causes: list[FieldError] | None = None, printed: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.causes = list(causes or [])
        if printed is not None:
            self.printed = printed

    def kubectl_text(self) -> str:
        """What kubectl prints for this error, e.g. ``Error from server (NotFound): ...``."""
        return self.message if self.printed else self._kubectl_format()

    def _kubectl_format(self) -> str:
        """How kubectl prints an error of this class; subclasses print theirs."""
        return f"Error from server ({self.reason}): {self.message}"


class Invalid(ApiError):
    """The object fails the API server's validation."""

    reason, code = "Invalid", 422
    kind = ""
    name = ""

    def _kubectl_format(self) -> str:
        # kubectl names the kind without its group and lists several causes one per line; an
        # error with neither kind nor name (a patch that does not decode) is "The request is invalid".
        if not self.causes:
            return f"The {self.message}"
        if not self.kind and not self.name:
            head = "The request is invalid: "
        else:
            head = f'The {self.kind.split(".")[0]} "{self.name}" is invalid: '
        if len(self.causes) == 1:
            return head + str(self.causes[0])
        return head + "\n" + "\n".join(f"* {c}" for c in self.causes)


class NotFound(ApiError):
    """The named object does not exist."""

    reason, code = "NotFound", 404


class AlreadyExists(ApiError):
    """An object with that name exists already."""

    reason, code = "AlreadyExists", 409


class Conflict(ApiError):
    """The change clashes with the stored object (for example an allocated port)."""

    reason, code = "Conflict", 409


class Forbidden(ApiError):
    """An admission plug-in refuses the request, e.g. NamespaceLifecycle refusing to delete
    ``default``: ``namespaces "default" is forbidden: this namespace may not be deleted``."""

    reason, code = "Forbidden", 403


class BadRequest(ApiError):
    """A request that is malformed, or a kubectl usage error."""

    reason, code = "BadRequest", 400

    def _kubectl_format(self) -> str:
        return self.message if self.message.startswith("error:") else f"error: {self.message}"


class ServerBadRequest(BadRequest):
    """A 400 from the API server (not a kubectl usage error): ``Error from server (BadRequest): ...``,
    as for a request body it cannot decode."""

    def _kubectl_format(self) -> str:
        return f"Error from server ({self.reason}): {self.message}"


class InvalidArgument(BadRequest, ValueError):
    """A Python argument of a :class:`kitlib.Cluster` method that no request could carry (a float
    replica count, a NaN number of seconds). It is refused before anything changes, and is also a
    ``ValueError``, so ``except ValueError`` catches it as Python code expects."""


class PartialFailure(ApiError):
    """A kubectl command over several objects that changed some of them and failed on others, as
    ``kubectl delete deploy,svc db`` deletes the Deployment and reports the missing Service.

    Such a call is **not all or nothing**, exactly as on a real cluster: kubectl prints each
    success on stdout as it goes, the errors on stderr at the end, and exits 1. The message is both,
    in that order; :attr:`output` is the stdout part, :attr:`errors` the errors as kubectl printed
    them, and :attr:`changed` the ``(kind, namespace, name)`` of every object the call did change
    (the namespace is ``""`` for a cluster-scoped kind). ``reason`` and ``code`` are the first error's.
    """

    printed = True  # the message is kubectl's stdout and stderr already

    def __init__(self, output: list[str], errors: list[ApiError], changed: list[tuple[str, str, str]]) -> None:
        super().__init__("\n".join([*output, *(e.kubectl_text() for e in errors)]))
        self.output = "\n".join(output)
        self.errors = list(errors)
        self.changed = list(changed)
        self.reason, self.code = errors[0].reason, errors[0].code


@dataclass(frozen=True)
class FieldError:
    """One field error, printed as apimachinery prints it: ``<path>: <Type>: <value>: <detail>``."""

    path: str
    type: str
    value: object = None
    detail: str = ""
    show_value: bool = True

    def __str__(self) -> str:
        if self.type in ("Required value", "Forbidden", "Too many") or not self.show_value:
            body = f"{self.path}: {self.type}"
        else:
            body = f"{self.path}: {self.type}: {_go_value(self.value)}"
        return f"{body}: {self.detail}" if self.detail else body


def _go_value(value: object) -> str:
    # apimachinery prints strings quoted and escaped (fmt's %q) and numbers bare (%v).
    if isinstance(value, str):
        return go_quote(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
               "\v": "\\v", "\\": "\\\\", '"': '\\"'}


def go_quote(text: str) -> str:
    """Go's ``%q`` (``strconv.Quote``) of a string: printable characters as they are, the rest escaped.

    >>> print(go_quote('nginx\\n "x"'))
    "nginx\\n \\"x\\""
    """
    out = []
    for ch in text:
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def invalid(kind: str, name: str, errors: list[FieldError]) -> Invalid:
    """Build the Invalid error for ``kind`` (e.g. ``Deployment.apps``) named ``name``.

    >>> str(invalid("Deployment.apps", "web", [FieldError("spec.replicas", "Invalid value", -1,
    ...     "must be greater than or equal to 0")]))
    'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'
    """
    parts = [str(e) for e in errors]
    body = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    err = Invalid(f'{kind} "{name}" is invalid: {body}', causes=errors)
    err.kind, err.name = kind, name
    return err


def required(path: str) -> FieldError:
    """A ``Required value`` field error."""
    return FieldError(path, "Required value")


def unsupported(path: str, value: object, supported: list[str]) -> FieldError:
    """An ``Unsupported value`` field error listing the supported values as the API server does."""
    return FieldError(
        path, "Unsupported value", value, "supported values: " + ", ".join(f'"{s}"' for s in supported)
    )
