package exchange

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
)

// ack is the payload of exchange.ack.
type ack struct {
	Summary string    `json:"summary"`
	Thread  string    `json:"thread"`
	Message string    `json:"message"`
	Kind    string    `json:"kind"` // delivered | read
	At      time.Time `json:"at"`
}

// ParseWire decodes and validates the payload of an exchange.message
// envelope received from node from. It never trusts the sender's
// attachment hashes or labels: they are recomputed.
func (s *Service) ParseWire(from string, raw []byte) (wire, error) {
	const op = "exchange.receive"
	var w wire
	if err := json.Unmarshal(raw, &w); err != nil {
		return w, errs.Wrap(errs.Invalid, op, "malformed exchange message", err)
	}
	t, m := &w.Thread, &w.Message
	if t.ID == "" || len(t.ID) > 64 || m.ID == "" || len(m.ID) > 64 {
		return w, errs.New(errs.Invalid, op, "exchange message without thread or message ID")
	}
	if t.Subject == "" || len(t.Subject) > 1000 || len(t.CrimeArea) > 400 || len(t.CaseRefs) > 50 || len(t.Parties) > 50 {
		return w, errs.New(errs.Invalid, op, "exchange message with an invalid thread header")
	}
	if t.Priority != PriorityUrgent && t.Priority != PriorityNormal {
		return w, errs.New(errs.Invalid, op, "exchange message with an unknown priority")
	}
	switch m.Kind {
	case KindRequest, KindAnswer, KindFollowUp, KindRefusal, KindDelay, KindForward, KindInformation:
	default:
		return w, errs.New(errs.Invalid, op, "exchange message of an unknown kind")
	}
	if len(m.Body) > 200000 || len(m.Reason) > 4000 || len(m.Permission) > 2000 || len(m.Author) > 200 || len(m.Agency) > 200 {
		return w, errs.New(errs.Invalid, op, "exchange message fields exceed their limits")
	}
	if err := m.Markings.normalise(op); err != nil {
		return w, err
	}
	es, err := normaliseEntities(op, m.Entities)
	if err != nil {
		return w, err
	}
	m.Entities = es
	if len(m.Attachments) > s.cfg.MaxAttachments {
		return w, errs.New(errs.Invalid, op, "too many attachments")
	}
	for i, a := range m.Attachments {
		chk, err := s.CheckAttachment(op, AttachmentUpload{Name: a.Name, Data: a.Data})
		if err != nil {
			return w, err
		}
		if a.SHA256 != "" && a.SHA256 != chk.SHA256 {
			return w, errs.New(errs.Invalid, op, "attachment hash does not match its content")
		}
		if a.ID != "" && len(a.ID) <= 64 {
			chk.ID = a.ID
		}
		m.Attachments[i] = chk
	}
	m.Node, m.ThreadID, m.MarkingLabel = from, t.ID, m.Markings.Label()
	t.Parties, t.CaseRefs, m.Recipients = nonNil(t.Parties), nonNil(t.CaseRefs), nonNil(m.Recipients)
	if !slices.Contains(t.Parties, from) {
		t.Parties = append(t.Parties, from)
	}
	return w, nil
}

