// Package alert tells compliance officers, by e-mail (SMTP) and/or a webhook, about the
// sub-requests that need them: those not answered whose deadline is at most DaysBefore
// working days away (those waiting for a person at most ReviewDaysBefore, if that is more), those GIS refused (failed), and those GIS answered on the
// organization's behalf after a missed deadline (auto_answered), and the ready answers that
// wait because a court-act file they cite cannot be read or uploaded (blocked).
//
// Each alert is sent once per sub-request, kind and channel, across restarts and replicas:
// before sending, the Alerter claims the alert in the store (a row keyed by sub-request and
// "kind:channel"); only the claimer sends, and a failed send releases the claim so that the
// next Check retries it. A crash between the claim and the send loses that alert rather
// than sending it twice.
//
// Alerts carry request numbers, addresses, deadlines, states and GIS errors; never the
// debtors' names, SNILS or document numbers: GIS's error texts and the causes of blocked
// answers pass through mask.Text. The one exception is the monthly inventory (Options.Inventory):
// its text has only totals, but the XLSX attached to the e-mail names the debtors of the
// premises owing most, as the dashboard does.
package alert

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/report"
	"github.com/gisgw/gisgw/responder/store"
)

// Alert kinds. The deadline kind names its threshold (DeadlineKind), so that changing
// DaysBefore alerts again.
const (
	KindFailed       = "failed"
	KindAutoAnswered = "auto_answered"
	// KindBlocked prefixes the kind of the alert about a ready answer put aside, followed by
	// a digest of the cause (BlockedKind): a new cause alerts again, a retry does not.
	KindBlocked = "blocked"
)

// BlockedKind is the kind of the alert about answers put aside for reason.
func BlockedKind(reason string) string {
	sum := sha256.Sum256([]byte(reason))
	return KindBlocked + "-" + hex.EncodeToString(sum[:6])
}

// ReviewDaysBefore is how many working days before its deadline a sub-request waiting for a
// person is alerted at the latest, whatever DaysBefore says (LEGAL-RULES §10.8): the
// organization's deadline rule acts one working day before.
const ReviewDaysBefore = 2

// DeadlineKind is the kind of the alert about sub-requests not answered whose deadline is at
// most days working days away: "deadline-2" for 2.
func DeadlineKind(days int) string { return fmt.Sprintf("deadline-%d", days) }

// Channel names, the suffix of the kind recorded in the store ("failed:email").
const (
	ChannelEmail   = "email"
	ChannelWebhook = "webhook"
)

// DefaultTimeout bounds one e-mail or one webhook request.
const DefaultTimeout = 30 * time.Second

// ErrNoChannel is New's error when neither a webhook nor an SMTP server is configured.
var ErrNoChannel = errors.New("alerts: no channel configured: set alerts.webhook or alerts.smtp.addr")

// Store is what the Alerter needs of the store (store.Store has it).
type Store interface {
	ListSubRequests(ctx context.Context, f store.SubRequestFilter) ([]domain.SubRequest, error)
	ClaimAlert(ctx context.Context, guid, kind string) (bool, error)
	ReleaseAlert(ctx context.Context, guid, kind string) error
}

// SMTP is the mail server alerts go through.
type SMTP struct {
	Addr     string // host:port; empty: no e-mail
	From     string // envelope and header sender, "gisgw <gisgw@example.ru>" or a bare address
	User     string // PLAIN authentication when set (over TLS, or to localhost only)
	Password string
}

// Options configure New.
type Options struct {
	Store      Store
	Calendar   *calendar.Calendar // nil: the embedded federal calendar
	Now        func() time.Time   // nil: time.Now; "today" is its date in Moscow
	Logger     *slog.Logger       // nil: discard
	DaysBefore int                // working days before a deadline; 0: on the deadline day
	Webhook    string             // http(s) URL to POST JSON to; empty: no webhook
	HTTPClient *http.Client       // nil: a client with DefaultTimeout
	SMTP       SMTP
	To         []string // e-mail recipients; required with SMTP.Addr
	// DashboardURL is how people reach the dashboard (dashboard.url, e.g.
	// "https://gisgw.example.ru"): each item links to its page, DashboardURL +
	// "/subrequests/" + GUID, and an e-mail ends with DashboardURL itself. A URL with
	// "{guid}" in it is taken as the item link's template instead (the placeholder replaced
	// by the GUID), and an e-mail then has no closing link.
	DashboardURL string
	Timeout      time.Duration // one send; 0: DefaultTimeout
	// Inventory, when set (alerts.inventory), is where the monthly inventory is read: on
	// the first working day of each month the previous month's goes to every channel.
	Inventory report.InventorySource
	// OrgNames names the organizations in the inventory (orgPPAGUID → name).
	OrgNames map[string]string
}

