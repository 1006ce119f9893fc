#!/usr/bin/env bash
# Copies a distributed run's reports back from the cluster: shard 0's /reports (the run's
# summary.txt, report.json, report.html, junit.xml, latency.hgrm, meta.json, and shards/I/ with
# each shard's own figures) into DEST (default out/k8s/RUN_ID). Shard 0's reports live on its
# pod's own ReadWriteOnce claim (<pod>-reports, see deploy/kubernetes/job-load.yaml), kept as
# long as the pod is (the Job's ttlSecondsAfterFinished); once the Job has ended a short-lived
# pod mounts that claim read-only and kubectl cp copies it (the ccgw image has no shell or tar,
# so the pod runs busybox).
#
#   scripts/k8s-fetch.sh RUN_ID [DEST]
#   scripts/k8s-fetch.sh --manifest RUN_ID CLAIM   # print the pod, apply nothing
#   env: KUBECTL (default kubectl), FETCH_IMAGE (default busybox:1.36), any kubectl context
#        and namespace set as usual (KUBECONFIG, kubectl config set-context --current --namespace)
set -euo pipefail

die() { echo "k8s-fetch: $*" >&2; exit 2; }

manifest_only=
if [[ ${1:-} == --manifest ]]; then manifest_only=1; shift; fi
run_id=${1:-}
[[ $run_id =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$ ]] || die "RUN_ID=${run_id}: want the run ID of the run (ccgw-run's run-id; make k8s printed it)"
kubectl=${KUBECTL:-kubectl}
image=${FETCH_IMAGE:-busybox:1.36}
pod=ccgw-fetch-$(echo "$run_id" | tr 'A-Z._' 'a-z--' | cut -c1-40)

manifest() { # $1: the claim to read
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
    - name: reports
      mountPath: /reports
      readOnly: true
  volumes:
  - name: reports
    persistentVolumeClaim:
      claimName: $1
      readOnly: true
YAML
}

if [[ -n $manifest_only ]]; then
  claim=${2:-}
  [[ $claim =~ ^[a-z0-9][a-z0-9.-]{0,252}$ ]] || die "CLAIM=${claim}: want the claim's name"
  manifest "$claim"
  exit 0
fi
dest=${2:-out/k8s/$run_id}
command -v "$kubectl" >/dev/null 2>&1 || die "$kubectl not found"
# Shard 0's pod: completion index 0 of the Job ccgw-load (its reports name the run).
shard0=
for p in $("$kubectl" get pods -l job-name=ccgw-load -o name); do
  idx=$("$kubectl" get "$p" -o jsonpath="{.metadata.annotations['batch\.kubernetes\.io/job-completion-index']}")
  if [[ $idx == 0 ]]; then shard0=${p#pod/}; fi
done
[[ -n $shard0 ]] || die "no pod of shard 0 of the Job ccgw-load (deleted after ttlSecondsAfterFinished?)"
phase=$("$kubectl" get pod "$shard0" -o jsonpath='{.status.phase}')
[[ $phase == Succeeded || $phase == Failed ]] || die "shard 0's pod $shard0 is $phase: wait for the Job to end (kubectl wait --for=condition=complete job/ccgw-load)"
claim=$shard0-reports
manifest "$claim" | "$kubectl" apply -f - >/dev/null
trap '"$kubectl" delete pod "$pod" --wait=false >/dev/null 2>&1 || true' EXIT
"$kubectl" wait --for=condition=Ready "pod/$pod" --timeout=5m >/dev/null
got=$("$kubectl" exec "$pod" -- cat /reports/meta.json 2>/dev/null | grep -o '"run_id": *"[^"]*"' | head -n 1 || true)
[[ $got == *"\"$run_id\""* ]] || die "shard 0's reports ($claim) are not of run $run_id (${got:-no run_id}): kubectl get configmap -l app.kubernetes.io/name=ccgw-harness names the runs"
mkdir -p "$(dirname "$dest")"
"$kubectl" cp "$pod:/reports" "$dest" >/dev/null
echo "$dest"
if [[ -f $dest/summary.txt ]]; then tail -n 1 "$dest/summary.txt"; fi
