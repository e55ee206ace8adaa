// Package decide holds the decision rules: from a sub-request, the premises it was matched
// to and the court acts at those premises, whether the answer is "debt confirmed by a court
// act" (hasDebt) and for whom. Decide is a pure function: no I/O, no clock. Every decision
// carries the rule version and, per act, whether it counted and why.
package decide

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/match"
	"github.com/gisgw/gisgw/responder/ru"
)

// RuleVersion names the rules below; it is stored with every decision. Change it whenever a
// rule changes what Decide returns.
const RuleVersion = "2026.4"

// Review reason codes (the stored reason is "code: Russian text").
const (
	CodeNoPremises    = "no_premises"    // no premises matched: "no debt" is only a proposal
	CodePartialPeriod = "partial_period" // an act's debt months are only partly inside the period
	CodeUnknownMonths = "unknown_months" // an act's debt months are missing or reversed
	CodeNoDocument    = "no_document"    // a counting act has no file to attach
	CodeNoDebtors     = "no_debtors"     // a counting act names no debtor
	CodeNoPeriod      = "no_period"      // neither a period nor a sent date: the window is a guess
	CodeBadPeriod     = "bad_period"     // the period ends before it starts
	CodeFutureCancel  = "future_cancel"  // an act's cancellation date is after the decision date
	// CodeUnknownBalance: an act that would count has no outstanding amount (blank, not 0).
	CodeUnknownBalance = "unknown_balance"
	// CodeNoSentDate: the three years are counted back from the decision date, not the sent date.
	CodeNoSentDate = "no_sent_date"
)

// DescriptionMax is the longest description GIS accepts, in characters.
const DescriptionMax = 1000

