package analysis

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/liaison-wb/liaison/internal/activities"
	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
	"github.com/liaison-wb/liaison/internal/validate"
)

// TypeContribution carries an approved national contribution to the
// regional node. It is sensitive: it waits for the NCU like every
// analysis message.
const TypeContribution = "analysis.contribution"

// NeedsRegistry is what the assessment needs from the partner activity
// registry: declaring needs in the caller's transaction.
type NeedsRegistry interface {
	DeclareNeedsTx(ctx context.Context, tx *store.Tx, p *auth.Principal, source string, ins []activities.NeedInput) ([]activities.Need, error)
	Notify()
}

// Limits of an assessment or contribution.
const (
	maxParagraphs = 60
	maxParagraph  = 8000
	maxThreats    = 30
	maxPriorities = 20
)

// ContributionInput drafts or edits a national contribution.
type ContributionInput struct {
	RegionalNode string      `json:"regional_node" maxLength:"32" doc:"the regional node it goes to, e.g. selec"`
	CrimeArea    string      `json:"crime_area" enum:"drugs,thb,migrant_smuggling,firearms,cybercrime,money_laundering"`
	Period       string      `json:"period" maxLength:"7" doc:"YYYY, YYYY-Qn or YYYY-MM"`
	Title        string      `json:"title" maxLength:"200"`
	Paragraphs   []Paragraph `json:"paragraphs" maxItems:"60"`
	Version      int64       `json:"version,omitempty" doc:"the version edited; a different stored version is a conflict"`
}

// AssessmentInput creates or edits a regional assessment.
type AssessmentInput struct {
	CrimeArea  string      `json:"crime_area" enum:"drugs,thb,migrant_smuggling,firearms,cybercrime,money_laundering"`
	Period     string      `json:"period" maxLength:"7" doc:"YYYY, YYYY-Qn or YYYY-MM"`
	Title      string      `json:"title" maxLength:"200"`
	Summary    string      `json:"summary,omitempty" maxLength:"8000"`
	Paragraphs []Paragraph `json:"paragraphs,omitempty" maxItems:"60"`
	Threats    []Threat    `json:"threats,omitempty" maxItems:"30"`
	Priorities []Priority  `json:"priorities,omitempty" maxItems:"20"`
	Version    int64       `json:"version,omitempty" doc:"the version edited; a different stored version is a conflict"`
}

// MoveInput moves an assessment or contribution through its states.
type MoveInput struct {
	Move string `json:"move" enum:"submit,return,approve"`
	Note string `json:"note,omitempty" maxLength:"2000" doc:"why it is returned"`
}

func noPersonal(op, field, text string) error {
	if looksPersonal(text) {
		e := errs.Newf(errs.Invalid, op, "the %s seems to hold personal data (a personal number, e-mail address, phone number or account); assessments describe phenomena, never people", field)
		e.Code = "personal-data"
		return e
	}
	return nil
}

func cleanText(op, field, v string, max int, required bool) (string, error) {
	v, err := validate.Field(op, field, v, max, required)
	if err != nil {
		return "", err
	}
	return v, noPersonal(op, field, v)
}

func cleanArea(op, area, period string) (string, string, error) {
	area = strings.ToLower(strings.TrimSpace(area))
	if !slices.Contains(CrimeAreas(), area) {
		return "", "", errs.New(errs.Invalid, op, "choose a crime area: drugs, thb, migrant_smuggling, firearms, cybercrime or money_laundering")
	}
	period = strings.ToUpper(strings.TrimSpace(period))
	if !periodRE.MatchString(period) {
		return "", "", errs.New(errs.Invalid, op, "the period must be a year, a quarter or a month (2025, 2025-Q1, 2025-03)")
	}
	return area, period, nil
}

