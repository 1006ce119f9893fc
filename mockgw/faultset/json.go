package faultset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// MarshalJSON writes every field, in the struct's order, under its Key;
// durations are Go duration strings.
func (f Faults) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, fd := range fields {
		var v any
		switch p := fd.ptr(&f).(type) {
		case *time.Duration:
			v = p.String()
		case *float64:
			v = *p
		case *string:
			v = *p
		case *int:
			v = *p
		case *bool:
			v = *p
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("faults: %s: %w", fd.Key, err)
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(fd.Key)
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(b)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// UnmarshalJSON reads Faults strictly: unknown fields and mistyped values are
// errors (*FieldError) naming the field; durations are Go duration strings or
// nanoseconds. Fields absent from the input keep their values. Members are
// read in sorted order, so the error for a bad input is always the same one.
func (f *Faults) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("faults: %w", err)
	}
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fd, ok := Lookup(name)
		if !ok {
			return &FieldError{Field: name, Reason: "unknown field"}
		}
		raw := m[name]
		var err error
		switch p := fd.ptr(f).(type) {
		case *time.Duration:
			d, derr := parseJSONDuration(raw)
			if derr != nil {
				return &FieldError{Field: name, Reason: derr.Error()}
			}
			*p = d
			continue
		case *float64:
			err = decode(raw, p)
		case *string:
			err = decode(raw, p)
		case *int:
			err = decode(raw, p)
		case *bool:
			err = decode(raw, p)
		}
		if err != nil {
			return &FieldError{Field: name, Reason: "want " + jsonKind(fd.Kind)}
		}
	}
	return nil
}

// decode sets *p from raw, leaving it alone when raw does not fit.
func decode[T any](raw json.RawMessage, p *T) error {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	*p = v
	return nil
}

// jsonKind names what a field of kind k holds the way a JSON user thinks of it.
func jsonKind(k Kind) string {
	switch k {
	case Rate:
		return "a number"
	case Status:
		return "an integer"
	case Bool:
		return "a boolean"
	}
	return "a string"
}

// parseJSONDuration reads "20ms" or a number of nanoseconds.
func parseJSONDuration(raw json.RawMessage) (time.Duration, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration such as 250ms", s)
		}
		return d, nil
	}
	var n int64
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, errors.New("want a duration string such as \"250ms\" or nanoseconds")
	}
	return time.Duration(n), nil
}
