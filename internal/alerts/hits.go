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
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/validate"
)

// Hit report statuses.
const (
	HitSent     = "sent"     // filed on the reporting node, on its way to the issuer
	HitReceived = "received" // held by the issuer, waiting for its answer
	HitAnswered = "answered"
)

// Outcomes the issuer gives in its answer.
var Outcomes = []string{"", StatusActionTaken, StatusNotPossible}

// HitReport is a hit report.
type HitReport struct {
	ID           string    `json:"id"`
	AlertID      string    `json:"alert_id"`
	Direction    string    `json:"direction" enum:"outgoing,incoming"`
	ReporterNode string    `json:"reporter_node"`
	IssuerNode   string    `json:"issuer_node"`
	Place        string    `json:"place"`
	CheckedAt    time.Time `json:"checked_at"`
	CheckReason  string    `json:"check_reason,omitempty"`
	Route        string    `json:"route,omitempty"`
	Companions   string    `json:"companions,omitempty"`
	Vehicle      string    `json:"vehicle,omitempty"`
	ActionTaken  string    `json:"action_taken"`
	Status       string    `json:"status" enum:"sent,received,answered"`
	Due          time.Time `json:"due" doc:"the issuer answers by then"`
	Overdue      bool      `json:"overdue"`
	Answer       string    `json:"answer,omitempty"`
	Outcome      string    `json:"outcome,omitempty" enum:"action_taken,action_not_possible,"`
	AnsweredBy   string    `json:"answered_by,omitempty"`
	AnsweredAt   time.Time `json:"answered_at,omitzero"`
	Agency       string    `json:"agency"`
	CreatedBy    string    `json:"created_by"`
	CreatedAt    time.Time `json:"created_at"`
}

func (s *Service) hitFlags(h *HitReport) {
	h.Overdue = h.Status != HitAnswered && !s.d.Clock.Now().Before(h.Due)
}

// HitInput is what the officer reports after a hit.
type HitInput struct {
	Place       string    `json:"place" minLength:"1" maxLength:"300" doc:"where the check took place"`
	CheckedAt   time.Time `json:"checked_at,omitzero" doc:"when (default now)"`
	CheckReason string    `json:"check_reason,omitempty" maxLength:"1000" doc:"why the person or object was checked"`
	Route       string    `json:"route,omitempty" maxLength:"1000"`
	Companions  string    `json:"companions,omitempty" maxLength:"2000" doc:"accompanying persons"`
	Vehicle     string    `json:"vehicle,omitempty" maxLength:"300"`
	ActionTaken string    `json:"action_taken" minLength:"1" maxLength:"2000"`
}