func cleanParagraphs(op string, in []Paragraph) ([]Paragraph, error) {
	if len(in) > maxParagraphs {
		return nil, errs.Newf(errs.Invalid, op, "at most %d paragraphs", maxParagraphs)
	}
	out := []Paragraph{}
	for _, p := range in {
		if !slices.Contains(SectionKeys, p.Section) {
			return nil, errs.New(errs.Invalid, op, "each paragraph belongs to a section of the template: indicators, trends, modus_operandi, groups or routes")
		}
		text, err := cleanText(op, "text of "+sectionTitles[p.Section], p.Text, maxParagraph, false)
		if err != nil {
			return nil, err
		}
		if text != "" {
			out = append(out, Paragraph{Section: p.Section, Text: text, Restricted: p.Restricted})
		}
	}
	return out, nil
}

func cleanScore(op, name string, s Score) (Score, error) {
	if s.Value < 1 || s.Value > 5 {
		return s, errs.Newf(errs.Invalid, op, "the %s score must be 1 to 5", name)
	}
	r, err := cleanText(op, "reasoning of the "+name+" score", s.Reasoning, 2000, true)
	return Score{Value: s.Value, Reasoning: r}, err
}

func cleanThreats(op string, in []Threat) ([]Threat, error) {
	if len(in) > maxThreats {
		return nil, errs.Newf(errs.Invalid, op, "at most %d threats", maxThreats)
	}
	out := []Threat{}
	for _, t := range in {
		var err error
		c := Threat{ID: t.ID, Restricted: t.Restricted}
		if c.ID == "" || len(c.ID) > 64 {
			c.ID = store.NewID()
		}
		if c.Title, err = cleanText(op, "threat title", t.Title, 200, true); err != nil {
			return nil, err
		}
		if c.Description, err = cleanText(op, "threat description", t.Description, 4000, false); err != nil {
			return nil, err
		}
		if c.Threat, err = cleanScore(op, "threat", t.Threat); err != nil {
			return nil, err
		}
		if c.Vulnerability, err = cleanScore(op, "vulnerability", t.Vulnerability); err != nil {
			return nil, err
		}
		if c.Impact, err = cleanScore(op, "impact", t.Impact); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Beneficiaries are the countries a priority can be declared a need of.
var Beneficiaries = []string{"AL", "BA", "ME", "MK", "RS", "XK"}

func cleanPriorities(op string, in []Priority) ([]Priority, error) {
	if len(in) > maxPriorities {
		return nil, errs.Newf(errs.Invalid, op, "at most %d priorities", maxPriorities)
	}
	out := []Priority{}
	for _, p := range in {
		var err error
		c := Priority{Rank: p.Rank, Countries: []string{}}
		if c.Title, err = cleanText(op, "priority title", p.Title, 300, true); err != nil {
			return nil, err
		}
		if c.Description, err = cleanText(op, "priority description", p.Description, 4000, false); err != nil {
			return nil, err
		}
		if c.Rank < 1 || c.Rank > 5 {
			return nil, errs.New(errs.Invalid, op, "a priority's rank must be 1 (highest) to 5")
		}
		for _, cc := range p.Countries {
			cc = strings.ToUpper(strings.TrimSpace(cc))
			if !slices.Contains(Beneficiaries, cc) {
				return nil, errs.Newf(errs.Invalid, op, "a priority names beneficiary countries (AL, BA, ME, MK, RS, XK), not %q", textutil.Ellipsis(cc, 10))
			}
			if !slices.Contains(c.Countries, cc) {
				c.Countries = append(c.Countries, cc)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func (s *Service) cleanContribution(op string, in ContributionInput) (ContributionInput, error) {
	var err error
	if in.CrimeArea, in.Period, err = cleanArea(op, in.CrimeArea, in.Period); err != nil {
		return in, err
	}
	in.RegionalNode = strings.ToLower(strings.TrimSpace(in.RegionalNode))
	if in.RegionalNode == "" || len(in.RegionalNode) > 32 || in.RegionalNode == s.d.NodeID {
		return in, errs.New(errs.Invalid, op, "name the regional node the contribution goes to (another node, e.g. selec)")
	}
	if in.Title, err = cleanText(op, "title", in.Title, 200, true); err != nil {
		return in, err
	}
	in.Paragraphs, err = cleanParagraphs(op, in.Paragraphs)
	return in, err
}

func (s *Service) denied(ctx context.Context, p *auth.Principal, err error, action, object string) error {
	if errs.Is(err, errs.Forbidden) || errs.Is(err, errs.Conflict) {
		e := s.entry(p, action, object, errs.SafeMessage(err))
		e.Outcome = audit.Denied
		_ = s.d.Audit.Record(ctx, e)
	}
	var de *errs.E
	if errors.As(err, &de) {
		return err
	}
	return unavailable(action, err)
}

func conflict(op, what string) error {
	return &errs.E{Kind: errs.Conflict, Op: op, Code: "version-conflict", Msg: "someone changed this " + what + " since you opened it; reload and apply your change again"}
}

// CreateContribution drafts a national contribution on this node.
func (s *Service) CreateContribution(ctx context.Context, p *auth.Principal, in ContributionInput) (NationalContribution, error) {
	const op = "analysis.CreateContribution"
	if err := auth.Authorize(p, auth.ActAssessmentEdit); err != nil {
		return NationalContribution{}, err
	}
	in, err := s.cleanContribution(op, in)
	if err != nil {
		return NationalContribution{}, err
	}
	now := s.d.Clock.Now().UTC()
	c := NationalContribution{ID: store.NewID(), Node: s.d.NodeID, Regional: in.RegionalNode, CrimeArea: in.CrimeArea, Period: in.Period, Title: in.Title,
		Paragraphs: in.Paragraphs, State: CStateDraft, Version: 1, CreatedBy: p.Username, CreatedAt: now, UpdatedAt: now}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := insertContribution(ctx, tx, c); err != nil {
			return err
		}
		return s.d.Audit.Queue(ctx, tx, s.entry(p, "analysis.contribution.create", "analysis/contributions/"+c.ID, c.CrimeArea+" "+c.Period+" to="+c.Regional))
	})
	return c, unavailable(op, err)
}

// UpdateContribution edits a draft contribution of this node.
func (s *Service) UpdateContribution(ctx context.Context, p *auth.Principal, id string, in ContributionInput) (NationalContribution, error) {
	const op = "analysis.UpdateContribution"
	if err := auth.Authorize(p, auth.ActAssessmentEdit); err != nil {
		return NationalContribution{}, err
	}
	in, err := s.cleanContribution(op, in)
	if err != nil {
		return NationalContribution{}, err
	}
	var out NationalContribution
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		c, err := s.ownContribution(ctx, tx, op, id)
		if err != nil {
			return err
		}
		if err := checkEditable(op, "contribution", c.State == CStateDraft, in.Version, c.Version); err != nil {
			return err
		}
		read := c.Version
		c.Regional, c.CrimeArea, c.Period, c.Title, c.Paragraphs = in.RegionalNode, in.CrimeArea, in.Period, in.Title, in.Paragraphs
		c.Version++
		c.UpdatedAt = s.d.Clock.Now().UTC()
		if ok, err := updateContribution(ctx, tx, c, read); err != nil || !ok {
			return errors.Join(err, conflict(op, "contribution"))
		}
		out = c
		return s.d.Audit.Queue(ctx, tx, s.entry(p, "analysis.contribution.update", "analysis/contributions/"+c.ID, fmt.Sprintf("version %d", c.Version)))
	})
	return out, s.denied(ctx, p, err, "analysis.contribution.update", "analysis/contributions/"+id)
}

func (s *Service) ownContribution(ctx context.Context, q store.Querier, op, id string) (NationalContribution, error) {
	c, err := getContribution(ctx, q, s.d.NodeID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return c, errs.New(errs.NotFound, op, "no such contribution")
	}
	return c, err
}

// checkEditable refuses to edit a text that is not a draft, or that
// changed since the editor read it (version, when given).
func checkEditable(op, what string, draft bool, readVersion, version int64) error {
	if !draft {
		return &errs.E{Kind: errs.Conflict, Op: op, Code: "not-draft", Msg: "only a draft " + what + " can be edited; ask for it to be returned first"}
	}
	if readVersion != 0 && readVersion != version {
		return conflict(op, what)
	}
	return nil
}

// checkSecondPerson refuses an approval by whoever drafted or submitted
// the text (what: "a contribution", "an assessment").
func checkSecondPerson(op, what string, p *auth.Principal, createdBy, submittedBy string) error {
	if p.Username == submittedBy || p.Username == createdBy {
		return &errs.E{Kind: errs.Forbidden, Op: op, Code: "four-eyes", Msg: "a second person approves " + what + ", not whoever drafted or submitted it"}
	}
	return nil
}

// checkMove authorises a move (approving and returning are a supervisor's,
// submitting an editor's) and cleans its note.
func checkMove(op string, p *auth.Principal, in MoveInput) (string, error) {
	act := auth.ActAssessmentEdit
	if in.Move == MoveApprove || in.Move == MoveReturn {
		act = auth.ActAssessmentApprove
	}
	if err := auth.Authorize(p, act); err != nil {
		return "", err
	}
	return cleanText(op, "note", in.Note, 2000, false)
}

// MoveContribution submits, returns or approves a contribution of this
// node. Approval is a second person's: never whoever drafted or submitted
// it; approving sends the contribution to the regional node in the same
// transaction (the envelope waits for the NCU).
func (s *Service) MoveContribution(ctx context.Context, p *auth.Principal, id string, in MoveInput) (NationalContribution, error) {
	const op = "analysis.MoveContribution"
	note, err := checkMove(op, p, in)
	if err != nil {
		return NationalContribution{}, err
	}
	if in.Move == MoveApprove && s.d.Fed == nil {
		return NationalContribution{}, errs.New(errs.Unavailable, op, "federation is not configured on this node")
	}
	var out NationalContribution
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		c, err := s.ownContribution(ctx, tx, op, id)
		if err != nil {
			return err
		}
		to, ok := ContributionMove(c.State, in.Move)
		if !ok {
			return &errs.E{Kind: errs.Conflict, Op: op, Code: "bad-transition", Msg: fmt.Sprintf("a %s contribution cannot be moved by %q", c.State, in.Move)}
		}
		now := s.d.Clock.Now().UTC()
		read := c.Version
		switch in.Move {
		case MoveSubmit:
			if len(c.Paragraphs) == 0 {
				return errs.New(errs.Invalid, op, "write at least one section before submitting the contribution")
			}
			c.SubmittedBy, c.Note = p.Username, ""
		case MoveReturn:
			c.Note = note
		case MoveApprove:
			if err := checkSecondPerson(op, "a contribution", p, c.CreatedBy, c.SubmittedBy); err != nil {
				return err
			}
			c.ApprovedBy, c.ApprovedAt = p.Username, &now
		}
		c.State, c.Version, c.UpdatedAt = to, c.Version+1, now
		if ok, err := updateContribution(ctx, tx, c, read); err != nil || !ok {
			return errors.Join(err, conflict(op, "contribution"))
		}
		if in.Move == MoveApprove {
			if _, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: c.Regional, Type: TypeContribution, Payload: c.sent(), Conversation: "analysis/contributions/" + c.ID,
				Summary: "national contribution to the regional assessment: " + c.CrimeArea + " " + c.Period + " (analysis text, no personal data)", Actor: p}); err != nil {
				return err
			}
		}
		out = c
		return s.d.Audit.Queue(ctx, tx, s.entry(p, "analysis.contribution."+in.Move, "analysis/contributions/"+c.ID, c.State+" "+textutil.Ellipsis(note, 200)))
	})
	if err := s.denied(ctx, p, err, "analysis.contribution."+in.Move, "analysis/contributions/"+id); err != nil {
		return NationalContribution{}, err
	}
	if in.Move == MoveApprove {
		s.d.Fed.Notify()
	}
	return out, nil
}

