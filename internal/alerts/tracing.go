package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/directory"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/validate"
)

// Tracing request statuses: sent → acknowledged (on arrival) → in
// progress → answered → closed (by the requesting side).
const (
	TraceSent         = "sent"
	TraceAcknowledged = "acknowledged"
	TraceInProgress   = "in_progress"
	TraceAnswered     = "answered"
	TraceClosed       = "closed"
)

// TraceStatuses in order.
var TraceStatuses = []string{TraceSent, TraceAcknowledged, TraceInProgress, TraceAnswered, TraceClosed}

// Federation message types of tracing.
const (
	// TypeTrace carries a tracing request to the requested country's
	// firearms focal point (sensitive: approved and routed by the NCUs).
	TypeTrace = "alerts.trace"
	// TypeTraceUpdate carries acknowledgements, progress, the answer and
	// closing between the two nodes.
	TypeTraceUpdate = "alerts.trace_update"
)

// FirearmMarkings are the markings of a traced firearm.
type FirearmMarkings struct {
	Manufacturer  string `json:"manufacturer" maxLength:"100"`
	CountryMade   string `json:"country_of_manufacture,omitempty" maxLength:"3"`
	Serial        string `json:"serial" maxLength:"60"`
	Year          int    `json:"year,omitempty"`
	Model         string `json:"model,omitempty" maxLength:"100"`
	Calibre       string `json:"calibre,omitempty" maxLength:"40"`
	Type          string `json:"type"`
	ImportMarking string `json:"import_marking,omitempty" maxLength:"100"`
}

