package decide

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
)

func TestReview(t *testing.T) {
	t.Parallel()
	at := date("2026-04-11").Add(10 * time.Hour)
	const who = "ivanova"
	ivanovWithDoc := ivanov
	ivanovWithDoc.MiddleName = ""
	ivanovWithDoc.DocType, ivanovWithDoc.DocSeries, ivanovWithDoc.DocNumber = "1", "4500", "123456"
	acts := []domain.CourtAct{
		act("A"), // Иванов, docA
		act("B", func(a *domain.CourtAct) { a.Debtors = []domain.Debtor{ivanovWithDoc, petrova}; a.Document = docB }),
		act("C", func(a *domain.CourtAct) {
			a.Debtors = []domain.Debtor{petrova}
			a.Document = &domain.Document{Name: "c.pdf", Path: " "}
		}),
		act("X", func(a *domain.CourtAct) { a.OrgGUID = "org-2"; a.Debtors = []domain.Debtor{petrova} }),
		act("Z", func(a *domain.CourtAct) { a.PremisesID = "P9" }),
	}
	// The rules' proposal: debt, Иванов with act A's file; a review reason keeps it for a person.
	debtProposal := func() *domain.Decision {
		d := Decide(sub(), matched("P1"), acts[:1], today)
		d.Review, d.ReviewReasons = true, []string{"allocation: неясно, кто должник"}
		d.Description = "долг подтверждён приказом"
		return &d
	}
	noDebtProposal := func() *domain.Decision {
		d := Decide(sub(), matched("P1"), nil, today)
		d.Review, d.ReviewReasons = true, []string{"partial_period: частично вне периода"}
		return &d
	}
	// A proposal stored before documents named their acts.
	oldProposal := func() *domain.Decision {
		d := debtProposal()
		d.DebtInfo = []domain.DebtInfo{{Person: domain.Person(ivanov), Documents: []domain.Document{*docA}}}
		return d
	}
	emptyPath := func() *domain.Decision {
		d := debtProposal()
		d.DebtInfo = []domain.DebtInfo{{Person: domain.Person(ivanov), Documents: []domain.Document{{Name: "a.pdf", Path: "  "}}}}
		return d
	}
	none := func() *domain.Decision { return nil }
	desc := "задолженности нет"

	type check func(t *testing.T, got domain.Decision, proposal *domain.Decision)
	debtors := func(want ...string) check {
		return func(t *testing.T, got domain.Decision, _ *domain.Decision) {
			t.Helper()
			var names []string
			for _, di := range got.DebtInfo {
				names = append(names, di.Person.LastName)
			}
			if !got.HasDebt || !slices.Equal(names, want) {
				t.Errorf("debt %t, debtors %v; want debt with %v", got.HasDebt, names, want)
			}
		}
	}
	noDebt := func(t *testing.T, got domain.Decision, _ *domain.Decision) {
		t.Helper()
		if got.HasDebt || got.DebtInfo != nil {
			t.Errorf("debt %t, debtors %+v; want no debt and no debtors", got.HasDebt, got.DebtInfo)
		}
	}
	description := func(want string) check {
		return func(t *testing.T, got domain.Decision, _ *domain.Decision) {
			t.Helper()
			if got.Description != want {
				t.Errorf("description %q; want %q", got.Description, want)
			}
		}
	}
	rules := func(want string) check {
		return func(t *testing.T, got domain.Decision, _ *domain.Decision) {
			t.Helper()
			if got.RuleVersion != want {
				t.Errorf("rule version %q; want %q", got.RuleVersion, want)
			}
		}
	}
	proposalKept := func(t *testing.T, got domain.Decision, p *domain.Decision) {
		t.Helper()
		if got.RuleVersion != p.RuleVersion || !slices.Equal(got.Evidence, p.Evidence) || !slices.Equal(got.ReviewReasons, p.ReviewReasons) ||
			!slices.Equal(got.PremisesIDs, p.PremisesIDs) || got.MatchMethod != p.MatchMethod {
			t.Errorf("the proposal's rule version, evidence, reasons or match were lost:\n got %+v\nfrom %+v", got, p)
		}
	}
	// docsFromActs: every document names the act whose file it is.
	docsFromActs := func(want ...string) check {
		return func(t *testing.T, got domain.Decision, _ *domain.Decision) {
			t.Helper()
			var ids []string
			for _, di := range got.DebtInfo {
				for _, doc := range di.Documents {
					if doc.ActOrg != org {
						t.Errorf("document %s: act organization %q; want %q", doc.Path, doc.ActOrg, org)
					}
					ids = append(ids, doc.ActID+"="+doc.Path)
				}
			}
			if !slices.Equal(ids, want) {
				t.Errorf("documents (act=path) %v; want %v", ids, want)
			}
		}
	}

	tests := []struct {
		name     string
		proposal func() *domain.Decision
		choice   Choice
		comment  string
		wantErr  error
		checks   []check
	}{
		{"confirm", debtProposal, Choice{Answer: Confirm}, "", nil,
			[]check{debtors("Иванов"), proposalKept, description("долг подтверждён приказом"), docsFromActs("A=/acts/a.pdf")}},
		{"confirm without a proposal", none, Choice{Answer: Confirm}, "да", ErrNoProposal, nil},
		{"confirm no debt", noDebtProposal, Choice{Answer: Confirm}, "", nil, []check{noDebt, proposalKept}},
		{"change to no debt without comment", debtProposal, Choice{Answer: NoDebt}, "", ErrCommentRequired, nil},
		{"change to no debt with a blank comment", debtProposal, Choice{Answer: NoDebt}, " \n ", ErrCommentRequired, nil},
		{"change to no debt with comment", debtProposal, Choice{Answer: NoDebt}, "долг погашен", nil,
			[]check{noDebt, proposalKept, description("")}},
		{"change to no debt with a description", debtProposal, Choice{Answer: NoDebt, Description: &desc}, "долг погашен", nil,
			[]check{noDebt, description(desc)}},
		{"no debt as proposed", noDebtProposal, Choice{Answer: NoDebt}, "", nil, []check{noDebt, proposalKept}},
		{"no debt without a proposal", none, Choice{Answer: NoDebt}, "", nil, []check{noDebt, rules(manualRuleVersion)}},
		{"change to debt without comment", noDebtProposal, Choice{Answer: Debt, Acts: []string{"A"}}, "", ErrCommentRequired, nil},
		{"change to debt with comment", noDebtProposal, Choice{Answer: Debt, Acts: []string{"A"}}, "долг в периоде", nil,
			[]check{debtors("Иванов"), proposalKept, docsFromActs("A=/acts/a.pdf")}},
		{"debt with the proposal's acts is no change", debtProposal, Choice{Answer: Debt, Acts: []string{"A"}}, "", nil,
			[]check{debtors("Иванов"), description("долг подтверждён приказом")}},
		{"debt without acts keeps the proposal's debtors", debtProposal, Choice{Answer: Debt}, "", nil, []check{debtors("Иванов")}},
		{"debt without acts on a no-debt proposal", noDebtProposal, Choice{Answer: Debt}, "?", ErrNoDebtors, nil},
		{"debt without acts or proposal", none, Choice{Answer: Debt}, "?", ErrNoProposal, nil},
		{"debt with another act's debtors needs a comment", debtProposal, Choice{Answer: Debt, Acts: []string{"B"}}, "", ErrCommentRequired, nil},
		{"debtor merged across two acts", debtProposal, Choice{Answer: Debt, Acts: []string{"B", "A"}}, "оба акта", nil, []check{
			debtors("Иванов", "Петрова"),
			docsFromActs("A=/acts/a.pdf", "B=/acts/b.pdf", "B=/acts/b.pdf"),
			func(t *testing.T, got domain.Decision, _ *domain.Decision) {
				t.Helper()
				if p := got.DebtInfo[0].Person; p.MiddleName != ivanov.MiddleName || p.DocNumber != "123456" || p.DocSeries != "4500" {
					t.Errorf("Иванов = %+v; want act A's middle name and act B's identity document", p)
				}
			},
		}},
		{"documents of an old proposal name their acts", oldProposal, Choice{Answer: Confirm}, "", nil, []check{docsFromActs("A=/acts/a.pdf")}},
		{"unknown act", debtProposal, Choice{Answer: Debt, Acts: []string{"A", "nope"}}, "x", ErrUnknownAct, nil},
		{"act of another organization", debtProposal, Choice{Answer: Debt, Acts: []string{"X"}}, "x", ErrUnknownAct, nil},
		{"act at other premises", debtProposal, Choice{Answer: Debt, Acts: []string{"Z"}}, "x", ErrUnknownAct, nil},
		{"empty document path refused", emptyPath, Choice{Answer: Confirm}, "", ErrInvalidDecision, nil},
		{"act whose file has no path", debtProposal, Choice{Answer: Debt, Acts: []string{"C"}}, "только Петрова", ErrInvalidDecision, nil},
		{"comment too long", debtProposal, Choice{Answer: Confirm}, strings.Repeat("я", CommentMax+1), ErrCommentTooLong, nil},
		{"no answer", debtProposal, Choice{}, "x", ErrInvalidDecision, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			proposal := tt.proposal()
			var before domain.Decision
			if proposal != nil {
				before = *proposal
				before.DebtInfo = slices.Clone(before.DebtInfo)
				for i := range before.DebtInfo {
					before.DebtInfo[i].Documents = slices.Clone(before.DebtInfo[i].Documents)
				}
			}
			got, err := Review(sub(), proposal, acts, tt.choice, who, tt.comment, at)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !errors.Is(err, ErrInvalidDecision) || !strings.Contains(err.Error(), "sr-1") {
					t.Fatalf("error = %v; want %v (an ErrInvalidDecision) naming the sub-request", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.SubRequestGUID != "sr-1" || got.DecidedBy != who || got.Comment != strings.TrimSpace(tt.comment) || !got.DecidedAt.Equal(at) || got.Review {
				t.Errorf("stamp = guid %q by %q comment %q at %v review %t; want sr-1, %s, %q, %v, false",
					got.SubRequestGUID, got.DecidedBy, got.Comment, got.DecidedAt, got.Review, who, tt.comment, at)
			}
			for _, c := range tt.checks {
				c(t, got, proposal)
			}
			if proposal != nil {
				for i := range before.DebtInfo {
					if !slices.Equal(before.DebtInfo[i].Documents, proposal.DebtInfo[i].Documents) {
						t.Errorf("Review changed the proposal's documents: %+v", proposal.DebtInfo[i].Documents)
					}
				}
			}
		})
	}
}

// TestReviewSameAnswer: only hasDebt, the people and their files make an answer differ.
func TestReviewSameAnswer(t *testing.T) {
	t.Parallel()
	iv := domain.DebtInfo{Person: domain.Person(ivanov), Documents: []domain.Document{*docA}}
	pe := domain.DebtInfo{Person: domain.Person(petrova), Documents: []domain.Document{*docB}}
	ivMore := iv
	ivMore.Person.DocNumber = "123456"
	ivMore.Documents = []domain.Document{{Name: "renamed.pdf", Path: docA.Path, ActOrg: org, ActID: "A"}}
	ivOtherFile := iv
	ivOtherFile.Documents = []domain.Document{*docB}
	debt := func(di ...domain.DebtInfo) domain.Decision { return domain.Decision{HasDebt: true, DebtInfo: di} }
	tests := []struct {
		name string
		a, b domain.Decision
		want bool
	}{
		{"same", debt(iv, pe), debt(iv, pe), true},
		{"other order", debt(iv, pe), debt(pe, iv), true},
		{"details and act names", debt(iv), debt(ivMore), true},
		{"another debtor", debt(iv), debt(iv, pe), false},
		{"another file", debt(iv), debt(ivOtherFile), false},
		{"no debt", debt(iv), domain.Decision{}, false},
		{"both no debt", domain.Decision{}, domain.Decision{Description: "x"}, true},
	}
	for _, tt := range tests {
		if got := sameAnswer(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: sameAnswer = %t; want %t", tt.name, got, tt.want)
		}
	}
}

// TestReviewerLogin: a login with a bidirectional or other control character is refused, so
// the audit trail cannot be made to read as another name; ordinary logins pass.
func TestReviewerLogin(t *testing.T) {
	t.Parallel()
	at := date("2026-04-11").Add(10 * time.Hour)
	tests := []struct {
		who     string
		wantErr bool
	}{
		{"ivanova", false},
		{"Петрова А. А.", false},
		{"ivan\u202Eavoni", true}, // RIGHT-TO-LEFT OVERRIDE
		{"\u202Aivanova", true},   // LEFT-TO-RIGHT EMBEDDING
		{"ivanova\u2066", true},   // LEFT-TO-RIGHT ISOLATE
		{"ivanova\u2069", true},   // POP DIRECTIONAL ISOLATE
		{"iva\u200Enova", true},   // LEFT-TO-RIGHT MARK
		{"iva\u200Fnova", true},   // RIGHT-TO-LEFT MARK
		{"iva\u061Cnova", true},   // ARABIC LETTER MARK
		{"iva\x1bnova", true},     // a terminal escape
	}
	for _, tt := range tests {
		t.Run(tt.who, func(t *testing.T) {
			t.Parallel()
			_, err := Review(sub(), nil, nil, Choice{Answer: NoDebt}, tt.who, "", at)
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Review by %q: %v", tt.who, err)
				}
				return
			}
			if !errors.Is(err, ErrBadReviewer) || !errors.Is(err, ErrInvalidDecision) || !strings.Contains(err.Error(), "U+") {
				t.Errorf("Review by %q: error %v; want ErrBadReviewer naming the character", tt.who, err)
			}
			if !errors.Is(CheckReviewer(tt.who), ErrBadReviewer) {
				t.Errorf("CheckReviewer(%q) accepts it", tt.who)
			}
		})
	}
}

