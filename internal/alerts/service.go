package alerts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/directory"
	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/match"
	"github.com/liaison-wb/liaison/internal/match/candidx"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/validate"
)

// Config holds the module's periods.
type Config struct {
	HitDeadline time.Duration            // the issuer answers a hit report within (default 12 h)
	Review      map[string]time.Duration // review period per kind (defaults: check and missing 1 y, judicial 3 y, arrest and object 5 y)
	WarnBefore  time.Duration            // the issuer is warned this long before the review date (default 4 months)
	Interval    time.Duration            // how often the review job runs (default 1 min)
	// TraceDeadline is the time a requested country has to answer a
	// firearms tracing request (default 30 days).
	TraceDeadline time.Duration
}

const year = 365 * 24 * time.Hour

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{HitDeadline: 12 * time.Hour, WarnBefore: 122 * 24 * time.Hour, Interval: time.Minute, TraceDeadline: 30 * 24 * time.Hour,
		Review: map[string]time.Duration{KindCheck: year, KindMissing: year, KindJudicial: 3 * year, KindArrest: 5 * year, KindObject: 5 * year}}
}

func (c Config) withDefaults() Config {
	def := DefaultConfig()
	if c.HitDeadline <= 0 {
		c.HitDeadline = def.HitDeadline
	}
	if c.WarnBefore <= 0 {
		c.WarnBefore = def.WarnBefore
	}
	if c.Interval <= 0 {
		c.Interval = def.Interval
	}
	if c.TraceDeadline <= 0 {
		c.TraceDeadline = def.TraceDeadline
	}
	r := map[string]time.Duration{}
	for k, v := range def.Review {
		r[k] = v
		if x := c.Review[k]; x > 0 {
			r[k] = x
		}
	}
	c.Review = r
	return c
}

// Deps are the service's collaborators.
type Deps struct {
	Store  *store.Store
	Audit  *audit.Log
	Fed    *federation.Service // nil: alerts stay national
	Dir    *directory.Service  // legal bases; nil: not checked
	Clock  clock.Clock
	Logger *slog.Logger
	NodeID string
	Region string // default region for names and numbers, e.g. RS
	// Model returns the node's matching model (the case database's fitted
	// weights); nil uses the engine's default weights.
	Model func(ctx context.Context) (*match.Model, error)
}

// Service is the alerts module of one node.
type Service struct {
	d   Deps
	cfg Config

	mu    sync.Mutex
	model *match.Model

	ix          *alertIndex               // in-memory candidate index of the alerts in force
	followSince atomic.Pointer[time.Time] // when CatchUp last looked
	sized       atomic.Pointer[sizedModel]
}

// sizedModel is a match model with the prior of this register of alerts.
type sizedModel struct {
	base  *match.Model
	prior float64
	m     *match.Model
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
	if d.Region == "" {
		d.Region = countryOf(d.NodeID)
	}
	return &Service{d: d, cfg: cfg.withDefaults(), ix: candidx.New[string, indexRec]()}
}

// Config returns the effective settings.
func (s *Service) Config() Config { return s.cfg }

// NodeID is this node's federation ID.
func (s *Service) NodeID() string { return s.d.NodeID }

// registerModel is the match model with the prior of one alert of this
// register: the model is fitted on a sample, or on the case database, and
// a pair's weight depends on the prior of the register searched (the
// household explanation). It returns that prior too.
func (s *Service) registerModel(ctx context.Context) (*match.Model, float64, error) {
	base, err := s.matchModel(ctx)
	if err != nil {
		return nil, 0, err
	}
	prior := match.RegisterPrior(s.registerSize())
	if c := s.sized.Load(); c != nil && c.base == base && c.prior == prior {
		return c.m, prior, nil
	}
	m := base.WithPrior(prior)
	s.sized.Store(&sizedModel{base: base, prior: prior, m: m})
	return m, prior, nil
}

