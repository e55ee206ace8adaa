package gissim_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/soap"
)

// The wrapped variants soap/xades makes from its testdata/envelope.xml: an import for this
// organization answering three sub-requests, the third one with a debt.
const (
	wrappedOrg = "66666666-6666-6666-6666-666666666666"
	wrappedDir = "../../soap/xades/testdata/wrapped"
)

func wrappedSub(i int) string { return "22222222-2222-2222-2222-00000000000" + string(rune('0'+i)) }

// TestVerifySignaturesRefusesWrapping sends every wrapped variant to a simulator with
// --verify-signatures: each is refused and records nothing, in particular not the unsigned
// "no debt" body; the valid message is recorded with the debt it signs.
func TestVerifySignaturesRefusesWrapping(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(wrappedDir, "*.xml"))
	if err != nil || len(files) < 10 {
		t.Fatalf("wrapped variants: %d files, %v", len(files), err)
	}
	// refusedAsFormat are the variants the simulator refuses as malformed (FMT001300) before it
	// checks the signature.
	refusedAsFormat := map[string]bool{
		"sibling-after-forged":            true,
		"sibling-before-forged":           true,
		"duplicate-id-evil-first-in-body": true,
		"duplicate-id-evil-last-in-body":  true,
		"inside-wrapper-in-body":          true,
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".xml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			env, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			h := newHarness(t, gissim.Options{Verify: gissim.VerifySignatures(nil)})
			var csv strings.Builder
			csv.WriteString(csvHeader)
			for i := 1; i <= 3; i++ {
				csv.WriteString(row(wrappedOrg, wrappedSub(i), "N", house1, false, "2026-11-16", ""))
			}
			h.loadCSV(csv.String())

			status, body := h.post(env, "")
			m, err := soap.ParseBytes(body)
			if err != nil {
				t.Fatalf("HTTP %d, not SOAP: %v\n%s", status, err, body)
			}
			answers := h.sim.Answers()
			if len(answers) != 3 {
				t.Fatalf("%d sub-requests, want 3", len(answers))
			}
			if name == "valid" {
				if m.Fault() != nil || !bytes.Contains(body, []byte("AckRequest")) {
					t.Fatalf("valid message refused: %v", m.Fault())
				}
				for i, a := range answers {
					if a.ResponseStatus != "Sent" || a.HasDebt == nil || *a.HasDebt != (a.SubrequestGUID == wrappedSub(3)) {
						t.Errorf("answer %d: %+v, want Sent with the signed hasDebt", i, a)
					}
				}
				return
			}
			if m.Fault() == nil {
				t.Fatalf("wrapped message accepted:\n%s", body)
			}
			// A body of two elements or of a foreign one fails the envelope check before the
			// signature is looked at; the signature check must refuse it all the same.
			if code := m.Fault().ErrorCode; code != gissim.CodeSignature && !refusedAsFormat[name] {
				t.Errorf("refused with %s %q, want %s", code, m.Fault().ErrorMessage, gissim.CodeSignature)
			}
			if err := gissim.VerifySignatures(nil)(env); err == nil {
				t.Error("VerifySignatures accepts it")
			}
			for _, a := range answers {
				if a.ResponseStatus != "NotSent" || a.HasDebt != nil {
					t.Errorf("recorded from a wrapped message: %+v", a)
				}
			}
		})
	}
}
