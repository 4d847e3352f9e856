package analysis

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/textutil"
)

// A joint risk assessment follows the SEE-OCTA/SOCTA cycle: for one crime
// area and period, each national node drafts a contribution from the
// template, has it approved by a second person and sends it to the regional
// node; the regional node merges the contributions (each paragraph keeps
// its country), scores the threats CIRAM-style and has the assessment
// reviewed and approved. Assessments carry analysis text and scores only,
// never personal data.

// Section keys of every template, in the order they are written.
const (
	SecIndicators   = "indicators"
	SecTrends       = "trends"
	SecModusOperand = "modus_operandi"
	SecGroups       = "groups"
	SecRoutes       = "routes"
)

// SectionKeys lists the template's sections in order.
var SectionKeys = []string{SecIndicators, SecTrends, SecModusOperand, SecGroups, SecRoutes}

// SectionTemplate is one section of a crime area's template: its title
// and the questions a contributor answers.
type SectionTemplate struct {
	Key       string   `json:"key"`
	Title     string   `json:"title"`
	Questions []string `json:"questions"`
}

// AssessmentTemplate is the built-in template of one crime area.
type AssessmentTemplate struct {
	CrimeArea string            `json:"crime_area"`
	Title     string            `json:"title"`
	Sections  []SectionTemplate `json:"sections"`
}

var sectionTitles = map[string]string{
	SecIndicators:   "Indicators",
	SecTrends:       "Trends",
	SecModusOperand: "Modus operandi",
	SecGroups:       "Criminal groups",
	SecRoutes:       "Routes",
}

// templates holds the questions per crime area and section. The crime
// area slugs are the directory's themes, so priorities become needs of the
// same theme in the activity registry.
var templates = []struct {
	area, title string
	questions   map[string][]string
}{
	{"drugs", "Drugs", map[string][]string{
		SecIndicators:   {"Seizures by substance (cocaine, heroin, cannabis, synthetic drugs) and quantity", "Dismantled production sites"},
		SecTrends:       {"Change against the previous period", "New substances or precursors"},
		SecModusOperand: {"Concealment methods (containers, vehicles, postal parcels)", "Use of corrupt insiders at ports and borders"},
		SecGroups:       {"Number and structure of groups (no names)", "Cross-border links and poly-criminality"},
		SecRoutes:       {"Balkan route and its branches", "Ports and border crossings used"},
	}},
	{"thb", "Trafficking in human beings", map[string][]string{
		SecIndicators:   {"Identified victims by form of exploitation, sex and age group", "Investigations, prosecutions and convictions"},
		SecTrends:       {"Change against the previous period", "New forms of exploitation"},
		SecModusOperand: {"Recruitment (online, loverboy, job offers)", "Control of victims"},
		SecGroups:       {"Structure of networks (no names)", "Links with migrant smuggling"},
		SecRoutes:       {"Countries of origin, transit and destination"},
	}},
	{"migrant_smuggling", "Migrant smuggling", map[string][]string{
		SecIndicators:   {"Irregular crossings detected", "Smuggling facilitators arrested", "Fraudulent documents detected"},
		SecTrends:       {"Change against the previous period", "Nationalities of migrants"},
		SecModusOperand: {"Transport (trucks, vans, on foot, by boat)", "Recruitment and payment (hawala, online)"},
		SecGroups:       {"Structure of networks (no names)", "Violence and corruption"},
		SecRoutes:       {"Entry and exit points", "Routes shifting after controls"},
	}},
	{"firearms", "Firearms", map[string][]string{
		SecIndicators:   {"Seizures by type (converted, reactivated, military)", "Illegal possession cases"},
		SecTrends:       {"Change against the previous period", "Use in violent crime"},
		SecModusOperand: {"Conversion and reactivation", "Online and postal trafficking"},
		SecGroups:       {"Suppliers and buyers (no names)"},
		SecRoutes:       {"Destination countries in the EU", "Border crossings used"},
	}},
	{"cybercrime", "Cybercrime", map[string][]string{
		SecIndicators:   {"Reported incidents by type (ransomware, fraud, child sexual abuse material)", "Damage reported"},
		SecTrends:       {"Change against the previous period", "New tools and services used"},
		SecModusOperand: {"Phishing and social engineering", "Use of crypto-assets"},
		SecGroups:       {"Crime-as-a-service providers (no names)"},
		SecRoutes:       {"Infrastructure and money flows across borders"},
	}},
	{"money_laundering", "Money laundering", map[string][]string{
		SecIndicators:   {"Suspicious transaction reports", "Assets frozen and confiscated"},
		SecTrends:       {"Change against the previous period", "New sectors used"},
		SecModusOperand: {"Real estate, cash businesses, crypto-assets", "Trade-based laundering"},
		SecGroups:       {"Professional money launderers (no names)"},
		SecRoutes:       {"Financial flows to and from the region"},
	}},
}

