// Package kubernetes holds the Kubernetes manifests of a distributed run
// (a kustomize base) and the test that renders them offline with kubectl
// kustomize and decodes every object strictly against the Kubernetes API
// types. It has no Go code of its own.
package kubernetes

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"ccgw-harness/config"
	"ccgw-harness/dist"
)

// Environment of the test: the kubectl to render with, and the explicit
// opt-out for a machine without one.
const (
	envKubectl     = "CCGW_KUBECTL"      // kubectl binary (default: kubectl on PATH)
	envSkipKubectl = "CCGW_SKIP_KUBECTL" // "1": skip the kubectl tests
)

// The paths and names the manifests agree on with the Dockerfile and ccgw.
const (
	completionIndexPath = "metadata.annotations['batch.kubernetes.io/job-completion-index']"
	reportsMount        = "/reports"
	targetsMount        = "/etc/ccgw"
	loadJob             = "ccgw-load"
	passwordSecret      = "ccgw-agents"
	tokenSecret         = "ccgw-run-token"
)

func kubectl(t *testing.T) string {
	t.Helper()
	if os.Getenv(envSkipKubectl) == "1" {
		t.Skipf("%s=1: the Kubernetes manifests are not rendered", envSkipKubectl)
	}
	bin := os.Getenv(envKubectl)
	if bin == "" {
		bin = "kubectl"
	}
	p, err := exec.LookPath(bin)
	if err != nil {
		t.Fatalf("%s not found (%v): the Kubernetes manifests are checked by rendering them with kubectl kustomize, offline; "+
			"install Debian's kubernetes-client (apt-get install kubernetes-client; .ci/run does when kubectl is missing), "+
			"name another binary in %s, or set %s=1 to skip this test", bin, err, envKubectl, envSkipKubectl)
	}
	return p
}

func run(t *testing.T, env []string, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	return out
}

// rendered are the objects of a rendering, by name.
type rendered struct {
	jobs       map[string]*batchv1.Job
	claims     map[string]*corev1.PersistentVolumeClaim
	services   map[string]*corev1.Service
	configMaps map[string]*corev1.ConfigMap // by name without kustomize's hash suffix
	secrets    map[string]*corev1.Secret    // by name without kustomize's hash suffix
	cmNames    map[string]string            // base name -> rendered name (config maps and secrets)
}

// decodeStrict decodes a multi-document YAML stream, every document
// strictly (an unknown or duplicate field is an error) into the API type
// of its kind.
func decodeStrict(t *testing.T, data []byte) rendered {
	t.Helper()
	r := rendered{jobs: map[string]*batchv1.Job{}, claims: map[string]*corev1.PersistentVolumeClaim{}, services: map[string]*corev1.Service{},
		configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{}, cmNames: map[string]string{}}
	for i, doc := range splitDocs(data) {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		var obj any
		switch tm.APIVersion + " " + tm.Kind {
		case "batch/v1 Job":
			obj = &batchv1.Job{}
		case "v1 PersistentVolumeClaim":
			obj = &corev1.PersistentVolumeClaim{}
		case "v1 ConfigMap":
			obj = &corev1.ConfigMap{}
		case "v1 Service":
			obj = &corev1.Service{}
		case "v1 Secret":
			obj = &corev1.Secret{}
		case "v1 Pod":
			obj = &corev1.Pod{}
		default:
			t.Fatalf("document %d: unexpected object %s %s", i, tm.APIVersion, tm.Kind)
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			t.Fatalf("document %d (%s): not a valid %s: %v\n%s", i, tm.Kind, tm.Kind, err, doc)
		}
		switch o := obj.(type) {
		case *batchv1.Job:
			r.jobs[o.Name] = o
		case *corev1.PersistentVolumeClaim:
			r.claims[o.Name] = o
		case *corev1.Service:
			r.services[o.Name] = o
		case *corev1.ConfigMap:
			base := unhashed(o.Name)
			r.configMaps[base] = o
			r.cmNames[base] = o.Name
		case *corev1.Secret:
			base := unhashed(o.Name)
			r.secrets[base] = o
			r.cmNames[base] = o.Name
		}
	}
	return r
}

// unhashed is a generated object's name without kustomize's hash suffix.
func unhashed(name string) string {
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		return name[:i]
	}
	return name
}

