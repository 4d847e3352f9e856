package federation

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// MaxBatchBytes bounds one delivery request.
const MaxBatchBytes = 32 << 20

// ProblemPrefix matches the web layer's problem types.
const ProblemPrefix = "urn:liaison:problem:"

// InboxHandler receives deliveries from peers. It authenticates by
// signatures (and, over TLS, by the pinned client certificate), not by
// sessions.
func (s *Service) InboxHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			writeProblem(w, http.StatusMethodNotAllowed, "method-not-allowed", "use POST")
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxBatchBytes+1))
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			// A body over the server's limit (chunked bodies are cut by
			// http.MaxBytesReader while they are read).
			writeProblem(w, http.StatusRequestEntityTooLarge, CodeTooLarge, "delivery too large")
			return
		}
		if err != nil {
			writeProblem(w, http.StatusBadRequest, CodeMalformed, "cannot read the request")
			return
		}
		if len(body) > MaxBatchBytes {
			writeProblem(w, http.StatusRequestEntityTooLarge, CodeTooLarge, "delivery too large")
			return
		}
		var certFP string
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			certFP = Fingerprint(r.TLS.PeerCertificates[0].Raw)
		} else if !s.cfg.Insecure {
			writeProblem(w, http.StatusForbidden, CodeCertMismatch, "this node accepts federation traffic only over mutual TLS")
			return
		}
		results, err := s.Receive(r.Context(), r.Header.Get(HeaderNode), r.Header.Get(HeaderSentAt), r.Header.Get(HeaderSignature), certFP, body)
		if err != nil {
			var e *errs.E
			status := http.StatusServiceUnavailable
			code := "unavailable"
			msg := "temporarily unavailable"
			if errors.As(err, &e) {
				code, msg = errs.CodeOf(err), e.Msg
				switch e.Kind {
				case errs.Unauthenticated:
					status = http.StatusUnauthorized
				case errs.Forbidden:
					status = http.StatusForbidden
				case errs.Invalid:
					status = http.StatusBadRequest
				case errs.TooLarge:
					status = http.StatusRequestEntityTooLarge
				}
			}
			if status >= 500 {
				s.d.Logger.Error("inbox failed", "err", err)
			}
			writeProblem(w, status, code, msg)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(batchResponse{Results: results}); err != nil {
			s.d.Logger.Warn("could not send the delivery results", "peer", r.Header.Get(HeaderNode), "err", err)
		}
	})
}

func writeProblem(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": ProblemPrefix + code, "title": http.StatusText(status), "status": status, "detail": detail})
}

// Receive authenticates one delivery and stores its envelopes. Errors
// refuse the whole delivery; per-envelope refusals come back as results.
func (s *Service) Receive(ctx context.Context, from, sentAt, sig, certFP string, body []byte) ([]Result, error) {
	now := s.d.Clock.Now()
	peer, err := s.Peer(ctx, from)
	if errs.Is(err, errs.NotFound) || from == "" {
		s.auditRejection(ctx, from, "", CodeUnknownSender)
		return nil, reject(errs.Unauthenticated, CodeUnknownSender, "sender "+quote(from)+" is not a peer of this node")
	}
	if err != nil {
		return nil, err
	}
	if peer.Suspended {
		s.auditRejection(ctx, from, "", CodeSuspended)
		return nil, reject(errs.Forbidden, CodeSuspended, "exchange with "+from+" is suspended")
	}
	if certFP != "" && !s.certPinned(peer, certFP) {
		s.auditRejection(ctx, from, "", CodeCertMismatch)
		return nil, reject(errs.Unauthenticated, CodeCertMismatch, "the TLS client certificate is not the one pinned for "+from)
	}
	keys := s.trustedKeys(peer)
	if len(keys) == 0 {
		return nil, reject(errs.Unauthenticated, CodeBadSignature, "no valid public key is configured for "+from)
	}
	if !verifyAny(keys, deliveryText(from, s.d.Node.ID, sentAt, body), sig) {
		s.auditRejection(ctx, from, "", CodeBadSignature)
		return nil, reject(errs.Unauthenticated, CodeBadSignature, "the delivery signature does not verify with the key of "+from)
	}
	sent, err := time.Parse(time.RFC3339Nano, sentAt)
	if err != nil || absDur(now.Sub(sent)) > s.cfg.MaxSkew {
		s.auditRejection(ctx, from, "", CodeClockSkew)
		return nil, reject(errs.Unauthenticated, CodeClockSkew, "the delivery time differs from this node's clock by more than "+s.cfg.MaxSkew.String()+"; check both clocks (NTP), or the request is a replay")
	}
	var b batch
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, reject(errs.Invalid, CodeMalformed, "the delivery is not a valid batch of envelopes")
	}
	results := make([]Result, 0, len(b.Envelopes))
	var entries []audit.Entry
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		for _, raw := range b.Envelopes {
			r, entry, err := s.receiveOne(ctx, tx, peer, &keys, raw, now)
			if err != nil {
				return err
			}
			results = append(results, r)
			entries = append(entries, entry)
		}
		// Receipts are audited in the transaction that stores them.
		return s.d.Audit.Queue(ctx, tx, entries...)
	})
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "federation.Receive", "could not store the delivery", err)
	}
	if err := touchPeer(ctx, s.d.Store, from, store.FormatTime(now)); err != nil {
		s.d.Logger.Warn("could not record the peer's last contact", "peer", from, "err", err)
	}
	s.metrics.received.WithLabelValues(from).Add(float64(len(results)))
	wake(s.wakeIn)
	return results, nil
}

