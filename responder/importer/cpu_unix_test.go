//go:build unix

package importer

import (
	"syscall"
	"testing"
	"time"
)

// processCPU is the CPU time (user and system) this process has used: on a shared machine
// it tells the importer's own cost apart from the wait for CPU (PostgreSQL's work is in
// its own processes and not counted).
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