func (s *Service) matchModel(ctx context.Context) (*match.Model, error) {
	if s.d.Model != nil {
		return s.d.Model(ctx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.model == nil {
		s.model = match.NewModel()
	}
	return s.model, nil
}

// countryOf maps a node ID to the directory country code (rs → RS).
func countryOf(node string) string { return strings.ToUpper(node) }

// RecipientInput names a recipient and, optionally, the legal basis; when
// none is named the directory's police-cooperation agreement in force
// between the two countries is used.
type RecipientInput struct {
	Node         string `json:"node" minLength:"2" maxLength:"32"`
	LegalBasisID string `json:"legal_basis_id,omitempty" maxLength:"64" doc:"directory agreement; required where no multilateral agreement applies (e.g. Kosovo)"`
}

// AlertDraft creates or changes an alert before validation.
type AlertDraft struct {
	Kind        string           `json:"kind" enum:"arrest,missing,judicial,check,object"`
	Sub         string           `json:"sub,omitempty" maxLength:"20" doc:"arrest: surrender|extradition; missing: adult|child|protection; judicial: witness|summons; check: discreet|inquiry|specific; object: seizure|evidence"`
	Person      *WantedPerson    `json:"person,omitempty"`
	Object      *WantedObject    `json:"object,omitempty"`
	Warnings    []string         `json:"warnings,omitempty" maxItems:"6" doc:"armed, violent, escaped, terrorism, suicide_risk, health_risk"`
	Action      string           `json:"action" maxLength:"2000" doc:"action to take on a hit"`
	Reason      string           `json:"reason" maxLength:"4000"`
	Authority   string           `json:"authority" maxLength:"300" doc:"issuing authority"`
	WarrantRef  string           `json:"warrant_ref,omitempty" maxLength:"100" doc:"reference of the national decision (arrest warrant)"`
	InterpolRef string           `json:"interpol_ref,omitempty" maxLength:"40" doc:"Interpol notice colour and number, e.g. red 2025/12345"`
	Misused     *Misused         `json:"misused,omitempty"`
	CaseRefs    []string         `json:"case_refs,omitempty" maxItems:"20"`
	Links       []string         `json:"links,omitempty" maxItems:"20" doc:"IDs of other alerts held on this node, each one you may see"`
	Photo       []byte           `json:"photo,omitempty" doc:"photo of the wanted person (person alerts): JPEG or PNG, at most 2 MiB and 4096 pixels a side, base64; on a change, omitted keeps the current photo"`
	RemovePhoto bool             `json:"remove_photo,omitempty" doc:"on a change: remove the current photo"`
	Recipients  []RecipientInput `json:"recipients,omitempty" maxItems:"20"`
	AllPartners bool             `json:"all_partners,omitempty" doc:"distribute to every peer with a legal basis"`
}

func quote(s string) string {
	if utf8.RuneCountInString(s) > 40 {
		s = string([]rune(s)[:40]) + "…"
	}
	return "\"" + s + "\""
}

// cleanDate checks a date of birth and writes it as YYYY-MM-DD.
func cleanDate(op, name, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	d, err := entity.ParseDate(v)
	if err != nil || !d.Full() {
		return "", errs.Newf(errs.Invalid, op, "the %s %s is not a date (YYYY-MM-DD or DD.MM.YYYY)", name, quote(v))
	}
	return d.String(), nil
}

// clean validates a draft into an alert (content only).
func (s *Service) clean(op string, in AlertDraft) (Alert, error) {
	var a Alert
	var err error
	a.Kind = strings.TrimSpace(in.Kind)
	if !slices.Contains(Kinds, a.Kind) {
		return a, errs.Newf(errs.Invalid, op, "kind %s is not one of %s", quote(in.Kind), strings.Join(Kinds, ", "))
	}
	a.Sub = strings.TrimSpace(in.Sub)
	if a.Sub != "" && !slices.Contains(Subs[a.Kind], a.Sub) {
		return a, errs.Newf(errs.Invalid, op, "for a %s alert the sub-kind is one of %s", a.Kind, strings.Join(Subs[a.Kind], ", "))
	}
	switch {
	case in.Person != nil && in.Object != nil:
		return a, errs.New(errs.Invalid, op, "an alert concerns either a person or an object, not both")
	case in.Person != nil:
		if a.Kind == KindObject {
			return a, errs.New(errs.Invalid, op, "an object alert needs an object, not a person")
		}
		p := *in.Person
		if p.GivenName, err = validate.Field(op, "given name", p.GivenName, 100, false); err != nil {
			return a, err
		}
		if p.FamilyName, err = validate.Field(op, "family name", p.FamilyName, 100, false); err != nil {
			return a, err
		}
		if p.Names, err = validate.List(op, "previous names and aliases", p.Names, 20, 200); err != nil {
			return a, err
		}
		if p.GivenName == "" && p.FamilyName == "" && len(p.Names) == 0 {
			return a, errs.New(errs.Invalid, op, "a person alert needs a name")
		}
		if p.DateOfBirth, err = cleanDate(op, "date of birth", p.DateOfBirth); err != nil {
			return a, err
		}
		if p.PlaceOfBirth, err = validate.Field(op, "place of birth", p.PlaceOfBirth, 100, false); err != nil {
			return a, err
		}
		p.Sex = strings.ToLower(strings.TrimSpace(p.Sex))
		if p.Sex != "" && p.Sex != "m" && p.Sex != "f" {
			return a, errs.New(errs.Invalid, op, "sex is m or f")
		}
		if p.Nationalities, err = validate.List(op, "nationalities", p.Nationalities, 5, 3); err != nil {
			return a, err
		}
		for i, c := range p.Nationalities {
			p.Nationalities[i] = strings.ToUpper(c)
		}
		if p.Documents, err = validate.List(op, "identity documents", p.Documents, 10, 40); err != nil {
			return a, err
		}
		if p.NationalIDs, err = validate.List(op, "national numbers", p.NationalIDs, 5, 20); err != nil {
			return a, err
		}
		if p.Description, err = validate.Field(op, "physical description", p.Description, 2000, false); err != nil {
			return a, err
		}
		a.Person, a.Subject = &p, SubjectPerson
	case in.Object != nil:
		if a.Kind != KindObject && a.Kind != KindCheck {
			return a, errs.Newf(errs.Invalid, op, "a %s alert concerns a person", a.Kind)
		}
		o := *in.Object
		o.Type = strings.TrimSpace(o.Type)
		if !slices.Contains(ObjectTypes, o.Type) {
			return a, errs.Newf(errs.Invalid, op, "object type %s is not one of %s", quote(o.Type), strings.Join(ObjectTypes, ", "))
		}
		for _, f := range []struct {
			v    *string
			name string
			max  int
		}{{&o.Plate, "plate", 20}, {&o.VIN, "VIN", 20}, {&o.Serial, "serial number", 60}, {&o.DocNumber, "document number", 40},
			{&o.Make, "make", 100}, {&o.Model, "model", 100}, {&o.Calibre, "calibre", 40}, {&o.Description, "description", 2000}} {
			if *f.v, err = validate.Field(op, f.name, *f.v, f.max, false); err != nil {
				return a, err
			}
		}
		if o.VIN != "" {
			if v, err := entity.NormalizeVIN(o.VIN); err == nil {
				o.VIN = v
			}
		}
		o.DocStatus = strings.TrimSpace(o.DocStatus)
		isDoc := o.Type == "document_blank" || o.Type == "document_issued" || o.Type == "registration_certificate"
		if o.DocStatus != "" && (!isDoc || !slices.Contains(DocStatuses, o.DocStatus)) {
			return a, errs.Newf(errs.Invalid, op, "a document's sub-status is one of %s (documents only)", strings.Join(DocStatuses, ", "))
		}
		if isDoc && o.DocStatus == "" {
			return a, errs.Newf(errs.Invalid, op, "a document alert needs its sub-status: %s", strings.Join(DocStatuses, ", "))
		}
		if len(o.Identifiers()) == 0 {
			return a, errs.New(errs.Invalid, op, "an object alert needs an identifier: plate, VIN, serial or document number")
		}
		a.Object, a.Subject = &o, o.Type
	default:
		return a, errs.New(errs.Invalid, op, "give the person or the object the alert concerns")
	}
	for _, w := range in.Warnings {
		w = strings.TrimSpace(w)
		if w == "" {
			continue
		}
		if !slices.Contains(Warnings, w) {
			return a, errs.Newf(errs.Invalid, op, "warning marker %s is not one of %s", quote(w), strings.Join(Warnings, ", "))
		}
		a.Warnings = append(a.Warnings, w)
	}
	if len(a.Warnings) > 0 && a.Person == nil {
		return a, errs.New(errs.Invalid, op, "warning markers belong to person alerts")
	}
	a.Warnings = sortWarnings(a.Warnings)
	if a.Warnings == nil {
		a.Warnings = []string{}
	}
	if a.Action, err = validate.Field(op, "action to take", in.Action, 2000, true); err != nil {
		return a, err
	}
	if a.Reason, err = validate.Field(op, "reason", in.Reason, 4000, true); err != nil {
		return a, err
	}
	if a.Authority, err = validate.Field(op, "issuing authority", in.Authority, 300, true); err != nil {
		return a, err
	}
	if a.WarrantRef, err = validate.Field(op, "warrant reference", in.WarrantRef, 100, false); err != nil {
		return a, err
	}
	if a.Kind == KindArrest && a.WarrantRef == "" {
		return a, errs.New(errs.Invalid, op, "an arrest alert needs the reference of the national decision (arrest warrant)")
	}
	if a.InterpolRef, err = ParseInterpolRef(in.InterpolRef); err != nil {
		return a, errs.New(errs.Invalid, op, err.Error())
	}
	if in.Misused != nil {
		m := *in.Misused
		if a.Person == nil {
			return a, errs.New(errs.Invalid, op, "a misused identity belongs to a person alert")
		}
		if !m.Consent {
			return a, errs.New(errs.Invalid, op, "a misused identity is kept only with the consent of the person whose identity is misused")
		}
		if m.Name, err = validate.Field(op, "name of the person whose identity is misused", m.Name, 200, true); err != nil {
			return a, err
		}
		if m.DateOfBirth, err = cleanDate(op, "date of birth of the person whose identity is misused", m.DateOfBirth); err != nil {
			return a, err
		}
		if m.Document, err = validate.Field(op, "document of the person whose identity is misused", m.Document, 40, false); err != nil {
			return a, err
		}
		if m.Note, err = validate.Field(op, "note on the misused identity", m.Note, 2000, false); err != nil {
			return a, err
		}
		a.Misused = &m
	}
	if a.CaseRefs, err = validate.List(op, "case references", in.CaseRefs, 20, 100); err != nil {
		return a, err
	}
	if a.Links, err = validate.List(op, "linked alerts", in.Links, 20, 64); err != nil {
		return a, err
	}
	if a.Links == nil {
		a.Links = []string{}
	}
	if len(in.Photo) > 0 {
		if a.Person == nil {
			return a, errs.New(errs.Invalid, op, "only a person alert carries a photo")
		}
		p, err := checkPhoto(op, in.Photo)
		if err != nil {
			return a, err
		}
		a.photo, a.Photo = &p, &p.PhotoInfo
	}
	a.Label = label(a)
	return a, nil
}

// ParseInterpolRef checks an Interpol notice reference: a colour (red,
// yellow, blue, black, green, orange, purple, or the UN special notice)
// and a number like 2025/12345. It returns "colour number" or "".
func ParseInterpolRef(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	colour, num, ok := strings.Cut(strings.ToLower(s), " ")
	num = strings.TrimSpace(num)
	colours := []string{"red", "yellow", "blue", "black", "green", "orange", "purple", "un"}
	if !ok || !slices.Contains(colours, colour) {
		return "", errs.New(errs.Invalid, "alerts.interpol", "an Interpol notice is written as its colour and number, e.g. red 2025/12345")
	}
	y, n, ok := strings.Cut(num, "/")
	if !ok || len(y) != 4 || len(n) == 0 || len(n) > 10 || !digits(y) || !digits(n) {
		return "", errs.New(errs.Invalid, "alerts.interpol", "the notice number is written as year/number, e.g. 2025/12345")
	}
	return colour + " " + y + "/" + n, nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// resolveRecipients checks each recipient and finds its legal basis.
func (s *Service) resolveRecipients(ctx context.Context, actor *auth.Principal, op string, in AlertDraft) ([]Recipient, []string, error) {
	var skipped []string
	list := slices.Clone(in.Recipients)
	if in.AllPartners && s.d.Fed != nil {
		peers, err := s.d.Fed.Peers(ctx)
		if err != nil {
			return nil, nil, errs.Wrap(errs.Unavailable, op, "cannot list the partners", err)
		}
		for _, p := range peers {
			if !slices.ContainsFunc(list, func(r RecipientInput) bool { return strings.EqualFold(r.Node, p.ID) }) {
				list = append(list, RecipientInput{Node: p.ID})
			}
		}
	}
	explicit := len(in.Recipients)
	out := []Recipient{}
	for i, ri := range list {
		node := strings.ToLower(strings.TrimSpace(ri.Node))
		if node == "" || len(node) > 32 {
			return nil, nil, errs.New(errs.Invalid, op, "a recipient needs a node ID")
		}
		if node == s.d.NodeID {
			return nil, nil, errs.New(errs.Invalid, op, "the issuing node is not a recipient of its own alert")
		}
		if slices.ContainsFunc(out, func(r Recipient) bool { return r.Node == node }) {
			continue
		}
		if s.d.Fed != nil {
			if _, err := s.d.Fed.Peer(ctx, node); err != nil {
				return nil, nil, errs.Newf(errs.Invalid, op, "%s is not a partner of this node", node)
			}
		}
		r, err := s.legalBasis(ctx, actor, op, node, strings.TrimSpace(ri.LegalBasisID))
		if err != nil {
			if i >= explicit { // found by "all partners": leave out, say so
				skipped = append(skipped, node)
				continue
			}
			return nil, nil, err
		}
		out = append(out, r)
	}
	if len(out) > 20 {
		return nil, nil, errs.New(errs.Invalid, op, "at most 20 recipients")
	}
	return out, skipped, nil
}

// legalBasis finds the agreement under which an alert may go to node.
func (s *Service) legalBasis(ctx context.Context, actor *auth.Principal, op, node, id string) (Recipient, error) {
	r := Recipient{Node: node}
	if s.d.Dir == nil {
		return r, nil
	}
	us, them := countryOf(s.d.NodeID), countryOf(node)
	today := directory.Day(s.d.Clock.Now().UTC().Format("2006-01-02"))
	usable := func(a directory.Agreement) bool {
		return (slices.Contains(a.Types, "police_cooperation") || slices.Contains(a.Types, "extradition") || slices.Contains(a.Types, "mla")) &&
			a.StateBetween(us, them, today) == directory.StateInForce
	}
	name := func(a directory.Agreement) string {
		if a.ShortName != "" {
			return a.ShortName + " — " + a.Title
		}
		return a.Title
	}
	if id != "" {
		a, err := s.d.Dir.Agreement(ctx, actor, id)
		if err != nil {
			if errs.Is(err, errs.NotFound) {
				return r, errs.Newf(errs.Invalid, op, "the legal basis named for %s is not an agreement of the directory", them)
			}
			return r, err
		}
		if !usable(a) {
			return r, &errs.E{Kind: errs.Invalid, Op: op, Code: "no-legal-basis",
				Msg: name(a) + " is not a police-cooperation, MLA or extradition agreement in force between " + us + " and " + them}
		}
		r.LegalBasisID, r.LegalBasis = a.ID, name(a)
		return r, nil
	}
	as, err := s.d.Dir.Agreements(ctx, actor, them, "police_cooperation")
	if err != nil {
		return r, err
	}
	// A bilateral agreement is the more specific basis; otherwise the first
	// multilateral one in force (PCC SEE, SELEC).
	for _, bilateral := range []bool{true, false} {
		for _, a := range as {
			if a.Multilateral != bilateral && usable(a) {
				r.LegalBasisID, r.LegalBasis = a.ID, name(a)
				return r, nil
			}
		}
	}
	return r, &errs.E{Kind: errs.Invalid, Op: op, Code: "no-legal-basis",
		Msg: "no police-cooperation agreement in the directory is in force between " + us + " and " + them + "; name a bilateral legal basis to send this alert to " + them}
}

// Digest is the SHA-256 of an alert's content as validated.
func Digest(a Alert) string {
	c := struct {
		ID, Origin, Kind, Sub, Subject                     string
		Person                                             *WantedPerson
		Object                                             *WantedObject
		Warnings                                           []string
		Action, Reason, Authority, WarrantRef, InterpolRef string
		Misused                                            *Misused
		CaseRefs                                           []string
	}{a.ID, a.OriginNode, a.Kind, a.Sub, a.Subject, a.Person, a.Object, a.Warnings, a.Action, a.Reason, a.Authority, a.WarrantRef, a.InterpolRef, a.Misused, a.CaseRefs}
	b, _ := json.Marshal(c)
	sum := sha256.Sum256(b)
	d := hex.EncodeToString(sum[:])
	if a.Photo == nil && len(a.Links) == 0 {
		return d // alerts without a photo or links keep the digest they were signed with
	}
	ext := struct {
		Base, Photo string
		Links       []string
	}{Base: d, Links: a.Links}
	if a.Photo != nil {
		ext.Photo = a.Photo.SHA256
	}
	b, _ = json.Marshal(ext)
	sum = sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Create records a draft alert. The compatibility table is applied at
// once: a contradicting alert of this country on the same subject refuses
// the draft (Conflict, code "incompatible").
func (s *Service) Create(ctx context.Context, actor *auth.Principal, in AlertDraft) (Alert, error) {
	const op = "alerts.Create"
	if err := auth.Authorize(actor, auth.ActAlertsDraft); err != nil {
		return Alert{}, err
	}
	a, err := s.clean(op, in)
	if err != nil {
		return Alert{}, err
	}
	recips, skipped, err := s.resolveRecipients(ctx, actor, op, in)
	if err != nil {
		return Alert{}, err
	}
	now := s.d.Clock.Now()
	a.ID, a.OriginNode, a.Status, a.Local = store.NewID(), s.d.NodeID, StatusDraft, true
	a.Agency, a.CreatedBy, a.CreatedAt, a.UpdatedAt = actor.Agency, actor.Username, now, now
	if err := s.checkLinks(ctx, actor, op, a.ID, a.Links); err != nil {
		return Alert{}, err
	}
	comp, err := s.compatibility(ctx, s.d.Store, a)
	if err != nil {
		return Alert{}, unavailable(op, err)
	}
	if err := comp.refusal(op); err != nil {
		return Alert{}, err
	}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := insertAlert(ctx, tx, a); err != nil {
			return err
		}
		if a.photo != nil {
			if err := putPhoto(ctx, tx, a.ID, *a.photo, ft(now)); err != nil {
				return err
			}
		}
		for _, r := range recips {
			if err := insertRecipient(ctx, tx, a.ID, r); err != nil {
				return err
			}
		}
		note := ""
		if len(skipped) > 0 {
			note = "not sent to " + strings.Join(skipped, ", ") + ": no legal basis in the directory"
		}
		if err := s.event(ctx, tx, a.ID, actor.Username, "created", StatusDraft, note); err != nil {
			return err
		}
		return s.queueAudit(ctx, tx, actor, "alerts.create", a.ID, a.Kind+" "+a.Subject)
	})
	if err != nil {
		return Alert{}, dbErr(op, "could not save the alert", err)
	}
	return s.Get(ctx, actor, a.ID)
}

// Update changes a draft.
func (s *Service) Update(ctx context.Context, actor *auth.Principal, id string, in AlertDraft) (Alert, error) {
	const op = "alerts.Update"
	if err := auth.Authorize(actor, auth.ActAlertsDraft); err != nil {
		return Alert{}, err
	}
	cur, err := s.visible(ctx, actor, id)
	if err != nil {
		return Alert{}, err
	}
	if !cur.Local || cur.Status != StatusDraft || cur.Agency != actor.Agency {
		return Alert{}, &errs.E{Kind: errs.Conflict, Op: op, Code: "not-a-draft", Msg: "only a draft of your agency can be changed"}
	}
	a, err := s.clean(op, in)
	if err != nil {
		return Alert{}, err
	}
	recips, _, err := s.resolveRecipients(ctx, actor, op, in)
	if err != nil {
		return Alert{}, err
	}
	a.ID, a.OriginNode, a.Status, a.Local, a.UpdatedAt = cur.ID, cur.OriginNode, StatusDraft, true, s.d.Clock.Now()
	switch {
	case a.photo != nil:
	case in.RemovePhoto || a.Person == nil:
		a.Photo = nil
	default:
		a.Photo = cur.Photo // kept
	}
	if err := s.checkLinks(ctx, actor, op, a.ID, a.Links); err != nil {
		return Alert{}, err
	}
	comp, err := s.compatibility(ctx, s.d.Store, a)
	if err != nil {
		return Alert{}, unavailable(op, err)
	}
	if err := comp.refusal(op); err != nil {
		return Alert{}, err
	}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := replaceContent(ctx, tx, a); err != nil {
			return err
		}
		switch {
		case a.photo != nil:
			if err := putPhoto(ctx, tx, a.ID, *a.photo, ft(a.UpdatedAt)); err != nil {
				return err
			}
		case a.Photo == nil:
			if err := dropPhoto(ctx, tx, a.ID); err != nil {
				return err
			}
		}
		if err := deleteRecipients(ctx, tx, a.ID); err != nil {
			return err
		}
		for _, r := range recips {
			if err := insertRecipient(ctx, tx, a.ID, r); err != nil {
				return err
			}
		}
		if err := s.event(ctx, tx, a.ID, actor.Username, "edited", "", ""); err != nil {
			return err
		}
		return s.queueAudit(ctx, tx, actor, "alerts.edit", a.ID, "")
	})
	if err != nil {
		return Alert{}, dbErr(op, "could not save the alert", err)
	}
	return s.Get(ctx, actor, a.ID)
}

