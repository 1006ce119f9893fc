//go:build unix

package capacity

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user + system) the process has used so
// far; a capacity step reports the share of the machine it used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
