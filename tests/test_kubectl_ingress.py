"""kubectl for Ingresses: `create ingress`, `get ingress|ingressclass|secret` and
`describe ingress|ingressclass|secret`, checked against the real kubectl where it is installed;
and the API server's refusals of bad Ingresses.

`create ingress ... --dry-run=client` needs no cluster, so its output is compared with the real
kubectl's directly. For `describe`, the real kubectl reads this cluster's objects from the small
read-only API stub of test_kubectl_services (extended here with the networking.k8s.io group).
"""

from __future__ import annotations

import re
import subprocess

import oracle
import pytest
import test_kubectl_services as stub
import yaml

import kitlib
from kitlib.api.networking import IngressLoadBalancerIngress
from kitlib.errors import AlreadyExists, ApiError, BadRequest, Invalid, NotFound

against_real = stub.against_real  # the fixture: the real kubectl reading this cluster's objects
GROUPS = stub.GROUPS
KUBECTL = oracle.KUBECTL
needs_kubectl = oracle.needs_kubectl


def real(command: str) -> tuple[int, str]:
    """The real kubectl without a cluster: (exit code, stdout + stderr)."""
    done = subprocess.run([KUBECTL, *command.split()], capture_output=True, text=True, timeout=60, check=False)
    return done.returncode, done.stdout + done.stderr


def ours(cluster: kitlib.Cluster, command: str) -> str:
    """What kitlib's kubectl prints, success or error, with kubectl's final newline."""
    try:
        return cluster.kubectl(command) + "\n"
    except ApiError as err:
        return str(err) + "\n"


# -------------------------------------------------------------------------- create ingress

CREATE = [
    # the example of the brief: Prefix path, tls with a secret, no host, named port, default backend
    "create ingress simple --class=nginx --rule=foo.com/bar*=svc1:8080,tls=my-cert --rule=/path=svc2:http "
    "--default-backend=defsvc:http",
    # two hosts sharing one secret share one tls entry; `tls` alone is an entry with hosts only
    "create ingress simple --rule=foo.com/bar*=svc1:8080,tls=my-cert --rule=bar.com/=svc2:http,tls=my-cert "
    "--rule=baz.com/x=svc3:80,tls --annotation=a=b --annotation=c=d -n ns1",
    # one host, several paths: one rule; hosts-only tls entries are shared too; 0080 is 80, -5 a number
    "create ingress x --rule=foo.com/a*=s:0080,tls --rule=bar.com/=s:-5,tls --rule=foo.com/b=t:x_y,tls=sec",
    "create ing multipath --class=default --rule=foo.com/=svc:port --rule=foo.com/admin/=svcadmin:portadmin",
    # only a prefix of the rule has to match kubectl's regex: `,foo` counts as a tls option
    "create ingress x --rule=/p=svc:80,foo",
    "create ingress x --rule=foo.com/p=svc:80,foo",
    "create ingress x --rule=/p=svc:80,tls=",
    "create ingress x --rule=foo.com/p=svc:80,tls=a,b",
    # a secret already used by a host takes the host-less rule's empty host
    "create ingress x --rule=foo.com/=svc:80,tls=a --rule=/x=svc:80,tls=a",
    "create ingress x --rule=foo.com/=svc:80,tls --rule=/x=svc:80,tls",
    "create ingress x --rule=foo.com/*=svc:0 --rule=foo..com/p=svc:80",
    # the default backend is only split on `:`: empty port and empty name are kept as they are
    "create ingress x --default-backend=svc:",
    "create ingress x --default-backend=:80",
    "create ingress x --default-backend=s:99999999999",
    "create ingress x --rule=/=s:80 --annotation=k= --annotation=k2==v --annotation=k=z",
    "create ingress x --rule=/=s:80 --class=",
]


@needs_kubectl
@pytest.mark.parametrize("command", CREATE)
def test_create_ingress_prints_what_kubectl_prints(cluster, real_kubectl, command):
    """`create ingress ... --dry-run=client -o yaml|json|name` prints the real kubectl's text,
    key order included."""
    for flags in ("-o yaml", "-o json", "-o name", ""):
        full = f"{command} --dry-run=client {flags}"
        assert cluster.kubectl(full) + "\n" == real_kubectl(full)


@needs_kubectl
def test_create_ingress_wildcard_host_yaml(cluster, real_kubectl):
    """A wildcard host is quoted in -o yaml as kubectl quotes it."""
    command = "create ingress x --rule=*.foo.com/p=svc:80 --dry-run=client -o yaml"
    assert cluster.kubectl(command) + "\n" == real_kubectl(command)


