package teeth_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"ccgw-harness/config"

	"github.com/onsi/ginkgo/v2/types"
)

// expectCases are the keys of a target's expect block that each set one
// expected refusal (wrong_method, missing_guid, ...), read from the
// loader's own key table.
func expectCases(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, p := range config.KeyPaths() {
		if k, ok := strings.CutPrefix(p, "targets.*.expect."); ok && strings.HasSuffix(k, ".status") {
			out = append(out, strings.TrimSuffix(k, ".status"))
		}
	}
	if len(out) < 9 {
		t.Fatalf("only %d expect cases in config.KeyPaths: %q", len(out), out)
	}
	return out
}

// expectTargets is a targets file whose embedded mock target has the
// expect block expect.
func expectTargets(expect string) string {
	return fmt.Sprintf(`targets:
  mock:
    mock: {auth_mode: dynamic}
    agents: {ids: "1001-1100", phonenum_prefix: "7"}
    expect: %s
`, expect)
}

// TestExpectProfileDecidesTheVerdict: each key of a target's expect block
// changes what the contract suite holds the gateway to. Against the
// faithful mock (which the suite passes with the documented profile, see
// TestContractSuiteHasTeeth), setting one case's status, retcode or allow
// to what the mock does not answer fails exactly the specs of that case,
// which name the case; content_types changes the Content-Types the suite sends.
// The slow Guid-rotation spec is left out (the forced sign-in spec holds
// replaced_guid's refusal).
func TestExpectProfileDecidesTheVerdict(t *testing.T) {
	bin := buildSuite(t)
	filter := "--ginkgo.label-filter=!slow"
	wrong := map[string]string{"status": "418", "retcode": `"100-001"`, "allow": "GET"}
	for _, c := range expectCases(t) {
		for _, sub := range []string{"status", "retcode", "allow"} {
			t.Run(c+"."+sub, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				targets := writeFile(t, dir, "targets.yaml", expectTargets(fmt.Sprintf("{%s: {%s: %s}}", c, sub, wrong[sub])))
				r := runSuite(t, bin, dir, runOpts{args: []string{"--targets=" + targets, "--target=mock", filter}})
				var failed, others []string
				for _, s := range r.failures() {
					if s.LeafNodeType != types.NodeTypeIt || !strings.Contains(s.FullText(), c) {
						others = append(others, s.FullText())
						continue
					}
					failed = append(failed, s.FullText())
				}
				if r.exitCode == 0 || len(failed) == 0 || len(others) > 0 {
					t.Fatalf("expect.%s.%s: %s: exit %d; failed specs of %s: %q; other failures: %q\n%s",
						c, sub, wrong[sub], r.exitCode, c, failed, others, tail(r.combined(), 3000))
				}
			})
		}
	}
	t.Run("content_types", func(t *testing.T) {
		t.Parallel()
		sent := func(expect string) []string {
			dir := t.TempDir()
			r := runSuite(t, bin, dir, runOpts{args: []string{"--targets=" + writeFile(t, dir, "targets.yaml", expectTargets(expect)), "--target=mock", "--ginkgo.label-filter=headers"}})
			if r.exitCode != 0 {
				t.Fatalf("expect %s: exit %d, failed %q", expect, r.exitCode, names(r.failures()))
			}
			var steps []string
			for _, s := range r.specs {
				if strings.Contains(s.FullText(), "content_types") {
					for _, e := range s.SpecEvents {
						if e.SpecEventType == types.SpecEventByStart {
							steps = append(steps, e.Message)
						}
					}
				}
			}
			return steps
		}
		probe := `POST on logininfo with Content-Type "application/x-ccgw-probe"`
		if got := sent(`{content_types: ["application/x-ccgw-probe"]}`); !slices.Equal(got, []string{probe}) {
			t.Errorf("content_types [application/x-ccgw-probe]: the Content-Type spec sent %q, want only %q", got, probe)
		}
		if got := sent("{}"); len(got) == 0 || slices.Contains(got, probe) {
			t.Errorf("the default content_types: the Content-Type spec sent %q", got)
		}
	})
}
