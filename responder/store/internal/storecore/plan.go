package storecore

import (
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"sync"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
)

// PremisesPlan is what an import of premises writes: only new and changed rows, so that
// re-importing a file rewrites nothing.
type PremisesPlan struct {
	Insert    []domain.Premises
	Update    []domain.Premises
	Unchanged int
}

// Stats returns the counts of the plan.
func (p PremisesPlan) Stats() ImportStats {
	return ImportStats{Inserted: len(p.Insert), Updated: len(p.Update), Unchanged: p.Unchanged}
}

// CheckPremises rejects input the store cannot take: empty ids, a premises listed twice.
// It also stamps every premises with org.
func CheckPremises(org string, ps []domain.Premises) ([]domain.Premises, error) {
	seen := make(map[string]int, len(ps))
	out := make([]domain.Premises, len(ps))
	for i, p := range ps {
		if p.ID == "" {
			return nil, fmt.Errorf("premises #%d has an empty premise_id", i+1)
		}
		if j, dup := seen[p.ID]; dup {
			return nil, fmt.Errorf("premises %q is listed twice (#%d and #%d)", p.ID, j+1, i+1)
		}
		seen[p.ID] = i
		p.OrgGUID = org
		out[i] = p
	}
	return out, nil
}

// PlanPremises compares the incoming premises with the stored ones (by premise_id within the
// organization) and says what to write.
func PlanPremises(in []domain.Premises, existing map[string]domain.Premises) PremisesPlan {
	var plan PremisesPlan
	for _, p := range in {
		old, ok := existing[p.ID]
		switch {
		case !ok:
			plan.Insert = append(plan.Insert, p)
		case old == p:
			plan.Unchanged++
		default:
			plan.Update = append(plan.Update, p)
		}
	}
	return plan
}

// ActRow is a court act as stored: the act plus the organization of the premises row it
// refers to (the act's own organization, or "" for premises imported without one).
type ActRow struct {
	Act         domain.CourtAct
	PremisesOrg string
}

// ActsPlan is what an import of court acts writes.
type ActsPlan struct {
	Insert    []ActRow
	Update    []ActRow
	Unchanged int
	// Balances are the balance history rows of updated acts to write (upsert by act and
	// date): one for each act whose outstanding amount, or the date the file gives for it,
	// changed. A re-import that changes nothing else adds none. A new act's first row is
	// NewBalances'.
	Balances []BalanceRow
}

// NewBalances returns the first balance history row of each new act. No row of these acts
// can be stored (no act, no history), so a store may insert them without an upsert.
func (p ActsPlan) NewBalances() []BalanceRow {
	out := make([]BalanceRow, len(p.Insert))
	for i, r := range p.Insert {
		out[i] = balanceRow(r.Act)
	}
	return out
}

// Stats returns the counts of the plan.
func (p ActsPlan) Stats() ImportStats {
	return ImportStats{Inserted: len(p.Insert), Updated: len(p.Update), Unchanged: p.Unchanged}
}

// CheckActs rejects input the store cannot take (empty ids, unknown kind, an act listed
// twice, a debtor listed twice in one act) and stamps every act with org.
func CheckActs(org string, acts []domain.CourtAct) ([]domain.CourtAct, error) {
	return checkActs(org, acts, 0)
}

// checkActs is CheckActs for acts numbered from offset+1.
func checkActs(org string, acts []domain.CourtAct, offset int) ([]domain.CourtAct, error) {
	seen := make(map[string]int, len(acts))
	out := make([]domain.CourtAct, len(acts))
	for i, a := range acts {
		if a.ID == "" {
			return nil, fmt.Errorf("court act #%d has an empty act_id", offset+i+1)
		}
		if a.PremisesID == "" {
			return nil, fmt.Errorf("court act %q has an empty premise_id", a.ID)
		}
		if a.Kind != domain.ActCourtOrder && a.Kind != domain.ActJudgment {
			return nil, fmt.Errorf("court act %q has unknown kind %q (want %s or %s)", a.ID, a.Kind, domain.ActCourtOrder, domain.ActJudgment)
		}
		if j, dup := seen[a.ID]; dup {
			return nil, fmt.Errorf("court act %q is listed twice (#%d and #%d): %w", a.ID, offset+j+1, offset+i+1, ErrRepeatedAct)
		}
		seen[a.ID] = i
		keys := make(map[string]bool, len(a.Debtors))
		for _, d := range a.Debtors {
			k := d.Key()
			if keys[k] {
				return nil, fmt.Errorf("court act %q names the same debtor twice", a.ID)
			}
			keys[k] = true
		}
		a.OrgGUID = org
		a.Debtors = slices.Clone(a.Debtors)
		if a.Document != nil {
			doc := *a.Document
			a.Document = &doc
		}
		out[i] = a
	}
	return out, nil
}

