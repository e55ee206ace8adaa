// Package apptest builds generated worlds for the daemon's end-to-end, crash and load tests:
// a simulator scenario and the organization's own records that answer it, with the answer
// each sub-request must get. It is used by tests only.
package apptest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/csv"
	"encoding/pem"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/store/storeopen"

	"github.com/gisgw/gisgw/responder/domain"
)

// world is a generated scenario: sub-requests for the simulator and the organization's own
// records that answer them, with the answer each one must get. It is built independently of
// the matcher and the rules: every sub-request names a premises the records hold exactly,
// and every court act is in force, unpaid, documented and owed for a month inside every
// requested period, so an act at the matched premises always means "debt".
type World struct {
	Scenario []byte            // simulator scenario CSV
	Premises []domain.Premises // the organization's premises
	Acts     []domain.CourtAct // and court acts, with their files in a temporary folder
	Debt     map[string]bool   // by subrequest GUID: the answer must be hasDebt=true
	GUIDs    []string          // every sub-request, in scenario order
}

// Org is the organization the world's sub-requests are addressed to.
const Org = "6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"

// Today is the usual simulated date of a world.
var Today = time.Date(2026, 11, 20, 10, 0, 0, 0, calendar.Moscow())

// NewWorld makes n sub-requests sent on one of the three weekdays before today (so none is
// overdue on that day) and the records that answer them; seed makes it reproducible.
func NewWorld(t testing.TB, n int, seed uint64, today time.Time) *World {
	t.Helper()
	rnd := mrand.New(mrand.NewPCG(seed, 99))
	guid := func() string {
		b := make([]byte, 16)
		for i := range b {
			b[i] = byte(rnd.IntN(256))
		}
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
	}
	docDir := t.TempDir()
	w := &World{Debt: map[string]bool{}}
	type house struct{ guid, fias, hm, street string }
	houses := make([]house, 40)
	for i := range houses {
		houses[i] = house{guid(), guid(), guid(), fmt.Sprintf("ул. Тестовая-%d, д. %d", i, i+1)}
	}
	actAt := map[string]bool{} // premises id → has a counting act
	premisesByKey := map[string]string{}
	nAct := 0
	addPremises := func(key string, p domain.Premises) string {
		if id, ok := premisesByKey[key]; ok {
			return id
		}
		p.ID = fmt.Sprintf("W-%05d", len(w.Premises)+1)
		premisesByKey[key] = p.ID
		w.Premises = append(w.Premises, p)
		if rnd.IntN(10) < 3 {
			nAct++
			doc := filepath.Join(docDir, fmt.Sprintf("act-%d.pdf", nAct))
			body := fmt.Sprintf("%%PDF-1.4\n%% generated court act %d\n%%%%EOF\n", nAct)
			if err := os.WriteFile(doc, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			effective := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
			w.Acts = append(w.Acts, domain.CourtAct{
				ID: fmt.Sprintf("WA-%05d", nAct), PremisesID: p.ID, CaseNumber: fmt.Sprintf("2-%d/2026", nAct),
				Kind: domain.ActCourtOrder, PronouncedOn: effective.AddDate(0, -1, 0), EffectiveOn: effective,
				// October 2026 lies inside every period below.
				DebtFrom: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), DebtTo: time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC),
				Amount: 1_000_00, Outstanding: 1_000_00, BalanceOn: effective,
				Debtors:  []domain.Debtor{{LastName: "Должников", FirstName: "Пётр", MiddleName: fmt.Sprintf("Тестович-%d", nAct)}},
				Document: &domain.Document{Name: filepath.Base(doc), Path: doc, Size: int64(len(body))},
			})
			actAt[p.ID] = true
		}
		return p.ID
	}
	var rows [][]string
	for len(rows) < n {
		h := houses[rnd.IntN(len(houses))]
		sub := guid()
		sent := today.AddDate(0, 0, -1-rnd.IntN(3))
		for sent.Weekday() == time.Saturday || sent.Weekday() == time.Sunday {
			sent = sent.AddDate(0, 0, -1)
		}
		flat := 1 + rnd.IntN(150)
		row := map[string]string{
			"org_ppa_guid": Org, "subrequest_guid": sub, "request_guid": guid(),
			"request_number": fmt.Sprintf("2026-%07d", len(rows)), "requester_guid": guid(),
			"requester_name": "Управление социальной защиты населения", "fias_house_guid": h.fias,
			"period_from": "2024-01-01", "period_to": "2026-10-31", "sent_date": sent.Format(time.DateOnly),
		}
		addr := "г. Тест, " + h.street
		switch k := rnd.IntN(10); {
		case k < 4: // a flat by its HMobjectGUID
			hm := guid()
			id := addPremises("hm:"+hm, domain.Premises{HMObjectGUID: hm, Flat: fmt.Sprint(flat), Address: fmt.Sprintf("%s, кв. %d", addr, flat)})
			row["hm_object_guid"], row["adress_type"], row["address"] = hm, "Apartment", fmt.Sprintf("%s, кв. %d", addr, flat)
			w.Debt[sub] = actAt[id]
		case k < 8: // house GUID + flat (and now and then a room)
			details, key := fmt.Sprintf("кв. %d", flat), fmt.Sprintf("%s|%d|", h.guid, flat)
			p := domain.Premises{HouseGUID: h.guid, Flat: fmt.Sprint(flat), Address: fmt.Sprintf("%s, кв. %d", addr, flat)}
			if k == 7 {
				room := 1 + rnd.IntN(3)
				details, key = fmt.Sprintf("кв. %d, комн. %d", flat, room), key+fmt.Sprint(room)
				p.Room, p.Address = fmt.Sprint(room), p.Address+fmt.Sprintf(", комн. %d", room)
			}
			id := addPremises(key, p)
			row["house_guid"], row["address_details"], row["address"] = h.guid, details, addr+", "+details
			w.Debt[sub] = actAt[id]
		case k == 8: // the whole house by its HMobjectGUID: one house-level premises
			id := addPremises("hmhouse:"+h.hm, domain.Premises{HMObjectGUID: h.hm, Address: addr})
			row["hm_object_guid"], row["adress_type"], row["address"] = h.hm, "House", addr
			w.Debt[sub] = actAt[id]
		default:
			// A single-family house by its GUID: the house is its only premises, so it is one
			// premises (LEGAL-RULES §10.4). An apartment building named without a flat goes to
			// review instead, which the match and decide tests cover; this world answers all.
			sh := guid()
			id := addPremises("house:"+sh, domain.Premises{HouseGUID: sh, Address: fmt.Sprintf("г. Тест, ул. Садовая, д. %d", len(rows)+1)})
			row["house_guid"], row["fias_house_guid"], row["address"] = sh, guid(), fmt.Sprintf("г. Тест, ул. Садовая, д. %d", len(rows)+1)
			w.Debt[sub] = actAt[id]
		}
		rows = append(rows, scenarioRow(row))
		w.GUIDs = append(w.GUIDs, sub)
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write(scenarioHeader)
	_ = cw.WriteAll(rows)
	w.Scenario = buf.Bytes()
	return w
}

