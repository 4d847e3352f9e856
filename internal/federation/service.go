package federation

import (
	"context"
	"crypto/tls"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/identity"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// Outbox and inbox states.
const (
	OutNCUPending = "ncu_pending" // waiting for the national contact unit
	OutQueued     = "queued"      // approved or not sensitive; the worker sends it
	OutDelivered  = "delivered"   // the peer acknowledged it
	OutRejected   = "rejected"    // the NCU refused to let it leave
	OutFailed     = "failed"      // the peer refused it permanently

	InNCUPending = "ncu_pending" // waiting for the NCU to route it
	InReceived   = "received"    // ready for its handler
	InHandled    = "handled"
	InFailed     = "failed"
)

// Incoming is a received envelope as its handler sees it.
type Incoming struct {
	Envelope
	RoutedTo string // national agency chosen by the NCU, for sensitive types
}

// Handler processes one received envelope inside the transaction that marks
// it handled, so it runs exactly once.
type Handler func(ctx context.Context, tx *store.Tx, in Incoming) error

// TypeSpec describes a payload type registered by a domain package.
type TypeSpec struct {
	// Sensitive types wait for the NCU on the way out and are routed by the
	// NCU on the way in.
	Sensitive bool
	Handle    Handler
	// Describe, when set, shows the NCU the content of a sensitive message
	// before it decides.
	Describe Describer
	// Reroute, when set, moves what Handle created to another agency when
	// the NCU routes a handled message again.
	Reroute Rerouter
	// NotifyNCU types leave without waiting but, on the way in, wait in
	// the NCU queue like sensitive ones (key revocations).
	NotifyNCU bool
}

// Config tunes delivery.
type Config struct {
	// Insecure allows plain-HTTP peers and an inbox without mutual TLS (demos).
	Insecure  bool
	MaxSkew   time.Duration
	RetryBase time.Duration
	RetryMax  time.Duration
	BatchSize int
	Poll      time.Duration
}

// DefaultConfig is suitable for production.
func DefaultConfig() Config {
	return Config{MaxSkew: 5 * time.Minute, RetryBase: 500 * time.Millisecond, RetryMax: 5 * time.Minute, BatchSize: 200, Poll: time.Second}
}

// Deps are the service's collaborators.
type Deps struct {
	Store  *store.Store
	Audit  *audit.Log
	Node   *identity.Node
	Clock  clock.Clock
	Logger *slog.Logger
	// TLS is the node's federation certificate; nil only when Config.Insecure.
	TLS *tls.Certificate
	// Certs, when set, supersedes TLS and follows certificate renewals.
	Certs *Certs
}

// Service is the federation layer of one node.
type Service struct {
	d       Deps
	cfg     Config
	metrics *metrics

	mu      sync.RWMutex
	types   map[string]TypeSpec
	clients map[string]*http.Client // by peer ID

	wakeOut chan struct{}
	wakeIn  chan struct{}
}

// New builds the service. Register payload types before Run.
func New(d Deps, cfg Config) *Service {
	if d.Certs == nil && d.TLS != nil {
		d.Certs = StaticCerts(*d.TLS)
	}
	s := &Service{d: d, cfg: cfg, types: map[string]TypeSpec{}, clients: map[string]*http.Client{},
		wakeOut: make(chan struct{}, 1), wakeIn: make(chan struct{}, 1)}
	s.metrics = newMetrics(s)
	s.registerBuiltins()
	s.registerKeyTypes()
	return s
}

// NodeID is this node's federation ID.
func (s *Service) NodeID() string { return s.d.Node.ID }

// Register binds a payload type to its handler. Types are namespaced by
// module, e.g. "exchange.message", "match.query".
func (s *Service) Register(typ string, spec TypeSpec) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.types[typ]; dup {
		panic("federation: type registered twice: " + typ)
	}
	s.types[typ] = spec
}

func (s *Service) spec(typ string) (TypeSpec, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.types[typ]
	return t, ok
}