// ActPremisesIDs returns the distinct premises ids the acts refer to.
func ActPremisesIDs(acts []domain.CourtAct) []string {
	seen := make(map[string]bool, len(acts))
	var ids []string
	for _, a := range acts {
		if !seen[a.PremisesID] {
			seen[a.PremisesID] = true
			ids = append(ids, a.PremisesID)
		}
	}
	return ids
}

// ResolvePremises picks, for each premises id, the organization of the stored premises row an
// act of org refers to: the org's own row first, then a row imported without an organization.
// found holds the stored (org_guid, premise_id) pairs for the ids in question.
func ResolvePremises(org string, found []ActPremisesKey) map[string]string {
	res := make(map[string]string, len(found))
	for _, k := range found {
		if cur, ok := res[k.PremisesID]; ok && cur == org {
			continue
		}
		if k.Org == org || k.Org == "" {
			res[k.PremisesID] = k.Org
		}
	}
	return res
}

// ActPremisesKey is the primary key of a premises row.
type ActPremisesKey struct {
	Org        string
	PremisesID string
}

// PlanActs compares incoming acts with the stored ones (by act_id within org). premisesOrg
// comes from ResolvePremises; an act whose premises is missing makes the whole plan fail with
// a *MissingPremisesError naming every such act. An act without BalanceOn is "as of today":
// the date does not make it differ from the stored act, and a written act gets today.
func PlanActs(org string, in []domain.CourtAct, existing map[string]ActRow, premisesOrg map[string]string, today time.Time) (ActsPlan, error) {
	var plan ActsPlan
	// Every act not stored is inserted: sized once, not grown row by row (an ActRow is large).
	plan.Insert = make([]ActRow, 0, max(len(in)-len(existing), 0))
	var missing []ActPremises
	for _, a := range in {
		porg, ok := premisesOrg[a.PremisesID]
		if !ok {
			missing = append(missing, ActPremises{ActID: a.ID, PremisesID: a.PremisesID})
			continue
		}
		row := ActRow{Act: a, PremisesOrg: porg}
		old, ok := existing[a.ID]
		if !ok {
			if row.Act.BalanceOn.IsZero() {
				row.Act.BalanceOn = today
			}
			plan.Insert = append(plan.Insert, row)
			continue
		}
		dated := !row.Act.BalanceOn.IsZero()
		if !dated {
			row.Act.BalanceOn = old.Act.BalanceOn
			if !sameAct(row, old) {
				row.Act.BalanceOn = today
			}
		}
		keepUpload(&row.Act, old.Act)
		if sameAct(row, old) {
			plan.Unchanged++
			continue
		}
		plan.Update = append(plan.Update, row)
		a, o := row.Act, old.Act
		if a.Outstanding != o.Outstanding || a.OutstandingUnknown != o.OutstandingUnknown ||
			(dated && !a.BalanceOn.Equal(o.BalanceOn)) {
			plan.Balances = append(plan.Balances, balanceRow(a))
		}
	}
	if len(missing) > 0 {
		return ActsPlan{}, &MissingPremisesError{Org: org, Missing: missing}
	}
	return plan, nil
}

func balanceRow(a domain.CourtAct) BalanceRow {
	return BalanceRow{OrgGUID: a.OrgGUID, ActID: a.ID, Balance: Balance{On: a.BalanceOn, Outstanding: a.Outstanding, Unknown: a.OutstandingUnknown}}
}

