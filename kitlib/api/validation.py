"""The field checks several kinds share, with apimachinery's messages: names, labels, object
metadata, and Go's printing of rejected values. Each kind's own validation is in its strategy
(:mod:`kitlib.apiserver.strategies`).

Each ``validate_*`` returns a list of :class:`FieldError`; the caller raises
:func:`kitlib.errors.invalid` when the list is not empty, before anything is stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..errors import FieldError
from .meta import ObjectMeta

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
IANA_SVC_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")

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


def validate_labels(labels: dict[str, str], path: str) -> list[FieldError]:
    errs = []
    for key, value in labels.items():
        name = key.rsplit("/", 1)[-1]
        if not QUALIFIED_NAME.match(name) or len(name) > 63:
            errs.append(FieldError(path, "Invalid value", key, NAME_MSG))
        if not isinstance(value, str) or len(value) > 63 or not LABEL_VALUE.match(value):
            errs.append(FieldError(path, "Invalid value", value, LABEL_VALUE_MSG))
    return errs


def validate_meta(meta: ObjectMeta, *, namespaced: bool, name_check: Callable[[str, str], list[FieldError]] = dns1123_subdomain) -> list[FieldError]:
    errs: list[FieldError] = []
    if not meta.name and not meta.generate_name:
        errs.append(FieldError("metadata.name", "Required value", detail="name or generateName is required"))
    elif meta.name:
        errs += name_check(meta.name, "metadata.name")
    errs += validate_labels(meta.labels, "metadata.labels")
    return errs


class GoValue:
    """A Go value printed as-is (not quoted) in a field error."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text