// ReportHit files a hit report on an alert held on this node. For a
// partner's alert the report goes to the issuer through both NCUs with
// the answer deadline; for a national alert it goes to the issuing agency
// at once.
func (s *Service) ReportHit(ctx context.Context, actor *auth.Principal, alertID string, in HitInput) (HitReport, error) {
	const op = "alerts.ReportHit"
	if err := auth.Authorize(actor, auth.ActAlertsHit); err != nil {
		return HitReport{}, err
	}
	a, err := s.visible(ctx, actor, alertID)
	if err != nil {
		return HitReport{}, err
	}
	if !InForce(a.Status) {
		return HitReport{}, &errs.E{Kind: errs.Conflict, Op: op, Code: "not-in-force", Msg: "the alert is not in force (" + a.Status + ")"}
	}
	h := HitReport{ID: store.NewID(), AlertID: a.ID, Direction: "outgoing", ReporterNode: s.d.NodeID, IssuerNode: a.OriginNode, Status: HitSent,
		Agency: actor.Agency, CreatedBy: actor.Username}
	if h.Place, err = validate.Field(op, "place of the check", in.Place, 300, true); err != nil {
		return HitReport{}, err
	}
	if h.CheckReason, err = validate.Field(op, "reason for the check", in.CheckReason, 1000, false); err != nil {
		return HitReport{}, err
	}
	if h.Route, err = validate.Field(op, "route", in.Route, 1000, false); err != nil {
		return HitReport{}, err
	}
	if h.Companions, err = validate.Field(op, "accompanying persons", in.Companions, 2000, false); err != nil {
		return HitReport{}, err
	}
	if h.Vehicle, err = validate.Field(op, "vehicle", in.Vehicle, 300, false); err != nil {
		return HitReport{}, err
	}
	if h.ActionTaken, err = validate.Field(op, "action taken", in.ActionTaken, 2000, true); err != nil {
		return HitReport{}, err
	}
	now := s.d.Clock.Now()
	h.CheckedAt, h.CreatedAt, h.Due = in.CheckedAt.UTC(), now, now.Add(s.cfg.HitDeadline)
	if in.CheckedAt.IsZero() {
		h.CheckedAt = now
	}
	if h.CheckedAt.After(now.Add(5 * time.Minute)) {
		return HitReport{}, errs.New(errs.Invalid, op, "the time of the check is in the future")
	}
	if !a.Local && s.d.Fed == nil {
		return HitReport{}, errs.New(errs.Invalid, op, "this node is not connected to other countries")
	}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if a.Local {
			h.Direction, h.Status, h.Agency = "incoming", HitReceived, a.Agency
		}
		if err := insertHit(ctx, tx, h); err != nil {
			return err
		}
		if a.Local {
			if err := s.markHit(ctx, tx, a, h, s.d.NodeID); err != nil {
				return err
			}
		} else {
			if _, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: a.OriginNode, Type: TypeHit, Conversation: "alerts/" + a.ID, Payload: toWireHit(h, a),
				Summary: "[URGENT] hit report on a " + a.Kind + " alert of " + a.OriginNode, Actor: actor}); err != nil {
				return err
			}
			if err := s.event(ctx, tx, a.ID, actor.Username, "hit_report", "", "hit at "+h.Place+"; sent to "+a.OriginNode+"; answer due "+h.Due.Format("2006-01-02 15:04")+" UTC"); err != nil {
				return err
			}
		}
		return s.queueAudit(ctx, tx, actor, "alerts.hit.report", a.ID, "hit "+h.ID+" at "+h.Place)
	})
	if err != nil {
		return HitReport{}, dbErr(op, "could not file the hit report", err)
	}
	if !a.Local {
		s.d.Fed.Notify()
	}
	s.hitFlags(&h)
	return h, nil
}

// markHit moves the issuer's alert to hit and tells every recipient.
func (s *Service) markHit(ctx context.Context, tx *store.Tx, a Alert, h HitReport, by string) error {
	if err := insertEvent(ctx, tx, a.ID, AlertEvent{At: h.CreatedAt, Node: by, Actor: h.CreatedBy, Kind: "hit_report",
		Note: "hit at " + h.Place + " reported by " + by + "; answer due " + h.Due.Format("2006-01-02 15:04") + " UTC"}); err != nil {
		return err
	}
	if a.Status != StatusActive && a.Status != StatusNotPossible {
		return nil
	}
	u := update{AlertID: a.ID, Kind: "status", Status: StatusHit, Reason: "hit reported by " + by, Actor: "system:alerts", At: s.d.Clock.Now()}
	if err := s.apply(ctx, tx, a, u, s.d.NodeID); err != nil {
		return err
	}
	return s.replicateAll(ctx, tx, nil, a, u)
}

func (s *Service) replicateAll(ctx context.Context, tx *store.Tx, actor *auth.Principal, a Alert, u update) error {
	if s.d.Fed == nil {
		return nil
	}
	rs, err := recipients(ctx, tx, a.ID)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.SentAt.IsZero() {
			continue
		}
		if err := s.replicate(ctx, tx, actor, a, r.Node, u); err != nil {
			return err
		}
	}
	tx.AfterCommit(s.d.Fed.Notify)
	return nil
}

