//go:build !linux

package importer

import (
	"testing"
	"time"
)

// serverCPU is not measured here (no /proc).
func serverCPU(testing.TB, string) (time.Duration, bool) { return 0, false }
