// Package domain holds the leaf types shared by the store, the import, the matcher, the
// decision rules and the pipeline. It imports nothing from the project so that every other
// package can depend on it without cycles.
package domain

import (
	"errors"
	"slices"
	"strings"
	"time"
)

// Dates below are calendar dates (no time of day) stored as time.Time at 00:00 UTC; the
// zero time means "not known" or "empty".

// Premises is one local premises (flat, room or a whole house) of the organization.
type Premises struct {
	OrgGUID       string // orgPPAGUID of the organization that serves it; empty in single-org stores
	ID            string // local premise_id
	HMObjectGUID  string
	HouseGUID     string
	FIASHouseGUID string
	Flat          string
	Room          string
	Address       string
	AccountNumber string
}

// ActKind tells a court order (судебный приказ) from a judgment (решение суда).
type ActKind string

const (
	ActCourtOrder ActKind = "court_order"
	ActJudgment   ActKind = "judgment"
)

// Money is an amount in kopecks.
type Money int64

// CourtAct is a court act that confirms a housing/utility debt at one premises.
type CourtAct struct {
	OrgGUID      string
	ID           string // local act_id
	PremisesID   string
	CaseNumber   string
	Kind         ActKind
	PronouncedOn time.Time
	EffectiveOn  time.Time // zero: not yet in force
	DebtFrom     time.Time // first day of the first debt month
	DebtTo       time.Time // last day of the last debt month
	Amount       Money
	Outstanding  Money
	// OutstandingUnknown is set when the outstanding amount was not given (blank, not 0):
	// the act is then neither paid nor unpaid. Only a known 0 means repaid.
	OutstandingUnknown bool
	BalanceOn          time.Time
	CancelledOn        time.Time // zero: not cancelled
	Debtors            []Debtor
	Document           *Document // the act's file; nil when none was given
	// Agreements are the repayment agreements and court-granted instalments on this act's
	// debt, by number; the store fills them in with the act (nil when there are none).
	Agreements []Agreement
}

// AgreementKind tells a repayment agreement with the debtor (соглашение о погашении
// задолженности) from an instalment plan a court granted (рассрочка, ГПК ст. 203).
type AgreementKind string

const (
	AgreementRepayment  AgreementKind = "agreement"
	AgreementInstalment AgreementKind = "instalment"
)

// AgreementStatus is where an agreement stands.
type AgreementStatus string

const (
	AgreementActive    AgreementStatus = "active"
	AgreementBroken    AgreementStatus = "broken"
	AgreementFulfilled AgreementStatus = "fulfilled"
)

// Agreement is a repayment agreement or instalment plan on the debt of one court act. It
// does not make the debt any less "debt" (LEGAL-RULES §10.6); the answer names it so that
// the requester can apply any regional rule.
type Agreement struct {
	OrgGUID     string
	ActID       string // the court act (of the same organization) whose debt it covers
	Number      string
	Date        time.Time
	Kind        AgreementKind
	ScheduleEnd time.Time // last payment date of the schedule; zero when not given
	Amount      Money     // the debt the agreement covers
	Paid        Money     // paid under it so far
	Status      AgreementStatus
}

// Debtor is a person named as debtor in a court act.
type Debtor struct {
	LastName   string
	FirstName  string
	MiddleName string
	SNILS      string // 11 digits, empty when unknown
	DocType    string // НСИ 95 code of the identity document, empty when unknown
	DocSeries  string
	DocNumber  string
}

// Key identifies a debtor within an act for upserts and for grouping debtInfo.
func (d Debtor) Key() string {
	if d.SNILS != "" {
		return "snils:" + d.SNILS
	}
	return "name:" + d.LastName + "|" + d.FirstName + "|" + d.MiddleName
}

// Document is a court-act file that a "yes" answer attaches.
type Document struct {
	// ActOrg and ActID name the court act the file belongs to, so that its AttachmentGUID
	// is recorded once for the act; empty for a document entered by hand.
	ActOrg         string
	ActID          string
	Name           string // file name shown in GIS
	Path           string // where the file lives locally
	Hash           string // AttachmentHASH (GOST R 34.11-94, lowercase hex), empty until computed
	Size           int64
	AttachmentGUID string // file-store id, empty until uploaded
}

