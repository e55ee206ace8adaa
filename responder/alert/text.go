package alert

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/gisgw/gisgw/responder/mask"
	"github.com/gisgw/gisgw/responder/ru"
)

// The alerts' texts are in Russian: the officers read them.

const guidPlaceholder = "{guid}"

func containsGUIDPlaceholder(s string) bool { return strings.Contains(s, guidPlaceholder) }

func replaceGUIDPlaceholder(s, guid string) string {
	return strings.ReplaceAll(s, guidPlaceholder, guid)
}

func subRequests(n int) string {
	return fmt.Sprintf("%d %s", n, ru.Plural(n, "подзапрос", "подзапроса", "подзапросов"))
}

// subject is the e-mail subject (and the webhook's text) of a batch.
func subject(b batch) string {
	if b.cert != nil {
		return certSubject(b.cert)
	}
	n := subRequests(len(b.items))
	switch b.kind {
	case KindFailed:
		return "gisgw: " + n + " — ГИС ЖКХ отклонила ответ"
	case KindAutoAnswered:
		return "gisgw: " + n + " — срок пропущен, ГИС ЖКХ ответила автоматически"
	}
	if blocked(b) {
		return "gisgw: " + n + " — ответ не отправлен: недоступен файл судебного акта"
	}
	if b.days == 0 {
		return "gisgw: " + n + " — срок ответа сегодня или истёк"
	}
	return "gisgw: " + n + " — срок ответа через ≤" + ru.WorkingDays(b.days)
}

// blocked reports whether b is about answers put aside (BlockedKind).
func blocked(b batch) bool { return strings.HasPrefix(b.kind, KindBlocked+"-") }

// intro is the first paragraph of an e-mail.
func intro(b batch) string {
	switch b.kind {
	case KindFailed:
		return "ГИС ЖКХ отклонила ответы на эти подзапросы. Исправьте данные и отправьте ответ заново, пока не истёк срок."
	case KindAutoAnswered:
		return "Ответ на эти подзапросы не был отправлен в срок, и ГИС ЖКХ сформировала его автоматически " +
			"(«задолженности нет»). Проверьте, нужно ли отозвать автоматический ответ и отправить верный."
	}
	if blocked(b) {
		return "Ответы на эти подзапросы готовы, но не отправлены: файл судебного акта, на который они ссылаются, " +
			"не удалось прочитать или загрузить в ГИС ЖКХ. Остальные ответы отправляются. Проверьте файл: " +
			"как только он станет доступен, ответ уйдёт в течение минуты."
	}
	if b.days == 0 {
		return "Ответ на эти подзапросы ещё не отправлен, а срок ответа истекает сегодня (" + ruDate(b.today) +
			") или уже истёк. Проверьте и подтвердите ответы."
	}
	return fmt.Sprintf("Ответ на эти подзапросы ещё не отправлен, а срок ответа истекает не позднее %s "+
		"(через %s или раньше). Проверьте и подтвердите ответы.", ruDate(b.limit), ru.WorkingDays(b.days))
}

func ruDate(t time.Time) string { return cmp.Or(ru.Date(t), "не указан") }

// body is the plain-text e-mail body of a batch.
func (a *Alerter) body(b batch) string {
	if b.cert != nil {
		return certBody(b.cert)
	}
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
		fmt.Fprintf(&sb, "   Состояние: %s\n", ru.StateName(s.State))
		if s.BlockedReason != "" {
			fmt.Fprintf(&sb, "   Причина: %s\n", clean(mask.Text(s.BlockedReason)))
		}
		if s.ErrorCode != "" || s.ErrorText != "" {
			fmt.Fprintf(&sb, "   Ошибка ГИС ЖКХ: %s\n", clean(mask.Text(strings.TrimSpace(s.ErrorCode+" "+s.ErrorText))))
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
	return " (через " + ru.WorkingDays(a.daysLeft(b.today, d)) + ")"
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
