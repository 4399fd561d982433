"""kubectl's output formats, byte for byte: ``-o jsonpath`` in client-go's JSONPath dialect
(``k8s.io/client-go/util/jsonpath``), ``jsonpath-as-json``, ``jsonpath-file``, ``custom-columns``
(``pkg/cmd/get/customcolumn.go``), ``-o name`` and lists as ``kind: List``.

The JSONPath engine is compared with the real kubectl 1.37.1 wherever it prints offline:
``kubectl label --local -f FILE k=v -o jsonpath=...`` runs any template over any object read from a
file (kubectl reads it unstructured, as ``get`` does), and ``kubectl create deployment ...
--dry-run=client -o jsonpath=...`` over an object kubectl built itself (typed: numbers are float64).
"""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import fake_apiserver
import oracle
import pytest

import kitlib
from kitlib.kubectl.jsonpath import JSONPath, JSONPathError, go_float, go_repr, run
from kitlib.kubectl.printers import Printer, print_bodies

POD = {
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web", "tier": "front"},
                 "annotations": {"note": "a <b> & c"}},
    "spec": {"containers": [
        {"name": "nginx", "image": "nginx:1.27", "ports": [{"containerPort": 80, "name": "http"},
                                                          {"containerPort": 443, "name": "https"}]},
        {"name": "sidecar", "image": "busybox", "args": ["sleep", "3600"]},
        {"name": "agent", "image": "agnhost", "ports": [{"containerPort": 8080}]},
    ], "nodeName": "minikube", "terminationGracePeriodSeconds": 30},
    "status": {"phase": "Running", "podIP": "10.244.0.5",
               "conditions": [{"type": "Ready", "status": "True"}, {"type": "Initialized", "status": "True"},
                              {"type": "PodScheduled", "status": "False"}]},
}

TEMPLATES = [
    "{.metadata.name}",
    '{.metadata.name}{"\\n"}',
    "{.spec.containers[*].name}",
    "{.spec.containers[0].image}",
    "{.spec.containers[-1].name}",
    "{.spec.containers[0:2].name}",
    "{.spec.containers[1:].name}",
    "{.spec.containers[::2].name}",
    "{.spec.containers[0,2].name}",
    "{.spec.containers[*]['name','image']}",
    "{.metadata.labels}",
    "{.metadata.labels.app}",
    "{.metadata.annotations}",
    "{.spec.containers[0].ports}",
    "{.spec.containers[0].ports[*].containerPort}",
    "{.spec.terminationGracePeriodSeconds}",
    '{.status.conditions[?(@.type=="Ready")].status}',
    '{.status.conditions[?(@.status!="True")].type}',
    "{.spec.containers[?(@.ports)].name}",
    "{.spec.containers[0].ports[?(@.containerPort>100)].name}",
    "{..image}",
    "{.spec.containers[*].ports[*].name}",
    '{range .spec.containers[*]}{.name}{"\\t"}{.image}{"\\n"}{end}',
    '{range .spec.containers[*]}[{.name}: {range .ports[*]}{.containerPort} {end}]{end}',
    "name={.metadata.name} ip={.status.podIP}",
    "{.nope}",
    "{.spec.containers[*].nope}",
    "{.metadata.labels.app}{.metadata.name}",
    "{$.kind}",
    "{@.kind}",
    "{.kind}{' '}{.apiVersion}",
    "{.spec.containers[*].args}",
    "plain text",
    "{.status.podIP}{\"\\u0021\"}",
]


def _manifest(tmp_path: Path) -> Path:
    path = tmp_path / "pod.json"
    path.write_text(json.dumps(POD))
    return path


def _labelled() -> dict:
    """The object ``label --local ... x=y`` prints: the manifest with the new label."""
    body = json.loads(json.dumps(POD))
    body["metadata"]["labels"]["x"] = "y"
    return body


def _oracle(*args: str) -> subprocess.CompletedProcess[str]:
    exe = oracle.require()
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=60, check=False)


