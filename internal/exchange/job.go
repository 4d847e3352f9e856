package exchange

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
)

// Run auto-routes later messages of routed threads, and periodically sends
// deadline reminders and escalations, applies retention and mails
// notifications, until ctx ends.
func (s *Service) Run(ctx context.Context) {
	route := time.NewTicker(s.cfg.RoutePoll)
	defer route.Stop()
	tick := time.NewTicker(s.cfg.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-route.C:
			if _, err := s.AutoRoute(ctx); err != nil && ctx.Err() == nil {
				s.d.Logger.Warn("exchange auto-routing failed", "err", err)
			}
		case <-tick.C:
			if err := s.Tick(ctx); err != nil && ctx.Err() == nil {
				s.d.Logger.Warn("exchange job failed", "err", err)
			}
		}
	}
}

// Tick runs one round of the periodic job: deadlines, retention, e-mail.
func (s *Service) Tick(ctx context.Context) error {
	if _, err := s.AutoRoute(ctx); err != nil {
		return err
	}
	if err := s.Deadlines(ctx); err != nil {
		return err
	}
	if err := s.Retention(ctx); err != nil {
		return err
	}
	return s.MailPending(ctx)
}

// Deadlines sends reminders before expiry to the agency that owes an
// answer, and at expiry notifies both sides and escalates to the NCU
// supervisor of the node that owes the answer.
func (s *Service) Deadlines(ctx context.Context) error {
	now := s.d.Clock.Now()
	rows, err := s.d.Store.QueryContext(ctx, `SELECT id, origin_node, agency, created_at, deadline_at, reminded, expired FROM ex_threads
		WHERE status = ? AND deadline_at != '' AND expired = 0 AND deadline_at <= ?`, StatusOpen, store.FormatTime(now.Add(s.cfg.DefaultDeadline)))
	if err != nil {
		return errs.Wrap(errs.Unavailable, "exchange.Deadlines", "cannot read deadlines", err)
	}
	type th struct {
		id, origin, agency string
		created, deadline  time.Time
		reminded           bool
	}
	var due []th
	for rows.Next() {
		var t th
		var c, d string
		var rem, exp int
		if err := rows.Scan(&t.id, &t.origin, &t.agency, &c, &d, &rem, &exp); err != nil {
			rows.Close()
			return err
		}
		t.created, t.deadline, t.reminded = store.ParseTime(c), store.ParseTime(d), rem == 1
		due = append(due, t)
	}
	rows.Close()
	for _, t := range due {
		owe := t.origin != s.d.NodeID // we received the request and owe the answer
		remindAt := t.deadline.Add(-time.Duration(float64(t.deadline.Sub(t.created)) * s.cfg.RemindFraction))
		var entries []audit.Entry
		step := func(tx *store.Tx) error {
			entries = nil
			if !now.Before(t.deadline) {
				if _, err := tx.ExecContext(ctx, `UPDATE ex_threads SET expired = 1, reminded = 1 WHERE id = ?`, t.id); err != nil {
					return err
				}
				if owe {
					if err := s.notify(ctx, tx, t.agency, "", t.id, "deadline", "The response deadline has expired ("+fmtTime(t.deadline)+"); give the answer or the reason for the delay"); err != nil {
						return err
					}
					if err := s.notify(ctx, tx, "", string(auth.RoleNCUOperator), t.id, "escalation", "Escalation: a request to "+t.agency+" is unanswered past its deadline ("+fmtTime(t.deadline)+")"); err != nil {
						return err
					}
					entries = append(entries, audit.Entry{Actor: "system:exchange", Agency: s.d.NodeID, Action: "exchange.deadline.escalate", Object: "thread/" + t.id, Detail: "deadline " + fmtTime(t.deadline) + " expired; escalated to the NCU supervisor"})
				} else {
					if err := s.notify(ctx, tx, t.agency, "", t.id, "deadline", "No answer yet: the response deadline expired ("+fmtTime(t.deadline)+")"); err != nil {
						return err
					}
					entries = append(entries, audit.Entry{Actor: "system:exchange", Agency: s.d.NodeID, Action: "exchange.deadline.expired", Object: "thread/" + t.id, Detail: "deadline " + fmtTime(t.deadline)})
				}
				return nil
			}
			if !t.reminded && !now.Before(remindAt) {
				if _, err := tx.ExecContext(ctx, `UPDATE ex_threads SET reminded = 1 WHERE id = ?`, t.id); err != nil {
					return err
				}
				if owe {
					if err := s.notify(ctx, tx, t.agency, "", t.id, "reminder", "Reminder: an answer is due by "+fmtTime(t.deadline)); err != nil {
						return err
					}
					entries = append(entries, audit.Entry{Actor: "system:exchange", Agency: s.d.NodeID, Action: "exchange.deadline.reminder", Object: "thread/" + t.id, Detail: "due " + fmtTime(t.deadline)})
				}
			}
			return nil
		}
		err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
			if err := step(tx); err != nil {
				return err
			}
			return s.d.Audit.Queue(ctx, tx, entries...)
		})
		if err != nil {
			return errs.Wrap(errs.Unavailable, "exchange.Deadlines", "cannot record reminders", err)
		}
	}
	return nil
}

