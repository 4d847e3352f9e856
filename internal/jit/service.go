// Package jit is the shared workspace of joint investigation teams (JITs)
// and coordinated parallel investigations: agreement, members, action plan,
// timeline, team messages, the evidence register with a hash-chained chain
// of custody, linked national cases, deconfliction of targets and the
// exchange plan.
//
// Replication uses one authoritative leader node per workspace (the node
// that created it): every change is validated by the leader, given the next
// sequence number and sent as a signed federation envelope to every party
// node, which applies it to its own full copy. Members on other nodes
// submit changes to the leader. See docs/jit.md.
package jit

import (
	"context"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"log/slog"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// Federation is what the workspace needs from the federation layer.
type Federation interface {
	Peers(ctx context.Context) ([]federation.Peer, error)
	Enqueue(ctx context.Context, tx *store.Tx, m federation.Outgoing) (string, error)
	Notify()
}

// Config tunes the module.
type Config struct {
	// TransferTTL is how long a received evidence file stays in the
	// transfer area when nobody downloads it (at most 4 weeks).
	TransferTTL time.Duration
	// MaxFileBytes limits evidence uploads; files travel inside one
	// federation envelope, so keep it well under federation.MaxPayloadBytes.
	MaxFileBytes int64
	// PurgeEvery is how often the background job purges the transfer area.
	PurgeEvery time.Duration
}

// DefaultConfig: four weeks, 2 MiB, hourly.
func DefaultConfig() Config {
	return Config{TransferTTL: 28 * 24 * time.Hour, MaxFileBytes: 2 << 20, PurgeEvery: time.Hour}
}

// withDefaults fills every unset or out-of-range setting from
// DefaultConfig.
func (c Config) withDefaults() Config {
	def := DefaultConfig()
	if c.TransferTTL <= 0 || c.TransferTTL > def.TransferTTL {
		c.TransferTTL = def.TransferTTL
	}
	if c.MaxFileBytes <= 0 || c.MaxFileBytes > federation.MaxPayloadBytes/2 {
		c.MaxFileBytes = def.MaxFileBytes
	}
	if c.PurgeEvery <= 0 {
		c.PurgeEvery = def.PurgeEvery
	}
	return c
}

// Deps are the service's collaborators. Fed may be nil (single node).
type Deps struct {
	Store  *store.Store
	Audit  *audit.Log
	Fed    Federation
	Clock  clock.Clock
	Logger *slog.Logger
	Node   string
	// FileKey is the node's 32-byte key for evidence files at rest
	// (FileKeyFrom derives it from the node's signing key).
	FileKey []byte
	// Cases is the node's case database, which national cases linked to a
	// workspace must be in; nil on nodes without one (links are refused).
	Cases CaseChecker
}

// CaseChecker tells whether the node's case database holds a case.
type CaseChecker interface {
	HasCase(ctx context.Context, reference string) (bool, error)
}

// Service is the JIT and parallel-investigation module of one node.
type Service struct {
	d    Deps
	cfg  Config
	wake chan struct{}
}

// New builds the service.
func New(d Deps, cfg Config) *Service {
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	if len(d.FileKey) != 32 {
		panic("jit: FileKey must be 32 bytes")
	}
	return &Service{d: d, cfg: cfg, wake: make(chan struct{}, 1)}
}

// FileKeyFrom derives the node's evidence-file key from its signing key,
// so no second secret has to be kept and backed up.
func FileKeyFrom(k ed25519.PrivateKey) []byte {
	key, err := hkdf.Key(sha256.New, k.Seed(), nil, "liaison jit evidence files v1", 32)
	if err != nil {
		panic(err)
	}
	return key
}

// Node is this node's ID.
func (s *Service) Node() string { return s.d.Node }

// Config returns the effective configuration.
func (s *Service) Config() Config { return s.cfg }

func (s *Service) now() time.Time { return s.d.Clock.Now().UTC().Truncate(time.Millisecond) }

func actorOf(p *auth.Principal, node string) Actor {
	if p == nil {
		return Actor{Node: node, Username: SystemUser}
	}
	return Actor{Node: node, Username: p.Username, Agency: p.Agency}
}

// Run purges the transfer area until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	lastPurge := time.Time{}
	for {
		if now := s.d.Clock.Now(); now.Sub(lastPurge) >= s.cfg.PurgeEvery || now.Before(lastPurge) {
			if _, err := s.PurgeTransfers(ctx); err != nil && ctx.Err() == nil {
				s.d.Logger.Warn("jit: transfer purge failed", "err", err)
			} else {
				lastPurge = now
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

func (s *Service) notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
	if s.d.Fed != nil {
		s.d.Fed.Notify()
	}
}

// queueAudit queues an audit entry in the caller's transaction; it joins
// the audit log when the transaction commits.
func (s *Service) queueAudit(ctx context.Context, tx *store.Tx, a Actor, action, object, detail string) error {
	return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: a.String(), Agency: a.Agency, Action: action, Object: object, Detail: textutil.Clip(strings.TrimSpace(detail), 1000)})
}

// record appends an audit entry directly (outside transactions), for reads
// and refusals, which change no state. A read whose entry cannot be written
// must not be shown: callers of a read return the error.
func (s *Service) record(ctx context.Context, p *auth.Principal, action, object, outcome, detail string) error {
	a := actorOf(p, s.d.Node)
	return s.d.Audit.Record(ctx, audit.Entry{Actor: a.Username, Agency: a.Agency, Action: action, Object: object, Outcome: outcome, Detail: textutil.Clip(strings.TrimSpace(detail), 1000)})
}

// authorize applies the one policy; refusals are audited.
func (s *Service) authorize(ctx context.Context, p *auth.Principal, a auth.Action, object string) error {
	if err := auth.Authorize(p, a); err != nil {
		if p != nil {
			_ = s.record(ctx, p, string(a), object, audit.Denied, errs.SafeMessage(err))
		}
		return err
	}
	return nil
}

// finish audits the outcome of a write: refusals as denied.
func (s *Service) finish(ctx context.Context, p *auth.Principal, err error, action, object string) error {
	if err == nil {
		_, _ = s.d.Audit.Drain(ctx)
		s.notify()
		return nil
	}
	if errs.Is(err, errs.Forbidden) || errs.Is(err, errs.Conflict) || errs.Is(err, errs.Invalid) {
		_ = s.record(ctx, p, action, object, audit.Denied, errs.SafeMessage(err))
	}
	return dbErr(action, err)
}

func dbErr(op string, err error) error {
	return errs.WrapPlain(errs.Unavailable, op, "the JIT workspace database is unavailable", err)
}

func forbidden(op, msg string) error {
	return &errs.E{Kind: errs.Forbidden, Op: op, Code: "jit-role", Msg: msg}
}