// Validate is the second person's check of a draft: it activates the alert
// (review date by kind), indexes it for checks and distributes signed
// copies to the recipients, all in one transaction. The author cannot
// validate their own draft; an arrest alert is validated by a prosecutor.
func (s *Service) Validate(ctx context.Context, actor *auth.Principal, id string) (Alert, error) {
	const op = "alerts.Validate"
	if err := auth.Authorize(actor, auth.ActAlertsValidate); err != nil {
		return Alert{}, err
	}
	a, err := s.visible(ctx, actor, id)
	if err != nil {
		return Alert{}, err
	}
	if !a.Local || a.Status != StatusDraft || a.Agency != actor.Agency {
		return Alert{}, &errs.E{Kind: errs.Conflict, Op: op, Code: "bad-transition", Msg: "only a draft of your agency can be validated; this alert is " + a.Status}
	}
	if a.CreatedBy == actor.Username {
		return Alert{}, &errs.E{Kind: errs.Forbidden, Op: op, Code: "four-eyes", Msg: "a second person validates an alert, not its author"}
	}
	if a.Kind == KindArrest && !actor.Has(auth.RoleProsecutor) {
		return Alert{}, &errs.E{Kind: errs.Forbidden, Op: op, Code: "prosecutor-only", Msg: "an arrest alert is validated by a prosecutor"}
	}
	comp, err := s.compatibility(ctx, s.d.Store, a)
	if err != nil {
		return Alert{}, unavailable(op, err)
	}
	if err := comp.refusal(op); err != nil {
		return Alert{}, err
	}
	recips, err := recipients(ctx, s.d.Store, a.ID)
	if err != nil {
		return Alert{}, unavailable(op, err)
	}
	if len(recips) > 0 && s.d.Fed == nil {
		return Alert{}, errs.New(errs.Invalid, op, "this node is not connected to other countries")
	}
	now := s.d.Clock.Now()
	a.Status, a.ValidatedBy, a.ValidatedAt, a.ReviewDue = StatusActive, actor.Username, now, now.Add(s.cfg.Review[a.Kind])
	a.Digest = Digest(a)
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		ok, err := setValidated(ctx, tx, a.ID, actor.Username, now, a.ReviewDue, a.Digest)
		if err != nil {
			return err
		}
		if !ok {
			return &errs.E{Kind: errs.Conflict, Op: op, Code: "bad-transition", Msg: "the alert was changed meanwhile"}
		}
		if err := replaceKeys(ctx, tx, a.ID, alertKeys(a, s.d.Region)); err != nil {
			return err
		}
		s.indexAfterCommit(tx, a)
		if err := s.event(ctx, tx, a.ID, actor.Username, "validated", StatusActive, "SHA-256 "+a.Digest+"; review by "+a.ReviewDue.Format("2006-01-02")); err != nil {
			return err
		}
		for _, r := range recips {
			if err := s.publish(ctx, tx, actor, a, r); err != nil {
				return err
			}
		}
		return s.queueAudit(ctx, tx, actor, "alerts.validate", a.ID, "active; SHA-256 "+a.Digest+"; recipients "+nodes(recips))
	})
	if err != nil {
		return Alert{}, dbErr(op, "could not validate the alert", err)
	}
	if len(recips) > 0 {
		s.d.Fed.Notify()
	}
	return s.Get(ctx, actor, a.ID)
}

