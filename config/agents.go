package config

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"ccgw-harness/gateway"

	"go.yaml.in/yaml/v3"
)

// Agent limits and defaults.
const (
	// MaxAgents is the most agents one target may list.
	MaxAgents = 100000
	// MaxCSVSize is the largest agents.file read.
	MaxCSVSize = 16 << 20
	// DefaultMockAgentIDs are the agents of a mock target that lists none.
	DefaultMockAgentIDs = "1001-3000"
)

// maxFileAgents bounds the agent IDs one targets.yaml may expand to, so
// that aliases cannot multiply a file's memory use.
const maxFileAgents = 1000000

// Agents is a target's test agents (key agents). Password is resolved from
// the environment by File.Target and never printed: Agents formats itself
// with the password masked in every fmt verb.
type Agents struct {
	IDs            []int  // key ids: "1001-1200,1300" or a list of IDs and "N-M" ranges, in order; from the CSV when only file is given
	PhonenumPrefix string // key phonenum_prefix: digits put before the agent ID to make its phonenum
	PasswordEnv    string // key password_env: the environment variable holding the agents' password
	File           string // key file: CSV agentid,phonenum[,password], resolved relative to the targets.yaml directory
	Password       string `yaml:"-" json:"-"` // resolved from PasswordEnv by File.Target; never printed
	// NoPassword is set by File.Target when PasswordEnv names a variable
	// that is set but empty: the agents have no password and sign in with
	// an empty one (an unset variable is an error).
	NoPassword bool

	envLine, fileLine int              // lines of password_env and file, for File.Target's errors
	csv               map[int]csvAgent // rows of File, read by File.Target
	resolved          bool             // File.Target has run
}

// csvAgent is one agents.file row beyond its agent ID.
type csvAgent struct{ phone, password string }

// Agent is one test agent with everything sign-in needs.
type Agent struct {
	ID       int
	PhoneNum string
	Password string `json:"-"` // never printed: Agent masks it in every fmt verb
}

// masked is what a set password prints as.
const masked = "********"

// String describes the agents with the password masked.
func (a Agents) String() string {
	pw := "unset"
	if a.Password != "" {
		pw = masked
	}
	return fmt.Sprintf("{ids: %s (%d agents), phonenum_prefix: %q, password_env: %s, file: %s, password: %s}",
		FormatIDs(a.IDs), len(a.IDs), a.PhonenumPrefix, a.PasswordEnv, a.File, pw)
}

// Format implements fmt.Formatter so that no verb (%v, %+v, %#v, %s...)
// prints the password.
func (a Agents) Format(f fmt.State, _ rune) { io.WriteString(f, a.String()) }

// String describes the agent with the password masked.
func (a Agent) String() string {
	pw := "unset"
	if a.Password != "" {
		pw = masked
	}
	return fmt.Sprintf("{id: %d, phonenum: %s, password: %s}", a.ID, a.PhoneNum, pw)
}

// Format implements fmt.Formatter so that no verb prints the password.
func (a Agent) Format(f fmt.State, _ rune) { io.WriteString(f, a.String()) }

// FormatIDs writes agent IDs compactly, runs as ranges: "1001-1200,1300".
func FormatIDs(ids []int) string {
	var b strings.Builder
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(ids[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(ids[j]))
		}
		i = j + 1
	}
	return b.String()
}

var envNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

