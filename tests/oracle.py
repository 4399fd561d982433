"""The real kubectl the tests compare kitlib's with: kubectl v1.37.1, the version kitlib simulates.

``scripts/ensure-kubectl`` puts it in ``${XDG_CACHE_HOME:-~/.cache}/kitlib/kubectl-v1.37.1/kubectl``
(``KITLIB_KUBECTL`` names another copy). Any other kubectl, such as an older one on the ``PATH``, is
not the reference: where the oracle is missing, :data:`KUBECTL` is ``None`` and the comparisons are
skipped (:data:`needs_kubectl`, or :func:`require` inside a fixture).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from kitlib.controllers.nodelifecycle import KUBERNETES_VERSION

VERSION = "v1.37.1"
"""kubectl's version: the cluster's (``kubectl get nodes`` prints it)."""
assert VERSION == KUBERNETES_VERSION

REASON = f"kubectl {VERSION} is not installed (run scripts/ensure-kubectl)"


def _find() -> str | None:
    """The oracle's path, if it is there and is kubectl v1.37.1."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    path = os.environ.get("KITLIB_KUBECTL") or str(cache / "kitlib" / f"kubectl-{VERSION}" / "kubectl")
    if not os.access(path, os.X_OK):
        return None
    try:
        done = subprocess.run([path, "version", "--client"], capture_output=True, text=True, timeout=60, check=False)
    except OSError:
        return None
    return path if f"Client Version: {VERSION}" in done.stdout.splitlines() else None


KUBECTL: str | None = _find()
"""The path of kubectl v1.37.1, or None."""
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason=REASON)


def require() -> str:
    """The oracle's path; skips the calling test where it is missing."""
    if KUBECTL is None:
        pytest.skip(REASON)
    return KUBECTL