func wake(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Peer is a configured partner node.
type Peer struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	URL           string    `json:"url"`
	PublicKey     string    `json:"public_key"`
	CertSHA256    string    `json:"tls_cert_sha256,omitempty"`
	Suspended     bool      `json:"suspended"`
	LastContactAt time.Time `json:"last_contact_at,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
	Failures      int       `json:"failures"`
	Backlog       int       `json:"backlog" doc:"messages queued for this peer"`
	AwaitingNCU   int       `json:"awaiting_ncu" doc:"messages waiting for NCU approval"`
	OldestQueued  time.Time `json:"oldest_queued_at,omitzero"`
	// PrevPublicKey is the peer's previous key, still accepted until
	// PrevKeyUntil after it announced a new one.
	PrevPublicKey string    `json:"previous_public_key,omitempty"`
	PrevKeyUntil  time.Time `json:"previous_key_until,omitzero"`
	// PrevCertSHA256 is the peer's previous certificate, still pinned
	// until PrevCertUntil after it announced a new one.
	PrevCertSHA256 string    `json:"previous_tls_cert_sha256,omitempty"`
	PrevCertUntil  time.Time `json:"previous_cert_until,omitzero"`
}

// AddPeer registers or updates a peer.
func (s *Service) AddPeer(ctx context.Context, actor *auth.Principal, p Peer) error {
	const op = "federation.AddPeer"
	p.ID = strings.ToLower(strings.TrimSpace(p.ID))
	p.URL = strings.TrimRight(strings.TrimSpace(p.URL), "/")
	switch {
	case !ValidNodeID(p.ID):
		return errs.Newf(errs.Invalid, op, "peer ID %q must be a short lower-case identifier such as rs, xk or selec", p.ID)
	case p.ID == s.d.Node.ID:
		return errs.New(errs.Invalid, op, "a node cannot be its own peer")
	}
	u, err := url.Parse(p.URL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return errs.Newf(errs.Invalid, op, "peer URL %q must be an absolute https:// URL", p.URL)
	}
	if u.Scheme == "http" && !s.cfg.Insecure {
		return errs.New(errs.Invalid, op, "plain http:// peers need --insecure-federation (local demos only); use https://")
	}
	if _, err := identity.DecodePublic(p.PublicKey); err != nil {
		return errs.New(errs.Invalid, op, "public key must be the peer's 32-byte Ed25519 key in base64 (liaison federation init prints it)")
	}
	p.CertSHA256 = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(p.CertSHA256), ":", ""))
	if u.Scheme == "https" && len(p.CertSHA256) != 64 {
		return errs.New(errs.Invalid, op, "https peers need the SHA-256 fingerprint of their federation certificate (64 hex digits)")
	}
	if p.Name == "" {
		p.Name = p.ID
	}
	revoked, err := keyRevoked(ctx, s.d.Store, p.PublicKey)
	if err != nil {
		return errs.Wrap(errs.Unavailable, op, "cannot read revoked keys", err)
	}
	if revoked {
		return errs.Newf(errs.Invalid, op, "this public key was revoked by %s and cannot be trusted again", p.ID)
	}
	now := store.FormatTime(s.d.Clock.Now())
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		found, err := updatePeer(ctx, tx, p)
		if err != nil {
			return err
		}
		if !found {
			if err := insertPeer(ctx, tx, p, now); err != nil {
				return err
			}
		}
		return s.d.Audit.Queue(ctx, tx, actorEntry(actor, "federation.peer.add", "peer/"+p.ID, p.URL))
	})
	if err != nil {
		return errs.Wrap(errs.Unavailable, op, "could not save the peer", err)
	}
	s.mu.Lock()
	delete(s.clients, p.ID)
	s.mu.Unlock()
	return nil
}

// SetSuspended stops or resumes exchange with a peer in both directions.
func (s *Service) SetSuspended(ctx context.Context, actor *auth.Principal, id string, suspended bool) error {
	action := "federation.peer.resume"
	if suspended {
		action = "federation.peer.suspend"
	}
	err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		found, err := setPeerSuspended(ctx, tx, id, suspended)
		if err != nil {
			return errs.Wrap(errs.Unavailable, "federation.SetSuspended", "could not update the peer", err)
		}
		if !found {
			return errs.Newf(errs.NotFound, "federation.SetSuspended", "no peer %q", id)
		}
		return s.d.Audit.Queue(ctx, tx, actorEntry(actor, action, "peer/"+id, ""))
	})
	if err != nil {
		return err
	}
	if !suspended {
		wake(s.wakeOut)
	}
	return nil
}

func actorEntry(p *auth.Principal, action, object, detail string) audit.Entry {
	e := audit.Entry{Actor: "system", Action: action, Object: object, Detail: detail}
	if p != nil {
		e.Actor, e.Agency = p.Username, p.Agency
	}
	return e
}

// Peer returns one peer.
func (s *Service) Peer(ctx context.Context, id string) (Peer, error) {
	p, err := peerByID(ctx, s.d.Store, id)
	if err != nil {
		return Peer{}, store.NotFound(err, "federation.Peer", "no peer "+id)
	}
	return p, nil
}

// Peers lists peers with their delivery status.
func (s *Service) Peers(ctx context.Context) ([]Peer, error) {
	out, err := listPeers(ctx, s.d.Store)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "federation.Peers", "cannot read peers", err)
	}
	if len(out) == 0 {
		out = nil
	}
	idx := map[string]int{}
	for i, p := range out {
		idx[p.ID] = i
	}
	counts, err := outboxCountsByPeer(ctx, s.d.Store)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "federation.Peers", "cannot read the outbox", err)
	}
	for _, c := range counts {
		i, ok := idx[c.peer]
		if !ok {
			continue
		}
		if c.state == OutQueued {
			out[i].Backlog, out[i].OldestQueued = c.n, store.ParseTime(c.oldest)
		} else {
			out[i].AwaitingNCU = c.n
		}
	}
	return out, nil
}

// Outgoing is a message a domain package wants to send.
type Outgoing struct {
	To           string
	Type         string
	Conversation string // messages in one conversation arrive in order; default: own ID
	Payload      any
	Summary      string // routing metadata shown in the NCU queue
	Actor        *auth.Principal
}

// Enqueue writes an outgoing envelope inside the caller's transaction, so
// the domain change and the message commit or fail together.
func (s *Service) Enqueue(ctx context.Context, tx *store.Tx, m Outgoing) (string, error) {
	const op = "federation.Enqueue"
	spec, ok := s.spec(m.Type)
	if !ok {
		return "", errs.Newf(errs.Internal, op, "message type %q is not registered", m.Type)
	}
	suspended, err := peerSuspended(ctx, tx, m.To)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", errs.Newf(errs.Invalid, op, "%q is not a peer of this node", m.To)
		}
		return "", errs.Wrap(errs.Unavailable, op, "cannot read peers", err)
	}
	if suspended {
		return "", errs.Newf(errs.Conflict, op, "exchange with %s is suspended", m.To)
	}
	payload, err := json.Marshal(m.Payload)
	if err != nil {
		return "", errs.Wrap(errs.Invalid, op, "message content cannot be encoded", err)
	}
	if len(payload) > MaxPayloadBytes {
		return "", errs.New(errs.TooLarge, op, "the message is too large to send")
	}
	id := store.NewID()
	if m.Conversation == "" {
		m.Conversation = id
	}
	seq, err := nextOutboxSeq(ctx, tx, m.To, m.Conversation)
	if err != nil {
		return "", errs.Wrap(errs.Unavailable, op, "cannot write the outbox", err)
	}
	now := s.d.Clock.Now()
	env := Envelope{ID: id, From: s.d.Node.ID, To: m.To, Type: m.Type, Conversation: m.Conversation, Seq: seq, CreatedAt: now, Payload: payload}
	if err := env.Sign(s.d.Node.Key); err != nil {
		return "", err
	}
	raw, _ := json.Marshal(env)
	state := OutQueued
	if spec.Sensitive {
		state = OutNCUPending
	}
	by, agency := "", ""
	if m.Actor != nil {
		by, agency = m.Actor.Username, m.Actor.Agency
	}
	err = insertOutbox(ctx, tx, outboxRecord{id: id, peer: m.To, typ: m.Type, conversation: m.Conversation, seq: seq, createdAt: store.FormatTime(now),
		envelope: string(raw), state: state, sensitive: spec.Sensitive, summary: textutil.Ellipsis(m.Summary, 500), by: by, agency: agency, nextAttemptAt: store.FormatTime(now)})
	if err != nil {
		return "", errs.Wrap(errs.Unavailable, op, "cannot write the outbox", err)
	}
	return id, nil
}

// Send enqueues one message in its own transaction and audits it.
func (s *Service) Send(ctx context.Context, m Outgoing) (string, error) {
	var id string
	err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if id, err = s.Enqueue(ctx, tx, m); err != nil {
			return err
		}
		return s.d.Audit.Queue(ctx, tx, actorEntry(m.Actor, "federation.send", "envelope/"+id, m.Type+" to "+m.To+": "+m.Summary))
	})
	if err != nil {
		return "", err
	}
	s.Notify()
	return id, nil
}

// Notify wakes the delivery worker, e.g. after a transaction that enqueued.
func (s *Service) Notify() { wake(s.wakeOut) }

// QueueItem is one message in the NCU queue.
type QueueItem struct {
	ID           string    `json:"id"`
	Direction    string    `json:"direction" enum:"outgoing,incoming"`
	Peer         string    `json:"peer"`
	Type         string    `json:"type"`
	Summary      string    `json:"summary"`
	CreatedBy    string    `json:"created_by,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	AgeSeconds   int64     `json:"age_seconds"`
	Conversation string    `json:"conversation"`
}

