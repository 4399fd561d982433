"""``kubectl create secret generic|tls|docker-registry NAME`` (``pkg/cmd/create/create_secret.go``,
``create_secret_tls.go``, ``create_secret_docker.go``), ``--from-env-file`` for ConfigMaps and Secrets
(``pkg/cmd/util/env_file.go``) and ``--append-hash`` (``pkg/util/hash``).

* ``generic``: the literals' keys first, then the files' (``[KEY=]PATH``, a directory's regular
  files), then the env files' (``KEY=VALUE`` lines; ``#`` comments and blank lines skipped; a line
  with no ``=`` takes the variable's value from kubectl's environment, here the notebook's); values
  base64-encoded in ``data``; ``--type`` as given (the API server defaults it to ``Opaque``).
* ``tls``: ``tls.crt`` and ``tls.key`` from ``--cert`` and ``--key``, checked as Go's
  ``tls.X509KeyPair`` checks them (PEM blocks of the right types; for RSA keys, the key matches the
  certificate's public key; other key types are not compared here), ``type: kubernetes.io/tls``.
* ``docker-registry``: a ``.dockerconfigjson`` from ``--docker-server``, ``--docker-username``,
  ``--docker-password``, ``--docker-email`` (or ``--from-file``).

Paths are relative to the current directory: in a notebook, the notebook's folder.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import stat
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..api.config import config_key_errors
from ..api.convert import go_marshal
from ..errors import go_quote
from .args import Args, KubectlError, check_flags, one_name
from .generate import COMMON_FLAGS

if TYPE_CHECKING:
    from ..cluster import Cluster

_ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
ENV_NAME_MESSAGE = ("a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or "
                    "'.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', "
                    "regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')")
"""apimachinery's ``IsEnvVarName`` message."""

HELP = """Create a secret with specified type.

 A docker-registry type secret is for accessing a container registry.

 A generic type secret indicate an Opaque secret type.

 A tls type secret holds TLS certificate and its associated key.

Available Commands:
  docker-registry   Create a secret for use with a Docker registry
  generic           Create a secret from a local file, directory, or literal value
  tls               Create a TLS secret

Usage:
  kubectl create secret (docker-registry | generic | tls) [options]

Use "kubectl create secret <command> --help" for more information about a given command.
Use "kubectl options" for a list of global command-line options (applies to all commands)."""
"""What ``kubectl create secret`` prints without its subcommand."""

_FLAGS = {"generic": {"from-literal", "from-file", "from-env-file", "type", "append-hash"},
          "tls": {"cert", "key", "append-hash"},
          "docker-registry": {"docker-server", "docker-username", "docker-password", "docker-email", "from-file",
                              "append-hash"}}


def create_secret(cluster: Cluster, args: Args) -> dict[str, Any]:
    """The Secret ``kubectl create secret <type> NAME ...`` builds."""
    words = args.words[2:]
    if not words:
        raise KubectlError(HELP)
    sub = words[0]
    if sub not in _FLAGS:
        raise KubectlError(f'error: unknown command "{" ".join(words)}"\n'
                           "See 'kubectl create secret -h' for help and examples")
    check_flags(args, _FLAGS[sub] | COMMON_FLAGS, f"create secret {sub}")
    name = one_name(words[1:], f"create secret {sub}")
    if sub == "generic":
        secret = _generic(args, name)
    elif sub == "tls":
        secret = _tls(args, name)
    else:
        secret = _docker(args, name)
    if args.on("append-hash"):
        secret["metadata"]["name"] = f"{name}-{secret_hash(secret)}"
    return secret


def _secret(args: Args, name: str, type_: str) -> dict[str, Any]:
    """``newSecretObj``: the namespace only when ``-n`` was given; keys in Go's field order."""
    meta: dict[str, Any] = {"name": name}
    if args.get("namespace"):
        meta["namespace"] = args.get("namespace")
    out: dict[str, Any] = {"kind": "Secret", "apiVersion": "v1", "metadata": meta, "data": {}}
    if type_:
        out["type"] = type_
    return out