def _kitlib_jsonpath(template: str, body: dict, *, allow_missing: bool = True) -> tuple[int, str]:
    try:
        return 0, print_bodies([body], Printer("jsonpath", template, allow_missing), single=True)
    except kitlib.ApiError as err:
        return 1, str(err)


@pytest.mark.parametrize("template", TEMPLATES)
def test_jsonpath_prints_as_kubectl_does(tmp_path: Path, template: str) -> None:
    """Each template prints what kubectl 1.37.1 prints for the same object: space-separated
    results, maps and lists as compact JSON with sorted keys and ``<>&`` escaped, quoted strings
    with Go's escapes, ranges, filters, slices, unions and ``..``; a missing key prints nothing
    (``--allow-missing-template-keys`` is true by default)."""
    done = _oracle("label", "--local", "-f", str(_manifest(tmp_path)), "x=y", "-o", f"jsonpath={template}")
    assert done.returncode == 0, done.stderr
    assert _kitlib_jsonpath(template, _labelled()) == (0, done.stdout.removesuffix("\n"))


ERRORS = [
    ("{.nope}", False),
    ("{.spec.containers[5]}", True),
    ("{.spec.containers[2:1]}", True),
    ("{.metadata.name[0]}", True),
    ("{end}", True),
    ('{.status.conditions[?(@.type==1)]}', True),
    ("{.spec.containers[0].name[?(@.x)]}", True),
]


@pytest.mark.parametrize(("template", "allow"), ERRORS)
def test_jsonpath_execution_errors_are_kubectls(tmp_path: Path, template: str, allow: bool) -> None:
    """A template that fails while it runs is reported as kubectl reports it: ``error executing
    jsonpath``, the engine's reason (``x is not found`` with ``--allow-missing-template-keys=false``,
    ``array index out of bounds``, ``not in range, nothing to end``, ``incompatible types for
    comparison``, ...), the template and the object as Go's ``%#v`` prints it."""
    done = _oracle("label", "--local", "-f", str(_manifest(tmp_path)), "x=y", "-o", f"jsonpath={template}",
                   f"--allow-missing-template-keys={str(allow).lower()}")
    assert done.returncode == 1
    code, text = _kitlib_jsonpath(template, _labelled(), allow_missing=allow)
    assert (code, text.rstrip("\n")) == (1, done.stderr.rstrip("\n"))


PARSE_ERRORS = ["{.items[", "{.a", '{"x}', "{.a[?(@.b==1]}", "{.a[x]}", "{....a}", "{.a}{#}", "{.a[1:2:3:4]}", "{1.2.3}"]


@pytest.mark.parametrize("template", PARSE_ERRORS)
def test_jsonpath_parse_errors_are_kubectls(template: str) -> None:
    """A template the parser refuses is ``error parsing jsonpath TEMPLATE, REASON``, before any
    object is read (``unterminated array``, ``unclosed action``, ...)."""
    done = _oracle("create", "deployment", "x", "--image=nginx", "--dry-run=client", "-o", f"jsonpath={template}")
    c = kitlib.Cluster(nodes=1)
    with pytest.raises(kitlib.ApiError) as err:
        c.kubectl(shlex.join(["create", "deployment", "x", "--image=nginx", "--dry-run=client", "-o",
                              f"jsonpath={template}"]))
    assert str(err.value) == done.stderr.rstrip("\n")


CREATE_TEMPLATES = [
    "{.spec.template.spec.containers[0].image}",
    "{.spec.replicas}",
    "{.metadata}",
    "{.spec}",
    '{.kind}/{.metadata.name}{"\\n"}',
]


@pytest.mark.parametrize("template", CREATE_TEMPLATES)
def test_create_dry_run_jsonpath_matches_kubectl(template: str) -> None:
    """``create deployment --dry-run=client -o jsonpath=...`` prints the object kubectl built, as
    kubectl does (``kitlib`` output has no final newline; kubectl's has one only if the template
    ends with ``{"\\n"}``)."""
    command = ["create", "deployment", "web", "--image=nginx", "--replicas=3", "--dry-run=client",
               "-o", f"jsonpath={template}"]
    done = _oracle(*command)
    assert done.returncode == 0, done.stderr
    assert kitlib.Cluster(nodes=1).kubectl(shlex.join(command)) == done.stdout.removesuffix("\n")