// handleMessage stores a received message in this node's copy of its
// thread, acknowledges delivery and notifies the owning agency.
func (s *Service) handleMessage(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	const op = "exchange.receive"
	w, err := s.ParseWire(in.From, in.Payload)
	if err != nil {
		return err
	}
	if w.Thread.ID != in.Conversation {
		return errs.New(errs.Invalid, op, "exchange message outside its thread's conversation")
	}
	now := s.d.Clock.Now()
	t, err := s.threadByID(ctx, tx, w.Thread.ID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if in.RoutedTo == "" {
			return errs.New(errs.Invalid, op, "exchange message was not routed to an agency")
		}
		wt := w.Thread
		parties := wt.Parties
		if !slices.Contains(parties, s.d.NodeID) {
			parties = append(parties, s.d.NodeID)
		}
		t = Thread{ID: wt.ID, Subject: wt.Subject, CrimeArea: wt.CrimeArea, Priority: wt.Priority, DatabaseInfo: wt.DatabaseInfo, CaseRefs: wt.CaseRefs,
			Parties: parties, OriginNode: wt.OriginNode, OriginAgency: wt.OriginAgency, Agency: in.RoutedTo, Status: StatusOpen,
			CreatedBy: w.Message.Author, CreatedAt: now, UpdatedAt: now, DeadlineAt: wt.DeadlineAt, ReviewAt: now.Add(s.cfg.Retention)}
		if w.Message.Kind != KindRequest && w.Message.Kind != KindForward {
			t.DeadlineAt = time.Time{}
		}
		if err := insertThread(ctx, tx, t); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		// Only nodes that take part in the thread, or to which this node
		// forwarded a message of it, may add to it.
		if !slices.Contains(t.Parties, in.From) {
			n, err := countDeliveriesTo(ctx, tx, t.ID, in.From)
			if err != nil {
				return err
			}
			if n == 0 {
				return &errs.E{Kind: errs.Forbidden, Op: op, Code: "not-a-participant", Msg: in.From + " is not a participant of thread " + t.ID}
			}
		}
	}
	m := w.Message
	m.ReceivedAt = now
	if err := s.insertMessage(ctx, tx, t, m); err != nil {
		return err
	}
	if err := s.applyKind(ctx, tx, t.ID, m.Kind, w.NewDeadline, now); err != nil {
		return err
	}
	if err := insertDelivery(ctx, tx, m.ID, t.ID, s.d.NodeID, in.ID, now); err != nil {
		return err
	}
	if _, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: in.From, Type: TypeAck, Conversation: t.ID + "/ack",
		Payload: ack{Summary: "delivery acknowledgement", Thread: t.ID, Message: m.ID, Kind: "delivered", At: now}, Summary: "delivery acknowledgement"}); err != nil {
		return err
	}
	tx.AfterCommit(s.d.Fed.Notify)
	text := "New " + m.Kind + " from " + in.From
	if m.Kind == KindRequest && t.Priority == PriorityUrgent {
		text = "New URGENT request from " + in.From
	}
	if err := s.notify(ctx, tx, t.Agency, "", t.ID, "message", text); err != nil {
		return err
	}
	// Received messages are audited in the transaction that stores them.
	return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: in.From + ":" + m.Author, Agency: m.Agency, Action: "exchange.message.receive", Object: "thread/" + t.ID,
		Detail: m.Kind + " " + m.ID + " from " + in.From + " for " + t.Agency + "; " + m.Markings.auditLabel()})
}

// handleAck records a delivery or read acknowledgement from a recipient node.
func (s *Service) handleAck(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	var a ack
	if err := json.Unmarshal(in.Payload, &a); err != nil || a.Message == "" {
		return errs.New(errs.Invalid, "exchange.ack", "malformed acknowledgement")
	}
	if a.Kind != "delivered" && a.Kind != "read" {
		return errs.New(errs.Invalid, "exchange.ack", "unknown acknowledgement kind")
	}
	at := a.At
	if at.IsZero() || at.After(s.d.Clock.Now().Add(5*time.Minute)) {
		at = s.d.Clock.Now()
	}
	// An acknowledgement for a thread deleted by retention finds nothing: fine.
	if a.Kind == "delivered" {
		return markDelivered(ctx, tx, a.Message, in.From, at)
	}
	if _, err := setReadAt(ctx, tx, a.Message, in.From, at); err != nil {
		return err
	}
	return markDelivered(ctx, tx, a.Message, in.From, at)
}

// systemPrincipal acts for automatic routing.
func (s *Service) systemPrincipal() *auth.Principal {
	return &auth.Principal{Username: "system:exchange", Agency: s.d.NodeID, Roles: []auth.Role{auth.RoleNCUOperator}}
}

// AutoRoute routes later messages of threads already routed on this node
// to the agency that holds the thread, so a conversation stays with the
// agency the NCU chose for its first message. Each routing is audited as
// done by "system:exchange". It returns how many messages it routed.
func (s *Service) AutoRoute(ctx context.Context) (int, error) {
	if s.d.Fed == nil {
		return 0, nil
	}
	total := 0
	for {
		n, more, err := s.autoRouteBatch(ctx)
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

func (s *Service) autoRouteBatch(ctx context.Context) (int, bool, error) {
	items, err := routableMessages(ctx, s.d.Store, 500)
	if err != nil {
		return 0, false, err
	}
	n := 0
	for _, it := range items {
		// The routing and its audit entry commit together.
		e := audit.Entry{Actor: "system:exchange", Agency: s.d.NodeID, Action: "exchange.autoroute", Object: "thread/" + it.thread,
			Detail: "envelope " + it.id + " from " + it.peer + " routed to " + it.agency + ", the agency holding the thread"}
		if err := s.d.Fed.RouteAudited(ctx, s.systemPrincipal(), it.id, it.agency, e); err != nil {
			if errs.Is(err, errs.Conflict) { // routed by an operator meanwhile
				continue
			}
			return n, false, err
		}
		n++
	}
	return n, len(items) == 500 && n > 0, nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
