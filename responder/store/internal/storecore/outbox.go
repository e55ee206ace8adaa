package storecore

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
)

// CheckLease validates the arguments of a claim: an owner to name in the lease and a
// positive duration, so that a lease always expires.
func CheckLease(owner string, lease time.Duration) error {
	if owner == "" {
		return errors.New("a lease needs the owner's name")
	}
	if lease <= 0 {
		return fmt.Errorf("a lease must be positive, not %s", lease)
	}
	return nil
}

// CheckMessage validates an outbox message before it is stored.
func CheckMessage(m domain.Message) error {
	if m.ID == "" {
		return errors.New("message has an empty id")
	}
	if m.OrgGUID == "" {
		return fmt.Errorf("message %s has no organization", m.ID)
	}
	if len(m.Actions) == 0 {
		return fmt.Errorf("message %s has no actions", m.ID)
	}
	transports := make(map[string]bool, len(m.Actions))
	subs := make(map[string]bool, len(m.Actions))
	for i, a := range m.Actions {
		switch {
		case a.TransportGUID == "":
			return fmt.Errorf("message %s: action #%d has an empty TransportGUID", m.ID, i+1)
		case a.SubRequestGUID == "":
			return fmt.Errorf("message %s: action #%d has an empty subrequestGUID", m.ID, i+1)
		case a.Kind != domain.ActionSend && a.Kind != domain.ActionRevoke:
			return fmt.Errorf("message %s: action #%d has unknown kind %q", m.ID, i+1, a.Kind)
		case transports[a.TransportGUID]:
			return fmt.Errorf("message %s: TransportGUID %s is used twice", m.ID, a.TransportGUID)
		case subs[a.SubRequestGUID]:
			// GIS takes one answer per sub-request and message; two would race each other.
			return fmt.Errorf("message %s: sub-request %s is in it twice", m.ID, a.SubRequestGUID)
		}
		transports[a.TransportGUID] = true
		subs[a.SubRequestGUID] = true
	}
	return nil
}

// StoredAction is an action as the store keeps it, with what FinishMessage needs.
type StoredAction struct {
	Position       int
	TransportGUID  string
	SubRequestGUID string
	Kind           domain.ActionKind
}

// ActionResult is what FinishMessage records for one action.
type ActionResult struct {
	StoredAction
	State     domain.State // answered, failed, auto_answered or ready
	ErrorCode string
	ErrorText string
	Given     bool // false: no outcome was given, the sub-request goes back to ready
}

// noOutcomeText is the error text recorded for an action that finished without an outcome.
const noOutcomeText = "no result for this answer in the message; it will be sent again"

// PlanFinish matches outcomes to the actions of message id (by TransportGUID, or by
// subrequestGUID when an outcome has no TransportGUID) and returns one result per action, in
// action order. An outcome that matches no action, matches one twice or has a state other
// than answered, failed, auto_answered or ready is an error, so nothing is written.
func PlanFinish(id string, actions []StoredAction, outcomes []domain.Outcome) ([]ActionResult, error) {
	res := make([]ActionResult, len(actions))
	byTransport := make(map[string]int, len(actions))
	bySub := make(map[string]int, len(actions))
	for i, a := range actions {
		res[i] = ActionResult{StoredAction: a, State: domain.StateReady, ErrorText: noOutcomeText}
		byTransport[a.TransportGUID] = i
		bySub[a.SubRequestGUID] = i
	}
	for _, o := range outcomes {
		i, ok := byTransport[o.TransportGUID]
		if o.TransportGUID == "" {
			i, ok = bySub[o.SubRequestGUID]
		}
		if !ok {
			return nil, fmt.Errorf("message %s has no action for outcome (TransportGUID %q, sub-request %q)", id, o.TransportGUID, o.SubRequestGUID)
		}
		if o.SubRequestGUID != "" && o.SubRequestGUID != actions[i].SubRequestGUID {
			return nil, fmt.Errorf("message %s: outcome for TransportGUID %s names sub-request %s, but the action is for %s",
				id, o.TransportGUID, o.SubRequestGUID, actions[i].SubRequestGUID)
		}
		if res[i].Given {
			return nil, fmt.Errorf("message %s: two outcomes for the action of sub-request %s", id, actions[i].SubRequestGUID)
		}
		switch o.State {
		case domain.StateAnswered, domain.StateFailed, domain.StateAutoAnswered, domain.StateReady:
		default:
			return nil, fmt.Errorf("message %s: outcome for sub-request %s has state %q; want answered, failed, auto_answered or ready",
				id, actions[i].SubRequestGUID, o.State)
		}
		res[i].State, res[i].ErrorCode, res[i].ErrorText, res[i].Given = o.State, o.ErrorCode, o.ErrorText, true
	}
	return res, nil
}

