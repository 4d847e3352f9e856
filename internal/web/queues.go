package web

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/liaison-wb/liaison/internal/store"
)

// queueHealth gathers every work queue of the node: federation delivery
// and receipt, hit/no-hit answers, notification e-mail and the audit
// outbox.
func (s *Server) queueHealth(ctx context.Context) ([]store.QueueHealth, error) {
	var out []store.QueueHealth
	if s.d.Federation != nil {
		fed, err := s.d.Federation.QueueHealth(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, fed...)
	}
	if s.d.Cases != nil {
		c, err := s.d.Cases.QueueHealth(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if s.d.Exchange != nil {
		m, err := s.d.Exchange.MailQueueHealth(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if s.d.Audit != nil {
		n, err := s.d.Audit.Pending(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, store.QueueHealth{Queue: "audit.outbox", Waiting: int(n)})
	}
	return out, nil
}

// queueCollector exports the queues as liaison_queue_items{queue,state} and
// liaison_queue_oldest_seconds{queue}, read from the database at scrape time.
type queueCollector struct {
	s      *Server
	items  *prometheus.Desc
	oldest *prometheus.Desc
}

func newQueueCollector(s *Server) *queueCollector {
	return &queueCollector{s: s,
		items:  prometheus.NewDesc("liaison_queue_items", "Items in a work queue by state (waiting, retrying after a failure, failed and needing a person).", []string{"queue", "state"}, nil),
		oldest: prometheus.NewDesc("liaison_queue_oldest_seconds", "Age of the oldest waiting item of a work queue.", []string{"queue"}, nil),
	}
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.items; ch <- c.oldest }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	qs, err := c.s.queueHealth(ctx)
	if err != nil {
		c.s.d.Logger.Warn("metrics: cannot read the work queues", "err", err)
		return
	}
	now := c.s.d.Clock.Now()
	for _, q := range qs {
		ch <- prometheus.MustNewConstMetric(c.items, prometheus.GaugeValue, float64(q.Waiting), q.Queue, "waiting")
		ch <- prometheus.MustNewConstMetric(c.items, prometheus.GaugeValue, float64(q.Retrying), q.Queue, "retrying")
		ch <- prometheus.MustNewConstMetric(c.items, prometheus.GaugeValue, float64(q.Failed), q.Queue, "failed")
		age := 0.0
		if !q.Oldest.IsZero() {
			age = now.Sub(q.Oldest).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age, q.Queue)
	}
}
