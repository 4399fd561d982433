"""The flags each kubectl command takes, as kubectl 1.37's ``--help`` lists them (cobra gives every
command its own flag set, plus the global flags of ``kubectl options``).

Each set is written ``-s,long`` (with its shorthand), ``long?`` (a boolean, which takes no word
after it: ``--show-labels``, ``--show-labels=false``) or ``long`` (it takes a value:
``--output yaml``, ``--output=yaml``, ``-oyaml``, ``-o yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass

GLOBAL = ("as as-group as-uid as-user-extra cache-dir certificate-authority client-certificate client-key cluster "
          "context disable-compression? insecure-skip-tls-verify? kubeconfig kuberc log-flush-frequency "
          "match-server-version? -n,namespace password profile profile-output proxy-url request-timeout -s,server "
          "tls-server-name token user username -v,v vmodule warnings-as-errors?")
"""``kubectl options``: accepted by every command (``--as-user-extra``, ``--kuberc`` and ``--proxy-url`` are
new since 1.32)."""

_PRINT = "allow-missing-template-keys? -o,output show-managed-fields? template"
_CREATE = f"{_PRINT} dry-run field-manager save-config? validate"
_FILES = "-f,filename -k,kustomize -R,recursive?"
_ROLLOUT = f"{_PRINT} field-manager {_FILES} -l,selector"
COMMANDS: dict[str, str] = {
    "get": f"-A,all-namespaces? allow-missing-template-keys? chunk-size field-selector {_FILES} ignore-not-found? "
           "-L,label-columns no-headers? -o,output output-watch-events? raw -l,selector server-print? show-kind? "
           "show-labels? show-managed-fields? sort-by subresource template -w,watch? watch-only?",
    "describe": f"-A,all-namespaces? chunk-size {_FILES} -l,selector show-events?",
    "create": f"{_CREATE} edit? {_FILES} raw -l,selector windows-line-endings?",
    "create deployment": f"{_CREATE} image port -r,replicas",
    "create configmap": f"{_CREATE} append-hash? from-env-file from-file from-literal",
    "create secret": "",
    "create secret generic": f"{_CREATE} append-hash? from-env-file from-file from-literal type",
    "create secret tls": f"{_CREATE} append-hash? cert key",
    "create secret docker-registry": f"{_CREATE} append-hash? docker-email docker-password docker-server "
                                     "docker-username from-file",
    "create ingress": f"{_CREATE} annotation class default-backend rule",
    "create namespace": _CREATE,
    "create service": "",
    "create service clusterip": f"{_CREATE} clusterip tcp",
    "create service nodeport": f"{_CREATE} node-port tcp",
    "create service loadbalancer": f"{_CREATE} tcp",
    "create service externalname": f"{_CREATE} external-name tcp",
    "apply": f"all? {_PRINT} cascade dry-run field-manager {_FILES} force? force-conflicts? grace-period "
             "openapi-patch? overwrite? prune? prune-allowlist -l,selector server-side? subresource timeout "
             "validate wait?",
    "scale": f"all? {_PRINT} current-replicas dry-run {_FILES} replicas resource-version -l,selector timeout",
    "delete": f"all? -A,all-namespaces? cascade dry-run field-selector {_FILES} force? grace-period "
              "ignore-not-found? -i,interactive? now? -o,output raw -l,selector timeout wait?",
    "patch": f"allow-missing-template-keys? dry-run field-manager {_FILES} local? -o,output -p,patch patch-file "
             "show-managed-fields? subresource template type",
    "label": f"all? -A,all-namespaces? {_PRINT} dry-run field-manager field-selector {_FILES} list? local? "
             "overwrite? resource-version -l,selector",
    "annotate": f"all? -A,all-namespaces? {_PRINT} dry-run field-manager field-selector {_FILES} list? local? "
                "overwrite? resource-version -l,selector",
    "cordon": "dry-run -l,selector",
    "uncordon": "dry-run -l,selector",
    "drain": "chunk-size delete-emptydir-data? disable-eviction? dry-run force? grace-period ignore-daemonsets? "
             "pod-selector -l,selector skip-wait-for-delete-timeout timeout",
    "expose": f"{_PRINT} dry-run field-manager save-config? cluster-ip external-ip {_FILES} -l,labels load-balancer-ip name override-type overrides "
              "port protocol selector session-affinity target-port type",
    "set": "",
    "set image": f"all? {_PRINT} dry-run field-manager {_FILES} local? -l,selector",
    "set env": f"all? {_PRINT} -c,containers dry-run -e,env field-manager {_FILES} from keys list? local? "
               "overwrite? prefix resolve? -l,selector",
    "set selector": f"all? {_PRINT} dry-run field-manager -f,filename local? -R,recursive? resource-version",
    "rollout": "",
    "rollout status": f"{_FILES} revision -l,selector timeout -w,watch?",
    "rollout history": f"{_PRINT} {_FILES} revision -l,selector",
    "rollout undo": f"{_PRINT} dry-run {_FILES} -l,selector to-revision",
    "rollout restart": _ROLLOUT,
    "rollout pause": _ROLLOUT,
    "rollout resume": _ROLLOUT,
    "exec": "-c,container -f,filename pod-running-timeout -q,quiet? -i,stdin? -t,tty?",
    "run": f"{_PRINT} annotations attach? cascade command? detach-keys dry-run env expose? field-manager -f,filename "
           "force? grace-period image image-pull-policy -k,kustomize -l,labels leave-stdin-open? override-type "
           "overrides pod-running-timeout port privileged? -q,quiet? -R,recursive? restart rm? save-config? "
           "-i,stdin? timeout -t,tty? wait?",
    "port-forward": "address pod-running-timeout",
    "logs": "all-containers? all-pods? -c,container -f,follow? ignore-errors? insecure-skip-tls-verify-backend? "
            "limit-bytes max-log-requests pod-running-timeout prefix? -p,previous? -l,selector since since-time "
            "tail timestamps?",
}
"""Each command's own flags, by its path (``kubectl <path> --help``)."""