func nodes(rs []Recipient) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Node)
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// Distribute sends an alert in force to more recipients.
func (s *Service) Distribute(ctx context.Context, actor *auth.Principal, id string, in []RecipientInput) (Alert, error) {
	const op = "alerts.Distribute"
	if err := auth.Authorize(actor, auth.ActAlertsManage); err != nil {
		return Alert{}, err
	}
	a, err := s.issuerAlert(ctx, actor, op, id)
	if err != nil {
		return Alert{}, err
	}
	if !InForce(a.Status) {
		return Alert{}, &errs.E{Kind: errs.Conflict, Op: op, Code: "not-in-force", Msg: "only an alert in force is distributed"}
	}
	if s.d.Fed == nil {
		return Alert{}, errs.New(errs.Invalid, op, "this node is not connected to other countries")
	}
	have, err := recipients(ctx, s.d.Store, a.ID)
	if err != nil {
		return Alert{}, unavailable(op, err)
	}
	recips, _, err := s.resolveRecipients(ctx, actor, op, AlertDraft{Recipients: in})
	if err != nil {
		return Alert{}, err
	}
	var fresh []Recipient
	for _, r := range recips {
		if !slices.ContainsFunc(have, func(h Recipient) bool { return h.Node == r.Node }) {
			fresh = append(fresh, r)
		}
	}
	if len(fresh) == 0 {
		return s.Get(ctx, actor, a.ID)
	}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		for _, r := range fresh {
			if err := insertRecipient(ctx, tx, a.ID, r); err != nil {
				return err
			}
			if err := s.publish(ctx, tx, actor, a, r); err != nil {
				return err
			}
		}
		if err := s.event(ctx, tx, a.ID, actor.Username, "distributed", "", nodes(fresh)); err != nil {
			return err
		}
		return s.queueAudit(ctx, tx, actor, "alerts.distribute", a.ID, "to "+nodes(fresh))
	})
	if err != nil {
		return Alert{}, dbErr(op, "could not distribute the alert", err)
	}
	s.d.Fed.Notify()
	return s.Get(ctx, actor, a.ID)
}

