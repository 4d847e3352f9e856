package mla

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
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

// Config holds the module's deadlines.
type Config struct {
	RecogniseDeadline time.Duration // from receipt to the decision on recognition (default 30 days)
	Extension         time.Duration // one extension of the recognition deadline (default 30 days)
	ExecuteDeadline   time.Duration // from recognition to execution (default 90 days)
	RemindBefore      time.Duration // reminder this long before a deadline (default 7 days)
	Interval          time.Duration // how often the job checks deadlines (default 1 min)
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{RecogniseDeadline: 30 * 24 * time.Hour, Extension: 30 * 24 * time.Hour, ExecuteDeadline: 90 * 24 * time.Hour,
		RemindBefore: 7 * 24 * time.Hour, Interval: time.Minute}
}

// withDefaults fills every unset or out-of-range setting from
// DefaultConfig.
func (c Config) withDefaults() Config {
	def := DefaultConfig()
	if c.RecogniseDeadline <= 0 {
		c.RecogniseDeadline = def.RecogniseDeadline
	}
	if c.Extension <= 0 {
		c.Extension = def.Extension
	}
	if c.ExecuteDeadline <= 0 {
		c.ExecuteDeadline = def.ExecuteDeadline
	}
	if c.RemindBefore <= 0 {
		c.RemindBefore = def.RemindBefore
	}
	if c.Interval <= 0 {
		c.Interval = def.Interval
	}
	return c
}

// Deps are the service's collaborators.
type Deps struct {
	Store  *store.Store
	Audit  *audit.Log
	Fed    *federation.Service // nil: requests cannot be sent
	Dir    *directory.Service  // legal bases and contact points; nil: not checked
	Clock  clock.Clock
	Logger *slog.Logger
	NodeID string
}

// Service is the MLA module of one node.
type Service struct {
	d   Deps
	cfg Config
}

// New builds the service; call Register before the federation starts.
func New(d Deps, cfg Config) *Service {
	cfg = cfg.withDefaults()
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	if d.NodeID == "" && d.Fed != nil {
		d.NodeID = d.Fed.NodeID()
	}
	return &Service{d: d, cfg: cfg}
}

// Config returns the effective settings.
func (s *Service) Config() Config { return s.cfg }

// NodeID is this node's federation ID.
func (s *Service) NodeID() string { return s.d.NodeID }

// Draft creates or changes a request before it is sent.
type Draft struct {
	TargetNode   string        `json:"target_node" minLength:"2" maxLength:"32" doc:"requested node, e.g. me"`
	Kind         string        `json:"kind" enum:"evidence,video_hearing,search_seizure,banking,service_documents,transfer_proceedings,extradition"`
	Title        string        `json:"title" minLength:"1" maxLength:"200"`
	Facts        string        `json:"facts,omitempty" maxLength:"50000" doc:"summary of the facts and the offence"`
	Measures     string        `json:"measures,omitempty" maxLength:"50000" doc:"the assistance requested"`
	Persons      string        `json:"persons,omitempty" maxLength:"5000" doc:"persons concerned"`
	CaseRefs     []string      `json:"case_refs,omitempty" maxItems:"20"`
	Urgent       bool          `json:"urgent,omitempty"`
	LegalBasisID string        `json:"legal_basis_id,omitempty" maxLength:"64" doc:"directory agreement (type mla or extradition) to which both countries are party"`
	Channel      string        `json:"channel,omitempty" enum:"formal,informal," doc:"formal: central authorities; informal: prosecutorial focal points (default formal)"`
	Translations []Translation `json:"translations,omitempty" maxItems:"20" doc:"languages the request must be translated into"`
}

// Change moves a request to another status.
type Change struct {
	Status string `json:"status" enum:"in_execution,partially_executed,executed,refused,withdrawn"`
	Reason string `json:"reason,omitempty" maxLength:"4000" doc:"required for refused and for withdrawing a sent request"`
	Note   string `json:"note,omitempty" maxLength:"20000" doc:"answer or results given with the change"`
}

func errInvalid(msg string) error { return errs.New(errs.Invalid, "mla", msg) }

// dbErr keeps domain errors and wraps anything else.
func dbErr(op, msg string, err error) error {
	return errs.WrapPlain(errs.Unavailable, op, msg, err)
}

// countryOf maps a node ID to the directory country code (rs → RS).
func countryOf(node string) string { return strings.ToUpper(node) }

