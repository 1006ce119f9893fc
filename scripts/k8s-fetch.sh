#!/usr/bin/env bash
# Copies a distributed run's results back from the cluster: the run's directory of the
# shared volume (shard-I/, merged/, barrier/) into DEST (default out/k8s/RUN_ID), through a
# short-lived pod that mounts the claim ccgw-data (the ccgw image has no shell or tar, so the
# pod runs busybox). The merged verdict is DEST/merged/summary.txt and report.json; each
# shard's own report is DEST/shard-I/.
#
#   scripts/k8s-fetch.sh RUN_ID [DEST]
#   scripts/k8s-fetch.sh --manifest RUN_ID      # print the pod, apply nothing
#   env: KUBECTL (default kubectl), FETCH_IMAGE (default busybox:1.36), any kubectl context
#        and namespace set as usual (KUBECONFIG, kubectl config set-context --current --namespace)
set -euo pipefail

die() { echo "k8s-fetch: $*" >&2; exit 2; }

manifest_only=
if [[ ${1:-} == --manifest ]]; then manifest_only=1; shift; fi
run_id=${1:-}
[[ $run_id =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$ ]] || die "RUN_ID=${run_id}: want the run ID of the run (ccgw-run's run-id; make k8s printed it)"
dest=${2:-out/k8s/$run_id}
kubectl=${KUBECTL:-kubectl}
image=${FETCH_IMAGE:-busybox:1.36}
pod=ccgw-fetch-$(echo "$run_id" | tr 'A-Z._' 'a-z--' | cut -c1-40)

manifest() {
  cat <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $pod
  labels:
    app.kubernetes.io/name: ccgw-harness
    app.kubernetes.io/component: fetch
spec:
  restartPolicy: Never
  activeDeadlineSeconds: 3600
  securityContext:
    runAsNonRoot: true
    runAsUser: 65532
    runAsGroup: 65532
    seccompProfile:
      type: RuntimeDefault
  containers:
  - name: fetch
    image: $image
    command: ["sleep", "3600"]
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities:
        drop:
        - ALL
    volumeMounts:
    - name: data
      mountPath: /data
      readOnly: true
  volumes:
  - name: data
    persistentVolumeClaim:
      claimName: ccgw-data
      readOnly: true
YAML
}

if [[ -n $manifest_only ]]; then manifest; exit 0; fi
command -v "$kubectl" >/dev/null 2>&1 || die "$kubectl not found"
manifest | "$kubectl" apply -f - >/dev/null
trap '"$kubectl" delete pod "$pod" --wait=false >/dev/null 2>&1 || true' EXIT
"$kubectl" wait --for=condition=Ready "pod/$pod" --timeout=5m >/dev/null
"$kubectl" exec "$pod" -- test -d "/data/runs/$run_id" || die "no run $run_id on the volume ccgw-data (/data/runs/$run_id)"
mkdir -p "$(dirname "$dest")"
"$kubectl" cp "$pod:/data/runs/$run_id" "$dest" >/dev/null
echo "$dest"
if [[ -f $dest/merged/summary.txt ]]; then tail -n 1 "$dest/merged/summary.txt"; fi
