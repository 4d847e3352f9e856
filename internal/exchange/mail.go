package exchange

import (
	"context"
	"fmt"
	"net"
	"net/smtp"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// Mailer sends one e-mail. The exchange module only ever sends a fixed,
// content-free text: that there is something to look at, and where.
type Mailer interface {
	Send(ctx context.Context, to []string, subject, body string) error
}

// SMTPConfig configures e-mail notifications.
type SMTPConfig struct {
	Addr     string // host:port; empty disables e-mail
	From     string
	Username string
	Password string
}

// SMTPMailer sends through an SMTP relay, with STARTTLS when offered.
type SMTPMailer struct{ cfg SMTPConfig }

// NewSMTPMailer returns a mailer, or nil when cfg.Addr is empty.
func NewSMTPMailer(cfg SMTPConfig) Mailer {
	if strings.TrimSpace(cfg.Addr) == "" {
		return nil
	}
	if cfg.From == "" {
		cfg.From = "liaison@localhost"
	}
	return &SMTPMailer{cfg: cfg}
}

// Send delivers one message.
func (m *SMTPMailer) Send(ctx context.Context, to []string, subject, body string) error {
	for _, a := range append([]string{m.cfg.From}, to...) {
		if strings.ContainsAny(a, "\r\n<>") {
			return errs.New(errs.Invalid, "exchange.mail", "invalid e-mail address")
		}
	}
	host, _, err := net.SplitHostPort(m.cfg.Addr)
	if err != nil {
		return errs.Wrap(errs.Invalid, "exchange.mail", "SMTP address must be host:port", err)
	}
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", m.cfg.Addr)
	if err != nil {
		return err
	}
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(tlsConfig(host)); err != nil {
			return err
		}
	}
	if m.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", m.cfg.Username, m.cfg.Password, host)); err != nil {
			return err
		}
	}
	if err := c.Mail(m.cfg.From); err != nil {
		return err
	}
	// A colleague's rejected address must not keep the others' e-mail
	// back: the message goes to whoever the relay accepts.
	var accepted int
	var rejected error
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			rejected = err
			continue
		}
		accepted++
	}
	if accepted == 0 {
		return fmt.Errorf("the relay accepted none of %d recipients: %w", len(to), rejected)
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
		m.cfg.From, strings.Join(to, ", "), subject, time.Now().UTC().Format(time.RFC1123Z), strings.ReplaceAll(body, "\n", "\r\n"))
	if _, err := w.Write([]byte(msg)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// mailText is the whole e-mail: no subject line, parties, names or content
// of the thread, only the kind of event and where to look.
func mailText(kind, baseURL string) (string, string) {
	subject := "Liaison: new notification"
	what := map[string]string{"message": "a new message", "shared": "a thread shared with your agency", "reminder": "a deadline reminder",
		"deadline": "an expired deadline", "escalation": "an escalated request", "retention": "a retention review"}[kind]
	if what == "" {
		what = "a new notification"
	}
	body := "You have " + what + " in Liaison.\n\nLog in to read it"
	if baseURL != "" {
		body += ": " + strings.TrimRight(baseURL, "/") + "/exchange/notifications"
	}
	return subject, body + ".\n\nThis e-mail contains no case information by design.\n"
}

// MailPending e-mails users about notifications not mailed yet: every
// active user of the notified agency (holding the role, when one is set)
// who has an e-mail address. A send that fails is tried again later with
// backoff and its reason shown on the work queues page; it never holds
// back the notifications after it.
func (s *Service) MailPending(ctx context.Context) error {
	const op = "exchange.MailPending"
	if s.d.Mailer == nil {
		return nil
	}
	now := s.d.Clock.Now()
	items, err := unmailedNotifications(ctx, s.d.Store, now)
	if err != nil {
		return errs.Wrap(errs.Unavailable, op, "cannot read notifications", err)
	}
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			return err
		}
		to, err := auth.MailRecipients(ctx, s.d.Store, it.agency, it.role)
		if err != nil {
			return errs.Wrap(errs.Unavailable, op, "cannot read notifications", err)
		}
		if len(to) > 0 {
			subject, body := mailText(it.kind, s.cfg.BaseURL)
			if err := s.d.Mailer.Send(ctx, to, subject, body); err != nil {
				attempts := it.attempts + 1
				giveUp := attempts >= maxMailAttempts
				s.d.Logger.Warn("notification e-mail failed", "notification", it.id, "attempt", attempts, "given_up", giveUp, "err", err)
				if err := markMailFailed(ctx, s.d.Store, it.id, attempts, now.Add(mailBackoff(attempts)), giveUp, textutil.Ellipsis(err.Error(), 300)); err != nil {
					return errs.Wrap(errs.Unavailable, op, "cannot update notifications", err)
				}
				continue
			}
		}
		// The e-mail left the node: it is on record with the mark.
		err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
			if err := markMailed(ctx, tx, it.id); err != nil {
				return err
			}
			return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: "system:exchange", Agency: it.agency, Action: "exchange.notification.mail",
				Object: "notification/" + it.id, Detail: fmt.Sprintf("kind=%s recipients=%d", it.kind, len(to))})
		})
		if err != nil {
			return errs.Wrap(errs.Unavailable, op, "cannot update notifications", err)
		}
	}
	return nil
}

// maxMailAttempts is how often a notification e-mail is tried before it is
// given up and shown as failed.
const maxMailAttempts = 8

// mailBackoff is the wait before attempt n+1: one minute, doubling, at
// most six hours.
func mailBackoff(attempts int) time.Duration {
	return min(time.Minute<<min(attempts-1, 12), 6*time.Hour)
}

// MailQueueHealth reports notification e-mails waiting, retrying and given
// up, with their reasons.
func (s *Service) MailQueueHealth(ctx context.Context) (store.QueueHealth, error) {
	h, err := mailHealth(ctx, s.d.Store)
	if err != nil {
		return h, errs.Wrap(errs.Unavailable, "exchange.MailQueueHealth", "cannot read notifications", err)
	}
	return h, nil
}
