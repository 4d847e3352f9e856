package mla

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
)

// Federation message types.
const (
	// TypeRequest carries a signed request to the requested node
	// (sensitive: the NCU approves it on the way out and routes it to the
	// competent authority on the way in).
	TypeRequest = "mla.request"
	// TypeUpdate carries status changes, answers, refusals, withdrawals
	// and extensions of a request both nodes already hold. It is not
	// sensitive: it only reaches the agency the NCU routed the request to.
	TypeUpdate = "mla.update"
)

// Register binds the message types to the federation layer.
func (s *Service) Register(f *federation.Service) {
	f.Register(TypeRequest, federation.TypeSpec{Sensitive: true, Handle: s.handleRequest, Describe: describe, Reroute: reroute})
	f.Register(TypeUpdate, federation.TypeSpec{Handle: s.handleUpdate})
}

// wireRequest is the payload of mla.request.
type wireRequest struct {
	Summary      string        `json:"summary"`
	ID           string        `json:"id"`
	OriginNode   string        `json:"origin_node"`
	TargetNode   string        `json:"target_node"`
	Kind         string        `json:"kind"`
	Title        string        `json:"title"`
	Facts        string        `json:"facts"`
	Measures     string        `json:"measures"`
	Persons      string        `json:"persons"`
	CaseRefs     []string      `json:"case_refs"`
	Urgent       bool          `json:"urgent"`
	LegalBasisID string        `json:"legal_basis_id"`
	LegalBasis   string        `json:"legal_basis"`
	Channel      string        `json:"channel"`
	Contact      string        `json:"contact"`
	Translations []Translation `json:"translations"`
	Agency       string        `json:"agency"`
	SignedBy     string        `json:"signed_by"`
	SignedAt     time.Time     `json:"signed_at"`
	Digest       string        `json:"digest"`
}

// update is the payload of mla.update.
type update struct {
	Summary      string    `json:"summary"`
	RequestID    string    `json:"request_id"`
	Kind         string    `json:"kind"` // status | extension
	Status       string    `json:"status,omitempty"`
	Reason       string    `json:"reason,omitempty"`
	Note         string    `json:"note,omitempty"`
	Actor        string    `json:"actor"`
	At           time.Time `json:"at"`
	RecogniseDue time.Time `json:"recognise_due,omitzero"`
	ExecuteDue   time.Time `json:"execute_due,omitzero"`
}

func summary(r Request) string {
	u := ""
	if r.Urgent {
		u = "[URGENT] "
	}
	return u + "judicial request (" + KindLabels[r.Kind] + ", " + r.Channel + " channel) from " + r.OriginNode
}

func toWire(r Request) wireRequest {
	return wireRequest{Summary: summary(r), ID: r.ID, OriginNode: r.OriginNode, TargetNode: r.TargetNode, Kind: r.Kind, Title: r.Title, Facts: r.Facts,
		Measures: r.Measures, Persons: r.Persons, CaseRefs: r.CaseRefs, Urgent: r.Urgent, LegalBasisID: r.LegalBasisID, LegalBasis: r.LegalBasis,
		Channel: r.Channel, Contact: r.Contact, Translations: r.Translations, Agency: r.Agency, SignedBy: r.SignedBy, SignedAt: r.SignedAt, Digest: r.Digest}
}