// Decide proposes the answer to sr. m is the match of sr's housing object; acts are the
// court acts at the matched premises (acts at other premises, or of another organization,
// are ignored); today is the decision date. An act counts when it has entered into force on
// or before today, is not cancelled on or before today, has a positive outstanding balance,
// and its debt months overlap the window: the requested period (when the sub-request has
// none: the three years up to its sent date) within the three years before the sent date
// (LEGAL-RULES §10.1). An act whose balance is not given goes to a person (§10.3). A
// repayment agreement or instalment on a counting act leaves the answer "debt"; the
// description names it so that the requester can apply a regional rule (§10.6).
func Decide(sr domain.SubRequest, m match.Result, acts []domain.CourtAct, today time.Time) domain.Decision {
	d := domain.Decision{
		SubRequestGUID: sr.GUID,
		RuleVersion:    RuleVersion,
		DecidedAt:      today,
		PremisesIDs:    m.PremisesIDs(),
		MatchMethod:    string(m.Method),
	}
	rv := reviewer{d: &d}
	for _, r := range m.Reasons {
		rv.add(r.String())
	}
	if m.NeedsReview && len(m.Reasons) == 0 {
		rv.add(match.CodeNoMatch + ": сопоставление помещения требует проверки")
	}
	if len(m.Premises) == 0 {
		rv.add(CodeNoPremises + ": помещение не сопоставлено; предложен ответ «задолженности нет», его нужно подтвердить")
	}

	period, state := requestedPeriod(sr, today)
	switch state {
	case periodNone:
		rv.add(fmt.Sprintf("%s: в запросе нет ни периода, ни даты отправки; взяты 3 года до %s", CodeNoPeriod, day(today)))
	case periodReversed:
		rv.add(fmt.Sprintf("%s: период запроса указан в обратном порядке; использован %s", CodeBadPeriod, period))
	}
	years := lastThreeYears(sr, today)
	if sr.SentDate.IsZero() && state != periodNone {
		rv.add(fmt.Sprintf("%s: в запросе нет даты отправки; три последних года отсчитаны от даты решения (%s)", CodeNoSentDate, years))
	}
	win := period.intersect(years)

	todayD := calendar.DateOf(today)
	var counted []domain.CourtAct
	for _, a := range relevant(sr, m, acts) {
		name := actName(a)
		ev := domain.Evidence{ActID: a.ID}
		switch {
		case !a.CancelledOn.IsZero() && !calendar.DateOf(a.CancelledOn).After(todayD):
			ev.Reason = "не учтён: отменён " + day(a.CancelledOn)
		case a.EffectiveOn.IsZero():
			ev.Reason = "не учтён: не вступил в законную силу"
		case calendar.DateOf(a.EffectiveOn).After(todayD):
			ev.Reason = "не учтён: вступает в законную силу " + day(a.EffectiveOn) + ", после даты решения " + day(today)
		case !a.OutstandingUnknown && a.Outstanding <= 0:
			ev.Reason = "не учтён: задолженность погашена"
			if !a.BalanceOn.IsZero() {
				ev.Reason += " (остаток на " + day(a.BalanceOn) + ": " + money(a.Outstanding) + ")"
			}
		default:
			ev.Counted, ev.Reason = true, "учтён"
			months := monthsOf(a)
			switch {
			case months.unknown:
				rv.add(CodeUnknownMonths + ": " + name + ": месяцы долга не указаны или указаны неверно; нельзя проверить, что долг образовался в периоде " + win.String())
				ev.Reason += "; месяцы долга неизвестны"
			case !months.overlaps(win):
				ev.Counted = false
				ev.Reason = "не учтён: " + outsideReason(months, period, years)
			case !months.inside(win):
				ms, ws := months.String(), win.String()
				rv.add(CodePartialPeriod + ": " + name + ": период долга " + ms + " лишь частично входит в учитываемый период " + ws + " (запрошенный период в пределах трёх лет до даты отправки запроса)")
				ev.Reason += "; период долга " + ms + " частично вне учитываемого периода " + ws
			case a.OutstandingUnknown:
				ev.Reason += ": вступил в силу " + day(a.EffectiveOn) + ", долг за " + months.String()
			default:
				ev.Reason += ": вступил в силу " + day(a.EffectiveOn) + ", долг за " + months.String() + ", остаток " + money(a.Outstanding)
			}
			if ev.Counted && a.OutstandingUnknown {
				// Neither paid nor unpaid: a person decides, and the proposal does not
				// name the act's debtors on a guess.
				rv.add(CodeUnknownBalance + ": " + name + ": остаток долга не указан (пусто, а не 0); неизвестно, погашен ли долг")
				rest := strings.TrimLeft(strings.TrimPrefix(ev.Reason, "учтён"), ":; ")
				ev.Counted = false
				ev.Reason = "не учтён: остаток долга не указан, неизвестно, погашен ли долг; решает сотрудник"
				if rest != "" {
					ev.Reason += "; " + rest
				}
			}
			if ev.Counted && !a.CancelledOn.IsZero() {
				rv.add(CodeFutureCancel + ": " + name + ": дата отмены " + day(a.CancelledOn) + " позже даты решения")
				ev.Reason += "; дата отмены " + day(a.CancelledOn) + " ещё не наступила"
			}
		}
		for _, g := range a.Agreements {
			ev.Reason += "; " + agreementNote(g)
		}
		if ev.Counted {
			counted = append(counted, a)
			if a.Document == nil || strings.TrimSpace(a.Document.Path) == "" {
				rv.add(CodeNoDocument + ": " + name + ": нет файла судебного акта для приложения к ответу")
				ev.Reason += "; нет файла акта"
			}
			if len(a.Debtors) == 0 {
				rv.add(CodeNoDebtors + ": " + name + ": в акте не указан должник")
				ev.Reason += "; должник не указан"
			}
		}
		d.Evidence = append(d.Evidence, ev)
	}

	d.HasDebt = len(counted) > 0
	d.DebtInfo = debtInfo(counted)
	d.Description = agreementsDescription(counted)
	d.Review = len(d.ReviewReasons) > 0
	return d
}

