package alert_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/textproto"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/store/storeopen"

	"github.com/gisgw/gisgw/responder/alert"
	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
)

// ---- a local SMTP sink ----

type sinkMessage struct {
	From string
	To   []string
	Auth string // the decoded AUTH PLAIN response, "" without AUTH
	Data []byte
}

// smtpSink speaks enough SMTP (EHLO/HELO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT)
// and records the messages it accepts. With reject set it refuses DATA.
type smtpSink struct {
	ln     net.Listener
	reject atomic.Bool
	mu     sync.Mutex
	msgs   []sinkMessage
}

func newSMTPSink(t *testing.T) *smtpSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpSink{ln: ln}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { s.serve(c) })
		}
	})
	return s
}

func (s *smtpSink) Addr() string { return s.ln.Addr().String() }

func (s *smtpSink) Messages() []sinkMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs)
}

func (s *smtpSink) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	tc := textproto.NewConn(c)
	reply := func(format string, a ...any) { _ = tc.PrintfLine(format, a...) }
	reply("220 sink ESMTP")
	var cur sinkMessage
	var auth string
	for {
		line, err := tc.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			reply("250-sink")
			reply("250-8BITMIME")
			reply("250 AUTH PLAIN")
		case "HELO", "NOOP":
			reply("250 ok")
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			b, err := base64.StdEncoding.DecodeString(resp)
			if !strings.EqualFold(mech, "PLAIN") || err != nil {
				reply("504 unsupported")
				continue
			}
			auth = string(b)
			reply("235 ok")
		case "MAIL":
			cur = sinkMessage{From: pathArg(arg), Auth: auth}
			reply("250 ok")
		case "RCPT":
			cur.To = append(cur.To, pathArg(arg))
			reply("250 ok")
		case "DATA":
			if s.reject.Load() {
				reply("554 rejected for the test")
				continue
			}
			reply("354 go on")
			data, err := tc.ReadDotBytes()
			if err != nil {
				return
			}
			cur.Data = data
			s.mu.Lock()
			s.msgs = append(s.msgs, cur)
			s.mu.Unlock()
			reply("250 queued")
		case "RSET":
			cur = sinkMessage{}
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 unknown")
		}
	}
}

// pathArg returns the address of "FROM:<a@b> BODY=8BITMIME" or "TO:<a@b>".
func pathArg(arg string) string {
	_, rest, _ := strings.Cut(arg, "<")
	addr, _, _ := strings.Cut(rest, ">")
	return addr
}

// ---- a webhook receiver ----

type receiver struct {
	srv    *httptest.Server
	status atomic.Int32
	mu     sync.Mutex
	got    []alert.Payload
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.status.Store(http.StatusNoContent)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var p alert.Payload
		if req.Method != http.MethodPost || !strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
			http.Error(w, "want a JSON POST", http.StatusBadRequest)
			return
		}
		if err := json.NewDecoder(req.Body).Decode(&p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		st := int(r.status.Load())
		if st >= 200 && st < 300 {
			r.mu.Lock()
			r.got = append(r.got, p)
			r.mu.Unlock()
		}
		w.WriteHeader(st)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) Payloads() []alert.Payload {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// ---- fixtures ----

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// friday is 14 March 2025, a Friday; the next working days are 17 and 18 March.
var friday = time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)

type seed struct {
	guid     string
	deadline time.Time
	state    domain.State
}

