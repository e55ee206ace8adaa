package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb})
	return code, out.String(), errb.String()
}

func TestMigrateAndImportCommands(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "gisgw.db")
	examples := filepath.Join("..", "..", "testdata", "import")

	code, _, stderr := runCLI(t, "import", "premises", filepath.Join(examples, "premises.csv"), "--db", db)
	if code != 1 || !strings.Contains(stderr, "gisgw migrate --db DSN") {
		t.Fatalf("import before migrate: code %d, stderr %q; want a hint to migrate", code, stderr)
	}
	code, stdout, stderr := runCLI(t, "migrate", "--db", db)
	if code != 0 || !strings.Contains(stdout, "migrated from version 0 to") {
		t.Fatalf("migrate: code %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, "migrate", "--db", db)
	if code != 0 || !strings.Contains(stdout, "up to date") {
		t.Fatalf("second migrate: code %d, stdout %q", code, stdout)
	}

	tests := []struct {
		args []string
		want string
	}{
		{[]string{"import", "premises", "--db", db, filepath.Join(examples, "premises.csv")}, "4 premises: 4 inserted, 0 updated, 0 unchanged"},
		{[]string{"import", "court-acts", filepath.Join(examples, "court-acts.csv"), "--db", db}, "5 rows, 4 acts: 4 inserted, 0 updated, 0 unchanged"},
		{[]string{"import", "court-acts", filepath.Join(examples, "court-acts-cp1251.csv"), "--db", db}, "4 acts: 0 inserted, 0 updated, 4 unchanged"},
		{[]string{"import", "court-acts", "--db", db, filepath.Join(examples, "court-acts.xlsx")}, "4 acts: 0 inserted, 0 updated, 4 unchanged"},
		{[]string{"import", "agreements", filepath.Join(examples, "agreements.csv"), "--db", db}, "2 rows, 2 agreements: 2 inserted, 0 updated, 0 unchanged"},
		{[]string{"import", "agreements", filepath.Join(examples, "agreements.csv"), "--db", db}, "2 agreements: 0 inserted, 0 updated, 2 unchanged"},
	}
	for _, tc := range tests {
		code, _, stderr := runCLI(t, tc.args...)
		// An import under a second prints its summary and nothing else.
		if code != 0 || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: code %d, stderr %q; want only the summary %q", tc.args, code, stderr, tc.want)
		}
	}

	bad := filepath.Join(t.TempDir(), "bad.csv")
	content := "act_id;premise_id;act_kind;debtor_last_name;debtor_first_name;debtor_snils\n" +
		"X1;P-001;court_order;Орлов;Олег;112-233-445 96\nX2;P-404;appeal;Орлов;Олег;\n"
	if err := os.WriteFile(bad, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "import", "court-acts", bad, "--db", db)
	for _, want := range []string{"nothing imported", "line 2, column debtor_snils", "line 3, column premise_id", "line 3, column act_kind"} {
		if code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("bad file: code %d, stderr %q; want %q", code, stderr, want)
		}
	}

	badAgreements := filepath.Join(t.TempDir(), "bad-agreements.csv")
	content = "act_id;agreement_number;agreement_date;kind;amount;paid;status\n" +
		"A-001;16;01.03.2026;соглашение;100;0;действует\nA-404;1;2026-13-01;мировое;1;0;нарушено\n"
	if err := os.WriteFile(badAgreements, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "import", "agreements", badAgreements, "--db", db)
	for _, want := range []string{"nothing imported", "line 3, column act_id", "line 3, column agreement_date", "line 3, column kind"} {
		if code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("bad agreements file: code %d, stderr %q; want %q", code, stderr, want)
		}
	}

	for _, args := range [][]string{
		{"import", "premises", "--db", db},
		{"import", "premises", "a.csv", "b.csv", "--db", db},
		{"import", "premises", "a.csv"},
		{"migrate"},
	} {
		if code, _, _ := runCLI(t, args...); code == 0 {
			t.Errorf("%v succeeded", args)
		}
	}
	if code, _, _ := runCLI(t, "import", "premises", "-h"); code != 0 {
		t.Errorf("-h: code %d", code)
	}
}
