package ward

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics live in a registry of the service's own: two wards in one test
// process must not collide.
type metrics struct {
	reg          *prometheus.Registry
	records      *prometheus.CounterVec   // via, result
	deliveries   *prometheus.CounterVec   // via
	ingestErrors *prometheus.CounterVec   // via
	ingestTime   *prometheus.HistogramVec // via
	pullErrors   *prometheus.CounterVec   // kiosk
	imports      *prometheus.CounterVec   // result
}

// newMetrics registers the counters and the gauges that read the ledger
// (the counts, the quarantine) at each scrape.
func newMetrics(l *ledger, now func() time.Time) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kyso_ward_records_total", Help: "Records delivered to the ward, by path and what became of them (new, duplicate, conflict).",
		}, []string{"via", "result"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kyso_ward_deliveries_total", Help: "Pushes, pulled pages and imported files ingested.",
		}, []string{"via"}),
		ingestErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kyso_ward_ingest_errors_total", Help: "Deliveries that could not be written to the store.",
		}, []string{"via"}),
		ingestTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kyso_ward_ingest_seconds", Help: "Time to ingest one delivery, durable write included.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"via"}),
		pullErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kyso_ward_pull_errors_total", Help: "Failed pulls, by kiosk.",
		}, []string{"kiosk"}),
		imports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kyso_ward_batch_imports_total", Help: "Batch files offered for import, by result.",
		}, []string{"result"}),
	}
	m.reg.MustRegister(m.records, m.deliveries, m.ingestErrors, m.ingestTime, m.pullErrors, m.imports,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kyso_ward_records_held", Help: "Records held."},
			func() float64 { return float64(l.tally.Len()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kyso_ward_citizens_done", Help: "Citizens counted (each CCCD once)."},
			func() float64 { return float64(l.tally.Snapshot(now(), 0).Done) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kyso_ward_quarantined", Help: "Conflicting deliveries kept aside."},
			func() float64 { _, n := l.quarantined(); return float64(n) }),
	)
	return m
}

func (m *metrics) observe(via string, r IngestResult, took time.Duration) {
	m.deliveries.WithLabelValues(via).Inc()
	m.records.WithLabelValues(via, "new").Add(float64(r.New))
	m.records.WithLabelValues(via, "duplicate").Add(float64(r.Duplicates))
	m.records.WithLabelValues(via, "conflict").Add(float64(len(r.Conflicts)))
	m.ingestTime.WithLabelValues(via).Observe(took.Seconds())
}
