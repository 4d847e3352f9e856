package federation

import (
	"context"
	"net/http"
	"time"

	"github.com/liaison-wb/liaison/internal/buildinfo"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// CallHealth is the authenticated health call: a peer proves it can reach
// this node over mutual TLS with a valid signature, and learns this node's
// clock and version. `liaison doctor` uses it to measure clock skew.
const CallHealth = "health"

// Health is the answer to CallHealth.
type Health struct {
	Node    string    `json:"node"`
	Time    time.Time `json:"time"`
	Version string    `json:"version"`
}

// HealthHandler answers CallHealth; mount it at CallPrefix+CallHealth.
func (s *Service) HealthHandler() http.Handler {
	return s.ServeCall(CallHealth, func(ctx context.Context, peer string, _ []byte) (any, error) {
		return Health{Node: s.d.Node.ID, Time: s.d.Clock.Now().UTC(), Version: buildinfo.Read().Version}, nil
	})
}

// Probe is the outcome of one health call to a peer.
type Probe struct {
	Peer    string        `json:"peer"`
	RTT     time.Duration `json:"rtt_ns"`
	Skew    time.Duration `json:"skew_ns"` // peer's clock minus ours, at the middle of the round trip
	Version string        `json:"version"`
}

// ProbePeer makes an authenticated health call to peer and measures the
// round trip and the clock difference.
func (s *Service) ProbePeer(ctx context.Context, peer string) (Probe, error) {
	start := s.d.Clock.Now()
	var h Health
	if err := s.Call(ctx, peer, CallHealth, struct{}{}, &h); err != nil {
		return Probe{Peer: peer}, err
	}
	end := s.d.Clock.Now()
	rtt := end.Sub(start)
	mid := start.Add(rtt / 2)
	return Probe{Peer: peer, RTT: rtt, Skew: h.Time.Sub(mid), Version: h.Version}, nil
}

// Backlog summarises the outbox for operators.
type Backlog struct {
	Queued       int       `json:"queued"`
	AwaitingNCU  int       `json:"awaiting_ncu"`
	Failed       int       `json:"failed"`
	OldestQueued time.Time `json:"oldest_queued_at,omitzero"`
}

// OutboxBacklog counts what waits to leave and what a peer refused.
func (s *Service) OutboxBacklog(ctx context.Context) (Backlog, error) {
	var b Backlog
	counts, err := outboxCountsByState(ctx, s.d.Store)
	if err != nil {
		return b, errs.Wrap(errs.Unavailable, "federation.OutboxBacklog", "cannot read the outbox", err)
	}
	for _, c := range counts {
		switch c.state {
		case OutQueued:
			b.Queued, b.OldestQueued = c.n, store.ParseTime(c.oldest)
		case OutNCUPending:
			b.AwaitingNCU = c.n
		case OutFailed:
			b.Failed = c.n
		}
	}
	return b, nil
}