// splitDocs splits a YAML stream at its "---" lines.
func splitDocs(data []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	flush := func() {
		if strings.TrimSpace(cur.String()) != "" {
			docs = append(docs, slices.Clone(cur.Bytes()))
		}
		cur.Reset()
	}
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "---" {
			flush()
			continue
		}
		cur.WriteString(sc.Text() + "\n")
	}
	flush()
	return docs
}

// want is what a rendering must hold.
type want struct {
	shards int
	runID  string // "" : any
	image  string
}

// TestBaseRenders: the base renders offline and every object decodes
// strictly: one Indexed Job, its headless Service, the ConfigMaps and the
// run token's Secret, agreeing with each other, with ccgw and with the
// Dockerfile; no ReadWriteMany claim and no second Job. The base's token
// is a placeholder ccgw refuses (make k8s puts a fresh one).
func TestBaseRenders(t *testing.T) {
	k := kubectl(t)
	r := decodeStrict(t, run(t, nil, k, "kustomize", "."))
	check(t, r, want{shards: 3, runID: "run-1", image: "ccgw-harness:latest"})
	if tok := string(r.secrets[tokenSecret].Data["token"]); dist.ValidToken(tok) == nil {
		t.Errorf("the base's run token %q is one ccgw accepts: a base applied as it is would run with a well-known token", tok)
	}
}

// TestRenderScript: make k8s (scripts/k8s-render.sh) renders the base for
// N shards, a given run ID and image, consistently.
func TestRenderScript(t *testing.T) {
	k := kubectl(t)
	tokens := map[string]bool{}
	for _, c := range []want{
		{shards: 5, runID: "test-run-5", image: "registry.example.invalid/team/ccgw-harness:v9"},
		{shards: 1, runID: "test-run-1", image: "registry.example.invalid:5000/ccgw:latest"},
	} {
		out := t.TempDir()
		path := strings.TrimSpace(string(run(t, []string{"KUBECTL=" + k, "OUT_DIR=" + out, "IMAGE=" + c.image},
			"bash", "../../scripts/k8s-render.sh", strconv.Itoa(c.shards), c.runID)))
		if filepath.Dir(path) != out {
			t.Fatalf("k8s-render.sh printed %q, want a file in %s", path, out)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		r := decodeStrict(t, data)
		check(t, r, c)
		tok := string(r.secrets[tokenSecret].Data["token"])
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(tok) || tokens[tok] {
			t.Errorf("k8s-render.sh %d: run token of %d characters (seen before: %v): want a fresh 32 random bytes in hex per run", c.shards, len(tok), tokens[tok])
		}
		tokens[tok] = true
		if st, err := os.Stat(path); err != nil || st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s holds the run token: want it readable by its owner only, mode %v (%v)", path, st.Mode(), err)
		}
		if b, _ := os.ReadFile(filepath.Join(out, "overlay-"+c.runID, "kustomization.yaml")); bytes.Contains(b, []byte(tok)) {
			t.Error("the overlay left behind holds the run token")
		}
	}
	// K8S_FILES: a CA bundle beside targets.yaml in the ConfigMap.
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	path := strings.TrimSpace(string(run(t, []string{"KUBECTL=" + k, "OUT_DIR=" + out, "K8S_FILES=" + ca}, "bash", "../../scripts/k8s-render.sh", "2", "test-ca")))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if r := decodeStrict(t, data); r.configMaps["ccgw-targets"].Data["ca.pem"] == "" {
		t.Errorf("K8S_FILES=%s: the ConfigMap ccgw-targets has no ca.pem: %v", ca, r.configMaps["ccgw-targets"].Data)
	}

	// Bad input is refused before anything is rendered.
	cmd := exec.Command("bash", "../../scripts/k8s-render.sh", "0")
	cmd.Env = append(os.Environ(), "KUBECTL="+k, "OUT_DIR="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "SHARDS=0: want the number of shards") {
		t.Errorf("k8s-render.sh 0: %v, %s", err, out)
	}
}

