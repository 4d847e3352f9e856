// Package activities is the partner activity registry: projects and
// activities funded by donors and international organisations for the
// region's police and justice agencies, an overlap check that every partner
// sees before publishing, the needs declared by beneficiary countries, gap
// maps, joint prioritisation rounds, events and a best-practice library.
//
// Activities are public to every node of the federation (they hold no
// personal data beyond professional contacts). Each entry is owned by the
// node that publishes it; published entries replicate to all peers through
// the federation layer (type activities.publish) and peers keep the highest
// version of another node's entries, never overwriting their own.
package activities

import (
	"regexp"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/directory"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// Kinds of activity. The slugs are stored and exchanged between nodes.
var Kinds = []directory.Code{
	{Slug: "training", Label: "Training", Aliases: []string{"obuka", "trajnim", "обука", "курс", "kurs", "workshop", "radionica", "punetori"}},
	{Slug: "equipment", Label: "Equipment", Aliases: []string{"oprema", "pajisje", "опрема", "donation of equipment"}},
	{Slug: "legislative_support", Label: "Legislative support", Aliases: []string{"legislation", "zakonodavstvo", "legjislacion", "законодавство", "legal drafting"}},
	{Slug: "study_visit", Label: "Study visit", Aliases: []string{"studijska posjeta", "studijska poseta", "vizite studimore", "студиска посета"}},
	{Slug: "joint_operation_support", Label: "Joint operation support", Aliases: []string{"joint operation", "zajednicka operacija", "operacion i perbashket"}},
	{Slug: "it_system", Label: "IT system", Aliases: []string{"it", "software", "system", "informacioni sistem", "sistem informatik"}},
	{Slug: "mentoring", Label: "Mentoring", Aliases: []string{"mentorstvo", "mentorim", "advisory", "embedded adviser"}},
}

// Statuses of an activity. Draft activities stay on the node that drafts
// them; every other status is published.
var Statuses = []directory.Code{
	{Slug: "draft", Label: "Draft (not published)"},
	{Slug: "planned", Label: "Planned"},
	{Slug: "ongoing", Label: "Ongoing"},
	{Slug: "completed", Label: "Completed"},
	{Slug: "cancelled", Label: "Cancelled"},
}

// Decisions a partner records for an overlap before publishing.
var Decisions = []directory.Code{
	{Slug: "coordinate", Label: "Coordinate with the other partner"},
	{Slug: "merge", Label: "Merge into the existing activity (the draft is withdrawn)"},
	{Slug: "proceed", Label: "Proceed, with a reason"},
}

// EventKinds are the kinds of events in the experts' networks.
var EventKinds = []directory.Code{
	{Slug: "training", Label: "Joint training"},
	{Slug: "study_visit", Label: "Study visit"},
	{Slug: "meeting", Label: "Meeting"},
	{Slug: "conference", Label: "Conference"},
	{Slug: "exercise", Label: "Exercise"},
}

// Participants are the beneficiary countries of the region.
var Participants = []string{"AL", "BA", "ME", "MK", "RS", "XK"}

// eurRates are indicative conversion rates to euro used only to add up
// budgets in different currencies in the gap map (the registry stores the
// amount and currency as entered).
var eurRates = map[string]float64{
	"EUR": 1, "USD": 0.92, "GBP": 1.17, "CHF": 1.05, "SEK": 0.087, "NOK": 0.085, "DKK": 0.134,
	"JPY": 0.0062, "CAD": 0.68, "RSD": 0.0085, "ALL": 0.0104, "MKD": 0.0162, "BAM": 0.511, "TRY": 0.027,
}

// Currencies lists the accepted currency codes.
func Currencies() []string {
	return []string{"EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "JPY", "CAD", "RSD", "ALL", "MKD", "BAM", "TRY"}
}

// ToEUR converts an amount with the indicative rate.
func ToEUR(amount int64, currency string) float64 { return float64(amount) * eurRates[currency] }

// Beneficiary is an agency that benefits from an activity.
type Beneficiary struct {
	Country string `json:"country" maxLength:"10" doc:"country code, e.g. RS"`
	Agency  string `json:"agency" maxLength:"200" doc:"agency code from the directory (e.g. rs-mup) or its name"`
}

// Document is a link to a project document.
type Document = DocumentLink

// DocumentLink is the named type of Document (its schema name in the API).
type DocumentLink struct {
	Title string `json:"title" maxLength:"200"`
	URL   string `json:"url" maxLength:"500"`
}

// Resolution records how the publisher resolved an overlap.
type Resolution struct {
	With     string    `json:"with" doc:"ID of the overlapping activity"`
	Decision string    `json:"decision" enum:"coordinate,merge,proceed"`
	Reason   string    `json:"reason"`
	Score    float64   `json:"score" doc:"overlap score when the decision was taken"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}

// Activity is one project or activity in the registry.
type Activity = PartnerActivity

// PartnerActivity is the named type of Activity; the API schema uses this
// name, distinct from the directory's record of cooperation activity.
type PartnerActivity struct {
	ID              string        `json:"id"`
	OwnerNode       string        `json:"owner_node" doc:"node that published the activity and alone may change it"`
	Version         int64         `json:"version"`
	Status          string        `json:"status" enum:"draft,planned,ongoing,completed,cancelled"`
	Published       bool          `json:"published"`
	Title           string        `json:"title"`
	Description     string        `json:"description"`
	Kind            string        `json:"kind" doc:"training, equipment, legislative_support, study_visit, joint_operation_support, it_system, mentoring"`
	Implementer     string        `json:"implementer" doc:"implementing partner"`
	Donor           string        `json:"donor"`
	Budget          int64         `json:"budget" doc:"whole units of the currency"`
	Currency        string        `json:"currency"`
	Countries       []string      `json:"countries" doc:"beneficiary countries"`
	Agencies        []Beneficiary `json:"agencies" doc:"beneficiary agencies"`
	Themes          []string      `json:"themes" doc:"slugs of the directory's theme list"`
	StartDate       string        `json:"start_date" doc:"YYYY-MM-DD"`
	EndDate         string        `json:"end_date" doc:"YYYY-MM-DD"`
	ExpectedResults string        `json:"expected_results"`
	Indicators      []string      `json:"indicators"`
	Beneficiaries   int           `json:"beneficiaries" doc:"number of people expected to benefit (trainees, officers)"`
	ContactName     string        `json:"contact_name"`
	ContactEmail    string        `json:"contact_email"`
	ContactPhone    string        `json:"contact_phone,omitempty"`
	Documents       []Document    `json:"documents"`
	Resolutions     []Resolution  `json:"resolutions" doc:"how overlaps were resolved before publishing"`
	MergedInto      string        `json:"merged_into,omitempty"`
	CreatedAt       time.Time     `json:"created_at"`
	CreatedBy       string        `json:"created_by"`
	UpdatedAt       time.Time     `json:"updated_at"`
	UpdatedBy       string        `json:"updated_by"`
	PublishedAt     time.Time     `json:"published_at,omitzero"`
}

// Input creates or changes an activity.
type Input struct {
	Title           string        `json:"title" maxLength:"300"`
	Description     string        `json:"description,omitempty" maxLength:"10000"`
	Kind            string        `json:"kind" maxLength:"60"`
	Status          string        `json:"status,omitempty" maxLength:"20" doc:"for published activities: planned, ongoing, completed or cancelled; new activities are drafts"`
	Implementer     string        `json:"implementer" maxLength:"300"`
	Donor           string        `json:"donor" maxLength:"300"`
	Budget          int64         `json:"budget,omitempty" minimum:"0"`
	Currency        string        `json:"currency,omitempty" maxLength:"3"`
	Countries       []string      `json:"countries,omitempty" maxItems:"20"`
	Agencies        []Beneficiary `json:"agencies,omitempty" maxItems:"50"`
	Themes          []string      `json:"themes,omitempty" maxItems:"12"`
	StartDate       string        `json:"start_date" maxLength:"10"`
	EndDate         string        `json:"end_date" maxLength:"10"`
	ExpectedResults string        `json:"expected_results,omitempty" maxLength:"5000"`
	Indicators      []string      `json:"indicators,omitempty" maxItems:"30"`
	Beneficiaries   int           `json:"beneficiaries,omitempty" minimum:"0"`
	ContactName     string        `json:"contact_name,omitempty" maxLength:"200"`
	ContactEmail    string        `json:"contact_email,omitempty" maxLength:"200"`
	ContactPhone    string        `json:"contact_phone,omitempty" maxLength:"50"`
	Documents       []Document    `json:"documents,omitempty" maxItems:"30"`
	Version         int64         `json:"version,omitempty" doc:"for updates: the version you edited"`
}

var (
	dayRE   = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	emailRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// Label returns the label for slug in codes.
func Label(codes []directory.Code, slug string) string { return directory.Label(codes, slug) }

// ThemeLabel is the English label of a theme slug.
func ThemeLabel(slug string) string { return directory.Label(directory.Themes, slug) }

func slugList(codes []directory.Code) string {
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = c.Slug
	}
	return strings.Join(s, ", ")
}

// resolve finds the slug for what a user typed: slug, label or alias in any
// script.
func resolve(codes []directory.Code, in string) (string, bool) {
	f := fold(in)
	if f == "" {
		return "", false
	}
	us := strings.ReplaceAll(f, " ", "_")
	for _, c := range codes {
		if c.Slug == us || c.Slug == f || fold(c.Label) == f {
			return c.Slug, true
		}
	}
	for _, c := range codes {
		for _, a := range c.Aliases {
			if fold(a) == f {
				return c.Slug, true
			}
		}
	}
	return "", false
}

func parseDay(op, field, v string, required bool) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		if required {
			return "", errs.Newf(errs.Invalid, op, "%s is required (YYYY-MM-DD)", field)
		}
		return "", nil
	}
	if t, ok := flexibleDay(v); ok {
		v = t
	}
	if !dayRE.MatchString(v) {
		return "", errs.Newf(errs.Invalid, op, "%s must be a date written YYYY-MM-DD, not %q", field, textutil.Ellipsis(v, 40))
	}
	if _, err := time.Parse("2006-01-02", v); err != nil {
		return "", errs.Newf(errs.Invalid, op, "%s %q is not a real calendar date", field, v)
	}
	return v, nil
}

// flexibleDay accepts the forms spreadsheets of the region use:
// DD.MM.YYYY, DD/MM/YYYY and YYYY-MM-DD.
func flexibleDay(v string) (string, bool) {
	for _, layout := range []string{"2006-01-02", "02.01.2006", "2.1.2006", "02.01.2006.", "02/01/2006", "2006/01/02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.Format("2006-01-02"), true
		}
	}
	return "", false
}

func text(op, field, v string, max int, required bool) (string, error) {
	v = strings.TrimSpace(v)
	if required && v == "" {
		return "", errs.Newf(errs.Invalid, op, "%s is required", field)
	}
	if len([]rune(v)) > max {
		return "", errs.Newf(errs.Invalid, op, "%s is too long (at most %d characters)", field, max)
	}
	if strings.ContainsRune(v, 0) {
		return "", errs.Newf(errs.Invalid, op, "%s contains a NUL character", field)
	}
	return v, nil
}
