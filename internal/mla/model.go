// Package mla handles mutual legal assistance and other judicial requests
// between countries: evidence gathering, hearings by video, search and
// seizure, banking information, service of documents, transfer of
// proceedings and extradition. A request is drafted (police or prosecutor),
// signed and sent by a prosecutor, travels to the requested node as a
// signed federation envelope through the NCU / central-authority gate, and
// its status and answer come back as signed status notices. Deadlines (to
// recognise and to execute) are tracked on both sides with an injected
// clock; turnaround per country pair feeds the directory's implementation
// record of the agreement used as legal basis.
package mla

import (
	"slices"
	"strings"
	"time"
)

// Directions.
const (
	Outgoing = "outgoing" // this node requests assistance
	Incoming = "incoming" // this node is asked for assistance
)

// Request kinds.
var Kinds = []string{"evidence", "video_hearing", "search_seizure", "banking", "service_documents", "transfer_proceedings", "extradition"}

// KindLabels are the English labels of the kinds.
var KindLabels = map[string]string{
	"evidence":             "Evidence gathering",
	"video_hearing":        "Hearing by video conference",
	"search_seizure":       "Search and seizure",
	"banking":              "Banking information",
	"service_documents":    "Service of documents",
	"transfer_proceedings": "Transfer of proceedings",
	"extradition":          "Extradition",
}

// Channels.
const (
	ChannelFormal   = "formal"   // through the central authorities
	ChannelInformal = "informal" // prosecutor to prosecutor, through the focal points
)

// contactRole is the directory contact role that serves a channel.
func contactRole(channel string) string {
	if channel == ChannelInformal {
		return "prosecutorial_focal_point"
	}
	return "mla_central_authority"
}

// Statuses.
const (
	StatusDraft       = "draft"
	StatusSent        = "sent"
	StatusReceived    = "received"
	StatusInExecution = "in_execution"
	StatusPartial     = "partially_executed"
	StatusExecuted    = "executed"
	StatusRefused     = "refused"
	StatusWithdrawn   = "withdrawn"
)

// Statuses lists every status in lifecycle order.
var Statuses = []string{StatusDraft, StatusSent, StatusReceived, StatusInExecution, StatusPartial, StatusExecuted, StatusRefused, StatusWithdrawn}

// StatusLabels are the English labels of the statuses.
var StatusLabels = map[string]string{
	StatusDraft: "Draft", StatusSent: "Sent", StatusReceived: "Received", StatusInExecution: "In execution",
	StatusPartial: "Partially executed", StatusExecuted: "Executed", StatusRefused: "Refused", StatusWithdrawn: "Withdrawn",
}

// side says which party may make a transition.
type side int

const (
	requester side = iota // the requesting node
	executor              // the requested node
	system                // the requested node on arrival, automatically
)

type transition struct {
	to     string
	by     side
	reason bool // a reason is required
}

// transitions is the strict table of allowed status changes. Anything not
// listed is refused. The requesting side sends and withdraws; the
// requested side acknowledges receipt (automatically, on arrival),
// recognises (in execution) or refuses, and reports execution.
var transitions = map[string][]transition{
	StatusDraft:       {{StatusSent, requester, false}, {StatusWithdrawn, requester, false}},
	StatusSent:        {{StatusReceived, system, false}, {StatusRefused, executor, true}, {StatusWithdrawn, requester, true}},
	StatusReceived:    {{StatusInExecution, executor, false}, {StatusRefused, executor, true}, {StatusWithdrawn, requester, true}},
	StatusInExecution: {{StatusPartial, executor, false}, {StatusExecuted, executor, false}, {StatusRefused, executor, true}, {StatusWithdrawn, requester, true}},
	StatusPartial:     {{StatusExecuted, executor, false}, {StatusRefused, executor, true}, {StatusWithdrawn, requester, true}},
}

// CanTransition reports whether from → to is in the table.
func CanTransition(from, to string) bool {
	_, ok := lookup(from, to)
	return ok
}

func lookup(from, to string) (transition, bool) {
	for _, t := range transitions[from] {
		if t.to == to {
			return t, true
		}
	}
	return transition{}, false
}

// Next lists the statuses reachable from a status by a side ("requester"
// or "executor"), for forms.
func Next(from, direction string) []string {
	var out []string
	for _, t := range transitions[from] {
		if (direction == Outgoing && t.by == requester) || (direction == Incoming && t.by == executor) {
			out = append(out, t.to)
		}
	}
	return out
}

// Final reports whether a status ends the request.
func Final(status string) bool {
	return status == StatusExecuted || status == StatusRefused || status == StatusWithdrawn
}

// Translation marks a language the request must be translated into.
type Translation struct {
	Language string `json:"language" minLength:"2" maxLength:"10" doc:"language code, e.g. sq, sr, mk, en"`
	Done     bool   `json:"done" doc:"the translation is attached or was sent separately"`
}

