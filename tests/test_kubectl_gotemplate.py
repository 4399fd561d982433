"""``kubectl ... -o go-template=TEMPLATE``: Go's ``text/template`` over the object's JSON decoded into
``map[string]interface{}`` (cli-runtime ``pkg/printers/template.go``), compared with the real kubectl
v1.37.1 where it needs no server (``create ... --dry-run=client``)."""

from __future__ import annotations

import shlex
import subprocess

import oracle
import pytest

import kitlib
from kitlib.kubectl.args import KubectlError

DEPLOYMENT = "create deployment x --image=nginx --replicas=3 --port=80 --dry-run=client"
SECRET = "create secret generic s --from-literal=user=admin --dry-run=client"

SAME_AS_KUBECTL = [
    (DEPLOYMENT, "{{.metadata.name}}"),
    (DEPLOYMENT, "{{.spec.replicas}} {{.metadata.labels}} {{.spec.template.spec.containers}}"),
    (DEPLOYMENT, "{{.nope}}|{{.spec.nope.deeper}}"),
    (DEPLOYMENT, "{{range .spec.template.spec.containers}}{{.name}}={{.image}}{{\"\\n\"}}{{end}}"),
    (DEPLOYMENT, "{{range $i, $c := .spec.template.spec.containers}}{{$i}}:{{$c.name}} {{end}}"),
    (DEPLOYMENT, "{{range $k, $v := .metadata.labels}}{{$k}}={{$v}};{{end}}"),
    (DEPLOYMENT, "{{range .nope}}x{{else}}empty{{end}}"),
    (DEPLOYMENT, "{{if .spec.replicas}}yes{{else}}no{{end}} {{if .status.x}}a{{else if .kind}}b{{end}}"),
    (DEPLOYMENT, "{{with .metadata}}{{.name}}{{end}} {{with .nope}}x{{else}}none{{end}}"),
    (DEPLOYMENT, "{{printf \"%s/%v %d %q %5s|%-4s|\" .kind .spec.replicas 7 .metadata.name \"ab\" \"c\"}}"),
    (DEPLOYMENT, "{{printf \"%d %v %s|\" .spec.replicas 1.5e7 .nope}} {{eq .nope 3}} {{lt 1 2}}"),
    (DEPLOYMENT, "{{len .spec.template.spec.containers}} {{index .metadata.labels \"app\"}} "
                 "{{(index .spec.template.spec.containers 0).image}}"),
    (DEPLOYMENT, "{{eq .kind \"Deployment\"}} {{ne .kind \"Pod\"}} {{and 1 0}} {{or 0 \"x\"}} {{not .nope}}"),
    (DEPLOYMENT, "a {{- /* a comment */ -}}   {{ .kind -}}   ! {{.kind}} {{-  .kind }} {{- \"x\" -}} {{.kind}}"),
    (DEPLOYMENT, "{{$n := .metadata.name}}{{range .spec.template.spec.containers}}{{$n}}/{{.name}}{{end}} {{$}}"),
    (DEPLOYMENT, "{{.metadata.name | printf \"<%s>\"}} {{exists .metadata \"name\"}} {{exists . \"nope\"}}"),
    (DEPLOYMENT, "{{.spec.template.spec.containers}}"),
    (DEPLOYMENT, "{{.}}"),
    (DEPLOYMENT, "{{range 3}}{{.}}{{end}} {{$x := 1}}{{$x = 2}}{{$x}} {{ 'a' }} {{ -1 }} {{ 1.0 }} {{ 1e3 }} {{ 0x10 }}"),
    (DEPLOYMENT, "{{ with .nope }}{{ else with .kind }}{{ . }}{{ end }} {{ $.kind }} {{ ( .metadata ).name }}"),
    (DEPLOYMENT, "{{print 1 2 \"a\" \"b\" 3}} {{println 1 \"a\"}} {{printf \"%v %v\" .spec.strategy .status}}"),
    (DEPLOYMENT, "{{printf \"%x %X %o %08.3f %e %g\" 255 255 8 3.14159 12345.678 0.000001}} {{printf \"%d\" 1 2}} "
                 "{{printf \"%d %d\" 1}} {{printf \"%s\" .spec.replicas}}"),
    (DEPLOYMENT, "{{ printf \"%5.1f|%-6d|%+d|%t|%+.2f\" 3.14159 42 5 true 2.0 }}"),
    (DEPLOYMENT, "{{ lt \"a\" \"b\" }} {{ ge 2 1 }} {{ le 1.5 2.5 }} {{ gt .spec.replicas 2 }} {{ eq .kind \"a\" \"Deployment\" }}"),
    (DEPLOYMENT, "{{ html \"<a>\" \"&\" 1 2 }} {{ urlquery \"a b/c\" }} {{ html .nope }} {{ js \"a'<>=&\" }}"),
    (DEPLOYMENT, "{{ index .spec.template.spec.containers 0 \"name\" }} {{ index .metadata.labels \"nope\" }}"),
    (SECRET, "{{.data.user | base64decode}} {{.data.user}}"),
]


def kitlib_says(command: str, template: str, *extra: str) -> str:
    """kitlib's answer: its output, or the text of kubectl's error."""
    cluster = kitlib.Cluster(seed=0)
    try:
        return cluster.kubectl(f"{command} -o go-template={shlex.quote(template)} {' '.join(extra)}")
    except KubectlError as err:
        return str(err)


