package assets

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/validate"
)

// Federation message types.
const (
	// TypeRequest asks another country's asset recovery office to trace
	// assets, freeze them or give information (sensitive: NCU gate).
	TypeRequest = "assets.request"
	// TypeAnswer carries the answer or refusal back (not sensitive: it
	// only reaches the agency that holds the request).
	TypeAnswer = "assets.answer"
)

// Purposes of a request to an asset recovery office.
var Purposes = []string{"trace", "freeze", "information", "management", "return"}

// Request statuses.
const (
	ReqSent     = "sent"
	ReqReceived = "received"
	ReqAnswered = "answered"
	ReqRefused  = "refused"
)

// Register binds the message types to the federation layer.
func (s *Service) Register(f *federation.Service) {
	f.Register(TypeRequest, federation.TypeSpec{Sensitive: true, Handle: s.handleRequest, Describe: describeRequest, Reroute: rerouteRequest})
	f.Register(TypeAnswer, federation.TypeSpec{Handle: s.handleAnswer})
}

// ARORequest is a request to or from another country's asset recovery office.
type ARORequest struct {
	ID         string    `json:"id"`
	Direction  string    `json:"direction" enum:"outgoing,incoming"`
	OriginNode string    `json:"origin_node"`
	TargetNode string    `json:"target_node"`
	Purpose    string    `json:"purpose" enum:"trace,freeze,information,management,return"`
	Subject    string    `json:"subject" doc:"person, company or asset concerned"`
	Details    string    `json:"details,omitempty"`
	CaseRef    string    `json:"case_ref,omitempty"`
	Status     string    `json:"status" enum:"sent,received,answered,refused"`
	Answer     string    `json:"answer,omitempty"`
	Agency     string    `json:"agency"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	AnsweredBy string    `json:"answered_by,omitempty"`
	AnsweredAt time.Time `json:"answered_at,omitzero"`
}

// NewRequest asks another country's asset recovery office.
type NewRequest struct {
	TargetNode string `json:"target_node" minLength:"2" maxLength:"32"`
	Purpose    string `json:"purpose" enum:"trace,freeze,information,management,return"`
	Subject    string `json:"subject" minLength:"1" maxLength:"300"`
	Details    string `json:"details,omitempty" maxLength:"20000"`
	CaseRef    string `json:"case_ref,omitempty" maxLength:"100"`
}

// AROAnswer answers or refuses an incoming request.
type AROAnswer struct {
	Refuse bool   `json:"refuse,omitempty"`
	Text   string `json:"text" minLength:"1" maxLength:"20000" doc:"the answer, or the reason for refusing"`
}

type wireAnswer struct {
	Summary string    `json:"summary"`
	ID      string    `json:"id"`
	Refused bool      `json:"refused"`
	Text    string    `json:"text"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
}

// SendRequest records an outgoing request and sends it through the NCU.
func (s *Service) SendRequest(ctx context.Context, actor *auth.Principal, in NewRequest) (ARORequest, error) {
	const op = "assets.SendRequest"
	if err := auth.Authorize(actor, auth.ActARRequest); err != nil {
		return ARORequest{}, err
	}
	var r ARORequest
	var err error
	r.TargetNode = strings.ToLower(strings.TrimSpace(in.TargetNode))
	if r.TargetNode == "" || r.TargetNode == s.d.NodeID || len(r.TargetNode) > 32 {
		return ARORequest{}, errs.New(errs.Invalid, op, "choose another country's asset recovery office")
	}
	r.Purpose = strings.TrimSpace(in.Purpose)
	if !slices.Contains(Purposes, r.Purpose) {
		return ARORequest{}, errs.Newf(errs.Invalid, op, "purpose must be one of %s", strings.Join(Purposes, ", "))
	}
	if r.Subject, err = validate.Field(op, "subject", in.Subject, 300, true); err != nil {
		return ARORequest{}, err
	}
	if r.Details, err = validate.Field(op, "details", in.Details, 20000, false); err != nil {
		return ARORequest{}, err
	}
	if r.CaseRef, err = validate.Field(op, "case reference", in.CaseRef, 100, false); err != nil {
		return ARORequest{}, err
	}
	if s.d.Fed == nil {
		return ARORequest{}, errs.New(errs.Invalid, op, "this node is not connected to other countries")
	}
	now := s.d.Clock.Now()
	r.ID, r.Direction, r.OriginNode, r.Status, r.Agency, r.CreatedBy, r.CreatedAt = store.NewID(), "outgoing", s.d.NodeID, ReqSent, actor.Agency, actor.Username, now
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := insertRequest(ctx, tx, r); err != nil {
			return err
		}
		w := struct {
			Summary string `json:"summary"`
			ARORequest
		}{"asset recovery request (" + r.Purpose + ") from " + r.OriginNode, r}
		if _, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: r.TargetNode, Type: TypeRequest, Conversation: "aro/" + r.ID, Payload: w, Summary: w.Summary, Actor: actor}); err != nil {
			return err
		}
		return s.auditTx(ctx, tx, actor, "assetrecovery.request.send", "aro/"+r.ID, r.Purpose+" to "+r.TargetNode)
	})
	if err != nil {
		return ARORequest{}, dbErr(op, "could not send the request", err)
	}
	s.d.Fed.Notify()
	return r, nil
}

