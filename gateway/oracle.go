package gateway

import (
	"errors"
	"fmt"
	"mime"
	"strconv"
	"strings"
)

// This file is the contract oracle: the one place that says what a
// successful logininfo answer is. The load engine's judge, the contract
// suite and the client all ask it (the load engine through an
// allocation-free fast path that is proven, by fuzzing, to say success only
// when the oracle does). The decisions, where the vendor documentation
// leaves room (docs/gateway.md: every body is `{"message": string, "retcode":
// string, "result": object}`), are those of a strict client:
//
//   - HTTP status 200; any other status is ClassHTTP, whatever the body.
//   - The body is exactly one JSON object (JSON white space around it is
//     fine); empty or cut short is "envelope truncated", anything else that
//     is not one JSON object is "envelope malformed".
//   - message, retcode and result each appear at most once: a duplicated
//     envelope member makes the body ambiguous, so "envelope malformed"
//     (most decoders let the last one win, which is not something to rely
//     on). retcode is a string; message, when present, is a string or null;
//     result, when present, is an object or null; other types are
//     "envelope malformed". Other members are ignored; names match exactly.
//   - retcode "0"; another retcode is ClassRetcode with the code, unless the
//     error answer carries a phonetoken ("contract token_on_error").
//   - Content-Type is application/json (IsJSONContentType); else "contract
//     content_type". Only a success answer is judged by it.
//   - message is a string: the vendor sends one in every answer, so a
//     success answer without one (missing or null) is "contract no_message".
//     It is a contract violation, not an envelope error, because the answer
//     is readable and says success.
//   - result is an object ("contract no_result" when missing or null) whose
//     phonetoken and phonenum, when present, are strings and appear once
//     ("contract result_types" otherwise: another type, or given twice).
//   - phonetoken is a non-empty string ("contract empty_token" when missing,
//     null or "").
//   - phonenum is a non-empty string equal to the number the agent signed
//     in with ("contract wrong_phonenum" otherwise, also when missing or
//     null; an empty wanted phonenum therefore matches no answer: sign-in
//     requires one).
//
// When an answer breaks several rules its verdict is the first in that
// order.

// IsJSONContentType reports whether a Content-Type header value names
// application/json: a media type that mime.ParseMediaType parses without
// error (so every parameter is well formed: `application/json; charset` is
// not JSON), whose type/subtype, between optional spaces and tabs, is
// "application/json" in any ASCII case. Other Unicode letters that fold
// to ASCII ones (U+0130, U+017F) are not JSON. The usual spellings
// (application/json alone or with one charset parameter of token
// characters) are recognised without allocating.
func IsJSONContentType(ct string) bool {
	return plainJSONContentType(ct) || parsedJSONContentType(ct)
}

// mediaTypeJSON is the media type of every gateway answer.
const mediaTypeJSON = "application/json"

