package operations

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
)

// Federation message types. Both are operational traffic that cannot wait
// for a desk: they are not held at the NCU, and the host NCU sees every
// operation on its board.
const (
	// TypeOpen carries an operation's header (and its first log entry)
	// from the origin to a country taking part.
	TypeOpen = "operations.open"
	// TypeEvent carries one log entry: from the node where it was entered
	// to the origin, and from the origin to every other participant.
	TypeEvent = "operations.event"
	// TypeTerms carries what a state declared under an agreement (hot
	// pursuit allowed, limits, right to apprehend, surveillance deadline)
	// from that state's node to the other parties' nodes, so that a
	// pursuing country checks the host's own declaration.
	TypeTerms = "operations.terms"
)

// Register binds the message types to the federation layer.
func (s *Service) Register(f *federation.Service) {
	f.Register(TypeOpen, federation.TypeSpec{Handle: s.handleOpen})
	f.Register(TypeEvent, federation.TypeSpec{Handle: s.handleEvent})
	f.Register(TypeTerms, federation.TypeSpec{Handle: s.handleTerms})
}

// sendTerms sends this state's declaration to the nodes of the other
// parties that are peers, in the declaring transaction.
func (s *Service) sendTerms(ctx context.Context, tx *store.Tx, actor *auth.Principal, t OpTerms, parties []string, peers map[string]bool) error {
	for _, c := range parties {
		node := strings.ToLower(c)
		if node == s.d.NodeID || !peers[node] {
			continue
		}
		if _, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: node, Type: TypeTerms, Conversation: "operations/terms/" + t.AgreementID, Payload: t,
			Summary: "Declared terms under " + t.Agreement, Actor: actor}); err != nil {
			return err
		}
	}
	return nil
}

// handleTerms keeps another state's declaration; a node declares for its
// own state only.
func (s *Service) handleTerms(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	const op = "operations.receive"
	var t OpTerms
	if err := json.Unmarshal(in.Payload, &t); err != nil {
		return &errs.E{Kind: errs.Invalid, Op: op, Code: "bad-payload", Msg: "declared terms cannot be read"}
	}
	if t.Country != countryOf(in.From) {
		return &errs.E{Kind: errs.Forbidden, Op: op, Code: "not-the-declaring-state", Msg: "a node declares terms for its own state only"}
	}
	if t.AgreementID == "" || len(t.AgreementID) > 64 || t.PursuitKm < 0 || t.PursuitKm > 1000 || t.PursuitHours < 0 || t.PursuitHours > 72 ||
		t.SurveillanceMinutes < 0 || t.SurveillanceMinutes > 2880 || len(t.Note) > 4000 {
		return &errs.E{Kind: errs.Invalid, Op: op, Code: "bad-payload", Msg: "declared terms out of range"}
	}
	t.Declared = true
	return putTerms(ctx, tx, t, "@"+in.From, s.d.Clock.Now())
}

func conversation(id string) string { return "operations/" + id }

// wireOp is the payload of operations.open.
type wireOp struct {
	ID           string      `json:"id"`
	Kind         string      `json:"kind"`
	OriginNode   string      `json:"origin_node"`
	Nodes        []string    `json:"nodes"`
	Title        string      `json:"title"`
	Status       string      `json:"status"`
	Exercise     bool        `json:"exercise"`
	Severity     int         `json:"severity"`
	Details      OpDetails   `json:"details"`
	LegalBasis   string      `json:"legal_basis"`
	LegalBasisID string      `json:"legal_basis_id"`
	Terms        *OpTerms    `json:"terms,omitempty"`
	DeadlineAt   time.Time   `json:"deadline_at,omitzero"`
	Agency       string      `json:"agency"`
	CreatedBy    string      `json:"created_by"`
	CreatedAt    time.Time   `json:"created_at"`
	Countries    []OpCountry `json:"countries"`
	Opened       wireEvent   `json:"opened"`
}

// wireEvent is the payload of operations.event.
type wireEvent struct {
	OpID  string      `json:"op_id"`
	ID    string      `json:"id"`
	At    time.Time   `json:"at"`
	Node  string      `json:"node"`
	Actor string      `json:"actor"`
	Kind  string      `json:"kind"`
	Text  string      `json:"text,omitempty"`
	Pos   *GeoPoint   `json:"pos,omitempty"`
	Data  OpEventData `json:"data"`
}

