package activities

import (
	"context"
	"log/slog"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/directory"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/match"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// Federation is what the registry needs from the federation layer.
type Federation interface {
	Peers(ctx context.Context) ([]federation.Peer, error)
	Enqueue(ctx context.Context, tx *store.Tx, m federation.Outgoing) (string, error)
	Notify()
}

// Deps are the service's collaborators. Fed may be nil (no replication).
type Deps struct {
	Store  *store.Store
	Audit  *audit.Log
	Fed    Federation
	Clock  clock.Clock
	Logger *slog.Logger
	Node   string
}

// Service is the activity registry of one node.
type Service struct {
	d Deps
}

// New builds the service.
func New(d Deps) *Service {
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{d: d}
}

// Node is the ID of the node the registry belongs to.
func (s *Service) Node() string { return s.d.Node }

func actorOf(p *auth.Principal) (string, string) {
	if p == nil {
		return "system", ""
	}
	return p.Username, p.Agency
}

func (s *Service) record(ctx context.Context, p *auth.Principal, action, object, detail string) error {
	actor, agency := actorOf(p)
	return s.d.Audit.Record(ctx, audit.Entry{Actor: actor, Agency: agency, Action: action, Object: object, Detail: textutil.Ellipsis(detail, 1000)})
}

// recordTx queues the audit entry of a change in the change's transaction:
// the change and its entry commit together or not at all.
func (s *Service) recordTx(ctx context.Context, tx *store.Tx, p *auth.Principal, action, object, detail string) error {
	actor, agency := actorOf(p)
	return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: actor, Agency: agency, Action: action, Object: object, Detail: textutil.Ellipsis(detail, 1000)})
}

func (s *Service) authorize(ctx context.Context, p *auth.Principal, a auth.Action, object string) error {
	if err := auth.Authorize(p, a); err != nil {
		if p != nil {
			actor, agency := actorOf(p)
			_ = s.d.Audit.Record(ctx, audit.Entry{Actor: actor, Agency: agency, Action: string(a), Object: object, Outcome: audit.Denied, Detail: errs.SafeMessage(err)})
		}
		return err
	}
	return nil
}

// ownerCheck refuses changes to another node's entry. It runs inside
// write transactions, so the refusal is audited afterwards by refused.
func (s *Service) ownerCheck(owner, op string) error {
	if owner == s.d.Node {
		return nil
	}
	return &errs.E{Kind: errs.Forbidden, Op: op, Code: "not-owner",
		Msg: "this entry was published by node " + owner + " and only that node may change it; contact its publisher"}
}

// refused finishes a write whose transaction failed: refusals are audited
// as denied (best effort), the error returned. A write that succeeded was
// audited in its transaction (recordTx).
func (s *Service) refused(ctx context.Context, p *auth.Principal, err error, action, object string) error {
	if err == nil {
		return nil
	}
	if errs.Is(err, errs.Forbidden) || errs.Is(err, errs.Conflict) {
		actor, agency := actorOf(p)
		_ = s.d.Audit.Record(ctx, audit.Entry{Actor: actor, Agency: agency, Action: action, Object: object, Outcome: audit.Denied, Detail: errs.SafeMessage(err)})
	}
	return dbErr(action, err)
}

func dbErr(op string, err error) error {
	return errs.WrapPlain(errs.Unavailable, op, "the activity registry database is unavailable", err)
}

// CountryName returns the directory's name for a country code.
func (s *Service) CountryName(ctx context.Context, code string) string {
	n, err := countryName(ctx, s.d.Store, code)
	if err != nil {
		return code
	}
	return n
}

