"""A read-only HTTP API server over a kitlib cluster's objects, for the real kubectl to ``get`` from.

It answers the legacy discovery requests (``/api``, ``/apis``, ``/api/v1``, ``/apis/<group>/<version>``)
and GET of lists and single objects, as JSON (``kubectl get -o json|yaml|name|jsonpath|custom-columns``)
or as the server-side Table kubectl asks for its tables, whose columns and cells are kitlib's own
views: what is compared is then kubectl's assembly of the tables (several kinds, blank lines,
``--no-headers``, ``-A``, ``-L``, ``--show-labels``, ``--sort-by`` of rows), not the cells.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import kitlib
from kitlib.api.registry import CUSTOM, RESOURCES
from kitlib.kubectl.get import ALL


def _resources(cluster: kitlib.Cluster) -> dict[str, list[Any]]:
    """Each group/version's served resource types."""
    out: dict[str, list[Any]] = {}
    for res in RESOURCES.values():
        if res.kind in CUSTOM:
            continue
        out.setdefault(res.cls.api_version, []).append(res)
    return out


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
            return {**o.to_dict(), "apiVersion": res.cls.api_version, "kind": res.kind}
        return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o.to_dict()["metadata"]}
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": "1"},
            "columnDefinitions": columns, "rows": [{"cells": view.row(cluster, o, True), "object": obj(o)} for o in items]}


def _list_body(cluster: kitlib.Cluster, res: Any, namespace: str | None, query: dict[str, str]) -> dict[str, Any]:
    items = cluster.api.list(res.kind, namespace, query.get("labelSelector") or None)
    return {"kind": f"{res.kind}List", "apiVersion": res.cls.api_version, "metadata": {"resourceVersion": "1"},
            "items": [{**o.to_dict(), "apiVersion": res.cls.api_version, "kind": res.kind} for o in items]}


@contextmanager
def serving(cluster: kitlib.Cluster) -> Iterator[str]:
    """Serve ``cluster`` on a local port while the block runs; yields its URL."""
    groups = _resources(cluster)

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
            query = dict(p.split("=", 1) for p in raw.split("&") if "=" in p)
            from urllib.parse import unquote
            query = {k: unquote(v) for k, v in query.items()}
            parts = [p for p in path.split("/") if p]
            if parts == ["api"]:
                return self._send(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []})
            if parts == ["apis"]:
                found = [{"name": gv.split("/")[0], "versions": [{"groupVersion": gv, "version": gv.split("/")[1]}],
                          "preferredVersion": {"groupVersion": gv, "version": gv.split("/")[1]}}
                         for gv in groups if "/" in gv]
                return self._send(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": found})
            gv, rest = ("v1", parts[2:]) if parts[:2] == ["api", "v1"] else \
                ("/".join(parts[1:3]), parts[3:]) if parts[:1] == ["apis"] else ("", [])
            if gv not in groups:
                return self._send(404, {"kind": "Status", "status": "Failure", "code": 404})
            if not rest:
                # The kinds of the "all" category say so, as the API server's discovery does.
                listed = [{"name": r.plural, "singularName": r.singular, "namespaced": r.cls.namespaced,
                           "kind": r.kind, "verbs": ["get", "list"], "shortNames": list(r.short_names),
                           **({"categories": ["all"]} if r.kind in ALL else {})}
                          for r in sorted(groups[gv], key=lambda r: r.plural)]  # discovery's order
                return self._send(200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                                        "resources": listed})
            namespace = None
            if rest[0] == "namespaces" and len(rest) >= 3:
                namespace, rest = rest[1], rest[2:]
            by_plural = {r.plural: r for r in groups[gv]}
            res = by_plural.get(rest[0])
            if res is None:
                return self._send(404, {"kind": "Status", "status": "Failure", "code": 404})
            table = "as=Table" in (self.headers.get("Accept") or "")
            full = query.get("includeObject") == "Object"
            if len(rest) == 1:
                if table:
                    items = cluster.api.list(res.kind, namespace, query.get("labelSelector") or None)
                    return self._send(200, _table(cluster, res, items, full))
                return self._send(200, _list_body(cluster, res, namespace, query))
            try:
                obj = cluster.api.get(res.kind, rest[1], namespace or "default")
            except kitlib.NotFound as err:
                return self._send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                        "message": str(err).removeprefix("Error from server (NotFound): "),
                                        "reason": "NotFound", "code": 404,
                                        "details": {"name": rest[1], "kind": res.plural}})
            if table:
                return self._send(200, _table(cluster, res, [obj], full))
            return self._send(200, {**obj.to_dict(), "apiVersion": res.cls.api_version, "kind": res.kind})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