// Trace is a tracing request as this node holds it.
type Trace struct {
	ID            string          `json:"id"`
	Direction     string          `json:"direction" enum:"outgoing,incoming"`
	FromNode      string          `json:"from_node"`
	ToNode        string          `json:"to_node"`
	FirearmID     string          `json:"firearm_id,omitempty"`
	Markings      FirearmMarkings `json:"markings"`
	Circumstances string          `json:"circumstances" doc:"circumstances of the seizure"`
	LegalBasisID  string          `json:"legal_basis_id,omitempty"`
	LegalBasis    string          `json:"legal_basis"`
	FocalPoint    string          `json:"focal_point,omitempty" doc:"the requested country's firearms focal point (directory)"`
	Requester     string          `json:"requester" doc:"requesting focal point or officer"`
	Status        string          `json:"status" enum:"sent,acknowledged,in_progress,answered,closed"`
	Due           time.Time       `json:"due" doc:"the requested side answers by then"`
	Overdue       bool            `json:"overdue"`
	Answer        string          `json:"answer,omitempty" doc:"the firearm's legal history: manufacture, export, import, owners, licences"`
	Agency        string          `json:"agency"`
	CreatedBy     string          `json:"created_by"`
	CreatedAt     time.Time       `json:"created_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
	Events        []TraceEvent    `json:"events,omitempty"`
}

// TraceEvent is one entry of a tracing request's timeline.
type TraceEvent struct {
	At     time.Time `json:"at"`
	Node   string    `json:"node"`
	Actor  string    `json:"actor"`
	Status string    `json:"status"`
	Note   string    `json:"note,omitempty"`
}

// TraceInput asks another country to trace a recorded firearm.
type TraceInput struct {
	ToNode        string `json:"to_node" minLength:"2" maxLength:"32"`
	LegalBasisID  string `json:"legal_basis_id,omitempty" maxLength:"64"`
	Circumstances string `json:"circumstances" minLength:"1" maxLength:"4000"`
	FocalPointID  string `json:"focal_point_id,omitempty" maxLength:"64" doc:"directory contact point with the firearms role in the requested country; default: the first one the directory lists"`
}

// TraceChange moves a tracing request on.
type TraceChange struct {
	Status string `json:"status" enum:"in_progress,answered,closed"`
	Answer string `json:"answer,omitempty" maxLength:"20000" doc:"required to answer: the firearm's legal history"`
}

const traceCols = `id, direction, from_node, to_node, firearm_id, markings, circumstances, legal_basis_id, legal_basis, focal_point, requester, status, due,
	answer, agency, created_by, created_at, updated_at`

func (s *Service) scanTrace(row interface{ Scan(...any) error }) (Trace, error) {
	var t Trace
	var jc store.JSONColumns
	var markings, due, created, updated string
	err := row.Scan(&t.ID, &t.Direction, &t.FromNode, &t.ToNode, &t.FirearmID, &markings, &t.Circumstances, &t.LegalBasisID, &t.LegalBasis, &t.FocalPoint,
		&t.Requester, &t.Status, &due, &t.Answer, &t.Agency, &t.CreatedBy, &created, &updated)
	if err != nil {
		return t, err
	}
	jc.Decode("markings", markings, &t.Markings)
	t.Due, t.CreatedAt, t.UpdatedAt = pt(due), pt(created), pt(updated)
	t.Overdue = (t.Status == TraceSent || t.Status == TraceAcknowledged || t.Status == TraceInProgress) && !s.d.Clock.Now().Before(t.Due)
	return t, jc.Err("alerts.trace", "trace "+t.ID)
}

// RequestTrace sends a tracing request for a recorded firearm to another
// country's firearms focal point, with the legal basis from the directory.
func (s *Service) RequestTrace(ctx context.Context, actor *auth.Principal, firearmID string, in TraceInput) (Trace, error) {
	const op = "alerts.RequestTrace"
	if err := auth.Authorize(actor, auth.ActFirearmsEdit); err != nil {
		return Trace{}, err
	}
	f, err := firearmByID(ctx, s.d.Store, strings.TrimSpace(firearmID))
	if isNoRows(err) || (err == nil && f.Agency != actor.Agency && !actor.Has(auth.RoleNCUOperator)) {
		return Trace{}, errs.New(errs.NotFound, op, "no such firearm record")
	}
	if err != nil {
		return Trace{}, unavailable(op, err)
	}
	circ, err := validate.Field(op, "circumstances of the seizure", in.Circumstances, 4000, true)
	if err != nil {
		return Trace{}, err
	}
	if s.d.Fed == nil {
		return Trace{}, errs.New(errs.Invalid, op, "this node is not connected to other countries")
	}
	recips, _, err := s.resolveRecipients(ctx, actor, op, AlertDraft{Recipients: []RecipientInput{{Node: in.ToNode, LegalBasisID: in.LegalBasisID}}})
	if err != nil {
		return Trace{}, err
	}
	r := recips[0]
	now := s.d.Clock.Now()
	t := Trace{ID: store.NewID(), Direction: "outgoing", FromNode: s.d.NodeID, ToNode: r.Node, FirearmID: f.ID, Circumstances: circ,
		Markings:     FirearmMarkings{Manufacturer: f.Manufacturer, CountryMade: f.CountryMade, Serial: f.Serial, Year: f.Year, Model: f.Model, Calibre: f.Calibre, Type: f.Type, ImportMarking: f.ImportMarking},
		LegalBasisID: r.LegalBasisID, LegalBasis: r.LegalBasis, Requester: actor.Username + " (" + actor.Agency + ")", Status: TraceSent,
		Due: now.Add(s.cfg.TraceDeadline), Agency: actor.Agency, CreatedBy: actor.Username, CreatedAt: now, UpdatedAt: now}
	if fp, ok, err := s.focalPoint(ctx, actor, op, r.Node, strings.TrimSpace(in.FocalPointID)); err != nil {
		return Trace{}, err
	} else if ok {
		t.FocalPoint = fp
	}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := insertTrace(ctx, tx, t); err != nil {
			return err
		}
		if err := traceEvent(ctx, tx, t.ID, TraceEvent{At: now, Node: s.d.NodeID, Actor: actor.Username, Status: TraceSent, Note: "to " + t.ToNode + "; " + t.LegalBasis}); err != nil {
			return err
		}
		if _, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: t.ToNode, Type: TypeTrace, Conversation: "trace/" + t.ID, Payload: t,
			Summary: "firearm tracing request from " + t.FromNode, Actor: actor}); err != nil {
			return err
		}
		return s.queueAudit(ctx, tx, actor, "alerts.trace.send", "trace/"+t.ID, "to "+t.ToNode+"; firearm "+f.ID)
	})
	if err != nil {
		return Trace{}, dbErr(op, "could not send the tracing request", err)
	}
	s.d.Fed.Notify()
	return s.GetTrace(ctx, actor, t.ID)
}

func (s *Service) handleTrace(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	const op = "alerts.receive"
	var t Trace
	if err := json.Unmarshal(in.Payload, &t); err != nil {
		return errs.Wrap(errs.Invalid, op, "malformed tracing request", err)
	}
	m := t.Markings
	ok := t.ID != "" && len(t.ID) <= 64 && t.FromNode == in.From && t.ToNode == s.d.NodeID && strings.TrimSpace(m.Serial) != "" && !t.Due.IsZero()
	for _, f := range []struct {
		v   string
		max int
	}{{m.Manufacturer, 100}, {m.CountryMade, 3}, {m.Serial, 60}, {m.Model, 100}, {m.Calibre, 40}, {m.Type, 40}, {m.ImportMarking, 100},
		{t.Circumstances, 4000}, {t.LegalBasis, 1200}, {t.Requester, 400}, {t.FocalPoint, 600}} {
		ok = ok && utf8.ValidString(f.v) && utf8.RuneCountInString(f.v) <= f.max
	}
	if !ok {
		return errs.New(errs.Invalid, op, "tracing request without its markings or beyond its limits")
	}
	if in.RoutedTo == "" {
		return errs.New(errs.Invalid, op, "tracing request was not routed to an authority")
	}
	if held, err := rowExists(ctx, tx, "alerts_traces", t.ID); err != nil || held {
		return err
	}
	now := s.d.Clock.Now()
	t.Direction, t.FirearmID, t.Status, t.Answer, t.Agency, t.CreatedBy, t.CreatedAt, t.UpdatedAt = "incoming", "", TraceAcknowledged, "", in.RoutedTo, t.CreatedBy+"@"+in.From, now, now
	if err := insertTrace(ctx, tx, t); err != nil {
		return err
	}
	if err := traceEvent(ctx, tx, t.ID, TraceEvent{At: now, Node: s.d.NodeID, Actor: "system:alerts", Status: TraceAcknowledged, Note: "routed to " + in.RoutedTo}); err != nil {
		return err
	}
	u := traceUpdate{TraceID: t.ID, Status: TraceAcknowledged, Actor: "system:alerts", At: now}
	if _, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: in.From, Type: TypeTraceUpdate, Conversation: "trace/" + t.ID, Payload: u, Summary: "tracing request " + t.ID + ": acknowledged"}); err != nil {
		return err
	}
	tx.AfterCommit(s.d.Fed.Notify)
	return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: t.CreatedBy, Agency: in.RoutedTo, Action: "alerts.trace.receive", Object: "trace/" + t.ID, Detail: "from " + in.From})
}

type traceUpdate struct {
	TraceID string    `json:"trace_id"`
	Status  string    `json:"status"`
	Answer  string    `json:"answer,omitempty"`
	Actor   string    `json:"actor"`
	At      time.Time `json:"at"`
}

// traceNext says who may move a tracing request from a status to another.
func traceNext(from, to, direction string) bool {
	switch {
	case direction == "incoming":
		return (to == TraceInProgress && from == TraceAcknowledged) || (to == TraceAnswered && (from == TraceAcknowledged || from == TraceInProgress))
	default:
		return to == TraceClosed && from != TraceClosed
	}
}

// UpdateTrace moves a tracing request on: the requested side reports
// progress and answers with the firearm's legal history; the requesting
// side closes it. The change reaches the other node.
func (s *Service) UpdateTrace(ctx context.Context, actor *auth.Principal, id string, in TraceChange) (Trace, error) {
	const op = "alerts.UpdateTrace"
	if err := auth.Authorize(actor, auth.ActFirearmsEdit); err != nil {
		return Trace{}, err
	}
	t, err := s.visibleTrace(ctx, actor, id)
	if err != nil {
		return Trace{}, err
	}
	if !traceNext(t.Status, in.Status, t.Direction) {
		return Trace{}, &errs.E{Kind: errs.Conflict, Op: op, Code: "bad-transition", Msg: "a tracing request that is " + t.Status + " cannot be moved to " + quote(in.Status) + " by this side"}
	}
	answer, err := validate.Field(op, "answer (legal history of the firearm)", in.Answer, 20000, in.Status == TraceAnswered)
	if err != nil {
		return Trace{}, err
	}
	if s.d.Fed == nil {
		return Trace{}, errs.New(errs.Invalid, op, "this node is not connected to other countries")
	}
	now := s.d.Clock.Now()
	u := traceUpdate{TraceID: t.ID, Status: in.Status, Answer: answer, Actor: actor.Username, At: now}
	other := t.ToNode
	if t.Direction == "incoming" {
		other = t.FromNode
	}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := s.applyTrace(ctx, tx, t, u, s.d.NodeID); err != nil {
			return err
		}
		if _, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: other, Type: TypeTraceUpdate, Conversation: "trace/" + t.ID, Payload: u, Summary: "tracing request " + t.ID + ": " + u.Status, Actor: actor}); err != nil {
			return err
		}
		return s.queueAudit(ctx, tx, actor, "alerts.trace.status", "trace/"+t.ID, t.Status+" → "+u.Status)
	})
	if err != nil {
		return Trace{}, dbErr(op, "could not change the tracing request", err)
	}
	s.d.Fed.Notify()
	return s.GetTrace(ctx, actor, t.ID)
}

func (s *Service) applyTrace(ctx context.Context, tx *store.Tx, t Trace, u traceUpdate, by string) error {
	moved, err := setTraceStatus(ctx, tx, t.ID, t.Status, u.Status, u.Answer, s.d.Clock.Now())
	if err != nil {
		return err
	}
	if !moved {
		return &errs.E{Kind: errs.Conflict, Op: "alerts.trace", Code: "bad-transition", Msg: "the tracing request was changed meanwhile"}
	}
	actor := u.Actor
	if by != s.d.NodeID {
		actor += "@" + by
	}
	return traceEvent(ctx, tx, t.ID, TraceEvent{At: u.At, Node: by, Actor: actor, Status: u.Status, Note: u.Answer})
}

func (s *Service) handleTraceUpdate(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	const op = "alerts.receive"
	var u traceUpdate
	if err := json.Unmarshal(in.Payload, &u); err != nil {
		return errs.Wrap(errs.Invalid, op, "malformed tracing update", err)
	}
	if u.TraceID == "" || len(u.TraceID) > 64 || u.At.IsZero() || !slices.Contains(TraceStatuses, u.Status) || !utf8.ValidString(u.Answer+u.Actor) ||
		len(u.Answer) > 80000 || len(u.Actor) > 200 {
		return errs.New(errs.Invalid, op, "tracing update without its request or beyond its limits")
	}
	t, err := s.traceByID(ctx, tx, u.TraceID)
	if isNoRows(err) {
		return fmt.Errorf("%s: update for trace %s: %w", op, u.TraceID, federation.ErrNotYet)
	}
	if err != nil {
		return err
	}
	other := t.ToNode
	if t.Direction == "incoming" {
		other = t.FromNode
	}
	if other != in.From {
		return &errs.E{Kind: errs.Forbidden, Op: op, Code: "not-a-party", Msg: in.From + " is not a party to tracing request " + t.ID}
	}
	// The other side's move, seen from here.
	mirror := "incoming"
	if t.Direction == "incoming" {
		mirror = "outgoing"
	}
	if !(u.Status == TraceAcknowledged && t.Status == TraceSent && t.Direction == "outgoing") && !traceNext(t.Status, u.Status, mirror) {
		return traceEvent(ctx, tx, t.ID, TraceEvent{At: u.At, Node: in.From, Actor: u.Actor + "@" + in.From, Note: "update to " + u.Status + " not applied: the request is " + t.Status + " here"})
	}
	if err := s.applyTrace(ctx, tx, t, u, in.From); err != nil {
		return err
	}
	return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: u.Actor + "@" + in.From, Agency: t.Agency, Action: "alerts.trace.status.receive", Object: "trace/" + t.ID, Detail: t.Status + " → " + u.Status})
}

func (s *Service) visibleTrace(ctx context.Context, actor *auth.Principal, id string) (Trace, error) {
	t, err := s.traceByID(ctx, s.d.Store, strings.TrimSpace(id))
	if isNoRows(err) || (err == nil && t.Agency != actor.Agency && !actor.Has(auth.RoleNCUOperator)) {
		return Trace{}, errs.New(errs.NotFound, "alerts.Trace", "no such tracing request")
	}
	if err != nil {
		return Trace{}, unavailable("alerts.Trace", err)
	}
	return t, nil
}

// GetTrace returns a tracing request with its timeline (audited).
func (s *Service) GetTrace(ctx context.Context, actor *auth.Principal, id string) (Trace, error) {
	const op = "alerts.GetTrace"
	if err := auth.Authorize(actor, auth.ActFirearmsView); err != nil {
		return Trace{}, err
	}
	t, err := s.visibleTrace(ctx, actor, id)
	if err != nil {
		return Trace{}, err
	}
	if t.Events, err = traceEvents(ctx, s.d.Store, t.ID); err != nil {
		return Trace{}, unavailable(op, err)
	}
	return t, s.audit(ctx, actor, "alerts.trace.read", "trace/"+t.ID, "")
}

// Traces lists the tracing requests of the caller's agency (all for the
// NCU), newest first.
func (s *Service) Traces(ctx context.Context, actor *auth.Principal) ([]Trace, error) {
	const op = "alerts.Traces"
	if err := auth.Authorize(actor, auth.ActFirearmsView); err != nil {
		return nil, err
	}
	out, err := s.listTraces(ctx, s.d.Store, agencyFilter(actor))
	if err != nil {
		return nil, unavailable(op, err)
	}
	return out, s.audit(ctx, actor, "alerts.trace.list", "traces", "")
}

func describeTrace(from string, payload json.RawMessage) (federation.Preview, error) {
	var t Trace
	if err := json.Unmarshal(payload, &t); err != nil {
		return federation.Preview{}, errs.Wrap(errs.Invalid, "alerts.describe", "malformed tracing request", err)
	}
	m := t.Markings
	p := federation.Preview{Title: "Firearm tracing request", LegalBasis: t.LegalBasis, Body: t.Circumstances, Agency: t.FocalPoint,
		Entities: []string{strings.TrimSpace(m.Type + " " + m.Manufacturer + " " + m.Model + " " + m.Calibre + ", serial " + m.Serial)}}
	p.Fields = append(p.Fields, federation.PreviewField{Label: "requester", Value: t.Requester + "@" + from},
		federation.PreviewField{Label: "answer_due", Value: t.Due.UTC().Format(time.RFC3339)})
	return p, nil
}

func rerouteTrace(ctx context.Context, tx *store.Tx, in federation.Incoming, previous string) error {
	var t Trace
	if err := json.Unmarshal(in.Payload, &t); err != nil {
		return errs.Wrap(errs.Invalid, "alerts.reroute", "malformed tracing request", err)
	}
	return moveRow(ctx, tx, "alerts_traces", t.ID, previous, in.RoutedTo)
}

// FocalPoints returns, for each node, the firearms focal points the
// directory lists for its country (SEESAC's network); a country without
// one is left out.
func (s *Service) FocalPoints(ctx context.Context, actor *auth.Principal, nodes []string) map[string][]directory.ContactPoint {
	out := map[string][]directory.ContactPoint{}
	if s.d.Dir == nil {
		return out
	}
	for _, n := range nodes {
		res, err := s.d.Dir.Lookup(ctx, actor, countryOf(n), "firearms")
		if err != nil || res.Fallback || len(res.Contacts) == 0 {
			continue
		}
		out[n] = res.Contacts
	}
	return out
}

// describeFocal is how a focal point is named on a tracing request.
func describeFocal(c directory.ContactPoint) string {
	d := strings.TrimSpace(c.Title + ", " + c.AgencyName)
	d = strings.Trim(d, ", ")
	if c.Holder.Name != "" {
		d += " (" + c.Holder.Name + ")"
	}
	return d
}

// focalPoint picks the requested country's firearms focal point from the
// directory: the one named by id, which must hold the firearms role in that
// country, or else the first one listed (the national contact unit when the
// country has none).
func (s *Service) focalPoint(ctx context.Context, actor *auth.Principal, op, node, id string) (string, bool, error) {
	if s.d.Dir == nil {
		if id != "" {
			return "", false, errs.New(errs.Invalid, op, "this node has no directory to choose a focal point from")
		}
		return "", false, nil
	}
	res, err := s.d.Dir.Lookup(ctx, actor, countryOf(node), "firearms")
	if err != nil {
		if id != "" {
			return "", false, err
		}
		return "", false, nil
	}
	if id == "" {
		if len(res.Contacts) == 0 {
			return "", false, nil
		}
		return describeFocal(res.Contacts[0]), true, nil
	}
	if !res.Fallback {
		for _, c := range res.Contacts {
			if c.ID == id {
				return describeFocal(c), true, nil
			}
		}
	}
	return "", false, errs.Newf(errs.Invalid, op, "the contact point chosen is not a firearms focal point of %s in the directory", countryOf(node))
}
