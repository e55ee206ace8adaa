package app_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/store/storetest"
)

// backendCPU is the CPU time PostgreSQL's backends serving application name app have used
// so far, by pid, read from /proc/<pid>/stat (PostgreSQL on this machine): the server's
// share of the decide step, which the process's own CPU time does not count. Where /proc
// is not there it is empty.
func backendCPU(b *testing.B, app string) map[int]time.Duration {
	admin := storetest.PostgresAdmin(b)
	defer admin.Close(b.Context())
	rows, err := admin.Query(b.Context(), `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, app)
	if err != nil {
		b.Fatalf("backends of %s: %v", app, err)
	}
	defer rows.Close()
	out := map[int]time.Duration{}
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			b.Fatalf("backends of %s: %v", app, err)
		}
		if cpu, ok := procCPU(pid); ok {
			out[pid] = cpu
		}
	}
	if err := rows.Err(); err != nil {
		b.Fatalf("backends of %s: %v", app, err)
	}
	return out
}

// procCPU is utime + stime of pid from /proc/<pid>/stat, in clock ticks of 10 ms (Linux's
// USER_HZ).
func procCPU(pid int) (time.Duration, bool) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name (field 2) may hold spaces; the fields after its ')' are fixed. A
	// process that is not PostgreSQL's (the server elsewhere, the pid this machine's own)
	// counts nothing.
	s := string(raw)
	if !strings.HasPrefix(s[strings.IndexByte(s, '(')+1:], "postgres") {
		return 0, false
	}
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, true
}

// backendCPUSince is how much CPU the backends used between two backendCPU readings; a
// backend that started in between counts from nothing.
func backendCPUSince(before, after map[int]time.Duration) time.Duration {
	var d time.Duration
	for pid, cpu := range after {
		d += cpu - before[pid]
	}
	return d
}