SUBCOMMANDS: dict[str, dict[str, str]] = {
    "create": {"deployment": "deployment", "deploy": "deployment", "configmap": "configmap", "cm": "configmap",
               "ingress": "ingress", "ing": "ingress", "namespace": "namespace", "ns": "namespace",
               "service": "service", "svc": "service", "secret": "secret"},
    "create secret": {s: s for s in ("generic", "tls", "docker-registry")},
    "create service": {s: s for s in ("clusterip", "nodeport", "loadbalancer", "externalname")},
    "set": {"image": "image", "env": "env", "selector": "selector"},
    "rollout": {s: s for s in ("status", "history", "undo", "restart", "pause", "resume")},
}
"""A group command's subcommands, each word (aliases too) → its name in the command's path."""

ELSEWHERE: dict[str, frozenset[str]] = {
    "create": frozenset("clusterrole clusterrolebinding cronjob job poddisruptionbudget pdb priorityclass pc quota "
                        "resourcequota role rolebinding serviceaccount sa token".split()),
    "set": frozenset("resources serviceaccount sa subject".split()),
}
"""kubectl's subcommands that kitlib does not simulate: their flags are not checked, so that
kitlib's own refusal is what is printed."""

ROOT_COMMANDS = tuple("""create expose run set explain get edit delete rollout scale autoscale certificate cluster-info
top cordon uncordon drain taint describe logs attach exec port-forward proxy cp auth debug events diff apply patch
replace wait kustomize label annotate completion alpha config plugin version api-versions api-resources options
kuberc""".split())
"""kubectl's commands in the order its root command holds them (``pkg/cmd/cmd.go``: the help groups,
then the others; cobra's sorting is off), which is the order cobra suggests them in."""

NO_OPTION_DEFAULT = {"dry-run": "client", "validate": "strict", "cascade": "background"}
"""Flags that take a value but may be given bare (pflag's NoOptDefVal): ``--dry-run`` alone is the
deprecated spelling of ``--dry-run=client``, and takes no word after it."""


@dataclass(frozen=True)
class FlagSet:
    """The flags one command accepts: long name → whether it is a boolean, and shorthand → long name."""

    path: str
    long: dict[str, bool]
    short: dict[str, str]


def _flag_set(path: str, spec: str) -> FlagSet:
    long: dict[str, bool] = {}
    short: dict[str, str] = {}
    for item in f"{GLOBAL} {spec}".split():
        letter, _, name = item.rpartition(",")
        boolean = name.endswith("?")
        name = name.rstrip("?")
        long[name] = boolean
        if letter:
            short[letter.lstrip("-")] = name
    return FlagSet(path, long, short)


FLAG_SETS = {path: _flag_set(path, spec) for path, spec in COMMANDS.items()}
"""Each command's flags, the global ones included."""
ROOT = _flag_set("", "")
"""What ``kubectl`` itself takes before its command word: the global flags."""