func openStore(t *testing.T, seeds []seed) store.Store {
	t.Helper()
	ctx := t.Context()
	st, err := storeopen.Open(ctx, filepath.Join(t.TempDir(), "gisgw.db"), storeopen.WithAutoMigrate(), storeopen.WithClock(func() time.Time { return friday }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	subs := make([]domain.SubRequest, len(seeds))
	for i, s := range seeds {
		subs[i] = domain.SubRequest{
			GUID: s.guid, OrgGUID: "org", RequestGUID: "rq-" + s.guid, RequestNumber: "N-" + s.guid,
			RequesterGUID: "soc", RequesterName: "УСЗН", HouseGUID: "h1", AddressType: "Apartment",
			Address: "г. Тверь, ул. Советская, д. 5, кв. " + s.guid, PeriodFrom: day(2024, 1, 1), PeriodTo: day(2024, 12, 31),
			SentDate: s.deadline.AddDate(0, 0, -7), ResponseDate: s.deadline, ResponseStatus: "NotSent", State: domain.StateNew,
		}
	}
	if _, err := st.UpsertSubRequests(ctx, subs); err != nil {
		t.Fatal(err)
	}
	for _, s := range seeds {
		if s.state != domain.StateNew {
			if err := st.SetState(ctx, s.guid, domain.StateNew, s.state, "test", ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	return st
}

var cal = func() *calendar.Calendar {
	c, err := calendar.New()
	if err != nil {
		panic(err)
	}
	return c
}()

type setup struct {
	st   store.Store
	sink *smtpSink
	hook *receiver
}

func newSetup(t *testing.T, seeds []seed) *setup {
	return &setup{st: openStore(t, seeds), sink: newSMTPSink(t), hook: newReceiver(t)}
}

func (s *setup) alerter(t *testing.T, days int, now time.Time) *alert.Alerter {
	t.Helper()
	a, err := alert.New(alert.Options{
		Store: s.st, Calendar: cal, Now: func() time.Time { return now }, DaysBefore: days,
		Webhook: s.hook.srv.URL + "/hook?token=secret", SMTP: alert.SMTP{Addr: s.sink.Addr(), From: "gisgw <gisgw@example.ru>", User: "bot", Password: "pw"},
		To: []string{"officer@example.ru", "Главбух <chief@example.ru>"}, DashboardURL: "https://gisgw.example.ru/subrequests/{guid}",
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func check(t *testing.T, a *alert.Alerter, wantSent int) {
	t.Helper()
	n, err := a.Check(t.Context())
	if err != nil || n != wantSent {
		t.Fatalf("Check = %d, %v; want %d, nil", n, err, wantSent)
	}
}

// decoded is one recorded e-mail, parsed.
type decoded struct {
	subject, body string
	header        mail.Header
}

func decode(t *testing.T, m sinkMessage) decoded {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
	if err != nil {
		t.Fatalf("parse e-mail: %v", err)
	}
	subj, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("decode subject %q: %v", msg.Header.Get("Subject"), err)
	}
	if ct := msg.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Fatalf("Content-Type = %q", ct)
	}
	b, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatalf("decode body: %v", err)
	}
	return decoded{subject: subj, body: string(b), header: msg.Header}
}

// guids lists the items of the payloads of one kind, in order.
func guids(ps []alert.Payload, kind string) []string {
	var out []string
	for _, p := range ps {
		if p.Kind == kind {
			for _, it := range p.Items {
				out = append(out, it.SubRequestGUID)
			}
		}
	}
	return out
}

func subjects(t *testing.T, ms []sinkMessage) []string {
	var out []string
	for _, m := range ms {
		out = append(out, decode(t, m).subject)
	}
	return out
}

// ---- tests ----

func TestOncePerKindAndThreshold(t *testing.T) {
	t.Parallel()
	s := newSetup(t, []seed{
		{"a", day(2025, 3, 17), domain.StateReview},       // Monday: 1 working day away
		{"b", day(2025, 3, 18), domain.StateReady},        // Tuesday: 2
		{"c", day(2025, 3, 19), domain.StateNew},          // Wednesday: 3, outside
		{"d", day(2025, 3, 17), domain.StateAnswered},     // answered: no deadline alert
		{"e", day(2025, 3, 13), domain.StateFailed},       // failed
		{"f", day(2025, 3, 12), domain.StateAutoAnswered}, // auto-answered
	})
	a := s.alerter(t, 2, friday)
	// a, b (deadline-2), e (failed), f (auto_answered) by e-mail and by webhook.
	check(t, a, 8)
	check(t, a, 0)
	// Another instance on the same store (a restart, a replica) sends nothing again.
	check(t, s.alerter(t, 2, friday), 0)
	// On Monday c is within 2 working days; the others were alerted already.
	check(t, s.alerter(t, 2, day(2025, 3, 17)), 2)

	mails := s.sink.Messages()
	wantSubjects := []string{
		"gisgw: 2 подзапроса — срок ответа через ≤2 рабочих дня",
		"gisgw: 1 подзапрос — ГИС ЖКХ отклонила ответ",
		"gisgw: 1 подзапрос — срок пропущен, ГИС ЖКХ ответила автоматически",
		"gisgw: 1 подзапрос — срок ответа через ≤2 рабочих дня",
	}
	if got := subjects(t, mails); !slices.Equal(got, wantSubjects) {
		t.Fatalf("subjects = %q; want %q", got, wantSubjects)
	}
	hooks := s.hook.Payloads()
	if got := guids(hooks, "deadline-2"); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("deadline-2 webhook items = %v; want a, b, c once each", got)
	}
	if got := guids(hooks, "failed"); !slices.Equal(got, []string{"e"}) {
		t.Fatalf("failed webhook items = %v; want e", got)
	}
	if got := guids(hooks, "auto_answered"); !slices.Equal(got, []string{"f"}) {
		t.Fatalf("auto_answered webhook items = %v; want f", got)
	}

	// A new threshold is a new alert: deadline-3 lists every open one within 3 days again.
	check(t, s.alerter(t, 3, friday), 6)
	check(t, s.alerter(t, 3, friday), 0)
	if got := guids(s.hook.Payloads(), "deadline-3"); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("deadline-3 webhook items = %v; want a, b, c", got)
	}
}

func TestConcurrentAlerters(t *testing.T) {
	t.Parallel()
	var seeds []seed
	for _, g := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		seeds = append(seeds, seed{g, day(2025, 3, 17), domain.StateReview}, seed{g + "x", day(2025, 3, 10), domain.StateFailed})
	}
	s := newSetup(t, seeds)
	var total atomic.Int32
	var wg sync.WaitGroup
	for range 4 {
		a := s.alerter(t, 2, friday)
		wg.Go(func() {
			n, err := a.Check(t.Context())
			if err != nil {
				t.Errorf("Check: %v", err)
			}
			total.Add(int32(n))
		})
	}
	wg.Wait()
	if n := total.Load(); n != 32 { // 16 sub-requests × 2 channels
		t.Fatalf("4 concurrent alerters sent %d; want 32", n)
	}
	hooks := s.hook.Payloads()
	for _, kind := range []string{"deadline-2", "failed"} {
		got := guids(hooks, kind)
		slices.Sort(got)
		if len(got) != 8 || len(slices.Compact(slices.Clone(got))) != 8 {
			t.Fatalf("%s webhook items = %v; want 8 distinct", kind, got)
		}
	}
	var items int
	for _, m := range s.sink.Messages() {
		items += strings.Count(decode(t, m).body, "Запрос № ")
	}
	if items != 16 {
		t.Fatalf("%d items in e-mails; want 16", items)
	}
}

func TestFailedSendIsRetried(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		breakIt  func(s *setup)
		fixIt    func(s *setup)
		channel  string
		firstOK  int // sent by the channel that works
		retrySum int
	}{
		{"smtp rejects", func(s *setup) { s.sink.reject.Store(true) }, func(s *setup) { s.sink.reject.Store(false) }, "email", 2, 2},
		{"webhook 500", func(s *setup) { s.hook.status.Store(500) }, func(s *setup) { s.hook.status.Store(200) }, "webhook", 2, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newSetup(t, []seed{{"a", day(2025, 3, 17), domain.StateNew}, {"e", day(2025, 3, 13), domain.StateFailed}})
			a := s.alerter(t, 1, friday)
			tc.breakIt(s)
			n, err := a.Check(t.Context())
			if err == nil || !strings.Contains(err.Error(), "by "+tc.channel) || n != tc.firstOK {
				t.Fatalf("Check with %s broken = %d, %v; want %d and an error naming %s", tc.name, n, err, tc.firstOK, tc.channel)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("error shows the webhook token: %v", err)
			}
			tc.fixIt(s)
			// The broken channel is retried, by this instance or another; the working one is
			// not sent again.
			check(t, s.alerter(t, 1, friday), tc.retrySum)
			check(t, a, 0)
			if got := len(s.sink.Messages()); got != 2 {
				t.Fatalf("%d e-mails; want 2 (deadline-1 and failed, once each)", got)
			}
			if got := len(s.hook.Payloads()); got != 2 {
				t.Fatalf("%d webhook posts; want 2", got)
			}
		})
	}
}

