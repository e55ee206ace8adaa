package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gisgw/gisgw/responder/store/storeopen"
)

func migrateCommand() command {
	return command{"apply pending database schema migrations (--db DSN)", runMigrate}
}

func runMigrate(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "migrate", "Usage: gisgw migrate --db DSN\n\nApplies the pending schema migrations, each in its own transaction.")
	db := fs.String("db", "", "database: a postgres:// URL or the path of an SQLite file (created when missing)")
	if _, err := fs.parse(args, ""); err != nil {
		return err
	}
	if *db == "" {
		return errors.New("--db is required (a postgres:// URL or an SQLite file path)")
	}
	st, err := storeopen.Open(ctx, *db, storeopen.WithStaleSchema())
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(res.Applied) == 0 {
		_, err = fmt.Fprintf(env.stdout, "schema is up to date (version %d)\n", res.To)
		return err
	}
	_, err = fmt.Fprintf(env.stdout, "schema migrated from version %d to %d (%s)\n", res.From, res.To, strings.Join(res.Applied, ", "))
	return err
}
