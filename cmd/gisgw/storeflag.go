package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/gisgw/gisgw/responder/store/storeopen"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/config"
	"github.com/gisgw/gisgw/responder/store"
)

// storeFlags are the --db and --config flags of every command that opens the store: the
// database is --db, else the configuration's db (the file, then GISGW_DB).
type storeFlags struct {
	db, config string
	cfg        config.Config // the configuration open read; zero with --db alone
}

// orgNames names the configured organizations (orgPPAGUID → name) for what officers read.
func (f *storeFlags) orgNames() map[string]string {
	out := make(map[string]string, len(f.cfg.Organizations))
	for _, o := range f.cfg.Organizations {
		out[o.OrgPPAGUID] = o.Name
	}
	return out
}

func addStoreFlags(fs *flag.FlagSet) *storeFlags {
	f := &storeFlags{}
	fs.StringVar(&f.db, "db", "", "database: a postgres:// URL or the path of an SQLite file (default: the config's db)")
	fs.StringVar(&f.config, "config", os.Getenv("GISGW_CONFIG"), "configuration `FILE` (YAML) to take db and calendar from; --db overrides its db (default $GISGW_CONFIG)")
	return f
}

// open opens the store with opts and the production calendar (the embedded one with the
// config's calendar files laid over it).
func (f *storeFlags) open(ctx context.Context, opts ...storeopen.Option) (store.Store, *calendar.Calendar, error) {
	var cfg config.Config
	if f.config != "" || f.db == "" {
		c, err := config.Load(f.config, os.Environ())
		if err != nil {
			return nil, nil, err
		}
		cfg = c
	}
	f.cfg = cfg
	dsn := f.db
	if dsn == "" {
		dsn = cfg.DB
	}
	if dsn == "" {
		if f.config != "" {
			return nil, nil, fmt.Errorf("%s has no db: give --db (a postgres:// URL or an SQLite file path)", f.config)
		}
		return nil, nil, errors.New("--db or --config is required (a postgres:// URL or an SQLite file path)")
	}
	cal, err := calendar.New(cfg.Calendar...)
	if err != nil {
		return nil, nil, err
	}
	st, err := storeopen.Open(ctx, dsn, opts...)
	if err != nil {
		return nil, nil, err
	}
	return st, cal, nil
}