// Request is a judicial request as this node stores it.
type Request struct {
	ID           string         `json:"id" doc:"global ID shared by the requesting and the requested node"`
	Direction    string         `json:"direction" enum:"outgoing,incoming"`
	OriginNode   string         `json:"origin_node" doc:"requesting node"`
	TargetNode   string         `json:"target_node" doc:"requested node"`
	Kind         string         `json:"kind" enum:"evidence,video_hearing,search_seizure,banking,service_documents,transfer_proceedings,extradition"`
	KindLabel    string         `json:"kind_label"`
	Title        string         `json:"title"`
	Facts        string         `json:"facts" doc:"summary of the facts and the offence"`
	Measures     string         `json:"measures" doc:"the assistance requested"`
	Persons      string         `json:"persons,omitempty" doc:"persons concerned"`
	CaseRefs     []string       `json:"case_refs"`
	Urgent       bool           `json:"urgent"`
	LegalBasisID string         `json:"legal_basis_id,omitempty" doc:"directory agreement ID"`
	LegalBasis   string         `json:"legal_basis" doc:"title of the agreement, as recorded when the request was made"`
	Channel      string         `json:"channel" enum:"formal,informal"`
	ContactID    string         `json:"contact_id,omitempty" doc:"directory contact point of the requested country for the channel"`
	Contact      string         `json:"contact,omitempty"`
	Translations []Translation  `json:"translations"`
	Status       string         `json:"status" enum:"draft,sent,received,in_execution,partially_executed,executed,refused,withdrawn"`
	StatusLabel  string         `json:"status_label"`
	Reason       string         `json:"reason,omitempty" doc:"why the request was refused or withdrawn"`
	Agency       string         `json:"agency" doc:"local agency that holds the request"`
	CreatedBy    string         `json:"created_by"`
	CreatedAt    time.Time      `json:"created_at"`
	UpdatedAt    time.Time      `json:"updated_at"`
	SignedBy     string         `json:"signed_by,omitempty" doc:"prosecutor who signed and sent the request"`
	SignedAt     time.Time      `json:"signed_at,omitzero"`
	Digest       string         `json:"digest,omitempty" doc:"SHA-256 of the signed content"`
	SentAt       time.Time      `json:"sent_at,omitzero"`
	ReceivedAt   time.Time      `json:"received_at,omitzero"`
	RecognisedAt time.Time      `json:"recognised_at,omitzero"`
	ClosedAt     time.Time      `json:"closed_at,omitzero"`
	RecogniseDue time.Time      `json:"recognise_due,omitzero" doc:"the requested side decides on recognition by then"`
	ExecuteDue   time.Time      `json:"execute_due,omitzero" doc:"the requested side executes by then"`
	Extended     bool           `json:"extended" doc:"the recognition deadline was extended once"`
	Overdue      string         `json:"overdue,omitempty" enum:"recognition,execution," doc:"which deadline has passed"`
	DueSoon      bool           `json:"due_soon" doc:"a deadline falls within the reminder period"`
	Next         []string       `json:"next" doc:"statuses this node may move the request to"`
	Events       []RequestEvent `json:"events,omitempty"`
}

// Event is one entry of a request's timeline.
type RequestEvent struct {
	ID     string    `json:"id"`
	At     time.Time `json:"at"`
	Node   string    `json:"node"`
	Actor  string    `json:"actor"`
	Kind   string    `json:"kind" enum:"created,edited,signed,status,extension,reminder,overdue,translation"`
	Status string    `json:"status,omitempty"`
	Note   string    `json:"note,omitempty"`
}

// Counterpart is the other node of a request.
func (r Request) Counterpart() string {
	if r.Direction == Outgoing {
		return r.TargetNode
	}
	return r.OriginNode
}

// MissingTranslations lists the languages still to be translated.
func (r Request) MissingTranslations() []string {
	var out []string
	for _, t := range r.Translations {
		if !t.Done {
			out = append(out, t.Language)
		}
	}
	return out
}

// ParseLanguages reads a list of translation languages written as
// "sq, mk*, en" where a trailing * (or "+done") marks a translation as done.
// Codes are lower-cased, deduplicated and limited to letters and '-'.
func ParseLanguages(s string) ([]Translation, error) {
	out := []Translation{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\t' }) {
		done := false
		if p, ok := strings.CutSuffix(part, "+done"); ok {
			part, done = p, true
		} else if p, ok := strings.CutSuffix(part, "*"); ok {
			part, done = p, true
		}
		code := strings.ToLower(strings.TrimSpace(part))
		if code == "" {
			continue
		}
		if err := checkLanguage(code); err != nil {
			return nil, err
		}
		if i := slices.IndexFunc(out, func(t Translation) bool { return t.Language == code }); i >= 0 {
			out[i].Done = out[i].Done || done
			continue
		}
		out = append(out, Translation{Language: code, Done: done})
		if len(out) > 20 {
			return nil, errInvalid("at most 20 translation languages")
		}
	}
	return out, nil
}

// FormatLanguages is the inverse of ParseLanguages.
func FormatLanguages(ts []Translation) string {
	parts := make([]string, 0, len(ts))
	for _, t := range ts {
		if t.Done {
			parts = append(parts, t.Language+"*")
		} else {
			parts = append(parts, t.Language)
		}
	}
	return strings.Join(parts, ", ")
}

func checkLanguage(code string) error {
	if len(code) < 2 || len(code) > 10 {
		return errInvalid("language code " + quote(code) + " must be 2 to 10 letters, e.g. sq, sr, mk, en")
	}
	for _, r := range code {
		if (r < 'a' || r > 'z') && r != '-' {
			return errInvalid("language code " + quote(code) + " may contain only letters a-z and '-'")
		}
	}
	return nil
}

func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return "\"" + s + "\""
}
