package pgstore

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store/storetest"
)

// TestClaimReadsOnlyWhatItTakes: a claim of 100 out of 20,000 new sub-requests reads about
// 100 rows, not all 20,000, when the planner's statistics say there are few (here a table
// not analyzed since the pull, as on a first pull: the planner's default guess of 0.5 % of
// the rows in any one state, a third of those with a free lease, 33; a table analyzed while
// few were new says the same). The same statement run without claim's settings reads all of
// them (a bitmap scan and a sort of every new row), which shows the trap is set.
func TestClaimReadsOnlyWhatItTakes(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, storetest.PostgresSchema(t), Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	// No autovacuum: the statistics stay those of the ANALYZE below.
	if _, err := s.pool.Exec(ctx, `ALTER TABLE sub_requests SET (autovacuum_enabled = false)`); err != nil {
		t.Fatal(err)
	}
	const n, limit = 20000, 100
	mk := func(from int) []domain.SubRequest {
		srs := make([]domain.SubRequest, n)
		deadline := time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)
		for i := range srs {
			srs[i] = domain.SubRequest{GUID: fmt.Sprintf("5eb5eb00-0000-4000-8000-%012d", from+i), OrgGUID: "org",
				RequestGUID: "r", HouseGUID: "h", SentDate: deadline.AddDate(0, 0, -7), ResponseDate: deadline.AddDate(0, 0, i%5)}
		}
		return srs
	}
	if _, err := s.UpsertSubRequests(ctx, mk(0)); err != nil {
		t.Fatal(err)
	}
	explain := `EXPLAIN (ANALYZE, FORMAT JSON) ` + s.claimNewQuery()
	args := []any{"t", s.leaseAt(time.Minute), s.leaseAt(0), limit}
	var plan string
	if err := s.claim(ctx, explain, args, func(rows pgx.Rows) error {
		rows.Next()
		return rows.Scan(&plan)
	}); err != nil {
		t.Fatal(err)
	}
	if got := maxRowsRead(t, plan); got > 2*limit {
		t.Errorf("a claim of %d read %d rows of sub_requests; want at most %d. Plan: %s", limit, got, 2*limit, plan)
	}
	if err := s.pool.QueryRow(ctx, explain, args...).Scan(&plan); err != nil {
		t.Fatal(err)
	}
	if got := maxRowsRead(t, plan); got < n-2*limit {
		t.Errorf("without claim's settings the claim read %d rows; the test expects the planner to read all %d new ones (a trap not set proves nothing). Plan: %s", got, n-limit, plan)
	}
}

// maxRowsRead is the largest row count of any plan node over sub_requests in an EXPLAIN
// (ANALYZE, FORMAT JSON) result.
func maxRowsRead(t *testing.T, plan string) int {
	t.Helper()
	type node struct {
		Relation string  `json:"Relation Name"`
		Rows     float64 `json:"Actual Rows"`
		Plans    []node  `json:"Plans"`
	}
	var top []struct{ Plan node }
	if err := json.Unmarshal([]byte(plan), &top); err != nil || len(top) != 1 {
		t.Fatalf("EXPLAIN output %q: %v", plan, err)
	}
	var walk func(node) int
	walk = func(n node) int {
		m := 0
		if n.Relation == "sub_requests" {
			m = int(n.Rows)
		}
		for _, c := range n.Plans {
			m = max(m, walk(c))
		}
		return m
	}
	return walk(top[0].Plan)
}