// TestFetchPod: the pod scripts/k8s-fetch.sh creates to copy shard 0's
// reports back is a valid Pod, reading shard 0's claim (the pod's name
// and the Job's volume name) as a non-root user.
func TestFetchPod(t *testing.T) {
	const claim = "ccgw-load-0-x7k2p-reports"
	r := decodeStrictPod(t, run(t, nil, "bash", "../../scripts/k8s-fetch.sh", "--manifest", "Run_1.x", claim))
	if r.Name != "ccgw-fetch-run-1-x" {
		t.Errorf("fetch pod name %q", r.Name)
	}
	sc := r.Spec.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Error("the fetch pod must run as non-root")
	}
	if v := r.Spec.Volumes; len(v) != 1 || v[0].PersistentVolumeClaim == nil || v[0].PersistentVolumeClaim.ClaimName != claim || !v[0].PersistentVolumeClaim.ReadOnly {
		t.Errorf("fetch pod volumes %+v: want the claim %s, read-only", v, claim)
	}
	if m := r.Spec.Containers[0].VolumeMounts; len(m) != 1 || m[0].MountPath != reportsMount {
		t.Errorf("fetch pod mounts %+v: want the claim at %s, where the shards write", m, reportsMount)
	}
	// The claim the script derives is the one the Job's ephemeral volume
	// makes: <pod>-<volume name>.
	data, err := os.ReadFile("../../scripts/k8s-fetch.sh")
	if err != nil || !strings.Contains(string(data), "claim=$shard0-reports") {
		t.Errorf("k8s-fetch.sh must read shard 0's claim <pod>-reports (%v)", err)
	}
}

func decodeStrictPod(t *testing.T, data []byte) *corev1.Pod {
	t.Helper()
	var p corev1.Pod
	if err := yaml.UnmarshalStrict(data, &p); err != nil {
		t.Fatalf("fetch pod: %v\n%s", err, data)
	}
	return &p
}

// TestDockerfile: the image the manifests run is a static binary on a
// small base, as the user the manifests name.
func TestDockerfile(t *testing.T) {
	d := dockerfile(t)
	if !regexp.MustCompile(`(?m)^FROM golang:\S+ AS build$`).MatchString(d.text) {
		t.Error("Dockerfile: want a build stage FROM golang:... AS build")
	}
	if !regexp.MustCompile(`(?m)^RUN CGO_ENABLED=0 .*go build .*-o /out/ccgw \./cmd/ccgw$`).MatchString(d.text) {
		t.Error("Dockerfile: want a static build: RUN CGO_ENABLED=0 ... go build ... ./cmd/ccgw")
	}
	if !strings.HasPrefix(d.final, "gcr.io/distroless/static") && d.final != "scratch" {
		t.Errorf("Dockerfile: final stage FROM %s, want distroless/static or scratch", d.final)
	}
	if !strings.Contains(d.text, "COPY --from=build /out/ccgw /ccgw") || !strings.Contains(d.text, `ENTRYPOINT ["/ccgw"]`) {
		t.Error("Dockerfile: want the binary copied from the build stage to /ccgw, and it as the entrypoint")
	}
	if d.uid == 0 {
		t.Error("Dockerfile: want USER with a numeric non-root uid (Kubernetes checks runAsNonRoot by number)")
	}
	ign, err := os.ReadFile("../../.dockerignore")
	if err != nil || !strings.Contains(string(ign), "out") {
		t.Errorf(".dockerignore: %v; want out/ kept out of the build context", err)
	}
}

// dockerfileFacts is what the manifests must agree with.
type dockerfileFacts struct {
	text, final string
	uid         int64
}

func dockerfile(t *testing.T) dockerfileFacts {
	t.Helper()
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	d := dockerfileFacts{text: string(b)}
	for _, l := range strings.Split(d.text, "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) >= 2 && f[0] == "FROM":
			d.final = f[1]
		case len(f) == 2 && f[0] == "USER":
			uid, _, _ := strings.Cut(f[1], ":")
			d.uid, _ = strconv.ParseInt(uid, 10, 64)
		}
	}
	return d
}

