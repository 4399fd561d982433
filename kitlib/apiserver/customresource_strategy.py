"""CustomResourceDefinitions and the custom resources they define (``apiextensions-apiserver``).

Creating a definition makes its kind served in this cluster (:meth:`ApiServer.serve`), at once
(kitlib's definitions are Established when stored); deleting it stops serving the kind and
deletes its objects (what the ``customresourcecleanup.apiextensions.k8s.io`` finalizer does
before the definition goes; kitlib does both at once).

A custom resource's write runs its definition's schema (``registry/customresource/strategy.go``):
with a ``status`` subresource, a create drops the status a client sent and an update keeps the
stored one (``PrepareForCreate``/``PrepareForUpdate``); then the structural defaults, the value
validations and the CEL rules (:mod:`kitlib.api.schema`). A status write
(:meth:`ApiServer.update_status`) is validated against the same schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..api import schema
from ..api.convert import clone
from ..api.crd import (
    CustomKind,
    CustomObject,
    CustomResourceDefinition,
    generic_class,
    served_version,
)
from ..api.meta import Condition, KubeObject
from ..api.registry import CUSTOM, RESOURCES, Resource, register_custom
from ..errors import FieldError, NotFound, invalid
from .strategy import Allocation, Strategy

if TYPE_CHECKING:
    from .server import ApiServer

NO_ROUTE = "the server could not find the requested resource"
"""The API server's 404 for a path it does not serve (client-go's words for it)."""


def custom_kind(crd: CustomResourceDefinition) -> CustomKind | None:
    """What ``crd`` serves in kitlib: a kind kitlib models in the version it models (a kind of
    :data:`~kitlib.api.registry.CUSTOM` with a dataclass), any other kind generically in its
    storage version; None if that version is not served, or the kind has a built-in kind's name."""
    names = crd.spec.names
    res = RESOURCES.get(names.kind)
    if res is not None and names.kind not in CUSTOM:
        return None  # a built-in kind's name: kitlib keys kinds by name alone, and cannot serve both
    if res is not None and not issubclass(res.cls, CustomObject):
        version = crd.version(res.cls.api_version.split("/")[-1])
    else:
        version = served_version(crd)
        if version is None:
            return None
        cls = generic_class(f"{crd.spec.group}/{version['name']}", names.kind, crd.spec.scope == "Namespaced")
        res = register_custom(Resource(cls, names.plural, tuple(names.short_names)))
        from .strategies import STRATEGIES as ALL  # the list this module is part of

        ALL.setdefault(names.kind, CustomResourceStrategy(names.kind))
    if version is None:
        return None
    return CustomKind(res, crd.name, version["name"], version.get("schema", {}).get("openAPIV3Schema", {}),
                      tuple(version.get("additionalPrinterColumns", ())),
                      "status" in (version.get("subresources") or {}))


class CustomResourceDefinitionStrategy(Strategy[CustomResourceDefinition]):
    """A definition: its name is ``<plural>.<group>``; once stored it is Established and serves."""

    kind = "CustomResourceDefinition"
    generation = True
    draws = False
    resets_status = True

    def validate(self, obj: CustomResourceDefinition) -> list[FieldError]:
        spec = obj.spec
        errs: list[FieldError] = []
        want = f"{spec.names.plural}.{spec.group}"
        if obj.name != want:
            # ValidateCustomResourceDefinition's first check.
            errs.append(FieldError("metadata.name", "Invalid value", obj.name,
                                   'must be spec.names.plural+"."+spec.group'))
        if not spec.names.kind:
            errs.append(FieldError("spec.names.kind", "Required value"))
        if spec.scope not in ("Namespaced", "Cluster"):
            errs.append(FieldError("spec.scope", "Unsupported value", spec.scope,
                                   'supported values: "Cluster", "Namespaced"'))
        return errs

    def before_store(self, api: ApiServer, obj: CustomResourceDefinition, old: CustomResourceDefinition | None) -> None:
        now = api.clock.timestamp()
        names = clone(obj.spec.names)
        obj.status.accepted_names = names
        obj.status.stored_versions = [v["name"] for v in obj.spec.versions if v.get("storage")]
        obj.status.conditions = [
            Condition(type="NamesAccepted", status="True", last_transition_time=now, reason="NoConflicts",
                      message="no conflicts found"),
            Condition(type="Established", status="True", last_transition_time=now, reason="InitialNamesAccepted",
                      message="the initial names have been accepted")]
        served = custom_kind(obj)
        if served is not None:
            api.serve(served)

    def release(self, api: ApiServer, obj: CustomResourceDefinition) -> None:
        api.unserve(obj.spec.names.kind, obj.name)


class CustomResourceStrategy(Strategy[KubeObject]):
    """A custom resource of a served kind: its definition's schema decides."""

    generation = True
    draws = False

    def __init__(self, kind: str) -> None:
        self.kind = kind  # type: ignore[misc]  # one instance per custom kind

    def prepare(self, api: ApiServer, obj: KubeObject, old: KubeObject | None, txn: Allocation) -> None:
        served = api.custom.get(self.kind)
        if served is None:
            raise NotFound(NO_ROUTE)
        if served.status_subresource and hasattr(obj, "status"):
            status: Any = getattr(obj, "status")  # noqa: B009  # every custom kind has a status field
            setattr(obj, "status", clone(getattr(old, "status")) if old is not None else (  # noqa: B009, B010  # as above
                None if status is None or isinstance(status, dict) else type(status)()))
        sent = obj.__dict__.pop(schema.SENT, None)
        body = obj.to_dict()
        if sent is not None:  # what the client sent, with the status the server keeps
            body = {**sent, "metadata": body["metadata"], **({"status": body["status"]} if "status" in body else {})}
        schema.apply_defaults(body, served.schema)
        errs = schema.validate(body, served.schema, old.to_dict() if old is not None else None)
        if errs:
            raise invalid(served.resource.qualified_kind, obj.name, errs)
        _refill(obj, body)

    def validate_status(self, api: ApiServer, obj: KubeObject) -> None:
        """The status subresource's write: the object against the schema (``ValidateUpdate`` of
        the status strategy), with its defaults."""
        served = api.custom.get(self.kind)
        if served is None:
            raise NotFound(NO_ROUTE)
        body = obj.to_dict()
        schema.apply_defaults(body, served.schema)
        errs = schema.validate(body, served.schema)
        if errs:
            raise invalid(served.resource.qualified_kind, obj.name, errs)
        _refill(obj, body)


def _refill(obj: KubeObject, body: dict[str, Any]) -> None:
    """Put the defaulted ``body`` back into ``obj`` (all but its metadata)."""
    fresh = type(obj).from_dict(body)
    for key, value in vars(fresh).items():
        if key != "metadata":
            setattr(obj, key, value)


STRATEGIES: tuple[Strategy[Any], ...] = (CustomResourceDefinitionStrategy(),
                                          *(CustomResourceStrategy(kind) for kind in sorted(CUSTOM)))
"""The strategies of this module; those of kinds served generically are added to the server's
list as their first definition is stored (:func:`custom_kind`)."""