// ParseRequestWire validates the payload of an assets.request from node
// from addressed to node to.
func ParseRequestWire(from, to string, raw []byte) (ARORequest, error) {
	const op = "assets.receive"
	var r ARORequest
	if err := json.Unmarshal(raw, &r); err != nil {
		return r, errs.Wrap(errs.Invalid, op, "malformed asset recovery request", err)
	}
	if r.ID == "" || len(r.ID) > 64 || r.OriginNode != from || r.TargetNode != to || !slices.Contains(Purposes, r.Purpose) {
		return r, errs.New(errs.Invalid, op, "asset recovery request with an invalid header")
	}
	if strings.TrimSpace(r.Subject) == "" || !utf8.ValidString(r.Subject+r.Details+r.CaseRef+r.CreatedBy) || utf8.RuneCountInString(r.Subject) > 300 ||
		utf8.RuneCountInString(r.Details) > 20000 || len(r.CaseRef) > 100 || len(r.CreatedBy) > 200 {
		return r, errs.New(errs.Invalid, op, "asset recovery request fields beyond their limits")
	}
	r.Direction, r.Status, r.Answer, r.AnsweredBy, r.AnsweredAt = "incoming", ReqReceived, "", "", time.Time{}
	return r, nil
}

func (s *Service) handleRequest(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	r, err := ParseRequestWire(in.From, s.d.NodeID, in.Payload)
	if err != nil {
		return err
	}
	if in.RoutedTo == "" {
		return errs.New(errs.Invalid, "assets.receive", "asset recovery request was not routed to an agency")
	}
	if held, err := requestExists(ctx, tx, r.ID); err != nil || held {
		return err
	}
	r.Agency, r.CreatedBy, r.CreatedAt = in.RoutedTo, r.CreatedBy+"@"+in.From, s.d.Clock.Now()
	return insertRequest(ctx, tx, r)
}

// AnswerRequest answers or refuses an incoming request and sends the answer back.
func (s *Service) AnswerRequest(ctx context.Context, actor *auth.Principal, id string, in AROAnswer) (ARORequest, error) {
	const op = "assets.AnswerRequest"
	if err := auth.Authorize(actor, auth.ActARRequest); err != nil {
		return ARORequest{}, err
	}
	text, err := validate.Field(op, "answer", in.Text, 20000, true)
	if err != nil {
		return ARORequest{}, err
	}
	r, err := s.request(ctx, actor, id)
	if err != nil {
		return ARORequest{}, err
	}
	if r.Direction != "incoming" || r.Status != ReqReceived {
		return ARORequest{}, &errs.E{Kind: errs.Conflict, Op: op, Code: "not-open", Msg: "only an open incoming request can be answered"}
	}
	now := s.d.Clock.Now()
	status := ReqAnswered
	if in.Refuse {
		status = ReqRefused
	}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := setAnswer(ctx, tx, r.ID, status, text, actor.Username, now); err != nil {
			return err
		}
		w := wireAnswer{Summary: "asset recovery request " + r.ID + ": " + status, ID: r.ID, Refused: in.Refuse, Text: text, By: actor.Username, At: now}
		if _, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: r.OriginNode, Type: TypeAnswer, Conversation: "aro/" + r.ID, Payload: w, Summary: w.Summary, Actor: actor}); err != nil {
			return err
		}
		return s.auditTx(ctx, tx, actor, "assetrecovery.request.answer", "aro/"+r.ID, status)
	})
	if err != nil {
		return ARORequest{}, dbErr(op, "could not send the answer", err)
	}
	s.d.Fed.Notify()
	return s.request(ctx, actor, r.ID)
}