// clean validates an input; field names in messages are the JSON names so
// imports can point at the column.
func (s *Service) clean(ctx context.Context, op string, in Input) (Input, error) {
	var err error
	if in.Title, err = text(op, "title", in.Title, 300, true); err != nil {
		return in, err
	}
	if in.Description, err = text(op, "description", in.Description, 10000, false); err != nil {
		return in, err
	}
	k, ok := resolve(Kinds, in.Kind)
	if !ok {
		return in, errs.Newf(errs.Invalid, op, "kind %q is not known; use one of %s", textutil.Ellipsis(in.Kind, 40), slugList(Kinds))
	}
	in.Kind = k
	if in.Implementer, err = text(op, "implementer", in.Implementer, 300, true); err != nil {
		return in, err
	}
	if in.Donor, err = text(op, "donor", in.Donor, 300, true); err != nil {
		return in, err
	}
	if in.Budget < 0 {
		return in, errs.New(errs.Invalid, op, "budget cannot be negative")
	}
	in.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	if in.Currency == "" {
		in.Currency = "EUR"
	}
	if _, ok := eurRates[in.Currency]; !ok {
		return in, errs.Newf(errs.Invalid, op, "currency %q is not supported; use one of %s", textutil.Ellipsis(in.Currency, 10), strings.Join(Currencies(), ", "))
	}
	names, err := countryNames(ctx, s.d.Store)
	if err != nil {
		return in, dbErr(op, err)
	}
	seen := map[string]bool{}
	var countries []string
	addCountry := func(c string) error {
		c = strings.ToUpper(strings.TrimSpace(c))
		if c == "" || seen[c] {
			return nil
		}
		if _, ok := names[c]; !ok {
			return errs.Newf(errs.Invalid, op, "countries: unknown country code %q (use AL, BA, ME, MK, RS or XK)", textutil.Ellipsis(c, 20))
		}
		seen[c] = true
		countries = append(countries, c)
		return nil
	}
	for _, c := range in.Countries {
		if err := addCountry(c); err != nil {
			return in, err
		}
	}
	var agencies []Beneficiary
	for _, b := range in.Agencies {
		b.Country = strings.ToUpper(strings.TrimSpace(b.Country))
		if b.Agency, err = text(op, "agencies", b.Agency, 200, true); err != nil {
			return in, err
		}
		if b.Country == "" {
			return in, errs.Newf(errs.Invalid, op, "agencies: give the country of %q", textutil.Ellipsis(b.Agency, 60))
		}
		if err := addCountry(b.Country); err != nil {
			return in, err
		}
		dup := false
		for _, x := range agencies {
			dup = dup || sameAgency(x, b)
		}
		if !dup {
			agencies = append(agencies, b)
		}
	}
	if len(countries) == 0 {
		return in, errs.New(errs.Invalid, op, "countries: name at least one beneficiary country")
	}
	in.Countries, in.Agencies = countries, agencies
	var themes []string
	for _, t := range in.Themes {
		if strings.TrimSpace(t) == "" {
			continue
		}
		slug, ok := resolveTheme(t)
		if !ok {
			return in, errs.Newf(errs.Invalid, op, "themes: %q is not in the theme list (%s)", textutil.Ellipsis(t, 60), slugList(directory.Themes))
		}
		if !slices.Contains(themes, slug) {
			themes = append(themes, slug)
		}
	}
	if len(themes) == 0 {
		return in, errs.New(errs.Invalid, op, "themes: choose at least one theme")
	}
	in.Themes = themes
	if in.StartDate, err = parseDay(op, "start_date", in.StartDate, true); err != nil {
		return in, err
	}
	if in.EndDate, err = parseDay(op, "end_date", in.EndDate, true); err != nil {
		return in, err
	}
	if in.EndDate < in.StartDate {
		return in, errs.Newf(errs.Invalid, op, "end_date %s is before start_date %s", in.EndDate, in.StartDate)
	}
	if in.ExpectedResults, err = text(op, "expected_results", in.ExpectedResults, 5000, false); err != nil {
		return in, err
	}
	var ind []string
	for _, i := range in.Indicators {
		v, err := text(op, "indicators", i, 500, false)
		if err != nil {
			return in, err
		}
		if v != "" {
			ind = append(ind, v)
		}
	}
	in.Indicators = ind
	if in.Beneficiaries < 0 {
		return in, errs.New(errs.Invalid, op, "beneficiaries cannot be negative")
	}
	if in.ContactName, err = text(op, "contact_name", in.ContactName, 200, false); err != nil {
		return in, err
	}
	if in.ContactEmail, err = text(op, "contact_email", in.ContactEmail, 200, false); err != nil {
		return in, err
	}
	if in.ContactEmail != "" && !emailRE.MatchString(in.ContactEmail) {
		return in, errs.Newf(errs.Invalid, op, "contact_email %q is not an e-mail address", textutil.Ellipsis(in.ContactEmail, 60))
	}
	if in.ContactPhone, err = text(op, "contact_phone", in.ContactPhone, 50, false); err != nil {
		return in, err
	}
	var docs []Document
	for _, d := range in.Documents {
		d.Title, d.URL = strings.TrimSpace(d.Title), strings.TrimSpace(d.URL)
		if d.URL == "" {
			continue
		}
		u, err := url.Parse(d.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return in, errs.Newf(errs.Invalid, op, "documents: %q must be an http(s) link", textutil.Ellipsis(d.URL, 80))
		}
		if d.Title == "" {
			d.Title = d.URL
		}
		docs = append(docs, d)
	}
	in.Documents = docs
	return in, nil
}