func TestThresholdCountsWorkingDays(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		now      time.Time
		days     int
		deadline time.Time
		alert    bool
	}{
		{"friday, 1 day, monday deadline", friday, 1, day(2025, 3, 17), true},
		{"friday, 1 day, tuesday deadline", friday, 1, day(2025, 3, 18), false},
		{"friday, 2 days, tuesday deadline", friday, 2, day(2025, 3, 18), true},
		{"friday, 0 days, today", friday, 0, day(2025, 3, 14), true},
		{"friday, 0 days, monday", friday, 0, day(2025, 3, 17), false},
		{"overdue", friday, 1, day(2025, 3, 11), true},
		// 8–11 May 2025 are holidays: from Wednesday 7 May the next working day is 12 May.
		{"may holidays, 1 day, 12 may", time.Date(2025, 5, 7, 15, 0, 0, 0, time.UTC), 1, day(2025, 5, 12), true},
		{"may holidays, 1 day, 13 may", time.Date(2025, 5, 7, 15, 0, 0, 0, time.UTC), 1, day(2025, 5, 13), false},
		// Late on Friday in Moscow is still Friday: the date in Moscow decides the day.
		{"local date", time.Date(2025, 3, 14, 23, 30, 0, 0, time.FixedZone("MSK", 3*3600)), 1, day(2025, 3, 17), true},
		// 21:30 UTC on Thursday is Friday 00:30 in Moscow: Monday is one working day away.
		{"moscow date of a UTC clock", time.Date(2025, 3, 13, 21, 30, 0, 0, time.UTC), 1, day(2025, 3, 17), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newSetup(t, []seed{{"a", tc.deadline, domain.StateReady}})
			want := 0
			if tc.alert {
				want = 2
			}
			check(t, s.alerter(t, tc.days, tc.now), want)
			if got := len(s.hook.Payloads()); got != want/2 {
				t.Fatalf("%d webhook posts; want %d", got, want/2)
			}
		})
	}
}

