//go:build !linux

package reliability_test

import (
	"errors"
	"os"
)

// openPTY is only implemented on Linux; elsewhere the terminal run is
// skipped.
func openPTY() (master, tty *os.File, err error) {
	return nil, nil, errors.New("pseudo-terminals are only opened on Linux")
}
