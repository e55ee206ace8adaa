// Package ru holds the Russian words compliance officers read in the dashboard, the reports,
// the alerts and the review command: state names, plural forms, amounts, dates and answer
// summaries. One wording per thing, so that a sub-request reads the same everywhere.
package ru

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/domain"
)

var stateNames = map[domain.State]string{
	domain.StateNew:          "новый",
	domain.StateReview:       "на проверке",
	domain.StateReady:        "готов к отправке",
	domain.StateSending:      "отправляется",
	domain.StateFailed:       "ответ отклонён ГИС ЖКХ",
	domain.StateAnswered:     "ответ отправлен",
	domain.StateAutoAnswered: "ответ сформирован ГИС автоматически",
}

// StateName is the name of a pipeline state; a state this build does not know is named as
// such, with its code so that support can find it.
func StateName(s domain.State) string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return "неизвестное состояние «" + string(s) + "»"
}

// CorrectionStep is where a correction of a sent answer stands (LEGAL-RULES §10.7); "" when
// none is under way.
func CorrectionStep(c domain.Correction) string {
	switch c {
	case domain.CorrectionNone:
		return ""
	case domain.CorrectionProposed:
		return "ждёт решения сотрудника"
	case domain.CorrectionApproved:
		return "отправленный ответ отзывается в ГИС ЖКХ"
	case domain.CorrectionRevoked:
		return "отзыв подтверждён, исправленный ответ отправляется"
	}
	return "шаг не распознан"
}

// NoProposal stands for the review reasons of a sub-request in review without a proposed
// answer (its premises were not found, or it has not been decided yet).
const NoProposal = "решение не предложено"

// Plural picks the form of a noun for n: one (1, 21, 101), few (2–4, 22–24) or many (0,
// 5–20, 11–14, 25…). A negative n takes the form of its absolute value.
func Plural(n int, one, few, many string) string {
	if n < 0 {
		n = -n
	}
	n10, n100 := n%10, n%100
	switch {
	case n10 == 1 && n100 != 11:
		return one
	case n10 >= 2 && n10 <= 4 && (n100 < 12 || n100 > 14):
		return few
	}
	return many
}

// WorkingDays is n with its noun: «1 рабочий день», «3 рабочих дня», «5 рабочих дней».
func WorkingDays(n int) string {
	return strconv.Itoa(n) + " " + Plural(n, "рабочий день", "рабочих дня", "рабочих дней")
}

// Money formats kopecks as roubles with grouped thousands: «1 234,56 ₽» (no-break spaces,
// a true minus sign for a negative amount).
func Money(k domain.Money) string {
	sign := ""
	if k < 0 {
		sign, k = "−", -k
	}
	r := strconv.FormatInt(int64(k/100), 10)
	var b strings.Builder
	for i, c := range r {
		if i > 0 && (len(r)-i)%3 == 0 {
			b.WriteRune('\u00a0')
		}
		b.WriteRune(c)
	}
	return fmt.Sprintf("%s%s,%02d\u00a0₽", sign, b.String(), int64(k%100))
}

// Date formats a calendar date as dd.mm.yyyy; "" for the zero date, so that each page picks
// its own placeholder.
func Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("02.01.2006")
}

// Stamp formats an instant as Moscow time, dd.mm.yyyy hh:mm; "" for the zero time.
func Stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(calendar.Moscow()).Format("02.01.2006 15:04")
}

// Answer summarizes an answer: «есть долг (должников: 2)» or «нет долга».
func Answer(hasDebt bool, debtors int) string {
	if hasDebt {
		return fmt.Sprintf("есть долг (должников: %d)", debtors)
	}
	return "нет долга"
}
