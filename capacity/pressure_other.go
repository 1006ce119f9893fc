//go:build !linux

package capacity

import "time"

// cpuStall is unknown on this platform: capacity steps report no CPU
// pressure.
func cpuStall() (time.Duration, bool) { return 0, false }
