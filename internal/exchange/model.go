// Package exchange carries requests and answers between agencies, within a
// country and across borders through the national contact units: case
// threads, messages with protective markings, deadlines and
// acknowledgements, structured entities, retention, search and
// notifications. Cross-border messages travel as federation envelopes of
// the sensitive type exchange.message, with the thread ID as conversation.
package exchange

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/errs"
)

// Priorities.
const (
	PriorityUrgent = "urgent"
	PriorityNormal = "normal"
)

// Thread states.
const (
	StatusOpen     = "open"     // a request waits for an answer
	StatusAnswered = "answered" // the request was answered
	StatusRefused  = "refused"  // the request was refused with a reason
	StatusClosed   = "closed"
)

// Message kinds.
const (
	KindRequest  = "request"
	KindAnswer   = "answer"
	KindFollowUp = "followup"
	KindRefusal  = "refusal"
	KindDelay    = "delay"
	KindForward  = "forward"
	// KindInformation opens a thread with information sent without a
	// request, such as details released after a hit/no-hit query.
	KindInformation = "information"
)

// Classifications, lowest first.
var classifications = []string{"unclassified", "restricted", "confidential"}

// Handling codes.
var handlingCodes = []string{"H0", "H1", "H2", "H3"}

var reliabilities = []string{"A", "B", "C", "X"}

// Markings are the protective markings every message carries.
type MessageMarkings struct {
	Classification string   `json:"classification" enum:"unclassified,restricted,confidential"`
	Handling       []string `json:"handling" doc:"H0 law enforcement purposes only; H1 not usable in judicial proceedings without the provider's permission; H2 not to be disseminated without permission; H3 other restrictions (see handling_note)"`
	HandlingNote   string   `json:"handling_note,omitempty" maxLength:"1000" doc:"the restriction when H3 is set"`
	Reliability    string   `json:"reliability" enum:"A,B,C,X" doc:"source reliability"`
	Accuracy       int      `json:"accuracy" minimum:"1" maximum:"4" doc:"information accuracy"`
	OnwardAllowed  bool     `json:"onward_allowed" doc:"may be transmitted to another country or body without asking the provider"`
}

// Has reports whether a handling code is set.
func (m MessageMarkings) Has(code string) bool { return slices.Contains(m.Handling, code) }

// Label is the one-line form shown on every view, e.g.
// "RESTRICTED · H0 H2 · B2 · no onward transmission".
func (m MessageMarkings) Label() string {
	var b strings.Builder
	b.WriteString(strings.ToUpper(m.Classification))
	if len(m.Handling) > 0 {
		b.WriteString(" · " + strings.Join(m.Handling, " "))
	}
	b.WriteString(" · " + m.Reliability + string(rune('0'+m.Accuracy)))
	if m.OnwardAllowed {
		b.WriteString(" · onward transmission allowed")
	} else {
		b.WriteString(" · no onward transmission")
	}
	if m.HandlingNote != "" {
		b.WriteString(" · " + m.HandlingNote)
	}
	return b.String()
}

// auditLabel is Label without the free text of the handling note: the
// audit log outlives the thread, so it records codes, never content.
func (m MessageMarkings) auditLabel() string {
	m.HandlingNote = ""
	return m.Label()
}

