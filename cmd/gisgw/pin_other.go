//go:build !linux

package main

import (
	"fmt"
	"io"
	"os"
)

// readTerminal does not prompt outside Linux: the PIN comes from GISGW_CONTAINER_PIN.
func readTerminal(_ *os.File, _ io.Writer, what string) (string, error) {
	return "", fmt.Errorf("set GISGW_CONTAINER_PIN to the %s (empty for none)", what)
}
