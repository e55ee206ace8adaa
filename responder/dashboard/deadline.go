package dashboard

import (
	"fmt"
	"time"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/domain"
)

// Urgency classes of an open sub-request (CSS classes of its row).
const (
	classOverdue = "overdue" // the deadline has passed
	classDue1    = "due1"    // ≤ 1 working day left: due today or on the next working day
	classDue2    = "due2"    // 2 working days left
)

// maxCount bounds the working-day count; anything beyond is simply "many".
const maxCount = 31

// deadline is where an open sub-request stands against its GIS deadline.
type deadline struct {
	Left  int    // working days after today up to the deadline (0: due today); -1 overdue
	Class string // classOverdue, classDue1, classDue2 or ""
	Text  string
}

// dateOf returns the calendar date of t in its own location at 00:00 UTC (the convention of
// responder/domain).
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// open reports whether a sub-request still waits for its answer to be accepted.
func open(s domain.State) bool {
	switch s {
	case domain.StateAnswered, domain.StateAutoAnswered:
		return false
	}
	return true
}

// deadlineOf measures due (a GIS responseDate) from today as the report does: the working
// days after today up to the deadline, 0 when it is due today.
func deadlineOf(cal *calendar.Calendar, today, due time.Time) deadline {
	if due.IsZero() {
		return deadline{Left: maxCount, Text: "срок не указан"}
	}
	left, past := cal.WorkingDaysLeft(today, due)
	switch {
	case past:
		return deadline{Left: -1, Class: classOverdue, Text: fmt.Sprintf("просрочено на %d %s", -left, plural(-left, "рабочий день", "рабочих дня", "рабочих дней"))}
	case left == 0:
		return deadline{Left: 0, Class: classDue1, Text: "срок сегодня"}
	case left >= maxCount:
		return deadline{Left: left, Text: "больше месяца"}
	}
	dl := deadline{Left: left, Text: fmt.Sprintf("%d %s", left, plural(left, "рабочий день", "рабочих дня", "рабочих дней"))}
	switch left {
	case 1:
		dl.Class = classDue1
	case 2:
		dl.Class = classDue2
	}
	return dl
}

// plural picks the Russian form for n: 1 день, 2 дня, 5 дней.
func plural(n int, one, few, many string) string {
	if n < 0 {
		n = -n
	}
	switch {
	case n%10 == 1 && n%100 != 11:
		return one
	case n%10 >= 2 && n%10 <= 4 && (n%100 < 12 || n%100 > 14):
		return few
	}
	return many
}
