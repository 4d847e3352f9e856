package operations

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/directory"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/validate"
)

// Config holds the module's periods.
type Config struct {
	// ReportWithin is the time the origin has to file the end-of-operation
	// report after an operation ended (default 24 h).
	ReportWithin time.Duration
	// SurveillanceDeadline is the time within which urgent surveillance must
	// be authorised when the host state declared no other (default 5 h).
	SurveillanceDeadline time.Duration
	// Interval is how often the deadline job runs (default 15 s).
	Interval time.Duration
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{ReportWithin: 24 * time.Hour, SurveillanceDeadline: 5 * time.Hour, Interval: 15 * time.Second}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.ReportWithin <= 0 {
		c.ReportWithin = d.ReportWithin
	}
	if c.SurveillanceDeadline <= 0 {
		c.SurveillanceDeadline = d.SurveillanceDeadline
	}
	if c.Interval <= 0 {
		c.Interval = d.Interval
	}
	return c
}

// Deps are the service's collaborators.
type Deps struct {
	Store  *store.Store
	Audit  *audit.Log
	Fed    *federation.Service // nil: operations stay national
	Dir    *directory.Service  // legal bases; nil: not checked
	Clock  clock.Clock
	Logger *slog.Logger
	NodeID string
}

// Service is the operations room of one node.
type Service struct {
	d   Deps
	cfg Config

	mu   sync.Mutex
	subs map[chan Change]struct{}
}

// Change tells subscribers that an operation changed on this node.
type Change struct {
	OpID string    `json:"op_id"`
	At   time.Time `json:"at"`
}

// New builds the service; call Register before the federation starts.
func New(d Deps, cfg Config) *Service {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	if d.NodeID == "" && d.Fed != nil {
		d.NodeID = d.Fed.NodeID()
	}
	return &Service{d: d, cfg: cfg.withDefaults(), subs: map[chan Change]struct{}{}}
}

// Config returns the effective settings.
func (s *Service) Config() Config { return s.cfg }

// NodeID is this node's federation ID.
func (s *Service) NodeID() string { return s.d.NodeID }

// Subscribe returns a channel that receives a Change after every committed
// change to an operation on this node (entered here or received), and a
// function that ends the subscription (and closes the channel). A slow subscriber misses changes
// while its channel is full; it reads the board again on the next one.
func (s *Service) Subscribe() (<-chan Change, func()) {
	ch := make(chan Change, 16)
	s.mu.Lock()
	s.subs[ch] = struct{}{}
	s.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			s.mu.Lock()
			delete(s.subs, ch)
			close(ch)
			s.mu.Unlock()
		})
	}
}

func (s *Service) publish(c Change) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.subs {
		select {
		case ch <- c:
		default:
		}
	}
}

func countryOf(node string) string { return strings.ToUpper(node) }

func (s *Service) facts(p *auth.Principal, o Operation) auth.OperationFacts {
	return auth.OperationFacts{Involved: p != nil && p.Agency != "" && slices.Contains(o.Units, p.Agency)}
}

// visible returns an operation the caller may see; any other is "no such
// operation", so its existence is not disclosed.
func (s *Service) visible(ctx context.Context, q store.Querier, p *auth.Principal, op, id string) (Operation, error) {
	o, err := loadOp(ctx, q, s.d.NodeID, id)
	if isNoRows(err) || (err == nil && !auth.OperationVisible(p, s.facts(p, o))) {
		return Operation{}, errs.New(errs.NotFound, op, "no such operation")
	}
	if err != nil {
		return Operation{}, dbErr(op, err)
	}
	return o, nil
}

func dbErr(op string, err error) error {
	return errs.WrapPlain(errs.Unavailable, op, "the operations room cannot be reached now", err)
}

func actorName(p *auth.Principal) (string, string) {
	if p == nil {
		return "system:operations", ""
	}
	return p.Username, p.Agency
}

func (s *Service) auditEntry(p *auth.Principal, action, id, detail string) audit.Entry {
	name, agency := actorName(p)
	if agency == "" {
		agency = s.d.NodeID
	}
	return audit.Entry{Actor: name, Agency: agency, Action: action, Object: "operations/" + id, Detail: detail}
}