// outsideReason says why debt months wholly outside the window do not count: outside the
// requested period, outside the three years before the sent date, or both.
func outsideReason(months monthSpan, period, years window) string {
	var where []string
	if !months.overlaps(period) {
		where = append(where, "вне запрошенного периода "+period.String())
	}
	if !months.overlaps(years) {
		where = append(where, "вне трёх последних лет до даты отправки запроса ("+years.String()+")")
	}
	if len(where) == 0 {
		// Each touches one of them, but no month is in both.
		where = append(where, fmt.Sprintf("вне той части запрошенного периода %s, что входит в три последних года до даты отправки запроса (%s)", period, years))
	}
	return "период долга " + months.String() + " " + strings.Join(where, " и ")
}

// reviewer collects review reasons without repeats.
type reviewer struct{ d *domain.Decision }

func (r reviewer) add(reason string) {
	if !slices.Contains(r.d.ReviewReasons, reason) {
		r.d.ReviewReasons = append(r.d.ReviewReasons, reason)
	}
}

// relevant returns the acts at the matched premises that belong to sr's organization (or to
// none), by premises id and act id.
func relevant(sr domain.SubRequest, m match.Result, acts []domain.CourtAct) []domain.CourtAct {
	// Most matches are one premises: a scan, not a map, for a few.
	at := func(id string) bool {
		return slices.ContainsFunc(m.Premises, func(p domain.Premises) bool { return p.ID == id })
	}
	if len(m.Premises) > 8 {
		ids := make(map[string]bool, len(m.Premises))
		for _, p := range m.Premises {
			ids[p.ID] = true
		}
		at = func(id string) bool { return ids[id] }
	}
	var out []domain.CourtAct
	for _, a := range acts {
		if (a.OrgGUID == "" || a.OrgGUID == sr.OrgGUID) && at(a.PremisesID) {
			out = append(out, a)
		}
	}
	sortActs(out)
	return out
}

// sortActs orders acts by premises, id and organization, the order debtors are listed in.
func sortActs(acts []domain.CourtAct) {
	slices.SortStableFunc(acts, func(a, b domain.CourtAct) int {
		return cmp.Or(strings.Compare(a.PremisesID, b.PremisesID), strings.Compare(a.ID, b.ID), strings.Compare(a.OrgGUID, b.OrgGUID))
	})
}

// debtInfo lists each person of the counting acts once (LEGAL-RULES §10.5), in order of
// first appearance, with the documents of every act naming them (without repeats). Two
// records are one person when their SNILS agree; when either has no SNILS, when their full
// names agree after ё→е and case folding. Records whose SNILS differ are two people even
// with the same name.
func debtInfo(acts []domain.CourtAct) []domain.DebtInfo {
	var out []domain.DebtInfo
	var names []string // the folded full name of each of out, as first recorded (fillPerson keeps the name parts)
	var buf []byte
	for _, a := range acts {
		for _, db := range a.Debtors {
			buf = appendFullName(buf[:0], db.LastName, db.FirstName, db.MiddleName)
			i := samePerson(out, names, db, buf)
			if i < 0 {
				i = len(out)
				out = append(out, domain.DebtInfo{Person: domain.Person(db)})
				names = append(names, string(buf))
			}
			fillPerson(&out[i].Person, db)
			if a.Document != nil && strings.TrimSpace(a.Document.Path) != "" && !hasDocument(out[i].Documents, *a.Document) {
				doc := *a.Document
				doc.ActOrg, doc.ActID = a.OrgGUID, a.ID
				out[i].Documents = append(out[i].Documents, doc)
			}
		}
	}
	return out
}

// People lists the persons the acts name, each once by the rule of debtInfo (LEGAL-RULES
// §10.5: the same SNILS, else the same full name), in order of first appearance; the monthly
// inventory counts debtors by it.
func People(acts []domain.CourtAct) []domain.Person {
	info := debtInfo(acts)
	out := make([]domain.Person, len(info))
	for i, d := range info {
		out[i] = d.Person
	}
	return out
}

