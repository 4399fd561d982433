"""Checks for lesson 6, "Ingress: layer-7 routing by host and path".

Every check sends real requests through the simulated ingress-nginx controller with
:meth:`kitlib.Cluster.http` from outside the cluster, and reads the answer: which Service
took it, which rule matched (``resp.ingress``) and which certificate came back (``resp.tls``)."""

from __future__ import annotations

from ..errors import ApiError, NotFound
from .feedback import Feedback, not_yet, ok
from .progress import exercise

SHOP = "shop.example"
BLOG = "blog.example"
UNKNOWN = "nobody.example"
SECRET = "shop-tls"
TLS_TYPE = "kubernetes.io/tls"
API_PATHS = ("/api", "/api/", "/api/orders/7")
WEB_PATHS = ("/", "/apiary", "/cart", "/about/api")
"""``/apiary`` teaches that Prefix matches whole path elements; ``/about/api`` that it matches from the start."""
FANOUT_HINT = ("One Ingress shop with two paths under host shop.example: /api (pathType: Prefix) → Service api "
               "port 80, and / (pathType: Prefix) → Service web port 80. With kubectl: "
               "create ingress shop --rule='shop.example/api*=api:80' --rule='shop.example/*=web:80'")


def _addon(cluster):
    return cluster.addons.get("ingress")


def _no_controller(cluster) -> Feedback | None:
    addon = _addon(cluster)
    if addon is None:
        return not_yet("there is no ingress controller: nothing serves Ingresses.",
                       'Run the lesson\'s cells first: cluster.enable_addon("ingress").')
    if not addon.ready_pods():
        return not_yet("the ingress controller has no ready pod.", "cluster.advance(30)")
    return None


def _get(cluster, url: str):
    """The response, or None when the URL itself is wrong (checks never raise)."""
    try:
        return cluster.http(url)
    except ApiError:
        return None


def _follow(cluster, url: str):
    """The response, after following one redirect as ``curl -L`` does (a TLS host answers http with 308)."""
    resp = _get(cluster, url)
    location = resp.headers.get("Location") if resp is not None and resp.status in (301, 302, 307, 308) else None
    return _get(cluster, location) if location else resp


def _who(resp, namespace: str) -> str:
    """Who answered, in words: ``Service web``, ``the controller's 404`` …"""
    if resp is None or resp.status is None:
        return f"no answer ({resp.reason if resp is not None else 'bad URL'})"
    route = resp.ingress.route if resp.ingress is not None else None
    if route is None:
        return f"the controller's own {resp.status} (no rule matched)"
    svc = resp.service or ""
    name = svc.split("/", 1)[1] if svc.startswith(f"{namespace}/") else svc or route.backend
    return f"Service {name} ({resp.status})"


def _backend_problem(resp, url: str) -> Feedback | None:
    """A 5xx from the controller: the rule matched, but its backend cannot answer."""
    if resp is None or resp.status is None or resp.status < 500 or resp.ingress is None or resp.ingress.route is None:
        return None
    route = resp.ingress.route
    return not_yet(f"{url} matched {route} but got {resp.status}: the backend {route.backend} cannot answer.",
                   "Check the Service name and port in the rule (kubectl get svc), and that its pods are ready "
                   "(scale it back up if you scaled it to 0).")


def _path_type_hint(route, path: str, expected: str) -> str:
    """Why the wrong rule won, for the usual mistakes with path types."""
    if route is not None and route.path_type == "ImplementationSpecific":
        return (f"The rule {route.path} is ImplementationSpecific: ingress-nginx matches it as a plain string "
                f"prefix, so it takes {path}. Use pathType: Prefix, which matches whole path elements.")
    return FANOUT_HINT if expected else ""


