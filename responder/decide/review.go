package decide

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gisgw/gisgw/responder/domain"
)

// Answer is the answer a person chose for a sub-request in review.
type Answer int

const (
	// Confirm keeps the proposal as it is.
	Confirm Answer = iota + 1
	// Debt answers "debt" with the debtors of Choice.Acts, or with the proposal's debtors
	// when no act is chosen.
	Debt
	// NoDebt answers "no debt" with no debtors.
	NoDebt
	// KeepSent keeps the answer GIS holds (Choice.Sent) in the review of a correction: the
	// person found it still right, and nothing is sent.
	KeepSent
)

// Choice is what a person chose in the dashboard or on the command line.
type Choice struct {
	Answer Answer
	// Acts are the ids of the court acts whose debtors a Debt answer names.
	Acts []string
	// Description is the text for GIS; nil keeps the proposal's, which is dropped when the
	// answer changes (it described the other answer).
	Description *string
	// Sent is the answer GIS holds, in the review of a correction (the proposal is marked as
	// a correction); nil for an answer GIS does not hold from gisgw (its automatic one).
	Sent *domain.Decision
}

// CommentMax is the longest comment a person may give, in characters.
const CommentMax = 1000

// manualRuleVersion is the rule version of a decision a person made without a proposal.
const manualRuleVersion = "manual"

// ErrInvalidDecision matches every error of Review: the choice cannot be recorded as it is.
// The errors below tell why, for a front end to explain it in its own words.
var (
	ErrInvalidDecision = errors.New("invalid decision")
	// ErrNoProposal: the choice needs a proposal (Confirm, or Debt without acts) and there is none.
	ErrNoProposal = errors.New("no proposed decision")
	// ErrNoDebtors: a Debt answer without chosen acts, and the proposal names no debtors.
	ErrNoDebtors = errors.New("no debtors")
	// ErrUnknownAct: a chosen act is not among the court acts of the sub-request's premises.
	ErrUnknownAct = errors.New("unknown court act")
	// ErrCommentRequired: the answer differs from the proposal and no comment says why.
	ErrCommentRequired = errors.New("comment required")
	// ErrCommentTooLong: the comment is longer than CommentMax.
	ErrCommentTooLong = errors.New("comment too long")
	// ErrBadReviewer: the reviewer's login holds a bidirectional or other control character.
	ErrBadReviewer = errors.New("unacceptable reviewer login")
	// ErrNotCorrection: KeepSent outside the review of a correction.
	ErrNotCorrection = errors.New("not a correction")
)

// CheckReviewer refuses a reviewer login with a control character. A bidirectional control
// (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) would reorder how the login reads
// wherever it is shown, so that the audit trail names someone else. The error matches
// ErrBadReviewer.
func CheckReviewer(who string) error {
	for _, r := range who {
		if isBidiControl(r) || unicode.IsControl(r) {
			return fmt.Errorf("%w: %q contains the control character %U, which can disguise who decided; give the login without it",
				ErrBadReviewer, who, r)
		}
	}
	return nil
}

func isBidiControl(r rune) bool {
	return r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069' || r == '\u200E' || r == '\u200F' || r == '\u061C'
}

// reviewError is a refused review: its text is for the log and the command line, its
// Russian text (when it has one) for an officer, its kind for errors.Is.
type reviewError struct {
	guid, msg, ru string
	kind          error
}

// Explain is the Russian text of a refused review for an officer; "" when err has none (the
// front end then explains err's kind in its own words).
func Explain(err error) string {
	var re *reviewError
	if errors.As(err, &re) {
		return re.ru
	}
	return ""
}

func (e *reviewError) Error() string { return "review of sub-request " + e.guid + ": " + e.msg }

func (e *reviewError) Unwrap() []error {
	if e.kind == ErrInvalidDecision {
		return []error{ErrInvalidDecision}
	}
	return []error{e.kind, ErrInvalidDecision}
}

func refuse(guid string, kind error, format string, args ...any) error {
	return &reviewError{guid: guid, msg: fmt.Sprintf(format, args...), kind: kind}
}

