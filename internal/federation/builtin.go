package federation

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// Built-in message types.
const (
	// TypePing checks the path to a peer end to end; the peer answers with
	// TypePong from its handler, through its own outbox.
	TypePing = "federation.ping"
	TypePong = "federation.pong"
	// TypeNotice is a short free-text message between national contact
	// units. It is sensitive: it leaves only with NCU approval and is routed
	// to an agency by the receiving NCU.
	TypeNotice = "federation.notice"
)

// Ping is the payload of ping and pong.
type Ping struct {
	Summary string    `json:"summary"`
	SentAt  time.Time `json:"sent_at"`
	ReplyTo string    `json:"reply_to,omitempty"`
}

// Notice is the payload of a notice.
type Notice struct {
	Summary    string `json:"summary" doc:"subject line shown in NCU queues"`
	Text       string `json:"text"`
	FromUser   string `json:"from_user"`
	FromAgency string `json:"from_agency"`
}

func (s *Service) registerBuiltins() {
	s.Register(TypePing, TypeSpec{Handle: func(ctx context.Context, tx *store.Tx, in Incoming) error {
		var p Ping
		_ = json.Unmarshal(in.Payload, &p)
		_, err := s.Enqueue(ctx, tx, Outgoing{To: in.From, Type: TypePong, Conversation: in.Conversation,
			Payload: Ping{Summary: "pong", SentAt: p.SentAt, ReplyTo: in.ID}, Summary: "pong"})
		if err == nil {
			defer s.Notify()
		}
		return err
	}})
	s.Register(TypePong, TypeSpec{Handle: func(ctx context.Context, tx *store.Tx, in Incoming) error { return nil }})
	s.Register(TypeNotice, TypeSpec{Sensitive: true, Handle: func(ctx context.Context, tx *store.Tx, in Incoming) error { return nil },
		Describe: func(from string, payload json.RawMessage) (Preview, error) {
			var n Notice
			if err := json.Unmarshal(payload, &n); err != nil {
				return Preview{}, err
			}
			return Preview{Title: n.Summary, Body: n.Text, Fields: []PreviewField{{Label: "sender", Value: n.FromUser + " · " + n.FromAgency + " · " + from}}}, nil
		}})
}

// Ping sends a ping to a peer.
func (s *Service) Ping(ctx context.Context, actor *auth.Principal, peer string) (string, error) {
	return s.Send(ctx, Outgoing{To: peer, Type: TypePing, Payload: Ping{Summary: "ping", SentAt: s.d.Clock.Now()}, Summary: "ping", Actor: actor})
}

// SendNotice queues a notice for NCU approval.
func (s *Service) SendNotice(ctx context.Context, actor *auth.Principal, peer, subject, text string) (string, error) {
	subject, text = strings.TrimSpace(subject), strings.TrimSpace(text)
	if subject == "" || len(subject) > 200 {
		return "", errs.New(errs.Invalid, "federation.SendNotice", "a subject of at most 200 characters is required")
	}
	if text == "" || len(text) > 20000 {
		return "", errs.New(errs.Invalid, "federation.SendNotice", "the text is required (at most 20,000 characters)")
	}
	return s.Send(ctx, Outgoing{To: peer, Type: TypeNotice, Payload: Notice{Summary: subject, Text: text, FromUser: actor.Username, FromAgency: actor.Agency},
		Summary: subject, Actor: actor})
}

// ReceivedNotice is a notice delivered to this node.
type ReceivedNotice struct {
	ID         string    `json:"id"`
	From       string    `json:"from"`
	Subject    string    `json:"subject"`
	Text       string    `json:"text"`
	FromUser   string    `json:"from_user"`
	FromAgency string    `json:"from_agency"`
	RoutedTo   string    `json:"routed_to"`
	ReceivedAt time.Time `json:"received_at"`
}

// Notices lists notices routed to the caller's agency (all of them for the NCU).
// Reading them is audited.
func (s *Service) Notices(ctx context.Context, actor *auth.Principal) ([]ReceivedNotice, error) {
	rows, err := handledNotices(ctx, s.d.Store, actor.Has(auth.RoleNCUOperator), actor.Agency)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "federation.Notices", "cannot read notices", err)
	}
	var out []ReceivedNotice
	for _, r := range rows {
		n := ReceivedNotice{ID: r.id, From: r.from, RoutedTo: r.routedTo}
		var env Envelope
		var p Notice
		if json.Unmarshal([]byte(r.raw), &env) == nil {
			_ = json.Unmarshal(env.Payload, &p)
		}
		n.Subject, n.Text, n.FromUser, n.FromAgency, n.ReceivedAt = p.Summary, p.Text, p.FromUser, p.FromAgency, store.ParseTime(r.receivedAt)
		out = append(out, n)
	}
	if err := s.d.Audit.Record(ctx, audit.Entry{Actor: actor.Username, Agency: actor.Agency, Action: "federation.notices.read", Object: "notices", Detail: ""}); err != nil {
		return nil, err
	}
	return out, nil
}
