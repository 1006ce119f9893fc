package faultset

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"
)

// snake turns a Go field name into its key: HTTPErrorRate -> http_error_rate.
func snake(name string) string {
	r := []rune(name)
	var b strings.Builder
	for i, c := range r {
		if i > 0 && unicode.IsUpper(c) && (unicode.IsLower(r[i-1]) || i+1 < len(r) && unicode.IsLower(r[i+1])) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

// TestTableCoversFaults: the table has one row per field of Faults, in the
// struct's order, whose Key is the field's name in snake_case, whose Ptr
// points at that field and whose Kind matches its Go type. A field added to
// Faults without a row (or the reverse) fails here.
func TestTableCoversFaults(t *testing.T) {
	var f Faults
	v := reflect.ValueOf(&f).Elem()
	if v.NumField() != len(fields) {
		t.Fatalf("Faults has %d fields, the table %d rows", v.NumField(), len(fields))
	}
	goType := map[Kind]reflect.Type{
		Rate: reflect.TypeFor[float64](), Duration: reflect.TypeFor[time.Duration](), Dist: reflect.TypeFor[string](),
		Retcode: reflect.TypeFor[string](), Status: reflect.TypeFor[int](), Bool: reflect.TypeFor[bool](),
	}
	for i, fd := range fields {
		sf := v.Type().Field(i)
		if want := snake(sf.Name); fd.Key != want {
			t.Errorf("row %d: key %q, want %q (field %s)", i, fd.Key, want, sf.Name)
		}
		p := reflect.ValueOf(fd.Ptr(&f))
		if p.Pointer() != v.Field(i).Addr().Pointer() || p.Elem().Type() != sf.Type {
			t.Errorf("%s: Ptr does not point at field %s", fd.Key, sf.Name)
		}
		if goType[fd.Kind] != sf.Type {
			t.Errorf("%s: kind %d does not hold a %s", fd.Key, fd.Kind, sf.Type)
		}
		if fd.Scope < ScopeLoginInfo || fd.Scope > ScopeTLS || fd.Usage == "" {
			t.Errorf("%s: scope %d, usage %q", fd.Key, fd.Scope, fd.Usage)
		}
		if got, ok := Lookup(fd.Key); !ok || got.Key != fd.Key {
			t.Errorf("Lookup(%q) = %v, %v", fd.Key, got.Key, ok)
		}
		if fd.Flag() != strings.ReplaceAll(fd.Key, "_", "-") {
			t.Errorf("%s: flag %s", fd.Key, fd.Flag())
		}
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup of an unknown key")
	}
	if got := strings.Join(Keys(), ","); !strings.HasPrefix(got, "latency_fixed,") || !strings.HasSuffix(got, ",tls_fail_rate") {
		t.Errorf("Keys() = %s", got)
	}
}

// TestCounters pins the counters, the keys of the mock's Stats.Faults, in
// the order the mock's stats index them.
func TestCounters(t *testing.T) {
	want := []string{CounterLatency, CounterRetcode, CounterHTTPError, CounterReset, CounterMalformed,
		CounterTruncated, CounterStall, CounterSlowBody, CounterWrongPhone, CounterSignInFail,
		CounterRotateEveryPoll, CounterTLSFail}
	if got := Counters(); !reflect.DeepEqual(got, want) {
		t.Errorf("Counters() = %v, want %v", got, want)
	}
	for _, fd := range fields {
		if fd.Counter != "" && fd.Kind != Rate && fd.Kind != Duration && fd.Kind != Bool {
			t.Errorf("%s: a %d parameter has counter %s", fd.Key, fd.Kind, fd.Counter)
		}
		if fd.Kind == Rate && fd.Counter == "" {
			t.Errorf("rate %s counts nothing", fd.Key)
		}
	}
}

func TestAnyRate(t *testing.T) {
	if (Faults{LatencyFixed: time.Second, SignInFailRate: 1, TLSFailRate: 1}).AnyRate(ScopeLoginInfo) {
		t.Error("latency and other scopes' rates are not logininfo rates")
	}
	if !(Faults{WrongPhoneRate: 0.1}).AnyRate(ScopeLoginInfo) || !(Faults{TLSFailRate: 0.1}).AnyRate(ScopeTLS) {
		t.Error("AnyRate misses a rate")
	}
}

func TestValidateNamesField(t *testing.T) {
	cases := map[string]Faults{
		"reset_rate":      {ResetRate: 1.5},
		"tls_fail_rate":   {TLSFailRate: -0.1},
		"stall_rate":      {StallRate: math.NaN()},
		"stall_for":       {StallFor: -time.Second},
		"latency_dist":    {LatencyDist: "normal"},
		"latency_mean":    {LatencyDist: LatencyExponential},
		"retcode":         {Retcode: `bad"code`},
		"http_status":     {HTTPStatus: 200},
		"sign_in_latency": {SignInLatency: -1},
	}
	for field, f := range cases {
		err := f.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != field || !strings.HasPrefix(err.Error(), "faults: "+field+": ") {
			t.Errorf("%+v: error %v, want one naming %s", f, err, field)
		}
	}
	for _, msg := range []string{
		(Faults{ResetRate: 2}).Validate().Error(),
		(Faults{Retcode: "0"}).Validate().Error(),
		(Faults{HTTPStatus: 600}).Validate().Error(),
	} {
		switch msg {
		case "faults: reset_rate: 2 is not a probability in [0, 1]",
			`faults: retcode: "0": want an error retcode such as 100-007`,
			"faults: http_status: 600: want 400..599":
		default:
			t.Errorf("message %q changed", msg)
		}
	}
	if err := (Faults{ResetRate: 1, HTTPStatus: 500, LatencyDist: LatencyUniform, Retcode: "999-001"}).Validate(); err != nil {
		t.Errorf("valid faults: %v", err)
	}
}

// TestJSONUnchanged pins the admin JSON: every key in the struct's order,
// durations as strings (testdata written by the reflection-based encoder
// this table replaced).
func TestJSONUnchanged(t *testing.T) {
	full := Faults{LatencyFixed: 2 * time.Millisecond, LatencyJitter: time.Millisecond, LatencyDist: "uniform",
		LatencyMean: 3 * time.Millisecond, RetcodeRate: 0.01, Retcode: "100-007", HTTPErrorRate: 0.02, HTTPStatus: 503,
		ResetRate: 0.001, MalformedRate: 0.002, TruncatedRate: 0.003, StallRate: 0.004, StallFor: 2 * time.Second,
		SlowBodyRate: 0.005, SlowBodyFor: 500 * time.Millisecond, WrongPhoneRate: 0.006, SignInFailRate: 0.007,
		SignInLatency: 5 * time.Millisecond, RotateEveryPoll: true, TLSFailRate: 1e-9}
	for file, f := range map[string]Faults{"testdata/zero.json": {}, "testdata/full.json": full} {
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(f)
		if err != nil || string(got) != string(want) {
			t.Errorf("%s:\n got %s, %v\nwant %s", file, got, err, want)
		}
		var back Faults
		if err := json.Unmarshal(got, &back); err != nil || back != f {
			t.Errorf("%s round trip: %+v, %v", file, back, err)
		}
	}
	if _, err := json.Marshal(Faults{ResetRate: math.Inf(1)}); err == nil || !strings.Contains(err.Error(), "reset_rate") {
		t.Errorf("an infinite rate: %v", err)
	}
}

func TestUnmarshalJSON(t *testing.T) {
	f := Faults{ResetRate: 0.5}
	if err := json.Unmarshal([]byte(`{"slow_body_for":1000000,"retcode":"100-001"}`), &f); err != nil ||
		f != (Faults{ResetRate: 0.5, SlowBodyFor: time.Millisecond, Retcode: "100-001"}) {
		t.Errorf("nanoseconds, absent fields kept: %+v %v", f, err)
	}
	for body, want := range map[string]string{
		`{"bogus":1}`:                        "faults: bogus: unknown field",
		`{"stall_for":"soon"}`:               `faults: stall_for: "soon" is not a duration such as 250ms`,
		`{"stall_for":true}`:                 `faults: stall_for: want a duration string such as "250ms" or nanoseconds`,
		`{"reset_rate":"high"}`:              "faults: reset_rate: want a number",
		`{"http_status":502.5}`:              "faults: http_status: want an integer",
		`{"rotate_every_poll":1}`:            "faults: rotate_every_poll: want a boolean",
		`{"latency_dist":1}`:                 "faults: latency_dist: want a string",
		`{"zz":1,"reset_rate":"x"}`:          "faults: reset_rate: want a number",
		`[1]`:                                "faults: json: cannot unmarshal array into Go value of type map[string]json.RawMessage",
		`{"retcode":"1","retcode_rate":"x"}`: "faults: retcode_rate: want a number",
	} {
		var f Faults
		err := json.Unmarshal([]byte(body), &f)
		if err == nil || err.Error() != want {
			t.Errorf("%s: error %v, want %s", body, err, want)
		}
	}
}
