//go:build !unix

package capacity

import "time"

// processCPU is unknown on this platform: capacity steps report 0.
func processCPU() time.Duration { return 0 }