func TestEmailContent(t *testing.T) {
	t.Parallel()
	s := newSetup(t, []seed{{"a", day(2025, 3, 17), domain.StateReview}})
	check(t, s.alerter(t, 1, friday), 2)
	mails := s.sink.Messages()
	if len(mails) != 1 {
		t.Fatalf("%d e-mails; want 1", len(mails))
	}
	m := mails[0]
	if m.From != "gisgw@example.ru" || !slices.Equal(m.To, []string{"officer@example.ru", "chief@example.ru"}) {
		t.Fatalf("envelope = %s → %v", m.From, m.To)
	}
	if m.Auth != "\x00bot\x00pw" {
		t.Fatalf("AUTH PLAIN = %q; want bot/pw", m.Auth)
	}
	d := decode(t, m)
	if d.subject != "gisgw: 1 подзапрос — срок ответа через ≤1 рабочий день" {
		t.Fatalf("subject = %q", d.subject)
	}
	if raw := d.header.Get("Subject"); !strings.HasPrefix(raw, "=?utf-8?q?") {
		t.Fatalf("raw subject %q is not Q-encoded", raw)
	}
	for _, want := range []string{
		"Запрос № N-a", "Адрес: г. Тверь, ул. Советская, д. 5, кв. a", "Срок ответа: 17.03.2025 (через 1 рабочий день)",
		"Состояние: на проверке", "Открыть: https://gisgw.example.ru/subrequests/a",
	} {
		if !strings.Contains(d.body, want) {
			t.Errorf("body lacks %q:\n%s", want, d.body)
		}
	}
	hooks := s.hook.Payloads()
	if len(hooks) != 1 || hooks[0].Text != d.subject {
		t.Fatalf("webhook payloads = %+v", hooks)
	}
	want := alert.PayloadItem{SubRequestGUID: "a", RequestNumber: "N-a", Address: "г. Тверь, ул. Советская, д. 5, кв. a",
		Deadline: "2025-03-17", State: "review", URL: "https://gisgw.example.ru/subrequests/a"}
	if hooks[0].Kind != "deadline-1" || len(hooks[0].Items) != 1 || hooks[0].Items[0] != want {
		t.Fatalf("webhook payload = %+v; want kind deadline-1 and %+v", hooks[0], want)
	}
}