func toWire(opID string, e OpEvent) wireEvent {
	return wireEvent{OpID: opID, ID: e.ID, At: e.At, Node: e.Node, Actor: e.Actor, Kind: e.Kind, Text: e.Text, Pos: e.Pos, Data: e.Data}
}

func summary(o Operation, what string) string {
	p := ""
	if o.Exercise {
		p = "[EXERCISE] "
	}
	return p + o.Kind + " " + o.OriginNode + " → " + o.Host() + ": " + what
}

// sendOpen enqueues the header of o for node, in the operation's
// conversation so the log entries that follow arrive after it.
func (s *Service) sendOpen(ctx context.Context, tx *store.Tx, actor *auth.Principal, o Operation, opened OpEvent, node string) error {
	cs, err := countries(ctx, tx, o.ID)
	if err != nil {
		return err
	}
	w := wireOp{ID: o.ID, Kind: o.Kind, OriginNode: o.OriginNode, Nodes: o.Nodes, Title: o.Title, Status: o.Status, Exercise: o.Exercise, Severity: o.Severity,
		Details: o.Details, LegalBasis: o.LegalBasis, LegalBasisID: o.LegalBasisID, Terms: o.Terms, DeadlineAt: o.DeadlineAt, Agency: o.Agency,
		CreatedBy: o.CreatedBy, CreatedAt: o.CreatedAt, Countries: cs, Opened: toWire(o.ID, opened)}
	_, err = s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: node, Type: TypeOpen, Conversation: conversation(o.ID), Payload: w, Summary: summary(o, o.Title), Actor: actor})
	return err
}

// fanout sends an entry entered or received here onward: from the origin
// to every participant (nodes, as they were before the entry) except the
// one it came from; from any other node to the origin only.
func (s *Service) fanout(ctx context.Context, tx *store.Tx, actor *auth.Principal, o Operation, nodes []string, ev OpEvent, from string) error {
	if s.d.Fed == nil {
		return nil
	}
	targets := []string{o.OriginNode}
	if o.OriginNode == s.d.NodeID {
		targets = nodes
	}
	w := toWire(o.ID, ev)
	for _, n := range targets {
		if n == s.d.NodeID || n == from || n == ev.Node {
			continue
		}
		if _, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: n, Type: TypeEvent, Conversation: conversation(o.ID), Payload: w,
			Summary: summary(o, ev.Kind), Actor: actor}); err != nil {
			return err
		}
	}
	return nil
}

// shareWith sends a shared incident to a new partner: its header, then
// every entry of the log so far, in order.
func (s *Service) shareWith(ctx context.Context, tx *store.Tx, actor *auth.Principal, o Operation, node string) error {
	evs, err := events(ctx, tx, o.ID)
	if err != nil {
		return err
	}
	if len(evs) == 0 {
		return nil
	}
	if err := s.sendOpen(ctx, tx, actor, o, evs[0], node); err != nil {
		return err
	}
	for _, e := range evs[1:] {
		if _, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: node, Type: TypeEvent, Conversation: conversation(o.ID), Payload: toWire(o.ID, e),
			Summary: summary(o, e.Kind), Actor: actor}); err != nil {
			return err
		}
	}
	return nil
}

func badPayload(what string) error {
	return errs.Newf(errs.Invalid, "operations.receive", "operation message with %s", what)
}

func checkText(max int, vs ...string) bool {
	for _, v := range vs {
		if !utf8.ValidString(v) || len(v) > max {
			return false
		}
	}
	return true
}

