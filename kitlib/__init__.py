"""kitlib: a small, faithful simulator of Kubernetes networking for the course notebooks.

>>> import kitlib
>>> cluster = kitlib.Cluster(nodes=3, seed=0)
>>> print(cluster.kubectl("create deployment web --image=nginx --replicas=3 --port=80"))
deployment.apps/web created

The engine (objects, controllers, data path) never imports plotly or ipywidgets; the views
live in :mod:`kitlib.figures` and :mod:`kitlib.widgets`. In a notebook, an :class:`ApiError`
shows as kubectl prints it, without a traceback (:mod:`kitlib.notebook`), and
``%load_ext kitlib`` adds the magics ``%kubectl`` and ``%%kubectl`` (:mod:`kitlib.magics`), which act
on the current cluster: the last one created, or the one chosen with :func:`use`.
:func:`progress` shows which exercises the learner has passed (:mod:`kitlib.exercises.progress`).
"""

from typing import Any

from .cluster import Cluster, current, use
from .errors import (
    AlreadyExists,
    ApiError,
    BadRequest,
    Conflict,
    FieldError,
    Forbidden,
    Invalid,
    InvalidArgument,
    NotFound,
    PartialFailure,
)
from .exercises.progress import progress
from .network.datapath import Connection, Hop
from .notebook import install as _install_error_display

_install_error_display()


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext kitlib``: register the magics ``%kubectl`` and ``%%kubectl`` in the running
    shell. IPython is needed only then, so :mod:`kitlib.magics` is imported only then."""
    from .magics import register

    register(ipython)


__all__ = ["AlreadyExists", "ApiError", "BadRequest", "Cluster", "Conflict", "Connection", "FieldError",
           "Forbidden", "Hop", "Invalid", "InvalidArgument", "NotFound", "PartialFailure", "current", "progress",
           "use"]
__version__ = "0.1.0"
