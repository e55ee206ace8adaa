package pipeline

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gisgw/gisgw/responder/domain"
)

// Metrics are the pipeline's Prometheus metrics. A nil *Metrics records nothing.
type Metrics struct {
	pulledTotal   *prometheus.CounterVec
	decidedTotal  *prometheus.CounterVec
	messagesTotal *prometheus.CounterVec
	outcomesTotal *prometheus.CounterVec
	blockedTotal  prometheus.Counter
	label         func(string) string // bounds GIS error codes (Options.CodeLabel)
}

// NewMetrics registers the pipeline's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		pulledTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gisgw_subrequests_pulled_total", Help: "New sub-requests recorded from GIS.",
		}, []string{"org"}),
		decidedTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gisgw_decisions_total", Help: "Decisions made, by resulting state (ready or review).",
		}, []string{"state"}),
		messagesTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gisgw_messages_total", Help: "Answer messages by what GIS did with them (acknowledged, unacknowledged, unknown = GIS may have it, refused).",
		}, []string{"result"}),
		outcomesTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gisgw_answers_total", Help: "Answers by outcome (answered, failed, ready = to be resent) and GIS error code.",
		}, []string{"state", "code"}),
		blockedTotal: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gisgw_answers_blocked_total", Help: "Answers put aside because a court-act file they cite could not be read or uploaded (each retry counted).",
		}),
	}
	reg.MustRegister(m.pulledTotal, m.decidedTotal, m.messagesTotal, m.outcomesTotal, m.blockedTotal)
	return m
}

// withLabel makes m label GIS error codes through label, and returns m.
func (m *Metrics) withLabel(label func(string) string) *Metrics {
	if m != nil {
		m.label = label
	}
	return m
}

func (m *Metrics) pulled(org string, n int) {
	if m != nil && n > 0 {
		m.pulledTotal.WithLabelValues(org).Add(float64(n))
	}
}

func (m *Metrics) decided(s domain.State) {
	if m != nil {
		m.decidedTotal.WithLabelValues(string(s)).Inc()
	}
}

func (m *Metrics) message(result string) {
	if m != nil {
		m.messagesTotal.WithLabelValues(result).Inc()
	}
}

func (m *Metrics) outcome(o domain.Outcome) {
	if m != nil {
		code := o.ErrorCode
		if m.label != nil {
			code = m.label(code)
		}
		m.outcomesTotal.WithLabelValues(string(o.State), code).Inc()
	}
}

func (m *Metrics) blocked(n int) {
	if m != nil {
		m.blockedTotal.Add(float64(n))
	}
}
