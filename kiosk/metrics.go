package kiosk

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/kyso-vn/kyso/queue"
)

// metrics live in a registry of their own: no global state. Gauges read the
// queue when scraped, so nothing has to keep them up to date.
type metrics struct {
	reg         *prometheus.Registry
	joins       prometheus.Counter
	completions *prometheus.CounterVec
	rejected    *prometheus.CounterVec
	pushes      *prometheus.CounterVec
}

func newMetrics(q *queue.Queue, b *broker) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.joins = prometheus.NewCounter(prometheus.CounterOpts{Name: "kyso_joins_total", Help: "Tickets created."})
	m.completions = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kyso_completions_total", Help: "Completion records written."}, []string{"outcome"})
	m.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kyso_rejected_total", Help: "Requests refused, by error code."}, []string{"code"})
	m.pushes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kyso_ward_pushes_total", Help: "Pushes to the ward, by result."}, []string{"result"})
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	m.reg.MustRegister(m.joins, m.completions, m.rejected, m.pushes,
		gauge("kyso_live_clients", "Open live-update streams.", func() float64 { return float64(b.count()) }),
		gauge("kyso_head_seq", "Newest completion record seq.", func() float64 { return float64(q.Log().HeadSeq()) }),
		gauge("kyso_acked_seq", "Highest seq the ward confirmed.", func() float64 { return float64(q.Log().AckedSeq()) }),
		gauge("kyso_waiting", "Citizens waiting now.", func() float64 { return float64(q.Snapshot().Waiting) }),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Pushed counts a push to the ward (the forwarder's PushCounter).
func (m *metrics) Pushed(result string) { m.pushes.WithLabelValues(result).Inc() }