// Queue lists what waits for the national contact unit, oldest first.
// Viewing it is audited: summaries are operational data.
func (s *Service) Queue(ctx context.Context, actor *auth.Principal) ([]QueueItem, error) {
	now := s.d.Clock.Now()
	var out []QueueItem
	outgoing, err := ncuOutgoing(ctx, s.d.Store)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "federation.Queue", "cannot read the queue", err)
	}
	incoming, err := ncuIncoming(ctx, s.d.Store)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "federation.Queue", "cannot read the queue", err)
	}
	for _, it := range append(outgoing, incoming...) {
		it.AgeSeconds = int64(now.Sub(it.CreatedAt).Seconds())
		out = append(out, it)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	if err := s.d.Audit.Record(ctx, actorEntry(actor, "ncu.queue.view", "ncu-queue", fmt.Sprintf("%d items", len(out)))); err != nil {
		return nil, err
	}
	return out, nil
}

// Approve lets an outgoing sensitive message leave the country.
func (s *Service) Approve(ctx context.Context, actor *auth.Principal, id string) error {
	return s.decideOutgoing(ctx, actor, id, OutQueued, "")
}

// Reject stops an outgoing message; the reason is recorded and shown to the author.
func (s *Service) Reject(ctx context.Context, actor *auth.Principal, id, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return errs.New(errs.Invalid, "federation.Reject", "a reason is required to reject a message")
	}
	return s.decideOutgoing(ctx, actor, id, OutRejected, reason)
}