// OpenInput opens an operation or an incident.
type OpenInput struct {
	Kind      string    `json:"kind" enum:"hot_pursuit,surveillance,controlled_delivery,joint_patrol,incident"`
	Title     string    `json:"title" maxLength:"200"`
	Countries []string  `json:"countries,omitempty" maxItems:"10" doc:"node IDs of the countries the operation enters (hot pursuit, surveillance, joint patrol: one; controlled delivery: every country on the route; incident: the partners it is shared with)"`
	Exercise  bool      `json:"exercise,omitempty" doc:"an exercise: watermarked on every screen and notification"`
	Urgent    bool      `json:"urgent,omitempty" doc:"surveillance already started without prior authorisation"`
	Severity  int       `json:"severity,omitempty" minimum:"0" maximum:"5" doc:"incident: 1 (minor) to 5 (catastrophic)"`
	Details   OpDetails `json:"details"`
	Position  string    `json:"position,omitempty" maxLength:"100" doc:"last known position, e.g. 44.8125, 20.4612"`
	Where     string    `json:"where,omitempty" maxLength:"300" doc:"the position in words"`
}

func cleanDay(op, name, v string, required bool) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" && !required {
		return "", nil
	}
	if _, err := time.Parse("2006-01-02", v); err != nil {
		return "", errs.Newf(errs.Invalid, op, "the %s must be a date written YYYY-MM-DD", name)
	}
	return v, nil
}

// cleanOpen validates an OpenInput in plain code.
func (s *Service) cleanOpen(in OpenInput) (OpenInput, *GeoPoint, error) {
	const op = "operations.Open"
	var err error
	if !slices.Contains(Kinds, in.Kind) {
		return in, nil, errs.New(errs.Invalid, op, "choose the kind of operation")
	}
	if in.Title, err = validate.Field(op, "title", in.Title, 200, true); err != nil {
		return in, nil, err
	}
	if in.Where, err = validate.Field(op, "position description", in.Where, 300, false); err != nil {
		return in, nil, err
	}
	var nodes []string
	for _, c := range in.Countries {
		c = strings.ToLower(strings.TrimSpace(c))
		if c == "" || slices.Contains(nodes, c) {
			continue
		}
		if c == s.d.NodeID {
			return in, nil, errs.New(errs.Invalid, op, "the countries taking part are other countries than this one")
		}
		if len(c) > 32 {
			return in, nil, errs.New(errs.Invalid, op, "choose the countries taking part")
		}
		nodes = append(nodes, c)
	}
	in.Countries = nodes
	switch {
	case (in.Kind == KindPursuit || in.Kind == KindSurveillance || in.Kind == KindPatrol) && len(nodes) != 1:
		return in, nil, errs.New(errs.Invalid, op, "choose the one country the operation enters")
	case in.Kind == KindDelivery && len(nodes) == 0:
		return in, nil, errs.New(errs.Invalid, op, "choose every country on the route of the controlled delivery")
	}
	d := &in.Details
	text := func(name string, v *string, max int, required bool) {
		if err == nil {
			*v, err = validate.Field(op, name, *v, max, required)
		}
	}
	text("unit", &d.Unit, 200, in.Kind == KindPursuit || in.Kind == KindSurveillance)
	text("offence", &d.Offence, 300, in.Kind == KindPursuit)
	text("direction", &d.Direction, 300, false)
	text("border crossing", &d.Crossing, 200, false)
	text("target vehicle", &d.TargetVehicle, 200, false)
	text("route", &d.Route, 1000, in.Kind == KindSurveillance || in.Kind == KindDelivery)
	text("consignment", &d.Consignment, 2000, in.Kind == KindDelivery)
	text("sector", &d.Sector, 200, in.Kind == KindPatrol)
	text("schedule", &d.Schedule, 1000, false)
	text("language", &d.Language, 60, false)
	text("commander", &d.Commander, 200, in.Kind == KindPatrol || in.Kind == KindIncident)
	text("location", &d.Location, 300, in.Kind == KindIncident)
	text("lead organisation", &d.LeadOrg, 200, in.Kind == KindIncident)
	if err != nil {
		return in, nil, err
	}
	for _, l := range []struct {
		name string
		v    *[]string
		max  int
	}{{"officers", &d.Officers, 30}, {"vehicles", &d.Vehicles, 20}, {"persons", &d.Persons, 20}, {"handover points", &d.Handovers, 20}} {
		if *l.v, err = validate.List(op, l.name, *l.v, l.max, 200); err != nil {
			return in, nil, err
		}
	}
	if in.Kind == KindSurveillance && len(d.Persons) == 0 {
		return in, nil, errs.New(errs.Invalid, op, "name the target of the surveillance")
	}
	if in.Kind == KindPatrol {
		if d.Start, err = cleanDay(op, "first day", d.Start, true); err != nil {
			return in, nil, err
		}
		if d.End, err = cleanDay(op, "last day", d.End, true); err != nil {
			return in, nil, err
		}
		if d.End < d.Start {
			return in, nil, errs.New(errs.Invalid, op, "the last day of the patrol is before its first day")
		}
	} else {
		d.Start, d.End = "", ""
	}
	if len(d.SectorArea) > 50 {
		return in, nil, errs.New(errs.Invalid, "operations.ParsePoints", "an outline has at most 50 points")
	}
	for _, p := range d.SectorArea {
		if !p.valid() {
			return in, nil, errs.New(errs.Invalid, "operations.ParsePoint", "the position is outside the range of latitudes and longitudes")
		}
	}
	if in.Kind == KindIncident {
		if !slices.Contains(IncidentTypes, d.IncidentType) {
			return in, nil, errs.New(errs.Invalid, op, "choose the type of incident")
		}
		if in.Severity < 1 || in.Severity > 5 {
			return in, nil, errs.New(errs.Invalid, op, "the severity is a number from 1 to 5")
		}
	} else {
		d.IncidentType, in.Severity = "", 0
	}
	var pos *GeoPoint
	if strings.TrimSpace(in.Position) != "" {
		p, err := ParsePoint(in.Position)
		if err != nil {
			return in, nil, err
		}
		pos = &p
	}
	return in, pos, nil
}