// clean validates a draft and resolves the legal basis and the contact point.
func (s *Service) clean(ctx context.Context, actor *auth.Principal, op string, in Draft) (Request, error) {
	var r Request
	var err error
	r.TargetNode = strings.ToLower(strings.TrimSpace(in.TargetNode))
	if r.TargetNode == "" || len(r.TargetNode) > 32 {
		return r, errs.New(errs.Invalid, op, "choose the requested country")
	}
	if r.TargetNode == s.d.NodeID {
		return r, errs.New(errs.Invalid, op, "the requested country must be another country or body")
	}
	r.Kind = strings.TrimSpace(in.Kind)
	if !slices.Contains(Kinds, r.Kind) {
		return r, errs.Newf(errs.Invalid, op, "kind %s is not one of %s", quote(in.Kind), strings.Join(Kinds, ", "))
	}
	if r.Title, err = validate.Field(op, "title", in.Title, 200, true); err != nil {
		return r, err
	}
	if r.Facts, err = validate.Field(op, "summary of facts", in.Facts, 50000, false); err != nil {
		return r, err
	}
	if r.Measures, err = validate.Field(op, "description of the assistance requested", in.Measures, 50000, false); err != nil {
		return r, err
	}
	if r.Persons, err = validate.Field(op, "list of persons", in.Persons, 5000, false); err != nil {
		return r, err
	}
	r.CaseRefs = []string{}
	for _, c := range in.CaseRefs {
		c = strings.TrimSpace(c)
		if c == "" || slices.Contains(r.CaseRefs, c) {
			continue
		}
		if len(c) > 100 {
			return r, errs.New(errs.Invalid, op, "case references are limited to 100 characters")
		}
		r.CaseRefs = append(r.CaseRefs, c)
	}
	if len(r.CaseRefs) > 20 {
		return r, errs.New(errs.Invalid, op, "at most 20 case references")
	}
	r.Urgent = in.Urgent
	r.Channel = strings.TrimSpace(in.Channel)
	if r.Channel == "" {
		r.Channel = ChannelFormal
	}
	if r.Channel != ChannelFormal && r.Channel != ChannelInformal {
		return r, errs.New(errs.Invalid, op, "the channel must be formal (central authorities) or informal (prosecutorial focal points)")
	}
	r.Translations = []Translation{}
	for _, t := range in.Translations {
		code := strings.ToLower(strings.TrimSpace(t.Language))
		if err := checkLanguage(code); err != nil {
			return r, err
		}
		if !slices.ContainsFunc(r.Translations, func(x Translation) bool { return x.Language == code }) {
			r.Translations = append(r.Translations, Translation{Language: code, Done: t.Done})
		}
	}
	if len(r.Translations) > 20 {
		return r, errs.New(errs.Invalid, op, "at most 20 translation languages")
	}
	r.LegalBasisID = strings.TrimSpace(in.LegalBasisID)
	if r.LegalBasisID != "" && s.d.Dir != nil {
		a, err := s.d.Dir.Agreement(ctx, actor, r.LegalBasisID)
		if err != nil {
			if errs.Is(err, errs.NotFound) {
				return r, errs.New(errs.Invalid, op, "the legal basis is not an agreement of the directory")
			}
			return r, err
		}
		if !slices.Contains(a.Types, "mla") && !slices.Contains(a.Types, "extradition") {
			return r, errs.Newf(errs.Invalid, op, "%s is not an agreement on mutual legal assistance or extradition", a.Title)
		}
		if r.Kind == "extradition" && !slices.Contains(a.Types, "extradition") {
			return r, errs.Newf(errs.Invalid, op, "%s does not provide for extradition", a.Title)
		}
		for _, c := range []string{countryOf(s.d.NodeID), countryOf(r.TargetNode)} {
			if !slices.ContainsFunc(a.Parties, func(p directory.Party) bool { return strings.EqualFold(p.Country, c) }) {
				return r, errs.Newf(errs.Invalid, op, "%s is not party to %s; choose another legal basis", c, a.Title)
			}
		}
		today := directory.Day(s.d.Clock.Now().UTC().Format("2006-01-02"))
		if a.StateBetween(countryOf(s.d.NodeID), countryOf(r.TargetNode), today) != directory.StateInForce {
			return r, errs.Newf(errs.Invalid, op, "%s is not in force between %s and %s; choose another legal basis", a.Title, countryOf(s.d.NodeID), countryOf(r.TargetNode))
		}
		r.LegalBasis = a.Title
		if a.ShortName != "" {
			r.LegalBasis = a.ShortName + " — " + a.Title
		}
	}
	if s.d.Dir != nil {
		// The contact point is advisory: a country without one registered
		// is still reachable through its national contact unit.
		if res, err := s.d.Dir.Lookup(ctx, actor, countryOf(r.TargetNode), contactRole(r.Channel)); err == nil && len(res.Contacts) > 0 {
			c := res.Contacts[0]
			r.ContactID = c.ID
			r.Contact = strings.TrimSpace(c.Title + " " + c.AgencyName)
			if c.Holder.Name != "" {
				r.Contact += " (" + c.Holder.Name + ")"
			}
		}
	}
	return r, nil
}