// issuerAlert returns a local alert of the caller's agency (or any local
// alert for the NCU).
func (s *Service) issuerAlert(ctx context.Context, actor *auth.Principal, op, id string) (Alert, error) {
	a, err := s.visible(ctx, actor, id)
	if err != nil {
		return Alert{}, err
	}
	if !a.Local || (a.Agency != actor.Agency && !actor.Has(auth.RoleNCUOperator)) {
		return Alert{}, &errs.E{Kind: errs.Forbidden, Op: op, Code: "issuer-only", Msg: "only the issuing agency or its NCU changes an alert"}
	}
	return a, nil
}

// SetHidden hides an alert in force from front-line users during an
// operation (only the NCU and the issuing agency see it), or shows it again.
// The change replicates to the recipients.
func (s *Service) SetHidden(ctx context.Context, actor *auth.Principal, id string, hidden bool, reason string) (Alert, error) {
	const op = "alerts.SetHidden"
	if err := auth.Authorize(actor, auth.ActAlertsManage); err != nil {
		return Alert{}, err
	}
	reason, err := validate.Field(op, "reason", reason, 2000, hidden)
	if err != nil {
		return Alert{}, err
	}
	a, err := s.issuerAlert(ctx, actor, op, id)
	if err != nil {
		return Alert{}, err
	}
	if !InForce(a.Status) {
		return Alert{}, &errs.E{Kind: errs.Conflict, Op: op, Code: "not-in-force", Msg: "only an alert in force is hidden or shown"}
	}
	u := update{AlertID: a.ID, Kind: "hidden", Hidden: hidden, Reason: reason, Actor: actor.Username, At: s.d.Clock.Now()}
	return s.change(ctx, actor, op, a, u)
}