def test_create_ingress_builds_kubectls_object(cluster):
    """The object itself, read back: Prefix for a trailing `*` (dropped), Exact otherwise, port
    number or name, the shared tls entry, the class and the default backend."""
    out = cluster.kubectl("create ingress simple --class=nginx --rule=foo.com/bar*=svc1:8080,tls=my-cert "
                          "--rule=bar.com/=svc2:http,tls=my-cert --rule=/path=svc2:http "
                          "--default-backend=defsvc:http --dry-run=client -o yaml")
    spec = yaml.safe_load(out)["spec"]
    assert spec["ingressClassName"] == "nginx"
    assert spec["defaultBackend"] == {"service": {"name": "defsvc", "port": {"name": "http"}}}
    assert spec["tls"] == [{"hosts": ["foo.com", "bar.com"], "secretName": "my-cert"}]
    assert [(r.get("host"), [(p["path"], p["pathType"], p["backend"]["service"]["port"]) for p in r["http"]["paths"]])
            for r in spec["rules"]] == [("foo.com", [("/bar", "Prefix", {"number": 8080})]),
                                        ("bar.com", [("/", "Exact", {"name": "http"})]),
                                        (None, [("/path", "Exact", {"name": "http"})])]


BAD_CREATE = [
    "create ingress x --rule=foo.com/bar",
    "create ingress x --rule=foo.com=svc:80",
    "create ingress x --rule=foo.com=svc:redis,tls",
    "create ingress x --rule=foo.com/=svc,tls",
    "create ingress x --rule=/p=svc",
    "create ingress x --rule=foo.com/p=:80",
    "create ingress x --rule=/p=svc:",
    "create ingress x --rule=foo.com/p=svc.x:80",
    "create ingress x --rule=foo.com/p=svc:80 --rule=bad",
    "create ingress x --rule=/=s:80 --annotation=foo",
    "create ingress x --default-backend=svc",
    "create ingress x --default-backend=svc:80:90",
    "create ingress",
    "create ingress a b --rule=/=s:80",
    "create ingress x",
    "create ingress x --rule=/=s:80 --foo=1",
    "create ingress x --rule=/=s:80 --dry-run=bogus",
    "create ingress x --rule=/=s:80 -o wide",
]


@needs_kubectl
@pytest.mark.parametrize("command", BAD_CREATE)
def test_create_ingress_refuses_what_kubectl_refuses(cluster, snapshot, command):
    """kubectl's own checks, before anything reaches the server, with its exact words; nothing
    changes, with or without --dry-run."""
    rc, theirs = real(command)
    assert rc == 1
    before = snapshot(cluster)
    with pytest.raises(BadRequest):
        cluster.kubectl(command)
    assert ours(cluster, command) == theirs
    assert snapshot(cluster) == before


def test_create_ingress_rule_error_words(cluster):
    """The rule-syntax message names the rule and the format (create_ingress.go's Validate)."""
    with pytest.raises(BadRequest) as info:
        cluster.kubectl("create ingress x --rule=foo.com=svc:80")
    assert str(info.value) == ("error: rule foo.com=svc:80 is invalid and should be in format "
                               "host/path=svcname:svcport[,tls[=secret]]")


def test_create_ingress_where_kubectl_panics(cluster, snapshot):
    """A rule the regex lets through but the builder cannot split (a `,` in the path) makes the
    real kubectl panic; kitlib prints the panic's first line and changes nothing."""
    before = snapshot(cluster)
    for rule in ("/a,b=s:80", "/p=q=svc:80"):
        with pytest.raises(BadRequest, match=re.escape("panic: runtime error: index out of range [1] with length 1")):
            cluster.kubectl(f"create ingress x --rule={rule}")
    assert snapshot(cluster) == before


def test_create_ingress_creates_it(cluster):
    """Without --dry-run the Ingress is created through the API server and kubectl says so."""
    assert cluster.kubectl("create ingress web --class=nginx --rule=foo.com/*=web:80,tls=cert") == \
        "ingress.networking.k8s.io/web created"
    ing = cluster.get("Ingress", "web")
    assert (ing.spec.ingress_class_name, ing.metadata.generation) == ("nginx", 1)
    assert [(p.path, p.path_type, p.backend.service.name, p.backend.service.port.number)
            for p in ing.spec.rules[0].http.paths] == [("/", "Prefix", "web", 80)]
    assert [(t.hosts, t.secret_name) for t in ing.spec.tls] == [(["foo.com"], "cert")]
    assert cluster.kubectl("create ing api --rule=/api=api:http -o name") == "ingress.networking.k8s.io/api"
    out = yaml.safe_load(cluster.kubectl("create ing other --rule=/o=o:80 -n kube-system -o yaml"))
    assert (out["metadata"]["namespace"], out["metadata"]["generation"]) == ("kube-system", 1)
    assert out["metadata"]["uid"] == cluster.get("Ingress", "other", "kube-system").metadata.uid