def _finish(secret: dict[str, Any], data: dict[str, bytes]) -> dict[str, Any]:
    if data:
        secret["data"] = {k: base64.b64encode(v).decode() for k, v in sorted(data.items())}
    else:
        del secret["data"]
    return secret


def _generic(args: Args, name: str) -> dict[str, Any]:
    if args.all("from-env-file") and (args.all("from-file") or args.all("from-literal")):
        raise KubectlError("error: from-env-file cannot be combined with from-file or from-literal")
    secret = _secret(args, name, args.get("type") or "")
    data: dict[str, bytes] = {}
    for source in args.all("from-literal"):
        key, eq, value = source.partition("=")
        if not eq or not key:
            raise KubectlError(f"error: invalid literal source {source}, expected key=value")
        _add(data, key, value.encode())
    for source in args.all("from-file"):
        for key, path in file_sources(source):
            _add(data, key, read_file(path))
    for path in args.all("from-env-file"):
        env_file(path, "secret", lambda k, v: _add(data, k, v.encode()))
    return _finish(secret, data)


def _add(data: dict[str, bytes], key: str, value: bytes) -> None:
    """``addKeyFromLiteralToSecret``."""
    errs = config_key_errors(key)
    if errs:
        raise KubectlError(f"error: {go_quote(key)} is not valid key name for a Secret {';'.join(errs)}")
    if key in data:
        raise KubectlError(f"error: cannot add key {key}, another key by that name already exists")
    data[key] = value


def _tls(args: Args, name: str) -> dict[str, Any]:
    cert_path, key_path = args.get("cert") or "", args.get("key") or ""
    if not cert_path or not key_path:
        raise KubectlError("error: key and cert must be specified")
    cert, key = _read_tls(cert_path), _read_tls(key_path)
    x509_key_pair(cert, key)
    secret = _secret(args, name, "kubernetes.io/tls")
    return _finish(secret, {"tls.crt": cert, "tls.key": key})


