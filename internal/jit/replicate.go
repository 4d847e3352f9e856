package jit

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// Federation message types. None is NCU-gated: the JIT agreement (or the
// agreed coordination of a parallel investigation) is the authorisation,
// and every party's NCU still sees the routing metadata in the outbox.
const (
	TypeEvent    = "jit.event"    // leader → parties: one sequenced change
	TypeSubmit   = "jit.submit"   // member's node → leader: a proposed change
	TypeRejected = "jit.rejected" // leader → member's node: a refused change, with reason
	TypeFile     = "jit.file"     // custodian → receiving party: an evidence file
)

// Submission is a change proposed by a member on another node.
type Submission struct {
	ID        string `json:"id"`
	Workspace string `json:"workspace"`
	Kind      string `json:"kind"`
	Actor     Actor  `json:"actor"`
	Data      change `json:"data"`
}

// FileTransfer carries an evidence file to the party receiving custody.
type FileTransfer struct {
	Workspace string `json:"workspace"`
	Evidence  string `json:"evidence"`
	SHA256    string `json:"sha256"`
	Data      []byte `json:"data"`
}

type rejection struct {
	Workspace string `json:"workspace"`
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	Actor     string `json:"actor"`
	Reason    string `json:"reason"`
}

// Register binds the module's message types; call before the node starts.
func (s *Service) Register(f *federation.Service) {
	f.Register(TypeEvent, federation.TypeSpec{Handle: s.handleEvent})
	f.Register(TypeSubmit, federation.TypeSpec{Handle: s.handleSubmit})
	f.Register(TypeRejected, federation.TypeSpec{Handle: s.handleRejected})
	f.Register(TypeFile, federation.TypeSpec{Handle: s.handleFile})
}

// handleEvent applies one event from the leader. Events arrive in order in
// one conversation per workspace; duplicates are ignored, and a gap fails
// the envelope visibly rather than silently diverging.
func (s *Service) handleEvent(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	var ev TimelineEvent
	if err := json.Unmarshal(in.Payload, &ev); err != nil {
		s.d.Logger.Warn("jit: unreadable event", "from", in.From, "err", err)
		return nil
	}
	var ch change
	if err := json.Unmarshal(ev.Data, &ch); err != nil {
		s.d.Logger.Warn("jit: unreadable event data", "from", in.From, "err", err)
		return nil
	}
	leader, last, err := workspaceLeader(ctx, tx, ev.Workspace)
	switch {
	case isNoRows(err):
		if ev.Seq != 1 || ev.Kind != EvCreate || ch.Workspace == nil || ch.Workspace.LeaderNode != in.From || ch.Workspace.ID != ev.Workspace {
			s.d.Logger.Warn("jit: event for an unknown workspace refused", "from", in.From, "workspace", ev.Workspace, "seq", ev.Seq)
			return nil
		}
		// A node invited later receives the history from the start; the
		// leader sends a workspace only to its parties.
	case err != nil:
		return err
	case leader != in.From:
		s.d.Logger.Warn("jit: event refused: only the leader node orders changes", "from", in.From, "leader", leader, "workspace", ev.Workspace)
		return nil
	case ev.Seq <= last:
		return nil
	case ev.Seq != last+1:
		return errs.Newf(errs.Conflict, "jit.handleEvent", "workspace %s: event %d arrived after %d; waiting for the missing events", ev.Workspace, ev.Seq, last)
	}
	if err := s.apply(ctx, tx, ev, ch); err != nil {
		return err
	}
	if ch.Submission != "" {
		// The leader confirmed a change made here: no longer pending.
		if err := deletePending(ctx, tx, ch.Submission); err != nil {
			return err
		}
	}
	if err := s.queueAudit(ctx, tx, Actor{Node: in.From, Username: ev.Actor.String()}, "jit.replicate", "jit/"+ev.Workspace, "#"+strconv.FormatInt(ev.Seq, 10)+" "+ev.Summary); err != nil {
		return err
	}
	return s.afterApply(ctx, tx, ev, ch)
}

