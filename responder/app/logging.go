package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
)

// NewLogger returns the daemon's logger: JSON or text on w at level, with personal data
// masked in every attribute (see mask).
func NewLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: maskAttr}
	switch format {
	case "", "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: use json or text", format)
}

// MaskHandler wraps h so that a logger built elsewhere (tests, the demo) masks the same way.
func MaskHandler(h slog.Handler) slog.Handler { return maskHandler{h} }

type maskHandler struct{ slog.Handler }

func (m maskHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, mask(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(maskAttr(nil, a))
		return true
	})
	return m.Handler.Handle(ctx, out)
}

func (m maskHandler) WithAttrs(as []slog.Attr) slog.Handler {
	for i := range as {
		as[i] = maskAttr(nil, as[i])
	}
	return maskHandler{m.Handler.WithAttrs(as)}
}

func (m maskHandler) WithGroup(name string) slog.Handler {
	return maskHandler{m.Handler.WithGroup(name)}
}

// Keys whose values are personal data and never logged.
var personalKeys = map[string]bool{
	"snils": true, "last_name": true, "first_name": true, "middle_name": true, "fio": true,
	"debtor": true, "person": true, "doc_number": true, "doc_series": true, "document_number": true,
	"password": true, "key_password": true, "token": true,
}

func maskAttr(_ []string, a slog.Attr) slog.Attr {
	if personalKeys[strings.ToLower(a.Key)] {
		return slog.String(a.Key, "[masked]")
	}
	switch a.Value.Kind() {
	case slog.KindString:
		return slog.String(a.Key, mask(a.Value.String()))
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			return slog.String(a.Key, mask(err.Error()))
		}
	case slog.KindGroup:
		g := a.Value.Group()
		for i := range g {
			g[i] = maskAttr(nil, g[i])
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(g...)}
	}
	return a
}

var (
	// A SNILS written as 11 digits or as 123-456-789 01; a passport-like series and number
	// (4 + 6 digits). GUIDs are not touched: their groups are hexadecimal and dash-separated.
	snilsRE    = regexp.MustCompile(`\b\d{3}-\d{3}-\d{3}[ -]\d{2}\b|\b\d{11}\b`)
	passportRE = regexp.MustCompile(`\b\d{2} ?\d{2} \d{6}\b`)
)

// mask hides SNILS and identity-document numbers in free text, such as GIS error messages
// that quote the data they refused.
func mask(s string) string {
	s = snilsRE.ReplaceAllString(s, "[snils]")
	return passportRE.ReplaceAllString(s, "[document]")
}
