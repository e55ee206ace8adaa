//go:build linux

package importer

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/store/storetest"
)

// serverCPU is the CPU time (user and system) used so far by the PostgreSQL backends whose
// application_name is app, read from /proc: the server's share of an import, which
// processCPU does not see. ok is false when a backend is not readable here (a server on
// another machine), and the figure is then not reported.
func serverCPU(tb testing.TB, app string) (cpu time.Duration, ok bool) {
	tb.Helper()
	admin := storetest.PostgresAdmin(tb)
	defer admin.Close(context.Background())
	rows, err := admin.Query(tb.Context(), `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, app)
	if err != nil {
		tb.Fatal(err)
	}
	var pids []int
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			tb.Fatal(err)
		}
		pids = append(pids, pid)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	for _, pid := range pids {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return 0, false
		}
		// Fields after the command name, which is in parentheses and may hold spaces:
		// state is the first, utime and stime the 12th and 13th (proc(5)).
		f := bytes.Fields(stat[bytes.LastIndexByte(stat, ')')+1:])
		if len(f) < 13 {
			return 0, false
		}
		for _, s := range f[11:13] {
			ticks, err := strconv.ParseInt(string(s), 10, 64)
			if err != nil {
				return 0, false
			}
			cpu += time.Duration(ticks) * time.Second / clockTicks
		}
	}
	return cpu, true
}

// clockTicks is USER_HZ, the unit of /proc's CPU times: 100 on every Linux architecture Go
// supports.
const clockTicks = 100
