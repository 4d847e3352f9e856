// Package witness lets peers witness each other's audit logs, so that a log
// rewritten or cut back by whoever controls a node's database is caught even
// when its checkpoints were changed too.
//
// Every node periodically sends the signed checkpoint of its audit log's
// latest size to each peer, with an RFC 6962 consistency proof from the
// checkpoint that peer last held. The peer (the witness) keeps the newest
// checkpoint it has seen of each log only when the proof holds, cosigns it
// (C2SP tlog-cosignature) and sends the cosignature back; a checkpoint that
// is older than, or not an extension of, the one held is refused and kept as
// an alarm on the witness. `liaison audit verify --witnesses` and the
// auditor's witness page ask each peer, live, for the checkpoint of this
// node's log it holds and check the local log against it.
//
// The exchange is modelled on C2SP tlog-witness (checkpoint plus
// consistency proof in, timestamped cosignature out), carried as ordinary
// signed federation envelopes so that it survives outages like any message.
package witness

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/identity"
	"github.com/liaison-wb/liaison/internal/store"
)

// Federation message types and the live call.
const (
	TypeCheckpoint  = "audit.checkpoint"  // log → witness
	TypeCosignature = "audit.cosignature" // witness → log
	CallHeld        = "audit-witness"     // "which checkpoint of my log do you hold?"

	conversation = "audit-witness"
)

// Answers a witness gives to a checkpoint.
const (
	StatusCosigned = "cosigned" // accepted and cosigned
	StatusStale    = "stale"    // the proof started from another size than the one held; resend
	StatusRefused  = "refused"  // not consistent with what the witness holds: an alarm
)

// checkpointMsg is what a log sends its witnesses.
type checkpointMsg struct {
	Note     string   `json:"note"`      // signed checkpoint (C2SP tlog-checkpoint)
	FromSize int64    `json:"from_size"` // size the proof starts from: what the log believes the witness holds
	Proof    [][]byte `json:"proof"`     // RFC 6962 consistency proof from FromSize to the checkpoint
}

// cosignatureMsg is a witness's answer.
type cosignatureMsg struct {
	Status string `json:"status"`
	Size   int64  `json:"size"`   // size the witness holds now
	Note   string `json:"note"`   // the checkpoint it holds, with its cosignature
	Detail string `json:"detail"` // why, for stale and refused
}

// heldAnswer answers CallHeld.
type heldAnswer struct {
	Note string `json:"note"` // empty when the witness holds nothing of the caller's log
}

// Deps are the service's collaborators.
type Deps struct {
	Store  *store.Store
	Audit  *audit.Log // nil in read-only uses (the command line)
	Fed    *federation.Service
	Node   *identity.Node
	Clock  clock.Clock
	Logger *slog.Logger
}

// Service is one node's side of mutual witnessing: log and witness.
type Service struct {
	d        Deps
	cosigner note.Signer
}

// New builds the service.
func New(d Deps) (*Service, error) {
	c, err := audit.Cosigner(d.Node.ID, d.Node.Key)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, "witness.New", "cannot use the node key for cosignatures", err)
	}
	return &Service{d: d, cosigner: c}, nil
}

// Register binds the message types. Checkpoints carry no personal data, so
// they do not wait for the national contact unit.
func (s *Service) Register(f *federation.Service) {
	f.Register(TypeCheckpoint, federation.TypeSpec{Handle: s.handleCheckpoint})
	f.Register(TypeCosignature, federation.TypeSpec{Handle: s.handleCosignature})
}

// CallHandler answers peers asking which checkpoint of their log this node holds.
func (s *Service) CallHandler() http.Handler { return s.d.Fed.ServeCall(CallHeld, s.answerHeld) }

// peerKey is a peer's node key as configured here.
func (s *Service) peerKey(ctx context.Context, id string) (ed25519.PublicKey, error) {
	p, err := s.d.Fed.Peer(ctx, id)
	if err != nil {
		return nil, err
	}
	return identity.DecodePublic(p.PublicKey)
}