func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// Retention actions: what happens to a thread at its review date when no
// reason to keep it is recorded.
const (
	RetentionDelete    = "delete"    // the thread and all its content are removed
	RetentionAnonymise = "anonymise" // content and personal data go; routing and statistics stay
)

// retentionAction is the effective action for a thread: its own setting or
// the node's.
func (s *Service) retentionAction(own string) string {
	if own == RetentionAnonymise || own == RetentionDelete {
		return own
	}
	return s.cfg.RetentionAction
}

// Retention warns owners ahead of a thread's review date and, at the
// review date, deletes or anonymises the thread (the thread's own setting,
// else the node's) unless a reason to keep it is recorded; a recorded
// reason moves the review date by KeepExtension and must be given again at
// the next review. Deletion removes everything the thread holds (messages,
// attachments, entities, acknowledgements, imports, notifications, search
// terms and the federation envelopes that carried it); anonymisation
// removes the content, the parties' personal data, attachments and
// entities and keeps the routing metadata and statistics. Both are
// audited by thread ID only: the content is gone.
func (s *Service) Retention(ctx context.Context) error {
	const op = "exchange.Retention"
	now := s.d.Clock.Now()
	// Warnings.
	rows, err := s.d.Store.QueryContext(ctx, `SELECT id, agency, keep_reason, review_at, retention_action FROM ex_threads
		WHERE review_warned = 0 AND anonymised_at = '' AND review_at <= ?`, store.FormatTime(now.Add(s.cfg.RetentionWarning)))
	if err != nil {
		return errs.Wrap(errs.Unavailable, op, "cannot read review dates", err)
	}
	type th struct{ id, agency, reason, review, action string }
	var warn []th
	for rows.Next() {
		var t th
		if err := rows.Scan(&t.id, &t.agency, &t.reason, &t.review, &t.action); err != nil {
			rows.Close()
			return err
		}
		warn = append(warn, t)
	}
	rows.Close()
	for _, t := range warn {
		what := "deleted"
		if s.retentionAction(t.action) == RetentionAnonymise {
			what = "anonymised (content and personal data removed)"
		}
		err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE ex_threads SET review_warned = 1 WHERE id = ?`, t.id); err != nil {
				return err
			}
			if err := s.notify(ctx, tx, t.agency, "", t.id, "retention", "Retention review on "+fmtTime(store.ParseTime(t.review))+": the thread will be "+what+" unless a reason to keep it is recorded"); err != nil {
				return err
			}
			return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: "system:exchange", Agency: s.d.NodeID, Action: "exchange.retention.warn", Object: "thread/" + t.id,
				Detail: "review " + t.review + "; action " + s.retentionAction(t.action)})
		})
		if err != nil {
			return errs.Wrap(errs.Unavailable, op, "cannot record the warning", err)
		}
	}
	// Expiry.
	rows, err = s.d.Store.QueryContext(ctx, `SELECT id, agency, keep_reason, review_at, retention_action FROM ex_threads WHERE anonymised_at = '' AND review_at <= ? LIMIT 500`, store.FormatTime(now))
	if err != nil {
		return errs.Wrap(errs.Unavailable, op, "cannot read review dates", err)
	}
	var due []th
	for rows.Next() {
		var t th
		if err := rows.Scan(&t.id, &t.agency, &t.reason, &t.review, &t.action); err != nil {
			rows.Close()
			return err
		}
		due = append(due, t)
	}
	rows.Close()
	for _, t := range due {
		if t.reason != "" {
			next := now.Add(s.cfg.KeepExtension)
			if err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
				if _, err := tx.ExecContext(ctx, `UPDATE ex_threads SET review_at = ?, keep_reason = '', review_warned = 0 WHERE id = ?`, store.FormatTime(next), t.id); err != nil {
					return err
				}
				return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: "system:exchange", Agency: s.d.NodeID, Action: "exchange.retention.keep", Object: "thread/" + t.id,
					Detail: "kept at review; reason: " + t.reason + "; next review " + store.FormatTime(next)})
			}); err != nil {
				return errs.Wrap(errs.Unavailable, op, "cannot extend the review date", err)
			}
			continue
		}
		if s.retentionAction(t.action) == RetentionAnonymise {
			if _, err := s.anonymiseThread(ctx, t.id, func(n int) audit.Entry {
				return audit.Entry{Actor: "system:exchange", Agency: s.d.NodeID, Action: "exchange.retention.anonymise", Object: "thread/" + t.id,
					Detail: "review date " + t.review + " reached without a reason to keep; " + strconv.Itoa(n) + " messages anonymised: texts, names, entities, attachments and search terms removed; routing and statistics kept"}
			}); err != nil {
				return errs.Wrap(errs.Unavailable, op, "cannot anonymise an expired thread", err)
			}
			continue
		}
		if _, err := s.deleteThread(ctx, t.id, func(n int) audit.Entry {
			return audit.Entry{Actor: "system:exchange", Agency: s.d.NodeID, Action: "exchange.retention.delete", Object: "thread/" + t.id,
				Detail: "review date " + t.review + " reached without a reason to keep; " + strconv.Itoa(n) + " messages and their content deleted"}
		}); err != nil {
			return errs.Wrap(errs.Unavailable, op, "cannot delete an expired thread", err)
		}
	}
	return nil
}

// AnonymisedSubject replaces the subject of an anonymised thread.
const AnonymisedSubject = "[anonymised]"

// anonymiseThread removes a thread's content and personal data and keeps
// what routing and statistics need: the thread's ID, crime area, priority,
// status, participating nodes and agencies, dates and deadline; per
// message its kind, nodes, agency, markings, recipients and
// acknowledgement times.
// anonymiseThread strips a thread's content; audit, built from the number
// of messages, is queued in the same transaction.
func (s *Service) anonymiseThread(ctx context.Context, id string, audited func(n int) audit.Entry) (int, error) {
	var n int
	err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM ex_messages WHERE thread_id = ?`, id).Scan(&n); err != nil {
			return err
		}
		now := store.FormatTime(s.d.Clock.Now())
		if _, err := tx.ExecContext(ctx, `UPDATE ex_threads SET subject = ?, case_refs = '[]', created_by = '', keep_reason = '', search = '', anonymised_at = ?,
			status = CASE WHEN status = ? THEN ? ELSE status END WHERE id = ?`, AnonymisedSubject, now, StatusOpen, StatusClosed, id); err != nil {
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
		if err := deleteEnvelopes(ctx, tx, id); err != nil {
			return err
		}
		return s.d.Audit.Queue(ctx, tx, audited(n))
	})
	return n, err
}

