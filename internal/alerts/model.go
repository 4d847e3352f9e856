// Package alerts is the regional system of alerts on wanted persons and
// objects, modelled on SIS (Regulation (EU) 2018/1862) and Interpol notices
// and adapted to a federation in which every country keeps its own alerts.
// An alert is drafted by its issuing agency, validated by a second person
// (a prosecutor for arrest alerts), which makes it active and distributes
// signed copies to the recipients the issuer chose, each with a legal basis
// from the directory's agreements. A recipient may flag an alert (it will
// not be executed on its territory). Officers check persons and objects
// against every alert held on their node through the matching engine; a
// hit is reported to the issuer through both NCUs with a deadline for the
// answer. Review dates by kind expire alerts automatically; every change
// replicates to the recipients.
package alerts

import (
	"slices"
	"strings"
	"time"
)

// Alert kinds.
const (
	KindArrest   = "arrest"   // person wanted for arrest with a view to surrender or extradition
	KindMissing  = "missing"  // missing person: adult, child, person to be protected
	KindJudicial = "judicial" // person sought for a judicial procedure: witness, summons
	KindCheck    = "check"    // person or object for a discreet, inquiry or specific check
	KindObject   = "object"   // object sought for seizure or as evidence
)

// Kinds lists every kind.
var Kinds = []string{KindArrest, KindMissing, KindJudicial, KindCheck, KindObject}

// Subs are the sub-kinds allowed for each kind ("" = none).
var Subs = map[string][]string{
	KindArrest:   {"surrender", "extradition"},
	KindMissing:  {"adult", "child", "protection"},
	KindJudicial: {"witness", "summons"},
	KindCheck:    {"discreet", "inquiry", "specific"},
	KindObject:   {"seizure", "evidence"},
}

// Subjects: a person or one of the object types.
const SubjectPerson = "person"

// ObjectTypes are the types of object an alert may concern.
var ObjectTypes = []string{"vehicle", "trailer", "boat", "container", "aircraft", "firearm", "number_plate", "registration_certificate",
	"document_blank", "document_issued", "banknote", "it_equipment", "other"}

// DocStatuses are the sub-statuses of an identity document alert.
var DocStatuses = []string{"stolen", "misappropriated", "lost", "invalid", "false"}

// Warnings are the warning markers of a person alert, most dangerous first.
var Warnings = []string{"armed", "violent", "escaped", "terrorism", "suicide_risk", "health_risk"}

// Statuses.
const (
	StatusDraft       = "draft"
	StatusActive      = "active"
	StatusHit         = "hit"
	StatusActionTaken = "action_taken"
	StatusNotPossible = "action_not_possible"
	StatusWithdrawn   = "withdrawn"
	StatusExpired     = "expired"
	StatusDeleted     = "deleted"
)

// Statuses lists every status in lifecycle order.
var Statuses = []string{StatusDraft, StatusActive, StatusHit, StatusActionTaken, StatusNotPossible, StatusWithdrawn, StatusExpired, StatusDeleted}

// InForce reports whether an alert in this status is checked against:
// active, hit (the issuer has not decided yet) and action not possible
// (the person or object is still sought).
func InForce(status string) bool {
	return status == StatusActive || status == StatusHit || status == StatusNotPossible
}

// Final reports whether a status ends the alert.
func Final(status string) bool {
	return status == StatusWithdrawn || status == StatusExpired || status == StatusDeleted || status == StatusActionTaken
}

// ended are the statuses that need a reason.
func endedWithReason(status string) bool {
	return status == StatusWithdrawn || status == StatusDeleted
}

// WantedPerson is the data of a person alert.
type WantedPerson struct {
	GivenName     string   `json:"given_name,omitempty" maxLength:"100"`
	FamilyName    string   `json:"family_name,omitempty" maxLength:"100"`
	Names         []string `json:"names,omitempty" maxItems:"20" doc:"previous names and aliases, in any script"`
	DateOfBirth   string   `json:"date_of_birth,omitempty" maxLength:"10" doc:"YYYY-MM-DD"`
	PlaceOfBirth  string   `json:"place_of_birth,omitempty" maxLength:"100"`
	Sex           string   `json:"sex,omitempty" enum:"m,f,"`
	Nationalities []string `json:"nationalities,omitempty" maxItems:"5" doc:"ISO country codes"`
	Documents     []string `json:"documents,omitempty" maxItems:"10" doc:"identity document numbers"`
	NationalIDs   []string `json:"national_ids,omitempty" maxItems:"5" doc:"JMBG/EMBG, Albanian or Kosovo personal numbers"`
	Description   string   `json:"description,omitempty" maxLength:"2000" doc:"physical description"`
}

