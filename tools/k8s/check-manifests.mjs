#!/usr/bin/env node
// check-manifests.mjs: validates rendered Kubernetes manifests (helm template output) offline, as
// close to what an API server and an admission policy would say as this machine allows.
//
//   node tools/k8s/check-manifests.mjs FILE.yaml...          (the files together: one render)
//   node tools/k8s/check-manifests.mjs --each FILE.yaml...   (each file a render of its own)
//
// 1. Schema: every object against the Kubernetes OpenAPI schemas of the npm package
//    kubernetes-models (and @kubernetes-models/prometheus-operator for the monitoring objects); an
//    object of a kind neither knows is an error.
// 2. Unknown fields: the schemas' validators ignore fields they do not know (an API server drops
//    or rejects them). Each object is validated through a Proxy that records which properties the
//    validator looked up; a property of a typed object that it never looked up is unknown.
// 3. Policy (the chart's own rules): the Pod Security "restricted" profile for every pod (the
//    node agents' hostPath being the one documented exception), read-only root file systems, no
//    service-account token, probes on every long-running container, resources on every
//    container, nothing secret in a ConfigMap or a literal env value or argument, every Service,
//    NetworkPolicy, PodDisruptionBudget and monitor selecting pods the render contains, and every
//    named port they use existing on those pods.
// Prints one line per problem and exits 1 if there is any; prints a summary of kinds otherwise.

import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const problems = [];
const fail = (obj, msg) => problems.push(`${obj.kind}/${obj.metadata?.name ?? "?"}: ${msg}`);

// --- 1 and 2: schemas and unknown fields ------------------------------------------------------

function modelPath(apiVersion, kind) {
  if (apiVersion.startsWith("monitoring.coreos.com/")) {
    return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  }
  return `kubernetes-models/${apiVersion}/${kind}`;
}

// Tracked wraps a plain value so that every property a validator reads is recorded per object.
function tracked(value, seen) {
  if (value === null || typeof value !== "object") return value;
  const record = { target: value, read: new Set() };
  seen.push(record);
  const children = new Map();
  return new Proxy(value, {
    get(target, key, receiver) {
      if (typeof key === "string") record.read.add(key);
      const v = Reflect.get(target, key, receiver);
      if (v === null || typeof v !== "object") return v;
      if (!children.has(key)) children.set(key, tracked(v, seen));
      return children.get(key);
    },
    has(target, key) {
      if (typeof key === "string") record.read.add(key);
      return Reflect.has(target, key);
    },
  });
}

function unknownFields(records) {
  const out = [];
  for (const { target, read } of records) {
    if (Array.isArray(target) || read.size === 0) continue;  // a free-form object: not typed
    for (const key of Object.keys(target)) {
      if (!read.has(key)) out.push(key);
    }
  }
  return out;
}

async function validateSchema(obj) {
  let mod;
  try {
    mod = await import(modelPath(obj.apiVersion, obj.kind));
  } catch {
    fail(obj, `no schema for ${obj.apiVersion} ${obj.kind}`);
    return;
  }
  const Model = mod[obj.kind];
  const seen = [];
  try {
    Model.prototype.validate.call(tracked(obj, seen));
  } catch (e) {
    fail(obj, `schema: ${e.message}`);
  }
  for (const key of unknownFields(seen)) fail(obj, `unknown field '${key}'`);
}

// --- 3: policy -------------------------------------------------------------------------------

const RESTRICTED_VOLUMES = new Set([
  "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected",
  "secret",
]);
// Values that must never appear in a manifest: seedwell's tokens, private keys, passwords in URLs.
const SECRET_PATTERNS = [
  [/\bsw[ai]_[A-Za-z0-9_-]{20,}/, "a seedwell token"],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "a private key"],
  [/postgres(ql)?:\/\/[^/\s:@]+:[^/\s@]+@/, "a password in a database URL"],
];
const SECRET_NAMES = /(password|passwd|secret|token|private|credential|key-encryption)/i;

function podSpecOf(obj) {
  if (obj.kind === "Pod") return { spec: obj.spec, labels: obj.metadata?.labels ?? {} };
  const t = obj.spec?.template;
  if (t) return { spec: t.spec, labels: t.metadata?.labels ?? {} };
  return null;
}

function component(obj) {
  return obj.metadata?.labels?.["app.kubernetes.io/component"];
}

function checkSecretText(obj, where, text) {
  if (typeof text !== "string") return;
  for (const [re, what] of SECRET_PATTERNS) {
    if (re.test(text)) fail(obj, `${where} holds ${what}`);
  }
}

