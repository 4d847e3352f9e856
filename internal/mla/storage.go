// Storage of legal-assistance requests: every SQL statement of the module
// is here, behind typed functions; the service holds none.

package mla

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

const reqCols = `id, direction, origin_node, target_node, kind, title, facts, measures, persons, case_refs, urgent, legal_basis_id, legal_basis, channel,
	contact_id, contact, translations, status, reason, agency, created_by, created_at, updated_at, signed_by, signed_at, digest, sent_at, received_at,
	recognised_at, closed_at, recognise_due, execute_due, extended`

func insertRequest(ctx context.Context, tx *store.Tx, r Request) error {
	cj, err := json.Marshal(r.CaseRefs)
	if err != nil {
		return errs.Wrap(errs.Internal, "mla.insertRequest", "", err)
	}
	tj, err := json.Marshal(r.Translations)
	if err != nil {
		return errs.Wrap(errs.Internal, "mla.insertRequest", "", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO mla_requests (`+reqCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Direction, r.OriginNode, r.TargetNode, r.Kind, r.Title, r.Facts, r.Measures, r.Persons, string(cj), store.BoolInt(r.Urgent), r.LegalBasisID, r.LegalBasis, r.Channel,
		r.ContactID, r.Contact, string(tj), r.Status, r.Reason, r.Agency, r.CreatedBy, store.FormatTime(r.CreatedAt), store.FormatTime(r.UpdatedAt), r.SignedBy, ft(r.SignedAt),
		r.Digest, ft(r.SentAt), ft(r.ReceivedAt), ft(r.RecognisedAt), ft(r.ClosedAt), ft(r.RecogniseDue), ft(r.ExecuteDue), store.BoolInt(r.Extended))
	return err
}

func ft(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return store.FormatTime(t)
}

func (s *Service) scan(row store.Scanner) (Request, error) {
	var jc store.JSONColumns
	var r Request
	var cj, tj, created, updated, signed, sent, received, recognised, closed, rdue, edue string
	var urgent, extended int
	err := row.Scan(&r.ID, &r.Direction, &r.OriginNode, &r.TargetNode, &r.Kind, &r.Title, &r.Facts, &r.Measures, &r.Persons, &cj, &urgent, &r.LegalBasisID, &r.LegalBasis,
		&r.Channel, &r.ContactID, &r.Contact, &tj, &r.Status, &r.Reason, &r.Agency, &r.CreatedBy, &created, &updated, &r.SignedBy, &signed, &r.Digest, &sent, &received,
		&recognised, &closed, &rdue, &edue, &extended)
	if err != nil {
		return r, err
	}
	jc.Decode("cj", cj, &r.CaseRefs)
	jc.Decode("tj", tj, &r.Translations)
	if r.CaseRefs == nil {
		r.CaseRefs = []string{}
	}
	if r.Translations == nil {
		r.Translations = []Translation{}
	}
	r.Urgent, r.Extended = urgent == 1, extended == 1
	r.CreatedAt, r.UpdatedAt, r.SignedAt, r.SentAt, r.ReceivedAt = pt(created), pt(updated), pt(signed), pt(sent), pt(received)
	r.RecognisedAt, r.ClosedAt, r.RecogniseDue, r.ExecuteDue = pt(recognised), pt(closed), pt(rdue), pt(edue)
	r.KindLabel, r.StatusLabel = KindLabels[r.Kind], StatusLabels[r.Status]
	s.flags(&r)
	return r, jc.Err("mla.scan", "request "+r.ID)
}

// requestByID reads one request; sql.ErrNoRows when there is none.
func (s *Service) requestByID(ctx context.Context, q store.Querier, id string) (Request, error) {
	return s.scan(q.QueryRowContext(ctx, `SELECT `+reqCols+` FROM mla_requests WHERE id = ?`, id))
}

// requestExists reports whether this node holds request id.
func requestExists(ctx context.Context, q store.Querier, id string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM mla_requests WHERE id = ?`, id).Scan(&n)
	return n > 0, err
}

// listRequests reads an agency's requests, newest first, optionally of one
// direction and one status.
func (s *Service) listRequests(ctx context.Context, q store.Querier, agency, direction, status string) ([]Request, error) {
	query := `SELECT ` + reqCols + ` FROM mla_requests WHERE agency = ?`
	args := []any{agency}
	if direction != "" {
		query += ` AND direction = ?`
		args = append(args, direction)
	}
	if status != "" {
		query += ` AND status = ?`
		args = append(args, status)
	}
	return store.Collect(ctx, q, s.scan, query+` ORDER BY updated_at DESC LIMIT 1000`, args...)
}

// requestEvents reads a request's timeline in order.
func requestEvents(ctx context.Context, q store.Querier, id string) ([]RequestEvent, error) {
	return store.Collect(ctx, q, func(row store.Scanner) (RequestEvent, error) {
		var e RequestEvent
		var at string
		err := row.Scan(&e.ID, &at, &e.Node, &e.Actor, &e.Kind, &e.Status, &e.Note)
		e.At = pt(at)
		return e, err
	}, `SELECT id, at, node, actor, kind, status, note FROM mla_events WHERE request_id = ? ORDER BY at, id`, id)
}

// updateDraft saves the editable fields of a draft; false when the request
// is no longer a draft.
func updateDraft(ctx context.Context, tx *store.Tx, id string, r Request, now time.Time) (bool, error) {
	cj, err := json.Marshal(r.CaseRefs)
	if err != nil {
		return false, errs.Wrap(errs.Internal, "mla.updateDraft", "", err)
	}
	tj, err := json.Marshal(r.Translations)
	if err != nil {
		return false, errs.Wrap(errs.Internal, "mla.updateDraft", "", err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE mla_requests SET target_node = ?, kind = ?, title = ?, facts = ?, measures = ?, persons = ?, case_refs = ?, urgent = ?,
		legal_basis_id = ?, legal_basis = ?, channel = ?, contact_id = ?, contact = ?, translations = ?, updated_at = ? WHERE id = ? AND status = ?`,
		r.TargetNode, r.Kind, r.Title, r.Facts, r.Measures, r.Persons, string(cj), store.BoolInt(r.Urgent), r.LegalBasisID, r.LegalBasis, r.Channel,
		r.ContactID, r.Contact, string(tj), store.FormatTime(now), id, StatusDraft)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// setTranslations replaces a request's translation list.
func setTranslations(ctx context.Context, tx *store.Tx, id string, ts []Translation, now time.Time) error {
	tj, err := json.Marshal(ts)
	if err != nil {
		return errs.Wrap(errs.Internal, "mla.setTranslations", "", err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE mla_requests SET translations = ?, updated_at = ? WHERE id = ?`, string(tj), store.FormatTime(now), id)
	return err
}

// markSent records the signature and sending of a draft; false when it is
// no longer a draft.
func markSent(ctx context.Context, tx *store.Tx, r Request, now time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE mla_requests SET status = ?, signed_by = ?, signed_at = ?, digest = ?, sent_at = ?, recognise_due = ?, updated_at = ? WHERE id = ? AND status = ?`,
		StatusSent, r.SignedBy, store.FormatTime(now), r.Digest, store.FormatTime(now), store.FormatTime(r.RecogniseDue), store.FormatTime(now), r.ID, StatusDraft)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// extendRecognition moves the recognition deadline and resets its reminders.
func extendRecognition(ctx context.Context, tx *store.Tx, id string, due, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE mla_requests SET recognise_due = ?, extended = 1, recognise_reminded = 0, recognise_overdue = 0, updated_at = ? WHERE id = ?`,
		store.FormatTime(due), store.FormatTime(now), id)
	return err
}

// applyStatus moves a request from status from to u.Status with the dates
// that status sets; false when the request is no longer in status from.
func applyStatus(ctx context.Context, tx *store.Tx, id, from string, u update, now time.Time) (bool, error) {
	at := store.FormatTime(u.At)
	sets := []string{"status = ?", "updated_at = ?"}
	args := []any{u.Status, store.FormatTime(now)}
	switch u.Status {
	case StatusReceived:
		sets = append(sets, "received_at = ?", "recognise_due = ?", "recognise_reminded = 0", "recognise_overdue = 0")
		args = append(args, at, store.FormatTime(u.RecogniseDue))
	case StatusInExecution:
		sets = append(sets, "recognised_at = ?", "execute_due = ?")
		args = append(args, at, store.FormatTime(u.ExecuteDue))
	case StatusExecuted, StatusRefused, StatusWithdrawn:
		sets = append(sets, "closed_at = ?", "reason = ?")
		args = append(args, at, u.Reason)
	}
	args = append(args, id, from)
	res, err := tx.ExecContext(ctx, `UPDATE mla_requests SET `+strings.Join(sets, ", ")+` WHERE id = ? AND status = ?`, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// insertEvent adds one entry to a request's timeline.
func insertEvent(ctx context.Context, tx *store.Tx, id string, at time.Time, node, actor, kind, status, note string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO mla_events (id, request_id, at, node, actor, kind, status, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		store.NewID(), id, store.FormatTime(at), node, actor, kind, status, note)
	return err
}

// rerouteRequest gives a received request held by agency from to agency to.
func rerouteRequest(ctx context.Context, tx *store.Tx, id, from, to string) error {
	_, err := tx.ExecContext(ctx, `UPDATE mla_requests SET agency = ? WHERE id = ? AND agency = ?`, to, id, from)
	return err
}

// dueRequest is an open request whose deadline falls within the reminder
// period.
type dueRequest struct {
	id, status, which, agency, direction string
	at                                   time.Time
	reminded, overdue                    bool
}

// dueDeadlines reads the requests in statuses whose which ("recognise" or
// "execute") deadline is at or before soon and not yet marked overdue.
func dueDeadlines(ctx context.Context, q store.Querier, which string, soon time.Time, statuses ...string) ([]dueRequest, error) {
	col := "recognise"
	if which == "execute" {
		col = "execute"
	}
	rows, err := q.QueryContext(ctx, `SELECT id, status, agency, direction, `+col+`_due, `+col+`_reminded, `+col+`_overdue FROM mla_requests
		WHERE status IN (?, ?) AND `+col+`_due != '' AND `+col+`_overdue = 0 AND `+col+`_due <= ?`, statuses[0], statuses[1], store.FormatTime(soon))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dueRequest
	for rows.Next() {
		d := dueRequest{which: col}
		var at string
		var rem, over int
		if err := rows.Scan(&d.id, &d.status, &d.agency, &d.direction, &at, &rem, &over); err != nil {
			return nil, err
		}
		d.at, d.reminded, d.overdue = store.ParseTime(at), rem == 1, over == 1
		out = append(out, d)
	}
	return out, rows.Err()
}

// markDeadline sets the reminder flag (and, for overdue, the overdue flag
// with it, so a late run does not write a reminder after the overdue notice).
func markDeadline(ctx context.Context, tx *store.Tx, id, which string, overdue bool) error {
	col := "recognise"
	if which == "execute" {
		col = "execute"
	}
	set := col + "_reminded = 1"
	if overdue {
		set += ", " + col + "_overdue = 1"
	}
	_, err := tx.ExecContext(ctx, `UPDATE mla_requests SET `+set+` WHERE id = ?`, id)
	return err
}

// statRows reads the dates of every sent request matching where, for statistics.
func statRows(ctx context.Context, q store.Querier, where string, args ...any) ([]statRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT origin_node, target_node, status, legal_basis_id, sent_at, received_at, recognised_at, closed_at, recognise_due, execute_due
		FROM mla_requests WHERE status != ?`+where, append([]any{StatusDraft}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []statRow
	for rows.Next() {
		var r statRow
		var sent, rec, recog, closed, rdue, edue string
		if err := rows.Scan(&r.from, &r.to, &r.status, &r.basis, &sent, &rec, &recog, &closed, &rdue, &edue); err != nil {
			return nil, err
		}
		r.sent, r.received, r.recognised, r.closed, r.rdue, r.edue = pt(sent), pt(rec), pt(recog), pt(closed), pt(rdue), pt(edue)
		out = append(out, r)
	}
	return out, rows.Err()
}
