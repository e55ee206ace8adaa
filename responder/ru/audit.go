package ru

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
)

// The store keeps review reasons as "code: text" and audit entries with English actions and
// details, for machines and support. The functions below render them for officers without
// rewriting what is stored.

// reasonCode is the machine code a stored review reason starts with ("no_document: …").
var reasonCode = regexp.MustCompile(`^[a-z][a-z0-9_]*: `)

// Reason is the Russian text of a stored review reason: the code before it is dropped.
func Reason(stored string) string {
	return reasonCode.ReplaceAllString(stored, "")
}

// Reasons is Reason of each.
func Reasons(stored []string) []string {
	out := make([]string, len(stored))
	for i, s := range stored {
		out[i] = Reason(s)
	}
	return out
}

var auditActions = map[string]string{
	"recorded":          "получен из ГИС ЖКХ",
	"refreshed":         "обновлён по данным ГИС ЖКХ",
	"decided":           "решение по правилам",
	"reviewed":          "решение сотрудника",
	"state":             "смена состояния",
	"queued":            "поставлен в очередь отправки",
	"result":            "результат отправки в ГИС ЖКХ",
	"deferred":          "отправка отложена",
	"correction":        "исправление отправленного ответа",
	"acknowledged":      "ГИС ЖКХ приняла сообщение",
	"attempt failed":    "попытка отправки не удалась",
	"import premises":   "загрузка помещений",
	"import court acts": "загрузка судебных актов",
	"import agreements": "загрузка соглашений и рассрочек",
	"document uploaded": "файл судебного акта загружен в ГИС ЖКХ",
}

// AuditAction is the Russian name of a stored audit action; an action this build does not
// know is named generically rather than shown in English.
func AuditAction(action string) string {
	if a, ok := auditActions[action]; ok {
		return a
	}
	return "служебная запись"
}

var auditActors = map[string]string{
	"system":    "система",
	"import":    "загрузка данных",
	"filestore": "хранилище файлов",
	"":          "система",
}

// AuditActor names who made an audit entry: the daemon's own actors in Russian, a person by
// the login they gave.
func AuditActor(actor string) string {
	if a, ok := auditActors[actor]; ok {
		return a
	}
	return actor
}

// fieldNames are the GIS fields a refresh reports as changed.
var fieldNames = map[string]string{
	"orgPPAGUID":     "организация",
	"requestGUID":    "запрос",
	"requestNumber":  "номер запроса",
	"requesterGUID":  "орган соцзащиты",
	"requesterName":  "название органа соцзащиты",
	"houseGUID":      "дом",
	"addressDetails": "уточнение адреса",
	"HMobjectGUID":   "помещение в ГИС ЖКХ",
	"adressType":     "тип объекта",
	"fiasHouseGUID":  "дом по ФИАС",
	"address":        "адрес",
	"period":         "период",
	"sentDate":       "дата направления",
	"responseDate":   "срок ответа",
	"responseStatus": "статус ответа в ГИС ЖКХ",
}

// Known English details written by the daemon itself.
var plainDetails = map[string]string{
	"retry requested in the dashboard": "повтор отправки запрошен в панели",
	"no premises matched":              "помещение не сопоставлено",
	"GIS answered automatically":       "ГИС ЖКХ ответила автоматически",
	"answered by hand in GIS":          "ответ дан вручную в ГИС ЖКХ",
	"decided":                          "решение принято",
	"manual":                           "вручную",
	"no match":                         "помещение не сопоставлено",
}

var (
	// "a→b" or "a→b: rest"
	transition = regexp.MustCompile(`^([a-z_]+)→([a-z_]+)(?:: (.*))?$`)
	// "outcome answered recorded; state stays review: rest"
	outcomeStays = regexp.MustCompile(`^outcome ([a-z_]+) recorded; state stays ([a-z_]+): (.*)$`)
	// "message ID, Send TGUID; GIS error CODE: TEXT"
	messagePart = regexp.MustCompile(`^message (\S+), (\w+) (\S+)(?:; GIS error (.*?): (.*))?$`)
	// "message ID: GIS MessageGUID GUID"
	acked = regexp.MustCompile(`^message (\S+): GIS MessageGUID (\S+)$`)
	// "message ID (status), attempt N: error"
	attempt  = regexp.MustCompile(`^message (\S+) \(\w+\), attempt (\d+): `)
	keyValue = regexp.MustCompile(`(\w+)=("(?:[^"\\]|\\.)*"|\S+)`)
)

