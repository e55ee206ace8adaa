package storecore

import (
	"fmt"
	"strings"

	"github.com/gisgw/gisgw/responder/domain"
)

// AgreementKey identifies a stored agreement within an organization.
type AgreementKey struct {
	ActID  string
	Number string
}

// KeyOf returns the key of a.
func KeyOf(a domain.Agreement) AgreementKey { return AgreementKey{ActID: a.ActID, Number: a.Number} }

// AgreementsPlan is what an import of agreements writes: only new and changed rows, so that
// re-importing a file rewrites nothing.
type AgreementsPlan struct {
	Insert    []domain.Agreement
	Update    []domain.Agreement
	Unchanged int
}

// Stats returns the counts of the plan.
func (p AgreementsPlan) Stats() ImportStats {
	return ImportStats{Inserted: len(p.Insert), Updated: len(p.Update), Unchanged: p.Unchanged}
}

// CheckAgreements rejects input the store cannot take (empty act id or number, unknown kind
// or status, an agreement listed twice) and stamps every agreement with org.
func CheckAgreements(org string, ags []domain.Agreement) ([]domain.Agreement, error) {
	seen := make(map[AgreementKey]int, len(ags))
	out := make([]domain.Agreement, len(ags))
	for i, a := range ags {
		switch {
		case a.ActID == "":
			return nil, fmt.Errorf("agreement #%d has an empty act_id", i+1)
		case a.Number == "":
			return nil, fmt.Errorf("agreement #%d of act %q has an empty agreement_number", i+1, a.ActID)
		case a.Kind != domain.AgreementRepayment && a.Kind != domain.AgreementInstalment:
			return nil, fmt.Errorf("agreement %q of act %q has unknown kind %q", a.Number, a.ActID, a.Kind)
		case a.Status != domain.AgreementActive && a.Status != domain.AgreementBroken && a.Status != domain.AgreementFulfilled:
			return nil, fmt.Errorf("agreement %q of act %q has unknown status %q", a.Number, a.ActID, a.Status)
		}
		if j, dup := seen[KeyOf(a)]; dup {
			return nil, fmt.Errorf("agreement %q of act %q is listed twice (#%d and #%d)", a.Number, a.ActID, j+1, i+1)
		}
		seen[KeyOf(a)] = i
		a.OrgGUID = org
		out[i] = a
	}
	return out, nil
}

// AgreementActIDs returns the distinct act ids the agreements refer to, in order.
func AgreementActIDs(ags []domain.Agreement) []string {
	seen := make(map[string]bool, len(ags))
	var ids []string
	for _, a := range ags {
		if !seen[a.ActID] {
			seen[a.ActID] = true
			ids = append(ids, a.ActID)
		}
	}
	return ids
}

// PlanAgreements compares incoming agreements with the stored ones (by act and number within
// the organization) and says what to write.
func PlanAgreements(in []domain.Agreement, existing map[AgreementKey]domain.Agreement) AgreementsPlan {
	var plan AgreementsPlan
	for _, a := range in {
		old, ok := existing[KeyOf(a)]
		switch {
		case !ok:
			plan.Insert = append(plan.Insert, a)
		case sameAgreement(old, a):
			plan.Unchanged++
		default:
			plan.Update = append(plan.Update, a)
		}
	}
	return plan
}

func sameAgreement(a, b domain.Agreement) bool {
	return a.OrgGUID == b.OrgGUID && a.ActID == b.ActID && a.Number == b.Number && a.Date.Equal(b.Date) &&
		a.Kind == b.Kind && a.ScheduleEnd.Equal(b.ScheduleEnd) && a.Amount == b.Amount && a.Paid == b.Paid &&
		a.Status == b.Status
}

// AttachAgreements puts each agreement on its act (same organization and act id), in the
// order given; acts without one keep a nil slice.
func AttachAgreements(acts []domain.CourtAct, ags []domain.Agreement) {
	type actKey struct{ org, id string }
	idx := make(map[actKey]int, len(acts))
	for i, a := range acts {
		idx[actKey{a.OrgGUID, a.ID}] = i
	}
	for _, g := range ags {
		if i, ok := idx[actKey{g.OrgGUID, g.ActID}]; ok {
			acts[i].Agreements = append(acts[i].Agreements, g)
		}
	}
}

// MissingActsError lists agreements whose court act is not in the store.
type MissingActsError struct {
	Org    string
	ActIDs []string
}

func (e *MissingActsError) Error() string {
	ids := e.ActIDs
	more := ""
	if len(ids) > 20 {
		ids, more = ids[:20], fmt.Sprintf("; and %d more", len(e.ActIDs)-20)
	}
	return fmt.Sprintf("agreements refer to %d court act(s) that are not in the store (import the court acts first): %s%s",
		len(e.ActIDs), strings.Join(ids, ", "), more)
}

// Unwrap makes the error match domain.ErrNotFound.
func (e *MissingActsError) Unwrap() error { return domain.ErrNotFound }