// samePerson returns the index in out of the person d is, or -1: the same SNILS first, then
// the same full name where one of the two has no SNILS. names[i] is out[i]'s folded full
// name and name d's (appendFullName): each record is folded once, not once per comparison.
func samePerson(out []domain.DebtInfo, names []string, d domain.Debtor, name []byte) int {
	snils := strings.TrimSpace(d.SNILS)
	if snils != "" {
		if i := slices.IndexFunc(out, func(x domain.DebtInfo) bool { return strings.TrimSpace(x.Person.SNILS) == snils }); i >= 0 {
			return i
		}
	}
	for i, x := range out {
		other := strings.TrimSpace(x.Person.SNILS)
		if (snils == "" || other == "") && names[i] == string(name) {
			return i
		}
	}
	return -1
}

// appendFullName appends the full name folded for comparison to b: case, ё→е, spaces
// around and inside each part, the parts joined by "|". It is one pass without
// intermediate strings (folding with strings.ToLower, ReplaceAll, Fields and Join for every
// debtor against every person before it was a tenth of the decide step's CPU); rune by rune
// it does what those do, an invalid byte becoming U+FFFD as in strings.ToLower.
func appendFullName(b []byte, parts ...string) []byte {
	for i, p := range parts {
		if i > 0 {
			b = append(b, '|')
		}
		space, seen := false, false
		for _, r := range p {
			if unicode.IsSpace(r) {
				space = seen
				continue
			}
			if space {
				b = append(b, ' ')
				space = false
			}
			seen = true
			if r < utf8.RuneSelf {
				if 'A' <= r && r <= 'Z' {
					r += 'a' - 'A'
				}
				b = append(b, byte(r))
				continue
			}
			if r = unicode.ToLower(r); r == 'ё' {
				r = 'е'
			}
			b = utf8.AppendRune(b, r)
		}
	}
	return b
}

// fillPerson completes p from another record of the same person: a missing SNILS, middle
// name or identity document is taken from the later act.
func fillPerson(p *domain.Person, d domain.Debtor) {
	if p.SNILS == "" {
		p.SNILS = d.SNILS
	}
	if p.MiddleName == "" {
		p.MiddleName = d.MiddleName
	}
	if p.DocType == "" && p.DocNumber == "" {
		p.DocType, p.DocSeries, p.DocNumber = d.DocType, d.DocSeries, d.DocNumber
	}
}

func hasDocument(docs []domain.Document, d domain.Document) bool {
	return slices.ContainsFunc(docs, func(x domain.Document) bool { return x.Path == d.Path })
}

// window is a span of calendar days, both ends included; empty when From is after To.
type window struct{ From, To time.Time }

func (p window) String() string {
	if p.empty() {
		return "(пусто)"
	}
	return day(p.From) + "–" + day(p.To)
}

func (p window) empty() bool { return p.From.After(p.To) }

// intersect is the days in both p and q; empty when they share none.
func (p window) intersect(q window) window {
	from, to := p.From, p.To
	if q.From.After(from) {
		from = q.From
	}
	if q.To.Before(to) {
		to = q.To
	}
	return window{From: from, To: to}
}

// lastThreeYears is the three years before sr's sent date (LEGAL-RULES §10.1), from the same
// day three years earlier up to the sent date; without a sent date, up to today.
func lastThreeYears(sr domain.SubRequest, today time.Time) window {
	to := calendar.DateOf(today)
	if !sr.SentDate.IsZero() {
		to = calendar.DateOf(sr.SentDate)
	}
	return window{From: to.AddDate(-3, 0, 0), To: to}
}

type periodState int

const (
	periodGiven periodState = iota
	periodNone
	periodReversed
)

