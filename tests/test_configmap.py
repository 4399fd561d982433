"""ConfigMap, as Kubernetes 1.37 serves it and kubectl 1.37 shows and creates it.

The validation messages are ValidateConfigMap's and ValidateConfigMapUpdate's
(``pkg/apis/core/validation/validation.go``); ``kubectl create configmap`` is compared with the real
kubectl's ``--dry-run=client`` output, errors included.
"""

from __future__ import annotations

import base64
import shlex
import subprocess

import oracle
import pytest

import kitlib
from kitlib.api import config, registry
from kitlib.apiserver import core_strategy, strategies
from kitlib.kubectl import configs
from kitlib.kubectl import kinds as kubectl_kinds

KEY_MSG = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
           "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")


def configmap(name: str = "cfg", **fields) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, **fields}


def kubectl_result(command: list[str]) -> tuple[int, str]:
    """The real kubectl's exit code and output (stdout, or stderr when it fails)."""
    exe = oracle.require()
    done = subprocess.run([exe, *command], capture_output=True, text=True, timeout=60, check=False)
    return done.returncode, (done.stdout if done.returncode == 0 else done.stderr).rstrip("\n")


def kitlib_result(cluster: kitlib.Cluster, command: list[str]) -> tuple[int, str]:
    try:
        return 0, cluster.kubectl(shlex.join(command))
    except kitlib.ApiError as err:
        return 1, str(err)


# ------------------------------------------------------------------ where the kind lives


def test_configmap_lives_in_the_three_modules_of_its_group():
    """A kind added to an existing group is its dataclass, its strategy and its view, each in its
    group's module; the central registries only list modules."""
    assert registry.RESOURCES["ConfigMap"].cls is config.ConfigMap
    assert registry.lookup("cm") is registry.lookup("configmaps") is registry.RESOURCES["ConfigMap"]
    assert any(r.kind == "ConfigMap" for r in config.RESOURCES)
    assert strategies.strategy_for("ConfigMap") in core_strategy.STRATEGIES
    assert type(strategies.strategy_for("ConfigMap")).__module__ == "kitlib.apiserver.core_strategy"
    assert kubectl_kinds.BY_KIND["ConfigMap"] in configs.VIEWS
    assert kubectl_kinds.CREATABLE["cm"] is kubectl_kinds.CREATABLE["configmap"] is configs.CONFIGMAP
    assert config in registry.MODULES and configs in kubectl_kinds.MODULES


def test_every_served_kind_comes_from_a_listed_module():
    """The registry is exactly the union of its modules' RESOURCES, and every view's kind is served."""
    declared = [r.kind for module in registry.MODULES for r in module.RESOURCES]
    assert sorted(declared) == sorted(registry.RESOURCES)
    assert set(kubectl_kinds.BY_KIND) <= set(registry.RESOURCES)


# ------------------------------------------------------------------ the API server


def test_a_configmap_round_trips_in_the_apis_spelling(cluster):
    """``binaryData`` is the API's spelling of ``binary_data``; empty maps are left out."""
    cm = cluster.create(configmap(data={"a": "1"}, binaryData={"k": "//4="}, immutable=True))
    assert cm.binary_data == {"k": "//4="} and cm.immutable is True
    body = cluster.get("ConfigMap", "cfg").to_dict()
    assert body["data"] == {"a": "1"} and body["binaryData"] == {"k": "//4="} and body["immutable"] is True
    assert "binaryData" not in cluster.create(configmap("plain", data={"a": "1"})).to_dict()


def test_apply_creates_then_configures_a_configmap(cluster):
    """``cluster.apply`` goes through the generic path: created, then configured, then unchanged."""
    assert cluster.kubectl("apply -f - <<EOF\n" + _yaml("cfg", "a: '1'") + "\nEOF") == "configmap/cfg created"
    assert cluster.kubectl("apply -f - <<EOF\n" + _yaml("cfg", "a: '2'") + "\nEOF") == "configmap/cfg configured"
    assert cluster.get("ConfigMap", "cfg").data == {"a": "2"}


