package match

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Unit is the flat (or other premises number) and room inside a house, normalized: digits
// without leading zeros, then at most one lowercase letter ("12а"). Either may be empty.
type Unit struct {
	Flat string
	Room string
}

// String renders u in a form ParseUnit reads back to u.
func (u Unit) String() string {
	switch {
	case u.Flat != "" && u.Room != "":
		return "кв. " + u.Flat + ", ком. " + u.Room
	case u.Flat != "":
		return "кв. " + u.Flat
	case u.Room != "":
		return "ком. " + u.Room
	}
	return ""
}

// ParseUnit reads the flat and room from a sub-request's addressDetails: "12", "кв. 12",
// "квартира 12а", "12 А", "кв. 5, комн. 2", "12/2" (flat 12, room 2), "кв 12 к 2", "пом. 3",
// "оф. 4", "комната 3", "д. 5, кв. 12" (house parts such as дом, корпус, строение, литера are
// skipped) and the like. Case, ё, "№" and Latin letters that look like Cyrillic ones ("12a",
// "kв") do not matter. It reports false for empty input, for input that names no flat or
// room, and for anything it does not fully understand: a wrong guess would answer for the
// wrong premises.
func ParseUnit(addressDetails string) (Unit, bool) {
	return parseUnit(addressDetails, false)
}

// unitFromAddress finds a flat or room introduced by an explicit word ("кв.", "комн.",
// "пом.") in a full address line, skipping everything else.
func unitFromAddress(address string) (Unit, bool) {
	return parseUnit(address, true)
}

// maxInput bounds the work on untrusted input; addressDetails is at most 255 characters and
// an address line at most 4000.
const maxInput = 4096

type markerKind int

const (
	markerNone markerKind = iota
	markerFlat
	markerRoom
	markerHouse // a part of the house address: its value is skipped
	markerK     // "к": корпус before a flat, комната after it
)

var markers = map[string]markerKind{
	"кв": markerFlat, "квар": markerFlat, "кварт": markerFlat, "квартира": markerFlat,
	"пом": markerFlat, "помещ": markerFlat, "помещение": markerFlat,
	"оф": markerFlat, "офис": markerFlat,
	"ком": markerRoom, "комн": markerRoom, "комната": markerRoom, "комнаты": markerRoom,
	"д": markerHouse, "дом": markerHouse, "корп": markerHouse, "корпус": markerHouse,
	"стр": markerHouse, "строение": markerHouse, "лит": markerHouse, "литер": markerHouse,
	"литера": markerHouse, "эт": markerHouse, "этаж": markerHouse, "под": markerHouse,
	"подъезд": markerHouse, "сек": markerHouse, "секция": markerHouse,
	"к": markerK,
}

type tokenKind int

const (
	tokNum tokenKind = iota
	tokWord
	tokSlash
)

type token struct {
	kind tokenKind
	text string
}

func parseUnit(s string, lenient bool) (Unit, bool) {
	if len(s) > maxInput || !utf8.ValidString(s) {
		return Unit{}, false
	}
	toks := tokenize(normalizeText(s))
	p := unitParser{toks: toks, lenient: lenient}
	if !p.run() || (p.u.Flat == "" && p.u.Room == "") {
		return Unit{}, false
	}
	return p.u, true
}

type unitParser struct {
	toks    []token
	i       int
	lenient bool
	u       Unit
}

// run consumes every token; false means the input is not understood.
func (p *unitParser) run() bool {
	for p.i < len(p.toks) {
		t := p.toks[p.i]
		switch t.kind {
		case tokSlash:
			if !p.lenient {
				return false
			}
			p.i++
		case tokNum:
			if p.lenient {
				// A bare number in an address line is a house number, a postal code or a
				// street's ordinal: skip it with its letter.
				p.i++
				p.suffix()
				continue
			}
			if p.u.Flat != "" || p.u.Room != "" {
				return false
			}
			if !p.flatValue() {
				return false
			}
		case tokWord:
			kind := markers[t.text]
			if kind == markerK {
				kind = markerHouse
				if p.u.Flat != "" {
					kind = markerRoom
				}
			}
			if kind == markerNone {
				if !p.lenient {
					return false
				}
				p.i++
				continue
			}
			p.i++
			if p.duplicate(kind) {
				return false // two flats or two rooms: not a guess to make
			}
			if !p.markerValue(kind) && !p.lenient {
				return false
			}
		}
	}
	return true
}