// deleteThread removes a thread and every trace of its content.
// deleteThread removes a thread and its content; audit, built from the
// number of messages, is queued in the same transaction.
func (s *Service) deleteThread(ctx context.Context, id string, audited func(n int) audit.Entry) (int, error) {
	var n int
	err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM ex_messages WHERE thread_id = ?`, id).Scan(&n); err != nil {
			return err
		}
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
		if err := deleteEnvelopes(ctx, tx, id); err != nil {
			return err
		}
		return s.d.Audit.Queue(ctx, tx, audited(n))
	})
	return n, err
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

// Notification is an in-app notification. Texts never carry message content.
type ExchangeNotification struct {
	ID        string    `json:"id"`
	ThreadID  string    `json:"thread_id,omitempty"`
	Kind      string    `json:"kind" enum:"message,shared,reminder,deadline,escalation,retention"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
	Read      bool      `json:"read"`
}

// notify records a notification for an agency (every user of it), for the
// holders of a role (at any agency when agency is empty), or both.
func (s *Service) notify(ctx context.Context, tx *store.Tx, agency, role, threadID, kind, text string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO ex_notifications (id, agency, role, thread_id, kind, text, created_at, mailed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		store.NewID(), agency, role, threadID, kind, text, store.FormatTime(s.d.Clock.Now()), store.BoolInt(s.d.Mailer == nil))
	return err
}

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

