package contract_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"ccgw-harness/config"
	"ccgw-harness/gateway"
)

// contractError is a broken contract, described without secrets. Gomega
// prints it through GomegaString, so failure output shows only this text.
type contractError struct{ msg string }

// Error implements error.
func (e *contractError) Error() string { return e.msg }

// GomegaString is what Gomega prints for the value.
func (e *contractError) GomegaString() string { return e.msg }

// FormattedGomegaError is what Gomega's Succeed matcher prints.
func (e *contractError) FormattedGomegaError() string { return e.msg }

// safe turns any error into a contractError carrying only its text (the
// gateway client's errors hold no secrets), so that Gomega prints the text
// and not the error's fields.
func safe(err error) error {
	if err == nil {
		return nil
	}
	var ce *contractError
	if errors.As(err, &ce) {
		return ce
	}
	return &contractError{msg: err.Error()}
}

// findings collects the problems of one answer.
type findings struct {
	what     string
	problems []string
}

func newFindings(format string, args ...any) *findings {
	return &findings{what: fmt.Sprintf(format, args...)}
}

func (f *findings) add(format string, args ...any) {
	f.problems = append(f.problems, fmt.Sprintf(format, args...))
}

// err returns nil without problems, else one error listing them all.
func (f *findings) err() error {
	if len(f.problems) == 0 {
		return nil
	}
	return &contractError{msg: f.what + ": " + strings.Join(f.problems, "; ")}
}

// call is one raw logininfo-style request: the path, the session whose Guid
// and cookies it carries (nil for none) and header overrides.
type call struct {
	method  string
	path    string
	session *gateway.Session
	header  http.Header
	body    []byte
}

// do sends c with its own Call timeout. The error says only that no answer
// came (and why), never a secret.
func do(ctx context.Context, c call) (*gateway.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, settings.Timeouts.Call)
	defer cancel()
	method := c.method
	if method == "" {
		method = http.MethodPost
	}
	r, err := suite.Client.Do(ctx, method, c.path, c.session, c.header, c.body)
	if err != nil {
		return nil, &contractError{msg: fmt.Sprintf("%s %s: no answer from the gateway: %v", method, c.path, gateway.ClassifyError(err).Key())}
	}
	return r, nil
}

// withGuid returns header overrides that send guid as the Guid header.
func withGuid(guid string) http.Header { return http.Header{gateway.HeaderGuid: {guid}} }

// accepted reports whether an answer says success: a 2xx status with an
// envelope whose retcode is "0".
func accepted(r *gateway.Response) bool {
	return r.Status >= 200 && r.Status < 300 && r.Envelope != nil && r.Envelope.Retcode == gateway.RetOK
}

// checkRejected holds an answer to the rejection invariant (refused:
// non-2xx or a retcode other than "0", and no phonetoken anywhere in the
// body) and to exp, the target's expectation for this case (status, retcode
// and Allow header, each checked when set).
func checkRejected(r *gateway.Response, exp config.Expect, what string) error {
	f := newFindings("%s", what)
	if accepted(r) {
		f.add("the gateway accepted it (HTTP %d, retcode \"0\")", r.Status)
	}
	if tok, ok := tokenIn(r.Body); ok {
		f.add("the answer carries a phonetoken (%s)", tok)
	}
	if exp.Status != 0 && r.Status != exp.Status {
		f.add("HTTP %d, the profile expects %d", r.Status, exp.Status)
	}
	if exp.Retcode != "" {
		switch {
		case r.Envelope == nil:
			f.add("no envelope (%s), the profile expects retcode %s", envelopeProblem(r.EnvelopeErr), exp.Retcode)
		case r.Envelope.Retcode != exp.Retcode:
			f.add("retcode %s (%s), the profile expects %s (%s)", showRetcode(r.Envelope.Retcode),
				gateway.RetcodeMeaning(r.Envelope.Retcode), exp.Retcode, gateway.RetcodeMeaning(exp.Retcode))
		}
	}
	if exp.Allow != "" {
		got := r.Header.Values("Allow")
		if !sameMethods(got, exp.Allow) {
			f.add("Allow header %q, the profile expects %q", strings.Join(got, ", "), exp.Allow)
		}
	}
	return f.err()
}