// duplicate reports whether a flat or room marker with a number repeats a filled slot.
func (p *unitParser) duplicate(kind markerKind) bool {
	if p.peek(tokNum) == "" {
		return false
	}
	return (kind == markerFlat && p.u.Flat != "") || (kind == markerRoom && p.u.Room != "")
}

func (p *unitParser) markerValue(kind markerKind) bool {
	switch kind {
	case markerFlat:
		if p.u.Flat != "" || p.peek(tokNum) == "" {
			return false
		}
		return p.flatValue()
	case markerRoom:
		if p.u.Room != "" || p.peek(tokNum) == "" {
			return false
		}
		v, ok := p.value()
		if !ok {
			return false
		}
		p.u.Room = v
		return true
	case markerHouse:
		if p.peek(tokNum) != "" {
			p.i++
			p.suffix()
			if p.peek(tokSlash) != "" && p.peekAt(1, tokNum) != "" {
				p.i += 2
				p.suffix()
			}
			return true
		}
		if w := p.peek(tokWord); w != "" && utf8.RuneCountInString(w) == 1 && markers[w] == markerNone {
			p.i++ // литера А
			return true
		}
		return false
	}
	return false
}

// flatValue reads "12", "12а" or "12/2" (flat and room) at the current token.
func (p *unitParser) flatValue() bool {
	v, ok := p.value()
	if !ok {
		return false
	}
	p.u.Flat = v
	if p.peek(tokSlash) != "" && p.peekAt(1, tokNum) != "" {
		if p.u.Room != "" {
			return false
		}
		p.i++
		r, ok := p.value()
		if !ok {
			return false
		}
		p.u.Room = r
	}
	return true
}

// value reads a number with an optional one-letter suffix at the current token.
func (p *unitParser) value() (string, bool) {
	n := p.peek(tokNum)
	if n == "" {
		return "", false
	}
	p.i++
	n = strings.TrimLeft(n, "0")
	if n == "" || len(n) > 6 {
		return "", false
	}
	return n + p.suffix(), true
}

// suffix consumes a one-letter word after a number ("12 а", "12-а"), unless the letter is
// a marker followed by a number ("12 к 2").
func (p *unitParser) suffix() string {
	w := p.peek(tokWord)
	if w == "" || utf8.RuneCountInString(w) != 1 {
		return ""
	}
	if markers[w] != markerNone && p.peekAt(1, tokNum) != "" {
		return ""
	}
	p.i++
	return w
}

// peek returns the current token's text when it is of kind k ("/" for a slash).
func (p *unitParser) peek(k tokenKind) string { return p.peekAt(0, k) }

func (p *unitParser) peekAt(off int, k tokenKind) string {
	j := p.i + off
	if j >= len(p.toks) || p.toks[j].kind != k {
		return ""
	}
	return p.toks[j].text
}

// tokenize splits normalized text into numbers (ASCII digits), words (letters) and slashes;
// every other character separates tokens.
func tokenize(s string) []token {
	toks := make([]token, 0, 8) // "кв. 12, комн. 2" is five: one allocation, no growing
	start, kind := -1, tokNum
	flush := func(end int) {
		if start >= 0 {
			toks = append(toks, token{kind: kind, text: s[start:end]})
			start = -1
		}
	}
	for i, r := range s {
		var k tokenKind
		switch {
		case r >= '0' && r <= '9':
			k = tokNum
		case unicode.IsLetter(r):
			k = tokWord
		case r == '/':
			flush(i)
			toks = append(toks, token{kind: tokSlash, text: "/"})
			continue
		default:
			flush(i)
			continue
		}
		if start >= 0 && k != kind {
			flush(i)
		}
		if start < 0 {
			start, kind = i, k
		}
	}
	flush(len(s))
	return toks
}

