package dist

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// MinTokenLength is the shortest run token accepted: a token is the only
// thing that keeps another run's (or anyone's) shard out.
const MinTokenLength = 16

// NewRunID returns a fresh run ID: the time and 8 random hex digits
// ("20260102-150405-1a2b3c4d").
func NewRunID(now time.Time) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
}

// ValidRunID checks a run ID given by flag or environment: 1 to 63
// letters, digits, '.', '_' and '-', starting with a letter or digit (it
// names directories and labels).
func ValidRunID(id string) error {
	if id == "" || len(id) > 63 {
		return fmt.Errorf("run ID %q: want 1 to 63 characters", id)
	}
	if c := id[0]; c == '.' || c == '_' || c == '-' {
		return fmt.Errorf("run ID %q: want a letter or digit first", id)
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("run ID %q: want only letters, digits, '.', '_' and '-'", id)
		}
	}
	return nil
}

// NewToken returns a fresh run token: 32 random bytes in hex.
func NewToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// ValidToken checks a run token (never quoting it: it is a secret).
func ValidToken(tok string) error {
	if len(tok) < MinTokenLength {
		return fmt.Errorf("want at least %d characters (a random one per run: make k8s and ccgw shards make one)", MinTokenLength)
	}
	return nil
}