// wireHit is the payload of alerts.hit.
type wireHit struct {
	Summary     string    `json:"summary"`
	ID          string    `json:"id"`
	AlertID     string    `json:"alert_id"`
	AlertLabel  string    `json:"alert_label"`
	Place       string    `json:"place"`
	CheckedAt   time.Time `json:"checked_at"`
	CheckReason string    `json:"check_reason"`
	Route       string    `json:"route"`
	Companions  string    `json:"companions"`
	Vehicle     string    `json:"vehicle"`
	ActionTaken string    `json:"action_taken"`
	Due         time.Time `json:"due"`
	Reporter    string    `json:"reporter"`
	ReportedAt  time.Time `json:"reported_at"`
	Agency      string    `json:"issuer_agency"`
}

func toWireHit(h HitReport, a Alert) wireHit {
	return wireHit{Summary: "hit report on alert " + a.ID, ID: h.ID, AlertID: a.ID, AlertLabel: a.Label, Place: h.Place, CheckedAt: h.CheckedAt, CheckReason: h.CheckReason,
		Route: h.Route, Companions: h.Companions, Vehicle: h.Vehicle, ActionTaken: h.ActionTaken, Due: h.Due, Reporter: h.CreatedBy, ReportedAt: h.CreatedAt}
}

// ParseHit decodes and validates an alerts.hit payload.
func ParseHit(raw []byte) (wireHit, error) {
	var w wireHit
	if err := json.Unmarshal(raw, &w); err != nil {
		return w, errs.Wrap(errs.Invalid, "alerts.receive", "malformed hit report", err)
	}
	ok := w.ID != "" && len(w.ID) <= 64 && w.AlertID != "" && len(w.AlertID) <= 64 && !w.Due.IsZero() && !w.CheckedAt.IsZero() &&
		strings.TrimSpace(w.Place) != "" && strings.TrimSpace(w.ActionTaken) != ""
	for _, f := range []struct {
		v   string
		max int
	}{{w.Place, 300}, {w.CheckReason, 1000}, {w.Route, 1000}, {w.Companions, 2000}, {w.Vehicle, 300}, {w.ActionTaken, 2000}, {w.Reporter, 200}, {w.AlertLabel, 500}} {
		if !utf8.ValidString(f.v) || utf8.RuneCountInString(f.v) > f.max {
			ok = false
		}
	}
	if !ok {
		return w, errs.New(errs.Invalid, "alerts.receive", "hit report without its required fields or beyond its limits")
	}
	return w, nil
}

// handleHit stores a hit report routed by this node's NCU, moves the
// alert to hit and starts the answer deadline.
func (s *Service) handleHit(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	w, err := ParseHit(in.Payload)
	if err != nil {
		return err
	}
	a, err := s.loadAlert(ctx, tx, w.AlertID)
	if isNoRows(err) || (err == nil && !a.Local) {
		return errs.New(errs.NotFound, "alerts.receive", "hit report on an alert this node did not issue")
	}
	if err != nil {
		return err
	}
	rs, err := recipients(ctx, tx, a.ID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(rs, func(r Recipient) bool { return r.Node == in.From }) {
		return &errs.E{Kind: errs.Forbidden, Op: "alerts.receive", Code: "not-a-recipient", Msg: in.From + " is not a recipient of alert " + a.ID}
	}
	if held, err := rowExists(ctx, tx, "alerts_hits", w.ID); err != nil || held {
		return err
	}
	agency := in.RoutedTo
	if agency == "" {
		agency = a.Agency
	}
	h := HitReport{ID: w.ID, AlertID: a.ID, Direction: "incoming", ReporterNode: in.From, IssuerNode: s.d.NodeID, Place: w.Place, CheckedAt: w.CheckedAt,
		CheckReason: w.CheckReason, Route: w.Route, Companions: w.Companions, Vehicle: w.Vehicle, ActionTaken: w.ActionTaken, Status: HitReceived,
		Due: w.Due, Agency: agency, CreatedBy: w.Reporter + "@" + in.From, CreatedAt: s.d.Clock.Now()}
	if err := insertHit(ctx, tx, h); err != nil {
		return err
	}
	if err := s.markHit(ctx, tx, a, h, in.From); err != nil {
		return err
	}
	return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: h.CreatedBy, Agency: agency, Action: "alerts.hit.receive", Object: "alerts/" + a.ID,
		Detail: "hit " + h.ID + " at " + h.Place + " from " + in.From})
}

