package report

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/decide"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
)

// InventorySource is the part of the store the monthly inventory reads; store.Store
// satisfies it.
type InventorySource interface {
	Source
	InventoryActs(ctx context.Context, org string) ([]store.InventoryAct, error)
}

// InventoryOptions selects the inventory.
type InventoryOptions struct {
	// Org is the orgPPAGUID; empty: every organization in the store.
	Org string
	// Month is any day of the month reported (its year and month count).
	Month time.Time
	// OrgNames names the organizations (orgPPAGUID → name, from the configuration).
	OrgNames map[string]string
}

// TopPremisesLimit is how many premises top_premises lists.
const TopPremisesLimit = 20

// TrendMonths is how many months the trend covers, the reported one last.
const TrendMonths = 12

// Inventory is the monthly inventory of court-confirmed debts as of the month's last day
// (docs/report.md defines every figure).
type Inventory struct {
	Org     string
	OrgName string
	Month   time.Time // the first day of the month
	AsOf    time.Time // the last day of the month

	InForceUnpaid    InForceFigure
	EnteredIntoForce Figure
	Repaid           Figure
	Cancelled        Figure
	LeavingWindow    Figure // acts leaving the three-year window during the next month
	UnderAgreement   Figure
	Requests         RequestFigures
	TopPremises      []PremisesFigure
	// Trend is the 12 months up to and including Month, oldest first.
	Trend []TrendPoint
}

// Figure is a number of court acts and an amount.
type Figure struct {
	Count int
	Sum   domain.Money
}

func (f *Figure) add(m domain.Money) { f.Count++; f.Sum += m }

// InForceFigure is in_force_unpaid: acts in force, not cancelled, with an outstanding amount.
type InForceFigure struct {
	Figure
	Debtors  int
	Premises int
	ByAge    AgeFigures
}

// AgeFigures split in_force_unpaid by how long ago the act's last debt day (debt_to) was.
// Acts without a debt period are in none of them.
type AgeFigures struct {
	Under1Y, From1To2Y, From2To3Y, Over3Y Figure
}

// RequestFigures count the sub-requests received (sent by the requester) in the month.
type RequestFigures struct {
	Total, Debt, NoDebt, Auto, Open int
	// OnTime and Late split the closed ones: GIS accepted our answer by the deadline, or
	// after it or answered automatically. Answers whose time is not known are in neither.
	OnTime, Late int
}

// OnTimeShare is OnTime out of OnTime+Late, rounded to two decimals; ok is false when none
// is closed.
func (r RequestFigures) OnTimeShare() (share float64, ok bool) {
	if r.OnTime+r.Late == 0 {
		return 0, false
	}
	return math.Round(float64(r.OnTime)/float64(r.OnTime+r.Late)*100) / 100, true
}

// PremisesFigure is one of top_premises.
type PremisesFigure struct {
	Address string
	Debtors []string // full names, as the dashboard shows them (no SNILS, no documents)
	Sum     domain.Money
	Acts    int
}

// TrendPoint is one month of the trend.
type TrendPoint struct {
	Month         time.Time
	InForceUnpaid Figure
	AnsweredDebt  int // sub-requests received in the month and answered "debt"
}

