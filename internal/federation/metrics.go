package federation

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	s         *Service
	delivered *prometheus.CounterVec
	failures  *prometheus.CounterVec
	received  *prometheus.CounterVec
	rejected  *prometheus.CounterVec
	handled   *prometheus.CounterVec
	latency   prometheus.Histogram
	backlog   *prometheus.Desc
	awaiting  *prometheus.Desc
	lastSeen  *prometheus.Desc
}

func newMetrics(s *Service) *metrics {
	return &metrics{
		s:         s,
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "liaison_federation_delivered_total", Help: "Envelopes acknowledged by each peer."}, []string{"peer"}),
		failures:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "liaison_federation_delivery_failures_total", Help: "Failed delivery attempts per peer."}, []string{"peer"}),
		received:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "liaison_federation_received_total", Help: "Envelopes received from each peer."}, []string{"peer"}),
		rejected:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "liaison_federation_rejected_total", Help: "Deliveries or envelopes refused, by reason."}, []string{"code"}),
		handled:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "liaison_federation_handled_total", Help: "Received envelopes processed by their handler."}, []string{"peer"}),
		latency:   prometheus.NewHistogram(prometheus.HistogramOpts{Name: "liaison_federation_end_to_end_seconds", Help: "Time from creation at the sender to handling here.", Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 5, 30, 300}}),
		backlog:   prometheus.NewDesc("liaison_federation_backlog", "Envelopes queued for delivery to each peer.", []string{"peer"}, nil),
		awaiting:  prometheus.NewDesc("liaison_federation_awaiting_ncu", "Outgoing envelopes waiting for NCU approval, per peer.", []string{"peer"}, nil),
		lastSeen:  prometheus.NewDesc("liaison_federation_last_contact_seconds", "Seconds since the last successful exchange with each peer.", []string{"peer"}, nil),
	}
}

func (m *metrics) observeDelivered(peer string, _ time.Duration) {
	m.delivered.WithLabelValues(peer).Inc()
}

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range []prometheus.Collector{m.delivered, m.failures, m.received, m.rejected, m.handled, m.latency} {
		c.Describe(ch)
	}
	ch <- m.backlog
	ch <- m.awaiting
	ch <- m.lastSeen
}

// Collect implements prometheus.Collector; per-peer gauges are read from
// the database at scrape time so they are right after restarts.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range []prometheus.Collector{m.delivered, m.failures, m.received, m.rejected, m.handled, m.latency} {
		c.Collect(ch)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	peers, err := m.s.Peers(ctx)
	if err != nil {
		return
	}
	now := m.s.d.Clock.Now()
	for _, p := range peers {
		ch <- prometheus.MustNewConstMetric(m.backlog, prometheus.GaugeValue, float64(p.Backlog), p.ID)
		ch <- prometheus.MustNewConstMetric(m.awaiting, prometheus.GaugeValue, float64(p.AwaitingNCU), p.ID)
		if !p.LastContactAt.IsZero() {
			ch <- prometheus.MustNewConstMetric(m.lastSeen, prometheus.GaugeValue, now.Sub(p.LastContactAt).Seconds(), p.ID)
		}
	}
}

// Collector exposes the federation metrics for /metrics.
func (s *Service) Collector() prometheus.Collector { return s.metrics }