func (m *MessageMarkings) normalise(op string) error {
	m.Classification = strings.ToLower(strings.TrimSpace(m.Classification))
	if !slices.Contains(classifications, m.Classification) {
		return errs.New(errs.Invalid, op, "classification must be unclassified, restricted or confidential")
	}
	seen := map[string]bool{}
	var hs []string
	for _, h := range m.Handling {
		h = strings.ToUpper(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		if !slices.Contains(handlingCodes, h) {
			return errs.Newf(errs.Invalid, op, "handling code %q is not one of H0, H1, H2, H3", h)
		}
		if !seen[h] {
			seen[h] = true
			hs = append(hs, h)
		}
	}
	slices.Sort(hs)
	m.Handling = hs
	m.HandlingNote = strings.TrimSpace(m.HandlingNote)
	if m.Has("H3") && m.HandlingNote == "" {
		return errs.New(errs.Invalid, op, "handling code H3 needs the restriction written in the handling note")
	}
	if len(m.HandlingNote) > 1000 {
		return errs.New(errs.Invalid, op, "the handling note is limited to 1,000 characters")
	}
	if m.Has("H2") && m.OnwardAllowed {
		return errs.New(errs.Invalid, op, "H2 (no dissemination without permission) contradicts allowing onward transmission")
	}
	m.Reliability = strings.ToUpper(strings.TrimSpace(m.Reliability))
	if !slices.Contains(reliabilities, m.Reliability) {
		return errs.New(errs.Invalid, op, "source reliability must be A, B, C or X")
	}
	if m.Accuracy < 1 || m.Accuracy > 4 {
		return errs.New(errs.Invalid, op, "information accuracy must be 1, 2, 3 or 4")
	}
	return nil
}

// Entity is a structured entity carried by a message: a person,
// organisation, vehicle, phone, account, document, weapon or address. The
// fields are the kind's attributes as written by the sender (e.g. for a
// person: given_name, surname, date_of_birth, personal_id).
type MessageEntity struct {
	Kind   string            `json:"kind" enum:"person,organisation,vehicle,phone,account,document,weapon,address"`
	Label  string            `json:"label" maxLength:"200" doc:"how the entity is shown, e.g. the person's name"`
	Fields map[string]string `json:"fields,omitempty"`
}

const (
	maxEntities     = 200
	maxEntityFields = 40
)

func normaliseEntities(op string, es []MessageEntity) ([]MessageEntity, error) {
	if len(es) > maxEntities {
		return nil, errs.Newf(errs.Invalid, op, "at most %d entities per message", maxEntities)
	}
	out := make([]MessageEntity, 0, len(es))
	for i, e := range es {
		k, ok := entity.ParseKind(strings.TrimSpace(e.Kind))
		if !ok {
			return nil, errs.Newf(errs.Invalid, op, "entity %d: kind %q is not one of person, organisation, vehicle, phone, account, document, weapon, address", i+1, e.Kind)
		}
		e.Kind = string(k)
		e.Label = strings.TrimSpace(e.Label)
		if e.Label == "" || utf8.RuneCountInString(e.Label) > 200 {
			return nil, errs.Newf(errs.Invalid, op, "entity %d: a label of at most 200 characters is required", i+1)
		}
		if len(e.Fields) > maxEntityFields {
			return nil, errs.Newf(errs.Invalid, op, "entity %d: at most %d fields", i+1, maxEntityFields)
		}
		f := map[string]string{}
		for key, v := range e.Fields {
			key, v = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(v)
			if key == "" || len(key) > 64 || len(v) > 1000 {
				return nil, errs.Newf(errs.Invalid, op, "entity %d: field names are 1–64 characters and values at most 1,000", i+1)
			}
			if v != "" {
				f[key] = v
			}
		}
		e.Fields = f
		out = append(out, e)
	}
	return out, nil
}

// Attachment is a file attached to a message. Data is carried on the wire
// and stored; listings leave it out.
type MessageAttachment struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	Data        []byte `json:"data,omitempty"`
}

// Delivery is the acknowledgement state of a message at one recipient node.
type Delivery struct {
	Node        string    `json:"node"`
	EnvelopeID  string    `json:"envelope_id,omitempty"`
	State       string    `json:"state" enum:"awaiting_ncu,queued,delivered,read,rejected,failed" doc:"awaiting_ncu until this node's NCU approves; rejected with the NCU's reason"`
	Reason      string    `json:"reason,omitempty"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
	ReadAt      time.Time `json:"read_at,omitzero"`
}

// Message is one request, answer, follow-up, refusal, delay notice or forward.
type Message struct {
	ID            string              `json:"id"`
	ThreadID      string              `json:"thread_id"`
	Kind          string              `json:"kind" enum:"request,answer,followup,refusal,delay,forward"`
	Node          string              `json:"node" doc:"node of the author"`
	Author        string              `json:"author"`
	Agency        string              `json:"agency"`
	Body          string              `json:"body"`
	Markings      MessageMarkings     `json:"markings"`
	MarkingLabel  string              `json:"marking_label" doc:"the markings in one line, as shown in the UI"`
	Entities      []MessageEntity     `json:"entities"`
	Attachments   []MessageAttachment `json:"attachments"`
	ForwardedFrom string              `json:"forwarded_from,omitempty" doc:"ID of the forwarded message"`
	Permission    string              `json:"permission,omitempty" doc:"the provider's permission recorded for a forward"`
	Reason        string              `json:"reason,omitempty" doc:"why a request is refused or delayed"`
	Recipients    []string            `json:"recipients" doc:"nodes the message was sent to"`
	CreatedAt     time.Time           `json:"created_at"`
	ReceivedAt    time.Time           `json:"received_at,omitzero"`
	Deliveries    []Delivery          `json:"deliveries,omitempty"`
}

// Thread is a case thread as this node stores it.
type Thread struct {
	ID           string    `json:"id" doc:"global thread ID shared by all participating nodes"`
	Subject      string    `json:"subject"`
	CrimeArea    string    `json:"crime_area"`
	Priority     string    `json:"priority" enum:"urgent,normal"`
	DatabaseInfo bool      `json:"database_info" doc:"the request asks for standard information available in a database (3-day deadline)"`
	CaseRefs     []string  `json:"case_refs"`
	Parties      []string  `json:"parties" doc:"participating nodes (countries and regional bodies)"`
	OriginNode   string    `json:"origin_node"`
	OriginAgency string    `json:"origin_agency"`
	Agency       string    `json:"agency" doc:"local agency that owns the thread"`
	Status       string    `json:"status" enum:"open,answered,refused,closed"`
	CreatedBy    string    `json:"created_by"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	DeadlineAt   time.Time `json:"deadline_at,omitzero"`
	Overdue      bool      `json:"overdue"`
	ReviewAt     time.Time `json:"review_at" doc:"retention review date"`
	KeepReason   string    `json:"keep_reason,omitempty"`
	// RetentionAction is what happens at the review date without a reason to keep.
	RetentionAction string    `json:"retention_action" enum:"delete,anonymise" doc:"at the review date without a reason to keep: delete the thread, or anonymise it (content and personal data removed, routing and statistics kept)"`
	AnonymisedAt    time.Time `json:"anonymised_at,omitzero" doc:"when the thread was anonymised at its review"`
	Marking         string    `json:"marking" doc:"summary of the messages' markings: highest classification, handling codes, onward restriction"`
	Messages        []Message `json:"messages,omitempty"`
}