func (p *parser) agents(n *yaml.Node, path string, r gateway.IDRange, real bool) Agents {
	var a Agents
	m, ok := p.mapping(n, path, agentsKeys)
	if !ok {
		return a
	}
	if e, ok := m.get("phonenum_prefix"); ok {
		if s, ok := p.str(e.val, join(path, "phonenum_prefix"), true); ok {
			if s != "" && !isDigits(s) {
				p.errf(e.val, join(path, "phonenum_prefix"), "phonenum_prefix %s: want digits only", quote(s))
			} else {
				a.PhonenumPrefix = s
			}
		}
	}
	if e, ok := m.get("ids"); ok {
		a.IDs = p.ids(e.val, join(path, "ids"), r)
		if len(a.IDs) > 0 {
			maxID := a.IDs[0]
			for _, id := range a.IDs {
				maxID = max(maxID, id)
			}
			if l := len(a.PhonenumPrefix) + len(strconv.Itoa(maxID)); l > gateway.MaxPhoneNumLen {
				at, field := e.val, "ids"
				if pe, ok := m.get("phonenum_prefix"); ok {
					at, field = pe.val, "phonenum_prefix"
				}
				p.errf(at, join(path, field), "phonenum_prefix %s plus agent ID %d makes a %d-digit phonenum: the gateway allows at most %d",
					quote(a.PhonenumPrefix), maxID, l, gateway.MaxPhoneNumLen)
			}
		}
	}
	if e, ok := m.get("password_env"); ok {
		fp := join(path, "password_env")
		if d, ok := p.scalar(e.val, fp, "the name of an environment variable", true, "!!str"); ok {
			if !envNameRe.MatchString(d.Value) {
				// It may be a password pasted by mistake: never echo it.
				p.errf(e.val, fp, "want the name of an environment variable (letters, digits, '_'), not a password; the value is not shown")
			} else {
				a.PasswordEnv, a.envLine = d.Value, e.val.Line
			}
		}
	}
	if e, ok := m.get("file"); ok {
		if s, ok := p.str(e.val, join(path, "file"), false); ok {
			if s == "" {
				p.errf(e.val, join(path, "file"), "empty path: want a CSV of agentid,phonenum[,password]")
			} else {
				a.File, a.fileLine = p.resolvePath(s), e.val.Line
			}
		}
	}
	_, hasIDs := m.get("ids")
	_, hasFile := m.get("file")
	_, hasEnv := m.get("password_env")
	if !hasIDs && !hasFile {
		p.errf(m.node, path, "missing key \"ids\" or \"file\": name the test agents (ids: \"1001-1200\")")
	}
	if real && !hasEnv && !hasFile {
		p.errf(m.node, path, "missing key \"password_env\": a real gateway needs the agents' password (from an environment variable, never from YAML)")
	}
	return a
}

// defaultMockAgents gives a mock target without an agents block
// DefaultMockAgentIDs.
func (p *parser) defaultMockAgents(key *yaml.Node, path string, r gateway.IDRange) Agents {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: DefaultMockAgentIDs, Line: key.Line, Column: key.Column}
	return Agents{IDs: p.ids(n, join(path, "agents"), r)}
}

// span is an inclusive run of agent IDs and where it was written.
type span struct {
	lo, hi int
	node   *yaml.Node
	path   string
}

// ids reads agent IDs: "1001-1200,1300", a single integer, or a list whose
// items are integers or such strings. Every ID must lie within r, none may
// repeat, and at most MaxAgents are accepted.
func (p *parser) ids(n *yaml.Node, path string, r gateway.IDRange) []int {
	d := deref(n)
	var spans []span
	ok := true
	switch {
	case d != nil && d.Kind == yaml.SequenceNode:
		if len(d.Content) == 0 {
			p.errf(n, path, "empty list: name at least one agent")
			return nil
		}
		for i, it := range d.Content {
			ok = p.idItem(it, index(path, i), &spans) && ok
		}
	case d != nil && d.Kind == yaml.ScalarNode:
		ok = p.idItem(n, path, &spans)
	default:
		p.errf(n, path, "want agent IDs (\"1001-1200,1300\" or a list), got %s", describe(n, false))
		return nil
	}
	total := 0
	for _, s := range spans {
		if !r.Contains(s.lo) || !r.Contains(s.hi) {
			out := s.lo
			if r.Contains(s.lo) {
				out = s.hi
			}
			p.errf(s.node, s.path, "agent %d is outside agent_id_range %s", out, formatRange(r))
			ok = false
			continue
		}
		total += s.hi - s.lo + 1
		if total > MaxAgents {
			p.errf(n, path, "more than %d agents", MaxAgents)
			return nil
		}
	}
	if !ok {
		return nil
	}
	if p.nAgents+total > maxFileAgents {
		p.errf(n, path, "the file lists more than %d agents in all", maxFileAgents)
		return nil
	}
	p.nAgents += total
	ids := make([]int, 0, total)
	for _, s := range spans {
		for id := s.lo; id <= s.hi; id++ {
			ids = append(ids, id)
		}
	}
	sorted := append([]int(nil), ids...)
	sort.Ints(sorted)
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			p.errf(n, path, "agent %d is listed twice", sorted[i])
			return nil
		}
	}
	return ids
}

