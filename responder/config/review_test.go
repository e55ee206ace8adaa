package config_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gisgw/gisgw/responder/config"
)

// TestReviewOnDeadline: review.on_deadline takes wait or no_debt per known reason code,
// refuses "debt" (LEGAL-RULES §10.8), and lays the file's entries over the default that
// answers a house of no one of ours "no debt".
func TestReviewOnDeadline(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		yaml    string
		noDebt  []string // NoDebtAtDeadline when valid
		wantErr string   // substring of the Validate error; empty: valid
	}{
		{name: "unset: the default", yaml: "", noDebt: []string{"no_house", "no_premises"}},
		{name: "no_house turned off", yaml: "review: {on_deadline: {no_house: wait}}", noDebt: []string{"no_premises"}},
		{name: "another reason added", yaml: "review: {on_deadline: {no_match: no_debt}}", noDebt: []string{"no_house", "no_match", "no_premises"}},
		{name: "debt refused", yaml: "review: {on_deadline: {no_house: debt}}", wantErr: `review.on_deadline.no_house: "debt" is refused`},
		{name: "debt refused for any reason", yaml: "review: {on_deadline: {unknown_balance: debt}}", wantErr: "never sent"},
		{name: "unknown value", yaml: "review: {on_deadline: {no_house: answer}}", wantErr: `review.on_deadline.no_house: "answer" is not wait or no_debt`},
		{name: "misspelt reason", yaml: "review: {on_deadline: {no_hose: wait}}", wantErr: `review.on_deadline.no_hose: "no_hose" is not a review reason code`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Parse(strings.NewReader("db: x.db\ngis: {endpoint: https://gis.example}\norganizations: [{org_ppa_guid: " + org + ", executor_guid: " + exec + "}]\n" + tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			err = c.WithDefaults().Validate()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Validate = %v; want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if got := c.Review.NoDebtAtDeadline(); !slices.Equal(got, tc.noDebt) {
				t.Fatalf("NoDebtAtDeadline = %v; want %v", got, tc.noDebt)
			}
		})
	}
}

func TestOperatorSignature(t *testing.T) {
	t.Parallel()
	c, err := config.Parse(strings.NewReader("organizations:\n  - {org_ppa_guid: " + org + ", operator_signature: true}\n  - {org_ppa_guid: " + exec + "}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Organizations[0].OperatorSignature || c.Organizations[1].OperatorSignature {
		t.Fatalf("operator_signature = %v, %v; want true, false", c.Organizations[0].OperatorSignature, c.Organizations[1].OperatorSignature)
	}
}

// TestReviewCodesMatchTheRules: ReviewCodes lists exactly the Code* constants of
// responder/match and responder/decide, read from their source, and the defaults name real
// codes.
func TestReviewCodesMatchTheRules(t *testing.T) {
	t.Parallel()
	var want []string
	for _, path := range []string{"../match/match.go", "../decide/decide.go"} {
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if !strings.HasPrefix(name.Name, "Code") || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Fatalf("%s: %s is not a string literal", path, name.Name)
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					want = append(want, v)
				}
			}
		}
	}
	got := config.ReviewCodes()
	slices.Sort(got)
	slices.Sort(want)
	if len(want) < 15 || !slices.Equal(got, want) {
		t.Fatalf("ReviewCodes = %v; want the rules' codes %v", got, want)
	}
	for code := range config.DefaultOnDeadline() {
		if !slices.Contains(want, code) {
			t.Errorf("the default names %q, which no rule gives", code)
		}
	}
}