// Templates lists the built-in templates, one per crime area.
func Templates() []AssessmentTemplate {
	out := make([]AssessmentTemplate, 0, len(templates))
	for _, t := range templates {
		tpl := AssessmentTemplate{CrimeArea: t.area, Title: t.title}
		for _, k := range SectionKeys {
			tpl.Sections = append(tpl.Sections, SectionTemplate{Key: k, Title: sectionTitles[k], Questions: t.questions[k]})
		}
		out = append(out, tpl)
	}
	return out
}

// TemplateOf returns the template of a crime area.
func TemplateOf(area string) (AssessmentTemplate, bool) {
	for _, t := range Templates() {
		if t.CrimeArea == area {
			return t, true
		}
	}
	return AssessmentTemplate{}, false
}

// CrimeAreas lists the crime areas that have a template.
func CrimeAreas() []string {
	out := make([]string, 0, len(templates))
	for _, t := range templates {
		out = append(out, t.area)
	}
	return out
}

// ValidPeriod reports whether p is a year, a quarter or a month as
// assessments and tables write them (2025, 2025-Q1, 2025-03).
func ValidPeriod(p string) bool { return periodRE.MatchString(strings.ToUpper(strings.TrimSpace(p))) }

// SectionTitle is the English title of a section key.
func SectionTitle(key string) string { return sectionTitles[key] }

// Paragraph is the text of one section, written by one node. Restricted
// paragraphs are left out of the public version.
type Paragraph struct {
	Section    string `json:"section" enum:"indicators,trends,modus_operandi,groups,routes"`
	Text       string `json:"text" maxLength:"8000"`
	Restricted bool   `json:"restricted,omitempty"`
	Node       string `json:"node,omitempty" readOnly:"true" doc:"the node that wrote it (attribution)"`
}

// Contribution states. A contribution is drafted, submitted for approval
// and approved by a second person; approving sends it to the regional
// node, which keeps it as received.
const (
	CStateDraft     = "draft"
	CStateSubmitted = "submitted"
	CStateApproved  = "approved"
	CStateReceived  = "received"
)

// Assessment states.
const (
	AStateDraft      = "draft"
	AStateReview     = "in_review"
	AStateApproved   = "approved"
	AStateSuperseded = "superseded"
)

// Moves of the two state machines.
const (
	MoveSubmit    = "submit"
	MoveReturn    = "return"
	MoveApprove   = "approve"
	MoveSupersede = "supersede"
)

var contributionMoves = map[string]map[string]string{
	MoveSubmit:  {CStateDraft: CStateSubmitted},
	MoveReturn:  {CStateSubmitted: CStateDraft},
	MoveApprove: {CStateSubmitted: CStateApproved},
}

var assessmentMoves = map[string]map[string]string{
	MoveSubmit:    {AStateDraft: AStateReview},
	MoveReturn:    {AStateReview: AStateDraft},
	MoveApprove:   {AStateReview: AStateApproved},
	MoveSupersede: {AStateApproved: AStateSuperseded},
}

// ContributionMove returns the state a contribution in state from reaches
// by move, and false when the move is not allowed from there.
func ContributionMove(from, move string) (string, bool) {
	to, ok := contributionMoves[move][from]
	return to, ok
}

// AssessmentMove returns the state an assessment in state from reaches by
// move, and false when the move is not allowed from there.
func AssessmentMove(from, move string) (string, bool) {
	to, ok := assessmentMoves[move][from]
	return to, ok
}

