// Package report builds what a compliance officer reads: the deadline report of the
// organization's sub-requests (address, requester, sent date, GIS deadline, working days
// left, state, what was answered or why GIS refused) with totals, rendered as a text table,
// CSV, XLSX or printable HTML. Labels and contents are in Russian, the officers' language.
//
// The report holds no SNILS and no document numbers; for answers it shows only whether a
// debt was confirmed and for how many debtors. GIS's error texts and the notes (which may
// quote them) pass through mask.Text, the one masking rule. CSV and XLSX cells a
// spreadsheet would evaluate as a formula are neutralized (see neutralize).
package report

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/mask"
	"github.com/gisgw/gisgw/responder/pipeline"
	"github.com/gisgw/gisgw/responder/ru"
	"github.com/gisgw/gisgw/responder/store"
)

// Source is the part of the store the report reads; store.Store satisfies it.
type Source interface {
	ListSubRequests(ctx context.Context, f store.SubRequestFilter) ([]domain.SubRequest, error)
	GetDecision(ctx context.Context, guid string) (domain.Decision, error)
	Audit(ctx context.Context, guid string) ([]domain.AuditEntry, error)
}

// Options selects what the report shows.
type Options struct {
	// Org is the orgPPAGUID to report on; empty: every organization in the store.
	Org string
	// Today is the date the working days are counted from (its year, month and day); zero:
	// the current date in Moscow.
	Today time.Time
	// Calendar counts working days; nil: the embedded federal calendar.
	Calendar *calendar.Calendar
	// IncludeClosed adds answered and auto-answered sub-requests whose deadline is within
	// [ClosedFrom, ClosedTo] (a zero end leaves that side open). Open sub-requests (failed
	// ones included) are always shown.
	IncludeClosed bool
	ClosedFrom    time.Time
	ClosedTo      time.Time
	// OrgNames names the organizations (orgPPAGUID → name, from the configuration), so that
	// the report names them rather than giving GUIDs.
	OrgNames map[string]string
}

// Report is the deadline report as of one day.
type Report struct {
	Org           string
	OrgName       string // Org's name; "" when Org is empty or has no name
	Today         time.Time
	IncludeClosed bool
	Rows          []Row
	Totals        Totals
}

// Row is one sub-request of the report.
type Row struct {
	GUID          string
	OrgGUID       string
	OrgName       string // the organization's name; its GUID when it has none
	RequestNumber string
	Address       string
	Requester     string
	SentDate      time.Time
	Deadline      time.Time // GIS responseDate; zero when GIS gave none
	// DaysLeft is the number of working days after Today up to and including the deadline
	// (0: the deadline is today). Past the deadline it is negative: minus the working days
	// since the deadline, at least -1. Meaningless when Deadline is zero.
	DaysLeft int
	State    domain.State
	Overdue  bool   // open (domain.State.Open) and past the deadline
	Status   string // Russian label: StatusOverdue for overdue rows, else ru.StateName(State)
	// For answered sub-requests: when GIS accepted the answer (from the audit trail) and
	// what it said.
	AnsweredAt time.Time
	HasDebt    bool
	Debtors    int
	Answered   bool // the answer fields above are known
	// For failed ones: GIS's refusal.
	ErrorCode string
	ErrorText string
	// Note: review reasons, the pipeline stage of an overdue row.
	Note string
}

// Totals summarize the rows.
type Totals struct {
	Total int
	// ByStatus counts rows by Status, overdue first, then along the pipeline; an overdue
	// row counts only as «просрочен», so the counts add up to Total.
	ByStatus []StatusCount
	Overdue  int
	// DueIn1 and DueIn2 count open rows not overdue whose deadline is within 1 (today or the
	// next working day) and 2 working days.
	DueIn1 int
	DueIn2 int
	// OnTime counts the closed rows GIS accepted our answer for by the deadline; Late those
	// answered after it and those GIS answered automatically (a missed deadline by law).
	// Answers whose time is not known count in neither.
	OnTime int
	Late   int
}

// StatusCount is the number of rows with one status.
type StatusCount struct {
	Status string
	Count  int
}

// The notes on what the organization's deadline rule did (LEGAL-RULES §10.8).
const (
	NoteByRule = "ответ «задолженности нет» дан по правилу организации: сотрудник не принял решение за один рабочий день до срока"
	NoteWaits  = "срок — следующий рабочий день; по правилу организации ответ ждёт решения сотрудника"
)

// The notes on a correction of a sent answer (LEGAL-RULES §10.7): NoteCorrection precedes
// the step it is at (ru.CorrectionStep).
const (
	NoteCorrection = "исправление: "
	NoteCorrected  = "исправление: ГИС ЖКХ приняла исправленный ответ"
)