// keepUpload carries the file's hash and file-store id over from the stored act when the
// file itself did not change, so that a re-import does not force a new upload.
func keepUpload(a *domain.CourtAct, old domain.CourtAct) {
	if a.Document == nil || old.Document == nil {
		return
	}
	if a.Document.Path != old.Document.Path || a.Document.Size != old.Document.Size {
		return
	}
	if a.Document.Hash == "" {
		a.Document.Hash = old.Document.Hash
	}
	if a.Document.AttachmentGUID == "" && a.Document.Hash == old.Document.Hash {
		a.Document.AttachmentGUID = old.Document.AttachmentGUID
	}
}

func sameAct(a, b ActRow) bool {
	x, y := a.Act, b.Act
	if a.PremisesOrg != b.PremisesOrg || x.OrgGUID != y.OrgGUID || x.ID != y.ID ||
		x.PremisesID != y.PremisesID || x.CaseNumber != y.CaseNumber || x.Kind != y.Kind ||
		!x.PronouncedOn.Equal(y.PronouncedOn) || !x.EffectiveOn.Equal(y.EffectiveOn) ||
		!x.DebtFrom.Equal(y.DebtFrom) || !x.DebtTo.Equal(y.DebtTo) ||
		x.Amount != y.Amount || x.Outstanding != y.Outstanding || x.OutstandingUnknown != y.OutstandingUnknown ||
		!x.BalanceOn.Equal(y.BalanceOn) || !x.CancelledOn.Equal(y.CancelledOn) {
		return false
	}
	if !slices.Equal(x.Debtors, y.Debtors) {
		return false
	}
	if (x.Document == nil) != (y.Document == nil) {
		return false
	}
	return x.Document == nil || *x.Document == *y.Document
}

// ActChunk is how many acts a chunked court-acts import reads, plans and writes at a time:
// large enough that the per-chunk round trips and look-ups vanish (100,000 rows on the idle
// 2-core machine: PostgreSQL 45,000-49,000 rows/s at 5,000, 52,000-55,000 at 20,000), small
// enough that the memory does not grow with the file (peak heap about 90 MB, against 31 MB at
// 5,000: two chunks are in memory, one read ahead).
const ActChunk = 20000

// ActChunks returns a next function for ImportCourtActsStream that hands out acts in
// chunks of at most n (n <= 0 means ActChunk).
func ActChunks(acts []domain.CourtAct, n int) func() ([]domain.CourtAct, error) {
	if n <= 0 {
		n = ActChunk
	}
	return func() ([]domain.CourtAct, error) {
		k := min(n, len(acts))
		chunk := acts[:k:k]
		acts = acts[k:]
		return chunk, nil
	}
}

// ErrRepeatedAct matches the error of an import that lists one court act twice.
var ErrRepeatedAct = errors.New("court act listed twice")

// ActsImport carries what a chunked court-acts import needs across its chunks: the act ids
// seen, the counts, and the acts whose premises are missing. Once one is missing nothing
// more is written, but later chunks are still checked so that the error names every such
// act.
//
// Across chunks the ids are kept as 64-bit hashes (8 bytes an act, not the id), so that a
// streamed import's memory stays small; two different ids with the same hash (about one
// chance in 10^8 for a million acts) make the import fail as if an act were repeated, never
// write a wrong row. Checked (set when the caller already checked the whole input, as
// ImportCourtActs does) skips the check across chunks.
type ActsImport struct {
	Org     string
	Checked bool
	seed    maphash.Seed
	seen    []uint64 // hashes of the ids of the earlier chunks, sorted
	n       int
	stats   ImportStats
	missing []ActPremises
}

// Check is CheckActs for the next chunk, with numbering and duplicates across chunks.
func (im *ActsImport) Check(acts []domain.CourtAct) ([]domain.CourtAct, error) {
	out, err := checkActs(im.Org, acts, im.n)
	if err != nil {
		return nil, err
	}
	if !im.Checked {
		if im.n == 0 {
			im.seed = maphash.MakeSeed()
		}
		if err := im.checkRepeats(out); err != nil {
			return nil, err
		}
	}
	im.n += len(acts)
	return out, nil
}