def test_create_ingress_gets_the_default_class(cluster):
    """DefaultIngressClass admission: without --class, the class marked default is filled in."""
    cluster.apply("""
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec: {controller: k8s.io/ingress-nginx}
""")
    cluster.kubectl("create ingress web --rule=foo.com/=web:80")
    cluster.kubectl("create ingress other --class=traefik --rule=foo.com/=web:80")
    assert cluster.get("Ingress", "web").spec.ingress_class_name == "nginx"
    assert cluster.get("Ingress", "other").spec.ingress_class_name == "traefik"
    # a client dry run never meets the admission plug-in; a server dry run does
    assert "ingressClassName" not in cluster.kubectl("create ingress x --rule=/=w:80 --dry-run=client -o yaml")
    assert "ingressClassName: nginx" in cluster.kubectl("create ingress x --rule=/=w:80 --dry-run=server -o yaml")


def test_create_ingress_wraps_the_server_error(cluster, snapshot):
    """What only the server checks is refused by it, and kubectl prefixes its words with
    `failed to create ingress:`; nothing is stored."""
    cluster.kubectl("create ingress web --rule=foo.com/=web:80")
    before = snapshot(cluster)
    with pytest.raises(Invalid) as info:
        cluster.kubectl("create ingress bad --rule=foo_bar.com/=web:80")
    assert str(info.value) == (
        'error: failed to create ingress: Ingress.networking.k8s.io "bad" is invalid: spec.rules[0].host: '
        'Invalid value: "foo_bar.com": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric '
        "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
        "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
    with pytest.raises(AlreadyExists) as exists:
        cluster.kubectl("create ingress web --rule=foo.com/=web:80")
    assert str(exists.value) == ('error: failed to create ingress: ingresses.networking.k8s.io "web" '
                                 "already exists")
    with pytest.raises(NotFound) as missing:
        cluster.kubectl("create ingress web --rule=foo.com/=web:80 -n shop")
    assert str(missing.value) == 'error: failed to create ingress: namespaces "shop" not found'
    with pytest.raises(Invalid, match=re.escape("spec.defaultBackend: Required value: port name or number")):
        cluster.kubectl("create ingress nop --default-backend=web:")
    assert snapshot(cluster) == before


def test_server_dry_run_checks_without_keeping(cluster, snapshot):
    """--dry-run=server validates (and admits) as a create would, then keeps nothing."""
    before = snapshot(cluster)
    assert cluster.kubectl("create ingress web --rule=foo.com/=web:80 --dry-run=server") == \
        "ingress.networking.k8s.io/web created (server dry run)"
    with pytest.raises(Invalid, match="must be a DNS name, not an IP address"):
        cluster.kubectl("create ingress web --rule=10.0.0.1/=web:80 --dry-run=server")
    assert snapshot(cluster) == before
    with pytest.raises(NotFound):
        cluster.get("Ingress", "web")


# ----------------------------------------------------------------------------- the fixture


@pytest.fixture
def routed(cluster):
    """web (3 pods, named Service port http), api (no pods), the nginx class, a TLS Secret and
    Ingresses in the shapes kubectl prints differently."""
    cluster.kubectl("create deployment web --image=nginx --replicas=3 --port=80")
    cluster.apply("""
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 80}, {name: alt, port: 8080, targetPort: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  selector: {app: api}
  ports: [{port: 80}]
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: external, labels: {tier: edge}}
spec:
  controller: example.com/lb
  parameters: {apiGroup: k8s.example.com, kind: IngressParameters, name: external-lb}
---
apiVersion: v1
kind: Secret
metadata: {name: shop-cert}
type: kubernetes.io/tls
stringData: {tls.crt: "-----BEGIN CERTIFICATE-----", tls.key: "-----BEGIN KEY-----"}
---
apiVersion: v1
kind: Secret
metadata: {name: plain}
data: {password: c2VjcmV0}
---
apiVersion: v1
kind: Service
metadata: {name: manual}
spec: {ports: [{port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bucket, labels: {team: static, tier: edge}}
spec:
  ingressClassName: external
  defaultBackend: {resource: {apiGroup: k8s.example.com, kind: StorageBucket, name: assets}}
  rules:
  - http:
      paths:
      - {path: /manual, pathType: ImplementationSpecific, backend: {service: {name: manual, port: {number: 80}}}}
      - {path: /static, pathType: Prefix, backend: {resource: {kind: StorageBucket, name: static}}}
""")
    cluster.kubectl("create ingress shop --rule=shop.example.com/*=web:http,tls=shop-cert "
                    "--rule=shop.example.com/api=api:80 --rule=/healthz=web:8080 --rule=gone.example.com/=gone:80 "
                    "--annotation=nginx.ingress.kubernetes.io/rewrite-target=/")
    cluster.advance(30)
    cluster.kubectl("create ingress catchall --class=external --default-backend=web:80")
    cluster.kubectl("create ingress many --rule=a.example.com/=web:80,tls --rule=b.example.com/=web:80 "
                    "--rule=*.c.example.com/=web:80 --rule=d.example.com/=web:80 --rule=e.example.com/=web:80")
    shop = cluster.api.get("Ingress", "shop")  # as an ingress controller writes the status
    shop.status.load_balancer.ingress = [
        IngressLoadBalancerIngress(ip="192.168.49.2"), IngressLoadBalancerIngress(ip="192.168.49.10"),
        IngressLoadBalancerIngress(hostname="shop.lb.example.com")]
    cluster.api.update_status(shop)
    cluster.advance(60)
    return cluster


# -------------------------------------------------------------------------------------- get


def test_get_ingress(routed):
    """NAME CLASS HOSTS ADDRESS PORTS AGE: the default class filled in by admission, hosts
    joined (three, then `+ N more...` counting rules), `*` without hosts, the address cut to 16
    characters, 443 with TLS."""
    assert routed.kubectl("get ingress") == (
        "NAME       CLASS      HOSTS                                                     ADDRESS            PORTS     AGE\n"
        "bucket     external   *                                                                            80        90s\n"
        "catchall   external   *                                                                            80        60s\n"
        "many       nginx      a.example.com,b.example.com,*.c.example.com + 2 more...                      80, 443   60s\n"
        "shop       nginx      shop.example.com,gone.example.com                         192.168.49.10...   80, 443   90s")
    assert routed.kubectl("get ing") == routed.kubectl("get ingresses") == routed.kubectl("get ingress")


def test_get_ingress_wide_all_namespaces_and_by_name(routed):
    """-o wide shows the whole address (no extra columns); -A adds NAMESPACE; by name, one row."""
    wide = routed.kubectl("get ingress shop -o wide").splitlines()
    assert re.split(r"\s{2,}", wide[1]) == ["shop", "nginx", "shop.example.com,gone.example.com",
                                           "192.168.49.10,192.168.49.2,shop.lb.example.com", "80, 443", "90s"]
    assert re.split(r"\s{2,}", wide[0]) == ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"]
    rows = routed.kubectl("get ing -A").splitlines()
    assert rows[0].split()[:2] == ["NAMESPACE", "NAME"]
    assert [r.split()[:2] for r in rows[1:]] == [["default", n] for n in ("bucket", "catchall", "many", "shop")]
    assert routed.kubectl("get ing -n kube-system") == "No resources found in kube-system namespace."
    assert routed.kubectl("get ingress/shop -o name") == "ingress.networking.k8s.io/shop"


def test_get_ingress_without_class(cluster):
    """No class and no default class: CLASS is <none>, HOSTS `*` for a rule without host."""
    cluster.kubectl("create ingress bare --rule=/=web:80")
    assert re.split(r"\s{2,}", cluster.kubectl("get ingress").splitlines()[1]) == \
        ["bare", "<none>", "*", "80", "0s"]


def test_get_ingress_yaml(routed):
    """-o yaml of one Ingress is the object, with the server's fields."""
    doc = yaml.safe_load(routed.kubectl("get ingress catchall -o yaml"))
    assert (doc["apiVersion"], doc["kind"], doc["metadata"]["name"]) == ("networking.k8s.io/v1", "Ingress", "catchall")
    assert doc["spec"] == {"defaultBackend": {"service": {"name": "web", "port": {"number": 80}}},
                           "ingressClassName": "external"}
    assert doc["metadata"]["generation"] == 1 and doc["metadata"]["uid"]


def test_get_ingressclass_and_secret(routed):
    """IngressClass: NAME CONTROLLER PARAMETERS AGE (Kind.apiGroup/name); Secret: NAME TYPE DATA AGE."""
    assert routed.kubectl("get ingressclass") == (
        "NAME       CONTROLLER             PARAMETERS                                      AGE\n"
        "external   example.com/lb         IngressParameters.k8s.example.com/external-lb   90s\n"
        "nginx      k8s.io/ingress-nginx   <none>                                          90s")
    assert routed.kubectl("get secret") == (
        "NAME        TYPE                DATA   AGE\n"
        "plain       Opaque              1      90s\n"
        "shop-cert   kubernetes.io/tls   2      90s")


# --------------------------------------------------------------------------------- describe

DESCRIBE_SHOP = """Name:             shop
Labels:           <none>
Namespace:        default
Address:          192.168.49.10,192.168.49.2,shop.lb.example.com
Ingress Class:    nginx
Default backend:  <default>
TLS:
  shop-cert terminates shop.example.com
Rules:
  Host              Path  Backends
  ----              ----  --------
  shop.example.com{pad}
                    /      web:http ({web})
                    /api   api:80 ()
  *{pad1}
                    /healthz   web:8080 ({web})
  gone.example.com{pad}
                    /   gone:80 (<error: services "gone" not found>)
Annotations:        nginx.ingress.kubernetes.io/rewrite-target: /
Events:             <none>"""


def _web_endpoints(cluster: kitlib.Cluster) -> str:
    slices = cluster.list("EndpointSlice", "default", "kubernetes.io/service-name=web")
    assert len(slices) == 1 and len(slices[0].endpoints) == 3
    return ",".join(f"{e.addresses[0]}:80" for e in slices[0].endpoints)


def test_describe_ingress_layout(routed):
    """describe ingress: the address unclipped, the class, TLS lines, each host's paths with
    the ready endpoints of the Service port (`web:http` and `web:8080` both reach the pods'
    port 80), an empty list for a Service whose slice has no endpoints, the client's error for a
    missing Service, then the annotations; the host lines keep their padding."""
    assert routed.kubectl("describe ingress shop") == DESCRIBE_SHOP.format(
        web=_web_endpoints(routed), pad="  ", pad1=" " * 17)


def test_describe_ingress_resource_backends_and_no_slices(routed):
    """A resource backend prints its reference; a Service without any EndpointSlice `(<none>)`;
    a rule without host is `*`; labels one a line."""
    assert routed.kubectl("describe ingress bucket") == """Name:             bucket
Labels:           team=static
                  tier=edge
Namespace:        default
Address:{pad}
Ingress Class:    external
Default backend:  APIGroup: k8s.example.com, Kind: StorageBucket, Name: assets
Rules:
  Host        Path  Backends
  ----        ----  --------
  *{pad2}
              /manual   manual:80 (<none>)
              /static   APIGroup: <none>, Kind: StorageBucket, Name: static
Annotations:  <none>
Events:       <none>""".format(pad=" " * 10, pad2=" " * 11)


def test_describe_ingress_with_only_a_default_backend(routed):
    """No rules: the Rules table has one `*  *  <default backend>` row."""
    out = routed.kubectl("describe ing catchall")
    assert "Default backend:  web:80 (" in out
    rules = out.split("Rules:\n")[1].splitlines()
    assert rules[2].split()[:3] == ["*", "*", "web:80"]
    assert rules[2].endswith(")")


@pytest.fixture
def stubbed(monkeypatch):
    """The API stub also serves networking.k8s.io (Ingresses, IngressClasses) and Secrets."""
    monkeypatch.setitem(GROUPS, ("networking.k8s.io", "v1"), [
        ("ingresses", "Ingress", True, ["ing"]), ("ingressclasses", "IngressClass", False, [])])
    monkeypatch.setitem(GROUPS, ("", "v1"), [*GROUPS[("", "v1")], ("secrets", "Secret", True, [])])


@pytest.mark.parametrize("command", [
    "describe ingress shop", "describe ingress catchall", "describe ingress many", "describe ingress bucket",
    "describe ingressclass nginx", "describe ingressclass external",
    "describe secret shop-cert", "describe secret plain",
])
def test_describe_matches_kubectl(routed, stubbed, against_real, command):
    """kitlib's describe is the real kubectl's, character for character (a Secret's Data lines in
    sorted order: kubectl prints them in Go's random map order, kitlib sorted)."""
    assert _data_sorted(ours(routed, command)) == _data_sorted(against_real(routed)(command))


def _data_sorted(text: str) -> str:
    head, sep, data = text.partition("Data\n====\n")
    return head + sep + "".join(sorted(data.splitlines(keepends=True))) if sep else text


def test_describe_ingress_events_match_kubectl(routed, stubbed, against_real):
    """An Ingress's events print after the annotations, as kubectl prints them."""
    ing = routed.get("Ingress", "shop")
    routed.api.record_event(ing, "Sync", "Scheduled for sync", "nginx-ingress-controller")
    routed.advance(30)
    routed.api.record_event(ing, "Sync", "Scheduled for sync", "nginx-ingress-controller")
    out = ours(routed, "describe ingress shop")
    assert "Normal  Sync    0s (x2 over 30s)  nginx-ingress-controller  Scheduled for sync" in out
    assert out == against_real(routed)("describe ingress shop")


# -------------------------------------------------------------------------------- schema


def test_created_ingress_validates_against_the_1_32_schema(routed):
    """What `get ingress -o yaml` exports (status with addresses included), and the class and
    secret, are valid Kubernetes 1.37 objects under strict validation."""
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    for name in ("shop", "catchall", "many"):
        doc = yaml.safe_load(routed.kubectl(f"get ingress {name} -o yaml"))
        kubernetes_validate.validate(doc, "1.37.0", strict=True)
    for kind in ("IngressClass", "Secret"):
        for obj in routed.list(kind):
            kubernetes_validate.validate(obj.to_dict(), "1.37.0", strict=True)
    doc = yaml.safe_load(routed.kubectl("get ingress shop -o yaml"))
    doc["spec"]["rules"][0]["http"]["paths"][0]["pathTyp"] = "Prefix"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, "1.37.0", strict=True)


