// Package operations is the cross-border operations room: hot pursuits,
// cross-border surveillance, controlled deliveries, joint patrols and
// incidents are notified, authorised, followed and reported in real time
// between the countries taking part, over the federation.
//
// Every operation has one origin node (the country that opened it) and the
// nodes taking part. Each node keeps a copy: the header and an append-only,
// hash-chained log of events. An event entered on a node other than the
// origin goes to the origin, which relays it to the other participants, so
// all of them see the origin's order; the federation keeps each
// conversation in order and holds it while a node is down.
package operations

import (
	"slices"
	"time"

	"github.com/liaison-wb/liaison/internal/errs"
)

// Operation kinds.
const (
	KindPursuit      = "hot_pursuit"
	KindSurveillance = "surveillance"
	KindDelivery     = "controlled_delivery"
	KindPatrol       = "joint_patrol"
	KindIncident     = "incident"
)

// Kinds lists the operation kinds in display order.
var Kinds = []string{KindPursuit, KindSurveillance, KindDelivery, KindPatrol, KindIncident}

// Statuses.
const (
	StNotified     = "notified"      // hot pursuit: the host was notified
	StAcknowledged = "acknowledged"  // hot pursuit: the host acknowledged
	StHandedOver   = "handed_over"   // hot pursuit: the host's units took over
	StStopOrdered  = "stop_ordered"  // hot pursuit: the host ordered it stopped
	StRequested    = "requested"     // surveillance, controlled delivery: prior authorisation asked
	StUrgent       = "urgent"        // surveillance started without authorisation
	StAuthorised   = "authorised"    // surveillance, controlled delivery (every country on the route)
	StRefused      = "refused"       // surveillance, controlled delivery
	StStopRequired = "stop_required" // urgent surveillance not authorised within the deadline
	StInProgress   = "in_progress"   // controlled delivery under way
	StProposed     = "proposed"      // joint patrol: schedule proposed
	StConfirmed    = "confirmed"     // joint patrol: confirmed by both sides
	StCancelled    = "cancelled"     // joint patrol
	StOpen         = "open"          // incident
	StEnded        = "ended"         // the operation ended; its report is due
	StReported     = "reported"      // end report filed (closed)
	StClosed       = "closed"        // incident closed
)

// Statuses lists every status.
var Statuses = []string{StNotified, StAcknowledged, StHandedOver, StStopOrdered, StRequested, StUrgent, StAuthorised, StRefused, StStopRequired,
	StInProgress, StProposed, StConfirmed, StCancelled, StOpen, StEnded, StReported, StClosed}

// Closed reports whether an operation in status st is over (off the board).
func Closed(st string) bool {
	return st == StReported || st == StClosed || st == StCancelled
}

// Event kinds (the actions on an operation).
const (
	EvOpened       = "opened"
	EvPosition     = "position"      // position update (text and coordinates)
	EvNote         = "note"          // log entry
	EvAcknowledge  = "acknowledge"   // host: notification received
	EvHandover     = "handover"      // host: its own unit takes over
	EvStop         = "stop"          // host: stop the pursuit
	EvAuthorise    = "authorise"     // host (each country on the route): authorised, with conditions
	EvRefuse       = "refuse"        // host: refused
	EvStopRequired = "stop_required" // system: urgent surveillance not authorised in time
	EvStart        = "start"         // controlled delivery: consignment on its way
	EvPassed       = "passed"        // controlled delivery: handed over / passed this country
	EvConfirm      = "confirm"       // joint patrol: this side confirms the schedule
	EvCancel       = "cancel"        // joint patrol: cancelled
	EvEnd          = "end"           // origin: the operation ended
	EvReport       = "report"        // end report / patrol report
	EvSitrep       = "sitrep"        // incident: numbered situation report (lead node)
	EvOrg          = "org"           // incident: an organisation's activation state
	EvTask         = "task"          // incident: new task
	EvTaskState    = "task_state"    // incident: a task's state or assignee changes
	EvShare        = "share"         // incident: shared with another country
	EvClose        = "close"         // incident closed
)

// Actions lists the event kinds a user may enter, in display order.
var Actions = []string{EvPosition, EvNote, EvAcknowledge, EvHandover, EvStop, EvAuthorise, EvRefuse, EvStart, EvPassed, EvConfirm, EvCancel,
	EvEnd, EvReport, EvSitrep, EvOrg, EvTask, EvTaskState, EvShare, EvClose}

