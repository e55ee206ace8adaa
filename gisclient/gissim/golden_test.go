package gissim_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/beevik/etree"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/wsdl"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// normalize indents an envelope and replaces the identifiers the simulator draws at random
// (MessageGUIDs, the GUIDs of answers) by numbered placeholders, so that the golden file is
// stable. Everything else comes from the scenario, the request or a fixed clock.
func normalize(t *testing.T, env []byte) string {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(env); err != nil {
		t.Fatal(err)
	}
	random := map[string]string{}
	for _, el := range doc.FindElements("//*") {
		if el.Tag == "MessageGUID" || el.Tag == "GUID" && el.Parent() != nil && el.Parent().Tag == "importResult" {
			v := el.Text()
			if _, ok := random[v]; !ok {
				random[v] = fmt.Sprintf("RANDOM-GUID-%d", len(random)+1)
			}
			el.SetText(random[v])
		}
	}
	doc.Indent(2)
	s, err := doc.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestGolden pins the exact envelopes of an export and an import result: what integrators
// and the client see from the simulator.
func TestGolden(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := newHarness(t, gissim.Options{Now: clk.Now})
	scenario := csvHeader +
		orgA + "," + subGUID(1) + ",8c2f4e61-7a3b-4c9d-8e1f-3b7c2d1e0f01,2026-0041187,3d9a7c52-1e4b-4f6a-9c8d-5e2f1a0b7c01," +
		"ГКУ «Центр социальных выплат»," + house1 + ",кв. 1,,,5d8e1b2a-7c3f-4e9d-8a1b-2c3d4e5f6a70,\"г. Москва, ул. Ленина, д. 10, кв. 1\",2023-11-01,2026-10-31,2026-11-02,\n" +
		orgA + "," + subGUID(2) + ",8c2f4e61-7a3b-4c9d-8e1f-3b7c2d1e0f02,2026-0042561,3d9a7c52-1e4b-4f6a-9c8d-5e2f1a0b7c02," +
		"УСЗН района Арбат,,," + hm1 + ",Apartment,,\"г. Москва, ул. Ленина, д. 12, кв. 7\",2023-12-01,2026-10-31,2026-11-16,\n" +
		orgA + "," + subGUID(3) + ",8c2f4e61-7a3b-4c9d-8e1f-3b7c2d1e0f03,2026-0042577,3d9a7c52-1e4b-4f6a-9c8d-5e2f1a0b7c02," +
		"УСЗН района Арбат," + house2 + ",,,,,\"г. Москва, ул. Большая Пироговская, д. 5\",2023-11-01,2026-10-31,2026-11-17,2026-11-30\n"
	h.loadCSV(scenario)
	h.sim.SetToday(day("2026-11-20"))
	answer := debt(fileOK, hashOK)
	answer.DebtInfo[0].Person.Snils = nil // keep personal data out of testdata
	imp := importOf(send(subGUID(2), answer), revoke(subGUID(3)))
	imp.Action[0].TransportGUID = (*wsdl.TransportGUID)(g("1a000000-0000-4000-8000-000000000001"))
	imp.Action[1].TransportGUID = (*wsdl.TransportGUID)(g("1a000000-0000-4000-8000-000000000002"))
	_, importRaw := h.state(orgA, h.submit(orgA, imp))
	exp := exportByPeriod("2026-11-01", "2026-11-30")
	exp.IncludeResponses = true
	_, exportRaw := h.state(orgA, h.submit(orgA, exp))

	for name, env := range map[string][]byte{"getStateResult-import.xml": importRaw, "getStateResult-export.xml": exportRaw} {
		got := normalize(t, env)
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
		}
		if got != string(want) {
			t.Errorf("%s differs from the golden file (go test -run TestGolden -update rewrites it):\n%s", name, got)
		}
	}
}
