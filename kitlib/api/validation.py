"""The field checks several kinds share, with apimachinery's messages: names, labels, object
metadata, and Go's printing of rejected values. Each kind's own validation is in its strategy
(:mod:`kitlib.apiserver.strategies`).

Each ``validate_*`` returns a list of :class:`FieldError`; the caller raises
:func:`kitlib.errors.invalid` when the list is not empty, before anything is stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from ..errors import FieldError
from .meta import ObjectMeta

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
IANA_SVC_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
    "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
NAME_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
    "an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
    "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
QUALIFIED_NAME_MSG = (
    "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and "
    "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix "
    "and '/' (e.g. 'example.com/MyName')"
)
TOTAL_ANNOTATION_SIZE_LIMIT = 256 * (1 << 10)
"""``TotalAnnotationSizeLimitB``: the bytes of all annotation keys and values together."""
PROTOCOLS = ["SCTP", "TCP", "UDP"]


def dns1123_subdomain(value: str, path: str) -> list[FieldError]:
    errs = []
    if len(value) > 253:
        errs.append(FieldError(path, "Invalid value", value, "must be no more than 253 characters"))
    if not DNS1123_SUBDOMAIN.match(value):
        errs.append(FieldError(path, "Invalid value", value, SUBDOMAIN_MSG))
    return errs


def dns1123_label(value: str, path: str) -> list[FieldError]:
    errs = []
    if len(value) > 63:
        errs.append(FieldError(path, "Invalid value", value, "must be no more than 63 characters"))
    if not DNS1123_LABEL.match(value):
        errs.append(FieldError(path, "Invalid value", value, LABEL_MSG))
    return errs


def dns1035_label(value: str, path: str) -> list[FieldError]:
    """``IsDNS1035Label`` (a Service's name): at most 63 characters, starting with a letter."""
    errs = []
    if len(value) > 63:
        errs.append(FieldError(path, "Invalid value", value, "must be no more than 63 characters"))
    if not DNS1035_LABEL.match(value):
        errs.append(FieldError(path, "Invalid value", value, DNS1035_MSG))
    return errs


@lru_cache(maxsize=4096)
def qualified_name_errors(value: str) -> tuple[str, ...]:
    """``IsQualifiedName``: a label or annotation key, an optional DNS-1123 subdomain prefix (at
    most 253 characters) and ``/``, then a name of at most 63 characters.

    >>> qualified_name_errors("example.com/app")
    ()
    >>> qualified_name_errors("a/b/c")[0][:35]
    'a qualified name must consist of al'
    """
    parts = value.split("/")
    if len(parts) > 2:
        return (QUALIFIED_NAME_MSG,)
    errs = []
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs += ["prefix part " + e.detail for e in dns1123_subdomain(prefix, "")]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part must be no more than 63 characters")
    if not QUALIFIED_NAME.match(name):
        errs.append(NAME_MSG)
    return tuple(errs)


def label_value_errors(value: str) -> list[str]:
    """``IsValidLabelValue``: at most 63 characters, empty or alphanumeric at both ends."""
    errs = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not LABEL_VALUE.match(value):
        errs.append(LABEL_VALUE_MSG)
    return errs


def validate_labels(labels: dict[str, str], path: str) -> list[FieldError]:
    """``ValidateLabels``: each key a qualified name, each value a label value."""
    errs = []
    for key, value in labels.items():
        key_errs, value_errs = qualified_name_errors(key), _label_value_errors(value)
        if key_errs:
            errs += [FieldError(path, "Invalid value", key, msg) for msg in key_errs]
        if value_errs:
            errs += [FieldError(path, "Invalid value", value, msg) for msg in value_errs]
    return errs


@lru_cache(maxsize=4096)  # every pod a ReplicaSet creates carries its template's labels
def _label_value_errors(value: str) -> tuple[str, ...]:
    return tuple(label_value_errors(value))


def validate_annotations(annotations: dict[str, str], path: str) -> list[FieldError]:
    """``ValidateAnnotations``: each key a qualified name (in any case), and all keys and values
    together at most 256 KiB."""
    errs = []
    size = 0
    for key, value in annotations.items():
        errs += [FieldError(path, "Invalid value", key, msg) for msg in qualified_name_errors(key.lower())]
        size += len(key) + len(value)
    if size * 4 > TOTAL_ANNOTATION_SIZE_LIMIT:  # characters are 1 to 4 bytes: count bytes only here
        size = sum(len(k.encode()) + len(v.encode()) for k, v in annotations.items())
    if size > TOTAL_ANNOTATION_SIZE_LIMIT:
        errs.append(FieldError(path, "Too long", detail=f"must have at most {TOTAL_ANNOTATION_SIZE_LIMIT} bytes",
                               show_value=False))
    return errs


def validate_meta(meta: ObjectMeta, *, namespaced: bool, name_check: Callable[[str, str], list[FieldError]] = dns1123_subdomain) -> list[FieldError]:
    errs: list[FieldError] = []
    if not meta.name and not meta.generate_name:
        errs.append(FieldError("metadata.name", "Required value", detail="name or generateName is required"))
    elif meta.name:
        errs += name_check(meta.name, "metadata.name")
    errs += validate_labels(meta.labels, "metadata.labels")
    errs += validate_annotations(meta.annotations, "metadata.annotations")
    return errs


class GoValue:
    """A Go value printed as-is (not quoted) in a field error."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text