// DecisionActions are the host country's decisions (NCU or police
// cooperation centre); the other actions are the units'.
var DecisionActions = []string{EvAcknowledge, EvHandover, EvStop, EvAuthorise, EvRefuse, EvConfirm, EvCancel, EvShare}

// Incident vocabularies.
var (
	IncidentTypes = []string{"natural_disaster", "public_order", "terrorism", "mass_casualty", "hazmat", "border", "other"}
	OrgStates     = []string{"alerted", "standing_by", "active", "deactivated"}
	TaskStates    = []string{"new", "assigned", "blocked", "done", "cancelled"}
	Priorities    = []string{"low", "normal", "high", "urgent"}
	CountryStates = []string{"requested", "authorised", "refused", "passed", "proposed", "confirmed", "notified"}
)

// OpDetails are the kind-specific facts of an operation.
type OpDetails struct {
	Unit          string     `json:"unit,omitempty" maxLength:"200" doc:"pursuing or surveillance unit"`
	Officers      []string   `json:"officers,omitempty" maxItems:"30"`
	Vehicles      []string   `json:"vehicles,omitempty" maxItems:"20" doc:"the unit's vehicles"`
	Persons       []string   `json:"persons,omitempty" maxItems:"20" doc:"pursued persons or surveillance targets"`
	TargetVehicle string     `json:"target_vehicle,omitempty" maxLength:"200"`
	Offence       string     `json:"offence,omitempty" maxLength:"300"`
	Direction     string     `json:"direction,omitempty" maxLength:"300"`
	Crossing      string     `json:"crossing,omitempty" maxLength:"200" doc:"border crossing"`
	Route         string     `json:"route,omitempty" maxLength:"1000" doc:"expected route"`
	Consignment   string     `json:"consignment,omitempty" maxLength:"2000" doc:"controlled delivery: the consignment"`
	Handovers     []string   `json:"handovers,omitempty" maxItems:"20" doc:"controlled delivery: handover points"`
	Sector        string     `json:"sector,omitempty" maxLength:"200" doc:"joint patrol: border sector"`
	SectorArea    []GeoPoint `json:"sector_area,omitempty" maxItems:"50" doc:"joint patrol: the sector's outline"`
	Start         string     `json:"start,omitempty" maxLength:"16" doc:"joint patrol: first day (YYYY-MM-DD)"`
	End           string     `json:"end,omitempty" maxLength:"16" doc:"joint patrol: last day (YYYY-MM-DD)"`
	Schedule      string     `json:"schedule,omitempty" maxLength:"1000" doc:"joint patrol: shifts"`
	Language      string     `json:"language,omitempty" maxLength:"60"`
	Commander     string     `json:"commander,omitempty" maxLength:"200"`
	IncidentType  string     `json:"incident_type,omitempty" maxLength:"40"`
	Location      string     `json:"location,omitempty" maxLength:"300"`
	LeadOrg       string     `json:"lead_org,omitempty" maxLength:"200"`
}

// OpTerms are what a state declared under an agreement for operations that
// continue on its territory.
type OpTerms struct {
	AgreementID  string `json:"agreement_id"`
	Agreement    string `json:"agreement"`
	Country      string `json:"country"`
	Pursuit      bool   `json:"pursuit" doc:"hot pursuit allowed on this territory"`
	PursuitKm    int    `json:"pursuit_km,omitempty" doc:"declared distance limit (0: none declared)"`
	PursuitHours int    `json:"pursuit_hours,omitempty" doc:"declared time limit (0: none declared)"`
	Apprehend    bool   `json:"apprehend" doc:"pursuing officers may apprehend"`
	// SurveillanceMinutes is the time within which urgent surveillance
	// must be authorised.
	SurveillanceMinutes int    `json:"surveillance_minutes"`
	Note                string `json:"note,omitempty"`
	Declared            bool   `json:"declared" doc:"false: defaults, nothing declared in the directory"`
}

// OpCountry is one participant's state in an operation.
type OpCountry struct {
	Node  string    `json:"node"`
	State string    `json:"state"`
	Note  string    `json:"note,omitempty"`
	At    time.Time `json:"at"`
}

// OpOrg is an organisation's activation state in an incident.
type OpOrg struct {
	Org   string    `json:"org"`
	State string    `json:"state"`
	At    time.Time `json:"at"`
}