// AuditDetail renders the stored detail of an audit entry with the given action in Russian.
// A detail in a form this build does not know is shown only when it holds no Latin word (it
// was written in Russian); otherwise it is left out rather than shown as code.
func AuditDetail(action, detail string) string {
	detail = strings.TrimSpace(detail)
	switch action {
	case "recorded":
		kv := keyValues(detail)
		var parts []string
		if s, ok := kv["state"]; ok {
			parts = append(parts, "состояние: "+StateName(domain.State(s)))
		}
		if d, ok := kv["responseDate"]; ok {
			parts = append(parts, "срок ответа: "+isoDate(d))
		}
		return strings.Join(parts, "; ")
	case "refreshed":
		var parts []string
		rest := detail
		if strings.HasPrefix(rest, "state ") {
			st, after, _ := strings.Cut(strings.TrimPrefix(rest, "state "), "; ")
			parts = append(parts, "состояние: "+states(st))
			rest = after
		}
		if f, ok := strings.CutPrefix(rest, "changed: "); ok && f != "" {
			var names []string
			for _, n := range strings.Split(f, ", ") {
				if r, ok := fieldNames[n]; ok {
					names = append(names, r)
				}
			}
			parts = append(parts, "изменились: "+strings.Join(names, ", "))
		}
		return strings.Join(parts, "; ")
	case "decided", "reviewed":
		return decisionDetail(detail)
	case "state", "queued", "result":
		if m := outcomeStays.FindStringSubmatch(detail); m != nil {
			return "ГИС ЖКХ сообщила: " + StateName(domain.State(m[1])) + "; состояние осталось: " +
				StateName(domain.State(m[2])) + "; " + messageDetail(m[3])
		}
		if m := transition.FindStringSubmatch(detail); m != nil {
			to := StateName(domain.State(m[2]))
			// A Revoke GIS accepted is stored as answered, but what it did is take the answer
			// back: "ответ отправлен" would tell the officer the opposite.
			if p := messagePart.FindStringSubmatch(m[3]); p != nil && domain.ActionKind(p[2]) == domain.ActionRevoke &&
				(m[2] == string(domain.StateAnswered) || m[2] == string(domain.StateAutoAnswered)) {
				to = "ГИС ЖКХ приняла отзыв ответа"
			}
			s := StateName(domain.State(m[1])) + " → " + to
			if m[3] != "" {
				if msg := messageDetail(m[3]); msg != "" {
					return s + "; " + msg
				}
				return s + ": " + plain(m[3])
			}
			return s
		}
	case "acknowledged":
		if m := acked.FindStringSubmatch(detail); m != nil {
			return "сообщение " + m[1] + ", номер в ГИС ЖКХ " + m[2]
		}
	case "attempt failed":
		// The error is technical English: support reads it in the service's log.
		if m := attempt.FindStringSubmatch(detail); m != nil {
			return "сообщение " + m[1] + ", попытка " + m[2] + "; подробности в журнале сервиса"
		}
		return "подробности в журнале сервиса"
	case "import premises", "import court acts", "import agreements":
		kv := keyValues(detail)
		n := func(k string) string { return kv[k] }
		return "добавлено: " + n("inserted") + ", изменено: " + n("updated") + ", без изменений: " + n("unchanged")
	case "document uploaded":
		kv := keyValues(detail)
		act, _ := strconv.Unquote(kv["act"])
		return "судебный акт " + act + ", код вложения " + kv["attachment"]
	}
	return plain(detail)
}

// decisionDetail renders "has_debt=true debtors=1 rule=2026.3 match=house_flat
// review_reasons=2 state new→review; comment: …".
func decisionDetail(detail string) string {
	head, comment, hasComment := strings.Cut(detail, "; comment: ")
	kv := keyValues(head)
	var parts []string
	if v, ok := kv["has_debt"]; ok {
		n, _ := strconv.Atoi(kv["debtors"])
		parts = append(parts, "ответ: "+Answer(v == "true", n))
	}
	if v, ok := kv["rule"]; ok {
		parts = append(parts, RuleVersion(v))
	}
	if v, ok := kv["match"]; ok {
		parts = append(parts, "сопоставление "+MatchMethod(v))
	}
	if v, ok := kv["review_reasons"]; ok {
		parts = append(parts, "причин для проверки: "+v)
	}
	if _, st, ok := strings.Cut(head, " state "); ok {
		parts = append(parts, "состояние: "+states(st))
	}
	if hasComment {
		parts = append(parts, "комментарий: "+comment)
	}
	return strings.Join(parts, "; ")
}