// Create records a draft request. Police officers and prosecutors draft;
// only a prosecutor signs and sends.
func (s *Service) Create(ctx context.Context, actor *auth.Principal, in Draft) (Request, error) {
	const op = "mla.Create"
	if err := auth.Authorize(actor, auth.ActMLADraft); err != nil {
		return Request{}, err
	}
	r, err := s.clean(ctx, actor, op, in)
	if err != nil {
		return Request{}, err
	}
	now := s.d.Clock.Now()
	r.ID, r.Direction, r.OriginNode, r.Status = store.NewID(), Outgoing, s.d.NodeID, StatusDraft
	r.Agency, r.CreatedBy, r.CreatedAt, r.UpdatedAt = actor.Agency, actor.Username, now, now
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := insertRequest(ctx, tx, r); err != nil {
			return err
		}
		if err := s.event(ctx, tx, r.ID, actor.Username, "created", StatusDraft, ""); err != nil {
			return err
		}
		return s.queueAudit(ctx, tx, actor, "mla.request.create", r.ID, r.Kind+" to "+r.TargetNode)
	})
	if err != nil {
		return Request{}, dbErr(op, "could not save the request", err)
	}
	return s.Get(ctx, actor, r.ID)
}

// Update changes a draft.
func (s *Service) Update(ctx context.Context, actor *auth.Principal, id string, in Draft) (Request, error) {
	const op = "mla.Update"
	if err := auth.Authorize(actor, auth.ActMLADraft); err != nil {
		return Request{}, err
	}
	cur, err := s.visible(ctx, actor, id)
	if err != nil {
		return Request{}, err
	}
	if cur.Direction != Outgoing || cur.Status != StatusDraft {
		return Request{}, &errs.E{Kind: errs.Conflict, Op: op, Code: "not-a-draft", Msg: "only a draft can be changed; this request is " + StatusLabels[cur.Status]}
	}
	r, err := s.clean(ctx, actor, op, in)
	if err != nil {
		return Request{}, err
	}
	now := s.d.Clock.Now()
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		changed, err := updateDraft(ctx, tx, cur.ID, r, now)
		if err != nil {
			return err
		}
		if !changed {
			return &errs.E{Kind: errs.Conflict, Op: op, Code: "not-a-draft", Msg: "the request was sent meanwhile"}
		}
		if err := s.event(ctx, tx, cur.ID, actor.Username, "edited", "", ""); err != nil {
			return err
		}
		return s.queueAudit(ctx, tx, actor, "mla.request.edit", cur.ID, "")
	})
	if err != nil {
		return Request{}, dbErr(op, "could not save the request", err)
	}
	return s.Get(ctx, actor, cur.ID)
}

// SetTranslation marks a translation language as required (done=false) or
// done on the requesting side.
func (s *Service) SetTranslation(ctx context.Context, actor *auth.Principal, id, language string, done bool) (Request, error) {
	const op = "mla.SetTranslation"
	if err := auth.Authorize(actor, auth.ActMLADraft); err != nil {
		return Request{}, err
	}
	language = strings.ToLower(strings.TrimSpace(language))
	if err := checkLanguage(language); err != nil {
		return Request{}, err
	}
	r, err := s.visible(ctx, actor, id)
	if err != nil {
		return Request{}, err
	}
	if r.Direction != Outgoing || Final(r.Status) {
		return Request{}, &errs.E{Kind: errs.Conflict, Op: op, Code: "closed", Msg: "translations are marked by the requesting side on an open request"}
	}
	ts := r.Translations
	if i := slices.IndexFunc(ts, func(t Translation) bool { return t.Language == language }); i >= 0 {
		ts[i].Done = done
	} else {
		ts = append(ts, Translation{Language: language, Done: done})
	}
	note := language + " required"
	if done {
		note = language + " done"
	}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := setTranslations(ctx, tx, r.ID, ts, s.d.Clock.Now()); err != nil {
			return err
		}
		if err := s.event(ctx, tx, r.ID, actor.Username, "translation", "", note); err != nil {
			return err
		}
		return s.queueAudit(ctx, tx, actor, "mla.request.translation", r.ID, note)
	})
	if err != nil {
		return Request{}, dbErr(op, "could not save the translation", err)
	}
	return s.Get(ctx, actor, r.ID)
}

