"""A stand-in API server over a kitlib cluster, for the real kubectl (the tests' oracle) to talk to.

It answers what the real kubectl asks before it prints, read-only:

- the legacy discovery requests (``/api``, ``/apis``, ``/api/v1``, ``/apis/<group>/<version>``) for
  every built-in kind kitlib registers, with the ``all`` category where the API server has it: all
  that ``kubectl run --dry-run=client`` asks (``createGeneratedObject`` maps the Pod's kind through
  discovery);
- GETs of lists (narrowed by ``labelSelector``) and of single objects, as JSON: what ``kubectl get
  -o json|yaml|name|jsonpath|custom-columns`` prints, and what ``kubectl expose``, ``set``,
  ``annotate`` and ``port-forward`` read before a ``--dry-run=client`` or a refusal; a missing object
  is the API server's NotFound Status;
- the server-side Table kubectl asks for its tables (``Accept: ...;as=Table``), whose columns and
  cells are kitlib's own views: what is compared is then kubectl's assembly of the tables (several
  kinds, blank lines, ``--no-headers``, ``-A``, ``-L``, ``--show-labels``, ``--sort-by`` of rows),
  not the cells.

Any other request is a 404. :func:`kubectl` runs the real kubectl against it (:func:`server_flags`
are the flags that point it there):

>>> with serve(kitlib.Cluster()) as url:  # doctest: +SKIP
...     print(kubectl(url, ["get", "pods", "-A"]).stdout)
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import oracle

import kitlib
from kitlib.api.registry import CUSTOM, RESOURCES
from kitlib.kubectl.get import ALL

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
"""The verbs discovery lists for a built-in kind (the server itself only answers ``get`` and ``list``)."""

CACHE = tempfile.mkdtemp(prefix="kitlib-kubectl-cache-")
"""Where the real kubectl keeps its discovery cache (not the working directory, with no HOME set)."""


def server_flags(url: str) -> list[str]:
    """The flags that point the real kubectl at the stand-in server ``url``."""
    return ["-s", url, f"--cache-dir={CACHE}"]


def kubectl(url: str, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """The real kubectl 1.37.1 run with ``argv`` against the stand-in server ``url``, with no
    kubeconfig; skips the calling test where the oracle is missing (:func:`oracle.require`)."""
    return subprocess.run([oracle.require(), *server_flags(url), *argv], capture_output=True, text=True, timeout=60,
                          check=False, env={"KUBECONFIG": "/nonexistent", "PATH": "/usr/bin:/bin"})


def _resources() -> dict[str, list[Any]]:
    """Each group/version's served built-in resource types."""
    out: dict[str, list[Any]] = {}
    for res in RESOURCES.values():
        if res.kind in CUSTOM:
            continue
        out.setdefault(res.cls.api_version, []).append(res)
    return out


def _discovery(groups: dict[str, list[Any]], parts: list[str]) -> dict[str, Any] | None:
    """The discovery document at the path ``parts``, or None if it is not a discovery path."""
    if parts == ["api"]:
        return {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}
    if parts == ["apis"]:
        found = [{"name": gv.split("/")[0], "versions": [{"groupVersion": gv, "version": gv.split("/")[1]}],
                  "preferredVersion": {"groupVersion": gv, "version": gv.split("/")[1]}}
                 for gv in groups if "/" in gv]
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": found}
    gv = "v1" if parts == ["api", "v1"] else "/".join(parts[1:]) if parts[:1] == ["apis"] and len(parts) == 3 else ""
    if gv not in groups:
        return None
    # The kinds of the "all" category say so, as the API server's discovery does.
    listed = [{"name": r.plural, "singularName": r.singular, "namespaced": r.cls.namespaced, "kind": r.kind,
               "verbs": VERBS, "shortNames": list(r.short_names), **({"categories": ["all"]} if r.kind in ALL else {})}
              for r in sorted(groups[gv], key=lambda r: r.plural)]  # discovery's order
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": listed}


def _body(res: Any, obj: Any) -> dict[str, Any]:
    """An object as the API server sends it: its fields with its ``apiVersion`` and ``kind``."""
    return {**obj.to_dict(), "apiVersion": res.cls.api_version, "kind": res.kind}


def _table(cluster: kitlib.Cluster, res: Any, items: list[Any], full: bool) -> dict[str, Any]:
    """The ``meta.k8s.io/v1`` Table the API server's printers make of ``items``: kitlib's view of the
    kind (every column, the ``-o wide`` ones at priority 1) and each row's object, its metadata only
    unless the full object was asked for (``includeObject=Object``, as ``--sort-by`` asks)."""
    from kitlib.kubectl.kinds import BY_KIND
    view = BY_KIND[res.kind]
    names = list(view.wide_order or (*view.headers, *view.wide))
    columns = [{"name": n, "type": "string", "format": "name" if n == "NAME" else "", "description": "",
                "priority": 1 if n in view.wide else 0} for n in names]

    def obj(o: Any) -> dict[str, Any]:
        if full:
            return _body(res, o)
        return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o.to_dict()["metadata"]}
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": "1"},
            "columnDefinitions": columns, "rows": [{"cells": view.row(cluster, o, True), "object": obj(o)} for o in items]}


def _not_found(message: str = "the server could not find the requested resource",
               details: dict[str, str] | None = None) -> dict[str, Any]:
    """The API server's NotFound Status."""
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": "NotFound", **({"details": details} if details else {}), "code": 404}


@contextmanager
def serve(cluster: kitlib.Cluster) -> Iterator[str]:
    """Serve ``cluster`` on a free local port while the block runs; yields its URL."""
    groups = _resources()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            path, _, raw = self.path.partition("?")
            query = {k: v[0] for k, v in parse_qs(raw).items()}
            parts = [p for p in path.split("/") if p]
            found = _discovery(groups, parts)
            if found is not None:
                return self._send(200, found)
            gv, rest = ("v1", parts[2:]) if parts[:2] == ["api", "v1"] else \
                ("/".join(parts[1:3]), parts[3:]) if parts[:1] == ["apis"] else ("", [])
            namespace = None
            if rest[:1] == ["namespaces"] and len(rest) >= 3:
                namespace, rest = rest[1], rest[2:]
            res = {r.plural: r for r in groups.get(gv, [])}.get(rest[0]) if rest else None
            if res is None or len(rest) > 2:
                return self._send(404, _not_found())
            table = "as=Table" in (self.headers.get("Accept") or "")
            full = query.get("includeObject") == "Object"
            if len(rest) == 1:
                items = cluster.api.list(res.kind, namespace, query.get("labelSelector") or None)
                if table:
                    return self._send(200, _table(cluster, res, items, full))
                return self._send(200, {"kind": f"{res.kind}List", "apiVersion": res.cls.api_version,
                                        "metadata": {"resourceVersion": "1"}, "items": [_body(res, o) for o in items]})
            try:
                obj = cluster.api.get(res.kind, rest[1], namespace or "default")
            except kitlib.NotFound as err:
                return self._send(404, _not_found(str(err).removeprefix("Error from server (NotFound): "),
                                                  {"name": rest[1], "kind": res.plural}))
            if table:
                return self._send(200, _table(cluster, res, [obj], full))
            return self._send(200, _body(res, obj))

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