// Alerter sends alerts. It is safe for concurrent use; several Alerters (processes) on one
// store send each alert once between them.
type Alerter struct {
	st        Store
	cal       *calendar.Calendar
	now       func() time.Time
	log       *slog.Logger
	days      int
	dashboard string
	channels  []channel
	inventory report.InventorySource
	orgNames  map[string]string

	mu   sync.Mutex
	done map[string]struct{} // guid + "\x00" + recorded kind: claimed by someone, nothing to do
}

// channel is one way of delivering a batch of alerts of one kind.
type channel interface {
	name() string
	send(ctx context.Context, b batch) error
}

// batch is the alerts of one kind sent in one message.
type batch struct {
	kind   string
	notice *notice     // a message about no sub-request (the monthly inventory); items are empty
	cert   *certNotice // a certificate expiry alert instead of items
	days   int         // DaysBefore, for the deadline kind
	today  time.Time   // the day of the check
	limit  time.Time   // the last deadline the deadline kind covers
	items  []domain.SubRequest
}

// New checks the options and returns an Alerter. Without a webhook and an SMTP server it
// returns ErrNoChannel.
func New(o Options) (*Alerter, error) {
	if o.Store == nil {
		return nil, errors.New("alerts: no store")
	}
	if o.DaysBefore < 0 {
		return nil, fmt.Errorf("alerts: days_before must not be negative, not %d", o.DaysBefore)
	}
	a := &Alerter{st: o.Store, cal: o.Calendar, now: o.Now, log: o.Logger, days: o.DaysBefore,
		dashboard: o.DashboardURL, inventory: o.Inventory, orgNames: o.OrgNames, done: map[string]struct{}{}}
	if a.cal == nil {
		c, err := calendar.New()
		if err != nil {
			return nil, fmt.Errorf("alerts: %w", err)
		}
		a.cal = c
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if o.DashboardURL != "" {
		if u, err := url.Parse(o.DashboardURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("alerts: dashboard URL %q: want an http(s) URL", o.DashboardURL)
		}
	}
	if o.SMTP.Addr != "" {
		m, err := newMailer(o.SMTP, o.To, timeout)
		if err != nil {
			return nil, fmt.Errorf("alerts: %w", err)
		}
		m.a = a
		a.channels = append(a.channels, m)
	}
	if o.Webhook != "" {
		u, err := url.Parse(o.Webhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("alerts: webhook: want an http(s) URL")
		}
		hc := o.HTTPClient
		if hc == nil {
			hc = &http.Client{Timeout: timeout}
		}
		a.channels = append(a.channels, &webhook{a: a, url: o.Webhook, host: u.Host, client: hc, timeout: timeout})
	}
	if len(a.channels) == 0 {
		return nil, ErrNoChannel
	}
	return a, nil
}

// Check sends the alerts due now: one message per kind and channel listing the sub-requests
// not alerted yet, and the monthly inventory when it is due. sent counts the sub-requests
// alerted, once per channel, and each inventory delivered as one. A failed send
// is released for the next Check and reported in err; the other kinds and channels are
// still sent.
func (a *Alerter) Check(ctx context.Context) (sent int, err error) {
	today := calendar.Today(a.now())
	limit := a.cal.AddWorkingDays(today, a.days)

	// Open sub-requests are covered twice over: pending ones here, by their deadline, and
	// failed ones below, by GIS's refusal.
	pending, err := a.st.ListSubRequests(ctx, store.SubRequestFilter{States: slices.DeleteFunc(domain.States(), func(s domain.State) bool { return !s.Pending() })})
	if err != nil {
		return 0, fmt.Errorf("alerts: list pending sub-requests: %w", err)
	}
	// A sub-request waiting for a person is alerted from ReviewDaysBefore on even when
	// DaysBefore is shorter; within DaysBefore it is in the usual alert too.
	reviewDays := max(a.days, ReviewDaysBefore)
	reviewLimit := a.cal.AddWorkingDays(today, reviewDays)
	var near, review []domain.SubRequest
	for _, s := range pending {
		d := a.deadline(s)
		switch {
		case d.IsZero():
		case !d.After(limit):
			near = append(near, s)
		case s.State == domain.StateReview && !d.After(reviewLimit):
			review = append(review, s)
		}
	}
	failed, err := a.st.ListSubRequests(ctx, store.SubRequestFilter{States: []domain.State{domain.StateFailed}})
	if err != nil {
		return 0, fmt.Errorf("alerts: list failed sub-requests: %w", err)
	}
	auto, err := a.st.ListSubRequests(ctx, store.SubRequestFilter{States: []domain.State{domain.StateAutoAnswered}})
	if err != nil {
		return 0, fmt.Errorf("alerts: list auto-answered sub-requests: %w", err)
	}

	ready, err := a.st.ListSubRequests(ctx, store.SubRequestFilter{States: []domain.State{domain.StateReady}})
	if err != nil {
		return 0, fmt.Errorf("alerts: list ready sub-requests: %w", err)
	}

	var errs []error
	batches := []batch{
		{kind: DeadlineKind(a.days), items: near},
		{kind: DeadlineKind(reviewDays), items: review, days: reviewDays, limit: reviewLimit},
		{kind: KindFailed, items: failed},
		{kind: KindAutoAnswered, items: auto},
	}
	batches = append(batches, blockedBatches(ready)...)
	n, err := a.checkInventory(ctx, today)
	sent += n
	if err != nil {
		errs = append(errs, err)
	}
	for _, b := range batches {
		if b.limit.IsZero() {
			b.days, b.limit = a.days, limit
		}
		b.today = today
		for _, ch := range a.channels {
			n, err := a.deliver(ctx, ch, b)
			sent += n
			if err != nil {
				errs = append(errs, err)
			}
		}
	}
	return sent, errors.Join(errs...)
}

// deliver claims the alerts of b not sent by ch yet, sends them in one message, and
// releases them when sending fails.
func (a *Alerter) deliver(ctx context.Context, ch channel, b batch) (int, error) {
	key := b.kind + ":" + ch.name()
	var claimed []domain.SubRequest
	var errs []error
	for _, s := range b.items {
		if a.isDone(s.GUID, key) {
			continue
		}
		ok, err := a.st.ClaimAlert(ctx, s.GUID, key)
		if err != nil {
			errs = append(errs, fmt.Errorf("alerts: %w", err))
			continue
		}
		if !ok {
			a.markDone(s.GUID, key) // sent before, by this or another process
			continue
		}
		claimed = append(claimed, s)
	}
	if len(claimed) == 0 {
		return 0, errors.Join(errs...)
	}
	b.items = claimed
	if err := ch.send(ctx, b); err != nil {
		// Release even when ctx is done, so that the alerts are retried.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		for _, s := range claimed {
			if rerr := a.st.ReleaseAlert(rctx, s.GUID, key); rerr != nil {
				errs = append(errs, fmt.Errorf("alerts: %w (the alert will not be retried)", rerr))
			}
		}
		a.log.Warn("alert not sent; retrying on the next check", "kind", b.kind, "channel", ch.name(),
			"subrequests", len(claimed), "err", err)
		errs = append(errs, fmt.Errorf("alerts: send %s alert by %s for %d sub-requests: %w", b.kind, ch.name(), len(claimed), err))
		return 0, errors.Join(errs...)
	}
	for _, s := range claimed {
		a.markDone(s.GUID, key)
	}
	a.log.Info("alert sent", "kind", b.kind, "channel", ch.name(), "subrequests", len(claimed))
	return len(claimed), errors.Join(errs...)
}