// Notifications lists the caller's notifications, newest first. Read
// state is per user: each user of an agency or role reads them separately.
func (s *Service) Notifications(ctx context.Context, actor *auth.Principal, unreadOnly bool) ([]ExchangeNotification, error) {
	where, args := notificationScope(actor)
	if unreadOnly {
		where += ` AND r.read_at IS NULL`
	}
	rows, err := s.d.Store.QueryContext(ctx, `SELECT n.id, n.thread_id, n.kind, n.text, n.created_at, COALESCE(r.read_at, '') FROM ex_notifications n
		LEFT JOIN ex_notification_reads r ON r.notification_id = n.id AND r.username = ? WHERE `+where+` ORDER BY n.created_at DESC, n.id DESC LIMIT 200`,
		append([]any{actor.Username}, args...)...)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "exchange.Notifications", "cannot read notifications", err)
	}
	defer rows.Close()
	out := []ExchangeNotification{}
	for rows.Next() {
		var n ExchangeNotification
		var c, r string
		if err := rows.Scan(&n.ID, &n.ThreadID, &n.Kind, &n.Text, &c, &r); err != nil {
			return nil, errs.Wrap(errs.Unavailable, "exchange.Notifications", "cannot read notifications", err)
		}
		n.CreatedAt, n.Read = store.ParseTime(c), r != ""
		out = append(out, n)
	}
	return out, rows.Err()
}

// MarkNotificationsRead marks every notification of the caller read for
// the caller only; colleagues keep their own unread notifications.
func (s *Service) MarkNotificationsRead(ctx context.Context, actor *auth.Principal) error {
	where, args := notificationScope(actor)
	_, err := s.d.Store.ExecContext(ctx, `INSERT INTO ex_notification_reads (notification_id, username, read_at)
		SELECT n.id, ?, ? FROM ex_notifications n WHERE `+where+` AND NOT EXISTS (SELECT 1 FROM ex_notification_reads r WHERE r.notification_id = n.id AND r.username = ?)
		ON CONFLICT (notification_id, username) DO NOTHING`,
		append(append([]any{actor.Username, store.FormatTime(s.d.Clock.Now())}, args...), actor.Username)...)
	if err != nil {
		return errs.Wrap(errs.Unavailable, "exchange.MarkNotificationsRead", "cannot update notifications", err)
	}
	return nil
}

// UnreadCount counts the caller's unread notifications (menus show it on
// every page; it reads no content).
func (s *Service) UnreadCount(ctx context.Context, actor *auth.Principal) (int, error) {
	where, args := notificationScope(actor)
	var n int
	err := s.d.Store.QueryRowContext(ctx, `SELECT COUNT(*) FROM ex_notifications n
		LEFT JOIN ex_notification_reads r ON r.notification_id = n.id AND r.username = ? WHERE `+where+` AND r.read_at IS NULL`,
		append([]any{actor.Username}, args...)...).Scan(&n)
	if err != nil {
		return 0, errs.Wrap(errs.Unavailable, "exchange.UnreadCount", "cannot read notifications", err)
	}
	return n, nil
}
