package pgstore

import (
	"testing"

	"github.com/gisgw/gisgw/responder/store/storetest"
)

// TestPoolSize: Options.MaxConns sizes the pool, unless the DSN names pool_max_conns, which
// the operator's word wins over.
func TestPoolSize(t *testing.T) {
	dsn := storetest.PostgresSchema(t)
	for _, c := range []struct {
		name string
		dsn  string
		max  int
		want int32
	}{
		{"option", dsn, 7, 7},
		{"the DSN's own", dsn + "&pool_max_conns=5", 7, 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := Open(t.Context(), c.dsn, Options{AutoMigrate: true, MaxConns: c.max})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := s.pool.Stat().MaxConns(); got != c.want {
				t.Errorf("pool size %d; want %d", got, c.want)
			}
		})
	}
}