// sent is the form that leaves the node: the country's text and dates,
// without the names of the people who drafted, submitted and approved it.
func (c NationalContribution) sent() NationalContribution {
	c.CreatedBy, c.SubmittedBy, c.ApprovedBy, c.Note = "", "", "", ""
	return c
}

// Contributions lists this node's contributions and those it received.
// Reading is audited.
func (s *Service) Contributions(ctx context.Context, p *auth.Principal) ([]NationalContribution, error) {
	if err := auth.Authorize(p, auth.ActAssessmentView); err != nil {
		return nil, err
	}
	out, err := listContributions(ctx, s.d.Store)
	if err != nil {
		return nil, unavailable("analysis.Contributions", err)
	}
	return out, s.record(ctx, s.entry(p, "analysis.contribution.list", "analysis/contributions", fmt.Sprintf("n=%d", len(out))))
}

// Contribution returns one contribution: this node's (node "" or this
// node) or one received from node.
func (s *Service) Contribution(ctx context.Context, p *auth.Principal, node, id string) (NationalContribution, error) {
	const op = "analysis.Contribution"
	if err := auth.Authorize(p, auth.ActAssessmentView); err != nil {
		return NationalContribution{}, err
	}
	if node == "" {
		node = s.d.NodeID
	}
	c, err := getContribution(ctx, s.d.Store, node, id)
	if errors.Is(err, sql.ErrNoRows) {
		return c, errs.New(errs.NotFound, op, "no such contribution")
	}
	if err != nil {
		return c, unavailable(op, err)
	}
	return c, s.record(ctx, s.entry(p, "analysis.contribution.read", "analysis/contributions/"+node+"/"+id, ""))
}

