package domain

import (
	"strings"
	"testing"
)

func TestAddressKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"г. Москва, ул. Ленина, д. 5, кв. 12", "москва ленина 5 12"},
		{"Москва, Ленина улица, дом 5, квартира 12", "москва ленина 5 12"},
		{"123456, г.Москва,ул.Ленина,д.5,кв.12", "москва ленина 5 12"},
		{"  МОСКВА   ЛЕНИНА  5   12 ", "москва ленина 5 12"},
		{"г. Королёв, пр-т Космонавтов, д. 7к2", "королев космонавтов 7к2"},
		{"Санкт-Петербург, б-р Новаторов, 11, корп. 2, стр. 1", "санкт петербург новаторов 11 2 1"},
		{"Ростов-на-Дону, пер. Семашко, д.48/2", "ростов на дону семашко 48 2"},
		{"", ""},
		{"г., ул., д.", ""},
	}
	for _, tc := range tests {
		if got := AddressKey(tc.in); got != tc.want {
			t.Errorf("AddressKey(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzAddressKey(f *testing.F) {
	for _, s := range []string{"г. Москва, ул. Ленина, д. 5, кв. 12", "123456, пр-т Мира", "Ростов-на-Дону", "ЁЖИК--д.", "İstanbul"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := AddressKey(s)
		if again := AddressKey(k); again != k {
			t.Fatalf("AddressKey is not idempotent: %q → %q → %q", s, k, again)
		}
		if strings.Contains(k, "  ") || strings.TrimSpace(k) != k {
			t.Fatalf("AddressKey(%q) = %q has stray spaces", s, k)
		}
	})
}
