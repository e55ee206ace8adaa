package app

import (
	"context"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/config"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/responder/store/storeopen"
)

// logStart says what this process works on: organizations, store, endpoint, schedule.
func (a *App) logStart(once bool) {
	orgs := make([]string, len(a.cfg.Organizations))
	for i, o := range a.cfg.Organizations {
		orgs[i] = o.OrgPPAGUID
		if o.Name != "" {
			orgs[i] = o.Name + " (" + o.OrgPPAGUID + ")"
		}
	}
	kind, where := storeLocation(a.cfg.DB)
	schedule := "once: one full pass, then exit"
	if !once {
		schedule = "pull every " + time.Duration(a.cfg.Pipeline.PullInterval).String()
	}
	a.log.Info("gisgw starting", "organizations", orgs, "store", kind, "store_at", where,
		"endpoint", config.Redact(a.cfg.GIS.Endpoint), "schedule", schedule)
}

// storeLocation names the store without secrets: the SQLite path, or PostgreSQL's host and
// database (no user, no password, no parameters).
func storeLocation(dsn string) (kind, where string) {
	if !storeopen.IsPostgres(dsn) {
		return "sqlite", dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres", "(unparsable URL)"
	}
	return "postgres", u.Host + u.Path
}

// orgSnapshot is where each of an organization's sub-requests stood, by GUID. It holds the
// state and deadline only: every replica keeps one per organization between pulls.
type orgSnapshot map[string]store.SubRequestStatus

// snapshot reads org's sub-requests; nil when the store cannot say (the summary is then
// skipped, never the work).
func (a *App) snapshot(ctx context.Context, org string) orgSnapshot {
	srs, err := a.store.SubRequestStatuses(ctx, org)
	if err != nil {
		if ctx.Err() == nil {
			a.log.Warn("progress summary: cannot read the sub-requests", "org", org, "err", err)
		}
		return nil
	}
	s := make(orgSnapshot, len(srs))
	for _, sr := range srs {
		s[sr.GUID] = sr
	}
	return s
}

func (a *App) snapshots(ctx context.Context) map[string]orgSnapshot {
	out := make(map[string]orgSnapshot, len(a.cfg.Organizations))
	for _, o := range a.cfg.Organizations {
		out[o.OrgPPAGUID] = a.snapshot(ctx, o.OrgPPAGUID)
	}
	return out
}

// logSummaries logs one summary per organization of what moved since before.
func (a *App) logSummaries(ctx context.Context, before map[string]orgSnapshot) {
	for _, o := range a.cfg.Organizations {
		if b := before[o.OrgPPAGUID]; b != nil {
			a.logSummary(ctx, o.OrgPPAGUID, b)
		}
	}
}

// summary counts what moved for one organization between two snapshots.
type summary struct {
	pulled, debt, noDebt, review, sent, confirmed, failed, autoAnswered int
	overdue, waiting                                                    int
	urgent                                                              []store.SubRequestStatus // waiting for a person, due within a working day
}

// logSummary logs the INFO summary of org since before, and a WARN when sub-requests due
// within a working day wait for a person. It returns the new snapshot (nil when unreadable).
func (a *App) logSummary(ctx context.Context, org string, before orgSnapshot) orgSnapshot {
	after := a.snapshot(ctx, org)
	if after == nil {
		return nil
	}
	a.logCounts(org, a.summarize(ctx, before, after))
	return after
}

// logCounts writes the summary lines of org.
func (a *App) logCounts(org string, s summary) {
	a.log.Info("pass summary", "org", org, "org_name", a.orgName(org),
		"pulled", s.pulled, "decided_debt", s.debt, "decided_no_debt", s.noDebt, "to_review", s.review,
		"sent", s.sent, "confirmed", s.confirmed, "failed", s.failed, "auto_answered", s.autoAnswered,
		"overdue", s.overdue, "waiting_for_person", s.waiting)
	if len(s.urgent) > 0 {
		guids := make([]string, 0, min(len(s.urgent), 10))
		for _, sr := range s.urgent[:min(len(s.urgent), 10)] {
			guids = append(guids, sr.GUID)
		}
		a.log.Warn("sub-requests due within a working day wait for a person: decide them (gisgw review list) or the deadline rule answers",
			"org", org, "org_name", a.orgName(org), "count", len(s.urgent),
			"earliest_deadline", s.urgent[0].ResponseDate.Format(time.DateOnly), "subrequests", strings.Join(guids, ","))
	}
}

func (a *App) summarize(ctx context.Context, before, after orgSnapshot) summary {
	var s summary
	today := a.now().In(calendar.Moscow())
	decidedBefore := func(st domain.State) bool { return st != "" && st != domain.StateNew && st != domain.StateReview }
	sentStates := func(st domain.State) bool {
		return st == domain.StateSending || st == domain.StateAnswered || st == domain.StateFailed
	}
	for guid, sr := range after {
		prev := before[guid].State // "" when pulled since before
		if _, ok := before[guid]; !ok {
			s.pulled++
		}
		st := sr.State
		switch {
		case st == domain.StateReview && (prev == "" || prev == domain.StateNew):
			s.review++
		case (st == domain.StateReady || sentStates(st)) && !decidedBefore(prev):
			if d, err := a.store.GetDecision(ctx, guid); err == nil {
				if d.HasDebt {
					s.debt++
				} else {
					s.noDebt++
				}
			}
		}
		if sentStates(st) && !sentStates(prev) {
			s.sent++
		}
		if st == domain.StateAnswered && prev != domain.StateAnswered {
			s.confirmed++
		}
		if st == domain.StateFailed && prev != domain.StateFailed {
			s.failed++
		}
		if st == domain.StateAutoAnswered && prev != domain.StateAutoAnswered {
			s.autoAnswered++
		}
		if !st.Open() || sr.ResponseDate.IsZero() {
			continue
		}
		days, past := a.cal.WorkingDaysLeft(today, sr.ResponseDate)
		if past {
			s.overdue++
		}
		if st == domain.StateReview {
			s.waiting++
			if !past && days <= 1 {
				s.urgent = append(s.urgent, sr)
			}
		}
	}
	sort.Slice(s.urgent, func(i, j int) bool {
		if !s.urgent[i].ResponseDate.Equal(s.urgent[j].ResponseDate) {
			return s.urgent[i].ResponseDate.Before(s.urgent[j].ResponseDate)
		}
		return s.urgent[i].GUID < s.urgent[j].GUID
	})
	return s
}

func (a *App) orgName(org string) string {
	for _, o := range a.cfg.Organizations {
		if o.OrgPPAGUID == org {
			return o.Name
		}
	}
	return ""
}