// End withdraws or deletes an alert with a reason; the end replicates and
// checks no longer find it.
func (s *Service) End(ctx context.Context, actor *auth.Principal, id, status, reason string) (Alert, error) {
	const op = "alerts.End"
	if err := auth.Authorize(actor, auth.ActAlertsManage); err != nil {
		return Alert{}, err
	}
	if !endedWithReason(status) {
		return Alert{}, errs.New(errs.Invalid, op, "an alert is ended as withdrawn or deleted")
	}
	reason, err := validate.Field(op, "reason", reason, 2000, true)
	if err != nil {
		return Alert{}, err
	}
	a, err := s.issuerAlert(ctx, actor, op, id)
	if err != nil {
		return Alert{}, err
	}
	if Final(a.Status) {
		return Alert{}, &errs.E{Kind: errs.Conflict, Op: op, Code: "bad-transition", Msg: "the alert has already ended (" + a.Status + ")"}
	}
	u := update{AlertID: a.ID, Kind: "status", Status: status, Reason: reason, Actor: actor.Username, At: s.d.Clock.Now()}
	return s.change(ctx, actor, op, a, u)
}

// Extend decides at review to keep an alert for another period, with a
// reason; the new review date replicates.
func (s *Service) Extend(ctx context.Context, actor *auth.Principal, id, reason string) (Alert, error) {
	const op = "alerts.Extend"
	if err := auth.Authorize(actor, auth.ActAlertsManage); err != nil {
		return Alert{}, err
	}
	reason, err := validate.Field(op, "reason for the extension", reason, 2000, true)
	if err != nil {
		return Alert{}, err
	}
	a, err := s.issuerAlert(ctx, actor, op, id)
	if err != nil {
		return Alert{}, err
	}
	if !InForce(a.Status) {
		return Alert{}, &errs.E{Kind: errs.Conflict, Op: op, Code: "not-in-force", Msg: "only an alert in force is extended"}
	}
	now := s.d.Clock.Now()
	u := update{AlertID: a.ID, Kind: "review", ReviewDue: now.Add(s.cfg.Review[a.Kind]), Reason: reason, Actor: actor.Username, At: now}
	return s.change(ctx, actor, op, a, u)
}