func initialStatus(in OpenInput) string {
	switch in.Kind {
	case KindPursuit:
		return StNotified
	case KindSurveillance:
		if in.Urgent {
			return StUrgent
		}
		return StRequested
	case KindDelivery:
		return StRequested
	case KindPatrol:
		return StProposed
	}
	return StOpen
}

func initialCountryState(kind string) string {
	switch kind {
	case KindDelivery:
		return "requested"
	case KindPatrol:
		return "proposed"
	}
	return "notified"
}

// Open opens an operation on this node and notifies every country taking
// part. For operations that enter another country the legal basis is
// checked first: when no agreement in force allows it, nothing is stored
// or sent and the error says why (code "no-legal-basis").
func (s *Service) Open(ctx context.Context, actor *auth.Principal, in OpenInput) (Operation, error) {
	const op = "operations.Open"
	if err := auth.Authorize(actor, auth.ActOpsNotify); err != nil {
		return Operation{}, err
	}
	in, pos, err := s.cleanOpen(in)
	if err != nil {
		return Operation{}, err
	}
	if len(in.Countries) > 0 && s.d.Fed == nil {
		return Operation{}, errs.New(errs.Invalid, op, "this node is not connected to other countries")
	}
	var basis Basis
	if in.Kind != KindIncident {
		for _, n := range in.Countries {
			b, err := s.LegalBasis(ctx, actor, in.Kind, n)
			if err != nil {
				return Operation{}, err
			}
			if err := b.Err(); err != nil {
				return Operation{}, err
			}
			if basis.AgreementID == "" {
				basis = b
			}
		}
	}
	now := s.d.Clock.Now()
	o := Operation{ID: store.NewID(), Kind: in.Kind, OriginNode: s.d.NodeID, Nodes: append([]string{s.d.NodeID}, in.Countries...), Title: in.Title,
		Status: initialStatus(in), Exercise: in.Exercise, Severity: in.Severity, Details: in.Details, LegalBasis: basis.Agreement, LegalBasisID: basis.AgreementID,
		Units: []string{actor.Agency}, Agency: actor.Agency, CreatedBy: actor.Username, CreatedAt: now, UpdatedAt: now, LastPos: pos, Local: true}
	if basis.AgreementID != "" {
		t := basis.Terms
		o.Terms = &t
	}
	if pos != nil || in.Where != "" {
		o.LastText, o.LastAt = in.Where, now
	}
	if o.Kind == KindSurveillance && in.Urgent {
		o.DeadlineAt = now.Add(basis.deadline(s.cfg.SurveillanceDeadline))
	}
	opened := OpEvent{ID: store.NewID(), At: now, Node: s.d.NodeID, Actor: actor.Username, Kind: EvOpened, Text: in.Where, Status: o.Status, Pos: pos}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := insertOp(ctx, tx, o); err != nil {
			return err
		}
		if err := s.appendEvent(ctx, tx, &o, &opened); err != nil {
			return err
		}
		for _, n := range o.Nodes {
			st := initialCountryState(o.Kind)
			if n == s.d.NodeID {
				st = map[string]string{KindPatrol: "confirmed", KindDelivery: "authorised"}[o.Kind]
				if st == "" {
					continue
				}
			}
			if err := setCountry(ctx, tx, o.ID, OpCountry{Node: n, State: st, At: now}); err != nil {
				return err
			}
		}
		for _, n := range in.Countries {
			if err := s.sendOpen(ctx, tx, actor, o, opened, n); err != nil {
				return err
			}
		}
		return s.d.Audit.Queue(ctx, tx, s.auditEntry(actor, "operations.open", o.ID, o.Kind+" "+o.Title+" with "+strings.Join(in.Countries, ",")+exerciseNote(o)))
	})
	if err != nil {
		return Operation{}, dbErr(op, err)
	}
	s.notifyFed()
	return s.Get(ctx, actor, o.ID)
}

