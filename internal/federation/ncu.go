package federation

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// Preview is what the national contact unit reads of a message before it
// approves or routes it: the content as the module describes it.
type Preview struct {
	Title      string         `json:"title,omitempty"`
	Body       string         `json:"body,omitempty"`
	Markings   string         `json:"markings,omitempty" doc:"handling markings in one line"`
	LegalBasis string         `json:"legal_basis,omitempty"`
	Entities   []string       `json:"entities,omitempty" doc:"persons, vehicles, accounts… named in the message, one line each"`
	Fields     []PreviewField `json:"fields,omitempty" doc:"other facts worth a look before deciding"`
	// Agency is the receiving agency the sender named, if any; the NCU
	// routing form pre-selects it.
	Agency string `json:"agency,omitempty"`
}

// PreviewField is one labelled fact of a preview.
type PreviewField struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Describer turns a payload into a preview for the NCU. from is the sending
// node (this node for outgoing messages).
type Describer func(from string, payload json.RawMessage) (Preview, error)

// Rerouter moves what a handled envelope created (a thread, a request) from
// the agency it was first routed to (previous) to in.RoutedTo.
type Rerouter func(ctx context.Context, tx *store.Tx, in Incoming, previous string) error

// QueueDetail is one queue item with its content, for the NCU to read before
// deciding.
type QueueDetail struct {
	QueueItem
	State    string  `json:"state"`
	RoutedTo string  `json:"routed_to,omitempty"`
	Preview  Preview `json:"preview"`
	// Routable reports whether the NCU may (re-)route this incoming message.
	Routable bool `json:"routable"`
}

// QueueItemDetail returns one outgoing or incoming message of the NCU's
// work with its preview. Reading it is audited.
func (s *Service) QueueItemDetail(ctx context.Context, actor *auth.Principal, id string) (QueueDetail, error) {
	const op = "federation.QueueItem"
	d, raw, err := ncuOutgoingDetail(ctx, s.d.Store, id)
	if errors.Is(err, sql.ErrNoRows) {
		d, raw, err = ncuIncomingDetail(ctx, s.d.Store, id)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return QueueDetail{}, errs.New(errs.NotFound, op, "no such message for the national contact unit")
	}
	if err != nil {
		return QueueDetail{}, errs.Wrap(errs.Unavailable, op, "cannot read the queue", err)
	}
	d.AgeSeconds = int64(s.d.Clock.Now().Sub(d.CreatedAt).Seconds())
	d.Routable = d.Direction == "incoming" && d.State != InFailed
	var env Envelope
	if err := json.Unmarshal([]byte(raw), &env); err != nil {
		return QueueDetail{}, errs.Wrap(errs.Internal, op, "stored envelope is unreadable", err)
	}
	if spec, ok := s.spec(d.Type); ok && spec.Describe != nil {
		if p, err := spec.Describe(env.From, env.Payload); err == nil {
			d.Preview = p
		} else {
			s.d.Logger.Warn("describe queued message", "id", id, "type", d.Type, "err", err)
		}
	}
	if err := s.d.Audit.Record(ctx, actorEntry(actor, "ncu.queue.read", "envelope/"+id, d.Type)); err != nil {
		return QueueDetail{}, err
	}
	return d, nil
}

// RoutedItem is an incoming message the NCU has already routed.
type RoutedItem struct {
	QueueItem
	RoutedTo  string    `json:"routed_to"`
	DecidedBy string    `json:"decided_by"`
	DecidedAt time.Time `json:"decided_at"`
}

// Routed lists the most recently routed incoming messages, newest first,
// so a mis-routed one can be routed again.
func (s *Service) Routed(ctx context.Context, limit int) ([]RoutedItem, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	items, err := routedInbox(ctx, s.d.Store, limit)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "federation.Routed", "cannot read routed messages", err)
	}
	now := s.d.Clock.Now()
	var out []RoutedItem
	for _, it := range items {
		it.AgeSeconds = int64(now.Sub(it.CreatedAt).Seconds())
		out = append(out, it)
	}
	return out, nil
}

// Reroute sends an already routed incoming message to another national
// agency: what its handler created (a thread, a request) moves with it.
func (s *Service) Reroute(ctx context.Context, actor *auth.Principal, id, agency string) error {
	const op = "federation.Reroute"
	agency = strings.TrimSpace(agency)
	if agency == "" || len(agency) > 100 {
		return errs.New(errs.Invalid, op, "choose the national agency that should receive the message")
	}
	var prev string
	err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		var state, raw string
		var err error
		state, prev, raw, err = inboxRouting(ctx, tx, id)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (prev == "" || state == InFailed)) {
			return errs.New(errs.Conflict, op, "this message has not been routed, so it cannot be routed again")
		}
		if err != nil {
			return err
		}
		if prev == agency {
			return errs.New(errs.Invalid, op, "the message is already with this agency")
		}
		if state == InHandled {
			var env Envelope
			if err := json.Unmarshal([]byte(raw), &env); err != nil {
				return err
			}
			if spec, ok := s.spec(env.Type); ok && spec.Reroute != nil {
				if err := spec.Reroute(ctx, tx, Incoming{Envelope: env, RoutedTo: agency}, prev); err != nil {
					return err
				}
			}
		}
		if err := rerouteInbox(ctx, tx, id, agency, actor.Username, store.FormatTime(s.d.Clock.Now())); err != nil {
			return err
		}
		return s.d.Audit.Queue(ctx, tx, actorEntry(actor, "ncu.reroute", "envelope/"+id, "from "+prev+" to "+agency))
	})
	if err != nil {
		var e *errs.E
		if errors.As(err, &e) {
			return err
		}
		return errs.Wrap(errs.Unavailable, op, "could not record the routing", err)
	}
	return nil
}
