// Storage of the exchange's periodic work: deadlines, retention reviews,
// anonymisation and deletion, notifications and their e-mails. Every SQL
// statement of it is here, behind typed functions.

package exchange

import (
	"context"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
)

// ---- deadlines

// deadlineRow is an open request whose deadline is near or past.
type deadlineRow struct {
	id, origin, agency string
	created, deadline  time.Time
	reminded           bool
}

// dueDeadlines reads the open requests not yet expired whose deadline is
// before before.
func dueDeadlines(ctx context.Context, q store.Querier, before time.Time) ([]deadlineRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, origin_node, agency, created_at, deadline_at, reminded, expired FROM ex_threads
		WHERE status = ? AND deadline_at != '' AND expired = 0 AND deadline_at <= ?`, StatusOpen, store.FormatTime(before))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []deadlineRow
	for rows.Next() {
		var t deadlineRow
		var c, d string
		var rem, exp int
		if err := rows.Scan(&t.id, &t.origin, &t.agency, &c, &d, &rem, &exp); err != nil {
			return nil, err
		}
		t.created, t.deadline, t.reminded = store.ParseTime(c), store.ParseTime(d), rem == 1
		out = append(out, t)
	}
	return out, rows.Err()
}

// markExpired records that a request's deadline passed (and needs no more
// reminder).
func markExpired(ctx context.Context, tx *store.Tx, id string) error {
	_, err := tx.ExecContext(ctx, `UPDATE ex_threads SET expired = 1, reminded = 1 WHERE id = ?`, id)
	return err
}

func markReminded(ctx context.Context, tx *store.Tx, id string) error {
	_, err := tx.ExecContext(ctx, `UPDATE ex_threads SET reminded = 1 WHERE id = ?`, id)
	return err
}

// ---- retention

// reviewRow is a thread whose review date is near or past.
type reviewRow struct{ id, agency, reason, review, action string }

func scanReviews(ctx context.Context, q store.Querier, query string, args ...any) ([]reviewRow, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []reviewRow
	for rows.Next() {
		var t reviewRow
		if err := rows.Scan(&t.id, &t.agency, &t.reason, &t.review, &t.action); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// reviewsToWarn reads the threads not warned yet whose review date is
// before before.
func reviewsToWarn(ctx context.Context, q store.Querier, before time.Time) ([]reviewRow, error) {
	return scanReviews(ctx, q, `SELECT id, agency, keep_reason, review_at, retention_action FROM ex_threads
		WHERE review_warned = 0 AND anonymised_at = '' AND review_at <= ?`, store.FormatTime(before))
}

// reviewsDue reads up to limit threads, not anonymised, whose review date
// has come.
func reviewsDue(ctx context.Context, q store.Querier, now time.Time, limit int) ([]reviewRow, error) {
	return scanReviews(ctx, q, `SELECT id, agency, keep_reason, review_at, retention_action FROM ex_threads WHERE anonymised_at = '' AND review_at <= ? LIMIT ?`,
		store.FormatTime(now), limit)
}

func markReviewWarned(ctx context.Context, tx *store.Tx, id string) error {
	_, err := tx.ExecContext(ctx, `UPDATE ex_threads SET review_warned = 1 WHERE id = ?`, id)
	return err
}

// postponeReview moves a kept thread's review date; the reason to keep it
// has to be given again.
func postponeReview(ctx context.Context, tx *store.Tx, id string, next time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE ex_threads SET review_at = ?, keep_reason = '', review_warned = 0 WHERE id = ?`, store.FormatTime(next), id)
	return err
}