def test_jsonpath_as_json_matches_kubectl() -> None:
    """``-o jsonpath-as-json=...`` prints every result of the template as one indented JSON array."""
    for template in ("{.metadata.name}", "{.spec.template.spec.containers[*]}", "{.nope}"):
        command = ["create", "deployment", "web", "--image=nginx", "--dry-run=client", "-o",
                   f"jsonpath-as-json={template}"]
        done = _oracle(*command)
        assert kitlib.Cluster(nodes=1).kubectl(shlex.join(command)) == done.stdout.removesuffix("\n")


def test_jsonpath_file_reads_the_template(tmp_path: Path) -> None:
    """``-o jsonpath-file=PATH`` takes the template from a file; a missing file is kubectl's error."""
    template = tmp_path / "t.txt"
    template.write_text('{.metadata.name}{"\\n"}')
    command = ["create", "deployment", "web", "--image=nginx", "--dry-run=client", "-o", f"jsonpath-file={template}"]
    done = _oracle(*command)
    c = kitlib.Cluster(nodes=1)
    assert c.kubectl(shlex.join(command)) == done.stdout.removesuffix("\n") == "web"
    missing = ["create", "deployment", "web", "--image=nginx", "--dry-run=client", "-o",
               f"jsonpath-file={tmp_path / 'none'}"]
    done = _oracle(*missing)
    with pytest.raises(kitlib.ApiError) as err:
        c.kubectl(shlex.join(missing))
    assert str(err.value) == done.stderr.rstrip("\n")


@pytest.mark.parametrize("fmt", ["foo", "jsonpath", "jsonpath=", "wide", "custom-columns=NAME:.metadata.name"])
def test_output_format_errors_match_kubectl(fmt: str) -> None:
    """An output format a command does not have, or a template format without a template, is
    refused before anything is done, in kubectl's words (``create`` has no ``wide`` and no
    ``custom-columns``; the allowed formats are listed sorted)."""
    command = ["create", "deployment", "web", "--image=nginx", "--dry-run=client", "-o", fmt]
    done = _oracle(*command)
    c = kitlib.Cluster(nodes=1)
    before = c.state()
    with pytest.raises(kitlib.ApiError) as err:
        c.kubectl(shlex.join(command))
    assert str(err.value) == done.stderr.rstrip("\n")
    assert c.state() == before


def test_name_output_matches_kubectl(tmp_path: Path) -> None:
    """``-o name`` is ``<singular>[.<group>]/<name>``: ``pod/web``, ``deployment.apps/web``."""
    for command in (["create", "deployment", "web", "--image=nginx"], ["create", "configmap", "cfg"],
                    ["create", "service", "clusterip", "web", "--tcp=80"], ["create", "namespace", "team"]):
        full = [*command, "--dry-run=client", "-o", "name"]
        done = _oracle(*full)
        assert kitlib.Cluster(nodes=1).kubectl(shlex.join(full)) == done.stdout.removesuffix("\n")


def test_get_prints_a_list_of_several_objects_and_one_named_object_bare() -> None:
    """``get`` of several objects, or of a type, prints one ``kind: List`` (``metadata.resourceVersion: ""``);
    one object asked by name prints itself; ``-o json`` writes keys sorted, as kubectl reads them
    unstructured."""
    c = kitlib.Cluster(nodes=1)
    c.kubectl("create deployment web --image=nginx --replicas=2")
    c.advance(10)
    listed = json.loads(c.kubectl("get pods -o json"))
    assert (listed["apiVersion"], listed["kind"], listed["metadata"]) == ("v1", "List", {"resourceVersion": ""})
    assert [p["kind"] for p in listed["items"]] == ["Pod", "Pod"]
    name = listed["items"][0]["metadata"]["name"]
    assert json.loads(c.kubectl(f"get pod {name} -o json"))["kind"] == "Pod"
    assert json.loads(c.kubectl(f"get pod/{name} -o json"))["kind"] == "Pod"
    assert json.loads(c.kubectl(f"get pods {name} -o json"))["kind"] == "Pod"
    assert c.kubectl(f"get pod {name} -o yaml").startswith("apiVersion: v1\nkind: Pod\n")
    assert c.kubectl("get deploy web web -o yaml").startswith("apiVersion: v1\nitems:\n")
    text = c.kubectl(f"get pod {name} -o json")
    assert list(json.loads(text)) == sorted(json.loads(text))
    assert c.kubectl("get pods,deploy -o name").split("\n") == sorted(
        f"pod/{p['metadata']['name']}" for p in listed["items"]) + ["deployment.apps/web"]