// failThroughOutbox takes a new sub-request through the outbox to failed with a GIS error,
// as the pipeline does.
func failThroughOutbox(t *testing.T, st store.Store, guid, code, text string) {
	t.Helper()
	ctx := t.Context()
	if err := st.SaveDecision(ctx, domain.Decision{SubRequestGUID: guid, RuleVersion: "test"}, domain.StateReady); err != nil {
		t.Fatal(err)
	}
	ds, err := st.ClaimReady(ctx, "org", "me", 10, time.Minute)
	if err != nil || len(ds) != 1 {
		t.Fatalf("ClaimReady = %d, %v", len(ds), err)
	}
	m := domain.Message{ID: "m-" + guid, OrgGUID: "org", Actions: []domain.Action{{TransportGUID: "t-" + guid, SubRequestGUID: guid, Kind: domain.ActionSend, Decision: ds[0]}}}
	if err := st.CreateMessage(ctx, "me", m, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishMessage(ctx, m.ID, []domain.Outcome{{TransportGUID: "t-" + guid, SubRequestGUID: guid, State: domain.StateFailed, ErrorCode: code, ErrorText: text}}); err != nil {
		t.Fatal(err)
	}
}

func TestFailedContent(t *testing.T) {
	t.Parallel()
	s := newSetup(t, []seed{{"e", day(2025, 3, 20), domain.StateNew}})
	failThroughOutbox(t, s.st, "e", "SRV006001", "Неверный формат\r\nданных")
	check(t, s.alerter(t, 1, friday), 2)
	mails := s.sink.Messages()
	if len(mails) != 1 {
		t.Fatalf("%d e-mails; want 1", len(mails))
	}
	d := decode(t, mails[0])
	if d.subject != "gisgw: 1 подзапрос — ГИС ЖКХ отклонила ответ" {
		t.Fatalf("subject = %q", d.subject)
	}
	if !strings.Contains(d.body, "Ошибка ГИС ЖКХ: SRV006001 Неверный формат") || !strings.Contains(d.body, "Состояние: ответ отклонён ГИС ЖКХ") {
		t.Fatalf("body lacks the GIS error or the state:\n%s", d.body)
	}
	hooks := s.hook.Payloads()
	if len(hooks) != 1 || hooks[0].Kind != "failed" || len(hooks[0].Items) != 1 ||
		hooks[0].Items[0].ErrorCode != "SRV006001" || hooks[0].Items[0].State != "failed" {
		t.Fatalf("webhook payloads = %+v", hooks)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	tests := []struct {
		name string
		o    alert.Options
		ok   bool
	}{
		{"no channel", alert.Options{Store: st}, false},
		{"no store", alert.Options{Webhook: "http://127.0.0.1/x"}, false},
		{"webhook only", alert.Options{Store: st, Webhook: "http://127.0.0.1/x"}, true},
		{"bad webhook", alert.Options{Store: st, Webhook: "ftp://x"}, false},
		{"smtp without to", alert.Options{Store: st, SMTP: alert.SMTP{Addr: "127.0.0.1:25", From: "a@b.ru"}}, false},
		{"smtp without from", alert.Options{Store: st, SMTP: alert.SMTP{Addr: "127.0.0.1:25"}, To: []string{"a@b.ru"}}, false},
		{"smtp without port", alert.Options{Store: st, SMTP: alert.SMTP{Addr: "mail", From: "a@b.ru"}, To: []string{"a@b.ru"}}, false},
		{"smtp", alert.Options{Store: st, SMTP: alert.SMTP{Addr: "mail:25", From: "a@b.ru"}, To: []string{"a@b.ru"}}, true},
		{"negative days", alert.Options{Store: st, Webhook: "http://127.0.0.1/x", DaysBefore: -1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := alert.New(tc.o)
			if (err == nil) != tc.ok {
				t.Fatalf("New: err = %v; want ok %v", err, tc.ok)
			}
		})
	}
	if _, err := alert.New(alert.Options{Store: st}); err != alert.ErrNoChannel {
		t.Fatalf("New without channels: %v; want ErrNoChannel", err)
	}
}

// blockThroughDefer makes guid a ready answer put aside for reason, as the pipeline does
// when a court-act file it cites cannot be uploaded.
func blockThroughDefer(t *testing.T, st store.Store, guid, reason string) {
	t.Helper()
	ctx := t.Context()
	ds, err := st.ClaimReady(ctx, "org", "me", 10, time.Minute)
	if err != nil || len(ds) != 1 {
		t.Fatalf("ClaimReady = %d, %v", len(ds), err)
	}
	// Already due again, so that the test can put it aside once more.
	if err := st.DeferReady(ctx, "me", []string{guid}, friday.Add(-time.Hour), reason); err != nil {
		t.Fatal(err)
	}
}

func TestBlockedOncePerCause(t *testing.T) {
	t.Parallel()
	s := newSetup(t, []seed{{"b", day(2025, 3, 28), domain.StateNew}})
	if err := s.st.SaveDecision(t.Context(), domain.Decision{SubRequestGUID: "b", RuleVersion: "test"}, domain.StateReady); err != nil {
		t.Fatal(err)
	}
	const reason = "Ответ ждёт файла судебного акта «акт-1.pdf» (судебный акт A-1): файл не удалось прочитать"
	blockThroughDefer(t, s.st, "b", reason)
	a := s.alerter(t, 1, friday)
	check(t, a, 2) // e-mail and webhook
	check(t, a, 0) // the same cause: not again
	mails := s.sink.Messages()
	if len(mails) != 1 {
		t.Fatalf("%d e-mails; want 1", len(mails))
	}
	d := decode(t, mails[0])
	if d.subject != "gisgw: 1 подзапрос — ответ не отправлен: недоступен файл судебного акта" {
		t.Errorf("subject = %q", d.subject)
	}
	if !strings.Contains(d.body, "Причина: "+reason) || !strings.Contains(d.body, "Остальные ответы отправляются") {
		t.Errorf("body lacks the cause:\n%s", d.body)
	}
	hooks := s.hook.Payloads()
	if len(hooks) != 1 || hooks[0].Kind != alert.BlockedKind(reason) || len(hooks[0].Items) != 1 || hooks[0].Items[0].BlockedReason != reason {
		t.Fatalf("webhook payloads = %+v", hooks)
	}
	// Another cause for the same answer alerts again.
	blockThroughDefer(t, s.st, "b", reason+" (другой файл)")
	check(t, s.alerter(t, 1, friday), 2)
}

// The documented dashboard.url is the dashboard's address; the alerter adds the page of a
// sub-request to it once.
func TestDashboardLink(t *testing.T) {
	t.Parallel()
	cases := []struct {
		dashboard, link, closing string
	}{
		{"https://gisgw.example.ru", "https://gisgw.example.ru/subrequests/a", "Панель gisgw: https://gisgw.example.ru"},
		{"https://gisgw.example.ru/", "https://gisgw.example.ru/subrequests/a", "Панель gisgw: https://gisgw.example.ru/"},
		{"https://example.ru/gisgw", "https://example.ru/gisgw/subrequests/a", "Панель gisgw: https://example.ru/gisgw"},
		{"https://gisgw.example.ru/subrequests/{guid}", "https://gisgw.example.ru/subrequests/a", ""},
		{"", "", ""},
	}
	for _, c := range cases {
		t.Run(c.dashboard, func(t *testing.T) {
			t.Parallel()
			s := newSetup(t, []seed{{"a", day(2025, 3, 17), domain.StateReview}})
			a, err := alert.New(alert.Options{
				Store: s.st, Calendar: cal, Now: func() time.Time { return friday }, DaysBefore: 1,
				Webhook: s.hook.srv.URL, SMTP: alert.SMTP{Addr: s.sink.Addr(), From: "gisgw@example.ru"},
				To: []string{"officer@example.ru"}, DashboardURL: c.dashboard,
			})
			if err != nil {
				t.Fatal(err)
			}
			check(t, a, 2)
			hooks := s.hook.Payloads()
			if len(hooks) != 1 || len(hooks[0].Items) != 1 || hooks[0].Items[0].URL != c.link {
				t.Fatalf("webhook payloads = %+v; want the item link %q", hooks, c.link)
			}
			mails := s.sink.Messages()
			if len(mails) != 1 {
				t.Fatalf("%d e-mails; want 1", len(mails))
			}
			body := decode(t, mails[0]).body
			if c.link != "" && !strings.Contains(body, "Открыть: "+c.link+"\n") {
				t.Errorf("body lacks the link %q:\n%s", c.link, body)
			}
			if c.link == "" && strings.Contains(body, "Открыть:") {
				t.Errorf("body has a link without a dashboard URL:\n%s", body)
			}
			if strings.Count(body, "/subrequests/") > 1 {
				t.Errorf("body doubles /subrequests/:\n%s", body)
			}
			if got := strings.Contains(body, "Панель gisgw:"); got != (c.closing != "") || (c.closing != "" && !strings.Contains(body, c.closing+"\n")) {
				t.Errorf("closing link: want %q in:\n%s", c.closing, body)
			}
		})
	}
}

// GIS's error texts and the causes of blocked answers may quote a debtor: the alerts carry
// them masked.
func TestAlertsMaskPersonalData(t *testing.T) {
	t.Parallel()
	const text = "Должник Иванов Иван Иванович (СНИЛС 123-456-789 01, паспорт серия 4506 номер 123456, " +
		"документ 4507123456) не совпадает с Петров П.П. и Анна Смирнова; СНИЛС 12345678902, паспорт 45 08 654321"
	secrets := []string{"Иванов", "Иванович", "123-456-789 01", "4506", "123456", "4507123456", "Петров", "Смирнова",
		"12345678902", "45 08 654321"}
	s := newSetup(t, []seed{{"e", day(2025, 3, 20), domain.StateNew}, {"b", day(2025, 3, 28), domain.StateNew}})
	failThroughOutbox(t, s.st, "e", "INT002000", text)
	if err := s.st.SaveDecision(t.Context(), domain.Decision{SubRequestGUID: "b", RuleVersion: "test"}, domain.StateReady); err != nil {
		t.Fatal(err)
	}
	blockThroughDefer(t, s.st, "b", "файл «Иванов И.И. решение.pdf» не прочитан: СНИЛС 123-456-789 01")
	check(t, s.alerter(t, 1, friday), 4)
	var all strings.Builder
	for _, m := range s.sink.Messages() {
		all.WriteString(decode(t, m).body)
	}
	for _, p := range s.hook.Payloads() {
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	out := all.String()
	for _, sec := range secrets {
		if strings.Contains(out, sec) {
			t.Errorf("an alert carries %q:\n%s", sec, out)
		}
	}
	for _, want := range []string{"INT002000 Должник ***", "не совпадает с *** и ***", "файл «*** решение.pdf»"} {
		if !strings.Contains(out, want) {
			t.Errorf("alerts lack %q:\n%s", want, out)
		}
	}
}
