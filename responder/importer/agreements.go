package importer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
)

// AgreementsStore is the part of the store an agreements import needs.
type AgreementsStore interface {
	MissingCourtActs(ctx context.Context, org string, ids []string) ([]string, error)
	ImportAgreements(ctx context.Context, org string, agreements []domain.Agreement) (store.ImportStats, error)
}

func agreementColumns() []column {
	return []column{
		{"act_id", true, []string{"код акта", "ид акта", "идентификатор акта"}},
		{"agreement_number", true, []string{"номер соглашения", "номер", "номер рассрочки"}},
		{"agreement_date", true, []string{"дата соглашения", "дата", "дата рассрочки"}},
		{"kind", true, []string{"вид", "вид соглашения", "тип"}},
		{"schedule_end", false, []string{"окончание графика", "дата окончания графика", "срок погашения"}},
		{"amount", true, []string{"сумма", "сумма соглашения", "сумма долга"}},
		{"paid", true, []string{"оплачено", "погашено", "оплачено по соглашению"}},
		{"status", true, []string{"статус", "состояние"}},
	}
}

// parsedAgreements is the result of reading an agreements table: the agreements in file
// order and the line of each.
type parsedAgreements struct {
	agreements []domain.Agreement
	lines      []int
}

// ParseAgreements validates an agreements table (one row per agreement). On any problem it
// returns a *RowErrors listing every one of them, and no agreements. Whether the court acts
// exist is checked by the import against the store, not here.
func ParseAgreements(t *Table) ([]domain.Agreement, error) {
	p, err := parseAgreements(t)
	if err != nil {
		return nil, err
	}
	return p.agreements, nil
}

// parseAgreements returns what it could read even when it also returns row errors.
func parseAgreements(t *Table) (parsedAgreements, error) {
	if err := wrongKind(t, "agreements"); err != nil {
		return parsedAgreements{}, err
	}
	errs := &collector{errs: append([]RowError(nil), t.Problems...)}
	known := agreementColumns()
	cols := mapHeader(t, known, errs)
	xlsx := t.Format == "xlsx"
	type key struct{ act, number string }
	seen := make(map[key]int, len(t.Rows))
	var out parsedAgreements
	for _, r := range t.Rows {
		cellTooLong(r, cols, known, errs)
		a := domain.Agreement{
			ActID:  required(r, cols, errs, "act_id"),
			Number: required(r, cols, errs, "agreement_number"),
		}
		date := func(name string, req bool) time.Time {
			v := cols.get(r, name)
			if req {
				v = required(r, cols, errs, name)
			}
			if v == "" {
				return time.Time{}
			}
			d, err := parseDate(v, xlsx)
			if err != nil {
				errs.add(r.Line, name, "%v", err)
			}
			return d
		}
		money := func(name string) domain.Money {
			v := required(r, cols, errs, name)
			if v == "" {
				return 0
			}
			m, err := parseMoney(v, xlsx)
			if err != nil {
				errs.add(r.Line, name, "%v", err)
			}
			return m
		}
		a.Date = date("agreement_date", true)
		if v := required(r, cols, errs, "kind"); v != "" {
			k, err := parseAgreementKind(v)
			if err != nil {
				errs.add(r.Line, "kind", "%v", err)
			}
			a.Kind = k
		}
		a.ScheduleEnd = date("schedule_end", false)
		moneyErrs := len(errs.errs)
		a.Amount, a.Paid = money("amount"), money("paid")
		moneyOK := len(errs.errs) == moneyErrs
		if v := required(r, cols, errs, "status"); v != "" {
			s, err := parseAgreementStatus(v)
			if err != nil {
				errs.add(r.Line, "status", "%v", err)
			}
			a.Status = s
		}
		if !a.Date.IsZero() && !a.ScheduleEnd.IsZero() && a.ScheduleEnd.Before(a.Date) {
			errs.add(r.Line, "schedule_end", "the schedule ends (%s) before the agreement was made (%s)",
				a.ScheduleEnd.Format(time.DateOnly), a.Date.Format(time.DateOnly))
		}
		if moneyOK && a.Paid > a.Amount {
			errs.add(r.Line, "paid", "more is paid than the agreement covers (amount)")
		}
		if a.ActID == "" || a.Number == "" {
			continue
		}
		k := key{a.ActID, a.Number}
		if first, dup := seen[k]; dup {
			errs.add(r.Line, "agreement_number", "agreement %q of act %q is already listed on line %d", clip(a.Number), clip(a.ActID), first)
			continue
		}
		seen[k] = r.Line
		out.agreements = append(out.agreements, a)
		out.lines = append(out.lines, r.Line)
	}
	return out, errs.err("")
}