// change applies an issuer's change locally and replicates it to every
// recipient in one transaction.
func (s *Service) change(ctx context.Context, actor *auth.Principal, op string, a Alert, u update) (Alert, error) {
	recips, err := recipients(ctx, s.d.Store, a.ID)
	if err != nil {
		return Alert{}, unavailable(op, err)
	}
	sent := false
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := s.apply(ctx, tx, a, u, s.d.NodeID); err != nil {
			return err
		}
		if a.Status != StatusDraft {
			for _, r := range recips {
				if r.SentAt.IsZero() {
					continue
				}
				if err := s.replicate(ctx, tx, actor, a, r.Node, u); err != nil {
					return err
				}
				sent = true
			}
		}
		return s.queueAudit(ctx, tx, actor, "alerts."+u.Kind, a.ID, u.describe())
	})
	if err != nil {
		return Alert{}, dbErr(op, "could not change the alert", err)
	}
	if sent {
		s.d.Fed.Notify()
	}
	return s.Get(ctx, actor, a.ID)
}

// apply writes an update to this node's copy with its timeline event; by
// is the node that made it.
func (s *Service) apply(ctx context.Context, tx *store.Tx, a Alert, u update, by string) error {
	actor := u.Actor
	if by != s.d.NodeID {
		actor += "@" + by
	}
	now := s.d.Clock.Now()
	switch u.Kind {
	case "hidden":
		if err := setHidden(ctx, tx, a.ID, u.Hidden, now); err != nil {
			return err
		}
		what := "shown to front-line users again"
		if u.Hidden {
			what = "hidden from front-line users"
		}
		return insertEvent(ctx, tx, a.ID, AlertEvent{At: u.At, Node: by, Actor: actor, Kind: "hidden", Note: joinNote(what, u.Reason)})
	case "review":
		if err := setReview(ctx, tx, a.ID, u.ReviewDue, now); err != nil {
			return err
		}
		return insertEvent(ctx, tx, a.ID, AlertEvent{At: u.At, Node: by, Actor: actor, Kind: "extended", Note: joinNote("review by "+u.ReviewDue.Format("2006-01-02"), u.Reason)})
	case "status":
		ok, err := setStatus(ctx, tx, a.ID, a.Status, u.Status, u.Reason, now)
		if err != nil {
			return err
		}
		if !ok {
			return &errs.E{Kind: errs.Conflict, Op: "alerts.apply", Code: "bad-transition", Msg: "the alert was changed meanwhile; reload it"}
		}
		if InForce(u.Status) {
			if !InForce(a.Status) {
				if err := replaceKeys(ctx, tx, a.ID, alertKeys(a, s.d.Region)); err != nil {
					return err
				}
				s.indexAfterCommit(tx, a)
			}
		} else {
			if err := deleteKeys(ctx, tx, a.ID); err != nil {
				return err
			}
			s.unindexAfterCommit(tx, a.ID)
		}
		return insertEvent(ctx, tx, a.ID, AlertEvent{At: u.At, Node: by, Actor: actor, Kind: "status", Status: u.Status, Note: u.Reason})
	}
	return errs.New(errs.Invalid, "alerts.apply", "unknown change "+quote(u.Kind))
}

