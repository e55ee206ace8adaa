package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/gisgw/gisgw/responder/store/storeopen"
)

func migrateCommand() command {
	return command{"apply pending database schema migrations (--config FILE | --db DSN)", runMigrate}
}

func runMigrate(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "migrate", "Usage: gisgw migrate [--config FILE] [--db DSN]\n\n"+
		"Applies the pending schema migrations, each in its own transaction. With --config the\n"+
		"database is the file's db (--db overrides it), so a service migrates exactly the store it\n"+
		"runs on. An SQLite file is created when missing (its folder must exist).")
	sf := addStoreFlags(fs.FlagSet)
	if _, err := fs.parse(args, ""); err != nil {
		return err
	}
	st, _, err := sf.open(ctx, storeopen.WithStaleSchema())
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