def test_get_jsonpath_over_the_list() -> None:
    """``get pods -o jsonpath`` runs over the ``List``: ``{.items[*].metadata.name}``, and the
    classic range over items with a tab and a newline."""
    c = kitlib.Cluster(nodes=2, seed=3)
    c.kubectl("create deployment web --image=nginx --replicas=2")
    c.advance(20)
    pods = sorted(c.api.list("Pod", "default"), key=lambda p: p.name)
    assert c.kubectl("get pods -o jsonpath='{.items[*].metadata.name}'") == " ".join(p.name for p in pods)
    assert c.kubectl("""get pods -o jsonpath='{range .items[*]}{.metadata.name}{"\\t"}{.status.podIP}{"\\n"}{end}'""") \
        == "\n".join(f"{p.name}\t{p.status.pod_ip}" for p in pods)
    assert c.kubectl("""get nodes -o jsonpath='{.items[*].status.addresses[?(@.type=="InternalIP")].address}'""") \
        == "192.168.49.2 192.168.49.3"
    assert c.kubectl("get pods -l app=none -o jsonpath='{.items[*].metadata.name}'") == ""


def test_custom_columns() -> None:
    """``-o custom-columns=HEADER:PATH,...``: a header, a row per object, each path relaxed
    (``.a.b``, ``a.b``, ``{.a.b}``), several results joined by commas, ``<none>`` for none, maps in
    Go's ``map[k:v]``; ``--no-headers`` drops the header; a spec without a colon is refused."""
    c = kitlib.Cluster(nodes=1)
    c.kubectl("create deployment web --image=nginx")
    c.advance(10)
    pod = c.api.list("Pod", "default")[0]
    out = c.kubectl("get pods -o custom-columns=NAME:.metadata.name,IP:status.podIP,"
                    "IMAGES:{.spec.containers[*].image},NOPE:.nope,LABELS:.metadata.labels")
    hash_ = pod.metadata.labels["pod-template-hash"]
    name_w = max(len("NAME"), len(pod.name)) + 3
    assert out.split("\n") == [
        "NAME".ljust(name_w) + "IP           IMAGES   NOPE     LABELS",
        pod.name.ljust(name_w) + f"{pod.status.pod_ip}   nginx    <none>   map[app:web pod-template-hash:{hash_}]",
    ]
    assert c.kubectl("get pods --no-headers -o custom-columns=NAME:.metadata.name") == pod.name
    with pytest.raises(kitlib.ApiError, match=r"^error: unexpected custom-columns spec: NAME, expected "
                                              r"<header>:<json-path-expr>$"):
        c.kubectl("get pods -o custom-columns=NAME")
    with pytest.raises(kitlib.ApiError, match=r"^error: custom-columns format specified but no custom columns given$"):
        c.kubectl("get pods -o custom-columns=")
    with pytest.raises(kitlib.ApiError, match=r"^error: --label-columns option cannot be used with "
                                              r"custom-columns=A:.a printer$"):
        c.kubectl("get pods -o custom-columns=A:.a -L app")


