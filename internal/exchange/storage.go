package exchange

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
)

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func threadSearchText(t Thread) string {
	return entity.Fold(t.Subject + " " + t.CrimeArea + " " + strings.Join(t.CaseRefs, " "))
}

func insertThread(ctx context.Context, tx *store.Tx, t Thread) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO ex_threads (id, subject, crime_area, priority, database_info, case_refs, parties, origin_node, origin_agency, agency, status, created_by, created_at, updated_at, deadline_at, review_at, search)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.Subject, t.CrimeArea, t.Priority, store.BoolInt(t.DatabaseInfo), jsonText(t.CaseRefs), jsonText(t.Parties), t.OriginNode, t.OriginAgency, t.Agency, t.Status,
		t.CreatedBy, store.FormatTime(t.CreatedAt), store.FormatTime(t.UpdatedAt), fmtOpt(t.DeadlineAt), store.FormatTime(t.ReviewAt), threadSearchText(t))
	return err
}

func fmtOpt(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return store.FormatTime(t)
}

func messageSearchText(m Message) string {
	var b strings.Builder
	b.WriteString(m.Body)
	for _, e := range m.Entities {
		b.WriteString(" " + e.Label)
		for _, v := range e.Fields {
			b.WriteString(" " + v)
		}
	}
	for _, a := range m.Attachments {
		b.WriteString(" " + a.Name)
	}
	return entity.Fold(b.String())
}

