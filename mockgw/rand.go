package mockgw

import (
	crand "crypto/rand"
	"encoding/hex"
	"math/rand/v2"
	"sync"
)

// rngPool hands out ChaCha8 generators (a CSPRNG) seeded from crypto/rand, so
// tokens and Guids are unpredictable without a syscall or a shared lock per
// request.
var rngPool = sync.Pool{New: func() any {
	var seed [32]byte
	if _, err := crand.Read(seed[:]); err != nil {
		panic("mockgw: crypto/rand: " + err.Error())
	}
	return rand.NewChaCha8(seed)
}}

// randRead fills p with random bytes.
func randRead(p []byte) {
	r := rngPool.Get().(*rand.ChaCha8)
	_, _ = r.Read(p)
	rngPool.Put(r)
}

// randFloat returns a uniform float64 in [0, 1).
func randFloat() float64 {
	r := rngPool.Get().(*rand.ChaCha8)
	v := r.Uint64()
	rngPool.Put(r)
	return float64(v>>11) / (1 << 53)
}

// tokenLen is the length of a phonetoken: 16 random bytes in hex.
const tokenLen = 32

// appendToken appends a fresh random phonetoken (32 lowercase hex digits).
func appendToken(b []byte) []byte {
	var raw [tokenLen / 2]byte
	randRead(raw[:])
	n := len(b)
	b = append(b, make([]byte, tokenLen)...)
	hex.Encode(b[n:], raw[:])
	return b
}

// newToken returns a fresh random phonetoken.
func newToken() string { return string(appendToken(make([]byte, 0, tokenLen))) }

// newUUID returns a random (version 4) UUID in its 36-character form.
func newUUID() string {
	var u [16]byte
	randRead(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}
