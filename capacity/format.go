package capacity

import (
	"fmt"
	"strings"
)

// formatRate prints a rate without needless decimals (200, 0.5, 12.25).
func formatRate(r float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", r), "0"), ".")
}