// SubRequestError is the last-error record a result leaves on its sub-request: the GIS error
// for failed and ready-again answers, cleared once the answer is settled in GIS.
func (r ActionResult) SubRequestError() (code, text string) {
	if r.State == domain.StateFailed || r.State == domain.StateReady {
		return r.ErrorCode, r.ErrorText
	}
	return "", ""
}

// ResultDetail is the audit text of a finished action. from is the sub-request's state
// before; when it was not sending (GIS or a person closed it meanwhile) it keeps its state.
func ResultDetail(messageID string, r ActionResult, from domain.State) string {
	var b strings.Builder
	if from == domain.StateSending {
		fmt.Fprintf(&b, "%s→%s", from, r.State)
	} else {
		fmt.Fprintf(&b, "outcome %s recorded; state stays %s", r.State, from)
	}
	fmt.Fprintf(&b, ": message %s, %s %s", messageID, r.Kind, r.TransportGUID)
	if r.ErrorCode != "" || r.ErrorText != "" {
		fmt.Fprintf(&b, "; GIS error %s: %s", cmp.Or(r.ErrorCode, "(no code)"), r.ErrorText)
	}
	return b.String()
}

// QueuedDetail is the audit text of a sub-request put into an outbox message.
func QueuedDetail(messageID string, a domain.Action) string {
	return fmt.Sprintf("ready→sending: message %s, %s %s", messageID, a.Kind, a.TransportGUID)
}

// DeferAction is the audit action of a ready answer put aside (DeferReady).
const DeferAction = "deferred"

// CheckDefer validates the arguments of DeferReady.
func CheckDefer(owner string, guids []string, until time.Time, reason string) error {
	switch {
	case owner == "":
		return errors.New("putting answers aside needs the lease owner's name")
	case strings.TrimSpace(reason) == "":
		return errors.New("putting answers aside needs a reason for the officers")
	case until.IsZero() && len(guids) > 0:
		return errors.New("putting answers aside needs the time to try them again")
	}
	seen := make(map[string]bool, len(guids))
	for _, g := range guids {
		if g == "" || seen[g] {
			return fmt.Errorf("sub-request %q is empty or listed twice", g)
		}
		seen[g] = true
	}
	return nil
}

// DeferRow is what DeferReady reads of a sub-request before putting it aside.
type DeferRow struct {
	GUID       string
	State      domain.State
	LeaseOwner string
	Reason     string // the reason it is put aside with now ("" when it is not)
}

// PlanDefer checks that every sub-request of guids is ready and leased to owner (found holds
// the stored ones) and returns those whose reason changes, which get an audit entry: a
// retry for the same cause is not news.
func PlanDefer(owner string, guids []string, reason string, found map[string]DeferRow) ([]string, error) {
	var changed []string
	for _, g := range guids {
		r, ok := found[g]
		if !ok {
			return nil, fmt.Errorf("sub-request %s: %w", g, domain.ErrNotFound)
		}
		if r.State != domain.StateReady || r.LeaseOwner != owner {
			return nil, fmt.Errorf("sub-request %s is %s, leased to %q; want ready, leased to %q: %w",
				g, r.State, r.LeaseOwner, owner, domain.ErrConflict)
		}
		if r.Reason != reason {
			changed = append(changed, g)
		}
	}
	return changed, nil
}