// StatusOverdue is the status of an open sub-request past its deadline.
const StatusOverdue = "просрочен"

// statusOrder is the order statuses are totalled in.
var statusOrder = func() []string {
	out := []string{StatusOverdue}
	for _, s := range domain.States() {
		out = append(out, ru.StateName(s))
	}
	return out
}()

// Build reads the store and builds the report.
func Build(ctx context.Context, src Source, opts Options) (Report, error) {
	cal := opts.Calendar
	if cal == nil {
		c, err := calendar.New()
		if err != nil {
			return Report{}, fmt.Errorf("build report: %w", err)
		}
		cal = c
	}
	today := opts.Today
	if today.IsZero() {
		today = calendar.Today(time.Now())
	}
	today = calendar.DateOf(today)
	states := domain.States()
	if !opts.IncludeClosed {
		states = slices.DeleteFunc(states, func(s domain.State) bool { return !s.Open() })
	}
	subs, err := src.ListSubRequests(ctx, store.SubRequestFilter{Org: opts.Org, States: states})
	if err != nil {
		return Report{}, fmt.Errorf("build report: list sub-requests: %w", err)
	}
	rep := Report{Org: opts.Org, OrgName: opts.OrgNames[opts.Org], Today: today, IncludeClosed: opts.IncludeClosed}
	for _, sr := range subs {
		if sr.State.Closed() && !inRange(sr.ResponseDate, opts.ClosedFrom, opts.ClosedTo) {
			continue
		}
		row, err := buildRow(ctx, src, cal, today, sr)
		if err != nil {
			return Report{}, fmt.Errorf("build report: sub-request %s: %w", sr.GUID, err)
		}
		row.OrgName = cmp.Or(strings.TrimSpace(opts.OrgNames[sr.OrgGUID]), sr.OrgGUID)
		rep.Rows = append(rep.Rows, row)
	}
	slices.SortStableFunc(rep.Rows, func(a, b Row) int {
		if a.Deadline.IsZero() != b.Deadline.IsZero() {
			if a.Deadline.IsZero() {
				return 1
			}
			return -1
		}
		return cmp.Or(a.Deadline.Compare(b.Deadline), strings.Compare(a.GUID, b.GUID))
	})
	rep.Totals = totals(rep.Rows)
	return rep, nil
}

func inRange(d, from, to time.Time) bool {
	if !from.IsZero() && (d.IsZero() || calendar.DateOf(d).Before(calendar.DateOf(from))) {
		return false
	}
	if !to.IsZero() && (d.IsZero() || calendar.DateOf(d).After(calendar.DateOf(to))) {
		return false
	}
	return true
}

func buildRow(ctx context.Context, src Source, cal *calendar.Calendar, today time.Time, sr domain.SubRequest) (Row, error) {
	r := Row{
		GUID:          sr.GUID,
		OrgGUID:       sr.OrgGUID,
		RequestNumber: sr.RequestNumber,
		Address:       address(sr),
		Requester:     sr.RequesterName,
		SentDate:      sr.SentDate,
		Deadline:      sr.ResponseDate,
		State:         sr.State,
		Status:        ru.StateName(sr.State),
		ErrorCode:     mask.Text(sr.ErrorCode),
		ErrorText:     mask.Text(sr.ErrorText),
	}
	var notes []string
	if step := ru.CorrectionStep(sr.Correction); step != "" {
		notes = append(notes, NoteCorrection+step)
	}
	if sr.BlockedReason != "" {
		notes = append(notes, sr.BlockedReason)
	}
	if sr.State == domain.StateAutoAnswered {
		notes = append(notes, "срок пропущен: ГИС ЖКХ ответила «задолженности нет» автоматически")
	}
	if !r.Deadline.IsZero() {
		var past bool
		r.DaysLeft, past = cal.WorkingDaysLeft(today, r.Deadline)
		if past && sr.State.Open() {
			r.Overdue, r.Status = true, StatusOverdue
			notes = append(notes, "этап: "+ru.StateName(sr.State))
		}
	}
	switch sr.State {
	case domain.StateReview:
		d, err := src.GetDecision(ctx, sr.GUID)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			notes = append(notes, ru.NoProposal)
		case err != nil:
			return Row{}, fmt.Errorf("decision: %w", err)
		default:
			// The stored "code: text" is for machines; the officer reads the text.
			notes = append(notes, ru.Reasons(d.ReviewReasons)...)
			if slices.Contains(d.Notes, pipeline.WaitNote) {
				notes = append(notes, NoteWaits)
			}
		}
	case domain.StateReady, domain.StateSending:
		d, err := src.GetDecision(ctx, sr.GUID)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return Row{}, fmt.Errorf("decision: %w", err)
		}
		if err == nil && d.DecidedBy == pipeline.PolicyActor {
			notes = append(notes, NoteByRule)
		}
	case domain.StateAnswered:
		d, err := src.GetDecision(ctx, sr.GUID)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return Row{}, fmt.Errorf("decision: %w", err)
		}
		if err == nil {
			r.Answered, r.HasDebt, r.Debtors = true, d.HasDebt, len(d.DebtInfo)
			if d.DecidedBy == pipeline.PolicyActor {
				notes = append(notes, NoteByRule)
			}
			// The answer a person chose to correct the one sent before, now accepted.
			if d.Correction && sr.Correction == domain.CorrectionNone {
				notes = append(notes, NoteCorrected)
			}
		}
		audit, err := src.Audit(ctx, sr.GUID)
		if err != nil {
			return Row{}, fmt.Errorf("audit trail: %w", err)
		}
		r.AnsweredAt = answeredAt(audit)
	}
	r.Note = mask.Text(strings.Join(notes, "; "))
	return r, nil
}

