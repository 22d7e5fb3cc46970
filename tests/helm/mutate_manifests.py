#!/usr/bin/env python3
"""Makes broken copies of a rendered chart, one per rule of tools/k8s/check-manifests.mjs, so the
test can show that the checker fails each of them (a check that cannot fail proves nothing).

Usage: mutate_manifests.py RENDERED.yaml OUT_DIR
Writes OUT_DIR/NAME.yaml and OUT_DIR/NAME.expect (a regular expression the checker's output must
match) for every mutation.
"""
import copy
import os
import sys

import yaml


def deployment(docs):
    return next(d for d in docs if d["kind"] == "Deployment")


def container(docs):
    return deployment(docs)["spec"]["template"]["spec"]["containers"][0]


def service(docs):
    return next(d for d in docs if d["kind"] == "Service")


def policy(docs):
    return next(d for d in docs if d["kind"] == "NetworkPolicy")


def add_configmap(docs, data):
    meta = copy.deepcopy(service(docs)["metadata"])
    meta["name"] = "leaky"
    docs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data})


MUTATIONS = {
    "unknown-field": (lambda d: container(d).update(imagePullPolcy="Always"),
                      r"unknown field 'imagePullPolcy'"),
    "unknown-field-deep": (lambda d: container(d)["securityContext"].update(
        capabilites={"drop": ["ALL"]}), r"unknown field 'capabilites'"),
    "schema-type": (lambda d: deployment(d)["spec"].update(replicas="two"),
                    r"schema: .*replicas must be integer"),
    "unknown-kind": (lambda d: d.append({"apiVersion": "example.com/v1", "kind": "Widget",
                                         "metadata": service(d)["metadata"]}),
                     r"no schema for example.com/v1 Widget"),
    "privileged": (lambda d: container(d)["securityContext"].update(privileged=True),
                   r"is privileged"),
    "capabilities-kept": (lambda d: container(d)["securityContext"]["capabilities"].update(drop=[]),
                          r"does not drop ALL capabilities"),
    "capability-added": (lambda d: container(d)["securityContext"]["capabilities"].update(
        add=["SYS_ADMIN"]), r"adds capability SYS_ADMIN"),
    "privilege-escalation": (lambda d: container(d)["securityContext"].update(
        allowPrivilegeEscalation=True), r"allowPrivilegeEscalation must be false"),
    "writable-root": (lambda d: container(d)["securityContext"].update(readOnlyRootFilesystem=False),
                      r"root file system is writable"),
    "root-user": (lambda d: deployment(d)["spec"]["template"]["spec"]["securityContext"].update(
        runAsUser=0), r"pod runs as root"),
    "no-seccomp": (lambda d: [container(d)["securityContext"].pop("seccompProfile"),
                              deployment(d)["spec"]["template"]["spec"]["securityContext"].pop(
                                  "seccompProfile")],
                   r"seccompProfile must be RuntimeDefault"),
    "host-network": (lambda d: deployment(d)["spec"]["template"]["spec"].update(hostNetwork=True),
                     r"uses a host namespace"),
    "hostpath-in-deployment": (lambda d: deployment(d)["spec"]["template"]["spec"]["volumes"].append(
        {"name": "host", "hostPath": {"path": "/var/run", "type": "Directory"}}),
        r"volume 'host' of type hostPath is not allowed"),
    "service-account-token": (lambda d: deployment(d)["spec"]["template"]["spec"].update(
        automountServiceAccountToken=True), r"mounts a service-account token"),
    "no-liveness-probe": (lambda d: container(d).pop("livenessProbe"), r"has no livenessProbe"),
    "no-startup-probe": (lambda d: container(d).pop("startupProbe"), r"has no startupProbe"),
    "probe-port-unknown": (lambda d: container(d)["readinessProbe"]["httpGet"].update(port="metrics"),
                           r"readinessProbe uses port 'metrics'"),
    "no-resources": (lambda d: container(d).pop("resources"), r"has no cpu and memory requests"),
    "no-memory-limit": (lambda d: container(d)["resources"].pop("limits"), r"has no memory limit"),
    "latest-image": (lambda d: container(d).update(image="seedwell:latest"), r"is not pinned"),
    "token-in-configmap": (lambda d: add_configmap(d, {"note": "swa_hYKuheVoGK-DhJzQBgLq_72KYiS733vEUDa"}),
                           r"ConfigMap/leaky: data 'note' holds a seedwell token"),
    "secret-key-in-configmap": (lambda d: add_configmap(d, {"database-password": "hunter2"}),
                                r"data key 'database-password' names a secret"),
    "password-in-env": (lambda d: container(d)["env"].append(
        {"name": "SEEDWELL_DATABASE", "value": "postgresql://seedwell:hunter2@db:5432/seedwell"}),
        r"a password in a database URL"),
    "secret-on-command-line": (lambda d: container(d)["args"].append("--admin-token=hunter2"),
                               r"argument --admin-token carries a secret"),
    "rendered-secret": (lambda d: d.append({"apiVersion": "v1", "kind": "Secret",
                                            "metadata": service(d)["metadata"],
                                            "stringData": {"token": "x"}}),
                        r"renders secret material"),
    "service-selects-nothing": (lambda d: service(d)["spec"]["selector"].update(
        {"app.kubernetes.io/component": "nope"}), r"Service/.*: selects no pods"),
    "service-target-port": (lambda d: service(d)["spec"]["ports"][0].update(targetPort="metrics"),
                            r"targetPort 'metrics' is not a port"),
    "policy-open-rule": (lambda d: policy(d)["spec"]["ingress"].append(
        {"ports": [{"port": "admin", "protocol": "TCP"}]}), r"an ingress rule admits every source"),
    "policy-selects-nothing": (lambda d: policy(d)["spec"]["podSelector"]["matchLabels"].update(
        {"app.kubernetes.io/component": "nope"}), r"NetworkPolicy/.*: selects no pods"),
    "missing-labels": (lambda d: service(d)["metadata"]["labels"].pop("app.kubernetes.io/instance"),
                       r"no label app.kubernetes.io/instance"),
}


def main():
    rendered, out = sys.argv[1], sys.argv[2]
    with open(rendered) as f:
        original = [d for d in yaml.safe_load_all(f) if d]
    os.makedirs(out, exist_ok=True)
    for name, (mutate, expect) in MUTATIONS.items():
        docs = copy.deepcopy(original)
        mutate(docs)
        with open(os.path.join(out, name + ".yaml"), "w") as f:
            yaml.safe_dump_all(docs, f)
        with open(os.path.join(out, name + ".expect"), "w") as f:
            f.write(expect + "\n")
    print(len(MUTATIONS))


if __name__ == "__main__":
    main()