// parseEvent decodes and checks an operations.event payload.
func parseEvent(raw []byte) (wireEvent, error) {
	var w wireEvent
	if err := json.Unmarshal(raw, &w); err != nil {
		return w, badPayload("malformed content")
	}
	if w.OpID == "" || w.ID == "" || len(w.OpID) > 64 || len(w.ID) > 64 || w.At.IsZero() || w.Node == "" || len(w.Node) > 32 {
		return w, badPayload("no operation, entry, time or node")
	}
	if w.Kind != EvOpened && w.Kind != EvStopRequired && !slices.Contains(Actions, w.Kind) {
		return w, badPayload("an unknown kind of entry")
	}
	if !checkText(8000, w.Text) || !checkText(300, w.Actor, w.Data.Agency, w.Data.Org, w.Data.State, w.Data.TaskID, w.Data.Title, w.Data.Priority, w.Data.Node) ||
		!checkText(1000, w.Data.Links) {
		return w, badPayload("fields beyond their limits")
	}
	if w.Pos != nil && !w.Pos.valid() {
		return w, badPayload("a position out of range")
	}
	return w, nil
}

// parseOpen decodes and checks an operations.open payload from node from.
func parseOpen(from string, raw []byte) (wireOp, error) {
	var w wireOp
	if err := json.Unmarshal(raw, &w); err != nil {
		return w, badPayload("malformed content")
	}
	if w.ID == "" || len(w.ID) > 64 || w.OriginNode != from || !slices.Contains(Kinds, w.Kind) || !slices.Contains(Statuses, w.Status) {
		return w, badPayload("no ID, an unknown kind or status, or an origin other than the sender")
	}
	if len(w.Nodes) < 2 || len(w.Nodes) > 11 || w.Nodes[0] != from || w.Severity < 0 || w.Severity > 5 {
		return w, badPayload("participants or severity out of range")
	}
	d := w.Details
	if !checkText(2000, w.Title, w.LegalBasis, w.LegalBasisID, w.Agency, w.CreatedBy, d.Unit, d.TargetVehicle, d.Offence, d.Direction, d.Crossing, d.Route,
		d.Consignment, d.Sector, d.Start, d.End, d.Schedule, d.Language, d.Commander, d.IncidentType, d.Location, d.LeadOrg) {
		return w, badPayload("fields beyond their limits")
	}
	for _, l := range [][]string{w.Nodes, d.Officers, d.Vehicles, d.Persons, d.Handovers} {
		if len(l) > 50 || !checkText(300, l...) {
			return w, badPayload("fields beyond their limits")
		}
	}
	if len(d.SectorArea) > 50 || len(w.Countries) > 11 {
		return w, badPayload("fields beyond their limits")
	}
	for _, p := range d.SectorArea {
		if !p.valid() {
			return w, badPayload("a position out of range")
		}
	}
	if w.Opened.OpID != w.ID || w.Opened.Kind != EvOpened {
		return w, badPayload("no opening entry")
	}
	return w, nil
}

// handleOpen stores a copy of an operation a partner opened with this
// country taking part.
func (s *Service) handleOpen(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	w, err := parseOpen(in.From, in.Payload)
	if err != nil {
		return err
	}
	if !slices.Contains(w.Nodes, s.d.NodeID) {
		return &errs.E{Kind: errs.Forbidden, Op: "operations.receive", Code: "not-a-participant", Msg: "this country does not take part in the operation"}
	}
	if _, err := loadOp(ctx, tx, s.d.NodeID, w.ID); err == nil {
		return nil // already held (a repeated share)
	} else if !isNoRows(err) {
		return err
	}
	now := s.d.Clock.Now()
	o := Operation{ID: w.ID, Kind: w.Kind, OriginNode: w.OriginNode, Nodes: w.Nodes, Title: w.Title, Status: w.Status, Exercise: w.Exercise, Severity: w.Severity,
		Details: w.Details, LegalBasis: w.LegalBasis, LegalBasisID: w.LegalBasisID, Terms: w.Terms, DeadlineAt: w.DeadlineAt, Units: []string{},
		Agency: w.Agency + "@" + in.From, CreatedBy: w.CreatedBy + "@" + in.From, CreatedAt: w.CreatedAt, UpdatedAt: now}
	if w.Opened.Pos != nil && w.Opened.Pos.valid() {
		o.LastPos, o.LastAt, o.LastText = w.Opened.Pos, w.Opened.At, w.Opened.Text
	}
	if err := insertOp(ctx, tx, o); err != nil {
		return err
	}
	opened := OpEvent{ID: w.Opened.ID, At: w.Opened.At, Node: in.From, Actor: w.Opened.Actor + "@" + in.From, Kind: EvOpened, Text: w.Opened.Text, Status: o.Status, Pos: w.Opened.Pos}
	if err := s.appendEvent(ctx, tx, &o, &opened); err != nil {
		return err
	}
	for _, c := range w.Countries {
		if slices.Contains(o.Nodes, c.Node) && slices.Contains(CountryStates, c.State) && checkText(4000, c.Note) {
			if err := setCountry(ctx, tx, o.ID, c); err != nil {
				return err
			}
		}
	}
	return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: o.CreatedBy, Agency: in.From, Action: "operations.receive", Object: "operations/" + o.ID,
		Detail: o.Kind + " " + o.Title + " from " + in.From + exerciseNote(o)})
}