// ParseContribution decodes and checks a contribution received from node
// from: approved, from that node, of a known crime area, within limits
// and with nothing that looks like personal data.
func ParseContribution(from string, raw []byte) (NationalContribution, error) {
	const op = "analysis.receive"
	var c NationalContribution
	if err := json.Unmarshal(raw, &c); err != nil {
		return NationalContribution{}, errs.Wrap(errs.Invalid, op, "malformed contribution", err)
	}
	if c.Node != from || c.State != CStateApproved || c.ID == "" || len(c.ID) > 64 || !slices.Contains(CrimeAreas(), c.CrimeArea) ||
		!periodRE.MatchString(c.Period) || len(c.Paragraphs) > maxParagraphs || utf8.RuneCountInString(c.Title) > 200 {
		return NationalContribution{}, errs.New(errs.Invalid, op, "contribution from another node, not approved or too large")
	}
	if _, err := cleanParagraphs(op, c.Paragraphs); err != nil {
		return NationalContribution{}, err
	}
	return c, nil
}

func describeContribution(from string, payload json.RawMessage) (federation.Preview, error) {
	c, err := ParseContribution(from, payload)
	if err != nil {
		return federation.Preview{}, err
	}
	return federation.Preview{Title: "assessment contribution: " + c.Title, Fields: []federation.PreviewField{{Label: "crime area", Value: c.CrimeArea},
		{Label: "period", Value: c.Period}, {Label: "paragraphs", Value: fmt.Sprint(len(c.Paragraphs))}}}, nil
}