// parseAgreementKind accepts the canonical kinds and their Russian names.
func parseAgreementKind(s string) (domain.AgreementKind, error) {
	switch normalizeName(s) {
	case "agreement", "соглашение", "соглашение о погашении", "соглашение о погашении задолженности", "реструктуризация":
		return domain.AgreementRepayment, nil
	case "instalment", "installment", "рассрочка", "рассрочка судом", "рассрочка исполнения":
		return domain.AgreementInstalment, nil
	}
	return "", fmt.Errorf("kind %q is unknown: use agreement (соглашение) or instalment (рассрочка)", s)
}

// parseAgreementStatus accepts the canonical statuses and their Russian names.
func parseAgreementStatus(s string) (domain.AgreementStatus, error) {
	switch normalizeName(s) {
	case "active", "действует", "действующее", "исполняется":
		return domain.AgreementActive, nil
	case "broken", "нарушено", "нарушен", "нарушается":
		return domain.AgreementBroken, nil
	case "fulfilled", "исполнено", "исполнен", "выполнено":
		return domain.AgreementFulfilled, nil
	}
	return "", fmt.Errorf("status %q is unknown: use active (действует), broken (нарушено) or fulfilled (исполнено)", s)
}

// ImportAgreements imports a file of repayment agreements and instalments into st. Every
// agreement's court act must already be in the store (for the organization).
func ImportAgreements(ctx context.Context, st AgreementsStore, path string, opts Options) (Result, error) {
	run, err := start(path, opts)
	if err != nil {
		return Result{}, err
	}
	parsed, perr := parseAgreements(run.table)
	if err := run.validate(perr, len(parsed.agreements), func() ([]RowError, error) {
		return missingActs(ctx, st, run.opts.Org, parsed)
	}); err != nil {
		return Result{}, err
	}
	run.report("validated", len(parsed.agreements))
	stats, err := st.ImportAgreements(ctx, run.opts.Org, parsed.agreements)
	var ma *store.MissingActsError
	if errors.As(err, &ma) {
		// Acts removed between the check and the write: still report by line.
		gone := make(map[string]bool, len(ma.ActIDs))
		for _, id := range ma.ActIDs {
			gone[id] = true
		}
		return Result{}, run.fail(&RowErrors{Errors: actErrors(parsed, gone)})
	}
	if err != nil {
		return Result{}, fmt.Errorf("import %s: %w", path, err)
	}
	return run.done(len(parsed.agreements), stats), nil
}

// missingActs asks the store which court acts the agreements refer to are unknown and
// reports each row that names one.
func missingActs(ctx context.Context, st AgreementsStore, org string, p parsedAgreements) ([]RowError, error) {
	seen := make(map[string]bool)
	var ids []string
	for _, a := range p.agreements {
		if !seen[a.ActID] {
			seen[a.ActID] = true
			ids = append(ids, a.ActID)
		}
	}
	missing, err := st.MissingCourtActs(ctx, org, ids)
	if err != nil {
		return nil, err
	}
	gone := make(map[string]bool, len(missing))
	for _, id := range missing {
		gone[id] = true
	}
	return actErrors(p, gone), nil
}

func actErrors(p parsedAgreements, gone map[string]bool) []RowError {
	var errs []RowError
	for i, a := range p.agreements {
		if gone[a.ActID] {
			errs = append(errs, RowError{Line: p.lines[i], Column: "act_id",
				Reason: fmt.Sprintf("court act %q is not in the store (import the court acts file first)", clip(a.ActID))})
		}
	}
	return errs
}