func resolveTheme(t string) (string, bool) {
	f := fold(t)
	us := strings.ReplaceAll(f, " ", "_")
	for _, c := range directory.Themes {
		if c.Slug == us || fold(c.Label) == f {
			return c.Slug, true
		}
	}
	// Words in the region's languages map to the same concept as the label.
	w := sortedWords(t)
	for _, c := range directory.Themes {
		lw := sortedWords(c.Label)
		if w != "" && w == lw {
			return c.Slug, true
		}
	}
	return "", false
}

func sortedWords(s string) string {
	w := Words(s)
	sort.Strings(w)
	return strings.Join(w, " ")
}

// sameAgency compares beneficiary agencies written differently: dashes,
// diacritics, scripts, word order and small spelling differences.
func sameAgency(a, b Beneficiary) bool {
	if a.Country != b.Country {
		return false
	}
	wa, wb := Words(a.Agency), Words(b.Agency)
	if len(wa) == 0 || len(wb) == 0 {
		return fold(a.Agency) == fold(b.Agency)
	}
	if len(wa) != len(wb) {
		return false
	}
	return match.TokenSetSimilarity(wa, wb) >= 0.95
}

func activitySearch(a Activity) string {
	parts := []string{a.Title, a.Description, a.Donor, a.Implementer, a.ExpectedResults, strings.Join(a.Countries, " ")}
	for _, b := range a.Agencies {
		parts = append(parts, b.Agency)
	}
	for _, t := range a.Themes {
		parts = append(parts, ThemeLabel(t))
	}
	return searchText(parts...)
}

func formatOptTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return store.FormatTime(t)
}

// visible reports whether p may see a: published activities are public to
// every user; drafts only to the editors of the node that drafts them.
func (s *Service) visible(p *auth.Principal, a Activity) bool {
	return a.Published || (a.OwnerNode == s.d.Node && auth.Can(p, auth.ActActivityEdit))
}

// Create saves a new draft. Nothing leaves the node until it is published.
func (s *Service) Create(ctx context.Context, p *auth.Principal, in Input) (Activity, error) {
	const op = "activities.Create"
	if err := s.authorize(ctx, p, auth.ActActivityEdit, "activities"); err != nil {
		return Activity{}, err
	}
	in, err := s.clean(ctx, op, in)
	if err != nil {
		return Activity{}, err
	}
	var a Activity
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		a, err = s.create(ctx, tx, p, in)
		return err
	})
	if err != nil {
		return Activity{}, dbErr(op, err)
	}
	return a, nil
}

// create saves a new draft from a cleaned input in tx, with its audit entry.
func (s *Service) create(ctx context.Context, tx *store.Tx, p *auth.Principal, in Input) (Activity, error) {
	now := s.d.Clock.Now()
	by, _ := actorOf(p)
	a := fromInput(Activity{ID: store.NewID(), OwnerNode: s.d.Node, Version: 1, Status: "draft", CreatedAt: now, CreatedBy: by}, in)
	a.UpdatedAt, a.UpdatedBy = now, by
	if err := writeActivity(ctx, tx, a, true); err != nil {
		return Activity{}, err
	}
	return a, s.recordTx(ctx, tx, p, "activities.create", "activity/"+a.ID, a.Title)
}

// emptyLists gives absent lists as empty ones, so they encode as [] in JSON.
func (a *Activity) emptyLists() {
	if a.Countries == nil {
		a.Countries = []string{}
	}
	if a.Agencies == nil {
		a.Agencies = []Beneficiary{}
	}
	if a.Indicators == nil {
		a.Indicators = []string{}
	}
	if a.Documents == nil {
		a.Documents = []Document{}
	}
	if a.Resolutions == nil {
		a.Resolutions = []Resolution{}
	}
}