func (s *Service) handleContribution(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	c, err := ParseContribution(in.From, in.Payload)
	if err != nil {
		return err
	}
	if c.Regional != s.d.NodeID {
		return errs.New(errs.Invalid, "analysis.receive", "contribution addressed to another regional node")
	}
	if err := saveReceived(ctx, tx, c); err != nil {
		return err
	}
	return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: "federation", Action: "analysis.contribution.receive", Object: "analysis/contributions/" + in.From + "/" + c.ID,
		Detail: c.CrimeArea + " " + c.Period})
}

func (s *Service) cleanAssessment(op string, in AssessmentInput) (AssessmentInput, error) {
	var err error
	if in.CrimeArea, in.Period, err = cleanArea(op, in.CrimeArea, in.Period); err != nil {
		return in, err
	}
	if in.Title, err = cleanText(op, "title", in.Title, 200, true); err != nil {
		return in, err
	}
	if in.Summary, err = cleanText(op, "summary", in.Summary, 8000, false); err != nil {
		return in, err
	}
	if in.Paragraphs, err = cleanParagraphs(op, in.Paragraphs); err != nil {
		return in, err
	}
	if in.Threats, err = cleanThreats(op, in.Threats); err != nil {
		return in, err
	}
	in.Priorities, err = cleanPriorities(op, in.Priorities)
	return in, err
}

