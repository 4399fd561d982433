"""A read-only HTTP API server over a kitlib cluster's objects, for the real kubectl to ``get`` from.

It answers the legacy discovery requests (``/api``, ``/apis``, ``/api/v1``, ``/apis/<group>/<version>``)
and GET of lists and single objects as JSON, which is all ``kubectl get -o json|yaml|name|jsonpath|
custom-columns`` asks for (those printers need no server-side Table). The objects are kitlib's own,
so kubectl's output over them can be compared byte for byte with kitlib's ``get``.
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


def _resources(cluster: kitlib.Cluster) -> dict[str, list[Any]]:
    """Each group/version's served resource types."""
    out: dict[str, list[Any]] = {}
    for res in RESOURCES.values():
        if res.kind in CUSTOM:
            continue
        out.setdefault(res.cls.api_version, []).append(res)
    return out


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
                listed = [{"name": r.plural, "singularName": r.singular, "namespaced": r.cls.namespaced,
                           "kind": r.kind, "verbs": ["get", "list"], "shortNames": list(r.short_names)}
                          for r in groups[gv]]
                return self._send(200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                                        "resources": listed})
            namespace = None
            if rest[0] == "namespaces" and len(rest) >= 3:
                namespace, rest = rest[1], rest[2:]
            by_plural = {r.plural: r for r in groups[gv]}
            res = by_plural.get(rest[0])
            if res is None:
                return self._send(404, {"kind": "Status", "status": "Failure", "code": 404})
            if len(rest) == 1:
                return self._send(200, _list_body(cluster, res, namespace, query))
            try:
                obj = cluster.api.get(res.kind, rest[1], namespace or "default")
            except kitlib.NotFound as err:
                return self._send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                        "message": str(err).removeprefix("Error from server (NotFound): "),
                                        "reason": "NotFound", "code": 404,
                                        "details": {"name": rest[1], "kind": res.plural}})
            return self._send(200, {**obj.to_dict(), "apiVersion": res.cls.api_version, "kind": res.kind})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
