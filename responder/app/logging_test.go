package app_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/gisgw/gisgw/responder/app"
)

// gisErrorTexts are GIS error texts that quote a debtor, one kind of personal data each,
// and the pieces that must not reach any output channel.
var gisErrorTexts = []struct {
	name, text string
	secrets    []string
}{
	{"three-part name", "Должник Иванов Иван Иванович не найден в реестре", []string{"Иванов Иван Иванович", "Иванович"}},
	{"initials", "Собственник Петров П.П. не совпадает", []string{"Петров П.П."}},
	{"two-part name", "Получатель Анна Смирнова не найдена", []string{"Анна Смирнова", "Смирнова"}},
	{"snils dashed", "СНИЛС 123-456-789 01 не найден", []string{"123-456-789 01"}},
	{"snils digits", "СНИЛС 12345678901 не найден", []string{"12345678901"}},
	{"passport spaced", "паспорт 45 06 123456 недействителен", []string{"45 06 123456", "123456"}},
	{"passport digits", "документ 4506123456 недействителен", []string{"4506123456"}},
	{"passport spelled out", "паспорт серия 4507 номер 654321 недействителен", []string{"4507", "654321"}},
}

func TestLoggerMasksPersonalData(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"json", "text"} {
		for _, c := range gisErrorTexts {
			t.Run(format+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				var buf bytes.Buffer
				log, err := app.NewLogger(&buf, "debug", format)
				if err != nil {
					t.Fatal(err)
				}
				log.Warn("import refused: "+c.text, "error_text", c.text, "err", errors.New(c.text),
					slog.Group("gis", "description", c.text), "snils", "123-456-789 01")
				log.With("text", c.text).Info("with")
				out := buf.String()
				for _, s := range c.secrets {
					if strings.Contains(out, s) {
						t.Errorf("log line carries %q:\n%s", s, out)
					}
				}
				if !strings.Contains(out, "***") {
					t.Errorf("log line has no mask:\n%s", out)
				}
			})
		}
	}
}