// Digest is the SHA-256 of the canonical content a prosecutor signs.
func Digest(r Request) string {
	c := struct {
		ID, Origin, Target, Kind, Title, Facts, Measures, Persons, LegalBasisID, LegalBasis, Channel string
		CaseRefs                                                                                     []string
		Urgent                                                                                       bool
		Translations                                                                                 []Translation
	}{r.ID, r.OriginNode, r.TargetNode, r.Kind, r.Title, r.Facts, r.Measures, r.Persons, r.LegalBasisID, r.LegalBasis, r.Channel, r.CaseRefs, r.Urgent, r.Translations}
	b, _ := json.Marshal(c)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Send signs a draft and sends it to the requested node through the NCU /
// central-authority gate. Only a prosecutor signs: the policy allows the
// action to prosecutors only, and the service checks again so that no
// other caller (CLI, demo seeding, another module) can bypass it.
func (s *Service) Send(ctx context.Context, actor *auth.Principal, id string) (Request, error) {
	const op = "mla.Send"
	if err := auth.Authorize(actor, auth.ActMLASend); err != nil {
		return Request{}, err
	}
	if !actor.Has(auth.RoleProsecutor) {
		return Request{}, &errs.E{Kind: errs.Forbidden, Op: op, Code: "prosecutor-only", Msg: "only a prosecutor signs and sends a judicial request"}
	}
	r, err := s.visible(ctx, actor, id)
	if err != nil {
		return Request{}, err
	}
	if r.Direction != Outgoing || r.Status != StatusDraft {
		return Request{}, &errs.E{Kind: errs.Conflict, Op: op, Code: "bad-transition", Msg: "only a draft can be sent; this request is " + StatusLabels[r.Status]}
	}
	if r.LegalBasisID == "" {
		return Request{}, errs.New(errs.Invalid, op, "choose the legal basis (an agreement of the directory) before sending")
	}
	if strings.TrimSpace(r.Measures) == "" || strings.TrimSpace(r.Facts) == "" {
		return Request{}, errs.New(errs.Invalid, op, "the summary of facts and the assistance requested are required before sending")
	}
	if miss := r.MissingTranslations(); len(miss) > 0 {
		return Request{}, &errs.E{Kind: errs.Invalid, Op: op, Code: "translation-missing", Msg: "the translation into " + strings.Join(miss, ", ") + " is marked required and not done yet"}
	}
	if s.d.Fed == nil {
		return Request{}, errs.New(errs.Invalid, op, "this node is not connected to other countries")
	}
	now := s.d.Clock.Now()
	r.Digest = Digest(r)
	r.SignedBy, r.SignedAt, r.SentAt, r.Status = actor.Username, now, now, StatusSent
	// Until the requested node acknowledges receipt, the recognition
	// deadline counts from sending.
	r.RecogniseDue = now.Add(s.cfg.RecogniseDeadline)
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		sent, err := markSent(ctx, tx, r, now)
		if err != nil {
			return err
		}
		if !sent {
			return &errs.E{Kind: errs.Conflict, Op: op, Code: "bad-transition", Msg: "the request was changed meanwhile"}
		}
		if err := s.event(ctx, tx, r.ID, actor.Username, "signed", "", "SHA-256 "+r.Digest); err != nil {
			return err
		}
		if err := s.event(ctx, tx, r.ID, actor.Username, "status", StatusSent, "to "+r.TargetNode+" via the "+r.Channel+" channel"); err != nil {
			return err
		}
		if _, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: r.TargetNode, Type: TypeRequest, Conversation: "mla/" + r.ID, Payload: toWire(r), Summary: summary(r), Actor: actor}); err != nil {
			return err
		}
		return s.queueAudit(ctx, tx, actor, "mla.request.send", r.ID, "signed "+r.Digest+"; to "+r.TargetNode)
	})
	if err != nil {
		return Request{}, dbErr(op, "could not send the request", err)
	}
	s.d.Fed.Notify()
	return s.Get(ctx, actor, r.ID)
}