def test_custom_columns_file(tmp_path: Path) -> None:
    """``-o custom-columns-file=PATH``: a line of headers and a line of paths, space-separated."""
    c = kitlib.Cluster(nodes=1)
    spec = tmp_path / "cols.txt"
    spec.write_text("NAME   TYPE\n.metadata.name   .spec.type\n")
    assert c.kubectl(f"get svc -o custom-columns-file={spec}") == "NAME         TYPE\nkubernetes   ClusterIP"
    spec.write_text("NAME TYPE\n.metadata.name\n")
    with pytest.raises(kitlib.ApiError, match=r"^error: number of headers \(2\) and field specifications \(1\) don't match$"):
        c.kubectl(f"get svc -o custom-columns-file={spec}")


def test_get_output_format_error_lists_gets_formats() -> None:
    """``get`` has more formats than ``create`` (custom-columns, wide); ``--show-labels`` goes only with tables."""
    c = kitlib.Cluster(nodes=1)
    with pytest.raises(kitlib.ApiError) as err:
        c.kubectl("get pods -o foo")
    assert str(err.value) == ('error: unable to match a printer suitable for the output format "foo", allowed formats '
                              'are: custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,'
                              'jsonpath-as-json,jsonpath-file,kyaml,name,template,templatefile,wide,yaml')
    with pytest.raises(kitlib.ApiError, match=r"^error: --show-labels option cannot be used with name printer$"):
        c.kubectl("get pods --show-labels -o name")


def test_go_formatting() -> None:
    """The Go formatting the printers go through: floats as ``%v`` prints them, ``%#v`` of maps."""
    assert [go_float(x) for x in (80.0, 1e6, 123456.0, 0.25, 1e-5)] == ["80", "1e+06", "123456", "0.25", "1e-05"]
    assert go_repr({"b": [1, "x"], "a": None}) == 'map[string]interface {}{"a":interface {}(nil), "b":[]interface {}{1, "x"}}'
    assert run("{.a}", {"a": 1.5}) == "1.5"
    with pytest.raises(JSONPathError, match="^unclosed action$"):
        JSONPath("out", "{.a")


# ---------------------------------------------------------------- kubectl get against kitlib's objects

GET_COMMANDS = [
    "get pods -o name",
    "get pods,svc,deploy -o name",
    "get pods -o json",
    "get svc -o yaml",
    "get deploy web -o json",
    "get deploy/web -o yaml",
    "get deploy web web -o json",
    "get pods -A -o name",
    "get pods -l app=web -o jsonpath={.items[*].metadata.name}",
    'get pods -o jsonpath={range.items[*]}{.metadata.name}{"\\t"}{.status.podIP}{"\\t"}{.spec.nodeName}{"\\n"}{end}',
    "get pods -o jsonpath={.items[0].spec}",
    """get pods -o jsonpath='{.items[*].status.conditions[?(@.type=="Ready")].status}'""",
    "get pods -o jsonpath={.items[*].spec.containers[*].image}",
    """get nodes -o jsonpath='{.items[*].status.addresses[?(@.type=="InternalIP")].address}'""",
    """get pods -o jsonpath='{.items[*].status.conditions[?(@.type==Ready)].status}'""",
    "get nodes -o jsonpath={.items[0].metadata.labels}",
    "get svc web -o jsonpath={.spec.ports[0].port}",
    "get svc -o jsonpath-as-json={.items[*].spec.clusterIP}",
    "get pods -o jsonpath={.items[5]}",
    "get nodes -o custom-columns=NAME:.metadata.name,CIDR:.spec.podCIDR,LABELS:.metadata.labels",
    "get pods -o custom-columns=A:.spec.containers[*].ports,B:.status.conditions[0],C:.nope",
    "get pods -A --no-headers -o custom-columns=NS:.metadata.namespace,NAME:metadata.name",
    "get svc,deploy -o custom-columns=KIND:.kind,NAME:{.metadata.name}",
    "get pods -A --sort-by=.status.podIP -o name",
    "get pods -A --sort-by={.metadata.name} -o name",
    "get svc --sort-by=.spec.clusterIP -o name",
    "get pods --sort-by=.nope -o name",
    "get pods -A --sort-by=.spec.containers[0].image -o custom-columns=NAME:.metadata.name",
    "get deploy,rs,svc --sort-by=.metadata.name -o name",
    "get deploy web --sort-by=.nope -o name",
    "get deploy --sort-by=.nope -o name",
    # tables: the cells are kitlib's (the fake server's Table is made from kitlib's views), the
    # assembly is kubectl's
    "get pods",
    "get all",
    "get all -A",
    "get all --no-headers",
    "get all,ns",
    "get svc,deploy",
    "get deploy,rs -o wide",
    "get pods -A",
    "get pods -A --no-headers -L app",
    "get pods --show-kind",
    "get deploy --show-labels -L app,tier",
    "get deploy web --show-labels",
    "get pods -n kube-system -L tier,component",
    "get pods -A --sort-by=.status.podIP",
    "get pods -A --sort-by=.metadata.creationTimestamp",
    "get svc --sort-by=.spec.clusterIP",
    "get rs,deploy --sort-by=.metadata.name",
    "get rs,deploy --sort-by=.metadata.resourceVersion",
    "get deploy web web --sort-by=.metadata.name",
    "get ds -A -o wide",
    "get endpointslice -A",
]