function checkPod(obj, spec) {
  const isHook = obj.kind === "Pod";
  const psc = spec.securityContext ?? {};
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) fail(obj, "uses a host namespace");
  if (spec.automountServiceAccountToken !== false) {
    fail(obj, "mounts a service-account token (automountServiceAccountToken must be false)");
  }
  if (psc.runAsUser === 0) fail(obj, "pod runs as root");
  for (const v of spec.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== "name");
    if (RESTRICTED_VOLUMES.has(type)) continue;
    // The documented exception: the node agents' socket directory, which must already exist.
    if (type === "hostPath" && obj.kind === "DaemonSet" && component(obj) === "node-agent" &&
        v.hostPath.type === "Directory") {
      continue;
    }
    fail(obj, `volume '${v.name}' of type ${type} is not allowed by the restricted profile`);
  }
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    const where = `container '${c.name}'`;
    if (sc.privileged) fail(obj, `${where} is privileged`);
    if (sc.allowPrivilegeEscalation !== false) {
      fail(obj, `${where}: allowPrivilegeEscalation must be false`);
    }
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) fail(obj, `${where} does not drop ALL capabilities`);
    for (const cap of sc.capabilities?.add ?? []) {
      if (cap !== "NET_BIND_SERVICE") fail(obj, `${where} adds capability ${cap}`);
    }
    if ((sc.runAsNonRoot ?? psc.runAsNonRoot) !== true) fail(obj, `${where} may run as root`);
    if ((sc.runAsUser ?? psc.runAsUser) === 0) fail(obj, `${where} runs as root`);
    const seccomp = (sc.seccompProfile ?? psc.seccompProfile)?.type;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") {
      fail(obj, `${where}: seccompProfile must be RuntimeDefault or Localhost`);
    }
    if (sc.readOnlyRootFilesystem !== true) fail(obj, `${where}: root file system is writable`);
    for (const p of c.ports ?? []) {
      if (p.hostPort) fail(obj, `${where} uses hostPort ${p.hostPort}`);
    }
    const r = c.resources ?? {};
    if (!r.requests?.cpu || !r.requests?.memory) fail(obj, `${where} has no cpu and memory requests`);
    if (!r.limits?.memory) fail(obj, `${where} has no memory limit`);
    if (!isHook) {
      for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
        if (!c[probe]) fail(obj, `${where} has no ${probe}`);
      }
      if (!c.lifecycle?.preStop) fail(obj, `${where} has no preStop hook (graceful shutdown)`);
    }
    const portNames = new Set((c.ports ?? []).map((p) => p.name));
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
      const port = c[probe]?.httpGet?.port;
      if (typeof port === "string" && !portNames.has(port)) {
        fail(obj, `${where} ${probe} uses port '${port}', which it does not declare`);
      }
    }
    for (const e of c.env ?? []) {
      if (e.value === undefined) continue;
      checkSecretText(obj, `${where} env ${e.name}`, e.value);
      if (SECRET_NAMES.test(e.name) && !/_FILE$/.test(e.name)) {
        fail(obj, `${where} env ${e.name} has a literal value; take it from a Secret`);
      }
    }
    for (const a of [...(c.command ?? []), ...(c.args ?? [])]) {
      checkSecretText(obj, `${where} argument`, a);
      const m = /^--([a-z-]+)=/.exec(a);
      if (m && SECRET_NAMES.test(m[1]) && !/-(file|hash)$/.test(m[1])) {
        fail(obj, `${where} argument --${m[1]} carries a secret on the command line`);
      }
    }
  }
  if (!isHook && spec.terminationGracePeriodSeconds === undefined) {
    fail(obj, "no terminationGracePeriodSeconds");
  }
}