func (s *Service) decideOutgoing(ctx context.Context, actor *auth.Principal, id, state, reason string) error {
	const op = "federation.decide"
	now := store.FormatTime(s.d.Clock.Now())
	action := "ncu.approve"
	if state == OutRejected {
		action = "ncu.reject"
	}
	// The decision and its audit entry commit together.
	err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		decided, err := decideOutbox(ctx, tx, id, state, actor.Username, now, textutil.Ellipsis(reason, 1000))
		if err != nil {
			return errs.Wrap(errs.Unavailable, op, "could not record the decision", err)
		}
		if !decided {
			return errs.New(errs.Conflict, op, "this message is not waiting for a decision (already decided or unknown)")
		}
		return s.d.Audit.Queue(ctx, tx, actorEntry(actor, action, "envelope/"+id, reason))
	})
	if err != nil {
		return err
	}
	wake(s.wakeOut)
	return nil
}

// Route hands an incoming sensitive message to a national agency.
func (s *Service) Route(ctx context.Context, actor *auth.Principal, id, agency string) error {
	return s.RouteAudited(ctx, actor, id, agency)
}

// RouteAudited is Route with the caller's own audit entries of the
// routing, queued in the routing's transaction.
func (s *Service) RouteAudited(ctx context.Context, actor *auth.Principal, id, agency string, also ...audit.Entry) error {
	const op = "federation.Route"
	agency = strings.TrimSpace(agency)
	if agency == "" || len(agency) > 100 {
		return errs.New(errs.Invalid, op, "choose the national agency that should receive the message")
	}
	now := store.FormatTime(s.d.Clock.Now())
	err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		routed, err := routeInbox(ctx, tx, id, agency, actor.Username, now)
		if err != nil {
			return errs.Wrap(errs.Unavailable, op, "could not record the routing", err)
		}
		if !routed {
			return errs.New(errs.Conflict, op, "this message is not waiting for routing (already routed or unknown)")
		}
		return s.d.Audit.Queue(ctx, tx, append([]audit.Entry{actorEntry(actor, "ncu.route", "envelope/"+id, "to "+agency)}, also...)...)
	})
	if err != nil {
		return err
	}
	wake(s.wakeIn)
	return nil
}