// BuildInventory reads the store and computes the inventory of opts.Month.
func BuildInventory(ctx context.Context, src InventorySource, opts InventoryOptions) (Inventory, error) {
	if opts.Month.IsZero() {
		return Inventory{}, errors.New("build inventory: no month given")
	}
	acts, err := src.InventoryActs(ctx, opts.Org)
	if err != nil {
		return Inventory{}, fmt.Errorf("build inventory: %w", err)
	}
	subs, err := src.ListSubRequests(ctx, store.SubRequestFilter{Org: opts.Org})
	if err != nil {
		return Inventory{}, fmt.Errorf("build inventory: list sub-requests: %w", err)
	}
	first, last := monthBounds(opts.Month)
	inv := Inventory{Org: opts.Org, OrgName: opts.OrgNames[opts.Org], Month: first, AsOf: last}
	trendFrom := first.AddDate(0, 1-TrendMonths, 0)
	reqs, err := requestsByMonth(ctx, src, subs, trendFrom, last)
	if err != nil {
		return Inventory{}, fmt.Errorf("build inventory: %w", err)
	}
	inv.Requests = reqs[first]
	computeActs(&inv, acts)
	for m := trendFrom; !m.After(first); m = m.AddDate(0, 1, 0) {
		_, end := monthBounds(m)
		p := TrendPoint{Month: m, AnsweredDebt: reqs[m].Debt}
		for _, a := range acts {
			if b, ok := unpaidInForce(a, end); ok {
				p.InForceUnpaid.add(b)
			}
		}
		inv.Trend = append(inv.Trend, p)
	}
	return inv, nil
}

// monthBounds are the first and last day of t's month.
func monthBounds(t time.Time) (first, last time.Time) {
	y, m, _ := t.Date()
	first = time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	return first, first.AddDate(0, 1, -1)
}

func within(d, from, to time.Time) bool {
	return !d.IsZero() && !d.Before(from) && !d.After(to)
}

// inForce reports whether a is in force and not cancelled on day.
func inForce(a domain.CourtAct, day time.Time) bool {
	return !a.EffectiveOn.IsZero() && !a.EffectiveOn.After(day) && (a.CancelledOn.IsZero() || a.CancelledOn.After(day))
}

// knownOutstanding is a's latest known balance on day (0 when none or unknown).
func knownOutstanding(a store.InventoryAct, day time.Time) domain.Money {
	if b, ok := a.BalanceOn(day); ok && !b.Unknown {
		return b.Outstanding
	}
	return 0
}

// unpaidInForce returns the outstanding amount of a on day when a is in force, not
// cancelled and its latest balance by then is known and above 0.
func unpaidInForce(a store.InventoryAct, day time.Time) (domain.Money, bool) {
	if !inForce(a.Act, day) {
		return 0, false
	}
	b, ok := a.BalanceOn(day)
	if !ok || b.Unknown || b.Outstanding <= 0 {
		return 0, false
	}
	return b.Outstanding, true
}