func (s *Service) handleAnswer(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	const op = "assets.receive"
	var w wireAnswer
	if err := json.Unmarshal(in.Payload, &w); err != nil || w.ID == "" || !utf8.ValidString(w.Text+w.By) || len(w.Text) > 80000 || len(w.By) > 200 {
		return errs.New(errs.Invalid, op, "malformed asset recovery answer")
	}
	var target, status string
	err := outgoingState(ctx, tx, w.ID).Scan(&target, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return errs.New(errs.NotFound, op, "answer to an unknown asset recovery request")
	}
	if err != nil {
		return err
	}
	if target != in.From {
		return &errs.E{Kind: errs.Forbidden, Op: op, Code: "not-a-party", Msg: in.From + " was not asked in request " + w.ID}
	}
	if status != ReqSent {
		return nil // answered already
	}
	st := ReqAnswered
	if w.Refused {
		st = ReqRefused
	}
	return setAnswer(ctx, tx, w.ID, st, w.Text, w.By+"@"+in.From, s.d.Clock.Now())
}

func (s *Service) request(ctx context.Context, actor *auth.Principal, id string) (ARORequest, error) {
	r, err := requestByID(ctx, s.d.Store, strings.TrimSpace(id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && r.Agency != actor.Agency) {
		return ARORequest{}, errs.New(errs.NotFound, "assets.Request", "no such request")
	}
	return r, dbErr("assets.Request", "cannot read the request", err)
}

// Request returns one request held by the caller's agency. Reading is audited.
func (s *Service) Request(ctx context.Context, actor *auth.Principal, id string) (ARORequest, error) {
	if err := auth.Authorize(actor, auth.ActARView); err != nil {
		return ARORequest{}, err
	}
	r, err := s.request(ctx, actor, id)
	if err != nil {
		return ARORequest{}, err
	}
	return r, s.audit(ctx, actor, "assetrecovery.request.read", "aro/"+r.ID, "")
}

// Requests lists the requests held by the caller's agency, newest first.
func (s *Service) Requests(ctx context.Context, actor *auth.Principal) ([]ARORequest, error) {
	if err := auth.Authorize(actor, auth.ActARView); err != nil {
		return nil, err
	}
	out, err := agencyRequests(ctx, s.d.Store, actor.Agency)
	if err != nil {
		return nil, dbErr("assets.Requests", "cannot list requests", err)
	}
	return out, s.audit(ctx, actor, "assetrecovery.request.list", "aro", "")
}

// describeRequest shows the NCU an asset recovery request before it routes it.
func describeRequest(from string, payload json.RawMessage) (federation.Preview, error) {
	var r ARORequest
	if err := json.Unmarshal(payload, &r); err != nil {
		return federation.Preview{}, errs.Wrap(errs.Invalid, "assets.describe", "malformed asset recovery request", err)
	}
	p := federation.Preview{Title: r.Subject, Body: r.Details, Entities: []string{r.Subject}}
	p.Fields = append(p.Fields, federation.PreviewField{Label: "purpose", Value: r.Purpose})
	if r.CaseRef != "" {
		p.Fields = append(p.Fields, federation.PreviewField{Label: "case_refs", Value: r.CaseRef})
	}
	return p, nil
}

// rerouteRequest gives a received request to the agency the NCU chose instead.
func rerouteRequest(ctx context.Context, tx *store.Tx, in federation.Incoming, previous string) error {
	var r ARORequest
	if err := json.Unmarshal(in.Payload, &r); err != nil {
		return errs.Wrap(errs.Invalid, "assets.reroute", "malformed asset recovery request", err)
	}
	return moveRequest(ctx, tx, r.ID, previous, in.RoutedTo)
}
