package mask_test

import (
	"testing"

	"github.com/gisgw/gisgw/responder/mask"
)

func TestText(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in, want string
	}{
		// SNILS
		{"snils dashed", "СНИЛС 123-456-789 01 не найден", "СНИЛС *** не найден"},
		{"snils spaced", "СНИЛС 123 456 789 01.", "СНИЛС ***."},
		{"snils digits", "СНИЛС: 12345678901;", "СНИЛС: ***;"},
		{"snils glued to a Cyrillic word", "снилс12345678901", "снилс***"},
		{"snils dashed with no space", "123-456-789-01", "***"},
		// Passport-like numbers
		{"passport spaced", "паспорт 45 06 123456 выдан", "паспорт *** выдан"},
		{"passport four and six", "паспорт 4506 123456", "паспорт ***"},
		{"passport digits", "документ 4506123456", "документ ***"},
		{"passport spelled out", "паспорт серия 4506 номер 123456, выдан", "паспорт ***, выдан"},
		{"passport spelled out with №", "Серия 45 06 № 123456", "***"},
		// Names
		{"three-part name", "Должник Иванов Иван Иванович не найден", "Должник *** не найден"},
		{"name, patronymic, surname", "Иван Иванович Иванов", "***"},
		{"female three-part name", "Петрова Анна Сергеевна", "***"},
		{"patronymic in -ична", "Кузнецова Мария Ильинична", "***"},
		{"genitive", "у Иванова Ивана Ивановича", "у ***"},
		{"name and patronymic", "Анна Сергеевна, ", "***, "},
		{"hyphenated surname", "Римская-Корсакова Ольга Петровна", "***"},
		{"initials after", "собственник Иванов И.И.", "собственник ***"},
		{"initials spaced", "Иванов И. И.", "***"},
		{"initials before", "И.И. Иванов", "***"},
		{"two-part name", "Иван Иванов", "***"},
		{"two-part reversed", "Смирнова Татьяна", "***"},
		{"surname in -ский", "Сергей Каменский", "***"},
		{"several names", "Иванов И.И., Петров П.П.", "***, ***"},
		{"everything at once", "Ошибка: Иванов Иван Иванович, СНИЛС 123-456-789 01, паспорт 4506 123456",
			"Ошибка: ***, СНИЛС ***, паспорт ***"},
		// Left alone
		{"empty", "", ""},
		{"ascii", "connection refused", "connection refused"},
		{"guid", "подзапрос 0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d", "подзапрос 0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"},
		{"numeric guid group", "id 12345678-1234-4234-8234-123456789012", "id 12345678-1234-4234-8234-123456789012"},
		{"digits inside a longer number", "ОГРН 1027700132195", "ОГРН 1027700132195"},
		{"digits glued to latin", "ref 4506123456ab", "ref 4506123456ab"},
		{"short numbers", "INT002000: поле 12 строка 345", "INT002000: поле 12 строка 345"},
		{"address", "г. Тверь, ул. Советская, д. 5, кв. 7", "г. Тверь, ул. Советская, д. 5, кв. 7"},
		{"street named after a person", "ул. Маршала Жукова, д. 3", "ул. Маршала Жукова, д. 3"},
		{"requester", "Управление социальной защиты населения", "Управление социальной защиты населения"},
		{"request number", "Запрос № 123-45", "Запрос № 123-45"},
		{"date", "срок 17.03.2025", "срок 17.03.2025"},
		{"sentence capitals", "Ответ Отклонён ГИС ЖКХ", "Ответ Отклонён ГИС ЖКХ"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := mask.Text(c.in); got != c.want {
				t.Errorf("Text(%q) = %q; want %q", c.in, got, c.want)
			}
		})
	}
}

// Masking twice changes nothing: a channel may mask a text another one masked already.
func TestTextIdempotent(t *testing.T) {
	t.Parallel()
	in := "Иванов Иван Иванович, СНИЛС 123-456-789 01, паспорт серия 4506 номер 123456"
	once := mask.Text(in)
	if twice := mask.Text(once); twice != once {
		t.Errorf("Text(Text(s)) = %q; want %q", twice, once)
	}
}
