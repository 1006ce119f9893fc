//go:build linux

package capacity

import (
	"bytes"
	"os"
	"strconv"
	"time"
)

// cpuPressureFile is Linux's pressure-stall information for the CPU.
const cpuPressureFile = "/proc/pressure/cpu"

// cpuStall returns how long, in all, runnable tasks on this machine have
// waited for a CPU so far (the "some" line's total of /proc/pressure/cpu),
// and false where the kernel does not say. A capacity step reports the
// share of its time the machine was contended so.
func cpuStall() (time.Duration, bool) {
	b, err := os.ReadFile(cpuPressureFile)
	if err != nil {
		return 0, false
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	if !bytes.HasPrefix(line, []byte("some ")) {
		return 0, false
	}
	_, total, ok := bytes.Cut(line, []byte("total="))
	if !ok {
		return 0, false
	}
	us, err := strconv.ParseInt(string(bytes.TrimSpace(total)), 10, 64)
	if err != nil || us < 0 {
		return 0, false
	}
	return time.Duration(us) * time.Microsecond, true
}