// idItem reads one scalar of an ids value into spans.
func (p *parser) idItem(n *yaml.Node, path string, spans *[]span) bool {
	d, ok := p.scalar(n, path, "an agent ID or a range such as \"1001-1200\"", false, "!!int", "!!str")
	if !ok {
		return false
	}
	if d.ShortTag() == "!!int" {
		id, ok := p.integer(d, path, 1, maxIDBound)
		if ok {
			*spans = append(*spans, span{id, id, n, path})
		}
		return ok
	}
	if strings.TrimSpace(d.Value) == "" {
		p.errf(n, path, "empty: want agent IDs such as \"1001-1200,1300\"")
		return false
	}
	ok = true
	for _, part := range strings.Split(d.Value, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		if !isRange {
			hi = lo
		}
		a, okA := parseID(strings.TrimSpace(lo))
		b, okB := parseID(strings.TrimSpace(hi))
		switch {
		case !okA || !okB:
			p.errf(n, path, "malformed id range %s: want N or N-M (digits, no leading zero), e.g. \"1001-1200,1300\"", quote(part))
			ok = false
		case a > b:
			p.errf(n, path, "id range %s: start is above end", quote(part))
			ok = false
		default:
			*spans = append(*spans, span{a, b, n, path})
		}
	}
	return ok
}

// parseID reads an agent ID as the gateway's path carries it: 1 to 9
// digits, no leading zero.
func parseID(s string) (int, bool) {
	if !isDigits(s) || len(s) > 9 || s[0] == '0' {
		return 0, false
	}
	id, err := strconv.Atoi(s)
	return id, err == nil
}

// resolve reads the password from the environment and the agents CSV.
func (a *Agents) resolve(file, path string, r gateway.IDRange, real bool) []*FieldError {
	var errs []*FieldError
	fail := func(line int, field, format string, args ...any) {
		errs = append(errs, &FieldError{File: file, Line: line, Field: join(path, field), Msg: oneLine(fmt.Sprintf(format, args...))})
	}
	if a.PasswordEnv != "" {
		v, set := os.LookupEnv(a.PasswordEnv)
		switch {
		case !set:
			fail(a.envLine, "password_env", "environment variable %s is unset: export the agents' password in it (set it empty for agents without a password)", a.PasswordEnv)
		case v == "":
			a.NoPassword = true
		case len(v) > gateway.MaxPasswordLen:
			fail(a.envLine, "password_env", "the password in %s is longer than the gateway's %d characters", a.PasswordEnv, gateway.MaxPasswordLen)
		default:
			a.Password = v
		}
	}
	if a.File != "" {
		rows, order, csvErrs := readAgentsCSV(a.File, r)
		for _, e := range csvErrs {
			fail(a.fileLine, "file", "%s", e)
		}
		a.csv = rows
		if len(a.IDs) == 0 {
			a.IDs = order
		}
		if len(csvErrs) == 0 && len(a.IDs) == 0 {
			fail(a.fileLine, "file", "agents CSV %s lists no agents", a.File)
		}
	}
	for _, id := range a.IDs {
		row := a.csv[id]
		if row.phone == "" {
			if l := len(a.PhonenumPrefix) + len(strconv.Itoa(id)); l > gateway.MaxPhoneNumLen {
				fail(a.fileLine, "file", "agent %d has no phonenum in %s and prefix+ID has %d digits (at most %d)", id, a.File, l, gateway.MaxPhoneNumLen)
				break
			}
		}
		if real && row.password == "" && a.Password == "" && a.PasswordEnv == "" {
			fail(a.fileLine, "file", "agent %d has no password in %s and password_env is not set", id, a.File)
			break
		}
	}
	a.resolved = true
	return errs
}