// answeredAt is the time of the last audit entry that moved the sub-request to answered
// ("sending→answered: …", written by the store when GIS's result is recorded).
func answeredAt(audit []domain.AuditEntry) time.Time {
	for i := len(audit) - 1; i >= 0; i-- {
		if strings.Contains(audit[i].Detail, "→"+string(domain.StateAnswered)) {
			return audit[i].At
		}
	}
	return time.Time{}
}

func totals(rows []Row) Totals {
	t := Totals{Total: len(rows)}
	counts := map[string]int{}
	for _, r := range rows {
		counts[r.Status]++
		switch {
		case r.State == domain.StateAutoAnswered:
			t.Late++
		case r.State == domain.StateAnswered && !r.AnsweredAt.IsZero():
			if r.Deadline.IsZero() || !calendar.Today(r.AnsweredAt).After(calendar.DateOf(r.Deadline)) {
				t.OnTime++
			} else {
				t.Late++
			}
		}
		if r.Overdue {
			t.Overdue++
			continue
		}
		if r.State.Open() && !r.Deadline.IsZero() {
			if r.DaysLeft <= 1 {
				t.DueIn1++
			}
			if r.DaysLeft <= 2 {
				t.DueIn2++
			}
		}
	}
	for _, s := range statusOrder {
		t.ByStatus = append(t.ByStatus, StatusCount{s, counts[s]})
		delete(counts, s)
	}
	for s, n := range counts { // states this build does not know; kept so totals add up
		t.ByStatus = append(t.ByStatus, StatusCount{s, n})
	}
	return t
}

// Answer is the Russian summary of what was answered: «есть долг (должников: 2)» or «нет
// долга»; empty when unknown.
func (r Row) Answer() string {
	if !r.Answered {
		return ""
	}
	return ru.Answer(r.HasDebt, r.Debtors)
}

// GISError is «code: text» of GIS's refusal; empty when none.
func (r Row) GISError() string {
	return strings.Join(nonEmpty(r.ErrorCode, r.ErrorText), ": ")
}

// DaysLeftText is the working days left as the renderers print them.
func (r Row) DaysLeftText() string {
	switch {
	case r.Deadline.IsZero():
		return "—"
	case r.DaysLeft < 0 && r.Overdue:
		return fmt.Sprintf("%d (просрочен)", r.DaysLeft)
	}
	return fmt.Sprint(r.DaysLeft)
}

// WriteDeadlineTable builds the report and writes it as a text table: the one call the
// demo and other callers need to print it.
func WriteDeadlineTable(ctx context.Context, w io.Writer, src Source, opts Options) error {
	rep, err := Build(ctx, src, opts)
	if err != nil {
		return err
	}
	return rep.WriteTable(w)
}

// address is the sub-request's address line with its addressDetails when the line does not
// already hold them.
func address(sr domain.SubRequest) string {
	a, d := strings.TrimSpace(sr.Address), strings.TrimSpace(sr.AddressDetails)
	// "кв.5" is already in "…, кв. 5": compare without spaces, dots and case.
	squash := strings.NewReplacer(" ", "", ".", "", ",", "")
	if d == "" || strings.Contains(strings.ToLower(squash.Replace(a)), strings.ToLower(squash.Replace(d))) {
		return a
	}
	return strings.Join(nonEmpty(a, d), ", ")
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