// terms splits folded text into distinct index terms.
func terms(folded string) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range strings.FieldsFunc(folded, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127)
	}) {
		if len(f) < 2 {
			continue
		}
		if len(f) > 64 {
			f = f[:64]
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// insertMessage stores a message, its attachments and its search terms.
func (s *Service) insertMessage(ctx context.Context, tx *store.Tx, t Thread, m Message) error {
	search := messageSearchText(m)
	_, err := tx.ExecContext(ctx, `INSERT INTO ex_messages (id, thread_id, kind, node, author, agency, body, classification, handling, handling_note, reliability, accuracy, onward, entities, forwarded_from, permission, reason, recipients, created_at, received_at, search)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, t.ID, m.Kind, m.Node, m.Author, m.Agency, m.Body, m.Markings.Classification, jsonText(nonNil(m.Markings.Handling)), m.Markings.HandlingNote,
		m.Markings.Reliability, m.Markings.Accuracy, store.BoolInt(m.Markings.OnwardAllowed), jsonText(nonNilE(m.Entities)), m.ForwardedFrom, m.Permission, m.Reason,
		jsonText(nonNil(m.Recipients)), store.FormatTime(m.CreatedAt), fmtOpt(m.ReceivedAt), search)
	if err != nil {
		if store.IsUniqueViolation(err) {
			return errs.New(errs.Conflict, "exchange.insertMessage", "this message is already stored")
		}
		return err
	}
	for _, a := range m.Attachments {
		if _, err := tx.ExecContext(ctx, `INSERT INTO ex_attachments (id, message_id, thread_id, name, content_type, size, sha256, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, m.ID, t.ID, a.Name, a.ContentType, a.Size, a.SHA256, a.Data); err != nil {
			return err
		}
	}
	all := terms(search + " " + threadSearchText(t))
	for len(all) > 0 {
		n := min(len(all), 100)
		q := `INSERT INTO ex_terms (term, message_id, thread_id) VALUES ` + strings.TrimSuffix(strings.Repeat("(?, ?, ?),", n), ",")
		args := make([]any, 0, 3*n)
		for _, term := range all[:n] {
			args = append(args, term, m.ID, t.ID)
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
		all = all[n:]
	}
	return nil
}

func nonNil(x []string) []string {
	if x == nil {
		return []string{}
	}
	return x
}

func nonNilE(x []MessageEntity) []MessageEntity {
	if x == nil {
		return []MessageEntity{}
	}
	return x
}

const threadCols = `id, subject, crime_area, priority, database_info, case_refs, parties, origin_node, origin_agency, agency, status, created_by, created_at, updated_at, deadline_at, review_at, keep_reason, retention_action, anonymised_at`

func (s *Service) scanThread(r interface{ Scan(...any) error }) (Thread, error) {
	var jc store.JSONColumns
	var t Thread
	var db int
	var refs, parties, c, u, d, rv, act, anon string
	err := r.Scan(&t.ID, &t.Subject, &t.CrimeArea, &t.Priority, &db, &refs, &parties, &t.OriginNode, &t.OriginAgency, &t.Agency, &t.Status, &t.CreatedBy, &c, &u, &d, &rv, &t.KeepReason, &act, &anon)
	if err != nil {
		return t, err
	}
	t.DatabaseInfo = db == 1
	jc.Decode("refs", refs, &t.CaseRefs)
	jc.Decode("parties", parties, &t.Parties)
	t.CreatedAt, t.UpdatedAt, t.DeadlineAt, t.ReviewAt = store.ParseTime(c), store.ParseTime(u), store.ParseTime(d), store.ParseTime(rv)
	t.RetentionAction, t.AnonymisedAt = s.retentionAction(act), store.ParseTime(anon)
	t.Overdue = t.Status == StatusOpen && !t.DeadlineAt.IsZero() && s.d.Clock.Now().After(t.DeadlineAt)
	return t, jc.Err("exchange.scanThread", "thread "+t.ID)
}

// visibleSQL restricts ex_threads t to the caller's agency and threads shared with it.
const visibleSQL = `(t.agency = ? OR EXISTS (SELECT 1 FROM ex_shares s WHERE s.thread_id = t.id AND s.agency = ?))`

// visibleThread loads a thread the caller may see; others do not exist for them.
func (s *Service) visibleThread(ctx context.Context, actor *auth.Principal, id string) (Thread, error) {
	t, err := s.scanThread(s.d.Store.QueryRowContext(ctx, `SELECT `+threadCols+` FROM ex_threads t WHERE t.id = ? AND `+visibleSQL, id, actor.Agency, actor.Agency))
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return t, errs.New(errs.NotFound, "exchange.Thread", "no such thread")
		}
		return t, errs.Wrap(errs.Unavailable, "exchange.Thread", "cannot read the thread", err)
	}
	return t, nil
}

const messageCols = `id, thread_id, kind, node, author, agency, body, classification, handling, handling_note, reliability, accuracy, onward, entities, forwarded_from, permission, reason, recipients, created_at, received_at`

func scanMessage(r interface{ Scan(...any) error }) (Message, error) {
	var jc store.JSONColumns
	var m Message
	var handling, ents, recips, c, rcv string
	var onward int
	err := r.Scan(&m.ID, &m.ThreadID, &m.Kind, &m.Node, &m.Author, &m.Agency, &m.Body, &m.Markings.Classification, &handling, &m.Markings.HandlingNote,
		&m.Markings.Reliability, &m.Markings.Accuracy, &onward, &ents, &m.ForwardedFrom, &m.Permission, &m.Reason, &recips, &c, &rcv)
	if err != nil {
		return m, err
	}
	jc.Decode("handling", handling, &m.Markings.Handling)
	jc.Decode("ents", ents, &m.Entities)
	jc.Decode("recips", recips, &m.Recipients)
	m.Markings.OnwardAllowed = onward == 1
	m.MarkingLabel = m.Markings.Label()
	m.CreatedAt, m.ReceivedAt = store.ParseTime(c), store.ParseTime(rcv)
	m.Attachments = []MessageAttachment{}
	return m, jc.Err("exchange.scanMessage", "message "+m.ID)
}

func (s *Service) message(ctx context.Context, threadID, id string) (Message, error) {
	m, err := scanMessage(s.d.Store.QueryRowContext(ctx, `SELECT `+messageCols+` FROM ex_messages WHERE id = ? AND thread_id = ?`, id, threadID))
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return m, errs.New(errs.NotFound, "exchange.Message", "no such message in this thread")
		}
		return m, errs.Wrap(errs.Unavailable, "exchange.Message", "cannot read the message", err)
	}
	return m, nil
}