// Run publishes the log's checkpoint to every peer each interval, the
// first time soon after start so that a new federation is witnessed early.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTimer(min(interval, time.Minute))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.Publish(ctx); err != nil && ctx.Err() == nil {
			s.d.Logger.Warn("audit checkpoint not published to witnesses", "err", err)
		}
		t.Reset(interval)
	}
}

// Publish sends the signed checkpoint of the log's latest size to every
// active peer, each with a consistency proof from the checkpoint it holds,
// and returns the size sent.
func (s *Service) Publish(ctx context.Context) (int64, error) {
	const op = "witness.Publish"
	peers, err := s.d.Fed.Peers(ctx)
	if err != nil {
		return 0, err
	}
	head, err := audit.Head(ctx, s.d.Store)
	if err != nil {
		return 0, err
	}
	var sent []string
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		for _, p := range peers {
			if p.Suspended {
				continue
			}
			held, err := heldSize(ctx, tx, p.ID)
			if err != nil {
				return err
			}
			msg := checkpointMsg{Note: head.Note, FromSize: held}
			if held > 0 && held < head.Size {
				if msg.Proof, err = s.d.Audit.ProveConsistency(ctx, held, head.Size); err != nil {
					return err
				}
			}
			if _, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: p.ID, Type: TypeCheckpoint, Conversation: conversation, Payload: msg,
				Summary: fmt.Sprintf("audit checkpoint: %d entries", head.Size)}); err != nil {
				return err
			}
			sent = append(sent, p.ID)
		}
		return nil
	})
	if err != nil {
		return 0, errs.Wrap(errs.KindOf(err), op, "cannot queue the checkpoint for witnesses", err)
	}
	if len(sent) == 0 {
		return head.Size, nil
	}
	s.d.Fed.Notify()
	return head.Size, s.d.Audit.Record(ctx, audit.Entry{Actor: "system", Action: "audit.witness.publish", Object: "audit",
		Detail: fmt.Sprintf("checkpoint of %d entries sent to %v", head.Size, sent)})
}

// handleCheckpoint is the witness's side: keep, cosign and answer, or refuse
// and raise an alarm. Refusals are answers, not errors, so one peer's bad
// checkpoint never holds up its later messages.
func (s *Service) handleCheckpoint(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	var msg checkpointMsg
	if err := json.Unmarshal(in.Payload, &msg); err != nil {
		return s.answer(ctx, tx, in.From, cosignatureMsg{Status: StatusRefused, Detail: "unreadable checkpoint message"})
	}
	pub, err := s.peerKey(ctx, in.From)
	if err != nil {
		return err
	}
	logV, err := audit.NoteVerifier(in.From, pub)
	if err != nil {
		return err
	}
	size, root, _, err := audit.OpenCheckpointNote(msg.Note, in.From, pub)
	if err != nil {
		return s.refuse(ctx, tx, in.From, heldCheckpoint{}, size, msg.Note, "the checkpoint is not signed by the peer's key")
	}
	origin := audit.Origin(in.From)
	held, ok, err := witnessed(ctx, tx, origin)
	if err != nil {
		return err
	}
	switch {
	case !ok:
		// First checkpoint seen of this log: trusted on first use.
	case size < held.size:
		return s.refuse(ctx, tx, in.From, held, size, msg.Note,
			fmt.Sprintf("the log went back from %d to %d entries: entries were removed", held.size, size))
	case size == held.size:
		if string(root) != string(held.root) {
			return s.refuse(ctx, tx, in.From, held, size, msg.Note,
				fmt.Sprintf("a different log of the same size (%d entries): entries were rewritten", size))
		}
	case msg.FromSize != held.size:
		return s.answer(ctx, tx, in.From, cosignatureMsg{Status: StatusStale, Size: held.size, Note: held.note,
			Detail: fmt.Sprintf("this witness holds %d entries; send a proof from there", held.size)})
	default:
		if err := audit.VerifyConsistency(held.size, size, held.root, root, msg.Proof); err != nil {
			return s.refuse(ctx, tx, in.From, held, size, msg.Note,
				fmt.Sprintf("the checkpoint of %d entries does not extend the one of %d held here: entries were altered", size, held.size))
		}
	}
	cosigned, err := audit.Cosign(msg.Note, logV, s.cosigner)
	if err != nil {
		return err
	}
	if err := saveWitnessed(ctx, tx, origin, in.From, size, root, cosigned, s.d.Clock.Now()); err != nil {
		return err
	}
	return s.answer(ctx, tx, in.From, cosignatureMsg{Status: StatusCosigned, Size: size, Note: cosigned})
}

