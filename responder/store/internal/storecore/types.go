// Package storecore holds what the two store implementations share: the value types of the
// store API (re-exported by package store as aliases), the rules that must behave the same in
// both dialects (import diffing, state rules, decision encoding) and the migration loader.
// It lives apart from package store because store.Open imports both implementations, which
// in turn need these types; an internal leaf package breaks that cycle.
package storecore

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
)

// ErrStaleSchema means the database schema is older (or newer) than this build expects.
var ErrStaleSchema = errors.New("database schema is not current")

// SchemaError says how the schema differs and what to do about it.
type SchemaError struct {
	Current int // version found in the database (0: not initialised)
	Latest  int // version this build needs
}

func (e *SchemaError) Error() string {
	if e.Current > e.Latest {
		return fmt.Sprintf("database schema version %d is newer than this gisgw supports (%d): upgrade gisgw", e.Current, e.Latest)
	}
	if e.Current == 0 {
		return fmt.Sprintf("database is not initialised (schema version 0, need %d): run `gisgw migrate --db DSN`", e.Latest)
	}
	return fmt.Sprintf("database schema version %d is older than this gisgw needs (%d): run `gisgw migrate --db DSN`", e.Current, e.Latest)
}

// Unwrap lets callers test with errors.Is(err, ErrStaleSchema).
func (e *SchemaError) Unwrap() error { return ErrStaleSchema }

// ImportStats counts what one import did. For court acts it counts acts (an act whose own
// fields, debtors or document changed counts as updated once).
type ImportStats struct {
	Inserted  int
	Updated   int
	Unchanged int
}

// MigrationResult says where the schema was and where it is now.
type MigrationResult struct {
	From    int
	To      int
	Applied []string // names of the migrations run, in order
}

// SubRequestFilter selects sub-requests. Zero fields do not filter.
type SubRequestFilter struct {
	Org    string         // orgPPAGUID; empty: every organization
	States []domain.State // empty: every state
	Limit  int            // 0: no limit
}

// SubRequestStatus is where one sub-request stands, without the rest of its row: what the
// daemon's progress summaries compare on every pull.
type SubRequestStatus struct {
	GUID         string
	State        domain.State
	ResponseDate time.Time // GIS deadline; zero when none
}

// ReviewItem is one sub-request in the review queue with its latest decision (nil when the
// pipeline sent it to review without one).
type ReviewItem struct {
	SubRequest domain.SubRequest
	Decision   *domain.Decision
}

// ActPremises names a court act and the premises it refers to.
type ActPremises struct {
	ActID      string
	PremisesID string
}

// MissingPremisesError lists court acts whose premises are not in the store.
type MissingPremisesError struct {
	Org     string
	Missing []ActPremises
}

func (e *MissingPremisesError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d court act(s) refer to premises that are not in the store (import the premises first)", len(e.Missing))
	for i, m := range e.Missing {
		if i == 20 {
			fmt.Fprintf(&b, "; and %d more", len(e.Missing)-i)
			break
		}
		fmt.Fprintf(&b, "; act %q: premises %q", m.ActID, m.PremisesID)
	}
	return b.String()
}

// Unwrap makes the error match domain.ErrNotFound.
func (e *MissingPremisesError) Unwrap() error { return domain.ErrNotFound }