MANIFESTS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: nginx, image: nginx}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
"""


@pytest.mark.parametrize("command", ["get -f {two}", "get -f {one}", "get -f {one} -o name", "get -f {one} -o json",
                                     "get -f {two} -o name", "get -f {missing} -o name", "get -f {missing} -o yaml",
                                     "get -f {missing} --ignore-not-found -o name", "get -f {one} -f {one} -o name",
                                     "get -f {two} web", "get -f {missing}"])
def test_get_from_files_matches_kubectl(served, tmp_path: Path, command: str) -> None:
    """``get -f FILE``: the objects the manifests name, one table per run of one kind; one regular
    file implies a single item (its one object prints bare; with ``-o``, a missing object is its
    error alone); ``-f`` with resource arguments is refused."""
    cluster, url = served
    (tmp_path / "two.yaml").write_text(MANIFESTS)
    (tmp_path / "one.yaml").write_text(MANIFESTS.split("---")[0])
    (tmp_path / "missing.yaml").write_text(MANIFESTS + "---\napiVersion: v1\nkind: Service\nmetadata: {name: nope}\n")
    command = command.format(one=tmp_path / "one.yaml", two=tmp_path / "two.yaml", missing=tmp_path / "missing.yaml")
    done = fake_apiserver.kubectl(url, shlex.split(command))
    try:
        mine, code = cluster.kubectl(command), 0
    except kitlib.ApiError as err:
        mine, code = str(err), 1
    assert code == (done.returncode != 0)
    assert mine.rstrip("\n") == (done.stdout + done.stderr).rstrip("\n")


@pytest.fixture(scope="module")
def served():
    """A cluster with a Deployment behind a Service, served to the real kubectl over HTTP."""
    c = kitlib.Cluster(nodes=2, seed=1)
    c.kubectl("create deployment web --image=nginx --replicas=2")
    c.kubectl("expose deployment web --port=80")
    c.advance(30)
    with fake_apiserver.serve(c) as url:
        yield c, url


@pytest.mark.parametrize("command", GET_COMMANDS)
def test_get_prints_what_kubectl_prints_of_the_same_objects(served, command: str) -> None:
    """The real kubectl, getting kitlib's objects from an API server that serves them
    (``tests/fake_apiserver.py``), prints what kitlib's ``get`` prints: lists as ``kind: List``,
    one named object bare, JSON keys sorted, ``-o name``, jsonpath over the list, custom columns,
    ``--sort-by`` over all the items, and the errors."""
    cluster, url = served
    done = fake_apiserver.kubectl(url, shlex.split(command))
    try:
        mine, code = cluster.kubectl(command), 0
    except kitlib.ApiError as err:
        mine, code = str(err), 1
    assert code == (done.returncode != 0)
    if code:
        assert mine.rstrip("\n") == done.stderr.rstrip("\n")
    else:
        # kitlib returns "No resources found" as output; kubectl writes it on stderr.
        assert mine == (done.stdout or done.stderr).removesuffix("\n")
