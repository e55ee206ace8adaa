package alert_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gisgw/gisgw/responder/alert"
	"github.com/gisgw/gisgw/responder/report"
	"github.com/gisgw/gisgw/responder/report/reporttest"
)

// inventoryMail is an e-mail of the monthly inventory, parsed: its text and its files.
type inventoryMail struct {
	subject, text string
	files         map[string][]byte
}

func inventoryMails(t *testing.T, ms []sinkMessage) []inventoryMail {
	t.Helper()
	var out []inventoryMail
	for _, m := range ms {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatalf("parse e-mail: %v", err)
		}
		subj, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(subj, "инвентаризация") {
			continue
		}
		mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
		if err != nil || mt != "multipart/mixed" {
			t.Fatalf("inventory e-mail Content-Type = %q, %v; want multipart/mixed", msg.Header.Get("Content-Type"), err)
		}
		im := inventoryMail{subject: subj, files: map[string][]byte{}}
		mr := multipart.NewReader(msg.Body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("read part: %v", err)
			}
			data, err := io.ReadAll(p)
			if err != nil {
				t.Fatalf("read part: %v", err)
			}
			if p.FileName() == "" {
				im.text = string(data) // quoted-printable, decoded by the reader
				continue
			}
			if enc := p.Header.Get("Content-Transfer-Encoding"); enc != "base64" {
				t.Fatalf("attachment encoding %q; want base64", enc)
			}
			raw, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(data)))
			if err != nil {
				t.Fatalf("decode attachment: %v", err)
			}
			im.files[p.FileName()] = raw
		}
		out = append(out, im)
	}
	return out
}