// SubRequest is one debt sub-request addressed to the organization.
type SubRequest struct {
	GUID           string // subrequestGUID
	OrgGUID        string // orgPPAGUID it was pulled for
	RequestGUID    string
	RequestNumber  string
	RequesterGUID  string // orgRootGUID of the social-protection body
	RequesterName  string
	HouseGUID      string
	AddressDetails string
	HMObjectGUID   string
	AddressType    string // Apartment, Room, House, HouseBlock
	FIASHouseGUID  string
	Address        string
	PeriodFrom     time.Time
	PeriodTo       time.Time
	SentDate       time.Time
	ResponseDate   time.Time // GIS deadline, binding
	ResponseStatus string    // NotSent, Sent, AutoGenerated as GIS reported it
	State          State
	// ErrorCode and ErrorText are GIS's last refusal of an answer (read-only: the store
	// sets them when it records a message's outcome).
	ErrorCode string
	ErrorText string
	// BlockedReason (in Russian, for officers) and BlockedUntil say why a ready answer was
	// put aside and when it is tried again (read-only: the store sets them when the pipeline
	// defers the answer, and clears them when the answer goes out).
	BlockedReason string
	BlockedUntil  time.Time
	// Correction is where a correction of the sent answer stands (read-only: the pipeline's
	// re-check proposes one, a person's review approves or dismisses it, the outbox moves it
	// on). Empty when none is under way.
	Correction Correction
}

// Correction is a step in correcting an answer GIS already holds (LEGAL-RULES §10.7): the
// sent answer is revoked, GIS confirms the revoke, then the new answer is sent.
type Correction string

const (
	CorrectionNone Correction = ""
	// CorrectionProposed: the data no longer support the sent answer; the sub-request is in
	// review with the new proposal (a decision with Correction set) beside the sent one.
	CorrectionProposed Correction = "proposed"
	// CorrectionApproved: a person chose a new answer; the sent one is to be revoked (the
	// sub-request is ready, or sending with a Revoke action).
	CorrectionApproved Correction = "approved"
	// CorrectionRevoked: GIS confirmed the revoke; the new answer is to be sent (ready, or
	// sending with a Send action).
	CorrectionRevoked Correction = "revoked"
)

// State is where a sub-request stands in the pipeline.
type State string

const (
	StateNew          State = "new"           // recorded, not decided yet
	StateReview       State = "review"        // waits for a person
	StateReady        State = "ready"         // decided, waits to be sent
	StateSending      State = "sending"       // in an outbox message
	StateAnswered     State = "answered"      // GIS accepted the answer
	StateFailed       State = "failed"        // GIS refused the answer permanently
	StateAutoAnswered State = "auto_answered" // GIS answered "no debt" on our behalf (missed deadline)
)

// States returns every known state: the open ones along the pipeline, then the closed ones.
func States() []State {
	return []State{StateNew, StateReview, StateReady, StateSending, StateFailed, StateAnswered, StateAutoAnswered}
}

// Valid reports whether s is one of the known states.
func (s State) Valid() bool { return s.Open() || s.Closed() }

// Open reports whether GIS holds no accepted answer for a sub-request in state s, so the
// daemon or a person still has to act before the deadline. A failed sub-request is open:
// GIS refused the answer, and a person must correct and resend it. The dashboard, the
// report, the metrics and the alerts all count open sub-requests by this.
func (s State) Open() bool {
	switch s {
	case StateNew, StateReview, StateReady, StateSending, StateFailed:
		return true
	}
	return false
}

// Pending reports whether s is open and not refused by GIS: the answer is still being
// decided, reviewed or sent. The deadline alerts watch these; failed ones have an alert of
// their own that carries GIS's error.
func (s State) Pending() bool { return s.Open() && s != StateFailed }

// Closed reports whether GIS holds an answer for s: ours, or its automatic "no debt" one.
func (s State) Closed() bool { return s == StateAnswered || s == StateAutoAnswered }

