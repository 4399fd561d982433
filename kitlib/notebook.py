"""In a notebook, an :class:`~kitlib.errors.ApiError` reads as kubectl prints it, not as a traceback.

A learner who types ``cluster.kubectl("scale deploy web --replicas=-1")`` should see what kubectl
says (``The Deployment "web" is invalid: ...``), not thirty lines of kitlib's internals.
``import kitlib`` inside an IPython kernel calls :func:`install`; everywhere else (plain Python,
pytest) nothing changes. Any other exception still shows its full traceback.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any

from .errors import ApiError


def show_api_error(shell: Any, etype: type[BaseException], value: BaseException, tb: TracebackType | None,
                   tb_offset: int | None = None) -> list[str]:
    """IPython's custom exception handler: kubectl's text on stderr, and no traceback."""
    text = value.kubectl_text() if isinstance(value, ApiError) else str(value)
    print(text, file=sys.stderr)
    return []


def install(shell: Any = None) -> bool:
    """Show ApiErrors as kubectl does in ``shell``, by default the running IPython kernel; False
    outside one. IPython is looked up, never imported: importing kitlib must stay cheap outside a
    kernel. (``%load_ext kitlib`` passes the shell it loads the magics into: :mod:`kitlib.magics`.)"""
    if shell is None:
        ipython = sys.modules.get("IPython")
        shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return False
    shell.set_custom_exc((ApiError,), show_api_error)
    return True
