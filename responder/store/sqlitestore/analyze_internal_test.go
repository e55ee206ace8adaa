package sqlitestore

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/gisgw/gisgw/responder/domain"
)

// TestStatisticsReachTheReadPool: the statistics an import refreshes reach connections that
// loaded the schema before it. A reader opened on a small store planned the batch lookup of
// 450 HMobjectGUIDs as a scan of the whole premises table, which it still did once the store
// had grown fiftyfold.
func TestStatisticsReachTheReadPool(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := testStore(t, Options{Readers: 1})
	const org = "org"
	grow := func(from, to int) {
		t.Helper()
		ps := make([]domain.Premises, 0, to-from)
		for i := from; i < to; i++ {
			ps = append(ps, domain.Premises{ID: fmt.Sprintf("p%06d", i), HMObjectGUID: fmt.Sprintf("hm%06d", i),
				HouseGUID: fmt.Sprintf("h%05d", i/50), Flat: fmt.Sprint(i%50 + 1), Address: fmt.Sprintf("д. %d, кв. %d", i/50, i%50+1)})
		}
		if _, err := s.ImportPremises(ctx, org, ps); err != nil {
			t.Fatal(err)
		}
	}
	grow(0, 1000)
	// The pool's one connection loads the schema, with the statistics of 1,000 premises.
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM premises`).Scan(&n); err != nil || n != 1000 {
		t.Fatalf("count: %d, %v", n, err)
	}
	grow(1000, 50_000)
	// The connection's next statement (EXPLAIN alone starts no read of the file).
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM premises`).Scan(&n); err != nil || n != 50_000 {
		t.Fatalf("count: %d, %v", n, err)
	}
	keys := make([]any, 0, 451)
	in := make([]string, 0, 450)
	keys = append(keys, org)
	for i := range 450 {
		keys = append(keys, fmt.Sprintf("hm%06d", i*97))
		in = append(in, fmt.Sprintf("?%d", i+2))
	}
	plan := queryPlan(t, s.r, `SELECT `+premisesCols+` FROM premises
		WHERE hm_object_guid IN (`+strings.Join(in, ", ")+`) AND (+org_guid = ?1 OR +org_guid = '')`, keys...)
	if got := strings.Join(plan, "; "); !strings.Contains(got, "USING INDEX premises_hm_object") {
		t.Errorf("plan of a 450-key lookup in 50,000 premises: %s; want the HMobjectGUID index", got)
	}
}

// queryPlan returns the details of EXPLAIN QUERY PLAN for query on db.
func queryPlan(t *testing.T, db *sql.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}

// TestSmallImportsRefreshStatistics: imports each under storecore.AnalyzeAfter rows still
// refresh the statistics once the table has outgrown them twofold, which a store fed a few
// hundred premises a day would otherwise never do.
func TestSmallImportsRefreshStatistics(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := testStore(t, Options{})
	counted := func() int {
		t.Helper()
		var stat string
		if err := s.r.QueryRowContext(ctx, `SELECT stat FROM sqlite_stat1 WHERE tbl = 'premises' LIMIT 1`).Scan(&stat); err != nil {
			t.Fatal(err)
		}
		var n int
		if _, err := fmt.Sscan(stat, &n); err != nil {
			t.Fatalf("statistics %q: %v", stat, err)
		}
		return n
	}
	imported := 0
	add := func(n int) {
		t.Helper()
		ps := make([]domain.Premises, n)
		for i := range ps {
			ps[i] = domain.Premises{ID: fmt.Sprintf("p%06d", imported+i), HouseGUID: "h", Flat: fmt.Sprint(imported + i), Address: "a"}
		}
		st, err := s.ImportPremises(ctx, "org", ps)
		if err != nil || st.Inserted != n {
			t.Fatalf("import %d: %+v, %v", n, st, err)
		}
		imported += n
	}
	add(1000) // analyzed: 1,000 rows counted
	if got := counted(); got != 1000 {
		t.Fatalf("statistics count %d premises; want 1000", got)
	}
	add(900) // 1,900: not twice what was counted
	if got := counted(); got != 1000 {
		t.Fatalf("after 900 more: statistics count %d premises; want 1000 still", got)
	}
	add(900) // 2,800: outgrown
	if got := counted(); got != 2800 {
		t.Errorf("after 1,800 more in two imports: statistics count %d premises; want 2800", got)
	}
}
