package sqlitestore_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
)

// TestConcurrentAttachments: calls that arrive together share a write transaction; each
// still gets its own result (an unknown act ErrNotFound, the others recorded and audited).
func TestConcurrentAttachments(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newStore(t, nil)
	defer s.Close()
	const n = 60
	var ps []domain.Premises
	var acts []domain.CourtAct
	for i := range n {
		id := fmt.Sprintf("P%d", i)
		ps = append(ps, domain.Premises{ID: id, HouseGUID: "h", Flat: fmt.Sprint(i), Address: "a"})
		d := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
		acts = append(acts, domain.CourtAct{ID: fmt.Sprintf("A%d", i), PremisesID: id, CaseNumber: fmt.Sprintf("2-%d/2024", i),
			Kind: domain.ActCourtOrder, PronouncedOn: d, EffectiveOn: d, DebtFrom: d.AddDate(-1, 0, 0), DebtTo: d, Amount: 100,
			Outstanding: 100, BalanceOn: d, Debtors: []domain.Debtor{{LastName: "Иванов", FirstName: "Иван"}},
			Document: &domain.Document{Name: "a.pdf", Path: fmt.Sprintf("/acts/%d.pdf", i), Size: 1}})
	}
	if _, err := s.ImportPremises(ctx, "", ps); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ImportCourtActs(ctx, "", acts); err != nil {
		t.Fatal(err)
	}
	hash := strings.Repeat("ab", 32)
	errs := make([]error, n+n/3)
	var wg sync.WaitGroup
	for i := range errs {
		act := fmt.Sprintf("A%d", i) // from n on: unknown
		wg.Go(func() { errs[i] = s.SetDocumentAttachment(ctx, "", act, hash, fmt.Sprintf("guid-%d", i)) })
	}
	wg.Wait()
	for i, err := range errs {
		if i < n && err != nil {
			t.Errorf("act A%d: %v", i, err)
		}
		if i >= n && !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("unknown act A%d: err = %v; want ErrNotFound", i, err)
		}
	}
	for i := range n {
		h, g, err := s.DocumentAttachment(ctx, "", fmt.Sprintf("A%d", i))
		if err != nil || h != hash || g != fmt.Sprintf("guid-%d", i) {
			t.Errorf("act A%d: attachment %q, %q, %v; want %q, guid-%d", i, h, g, err, hash, i)
		}
	}
	entries, err := s.Audit(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	uploaded := 0
	for _, e := range entries {
		if e.Action == "document uploaded" {
			uploaded++
		}
	}
	if uploaded != n {
		t.Errorf("%d audit entries of uploads; want %d", uploaded, n)
	}
}