// NationalContribution is a national contribution to a regional assessment.
type NationalContribution struct {
	ID          string      `json:"id"`
	Node        string      `json:"node" doc:"the national node that wrote it"`
	Regional    string      `json:"regional_node" doc:"the regional node it is sent to"`
	CrimeArea   string      `json:"crime_area"`
	Period      string      `json:"period"`
	Title       string      `json:"title"`
	Paragraphs  []Paragraph `json:"paragraphs"`
	State       string      `json:"state" enum:"draft,submitted,approved,received"`
	Version     int64       `json:"version"`
	CreatedBy   string      `json:"created_by,omitempty"`
	SubmittedBy string      `json:"submitted_by,omitempty"`
	ApprovedBy  string      `json:"approved_by,omitempty"`
	Note        string      `json:"note,omitempty" doc:"why it was returned"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
	ApprovedAt  *time.Time  `json:"approved_at,omitempty"`
}

// Score is one CIRAM factor (1 to 5) with the reasoning behind it.
type Score struct {
	Value     int    `json:"value" minimum:"1" maximum:"5"`
	Reasoning string `json:"reasoning" maxLength:"2000"`
}

// Threat is one scored threat of an assessment. Its risk is
// threat × vulnerability × impact (1 to 125).
type Threat struct {
	ID            string `json:"id,omitempty" readOnly:"true"`
	Title         string `json:"title" maxLength:"200"`
	Description   string `json:"description,omitempty" maxLength:"4000"`
	Threat        Score  `json:"threat"`
	Vulnerability Score  `json:"vulnerability"`
	Impact        Score  `json:"impact"`
	Restricted    bool   `json:"restricted,omitempty"`
}

// Risk is threat × vulnerability × impact, from 1 to 125.
func (t Threat) Risk() int { return t.Threat.Value * t.Vulnerability.Value * t.Impact.Value }

// RiskLevel names the band of a risk score: low below 27 (3×3×3), medium
// below 64 (4×4×4), high below 100, critical from 100.
func RiskLevel(risk int) string {
	switch {
	case risk >= 100:
		return "critical"
	case risk >= 64:
		return "high"
	case risk >= 27:
		return "medium"
	}
	return "low"
}

// Priority is a priority the assessment sets; when the assessment is
// approved it can be declared as a need of each country it names in the
// partner activity registry ("training follows risk analysis").
type Priority struct {
	Title       string   `json:"title" maxLength:"300"`
	Rank        int      `json:"rank" minimum:"1" maximum:"5" doc:"1 (highest) to 5"`
	Countries   []string `json:"countries" maxItems:"20" doc:"beneficiary countries (AL, BA, ME, MK, RS, XK)"`
	Description string   `json:"description,omitempty" maxLength:"4000"`
}

// Assessment is a regional assessment of one crime area and period.
type Assessment struct {
	ID            string                 `json:"id"`
	Node          string                 `json:"node"`
	CrimeArea     string                 `json:"crime_area"`
	Period        string                 `json:"period"`
	Title         string                 `json:"title"`
	Summary       string                 `json:"summary"`
	Paragraphs    []Paragraph            `json:"paragraphs" doc:"the regional node's own text per section"`
	Contributions []NationalContribution `json:"contributions" doc:"the national contributions merged, each with its node"`
	Threats       []Threat               `json:"threats"`
	Priorities    []Priority             `json:"priorities"`
	State         string                 `json:"state" enum:"draft,in_review,approved,superseded"`
	Version       int64                  `json:"version"`
	Public        bool                   `json:"public" doc:"true for the public version: restricted text and threats left out"`
	CreatedBy     string                 `json:"created_by,omitempty"`
	SubmittedBy   string                 `json:"submitted_by,omitempty"`
	ApprovedBy    string                 `json:"approved_by,omitempty"`
	SupersededBy  string                 `json:"superseded_by,omitempty"`
	Note          string                 `json:"note,omitempty"`
	CreatedAt     time.Time              `json:"created_at"`
	UpdatedAt     time.Time              `json:"updated_at"`
	ApprovedAt    *time.Time             `json:"approved_at,omitempty"`
	NeedsSentAt   *time.Time             `json:"needs_sent_at,omitempty"`
}

// MergedSection is one template section with every paragraph written for
// it: the regional node's first, then each contribution's, by node.
type MergedSection struct {
	Key        string      `json:"key"`
	Title      string      `json:"title"`
	Paragraphs []Paragraph `json:"paragraphs"`
}

// Merged returns the assessment's text per section with attribution.
func (a Assessment) Merged() []MergedSection {
	out := make([]MergedSection, 0, len(SectionKeys))
	for _, k := range SectionKeys {
		ms := MergedSection{Key: k, Title: sectionTitles[k], Paragraphs: []Paragraph{}}
		for _, p := range a.Paragraphs {
			if p.Section == k {
				p.Node = a.Node
				ms.Paragraphs = append(ms.Paragraphs, p)
			}
		}
		for _, c := range a.Contributions {
			for _, p := range c.Paragraphs {
				if p.Section == k {
					p.Node = c.Node
					ms.Paragraphs = append(ms.Paragraphs, p)
				}
			}
		}
		out = append(out, ms)
	}
	return out
}

// PublicVersion returns the assessment without restricted paragraphs
// (its own and the contributions') and restricted threats, and without
// who wrote and approved it.
func (a Assessment) PublicVersion() Assessment {
	keep := func(ps []Paragraph) []Paragraph {
		out := []Paragraph{}
		for _, p := range ps {
			if !p.Restricted {
				out = append(out, p)
			}
		}
		return out
	}
	b := a
	b.Public = true
	b.Paragraphs = keep(a.Paragraphs)
	b.Contributions = make([]NationalContribution, 0, len(a.Contributions))
	for _, c := range a.Contributions {
		c.Paragraphs = keep(c.Paragraphs)
		c.CreatedBy, c.SubmittedBy, c.ApprovedBy, c.Note = "", "", "", ""
		b.Contributions = append(b.Contributions, c)
	}
	b.Threats = []Threat{}
	for _, t := range a.Threats {
		if !t.Restricted {
			b.Threats = append(b.Threats, t)
		}
	}
	b.CreatedBy, b.SubmittedBy, b.ApprovedBy, b.Note = "", "", "", ""
	return b
}

// RankedThreats returns the threats by risk, highest first.
func (a Assessment) RankedThreats() []Threat {
	out := slices.Clone(a.Threats)
	slices.SortStableFunc(out, func(x, y Threat) int { return y.Risk() - x.Risk() })
	return out
}

// Nodes lists the nodes whose contributions are merged.
func (a Assessment) Nodes() []string {
	var out []string
	for _, c := range a.Contributions {
		if !slices.Contains(out, c.Node) {
			out = append(out, c.Node)
		}
	}
	return out
}

// personalPatterns catch what looks like personal data in assessment text:
// personal numbers (JMBG/EMBG and similar long digit runs), e-mail
// addresses, phone numbers and IBANs. Assessments describe phenomena,
// never people.
var personalPatterns = []*regexp.Regexp{
	regexp.MustCompile(`\b\d{13}\b`),
	regexp.MustCompile(`[\p{L}\p{N}._%+-]+@[\p{L}\p{N}.-]+\.\p{L}{2,}`),
	regexp.MustCompile(`\+\d[\d ()/-]{7,}\d`),
	regexp.MustCompile(`\b[A-Z]{2}\d{2}[ ]?(\d{4}[ ]?){3,7}\d{1,4}\b`),
}

// looksPersonal reports whether text seems to hold personal data.
func looksPersonal(text string) bool {
	for _, re := range personalPatterns {
		if re.MatchString(text) {
			return true
		}
	}
	return false
}

func describeAssessment(a Assessment) string {
	return fmt.Sprintf("%s %s threats=%d contributions=%s", a.CrimeArea, a.Period, len(a.Threats), strings.Join(a.Nodes(), ","))
}

// ThreatsCSV is the numbers behind an assessment's risk chart: one row per
// threat with its three scores, its risk and band (the version asked for:
// the public one leaves restricted threats out already).
func ThreatsCSV(a Assessment) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"threat", "threat_score", "vulnerability", "impact", "risk", "level"})
	for _, t := range a.Threats {
		r := t.Risk()
		_ = w.Write([]string{textutil.SpreadsheetSafe(t.Title), strconv.Itoa(t.Threat.Value), strconv.Itoa(t.Vulnerability.Value), strconv.Itoa(t.Impact.Value), strconv.Itoa(r), RiskLevel(r)})
	}
	w.Flush()
	return buf.Bytes()
}