// OpTask is one task of an incident.
type OpTask struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Priority  string    `json:"priority"`
	Assignee  string    `json:"assignee"`
	State     string    `json:"state"`
	UpdatedAt time.Time `json:"updated_at"`
}

// OpEventData are an event's extra fields.
type OpEventData struct {
	Agency   string `json:"agency,omitempty"`
	Org      string `json:"org,omitempty"`
	State    string `json:"state,omitempty"`
	TaskID   string `json:"task_id,omitempty"`
	Title    string `json:"title,omitempty"`
	Priority string `json:"priority,omitempty"`
	Node     string `json:"node,omitempty"`
	Number   int    `json:"number,omitempty"`
	Checks   int    `json:"checks,omitempty"`
	Links    string `json:"links,omitempty"`
}

// OpEvent is one entry of an operation's log.
type OpEvent struct {
	Seq      int64       `json:"seq"`
	ID       string      `json:"id"`
	At       time.Time   `json:"at"`
	Node     string      `json:"node"`
	Actor    string      `json:"actor"`
	Kind     string      `json:"kind"`
	Text     string      `json:"text,omitempty"`
	Status   string      `json:"status,omitempty" doc:"the operation's status after this event, when it changed it"`
	Pos      *GeoPoint   `json:"pos,omitempty"`
	Data     OpEventData `json:"data"`
	PrevHash string      `json:"prev_hash"`
	Hash     string      `json:"hash"`
}

