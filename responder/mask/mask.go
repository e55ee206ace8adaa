// Package mask hides personal data in free text: the error texts and other strings GIS
// ZhKKh sends, which may quote the debtor they refused. It is the one rule the log, the
// alerts, the dashboard's failure texts and the reports apply: SNILS, passport-like numbers
// and Russian full names become Hidden.
//
// The rule errs on the side of hiding: any standalone 10- or 11-digit number is taken for a
// document number or a SNILS (an organization's 10-digit INN in an error text is hidden too),
// and two capitalised words are taken for a name when one is a common first name and the
// other looks like a surname.
package mask

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Hidden replaces each piece of personal data.
const Hidden = "***"

// Word parts of the name patterns, on Cyrillic letters.
const (
	lower = `[а-яё]`
	cap   = `[А-ЯЁ]` + lower + `+(?:-[А-ЯЁ]` + lower + `+)?`
	// A patronymic in any case: Иванович, Ивановича, Ивановна, Ивановны, Ильинична…
	patronymic = `[А-ЯЁ]` + lower + `+(?:(?:ович|евич)(?:а|у|ем|е)?|(?:овн|евн|ичн)(?:а|ы|е|ой|у))`
	// A surname by its ending, in the common cases: Иванов(а|у|ым), Сергеев, Ильин,
	// Каменский, Петренко, Ковальчук, Акопян, Церетели-style endings are not covered.
	surname  = `(?:[А-ЯЁ]` + lower + `+-)?[А-ЯЁ]` + lower + `*(?:(?:ов|ев|ёв|ин|ын)(?:а|у|ым|ой|е)?|(?:ск|цк)(?:ий|ая|ого|ой|ому|ую|им)|енко|ук|юк|ян|дзе|швили|ых|их)`
	initials = `[А-ЯЁ]\.\s?[А-ЯЁ]\.`
)

// firstNames are common Russian first names: with a surname beside them, two words are a
// name («Иван Иванов», «Петрова Анна»). Without a patronymic or initials nothing else tells
// a name from a street («Маршала Жукова»).
var firstNames = strings.Join([]string{
	"Александр", "Алексей", "Анатолий", "Андрей", "Антон", "Артём", "Артем", "Борис", "Вадим", "Валентин",
	"Валерий", "Василий", "Виктор", "Виталий", "Владимир", "Владислав", "Вячеслав", "Геннадий", "Георгий",
	"Григорий", "Даниил", "Денис", "Дмитрий", "Евгений", "Егор", "Иван", "Игорь", "Илья", "Кирилл",
	"Константин", "Леонид", "Максим", "Михаил", "Никита", "Николай", "Олег", "Павел", "Пётр", "Петр",
	"Роман", "Руслан", "Сергей", "Станислав", "Степан", "Тимур", "Фёдор", "Федор", "Юрий", "Ярослав",
	"Алла", "Алёна", "Алена", "Александра", "Алина", "Анастасия", "Анна", "Валентина", "Вера", "Виктория",
	"Галина", "Дарья", "Евгения", "Екатерина", "Елена", "Жанна", "Зинаида", "Зоя", "Инна", "Ирина",
	"Кристина", "Ксения", "Лариса", "Лидия", "Любовь", "Людмила", "Маргарита", "Марина", "Мария",
	"Надежда", "Наталья", "Наталия", "Нина", "Оксана", "Ольга", "Полина", "Раиса", "Светлана", "София",
	"Софья", "Тамара", "Татьяна", "Юлия",
}, "|")

// rule is a pattern and what may not touch its matches: a number inside a longer number or
// a hexadecimal GUID is not a document number, a word inside a longer word is not a name.
type rule struct {
	re     *regexp.Regexp
	inside func(rune) bool
}

// rules are applied in order.
var rules = []rule{
	// Passport series and number spelled out: «серия 4506 номер 123456», «серия 45 06 № 123456».
	{regexp.MustCompile(`(?i)серия\s*:?\s*\d{2}\s?\d{2}\s*,?\s*(?:номер|№)\s*:?\s*\d{6}`), isWord},
	// SNILS: 123-456-789 01, 123 456 789 01, or 11 digits.
	{regexp.MustCompile(`\d{3}[- ]\d{3}[- ]\d{3}[- ]\d{2}|\d{11}`), isNumber},
	// Passport-like: 45 06 123456, 4506 123456, 4506123456.
	{regexp.MustCompile(`\d{2} ?\d{2} ?\d{6}`), isNumber},
	// Surname, first name and patronymic in either order, or first name and patronymic.
	{regexp.MustCompile(`(?:` + surname + `\s+)?` + cap + `\s+` + patronymic + `(?:\s+` + surname + `)?`), isWord},
	// Surname with initials: Иванов И.И., И.И. Иванов, Иванов И. И.
	{regexp.MustCompile(cap + `\s?` + initials + `|` + initials + `\s?` + cap), isWord},
	// Two-part names: a common first name beside a surname.
	{regexp.MustCompile(`(?:` + firstNames + `)\s+` + surname + `|` + surname + `\s+(?:` + firstNames + `)`), isWord},
}

// Text returns s with SNILS, passport-like numbers and full names replaced by Hidden.
func Text(s string) string {
	if !suspect(s) {
		return s
	}
	for _, r := range rules {
		s = r.replace(s)
	}
	return s
}

// suspect reports whether s has a digit or a Cyrillic capital, without which no rule
// matches: most log attributes skip the regular expressions.
func suspect(s string) bool {
	for _, r := range s {
		if r >= '0' && r <= '9' || r >= 'А' && r <= 'Я' || r == 'Ё' {
			return true
		}
	}
	return false
}

// replace replaces the matches in s that stand on their own: neither end touches a rune
// r.inside reports (regexp's \b knows only ASCII letters).
func (r rule) replace(s string) string {
	var b strings.Builder
	last, from := 0, 0
	for from <= len(s) {
		loc := r.re.FindStringIndex(s[from:])
		if loc == nil {
			break
		}
		start, end := from+loc[0], from+loc[1]
		if standalone(s, start, end, r.inside) {
			b.WriteString(s[last:start])
			b.WriteString(Hidden)
			last, from = end, end
			continue
		}
		// Try again one character on: a longer number or word holds no match here.
		_, size := utf8.DecodeRuneInString(s[start:])
		from = start + max(size, 1)
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func standalone(s string, start, end int, inside func(rune) bool) bool {
	if start > 0 {
		if r, _ := utf8.DecodeLastRuneInString(s[:start]); inside(r) {
			return false
		}
	}
	if end < len(s) {
		if r, _ := utf8.DecodeRuneInString(s[end:]); inside(r) {
			return false
		}
	}
	return true
}

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }

// isNumber is a digit or a Latin letter: a hexadecimal GUID or a code such as INT002000
// holds digit runs that are not documents.
func isNumber(r rune) bool {
	return r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) || r == '_'
}
