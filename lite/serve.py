"""Serve the built site (``lite/_output``) on the loopback, as any static host would.

    python lite/serve.py               # http://127.0.0.1:8000/  (make lite-serve)
    python lite/serve.py --port 8123 --dir lite/_output
    python lite/serve.py --bind 0.0.0.0   # to a room's network (see course/instructor/jupyterlite.md)

The tests and the benchmark start the same server in a thread (:func:`start`). Only the types
that browsers insist on are added to Python's table: ES modules (``.mjs``, which the kernel's
worker imports) and WebAssembly (``.wasm``, compiled while it downloads only with its own type).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import mimetypes
import threading
from pathlib import Path

SITE = Path(__file__).resolve().parent / "_output"
TYPES = {
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".wasm": "application/wasm",
    ".json": "application/json",
    ".whl": "application/zip",
    ".ipynb": "application/json",
}


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **TYPES}
    quiet = False

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base's name)
        if not self.quiet:
            super().log_message(format, *args)


class QuietHandler(Handler):
    quiet = True


def start(site: Path = SITE, port: int = 0, quiet: bool = True) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``site`` on 127.0.0.1 in a daemon thread; returns the server and its base URL."""
    mimetypes.init()
    handler = functools.partial(QuietHandler if quiet else Handler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--dir", type=Path, default=SITE, help="the site (default lite/_output)")
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    args = parser.parse_args(argv)
    if not (args.dir / "index.html").is_file():
        raise SystemExit(f"no site in {args.dir}: run make lite first")
    handler = functools.partial(Handler, directory=str(args.dir))
    with http.server.ThreadingHTTPServer((args.bind, args.port), handler) as server:
        host = "127.0.0.1" if args.bind in ("0.0.0.0", "") else args.bind
        print(f"Serving the course on http://{host}:{server.server_address[1]}/ (Ctrl+C stops)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