// check checks a rendering against w.
func check(t *testing.T, r rendered, w want) {
	t.Helper()
	load := r.jobs[loadJob]
	if load == nil || len(r.jobs) != 1 {
		t.Fatalf("jobs %v: want only %s (no merge Job: shard 0 writes the verdict)", keys(r.jobs), loadJob)
	}
	if len(r.claims) != 0 {
		t.Errorf("claims %v: want none (no shared volume)", keys(r.claims))
	}
	runCM, targetsCM, tok := r.configMaps["ccgw-run"], r.configMaps["ccgw-targets"], r.secrets[tokenSecret]
	if runCM == nil || targetsCM == nil || tok == nil {
		t.Fatalf("config maps %v, secrets %v: want ccgw-run, ccgw-targets and %s", keys(r.configMaps), keys(r.secrets), tokenSecret)
	}
	if w.runID != "" && runCM.Data["run-id"] != w.runID {
		t.Errorf("run-id %q, want %q", runCM.Data["run-id"], w.runID)
	}
	if _, ok := tok.Data["token"]; !ok || len(tok.Data) != 1 {
		t.Errorf("secret %s: keys %v, want token", tokenSecret, keys(tok.Data))
	}

	// The Indexed Job.
	s := load.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Error("ccgw-load: want completionMode: Indexed (the completion index is the shard index)")
	}
	if s.Completions == nil || s.Parallelism == nil || *s.Completions != int32(w.shards) || *s.Parallelism != *s.Completions {
		t.Errorf("ccgw-load: completions %v, parallelism %v; want both %d (all shards at once)", ptrVal(s.Completions), ptrVal(s.Parallelism), w.shards)
	}
	if s.BackoffLimitPerIndex == nil || *s.BackoffLimitPerIndex != 0 || s.BackoffLimit != nil {
		t.Errorf("ccgw-load: backoffLimitPerIndex %v, backoffLimit %v: want backoffLimitPerIndex 0 alone (no shard re-run into a started run; a lost shard does not stop the others)",
			ptrVal(s.BackoffLimitPerIndex), ptrVal(s.BackoffLimit))
	}
	if s.TTLSecondsAfterFinished == nil || *s.TTLSecondsAfterFinished <= 0 || s.ActiveDeadlineSeconds == nil {
		t.Error("ccgw-load: want ttlSecondsAfterFinished and activeDeadlineSeconds")
	}
	pod := s.Template.Spec
	checkPod(t, loadJob, pod)
	aff := pod.Affinity
	if aff == nil || aff.PodAntiAffinity == nil || len(aff.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) == 0 {
		t.Error("ccgw-load: want a preferred pod anti-affinity (one shard per node)")
	} else {
		term := aff.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution[0].PodAffinityTerm
		for k, v := range term.LabelSelector.MatchLabels {
			if s.Template.Labels[k] != v {
				t.Errorf("ccgw-load: the anti-affinity selects %s=%s, which the shard pods do not carry (%v)", k, v, s.Template.Labels)
			}
		}
		if term.TopologyKey != "kubernetes.io/hostname" {
			t.Errorf("ccgw-load: anti-affinity topology %q", term.TopologyKey)
		}
	}
	c := container(t, loadJob, pod, "ccgw")
	if c.Image != w.image {
		t.Errorf("ccgw-load: image %q, want %q", c.Image, w.image)
	}
	env := envOf(c)
	if e := env["JOB_COMPLETION_INDEX"]; e.ValueFrom == nil || e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath != completionIndexPath {
		t.Errorf("ccgw-load: JOB_COMPLETION_INDEX %+v, want the completion index annotation %s", e, completionIndexPath)
	}
	if got := env["CCGW_SHARD_COUNT"].Value; got != strconv.Itoa(w.shards) {
		t.Errorf("ccgw-load: CCGW_SHARD_COUNT %q, want %d = completions", got, w.shards)
	}
	for _, k := range []string{"CCGW_RUN_ID", "CCGW_TARGET", "CCGW_PLAN"} {
		e := env[k]
		if e.ValueFrom == nil || e.ValueFrom.ConfigMapKeyRef == nil || e.ValueFrom.ConfigMapKeyRef.Name != r.cmNames["ccgw-run"] {
			t.Errorf("ccgw-load: %s %+v, want it from the config map %s", k, e, r.cmNames["ccgw-run"])
		} else if _, ok := runCM.Data[e.ValueFrom.ConfigMapKeyRef.Key]; !ok {
			t.Errorf("ccgw-load: %s names key %q, which ccgw-run lacks", k, e.ValueFrom.ConfigMapKeyRef.Key)
		}
	}
	if e := env["CCGW_RUN_TOKEN"]; e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Name != r.cmNames[tokenSecret] || e.ValueFrom.SecretKeyRef.Key != "token" {
		t.Errorf("ccgw-load: CCGW_RUN_TOKEN %+v, want the key token of the Secret %s", e, r.cmNames[tokenSecret])
	}
	if got := env["CCGW_TARGETS"].Value; got != targetsMount+"/targets.yaml" {
		t.Errorf("ccgw-load: CCGW_TARGETS %q", got)
	}
	checkArgsDefined(t, loadJob, c, env)
	if c.Args[0] != "load" || slices.ContainsFunc(c.Args, func(a string) bool { return strings.HasPrefix(a, "--barrier=") }) {
		t.Errorf("ccgw-load: args %v: want ccgw load, with no file barrier", c.Args)
	}

	// The run's own network: shard 0 by its stable name through the
	// headless Service that is the Job's subdomain.
	svc := r.services[loadJob]
	if svc == nil || len(r.services) != 1 {
		t.Fatalf("services %v: want the headless Service %s", keys(r.services), loadJob)
	}
	if svc.Spec.ClusterIP != corev1.ClusterIPNone || !svc.Spec.PublishNotReadyAddresses {
		t.Errorf("service %s: clusterIP %q, publishNotReadyAddresses %v: want a headless Service whose names resolve before readiness", loadJob, svc.Spec.ClusterIP, svc.Spec.PublishNotReadyAddresses)
	}
	for k, v := range svc.Spec.Selector {
		if s.Template.Labels[k] != v {
			t.Errorf("service %s selects %s=%s, which the shard pods do not carry (%v)", loadJob, k, v, s.Template.Labels)
		}
	}
	if pod.Subdomain != svc.Name {
		t.Errorf("ccgw-load: subdomain %q, want the Service %s (pods named ccgw-load-I.%s)", pod.Subdomain, svc.Name, svc.Name)
	}
	coord := env["CCGW_COORDINATOR"].Value
	host, port, err := net.SplitHostPort(coord)
	if err != nil || host != loadJob+"-0."+svc.Name {
		t.Errorf("ccgw-load: CCGW_COORDINATOR %q: want shard 0's stable name %s-0.%s:PORT", coord, loadJob, svc.Name)
	}
	var svcPort *corev1.ServicePort
	for i := range svc.Spec.Ports {
		if strconv.Itoa(int(svc.Spec.Ports[i].Port)) == port {
			svcPort = &svc.Spec.Ports[i]
		}
	}
	cport := ""
	for _, p := range c.Ports {
		if svcPort != nil && p.Name == svcPort.TargetPort.StrVal && strconv.Itoa(int(p.ContainerPort)) == port {
			cport = p.Name
		}
	}
	if svcPort == nil || cport == "" || port != strconv.Itoa(dist.DefaultPort) {
		t.Errorf("ccgw-load: the coordinator's port %s is not the Service's and the container's named port (service ports %+v, container ports %+v), or not ccgw's %d", port, svc.Spec.Ports, c.Ports, dist.DefaultPort)
	}

	// The reports: on a ReadWriteOnce claim of each pod's own.
	if out := flagValue(t, loadJob, c.Args, "--out"); out != reportsMount {
		t.Errorf("ccgw-load: --out %q, want %s", out, reportsMount)
	}
	mounts := mountsOf(c)
	vols := volumesOf(pod)
	rv := vols[mounts[reportsMount]]
	if rv.Ephemeral == nil || rv.Ephemeral.VolumeClaimTemplate == nil || rv.Name != "reports" {
		t.Errorf("ccgw-load: %s is %+v: want an ephemeral volume named reports (claims <pod>-reports, as k8s-fetch.sh reads)", reportsMount, rv)
	} else if am := rv.Ephemeral.VolumeClaimTemplate.Spec.AccessModes; !slices.Equal(am, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}) {
		t.Errorf("ccgw-load: the reports claim's access modes %v: want ReadWriteOnce only (every cluster's default)", am)
	}
	for _, v := range vols {
		if v.PersistentVolumeClaim != nil {
			t.Errorf("ccgw-load: volume %s is a shared claim %s: want none", v.Name, v.PersistentVolumeClaim.ClaimName)
		}
	}
	if v := vols[mounts[targetsMount]]; v.ConfigMap == nil || v.ConfigMap.Name != r.cmNames["ccgw-targets"] {
		t.Errorf("ccgw-load: %s is not the config map %s", targetsMount, r.cmNames["ccgw-targets"])
	}

	// The targets file: a real gateway that allows load, whose agents'
	// password comes from the Secret through the variable it names, and
	// a plan with an agent for every shard.
	data, ok := targetsCM.Data["targets.yaml"]
	if !ok {
		t.Fatal("ccgw-targets has no targets.yaml")
	}
	file, err := config.Parse(filepath.Join(targetsMount, "targets.yaml"), []byte(data))
	if err != nil {
		t.Fatalf("the targets.yaml of ccgw-targets: %v", err)
	}
	tname, pname := runCM.Data["target"], runCM.Data["plan"]
	var pwEnv string
	for name, tg := range file.Targets {
		if name == tname {
			pwEnv = tg.Agents.PasswordEnv
		}
	}
	if pwEnv == "" {
		t.Fatalf("target %q of ccgw-run is not in targets.yaml or names no password_env", tname)
	}
	e := env[pwEnv]
	if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Name != passwordSecret {
		t.Errorf("ccgw-load: %s (targets.yaml password_env) %+v, want it from the Secret %s", pwEnv, e, passwordSecret)
	}
	if _, rendered := r.secrets[passwordSecret]; rendered {
		t.Errorf("the Secret %s is rendered: the agents' password must never be in a rendered file", passwordSecret)
	}
	t.Setenv(pwEnv, "not-a-real-password")
	tg, err := file.Target(tname)
	if err != nil {
		t.Fatalf("target %s: %v", tname, err)
	}
	if tg.Mock != nil || !tg.AllowLoad {
		t.Errorf("target %s: want a real gateway (url:) with allow_load: true; a mock: target is refused for shards", tname)
	}
	if p, err := file.Plan(pname); err != nil {
		t.Errorf("plan %s of ccgw-run: %v", pname, err)
	} else if p.Agents < w.shards {
		t.Logf("plan %s has %d agents, fewer than %d shards: ccgw refuses it (the base's example plans are meant to be replaced)", pname, p.Agents, w.shards)
	}
}

