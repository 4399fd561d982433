"""``kubectl create secret generic|tls|docker-registry`` and ``create configmap --from-env-file`` /
``--append-hash`` (kubectl 1.37 ``pkg/cmd/create``): the objects they build, compared byte for byte
with the real kubectl 1.37.1 (``--dry-run=client`` needs no server), and what the cluster stores."""

from __future__ import annotations

import base64
import os
import shlex
import subprocess

import oracle
import pytest

import kitlib


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """Two self-signed certificates with their RSA keys, made by openssl (skipped where it is missing)."""
    folder = tmp_path_factory.mktemp("certs")
    for name in ("tls", "other"):
        done = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key",
                               "-out", f"{name}.crt", "-subj", f"/CN={name}", "-days", "365"],
                              capture_output=True, check=False, cwd=folder)
        if done.returncode != 0:
            pytest.skip("openssl is not installed")
    return folder


@pytest.fixture
def files(tmp_path, monkeypatch, certificates):
    """A notebook folder (the current directory) with an env file, text and binary files, a
    directory, and the two certificates with their keys."""
    monkeypatch.chdir(tmp_path)
    for cert in certificates.iterdir():
        (tmp_path / cert.name).write_bytes(cert.read_bytes())
    (tmp_path / "app.env").write_bytes(b"\xef\xbb\xbfA=1\n# comment\n\n  B= x y \nFROM_ENV\nD=a=b\r\n")
    (tmp_path / "bad.env").write_text("1A=x\n")
    (tmp_path / "a.txt").write_text("hello\n")
    (tmp_path / "bin.dat").write_bytes(b"\x00\xff")
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "x.conf").write_text("x=1\n")
    (tmp_path / "conf" / "y.conf").write_text("y=2\n")
    monkeypatch.setenv("FROM_ENV", "zz")
    return tmp_path


def real(argv: list[str]) -> tuple[int, str]:
    exe = oracle.require()
    done = subprocess.run([exe, *argv], capture_output=True, text=True, timeout=60, check=False,
                          env={"KUBECONFIG": "/nonexistent", "PATH": "/usr/bin:/bin", "FROM_ENV": os.environ["FROM_ENV"]})
    return done.returncode, (done.stdout if done.returncode == 0 else done.stderr).rstrip("\n")


def ours(cluster: kitlib.Cluster, argv: list[str]) -> tuple[int, str]:
    try:
        return 0, cluster.kubectl(shlex.join(argv))
    except kitlib.ApiError as err:
        return 1, str(err)


SAME = [
    "create secret generic s --dry-run=client -o yaml",
    "create secret generic s --from-literal=a=b --from-file=a.txt --from-file=k=bin.dat --dry-run=client -o yaml",
    "create secret generic s --from-file=conf --dry-run=client -o yaml",
    "create secret generic s --from-env-file=app.env --dry-run=client -o yaml",
    "create secret generic s --from-literal=a=b --type=kubernetes.io/basic-auth -n dev --dry-run=client -o json",
    "create secret generic s --from-literal=user=admin --append-hash --dry-run=client -o name",
    "create secret generic s --from-literal=a=b --dry-run=client",
    "create secret tls web-tls --cert=tls.crt --key=tls.key --dry-run=client -o yaml",
    "create secret tls web-tls --cert=tls.crt --key=tls.key --append-hash --dry-run=client -o name",
    "create secret docker-registry reg --docker-username=u --docker-password=p --docker-email=e@x.io "
    "--dry-run=client -o yaml",
    "create secret docker-registry reg --docker-server=r.io --docker-username=u --docker-password=p "
    "--dry-run=client -o json",
    "create configmap c --from-env-file=app.env --dry-run=client -o yaml",
    "create configmap c --from-literal=a=b --append-hash --dry-run=client -o name",
    "create configmap c --from-file=conf --from-file=bin.dat --append-hash --dry-run=client -o name",
    "create configmap c --append-hash --dry-run=client -o name",
]


@pytest.mark.parametrize("line", SAME)
def test_generated_object_is_kubectls(cluster, files, line):
    """Keys from literals, files (``KEY=PATH``, a directory's files) and env files; secrets'
    values base64; ``--append-hash`` names the object after a hash of its content."""
    argv = shlex.split(line)
    assert ours(cluster, argv) == real(argv)


REFUSED = [
    "create secret generic s --from-env-file=app.env --from-literal=a=b",
    "create secret generic s --from-env-file=bad.env",
    "create secret generic s --from-env-file=conf",
    "create secret generic s --from-env-file=nope.env",
    "create secret generic s --from-literal=a=b --from-literal=a=c",
    "create secret generic s --from-literal=a/b=c",
    "create secret generic s --from-file=k=conf",
    "create secret generic s --from-file=missing.txt",
    "create secret generic",
    "create secret generic s --cert=tls.crt",
    "create secret tls t --cert=tls.crt --key=other.key",
    "create secret tls t --cert=tls.crt",
    "create secret tls t --cert=tls.key --key=tls.key",
    "create secret tls t --cert=tls.crt --key=tls.crt",
    "create secret tls t --cert=nope --key=tls.key",
    "create secret tls --cert=tls.crt --key=tls.key",
    "create secret docker-registry reg --docker-username=u",
    "create secret docker-registry reg --docker-username=u --docker-password=p --docker-server=",
    "create secret foo x",
    "create configmap c --from-env-file=app.env --from-file=a.txt",
    "create configmap c --from-env-file=bad.env",
    "create configmap c --from-env-file=conf",
]


@pytest.mark.parametrize("line", REFUSED)
def test_refusal_is_kubectls(cluster, files, line):
    """kubectl checks sources and keys itself, before any request; nothing changes."""
    argv = shlex.split(line)
    before = cluster.state()
    code, text = real(argv)
    assert code == 1
    assert ours(cluster, argv) == (1, text)
    assert cluster.state() == before


def test_create_secret_without_subcommand_prints_its_help(cluster):
    """``kubectl create secret`` alone prints the group's help."""
    with pytest.raises(kitlib.BadRequest, match=r"^Create a secret with specified type\."):
        cluster.kubectl("create secret")


def test_created_secret_is_opaque_and_decodes(cluster, files):
    """The API server defaults the type to ``Opaque``; ``data`` holds the bytes base64-encoded."""
    assert cluster.kubectl("create secret generic db --from-literal=password=s3cr3t") == "secret/db created"
    secret = cluster.get("Secret", "db")
    assert secret.type == "Opaque"
    assert base64.b64decode(secret.data["password"]) == b"s3cr3t"
    assert "password:  6 bytes" in cluster.kubectl("describe secret db")


def test_tls_secret_serves_an_ingress(cluster, files):
    """``create secret tls`` makes the ``kubernetes.io/tls`` Secret an Ingress's ``tls`` names."""
    assert cluster.kubectl("create secret tls web-tls --cert=tls.crt --key=tls.key") == "secret/web-tls created"
    secret = cluster.get("Secret", "web-tls")
    assert secret.type == "kubernetes.io/tls"
    assert base64.b64decode(secret.data["tls.crt"]) == (files / "tls.crt").read_bytes()


def test_env_file_configmap_feeds_a_pod(cluster, files):
    """``--from-env-file``: one key per line; a line without ``=`` takes kubectl's environment's value."""
    cluster.kubectl("create configmap app --from-env-file=app.env")
    assert cluster.get("ConfigMap", "app").data == {"A": "1", "B": " x y ", "D": "a=b", "FROM_ENV": "zz"}