func exerciseNote(o Operation) string {
	if o.Exercise {
		return " [EXERCISE]"
	}
	return ""
}

func (s *Service) notifyFed() {
	if s.d.Fed != nil {
		s.d.Fed.Notify()
	}
}

// appendEvent links ev to the end of o's log, writes it and applies it to
// the operation's projections (status, position, countries, organisations,
// tasks, participants), all in tx. Subscribers hear of it after commit.
func (s *Service) appendEvent(ctx context.Context, tx *store.Tx, o *Operation, ev *OpEvent) error {
	seq, prev, err := lastLink(ctx, tx, o.ID)
	if err != nil {
		return err
	}
	ev.Seq, ev.PrevHash = seq+1, prev
	ev.At = ev.At.UTC().Truncate(time.Microsecond) // as stored
	ev.Hash = entryHash(o.ID, prev, *ev)
	if err := insertEvent(ctx, tx, o.ID, *ev); err != nil {
		return err
	}
	if ev.Kind == EvOpened {
		s.afterCommit(tx, o.ID)
		return nil
	}
	if ev.Status != "" {
		o.Status = ev.Status
	}
	if cs := countryState(*o, ev.Kind); cs != "" {
		if err := setCountry(ctx, tx, o.ID, OpCountry{Node: ev.Node, State: cs, Note: ev.Text, At: ev.At}); err != nil {
			return err
		}
	}
	switch ev.Kind {
	case EvOrg:
		if err := setOrg(ctx, tx, o.ID, OpOrg{Org: ev.Data.Org, State: ev.Data.State, At: ev.At}); err != nil {
			return err
		}
	case EvTask:
		if err := insertTask(ctx, tx, o.ID, OpTask{ID: ev.Data.TaskID, Title: ev.Data.Title, Priority: ev.Data.Priority, Assignee: ev.Data.Agency, State: ev.Data.State, UpdatedAt: ev.At}); err != nil {
			return err
		}
	case EvTaskState:
		t, err := task(ctx, tx, o.ID, ev.Data.TaskID)
		if err != nil {
			return err
		}
		t.State, t.UpdatedAt = ev.Data.State, ev.At
		if ev.Data.Agency != "" {
			t.Assignee = ev.Data.Agency
		}
		if err := updateTask(ctx, tx, o.ID, t); err != nil {
			return err
		}
	case EvShare:
		if !slices.Contains(o.Nodes, ev.Data.Node) {
			o.Nodes = append(o.Nodes, ev.Data.Node)
		}
	case EvHandover:
		if ev.Node == s.d.NodeID && ev.Data.Agency != "" && !slices.Contains(o.Units, ev.Data.Agency) {
			o.Units = append(o.Units, ev.Data.Agency)
		}
	case EvEnd:
		o.DeadlineAt = ev.At.Add(s.cfg.ReportWithin)
	case EvAuthorise, EvRefuse, EvStopRequired, EvReport, EvCancel:
		if ev.Status != "" && (ev.Kind != EvStopRequired) {
			o.DeadlineAt = time.Time{}
		}
	}
	if ev.Pos != nil {
		o.LastPos, o.LastAt = ev.Pos, ev.At
		o.LastText = ev.Text
	} else if ev.Kind == EvPosition {
		o.LastText, o.LastAt = ev.Text, ev.At
	}
	o.UpdatedAt = ev.At
	if err := saveOp(ctx, tx, *o); err != nil {
		return err
	}
	s.afterCommit(tx, o.ID)
	return nil
}