// checkPod checks what every pod of a run needs: never restarted, non-root
// as the image's user, no privilege.
func checkPod(t *testing.T, job string, pod corev1.PodSpec) {
	t.Helper()
	if pod.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("%s: restartPolicy %q, want Never", job, pod.RestartPolicy)
	}
	sc := pod.SecurityContext
	uid := dockerfile(t).uid
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != uid || sc.FSGroup == nil {
		t.Errorf("%s: pod securityContext %+v: want runAsNonRoot, runAsUser %d (the Dockerfile's USER) and an fsGroup", job, sc, uid)
	}
	for _, c := range pod.Containers {
		cs := c.SecurityContext
		if cs == nil || cs.AllowPrivilegeEscalation == nil || *cs.AllowPrivilegeEscalation || cs.ReadOnlyRootFilesystem == nil || !*cs.ReadOnlyRootFilesystem ||
			cs.Capabilities == nil || !slices.Contains(cs.Capabilities.Drop, "ALL") {
			t.Errorf("%s/%s: container securityContext %+v: want no privilege escalation, a read-only root and every capability dropped", job, c.Name, cs)
		}
	}
}

// checkArgsDefined: every $(VAR) in the args is a variable of the
// container (Kubernetes leaves undefined references as they are).
func checkArgsDefined(t *testing.T, job string, c corev1.Container, env map[string]corev1.EnvVar) {
	t.Helper()
	ref := regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)
	for _, a := range c.Args {
		for _, m := range ref.FindAllStringSubmatch(a, -1) {
			if _, ok := env[m[1]]; !ok {
				t.Errorf("%s: arg %q refers to $(%s), which the container does not define", job, a, m[1])
			}
		}
	}
}

func container(t *testing.T, job string, pod corev1.PodSpec, name string) corev1.Container {
	t.Helper()
	for _, c := range pod.Containers {
		if c.Name == name {
			if len(c.Args) == 0 {
				t.Fatalf("%s/%s has no args", job, name)
			}
			return c
		}
	}
	t.Fatalf("%s has no container %s", job, name)
	return corev1.Container{}
}

func envOf(c corev1.Container) map[string]corev1.EnvVar {
	m := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		m[e.Name] = e
	}
	return m
}

// mountsOf maps mount paths to volume names.
func mountsOf(c corev1.Container) map[string]string {
	m := map[string]string{}
	for _, v := range c.VolumeMounts {
		m[v.MountPath] = v.Name
	}
	return m
}

func volumesOf(p corev1.PodSpec) map[string]corev1.Volume {
	m := map[string]corev1.Volume{}
	for _, v := range p.Volumes {
		m[v.Name] = v
	}
	return m
}

// flagValue returns the value of --name=VALUE in args.
func flagValue(t *testing.T, job string, args []string, name string) string {
	t.Helper()
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	t.Errorf("%s: args %v have no %s=...", job, args, name)
	return ""
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func ptrVal[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
