package domain

import (
	"strings"
	"unicode"
)

// isAddressNoise reports the words and abbreviations that differ between address spellings
// without changing the place: kinds of region, settlement and street, "house", "flat". The
// word is lowercase with ё already replaced by е and dots removed.
func isAddressNoise(w string) bool {
	switch w {
	case "россия", "рф", "российская", "федерация", "обл", "область", "край", "респ", "республика",
		"ао", "р-н", "р-он", "район", "г", "гор", "город", "пгт", "рп", "пос", "поселок", "п",
		"с", "село", "дер", "деревня", "мкр", "мкр-н", "микрорайон", "тер", "территория", "снт",
		"ул", "улица", "пр", "пр-т", "пр-кт", "просп", "проспект", "пер", "переулок", "ш",
		"шоссе", "б-р", "бул", "бульвар", "пл", "площадь", "наб", "набережная", "туп", "тупик",
		"проезд", "пр-д", "д", "дом", "корп", "корпус", "к", "стр", "строение",
		"лит", "литера", "кв", "квартира", "ком", "комн", "комната", "пом", "помещ", "помещение":
		return true
	}
	return false
}

// AddressKey normalizes an address line so that two spellings of the same address compare
// equal: lowercase, ё→е, punctuation dropped, the noise words above and a six-digit postal
// code dropped, spaces collapsed. The order of the remaining words is kept.
func AddressKey(addr string) string {
	addr = strings.ToLower(addr)
	addr = strings.ReplaceAll(addr, "ё", "е")
	// Punctuation except '-' becomes a separator; '-' survives one step longer so that the
	// hyphenated abbreviations (пр-т, б-р, р-н) can be recognized whole.
	fields := strings.FieldsFunc(addr, func(r rune) bool {
		return r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		f = strings.Trim(f, "-")
		if f == "" || isAddressNoise(f) {
			continue
		}
		for _, part := range strings.Split(f, "-") {
			if part == "" || isAddressNoise(part) || isPostalCode(part) {
				continue
			}
			out = append(out, part)
		}
	}
	return strings.Join(out, " ")
}

func isPostalCode(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