@exercise
def check_fanout(cluster, ingress: str = "shop", namespace: str = "default") -> Feedback:
    """Exercise 1: Ingress ``shop`` sends ``http://shop.example/api`` and ``/api/...`` to Service
    ``api`` and every other path of shop.example (``/apiary`` included) to Service ``web``."""
    problem = _no_controller(cluster)
    if problem is not None:
        return problem
    try:
        ing = cluster.get("Ingress", ingress, namespace)
    except NotFound:
        return not_yet(f"there is no Ingress {ingress}.", FANOUT_HINT)
    if not _addon(cluster).serves(ing):
        cls = ing.spec.ingress_class_name or "none"
        return not_yet(f"Ingress {ingress} has class {cls}, so ingress-nginx ignores it.",
                       "Use ingressClassName: nginx, or leave it out: nginx is the default class.")
    key = f"{namespace}/{ingress}"
    for path in API_PATHS + WEB_PATHS:
        expected = "api" if path in API_PATHS else "web"
        url = f"http://{SHOP}{path}"
        resp = _follow(cluster, url)
        route = resp.ingress.route if resp is not None and resp.ingress is not None else None
        if route is not None and route.ingress != key:
            return not_yet(f"{url} was routed by Ingress {route.ingress}, not by {ingress}.",
                           f"Put both paths in Ingress {ingress}, or delete the other Ingress.")
        if route is not None and not route.host:
            return not_yet(f"{url} matched the rule {route}, which has no host: it answers every host name.",
                           "Give the rule host: shop.example (kubectl: --rule='shop.example/...').")
        problem = _backend_problem(resp, url)
        if problem is not None:
            return problem
        if resp is not None and resp.service == f"{namespace}/{expected}":
            continue
        got = _who(resp, namespace)
        if route is None:
            return not_yet(f"{url} got {got}.",
                           f"Add a rule for host {SHOP} with path {'/api' if expected == 'api' else '/'} "
                           f"(pathType: Prefix) → Service {expected}.")
        exact = [v.route for v in resp.ingress.verdicts if v.route.ingress == key and v.route.service == "api"
                 and v.route.path_type == "Exact"] if expected == "api" and resp.ingress is not None else []
        if exact:
            return not_yet(f"{url} went to {got}: the rule {exact[0].path} → api is Exact, so it matches "
                           f"{exact[0].path} only.",
                           "Use pathType: Prefix for /api (kubectl: end the path with *, as in shop.example/api*).")
        if path == "/apiary":
            return not_yet(f"{url} went to {got}, matched by {route}.",
                           _path_type_hint(route, path, expected))
        return not_yet(f"{url} went to {got}, not to Service {expected}; the rule that matched: {route}.",
                       _path_type_hint(route, path, expected))
    return ok("/api and everything under /api/ reach Service api; /, /cart and /apiary reach Service web "
              "(Prefix /api matches whole path elements, and the longest matching path wins).")


@exercise
def check_virtual_hosts(cluster, namespace: str = "default") -> Feedback:
    """Exercise 2: ``blog.example`` reaches Service ``blog``, shop.example still fans out, and a host
    that no rule names gets the controller's 404 (no catch-all without a host)."""
    problem = _no_controller(cluster)
    if problem is not None:
        return problem
    for path in ("/", "/posts/hello", "/api"):
        url = f"http://{BLOG}{path}"
        resp = _follow(cluster, url)
        problem = _backend_problem(resp, url)
        if problem is not None:
            return problem
        if resp is None or resp.service != f"{namespace}/blog":
            route = resp.ingress.route if resp is not None and resp.ingress is not None else None
            hint = (f"Add a rule with host: {BLOG}, path / (Prefix) → Service blog port 80: name-based "
                    "virtual hosting picks the rule by the Host header, not by the path.")
            if route is not None and route.host == BLOG:
                hint = f"The {BLOG} rule sends {path} elsewhere: one Prefix / path → blog covers every path."
            return not_yet(f"{url} got {_who(resp, namespace)}.", hint)
    for path in ("/blog", "/"):
        resp = _follow(cluster, f"http://{SHOP}{path}")
        if resp is not None and resp.service == f"{namespace}/blog":
            return not_yet(f"http://{SHOP}{path} reached Service blog.",
                           f"The blog belongs on its own host, {BLOG}, not on a path of {SHOP}.")
    shop = check_fanout(cluster, namespace=namespace)
    if not shop:
        return not_yet(f"{SHOP} no longer works as in exercise 1: {shop.message}", shop.hint)
    url = f"http://{UNKNOWN}/"
    resp = _follow(cluster, url)
    route = resp.ingress.route if resp is not None and resp.ingress is not None else None
    if route is not None:
        if route.is_default_backend:
            return not_yet(f"{url}, a host no rule names, reached {_who(resp, namespace)} through the "
                           f"defaultBackend of Ingress {route.ingress}.",
                           "Delete that Ingress (or its defaultBackend): unknown hosts should get the "
                           "controller's 404.")
        return not_yet(f"{url}, a host no rule names, reached {_who(resp, namespace)}: the rule {route} has no "
                       "host, so it catches every host name.",
                       f"Give every rule a host ({SHOP} or {BLOG}); a rule without host: is a catch-all.")
    if resp is None or resp.status != 404:
        return not_yet(f"{url} got {_who(resp, namespace)}, not the controller's 404.",
                       "Is the ingress controller running? cluster.advance(30)")
    return ok(f"{BLOG} reaches Service blog, {SHOP} still fans out to api and web, and {UNKNOWN} gets the "
              "controller's 404: the Host header picks the rule.")