// requestedPeriod is sr's period; a missing start is three years before the end, a missing
// end is the sent date; with neither, the three years up to the sent date (or today) as
// LEGAL-RULES §10.1 counts them, from the same day three years earlier.
func requestedPeriod(sr domain.SubRequest, today time.Time) (window, periodState) {
	from, to := calendar.DateOf(sr.PeriodFrom), calendar.DateOf(sr.PeriodTo)
	state := periodGiven
	if sr.PeriodTo.IsZero() {
		switch {
		case !sr.SentDate.IsZero():
			to = calendar.DateOf(sr.SentDate)
		case sr.PeriodFrom.IsZero():
			to, state = calendar.DateOf(today), periodNone
		default:
			to = calendar.DateOf(today)
		}
	}
	switch {
	case sr.PeriodFrom.IsZero() && sr.PeriodTo.IsZero():
		from = to.AddDate(-3, 0, 0) // the three years of LEGAL-RULES §10.1 themselves
	case sr.PeriodFrom.IsZero():
		from = threeYearsBefore(to)
	}
	if from.After(to) {
		from, to, state = to, from, periodReversed
	}
	return window{From: from, To: to}, state
}

// threeYearsBefore is the first day of the three years that end on d: 2026-10-31 → 2023-11-01.
func threeYearsBefore(d time.Time) time.Time { return d.AddDate(-3, 0, 1) }

// monthSpan is an act's debt months as month numbers (year*12 + month - 1).
type monthSpan struct {
	from, to int
	unknown  bool
}

func monthsOf(a domain.CourtAct) monthSpan {
	if a.DebtFrom.IsZero() || a.DebtTo.IsZero() || a.DebtTo.Before(a.DebtFrom) {
		return monthSpan{unknown: true}
	}
	return monthSpan{from: monthNo(a.DebtFrom), to: monthNo(a.DebtTo)}
}

func monthNo(t time.Time) int {
	y, m, _ := t.Date()
	return y*12 + int(m) - 1
}

// overlaps reports whether a debt month touches the period (a month counts when any of its
// days is inside); nothing touches an empty period.
func (s monthSpan) overlaps(p window) bool {
	return !p.empty() && s.from <= monthNo(p.To) && s.to >= monthNo(p.From)
}

// inside reports whether every debt month touches the period.
func (s monthSpan) inside(p window) bool {
	return !p.empty() && s.from >= monthNo(p.From) && s.to <= monthNo(p.To)
}

func (s monthSpan) String() string {
	b := make([]byte, 0, 20)
	b = appendMonth(b, s.from)
	b = append(b, "–"...)
	return string(appendMonth(b, s.to))
}

// appendMonth appends month number n as fmt's "%02d.%04d" of its month and year would,
// without fmt for the years 0–9999 (it was a good part of Decide's garbage).
func appendMonth(b []byte, n int) []byte {
	m, y := n%12+1, n/12
	if m < 1 || y < 0 || y > 9999 {
		return fmt.Appendf(b, "%02d.%04d", m, y)
	}
	return append(b, byte('0'+m/10), byte('0'+m%10), '.',
		byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10))
}

// day and money format as everything else an officer reads (ru): 05.03.2026, 27 300,00 ₽.
func day(t time.Time) string { return ru.Date(t) }

func money(k domain.Money) string { return ru.Money(k) }

func actName(a domain.CourtAct) string {
	if a.CaseNumber != "" {
		return "акт " + a.ID + " (дело № " + a.CaseNumber + ")"
	}
	return "акт " + a.ID
}

// agreementsDescription is the answer's description naming every repayment agreement and
// instalment on the counting acts (LEGAL-RULES §10.6), one sentence each, at most
// DescriptionMax characters: sentences that do not fit are counted in a closing one instead.
// "" when there is none.
func agreementsDescription(counted []domain.CourtAct) string {
	var sentences []string
	for _, a := range counted {
		for _, g := range a.Agreements {
			sentences = append(sentences, agreementSentence(a, g))
		}
	}
	return joinWithin(sentences, DescriptionMax)
}