func quote(s string) string { return "\"" + s + "\"" }

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func (s *Service) auditRejection(ctx context.Context, from, id, code string) {
	if err := s.d.Audit.Record(ctx, audit.Entry{Actor: "peer:" + from, Action: "federation.receive", Object: "envelope/" + id, Outcome: audit.Denied, Detail: code}); err != nil {
		s.d.Logger.Error("audit of a refused delivery failed", "peer", from, "code", code, "err", err)
	}
	s.metrics.rejected.WithLabelValues(code).Inc()
}

// receiveOne checks and stores one envelope. Returned errors are database
// failures; refusals are results.
func (s *Service) receiveOne(ctx context.Context, tx *store.Tx, peer Peer, keys *[]ed25519.PublicKey, raw json.RawMessage, now time.Time) (Result, audit.Entry, error) {
	var env Envelope
	refuse := func(code, detail string) (Result, audit.Entry, error) {
		s.metrics.rejected.WithLabelValues(code).Inc()
		return Result{ID: env.ID, Status: "rejected", Code: code, Detail: detail},
			audit.Entry{Actor: "peer:" + peer.ID, Action: "federation.receive", Object: "envelope/" + env.ID, Outcome: audit.Denied, Detail: code + ": " + detail}, nil
	}
	if err := json.Unmarshal(raw, &env); err != nil || env.ID == "" {
		return refuse(CodeMalformed, "not a valid envelope")
	}
	if len(env.Payload) > MaxPayloadBytes {
		return refuse(CodeTooLarge, "payload too large")
	}
	if env.From != peer.ID {
		return refuse(CodeBadSignature, "envelope sender "+quote(env.From)+" does not match the delivering node")
	}
	if env.To != s.d.Node.ID {
		return refuse(CodeWrongNode, "envelope is addressed to "+quote(env.To))
	}
	signer := signerOf(&env, *keys)
	if signer == nil {
		return refuse(CodeBadSignature, "envelope signature does not verify with the key of "+peer.ID)
	}
	if env.CreatedAt.Sub(now) > s.cfg.MaxSkew {
		return refuse(CodeClockSkew, "envelope is dated in the future")
	}
	spec, ok := s.spec(env.Type)
	if !ok {
		return refuse(CodeUnknownType, "this node does not handle messages of type "+quote(env.Type))
	}
	stored, err := inboxEnvelope(ctx, tx, env.ID)
	if err == nil {
		var prev Envelope
		if json.Unmarshal([]byte(stored), &prev) == nil && prev.Digest() == env.Digest() {
			return Result{ID: env.ID, Status: "duplicate"}, audit.Entry{Actor: "peer:" + peer.ID, Action: "federation.receive", Object: "envelope/" + env.ID, Detail: "duplicate delivery acknowledged"}, nil
		}
		return refuse(CodeReplay, "an envelope with this id was already received with different content")
	}
	if err != nil && !isNoRows(err) {
		return Result{}, audit.Entry{}, err
	}
	if env.Type == TypeCertRenew {
		why, err := s.applyCertChange(ctx, tx, peer, &env, now)
		if err != nil {
			return Result{}, audit.Entry{}, err
		}
		if why != "" {
			return refuse(CodeBadKeyChange, why)
		}
	}
	if env.Type == TypeKeyRotate || env.Type == TypeKeyRevoke {
		next, why, err := s.applyKeyChange(ctx, tx, peer, &env, signer, now)
		if err != nil {
			return Result{}, audit.Entry{}, err
		}
		if why != "" {
			return refuse(CodeBadKeyChange, why)
		}
		*keys = next
	}
	state := InReceived
	if spec.Sensitive || spec.NotifyNCU {
		state = InNCUPending
	}
	canon, _ := json.Marshal(env)
	if err := insertInbox(ctx, tx, inboxRecord{id: env.ID, peer: peer.ID, typ: env.Type, conversation: env.Conversation, seq: env.Seq,
		createdAt: store.FormatTime(env.CreatedAt), receivedAt: store.FormatTime(now), envelope: string(canon), state: state, summary: summarise(env)}); err != nil {
		return Result{}, audit.Entry{}, err
	}
	return Result{ID: env.ID, Status: "accepted"}, audit.Entry{Actor: "peer:" + peer.ID, Action: "federation.receive", Object: "envelope/" + env.ID, Detail: env.Type}, nil
}

