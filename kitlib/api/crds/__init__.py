"""CustomResourceDefinitions kitlib ships: the Gateway API v1.6.1 standard channel.

The documents are those of ``config/crd/standard/`` at the gateway-api tag ``v1.6.1`` (what
``standard-install.yaml`` installs), stored as compact JSON by ``scripts/vendor-gateway-crds``.

>>> [d["metadata"]["name"] for d in gateway_api_documents()][:3]
['backendtlspolicies.gateway.networking.k8s.io', 'gatewayclasses.gateway.networking.k8s.io', 'gateways.gateway.networking.k8s.io']
>>> gateway_api_documents()[0]["metadata"]["annotations"]["gateway.networking.k8s.io/bundle-version"]
'v1.6.1'
"""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from typing import Any

GATEWAY_API_VERSION = "v1.6.1"
"""The Gateway API release vendored here (its CRDs' ``gateway.networking.k8s.io/bundle-version``)."""
GATEWAY_API_FILE = f"gateway-api-{GATEWAY_API_VERSION}-standard.json"

__all__ = ["GATEWAY_API_VERSION", "gateway_api_documents", "standard_install_documents"]


@functools.cache
def _documents() -> tuple[dict[str, Any], ...]:
    return tuple(json.loads(resources.files(__package__).joinpath(GATEWAY_API_FILE).read_text()))


def standard_install_documents() -> list[dict[str, Any]]:
    """Every document of the standard channel's install, in file order (a copy to change freely):
    the CRDs and the ``safe-upgrades`` ValidatingAdmissionPolicy and its binding."""
    return copy.deepcopy(list(_documents()))


def gateway_api_documents() -> list[dict[str, Any]]:
    """The standard channel's CustomResourceDefinitions (a copy to change freely), in file order."""
    return [copy.deepcopy(d) for d in _documents() if d["kind"] == "CustomResourceDefinition"]


@functools.cache
def crd_named(name: str) -> dict[str, Any]:
    """The vendored CRD ``name`` (``gateways.gateway.networking.k8s.io``), shared: do not change it."""
    for d in _documents():
        if d["kind"] == "CustomResourceDefinition" and d["metadata"]["name"] == name:
            return d
    raise KeyError(name)
