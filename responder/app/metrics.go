package app

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
)

// instrument counts and times every HTTP call to GIS by operation (SOAPAction or file
// store) and status.
func instrument(hc *http.Client, reg prometheus.Registerer) *http.Client {
	calls := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gisgw_gis_calls_total", Help: "HTTP calls to GIS by operation and HTTP status (error = no response).",
	}, []string{"op", "status"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "gisgw_gis_call_seconds", Help: "Latency of HTTP calls to GIS by operation.",
		Buckets: []float64{.005, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"op"})
	reg.MustRegister(calls, latency)
	cp := *hc
	base := cp.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	cp.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		op := strings.TrimPrefix(strings.Trim(r.Header.Get("SOAPAction"), `"`), "urn:")
		if op == "" {
			op = "filestore"
		}
		start := time.Now()
		resp, err := base.RoundTrip(r)
		latency.WithLabelValues(op).Observe(time.Since(start).Seconds())
		status := "error"
		if err == nil {
			status = strconv.Itoa(resp.StatusCode)
		}
		calls.WithLabelValues(op, status).Inc()
		return resp, err
	})
	return &cp
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// stateCollector reports, at scrape time, sub-requests by state and open ones by days to
// their deadline.
type stateCollector struct {
	st       store.Store
	now      func() time.Time
	byState  *prometheus.Desc
	deadline *prometheus.Desc
}

func newStateCollector(st store.Store, now func() time.Time) *stateCollector {
	return &stateCollector{
		st: st, now: now,
		byState: prometheus.NewDesc("gisgw_subrequests", "Sub-requests by state.", []string{"state"}, nil),
		deadline: prometheus.NewDesc("gisgw_open_subrequests_by_days_left",
			"Open sub-requests (failed ones included) by calendar days left to the GIS deadline (overdue, 0, 1, 2, 3-5, 6+).", []string{"days"}, nil),
	}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.byState
	ch <- c.deadline
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srs, err := c.st.ListSubRequests(ctx, store.SubRequestFilter{})
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.byState, err)
		return
	}
	states := map[domain.State]int{}
	days := map[string]int{"overdue": 0, "0": 0, "1": 0, "2": 0, "3-5": 0, "6+": 0}
	today := calendar.Today(c.now())
	for _, sr := range srs {
		states[sr.State]++
		if !sr.State.Open() || sr.ResponseDate.IsZero() {
			continue
		}
		switch left := int(sr.ResponseDate.Sub(today).Hours() / 24); {
		case left < 0:
			days["overdue"]++
		case left <= 2:
			days[strconv.Itoa(left)]++
		case left <= 5:
			days["3-5"]++
		default:
			days["6+"]++
		}
	}
	for _, s := range domain.States() {
		ch <- prometheus.MustNewConstMetric(c.byState, prometheus.GaugeValue, float64(states[s]), string(s))
	}
	for k, v := range days {
		ch <- prometheus.MustNewConstMetric(c.deadline, prometheus.GaugeValue, float64(v), k)
	}
}