// handleEvent applies a log entry entered on another node. The origin
// relays it to the other participants in the same transaction.
func (s *Service) handleEvent(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	w, err := parseEvent(in.Payload)
	if err != nil {
		return err
	}
	o, err := loadOp(ctx, tx, s.d.NodeID, w.OpID)
	if isNoRows(err) {
		return fmt.Errorf("operations.receive: entry for operation %s: %w", w.OpID, federation.ErrNotYet)
	}
	if err != nil {
		return err
	}
	// The entry comes from the node where it was entered, or is relayed by
	// the origin.
	if !o.Takes(in.From) || !o.Takes(w.Node) || (w.Node != in.From && in.From != o.OriginNode) {
		return &errs.E{Kind: errs.Forbidden, Op: "operations.receive", Code: "not-a-participant", Msg: "this country does not take part in the operation"}
	}
	known, err := eventKnown(ctx, tx, w.ID)
	if err != nil || known {
		return err
	}
	if w.Kind == EvOpened {
		return nil
	}
	cm, err := countryMap(ctx, tx, o.ID)
	if err != nil {
		return err
	}
	ev := OpEvent{ID: w.ID, At: w.At, Node: w.Node, Actor: w.Actor + "@" + w.Node, Kind: w.Kind, Text: w.Text, Pos: w.Pos, Data: w.Data}
	status, terr := transition(o, w.Kind, w.Node == o.OriginNode, cm, w.Node)
	if w.Kind == EvStopRequired && w.Node != o.OriginNode {
		terr = badPayload("a deadline entry not from the origin")
	}
	if terr != nil {
		// Recorded as it happened there, without changing the state here
		// (e.g. two decisions crossed on the way).
		ev.Data.State = "not_applied"
		status = ""
		if w.Kind == EvTask || w.Kind == EvTaskState || w.Kind == EvOrg || w.Kind == EvShare {
			ev.Kind = EvNote
		}
	}
	ev.Status = status
	if ev.Kind == EvTaskState {
		if _, err := task(ctx, tx, o.ID, ev.Data.TaskID); isNoRows(err) {
			return fmt.Errorf("operations.receive: state of task %s: %w", ev.Data.TaskID, federation.ErrNotYet)
		} else if err != nil {
			return err
		}
	}
	if (ev.Kind == EvOrg && !slices.Contains(OrgStates, ev.Data.State)) || (ev.Kind == EvTask && (!slices.Contains(Priorities, ev.Data.Priority) || ev.Data.TaskID == "")) ||
		(ev.Kind == EvTaskState && !slices.Contains(TaskStates, ev.Data.State)) {
		return badPayload("an unknown state")
	}
	if ev.Kind == EvTask && !slices.Contains([]string{"new", "assigned"}, ev.Data.State) {
		ev.Data.State = "new"
	}
	before := slices.Clone(o.Nodes)
	if err := s.appendEvent(ctx, tx, &o, &ev); err != nil {
		return err
	}
	if o.OriginNode == s.d.NodeID {
		if err := s.fanout(ctx, tx, nil, o, before, ev, in.From); err != nil {
			return err
		}
		if s.d.Fed != nil {
			tx.AfterCommit(s.d.Fed.Notify)
		}
	}
	return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: ev.Actor, Agency: w.Node, Action: "operations.receive", Object: "operations/" + o.ID,
		Detail: ev.Kind + statusNote(ev) + exerciseNote(o)})
}
