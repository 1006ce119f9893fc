package gateway

import (
	"context"
	"net/http"
	"time"
)

// Exchange is one request a Client sent and what came back, as an observer
// (WithObserver) sees it. Header and Body are the answer's and may hold
// secrets (Set-GUID, cookies, phonetokens): an observer must neither keep
// nor print them.
type Exchange struct {
	// Method and URL are the request's (URL is the base URL plus the path).
	Method, URL string
	// Start is when the request was sent; Latency how long until its
	// answer was read whole (or the call failed).
	Start   time.Time
	Latency time.Duration
	// Status is the HTTP status, 0 when no answer was read.
	Status int
	// Header and Body are the answer's (Body at most MaxBodySize bytes).
	Header http.Header
	Body   []byte
	// BytesOut is the size of the request body.
	BytesOut int
	// Err is why no answer was read (nil when Status is set).
	Err error
}

// Call names the call of the exchange (CallOf its method and URL).
func (x *Exchange) Call() Call { return CallOf(x.Method, x.URL) }

// WithObserver makes the client call f after every request it sends (the
// typed calls and Do), on the caller's goroutine, before the call returns;
// ctx is the call's context. f must not keep x or anything it points to.
func WithObserver(f func(ctx context.Context, x *Exchange)) Option {
	return func(c *Client) { c.observe = f }
}