// joinWithin joins sentences with spaces into at most limit characters. When they do not
// all fit, it keeps as many leading ones as fit together with a last sentence saying how
// many were left out. When not even the first fits beside that count, the first is kept
// alone, cut with "…" when it is longer than the limit.
func joinWithin(sentences []string, limit int) string {
	total := len(sentences) - 1
	for _, s := range sentences {
		total += utf8.RuneCountInString(s)
	}
	if total <= limit {
		return strings.Join(sentences, " ")
	}
	var b strings.Builder
	used := 0
	for i, s := range sentences {
		rest := fmt.Sprintf("Ещё соглашений и рассрочек: %d (полный список есть у организации).", len(sentences)-i)
		sep := 0
		if i > 0 {
			sep = 1
		}
		n := utf8.RuneCountInString(s)
		if used+sep+n+1+utf8.RuneCountInString(rest) > limit {
			if i == 0 {
				// The first sentence does not fit beside the count: it is kept alone,
				// cut when it is longer than the limit itself.
				if rs := []rune(s); len(rs) > limit {
					return string(rs[:limit-1]) + "…"
				}
				return s
			}
			b.WriteString(" " + rest)
			return b.String()
		}
		if sep > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
		used += sep + n
	}
	return b.String()
}

// agreementSentence says, in plain Russian, that act a's debt is under agreement g:
// «По судебному акту № 2-123/2025 заключено соглашение о погашении задолженности № 15 от
// 01.03.2026 (действует), оплачено 12 000,00 ₽ из 40 000,00 ₽.»
func agreementSentence(a domain.CourtAct, g domain.Agreement) string {
	act := "По судебному акту № " + a.CaseNumber
	if a.CaseNumber == "" {
		act = "По судебному акту (код " + a.ID + ")"
	}
	verb := "заключено соглашение о погашении задолженности"
	if g.Kind == domain.AgreementInstalment {
		verb = "судом предоставлена рассрочка"
	}
	return act + " " + verb + " " + agreementDetails(g) + "."
}

// agreementNote is the evidence line of agreement g: «соглашение о погашении задолженности
// № 15 от 01.03.2026 (действует), оплачено 12 000,00 ₽ из 40 000,00 ₽».
func agreementNote(g domain.Agreement) string {
	name := "соглашение о погашении задолженности"
	if g.Kind == domain.AgreementInstalment {
		name = "рассрочка, предоставленная судом,"
	}
	return name + " " + agreementDetails(g)
}

// agreementDetails is «№ 15 от 01.03.2026 (действует, график платежей до 28.02.2027),
// оплачено 12 000,00 ₽ из 40 000,00 ₽».
func agreementDetails(g domain.Agreement) string {
	var b strings.Builder
	b.WriteString("№ " + g.Number)
	if !g.Date.IsZero() {
		b.WriteString(" от " + ru.Date(g.Date))
	}
	b.WriteString(" (" + AgreementStatusName(g.Kind, g.Status))
	if !g.ScheduleEnd.IsZero() {
		b.WriteString(", график платежей до " + ru.Date(g.ScheduleEnd))
	}
	b.WriteString("), оплачено " + ru.Money(g.Paid))
	if g.Amount > 0 {
		b.WriteString(" из " + ru.Money(g.Amount))
	}
	return b.String()
}

// AgreementStatusName is the status of an agreement in Russian, agreeing in gender with
// its kind: «нарушено» (соглашение), «нарушена» (рассрочка).
func AgreementStatusName(k domain.AgreementKind, s domain.AgreementStatus) string {
	fem := k == domain.AgreementInstalment
	switch s {
	case domain.AgreementActive:
		return "действует"
	case domain.AgreementBroken:
		if fem {
			return "нарушена"
		}
		return "нарушено"
	case domain.AgreementFulfilled:
		if fem {
			return "исполнена"
		}
		return "исполнено"
	}
	return "состояние не указано"
}

// AgreementKindName is the kind of an agreement in Russian.
func AgreementKindName(k domain.AgreementKind) string {
	if k == domain.AgreementInstalment {
		return "рассрочка, предоставленная судом"
	}
	return "соглашение о погашении задолженности"
}