// plainJSONContentType is IsJSONContentType's allocation-free fast path:
// "application/json" (any ASCII case), optionally followed by ";", one
// optional space and "charset=" with a value of letters, digits, '-' and
// '_'. It only ever accepts what parsedJSONContentType accepts.
func plainJSONContentType(ct string) bool {
	if len(ct) < len(mediaTypeJSON) || !asciiEqualFold(ct[:len(mediaTypeJSON)], mediaTypeJSON) {
		return false
	}
	rest := ct[len(mediaTypeJSON):]
	if rest == "" {
		return true
	}
	if rest[0] != ';' {
		return false
	}
	rest = rest[1:]
	if rest != "" && rest[0] == ' ' {
		rest = rest[1:]
	}
	const charset = "charset="
	if len(rest) <= len(charset) || !asciiEqualFold(rest[:len(charset)], charset) {
		return false
	}
	for i := len(charset); i < len(rest); i++ {
		switch c := rest[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// parsedJSONContentType is IsJSONContentType by its definition.
func parsedJSONContentType(ct string) bool {
	base, _, _ := strings.Cut(ct, ";")
	if !asciiEqualFold(strings.Trim(base, " \t"), mediaTypeJSON) {
		return false
	}
	_, _, err := mime.ParseMediaType(ct)
	return err == nil
}

// asciiEqualFold reports whether s equals lower, a lower-case ASCII string,
// ignoring ASCII case only.
func asciiEqualFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// Part names what a Finding is about.
type Part string

// The parts of a logininfo answer.
const (
	PartStatus      Part = "status"       // the HTTP status
	PartContentType Part = "content_type" // the Content-Type header
	PartBody        Part = "body"         // the body as a whole (empty, cut short, not one JSON object)
	PartMessage     Part = "message"      // the envelope's message
	PartRetcode     Part = "retcode"      // the envelope's retcode
	PartResult      Part = "result"       // the envelope's result
	PartPhoneToken  Part = "phonetoken"   // result.phonetoken
	PartPhoneNum    Part = "phonenum"     // result.phonenum
)

// Finding is one way a logininfo answer falls short of the success
// contract.
type Finding struct {
	Part Part
	// Shape is true when the problem is the part's presence or JSON type
	// (missing, null, another type, given twice, or a body that is no JSON
	// object), false when it has its documented type and a wrong value
	// (and for the status and the Content-Type).
	Shape bool
	// Text says what is wrong, for people. It never holds a Guid or a
	// token; values from the answer are quoted and bounded.
	Text string
}

// LoginInfoCheck is the full judgement of one logininfo answer.
type LoginInfoCheck struct {
	// Verdict is what JudgeLoginInfo returns for the same answer.
	Verdict Verdict
	// LoginInfo holds the phonetoken and phonenum the answer carried, as
	// far as they were strings (also when the verdict is not success).
	LoginInfo LoginInfo
	// Findings lists every rule the answer breaks, in judging order. It is
	// empty exactly when Verdict is success. For an error answer (a retcode
	// other than "0") the rules of the result are not listed: the retcode
	// says why there is none; the rules every answer follows (the envelope,
	// a message string, a JSON Content-Type) are.
	Findings []Finding
}

// Err returns nil when the check is success, else an error "WHAT: finding;
// finding... (verdict: CLASS DETAIL)". Like the findings, it holds no
// secret.
func (c LoginInfoCheck) Err(what string) error {
	if c.Verdict.OK() {
		return nil
	}
	texts := make([]string, len(c.Findings))
	for i, f := range c.Findings {
		texts[i] = f.Text
	}
	return errors.New(what + ": " + strings.Join(texts, "; ") + " (verdict: " + c.Verdict.String() + ")")
}

// About returns the texts of the findings about any of parts; with
// shapeOnly, only those with Shape set.
func (c LoginInfoCheck) About(shapeOnly bool, parts ...Part) []string {
	var out []string
	for _, f := range c.Findings {
		if shapeOnly && !f.Shape {
			continue
		}
		for _, p := range parts {
			if f.Part == p {
				out = append(out, f.Text)
				break
			}
		}
	}
	return out
}

// JudgeLoginInfo judges one logininfo answer for the agent that signed in
// with wantPhone. contentType is the response's Content-Type header. The
// rules are the oracle's (see this file's comment); CheckLoginInfo gives
// the same verdict with every finding.
func JudgeLoginInfo(status int, contentType string, body []byte, wantPhone string) Verdict {
	return judgeLoginInfo(status, contentType, body, wantPhone, false).Verdict
}

// CheckLoginInfo judges one logininfo answer as JudgeLoginInfo does and
// also lists every rule it breaks, so that a person sees all problems at
// once. The contract suite's success check is CheckLoginInfo.
func CheckLoginInfo(status int, contentType string, body []byte, wantPhone string) LoginInfoCheck {
	return judgeLoginInfo(status, contentType, body, wantPhone, true)
}

// judging is the state of one judgement: the verdict is the first rule
// broken; with all, every broken rule becomes a finding and judging goes
// on, else it stops at the first.
type judging struct {
	c   LoginInfoCheck
	all bool
}

// fail records a broken rule and reports whether judging stops. text is
// called only when every finding is wanted, so JudgeLoginInfo formats none.
func (j *judging) fail(part Part, shape bool, v Verdict, text func() string) (stop bool) {
	if j.c.Verdict.OK() {
		j.c.Verdict = v
	}
	if !j.all {
		return true
	}
	j.c.Findings = append(j.c.Findings, Finding{Part: part, Shape: shape, Text: text()})
	return false
}

// Verdicts of the envelope class.
var (
	verdictTruncated = Verdict{Class: ClassEnvelope, Detail: "truncated"}
	verdictMalformed = Verdict{Class: ClassEnvelope, Detail: "malformed"}
)

func contractVerdict(kind string) Verdict { return Verdict{Class: ClassContract, Detail: kind} }

// judgeLoginInfo is JudgeLoginInfo (all false) and CheckLoginInfo (all
// true): one sequence of rules, so both give the same verdict.
func judgeLoginInfo(status int, contentType string, body []byte, wantPhone string, all bool) LoginInfoCheck {
	j := judging{c: LoginInfoCheck{Verdict: Verdict{Class: ClassOK}}, all: all}
	if status != 200 {
		if j.fail(PartStatus, false, Verdict{Class: ClassHTTP, Detail: strconv.Itoa(status)}, func() string { return fmt.Sprintf("HTTP %d, want 200", status) }) {
			return j.c
		}
	}
	r := readEnvelope(body)
	for _, p := range r.problems {
		v := verdictMalformed
		if p.truncated {
			v = verdictTruncated
		}
		if j.fail(p.part, true, v, func() string { return "the body is no envelope: " + p.text }) {
			return j.c
		}
	}
	// The members that could be read, each once and of its type.
	rcOK := r.retcode.usable(`"`)
	resOK := r.result.usable(`{`)
	var res loginInfoRead
	if resOK {
		res = readLoginInfo(r.result.raw)
		j.c.LoginInfo = res.li
	}
	if rcOK && r.env.Retcode != RetOK {
		if resOK && len(res.problems) == 0 && res.li.PhoneToken != "" {
			if j.fail(PartPhoneToken, false, contractVerdict(ViolationTokenOnError), func() string {
				return "an error answer (retcode " + quoted(r.env.Retcode) + ") carries a phonetoken"
			}) {
				return j.c
			}
		}
		if j.fail(PartRetcode, false, Verdict{Class: ClassRetcode, Detail: sanitizeRetcode(r.env.Retcode)},
			func() string {
				return "retcode " + quoted(r.env.Retcode) + " (" + RetcodeMeaning(r.env.Retcode) + "), want \"0\""
			}) {
			return j.c
		}
	}
	if !IsJSONContentType(contentType) {
		if j.fail(PartContentType, false, contractVerdict(ViolationContentType), func() string {
			return "Content-Type " + quoted(contentType) + ", want application/json"
		}) {
			return j.c
		}
	}
	if !r.object {
		return j.c
	}
	if m := r.message; m.n == 0 || m.raw[0] == 'n' {
		if j.fail(PartMessage, true, contractVerdict(ViolationNoMessage), func() string { return "message is " + jsonKind(m.raw) + ", want a string" }) {
			return j.c
		}
	}
	if rcOK && r.env.Retcode != RetOK {
		return j.c // an error answer: its retcode says why there is no result
	}
	if m := r.result; m.n == 0 || m.raw[0] == 'n' {
		j.fail(PartResult, true, contractVerdict(ViolationNoResult), func() string { return "result is " + jsonKind(m.raw) + ", want an object" })
		return j.c
	}
	if !resOK {
		return j.c // given twice or not an object: found above
	}
	for _, p := range res.problems {
		if j.fail(p.part, true, contractVerdict(ViolationResultTypes), func() string { return p.text }) {
			return j.c
		}
	}
	if tok := res.token; tok.n == 0 || tok.raw[0] == 'n' {
		if j.fail(PartPhoneToken, true, contractVerdict(ViolationEmptyToken), func() string {
			return "result.phonetoken is " + jsonKind(tok.raw) + ", want a non-empty string"
		}) {
			return j.c
		}
	} else if tok.usable(`"`) && res.li.PhoneToken == "" {
		if j.fail(PartPhoneToken, false, contractVerdict(ViolationEmptyToken), func() string { return "result.phonetoken is empty" }) {
			return j.c
		}
	}
	switch num := res.num; {
	case num.n == 0 || num.raw[0] == 'n':
		j.fail(PartPhoneNum, true, contractVerdict(ViolationWrongPhone), func() string {
			return "result.phonenum is " + jsonKind(num.raw) + ", want the string " + quoted(wantPhone)
		})
	case !num.usable(`"`):
		// given twice or not a string: found above
	case res.li.PhoneNum == "" || res.li.PhoneNum != wantPhone:
		j.fail(PartPhoneNum, false, contractVerdict(ViolationWrongPhone), func() string {
			got := quoted(res.li.PhoneNum)
			if res.li.PhoneNum == "" {
				got = "empty"
			}
			return "result.phonenum is " + got + ", want " + quoted(wantPhone) + " (the number this agent signed in with)"
		})
	}
	return j.c
}

// quoted quotes a value from an answer or the configuration for a finding,
// bounded in size.
func quoted(s string) string {
	if len(s) > 64 {
		return strconv.Quote(s[:64]) + "..."
	}
	return strconv.Quote(s)
}