def _read_tls(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise KubectlError(f"error: Cannot read file {path}, open {path}: {go_errno(exc)}") from None


def _docker(args: Args, name: str) -> dict[str, Any]:
    """``create_secret_docker.go``: ``.dockerconfigjson`` from the flags, or the files given."""
    sources = args.all("from-file")
    user, password = args.get("docker-username") or "", args.get("docker-password") or ""
    server = args.get("docker-server", "https://index.docker.io/v1/") or ""
    if not sources and not (user and password and server):
        raise KubectlError("error: either --from-file or the combination of --docker-username, --docker-password "
                           "and --docker-server is required")
    secret = _secret(args, name, "kubernetes.io/dockerconfigjson")
    data: dict[str, bytes] = {}
    if not sources:
        # DockerConfigJSON's struct fields, in their order (empty ones omitted).
        auth = {"username": user, "password": password}
        if args.get("docker-email"):
            auth["email"] = args.get("docker-email") or ""
        auth["auth"] = base64.b64encode(f"{user}:{password}".encode()).decode()
        data[".dockerconfigjson"] = go_marshal({"auths": {server: auth}}, sort_keys=False).encode()
    for source in sources:
        for key, path in file_sources(source):
            _add(data, key, read_file(path))
    return _finish(secret, data)


# ---------------------------------------------------------------------------- shared with configmaps


def file_sources(source: str) -> list[tuple[str, str]]:
    """``ParseFileSource`` and the directory walk: ``(key, path)`` of each file ``source`` names."""
    if source.count("=") > 1:
        raise KubectlError("error: key names or file paths cannot contain '='")
    key, eq, path = source.partition("=")
    if eq and not key:
        raise KubectlError(f"error: key name for file path {path} missing")
    if eq and not path:
        raise KubectlError(f"error: file path for key name {key} missing")
    if not eq:
        key, path = os.path.basename(source.rstrip("/")) or source, source
    try:
        is_dir = stat.S_ISDIR(os.stat(path).st_mode)
    except OSError as exc:
        raise KubectlError(f"error: error reading {path}: {go_errno(exc)}") from None
    if not is_dir:
        return [(key, path)]
    if eq:
        raise KubectlError("error: cannot give a key name for a directory path")
    with os.scandir(path) as entries:
        return [(e.name, os.path.join(path, e.name))
                for e in sorted(entries, key=lambda e: e.name) if e.is_file(follow_symlinks=False)]


def read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise KubectlError(f"error: open {path}: {go_errno(exc)}") from None


def env_file(path: str, what: str, add: Callable[[str, str], None]) -> None:
    """``AddFromEnvFile``: each ``KEY=VALUE`` line of ``path`` to ``add`` (``what``: ``secret`` or
    ``config``, for the error about a directory)."""
    try:
        is_dir = stat.S_ISDIR(os.stat(path).st_mode)
    except OSError as exc:
        raise KubectlError(f"error: error reading {path}: {go_errno(exc)}") from None
    if is_dir:
        raise KubectlError(f"error: env {what} file cannot be a directory")
    content = read_file(path)
    # bufio.Scanner's lines: split at \n, a trailing \r dropped, no empty last line.
    lines = content.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for number, raw in enumerate(lines):
        line = raw[:-1] if raw.endswith(b"\r") else raw
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            raise KubectlError(f"error: env file {path} contains invalid utf8 bytes at line {number + 1}: "
                               f"[{' '.join(str(b) for b in line)}]") from None
        if number == 0:
            text = text.removeprefix("\ufeff")
        text = text.lstrip()
        if not text or text.startswith("#"):
            continue
        key, eq, value = text.partition("=")
        if not _ENV_NAME.fullmatch(key):
            raise KubectlError(f"error: {go_quote(key)} is not a valid key name: {ENV_NAME_MESSAGE}")
        add(key, value if eq else os.environ.get(key, ""))


def go_errno(exc: OSError) -> str:
    """An OS error in Go's words: ``no such file or directory``."""
    text = exc.strerror or str(exc)
    return text[:1].lower() + text[1:]


# ---------------------------------------------------------------------------- --append-hash


def _encode_hash(hexdigest: str) -> str:
    """``encodeHash``: the first 10 hex digits, with 0 1 3 a e made g h k m t (no vowels, no look-alikes)."""
    return hexdigest[:10].translate(str.maketrans("013ae", "ghkmt"))


def secret_hash(secret: dict[str, Any]) -> str:
    """``SecretHash``: of its kind, name, type and data (``[]byte`` values: base64 in JSON)."""
    doc = {"kind": "Secret", "name": secret["metadata"]["name"], "type": secret.get("type", ""),
           "data": secret.get("data", {})}
    return _encode_hash(hashlib.sha256(go_marshal(doc).encode()).hexdigest())


def configmap_hash(cm: dict[str, Any]) -> str:
    """``ConfigMapHash``: of its kind, name, data and (when there is any) binaryData."""
    doc: dict[str, Any] = {"kind": "ConfigMap", "name": cm["metadata"]["name"], "data": cm.get("data", {})}
    if cm.get("binaryData"):
        doc["binaryData"] = cm["binaryData"]
    return _encode_hash(hashlib.sha256(go_marshal(doc).encode()).hexdigest())


# ---------------------------------------------------------------------------- tls.X509KeyPair


def _pem_blocks(data: bytes) -> list[tuple[str, bytes]]:
    """The PEM blocks of ``data``: (type, DER bytes)."""
    out = []
    for m in re.finditer(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----", data, re.DOTALL):
        try:
            der = base64.b64decode(b"".join(m.group(2).split()), validate=True)
        except ValueError:
            continue
        out.append((m.group(1).decode(), der))
    return out


def x509_key_pair(cert: bytes, key: bytes) -> None:
    """Go's ``tls.X509KeyPair`` checks, with its messages."""
    cert_blocks = [der for kind, der in _pem_blocks(cert) if kind == "CERTIFICATE"]
    if not cert_blocks:
        blocks = _pem_blocks(cert)
        if not blocks:
            raise KubectlError("error: tls: failed to find any PEM data in certificate input")
        if len(blocks) == 1 and blocks[0][0].endswith("PRIVATE KEY"):
            raise KubectlError("error: tls: failed to find certificate PEM data in certificate input, but did "
                               "find a private key; PEM inputs may have been switched")
        raise KubectlError(f'error: tls: failed to find "CERTIFICATE" PEM block in certificate input after '
                           f'skipping PEM blocks of the following types: [{" ".join(k for k, _ in blocks)}]')
    key_blocks = _pem_blocks(key)
    key_der = next((der for kind, der in key_blocks if kind == "PRIVATE KEY" or kind.endswith(" PRIVATE KEY")), None)
    if key_der is None:
        if not key_blocks:
            raise KubectlError("error: tls: failed to find any PEM data in key input")
        if len(key_blocks) == 1 and key_blocks[0][0] == "CERTIFICATE":
            raise KubectlError("error: tls: found a certificate rather than a key in the PEM for the private key")
        raise KubectlError(f'error: tls: failed to find PEM block with type ending in "PRIVATE KEY" in key input '
                           f'after skipping PEM blocks of the following types: [{" ".join(k for k, _ in key_blocks)}]')
    public = _rsa_public_modulus(cert_blocks[0])
    private = _rsa_private_modulus(key_der)
    if public is not None and private is not None and public != private:
        raise KubectlError("error: tls: private key does not match public key")


def _der(data: bytes, at: int) -> tuple[int, int, int]:
    """(tag, start of content, end of content) of the DER element at ``at``."""
    tag, length = data[at], data[at + 1]
    at += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[at:at + count], "big")
        at += count
    return tag, at, at + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    out = []
    while start < end:
        tag, s, e = _der(data, start)
        out.append((tag, s, e))
        start = e
    return out


def _rsa_public_modulus(cert: bytes) -> int | None:
    """The RSA modulus of a certificate's key (None for other key types or what cannot be read)."""
    try:
        _, s, e = _der(cert, 0)
        tbs = _children(cert, s, e)[0]
        fields = _children(cert, tbs[1], tbs[2])
        if fields[0][0] == 0xA0:  # [0] version
            fields = fields[1:]
        spki = fields[5]
        algorithm, bits = _children(cert, spki[1], spki[2])
        oid = _children(cert, algorithm[1], algorithm[2])[0]
        if cert[oid[1]:oid[2]] != bytes.fromhex("2a864886f70d010101"):  # rsaEncryption
            return None
        key = bits[1] + 1  # the BIT STRING's unused-bits byte
        _, ks, ke = _der(cert, key)
        modulus = _children(cert, ks, ke)[0]
        return int.from_bytes(cert[modulus[1]:modulus[2]], "big")
    except (IndexError, ValueError):
        return None


def _rsa_private_modulus(der: bytes) -> int | None:
    """The modulus of an RSA private key, PKCS#1 or PKCS#8 (None for other key types)."""
    try:
        _, s, e = _der(der, 0)
        items = _children(der, s, e)
        if len(items) >= 3 and items[1][0] == 0x30:  # PKCS#8: version, algorithm, OCTET STRING key
            oid = _children(der, items[1][1], items[1][2])[0]
            if der[oid[1]:oid[2]] != bytes.fromhex("2a864886f70d010101"):
                return None
            return _rsa_private_modulus(der[items[2][1]:items[2][2]])
        modulus = items[1]  # PKCS#1: version, modulus, ...
        return int.from_bytes(der[modulus[1]:modulus[2]], "big")
    except (IndexError, ValueError):
        return None
