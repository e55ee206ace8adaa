package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/ru"
	"github.com/gisgw/gisgw/responder/store"
)

// counters are the overview's tiles.
type counters struct {
	Total, New, Review, Ready, Sending, Answered, Failed, Auto int
	Overdue, Due1, Due2                                        int // open ones by urgency; Due2 includes Due1
}

// row is a sub-request in a list with its urgency.
type row struct {
	SR       domain.SubRequest
	Deadline deadline
	Open     bool
}

type overviewView struct {
	Today     time.Time
	Counters  counters
	Open      []row
	Truncated int // open rows not shown
	Chart     chart
}

func (d *Dashboard) today() time.Time { return calendar.Today(d.now()) }

func (d *Dashboard) rowOf(sr domain.SubRequest, today time.Time) row {
	r := row{SR: sr, Open: sr.State.Open()}
	if r.Open {
		r.Deadline = deadlineOf(d.cal, today, sr.ResponseDate)
	}
	return r
}

func (d *Dashboard) overview(w http.ResponseWriter, r *http.Request, id identity) {
	ctx := r.Context()
	all, err := d.store.ListSubRequests(ctx, store.SubRequestFilter{})
	if err != nil {
		d.storeError(w, r, id, "list sub-requests", err)
		return
	}
	today := d.today()
	v := overviewView{Today: today}
	c := &v.Counters
	for _, sr := range all {
		c.Total++
		switch sr.State {
		case domain.StateNew:
			c.New++
		case domain.StateReview:
			c.Review++
		case domain.StateReady:
			c.Ready++
		case domain.StateSending:
			c.Sending++
		case domain.StateAnswered:
			c.Answered++
		case domain.StateFailed:
			c.Failed++
		case domain.StateAutoAnswered:
			c.Auto++
		}
		rw := d.rowOf(sr, today)
		if !rw.Open {
			continue
		}
		switch rw.Deadline.Class {
		case classOverdue:
			c.Overdue++
		case classDue1:
			c.Due1++
			c.Due2++
		case classDue2:
			c.Due2++
		}
		if len(v.Open) < d.limitUI {
			v.Open = append(v.Open, rw)
		} else {
			v.Truncated++
		}
	}
	// The store lists by deadline already; keep that order explicit for the page.
	slices.SortStableFunc(v.Open, func(a, b row) int { return compareDeadline(a.SR, b.SR) })
	v.Chart, err = d.chart(ctx, all, today)
	if err != nil {
		d.storeError(w, r, id, "on-time share", err)
		return
	}
	d.render(w, r, http.StatusOK, "overview", id, v)
}

// compareDeadline orders by deadline (none last), then GUID.
func compareDeadline(a, b domain.SubRequest) int {
	if a.ResponseDate.IsZero() != b.ResponseDate.IsZero() {
		if a.ResponseDate.IsZero() {
			return 1
		}
		return -1
	}
	if c := a.ResponseDate.Compare(b.ResponseDate); c != 0 {
		return c
	}
	return strings.Compare(a.GUID, b.GUID)
}

// actRow is a court act at the matched premises with the decision's verdict on it.
type actRow struct {
	Act      domain.CourtAct
	Judged   bool // the decision has evidence for it
	Counted  bool
	Reason   string
	Selected bool // pre-selected in the review form
}

type subRequestView struct {
	Row      row
	Decision *domain.Decision
	Acts     []actRow
	History  []domain.Decision
	Audit    []domain.AuditEntry
}

// PageTitle is the sub-request's address: officers know a sub-request by it, not by a GUID.
func (v subRequestView) PageTitle() string { return srTitle(v.Row.SR) }

// srTitle names a sub-request for a person: its address, else its request number.
func srTitle(sr domain.SubRequest) string {
	if a := strings.TrimSpace(sr.Address); a != "" {
		return a
	}
	if n := strings.TrimSpace(sr.RequestNumber); n != "" {
		return "Подзапрос по запросу № " + n
	}
	return "Подзапрос без адреса"
}

func (d *Dashboard) subRequest(w http.ResponseWriter, r *http.Request, id identity) {
	ctx := r.Context()
	guid := r.PathValue("guid")
	sr, err := d.store.GetSubRequest(ctx, guid)
	if err != nil {
		d.storeError(w, r, id, "get sub-request", err)
		return
	}
	v := subRequestView{Row: d.rowOf(sr, d.today())}
	dec, err := d.decision(ctx, guid)
	if err != nil {
		d.storeError(w, r, id, "get decision", err)
		return
	}
	v.Decision = dec
	if v.Acts, err = d.acts(ctx, sr, dec); err != nil {
		d.storeError(w, r, id, "court acts", err)
		return
	}
	if v.History, err = d.store.DecisionHistory(ctx, guid); err != nil {
		d.storeError(w, r, id, "decision history", err)
		return
	}
	if v.Audit, err = d.store.Audit(ctx, guid); err != nil {
		d.storeError(w, r, id, "audit", err)
		return
	}
	d.render(w, r, http.StatusOK, "subrequest", id, v)
}

// decision returns the current decision, nil when there is none.
func (d *Dashboard) decision(ctx context.Context, guid string) (*domain.Decision, error) {
	dec, err := d.store.GetDecision(ctx, guid)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &dec, nil
}

