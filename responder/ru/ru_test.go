package ru_test

import (
	"testing"
	"time"
	"unicode"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/ru"
)

func TestPlural(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    int
		want string
	}{
		{0, "дней"}, {1, "день"}, {2, "дня"}, {4, "дня"}, {5, "дней"}, {11, "дней"}, {12, "дней"},
		{14, "дней"}, {21, "день"}, {22, "дня"}, {25, "дней"}, {101, "день"}, {111, "дней"},
		{112, "дней"}, {122, "дня"}, {-1, "день"}, {-3, "дня"}, {-11, "дней"},
	}
	for _, tt := range tests {
		if got := ru.Plural(tt.n, "день", "дня", "дней"); got != tt.want {
			t.Errorf("Plural(%d) = %q; want %q", tt.n, got, tt.want)
		}
	}
}

func TestWorkingDays(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{1: "1 рабочий день", 3: "3 рабочих дня", 5: "5 рабочих дней", 21: "21 рабочий день"} {
		if got := ru.WorkingDays(n); got != want {
			t.Errorf("WorkingDays(%d) = %q; want %q", n, got, want)
		}
	}
}

func TestMoney(t *testing.T) {
	t.Parallel()
	// Thousands and the rouble sign are set off with no-break spaces (U+00A0), so an amount
	// never breaks across lines.
	tests := []struct {
		k    domain.Money
		want string
	}{
		{0, "0,00\u00a0₽"},
		{5, "0,05\u00a0₽"},
		{100, "1,00\u00a0₽"},
		{99999, "999,99\u00a0₽"},
		{100000, "1\u00a0000,00\u00a0₽"},
		{734500, "7\u00a0345,00\u00a0₽"},
		{1234567, "12\u00a0345,67\u00a0₽"},
		{123456789, "1\u00a0234\u00a0567,89\u00a0₽"},
		{-1234567, "−12\u00a0345,67\u00a0₽"},
		{-5, "−0,05\u00a0₽"},
	}
	for _, tt := range tests {
		if got := ru.Money(tt.k); got != tt.want {
			t.Errorf("Money(%d) = %q; want %q", tt.k, got, tt.want)
		}
	}
}

// TestStateNames checks every state has a name an officer can read: not empty, Russian
// letters only, and no two states alike.
func TestStateNames(t *testing.T) {
	t.Parallel()
	seen := map[string]domain.State{}
	for _, s := range domain.States() {
		name := ru.StateName(s)
		if name == "" {
			t.Errorf("StateName(%q) is empty", s)
		}
		for _, r := range name {
			if unicode.IsLetter(r) && !unicode.Is(unicode.Cyrillic, r) {
				t.Errorf("StateName(%q) = %q holds the non-Russian letter %q", s, name, r)
				break
			}
		}
		if other, dup := seen[name]; dup {
			t.Errorf("states %q and %q are both named %q", other, s, name)
		}
		seen[name] = s
	}
	if got := ru.StateName("archived"); got != "неизвестное состояние «archived»" {
		t.Errorf("StateName of an unknown state = %q; want it called unknown, with its code", got)
	}
}

func TestCorrectionStep(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		c    domain.Correction
		want string
	}{
		{domain.CorrectionNone, ""},
		{domain.CorrectionProposed, "ждёт решения сотрудника"},
		{domain.CorrectionApproved, "отправленный ответ отзывается в ГИС ЖКХ"},
		{domain.CorrectionRevoked, "отзыв подтверждён, исправленный ответ отправляется"},
		{"cancelled", "шаг не распознан"},
	} {
		if got := ru.CorrectionStep(tc.c); got != tc.want {
			t.Errorf("CorrectionStep(%q) = %q; want %q", tc.c, got, tc.want)
		}
	}
}

func TestDateAndStamp(t *testing.T) {
	t.Parallel()
	if got := ru.Date(time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)); got != "05.03.2026" {
		t.Errorf("Date = %q; want 05.03.2026", got)
	}
	// 21:30 UTC is 00:30 the next day in Moscow.
	if got := ru.Stamp(time.Date(2026, 3, 5, 21, 30, 0, 0, time.UTC)); got != "06.03.2026 00:30" {
		t.Errorf("Stamp = %q; want 06.03.2026 00:30 (Moscow time)", got)
	}
	if ru.Date(time.Time{}) != "" || ru.Stamp(time.Time{}) != "" {
		t.Error("the zero time must format as empty")
	}
}

func TestAnswer(t *testing.T) {
	t.Parallel()
	if got := ru.Answer(true, 2); got != "есть долг (должников: 2)" {
		t.Errorf("Answer(true, 2) = %q", got)
	}
	if got := ru.Answer(false, 0); got != "нет долга" {
		t.Errorf("Answer(false, 0) = %q", got)
	}
}

// TestStateNameWording pins the words; the report's, the dashboard's and the alerts' tests
// look for them.
func TestStateNameWording(t *testing.T) {
	t.Parallel()
	want := map[domain.State]string{
		domain.StateNew: "новый", domain.StateReview: "на проверке", domain.StateReady: "готов к отправке",
		domain.StateSending: "отправляется", domain.StateAnswered: "ответ отправлен", domain.StateFailed: "ответ отклонён ГИС ЖКХ",
		domain.StateAutoAnswered: "ответ сформирован ГИС автоматически",
	}
	for s, l := range want {
		if got := ru.StateName(s); got != l {
			t.Errorf("StateName(%s) = %q; want %q", s, got, l)
		}
	}
}
