package mockgw

import (
	"net/http"
	"strconv"
	"sync"

	"ccgw-harness/gateway"
)

// Content types of answers. The slices are shared and never modified.
var (
	ctJSON = []string{"application/json;charset=UTF-8"}
	ctText = []string{"text/plain;charset=UTF-8"}
)

// ContentTypeJSON is the Content-Type of every envelope the mock sends.
const ContentTypeJSON = "application/json;charset=UTF-8"

// Header keys written verbatim (not canonicalised), as the gateway spells
// them.
const (
	hdrSetGuid = gateway.HeaderSetGuid
	hdrAllow   = "Allow"
)

// Envelopes that never change.
var (
	bodyOKEmpty = []byte(`{"message":"success","retcode":"0","result":{}}`)
	// bodyPoll is an event poll's answer with no event, byte for byte what
	// the gateway sends: no "event" member at all (the vendor's examples
	// show one only when there is an event, cec_07_1274), no "result", no
	// trailing newline. Clients compare it whole to tell an idle poll.
	bodyPoll = []byte(`{"message":"","retcode":"0"}`)
	// bodyMalformed is the MalformedRate answer: it starts like an envelope
	// but is not valid JSON.
	bodyMalformed = []byte(`{"message":"success","retcode":"0","result":{"phonetoken":,"phonenum":}}`)
)

// errorBodies holds the envelopes of the documented error retcodes.
var errorBodies = func() map[string][]byte {
	m := map[string][]byte{}
	for _, rc := range knownRetcodes {
		if rc != gateway.RetOK {
			m[rc] = errorBody(rc)
		}
	}
	return m
}()

// errorBody builds an error envelope; rc must need no JSON escaping
// (Faults.Validate ensures that for injected retcodes).
func errorBody(rc string) []byte {
	b := []byte(`{"message":`)
	b = strconv.AppendQuote(b, gateway.RetcodeMeaning(rc))
	b = append(b, `,"retcode":"`...)
	b = append(b, rc...)
	b = append(b, `","result":{}}`...)
	return b
}

// errBody returns the envelope of a documented error retcode.
func errBody(rc string) []byte {
	if b, ok := errorBodies[rc]; ok {
		return b
	}
	return errorBody(rc)
}

// bufPool recycles answer buffers.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 0, 256)
	return &b
}}

// getBuf returns an empty pooled buffer.
func getBuf() *[]byte {
	bp := bufPool.Get().(*[]byte)
	*bp = (*bp)[:0]
	return bp
}

// putBuf returns a buffer to the pool.
func putBuf(bp *[]byte) {
	if cap(*bp) <= 4096 {
		bufPool.Put(bp)
	}
}

// loginInfoOpts shape a logininfo success envelope (defects).
type loginInfoOpts struct {
	numericRetcode bool
	numericToken   bool
}

// appendLoginInfo appends a logininfo success envelope.
func appendLoginInfo(b []byte, token []byte, phonenum string, o loginInfoOpts) []byte {
	if o.numericRetcode {
		b = append(b, `{"message":"success","retcode":0,"result":{"phonetoken":`...)
	} else {
		b = append(b, `{"message":"success","retcode":"0","result":{"phonetoken":`...)
	}
	if o.numericToken {
		b = append(b, '1')
		for _, c := range token {
			b = append(b, '0'+c%10)
		}
	} else {
		b = append(b, '"')
		b = append(b, token...)
		b = append(b, '"')
	}
	b = append(b, `,"phonenum":"`...)
	b = append(b, phonenum...)
	b = append(b, `"}}`...)
	return b
}

// appendErrorWithToken appends an error envelope that wrongly carries a
// phonetoken (DefectTokenOnError).
func appendErrorWithToken(b []byte, rc string) []byte {
	b = append(b, `{"message":`...)
	b = strconv.AppendQuote(b, gateway.RetcodeMeaning(rc))
	b = append(b, `,"retcode":"`...)
	b = append(b, rc...)
	b = append(b, `","result":{"phonetoken":"`...)
	b = appendToken(b)
	b = append(b, `"}}`...)
	return b
}

// writeJSON writes a 200 envelope.
func writeJSON(w http.ResponseWriter, body []byte) {
	w.Header()["Content-Type"] = ctJSON
	_, _ = w.Write(body)
}

// writeMethodNotAllowed writes 405 with an empty body and, unless noAllow,
// an Allow header naming the one method the path takes.
func writeMethodNotAllowed(w http.ResponseWriter, allow string, noAllow bool) {
	if !noAllow {
		w.Header()[hdrAllow] = []string{allow}
	}
	w.Header()["Content-Length"] = []string{"0"}
	w.WriteHeader(http.StatusMethodNotAllowed)
}
