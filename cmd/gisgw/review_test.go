package main

import (
	"context"
	"strings"
	"testing"

	"github.com/gisgw/gisgw/responder/store/storeopen"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/report/reporttest"
)

func TestReviewList(t *testing.T) {
	t.Parallel()
	db := seededDB(t)
	code, stdout, stderr := runCLI(t, "review", "list", "--db", db, "--today", "2026-03-16")
	if code != 0 {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"На проверке: 3", reporttest.ReviewReason, "решение не предложено", "-5 (просрочен)", "есть долг (должников: 1)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("list lacks %q:\n%s", want, stdout)
		}
	}
	// By deadline: 6 (06.03), 2 (17.03), 14 (19.03).
	i6, i2, i14 := strings.Index(stdout, reporttest.GUID(6)), strings.Index(stdout, reporttest.GUID(2)), strings.Index(stdout, reporttest.GUID(14))
	if i6 < 0 || i2 < i6 || i14 < i2 {
		t.Errorf("list is not by deadline (6, 2, 14):\n%s", stdout)
	}
	if code, stdout, _ := runCLI(t, "review", "list", "--db", db, "--org", reporttest.OrgB); code != 0 || !strings.Contains(stdout, "Очередь проверки пуста") {
		t.Errorf("OrgB's queue: code %d, stdout %q; want empty", code, stdout)
	}
}