// summarise gives the NCU routing metadata: a payload may offer a "summary".
func summarise(env Envelope) string {
	var s struct {
		Summary string `json:"summary"`
	}
	_ = json.Unmarshal(env.Payload, &s)
	return textutil.Ellipsis(s.Summary, 500)
}

func (s *Service) runInbox(ctx context.Context) {
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		if _, err := s.DispatchOnce(ctx); err != nil && ctx.Err() == nil {
			s.d.Logger.Warn("inbox dispatch failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wakeIn:
		}
	}
}

// DispatchOnce hands every received envelope to its handler, in arrival
// order, each in the transaction that marks it handled.
func (s *Service) DispatchOnce(ctx context.Context) (int, error) {
	handled := 0
	for {
		items, err := receivedInbox(ctx, s.d.Store)
		if err != nil {
			return handled, err
		}
		if len(items) == 0 {
			return handled, nil
		}
		progressed := false
		// Handle the batch in one transaction; if any handler fails, redo
		// the batch one message per transaction so only the failing one is
		// set aside.
		n, err := s.dispatchBatch(ctx, items, false)
		if err != nil {
			n, _ = s.dispatchBatch(ctx, items, true)
		}
		if n > 0 {
			handled += n
			progressed = true
		}
		if !progressed {
			return handled, nil
		}
	}
}

type inboxItem struct{ id, envelope, routed, receivedAt string }

// ErrNotYet is returned by a handler when an envelope refers to something
// that another conversation has not delivered yet (an evidence file before
// the workspace it belongs to, a status notice before the request). The
// envelope stays in the inbox and is handled again on the next pass, until
// NotYetLimit after its arrival, when it is set aside as failed.
var ErrNotYet = errors.New("depends on a message not received yet")

// NotYetLimit is how long an envelope may wait for what it depends on.
const NotYetLimit = 7 * 24 * time.Hour

// dispatchBatch runs the handlers of items, all in one transaction or, when
// one is true, each in its own (marking failures).
func (s *Service) dispatchBatch(ctx context.Context, items []inboxItem, one bool) (int, error) {
	handle := func(tx *store.Tx, it inboxItem) (Envelope, error) {
		var env Envelope
		if err := json.Unmarshal([]byte(it.envelope), &env); err != nil {
			return env, err
		}
		if spec, ok := s.spec(env.Type); ok && spec.Handle != nil {
			if err := spec.Handle(ctx, tx, Incoming{Envelope: env, RoutedTo: it.routed}); err != nil {
				return env, err
			}
		}
		if err := markInboxHandled(ctx, tx, it.id, store.FormatTime(s.d.Clock.Now())); err != nil {
			return env, err
		}
		// Whatever a module does with a received envelope is audited in the
		// transaction that applies it, whichever module it is.
		return env, s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: "peer:" + env.From, Agency: it.routed, Action: "federation.apply", Object: "envelope/" + env.ID, Detail: env.Type})
	}
	done := func(envs []Envelope) {
		now := s.d.Clock.Now()
		for _, env := range envs {
			s.metrics.handled.WithLabelValues(env.From).Inc()
			s.metrics.latency.Observe(now.Sub(env.CreatedAt).Seconds())
		}
	}
	if !one {
		var envs []Envelope
		err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
			for _, it := range items {
				env, err := handle(tx, it)
				if err != nil {
					return err
				}
				envs = append(envs, env)
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
		done(envs)
		return len(envs), nil
	}
	handled := 0
	waiting := map[string]bool{} // conversations held up by an ErrNotYet
	for _, it := range items {
		var env Envelope
		if err := json.Unmarshal([]byte(it.envelope), &env); err == nil && env.Conversation != "" && waiting[env.From+"/"+env.Conversation] {
			continue // keep the conversation's order
		}
		herr := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
			var err error
			env, err = handle(tx, it)
			return err
		})
		if errors.Is(herr, ErrNotYet) && s.d.Clock.Now().Sub(store.ParseTime(it.receivedAt)) < NotYetLimit {
			// Left as received: handled again on the next pass.
			waiting[env.From+"/"+env.Conversation] = true
			if err := setInboxError(ctx, s.d.Store, it.id, textutil.Ellipsis(herr.Error(), 500)); err != nil {
				s.d.Logger.Error("could not record why an envelope waits", "envelope", it.id, "err", err)
			}
			continue
		}
		if herr != nil {
			s.d.Logger.Error("handler failed", "type", env.Type, "envelope", it.id, "err", herr)
			if err := failInbox(ctx, s.d.Store, it.id, textutil.Ellipsis(herr.Error(), 500)); err != nil {
				s.d.Logger.Error("could not set a failed envelope aside", "envelope", it.id, "err", err)
			}
			if err := s.d.Audit.Record(ctx, audit.Entry{Actor: "federation", Action: "federation.handle", Object: "envelope/" + it.id, Outcome: audit.Failed, Detail: errs.SafeMessage(herr)}); err != nil {
				s.d.Logger.Error("audit of a failed envelope failed", "envelope", it.id, "err", err)
			}
			continue
		}
		handled++
		done([]Envelope{env})
	}
	return handled, nil
}