function matches(selector, labels) {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

function checkSelections(objects) {
  const pods = objects.map((o) => ({ obj: o, pod: podSpecOf(o) })).filter((p) => p.pod);
  const portsOf = (pod) => new Set((pod.spec.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => p.name)));
  const selected = (sel) => pods.filter((p) => p.obj.kind !== "Pod" && matches(sel, p.pod.labels));

  for (const o of objects) {
    if (o.kind === "Service") {
      const targets = selected(o.spec.selector);
      if (targets.length === 0) fail(o, "selects no pods of this release");
      for (const port of o.spec.ports ?? []) {
        if (typeof port.targetPort !== "string") continue;
        for (const t of targets) {
          if (!portsOf(t.pod).has(port.targetPort)) {
            fail(o, `targetPort '${port.targetPort}' is not a port of ${t.obj.kind}/${t.obj.metadata.name}`);
          }
        }
      }
    }
    if (o.kind === "PodDisruptionBudget" || o.kind === "PodMonitor") {
      if (selected(o.spec.selector?.matchLabels).length === 0) fail(o, "selects no pods of this release");
    }
    if (o.kind === "NetworkPolicy") {
      const targets = selected(o.spec.podSelector?.matchLabels);
      if (targets.length === 0) fail(o, "selects no pods of this release");
      for (const rule of o.spec.ingress ?? []) {
        if (!rule.from || rule.from.length === 0) fail(o, "an ingress rule admits every source");
        for (const port of rule.ports ?? []) {
          if (typeof port.port !== "string") continue;
          for (const t of targets) {
            if (!portsOf(t.pod).has(port.port)) {
              fail(o, `port '${port.port}' is not a port of ${t.obj.kind}/${t.obj.metadata.name}`);
            }
          }
        }
      }
    }
    if (o.kind === "ServiceMonitor") {
      const services = objects.filter((s) => s.kind === "Service" &&
                                              matches(o.spec.selector?.matchLabels, s.metadata.labels ?? {}));
      if (services.length === 0) fail(o, "selects no Service of this release");
      for (const ep of o.spec.endpoints ?? []) {
        for (const s of services) {
          if (!(s.spec.ports ?? []).some((p) => p.name === ep.port)) {
            fail(o, `endpoint port '${ep.port}' is not a port of Service/${s.metadata.name}`);
          }
        }
      }
    }
    if (o.kind === "PodMonitor") {
      for (const ep of o.spec.podMetricsEndpoints ?? []) {
        for (const t of selected(o.spec.selector?.matchLabels)) {
          if (!portsOf(t.pod).has(ep.port)) fail(o, `port '${ep.port}' is not a port of ${t.obj.metadata.name}`);
        }
      }
    }
  }
}

function checkObject(obj) {
  const labels = obj.metadata?.labels ?? {};
  for (const l of ["app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/managed-by"]) {
    if (!labels[l]) fail(obj, `no label ${l}`);
  }
  const pod = podSpecOf(obj);
  if (pod) {
    checkPod(obj, pod.spec);
    for (const c of pod.spec.containers ?? []) {
      if (/:latest$/.test(c.image) || !/[:@]/.test(c.image.split("/").pop())) {
        fail(obj, `container '${c.name}' image '${c.image}' is not pinned to a tag or digest`);
      }
    }
  }
  if (obj.kind === "Pod" && !obj.metadata?.annotations?.["helm.sh/hook"]) {
    fail(obj, "a bare Pod that is not a helm hook");
  }
  if (obj.kind === "ConfigMap") {
    for (const [k, v] of Object.entries(obj.data ?? {})) {
      checkSecretText(obj, `data '${k}'`, v);
      if (SECRET_NAMES.test(k)) fail(obj, `data key '${k}' names a secret: use a Secret`);
      if (k.endsWith(".json")) {
        try { JSON.parse(v); } catch (e) { fail(obj, `data '${k}' is not JSON: ${e.message}`); }
      }
    }
  }
  if (obj.kind === "Secret" && (obj.data || obj.stringData)) {
    fail(obj, "the chart renders secret material; reference an existing Secret instead");
  }
}

// --- main --------------------------------------------------------------------------------------

// checkRender: every check over the objects of FILES, taken as one render; returns the problems
// and a summary of the kinds.
async function checkRender(files) {
  problems.length = 0;
  const objects = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
      if (doc.errors.length) {
        problems.push(`${file}: YAML: ${doc.errors[0].message}`);
        continue;
      }
      const obj = doc.toJS();
      if (obj === null) continue;
      if (!obj.apiVersion || !obj.kind) {
        problems.push(`${file}: a document without apiVersion and kind`);
        continue;
      }
      objects.push(obj);
    }
  }
  if (objects.length === 0) problems.push(`${files.join(" ")}: no objects`);
  const names = new Set();
  for (const obj of objects) {
    const id = `${obj.apiVersion} ${obj.kind} ${obj.metadata?.name}`;
    if (names.has(id)) fail(obj, "rendered twice");
    names.add(id);
    await validateSchema(obj);
    checkObject(obj);
  }
  checkSelections(objects);
  const kinds = {};
  for (const o of objects) kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
  const summary = `${objects.length} objects: ` +
    Object.entries(kinds).sort().map(([k, n]) => `${k}=${n}`).join(" ");
  return { problems: [...problems], summary };
}

// With --each, every FILE is a render of its own, reported under a "== FILE" line (one process for
// many renders: node's start-up is the slow part).
let args = process.argv.slice(2);
const each = args[0] === "--each";
if (each) args = args.slice(1);
if (args.length === 0) {
  console.error("usage: check-manifests.mjs [--each] FILE.yaml...");
  process.exit(2);
}
let failed = false;
for (const group of each ? args.map((f) => [f]) : [args]) {
  const { problems: found, summary } = await checkRender(group);
  if (each) console.log(`== ${group[0]}`);
  for (const p of found) console.log(`FAIL ${p}`);
  if (found.length === 0) console.log(`ok ${summary}`);
  failed ||= found.length > 0;
}
process.exit(failed ? 1 : 0);