func countThreadMessages(ctx context.Context, q store.Querier, id string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM ex_messages WHERE thread_id = ?`, id).Scan(&n)
	return n, err
}

// anonymiseThreadRows removes a thread's content and personal data and
// keeps what routing and statistics need.
func anonymiseThreadRows(ctx context.Context, tx *store.Tx, id string, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE ex_threads SET subject = ?, case_refs = '[]', created_by = '', keep_reason = '', search = '', anonymised_at = ?,
			status = CASE WHEN status = ? THEN ? ELSE status END WHERE id = ?`, AnonymisedSubject, store.FormatTime(at), StatusOpen, StatusClosed, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE ex_messages SET body = '', author = '', entities = '[]', handling_note = '', permission = '', reason = '', search = '' WHERE thread_id = ?`, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE ex_shares SET shared_by = '' WHERE thread_id = ?`, id); err != nil {
		return err
	}
	for _, q := range []string{
		`DELETE FROM ex_terms WHERE thread_id = ?`,
		`DELETE FROM ex_attachments WHERE thread_id = ?`,
		`DELETE FROM ex_imports WHERE thread_id = ?`,
		`DELETE FROM ex_notification_reads WHERE notification_id IN (SELECT id FROM ex_notifications WHERE thread_id = ?)`,
		`DELETE FROM ex_notifications WHERE thread_id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return err
		}
	}
	return deleteEnvelopes(ctx, tx, id)
}

// deleteThreadRows removes a thread and every trace of its content.
func deleteThreadRows(ctx context.Context, tx *store.Tx, id string) error {
	for _, q := range []string{
		`DELETE FROM ex_terms WHERE thread_id = ?`,
		`DELETE FROM ex_attachments WHERE thread_id = ?`,
		`DELETE FROM ex_deliveries WHERE thread_id = ?`,
		`DELETE FROM ex_imports WHERE thread_id = ?`,
		`DELETE FROM ex_notification_reads WHERE notification_id IN (SELECT id FROM ex_notifications WHERE thread_id = ?)`,
		`DELETE FROM ex_notifications WHERE thread_id = ?`,
		`DELETE FROM ex_shares WHERE thread_id = ?`,
		`DELETE FROM ex_messages WHERE thread_id = ?`,
		`DELETE FROM ex_threads WHERE id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return err
		}
	}
	return deleteEnvelopes(ctx, tx, id)
}

// deleteEnvelopes removes the finished federation envelopes that carried a
// thread: they hold its content too.
func deleteEnvelopes(ctx context.Context, tx *store.Tx, id string) error {
	convs := []any{id, id + "/ack", TypeMessage, TypeAck}
	if _, err := tx.ExecContext(ctx, `DELETE FROM fed_inbox WHERE conversation IN (?, ?) AND type IN (?, ?) AND state IN (?, ?)`,
		append(convs, federation.InHandled, federation.InFailed)...); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM fed_outbox WHERE conversation IN (?, ?) AND type IN (?, ?) AND state IN (?, ?, ?)`,
		append(convs, federation.OutDelivered, federation.OutRejected, federation.OutFailed)...)
	return err
}

// ---- notifications

// notificationRow is a notification to record.
type notificationRow struct {
	agency, role, threadID, kind, text string
	mailed                             bool
}

func insertNotification(ctx context.Context, tx *store.Tx, n notificationRow, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO ex_notifications (id, agency, role, thread_id, kind, text, created_at, mailed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		store.NewID(), n.agency, n.role, n.threadID, n.kind, n.text, store.FormatTime(at), store.BoolInt(n.mailed))
	return err
}

// notificationScope is the condition on ex_notifications n for what a
// user sees: their agency's, and their roles' (at their agency or at any).
func notificationScope(actor *auth.Principal) (string, []any) {
	roles := make([]string, 0, len(actor.Roles))
	args := []any{actor.Agency}
	for _, r := range actor.Roles {
		roles = append(roles, "?")
		args = append(args, string(r))
	}
	inRoles := "(''" + strings.Repeat(", ?", len(roles)) + ")"
	if len(roles) > 0 {
		inRoles = "(" + strings.Join(roles, ", ") + ")"
	}
	q := `((n.agency = ? AND n.role = '') OR (n.role IN ` + inRoles + ` AND (n.agency = '' OR n.agency = ?)))`
	return q, append(args, actor.Agency)
}

// notificationsOf reads a user's newest 200 notifications with their read
// state for that user, or only those unread.
func notificationsOf(ctx context.Context, q store.Querier, actor *auth.Principal, unreadOnly bool) ([]ExchangeNotification, error) {
	where, args := notificationScope(actor)
	if unreadOnly {
		where += ` AND r.read_at IS NULL`
	}
	return store.Collect(ctx, q, func(r store.Scanner) (ExchangeNotification, error) {
		var n ExchangeNotification
		var c, rd string
		err := r.Scan(&n.ID, &n.ThreadID, &n.Kind, &n.Text, &c, &rd)
		n.CreatedAt, n.Read = store.ParseTime(c), rd != ""
		return n, err
	}, `SELECT n.id, n.thread_id, n.kind, n.text, n.created_at, COALESCE(r.read_at, '') FROM ex_notifications n
		LEFT JOIN ex_notification_reads r ON r.notification_id = n.id AND r.username = ? WHERE `+where+` ORDER BY n.created_at DESC, n.id DESC LIMIT 200`,
		append([]any{actor.Username}, args...)...)
}

// markAllRead marks every notification a user sees read for that user.
func markAllRead(ctx context.Context, q store.Querier, actor *auth.Principal, at time.Time) (int64, error) {
	where, args := notificationScope(actor)
	res, err := q.ExecContext(ctx, `INSERT INTO ex_notification_reads (notification_id, username, read_at)
		SELECT n.id, ?, ? FROM ex_notifications n WHERE `+where+` AND NOT EXISTS (SELECT 1 FROM ex_notification_reads r WHERE r.notification_id = n.id AND r.username = ?)
		ON CONFLICT (notification_id, username) DO NOTHING`,
		append(append([]any{actor.Username, store.FormatTime(at)}, args...), actor.Username)...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// countUnread counts the notifications a user has not read.
func countUnread(ctx context.Context, q store.Querier, actor *auth.Principal) (int, error) {
	where, args := notificationScope(actor)
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM ex_notifications n
		LEFT JOIN ex_notification_reads r ON r.notification_id = n.id AND r.username = ? WHERE `+where+` AND r.read_at IS NULL`,
		append([]any{actor.Username}, args...)...).Scan(&n)
	return n, err
}