// Transition moves a request to another status following the table:
// the requesting side withdraws; the requested side recognises (in
// execution), reports partial or full execution, or refuses with a reason.
// Recognition, refusal and withdrawal are decisions of a prosecutor.
func (s *Service) Transition(ctx context.Context, actor *auth.Principal, id string, in Change) (Request, error) {
	const op = "mla.Transition"
	if err := auth.Authorize(actor, auth.ActMLAUpdate); err != nil {
		return Request{}, err
	}
	r, err := s.visible(ctx, actor, id)
	if err != nil {
		return Request{}, err
	}
	t, ok := lookup(r.Status, in.Status)
	if !ok || t.by == system || (t.by == requester) != (r.Direction == Outgoing) {
		return Request{}, &errs.E{Kind: errs.Conflict, Op: op, Code: "bad-transition",
			Msg: "a request that is " + StatusLabels[r.Status] + " cannot be moved to " + orQuote(StatusLabels[in.Status], in.Status) + " by the " + sideName(r.Direction) + " side"}
	}
	if in.Status == StatusSent {
		return s.Send(ctx, actor, id)
	}
	decision := in.Status == StatusRefused || in.Status == StatusWithdrawn || in.Status == StatusInExecution
	if decision && !actor.Has(auth.RoleProsecutor) {
		return Request{}, &errs.E{Kind: errs.Forbidden, Op: op, Code: "prosecutor-only", Msg: "recognising, refusing or withdrawing a judicial request is a prosecutor's decision"}
	}
	if in.Reason, err = validate.Field(op, "reason", in.Reason, 4000, t.reason); err != nil {
		return Request{}, err
	}
	if in.Note, err = validate.Field(op, "note", in.Note, 20000, false); err != nil {
		return Request{}, err
	}
	now := s.d.Clock.Now()
	u := update{RequestID: r.ID, Kind: "status", Status: in.Status, Reason: in.Reason, Note: in.Note, Actor: actor.Username, At: now}
	if in.Status == StatusInExecution {
		u.ExecuteDue = now.Add(s.cfg.ExecuteDeadline)
	}
	detail := r.Status + " → " + in.Status
	if in.Reason != "" {
		detail += "; reason: " + in.Reason
	}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := s.apply(ctx, tx, r, u, s.d.NodeID); err != nil {
			return err
		}
		if r.Status != StatusDraft { // a withdrawn draft never left this node
			if err := s.notifyPeer(ctx, tx, actor, r, u); err != nil {
				return err
			}
		}
		return s.queueAudit(ctx, tx, actor, "mla.request.status", r.ID, detail)
	})
	if err != nil {
		return Request{}, dbErr(op, "could not change the status", err)
	}
	if r.Status != StatusDraft {
		s.d.Fed.Notify()
	}
	return s.Get(ctx, actor, r.ID)
}

func orQuote(label, raw string) string {
	if label != "" {
		return label
	}
	return quote(raw)
}

func sideName(direction string) string {
	if direction == Outgoing {
		return "requesting"
	}
	return "requested"
}

// Extend extends the recognition deadline once, with a reason, on the
// requested side, and tells the requesting side.
func (s *Service) Extend(ctx context.Context, actor *auth.Principal, id, reason string) (Request, error) {
	const op = "mla.Extend"
	if err := auth.Authorize(actor, auth.ActMLAUpdate); err != nil {
		return Request{}, err
	}
	if !actor.Has(auth.RoleProsecutor) {
		return Request{}, &errs.E{Kind: errs.Forbidden, Op: op, Code: "prosecutor-only", Msg: "extending the recognition deadline is a prosecutor's decision"}
	}
	reason, err := validate.Field(op, "reason for the extension", reason, 4000, true)
	if err != nil {
		return Request{}, err
	}
	r, err := s.visible(ctx, actor, id)
	if err != nil {
		return Request{}, err
	}
	if r.Direction != Incoming || r.Status != StatusReceived {
		return Request{}, &errs.E{Kind: errs.Conflict, Op: op, Code: "bad-transition", Msg: "the requested side extends the recognition deadline of a received request, before deciding on it"}
	}
	if r.Extended {
		return Request{}, &errs.E{Kind: errs.Conflict, Op: op, Code: "already-extended", Msg: "the recognition deadline was already extended once"}
	}
	now := s.d.Clock.Now()
	u := update{RequestID: r.ID, Kind: "extension", Reason: reason, Actor: actor.Username, At: now, RecogniseDue: r.RecogniseDue.Add(s.cfg.Extension)}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := s.apply(ctx, tx, r, u, s.d.NodeID); err != nil {
			return err
		}
		if err := s.notifyPeer(ctx, tx, actor, r, u); err != nil {
			return err
		}
		return s.queueAudit(ctx, tx, actor, "mla.request.extend", r.ID, "recognition due "+store.FormatTime(u.RecogniseDue)+"; reason: "+reason)
	})
	if err != nil {
		return Request{}, dbErr(op, "could not extend the deadline", err)
	}
	s.d.Fed.Notify()
	return s.Get(ctx, actor, r.ID)
}