// Person is a debtor as named in an answer. It has exactly Debtor's fields, so that an act's
// debtor converts to the answer's person (domain.Person(d)); keep the two in step.
type Person struct {
	LastName   string
	FirstName  string
	MiddleName string
	SNILS      string
	DocType    string
	DocSeries  string
	DocNumber  string
}

// DebtInfo is one debtor of an answer with the documents of the acts that name them.
type DebtInfo struct {
	Person    Person
	Documents []Document
}

// Evidence records why one court act counted or not.
type Evidence struct {
	ActID   string
	Counted bool
	Reason  string
}

// Decision is the proposed or final answer to one sub-request.
type Decision struct {
	SubRequestGUID string
	RuleVersion    string
	DecidedAt      time.Time
	PremisesIDs    []string // matched premises
	MatchMethod    string   // hm_object_guid, house_flat, house, address
	HasDebt        bool
	DebtInfo       []DebtInfo
	Evidence       []Evidence
	Review         bool     // a person must confirm before it is sent
	ReviewReasons  []string // why
	Description    string   // optional text for GIS (≤ 1000 characters)
	// Notes are remarks for the compliance officer that do not hold the answer back, such
	// as a GIS deadline that differs from the project's own calendar.
	Notes []string
	// Set when a person decided.
	DecidedBy string
	Comment   string
	// Correction marks a decision that is to replace an answer GIS already holds: the
	// re-check's proposal, and a person's answer in its review (LEGAL-RULES §10.7).
	Correction bool
}

// SameAnswer reports whether d answers as o does: the same hasDebt, the same people (by
// Debtor.Key) with the same files. The order, and details such as an identity document
// completed from another act, do not count.
func (d Decision) SameAnswer(o Decision) bool {
	return d.HasDebt == o.HasDebt && slices.Equal(answerKeys(d.DebtInfo), answerKeys(o.DebtInfo))
}

func answerKeys(di []DebtInfo) []string {
	ks := make([]string, 0, len(di))
	for _, x := range di {
		paths := make([]string, 0, len(x.Documents))
		for _, doc := range x.Documents {
			paths = append(paths, doc.Path)
		}
		slices.Sort(paths)
		ks = append(ks, Debtor(x.Person).Key()+"\x00"+strings.Join(paths, "\x00"))
	}
	slices.Sort(ks)
	return ks
}

// AuditEntry is one line of a sub-request's history.
type AuditEntry struct {
	SubRequestGUID string
	At             time.Time
	Actor          string // "system" or the person's login
	Action         string
	Detail         string
}

// Sentinel errors the store and the pipeline share.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// MessageStatus is where an outbox message stands.
type MessageStatus string

const (
	MessagePending MessageStatus = "pending" // stored, not acknowledged by GIS yet
	MessageAcked   MessageStatus = "acked"   // GIS returned its MessageGUID; results to poll
	MessageDone    MessageStatus = "done"    // every action has an outcome
)

// ActionKind is what one action of a message does.
type ActionKind string

const (
	ActionSend   ActionKind = "Send"
	ActionRevoke ActionKind = "Revoke"
)

// Message is an outbox message: up to 100 answers sent in one importDSRResponsesRequest.
// It is stored before it is sent, so that a crash at any point can be resumed.
type Message struct {
	ID             string // our id; also the first MessageGUID we send it with
	OrgGUID        string
	CreatedAt      time.Time
	Status         MessageStatus
	GISMessageGUID string // from GIS's Ack; empty while pending
	Attempts       int
	LastError      string
	Actions        []Action
}

// Action is one answer (or revocation) inside a message.
type Action struct {
	TransportGUID  string
	SubRequestGUID string
	Kind           ActionKind
	Decision       Decision // what is sent (for Send)
}

// DecisionUpdate is one decision of a batch the pipeline saves at once: the rules' decision
// and the state it moves the sub-request to (review or ready).
type DecisionUpdate struct {
	Decision Decision
	State    State
}

// Outcome is what became of one action.
type Outcome struct {
	TransportGUID  string
	SubRequestGUID string
	State          State // answered, failed, or ready again (a transient error: send later)
	ErrorCode      string
	ErrorText      string
}