// ParseRequest decodes and validates the payload of an mla.request
// envelope from node from addressed to node to. The digest is recomputed
// and must match, so a request is stored exactly as its prosecutor signed it.
func ParseRequest(from, to string, raw []byte) (Request, error) {
	const op = "mla.receive"
	var w wireRequest
	if err := json.Unmarshal(raw, &w); err != nil {
		return Request{}, errs.Wrap(errs.Invalid, op, "malformed judicial request", err)
	}
	bad := func(what string) error { return errs.New(errs.Invalid, op, "judicial request with "+what) }
	if w.ID == "" || len(w.ID) > 64 {
		return Request{}, bad("no ID")
	}
	if w.OriginNode != from || w.TargetNode != to {
		return Request{}, bad("a sender or recipient other than the envelope's")
	}
	if !slices.Contains(Kinds, w.Kind) {
		return Request{}, bad("an unknown kind")
	}
	if w.Channel != ChannelFormal && w.Channel != ChannelInformal {
		return Request{}, bad("an unknown channel")
	}
	for _, f := range []struct {
		v   string
		max int
	}{{w.Title, 200}, {w.Facts, 50000}, {w.Measures, 50000}, {w.Persons, 5000}, {w.LegalBasisID, 64}, {w.LegalBasis, 1000},
		{w.Contact, 1000}, {w.Agency, 200}, {w.SignedBy, 200}, {w.Digest, 64}} {
		if !utf8.ValidString(f.v) || utf8.RuneCountInString(f.v) > f.max {
			return Request{}, bad("fields beyond their limits")
		}
	}
	if strings.TrimSpace(w.Title) == "" || w.SignedBy == "" || w.SignedAt.IsZero() {
		return Request{}, bad("no title or signature")
	}
	if len(w.CaseRefs) > 20 || len(w.Translations) > 20 {
		return Request{}, bad("too many case references or translations")
	}
	for _, c := range w.CaseRefs {
		if len(c) > 100 {
			return Request{}, bad("a case reference beyond its limit")
		}
	}
	for _, t := range w.Translations {
		if checkLanguage(t.Language) != nil {
			return Request{}, bad("an invalid translation language")
		}
	}
	r := Request{ID: w.ID, Direction: Incoming, OriginNode: w.OriginNode, TargetNode: w.TargetNode, Kind: w.Kind, Title: w.Title, Facts: w.Facts, Measures: w.Measures,
		Persons: w.Persons, CaseRefs: w.CaseRefs, Urgent: w.Urgent, LegalBasisID: w.LegalBasisID, LegalBasis: w.LegalBasis, Channel: w.Channel, Contact: w.Contact,
		Translations: w.Translations, SignedBy: w.SignedBy, SignedAt: w.SignedAt, Digest: w.Digest}
	if r.CaseRefs == nil {
		r.CaseRefs = []string{}
	}
	if r.Translations == nil {
		r.Translations = []Translation{}
	}
	if Digest(r) != w.Digest {
		return Request{}, bad("content that does not match its signed digest")
	}
	return r, nil
}

// handleRequest stores a received request for the agency the NCU routed it
// to, marks it received (the recognition deadline starts) and tells the
// requesting node.
func (s *Service) handleRequest(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	const op = "mla.receive"
	r, err := ParseRequest(in.From, s.d.NodeID, in.Payload)
	if err != nil {
		return err
	}
	if in.RoutedTo == "" {
		return errs.New(errs.Invalid, op, "judicial request was not routed to an authority")
	}
	held, err := requestExists(ctx, tx, r.ID)
	if err != nil {
		return err
	}
	if held {
		return nil // already held: a resent request changes nothing
	}
	now := s.d.Clock.Now()
	r.Status, r.Agency, r.CreatedBy, r.CreatedAt, r.UpdatedAt, r.SentAt = StatusSent, in.RoutedTo, r.SignedBy+"@"+in.From, now, now, r.SignedAt
	if err := insertRequest(ctx, tx, r); err != nil {
		return err
	}
	if err := insertEvent(ctx, tx, r.ID, r.SignedAt, in.From, r.SignedBy+"@"+in.From, "signed", "", "SHA-256 "+r.Digest); err != nil {
		return err
	}
	u := update{RequestID: r.ID, Kind: "status", Status: StatusReceived, Actor: "system:mla", At: now, RecogniseDue: now.Add(s.cfg.RecogniseDeadline),
		Note: "routed to " + in.RoutedTo}
	if err := s.apply(ctx, tx, r, u, s.d.NodeID); err != nil {
		return err
	}
	u.Note = ""
	u.Summary = "judicial request " + r.ID + ": received"
	if _, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: in.From, Type: TypeUpdate, Conversation: "mla/" + r.ID, Payload: u, Summary: u.Summary}); err != nil {
		return err
	}
	tx.AfterCommit(s.d.Fed.Notify)
	// Received requests are audited in the transaction that stores them.
	return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: r.SignedBy + "@" + in.From, Agency: in.RoutedTo, Action: "mla.request.receive", Object: "mla/" + r.ID,
		Detail: r.Kind + " from " + in.From + " routed to " + in.RoutedTo + "; SHA-256 " + r.Digest})
}

// ParseUpdate decodes and validates an mla.update payload.
func ParseUpdate(raw []byte) (update, error) {
	const op = "mla.receive"
	var u update
	if err := json.Unmarshal(raw, &u); err != nil {
		return u, errs.Wrap(errs.Invalid, op, "malformed status notice", err)
	}
	if u.RequestID == "" || len(u.RequestID) > 64 || u.At.IsZero() {
		return u, errs.New(errs.Invalid, op, "status notice without request or time")
	}
	switch u.Kind {
	case "status":
		if !slices.Contains(Statuses, u.Status) || u.Status == StatusDraft || u.Status == StatusSent {
			return u, errs.New(errs.Invalid, op, "status notice with an unknown status")
		}
	case "extension":
		if u.RecogniseDue.IsZero() {
			return u, errs.New(errs.Invalid, op, "extension notice without the new deadline")
		}
	default:
		return u, errs.New(errs.Invalid, op, "status notice of an unknown kind")
	}
	if !utf8.ValidString(u.Reason+u.Note+u.Actor) || len(u.Reason) > 16000 || len(u.Note) > 80000 || len(u.Actor) > 200 {
		return u, errs.New(errs.Invalid, op, "status notice fields beyond their limits")
	}
	return u, nil
}