func (s *Service) afterCommit(tx *store.Tx, id string) {
	tx.AfterCommit(func() { s.publish(Change{OpID: id, At: s.d.Clock.Now()}) })
}

// ActInput is one action on an operation: a position update, a decision,
// a report, an incident's log entry, situation report, organisation state
// or task.
type ActInput struct {
	Kind     string `json:"kind" enum:"position,note,acknowledge,handover,stop,authorise,refuse,start,passed,confirm,cancel,end,report,sitrep,org,task,task_state,share,close"`
	Text     string `json:"text,omitempty" maxLength:"4000" doc:"what happened; conditions of an authorisation; the report"`
	Position string `json:"position,omitempty" maxLength:"100" doc:"coordinates, e.g. 44.8125, 20.4612"`
	Agency   string `json:"agency,omitempty" maxLength:"200" doc:"handover: the unit taking over; task: the assignee"`
	Org      string `json:"org,omitempty" maxLength:"200" doc:"org: the organisation"`
	State    string `json:"state,omitempty" maxLength:"20" doc:"org: alerted, standing_by, active, deactivated; task_state: new, assigned, blocked, done, cancelled"`
	TaskID   string `json:"task_id,omitempty" maxLength:"64"`
	Title    string `json:"title,omitempty" maxLength:"300" doc:"task: what to do"`
	Priority string `json:"priority,omitempty" maxLength:"10" doc:"task: low, normal, high, urgent"`
	Node     string `json:"node,omitempty" maxLength:"32" doc:"share: the partner country's node"`
	Checks   int    `json:"checks,omitempty" minimum:"0" maximum:"100000" doc:"patrol report: persons and vehicles checked"`
	Links    string `json:"links,omitempty" maxLength:"1000" doc:"patrol report: alerts and cases concerned"`
}

