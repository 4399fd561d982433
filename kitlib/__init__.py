"""kitlib: a small, faithful simulator of Kubernetes networking for the course notebooks.

>>> import kitlib
>>> cluster = kitlib.Cluster(nodes=3, seed=0)
>>> print(cluster.kubectl("create deployment web --image=nginx --replicas=3 --port=80"))
deployment.apps/web created

The engine (objects, controllers, data path) never imports plotly or ipywidgets; the views
live in :mod:`kitlib.figures` and :mod:`kitlib.widgets`. In a notebook, an :class:`ApiError`
shows as kubectl prints it, without a traceback (:mod:`kitlib.notebook`).
"""

from .cluster import Cluster
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
from .network.datapath import Connection, Hop
from .notebook import install as _install_error_display

_install_error_display()

__all__ = ["AlreadyExists", "ApiError", "BadRequest", "Cluster", "Conflict", "Connection", "FieldError",
           "Forbidden", "Hop", "Invalid", "InvalidArgument", "NotFound", "PartialFailure"]
__version__ = "0.1.0"