// TestReviewCorrection: in the review of a correction, an answer other than the one GIS
// holds is a correction; keeping that answer is not, and needs a comment.
func TestReviewCorrection(t *testing.T) {
	t.Parallel()
	at := date("2026-04-11").Add(10 * time.Hour)
	acts := []domain.CourtAct{act("A")}
	sent := Decide(sub(), matched("P1"), acts, today) // debt, as sent
	sent.Description = "долг подтверждён приказом"
	// The re-check's proposal: the act is repaid, no debt.
	proposal := func() *domain.Decision {
		d := Decide(sub(), matched("P1"), nil, today)
		d.Review, d.Correction, d.ReviewReasons = true, true, []string{"ответ больше не соответствует данным организации"}
		return &d
	}
	tests := []struct {
		name           string
		choice         Choice
		comment        string
		wantErr        error
		wantCorrection bool
		wantDebt       bool
	}{
		{"confirm the proposal", Choice{Answer: Confirm, Sent: &sent}, "", nil, true, false},
		{"no debt", Choice{Answer: NoDebt, Sent: &sent}, "", nil, true, false},
		{"keep the sent answer", Choice{Answer: KeepSent, Sent: &sent}, "акт не погашен, выписка банка ошибочна", nil, false, true},
		{"keep without a comment", Choice{Answer: KeepSent, Sent: &sent}, "", ErrCommentRequired, false, false},
		{"debt as sent is no correction", Choice{Answer: Debt, Acts: []string{"A"}, Sent: &sent}, "проверено", nil, false, true},
		{"GIS's automatic answer kept", Choice{Answer: KeepSent}, "проверено", nil, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Review(sub(), proposal(), acts, tc.choice, "ivanova", tc.comment, at)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v; want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if got.Correction != tc.wantCorrection || got.HasDebt != tc.wantDebt {
				t.Errorf("correction %t, debt %t; want %t, %t", got.Correction, got.HasDebt, tc.wantCorrection, tc.wantDebt)
			}
			if tc.choice.Answer == KeepSent && tc.choice.Sent != nil && got.Description != sent.Description {
				t.Errorf("kept answer's description %q; want the sent one's %q", got.Description, sent.Description)
			}
		})
	}
	if _, err := Review(sub(), &sent, acts, Choice{Answer: KeepSent}, "ivanova", "x", at); !errors.Is(err, ErrNotCorrection) {
		t.Errorf("KeepSent outside a correction: %v; want ErrNotCorrection", err)
	}
}