func fromInput(a Activity, in Input) Activity {
	a.Title, a.Description, a.Kind, a.Implementer, a.Donor = in.Title, in.Description, in.Kind, in.Implementer, in.Donor
	a.Budget, a.Currency, a.Countries, a.Agencies, a.Themes = in.Budget, in.Currency, in.Countries, in.Agencies, in.Themes
	a.StartDate, a.EndDate, a.ExpectedResults, a.Indicators, a.Beneficiaries = in.StartDate, in.EndDate, in.ExpectedResults, in.Indicators, in.Beneficiaries
	a.ContactName, a.ContactEmail, a.ContactPhone, a.Documents = in.ContactName, in.ContactEmail, in.ContactPhone, in.Documents
	a.emptyLists()
	return a
}

// Update changes an activity of this node. in.Version must be the version
// the caller edited. Changes to a published activity replicate to peers.
func (s *Service) Update(ctx context.Context, p *auth.Principal, id string, in Input) (Activity, error) {
	const op = "activities.Update"
	if err := s.authorize(ctx, p, auth.ActActivityEdit, "activity/"+id); err != nil {
		return Activity{}, err
	}
	in, err := s.clean(ctx, op, in)
	if err != nil {
		return Activity{}, err
	}
	var out Activity
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		cur, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.ownerCheck(cur.OwnerNode, op); err != nil {
			return err
		}
		if in.Version != 0 && in.Version != cur.Version {
			return &errs.E{Kind: errs.Conflict, Op: op, Code: "version-conflict", Msg: "someone changed this activity since you opened it; reload and apply your change again"}
		}
		if cur.MergedInto != "" {
			return errs.New(errs.Conflict, op, "this draft was merged into another activity and can no longer be changed")
		}
		a := fromInput(cur, in)
		if in.Status != "" && in.Status != cur.Status {
			st, ok := resolve(Statuses, in.Status)
			if !ok {
				return errs.Newf(errs.Invalid, op, "status %q is not known; use one of %s", textutil.Ellipsis(in.Status, 20), slugList(Statuses))
			}
			if !cur.Published && st != "draft" {
				return errs.New(errs.Invalid, op, "a draft becomes planned or ongoing by publishing it, after the overlap check")
			}
			if cur.Published && st == "draft" {
				return errs.New(errs.Invalid, op, "a published activity cannot return to draft; set it to cancelled instead")
			}
			a.Status = st
		}
		a.Version++
		a.UpdatedAt, a.UpdatedBy = s.d.Clock.Now(), p.Username
		if err := writeActivity(ctx, tx, a, false); err != nil {
			return err
		}
		out = a
		if a.Published {
			if err := s.replicate(ctx, tx, p, Publication{Kind: "activity", Activity: &a}); err != nil {
				return err
			}
		}
		return s.recordTx(ctx, tx, p, "activities.update", "activity/"+id, "version "+strconv.FormatInt(a.Version, 10))
	})
	if err := s.refused(ctx, p, err, "activities.update", "activity/"+id); err != nil {
		return Activity{}, err
	}
	s.notify(out.Published)
	return out, nil
}

func (s *Service) notify(sent bool) {
	if sent && s.d.Fed != nil {
		s.d.Fed.Notify()
	}
}

// Get returns one activity. Reading is audited: it holds professional
// contact details.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id string) (Activity, error) {
	if err := s.authorize(ctx, p, auth.ActActivityView, "activity/"+id); err != nil {
		return Activity{}, err
	}
	a, err := s.get(ctx, s.d.Store, id)
	if err != nil {
		return a, err
	}
	if !s.visible(p, a) {
		return Activity{}, errs.New(errs.NotFound, "activities.Get", "no such activity")
	}
	return a, s.record(ctx, p, "activities.read", "activity/"+id, "")
}

// Filter selects activities.
type Filter struct {
	Country string
	Theme   string
	Kind    string
	Status  string
	Owner   string
	Agency  string
	Query   string
	Year    int
	Drafts  bool // include this node's drafts (editors only)
}

// List returns the activities matching f, newest start first.
func (s *Service) List(ctx context.Context, p *auth.Principal, f Filter) ([]Activity, error) {
	const op = "activities.List"
	if err := s.authorize(ctx, p, auth.ActActivityView, "activities"); err != nil {
		return nil, err
	}
	out, err := s.list(ctx, f, f.Drafts && auth.Can(p, auth.ActActivityEdit))
	if err != nil {
		return nil, dbErr(op, err)
	}
	return out, nil
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