// Review turns a person's choice on sub-request sr into the decision to record. In the
// review of a correction (the proposal is marked as one) the decision is marked as a
// correction when it answers otherwise than c.Sent, the answer GIS holds; KeepSent, or any
// choice that answers as GIS's answer does, keeps that answer. proposal is
// the current decision (nil when the rules proposed none); acts are the court acts at the
// proposal's premises (others, and acts of another organization, are ignored); who, comment
// and at are stored with the decision.
//
// The proposal's evidence, review reasons and rule version are kept ("manual" without a
// proposal). Debtors of chosen acts are grouped as Decide groups them. Every document that
// is a court act's file names that act, so that the act's recorded upload is reused. An
// answer that differs from the proposal (another hasDebt, other debtors or other files)
// needs a comment; without a proposal, "no debt" (what GIS answers on silence) is no change.
func Review(sr domain.SubRequest, proposal *domain.Decision, acts []domain.CourtAct, c Choice, who, comment string, at time.Time) (domain.Decision, error) {
	fail := func(kind error, format string, args ...any) (domain.Decision, error) {
		return domain.Decision{}, refuse(sr.GUID, kind, format, args...)
	}
	if err := CheckReviewer(who); err != nil {
		return fail(ErrBadReviewer, "%v", err)
	}
	comment = strings.TrimSpace(comment)
	if n := utf8.RuneCountInString(comment); n > CommentMax {
		return fail(ErrCommentTooLong, "the comment has %d characters, at most %d allowed", n, CommentMax)
	}
	base := domain.Decision{SubRequestGUID: sr.GUID, RuleVersion: manualRuleVersion}
	if proposal != nil {
		base = *proposal
		base.SubRequestGUID = sr.GUID
	}
	acts = actsOf(sr, base.PremisesIDs, acts)

	correction := proposal != nil && proposal.Correction
	// The answer GIS holds: gisgw's, or GIS's automatic "no debt".
	sent := domain.Decision{SubRequestGUID: sr.GUID, RuleVersion: base.RuleVersion, PremisesIDs: base.PremisesIDs, Evidence: base.Evidence}
	if c.Sent != nil {
		sent = *c.Sent
	}
	d := base
	switch c.Answer {
	case KeepSent:
		if !correction {
			return fail(ErrNotCorrection, "the sub-request has no sent answer under correction to keep")
		}
		d = sent
		d.SubRequestGUID = sr.GUID
	case Confirm:
		if proposal == nil {
			return fail(ErrNoProposal, "the sub-request has no proposed decision to confirm")
		}
	case NoDebt:
		d.HasDebt, d.DebtInfo = false, nil
	case Debt:
		chosen, err := chosenActs(acts, c.Acts)
		if err != nil {
			return fail(ErrUnknownAct, "%v", err)
		}
		switch {
		case len(chosen) > 0:
			d.HasDebt, d.DebtInfo = true, debtInfo(chosen)
		case proposal == nil:
			return fail(ErrNoProposal, "the sub-request has no proposed decision (no premises matched), so there are no debtors to confirm")
		case len(base.DebtInfo) == 0:
			return fail(ErrNoDebtors, "the proposal names no debtors, so a debt answer cannot be sent")
		default:
			d.HasDebt = true
		}
	default:
		return fail(ErrInvalidDecision, "unknown answer %d", c.Answer)
	}
	d.DebtInfo = withActs(d.DebtInfo, acts)

	switch {
	case c.Answer == KeepSent:
		// The answer GIS holds, as it was sent.
	case c.Description != nil:
		d.Description = *c.Description
	case d.HasDebt != base.HasDebt:
		d.Description = ""
	}
	if !sameAnswer(d, base) && comment == "" {
		return fail(ErrCommentRequired, "the answer differs from the proposal: say why in a comment")
	}
	// In the review of a correction, an answer other than the one GIS holds corrects it
	// (revoke, then send); the same answer keeps it and sends nothing.
	d.Correction = correction && !sameAnswer(d, sent)
	return reviewed(d, who, comment, at)
}

// actsOf returns the acts at the premises that belong to sr's organization (or to none), in
// Decide's order.
func actsOf(sr domain.SubRequest, premisesIDs []string, acts []domain.CourtAct) []domain.CourtAct {
	var out []domain.CourtAct
	for _, a := range acts {
		if slices.Contains(premisesIDs, a.PremisesID) && (a.OrgGUID == "" || sr.OrgGUID == "" || a.OrgGUID == sr.OrgGUID) {
			out = append(out, a)
		}
	}
	sortActs(out)
	return out
}

