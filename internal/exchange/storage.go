// Storage of threads, messages, attachments, deliveries and imported
// entities: every SQL statement of these tables is here, behind typed
// functions; the service holds none.

package exchange

import (
	"context"
	"encoding/json"
	"strings"
	"time"

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

// threadByID reads a thread; sql.ErrNoRows when there is none.
func (s *Service) threadByID(ctx context.Context, q store.Querier, id string) (Thread, error) {
	return s.scanThread(q.QueryRowContext(ctx, `SELECT `+threadCols+` FROM ex_threads WHERE id = ?`, id))
}

// visibleThreadByID reads a thread an agency may see; sql.ErrNoRows when
// there is none or the agency may not see it.
func (s *Service) visibleThreadByID(ctx context.Context, q store.Querier, id, agency string) (Thread, error) {
	return s.scanThread(q.QueryRowContext(ctx, `SELECT `+threadCols+` FROM ex_threads t WHERE t.id = ? AND `+visibleSQL, id, agency, agency))
}

// setThreadStatus sets a thread's status after a message at at.
func setThreadStatus(ctx context.Context, tx *store.Tx, id, status string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE ex_threads SET status = ?, updated_at = ? WHERE id = ?`, status, store.FormatTime(at), id)
	return err
}

// setThreadDeadline moves a request's deadline (reminders start again).
func setThreadDeadline(ctx context.Context, tx *store.Tx, id string, deadline, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE ex_threads SET deadline_at = ?, reminded = 0, expired = 0, updated_at = ? WHERE id = ?`, store.FormatTime(deadline), store.FormatTime(at), id)
	return err
}

// touchThread records that a thread changed at at.
func touchThread(ctx context.Context, tx *store.Tx, id string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE ex_threads SET updated_at = ? WHERE id = ?`, store.FormatTime(at), id)
	return err
}

func setKeepReason(ctx context.Context, tx *store.Tx, id, reason string) error {
	_, err := tx.ExecContext(ctx, `UPDATE ex_threads SET keep_reason = ? WHERE id = ?`, reason, id)
	return err
}

func setRetentionAction(ctx context.Context, tx *store.Tx, id, action string) error {
	_, err := tx.ExecContext(ctx, `UPDATE ex_threads SET retention_action = ? WHERE id = ?`, action, id)
	return err
}

// moveThread hands a thread from one agency to another; nothing changes
// when it is no longer with from.
func moveThread(ctx context.Context, tx *store.Tx, id, from, to string) error {
	_, err := tx.ExecContext(ctx, `UPDATE ex_threads SET agency = ? WHERE id = ? AND agency = ?`, to, id, from)
	return err
}

// insertShare shares a thread with an agency; false when it already is.
func insertShare(ctx context.Context, tx *store.Tx, threadID, agency, by string, at time.Time) (bool, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM ex_shares WHERE thread_id = ? AND agency = ?`, threadID, agency).Scan(&n); err != nil || n > 0 {
		return false, err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO ex_shares (thread_id, agency, shared_by, shared_at) VALUES (?, ?, ?, ?)`, threadID, agency, by, store.FormatTime(at))
	return err == nil, err
}

// ---- messages and attachments

// messageByID reads a message of a thread; sql.ErrNoRows when none.
func messageByID(ctx context.Context, q store.Querier, threadID, id string) (Message, error) {
	return scanMessage(q.QueryRowContext(ctx, `SELECT `+messageCols+` FROM ex_messages WHERE id = ? AND thread_id = ?`, id, threadID))
}

// threadMessages reads a thread's messages, oldest first.
func threadMessages(ctx context.Context, q store.Querier, threadID string) ([]Message, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+messageCols+` FROM ex_messages WHERE thread_id = ? ORDER BY created_at, id`, threadID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// messageAttachments reads a message's attachments, with their data or
// without.
func messageAttachments(ctx context.Context, q store.Querier, messageID string, withData bool) ([]MessageAttachment, error) {
	cols := `id, name, content_type, size, sha256`
	if withData {
		cols += `, data`
	}
	rows, err := q.QueryContext(ctx, `SELECT `+cols+` FROM ex_attachments WHERE message_id = ? ORDER BY name`, messageID)
	if err != nil {
		return nil, err
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
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// threadAttachment is an attachment (without data) with its message.
type threadAttachment struct {
	messageID string
	MessageAttachment
}

// threadAttachments reads the attachments of a thread's messages, without
// their data, by name.
func threadAttachments(ctx context.Context, q store.Querier, threadID string) ([]threadAttachment, error) {
	rows, err := q.QueryContext(ctx, `SELECT message_id, id, name, content_type, size, sha256 FROM ex_attachments WHERE thread_id = ? ORDER BY name`, threadID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []threadAttachment
	for rows.Next() {
		var a threadAttachment
		if err := rows.Scan(&a.messageID, &a.ID, &a.Name, &a.ContentType, &a.Size, &a.SHA256); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// attachmentByID reads one attachment of a thread with its data;
// sql.ErrNoRows when none.
func attachmentByID(ctx context.Context, q store.Querier, threadID, id string) (MessageAttachment, error) {
	var a MessageAttachment
	err := q.QueryRowContext(ctx, `SELECT id, name, content_type, size, sha256, data FROM ex_attachments WHERE id = ? AND thread_id = ?`, id, threadID).
		Scan(&a.ID, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &a.Data)
	return a, err
}

// ---- deliveries

// deliveryRow is one delivery of a message with the state of the
// federation envelope that carries it.
type deliveryRow struct {
	messageID string
	Delivery
	state, reason, lastErr string
}

// threadDeliveries reads the deliveries of a thread's messages, by node.
func threadDeliveries(ctx context.Context, q store.Querier, threadID string) ([]deliveryRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT d.message_id, d.node, d.envelope_id, d.delivered_at, d.read_at, COALESCE(o.state, ''), COALESCE(o.reason, ''), COALESCE(o.last_error, '')
		FROM ex_deliveries d LEFT JOIN fed_outbox o ON o.id = d.envelope_id WHERE d.thread_id = ? ORDER BY d.node`, threadID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []deliveryRow
	for rows.Next() {
		var d deliveryRow
		var dl, rd string
		if err := rows.Scan(&d.messageID, &d.Node, &d.EnvelopeID, &dl, &rd, &d.state, &d.reason, &d.lastErr); err != nil {
			return nil, err
		}
		d.DeliveredAt, d.ReadAt = store.ParseTime(dl), store.ParseTime(rd)
		out = append(out, d)
	}
	return out, rows.Err()
}

