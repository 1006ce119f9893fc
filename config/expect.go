package config

import (
	"net/http"

	"ccgw-harness/gateway"

	"go.yaml.in/yaml/v3"
)

// Expect is how a target answers one kind of bad logininfo request. Every
// such answer must be a rejection (non-2xx, or a non-"0" retcode, and never
// a token); Expect pins down which one.
type Expect struct {
	Status  int    // key status: the HTTP status; 0 = any rejection
	Retcode string // key retcode: the envelope retcode ("" = not checked)
	Allow   string // key allow: the Allow header ("" = not checked)
}

// Expectations is a target's expectation profile for the contract suite
// (key expect). Each key overrides DefaultExpectations per subkey: writing
// `wrong_method: {status: 404}` keeps allow "POST" (write allow: "" to drop
// that check).
type Expectations struct {
	WrongMethod    Expect   // key wrong_method: GET/PUT/DELETE on logininfo
	MissingGuid    Expect   // key missing_guid: no Guid header
	EmptyGuid      Expect   // key empty_guid: an empty Guid header
	MalformedGuid  Expect   // key malformed_guid: a Guid of the wrong shape
	UnknownGuid    Expect   // key unknown_guid: a well-formed Guid no session has
	OtherAgentGuid Expect   // key other_agent_guid: another signed-in agent's Guid
	SignedOutGuid  Expect   // key signed_out_guid: the Guid of a session that signed out
	ReplacedGuid   Expect   // key replaced_guid: a Guid replaced by a forced sign-in or rotation
	BadAgentID     Expect   // key bad_agent_id: an agent ID outside the range or not digits
	ContentTypes   []string // key content_types: request Content-Types the gateway must accept
}

// DefaultExpectations is the documented behaviour: wrong_method 405 with
// Allow: POST; missing, empty and other-agent Guids 200 with 000-003;
// malformed, unknown, signed-out and replaced Guids 200 with 100-006; a bad
// agent ID 200 with 000-002; and the documented Content-Type with and
// without the space, and bare application/json.
func DefaultExpectations() Expectations {
	noPerm := Expect{Status: http.StatusOK, Retcode: gateway.RetNoPermission}
	notIn := Expect{Status: http.StatusOK, Retcode: gateway.RetNotSignedIn}
	return Expectations{
		WrongMethod:    Expect{Status: http.StatusMethodNotAllowed, Allow: http.MethodPost},
		MissingGuid:    noPerm,
		EmptyGuid:      noPerm,
		OtherAgentGuid: noPerm,
		MalformedGuid:  notIn,
		UnknownGuid:    notIn,
		SignedOutGuid:  notIn,
		ReplacedGuid:   notIn,
		BadAgentID:     Expect{Status: http.StatusOK, Retcode: gateway.RetBadParam},
		ContentTypes:   []string{gateway.ContentTypeJSON, "application/json;charset=UTF-8", "application/json"},
	}
}

// fields lists the expect keys and the Expect each one sets.
func (e *Expectations) fields() []struct {
	key string
	dst *Expect
} {
	return []struct {
		key string
		dst *Expect
	}{
		{"wrong_method", &e.WrongMethod}, {"missing_guid", &e.MissingGuid}, {"empty_guid", &e.EmptyGuid},
		{"malformed_guid", &e.MalformedGuid}, {"unknown_guid", &e.UnknownGuid}, {"other_agent_guid", &e.OtherAgentGuid},
		{"signed_out_guid", &e.SignedOutGuid}, {"replaced_guid", &e.ReplacedGuid}, {"bad_agent_id", &e.BadAgentID},
	}
}

// expectCases lists the expect keys that each set an Expect.
func expectCases() []string {
	var keys []string
	for _, f := range (&Expectations{}).fields() {
		keys = append(keys, f.key)
	}
	return keys
}

// expectKeys lists the keys of an expect block.
func expectKeys() []string { return append(expectCases(), "content_types") }

// expectations overrides ex (the defaults) with an expect: block.
func (p *parser) expectations(n *yaml.Node, path string, ex *Expectations) {
	fs := ex.fields()
	m, ok := p.mapping(n, path, expectKeys())
	if !ok {
		return
	}
	for _, f := range fs {
		if e, ok := m.get(f.key); ok {
			p.expect(e.val, join(path, f.key), f.dst)
		}
	}
	if e, ok := m.get("content_types"); ok {
		fp := join(path, "content_types")
		items, ok := p.list(e.val, fp, "Content-Types")
		if !ok {
			return
		}
		if len(items) == 0 {
			p.errf(e.val, fp, "empty list: want at least one Content-Type, e.g. %q", gateway.ContentTypeJSON)
			return
		}
		var cts []string
		for i, it := range items {
			if s, ok := p.str(it, index(fp, i), false); ok {
				if s == "" {
					p.errf(it, index(fp, i), "empty Content-Type")
					continue
				}
				cts = append(cts, s)
			}
		}
		ex.ContentTypes = cts
	}
}

// expect overrides dst per subkey.
func (p *parser) expect(n *yaml.Node, path string, dst *Expect) {
	m, ok := p.mapping(n, path, expectSubKeys)
	if !ok {
		return
	}
	if e, ok := m.get("status"); ok {
		fp := join(path, "status")
		if v, ok := p.integer(e.val, fp, 0, 599); ok {
			if v != 0 && v < 100 {
				p.errf(e.val, fp, "status %d: want an HTTP status (100..599) or 0 for any rejection", v)
			} else {
				dst.Status = v
			}
		}
	}
	if e, ok := m.get("retcode"); ok {
		fp := join(path, "retcode")
		if d := deref(e.val); d != nil && d.Kind == yaml.ScalarNode && d.ShortTag() == "!!str" && d.Value == "" {
			dst.Retcode = ""
		} else if v, ok := p.retcode(e.val, fp); ok {
			if v == gateway.RetOK {
				p.errf(e.val, fp, "retcode \"0\" is success, not a rejection: want e.g. %q", gateway.RetNotSignedIn)
			} else {
				dst.Retcode = v
			}
		}
	}
	if e, ok := m.get("allow"); ok {
		if v, ok := p.str(e.val, join(path, "allow"), false); ok {
			dst.Allow = v
		}
	}
}