// cleanAct validates an action in plain code into the event it records.
func (s *Service) cleanAct(o Operation, in ActInput) (OpEvent, error) {
	const op = "operations.Act"
	var err error
	if !slices.Contains(Actions, in.Kind) {
		return OpEvent{}, errs.New(errs.Invalid, op, "choose an action")
	}
	needText := in.Kind == EvNote || in.Kind == EvReport || in.Kind == EvSitrep || in.Kind == EvRefuse || in.Kind == EvStop
	if in.Text, err = validate.Field(op, "text", in.Text, 4000, needText); err != nil {
		return OpEvent{}, err
	}
	ev := OpEvent{ID: store.NewID(), Kind: in.Kind, Text: in.Text}
	if strings.TrimSpace(in.Position) != "" {
		p, err := ParsePoint(in.Position)
		if err != nil {
			return OpEvent{}, err
		}
		ev.Pos = &p
	}
	if in.Kind == EvPosition && ev.Pos == nil && ev.Text == "" {
		return OpEvent{}, errs.New(errs.Invalid, op, "give the position, in coordinates or in words")
	}
	field := func(name string, v string, max int, required bool) string {
		if err != nil {
			return ""
		}
		var out string
		out, err = validate.Field(op, name, v, max, required)
		return out
	}
	switch in.Kind {
	case EvHandover:
		ev.Data.Agency = field("unit taking over", in.Agency, 200, true)
	case EvOrg:
		ev.Data.Org = field("organisation", in.Org, 200, true)
		if err == nil && !slices.Contains(OrgStates, in.State) {
			return OpEvent{}, errs.New(errs.Invalid, op, "choose the organisation's state: alerted, standing by, active or deactivated")
		}
		ev.Data.State = in.State
	case EvTask:
		ev.Data.Title = field("task", in.Title, 300, true)
		ev.Data.Agency = field("assignee", in.Agency, 200, false)
		if in.Priority == "" {
			in.Priority = "normal"
		}
		if err == nil && !slices.Contains(Priorities, in.Priority) {
			return OpEvent{}, errs.New(errs.Invalid, op, "choose the priority: low, normal, high or urgent")
		}
		ev.Data.Priority, ev.Data.TaskID, ev.Data.State = in.Priority, store.NewID(), "new"
		if ev.Data.Agency != "" {
			ev.Data.State = "assigned"
		}
	case EvTaskState:
		ev.Data.TaskID = strings.TrimSpace(in.TaskID)
		ev.Data.Agency = field("assignee", in.Agency, 200, false)
		if err == nil && !slices.Contains(TaskStates, in.State) {
			return OpEvent{}, errs.New(errs.Invalid, op, "choose the task's state: new, assigned, blocked, done or cancelled")
		}
		ev.Data.State = in.State
	case EvShare:
		ev.Data.Node = strings.ToLower(strings.TrimSpace(in.Node))
		if ev.Data.Node == "" || len(ev.Data.Node) > 32 || ev.Data.Node == s.d.NodeID {
			return OpEvent{}, errs.New(errs.Invalid, op, "choose the partner country to share the incident with")
		}
		if o.Takes(ev.Data.Node) {
			return OpEvent{}, &errs.E{Kind: errs.Conflict, Op: op, Code: "already-shared", Msg: "the incident is already shared with this country"}
		}
	case EvReport:
		if in.Checks < 0 || in.Checks > 100000 {
			return OpEvent{}, errs.New(errs.Invalid, op, "the number of checks is a whole number from 0 to 100000")
		}
		ev.Data.Checks = in.Checks
		ev.Data.Links = field("links", in.Links, 1000, false)
	}
	return ev, err
}

// Act records an action on an operation on this node, applies it and
// sends it to the countries taking part, in one transaction.
func (s *Service) Act(ctx context.Context, actor *auth.Principal, id string, in ActInput) (Operation, error) {
	const op = "operations.Act"
	need := auth.ActOpsNotify
	if slices.Contains(DecisionActions, in.Kind) {
		need = auth.ActOpsDecide
	}
	if err := auth.Authorize(actor, need); err != nil {
		return Operation{}, err
	}
	o, err := s.visible(ctx, s.d.Store, actor, op, id)
	if err != nil {
		return Operation{}, err
	}
	ev, err := s.cleanAct(o, in)
	if err != nil {
		return Operation{}, err
	}
	if ev.Kind == EvShare {
		if s.d.Fed == nil {
			return Operation{}, errs.New(errs.Invalid, op, "this node is not connected to other countries")
		}
		if _, err := s.d.Fed.Peer(ctx, ev.Data.Node); err != nil {
			return Operation{}, errs.New(errs.Invalid, op, "choose the partner country to share the incident with")
		}
	}
	now := s.d.Clock.Now()
	ev.At, ev.Node, ev.Actor = now, s.d.NodeID, actor.Username
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		// Read again inside the transaction: the state decides.
		o, err := loadOp(ctx, tx, s.d.NodeID, o.ID)
		if err != nil {
			return err
		}
		cm, err := countryMap(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		if ev.Status, err = transition(o, ev.Kind, o.Local, cm, s.d.NodeID); err != nil {
			return err
		}
		if ev.Kind == EvSitrep {
			n, err := countEvents(ctx, tx, o.ID, EvSitrep)
			if err != nil {
				return err
			}
			ev.Data.Number = n + 1
		}
		if ev.Kind == EvTaskState {
			if _, err := task(ctx, tx, o.ID, ev.Data.TaskID); isNoRows(err) {
				return errs.New(errs.NotFound, op, "no such task")
			} else if err != nil {
				return err
			}
		}
		before := slices.Clone(o.Nodes)
		if err := s.appendEvent(ctx, tx, &o, &ev); err != nil {
			return err
		}
		if err := s.fanout(ctx, tx, actor, o, before, ev, ""); err != nil {
			return err
		}
		if ev.Kind == EvShare {
			if err := s.shareWith(ctx, tx, actor, o, ev.Data.Node); err != nil {
				return err
			}
		}
		return s.d.Audit.Queue(ctx, tx, s.auditEntry(actor, "operations.act", o.ID, ev.Kind+statusNote(ev)+exerciseNote(o)))
	})
	if err != nil {
		return Operation{}, dbErr(op, err)
	}
	s.notifyFed()
	return s.Get(ctx, actor, o.ID)
}

