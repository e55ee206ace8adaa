package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/gisgw/gisgw/responder/app"
	"github.com/gisgw/gisgw/responder/importer"
	"github.com/gisgw/gisgw/responder/store/storeopen"
)

func importPremisesCommand() command {
	return command{"import premises from CSV/XLSX (FILE --config FILE | --db DSN [--org GUID])", func(ctx context.Context, env *cliEnv, args []string) error {
		return runImport(ctx, env, args, "premises")
	}}
}

func importCourtActsCommand() command {
	return command{"import court acts from CSV/XLSX (FILE --config FILE | --db DSN [--org GUID])", func(ctx context.Context, env *cliEnv, args []string) error {
		return runImport(ctx, env, args, "court-acts")
	}}
}

func importAgreementsCommand() command {
	return command{"import repayment agreements and instalments from CSV/XLSX (FILE --config FILE | --db DSN [--org GUID])", func(ctx context.Context, env *cliEnv, args []string) error {
		return runImport(ctx, env, args, "agreements")
	}}
}

func runImport(ctx context.Context, env *cliEnv, args []string, kind string) error {
	fs := newFlags(env, "import "+kind, fmt.Sprintf("Usage: gisgw import %s FILE [--config FILE] [--db DSN] [--org GUID]\n\n"+
		"FILE is CSV (UTF-8 or Windows-1251, ';' or ',') or XLSX (first sheet); see docs/import.md.\n"+
		"The file imports whole or not at all; every bad row is listed.\n", kind))
	sf := addStoreFlags(fs.FlagSet)
	org := fs.String("org", "", "orgPPAGUID the data belongs to (omit in a single-organization store)")
	docs := fs.String("documents-dir", os.Getenv("GISGW_DOCUMENTS_DIR"), "the daemon's documents_dir: court-act files inside it are recorded relative to it (default $GISGW_DOCUMENTS_DIR)")
	file, err := fs.parse(args, "FILE")
	if err != nil {
		return err
	}
	// Importing into a store that is not there yet is a typo, not a wish for a new store.
	st, _, err := sf.open(ctx, storeopen.WithMustExist())
	if err != nil {
		return err
	}
	defer st.Close()
	progress := newProgressLine(env.stderr, file, kind)
	opts := importer.Options{Org: *org, DocumentsDir: *docs, Now: env.now, Progress: progress.report}
	var res importer.Result
	switch kind {
	case "premises":
		res, err = importer.ImportPremises(ctx, st, file, opts)
	case "agreements":
		res, err = importer.ImportAgreements(ctx, st, file, opts)
	default:
		res, err = importer.ImportCourtActs(ctx, st, file, opts)
	}
	progress.done()
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(env.stderr, "imported %s: %d rows, %d %s: %d inserted, %d updated, %d unchanged in %s\n",
		file, res.Rows, res.Records, recordsName(kind), res.Stats.Inserted, res.Stats.Updated, res.Stats.Unchanged,
		res.Elapsed.Round(time.Millisecond)); err != nil {
		return err
	}
	// The data behind answers already sent may have changed (LEGAL-RULES §10.7).
	n, err := app.Recheck(ctx, st, env.now(), nil)
	if err != nil {
		return fmt.Errorf("the import is stored, but the sent answers could not be checked against it (the daemon checks them again within pipeline.recheck_every): %w", err)
	}
	if n > 0 {
		_, err = fmt.Fprintf(env.stderr, "%d sent answers no longer match the data: they are back in review as corrections (gisgw review list)\n", n)
	}
	return err
}

func recordsName(kind string) string {
	switch kind {
	case "premises":
		return "premises"
	case "agreements":
		return "agreements"
	}
	return "acts"
}
