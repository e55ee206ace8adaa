//go:build unix

package app_test

import (
	"syscall"
	"testing"
	"time"
)

// processCPU is the CPU time (user and system) this process has used: on a shared machine
// it is a steadier measure of the decide step's own cost than wall time.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
