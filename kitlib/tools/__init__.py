"""Client tools other than kubectl that a course runs against the cluster, each emulated to its bytes.

* :mod:`kitlib.tools.ingress2gateway`: ``ingress2gateway print --providers=ingress-nginx``, the
  Gateway API project's migration tool: Ingresses (with ingress-nginx's annotations) in, Gateways
  and HTTPRoutes out.

>>> from kitlib.tools import ingress2gateway
"""