func statusNote(ev OpEvent) string {
	if ev.Status != "" {
		return " → " + ev.Status
	}
	return ""
}

// Get returns an operation with its log, countries, organisations and
// tasks; the log's hash chain is verified on every read. Reads are audited.
func (s *Service) Get(ctx context.Context, actor *auth.Principal, id string) (Operation, error) {
	const op = "operations.Get"
	if err := auth.Authorize(actor, auth.ActOpsView); err != nil {
		return Operation{}, err
	}
	o, err := s.visible(ctx, s.d.Store, actor, op, id)
	if err != nil {
		return Operation{}, err
	}
	if o.Events, err = events(ctx, s.d.Store, o.ID); err != nil {
		return Operation{}, dbErr(op, err)
	}
	if o.Countries, err = countries(ctx, s.d.Store, o.ID); err != nil {
		return Operation{}, dbErr(op, err)
	}
	if o.Orgs, err = orgs(ctx, s.d.Store, o.ID); err != nil {
		return Operation{}, dbErr(op, err)
	}
	if o.Tasks, err = tasks(ctx, s.d.Store, o.ID); err != nil {
		return Operation{}, dbErr(op, err)
	}
	o.ChainOK = VerifyChain(o.ID, o.Events) == nil
	o.Track = track(o.Events)
	o.Overdue = s.overdue(o)
	return o, s.d.Audit.Record(ctx, s.auditEntry(actor, "operations.read", o.ID, ""))
}

func track(evs []OpEvent) []GeoPoint {
	out := []GeoPoint{}
	for _, e := range evs {
		if e.Pos != nil {
			out = append(out, *e.Pos)
		}
	}
	return out
}

func (s *Service) overdue(o Operation) bool {
	return !o.DeadlineAt.IsZero() && !Closed(o.Status) && !s.d.Clock.Now().Before(o.DeadlineAt)
}

// VerifyLog checks the hash chain of an operation's log as stored on this
// node; a changed, removed or moved entry is reported (code "log-altered").
func (s *Service) VerifyLog(ctx context.Context, actor *auth.Principal, id string) error {
	const op = "operations.VerifyLog"
	if err := auth.Authorize(actor, auth.ActOpsView); err != nil {
		return err
	}
	o, err := s.visible(ctx, s.d.Store, actor, op, id)
	if err != nil {
		return err
	}
	evs, err := events(ctx, s.d.Store, o.ID)
	if err != nil {
		return dbErr(op, err)
	}
	verr := VerifyChain(o.ID, evs)
	detail := "intact"
	if verr != nil {
		detail = verr.Error()
	}
	if err := s.d.Audit.Record(ctx, s.auditEntry(actor, "operations.verify", o.ID, detail)); err != nil {
		return err
	}
	return verr
}

// BoardFilter narrows the board.
type BoardFilter struct {
	Kind string `json:"kind,omitempty"`
	All  bool   `json:"all,omitempty" doc:"include closed operations"`
}

// Board returns the operations the caller may see, open ones unless
// f.All, the most recently updated first (at most 1000). Audited.
func (s *Service) Board(ctx context.Context, actor *auth.Principal, f BoardFilter) ([]Operation, error) {
	const op = "operations.Board"
	if err := auth.Authorize(actor, auth.ActOpsView); err != nil {
		return nil, err
	}
	if f.Kind != "" && !slices.Contains(Kinds, f.Kind) {
		return nil, errs.New(errs.Invalid, op, "choose the kind of operation")
	}
	all, err := listOps(ctx, s.d.Store, s.d.NodeID, f.All, f.Kind, 1000)
	if err != nil {
		return nil, dbErr(op, err)
	}
	out := []Operation{}
	for _, o := range all {
		if auth.OperationVisible(actor, s.facts(actor, o)) {
			o.Overdue = s.overdue(o)
			out = append(out, o)
		}
	}
	return out, s.d.Audit.Record(ctx, s.auditEntry(actor, "operations.board", "board", "kind="+f.Kind))
}

