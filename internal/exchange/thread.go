package exchange

import (
	"context"
	"database/sql"
	"errors"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
)

// visibleThread loads a thread the caller may see; others do not exist for them.
func (s *Service) visibleThread(ctx context.Context, actor *auth.Principal, id string) (Thread, error) {
	t, err := s.visibleThreadByID(ctx, s.d.Store, id, actor.Agency)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return t, errs.New(errs.NotFound, "exchange.Thread", "no such thread")
		}
		return t, dbErr("exchange.Thread", "cannot read the thread", err)
	}
	return t, nil
}

func (s *Service) message(ctx context.Context, threadID, id string) (Message, error) {
	m, err := messageByID(ctx, s.d.Store, threadID, id)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return m, errs.New(errs.NotFound, "exchange.Message", "no such message in this thread")
		}
		return m, dbErr("exchange.Message", "cannot read the message", err)
	}
	return m, nil
}

func (s *Service) attachments(ctx context.Context, messageID string, withData bool) ([]MessageAttachment, error) {
	out, err := messageAttachments(ctx, s.d.Store, messageID, withData)
	if err != nil {
		return nil, dbErr("exchange.attachments", "cannot read attachments", err)
	}
	return out, nil
}

// Thread returns a thread with its messages, attachments (without data)
// and acknowledgements. Opening it marks received messages read and sends
// read acknowledgements to their nodes. The read is audited.
func (s *Service) Thread(ctx context.Context, actor *auth.Principal, id string) (Thread, error) {
	const op = "exchange.Thread"
	t, err := s.visibleThread(ctx, actor, id)
	if err != nil {
		return t, err
	}
	if t.Messages, err = threadMessages(ctx, s.d.Store, t.ID); err != nil {
		return t, dbErr(op, "cannot read messages", err)
	}
	byID := map[string]int{}
	for i, m := range t.Messages {
		byID[m.ID] = i
	}
	atts, err := threadAttachments(ctx, s.d.Store, t.ID)
	if err != nil {
		return t, dbErr(op, "cannot read attachments", err)
	}
	for _, a := range atts {
		if i, ok := byID[a.messageID]; ok {
			t.Messages[i].Attachments = append(t.Messages[i].Attachments, a.MessageAttachment)
		}
	}
	dels, err := threadDeliveries(ctx, s.d.Store, t.ID)
	if err != nil {
		return t, dbErr(op, "cannot read deliveries", err)
	}
	var unread []string // received messages not yet read here
	for _, dr := range dels {
		d := dr.Delivery
		i, ok := byID[dr.messageID]
		if !ok {
			continue
		}
		if d.Node == s.d.NodeID { // our own receipt record of a received message
			if d.ReadAt.IsZero() {
				unread = append(unread, dr.messageID)
			}
			continue
		}
		switch {
		case !d.ReadAt.IsZero():
			d.State = "read"
		case !d.DeliveredAt.IsZero():
			d.State = "delivered"
		case dr.state == federation.OutNCUPending:
			d.State = "awaiting_ncu"
		case dr.state == federation.OutRejected:
			d.State, d.Reason = "rejected", dr.reason
		case dr.state == federation.OutFailed:
			d.State, d.Reason = "failed", dr.lastErr
		default:
			d.State = "queued"
		}
		t.Messages[i].Deliveries = append(t.Messages[i].Deliveries, d)
	}
	ms := make([]MessageMarkings, len(t.Messages))
	for i, m := range t.Messages {
		ms[i] = m.Markings
	}
	t.Marking = Marking(ms)
	if len(unread) > 0 {
		if err := s.markRead(ctx, t, unread, byID); err != nil {
			return t, err
		}
	}
	if err := s.d.Audit.Record(ctx, audit.Entry{Actor: actor.Username, Agency: actor.Agency, Action: "exchange.thread.read", Object: "thread/" + t.ID}); err != nil {
		return t, err
	}
	return t, nil
}

// markRead records that received messages were read and acknowledges them
// to their authors' nodes.
func (s *Service) markRead(ctx context.Context, t Thread, ids []string, byID map[string]int) error {
	now := s.d.Clock.Now()
	sent := false
	err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		for _, id := range ids {
			marked, err := setReadAt(ctx, tx, id, s.d.NodeID, now)
			if err != nil {
				return err
			}
			if !marked || s.d.Fed == nil {
				continue
			}
			m := t.Messages[byID[id]]
			if m.Node == s.d.NodeID {
				continue
			}
			if _, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: m.Node, Type: TypeAck, Conversation: t.ID + "/ack",
				Payload: ack{Thread: t.ID, Message: id, Kind: "read", At: now}, Summary: "read acknowledgement"}); err != nil {
				return err
			}
			sent = true
		}
		return nil
	})
	if err != nil {
		return dbErr("exchange.markRead", "could not record the read acknowledgement", err)
	}
	if sent {
		s.d.Fed.Notify()
	}
	return nil
}

// Attachment returns one attachment with its data (audited).
func (s *Service) Attachment(ctx context.Context, actor *auth.Principal, threadID, id string) (MessageAttachment, error) {
	t, err := s.visibleThread(ctx, actor, threadID)
	if err != nil {
		return MessageAttachment{}, err
	}
	a, err := attachmentByID(ctx, s.d.Store, t.ID, id)
	if err != nil {
		return a, store.NotFound(err, "exchange.Attachment", "no such attachment")
	}
	return a, s.d.Audit.Record(ctx, audit.Entry{Actor: actor.Username, Agency: actor.Agency, Action: "exchange.attachment.read", Object: "thread/" + t.ID, Detail: "attachment " + a.ID + " sha256 " + a.SHA256})
}