// merge takes in the newest approved contribution of each node for the
// assessment's crime area and period.
func (s *Service) merge(ctx context.Context, q store.Querier, a *Assessment) error {
	cs, err := contributionsFor(ctx, q, s.d.NodeID, a.CrimeArea, a.Period)
	if err != nil {
		return err
	}
	newest := map[string]NationalContribution{}
	for _, c := range cs {
		if o, ok := newest[c.Node]; !ok || c.UpdatedAt.After(o.UpdatedAt) {
			newest[c.Node] = c
		}
	}
	a.Contributions = []NationalContribution{}
	for _, c := range cs {
		if newest[c.Node].ID == c.ID {
			a.Contributions = append(a.Contributions, c.sent())
		}
	}
	return nil
}

// CreateAssessment starts a regional assessment and merges the
// contributions already received.
func (s *Service) CreateAssessment(ctx context.Context, p *auth.Principal, in AssessmentInput) (Assessment, error) {
	const op = "analysis.CreateAssessment"
	if err := auth.Authorize(p, auth.ActAssessmentEdit); err != nil {
		return Assessment{}, err
	}
	in, err := s.cleanAssessment(op, in)
	if err != nil {
		return Assessment{}, err
	}
	now := s.d.Clock.Now().UTC()
	a := Assessment{ID: store.NewID(), Node: s.d.NodeID, CrimeArea: in.CrimeArea, Period: in.Period, Title: in.Title, Summary: in.Summary,
		Paragraphs: in.Paragraphs, Threats: in.Threats, Priorities: in.Priorities, State: AStateDraft, Version: 1, CreatedBy: p.Username, CreatedAt: now, UpdatedAt: now}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := s.merge(ctx, tx, &a); err != nil {
			return err
		}
		if err := insertAssessment(ctx, tx, a); err != nil {
			return err
		}
		return s.d.Audit.Queue(ctx, tx, s.entry(p, "analysis.assessment.create", "analysis/assessments/"+a.ID, describeAssessment(a)))
	})
	return a, unavailable(op, err)
}

// UpdateAssessment edits a draft assessment and merges the contributions
// received since.
func (s *Service) UpdateAssessment(ctx context.Context, p *auth.Principal, id string, in AssessmentInput) (Assessment, error) {
	const op = "analysis.UpdateAssessment"
	if err := auth.Authorize(p, auth.ActAssessmentEdit); err != nil {
		return Assessment{}, err
	}
	in, err := s.cleanAssessment(op, in)
	if err != nil {
		return Assessment{}, err
	}
	var out Assessment
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		a, err := s.getAssessment(ctx, tx, op, id)
		if err != nil {
			return err
		}
		if err := checkEditable(op, "assessment", a.State == AStateDraft, in.Version, a.Version); err != nil {
			return err
		}
		if in.CrimeArea != a.CrimeArea || in.Period != a.Period {
			return errs.New(errs.Invalid, op, "the crime area and period of an assessment are fixed; start a new assessment for another")
		}
		read := a.Version
		a.Title, a.Summary, a.Paragraphs, a.Threats, a.Priorities = in.Title, in.Summary, in.Paragraphs, in.Threats, in.Priorities
		if err := s.merge(ctx, tx, &a); err != nil {
			return err
		}
		a.Version++
		a.UpdatedAt = s.d.Clock.Now().UTC()
		if ok, err := updateAssessment(ctx, tx, a, read); err != nil || !ok {
			return errors.Join(err, conflict(op, "assessment"))
		}
		out = a
		return s.d.Audit.Queue(ctx, tx, s.entry(p, "analysis.assessment.update", "analysis/assessments/"+a.ID, describeAssessment(a)))
	})
	return out, s.denied(ctx, p, err, "analysis.assessment.update", "analysis/assessments/"+id)
}