// apply writes a status change or an extension to this node's copy, with
// its timeline event. by is the node that made the change.
func (s *Service) apply(ctx context.Context, tx *store.Tx, r Request, u update, by string) error {
	actor := u.Actor
	if by != s.d.NodeID {
		actor = u.Actor + "@" + by
	}
	if u.Kind == "extension" {
		if err := extendRecognition(ctx, tx, r.ID, u.RecogniseDue, s.d.Clock.Now()); err != nil {
			return err
		}
		return insertEvent(ctx, tx, r.ID, u.At, by, actor, "extension", "", "recognition due "+u.RecogniseDue.Format("2006-01-02")+"; "+u.Reason)
	}
	changed, err := applyStatus(ctx, tx, r.ID, r.Status, u, s.d.Clock.Now())
	if err != nil {
		return err
	}
	if !changed {
		return &errs.E{Kind: errs.Conflict, Op: "mla.apply", Code: "bad-transition", Msg: "the request was changed meanwhile; reload it"}
	}
	note := u.Reason
	if u.Note != "" {
		if note != "" {
			note += "\n\n"
		}
		note += u.Note
	}
	return insertEvent(ctx, tx, r.ID, u.At, by, actor, "status", u.Status, note)
}

func (s *Service) notifyPeer(ctx context.Context, tx *store.Tx, actor *auth.Principal, r Request, u update) error {
	if s.d.Fed == nil {
		return errs.New(errs.Invalid, "mla", "this node is not connected to other countries")
	}
	u.Summary = "judicial request " + r.ID + ": " + u.Kind + " " + u.Status
	_, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: r.Counterpart(), Type: TypeUpdate, Conversation: "mla/" + r.ID, Payload: u, Summary: u.Summary, Actor: actor})
	return err
}

func (s *Service) event(ctx context.Context, tx *store.Tx, id, actor, kind, status, note string) error {
	return insertEvent(ctx, tx, id, s.d.Clock.Now(), s.d.NodeID, actor, kind, status, note)
}

func (s *Service) auditEntry(actor *auth.Principal, action, id, detail string) audit.Entry {
	name, agency := "system:mla", s.d.NodeID
	if actor != nil {
		name, agency = actor.Username, actor.Agency
	}
	return audit.Entry{Actor: name, Agency: agency, Action: action, Object: "mla/" + id, Detail: detail}
}

// audit records a read, which changes no state.
func (s *Service) audit(ctx context.Context, actor *auth.Principal, action, id, detail string) error {
	return s.d.Audit.Record(ctx, s.auditEntry(actor, action, id, detail))
}

// queueAudit queues the audit entry of a change in its transaction.
func (s *Service) queueAudit(ctx context.Context, tx *store.Tx, actor *auth.Principal, action, id, detail string) error {
	return s.d.Audit.Queue(ctx, tx, s.auditEntry(actor, action, id, detail))
}

func pt(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	return store.ParseTime(s)
}

// flags computes the overdue and due-soon flags and the next statuses.
func (s *Service) flags(r *Request) {
	now := s.d.Clock.Now()
	due := time.Time{}
	what := ""
	switch r.Status {
	case StatusSent, StatusReceived:
		due, what = r.RecogniseDue, "recognition"
	case StatusInExecution, StatusPartial:
		due, what = r.ExecuteDue, "execution"
	}
	if !due.IsZero() {
		if !now.Before(due) {
			r.Overdue = what
		} else if !now.Before(due.Add(-s.cfg.RemindBefore)) {
			r.DueSoon = true
		}
	}
	r.Next = Next(r.Status, r.Direction)
	if r.Next == nil {
		r.Next = []string{}
	}
}
