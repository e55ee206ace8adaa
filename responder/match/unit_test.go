package match

import "testing"

func TestParseUnit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Unit
		ok   bool
	}{
		{"12", Unit{Flat: "12"}, true},
		{"кв. 12", Unit{Flat: "12"}, true},
		{"кв.12", Unit{Flat: "12"}, true},
		{"Кв 12", Unit{Flat: "12"}, true},
		{"КВ.12", Unit{Flat: "12"}, true},
		{"квартира 12", Unit{Flat: "12"}, true},
		{"Квартира № 12", Unit{Flat: "12"}, true},
		{"кварт. 12", Unit{Flat: "12"}, true},
		{"12а", Unit{Flat: "12а"}, true},
		{"12А", Unit{Flat: "12а"}, true},
		{"12 А", Unit{Flat: "12а"}, true},
		{"12-а", Unit{Flat: "12а"}, true},
		{"12a", Unit{Flat: "12а"}, true}, // Latin a
		{"12A", Unit{Flat: "12а"}, true}, // Latin A
		{"кв. 12а", Unit{Flat: "12а"}, true},
		{"кв. 012", Unit{Flat: "12"}, true}, // leading zero
		{"kв. 12", Unit{Flat: "12"}, true},  // Latin k
		{"KB 12", Unit{Flat: "12"}, true},   // all Latin look-alikes
		{"кв. 5, комн. 2", Unit{Flat: "5", Room: "2"}, true},
		{"кв.5 ком.2", Unit{Flat: "5", Room: "2"}, true},
		{"квартира 5 комната 2", Unit{Flat: "5", Room: "2"}, true},
		{"кв. 5, ком. 2а", Unit{Flat: "5", Room: "2а"}, true},
		{"комната 3", Unit{Room: "3"}, true},
		{"ком. 3", Unit{Room: "3"}, true},
		{"комн.3", Unit{Room: "3"}, true},
		{"пом. 3", Unit{Flat: "3"}, true},
		{"помещение 3", Unit{Flat: "3"}, true},
		{"Помещение №3Н", Unit{Flat: "3н"}, true},
		{"оф. 4", Unit{Flat: "4"}, true},
		{"офис 4", Unit{Flat: "4"}, true},
		{"12/2", Unit{Flat: "12", Room: "2"}, true},
		{"кв. 12/2", Unit{Flat: "12", Room: "2"}, true},
		{"кв 12 к 2", Unit{Flat: "12", Room: "2"}, true},
		{"12 к 2", Unit{Flat: "12", Room: "2"}, true},
		{"12к", Unit{Flat: "12к"}, true},
		{"д. 5, кв. 12", Unit{Flat: "12"}, true},
		{"дом 5а, кв. 12", Unit{Flat: "12"}, true},
		{"д. 5/1, кв. 12", Unit{Flat: "12"}, true},
		{"корп. 2, кв. 7", Unit{Flat: "7"}, true},
		{"к. 2, кв. 7", Unit{Flat: "7"}, true}, // к before the flat is корпус
		{"стр. 1 кв. 9", Unit{Flat: "9"}, true},
		{"лит. А, кв. 9", Unit{Flat: "9"}, true},
		{"подъезд 2, этаж 3, кв. 45", Unit{Flat: "45"}, true},
		{"кв. №12", Unit{Flat: "12"}, true},
		{"№ 12", Unit{Flat: "12"}, true},
		{"#12", Unit{Flat: "12"}, true},
		{"  кв. 12  ", Unit{Flat: "12"}, true},
		{"\tкв.\u00a012\n", Unit{Flat: "12"}, true},
		{"кв. 1е", Unit{Flat: "1е"}, true},
		{"кв. 1Ё", Unit{Flat: "1е"}, true},

		{"", Unit{}, false},
		{"   ", Unit{}, false},
		{"abc", Unit{}, false},
		{"кв.", Unit{}, false},
		{"кв. а", Unit{}, false},
		{"д. 5", Unit{}, false},          // the house only
		{"корп. 2", Unit{}, false},       // the house only
		{"0", Unit{}, false},             // no flat 0
		{"кв. 5, 7", Unit{}, false},      // two bare numbers
		{"5 7", Unit{}, false},           //
		{"кв. 5 кв. 7", Unit{}, false},   // two flats
		{"ком. 2 ком. 3", Unit{}, false}, // two rooms
		{"кв. 12 ул. Ленина", Unit{}, false},
		{"12аб", Unit{}, false},
		{"1234567", Unit{}, false}, // too long for a flat
		{"/", Unit{}, false},
		{"12/", Unit{}, false},
		{"room 5", Unit{}, false},
		{"кв 12/2 ком 3", Unit{}, false},
		{"\xff12", Unit{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, ok := ParseUnit(tt.in)
			if ok != tt.ok || got != tt.want {
				t.Fatalf("ParseUnit(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
			if ok {
				back, ok2 := ParseUnit(got.String())
				if !ok2 || back != got {
					t.Fatalf("ParseUnit(%q) = %+v, %v; want %+v back", got.String(), back, ok2, got)
				}
			}
		})
	}
}

func TestUnitFromAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Unit
		ok   bool
	}{
		{"г. Москва, ул. Ленина, д. 5, кв. 12", Unit{Flat: "12"}, true},
		{"123456, Москва г, Ленина ул, дом 5 корп. 2, квартира 7а", Unit{Flat: "7а"}, true},
		{"д. Ивановка, ул. 8 Марта, д. 3 к 1, кв 4 к 2", Unit{Flat: "4", Room: "2"}, true},
		{"г. Казань, ул. Баумана, д. 1, пом. 3", Unit{Flat: "3"}, true},
		{"г. Казань, ул. Баумана, д. 1", Unit{}, false},
		{"г. Москва, ул. Комсомольская, д. 1", Unit{}, false},
		{"ул. Ленина, д. 5, кв. 12, кв. 13", Unit{}, false},
		{"", Unit{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, ok := unitFromAddress(tt.in)
			if ok != tt.ok || got != tt.want {
				t.Fatalf("unitFromAddress(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestNormalizeStored(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		room bool
		want string
	}{
		{"12", false, "12"},
		{"12А", false, "12а"},
		{"12 a", false, "12а"},
		{"012", false, "12"},
		{"кв. 12", false, "12"},
		{"ком. 2", true, "2"},
		{"2", true, "2"},
		{"", false, ""},
		{"12-2", false, "12 2"},
		{"12АБ", false, "12аб"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := normalizeStored(tt.in, tt.room); got != tt.want {
				t.Fatalf("normalizeStored(%q, %v) = %q; want %q", tt.in, tt.room, got, tt.want)
			}
		})
	}
}

func TestNormalizeText(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"КВ.12", "кв.12"},
		{"kв", "кв"},
		{"KB", "кв"},
		{"room", "room"},
		{"Ёлка", "елка"},
		{"12a", "12а"},
		{"12b", "12b"}, // lowercase b looks like no Cyrillic letter
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got := normalizeText(tt.in)
			if got != tt.want {
				t.Fatalf("normalizeText(%q) = %q; want %q", tt.in, got, tt.want)
			}
			if again := normalizeText(got); again != got {
				t.Fatalf("normalizeText is not idempotent: %q → %q", got, again)
			}
		})
	}
}