func TestReviewShow(t *testing.T) {
	t.Parallel()
	db := seededDB(t)
	code, stdout, stderr := runCLI(t, "review", "show", reporttest.GUID(2), "--db", db, "--today", "2026-03-16")
	if code != 0 {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
	for _, want := range []string{
		"Подзапрос " + reporttest.GUID(2), "Состояние:", "на проверке", "УСЗН района Хамовники",
		"Срок ответа:", "17.03.2026 (осталось рабочих дней: 1)",
		"Сопоставление: house_flat; помещения: P-002",
		"Предложенное решение: есть долг (должников: 1)",
		"должник 1: Иванов Иван Иванович; СНИЛС указан; документ личности указан; файлы актов: prikaz-2-123.pdf",
		"акт A-1 — учтён: вступил в силу", "акт A-2 — не учтён: отменён 01.02.2026",
		"причины проверки:", reporttest.ReviewReason, "История:", "recorded", "decided",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, stdout)
		}
	}
	for _, secret := range []string{reporttest.Debtor.SNILS, reporttest.Debtor.DocNumber} {
		if strings.Contains(stdout+stderr, secret) {
			t.Errorf("show prints a SNILS or document number %q", secret)
		}
	}
	code, stdout, _ = runCLI(t, "review", "show", "--db", db, reporttest.GUID(6))
	if code != 0 || !strings.Contains(stdout, "заметки:") || !strings.Contains(stdout, "нет долга") {
		t.Errorf("show 6: code %d; want its notes and the no-debt proposal:\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, "review", "show", "--db", db, reporttest.GUID(7))
	if code != 0 || !strings.Contains(stdout, "SRV006001: Подзапрос уже обработан") || !strings.Contains(stdout, "sending→failed") {
		t.Errorf("show 7: code %d; want GIS's error in the fields and the trail:\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, "review", "show", "--db", db, reporttest.GUID(14))
	if code != 0 || !strings.Contains(stdout, "Решение не предложено") {
		t.Errorf("show 14: code %d; want no proposal:\n%s", code, stdout)
	}
	if code, _, stderr := runCLI(t, "review", "show", "--db", db, "nope"); code != 1 || !strings.Contains(stderr, "not in the store") {
		t.Errorf("unknown GUID: code %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "review", "show", "--db", db); code != 1 || !strings.Contains(stderr, "exactly one sub-request GUID") {
		t.Errorf("no GUID: code %d, stderr %q", code, stderr)
	}
}

func TestReviewDecide(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		n        int
		args     []string
		hasDebt  bool
		debtors  int
		desc     string
		wantOut  string
		wantNote string
	}{
		{"debt keeps the debtors", 2, []string{"--as", "debt", "--by", "ivanova", "--comment", "checked the order"},
			true, 1, "задолженность подтверждена судебным приказом", "есть долг (должников: 1), recorded by ivanova", "checked the order"},
		{"proposed as it is", 2, []string{"--as", "proposed", "--by", "ivanova"},
			true, 1, "задолженность подтверждена судебным приказом", "есть долг (должников: 1)", ""},
		{"no debt clears the debtors and the proposal's text", 2, []string{"--as", "no-debt", "--by", "petrov", "--comment", "paid in full"},
			false, 0, "", "нет долга, recorded by petrov", "paid in full"},
		{"no debt with a description", 6, []string{"--by", "petrov", "--as", "no-debt", "--description", "судебных актов нет"},
			false, 0, "судебных актов нет", "нет долга", ""},
		{"no debt without a proposal", 14, []string{"--as", "no-debt", "--by", "petrov"},
			false, 0, "", "нет долга", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := seededDB(t)
			guid := reporttest.GUID(tc.n)
			code, stdout, stderr := runCLI(t, append([]string{"review", "decide", guid, "--db", db}, tc.args...)...)
			if code != 0 || !strings.Contains(stdout, tc.wantOut) || !strings.Contains(stdout, "ready («готов к отправке»)") {
				t.Fatalf("code %d, stdout %q, stderr %q; want %q", code, stdout, stderr, tc.wantOut)
			}
			st, err := storeopen.Open(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			ctx := context.Background()
			sr, err := st.GetSubRequest(ctx, guid)
			if err != nil || sr.State != domain.StateReady {
				t.Fatalf("state = %q (%v); want ready", sr.State, err)
			}
			d, err := st.GetDecision(ctx, guid)
			if err != nil {
				t.Fatal(err)
			}
			if d.HasDebt != tc.hasDebt || len(d.DebtInfo) != tc.debtors || d.Description != tc.desc || d.Review || d.DecidedBy == "" {
				t.Errorf("decision = hasDebt %t, %d debtors, description %q, review %t, by %q; want %t, %d, %q, false, the login",
					d.HasDebt, len(d.DebtInfo), d.Description, d.Review, d.DecidedBy, tc.hasDebt, tc.debtors, tc.desc)
			}
			audit, err := st.Audit(ctx, guid)
			if err != nil {
				t.Fatal(err)
			}
			last := audit[len(audit)-1]
			if last.Action != "reviewed" || last.Actor != d.DecidedBy || !strings.Contains(last.Detail, tc.wantNote) {
				t.Errorf("last audit entry = %+v; want reviewed by %s with %q", last, d.DecidedBy, tc.wantNote)
			}
			// Decided once: a second decision is refused, the sub-request is no longer in review.
			code, _, stderr = runCLI(t, append([]string{"review", "decide", guid, "--db", db}, tc.args...)...)
			if code != 1 || !strings.Contains(stderr, "not in review") {
				t.Errorf("second decide: code %d, stderr %q; want refused", code, stderr)
			}
		})
	}

	db := seededDB(t)
	errorCases := []struct {
		name string
		args []string
		want string
	}{
		{"debt without debtors", []string{reporttest.GUID(6), "--as", "debt", "--by", "x"}, "names no debtors"},
		{"debt without a proposal", []string{reporttest.GUID(14), "--as", "debt", "--by", "x"}, "has no proposed decision"},
		{"not in review (ready)", []string{reporttest.GUID(3), "--as", "debt", "--by", "x"}, "is ready («готов к отправке»), not in review"},
		{"not in review (answered)", []string{reporttest.GUID(8), "--as", "no-debt", "--by", "x"}, "not in review"},
		{"unknown", []string{"nope", "--as", "no-debt", "--by", "x"}, "not in the store"},
		{"no --as", []string{reporttest.GUID(2), "--by", "x"}, "--as is required"},
		{"bad --as", []string{reporttest.GUID(2), "--as", "maybe", "--by", "x"}, `--as "maybe"`},
		{"no --by", []string{reporttest.GUID(2), "--as", "debt"}, "--by LOGIN is required"},
		{"no GUID", []string{"--as", "debt", "--by", "x"}, "exactly one sub-request GUID"},
		{"description too long", []string{reporttest.GUID(2), "--as", "proposed", "--by", "x", "--description", strings.Repeat("я", 1001)}, "at most 1000"},
	}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, append([]string{"review", "decide", "--db", db}, tc.args...)...)
			if code != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("code %d, stderr %q; want a failure with %q", code, stderr, tc.want)
			}
		})
	}
	// None of the refusals changed anything.
	st, err := storeopen.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for n, want := range map[int]domain.State{2: domain.StateReview, 6: domain.StateReview, 14: domain.StateReview, 3: domain.StateReady} {
		if sr, err := st.GetSubRequest(context.Background(), reporttest.GUID(n)); err != nil || sr.State != want {
			t.Errorf("sub-request %d is %q (%v) after the refusals; want %q", n, sr.State, err, want)
		}
	}
}