// messageDetail renders "message ID, Send TGUID; GIS error CODE: TEXT"; "" when detail is not
// of that form.
func messageDetail(detail string) string {
	m := messagePart.FindStringSubmatch(detail)
	if m == nil {
		return ""
	}
	s := ActionKind(domain.ActionKind(m[2])) + ", сообщение " + m[1]
	if m[4] != "" || m[5] != "" {
		code := m[4]
		if code == "(no code)" {
			code = "без кода"
		}
		s += "; ошибка ГИС ЖКХ " + code + ": " + m[5]
	}
	return s
}

// states renders "new→review".
func states(s string) string {
	from, to, ok := strings.Cut(s, "→")
	if !ok {
		return StateName(domain.State(s))
	}
	return StateName(domain.State(from)) + " → " + StateName(domain.State(to))
}

func keyValues(s string) map[string]string {
	out := map[string]string{}
	for _, m := range keyValue.FindAllStringSubmatch(s, -1) {
		out[m[1]] = m[2]
	}
	return out
}

func isoDate(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Year() <= 1 {
		return "не указан"
	}
	return Date(t)
}

// plain is a free-text detail: known English phrases in Russian, other English left out.
func plain(s string) string {
	if r, ok := plainDetails[s]; ok {
		return r
	}
	if HasLatinWord(s) {
		return ""
	}
	return s
}

// ActionKind is what an outbox action does, in Russian.
func ActionKind(k domain.ActionKind) string {
	switch k {
	case domain.ActionSend:
		return "отправка ответа"
	case domain.ActionRevoke:
		return "отзыв ответа"
	}
	return "действие не указано"
}

// RuleVersion names the rules a decision was made by; a person's decision without a
// proposal has none.
func RuleVersion(v string) string {
	if v == "" || v == "manual" {
		return "решение человека"
	}
	return "правила " + v
}

var matchMethods = map[string]string{
	"hm_object_guid": "по коду помещения в ГИС ЖКХ",
	"house_flat":     "по дому и квартире",
	"house":          "по дому",
	"address":        "по тексту адреса",
	"":               "не выполнено",
}

// MatchMethod is how a housing object was matched to premises.
func MatchMethod(m string) string {
	if t, ok := matchMethods[m]; ok {
		return t
	}
	return "другим способом"
}

var addressTypes = map[string]string{
	"Apartment":  "квартира",
	"Room":       "комната",
	"House":      "жилой дом",
	"HouseBlock": "блок жилого дома",
}

// AddressType is GIS's adressType in Russian; "" when none is given.
func AddressType(t string) string {
	if t == "" {
		return ""
	}
	if r, ok := addressTypes[t]; ok {
		return r
	}
	return "тип не распознан"
}

var responseStatuses = map[string]string{
	"NotSent":       "ответ не отправлен",
	"Sent":          "ответ отправлен",
	"AutoGenerated": "ответ сформирован ГИС автоматически",
}

// ResponseStatus is GIS's responseStatus in Russian; "" when none is given.
func ResponseStatus(s string) string {
	if s == "" {
		return ""
	}
	if r, ok := responseStatuses[s]; ok {
		return r
	}
	return "статус не распознан"
}

// latinToken is a run of characters that make one word or code ("no_document", "DA-001",
// "state=new", a GUID).
var latinToken = regexp.MustCompile(`[\p{L}\p{N}_=\-.]+`)

// AllowedLatin are the Latin words an officer may read: names of file formats and the
// product's own name.
var AllowedLatin = map[string]bool{"PDF": true, "CSV": true, "XLSX": true, "gisgw": true}

// LatinWords returns the words of s with two or more Latin letters and no digit that are
// not allowed: internal codes and English leaking to an officer. Identifiers that carry
// digits (GUIDs, act ids such as DA-001, case numbers) are names where nothing else names
// the thing, and pass; so does a lone letter (a flat "5a").
func LatinWords(s string) []string {
	var out []string
	for _, tok := range latinToken.FindAllString(s, -1) {
		tok = strings.Trim(tok, "-.=_")
		if AllowedLatin[tok] || latinLetters(tok) < 2 || strings.ContainsFunc(tok, isDigit) {
			continue
		}
		out = append(out, tok)
	}
	return out
}

// HasLatinWord reports whether LatinWords(s) is not empty.
func HasLatinWord(s string) bool { return len(LatinWords(s)) > 0 }

func latinLetters(s string) int {
	n := 0
	for _, r := range s {
		if isLatin(r) {
			n++
		}
	}
	return n
}

func isLatin(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }
func isDigit(r rune) bool { return r >= '0' && r <= '9' }