// threadEnvelopes reads, per recipient node, the envelope that carries a
// thread's message.
func threadEnvelopes(ctx context.Context, q store.Querier, threadID string) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT node, envelope_id FROM ex_deliveries WHERE thread_id = ?`, threadID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	envs := map[string]string{}
	for rows.Next() {
		var node, env string
		if err := rows.Scan(&node, &env); err != nil {
			return nil, err
		}
		envs[node] = env
	}
	return envs, rows.Err()
}

// insertDelivery records a message for a node and the envelope carrying
// it; deliveredAt is zero until the node acknowledges it.
func insertDelivery(ctx context.Context, tx *store.Tx, messageID, threadID, node, envelopeID string, deliveredAt time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO ex_deliveries (message_id, thread_id, node, envelope_id, delivered_at) VALUES (?, ?, ?, ?, ?)`,
		messageID, threadID, node, envelopeID, fmtOpt(deliveredAt))
	return err
}

// countDeliveriesTo counts the messages of a thread sent to a node.
func countDeliveriesTo(ctx context.Context, q store.Querier, threadID, node string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM ex_deliveries WHERE thread_id = ? AND node = ?`, threadID, node).Scan(&n)
	return n, err
}

// markDelivered records when a node received a message, once.
func markDelivered(ctx context.Context, q store.Querier, messageID, node string, at time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE ex_deliveries SET delivered_at = ? WHERE message_id = ? AND node = ? AND delivered_at = ''`, store.FormatTime(at), messageID, node)
	return err
}

// setReadAt records when a node read a message, once; false when it was
// recorded before (or there is no such delivery).
func setReadAt(ctx context.Context, q store.Querier, messageID, node string, at time.Time) (bool, error) {
	res, err := q.ExecContext(ctx, `UPDATE ex_deliveries SET read_at = ? WHERE message_id = ? AND node = ? AND read_at = ''`, store.FormatTime(at), messageID, node)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// routable is an incoming message waiting for the NCU in a thread this
// node holds.
type routable struct{ id, peer, thread, agency string }

// routableMessages reads up to limit messages waiting for routing whose
// thread is already held here, oldest first.
func routableMessages(ctx context.Context, q store.Querier, limit int) ([]routable, error) {
	rows, err := q.QueryContext(ctx, `SELECT i.id, i.peer, t.id, t.agency FROM fed_inbox i JOIN ex_threads t ON t.id = i.conversation
		WHERE i.state = ? AND i.type = ? ORDER BY i.received_at LIMIT ?`, federation.InNCUPending, TypeMessage, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []routable
	for rows.Next() {
		var it routable
		if err := rows.Scan(&it.id, &it.peer, &it.thread, &it.agency); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// ---- entities imported into cases

// insertEntityImport records an entity of a message filed into a local
// case; false when it was filed into that case before.
func insertEntityImport(ctx context.Context, tx *store.Tx, threadID string, im EntityImport) (bool, error) {
	r, err := tx.ExecContext(ctx, `INSERT INTO ex_imports (id, thread_id, message_id, entity_index, case_ref, case_entity_id, entity, provenance, imported_by, imported_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id, entity_index, case_ref) WHERE entity_index >= 0 DO NOTHING`,
		im.ID, threadID, im.MessageID, im.EntityIndex, im.CaseRef, im.CaseEntityID, jsonText(im.Entity), string(im.Provenance), im.ImportedBy, store.FormatTime(im.ImportedAt))
	if err != nil {
		return false, err
	}
	n, err := r.RowsAffected()
	return n > 0, err
}

// threadImports reads the entities imported from a thread, oldest first.
func threadImports(ctx context.Context, q store.Querier, threadID string) ([]EntityImport, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (EntityImport, error) {
		var im EntityImport
		var e, p, at string
		if err := r.Scan(&im.ID, &im.CaseRef, &im.CaseEntityID, &im.MessageID, &im.EntityIndex, &e, &p, &im.ImportedBy, &at); err != nil {
			return im, err
		}
		var jc store.JSONColumns
		jc.Decode("entity", e, &im.Entity)
		im.Provenance, im.ImportedAt = json.RawMessage(p), store.ParseTime(at)
		return im, jc.Err("exchange.Imports", "import "+im.ID)
	}, `SELECT id, case_ref, case_entity_id, message_id, entity_index, entity, provenance, imported_by, imported_at FROM ex_imports WHERE thread_id = ? ORDER BY imported_at, id`, threadID)
}
