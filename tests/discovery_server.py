"""A stand-in API server for the real kubectl: it answers discovery only (``/api``, ``/apis``,
``/api/v1``, ``/apis/apps/v1``), which is all ``kubectl run --dry-run=client`` asks before it prints
(``createGeneratedObject`` maps the Pod's kind through discovery). Any other request is a 404.

>>> with serve() as url: ...  # doctest: +SKIP
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer


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
                "resources": [_resource("pods", "Pod", ["po"]), _resource("services", "Service", ["svc"])]},
    "/apis/apps/v1": {"kind": "APIResourceList", "groupVersion": "apps/v1",
                      "resources": [_resource("deployments", "Deployment", ["deploy"])]},
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = DISCOVERY.get(self.path.split("?")[0])
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body or {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                             "reason": "NotFound", "code": 404}).encode())

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serve() -> Iterator[str]:
    """A discovery server on a free local port, for the block's duration; yields its URL."""
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
