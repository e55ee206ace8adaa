package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/ru"
	"github.com/gisgw/gisgw/responder/store"
)

// DeadlineRule is the organization's rule for sub-requests still waiting for a person one
// working day before their deadline (LEGAL-RULES §10.8). The zero value turns the step off.
type DeadlineRule struct {
	// NoDebt lists the review reason codes (the "code" of a stored "code: text" reason)
	// whose sub-requests are answered "no debt" then; every other reason waits for the
	// person. A sub-request is answered only when all its reasons are listed.
	NoDebt []string
	// WorkingDaysLeft measures a deadline from today by the production calendar
	// (calendar.Calendar.WorkingDaysLeft); nil turns the step off.
	WorkingDaysLeft func(today, deadline time.Time) (days int, past bool)
}

// PolicyActor is who the audit trail and the decision name for an answer given by the
// organization's deadline rule.
const PolicyActor = "система (правило организации)"

// NoRecordsDescription is the description of a "no debt" given by the rule when no premises
// of the organization matched the request.
const NoRecordsDescription = "В учёте организации нет сведений о помещениях по этому адресу; судебных актов о задолженности нет."

// PolicyNote marks a decision recorded by the deadline rule ("no debt" sent without a
// person).
const PolicyNote = "Ответ «задолженности нет» дан по правилу организации: сотрудник не принял решение за один рабочий день до срока ответа."

// WaitNote marks the latest decision of a sub-request the deadline rule left to the person.
const WaitNote = "Срок ответа истекает в следующий рабочий день, а сотрудник ещё не принял решение. " +
	"По правилу организации ответ не отправляется автоматически и ждёт решения сотрудника; " +
	"без него после срока ГИС ЖКХ сама ответит «задолженности нет» и отметит ответ как просроченный."

// deadline applies the DeadlineRule to every organization's review queue: on the working
// day before the deadline (or on the deadline day itself, when the daemon did not run the
// day before) a sub-request whose reasons all say "no debt" and whose proposal is "no
// debt" is answered so; any other is left to the person, and that is recorded once. An
// automatic "debt" is never made: a proposal naming debtors always waits.
func (p *Pipeline) deadline(ctx context.Context) (Progress, error) {
	rule := p.o.Deadline
	if rule.WorkingDaysLeft == nil {
		return Progress{}, nil
	}
	today := calendar.Today(p.o.Now())
	var pr Progress
	var errs []error
	for _, org := range p.o.Orgs {
		items, err := p.o.Store.ListReview(ctx, org.GUID)
		if err != nil {
			errs = append(errs, fmt.Errorf("deadline rule for %s: list the review queue: %w", org.GUID, err))
			continue
		}
		for _, it := range items {
			if it.SubRequest.ResponseDate.IsZero() {
				continue
			}
			deadline := calendar.DateOf(it.SubRequest.ResponseDate)
			if days, past := rule.WorkingDaysLeft(today, deadline); past || days > 1 {
				continue
			}
			answered, err := p.applyDeadlineRule(ctx, it, deadline)
			if errors.Is(err, domain.ErrConflict) || errors.Is(err, domain.ErrNotFound) {
				continue // a person (or another replica) acted meanwhile
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("deadline rule for %s: %w", it.SubRequest.GUID, err))
				continue
			}
			if answered {
				pr.Decided++
			}
		}
	}
	return pr, errors.Join(errs...)
}

// applyDeadlineRule answers one review item "no debt" when the rule allows it, or records
// once that it waits for the person. answered reports the former.
func (p *Pipeline) applyDeadlineRule(ctx context.Context, it store.ReviewItem, deadline time.Time) (answered bool, err error) {
	sr, d := it.SubRequest, it.Decision
	if d == nil {
		return false, nil // no proposal to answer from or to note on: the review queue shows it
	}
	if !p.noDebtAllowed(*d) {
		if slices.Contains(d.Notes, WaitNote) {
			return false, nil
		}
		// Still in review? The check narrows the window in which a person's decision could be
		// overwritten by this note.
		if err := p.o.Store.SetState(ctx, sr.GUID, domain.StateReview, domain.StateReview, PolicyActor, ""); err != nil {
			return false, err
		}
		w := *d
		w.Notes = append(slices.Clone(d.Notes), WaitNote)
		w.DecidedAt = p.o.Now()
		if err := p.o.Store.SaveDecision(ctx, w, domain.StateReview); err != nil {
			return false, fmt.Errorf("record that the answer waits for a person: %w", err)
		}
		p.log.Info("deadline rule: the answer waits for a person", "subrequest", sr.GUID, "deadline", deadline.Format(time.DateOnly))
		return false, nil
	}

	a := *d
	a.HasDebt, a.DebtInfo, a.Review = false, nil, false
	if len(a.PremisesIDs) == 0 {
		a.Description = NoRecordsDescription
	}
	a.Notes = append(slices.Clone(d.Notes), PolicyNote)
	comment := fmt.Sprintf("Сотрудник не принял решение за один рабочий день до срока ответа (%s); по правилу организации отправляется ответ «задолженности нет». Причины проверки: %s.",
		ru.Date(deadline), strings.Join(reasonCodes(*d), ", "))
	// RecordReview is a compare-and-set from review in one transaction: the rule and a
	// person's decision exclude each other, whoever records first decides, and no replica can
	// claim the bare proposal in between.
	if err := p.o.Store.RecordReview(ctx, sr.GUID, PolicyActor, comment, a); err != nil {
		return false, fmt.Errorf("record the rule's answer: %w", err)
	}
	p.log.Info("deadline rule: answered no debt", "subrequest", sr.GUID, "deadline", deadline.Format(time.DateOnly))
	return true, nil
}

// noDebtAllowed reports whether the rule may answer d "no debt": a proposal without
// debtors, every reason of which the organization set to no_debt.
func (p *Pipeline) noDebtAllowed(d domain.Decision) bool {
	if d.HasDebt || len(d.DebtInfo) > 0 || slices.ContainsFunc(d.Evidence, func(e domain.Evidence) bool { return e.Counted }) {
		return false
	}
	codes := reasonCodes(d)
	if len(codes) == 0 {
		return false // a review without a stated reason is the person's to judge
	}
	for _, c := range codes {
		if !slices.Contains(p.o.Deadline.NoDebt, c) {
			return false
		}
	}
	return true
}

// reasonCodes returns the codes of d's review reasons ("code: text"), in order, once each.
func reasonCodes(d domain.Decision) []string {
	var out []string
	for _, r := range d.ReviewReasons {
		code, _, ok := strings.Cut(r, ":")
		code = strings.TrimSpace(code)
		if !ok || code == "" || strings.ContainsFunc(code, func(c rune) bool { return c != '_' && (c < 'a' || c > 'z') }) {
			code = "" // not a coded reason: never in NoDebt
		}
		if !slices.Contains(out, code) {
			out = append(out, code)
		}
	}
	return out
}