// refuse records an alarm and tells the log.
func (s *Service) refuse(ctx context.Context, tx *store.Tx, peer string, held heldCheckpoint, size int64, newNote, reason string) error {
	s.d.Logger.Error("audit witness alarm: a peer's audit log is not consistent with the checkpoint held", "peer", peer, "held", held.size, "received", size, "reason", reason)
	if err := insertAlarm(ctx, tx, peer, held, size, newNote, reason, s.d.Clock.Now()); err != nil {
		return err
	}
	return s.answer(ctx, tx, peer, cosignatureMsg{Status: StatusRefused, Size: held.size, Note: held.note, Detail: reason})
}

func (s *Service) answer(ctx context.Context, tx *store.Tx, peer string, msg cosignatureMsg) error {
	if _, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: peer, Type: TypeCosignature, Conversation: conversation, Payload: msg,
		Summary: "audit cosignature: " + msg.Status}); err != nil {
		return err
	}
	defer s.d.Fed.Notify()
	return nil
}

// handleCosignature is the log's side: remember what each witness holds.
func (s *Service) handleCosignature(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	var msg cosignatureMsg
	if err := json.Unmarshal(in.Payload, &msg); err != nil {
		s.d.Logger.Warn("unreadable audit cosignature", "peer", in.From, "err", err)
		return nil
	}
	if msg.Status == StatusCosigned || msg.Note != "" {
		pub, err := s.peerKey(ctx, in.From)
		if err != nil {
			return err
		}
		cv, err := audit.CosignatureVerifier(in.From, pub)
		if err != nil {
			return err
		}
		size, _, n, err := audit.OpenCheckpointNote(msg.Note, s.d.Node.ID, s.d.Node.Public(), cv)
		if err != nil || size != msg.Size || !audit.HasSignatureOf(n, cv) {
			s.d.Logger.Warn("audit cosignature does not verify", "peer", in.From, "err", err)
			return nil
		}
	}
	if msg.Status == StatusRefused {
		s.d.Logger.Error("a witness refused this node's audit checkpoint", "witness", in.From, "detail", msg.Detail)
	}
	return saveCosignature(ctx, tx, in.From, msg, s.d.Clock.Now())
}

// answerHeld tells a peer which checkpoint of its log this node holds.
func (s *Service) answerHeld(ctx context.Context, peer string, _ []byte) (any, error) {
	h, _, err := witnessed(ctx, s.d.Store, audit.Origin(peer))
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "witness.answerHeld", "cannot read witnessed checkpoints", err)
	}
	return heldAnswer{Note: h.note}, nil
}

// Held is what one peer answered to "which checkpoint of my log do you hold?".
type Held struct {
	Peer      string
	Witnessed *audit.Witnessed // nil when the peer holds nothing yet or could not be asked
	Error     string           // why the peer could not be asked or its answer was refused
}

// AskWitnesses asks every active peer, live, for the checkpoint of this
// node's log it holds. Only checkpoints signed by this node's key and
// cosigned by the peer's key count.
func (s *Service) AskWitnesses(ctx context.Context) ([]Held, error) {
	peers, err := s.d.Fed.Peers(ctx)
	if err != nil {
		return nil, err
	}
	var out []Held
	for _, p := range peers {
		if p.Suspended {
			continue
		}
		h := Held{Peer: p.ID}
		var ans heldAnswer
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		err := s.d.Fed.Call(cctx, p.ID, CallHeld, struct{}{}, &ans)
		cancel()
		switch {
		case err != nil:
			h.Error = errs.SafeMessage(err)
		case ans.Note == "":
			h.Error = "holds no checkpoint of this node's log yet"
		default:
			h.Witnessed, h.Error = s.openHeld(p, ans.Note)
		}
		out = append(out, h)
	}
	return out, nil
}