def kubectl_says(command: str, template: str, *extra: str) -> tuple[int, str, str]:
    """The real kubectl's exit code, stdout and stderr."""
    done = subprocess.run([oracle.require(), *command.split(), "-o", f"go-template={template}", *extra],
                          capture_output=True, text=True, timeout=60, check=False)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize(("command", "template"), SAME_AS_KUBECTL)
def test_go_template_prints_what_kubectl_prints(command: str, template: str) -> None:
    """Fields, ``range``/``if``/``with``/``else``, variables, pipelines, the builtins and kubectl's
    ``exists``/``base64decode`` print as kubectl prints them (float64 numbers as ``3``, maps as
    ``map[k:v]``, a missing key as ``<no value>``)."""
    code, out, err = kubectl_says(command, template)
    assert code == 0, err
    assert kitlib_says(command, template) == out.removesuffix("\n")


def test_the_debug_services_one_liner_lists_the_pod_ips() -> None:
    """The Debug Services page's ``kubectl get pods -l app=hostnames -o go-template=...``: a pod IP a line."""
    c = kitlib.Cluster(nodes=1, seed=0)
    c.kubectl("create deployment hostnames --image=registry.k8s.io/serve_hostname --replicas=3")
    c.advance(30)
    out = c.kubectl("""get pods -l app=hostnames -o go-template='{{range .items}}{{.status.podIP}}{{"\\n"}}{{end}}'""")
    assert out.splitlines() == [p.status.pod_ip for p in c.pods(selector="app=hostnames")]
    assert len(out.splitlines()) == 3


@pytest.mark.parametrize("template", ["{{.spec.replicas", "{{nosuchfunc .kind}}", "{{if .kind}}x", "{{end}}",
                                      "{{$x}}"])
def test_a_template_that_does_not_parse_is_refused(template: str) -> None:
    """kubectl's ``error parsing template TEMPLATE, template: output:LINE: ...`` and exit 1."""
    code, _, err = kubectl_says(DEPLOYMENT, template)
    assert code == 1
    assert kitlib_says(DEPLOYMENT, template) == err.removesuffix("\n")


@pytest.mark.parametrize(("template", "extra"), [
    ("{{index .spec 3}}", ()),
    ("{{.kind.x}}", ()),
    ("{{eq .spec.replicas 3.0}}", ()),
    ("{{eq .metadata 3}}", ()),
    ("{{len .nope}}", ()),
    ("{{index .nope 1}}", ()),
    ("{{len 3}}", ()),
    ("{{.kind 1}}", ()),
    ("{{$.kind 1}}", ()),
    ("{{\"a\" 1}}", ()),
    ("{{range $i, $e := .kind}}{{end}}", ()),
    ("{{index .spec.template.spec.containers 5}}", ()),
    ("before {{.spec.nope.x}}", ("--allow-missing-template-keys=false",)),
])
def test_an_execution_error_prints_the_debugging_dump_then_the_error(template: str, extra: tuple[str, ...]) -> None:
    """kubectl writes what the template wrote so far, ``Error executing template: ...`` with the
    template and the object to stdout, then ``error: error executing template "...": template:
    output:LINE:COL: executing "output" at <NODE>: ...`` (eq of a float64 and an int constant is
    Go's "incompatible types for comparison")."""
    code, out, err = kubectl_says(DEPLOYMENT, template, *extra)
    assert code == 1
    said = kitlib_says(DEPLOYMENT, template, *extra)
    first = out.splitlines()[0]
    assert said.splitlines()[0] == first
    assert said.splitlines()[-1] == err.removesuffix("\n")
    # The object as the engine saw it (the raw JSON's key order is the typed struct's in kubectl).
    assert out.splitlines()[-2] in said.splitlines()


def test_no_template_and_template_files() -> None:
    """``-o go-template`` without a template is refused; ``-o go-template-file=FILE`` and
    ``-o template=...`` are the same printer."""
    cluster = kitlib.Cluster(seed=0)
    with pytest.raises(KubectlError, match="^error: template format specified but no template given$"):
        cluster.kubectl(f"{DEPLOYMENT} -o go-template")
    assert cluster.kubectl(f"{DEPLOYMENT} -o template={{{{.kind}}}}") == "Deployment"
    assert cluster.kubectl(f"{DEPLOYMENT} -o go-template --template={{{{.kind}}}}") == "Deployment"


def test_a_template_file_with_lines_places_errors_by_line_and_column(tmp_path) -> None:
    """``-o go-template-file=FILE`` reads the template from the file; an execution error is placed
    at ``output:LINE:COL`` (the column counted from the line's start)."""
    path = tmp_path / "t.tmpl"
    path.write_text("name: {{.metadata.name}}\n{{range .spec.template.spec.containers}}{{.image}}{{end}}\n"
                    "  {{.kind.x}}\n")
    exe = oracle.require()
    real = subprocess.run([exe, *DEPLOYMENT.split(), "-o", f"go-template-file={path}"], capture_output=True,
                          text=True, timeout=60, check=False)
    cluster = kitlib.Cluster(seed=0)
    with pytest.raises(KubectlError) as err:
        cluster.kubectl(f"{DEPLOYMENT} -o go-template-file={path}")
    assert real.returncode == 1
    assert str(err.value).splitlines()[:3] == real.stdout.splitlines()[:3]
    assert str(err.value).splitlines()[-1] == real.stderr.removesuffix("\n")
    assert "output:3:9" in real.stderr