@exercise
def check_tls(cluster, namespace: str = "default") -> Feedback:
    """Exercise 3: ``https://shop.example/`` is served with the certificate of Secret ``shop-tls``
    (type kubernetes.io/tls) and ``http://shop.example/`` answers 308 to https."""
    problem = _no_controller(cluster)
    if problem is not None:
        return problem
    secret_hint = (f"Create it with cluster.apply: kind: Secret, name: {SECRET}, type: {TLS_TYPE}, and data "
                   "with the two keys tls.crt and tls.key (any base64 text does in the simulator).")
    try:
        secret = cluster.get("Secret", SECRET, namespace)
    except NotFound:
        return not_yet(f"there is no Secret {SECRET}.", secret_hint)
    if secret.type != TLS_TYPE:
        return not_yet(f"Secret {SECRET} has type {secret.type}; ingress-nginx only uses a {TLS_TYPE} Secret.",
                       f"Delete it and create it again with type: {TLS_TYPE} (the type cannot be changed).")
    url = f"https://{SHOP}/"
    resp = _get(cluster, url)
    if resp is None or resp.status is None:
        return not_yet(f"{url} got {_who(resp, namespace)}.", "Run the lesson's cells first.")
    tls = resp.tls
    if tls is None or tls.secret != f"{namespace}/{SECRET}":
        got = tls.certificate if tls is not None else "no certificate"
        note = f" ({tls.note})" if tls is not None and tls.note else ""
        hint = (f"Add a tls section to Ingress shop: hosts: [{SHOP}] and secretName: {SECRET}.")
        if tls is not None and tls.secret:
            hint = f"The tls section names secretName: {tls.secret.split('/', 1)[1]}; the exercise asks for {SECRET}."
        return not_yet(f"{url} came with the certificate “{got}”{note}.", hint)
    if resp.service != f"{namespace}/web":
        return not_yet(f"{url} has the right certificate but went to {_who(resp, namespace)}, not Service web.",
                       "Keep the rules of exercise 1: TLS only adds the tls section.")
    plain = _get(cluster, f"http://{SHOP}/")
    location = (plain.headers.get("Location") if plain is not None else None) or ""
    if plain is None or plain.status != 308 or not location.startswith("https://"):
        return not_yet(f"http://{SHOP}/ got {_who(plain, namespace)}, not a 308 redirect to https.",
                       f"ingress-nginx redirects plain HTTP for every host listed under tls: list {SHOP} there.")
    return ok(f"https://{SHOP}/ is served with the certificate of secret {namespace}/{SECRET}, TLS ends at the "
              f"controller, and http://{SHOP}/ answers 308 → {location}.")