// LeavesWindow is the day an act with last debt day debtTo leaves the three-year window:
// the first day on which debtTo lies more than three years before it (LEGAL-RULES §10.1,
// the window running from the same day three years earlier). Zero when debtTo is.
func LeavesWindow(debtTo time.Time) time.Time {
	if debtTo.IsZero() {
		return time.Time{}
	}
	// AddDate normalizes 29 February, so step to the first day that qualifies.
	d := debtTo.AddDate(3, 0, -2)
	for !d.AddDate(-3, 0, 0).After(debtTo) {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// repaidIn returns the last balance above 0 before a's balance reached 0 within [from, to].
func repaidIn(a store.InventoryAct, from, to time.Time) (domain.Money, bool) {
	var prev *store.Balance
	for i := range a.Balances {
		b := &a.Balances[i]
		if b.Unknown {
			continue
		}
		if b.Outstanding == 0 && prev != nil && prev.Outstanding > 0 && within(b.On, from, to) {
			return prev.Outstanding, true
		}
		prev = b
	}
	return 0, false
}

func computeActs(inv *Inventory, acts []store.InventoryAct) {
	first, last := inv.Month, inv.AsOf
	nextFirst, nextLast := monthBounds(last.AddDate(0, 0, 1))
	type premisesKey struct{ org, id string }
	var unpaid []domain.CourtAct
	byPremises := map[premisesKey]*PremisesFigure{}
	premisesActs := map[premisesKey][]domain.CourtAct{}
	for _, ia := range acts {
		a := ia.Act
		if within(a.EffectiveOn, first, last) {
			inv.EnteredIntoForce.add(a.Amount)
		}
		if within(a.CancelledOn, first, last) {
			inv.Cancelled.add(knownOutstanding(ia, last))
		}
		if m, ok := repaidIn(ia, first, last); ok {
			inv.Repaid.add(m)
		}
		out, ok := unpaidInForce(ia, last)
		if !ok {
			continue
		}
		inv.InForceUnpaid.add(out)
		unpaid = append(unpaid, a)
		if !a.DebtTo.IsZero() {
			switch {
			case !a.DebtTo.Before(last.AddDate(-1, 0, 0)):
				inv.InForceUnpaid.ByAge.Under1Y.add(out)
			case !a.DebtTo.Before(last.AddDate(-2, 0, 0)):
				inv.InForceUnpaid.ByAge.From1To2Y.add(out)
			case !a.DebtTo.Before(last.AddDate(-3, 0, 0)):
				inv.InForceUnpaid.ByAge.From2To3Y.add(out)
			default:
				inv.InForceUnpaid.ByAge.Over3Y.add(out)
			}
		}
		if within(LeavesWindow(a.DebtTo), nextFirst, nextLast) {
			inv.LeavingWindow.add(out)
		}
		if slices.ContainsFunc(a.Agreements, func(g domain.Agreement) bool {
			return g.Status == domain.AgreementActive && (g.Date.IsZero() || !g.Date.After(last))
		}) {
			inv.UnderAgreement.add(out)
		}
		k := premisesKey{a.OrgGUID, a.PremisesID}
		p := byPremises[k]
		if p == nil {
			p = &PremisesFigure{Address: cmp.Or(strings.TrimSpace(ia.Address), a.PremisesID)}
			byPremises[k] = p
		}
		p.Sum += out
		p.Acts++
		premisesActs[k] = append(premisesActs[k], a)
	}
	inv.InForceUnpaid.Debtors = len(decide.People(unpaid))
	inv.InForceUnpaid.Premises = len(byPremises)
	for k, p := range byPremises {
		for _, person := range decide.People(premisesActs[k]) {
			p.Debtors = append(p.Debtors, strings.TrimSpace(strings.Join([]string{person.LastName, person.FirstName, person.MiddleName}, " ")))
		}
		inv.TopPremises = append(inv.TopPremises, *p)
	}
	slices.SortFunc(inv.TopPremises, func(a, b PremisesFigure) int {
		return cmp.Or(cmp.Compare(b.Sum, a.Sum), strings.Compare(a.Address, b.Address))
	})
	if len(inv.TopPremises) > TopPremisesLimit {
		inv.TopPremises = inv.TopPremises[:TopPremisesLimit]
	}
}

// requestsByMonth counts the sub-requests sent in [from, to] by the first day of their
// sending month.
func requestsByMonth(ctx context.Context, src Source, subs []domain.SubRequest, from, to time.Time) (map[time.Time]RequestFigures, error) {
	out := map[time.Time]RequestFigures{}
	for _, sr := range subs {
		sent := calendar.DateOf(sr.SentDate)
		if !within(sent, from, to) {
			continue
		}
		m, _ := monthBounds(sent)
		r := out[m]
		r.Total++
		switch sr.State {
		case domain.StateAutoAnswered:
			r.Auto++
			r.Late++
		case domain.StateAnswered:
			d, err := src.GetDecision(ctx, sr.GUID)
			switch {
			case errors.Is(err, domain.ErrNotFound):
			case err != nil:
				return nil, fmt.Errorf("sub-request %s: decision: %w", sr.GUID, err)
			case d.HasDebt:
				r.Debt++
			default:
				r.NoDebt++
			}
			audit, err := src.Audit(ctx, sr.GUID)
			if err != nil {
				return nil, fmt.Errorf("sub-request %s: audit trail: %w", sr.GUID, err)
			}
			if at := answeredAt(audit); !at.IsZero() {
				if sr.ResponseDate.IsZero() || !calendar.Today(at).After(calendar.DateOf(sr.ResponseDate)) {
					r.OnTime++
				} else {
					r.Late++
				}
			}
		}
		if sr.State.Open() {
			r.Open++
		}
		out[m] = r
	}
	return out, nil
}