// RoutingInfo is what the national contact unit sees of a thread: routing
// metadata, no content.
type RoutingInfo struct {
	ID         string    `json:"id"`
	Priority   string    `json:"priority"`
	Parties    []string  `json:"parties"`
	OriginNode string    `json:"origin_node"`
	Agency     string    `json:"agency"`
	Status     string    `json:"status"`
	Messages   int       `json:"messages"`
	CreatedAt  time.Time `json:"created_at"`
	DeadlineAt time.Time `json:"deadline_at,omitzero"`
}

// ParseEntityLines reads entities written one per line as
// "kind | label | key=value; key=value" (the form the web UI offers).
// Blank lines are skipped; errors name the line.
func ParseEntityLines(text string) ([]MessageEntity, error) {
	const op = "exchange.ParseEntityLines"
	var out []MessageEntity
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		parts := strings.SplitN(line, "|", 3)
		if len(parts) < 2 {
			return nil, errs.Newf(errs.Invalid, op, "entity line %d: write kind | label | key=value; key=value", i+1)
		}
		e := MessageEntity{Kind: strings.TrimSpace(parts[0]), Label: strings.TrimSpace(parts[1]), Fields: map[string]string{}}
		if len(parts) == 3 {
			for _, kv := range strings.Split(parts[2], ";") {
				kv = strings.TrimSpace(kv)
				if kv == "" {
					continue
				}
				k, v, ok := strings.Cut(kv, "=")
				if !ok || strings.TrimSpace(k) == "" {
					return nil, errs.Newf(errs.Invalid, op, "entity line %d: %q is not key=value", i+1, kv)
				}
				e.Fields[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
		out = append(out, e)
		if len(out) > maxEntities {
			return nil, errs.Newf(errs.Invalid, op, "at most %d entities per message", maxEntities)
		}
	}
	return normaliseEntities(op, out)
}

// Marking summarises the markings of several messages for list views: the
// highest classification, every handling code used, and whether any
// message forbids onward transmission.
func Marking(ms []MessageMarkings) string {
	if len(ms) == 0 {
		return ""
	}
	agg := MessageMarkings{Classification: "unclassified", OnwardAllowed: true, Reliability: "", Accuracy: 0}
	for _, m := range ms {
		if slices.Index(classifications, m.Classification) > slices.Index(classifications, agg.Classification) {
			agg.Classification = m.Classification
		}
		for _, h := range m.Handling {
			if !slices.Contains(agg.Handling, h) {
				agg.Handling = append(agg.Handling, h)
			}
		}
		agg.OnwardAllowed = agg.OnwardAllowed && m.OnwardAllowed && !m.Has("H2")
	}
	slices.Sort(agg.Handling)
	s := strings.ToUpper(agg.Classification)
	if len(agg.Handling) > 0 {
		s += " · " + strings.Join(agg.Handling, " ")
	}
	if !agg.OnwardAllowed {
		s += " · no onward transmission"
	}
	return s
}