func describeHit(from string, payload json.RawMessage) (federation.Preview, error) {
	w, err := ParseHit(payload)
	if err != nil {
		return federation.Preview{}, err
	}
	p := federation.Preview{Title: "Hit report on alert " + w.AlertID, Body: w.ActionTaken, Entities: []string{w.AlertLabel}}
	p.Fields = append(p.Fields, federation.PreviewField{Label: "place", Value: w.Place}, federation.PreviewField{Label: "checked_at", Value: w.CheckedAt.UTC().Format(time.RFC3339)},
		federation.PreviewField{Label: "answer_due", Value: w.Due.UTC().Format(time.RFC3339)}, federation.PreviewField{Label: "reporter", Value: w.Reporter + "@" + from})
	return p, nil
}

func rerouteHit(ctx context.Context, tx *store.Tx, in federation.Incoming, previous string) error {
	w, err := ParseHit(in.Payload)
	if err != nil {
		return err
	}
	return moveRow(ctx, tx, "alerts_hits", w.ID, previous, in.RoutedTo)
}

// AnswerInput is the issuer's answer to a hit report.
type AnswerInput struct {
	Answer  string `json:"answer" minLength:"1" maxLength:"4000" doc:"further action requested"`
	Outcome string `json:"outcome,omitempty" enum:"action_taken,action_not_possible," doc:"moves the alert to this status"`
}

// AnswerHit is the issuer's answer on further action; the answer goes to
// the reporting node and an outcome moves the alert (replicated).
func (s *Service) AnswerHit(ctx context.Context, actor *auth.Principal, hitID string, in AnswerInput) (HitReport, error) {
	const op = "alerts.AnswerHit"
	if err := auth.Authorize(actor, auth.ActAlertsManage); err != nil {
		return HitReport{}, err
	}
	answer, err := validate.Field(op, "answer", in.Answer, 4000, true)
	if err != nil {
		return HitReport{}, err
	}
	if !slices.Contains(Outcomes, in.Outcome) {
		return HitReport{}, errs.New(errs.Invalid, op, "the outcome is action_taken or action_not_possible (or none)")
	}
	h, err := loadHit(ctx, s.d.Store, hitID)
	if isNoRows(err) {
		return HitReport{}, errs.New(errs.NotFound, op, "no such hit report")
	}
	if err != nil {
		return HitReport{}, unavailable(op, err)
	}
	a, err := s.issuerAlert(ctx, actor, op, h.AlertID)
	if err != nil {
		return HitReport{}, err
	}
	if h.Direction != "incoming" || (h.Agency != actor.Agency && !actor.Has(auth.RoleNCUOperator)) {
		return HitReport{}, errs.New(errs.NotFound, op, "no such hit report")
	}
	if h.Status == HitAnswered {
		return HitReport{}, &errs.E{Kind: errs.Conflict, Op: op, Code: "answered", Msg: "the hit report was already answered"}
	}
	now := s.d.Clock.Now()
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		ok, err := setHitAnswer(ctx, tx, h.ID, answer, in.Outcome, actor.Username, now)
		if err != nil {
			return err
		}
		if !ok {
			return &errs.E{Kind: errs.Conflict, Op: op, Code: "answered", Msg: "the hit report was answered meanwhile"}
		}
		if err := s.event(ctx, tx, a.ID, actor.Username, "hit_answer", "", "answer to the hit at "+h.Place+": "+answer); err != nil {
			return err
		}
		if in.Outcome != "" && in.Outcome != a.Status && !Final(a.Status) {
			u := update{AlertID: a.ID, Kind: "status", Status: in.Outcome, Reason: answer, Actor: actor.Username, At: now}
			if err := s.apply(ctx, tx, a, u, s.d.NodeID); err != nil {
				return err
			}
			if err := s.replicateAll(ctx, tx, actor, a, u); err != nil {
				return err
			}
		}
		if h.ReporterNode != s.d.NodeID {
			m := hitAnswer{Summary: "answer to hit report " + h.ID, HitID: h.ID, AlertID: a.ID, Answer: answer, Outcome: in.Outcome, Actor: actor.Username, At: now}
			if _, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: h.ReporterNode, Type: TypeHitAnswer, Conversation: "alerts/" + a.ID, Payload: m, Summary: m.Summary, Actor: actor}); err != nil {
				return err
			}
			tx.AfterCommit(s.d.Fed.Notify)
		}
		return s.queueAudit(ctx, tx, actor, "alerts.hit.answer", a.ID, "hit "+h.ID+"; outcome "+in.Outcome)
	})
	if err != nil {
		return HitReport{}, dbErr(op, "could not answer the hit report", err)
	}
	h, err = loadHit(ctx, s.d.Store, h.ID)
	if err != nil {
		return HitReport{}, unavailable(op, err)
	}
	s.hitFlags(&h)
	return h, nil
}