// unmailed is a notification not e-mailed yet.
type unmailed struct {
	id, agency, role, kind string
	attempts               int
}

// Mail states of a notification (ex_notifications.mailed).
const (
	mailPending = 0
	mailSent    = 1
	mailFailed  = 2 // given up after maxMailAttempts
)

// unmailedNotifications reads the oldest 200 notifications due for e-mail.
func unmailedNotifications(ctx context.Context, q store.Querier, now time.Time) ([]unmailed, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (unmailed, error) {
		var it unmailed
		return it, r.Scan(&it.id, &it.agency, &it.role, &it.kind, &it.attempts)
	}, `SELECT id, agency, role, kind, mail_attempts FROM ex_notifications
		WHERE mailed = ? AND mail_next_at <= ? ORDER BY created_at LIMIT 200`, mailPending, store.FormatTime(now))
}

// markMailed records that a notification was e-mailed.
func markMailed(ctx context.Context, q store.Querier, id string) error {
	_, err := q.ExecContext(ctx, `UPDATE ex_notifications SET mailed = ?, mail_error = '' WHERE id = ?`, mailSent, id)
	return err
}

// markMailFailed records a failed send: tried again at next, or given up.
func markMailFailed(ctx context.Context, q store.Querier, id string, attempts int, next time.Time, giveUp bool, reason string) error {
	state := mailPending
	if giveUp {
		state = mailFailed
	}
	_, err := q.ExecContext(ctx, `UPDATE ex_notifications SET mailed = ?, mail_attempts = ?, mail_next_at = ?, mail_error = ? WHERE id = ?`,
		state, attempts, store.FormatTime(next), reason, id)
	return err
}

// mailHealth counts the notifications waiting for e-mail, retrying and
// given up, and lists the latest problems (kind only, never the text).
func mailHealth(ctx context.Context, q store.Querier) (store.QueueHealth, error) {
	h := store.QueueHealth{Queue: "exchange.mail"}
	var oldest string
	if err := q.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN mailed = ? AND mail_attempts = 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN mailed = ? AND mail_attempts > 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN mailed = ? THEN 1 ELSE 0 END), 0),
		COALESCE(MIN(CASE WHEN mailed = ? THEN created_at END), '')
		FROM ex_notifications WHERE mailed IN (?, ?)`, mailPending, mailPending, mailFailed, mailPending, mailPending, mailFailed).Scan(&h.Waiting, &h.Retrying, &h.Failed, &oldest); err != nil {
		return h, err
	}
	h.Oldest = store.ParseTime(oldest)
	var err error
	h.Problems, err = store.Collect(ctx, q, func(r store.Scanner) (store.QueueProblem, error) {
		var p store.QueueProblem
		var kind, next, since string
		var state int
		if err := r.Scan(&p.ID, &p.Peer, &kind, &state, &p.Attempts, &next, &p.LastError, &since); err != nil {
			return p, err
		}
		p.What, p.State, p.Since = "notification."+kind, "failed", store.ParseTime(since)
		if state == mailPending {
			p.State, p.NextTry = "retrying", store.ParseTime(next)
		}
		return p, nil
	}, `SELECT id, agency, kind, mailed, mail_attempts, mail_next_at, mail_error, created_at FROM ex_notifications
		WHERE (mailed = ? AND mail_attempts > 0) OR mailed = ? ORDER BY created_at DESC LIMIT ?`, mailPending, mailFailed, store.MaxQueueProblems)
	return h, err
}
