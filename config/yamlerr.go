package config

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

var (
	yamlLineRe   = regexp.MustCompile(`^yaml: line ([0-9]+): (.*)$`)
	yamlAnchorRe = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)
)

// yamlParserProblems are the messages of the YAML library's parser (as
// opposed to its scanner). The library reports their line 0-based, and
// omits it on the first line; they name where the enclosing block starts.
var yamlParserProblems = map[string]bool{
	"did not find expected <stream-start>": true, "did not find expected <document start>": true,
	"found undefined tag handle": true, "did not find expected node content": true,
	"did not find expected '-' indicator": true, "did not find expected key": true,
	"did not find expected ',' or ']'": true, "did not find expected ',' or '}'": true,
	"found duplicate %YAML directive": true, "found incompatible YAML document": true,
	"found duplicate %TAG directive": true,
}

// yamlError turns an error of the YAML library into a FieldError with a
// 1-based line: the library's own where it gives one (corrected for its
// parser's 0-based lines), else one found in data.
func yamlError(path string, data []byte, err error) *FieldError {
	msg := err.Error()
	line := 0
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if yamlParserProblems[msg] {
			// The parser names the line where the enclosing block starts.
			line++
			msg += " (in the block that starts on this line)"
		}
	} else {
		if m := yamlAnchorRe.FindStringSubmatch(msg); m != nil {
			if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
				line = 1 + bytes.Count(data[:i], []byte("\n"))
			}
		}
		msg = strings.TrimPrefix(msg, "yaml: ")
		if line == 0 {
			line = badCharLine(data) // reader errors: bad UTF-8, control characters
		}
		if line == 0 {
			line = 1 // the scanner and parser omit line 1
		}
	}
	return &FieldError{File: path, Line: line, Msg: "bad YAML: " + oneLine(msg)}
}

// badCharLine is the 1-based line of the first byte YAML refuses (invalid
// UTF-8 or a control character other than tab, LF and CR); 0 if none.
func badCharLine(data []byte) int {
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return line
		case r == '\n':
			line++
		case r == '\t' || r == '\r' || r == 0x85:
		case r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0xfffe || r == 0xffff:
			return line
		}
		i += size
	}
	return 0
}
