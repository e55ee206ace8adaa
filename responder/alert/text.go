package alert

import (
	"fmt"
	"strings"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
)

// The alerts' texts are in Russian: the officers read them.

const guidPlaceholder = "{guid}"

func containsGUIDPlaceholder(s string) bool { return strings.Contains(s, guidPlaceholder) }

func replaceGUIDPlaceholder(s, guid string) string {
	return strings.ReplaceAll(s, guidPlaceholder, guid)
}

// plural picks the Russian form for n: one (1, 21), few (2–4, 22–24) or many.
func plural(n int, one, few, many string) string {
	n10, n100 := n%10, n%100
	switch {
	case n10 == 1 && n100 != 11:
		return one
	case n10 >= 2 && n10 <= 4 && (n100 < 12 || n100 > 14):
		return few
	}
	return many
}

func subRequests(n int) string {
	return fmt.Sprintf("%d %s", n, plural(n, "подзапрос", "подзапроса", "подзапросов"))
}

func workingDays(n int) string {
	return fmt.Sprintf("%d %s", n, plural(n, "рабочий день", "рабочих дня", "рабочих дней"))
}

// subject is the e-mail subject (and the webhook's text) of a batch.
func subject(b batch) string {
	n := subRequests(len(b.items))
	switch b.kind {
	case KindFailed:
		return "gisgw: " + n + " — ГИС ЖКХ отклонила ответ"
	case KindAutoAnswered:
		return "gisgw: " + n + " — срок пропущен, ГИС ЖКХ ответила автоматически"
	}
	if b.days == 0 {
		return "gisgw: " + n + " — срок ответа сегодня или истёк"
	}
	return "gisgw: " + n + " — срок ответа через ≤" + workingDays(b.days)
}

// intro is the first paragraph of an e-mail.
func intro(b batch) string {
	switch b.kind {
	case KindFailed:
		return "ГИС ЖКХ отклонила ответы на эти подзапросы. Исправьте данные и отправьте ответ заново, пока не истёк срок."
	case KindAutoAnswered:
		return "Ответ на эти подзапросы не был отправлен в срок, и ГИС ЖКХ сформировала его автоматически " +
			"(«задолженности нет»). Проверьте, нужно ли отозвать автоматический ответ и отправить верный."
	}
	if b.days == 0 {
		return "Ответ на эти подзапросы ещё не отправлен, а срок ответа истекает сегодня (" + ruDate(b.today) +
			") или уже истёк. Проверьте и подтвердите ответы."
	}
	return fmt.Sprintf("Ответ на эти подзапросы ещё не отправлен, а срок ответа истекает не позднее %s "+
		"(через %s или раньше). Проверьте и подтвердите ответы.", ruDate(b.limit), workingDays(b.days))
}

var stateNames = map[domain.State]string{
	domain.StateNew:          "получен, решение не принято",
	domain.StateReview:       "ждёт проверки",
	domain.StateReady:        "готов к отправке",
	domain.StateSending:      "отправляется",
	domain.StateAnswered:     "ответ принят",
	domain.StateFailed:       "ответ отклонён ГИС ЖКХ",
	domain.StateAutoAnswered: "ответ сформирован ГИС ЖКХ автоматически",
}

func stateName(s domain.State) string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return string(s)
}

func ruDate(t time.Time) string {
	if t.IsZero() {
		return "не указан"
	}
	return t.Format("02.01.2006")
}

// body is the plain-text e-mail body of a batch.
func (a *Alerter) body(b batch) string {
	var sb strings.Builder
	sb.WriteString(intro(b))
	sb.WriteString("\n\n")
	for i, s := range b.items {
		num := clean(s.RequestNumber)
		if num == "" {
			num = "без номера"
		}
		fmt.Fprintf(&sb, "%d. Запрос № %s\n", i+1, num)
		if addr := clean(s.Address); addr != "" {
			fmt.Fprintf(&sb, "   Адрес: %s\n", addr)
		}
		d := a.deadline(s)
		fmt.Fprintf(&sb, "   Срок ответа: %s%s\n", ruDate(d), a.left(b, d))
		fmt.Fprintf(&sb, "   Состояние: %s\n", stateName(s.State))
		if s.ErrorCode != "" || s.ErrorText != "" {
			fmt.Fprintf(&sb, "   Ошибка ГИС ЖКХ: %s\n", clean(strings.TrimSpace(s.ErrorCode+" "+s.ErrorText)))
		}
		fmt.Fprintf(&sb, "   Подзапрос: %s\n", clean(s.GUID))
		if u := a.itemURL(s.GUID); u != "" {
			fmt.Fprintf(&sb, "   Открыть: %s\n", u)
		}
		sb.WriteString("\n")
	}
	if a.dashboard != "" && !containsGUIDPlaceholder(a.dashboard) {
		fmt.Fprintf(&sb, "Панель gisgw: %s\n\n", a.dashboard)
	}
	sb.WriteString("-- \nПисьмо отправлено gisgw автоматически. О каждом подзапросе такое письмо приходит один раз.\n")
	return sb.String()
}

// left says how far a deadline is, for the deadline kind.
func (a *Alerter) left(b batch, d time.Time) string {
	if d.IsZero() || (b.kind != DeadlineKind(b.days)) {
		return ""
	}
	switch {
	case d.Before(b.today):
		return " (просрочен)"
	case d.Equal(b.today):
		return " (сегодня)"
	}
	return " (через " + workingDays(a.daysLeft(b.today, d)) + ")"
}

// clean drops control characters (line breaks included) from a value GIS sent, so that it
// stays on its line.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