def _yaml(name: str, data: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  {data}"


def test_name_must_be_a_dns_subdomain(cluster):
    with pytest.raises(kitlib.Invalid, match=r'^ConfigMap "Cfg" is invalid: metadata.name: Invalid value: "Cfg": '
                                             r"a lowercase RFC 1123 subdomain"):
        cluster.create(configmap("Cfg", data={"a": "1"}))


def test_each_key_must_be_a_valid_config_key(cluster):
    """The same rule and message as a Secret's keys, in data and in binaryData."""
    with pytest.raises(kitlib.Invalid) as err:
        cluster.create(configmap(data={"a b": "1"}, binaryData={"..x": "//4="}))
    assert str(err.value) == (f'ConfigMap "cfg" is invalid: [data[a b]: Invalid value: "a b": {KEY_MSG}, '
                              """binaryData[..x]: Invalid value: "..x": must not start with '..']""")


def test_a_key_in_both_data_and_binary_data_is_a_duplicate(cluster):
    with pytest.raises(kitlib.Invalid, match=r'^ConfigMap "cfg" is invalid: data\[k\]: Invalid value: "k": '
                                             r"duplicate of key present in binaryData$"):
        cluster.create(configmap(data={"k": "1"}, binaryData={"k": "//4="}))


def test_values_may_total_at_most_one_mebibyte(cluster):
    """Text and decoded binary values count together; the error names no field."""
    cluster.create(configmap("fits", data={"a": "x" * (1024 * 1024 - 2)}, binaryData={"b": "//4="}))
    with pytest.raises(kitlib.Invalid, match=r'^ConfigMap "big" is invalid: : Too long: must have at most '
                                             r"1048576 bytes$"):
        cluster.create(configmap("big", data={"a": "x" * (1024 * 1024 - 1)}, binaryData={"b": "//4="}))


def test_binary_data_that_is_not_base64_cannot_be_decoded(cluster):
    with pytest.raises(kitlib.BadRequest, match=r'^ConfigMap in version "v1" cannot be handled as a ConfigMap: '
                                                r"illegal base64 data at input byte 2$"):
        cluster.create(configmap(binaryData={"k": "ab!c"}))


def test_an_immutable_configmap_keeps_its_data(cluster):
    """Once ``immutable: true``, data and binaryData are frozen and ``immutable`` cannot be unset;
    the update's errors come before the object's own. (Applied, so that the second manifest's
    missing ``immutable`` and ``binaryData`` are deletions in kubectl's three-way patch.)"""
    cluster.apply(configmap(data={"a": "1"}, binaryData={"b": "//4="}, immutable=True))
    with pytest.raises(kitlib.Invalid) as err:
        cluster.apply(configmap(data={"a": "2", "c d": "3"}))
    detail = "Forbidden: field is immutable when `immutable` is set"
    assert str(err.value) == (f'ConfigMap "cfg" is invalid: [immutable: {detail}, data: {detail}, '
                              f'binaryData: {detail}, data[c d]: Invalid value: "c d": {KEY_MSG}]')
    cluster.apply(configmap(data={"a": "1"}, binaryData={"b": "//4="}, immutable=True,
                            metadata={"name": "cfg", "labels": {"tier": "web"}}))
    assert cluster.get("ConfigMap", "cfg").metadata.labels == {"tier": "web"}


def test_a_mutable_configmap_may_become_immutable(cluster):
    cluster.create(configmap(data={"a": "1"}))
    assert cluster.apply(configmap(data={"a": "2"}, immutable=True))[0].data == {"a": "2"}


def test_a_failed_create_or_update_changes_nothing(cluster, snapshot):
    cluster.create(configmap("frozen", data={"a": "1"}, immutable=True))
    before = snapshot(cluster)
    for call in (lambda: cluster.create(configmap("Bad", data={"a": "1"})),
                 lambda: cluster.create(configmap("dup", data={"k": "1"}, binaryData={"k": "//4="})),
                 lambda: cluster.create(configmap("frozen", data={"a": "1"})),
                 lambda: cluster.apply(configmap("frozen", data={"a": "2"}, immutable=True)),
                 lambda: cluster.kubectl("create configmap Bad --from-literal=a=1"),
                 lambda: cluster.kubectl("create configmap ok --from-literal=novalue")):
        with pytest.raises(kitlib.ApiError):
            call()
        assert snapshot(cluster) == before


# ------------------------------------------------------------------ kubectl get / describe


def test_get_configmaps_counts_data_and_binary_data(cluster):
    """printConfigMap: NAME, DATA (data + binaryData), AGE; -o wide adds nothing; -A adds NAMESPACE."""
    cluster.create(configmap("app", data={"a": "1", "b": "2"}, binaryData={"c": "//4="}))
    cluster.advance(5)
    table = "NAME   DATA   AGE\napp    3      5s"
    assert cluster.kubectl("get configmaps") == table
    assert cluster.kubectl("get cm -o wide") == table
    assert cluster.kubectl("get configmap -A") == "NAMESPACE   NAME   DATA   AGE\ndefault     app    3      5s"
    assert cluster.kubectl("get cm app -o name") == "configmap/app"
    assert cluster.kubectl("get cm app -o yaml").startswith("apiVersion: v1\nbinaryData:\n  c: //4=\ndata:\n")
    assert cluster.kubectl("get cm -n kube-system") == "No resources found in kube-system namespace."


def test_describe_configmap_prints_each_value_under_its_key(cluster):
    """ConfigMapDescriber as kubectl 1.37 prints it (checked against it): a blank line after each
    value, the binary values' sizes, ``Events:  <none>``. Keys are sorted (since kubectl 1.34)."""
    cluster.create(configmap("demo", metadata={"name": "demo", "labels": {"app": "web"}},
                             data={"b.txt": "line1\nline2\n", "a": "1"}, binaryData={"bin": "//4="}))
    assert cluster.kubectl("describe configmap demo") == (
        "Name:         demo\n"
        "Namespace:    default\n"
        "Labels:       app=web\n"
        "Annotations:  <none>\n"
        "\n"
        "Data\n"
        "====\n"
        "a:\n"
        "----\n"
        "1\n"
        "\n"
        "b.txt:\n"
        "----\n"
        "line1\n"
        "line2\n"
        "\n"
        "\n"
        "\n"
        "BinaryData\n"
        "====\n"
        "bin: 2 bytes\n"
        "\n"
        "Events:  <none>")


def test_describe_an_empty_configmap(cluster):
    cluster.create(configmap("empty"))
    assert cluster.kubectl("describe cm empty") == (
        "Name:         empty\nNamespace:    default\nLabels:       <none>\nAnnotations:  <none>\n\n"
        "Data\n====\n\nBinaryData\n====\n\nEvents:  <none>")


# ------------------------------------------------------------------ kubectl create configmap

CREATE = [
    ["create", "configmap", "demo", "--from-literal=b=2", "--from-literal=a=1"],
    ["create", "cm", "demo", "--from-literal=a=x=y", "-n", "team"],
    ["create", "configmap", "empty"],
    ["create", "cm", "q", "--from-literal=a='x'", '--from-literal=b="y"'],
]


@pytest.mark.parametrize("command", CREATE)
@pytest.mark.parametrize("output", ["yaml", "json", "name"])
def test_create_configmap_prints_what_kubectl_prints(cluster, command, output):
    """``--dry-run=client -o yaml|json|name`` is the real kubectl's output, byte for byte."""
    full = [*command, "--dry-run=client", "-o", output]
    assert kitlib_result(cluster, full) == kubectl_result(full)


def test_create_configmap_from_files_is_what_kubectl_prints(cluster, tmp_path):
    """``--from-file=PATH`` (key: the file's name), ``KEY=PATH`` and a directory (each regular file);
    text goes to data, other bytes to binaryData."""
    (tmp_path / "game.properties").write_text("lives=3\nlevel=1\n")
    (tmp_path / "blob.bin").write_bytes(b"\xff\xfe\x00")
    (tmp_path / "sub").mkdir()
    for sources in ([f"--from-file={tmp_path / 'game.properties'}", f"--from-file=raw={tmp_path / 'blob.bin'}",
                     "--from-literal=mode=fast"],
                    [f"--from-file={tmp_path}"]):
        full = ["create", "configmap", "files", *sources, "--dry-run=client", "-o", "yaml"]
        assert kitlib_result(cluster, full) == kubectl_result(full)


ERRORS = [
    ["create", "configmap", "demo", "--from-literal=novalue"],
    ["create", "configmap", "demo", "--from-literal==v"],
    ["create", "configmap", "demo", "--from-literal=a=1", "--from-literal=a=2"],
    ["create", "configmap", "demo", "--from-literal=a b=1"],
    ["create", "configmap", "demo", "--from-literal=.=1"],
    ["create", "configmap", "demo", "--from-literal=..a=1"],
    ["create", "configmap"],
    ["create", "cm", "a", "b"],
    ["create", "configmap", "demo", "--from-file=/no/such/file"],
    ["create", "configmap", "demo", "--from-file==x"],
    ["create", "configmap", "demo", "--from-file=k="],
    ["create", "configmap", "demo", "--from-file=a=b=c"],
    ["create", "configmap", "demo", "--from-file=k=/"],
    ["create", "configmap", "demo", "--from-literal=a=1", "--dry-run=bogus"],
]


@pytest.mark.parametrize("command", ERRORS)
def test_create_configmap_refuses_as_kubectl_does(cluster, snapshot, command):
    """kubectl's own errors for a bad NAME, ``--from-literal`` or ``--from-file``; nothing is created."""
    before = snapshot(cluster)
    full = [*command] if "--dry-run=bogus" in command else [*command, "--dry-run=client"]
    code, text = kitlib_result(cluster, full)
    assert (code, text) == kubectl_result(full)
    assert snapshot(cluster) == before


def test_create_configmap_refuses_a_file_key_that_clashes_with_a_literal(cluster, tmp_path):
    (tmp_path / "a").write_text("x")
    full = ["create", "configmap", "demo", f"--from-file={tmp_path / 'a'}", "--from-literal=a=1", "--dry-run=client"]
    assert kitlib_result(cluster, full) == kubectl_result(full)


def test_create_configmap_creates_it_on_the_server(cluster):
    assert cluster.kubectl("create configmap web --from-literal=greeting=hello") == "configmap/web created"
    assert cluster.get("ConfigMap", "web").data == {"greeting": "hello"}
    assert cluster.kubectl("create cm probe --from-literal=a=1 --dry-run=server") == \
        "configmap/probe created (server dry run)"
    assert [c.name for c in cluster.list("ConfigMap")] == ["web"]


def test_create_configmap_wraps_the_servers_refusal(cluster):
    """kubectl's ``failed to create configmap: `` before the server's message."""
    with pytest.raises(kitlib.Invalid, match=r'^error: failed to create configmap: ConfigMap "Web" is invalid: '
                                             r'metadata.name: Invalid value: "Web"'):
        cluster.kubectl("create configmap Web --from-literal=a=1")
    cluster.kubectl("create configmap web --from-literal=a=1")
    with pytest.raises(kitlib.AlreadyExists, match=r'configmaps "web" already exists'):
        cluster.kubectl("create configmap web --from-literal=a=1")


def test_a_binary_file_is_base64_in_binary_data(cluster, tmp_path):
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\xff")
    cluster.kubectl(f"create configmap logo --from-file={tmp_path / 'logo.png'}")
    cm = cluster.get("ConfigMap", "logo")
    assert cm.data == {} and base64.b64decode(cm.binary_data["logo.png"]) == b"\x89PNG\xff"
    assert "logo.png: 5 bytes" in cluster.kubectl("describe cm logo")


def test_describe_is_what_kubectl_prints_from_a_server(cluster, tmp_path):
    """The real kubectl's ``describe configmap``, run against a minimal API server that serves
    kitlib's object (describe is printed client-side), keys sorted as kubectl 1.37 sorts them."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    cm = cluster.create(configmap("demo", metadata={"name": "demo", "labels": {"app": "web", "tier": "db"},
                                                    "annotations": {"note": "x"}},
                                  data={"nginx.conf": "server {\n  listen 80;\n}\n", "a.txt": "1", "z": "2"},
                                  binaryData={"bin": "//4A", "a.bin": "AA=="}))
    cluster.advance(7)
    resources = {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
        {"name": "configmaps", "singularName": "configmap", "namespaced": True, "kind": "ConfigMap",
         "verbs": ["get", "list"], "shortNames": ["cm"]},
        {"name": "events", "singularName": "event", "namespaced": True, "kind": "Event", "verbs": ["list"]}]}
    replies = {"/api": {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []},
               "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": []},
               "/api/v1": resources,
               "/api/v1/namespaces/default/configmaps/demo": cm.to_dict(),
               "/api/v1/namespaces/default/events": {"kind": "EventList", "apiVersion": "v1", "items": []}}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = json.dumps(replies.get(self.path.split("?")[0], {"kind": "Status", "code": 404})).encode()
            self.send_response(200 if self.path.split("?")[0] in replies else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        (tmp_path / "kubeconfig").write_text(
            f"apiVersion: v1\nkind: Config\nclusters: [{{name: k, cluster: {{server: "
            f"'http://127.0.0.1:{server.server_port}'}}}}]\ncontexts: [{{name: k, context: {{cluster: k, user: u, "
            "namespace: default}}]\nusers: [{name: u, user: {}}]\ncurrent-context: k\n")
        exe = oracle.require()
        done = subprocess.run([exe, "--kubeconfig", str(tmp_path / "kubeconfig"), "--cache-dir", str(tmp_path),
                               "describe", "configmap", "demo"], capture_output=True, text=True, timeout=60,
                              check=False)
    finally:
        server.shutdown()
    assert done.returncode == 0, done.stderr
    assert cluster.kubectl("describe configmap demo") == done.stdout.rstrip("\n")