func (s *Service) openHeld(p federation.Peer, text string) (*audit.Witnessed, string) {
	pub, err := identity.DecodePublic(p.PublicKey)
	if err != nil {
		return nil, "no valid key is configured for this peer"
	}
	cv, err := audit.CosignatureVerifier(p.ID, pub)
	if err != nil {
		return nil, "no valid key is configured for this peer"
	}
	// A witness may still hold a checkpoint signed before a key rotation.
	size, root, n, err := audit.OpenCheckpointNote(text, s.d.Node.ID, s.d.Node.Public(), cv)
	for _, prev := range s.d.Node.PreviousPublic() {
		if err == nil {
			break
		}
		size, root, n, err = audit.OpenCheckpointNote(text, s.d.Node.ID, prev, cv)
	}
	if err != nil || !audit.HasSignatureOf(n, cv) {
		return nil, "its answer is not a checkpoint signed by this node and cosigned by the peer"
	}
	w := &audit.Witnessed{Witness: p.ID, Size: size, Root: root}
	for _, sig := range n.Sigs {
		if sig.Name == cv.Name() && sig.Hash == cv.KeyHash() {
			if at, err := fnote.CoSigV1Timestamp(sig); err == nil {
				w.At = at.UTC()
			}
		}
	}
	return w, ""
}

// Cosignature is the latest answer a witness sent for this node's log.
type Cosignature struct {
	Witness    string    `json:"witness"`
	Size       int64     `json:"tree_size"`
	Status     string    `json:"status"`
	Detail     string    `json:"detail,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
}

// WitnessedLog is a peer's log whose checkpoint this node holds.
type WitnessedLog struct {
	Peer       string    `json:"peer"`
	Size       int64     `json:"tree_size"`
	ReceivedAt time.Time `json:"received_at"`
}

// Alarm is a peer checkpoint this node refused as witness.
type Alarm struct {
	Peer     string    `json:"peer"`
	HeldSize int64     `json:"held_size"`
	NewSize  int64     `json:"new_size"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
}

// Status is the witnessing state of this node, both sides.
type Status struct {
	Cosignatures []Cosignature  `json:"cosignatures"`
	Witnessed    []WitnessedLog `json:"witnessed"`
	Alarms       []Alarm        `json:"alarms"`
}

// Status reads what witnesses answered, which logs this node witnesses and
// the latest alarms.
func (s *Service) Status(ctx context.Context) (Status, error) {
	const op = "witness.Status"
	var st Status
	fail := func(err error) (Status, error) {
		return Status{}, errs.Wrap(errs.Unavailable, op, "cannot read the witness state", err)
	}
	var err error
	if st.Cosignatures, err = cosignatures(ctx, s.d.Store); err != nil {
		return fail(err)
	}
	if st.Witnessed, err = witnessedLogs(ctx, s.d.Store); err != nil {
		return fail(err)
	}
	if st.Alarms, err = latestAlarms(ctx, s.d.Store); err != nil {
		return fail(err)
	}
	return st, nil
}

// Verify checks the whole local log and, against it, the checkpoints that
// the peers hold as witnesses (asked live).
func (s *Service) Verify(ctx context.Context, progress func(int64)) (audit.Report, []Held, error) {
	held, err := s.AskWitnesses(ctx)
	if err != nil {
		return audit.Report{}, nil, err
	}
	opt := audit.VerifyOptions{Pinned: s.d.Node.Public(), Previous: s.d.Node.PreviousPublic(), NodeID: s.d.Node.ID, Progress: progress}
	for _, h := range held {
		if h.Witnessed != nil {
			opt.Witnessed = append(opt.Witnessed, *h.Witnessed)
		}
	}
	rep, err := audit.Verify(ctx, s.d.Store, opt)
	return rep, held, err
}
