package storecore

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
)

// stateRank orders states along the pipeline so that a re-pull can only move a sub-request
// forward. The three final states share the top rank: none replaces another.
func stateRank(s domain.State) int {
	switch s {
	case domain.StateNew:
		return 0
	case domain.StateReview:
		return 1
	case domain.StateReady:
		return 2
	case domain.StateSending:
		return 3
	default:
		return 4
	}
}

// PulledState is the state a sub-request has after a re-pull brought incoming for a stored
// sub-request in state stored: the later of the two, never an earlier one.
func PulledState(stored, incoming domain.State) domain.State {
	if stateRank(incoming) > stateRank(stored) {
		return incoming
	}
	return stored
}

// Decidable reports whether a (new) decision may replace the current one in state s: not once
// the answer is on its way or done.
func Decidable(s domain.State) bool {
	return s == domain.StateNew || s == domain.StateReview || s == domain.StateReady
}

// CheckDecisionTarget validates the state a decision moves a sub-request to.
func CheckDecisionTarget(s domain.State) error {
	if s != domain.StateReview && s != domain.StateReady {
		return fmt.Errorf("a decision moves a sub-request to %q or %q, not %q", domain.StateReview, domain.StateReady, s)
	}
	return nil
}

// CheckSubRequests validates sub-requests before an upsert and fills in the default state.
func CheckSubRequests(in []domain.SubRequest) ([]domain.SubRequest, error) {
	out := make([]domain.SubRequest, len(in))
	seen := make(map[string]bool, len(in))
	for i, s := range in {
		if s.GUID == "" {
			return nil, fmt.Errorf("sub-request #%d has an empty subrequestGUID", i+1)
		}
		if seen[s.GUID] {
			return nil, fmt.Errorf("sub-request %s is listed twice", s.GUID)
		}
		seen[s.GUID] = true
		if s.State == "" {
			s.State = domain.StateNew
		}
		if !s.State.Valid() {
			return nil, fmt.Errorf("sub-request %s has unknown state %q", s.GUID, s.State)
		}
		out[i] = s
	}
	return out, nil
}

// ChangedFields names the GIS-reported fields that differ between a stored sub-request and a
// re-pulled one (state excluded).
func ChangedFields(old, cur domain.SubRequest) []string {
	var f []string
	add := func(name string, differ bool) {
		if differ {
			f = append(f, name)
		}
	}
	add("orgPPAGUID", old.OrgGUID != cur.OrgGUID)
	add("requestGUID", old.RequestGUID != cur.RequestGUID)
	add("requestNumber", old.RequestNumber != cur.RequestNumber)
	add("requesterGUID", old.RequesterGUID != cur.RequesterGUID)
	add("requesterName", old.RequesterName != cur.RequesterName)
	add("houseGUID", old.HouseGUID != cur.HouseGUID)
	add("addressDetails", old.AddressDetails != cur.AddressDetails)
	add("HMobjectGUID", old.HMObjectGUID != cur.HMObjectGUID)
	add("adressType", old.AddressType != cur.AddressType)
	add("fiasHouseGUID", old.FIASHouseGUID != cur.FIASHouseGUID)
	add("address", old.Address != cur.Address)
	add("period", !old.PeriodFrom.Equal(cur.PeriodFrom) || !old.PeriodTo.Equal(cur.PeriodTo))
	add("sentDate", !old.SentDate.Equal(cur.SentDate))
	add("responseDate", !old.ResponseDate.Equal(cur.ResponseDate))
	add("responseStatus", old.ResponseStatus != cur.ResponseStatus)
	return f
}

// DecisionDetail is the audit text of a stored decision: the outcome, not the people.
func DecisionDetail(d domain.Decision, from, to domain.State) string {
	var b strings.Builder
	fmt.Fprintf(&b, "has_debt=%t debtors=%d rule=%s", d.HasDebt, len(d.DebtInfo), d.RuleVersion)
	if d.MatchMethod != "" {
		fmt.Fprintf(&b, " match=%s", d.MatchMethod)
	}
	if len(d.ReviewReasons) > 0 {
		fmt.Fprintf(&b, " review_reasons=%d", len(d.ReviewReasons))
	}
	if from != to {
		fmt.Fprintf(&b, " state %s→%s", from, to)
	}
	return b.String()
}

// PrepareDecision fills in what the store owns on a decision: the time when not given, and
// copies of the slices so that the caller's later changes do not leak in.
func PrepareDecision(d domain.Decision, now time.Time) domain.Decision {
	if d.DecidedAt.IsZero() {
		d.DecidedAt = now
	}
	d.DecidedAt = Stamp(d.DecidedAt)
	d.PremisesIDs = slices.Clone(d.PremisesIDs)
	d.ReviewReasons = slices.Clone(d.ReviewReasons)
	d.Evidence = slices.Clone(d.Evidence)
	d.DebtInfo = slices.Clone(d.DebtInfo)
	return d
}

// CheckDecisionBatch validates a batch for SaveDecisions: a known GUID and a target state
// for each, no sub-request twice (its decisions would race for "latest"). It returns the
// decisions prepared as PrepareDecision does and the GUIDs in batch order.
func CheckDecisionBatch(ups []domain.DecisionUpdate, now time.Time) ([]domain.DecisionUpdate, []string, error) {
	out := make([]domain.DecisionUpdate, len(ups))
	guids := make([]string, len(ups))
	seen := make(map[string]bool, len(ups))
	for i, u := range ups {
		g := u.Decision.SubRequestGUID
		if g == "" {
			return nil, nil, fmt.Errorf("decision #%d names no sub-request", i+1)
		}
		if seen[g] {
			return nil, nil, fmt.Errorf("sub-request %s is decided twice in one batch", g)
		}
		seen[g] = true
		if err := CheckDecisionTarget(u.State); err != nil {
			return nil, nil, fmt.Errorf("decision for %s: %w", g, err)
		}
		out[i] = domain.DecisionUpdate{Decision: PrepareDecision(u.Decision, now), State: u.State}
		guids[i] = g
	}
	return out, guids, nil
}

// ClosedStates is the SQL list of the states domain.State.Closed reports: GIS holds an
// answer. Every other state is open (failed included).
const ClosedStates = `'answered', 'auto_answered'`
