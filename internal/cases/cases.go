// Package cases is the joint operational database: each node keeps its own
// cases and entities (persons, organisations, vehicles, phones, accounts,
// documents, weapons, addresses) with typed relations, searches them with
// the matching engine through a persistent candidate index, and answers
// other nodes' hit/no-hit queries with nothing but "hit", an opaque
// reference and a score band. Details leave the owner only when an
// authorised officer releases them and both NCUs let the release pass.
package cases

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/match"
	"github.com/liaison-wb/liaison/internal/store"
)

// Deps are the service's collaborators.
type Deps struct {
	Store  *store.Store
	Audit  *audit.Log
	Clock  clock.Clock
	Logger *slog.Logger
	NodeID string
	// Region is the ISO country of this node, used for phone numbers
	// written without a country code ("RS").
	Region string
	// Exchange sends an owner's release as a secure-exchange message;
	// nil on nodes without the exchange (releases are then refused).
	Exchange ExchangeSender
	// Private configures privacy-preserving hit/no-hit and deconfliction
	// (keyed Bloom-filter encodings); zero turns them off.
	Private PrivateConfig
}

// Service is the case database of one node.
type Service struct {
	d   Deps
	fed *federation.Service

	mu          sync.RWMutex
	model       *match.Model
	modelN      int  // live entities when the model was fitted from a sample
	modelStored bool // fitted on request and kept in the database
	fitMu       sync.Mutex

	ix       *memIndex
	followPK atomic.Int64 // highest entity key the index caught up to
	pv       privState

	ixVerOnce sync.Once
	ixVer     int64 // see indexVersion

	wake chan struct{}
}

// New builds the service. Call RegisterFederation before the federation
// service starts, and Run in the background.
func New(d Deps) *Service {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	s := &Service{d: d, wake: make(chan struct{}, 1), ix: newMemIndex()}
	if err := s.setupPrivate(); err != nil {
		// The application checks the configuration before; a library
		// caller with a bad secret gets private mode off, said loudly.
		d.Logger.Error("cases: private matching disabled", "err", err)
	}
	return s
}

func (s *Service) now() time.Time { return s.d.Clock.Now() }

func (s *Service) notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run answers received queries and flushes queued audit entries until ctx
// ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		if _, err := s.AnswerPending(ctx); err != nil && ctx.Err() == nil {
			s.d.Logger.Warn("cases: answering queries failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// RunStats derives, every interval until ctx ends, the statistics
// columns of cases and case links written since (imports, copies
// received), so the first statistics page after a large import does not
// pay for it.
func (s *Service) RunStats(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.refreshStats(ctx); err != nil && ctx.Err() == nil {
			s.d.Logger.Warn("cases: deriving statistics columns failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func entry(p *auth.Principal, action, object, purpose, detail string) audit.Entry {
	e := audit.Entry{Actor: "system", Action: action, Object: object, Purpose: purpose, Detail: detail}
	if p != nil {
		e.Actor, e.Agency = p.Username, p.Agency
	}
	return e
}

// record appends the audit entry of a read or a refusal, which change
// nothing; a read whose entry cannot be written fails.
func (s *Service) record(ctx context.Context, e audit.Entry) error { return s.d.Audit.Record(ctx, e) }

// queue adds the audit entry of a change to the change's transaction: the
// change and its entry commit together or not at all.
func (s *Service) queue(ctx context.Context, tx *store.Tx, e audit.Entry) error {
	return s.d.Audit.Queue(ctx, tx, e)
}

func unavailable(op string, err error) error {
	return errs.WrapPlain(errs.Unavailable, op, "the case database is unavailable", err)
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// RegionOf returns the ISO country of a national node ID ("rs" → "RS"),
// or "" for regional bodies.
func RegionOf(nodeID string) string {
	switch nodeID {
	case "al", "ba", "me", "mk", "rs", "xk", "hr", "si", "bg", "ro", "gr", "tr", "md", "hu", "at", "it", "de":
		return strings.ToUpper(nodeID)
	}
	return ""
}
