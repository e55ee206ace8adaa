package dashboard

import (
	"time"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/ru"
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

// deadlineOf measures due (a GIS responseDate) from today as the report does: the working
// days after today up to the deadline, 0 when it is due today.
func deadlineOf(cal *calendar.Calendar, today, due time.Time) deadline {
	if due.IsZero() {
		return deadline{Left: maxCount, Text: "срок не указан"}
	}
	left, past := cal.WorkingDaysLeft(today, due)
	switch {
	case past:
		return deadline{Left: -1, Class: classOverdue, Text: "просрочено на " + ru.WorkingDays(-left)}
	case left == 0:
		return deadline{Left: 0, Class: classDue1, Text: "срок сегодня"}
	case left >= maxCount:
		return deadline{Left: left, Text: "больше месяца"}
	}
	dl := deadline{Left: left, Text: ru.WorkingDays(left)}
	switch left {
	case 1:
		dl.Class = classDue1
	case 2:
		dl.Class = classDue2
	}
	return dl
}