// Today returns the calendar date of t as the domain stores dates (00:00 UTC).
func Today(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Stamp normalizes a timestamp to what both databases keep: UTC, microseconds.
func Stamp(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// ImportActor is the audit actor of data imports.
const ImportActor = "import"

// SystemActor is the audit actor of automatic changes.
const SystemActor = "system"

// AnalyzeAfter is how many written rows make an import refresh the planner's statistics of
// the tables it wrote, in its own transaction. Without them a freshly loaded store is planned
// as if it were empty, and the matcher's lookups scan the whole premises table (PostgreSQL's
// autovacuum catches up only later; SQLite never does by itself).
const AnalyzeAfter = 1000

// ShouldAnalyze reports whether an import with these counts refreshes statistics.
func (s ImportStats) ShouldAnalyze() bool { return s.Inserted+s.Updated >= AnalyzeAfter }

// LookupKeys returns the distinct non-empty keys, in order: an empty key matches nothing.
func LookupKeys(keys []string) []string {
	out := make([]string, 0, len(keys))
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if k != "" && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// GroupPremises files premises rows (in the order a single lookup returns them) under each
// of keys that keysOf gives for the row, so that every key gets what its single lookup
// would have returned. Keys without premises are absent.
func GroupPremises(rows []domain.Premises, keys []string, keysOf func(domain.Premises) []string) map[string][]domain.Premises {
	want := make(map[string]int, len(keys))
	for _, k := range keys {
		want[k] = 0
	}
	// Two passes, so that each key's slice is allocated at its size, all of them in one
	// array: a batch's houses are thousands of rows, and growing slices of them was a good
	// part of the decide step's garbage. keysOf runs once per row.
	rowKeys := make([][]string, len(rows))
	each := func(i int, fn func(k string)) {
		var done string
		for _, k := range rowKeys[i] {
			// A house whose GIS and FIAS GUIDs are equal is one key, not two rows.
			if _, ok := want[k]; ok && k != done {
				fn(k)
				done = k
			}
		}
	}
	total := 0
	for i, p := range rows {
		rowKeys[i] = keysOf(p)
		each(i, func(k string) { want[k]++; total++ })
	}
	all := make([]domain.Premises, total)
	out := make(map[string][]domain.Premises)
	for i, p := range rows {
		each(i, func(k string) {
			ps, ok := out[k]
			if !ok {
				// Its own part of the array: an append to one key never writes into another's.
				ps, all = all[:0:want[k]], all[want[k]:]
			}
			out[k] = append(ps, p)
		})
	}
	return out
}

// HMObjectKeys and HouseKeys are the keysOf of GroupPremises for the two batched lookups.
func HMObjectKeys(p domain.Premises) []string { return []string{p.HMObjectGUID} }
func HouseKeys(p domain.Premises) []string    { return []string{p.HouseGUID, p.FIASHouseGUID} }

// AddressKeys is the address key of p: the stored address_key, computed at import by the
// same domain.AddressKey.
func AddressKeys(p domain.Premises) []string { return []string{domain.AddressKey(p.Address)} }

// ErrNotWritable matches errors of a database that refuses writes (read-only or full).
var ErrNotWritable = errors.New("the database does not take writes")

// NotWritableError says why the database refuses writes, in words that tell what to do.
type NotWritableError struct {
	Full bool  // the disk or the database's size limit is full; otherwise it is read-only
	Err  error // the driver's error
}

func (e *NotWritableError) Error() string {
	if e.Full {
		return fmt.Sprintf("the disk or database is full, so nothing can be recorded: free disk space for the database (or raise its size limit): %v", e.Err)
	}
	return fmt.Sprintf("the database is read-only, so nothing can be recorded: make it writable (connect to the primary server, not a standby; turn default_transaction_read_only off; check the file's permissions): %v", e.Err)
}

// Unwrap makes the error match ErrNotWritable and the driver's error.
func (e *NotWritableError) Unwrap() []error { return []error{ErrNotWritable, e.Err} }

// Balance is a court act's outstanding amount as one import gave it, with the date it is
// valid for. Unknown is set when the file left the amount blank (neither paid nor unpaid).
type Balance struct {
	On          time.Time
	Outstanding domain.Money
	Unknown     bool
}

// BalanceRow is one row of the balance history: a Balance of one act.
type BalanceRow struct {
	OrgGUID string
	ActID   string
	Balance
}

// InventoryAct is a court act as the monthly inventory reads it: the act (debtors and
// agreements included, as CourtActsByPremises gives them), the address of its premises and
// the act's balance history, oldest first.
type InventoryAct struct {
	Act      domain.CourtAct
	Address  string
	Balances []Balance
}

// BalanceOn returns the latest balance known on or before day (the last history row dated
// on or before it); ok is false when the history has none by then.
func (a InventoryAct) BalanceOn(day time.Time) (b Balance, ok bool) {
	for _, x := range a.Balances {
		if x.On.After(day) {
			break
		}
		b, ok = x, true
	}
	return b, ok
}

// StateOf returns the state named s as the package's constant when it is a known one, so
// that long lists of statuses kept in memory share a few strings instead of one per row.
func StateOf(s string) domain.State {
	for _, st := range domain.States() {
		if string(st) == s {
			return st
		}
	}
	return domain.State(s)
}