func (s *Service) attachments(ctx context.Context, messageID string, withData bool) ([]MessageAttachment, error) {
	cols := `id, name, content_type, size, sha256`
	if withData {
		cols += `, data`
	}
	rows, err := s.d.Store.QueryContext(ctx, `SELECT `+cols+` FROM ex_attachments WHERE message_id = ? ORDER BY name`, messageID)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "exchange.attachments", "cannot read attachments", err)
	}
	defer rows.Close()
	var out []MessageAttachment
	for rows.Next() {
		var a MessageAttachment
		dst := []any{&a.ID, &a.Name, &a.ContentType, &a.Size, &a.SHA256}
		if withData {
			dst = append(dst, &a.Data)
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, errs.Wrap(errs.Unavailable, "exchange.attachments", "cannot read attachments", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
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
	rows, err := s.d.Store.QueryContext(ctx, `SELECT `+messageCols+` FROM ex_messages WHERE thread_id = ? ORDER BY created_at, id`, t.ID)
	if err != nil {
		return t, errs.Wrap(errs.Unavailable, op, "cannot read messages", err)
	}
	byID := map[string]int{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			rows.Close()
			return t, errs.Wrap(errs.Unavailable, op, "cannot read messages", err)
		}
		byID[m.ID] = len(t.Messages)
		t.Messages = append(t.Messages, m)
	}
	rows.Close()
	arows, err := s.d.Store.QueryContext(ctx, `SELECT message_id, id, name, content_type, size, sha256 FROM ex_attachments WHERE thread_id = ? ORDER BY name`, t.ID)
	if err != nil {
		return t, errs.Wrap(errs.Unavailable, op, "cannot read attachments", err)
	}
	for arows.Next() {
		var mid string
		var a MessageAttachment
		if err := arows.Scan(&mid, &a.ID, &a.Name, &a.ContentType, &a.Size, &a.SHA256); err != nil {
			arows.Close()
			return t, errs.Wrap(errs.Unavailable, op, "cannot read attachments", err)
		}
		if i, ok := byID[mid]; ok {
			t.Messages[i].Attachments = append(t.Messages[i].Attachments, a)
		}
	}
	arows.Close()
	drows, err := s.d.Store.QueryContext(ctx, `SELECT d.message_id, d.node, d.envelope_id, d.delivered_at, d.read_at, COALESCE(o.state, ''), COALESCE(o.reason, ''), COALESCE(o.last_error, '')
		FROM ex_deliveries d LEFT JOIN fed_outbox o ON o.id = d.envelope_id WHERE d.thread_id = ? ORDER BY d.node`, t.ID)
	if err != nil {
		return t, errs.Wrap(errs.Unavailable, op, "cannot read deliveries", err)
	}
	var unread []string // received messages not yet read here
	for drows.Next() {
		var mid, dl, rd, state, reason, lastErr string
		var d Delivery
		if err := drows.Scan(&mid, &d.Node, &d.EnvelopeID, &dl, &rd, &state, &reason, &lastErr); err != nil {
			drows.Close()
			return t, errs.Wrap(errs.Unavailable, op, "cannot read deliveries", err)
		}
		d.DeliveredAt, d.ReadAt = store.ParseTime(dl), store.ParseTime(rd)
		i, ok := byID[mid]
		if !ok {
			continue
		}
		if d.Node == s.d.NodeID { // our own receipt record of a received message
			if d.ReadAt.IsZero() {
				unread = append(unread, mid)
			}
			continue
		}
		switch {
		case !d.ReadAt.IsZero():
			d.State = "read"
		case !d.DeliveredAt.IsZero():
			d.State = "delivered"
		case state == federation.OutNCUPending:
			d.State = "awaiting_ncu"
		case state == federation.OutRejected:
			d.State, d.Reason = "rejected", reason
		case state == federation.OutFailed:
			d.State, d.Reason = "failed", lastErr
		default:
			d.State = "queued"
		}
		t.Messages[i].Deliveries = append(t.Messages[i].Deliveries, d)
	}
	drows.Close()
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
			res, err := tx.ExecContext(ctx, `UPDATE ex_deliveries SET read_at = ? WHERE message_id = ? AND node = ? AND read_at = ''`, store.FormatTime(now), id, s.d.NodeID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 || s.d.Fed == nil {
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
	var a MessageAttachment
	err = s.d.Store.QueryRowContext(ctx, `SELECT id, name, content_type, size, sha256, data FROM ex_attachments WHERE id = ? AND thread_id = ?`, id, t.ID).
		Scan(&a.ID, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &a.Data)
	if err != nil {
		return a, store.NotFound(err, "exchange.Attachment", "no such attachment")
	}
	return a, s.d.Audit.Record(ctx, audit.Entry{Actor: actor.Username, Agency: actor.Agency, Action: "exchange.attachment.read", Object: "thread/" + t.ID, Detail: "attachment " + a.ID + " sha256 " + a.SHA256})
}