// blockedBatches groups the ready answers put aside by their cause, one batch per cause.
func blockedBatches(ready []domain.SubRequest) []batch {
	var out []batch
	at := map[string]int{}
	for _, s := range ready {
		if s.BlockedReason == "" {
			continue
		}
		k := BlockedKind(s.BlockedReason)
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, batch{kind: k})
		}
		out[i].items = append(out[i].items, s)
	}
	return out
}

// deadline is GIS's responseDate, or the calendar's deadline when GIS gave none.
func (a *Alerter) deadline(s domain.SubRequest) time.Time {
	if !s.ResponseDate.IsZero() {
		return calendar.DateOf(s.ResponseDate)
	}
	if !s.SentDate.IsZero() {
		return a.cal.Due(s.SentDate)
	}
	return time.Time{}
}

func (a *Alerter) isDone(guid, key string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.done[guid+"\x00"+key]
	return ok
}

func (a *Alerter) markDone(guid, key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.done[guid+"\x00"+key] = struct{}{}
}

// daysLeft counts the working days after today up to and including d (0 when d is today or
// past).
func (a *Alerter) daysLeft(today, d time.Time) int {
	n, _ := a.cal.WorkingDaysLeft(today, d)
	return max(n, 0)
}

// itemURL is the dashboard link of one sub-request, "" without a dashboard URL.
func (a *Alerter) itemURL(guid string) string {
	if a.dashboard == "" {
		return ""
	}
	if containsGUIDPlaceholder(a.dashboard) {
		return replaceGUIDPlaceholder(a.dashboard, url.PathEscape(guid))
	}
	return strings.TrimRight(a.dashboard, "/") + "/subrequests/" + url.PathEscape(guid)
}

// parseAddress accepts "Name <addr>" or a bare address.
func parseAddress(what, s string) (*mail.Address, error) {
	addr, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", what, s, err)
	}
	return addr, nil
}