# ------------------------------------------------------------------- the API server refuses

WILDCARD = ("a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must "
            "consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character "
            "(e.g. '*.example.com', regex used for validation is "
            "'\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
PATH0 = "spec.rules[0].http.paths[0]"


def _ingress(host: str = "foo.com", path: str = "/", path_type: str = "Prefix", backend: str | None = None) -> str:
    backend = backend or "{service: {name: web, port: {number: 80}}}"
    return f"""
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: bad}}
spec:
  rules:
  - host: "{host}"
    http:
      paths:
      - path: "{path}"
        pathType: {path_type}
        backend: {backend}
"""


BAD_INGRESSES = [
    (_ingress(path="foo"), f'{PATH0}.path: Invalid value: "foo": must be an absolute path'),
    (_ingress(path_type="Regex"),
     f'{PATH0}.pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"'),
    (_ingress(backend="{service: {name: web, port: {number: 80}}, resource: {kind: Bucket, name: b}}"),
     f'{PATH0}.backend: Invalid value: "": cannot set both resource and service backends'),
    (_ingress(backend="{service: {name: web}}"), f"{PATH0}.backend: Required value: port name or number is required"),
    (_ingress(host="192.168.49.2"), 'spec.rules[0].host: Invalid value: "192.168.49.2": must be a DNS name, '
                                    "not an IP address"),
    (_ingress(host="foo.*.com"), f'spec.rules[0].host: Invalid value: "foo.*.com": {WILDCARD}'),
    (_ingress(host="*"), f'spec.rules[0].host: Invalid value: "*": {WILDCARD}'),
]


@pytest.mark.parametrize(("doc", "cause"), BAD_INGRESSES)
def test_bad_ingresses_are_refused(routed, snapshot, doc, cause):
    """cluster.apply refuses each with the API server's message and changes nothing; kubectl
    apply prints kubectl's form of it."""
    before = snapshot(routed)
    with pytest.raises(Invalid) as info:
        routed.apply(doc)
    assert str(info.value) == f'Ingress.networking.k8s.io "bad" is invalid: {cause}'
    with pytest.raises(Invalid) as printed:
        routed.kubectl(f"apply -f - <<EOF\n{doc}\nEOF")
    assert str(printed.value) == f'The Ingress "bad" is invalid: {cause}'
    assert snapshot(routed) == before
    assert "bad" not in routed.kubectl("get ingress")


def test_good_ingress_from_the_same_template_is_accepted(cluster):
    """The template of the bad cases is itself valid: each refusal is the one field's fault."""
    assert cluster.apply(_ingress())[0].name == "bad"
    assert cluster.apply(_ingress(host="*.foo.com", path="/x", path_type="Exact"))[0].spec.rules[0].host == "*.foo.com"