// CheckedChunk is the next chunk of an import, checked (Check), with the distinct premises
// ids its acts refer to; or the error that ends the import.
type CheckedChunk struct {
	Acts     []domain.CourtAct
	Premises []string
	Err      error
}

// CheckAhead calls next and checks each chunk in a goroutine of its own, one chunk ahead of
// the caller, so that this work, which needs no store, runs on a second core while the
// store writes the chunk before: the writer is an import's critical path. The goroutine
// uses only the checking state (Check); the caller may use the planning state (Plan, Stats,
// Err) meanwhile. The channel closes after the last chunk or with the first error; stop
// makes the goroutine end and waits for it, so that next is not called after the import
// has returned (idempotent).
func (im *ActsImport) CheckAhead(next func() ([]domain.CourtAct, error)) (chunks <-chan CheckedChunk, stop func()) {
	out := make(chan CheckedChunk)
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(out)
		for {
			var c CheckedChunk
			acts, err := next()
			if err == nil && len(acts) == 0 {
				return
			}
			if err == nil {
				acts, err = im.Check(acts)
			}
			if err == nil {
				c.Acts, c.Premises = acts, ActPremisesIDs(acts)
			}
			c.Err = err
			select {
			case out <- c:
			case <-quit:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	var once sync.Once
	return out, func() {
		once.Do(func() {
			close(quit)
			<-done
		})
	}
}

// checkRepeats looks the chunk's ids up among the earlier chunks' and adds them. A sorted
// slice, merged once per chunk, takes 8 bytes an act (a map would take two to three times
// that).
func (im *ActsImport) checkRepeats(acts []domain.CourtAct) error {
	hs := make([]uint64, len(acts))
	at := make(map[uint64]int, len(acts))
	for i, a := range acts {
		hs[i] = maphash.String(im.seed, a.ID)
		at[hs[i]] = i
	}
	slices.Sort(hs)
	merged := make([]uint64, 0, len(im.seen)+len(hs))
	i, j := 0, 0
	for i < len(im.seen) || j < len(hs) {
		switch {
		case j == len(hs) || i < len(im.seen) && im.seen[i] < hs[j]:
			merged = append(merged, im.seen[i])
			i++
		case i < len(im.seen) && im.seen[i] == hs[j] || len(merged) > 0 && merged[len(merged)-1] == hs[j]:
			k := at[hs[j]]
			return fmt.Errorf("court act %q (#%d) is in an earlier chunk: %w", acts[k].ID, im.n+k+1, ErrRepeatedAct)
		default:
			merged = append(merged, hs[j])
			j++
		}
	}
	im.seen = merged
	return nil
}

// Plan is PlanActs for the next chunk. write says whether the plan is to be written: false
// once any act of this or an earlier chunk lacks its premises.
func (im *ActsImport) Plan(acts []domain.CourtAct, existing map[string]ActRow, premisesOrg map[string]string, today time.Time) (plan ActsPlan, write bool, err error) {
	plan, err = PlanActs(im.Org, acts, existing, premisesOrg, today)
	var mp *MissingPremisesError
	if errors.As(err, &mp) {
		im.missing = append(im.missing, mp.Missing...)
		return ActsPlan{}, false, nil
	}
	if err != nil {
		return ActsPlan{}, false, err
	}
	st := plan.Stats()
	im.stats.Inserted += st.Inserted
	im.stats.Updated += st.Updated
	im.stats.Unchanged += st.Unchanged
	return plan, len(im.missing) == 0, nil
}

// Stats returns the counts of the chunks planned so far.
func (im *ActsImport) Stats() ImportStats { return im.stats }

// Err is the *MissingPremisesError naming every act without its premises, or nil.
func (im *ActsImport) Err() error {
	if len(im.missing) == 0 {
		return nil
	}
	return &MissingPremisesError{Org: im.Org, Missing: im.missing}
}
