package kiosk

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics live in a registry of their own: no global state.
type metrics struct {
	reg         *prometheus.Registry
	joins       prometheus.Counter
	completions *prometheus.CounterVec
	rejected    *prometheus.CounterVec
	sseClients  prometheus.GaugeFunc
	headSeq     prometheus.Gauge
	ackedSeq    prometheus.Gauge
	waiting     prometheus.Gauge
	pushes      *prometheus.CounterVec
	s           *Server
}

func newMetrics(s *Server) *metrics {
	m := &metrics{reg: prometheus.NewRegistry(), s: s}
	m.joins = prometheus.NewCounter(prometheus.CounterOpts{Name: "kyso_joins_total", Help: "Tickets created."})
	m.completions = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kyso_completions_total", Help: "Completion records written."}, []string{"outcome"})
	m.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kyso_rejected_total", Help: "Requests refused, by error code."}, []string{"code"})
	m.sseClients = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kyso_live_clients", Help: "Open live-update streams."}, func() float64 { return float64(s.broker.count()) })
	m.headSeq = prometheus.NewGauge(prometheus.GaugeOpts{Name: "kyso_head_seq", Help: "Newest completion record seq."})
	m.ackedSeq = prometheus.NewGauge(prometheus.GaugeOpts{Name: "kyso_acked_seq", Help: "Highest seq the ward confirmed."})
	m.waiting = prometheus.NewGauge(prometheus.GaugeOpts{Name: "kyso_waiting", Help: "Citizens waiting now."})
	m.pushes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kyso_ward_pushes_total", Help: "Pushes to the ward, by result."}, []string{"result"})
	m.reg.MustRegister(m.joins, m.completions, m.rejected, m.sseClients, m.headSeq, m.ackedSeq, m.waiting, m.pushes,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) update() {
	m.headSeq.Set(float64(m.s.q.HeadSeq()))
	m.ackedSeq.Set(float64(m.s.q.AckedSeq()))
	m.waiting.Set(float64(m.s.q.Snapshot().Waiting))
}