// FullName is the name as shown.
func (p WantedPerson) FullName() string { return strings.TrimSpace(p.GivenName + " " + p.FamilyName) }

// WantedObject is the data of an object alert.
type WantedObject struct {
	Type        string `json:"type" doc:"vehicle, trailer, boat, container, aircraft, firearm, number_plate, registration_certificate, document_blank, document_issued, banknote, it_equipment, other"`
	Plate       string `json:"plate,omitempty" maxLength:"20"`
	VIN         string `json:"vin,omitempty" maxLength:"20"`
	Serial      string `json:"serial,omitempty" maxLength:"60" doc:"serial number (firearm, equipment, banknote, container)"`
	DocNumber   string `json:"doc_number,omitempty" maxLength:"40" doc:"document number"`
	DocStatus   string `json:"doc_status,omitempty" enum:"stolen,misappropriated,lost,invalid,false," doc:"sub-status of a document alert"`
	Make        string `json:"make,omitempty" maxLength:"100" doc:"make or manufacturer"`
	Model       string `json:"model,omitempty" maxLength:"100"`
	Calibre     string `json:"calibre,omitempty" maxLength:"40" doc:"firearms"`
	Description string `json:"description,omitempty" maxLength:"2000"`
}

// Identifiers are the object's identifying numbers, as written.
func (o WantedObject) Identifiers() []string {
	var out []string
	for _, v := range []string{o.Plate, o.VIN, o.Serial, o.DocNumber} {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Misused is the record of a person whose identity is misused by the
// subject of an alert, kept only with their consent, so that they are not
// arrested by mistake.
type Misused struct {
	Name        string `json:"name" maxLength:"200"`
	DateOfBirth string `json:"date_of_birth,omitempty" maxLength:"10"`
	Document    string `json:"document,omitempty" maxLength:"40" doc:"the genuine holder's document"`
	Note        string `json:"note,omitempty" maxLength:"2000" doc:"how to tell them apart (photo, fingerprints, features)"`
	Consent     bool   `json:"consent" doc:"the person consented to this record"`
}

// Recipient is a node an alert is distributed to, with its legal basis.
type Recipient struct {
	Node         string    `json:"node"`
	LegalBasisID string    `json:"legal_basis_id,omitempty"`
	LegalBasis   string    `json:"legal_basis"`
	SentAt       time.Time `json:"sent_at,omitzero"`
}

// Flag is a recipient's decision not to execute the alert on its territory.
type Flag struct {
	Node      string    `json:"node"`
	Reason    string    `json:"reason"`
	Actor     string    `json:"actor"`
	At        time.Time `json:"at"`
	Lifted    bool      `json:"lifted"`
	LiftAsked time.Time `json:"lift_asked,omitzero" doc:"when the issuer asked urgently to lift the flag"`
}

// AlertEvent is one entry of an alert's timeline.
type AlertEvent struct {
	At     time.Time `json:"at"`
	Node   string    `json:"node"`
	Actor  string    `json:"actor"`
	Kind   string    `json:"kind"`
	Status string    `json:"status,omitempty"`
	Note   string    `json:"note,omitempty"`
}

// Alert is an alert as this node holds it.
type Alert struct {
	ID           string        `json:"id"`
	OriginNode   string        `json:"origin_node" doc:"issuing node"`
	Local        bool          `json:"local" doc:"issued on this node"`
	Kind         string        `json:"kind" enum:"arrest,missing,judicial,check,object"`
	Sub          string        `json:"sub,omitempty"`
	Subject      string        `json:"subject" doc:"person or an object type"`
	Label        string        `json:"label" doc:"name or identifiers, for lists"`
	Person       *WantedPerson `json:"person,omitempty"`
	Object       *WantedObject `json:"object,omitempty"`
	Warnings     []string      `json:"warnings"`
	Action       string        `json:"action" doc:"action to take on a hit"`
	Reason       string        `json:"reason"`
	Authority    string        `json:"authority" doc:"issuing judicial or police authority"`
	WarrantRef   string        `json:"warrant_ref,omitempty" doc:"reference of the national decision"`
	InterpolRef  string        `json:"interpol_ref,omitempty" doc:"Interpol notice colour and number, e.g. red 2025/12345"`
	Misused      *Misused      `json:"misused,omitempty"`
	CaseRefs     []string      `json:"case_refs"`
	Links        []string      `json:"links" doc:"IDs of other alerts of the issuing country linked to this one"`
	Linked       []LinkedAlert `json:"linked,omitempty" doc:"the linked alerts held on this node that the caller may see"`
	Photo        *PhotoInfo    `json:"photo,omitempty" doc:"photo of the wanted person, served by GET /alerts/{id}/photo"`
	photo        *Photo        // content of a new photo, on its way to the store
	Status       string        `json:"status"`
	Hidden       bool          `json:"hidden" doc:"hidden from front-line users during an operation"`
	ClosedReason string        `json:"closed_reason,omitempty"`
	Agency       string        `json:"agency,omitempty" doc:"issuing agency (on the issuing node)"`
	CreatedBy    string        `json:"created_by"`
	CreatedAt    time.Time     `json:"created_at"`
	UpdatedAt    time.Time     `json:"updated_at"`
	ValidatedBy  string        `json:"validated_by,omitempty"`
	ValidatedAt  time.Time     `json:"validated_at,omitzero"`
	ReviewDue    time.Time     `json:"review_due,omitzero"`
	Digest       string        `json:"digest,omitempty" doc:"SHA-256 of the validated content"`
	EnvelopeID   string        `json:"envelope_id,omitempty" doc:"signed envelope the copy came in (recipients)"`
	Signature    string        `json:"signature,omitempty" doc:"issuer node's Ed25519 signature of that envelope (base64)"`
	LegalBasis   string        `json:"legal_basis,omitempty" doc:"legal basis under which this node received the copy"`
	DoNotAct     bool          `json:"do_not_act" doc:"this node flagged the alert: do not execute it here"`
	FlagReason   string        `json:"flag_reason,omitempty"`
	Recipients   []Recipient   `json:"recipients"`
	Flags        []Flag        `json:"flags"`
	Hits         []HitReport   `json:"hits,omitempty"`
	Existing     []Existing    `json:"existing,omitempty" doc:"drafts: alerts in force on the same subject found by the matching engine (other countries' included)"`
	Events       []AlertEvent  `json:"events,omitempty"`
}

// LinkedAlert is another alert linked to an alert, as this node holds it.
type LinkedAlert struct {
	ID      string `json:"id"`
	Kind    string `json:"kind"`
	Label   string `json:"label"`
	Status  string `json:"status"`
	Subject string `json:"subject"`
}

// label is the short description of the subject.
func label(a Alert) string {
	if a.Person != nil {
		l := a.Person.FullName()
		if a.Person.DateOfBirth != "" {
			l += " (" + a.Person.DateOfBirth + ")"
		}
		return l
	}
	if a.Object != nil {
		parts := []string{a.Object.Type}
		if m := strings.TrimSpace(a.Object.Make + " " + a.Object.Model); m != "" {
			parts = append(parts, m)
		}
		parts = append(parts, a.Object.Identifiers()...)
		return strings.Join(parts, " ")
	}
	return ""
}

// sortWarnings orders markers most dangerous first.
func sortWarnings(ws []string) []string {
	out := slices.Clone(ws)
	slices.SortFunc(out, func(a, b string) int { return slices.Index(Warnings, a) - slices.Index(Warnings, b) })
	return slices.Compact(out)
}

// compatible is the compatibility table for alerts of one country on one
// subject: a pair listed false contradicts (the first must be withdrawn
// before the second is issued). A kind is never compatible with itself:
// one alert per country per subject and kind.
func compatible(existing, proposed string) bool {
	if existing == proposed {
		return false
	}
	switch {
	case existing == KindArrest && (proposed == KindCheck || proposed == KindJudicial || proposed == KindMissing):
		return false // the arrest alert already calls for the strongest action
	case proposed == KindArrest && existing == KindMissing:
		return false // a missing person is not arrested on the same country's alert
	}
	return true
}
