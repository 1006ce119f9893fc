package human

import (
	"testing"
	"time"
)

// TestLogForms: the forms a log line and a message use, one each.
func TestLogForms(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{Duration(3400 * time.Millisecond), "3s"},
		{Duration(65 * time.Second), "1m05s"},
		{Duration(2*time.Hour + 10*time.Second), "2h00m10s"},
		{Latency(0), "-"},
		{Latency(850 * time.Microsecond), "850µs"},
		{Latency(12340 * time.Microsecond), "12.3ms"},
		{Latency(11240 * time.Millisecond), "11.2s"},
		{Shards([]int{2}), "shard 2"},
		{Shards([]int{1, 3}), "shards 1, 3"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
