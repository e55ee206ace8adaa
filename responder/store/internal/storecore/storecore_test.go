package storecore

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gisgw/gisgw/responder/domain"
)

func TestPulledState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		stored, incoming, want domain.State
	}{
		{domain.StateNew, domain.StateNew, domain.StateNew},
		{domain.StateReady, domain.StateNew, domain.StateReady},
		{domain.StateNew, domain.StateAutoAnswered, domain.StateAutoAnswered},
		{domain.StateSending, domain.StateReview, domain.StateSending},
		{domain.StateAnswered, domain.StateAutoAnswered, domain.StateAnswered},
		{domain.StateFailed, domain.StateAnswered, domain.StateFailed},
	}
	for _, tc := range tests {
		if got := PulledState(tc.stored, tc.incoming); got != tc.want {
			t.Errorf("PulledState(%s, %s) = %s; want %s", tc.stored, tc.incoming, got, tc.want)
		}
	}
}

func TestLoadMigrations(t *testing.T) {
	t.Parallel()
	sql := &fstest.MapFile{Data: []byte("SELECT 1;")}
	tests := []struct {
		name    string
		files   fstest.MapFS
		wantErr string
		want    []string
	}{
		{"ordered", fstest.MapFS{"m/0002_b.sql": sql, "m/0001_a.sql": sql, "m/README": sql}, "", []string{"0001_a", "0002_b"}},
		{"gap", fstest.MapFS{"m/0001_a.sql": sql, "m/0003_c.sql": sql}, "expected version 2", nil},
		{"bad name", fstest.MapFS{"m/first.sql": sql}, "NNNN_description", nil},
		{"empty", fstest.MapFS{"m/x.txt": sql}, "no migrations", nil},
	}
	for _, tc := range tests {
		ms, err := LoadMigrations(tc.files, "m")
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: err = %v; want %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var names []string
		for _, m := range ms {
			names = append(names, m.Name)
		}
		if strings.Join(names, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: %v; want %v", tc.name, names, tc.want)
		}
	}
}

func TestSchemaErrorText(t *testing.T) {
	t.Parallel()
	for _, e := range []*SchemaError{{0, 1}, {1, 2}} {
		if !strings.Contains(e.Error(), "gisgw migrate --db DSN") {
			t.Errorf("%+v: %q does not say how to fix it", e, e.Error())
		}
	}
	if msg := (&SchemaError{3, 2}).Error(); !strings.Contains(msg, "upgrade gisgw") {
		t.Errorf("newer schema: %q", msg)
	}
}

func TestClosedStates(t *testing.T) {
	t.Parallel()
	for _, s := range domain.States() {
		if listed := strings.Contains(ClosedStates, "'"+string(s)+"'"); listed != s.Closed() {
			t.Errorf("state %s: listed in ClosedStates = %t; domain says closed = %t", s, listed, s.Closed())
		}
	}
}