// PatrolStats returns joint-patrol statistics per border sector. Audited.
func (s *Service) PatrolStats(ctx context.Context, actor *auth.Principal) ([]SectorStats, error) {
	const op = "operations.PatrolStats"
	if err := auth.Authorize(actor, auth.ActOpsView); err != nil {
		return nil, err
	}
	rows, err := patrolRows(ctx, s.d.Store)
	if err != nil {
		return nil, dbErr(op, err)
	}
	checks, err := reportedChecks(ctx, s.d.Store)
	if err != nil {
		return nil, dbErr(op, err)
	}
	by := map[string]*SectorStats{}
	var order []string
	for _, r := range rows {
		var jc store.JSONColumns
		d := store.ParseJSON[OpDetails](&jc, "details", r.Details)
		st := by[d.Sector]
		if st == nil {
			st = &SectorStats{Sector: d.Sector}
			by[d.Sector] = st
			order = append(order, d.Sector)
		}
		st.Patrols++
		if r.Status == StConfirmed || r.Status == StReported {
			st.Confirmed++
		}
		if r.Status == StReported {
			st.Reported++
		}
		st.Checks += checks[r.ID]
	}
	slices.Sort(order)
	out := []SectorStats{}
	for _, k := range order {
		out = append(out, *by[k])
	}
	return out, s.d.Audit.Record(ctx, s.auditEntry(actor, "operations.patrol_stats", "patrols", ""))
}

// Run checks deadlines until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		if _, err := s.CheckDeadlines(ctx); err != nil && ctx.Err() == nil {
			s.d.Logger.Warn("operations deadlines", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// CheckDeadlines tells the team of every urgent surveillance opened here
// and not authorised within its deadline to stop: the operation moves to
// stop_required and the host country is told. It returns how many.
func (s *Service) CheckDeadlines(ctx context.Context) (int, error) {
	now := s.d.Clock.Now()
	due, err := dueSurveillance(ctx, s.d.Store, s.d.NodeID, now)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range due {
		err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
			o, err := loadOp(ctx, tx, s.d.NodeID, o.ID)
			if err != nil {
				return err
			}
			if o.Status != StUrgent {
				return nil
			}
			ev := OpEvent{ID: store.NewID(), At: now, Node: s.d.NodeID, Actor: "system:operations", Kind: EvStopRequired, Status: StStopRequired,
				Text: "not authorised by " + o.DeadlineAt.UTC().Format("2006-01-02 15:04") + " UTC: stop the surveillance"}
			before := slices.Clone(o.Nodes)
			if err := s.appendEvent(ctx, tx, &o, &ev); err != nil {
				return err
			}
			if err := s.fanout(ctx, tx, nil, o, before, ev, ""); err != nil {
				return err
			}
			n++
			return s.d.Audit.Queue(ctx, tx, s.auditEntry(nil, "operations.deadline", o.ID, "urgent surveillance not authorised in time: stop required"))
		})
		if err != nil {
			return n, err
		}
	}
	if n > 0 {
		s.notifyFed()
	}
	return n, nil
}

// Follow tells this instance's boards about changes other instances of the
// node made (PostgreSQL with several instances: the leader applies what
// partners send, a user's board may be open on another instance), every
// interval until ctx ends.
func (s *Service) Follow(ctx context.Context, interval time.Duration) {
	f := &follower{s: s}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := f.poll(ctx); err != nil && ctx.Err() == nil {
			s.d.Logger.Warn("operations: following other instances failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// follower remembers the version of each operation it has seen.
type follower struct {
	s    *Service
	seen map[string]opVersion
}

// poll publishes a change for every operation whose version moved since
// the last poll; the first poll only takes note.
func (f *follower) poll(ctx context.Context) error {
	vs, err := openVersions(ctx, f.s.d.Store, f.s.d.Clock.Now().Add(-time.Hour))
	if err != nil {
		return err
	}
	first := f.seen == nil
	if first {
		f.seen = map[string]opVersion{}
	}
	for _, v := range vs {
		if old, ok := f.seen[v.id]; !first && (!ok || old != v) {
			f.s.publish(Change{OpID: v.id, At: f.s.d.Clock.Now()})
		}
		f.seen[v.id] = v
	}
	return nil
}