// OutboxEntry describes one sent message for its author and the NCU.
type OutboxEntry struct {
	ID          string    `json:"id"`
	Peer        string    `json:"peer"`
	Type        string    `json:"type"`
	State       string    `json:"state"`
	Summary     string    `json:"summary"`
	CreatedAt   time.Time `json:"created_at"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
	Attempts    int       `json:"attempts"`
	LastError   string    `json:"last_error,omitempty"`
	Reason      string    `json:"reason,omitempty"`
}

// Outbox returns one outgoing message's status.
// OutboxFor is Outbox for a user: only the author's agency and national
// contact unit operators may read a message's status, and every read is
// audited. Others are told it does not exist.
func (s *Service) OutboxFor(ctx context.Context, p *auth.Principal, id string) (OutboxEntry, error) {
	const op = "federation.Outbox"
	agency, err := outboxAgency(ctx, s.d.Store, id)
	if err != nil {
		return OutboxEntry{}, store.NotFound(err, op, "no such message")
	}
	if p == nil || (!p.Has(auth.RoleNCUOperator) && (agency == "" || agency != p.Agency)) {
		if p != nil {
			if err := s.d.Audit.Record(ctx, audit.Entry{Actor: p.Username, Agency: p.Agency, Action: "federation.outbox.view", Object: "outbox/" + id, Outcome: audit.Denied, Detail: "other agency"}); err != nil {
				s.d.Logger.Error("audit of a refused outbox read failed", "envelope", id, "err", err)
			}
		}
		return OutboxEntry{}, errs.New(errs.NotFound, op, "no such message")
	}
	e, err := s.Outbox(ctx, id)
	if err != nil {
		return e, err
	}
	if err := s.d.Audit.Record(ctx, audit.Entry{Actor: p.Username, Agency: p.Agency, Action: "federation.outbox.view", Object: "outbox/" + id}); err != nil {
		return OutboxEntry{}, err
	}
	return e, nil
}

// Outbox returns the status of one outgoing message, unchecked (for the
// node itself and tests; users go through OutboxFor).
func (s *Service) Outbox(ctx context.Context, id string) (OutboxEntry, error) {
	e, err := outboxByID(ctx, s.d.Store, id)
	if err != nil {
		return e, store.NotFound(err, "federation.Outbox", "no such message")
	}
	return e, nil
}

// KnownCertificate reports whether a TLS client certificate fingerprint is
// pinned for an active peer; the TLS layer uses it before any HTTP is read.
func (s *Service) KnownCertificate(fp string) bool {
	known, err := certificateKnown(context.Background(), s.d.Store, fp, store.FormatTime(s.d.Clock.Now()))
	return err == nil && known
}

// RetryNow makes every queued message to peer (all peers when empty) due
// immediately, e.g. after an operator learns that a peer is back.
func (s *Service) RetryNow(ctx context.Context, peer string) error {
	if err := rescheduleOutbox(ctx, s.d.Store, peer, store.FormatTime(s.d.Clock.Now())); err != nil {
		return errs.Wrap(errs.Unavailable, "federation.RetryNow", "could not reschedule", err)
	}
	wake(s.wakeOut)
	return nil
}

// WaitingForNCU counts the envelopes waiting for the national contact unit:
// outgoing ones to approve and incoming ones to route. It reads no content,
// so it is not audited (menus show it on every page).
func (s *Service) WaitingForNCU(ctx context.Context) (int, error) {
	out, err := countOutbox(ctx, s.d.Store, OutNCUPending)
	if err != nil {
		return 0, errs.Wrap(errs.Unavailable, "federation.WaitingForNCU", "cannot read the NCU queue", err)
	}
	in, err := countInbox(ctx, s.d.Store, InNCUPending)
	if err != nil {
		return 0, errs.Wrap(errs.Unavailable, "federation.WaitingForNCU", "cannot read the NCU queue", err)
	}
	return out + in, nil
}