// readAgentsCSV reads agentid,phonenum[,password] rows (an optional header
// row starting with "agentid", # comments). It returns the rows by ID, the
// IDs in file order, and one message per bad row, each starting with
// "CSVFILE:ROW:". Messages never quote a password.
func readAgentsCSV(name string, r gateway.IDRange) (map[int]csvAgent, []int, []string) {
	data, err := readLimited(name, MaxCSVSize)
	if err != nil {
		return nil, nil, []string{fmt.Sprintf("agents CSV %s: %v", name, err)}
	}
	rd := csv.NewReader(bytes.NewReader(data))
	rd.Comment = '#'
	rd.FieldsPerRecord = -1
	rd.TrimLeadingSpace = true
	rows := map[int]csvAgent{}
	firstRow := map[int]int{}
	var order []int
	var errs []string
	bad := func(row int, format string, args ...any) {
		if len(errs) < MaxErrors {
			errs = append(errs, fmt.Sprintf("%s:%d: ", name, row)+fmt.Sprintf(format, args...))
		}
	}
	for first := true; ; first = false {
		rec, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad(pe.Line, "%v", pe.Err)
			} else {
				bad(0, "%v", err)
			}
			break
		}
		row, _ := rd.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if first && strings.EqualFold(rec[0], "agentid") {
			continue
		}
		if len(rec) < 2 || len(rec) > 3 {
			bad(row, "%d fields: want agentid,phonenum[,password]", len(rec))
			continue
		}
		id, ok := parseID(rec[0])
		if !ok {
			bad(row, "agentid %s: want digits, no leading zero", quote(rec[0]))
			continue
		}
		if !r.Contains(id) {
			bad(row, "agent %d is outside agent_id_range %s", id, formatRange(r))
			continue
		}
		if prev, dup := firstRow[id]; dup {
			bad(row, "agent %d is listed twice (first at row %d)", id, prev)
			continue
		}
		var ag csvAgent
		if ag.phone = rec[1]; ag.phone != "" && (!isDigits(ag.phone) || len(ag.phone) > gateway.MaxPhoneNumLen) {
			bad(row, "phonenum %s: want up to %d digits (or empty for prefix+agentid)", quote(ag.phone), gateway.MaxPhoneNumLen)
			continue
		}
		if len(rec) == 3 {
			if ag.password = rec[2]; len(ag.password) > gateway.MaxPasswordLen {
				bad(row, "password is longer than the gateway's %d characters (not shown)", gateway.MaxPasswordLen)
				continue
			}
		}
		if len(order) == MaxAgents {
			bad(row, "more than %d agents", MaxAgents)
			break
		}
		firstRow[id] = row
		rows[id] = ag
		order = append(order, id)
	}
	return rows, order, errs
}

// AgentList returns the target's first n agents (all when n <= 0), each
// with its phonenum (phonenum_prefix + ID unless agents.file gives one) and
// password (the CSV's, else the one from password_env). It fails when n
// exceeds the agents the target has, or when agents.file has not been read
// (get the target from File.Target).
func (t *Target) AgentList(n int) ([]Agent, error) {
	a := &t.Agents
	if a.File != "" && !a.resolved {
		return nil, fmt.Errorf("target %q: agents.file %s not read yet: get the target from File.Target", t.Name, a.File)
	}
	ids := a.IDs
	if n > len(ids) {
		return nil, fmt.Errorf("target %q has %d agents, %d wanted: add agents (agents.ids) or lower the plan's agents", t.Name, len(ids), n)
	}
	if n > 0 {
		ids = ids[:n]
	}
	out := make([]Agent, len(ids))
	for i, id := range ids {
		ag := Agent{ID: id, PhoneNum: a.PhonenumPrefix + strconv.Itoa(id), Password: a.Password}
		if row, ok := a.csv[id]; ok {
			if row.phone != "" {
				ag.PhoneNum = row.phone
			}
			if row.password != "" {
				ag.Password = row.password
			}
		}
		out[i] = ag
	}
	return out, nil
}