// Latin letters that look like Cyrillic ones, by case: "B" looks like "В", but "b" looks
// like no Cyrillic lowercase letter, so it stays.
var (
	upperLookalike = map[rune]rune{
		'A': 'а', 'B': 'в', 'C': 'с', 'E': 'е', 'H': 'н', 'K': 'к', 'M': 'м', 'O': 'о',
		'P': 'р', 'T': 'т', 'X': 'х', 'Y': 'у',
	}
	lowerLookalike = map[rune]rune{
		'a': 'а', 'c': 'с', 'e': 'е', 'k': 'к', 'o': 'о', 'p': 'р', 'x': 'х', 'y': 'у',
	}
)

// lookalike returns the Cyrillic lowercase letter r stands for, if any.
func lookalike(r rune) (rune, bool) {
	if c, ok := upperLookalike[r]; ok {
		return c, true
	}
	c, ok := lowerLookalike[unicode.ToLower(r)]
	return c, ok
}

// normalizeText lowercases s, turns ё into е and, inside each run of letters that has a
// Cyrillic letter or consists only of look-alikes, replaces Latin look-alikes with the
// Cyrillic letters ("kв" → "кв", "12a" → "12а", "KB" → "кв"); a Latin word such as "room"
// stays as it is. normalizeText(normalizeText(s)) == normalizeText(s).
func normalizeText(s string) string {
	if noLetters(s) {
		return s // "12", "12/1": nothing to change, and flat numbers mostly look so
	}
	var b strings.Builder
	b.Grow(len(s))
	// Rune by rune over the string (an invalid byte reads as U+FFFD, as in []rune(s)).
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsLetter(r) {
			b.WriteRune(r)
			i += w
			continue
		}
		j := i
		cyr, allLook := false, true
		for j < len(s) {
			r, w := utf8.DecodeRuneInString(s[j:])
			if !unicode.IsLetter(r) {
				break
			}
			if unicode.Is(unicode.Cyrillic, r) {
				cyr = true
			}
			if _, ok := lookalike(r); !ok {
				allLook = false
			}
			j += w
		}
		for _, r := range s[i:j] {
			if cyr || allLook {
				if c, ok := lookalike(r); ok {
					r = c
				}
			}
			r = unicode.ToLower(r)
			if r == 'ё' {
				r = 'е'
			}
			b.WriteRune(r)
		}
		i = j
	}
	return b.String()
}

// noLetters reports whether s is ASCII without letters, which normalizeText leaves as it is.
func noLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || ('a' <= c|0x20 && c|0x20 <= 'z') {
			return false
		}
	}
	return true
}

// normalizeStored normalizes a flat or room number as imported ("12А", "012", "кв. 12",
// "12 а") for comparison with a parsed Unit.
func normalizeStored(s string, room bool) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if u, ok := ParseUnit(s); ok {
		switch {
		case u.Room == "":
			return u.Flat
		case u.Flat == "" && room:
			return u.Room
		}
	}
	// Not a form ParseUnit knows ("12-2", "12аб"): keep letters, digits and slashes, and
	// one space for every run of other characters so that "12-2" does not become "122".
	return strings.Join(strings.FieldsFunc(normalizeText(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '/'
	}), " ")
}

// flatMarkers are the words that may precede a flat number in flatText, longest first.
var flatMarkers = []string{"квартира", "кварт", "квар", "кв", "помещение", "помещ", "пом", "офис", "оф"}

// flatText normalizes a flat number for the exact comparison of LEGAL-RULES §10.4: case,
// ё, Latin look-alike letters and spaces do not matter, and a leading "кв."/"пом."/"№" is
// dropped, but nothing else is read into it ("12/1" stays "12/1", "012" stays "012").
func flatText(s string) string {
	if len(s) > maxInput || !utf8.ValidString(s) {
		return ""
	}
	// Every space dropped: strings.Join(strings.Fields(t), ""), without copying a t that has none.
	t := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, normalizeText(s))
	for _, m := range flatMarkers {
		if rest, ok := strings.CutPrefix(t, m); ok {
			rest = strings.TrimPrefix(strings.TrimPrefix(rest, "."), "№")
			if rest != "" && rest[0] >= '0' && rest[0] <= '9' {
				t = rest
			}
			break
		}
	}
	return strings.TrimPrefix(t, "№")
}