func (s *Service) getAssessment(ctx context.Context, q store.Querier, op, id string) (Assessment, error) {
	a, err := getAssessment(ctx, q, s.d.NodeID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return a, errs.New(errs.NotFound, op, "no such assessment")
	}
	return a, err
}

// MoveAssessment submits a draft for review, returns it, or approves it.
// Approval is a second person's, never the submitter's; approving
// supersedes the earlier approved assessments of the crime area.
func (s *Service) MoveAssessment(ctx context.Context, p *auth.Principal, id string, in MoveInput) (Assessment, error) {
	const op = "analysis.MoveAssessment"
	note, err := checkMove(op, p, in)
	if err != nil {
		return Assessment{}, err
	}
	var out Assessment
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		a, err := s.getAssessment(ctx, tx, op, id)
		if err != nil {
			return err
		}
		to, ok := AssessmentMove(a.State, in.Move)
		if !ok || in.Move == MoveSupersede {
			return &errs.E{Kind: errs.Conflict, Op: op, Code: "bad-transition", Msg: fmt.Sprintf("a %s assessment cannot be moved by %q", a.State, in.Move)}
		}
		now := s.d.Clock.Now().UTC()
		read := a.Version
		switch in.Move {
		case MoveSubmit:
			if len(a.Threats) == 0 {
				return errs.New(errs.Invalid, op, "score at least one threat before submitting the assessment for review")
			}
			if err := s.merge(ctx, tx, &a); err != nil {
				return err
			}
			a.SubmittedBy, a.Note = p.Username, ""
		case MoveReturn:
			a.Note = note
		case MoveApprove:
			if err := checkSecondPerson(op, "an assessment", p, a.CreatedBy, a.SubmittedBy); err != nil {
				return err
			}
			a.ApprovedBy, a.ApprovedAt = p.Username, &now
			older, err := approvedOf(ctx, tx, s.d.NodeID, a.CrimeArea, a.ID)
			if err != nil {
				return err
			}
			for _, o := range older {
				r := o.Version
				o.State, o.SupersededBy, o.Version, o.UpdatedAt = AStateSuperseded, a.ID, o.Version+1, now
				if ok, err := updateAssessment(ctx, tx, o, r); err != nil || !ok {
					return errors.Join(err, conflict(op, "assessment"))
				}
				if err := s.d.Audit.Queue(ctx, tx, s.entry(p, "analysis.assessment.supersede", "analysis/assessments/"+o.ID, "by "+a.ID)); err != nil {
					return err
				}
			}
		}
		a.State, a.Version, a.UpdatedAt = to, a.Version+1, now
		if ok, err := updateAssessment(ctx, tx, a, read); err != nil || !ok {
			return errors.Join(err, conflict(op, "assessment"))
		}
		out = a
		return s.d.Audit.Queue(ctx, tx, s.entry(p, "analysis.assessment."+in.Move, "analysis/assessments/"+a.ID, a.State+" "+textutil.Ellipsis(note, 200)))
	})
	return out, s.denied(ctx, p, err, "analysis.assessment."+in.Move, "analysis/assessments/"+id)
}

// Assessments lists this node's assessments: every one for those who may
// see drafts, otherwise the public versions of approved ones. Reading is
// audited.
func (s *Service) Assessments(ctx context.Context, p *auth.Principal) ([]Assessment, error) {
	if err := auth.Authorize(p, auth.ActAssessmentPublic); err != nil {
		return nil, err
	}
	all, err := listAssessments(ctx, s.d.Store, s.d.NodeID)
	if err != nil {
		return nil, unavailable("analysis.Assessments", err)
	}
	full := auth.Can(p, auth.ActAssessmentView)
	out := []Assessment{}
	for _, a := range all {
		switch {
		case full:
			out = append(out, a)
		case a.State == AStateApproved || a.State == AStateSuperseded:
			out = append(out, a.PublicVersion())
		}
	}
	return out, s.record(ctx, s.entry(p, "analysis.assessment.list", "analysis/assessments", fmt.Sprintf("n=%d", len(out))))
}