// Operation is one live operation or incident as held on this node.
type Operation struct {
	ID           string    `json:"id"`
	Kind         string    `json:"kind"`
	OriginNode   string    `json:"origin_node"`
	Nodes        []string  `json:"nodes" doc:"every node taking part, the origin first"`
	Title        string    `json:"title"`
	Status       string    `json:"status"`
	Exercise     bool      `json:"exercise"`
	Severity     int       `json:"severity,omitempty"`
	Details      OpDetails `json:"details"`
	LegalBasis   string    `json:"legal_basis,omitempty"`
	LegalBasisID string    `json:"legal_basis_id,omitempty"`
	Terms        *OpTerms  `json:"terms,omitempty"`
	DeadlineAt   time.Time `json:"deadline_at,omitzero" doc:"surveillance: authorisation deadline; after the end: the end report is due"`
	Units        []string  `json:"units" doc:"agencies on this node taking part"`
	Agency       string    `json:"agency"`
	CreatedBy    string    `json:"created_by"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	LastText     string    `json:"last_text,omitempty"`
	LastPos      *GeoPoint `json:"last_pos,omitempty"`
	LastAt       time.Time `json:"last_at,omitzero"`
	Local        bool      `json:"local" doc:"opened on this node"`

	Overdue   bool        `json:"overdue,omitempty" doc:"the deadline has passed"`
	Events    []OpEvent   `json:"events,omitempty"`
	Countries []OpCountry `json:"countries,omitempty"`
	Orgs      []OpOrg     `json:"orgs,omitempty"`
	Tasks     []OpTask    `json:"tasks,omitempty"`
	ChainOK   bool        `json:"chain_ok,omitempty" doc:"the log's hash chain verified on this read"`
	Track     []GeoPoint  `json:"track,omitempty" doc:"positions in order"`
}

// Host returns the first participant other than the origin.
func (o Operation) Host() string {
	for _, n := range o.Nodes {
		if n != o.OriginNode {
			return n
		}
	}
	return ""
}

// Takes reports whether node takes part.
func (o Operation) Takes(node string) bool { return slices.Contains(o.Nodes, node) }

// transition decides what an event does to an operation: the status after
// it ("" unchanged) or why it is not allowed. origin says whether the event
// was entered on the origin node. It is the one rule used on entry and on
// receipt, so every node applies the same changes.
func transition(o Operation, kind string, origin bool, countries map[string]string, from string) (string, error) {
	const op = "operations.Act"
	st := o.Status
	notAllowed := func() error {
		return &errs.E{Kind: errs.Conflict, Op: op, Code: "not-allowed", Msg: "this action is not possible for this operation in its present state"}
	}
	hostOnly := func() error {
		if origin {
			return &errs.E{Kind: errs.Forbidden, Op: op, Code: "host-only", Msg: "only a country receiving the operation can take this decision"}
		}
		return nil
	}
	originOnly := func() error {
		if !origin {
			return &errs.E{Kind: errs.Forbidden, Op: op, Code: "origin-only", Msg: "only the country that opened the operation can do this"}
		}
		return nil
	}
	if Closed(st) && kind != EvNote {
		return "", notAllowed()
	}
	switch kind {
	case EvNote:
		return "", nil
	case EvPosition:
		if st == StEnded || o.Kind == KindIncident {
			return "", notAllowed()
		}
		return "", nil
	case EvEnd, EvReport:
		// Pursuit, surveillance and controlled delivery end and report
		// alike; a joint patrol reports on its own terms below.
		if o.Kind == KindPursuit || o.Kind == KindSurveillance || o.Kind == KindDelivery {
			if err := originOnly(); err != nil {
				return "", err
			}
			switch {
			case kind == EvEnd && st != StEnded:
				return StEnded, nil
			case kind == EvReport && st == StEnded:
				return StReported, nil
			}
			return "", notAllowed()
		}
	}
	switch o.Kind {
	case KindPursuit:
		switch kind {
		case EvAcknowledge:
			if err := hostOnly(); err != nil {
				return "", err
			}
			if st == StNotified {
				return StAcknowledged, nil
			}
		case EvHandover:
			if err := hostOnly(); err != nil {
				return "", err
			}
			if st == StNotified || st == StAcknowledged {
				return StHandedOver, nil
			}
		case EvStop:
			if err := hostOnly(); err != nil {
				return "", err
			}
			if st == StNotified || st == StAcknowledged || st == StHandedOver {
				return StStopOrdered, nil
			}
		}
	case KindSurveillance:
		switch kind {
		case EvAuthorise, EvRefuse:
			if err := hostOnly(); err != nil {
				return "", err
			}
			if st == StRequested || st == StUrgent {
				if kind == EvAuthorise {
					return StAuthorised, nil
				}
				return StRefused, nil
			}
		case EvStopRequired:
			if st == StUrgent {
				return StStopRequired, nil
			}
		}
	case KindDelivery:
		switch kind {
		case EvAuthorise, EvRefuse:
			if err := hostOnly(); err != nil {
				return "", err
			}
			if st != StRequested && st != StAuthorised {
				return "", notAllowed()
			}
			if kind == EvRefuse {
				return StRefused, nil
			}
			for _, n := range o.Nodes {
				if n != o.OriginNode && n != from && countries[n] != "authorised" {
					return "", nil // still waiting for another country on the route
				}
			}
			return StAuthorised, nil
		case EvStart:
			if err := originOnly(); err != nil {
				return "", err
			}
			if st == StAuthorised {
				return StInProgress, nil
			}
		case EvPassed:
			if st == StInProgress {
				return "", nil
			}
		}
	case KindPatrol:
		switch kind {
		case EvConfirm:
			if st != StProposed {
				return "", notAllowed()
			}
			for _, n := range o.Nodes {
				if n != from && countries[n] != "confirmed" {
					return "", nil
				}
			}
			return StConfirmed, nil
		case EvCancel:
			if st == StProposed || st == StConfirmed {
				return StCancelled, nil
			}
		case EvReport:
			if st == StConfirmed {
				return StReported, nil
			}
		}
	case KindIncident:
		switch kind {
		case EvSitrep, EvShare, EvClose:
			if err := originOnly(); err != nil {
				return "", err
			}
			if kind == EvClose {
				return StClosed, nil
			}
			return "", nil
		case EvOrg, EvTask, EvTaskState:
			return "", nil
		}
	}
	return "", notAllowed()
}

// countryState is the per-country state an event sets ("" none).
func countryState(o Operation, kind string) string {
	switch {
	case kind == EvAuthorise && o.Kind == KindDelivery:
		return "authorised"
	case kind == EvRefuse && o.Kind == KindDelivery:
		return "refused"
	case kind == EvPassed:
		return "passed"
	case kind == EvConfirm:
		return "confirmed"
	}
	return ""
}

// Possible reports whether the action kind can be taken now on this node
// (self) on o as read by Get: the same rule the service applies, so pages
// offer only what would be accepted.
func Possible(o Operation, kind, self string) bool {
	cm := map[string]string{}
	for _, c := range o.Countries {
		cm[c.Node] = c.State
	}
	_, err := transition(o, kind, o.OriginNode == self, cm, self)
	return err == nil
}