// handleUpdate applies a status notice from the other node of a request.
// A notice that the table does not allow from the current status (the two
// sides acted at the same time, e.g. a withdrawal crossing a recognition)
// is kept in the timeline and otherwise ignored: a final status, once
// reached on a node, stays.
func (s *Service) handleUpdate(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	const op = "mla.receive"
	u, err := ParseUpdate(in.Payload)
	if err != nil {
		return err
	}
	r, err := s.requestByID(ctx, tx, u.RequestID)
	if errors.Is(err, sql.ErrNoRows) {
		// The request itself may still wait in this node's NCU queue (a
		// withdrawal can overtake it): keep the notice until it is routed.
		return fmt.Errorf("%s: status notice for request %s: %w", op, u.RequestID, federation.ErrNotYet)
	}
	if err != nil {
		return err
	}
	if r.Counterpart() != in.From {
		return &errs.E{Kind: errs.Forbidden, Op: op, Code: "not-a-party", Msg: in.From + " is not a party to request " + r.ID}
	}
	if u.Kind == "extension" {
		if r.Direction != Outgoing {
			return errs.New(errs.Invalid, op, "only the requested side extends a deadline")
		}
		return s.apply(ctx, tx, r, u, in.From)
	}
	t, ok := lookup(r.Status, u.Status)
	fromSide := requester
	if r.Direction == Outgoing { // the notice comes from the requested side
		fromSide = executor
	}
	if !ok || (t.by != fromSide && !(t.by == system && fromSide == executor)) {
		return insertEvent(ctx, tx, r.ID, u.At, in.From, u.Actor+"@"+in.From, "status", "",
			"notice of "+orQuote(StatusLabels[u.Status], u.Status)+" not applied: the request is "+StatusLabels[r.Status]+" here")
	}
	if u.Status == StatusRefused && strings.TrimSpace(u.Reason) == "" {
		return errs.New(errs.Invalid, op, "refusal without a reason")
	}
	if err := s.apply(ctx, tx, r, u, in.From); err != nil {
		return err
	}
	return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: u.Actor + "@" + in.From, Agency: r.Agency, Action: "mla.request.status.receive", Object: "mla/" + r.ID,
		Detail: r.Status + " → " + u.Status})
}

// describe shows the NCU the request before it routes it: title, legal
// basis, facts, measures and persons.
func describe(from string, payload json.RawMessage) (federation.Preview, error) {
	var w wireRequest
	if err := json.Unmarshal(payload, &w); err != nil {
		return federation.Preview{}, errs.Wrap(errs.Invalid, "mla.describe", "malformed judicial request", err)
	}
	p := federation.Preview{Title: w.Title, LegalBasis: w.LegalBasis, Body: strings.TrimSpace(w.Facts + "\n\n" + w.Measures), Agency: w.Contact}
	if w.Persons != "" {
		for _, l := range strings.Split(w.Persons, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				p.Entities = append(p.Entities, l)
			}
		}
	}
	p.Fields = append(p.Fields, federation.PreviewField{Label: "kind", Value: KindLabels[w.Kind]}, federation.PreviewField{Label: "channel", Value: w.Channel})
	if w.Urgent {
		p.Fields = append(p.Fields, federation.PreviewField{Label: "priority", Value: "urgent"})
	}
	if len(w.CaseRefs) > 0 {
		p.Fields = append(p.Fields, federation.PreviewField{Label: "case_refs", Value: strings.Join(w.CaseRefs, ", ")})
	}
	if w.Contact != "" {
		p.Fields = append(p.Fields, federation.PreviewField{Label: "contact", Value: w.Contact})
	}
	if w.SignedBy != "" {
		p.Fields = append(p.Fields, federation.PreviewField{Label: "signed_by", Value: w.SignedBy + "@" + from})
	}
	return p, nil
}

// reroute gives a received request to the authority the NCU chose instead.
func reroute(ctx context.Context, tx *store.Tx, in federation.Incoming, previous string) error {
	var w wireRequest
	if err := json.Unmarshal(in.Payload, &w); err != nil {
		return errs.Wrap(errs.Invalid, "mla.reroute", "malformed judicial request", err)
	}
	return rerouteRequest(ctx, tx, w.ID, previous, in.RoutedTo)
}
