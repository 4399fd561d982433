"""What ``kubectl exec`` runs inside a container: the tools its image ships, and what they print.

The simulated containers carry the tools their images really ship, and those tools print
what they print on a real cluster (minikube, Docker runtime):

* ``busybox`` (and ``alpine``, and any image not listed in :data:`TOOLBOXES`): BusyBox 1.37's
  ``wget``, ``nslookup``, ``cat``, ``hostname``, ``echo`` and ``sh``; no curl;
* ``nginx`` (Debian bookworm): curl 7.88.1, ``cat``, ``hostname``, ``echo``, ``sh`` (dash) and
  bash; no wget, no nslookup (``nginx:*-alpine`` adds curl to BusyBox);
* ``curlimages/curl`` and ``nicolaka/netshoot``: a current curl (8.x) next to BusyBox or bind's
  nslookup; the ``dnsutils`` images: bind's nslookup.

A program the image lacks fails as Docker's runtime reports it (``OCI runtime exec failed:
... executable file not found in $PATH: unknown``, exit code 126); ``sh -c`` reports it as the
image's shell does. :func:`run` returns what the command prints and its exit code; reporting a
non-zero code is the ``kubectl exec`` verb's job (:mod:`kitlib.kubectl.exec`).

``sh -c`` runs a small shell model (:func:`parse_script`, :func:`advance`): commands joined by
``;``, ``&&`` and ``||``, ``exit N``, ``sleep``, ``touch``, ``rm``, ``cat``, ``echo``, ``test``/``[``,
``env``, ``printenv``, ``true``, ``false``, ``> FILE`` and ``>> FILE``, ``$VAR`` from the container's environment;
files live in the container's writable layer (:mod:`kitlib.container.process`). No loops, ``if``,
pipes or command substitution. A container's main process runs in the same model on the
cluster's clock, where ``sleep 30`` takes 30 seconds.

The clock does not move while ``kubectl exec`` runs a command (``sleep`` returns at once; a
connection that times out after two minutes on a real cluster returns at once here).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..api.addresses import is_ip
from ..api.defaults import image_repo, image_tag
from ..api.service import Service
from ..errors import BadRequest
from ..network import dns
from ..network import http as web
from ..network.datapath import connect
from ..network.ref import Ref
from .images import NGINX_INDEX, hostname

if TYPE_CHECKING:
    from ..api.pod import Container, Pod
    from ..runtime import Runtime


@dataclass(frozen=True)
class Toolbox:
    """What an image has on its PATH, and which flavour of each tool."""

    programs: frozenset[str]
    shell: str = "busybox"  # busybox | dash
    cat: str = "busybox"  # busybox | gnu
    nslookup: str | None = "busybox"  # busybox | bind | None
    curl: str | None = None  # curl's version ("7.88.1", or "8" for a current one), or None
    wget: bool = True


_BUSYBOX_APPLETS = frozenset("""sh ash cat echo hostname wget nslookup ls ps ping env printenv sleep true false
    id uname date printf head tail grep sed awk cut sort wc nc netstat ip ifconfig route traceroute
    which vi mkdir rm cp mv touch chmod df du free top kill test expr timeout""".split())
_DEBIAN = frozenset("""sh dash bash cat echo hostname ls env printenv sleep true false id uname date printf head
    tail grep sed cut sort wc which mkdir rm cp mv touch chmod df du kill test expr timeout
    nginx""".split())
BUSYBOX = Toolbox(_BUSYBOX_APPLETS)
NGINX_DEBIAN = Toolbox(_DEBIAN | {"curl"}, "dash", "gnu", None, "7.88.1", False)
NGINX_ALPINE = Toolbox(_BUSYBOX_APPLETS | {"curl", "nginx"}, curl="8")
CURL = Toolbox(_BUSYBOX_APPLETS | {"curl"}, curl="8")
NETSHOOT = Toolbox(_BUSYBOX_APPLETS | {"curl", "bash", "dig"}, nslookup="bind", curl="8")
DNSUTILS = Toolbox(_DEBIAN | {"nslookup", "dig", "host"}, "dash", "gnu", "bind", None, False)
DISTROLESS = Toolbox(frozenset({"coredns"}), nslookup=None, wget=False)
TOOLBOXES: dict[str, Toolbox] = {
    "busybox": BUSYBOX,
    "alpine": BUSYBOX,
    "nginx": NGINX_DEBIAN,
    "curlimages/curl": CURL,
    "nicolaka/netshoot": NETSHOOT,
    "registry.k8s.io/e2e-test-images/jessie-dnsutils": DNSUTILS,
    "tutum/dnsutils": DNSUTILS,
    "registry.k8s.io/coredns/coredns": DISTROLESS,
}
"""Image repository → its tools; any other image is taken to be BusyBox-based."""
SIMULATED = ("curl", "wget", "nslookup", "cat", "hostname", "echo", "sh", "bash")


def toolbox(image: str) -> Toolbox:
    """The tools of ``image`` (``nginx:1.27-alpine`` is the Alpine flavour)."""
    repo = image_repo(image)
    if repo == "nginx" and "alpine" in image_tag(image):
        return NGINX_ALPINE
    return TOOLBOXES.get(repo, BUSYBOX)


# ---------------------------------------------------------------------------- inside the container


def run(rt: Runtime, pod: Pod, container: Container, argv: list[str]) -> tuple[str, int]:
    """Run ``argv`` in ``container``: (what it prints, stdout and stderr together, and its exit code)."""
    return _run(rt, pod, container, argv, None)


def run_within(rt: Runtime, pod: Pod, container: Container, argv: list[str],
               timeout: float) -> tuple[str, int] | None:
    """:func:`run` as an exec probe does: None when its ``sleep`` adds up to ``timeout`` seconds
    or more (the probe's run ends there; the clock still does not move)."""
    try:
        return _run(rt, pod, container, argv, timeout)
    except _TimedOut:
        return None


class _TimedOut(Exception):
    """The command slept past its time limit."""


def _run(rt: Runtime, pod: Pod, container: Container, argv: list[str], limit: float | None) -> tuple[str, int]:
    box = toolbox(container.image or "")
    program = argv[0].rsplit("/", 1)[-1]
    if program not in box.programs:
        where = f'stat {argv[0]}: no such file or directory' if "/" in argv[0] else "executable file not found in $PATH"
        return (f'OCI runtime exec failed: exec failed: unable to start container process: exec: "{argv[0]}": '
                f"{where}: unknown\n", 126)
    if program in _SHELL_PROGRAMS or (program == "sleep" and limit is not None):
        args = argv[1:] if program != "sleep" else ["-c", " ".join(argv)]
        return _shell(rt, pod, container, box, "sh" if program == "sleep" else program, args, limit)
    if program == "sleep":
        return "", 0  # the clock stands still while kubectl exec runs
    from .process import files, keep

    fs = files(rt, pod, container)
    result = command(rt, pod, container, box, program, argv[1:], fs)
    keep(rt, pod, container, fs)
    return result


_SHELL_PROGRAMS = ("sh", "ash", "dash", "bash")


def _program(rt: Runtime, pod: Pod, container: Container, box: Toolbox, program: str,
             args: list[str]) -> tuple[str, int]:
    if program in _SHELL_PROGRAMS:
        return _shell(rt, pod, container, box, program, args)
    if program == "echo":
        return " ".join(a for a in args if a != "-n") + ("" if "-n" in args else "\n"), 0
    if program == "hostname":
        return ((pod.status.pod_ip or "") if "-i" in args else hostname(pod)) + "\n", 0
    if program == "cat":
        from .process import files

        return _cat(rt, pod, box, args, files(rt, pod, container))
    if program == "nslookup" and box.nslookup == "bind":
        return _bind_nslookup(rt, pod, args)
    if program == "nslookup" and box.nslookup:
        return _busybox_nslookup(rt, pod, args)
    if program == "curl" and box.curl:
        return _curl(rt, pod, box.curl, args)
    if program == "wget" and box.wget:
        return _wget(rt, pod, args)
    raise BadRequest(f'error: kitlib does not simulate "{program}" inside containers; it runs '
                     f"{', '.join(SIMULATED)}")


def _shell(rt: Runtime, pod: Pod, container: Container, box: Toolbox, program: str,
           args: list[str], limit: float | None = None) -> tuple[str, int]:
    if len(args) < 2 or args[0] != "-c":
        raise BadRequest(f'error: kitlib simulates "{program} -c \'COMMAND\'" only (no interactive shell)')
    from .process import environment, files, keep

    try:
        session = Session(parse_script(args[1], environment(rt, pod, container)), program=program)
    except _Unterminated as open_quote:
        return _syntax_error(program, box, str(open_quote)), 2
    fs = files(rt, pod, container)
    out: list[str] = []
    slept = 0.0
    while True:
        step = advance(rt, pod, container, session, fs, out, timed=limit is not None)
        if step.kind == "sleep":
            slept += step.seconds
            if limit is not None and slept >= limit:
                raise _TimedOut
            continue
        if step.kind == "block":
            raise BadRequest(f'error: kitlib does not simulate "{step.program}" inside containers; it runs '
                             f"{', '.join(SIMULATED)}")
        if step.kind == "exit":
            keep(rt, pod, container, fs)
            return "".join(out), step.code


class _Unterminated(Exception):
    """A script whose quote (the message) is never closed."""


@dataclass
class Session:
    """A shell running a script (``sh -c``): the script's commands and operators, the next one to
    run and the last exit code. Plain data, so a main process can pause in ``sleep`` and resume."""

    parts: list[tuple[str, ...]]
    pc: int = 0
    code: int = 0
    program: str = "sh"


@dataclass(frozen=True)
class Step:
    """Where a shell stopped: ``exit`` (with ``code``), ``sleep`` (for ``seconds``, then it goes
    on) or ``block`` (a program that runs until it is signalled, such as ``httpd -f`` or ``nc -l``)."""

    kind: str
    code: int = 0
    seconds: float = 0.0
    program: str = ""


STEP_PROGRAMS = frozenset("exit sleep touch rm test [ env printenv true false mkdir".split())
"""What the shell model runs besides :data:`SIMULATED` (builtins and file tools)."""
_OPERATORS = {("&&",), ("||",), (";",)}


def parse_script(script: str, env: dict[str, str] | None = None) -> list[tuple[str, ...]]:
    """A ``sh -c`` script as commands and the operators between them, after ``$VAR`` expansion
    (not inside single quotes; an unset variable expands to nothing).

    >>> parse_script("touch /tmp/healthy; sleep 30 && echo $X > /tmp/x", {"X": "hi"})
    [('touch', '/tmp/healthy'), (';',), ('sleep', '30'), ('&&',), ('echo', 'hi', '>', '/tmp/x')]
    """
    return _split_script(_expand(script, env or {}))


def _expand(script: str, env: dict[str, str]) -> str:
    """``$NAME`` and ``${NAME}`` replaced by their values, outside single quotes (and not after a backslash)."""
    out: list[str] = []
    quote, i = "", 0
    while i < len(script):
        ch = script[i]
        if ch == "\\" and quote != "'" and i + 1 < len(script):
            out.append(script[i:i + 2])
            i += 2
            continue
        if ch == "'" and quote != '"':
            quote = "" if quote == "'" else "'"
        elif ch == '"' and quote != "'":
            quote = "" if quote == '"' else '"'
        elif ch == "$" and quote != "'":
            m = re.match(r"\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*)|(\?)", script[i + 1:])
            if m and m.group(0):
                name = m.group(1) or m.group(2) or m.group(3)
                out.append(env.get(name, "") if name != "?" else "$?")
                i += 1 + len(m.group(0))
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def advance(rt: Runtime, pod: Pod, container: Container, session: Session, fs: dict[str, str],
            out: list[str], timed: bool = True) -> Step:
    """Run ``session`` on until it exits, sleeps (``timed``; without it ``sleep`` returns at once,
    as ``kubectl exec`` sees the clock stand still) or blocks; what it prints goes to ``out``.

    ``;`` runs the next command whatever happened, ``&&`` only after success, ``||`` only after
    failure; a command skipped leaves the last exit code as it was (POSIX's AND-OR lists)."""
    box = toolbox(container.image or "")
    parts = session.parts
    while session.pc < len(parts):
        part = parts[session.pc]
        session.pc += 1
        if part in _OPERATORS:
            if (part == ("&&",) and session.code != 0) or (part == ("||",) and session.code == 0):
                session.pc += 1 if session.pc < len(parts) and parts[session.pc] not in _OPERATORS else 0
            continue
        words, target, append = _redirect(part)
        if any("$?" in w for w in words):  # the last exit code, known only now
            words = tuple(w.replace("$?", str(session.code)) for w in words)
        if words and words[0] == "exec":
            words = words[1:]  # the program replaces the shell
        if not words:
            continue
        name = words[0].rsplit("/", 1)[-1]
        if name == "exit":
            code = int(words[1]) if len(words) > 1 and words[1].lstrip("-").isdigit() else session.code
            session.pc = len(parts)
            session.code = code % 256
            return Step("exit", session.code)
        if name != "[" and name not in box.programs and name not in ("exit", "true", "false", "test"):
            out.append(_not_found(session.program, box, words[0]))
            session.code = 127
            continue
        if name == "sleep":
            seconds = _duration(words[1] if len(words) > 1 else "")
            if seconds is None:
                out.append(f"sleep: invalid number '{words[1] if len(words) > 1 else ''}'\n")
                session.code = 1
                continue
            session.code = 0
            if timed and seconds > 0:
                return Step("sleep", seconds=seconds)
            continue
        if name not in SIMULATED and name not in STEP_PROGRAMS:
            session.pc -= 1  # it runs until it is signalled
            return Step("block", program=name)
        text, session.code = command(rt, pod, container, box, name, list(words[1:]), fs)
        if target is not None:
            if target not in ("/dev/null", "/dev/stdout"):
                fs[target] = (fs.get(target, "") if append else "") + text
            if target != "/dev/stdout":
                text = ""
        out.append(text)
    return Step("exit", session.code)


def _redirect(part: tuple[str, ...]) -> tuple[tuple[str, ...], str | None, bool]:
    """A command's words without its ``> FILE`` or ``>> FILE`` (the last one wins), the file and
    whether it appends."""
    words: list[str] = []
    target, append = None, False
    i = 0
    while i < len(part):
        if part[i] in (">", ">>") and i + 1 < len(part):
            target, append = part[i + 1], part[i] == ">>"
            i += 2
            continue
        words.append(part[i])
        i += 1
    return tuple(words), target, append


def _duration(text: str) -> float | None:
    """BusyBox sleep's argument: seconds, or with a suffix s, m, h or d; ``infinity``."""
    if text == "infinity":
        return float("inf")
    scale = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(text[-1:], None)
    number = text[:-1] if scale else text
    try:
        return float(number) * (scale or 1)
    except ValueError:
        return None


def _not_found(program: str, box: Toolbox, name: str) -> str:
    if program == "bash":
        return f"bash: line 1: {name}: command not found\n"
    if box.shell == "dash":
        return f"{program}: 1: {name}: not found\n"
    return f"{program}: {name}: not found\n"


def command(rt: Runtime, pod: Pod, container: Container, box: Toolbox, name: str, args: list[str],
            fs: dict[str, str]) -> tuple[str, int]:
    """One simple command inside the container (its filesystem ``fs``): what it prints and its exit code."""
    if name == "true":
        return "", 0
    if name == "false":
        return "", 1
    if name == "touch":
        for path in args:
            if not path.startswith("-"):
                fs.setdefault(path, "")
        return "", 0
    if name == "mkdir":
        return "", 0
    if name == "rm":
        force = any(a.startswith("-") and "f" in a for a in args)
        out, code = "", 0
        for path in (a for a in args if not a.startswith("-")):
            if fs.pop(path, None) is None and not force:
                out += f"rm: can't remove '{path}': No such file or directory\n" if box.cat == "busybox" else \
                    f"rm: cannot remove '{path}': No such file or directory\n"
                code = 1
        return out, code
    if name in ("test", "["):
        if name == "[":
            if not args or args[-1] != "]":
                return "sh: missing ]\n", 2
            args = args[:-1]
        return "", 0 if _test(args, fs) else 1
    if name in ("env", "printenv"):
        from .process import environment

        env = environment(rt, pod, container)
        if name == "printenv" and args:
            # coreutils' and BusyBox's printenv NAME...: each value set, exit 1 if any is not.
            return "".join(f"{env[a]}\n" for a in args if a in env), 0 if all(a in env for a in args) else 1
        return "".join(f"{k}={v}\n" for k, v in env.items()), 0
    if name == "cat":
        return _cat(rt, pod, box, args, fs)
    return _program(rt, pod, container, box, name, args)


def _test(args: list[str], fs: dict[str, str]) -> bool:
    """``test``: ``! EXPR``, ``-f``/``-e``/``-s`` FILE, ``-z``/``-n`` STRING, ``=``/``!=``, a lone string."""
    if args and args[0] == "!":
        return not _test(args[1:], fs)
    if len(args) == 2 and args[0] in ("-f", "-e", "-s", "-r"):
        path = args[1]
        known = path in fs or path in ("/etc/resolv.conf", "/etc/hosts", "/etc/hostname")
        return known and (args[0] != "-s" or bool(fs.get(path, "x")))
    if len(args) == 2 and args[0] == "-d":
        return args[1] in ("/", "/tmp", "/etc") or any(p.startswith(args[1].rstrip("/") + "/") for p in fs)
    if len(args) == 2 and args[0] in ("-z", "-n"):
        return (args[1] == "") == (args[0] == "-z")
    if len(args) == 3 and args[1] in ("=", "=="):
        return args[0] == args[2]
    if len(args) == 3 and args[1] == "!=":
        return args[0] != args[2]
    return len(args) == 1 and args[0] != ""


def _syntax_error(program: str, box: Toolbox, quote: str) -> str:
    """What each shell prints for an unterminated quote, before running anything (exit 2)."""
    if program == "bash":
        return f"bash: -c: line 1: unexpected EOF while looking for matching `{quote}'\n"
    if box.shell == "dash":
        return f"{program}: 1: Syntax error: Unterminated quoted string\n"
    return f"{program}: syntax error: unterminated quoted string\n"


def _open_quote(script: str) -> str:
    """The quote left open at the end of ``script`` ("" when every quote is closed)."""
    quote, escaped = "", False
    for ch in script:
        if escaped:
            escaped = False
        elif ch == "\\" and quote != "'":
            escaped = True
        elif quote and ch == quote:
            quote = ""
        elif not quote and ch in "'\"":
            quote = ch
    return quote


def _split_script(script: str) -> list[tuple[str, ...]]:
    quote = _open_quote(script)
    if quote:
        raise _Unterminated(quote)
    if script.endswith("\\") and (len(script) - len(script.rstrip("\\"))) % 2:
        script += "\\"  # a backslash at the very end is a backslash to the shell
    # stderr goes where stdout goes here: `2>&1` changes nothing, `2>/dev/null` hides nothing (kitlib's simplification)
    script = re.sub(r"(?<![^\s;&|])(?:[12]?>&[12]|2>>?\s*/dev/null)", "", script)
    lexer = shlex.shlex(script, posix=True, punctuation_chars=";&|>")
    lexer.whitespace_split = True
    parts: list[tuple[str, ...]] = []
    current: list[str] = []
    for tok in lexer:
        if tok in (";", "&&", "||"):
            if current:
                parts.append(tuple(current))
            parts.append((tok,))
            current = []
        elif tok in ("|", "&", "&>", ">&", "|&"):
            raise BadRequest(f'error: kitlib\'s sh -c runs commands joined by ";", "&&" and "||", not "{tok}"')
        else:
            current.append(tok)
    if current:
        parts.append(tuple(current))
    return parts


def _cat(rt: Runtime, pod: Pod, box: Toolbox, args: list[str], fs: dict[str, str] | None = None) -> tuple[str, int]:
    files = {**(fs or {}),
        "/etc/resolv.conf": dns.resolv_conf(rt, pod),
        "/etc/hosts": hosts_file(rt, pod),
        "/etc/hostname": hostname(pod) + "\n",
    }
    if "nginx" in box.programs:
        files["/usr/share/nginx/html/index.html"] = NGINX_INDEX
    out, code = "", 0
    for path in args:
        if path in files:
            out += files[path]
        else:
            out += (f"cat: can't open '{path}': No such file or directory\n" if box.cat == "busybox"
                    else f"cat: {path}: No such file or directory\n")
            code = 1
    return out, code


def hosts_file(rt: Runtime, pod: Pod) -> str:
    """The ``/etc/hosts`` the kubelet writes into every pod."""
    lines = ["# Kubernetes-managed hosts file.", "127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback",
             "fe00::0\tip6-localnet", "fe00::0\tip6-mcastprefix", "fe00::1\tip6-allnodes", "fe00::2\tip6-allrouters"]
    host = hostname(pod)
    subdomain = pod.spec.extra.get("subdomain")
    if subdomain:
        fqdn = f"{host}.{subdomain}.{pod.namespace}.svc.{rt.config.cluster_domain}"
        lines.append(f"{pod.status.pod_ip}\t{fqdn}\t{host}")
    else:
        lines.append(f"{pod.status.pod_ip}\t{host}")
    aliases = pod.spec.extra.get("hostAliases") or []
    if aliases:
        lines += ["", "# Entries added by HostAliases."]
        lines += [f"{a.get('ip')}\t" + "\t".join(a.get("hostnames", [])) for a in aliases]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- nslookup


def _nslookup_args(args: list[str]) -> tuple[list[str], str | None, str | None]:
    qtypes: list[str] = []
    positional: list[str] = []
    for a in args:
        if a.startswith("-"):
            key, _, value = a.lstrip("-").partition("=")
            if key in ("type", "querytype", "query", "q", "ty") and value:
                qtypes.append(value.upper())
            continue
        positional.append(a)
    if not positional:
        return qtypes, None, None
    return qtypes, positional[0], positional[1] if len(positional) > 1 else None


def _server_answers(rt: Runtime, pod: Pod, server: str | None) -> tuple[str, bool]:
    """The server nslookup asks and whether it answers (kube-dns, or a CoreDNS pod by its IP)."""
    kube_dns = dns.server_ip(rt)
    conf = dns.pod_resolv(rt, pod)
    chosen = server or (conf.nameservers[0] if conf.nameservers else "127.0.0.1")
    if chosen == kube_dns:
        why, _ = dns.unreachable(rt, Ref.parse(pod.key))
        return chosen, why is None
    coredns = [ip for svc in [rt.api.store.get("Service", f"{dns.DNS_NAMESPACE}/{dns.DNS_SERVICE}")]
               if isinstance(svc, Service) for ip, _, _ in dns.ready_endpoints(rt, svc)]
    if chosen in coredns:
        return chosen, connect(rt, pod.key, chosen, 53, "UDP").ok
    return chosen, False


def _busybox_nslookup(rt: Runtime, pod: Pod, args: list[str]) -> tuple[str, int]:
    """BusyBox 1.37 nslookup: A and AAAA for every search suffix (only for a name with no dot),
    each reply printed as it comes, exit 1 if any of them failed."""
    qtypes, name, server = _nslookup_args(args)
    if name is None:
        # BusyBox's usage text (its banner's build date left out).
        return ("BusyBox v1.37.0 multi-call binary.\n\n"
                "Usage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]\n\nQuery DNS about HOST\n\n"
                "QUERY_TYPE: soa,ns,a,aaaa,cname,mx,txt,ptr,srv,any\n"), 1
    chosen, answers = _server_answers(rt, pod, server)
    if not answers:
        return ";; connection timed out; no servers could be reached\n\n", 1
    search = dns.pod_resolv(rt, pod).search if server is None or server == chosen else ()
    names: list[tuple[str, str]] = []
    if is_ip(name):
        names.append(("PTR", ".".join(reversed(name.split("."))) + ".in-addr.arpa"))
    else:
        for qtype in qtypes or ["A", "AAAA"]:
            expanded = [f"{name}.{s}" for s in search] if "." not in name and search else [name]
            names += [(qtype, n) for n in expanded]
    out = [f"Server:\t\t{chosen}\nAddress:\t{chosen}:53\n\n"]
    code = 0
    for qtype, qname in names:
        reply = dns.query(rt, qname, qtype)
        if reply.rcode != "NOERROR":
            out.append(f"** server can't find {qname}: {reply.rcode}\n")
            code = 1
        else:
            if not reply.authoritative:
                out.append("Non-authoritative answer:\n")
            out += [_busybox_record(r) for r in reply.records]
        out.append("\n")
    return "".join(out), code


def _record_line(r: dns.DnsRecord, strip_target: bool) -> str:
    """One answer as nslookup prints it; busybox drops the target's final dot, bind keeps it."""
    owner = r.name.rstrip(".")
    target = r.data.rstrip(".") if strip_target else r.data
    if r.type == "A":
        return f"Name:\t{owner}\nAddress: {r.data}\n"
    labels = {"CNAME": "canonical name", "PTR": "name", "SRV": "service"}
    return f"{owner}\t{labels[r.type]} = {target}\n" if r.type in labels else ""


def _busybox_record(r: dns.DnsRecord) -> str:
    return _record_line(r, strip_target=True)


def _bind_nslookup(rt: Runtime, pod: Pod, args: list[str]) -> tuple[str, int]:
    """bind9's nslookup (the dnsutils images): the resolver's search list, the first answer."""
    qtypes, name, server = _nslookup_args(args)
    if name is None:
        return "", 0  # bind's nslookup would start its interactive mode, which needs a terminal
    chosen, answers = _server_answers(rt, pod, server)
    if not answers:
        return ";; connection timed out; no servers could be reached\n\n", 1
    head = f"Server:\t\t{chosen}\nAddress:\t{chosen}#53\n\n"
    qtype = qtypes[0] if qtypes else ("PTR" if is_ip(name) else "A")
    if qtype == "PTR" and is_ip(name):
        name = ".".join(reversed(name.split("."))) + ".in-addr.arpa"
    conf = dns.pod_resolv(rt, pod)
    tried = dns.candidates(name, conf.search, conf.ndots) if qtype != "PTR" else [name]
    last = dns.DnsReply("NXDOMAIN")
    for qname in tried:
        reply = dns.query(rt, qname, qtype)
        if reply.rcode == "NOERROR" and reply.records:
            lines = [] if reply.authoritative else ["Non-authoritative answer:\n"]
            lines += [_bind_record(r) for r in reply.records]
            return head + "".join(lines) + "\n", 0
        last = reply
    # The name bind reports is the first one it tried (UNVERIFIED for every search-list case).
    return head + f"** server can't find {tried[0]}: {last.rcode if not last.nodata else 'NXDOMAIN'}\n\n", 1


def _bind_record(r: dns.DnsRecord) -> str:
    return _record_line(r, strip_target=False)


# ---------------------------------------------------------------------------- curl


@dataclass
class _CurlOptions:
    silent: bool = False
    show_error: bool = False
    include: bool = False
    head: bool = False
    fail: bool = False
    output: str | None = None
    write_out: str | None = None
    max_time: float | None = None
    connect_timeout: float | None = None
    method: str = "GET"
    url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


_CURL_LONG = {"--silent": "s", "--show-error": "S", "--include": "i", "--head": "I", "--fail": "f",
              "--location": "L", "--insecure": "k", "--output": "o", "--write-out": "w", "--max-time": "m",
              "--header": "H", "--request": "X", "--connect-timeout": "connect-timeout"}
_CURL_VALUED = {"o", "w", "m", "H", "X", "connect-timeout"}


def _curl_options(args: list[str]) -> _CurlOptions | str:
    opts = _CurlOptions(headers={})
    i = 0
    while i < len(args):
        a = args[i]
        flags: list[tuple[str, str | None]] = []
        if a.startswith("--"):
            name, eq, value = a.partition("=")
            key = _CURL_LONG.get(name)
            if key is None:
                return f"option {name}: is unknown"
            if key in _CURL_VALUED:
                if not eq:
                    i += 1
                    if i >= len(args):
                        return f"option {name}: requires parameter"
                    value = args[i]
                flags.append((key, value))
            else:
                flags.append((key, None))
        elif a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                key = a[j]
                if key in _CURL_VALUED:
                    value = a[j + 1:]
                    if not value:
                        i += 1
                        if i >= len(args):
                            return f"option -{key}: requires parameter"
                        value = args[i]
                    flags.append((key, value))
                    break
                if key not in "sSiIfLkv":
                    return f"option -{key}: is unknown"
                flags.append((key, None))
                j += 1
        else:
            opts.url = opts.url or a
        for key, arg in flags:
            if key in ("m", "connect-timeout") and not _number(arg or ""):
                return f"option {'-m' if key == 'm' else '--connect-timeout'}: expected a proper numerical parameter"
            _apply_curl_flag(opts, key, arg)
        i += 1
    return opts


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _apply_curl_flag(opts: _CurlOptions, key: str, value: str | None) -> None:
    if key == "s":
        opts.silent = True
    elif key == "S":
        opts.show_error = True
    elif key == "i":
        opts.include = True
    elif key == "I":
        opts.head, opts.method = True, "HEAD"
    elif key == "f":
        opts.fail = True
    elif key == "o":
        opts.output = value
    elif key == "w":
        opts.write_out = value
    elif key == "m":
        opts.max_time = float(value or 0)
    elif key == "connect-timeout":
        opts.connect_timeout = float(value or 0)
    elif key == "X":
        opts.method = (value or "GET").upper()
    elif key == "H" and value and ":" in value:
        k, _, v = value.partition(":")
        opts.headers[k.strip()] = v.strip()
    elif key == "v":
        raise BadRequest("error: kitlib does not simulate curl -v; use -i to see the response headers")


_METER_HEAD = ("  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"
               "                                 Dload  Upload   Total   Spent    Left  Speed\n")
_METER_ZERO = "  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0\n"


def _meter_done(size: int) -> str:
    # curl's progress meter (on stderr, shown because kubectl exec's output is not a terminal).
    # The speeds are illustrative: a transfer inside the cluster takes about a millisecond.
    speed = f"{size // 1000}k" if size >= 1000 else str(size * 1000 // 1024) + "k" if size else "0"
    return f"100 {size:>5}  100 {size:>5}    0     0 {speed:>6}      0 --:--:-- --:--:-- --:--:-- {speed:>5}\n"


def _curl(rt: Runtime, pod: Pod, version: str, args: list[str]) -> tuple[str, int]:
    """curl: the body on stdout; the progress meter and errors on stderr (errors hidden by -s, shown again by -S)."""
    opts = _curl_options(args)
    try_help = "curl: try 'curl --help' or 'curl --manual' for more information\n"
    if isinstance(opts, str):
        return f"curl: {opts}\n{try_help}", 2
    if opts.url is None:
        return f"curl: no URL specified!\n{try_help}", 2
    try:
        resp = web.request(rt, opts.url, pod.key, opts.headers, opts.method)
    except BadRequest:
        return f'curl: (1) Protocol "{opts.url.split("://", 1)[0]}" not supported\n', 1
    meter = "" if opts.silent else _METER_HEAD
    show = not opts.silent or opts.show_error
    if resp.status is None:
        code, message = _curl_error(resp, version, opts)
        return meter + (_METER_ZERO if meter else "") + (f"curl: ({code}) {message}\n" if show else ""), code
    if opts.fail and resp.status >= 400:
        text = f"curl: (22) The requested URL returned error: {resp.status}\n" if show else ""
        return meter + (_METER_ZERO if meter else "") + text, 22
    size = len(resp.body.encode())
    body = resp.head() if (opts.include or opts.head) else ""
    body += resp.body if not opts.head else ""
    if opts.output is not None and opts.output != "-":
        body = ""  # written to the file instead
    if opts.write_out:
        body += _write_out(opts.write_out, resp)
    return meter + (_meter_done(size) if meter else "") + body, 0


def _curl_error(resp: web.HttpResponse, version: str, opts: _CurlOptions) -> tuple[int, str]:
    old = version.startswith("7.")
    cant = "Couldn't connect to server" if old else "Could not connect to server"
    host, port = resp.host, resp.port
    if resp.failure == "dns":
        return 6, f"Could not resolve host: {host}"
    if resp.failure == "empty":
        return 52, "Empty reply from server"
    if resp.failure == "timeout":
        if opts.connect_timeout:
            return 28, (f"Failed to connect to {host} port {port} after {int(opts.connect_timeout * 1000) + 1} ms: "
                        "Timeout was reached")
        if opts.max_time:
            return 28, f"Connection timed out after {int(opts.max_time * 1000) + 1} milliseconds"
        # Linux gives up on an unanswered SYN after 6 retries: 1+2+4+...+64 = 127 s.
        return 28, f"Failed to connect to {host} port {port} after 127001 ms: {cant}"
    ms = 0 if resp.connection is None or len({h.where for h in resp.connection.hops}) <= 1 else 1
    return 7, f"Failed to connect to {host} port {port} after {ms} ms: {cant}"


def _write_out(fmt: str, resp: web.HttpResponse) -> str:
    values = {"http_code": f"{resp.status or 0:03d}", "remote_ip": resp.ip, "remote_port": str(resp.port),
              "size_download": str(len(resp.body.encode())), "url_effective": resp.url}
    out = fmt.replace("\\n", "\n").replace("\\t", "\t")
    for k, v in values.items():
        out = out.replace("%{" + k + "}", v)
    return out


# ---------------------------------------------------------------------------- wget


def _wget(rt: Runtime, pod: Pod, args: list[str]) -> tuple[str, int]:
    """BusyBox wget: ``-q``, ``-O FILE`` (``-O-`` is stdout), ``-T SECONDS``, ``-S``."""
    quiet = show_headers = False
    output: str | None = None
    timeout: float | None = None
    url = None
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("--"):
            if a in ("--quiet",):
                quiet = True
            elif a.startswith("--output-document"):
                output = a.partition("=")[2] or (args[i + 1] if i + 1 < len(args) else "")
                i += 0 if "=" in a else 1
            elif a.startswith("--timeout"):
                value = a.partition("=")[2] or (args[i + 1] if i + 1 < len(args) else "")
                i += 0 if "=" in a else 1
                if not _number(value):
                    return f"wget: invalid number '{value}'\n", 1
                timeout = float(value)
            elif a == "--server-response":
                show_headers = True
            else:
                return f"wget: unrecognized option '{a}'\n", 1
        elif a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                ch = a[j]
                if ch in "OT":
                    value = a[j + 1:]
                    if not value:
                        i += 1
                        value = args[i] if i < len(args) else ""
                    if ch == "O":
                        output = value
                    elif not _number(value):
                        return f"wget: invalid number '{value}'\n", 1
                    else:
                        timeout = float(value)
                    break
                if ch == "q":
                    quiet = True
                elif ch == "S":
                    show_headers = True
                else:
                    return f"wget: invalid option -- '{ch}'\n", 1
                j += 1
        else:
            url = url or a
        i += 1
    if url is None:
        # BusyBox's usage text, abridged (no build date, the main options).
        return "BusyBox v1.37.0 multi-call binary.\n\nUsage: wget [-cqS] [--spider] " \
               "[-O FILE] [-o LOGFILE] [--header STR]\n\t[--post-data STR | --post-file FILE] [-Y on/off]\n\t" \
               "[-P DIR] [-U AGENT] [-T SEC] URL...\n", 1
    try:
        _, host, port, path = web.parse_url(url)
    except BadRequest:
        return f"wget: not an http or ftp url: {url}\n", 1
    hostport = url.split("://", 1)[-1].split("/", 1)[0]
    resp = web.request(rt, url, pod.key)
    out = ""
    if resp.failure == "dns":
        return f"wget: bad address '{hostport}'\n", 1
    if not quiet:
        out += f"Connecting to {hostport} ({resp.ip}:{port})\n"
    if resp.status is None:
        if resp.failure == "timeout":
            text = "wget: download timed out\n" if timeout else \
                f"wget: can't connect to remote host ({resp.ip}): Connection timed out\n"
        elif resp.failure == "no route":
            text = f"wget: can't connect to remote host ({resp.ip}): No route to host\n"
        elif resp.failure == "empty":
            text = "wget: error getting response\n"
        else:
            text = f"wget: can't connect to remote host ({resp.ip}): Connection refused\n"
        return out + text, 1
    if show_headers:
        out += "".join(f"  {line}\n" for line in resp.head().split("\r\n") if line)
    if resp.status >= 400:
        return out + f"wget: server returned error: {resp.version} {resp.status_text}\n", 1
    size = len(resp.body.encode())
    if output in ("-", "/dev/stdout"):
        if quiet:
            return out + resp.body, 0
        return (out + "writing to stdout\n" + resp.body
                + f"-                    100% |********************************| {size:>5}  0:00:00 ETA\n"
                + "written to stdout\n"), 0
    name = output or (path.split("?", 1)[0].rsplit("/", 1)[-1] or "index.html")
    if quiet:
        return out, 0
    return (out + f"saving to '{name}'\n"
            + f"{name[:20]:<20} 100% |********************************| {size:>5}  0:00:00 ETA\n"
            + f"'{name}' saved\n"), 0


__all__ = ["TOOLBOXES", "Toolbox", "hosts_file", "run", "toolbox"]
