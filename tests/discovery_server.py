"""A stand-in API server for the real kubectl: it answers discovery (``/api``, ``/apis``,
``/api/v1``, ``/apis/apps/v1``), which is all ``kubectl run --dry-run=client`` asks before it prints
(``createGeneratedObject`` maps the Pod's kind through discovery), and GETs of the objects it is
given (kitlib's, as JSON), which is what ``kubectl expose`` or ``kubectl set env`` read before a
``--dry-run=client``. Any other request is a 404.

>>> with serve() as url: ...  # doctest: +SKIP
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs


def _resource(name: str, kind: str, short: list[str]) -> dict:
    return {"name": name, "singularName": kind.lower(), "namespaced": True, "kind": kind,
            "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"], "shortNames": short}


DISCOVERY = {
    "/api": {"kind": "APIVersions", "versions": ["v1"],
             "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1",
              "groups": [{"name": "apps", "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
                          "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"}}]},
    "/api/v1": {"kind": "APIResourceList", "groupVersion": "v1",
                "resources": [_resource("pods", "Pod", ["po"]), _resource("services", "Service", ["svc"]),
                              _resource("configmaps", "ConfigMap", ["cm"]), _resource("secrets", "Secret", [])]},
    "/apis/apps/v1": {"kind": "APIResourceList", "groupVersion": "apps/v1",
                      "resources": [_resource("deployments", "Deployment", ["deploy"]),
                                    _resource("replicasets", "ReplicaSet", ["rs"]),
                                    _resource("daemonsets", "DaemonSet", ["ds"])]},
}
PLURALS = {"Pod": "pods", "Service": "services", "ConfigMap": "configmaps", "Secret": "secrets",
           "Deployment": "deployments", "ReplicaSet": "replicasets", "DaemonSet": "daemonsets"}


def path_of(obj: dict) -> str:
    """The URL path of a namespaced object: ``/apis/apps/v1/namespaces/default/deployments/web``."""
    version = obj["apiVersion"]
    base = f"/api/{version}" if "/" not in version else f"/apis/{version}"
    meta = obj["metadata"]
    return f"{base}/namespaces/{meta.get('namespace', 'default')}/{PLURALS[obj['kind']]}/{meta['name']}"


class _Handler(BaseHTTPRequestHandler):
    objects: dict[str, dict] = {}

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        path, _, query = self.path.partition("?")
        body = DISCOVERY.get(path) or self.objects.get(path) or self._list(path, parse_qs(query))
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body or {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                             "reason": "NotFound", "code": 404}).encode())

    def _list(self, path: str, query: dict[str, list[str]]) -> dict | None:
        """A list of the objects under ``path``, narrowed by an equality ``labelSelector``."""
        wanted = dict(term.split("=", 1) for sel in query.get("labelSelector", []) for term in sel.split(",") if term)
        items = [o for p, o in self.objects.items() if p.rsplit("/", 1)[0] == path
                 and wanted.items() <= (o["metadata"].get("labels") or {}).items()]
        if not items:
            return None
        return {"kind": f"{items[0]['kind']}List", "apiVersion": items[0]["apiVersion"],
                "metadata": {"resourceVersion": "1"}, "items": items}

    def log_message(self, *args: object) -> None:
        pass


CACHE = tempfile.mkdtemp(prefix="kitlib-kubectl-cache-")
"""Where the real kubectl keeps its discovery cache (not the working directory, with no HOME set)."""


def server_flags(url: str) -> list[str]:
    """The flags that point the real kubectl at the stand-in server ``url``."""
    return ["-s", url, f"--cache-dir={CACHE}"]


@contextmanager
def serve(objects: list[dict] | None = None) -> Iterator[str]:
    """A discovery server on a free local port, serving ``objects`` too, for the block's duration;
    yields its URL."""
    handler = type("Handler", (_Handler,), {"objects": {path_of(o): o for o in objects or []}})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
