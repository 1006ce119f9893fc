package reports

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func ptr[T any](v T) *T { return &v }

// reportJSON encodes a report as render.RunJSON writes report.json (the
// bytes of report.json itself are render's golden tests').
func reportJSON(t testing.TB, r *Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// aggregate adds results to a new Aggregator.
func aggregate(rs []vegeta.Result, opts ...Option) *Aggregator {
	a := NewAggregator(opts...)
	for i := range rs {
		a.Add(&rs[i])
	}
	return a
}

// firstDiff describes where two byte slices first differ.
func firstDiff(a, b []byte) string {
	al, bl := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y []byte
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if !bytes.Equal(x, y) {
			return "line " + strconv.Itoa(i+1) + ":\n  got:  " + string(x) + "\n  want: " + string(y)
		}
	}
	return "equal"
}

func itoa(i int) string { return strconv.Itoa(i) }
