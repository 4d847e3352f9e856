package exchange

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
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
	due, err := dueDeadlines(ctx, s.d.Store, now.Add(s.cfg.DefaultDeadline))
	if err != nil {
		return errs.Wrap(errs.Unavailable, "exchange.Deadlines", "cannot read deadlines", err)
	}
	for _, t := range due {
		owe := t.origin != s.d.NodeID // we received the request and owe the answer
		remindAt := t.deadline.Add(-time.Duration(float64(t.deadline.Sub(t.created)) * s.cfg.RemindFraction))
		var entries []audit.Entry
		step := func(tx *store.Tx) error {
			entries = nil
			if !now.Before(t.deadline) {
				if err := markExpired(ctx, tx, t.id); err != nil {
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
				if err := markReminded(ctx, tx, t.id); err != nil {
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
	warn, err := reviewsToWarn(ctx, s.d.Store, now.Add(s.cfg.RetentionWarning))
	if err != nil {
		return errs.Wrap(errs.Unavailable, op, "cannot read review dates", err)
	}
	for _, t := range warn {
		what := "deleted"
		if s.retentionAction(t.action) == RetentionAnonymise {
			what = "anonymised (content and personal data removed)"
		}
		err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
			if err := markReviewWarned(ctx, tx, t.id); err != nil {
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
	due, err := reviewsDue(ctx, s.d.Store, now, 500)
	if err != nil {
		return errs.Wrap(errs.Unavailable, op, "cannot read review dates", err)
	}
	for _, t := range due {
		if t.reason != "" {
			next := now.Add(s.cfg.KeepExtension)
			if err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
				if err := postponeReview(ctx, tx, t.id, next); err != nil {
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
		var err error
		if n, err = countThreadMessages(ctx, tx, id); err != nil {
			return err
		}
		if err := anonymiseThreadRows(ctx, tx, id, s.d.Clock.Now()); err != nil {
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
		var err error
		if n, err = countThreadMessages(ctx, tx, id); err != nil {
			return err
		}
		if err := deleteThreadRows(ctx, tx, id); err != nil {
			return err
		}
		return s.d.Audit.Queue(ctx, tx, audited(n))
	})
	return n, err
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
	return insertNotification(ctx, tx, notificationRow{agency: agency, role: role, threadID: threadID, kind: kind, text: text, mailed: s.d.Mailer == nil}, s.d.Clock.Now())
}

// Notifications lists the caller's notifications, newest first. Read
// state is per user: each user of an agency or role reads them separately.
func (s *Service) Notifications(ctx context.Context, actor *auth.Principal, unreadOnly bool) ([]ExchangeNotification, error) {
	out, err := notificationsOf(ctx, s.d.Store, actor, unreadOnly)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "exchange.Notifications", "cannot read notifications", err)
	}
	return out, nil
}

// MarkNotificationsRead marks every notification of the caller read for
// the caller only; colleagues keep their own unread notifications.
func (s *Service) MarkNotificationsRead(ctx context.Context, actor *auth.Principal) error {
	err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		n, err := markAllRead(ctx, tx, actor, s.d.Clock.Now())
		if err != nil || n == 0 {
			return err
		}
		return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: actor.Username, Agency: actor.Agency, Action: "exchange.notification.read",
			Object: "notifications", Detail: fmt.Sprintf("marked read=%d", n)})
	})
	if err != nil {
		return errs.Wrap(errs.Unavailable, "exchange.MarkNotificationsRead", "cannot update notifications", err)
	}
	return nil
}

// UnreadCount counts the caller's unread notifications (menus show it on
// every page; it reads no content).
func (s *Service) UnreadCount(ctx context.Context, actor *auth.Principal) (int, error) {
	n, err := countUnread(ctx, s.d.Store, actor)
	if err != nil {
		return 0, errs.Wrap(errs.Unavailable, "exchange.UnreadCount", "cannot read notifications", err)
	}
	return n, nil
}