type hitAnswer struct {
	Summary string    `json:"summary"`
	HitID   string    `json:"hit_id"`
	AlertID string    `json:"alert_id"`
	Answer  string    `json:"answer"`
	Outcome string    `json:"outcome"`
	Actor   string    `json:"actor"`
	At      time.Time `json:"at"`
}

func (s *Service) handleHitAnswer(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	var m hitAnswer
	if err := json.Unmarshal(in.Payload, &m); err != nil {
		return errs.Wrap(errs.Invalid, "alerts.receive", "malformed answer", err)
	}
	if m.HitID == "" || len(m.HitID) > 64 || m.At.IsZero() || !utf8.ValidString(m.Answer+m.Actor) || len(m.Answer) > 16000 || len(m.Actor) > 200 || !slices.Contains(Outcomes, m.Outcome) {
		return errs.New(errs.Invalid, "alerts.receive", "answer without its hit report or beyond its limits")
	}
	h, err := loadHit(ctx, tx, m.HitID)
	if isNoRows(err) {
		return fmt.Errorf("alerts.receive: answer to hit %s: %w", m.HitID, federation.ErrNotYet)
	}
	if err != nil {
		return err
	}
	if h.IssuerNode != in.From || h.Direction != "outgoing" {
		return &errs.E{Kind: errs.Forbidden, Op: "alerts.receive", Code: "not-the-issuer", Msg: in.From + " did not receive hit report " + h.ID}
	}
	if _, err := setHitAnswer(ctx, tx, h.ID, m.Answer, m.Outcome, m.Actor+"@"+in.From, m.At); err != nil {
		return err
	}
	if err := insertEvent(ctx, tx, h.AlertID, AlertEvent{At: m.At, Node: in.From, Actor: m.Actor + "@" + in.From, Kind: "hit_answer", Note: "answer to the hit at " + h.Place + ": " + m.Answer}); err != nil {
		return err
	}
	return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: m.Actor + "@" + in.From, Agency: h.Agency, Action: "alerts.hit.answer.receive", Object: "alerts/" + h.AlertID, Detail: "hit " + h.ID})
}

// Hits lists the hit reports of the caller's agency (sent and received),
// open ones first.
func (s *Service) Hits(ctx context.Context, actor *auth.Principal) ([]HitReport, error) {
	const op = "alerts.Hits"
	if err := auth.Authorize(actor, auth.ActAlertsView); err != nil {
		return nil, err
	}
	out, err := listHits(ctx, s.d.Store, agencyFilter(actor))
	if err != nil {
		return nil, unavailable(op, err)
	}
	for i := range out {
		s.hitFlags(&out[i])
	}
	return out, s.audit(ctx, actor, "alerts.hit.list", "hits", "")
}