// handleSubmit is the leader receiving a member's change: the member must
// belong to the sending node; the change is checked and ordered like a
// local one, or refused back to the sender with the reason.
func (s *Service) handleSubmit(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	var sub Submission
	if err := json.Unmarshal(in.Payload, &sub); err != nil {
		s.d.Logger.Warn("jit: unreadable submission", "from", in.From, "err", err)
		return nil
	}
	var err error
	switch {
	case sub.Actor.Node != in.From:
		err = forbidden("jit.submit", "a node may only submit changes of its own users")
	case sub.Kind == EvCreate || sub.Kind == EvWarning:
		err = forbidden("jit.submit", "this change is made by the leader node only")
	default:
		sub.Data.Submission = sub.ID
		_, err = s.commit(ctx, tx, sub.Workspace, sub.Actor, sub.Kind, sub.Data)
	}
	if err == nil {
		return nil
	}
	var e *errs.E
	if !errors.As(err, &e) || e.Kind == errs.Unavailable || e.Kind == errs.Internal {
		return err
	}
	reason := errs.SafeMessage(err)
	s.d.Logger.Info("jit: submission refused", "from", in.From, "kind", sub.Kind, "reason", reason)
	if qerr := s.queueAudit(ctx, tx, sub.Actor, "jit."+sub.Kind+".refused", "jit/"+sub.Workspace, reason); qerr != nil {
		return qerr
	}
	_, qerr := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: in.From, Type: TypeRejected, Conversation: "jit/" + sub.Workspace,
		Payload: rejection{Workspace: sub.Workspace, ID: sub.ID, Kind: sub.Kind, Actor: sub.Actor.String(), Reason: reason}, Summary: "jit " + sub.Workspace + " refused " + sub.Kind})
	return qerr
}

func (s *Service) handleRejected(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	var r rejection
	if err := json.Unmarshal(in.Payload, &r); err != nil || r.ID == "" {
		return nil
	}
	if leader, _, err := workspaceLeader(ctx, tx, r.Workspace); err != nil || leader != in.From {
		return nil
	}
	if err := insertRejection(ctx, tx, r.Workspace, Rejection{ID: r.ID, Kind: textutil.Clip(strings.TrimSpace(r.Kind), 40), Actor: textutil.Clip(strings.TrimSpace(r.Actor), 200),
		Reason: textutil.Clip(strings.TrimSpace(r.Reason), 1000), At: s.now()}); err != nil {
		return err
	}
	if err := deletePending(ctx, tx, r.ID); err != nil {
		return err
	}
	return s.queueAudit(ctx, tx, Actor{Node: s.d.Node, Username: SystemUser}, "jit.refused", "jit/"+r.Workspace, r.Actor+" "+r.Kind+": "+r.Reason)
}

// handleFile stores a transferred evidence file, encrypted, in this node's
// transfer area.
func (s *Service) handleFile(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	var f FileTransfer
	if err := json.Unmarshal(in.Payload, &f); err != nil {
		s.d.Logger.Warn("jit: unreadable evidence file", "from", in.From, "err", err)
		return nil
	}
	ps, err := workspaceParties(ctx, tx, f.Workspace)
	if err != nil {
		if isNoRows(err) {
			// Files travel in their own conversation and may overtake the
			// workspace's first event: wait for it rather than drop the file.
			return federation.ErrNotYet
		}
		return err
	}
	if !slices.Contains(ps, in.From) {
		s.d.Logger.Warn("jit: evidence file from a non-party refused", "from", in.From, "workspace", f.Workspace)
		return nil
	}
	if sha(f.Data) != f.SHA256 {
		s.d.Logger.Warn("jit: evidence file does not match its hash; refused", "from", in.From, "evidence", f.Evidence)
		return s.queueAudit(ctx, tx, Actor{Node: in.From, Username: SystemUser}, "jit.evidence.file.refused", "jit/"+f.Workspace+"/evidence/"+f.Evidence, "SHA-256 mismatch")
	}
	regSHA, custodian, err := evidenceRegistered(ctx, tx, f.Workspace, f.Evidence)
	if err != nil && !isNoRows(err) {
		return err
	}
	if err == nil && regSHA != f.SHA256 {
		s.d.Logger.Warn("jit: evidence file does not match the register; refused", "from", in.From, "evidence", f.Evidence)
		return s.queueAudit(ctx, tx, Actor{Node: in.From, Username: SystemUser}, "jit.evidence.file.refused", "jit/"+f.Workspace+"/evidence/"+f.Evidence, "does not match the register")
	}
	if _, aerr := fileArea(ctx, tx, f.Evidence); aerr == nil {
		return nil // already held here
	}
	now := s.now()
	nonce, ct := s.seal(f.Data, f.Evidence)
	if err := insertFile(ctx, tx, f.Workspace, f.Evidence, AreaTransfer, storedFile{nonce: nonce, ct: ct}, now, now.Add(s.cfg.TransferTTL)); err != nil {
		return err
	}
	if err := s.queueAudit(ctx, tx, Actor{Node: in.From, Username: SystemUser}, "jit.evidence.file.receive", "jit/"+f.Workspace+"/evidence/"+f.Evidence, strconv.Itoa(len(f.Data))+" bytes"); err != nil {
		return err
	}
	if err == nil && custodian == s.d.Node {
		// The transfer was applied before the file arrived.
		return s.receipt(ctx, tx, f.Workspace, f.Evidence)
	}
	return nil
}

func isNoRows(err error) bool { return err != nil && errors.Is(err, errSQLNoRows) }