// chosenActs returns the acts named by ids, refusing an id that is not among them.
func chosenActs(acts []domain.CourtAct, ids []string) ([]domain.CourtAct, error) {
	var out []domain.CourtAct
	for _, id := range ids {
		if !slices.ContainsFunc(acts, func(a domain.CourtAct) bool { return a.ID == id }) {
			return nil, fmt.Errorf("court act %q is not at the sub-request's premises", id)
		}
	}
	for _, a := range acts {
		if slices.Contains(ids, a.ID) {
			out = append(out, a)
		}
	}
	return out, nil
}

// withActs returns di with each document that lacks its act's name given the act whose file
// it is (same path), copying rather than changing the caller's documents.
func withActs(di []domain.DebtInfo, acts []domain.CourtAct) []domain.DebtInfo {
	out := slices.Clone(di)
	for i := range out {
		out[i].Documents = slices.Clone(out[i].Documents)
		for j, doc := range out[i].Documents {
			if doc.ActID != "" || strings.TrimSpace(doc.Path) == "" {
				continue
			}
			k := slices.IndexFunc(acts, func(a domain.CourtAct) bool { return a.Document != nil && a.Document.Path == doc.Path })
			if k >= 0 {
				out[i].Documents[j].ActOrg, out[i].Documents[j].ActID = acts[k].OrgGUID, acts[k].ID
			}
		}
	}
	return out
}

// sameAnswer reports whether d answers as p does (domain.Decision.SameAnswer).
func sameAnswer(d, p domain.Decision) bool { return d.SameAnswer(p) }

// reviewed stamps a person's decision: who, comment and at are stored with it and the review
// flag is cleared. It checks that the answer can be sent: "debt" needs at least one person
// with a name and a document with a file, "no debt" has none, and the description fits
// GIS's limit.
func reviewed(d domain.Decision, who, comment string, at time.Time) (domain.Decision, error) {
	fail := func(ru, format string, args ...any) (domain.Decision, error) {
		e := refuse(d.SubRequestGUID, ErrInvalidDecision, format, args...)
		e.(*reviewError).ru = ru
		return domain.Decision{}, e
	}
	if strings.TrimSpace(who) == "" {
		return fail("Не указано, кто принял решение.", "the reviewer is not named")
	}
	if at.IsZero() {
		return fail("Не указано время решения.", "the review time is not set")
	}
	if n := utf8.RuneCountInString(d.Description); n > DescriptionMax {
		return fail(fmt.Sprintf("Пояснение для ГИС ЖКХ длиннее %d символов (в нём %d).", DescriptionMax, n),
			"description has %d characters, at most %d allowed", n, DescriptionMax)
	}
	if d.HasDebt {
		if len(d.DebtInfo) == 0 {
			return fail("В ответе «есть задолженность» должен быть хотя бы один должник.", "hasDebt=true needs at least one debtor")
		}
		for i, di := range d.DebtInfo {
			if strings.TrimSpace(di.Person.LastName) == "" || strings.TrimSpace(di.Person.FirstName) == "" {
				return fail(fmt.Sprintf("У должника № %d не указаны фамилия или имя: исправьте судебный акт и загрузите акты заново.", i+1),
					"debtor %d has no last or first name", i+1)
			}
			if len(di.Documents) == 0 {
				return fail(fmt.Sprintf("К должнику %s не приложен судебный акт.", di.Person.LastName),
					"debtor %d (%s) has no document", i+1, di.Person.LastName)
			}
			for _, doc := range di.Documents {
				if strings.TrimSpace(doc.Path) == "" {
					return fail(fmt.Sprintf("У судебного акта должника %s нет файла «%s» для приложения к ответу: добавьте файл акта и загрузите акты заново.", di.Person.LastName, doc.Name),
						"debtor %d (%s): document %q has no file to attach", i+1, di.Person.LastName, doc.Name)
				}
			}
		}
	} else if len(d.DebtInfo) > 0 {
		return fail("В ответе «нет задолженности» не может быть должников.", "hasDebt=false cannot list debtors")
	}
	d.DecidedBy, d.Comment, d.DecidedAt = who, comment, at
	d.Review = false
	return d, nil
}
