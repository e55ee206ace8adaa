package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/gisgw/gisgw/responder/mask"
)

// NewLogger returns the daemon's logger: JSON or text on w at level, with personal data
// masked in every attribute by the one rule, mask.Text.
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
	out := slog.NewRecord(r.Time, r.Level, mask.Text(r.Message), r.PC)
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
	a.Value = a.Value.Resolve()
	if personalKeys[strings.ToLower(a.Key)] {
		return slog.String(a.Key, mask.Hidden)
	}
	switch a.Value.Kind() {
	case slog.KindString:
		return slog.String(a.Key, mask.Text(a.Value.String()))
	case slog.KindAny:
		switch v := a.Value.Any().(type) {
		case error:
			return slog.String(a.Key, mask.Text(v.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, mask.Text(v.String()))
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