// TestMonthlyInventory: on a simulated clock, the inventory of December 2026 goes out on
// 11 January 2027, the first working day after the New Year holidays, not before; once per
// channel, across Checks and a restarted Alerter; the e-mail has the short text, the link
// and the XLSX, which reads back with the report's figures; the webhook gets the text and
// the link. An Alerter without alerts.inventory sends none.
func TestMonthlyInventory(t *testing.T) {
	t.Parallel()
	st := reporttest.OpenInventory(t, filepath.Join(t.TempDir(), "gisgw.db"))
	sink, hook := newSMTPSink(t), newReceiver(t)
	var now time.Time
	alerter := func(inventory bool) *alert.Alerter {
		t.Helper()
		o := alert.Options{
			Store: st, Calendar: cal, Now: func() time.Time { return now }, DaysBefore: 2,
			Webhook: hook.srv.URL + "/hook", SMTP: alert.SMTP{Addr: sink.Addr(), From: "gisgw <gisgw@example.ru>"},
			To: []string{"officer@example.ru"}, DashboardURL: "https://gisgw.example.ru/",
		}
		if inventory {
			o.Inventory = st
		}
		a, err := alert.New(o)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	checkAt := func(a *alert.Alerter, t0 time.Time) {
		t.Helper()
		now = t0
		if _, err := a.Check(t.Context()); err != nil {
			t.Fatalf("Check at %s: %v", t0, err)
		}
	}
	inventoryPayloads := func() []alert.Payload {
		var out []alert.Payload
		for _, p := range hook.Payloads() {
			if strings.HasPrefix(p.Kind, alert.KindInventory) {
				out = append(out, p)
			}
		}
		return out
	}

	a := alerter(true)
	checkAt(a, time.Date(2027, 1, 8, 9, 0, 0, 0, time.UTC)) // a holiday: not yet
	if n := len(inventoryMails(t, sink.Messages())); n != 0 || len(inventoryPayloads()) != 0 {
		t.Fatalf("inventory sent on 08.01.2027 (%d e-mails), a holiday; want it on the first working day", n)
	}
	checkAt(alerter(false), time.Date(2027, 1, 11, 7, 0, 0, 0, time.UTC))
	if n := len(inventoryMails(t, sink.Messages())); n != 0 {
		t.Fatalf("an Alerter without alerts.inventory sent %d inventory e-mails", n)
	}
	checkAt(a, time.Date(2027, 1, 11, 7, 0, 0, 0, time.UTC))
	checkAt(a, time.Date(2027, 1, 11, 8, 0, 0, 0, time.UTC))
	checkAt(alerter(true), time.Date(2027, 1, 12, 7, 0, 0, 0, time.UTC)) // restarted
	mails := inventoryMails(t, sink.Messages())
	if len(mails) != 1 {
		t.Fatalf("%d inventory e-mails; want 1", len(mails))
	}
	m := mails[0]
	if m.subject != "gisgw: инвентаризация задолженности за декабрь 2026" {
		t.Errorf("subject = %q", m.subject)
	}
	for _, want := range []string{"за декабрь 2026 (на 31.12.2026)", "В силе и не погашено: 4 акта на 55\u00a0000,00\u00a0₽; должников: 4, помещений: 3.",
		"https://gisgw.example.ru/inventory?month=2026-12", "во вложении"} {
		if !strings.Contains(m.text, want) {
			t.Errorf("e-mail text lacks %q:\n%s", want, m.text)
		}
	}
	if strings.Contains(m.text, "Иванов") {
		t.Errorf("e-mail text names a debtor:\n%s", m.text)
	}
	xlsx, ok := m.files["Инвентаризация 2026-12.xlsx"]
	if !ok {
		t.Fatalf("attachments = %v; want «Инвентаризация 2026-12.xlsx»", m.files)
	}
	f, err := excelize.OpenReader(bytes.NewReader(xlsx))
	if err != nil {
		t.Fatalf("read the attached workbook: %v", err)
	}
	defer f.Close()
	if got, _ := f.GetCellValue(report.SheetInForce, "B4"); got != "4" {
		t.Errorf("attached workbook: acts in force and unpaid = %q; want 4", got)
	}
	if got, _ := f.GetCellValue(report.SheetTrend, "A15"); got != "декабрь 2026" {
		t.Errorf("attached workbook: the trend ends with %q; want декабрь 2026", got)
	}
	ps := inventoryPayloads()
	if len(ps) != 1 || ps[0].Kind != "inventory-2026-12" || ps[0].URL != "https://gisgw.example.ru/inventory?month=2026-12" ||
		!strings.Contains(ps[0].Body, "В силе и не погашено: 4 акта") || len(ps[0].Items) != 0 {
		t.Errorf("webhook inventory payloads = %+v; want one for 2026-12 with the text and the link", ps)
	}
}

// TestInventoryRetried: a refused e-mail releases the month's claim, and the next Check
// sends it.
func TestInventoryRetried(t *testing.T) {
	t.Parallel()
	st := reporttest.OpenInventory(t, filepath.Join(t.TempDir(), "gisgw.db"))
	sink := newSMTPSink(t)
	now := time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC) // Tuesday, the first working day
	a, err := alert.New(alert.Options{Store: st, Calendar: cal, Now: func() time.Time { return now },
		SMTP: alert.SMTP{Addr: sink.Addr(), From: "gisgw@example.ru"}, To: []string{"officer@example.ru"}, Inventory: st})
	if err != nil {
		t.Fatal(err)
	}
	sink.reject.Store(true)
	if _, err := a.Check(t.Context()); err == nil || !strings.Contains(err.Error(), "inventory of 2026-11") {
		t.Fatalf("Check with the server refusing: err = %v; want the inventory's failure", err)
	}
	sink.reject.Store(false)
	if _, err := a.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	mails := inventoryMails(t, sink.Messages())
	if len(mails) != 1 || !strings.Contains(mails[0].text, "за ноябрь 2026") || strings.Contains(mails[0].text, "Открыть в панели") {
		t.Fatalf("inventory e-mails after the retry = %+v; want one for November, without a link (no dashboard URL)", mails)
	}
}