func joinNote(a, b string) string {
	if b == "" {
		return a
	}
	return a + "; " + b
}

func (s *Service) event(ctx context.Context, tx *store.Tx, id, actor, kind, status, note string) error {
	return insertEvent(ctx, tx, id, AlertEvent{At: s.d.Clock.Now(), Node: s.d.NodeID, Actor: actor, Kind: kind, Status: status, Note: note})
}

func (s *Service) auditEntry(actor *auth.Principal, action, id, detail string) audit.Entry {
	name, agency := "system:alerts", s.d.NodeID
	if actor != nil {
		name, agency = actor.Username, actor.Agency
	}
	return audit.Entry{Actor: name, Agency: agency, Action: action, Object: "alerts/" + id, Detail: detail}
}

// audit records a read or a check, which changes no state.
func (s *Service) audit(ctx context.Context, actor *auth.Principal, action, id, detail string) error {
	return s.d.Audit.Record(ctx, s.auditEntry(actor, action, id, detail))
}

func (s *Service) queueAudit(ctx context.Context, tx *store.Tx, actor *auth.Principal, action, id, detail string) error {
	return s.d.Audit.Queue(ctx, tx, s.auditEntry(actor, action, id, detail))
}

func dbErr(op, msg string, err error) error {
	return errs.WrapPlain(errs.Unavailable, op, msg, err)
}

func unavailable(op string, err error) error { return dbErr(op, "the alerts cannot be read now", err) }