var scenarioHeader = []string{"org_ppa_guid", "subrequest_guid", "request_guid", "request_number", "requester_guid",
	"requester_name", "house_guid", "address_details", "hm_object_guid", "adress_type", "fias_house_guid", "address",
	"period_from", "period_to", "sent_date", "response_date"}

func scenarioRow(m map[string]string) []string {
	out := make([]string, len(scenarioHeader))
	for i, k := range scenarioHeader {
		out[i] = m[k]
	}
	return out
}

// TestKey writes an RSA key and a self-signed certificate for signing test messages (the
// simulator accepts RSA, as test stands do) and returns their paths.
func TestKey(t testing.TB) (keyPath, certPath string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gisgw test"},
		// Valid for any simulated date the tests use, so that no test depends on today.
		NotBefore: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyPath, certPath = filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return keyPath, certPath
}

// Load imports the world's premises and court acts into the store at dsn, creating or
// upgrading its schema.
func (w *World) Load(ctx context.Context, dsn string) error {
	st, err := storeopen.Open(ctx, dsn, storeopen.WithAutoMigrate())
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.ImportPremises(ctx, "", w.Premises); err != nil {
		return fmt.Errorf("import the world's premises: %w", err)
	}
	if _, err := st.ImportCourtActs(ctx, "", w.Acts); err != nil {
		return fmt.Errorf("import the world's court acts: %w", err)
	}
	return nil
}