// acts returns the court acts at the decision's premises that belong to the sub-request's
// organization (or to none), with the decision's evidence on each.
func (d *Dashboard) acts(ctx context.Context, sr domain.SubRequest, dec *domain.Decision) ([]actRow, error) {
	if dec == nil || len(dec.PremisesIDs) == 0 {
		return nil, nil
	}
	acts, err := d.store.CourtActsByPremises(ctx, dec.PremisesIDs)
	if err != nil {
		return nil, fmt.Errorf("court acts at premises of %s: %w", sr.GUID, err)
	}
	ev := make(map[string]domain.Evidence, len(dec.Evidence))
	for _, e := range dec.Evidence {
		ev[e.ActID] = e
	}
	var rows []actRow
	for _, a := range acts {
		if a.OrgGUID != "" && sr.OrgGUID != "" && a.OrgGUID != sr.OrgGUID {
			continue
		}
		ar := actRow{Act: a}
		if e, ok := ev[a.ID]; ok {
			ar.Judged, ar.Counted, ar.Reason = true, e.Counted, e.Reason
		}
		ar.Selected = ar.Counted
		rows = append(rows, ar)
	}
	return rows, nil
}

type reviewItem struct {
	Row      row
	Decision *domain.Decision
	Acts     []actRow
	Proposal string // the proposal's version, to refuse a form made for an older one
	// Correction is set for the review of a correction of a sent answer, shown beside
	// Sent, the answer GIS holds from gisgw (nil: GIS's automatic "no debt").
	Correction bool
	Sent       *domain.Decision
}

// sentAnswer returns the answer GIS holds from gisgw for a correction; nil for GIS's own.
func (d *Dashboard) sentAnswer(ctx context.Context, guid string) (*domain.Decision, error) {
	sent, err := d.store.SentDecision(ctx, guid)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &sent, nil
}

// NoDebtProposal reports whether the item proposes "no debt", which a person may confirm
// together with others in one action. A correction is not one of them: it revokes an answer
// GIS holds, so a person decides it alone, with both answers before them.
func (it reviewItem) NoDebtProposal() bool {
	return it.Decision != nil && !it.Decision.HasDebt && !it.Decision.Correction
}

type reviewView struct {
	Items []reviewItem
	Done  string // the sub-request just decided
	// DoneTitle names it; Confirmed is how many "no debt" proposals one bulk action confirmed.
	DoneTitle string
	Confirmed int
}

// Bulk is the items a bulk confirmation offers.
func (v reviewView) Bulk() []reviewItem {
	var out []reviewItem
	for _, it := range v.Items {
		if it.NoDebtProposal() {
			out = append(out, it)
		}
	}
	return out
}

func proposalVersion(dec *domain.Decision) string {
	if dec == nil {
		return "none"
	}
	return dec.DecidedAt.UTC().Format(time.RFC3339Nano)
}

func (d *Dashboard) reviewQueue(w http.ResponseWriter, r *http.Request, id identity) {
	ctx := r.Context()
	items, err := d.store.ListReview(ctx, "")
	if err != nil {
		d.storeError(w, r, id, "review queue", err)
		return
	}
	today := d.today()
	v := reviewView{Done: r.URL.Query().Get("done")}
	v.Confirmed, _ = strconv.Atoi(r.URL.Query().Get("confirmed"))
	if v.Done != "" {
		if sr, err := d.store.GetSubRequest(ctx, v.Done); err == nil {
			v.DoneTitle = srTitle(sr)
		}
	}
	for _, it := range items {
		acts, err := d.acts(ctx, it.SubRequest, it.Decision)
		if err != nil {
			d.storeError(w, r, id, "court acts", err)
			return
		}
		item := reviewItem{
			Row: d.rowOf(it.SubRequest, today), Decision: it.Decision, Acts: acts,
			Proposal: proposalVersion(it.Decision),
		}
		if it.Decision != nil && it.Decision.Correction {
			item.Correction = true
			if item.Sent, err = d.sentAnswer(ctx, it.SubRequest.GUID); err != nil {
				d.storeError(w, r, id, "sent answer", err)
				return
			}
		}
		v.Items = append(v.Items, item)
	}
	d.render(w, r, http.StatusOK, "review", id, v)
}

// listView is the sub-requests in one state, opened from an overview tile.
type listView struct {
	State domain.State
	Rows  []row
}

func (v listView) PageTitle() string { return cases(ru.StateName(v.State)) }

// cases capitalizes the first letter of a state's name for a heading.
func cases(s string) string {
	r := []rune(s)
	if len(r) > 0 {
		r[0] = unicode.ToUpper(r[0])
	}
	return string(r)
}

func (d *Dashboard) stateList(w http.ResponseWriter, r *http.Request, id identity) {
	st := domain.State(r.URL.Query().Get("state"))
	if !st.Valid() {
		d.fail(w, r, id, http.StatusNotFound, "Такого состояния подзапросов нет. Откройте список с обзора.")
		return
	}
	srs, err := d.store.ListSubRequests(r.Context(), store.SubRequestFilter{States: []domain.State{st}})
	if err != nil {
		d.storeError(w, r, id, "list sub-requests", err)
		return
	}
	today := d.today()
	v := listView{State: st}
	for _, sr := range srs {
		v.Rows = append(v.Rows, d.rowOf(sr, today))
	}
	slices.SortStableFunc(v.Rows, func(a, b row) int { return compareDeadline(a.SR, b.SR) })
	d.render(w, r, http.StatusOK, "list", id, v)
}

type failedView struct {
	Rows    []row
	Retried string
}

func (d *Dashboard) failedList(w http.ResponseWriter, r *http.Request, id identity) {
	srs, err := d.store.ListSubRequests(r.Context(), store.SubRequestFilter{States: []domain.State{domain.StateFailed}})
	if err != nil {
		d.storeError(w, r, id, "failed sub-requests", err)
		return
	}
	today := d.today()
	v := failedView{Retried: r.URL.Query().Get("retried")}
	for _, sr := range srs {
		v.Rows = append(v.Rows, d.rowOf(sr, today))
	}
	d.render(w, r, http.StatusOK, "failed", id, v)
}