// describeExpect says what a profile entry demands.
func describeExpect(e config.Expect) string {
	var parts []string
	if e.Status != 0 {
		parts = append(parts, "HTTP "+strconv.Itoa(e.Status))
	}
	if e.Retcode != "" {
		parts = append(parts, "retcode "+e.Retcode)
	}
	if e.Allow != "" {
		parts = append(parts, "Allow: "+e.Allow)
	}
	if len(parts) == 0 {
		return "any rejection"
	}
	return strings.Join(parts, ", ")
}

// sameMethods reports whether Allow header values list exactly the methods
// of want (comma-separated; order and case ignored).
func sameMethods(values []string, want string) bool {
	split := func(s string) []string {
		var out []string
		for _, m := range strings.Split(s, ",") {
			if m = strings.ToUpper(strings.TrimSpace(m)); m != "" {
				out = append(out, m)
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	return slices.Equal(split(strings.Join(values, ",")), split(want))
}

// showRetcode quotes a retcode from the gateway, bounded in size.
func showRetcode(rc string) string {
	if len(rc) > 16 {
		rc = rc[:16] + "..."
	}
	return strconv.Quote(rc)
}

// envelopeProblem names why a body is no envelope, without quoting it.
func envelopeProblem(err error) string {
	switch {
	case err == nil:
		return "none"
	case errors.Is(err, gateway.ErrTruncated):
		return "empty or truncated body"
	case errors.Is(err, gateway.ErrBodyTooLarge):
		return "body over 1 MiB"
	}
	msg := err.Error()
	for _, known := range []string{"no retcode", "retcode is not a string", "message is not a string", "result is not an object", "not a JSON object", "data after the JSON object"} {
		if strings.Contains(msg, known) {
			return "malformed: " + known
		}
	}
	if strings.Contains(msg, " appears ") {
		return "malformed: a member appears more than once"
	}
	return "malformed JSON"
}

// tokenIn reports whether a body carries a phonetoken: a non-empty
// "phonetoken" member anywhere in a JSON body, or the word anywhere in a
// body that is not JSON. It returns the token masked.
func tokenIn(body []byte) (string, bool) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		if bytes.Contains(bytes.ToLower(body), []byte("phonetoken")) {
			return "the word phonetoken in a body that is not JSON", true
		}
		return "", false
	}
	var found string
	var ok bool
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				if strings.EqualFold(k, "phonetoken") && val != nil && val != "" {
					ok = true
					found = maskAny(val)
				}
				walk(val)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return found, ok
}

// maskAny masks a JSON value that may be a secret.
func maskAny(v any) string {
	switch x := v.(type) {
	case string:
		return gateway.Mask(x)
	case json.Number:
		return "the number " + gateway.Mask(x.String())
	}
	return "a " + kindOf(v)
}

// kindOf names a decoded JSON value's type.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

// checkLoginInfo holds a logininfo answer to the whole success contract as
// the contract oracle (gateway.CheckLoginInfo) decides it: HTTP 200,
// Content-Type application/json, an envelope whose message is a string,
// whose retcode is the string "0" and whose result is an object with a
// non-empty string phonetoken and, as a string, the phonenum the agent
// signed in with. The error lists every problem the oracle found. It
// returns the token and phonenum the answer carried.
func checkLoginInfo(r *gateway.Response, wantPhone, what string) (gateway.LoginInfo, error) {
	c := gateway.CheckLoginInfo(r.Status, r.Header.Get(gateway.HeaderContentType), r.Body, wantPhone)
	return c.LoginInfo, safe(c.Err(what))
}

// loginInfoOf asks for sess's logininfo with a raw request and checks the
// whole success contract.
func loginInfoOf(ctx context.Context, sess *gateway.Session, what string) (gateway.LoginInfo, error) {
	r, err := do(ctx, call{path: gateway.LoginInfoPath(sess.AgentID), session: sess})
	if err != nil {
		return gateway.LoginInfo{}, err
	}
	return checkLoginInfo(r, sess.PhoneNum, what)
}
