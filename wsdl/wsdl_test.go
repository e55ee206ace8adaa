package wsdl_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gisgw/gisgw/soap/soaptest"
)

// The project's schema must accept what the official one accepts: the hand-written sample
// fragments in ../shared/drs-samples validate against the official XSD (see their README),
// so they must validate against ours too. The opposite direction — what the project writes
// validates against the official XSD — is checked in package soap and gisclient.
func TestOfficialSamplesValidateAgainstProjectSchema(t *testing.T) {
	t.Parallel()
	official := soaptest.Require(t)
	samples := filepath.Join(filepath.Dir(filepath.Dir(official)), "drs-samples")
	cases := []struct{ xsd, sample string }{
		{"drs.xsd", "exportDSRsRequest.xml"},
		{"drs.xsd", "getStateResult-exportDSRs.xml"},
		{"drs.xsd", "importDSRResponsesRequest.xml"},
		{"drs.xsd", "getStateResult-import.xml"},
		{"base.xsd", "RequestHeader.xml"},
		{"base.xsd", "getStateRequest.xml"},
		{"base.xsd", "AckRequest.xml"},
	}
	for _, c := range cases {
		t.Run(c.sample, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(samples, c.sample)
			if _, err := os.Stat(p); err != nil {
				t.Fatalf("sample missing: %v", err)
			}
			xmllint(t, c.xsd, p, true)
		})
	}
}

// And it must refuse what the official schema refuses in the places that matter on the wire.
func TestProjectSchemaRejectsInvalid(t *testing.T) {
	t.Parallel()
	soaptest.Require(t)
	const drs = `xmlns="http://dom.gosuslugi.ru/schema/integration/drs/" xmlns:base="http://dom.gosuslugi.ru/schema/integration/base/"`
	const guid = "11111111-1111-1111-1111-111111111111"
	action := func(inner string) string {
		return `<importDSRResponsesRequest ` + drs + ` Id="x" base:version="14.0.0.0"><action><base:TransportGUID>` + guid +
			`</base:TransportGUID><subrequestGUID>` + guid + `</subrequestGUID><actionType>Send</actionType>` + inner + `</action></importDSRResponsesRequest>`
	}
	cases := map[string]string{
		"unqualified version":     `<exportDSRsRequest ` + drs + ` version="14.0.0.0"><subrequestGUID>` + guid + `</subrequestGUID></exportDSRsRequest>`,
		"bad GUID":                `<exportDSRsRequest ` + drs + ` base:version="14.0.0.0"><subrequestGUID>nope</subrequestGUID></exportDSRsRequest>`,
		"import version":          `<importDSRResponsesRequest ` + drs + ` base:version="15.3.0.0"><action/></importDSRResponsesRequest>`,
		"executor before hasDebt": action(`<responseData><executorGUID>` + guid + `</executorGUID><hasDebt>false</hasDebt></responseData>`),
		"description too long":    action(`<responseData><hasDebt>false</hasDebt><description>` + string(bytes.Repeat([]byte("я"), 1001)) + `</description><executorGUID>` + guid + `</executorGUID></responseData>`),
		"period in drs namespace": `<exportDSRsRequest ` + drs + ` base:version="14.0.0.0"><periodOfSendingRequest><startDate>2026-01-01</startDate><endDate>2026-02-01</endDate></periodOfSendingRequest></exportDSRsRequest>`,
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(t.TempDir(), "doc.xml")
			if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
				t.Fatal(err)
			}
			xmllint(t, "drs.xsd", p, false)
		})
	}
}

func xmllint(t *testing.T, xsd, file string, wantValid bool) {
	t.Helper()
	out, err := exec.Command("xmllint", "--noout", "--nonet", "--schema", xsd, file).CombinedOutput()
	if wantValid && err != nil {
		t.Fatalf("%s does not validate against %s:\n%s", filepath.Base(file), xsd, out)
	}
	if !wantValid && err == nil {
		t.Fatalf("%s should not validate against %s", filepath.Base(file), xsd)
	}
}