// Assessment returns one assessment: the restricted version (with drafts)
// for those who may see it and asked for it, otherwise the public version
// of an approved assessment. Reading is audited with the version read.
func (s *Service) Assessment(ctx context.Context, p *auth.Principal, id string, public bool) (Assessment, error) {
	const op = "analysis.Assessment"
	if err := auth.Authorize(p, auth.ActAssessmentPublic); err != nil {
		return Assessment{}, err
	}
	a, err := s.getAssessment(ctx, s.d.Store, op, id)
	var de *errs.E
	if errors.As(err, &de) {
		return a, err
	}
	if err != nil {
		return a, unavailable(op, err)
	}
	if !auth.Can(p, auth.ActAssessmentView) {
		if a.State != AStateApproved && a.State != AStateSuperseded {
			return Assessment{}, errs.New(errs.NotFound, op, "no such assessment")
		}
		public = true
	}
	version := "restricted"
	if public {
		a, version = a.PublicVersion(), "public"
	}
	return a, s.record(ctx, s.entry(p, "analysis.assessment.read", "analysis/assessments/"+id, version))
}

// SendNeeds declares the priorities of an approved assessment as needs of
// the countries they name in the partner activity registry, once, in one
// transaction with the assessment's change and the audit entries.
func (s *Service) SendNeeds(ctx context.Context, p *auth.Principal, id string) ([]activities.Need, error) {
	const op = "analysis.SendNeeds"
	if err := auth.Authorize(p, auth.ActAssessmentNeeds); err != nil {
		return nil, err
	}
	if s.d.Needs == nil {
		return nil, errs.New(errs.Unavailable, op, "the partner activity registry is not available on this node")
	}
	var out []activities.Need
	err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		a, err := s.getAssessment(ctx, tx, op, id)
		if err != nil {
			return err
		}
		if a.State != AStateApproved {
			return &errs.E{Kind: errs.Conflict, Op: op, Code: "not-approved", Msg: "only an approved assessment's priorities can be declared as needs"}
		}
		if a.NeedsSentAt != nil {
			return &errs.E{Kind: errs.Conflict, Op: op, Code: "needs-sent", Msg: "this assessment's priorities were already declared as needs"}
		}
		var ins []activities.NeedInput
		for _, pr := range a.Priorities {
			for _, c := range pr.Countries {
				desc := fmt.Sprintf("Priority of the approved regional assessment %q (%s, %s). %s", a.Title, a.CrimeArea, a.Period, pr.Description)
				ins = append(ins, activities.NeedInput{Country: c, Agency: "", Theme: a.CrimeArea, Priority: pr.Rank, Title: pr.Title,
					Description: textutil.Ellipsis(strings.TrimSpace(desc), 5000)})
			}
		}
		if len(ins) == 0 {
			return errs.New(errs.Invalid, op, "the assessment has no priority that names a country")
		}
		if out, err = s.d.Needs.DeclareNeedsTx(ctx, tx, p, "analysis/assessments/"+a.ID, ins); err != nil {
			return err
		}
		read := a.Version
		now := s.d.Clock.Now().UTC()
		a.NeedsSentAt, a.Version, a.UpdatedAt = &now, a.Version+1, now
		if ok, err := updateAssessment(ctx, tx, a, read); err != nil || !ok {
			return errors.Join(err, conflict(op, "assessment"))
		}
		return s.d.Audit.Queue(ctx, tx, s.entry(p, "analysis.assessment.needs", "analysis/assessments/"+a.ID, fmt.Sprintf("needs=%d", len(out))))
	})
	if err := s.denied(ctx, p, err, "analysis.assessment.needs", "analysis/assessments/"+id); err != nil {
		return nil, err
	}
	s.d.Needs.Notify()
	return out, nil
}
