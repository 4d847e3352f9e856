package alerts

import (
	"cmp"
	"context"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/match"
	"github.com/liaison-wb/liaison/internal/match/candidx"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
	"github.com/liaison-wb/liaison/internal/validate"
)

// Decision bands: a check reports a hit ("HIT") for an exact identifier
// or a score in the matching engine's high band, and a possible hit, which
// the officer verifies, in its medium (review) band — the same bands as
// the case database's hit/no-hit search (match.Band). Scores come from the
// node's register model (match.FitRegister, fitted on its case database)
// with the prior of one alert among those in force
// (match.ExclusivePosteriors). A model with the engine's generic default
// weights (tools and tests without a case database) gives scores that are
// not calibrated probabilities: there possible hits start lower
// (defaultReview).
const (
	highScore      = match.HighScore
	medScore       = match.MediumScore
	defaultReview  = 0.6
	candidateLimit = 64
	perKeyLimit    = 200
)

// registerSize is the number of alerts a check is compared with, for the
// prior of each (0 before the index is built: the prior's floor applies).
func (s *Service) registerSize() int {
	if s.ix.State() != candidx.Ready {
		return 0
	}
	return s.ix.Live()
}

// reviewFloor is where possible hits start under a model.
func reviewFloor(m *match.Model) float64 {
	if m != nil && m.Fitted {
		return medScore
	}
	return defaultReview
}

// CheckProbe is what one search box was understood as.
type CheckProbe struct {
	Name        string   `json:"name,omitempty"`
	DateOfBirth string   `json:"date_of_birth,omitempty"`
	Sex         string   `json:"sex,omitempty" doc:"m or f, when given beside the query (batch rows)"`
	Nationality string   `json:"nationality,omitempty" doc:"ISO code, when given beside the query (batch rows)"`
	Identifiers []string `json:"identifiers,omitempty" doc:"document or national numbers, plates, VINs, serial numbers (normalised)"`
}

// maxQueryRunes bounds what one check may type.
const maxQueryRunes = 200

// ParseQuery reads one search box: words are a name (any script, any
// order), a date is the date of birth, and anything with digits is an
// identifier (document, national number, plate, VIN, serial). The whole
// input without spaces is also tried as one identifier, so "BG 123 AB"
// finds the plate BG123AB.
func ParseQuery(q string) (CheckProbe, error) {
	var p CheckProbe
	q = strings.TrimSpace(q)
	if q == "" {
		return p, errs.New(errs.Invalid, "alerts.Check", "type a name, date of birth, document or national number, plate, VIN or serial number")
	}
	if !utf8.ValidString(q) || utf8.RuneCountInString(q) > maxQueryRunes {
		return p, errs.New(errs.Invalid, "alerts.Check", "a check is limited to 200 characters")
	}
	var names []string
	addID := func(v string) {
		if n := identNorm(v); len(n) >= 4 && !slices.Contains(p.Identifiers, n) {
			p.Identifiers = append(p.Identifiers, n)
		}
	}
	toks := strings.FieldsFunc(q, func(r rune) bool { return unicode.IsSpace(r) || r == ',' || r == ';' })
	for _, t := range toks {
		hasDigit := strings.ContainsFunc(t, unicode.IsDigit)
		if !hasDigit {
			names = append(names, t)
			continue
		}
		if p.DateOfBirth == "" && (strings.ContainsAny(t, ".-/") || len(t) == 8) {
			raw := strings.TrimSuffix(t, ".")
			d, err := entity.ParseDate(raw)
			switch {
			case err == nil && d.Full():
				p.DateOfBirth = d.String()
				if strings.ContainsAny(t, ".-/") {
					continue
				}
			case err != nil && d.Full() && d.Year >= 1900 && d.Year <= 2100:
				// A date typed with a typo (13.16.1998, 95.1.1966): still the
				// date of birth, compared digit by digit by the engine,
				// rather than an identifier.
				p.DateOfBirth = raw
				if strings.ContainsAny(t, ".-/") {
					continue
				}
			case strings.ContainsAny(t, ".-/") && d.Year != 0:
				// A partial date (1993-07) or one with a mistyped year
				// (10.3.7951.): what is known of the date of birth.
				p.DateOfBirth = raw
				continue
			}
		}
		addID(t)
	}
	// A year beside a name is the year of birth ("Arta Kola 1978"), not
	// an identifier.
	if p.DateOfBirth == "" && len(names) > 0 {
		for i, id := range p.Identifiers {
			if y, err := strconv.Atoi(id); err == nil && len(id) == 4 && y >= 1900 && y <= 2100 {
				p.DateOfBirth = id
				p.Identifiers = slices.Delete(p.Identifiers, i, i+1)
				break
			}
		}
	}
	if len(toks) > 1 && strings.ContainsFunc(q, unicode.IsDigit) {
		addID(q)
	}
	p.Name = strings.Join(names, " ")
	if len(p.Identifiers) > 12 {
		p.Identifiers = p.Identifiers[:12]
	}
	return p, nil
}

// scoredAlert is an alert found for a probe with its score.
type scoredAlert struct {
	Alert       Alert
	Score       float64
	Exact       string // the identifier that matched exactly
	Explanation []match.FieldExplanation
	// Unsettled: below the review floor only because of the probe's date
	// of birth (see dateQuestion).
	Unsettled bool
	// DateToCheck: at or above the floor, and the probe's date of birth
	// does not agree with the alert's (see dateQuestion). Such a match is
	// never a HIT.
	DateToCheck bool
	// OtherName: a name of the check agrees with the alert's only as
	// similar or weak, and is itself a name the register holds (Šarić
	// checked, Marić alerted): another name, not a typing error of the
	// alert's. Such a match is never a HIT; the officer compares the
	// document.
	OtherName bool
}

// probeDate is what a check's date of birth can settle.
type probeDate uint8

const (
	// dateNone: no date, or only a year or a year and month.
	dateNone probeDate = iota
	// dateFull: a full date that can be a date of birth.
	dateFull
	// dateInvalid: a full date that cannot be one (month 18, year 7959,
	// a day in the future): a typing error, which compares as no date.
	dateInvalid
)

// readProbeDate classes a check's date of birth as of today.
func readProbeDate(raw string, today time.Time) probeDate {
	if raw == "" {
		return dateNone
	}
	d, err := entity.ParseDate(raw)
	switch {
	case !d.Full():
		return dateNone
	case err != nil || d.Year < 1900 || time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC).After(today):
		return dateInvalid
	}
	return dateFull
}

// searchOpts says what a search is for: a check asks about the date of
// birth it carries; a search for alerts on the same subject does not.
type searchOpts struct {
	check bool
	date  probeDate
}

func (s *Service) probeRecord(p CheckProbe) (entity.Person, bool) {
	if p.Name == "" {
		return entity.Person{}, false
	}
	v := map[string]string{match.ColID: "probe", match.ColFull: p.Name, match.ColDOB: p.DateOfBirth, match.ColSex: p.Sex, match.ColNationality: p.Nationality}
	for _, id := range p.Identifiers {
		if len(id) == 13 && digits(id) {
			v[match.ColPersonalID] = id
			break
		}
	}
	return match.PersonFromFields(v, s.d.Region), true
}

// candidate is an alert found by its keys, with what it is compared on.
type candidate struct {
	id      string
	persons []match.Prepared
	idents  []string
	alert   *Alert // already read (database path)
}

// search finds the alerts in force on this node for a probe at or above
// the review floor of the node's model, best first: persons by the matching engine over the candidates
// sharing its index keys, objects and documents by exact normalised
// identifiers. Candidates come from the in-memory index (or the
// alerts_keys table while it is being built) and are read back from the
// database, in force, before they are returned. For a check, persons
// that the probe's date of birth leaves open are returned too, marked,
// and matches that only the alert's own date would make a HIT are marked
// as such (dateQuestion).
func (s *Service) search(ctx context.Context, q store.Querier, people []entity.Person, idents []string, o searchOpts) ([]scoredAlert, error) {
	var keys []int64
	for i := range people {
		for _, k := range match.IndexKeys(&people[i], nil) {
			keys = append(keys, int64(k))
		}
	}
	for _, id := range idents {
		keys = append(keys, hashKey(tagIdent, id))
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	var cands []candidate
	if s.ensureIndex(ctx) {
		for _, c := range s.ix.Lookup(keys, candidateLimit, commonKey) {
			cands = append(cands, candidate{id: c.ID, persons: c.Rec.persons, idents: c.Rec.idents})
		}
	} else {
		ids, err := candidateIDs(ctx, q, keys, candidateLimit, perKeyLimit)
		if err != nil || len(ids) == 0 {
			return nil, err
		}
		got, err := s.alertsByID(ctx, q, ids, true)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if a, ok := got[id]; ok {
				cands = append(cands, candidate{id: id, persons: preparePersons(a, s.d.Region), idents: identifiers(a), alert: &a})
			}
		}
	}
	if len(cands) == 0 {
		return nil, nil
	}
	best := map[string]scoredAlert{}
	// Exact identifiers.
	for _, c := range cands {
		for _, id := range c.idents {
			if slices.Contains(idents, id) {
				best[c.id] = scoredAlert{Score: 1, Exact: id,
					Explanation: []match.FieldExplanation{{Field: "identifier", Level: "exact", Weight: 10, Left: id, Right: id}}}
				break
			}
		}
	}
	// Persons by the engine.
	if len(people) > 0 {
		var right []*match.Prepared
		var owner []string
		for _, c := range cands {
			for i := range c.persons {
				right = append(right, &c.persons[i])
				owner = append(owner, c.id)
			}
		}
		if len(right) > 0 {
			model, prior, err := s.registerModel(ctx)
			if err != nil {
				return nil, err
			}
			// Every compared alert is kept: the register's prior is shared
			// between them (match.ExclusivePosteriors) before the floor.
			res := match.Search(model, people, right, 1e-300)
			// Each alert is weighed by its best pair; the field by field
			// explanation is built only for the alerts reported or left
			// open.
			type weighed struct {
				w    float64
				pair match.Pair
				// dated: the alert's person has a full date of birth.
				dated bool
			}
			engine := map[string]weighed{}
			for _, pr := range res.Pairs {
				id := owner[pr.Right]
				w := res.PairWeight(pr)
				if b, ok := engine[id]; ok && b.w >= w {
					continue
				}
				engine[id] = weighed{w, pr, right[pr.Right].FullDOB()}
			}
			explain := func(pr match.Pair) []match.FieldExplanation {
				var fields []match.FieldExplanation
				for _, fe := range res.Explain(pr).Fields {
					if fe.Level != "missing" && fe.Level != "" {
						fields = append(fields, fe)
					}
				}
				return fields
			}
			ids := make([]string, 0, len(engine))
			weights := make([]float64, 0, len(engine))
			patterns := make([]match.Pattern, 0, len(engine))
			for id, e := range engine {
				ids = append(ids, id)
				weights = append(weights, e.w)
				patterns = append(patterns, e.pair.Pattern)
			}
			floor := reviewFloor(model)
			// Two countries' alerts on one person are not rivals.
			for i, post := range match.JointPosteriors(match.ExclusivePosteriors(weights, prior), patterns) {
				id := ids[i]
				if _, ok := best[id]; ok && best[id].Score >= post {
					continue
				}
				e := engine[id]
				reported := post >= floor
				asked := o.check && e.dated && dateQuestion(model, post, e.pair.Pattern, floor, o.date)
				if !reported && !asked {
					continue
				}
				fields := explain(e.pair)
				switch {
				case reported:
					best[id] = scoredAlert{Score: post, Explanation: fields, DateToCheck: asked, OtherName: o.check && otherName(model, fields)}
				case asked:
					if _, ok := best[id]; !ok {
						best[id] = scoredAlert{Score: post, Explanation: fields, Unsettled: true}
					}
				}
			}
		}
	}
	// Only the best alerts left open are listed: a common name without a
	// date can leave dozens open.
	var open []string
	for id, b := range best {
		if b.Unsettled {
			open = append(open, id)
		}
	}
	if len(open) > maxOpen {
		slices.SortFunc(open, func(a, b string) int {
			if c := cmp.Compare(best[b].Score, best[a].Score); c != 0 {
				return c
			}
			return strings.Compare(a, b)
		})
		for _, id := range open[maxOpen:] {
			delete(best, id)
		}
	}
	// Read back what is reported: the database is the source of truth.
	read := map[string]Alert{}
	var need []string
	for _, c := range cands {
		if _, ok := best[c.id]; !ok {
			continue
		}
		if c.alert != nil {
			read[c.id] = *c.alert
		} else {
			need = append(need, c.id)
		}
	}
	if len(need) > 0 {
		got, err := s.alertsByID(ctx, q, need, true)
		if err != nil {
			return nil, err
		}
		for id, a := range got {
			read[id] = a
		}
	}
	out := make([]scoredAlert, 0, len(best))
	for id, b := range best {
		a, ok := read[id]
		if !ok {
			continue // no longer in force
		}
		if b.Exact != "" && !slices.Contains(identifiers(a), b.Exact) {
			continue // changed since it was indexed
		}
		b.Alert = a
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Alert.ID < out[j].Alert.ID
	})
	return out, nil
}

// otherName reports whether a name the check carries agrees with the
// alert's only as similar or weak and is itself a given or family name
// of the register (model.Freq): two names that both exist are two
// names, where a typing error of the alert's name would be one the
// register has not seen.
func otherName(model *match.Model, fields []match.FieldExplanation) bool {
	for _, fe := range fields {
		f, _ := match.ParseField(fe.Field)
		if f != match.FieldGiven && f != match.FieldFamily {
			continue
		}
		if (fe.Level == "similar" || fe.Level == "weak") && fe.Left != fe.Right && model.Freq[f][fe.Left] > 0 && model.Freq[f][fe.Right] > 0 {
			return true
		}
	}
	return false
}

// dateQuestion reports, from the pair's agreement pattern p, whether the
// probe's date of birth leaves a candidate with posterior post open. At
// or above the floor, it does
// whenever the dates do not agree: the probe has none, only a year, one
// that cannot be a date, or another date than the alert's. Such a match
// is never a HIT (a name and a year are not an identity); it is a
// possible hit, and the officer compares the alert's date with the
// document's and checks again with it. Below the floor, it does when
// the alert's own date would raise the candidate to the floor and the
// probe's date does not contradict it (none, a year, one that cannot be
// a date), or to a HIT from a full date one typing error away (a swapped
// day and month, one digit): a check cannot say NO HIT on a date it does
// not have. A full date that disagrees otherwise settles the question
// below the floor, and an identifier that agrees exactly settles it
// everywhere.
func dateQuestion(model *match.Model, post float64, p match.Pattern, floor float64, date probeDate) bool {
	if p.Level(match.FieldID) == int(match.IDExact) {
		return false
	}
	need, contradicts := floor, false
	level := p.Level(match.FieldDOB)
	switch match.DateAgreement(level) {
	case match.DateExact:
		return false
	case match.DateClose:
		if date == dateFull {
			need = highScore
		}
	case match.DatePartial:
		contradicts = date == dateFull // two full dates: not one typing error
	case match.DateDisagree:
		contradicts = date != dateInvalid // another date, or another year
	}
	if post >= floor {
		return true
	}
	if contradicts {
		return false
	}
	// The posterior with the alert's date: its term in the exclusive
	// posteriors' sum grows by 2^Δ and the others stay as they are. (The
	// date's weight depends on its own level only: no conditional of the
	// model is on it.)
	f := math.Exp2(model.Weight(match.FieldDOB, int(match.DateExact)) - model.Weight(match.FieldDOB, level))
	return post*f/(1-post+post*f) >= need
}

// findSubject finds the alerts on the same subject as a.
func (s *Service) findSubject(ctx context.Context, q store.Querier, a Alert, _ bool) ([]scoredAlert, error) {
	return s.search(ctx, q, personRecords(a, s.d.Region), identifiers(a), searchOpts{})
}

// CheckMatch is one alert found by a check, with what the officer must
// know first: the action to take and the warning markers.
type CheckMatch struct {
	AlertID     string                   `json:"alert_id"`
	Certain     bool                     `json:"certain" doc:"exact identifier or high band: HIT; otherwise a possible hit to verify"`
	Band        string                   `json:"band" enum:"high,medium,low" doc:"the matching engine's decision band (high for an exact identifier; low only for an alert left open by the date of birth)"`
	Score       float64                  `json:"score"`
	Action      string                   `json:"action"`
	Warnings    []string                 `json:"warnings"`
	DoNotAct    bool                     `json:"do_not_act" doc:"this country flagged the alert: do not execute it here; report the hit only"`
	FlagReason  string                   `json:"flag_reason,omitempty"`
	Kind        string                   `json:"kind"`
	Sub         string                   `json:"sub,omitempty"`
	Subject     string                   `json:"subject"`
	Label       string                   `json:"label"`
	OriginNode  string                   `json:"origin_node" doc:"issuing country"`
	Authority   string                   `json:"authority"`
	WarrantRef  string                   `json:"warrant_ref,omitempty"`
	InterpolRef string                   `json:"interpol_ref,omitempty"`
	DocStatus   string                   `json:"doc_status,omitempty"`
	Person      *WantedPerson            `json:"person,omitempty"`
	Object      *WantedObject            `json:"object,omitempty"`
	Misused     *Misused                 `json:"misused,omitempty" doc:"the identity is misused: check that the person is not its genuine holder"`
	Exact       string                   `json:"exact,omitempty" doc:"identifier that matched exactly"`
	CheckDate   bool                     `json:"check_date" doc:"the date of birth checked does not agree with the alert's (none, a year, one that cannot be a date, or another date), so this is at most a possible hit: compare the alert's date with the identity document and check again with the document's date"`
	Photo       bool                     `json:"photo" doc:"the alert carries a photo of the wanted person (GET /alerts/{id}/photo)"`
	Explanation []match.FieldExplanation `json:"explanation"`
}

// CheckResult says HIT or NO HIT.
type CheckResult struct {
	Query   string       `json:"query"`
	Probe   CheckProbe   `json:"probe"`
	Hit     bool         `json:"hit" doc:"a HIT or a possible hit"`
	Certain bool         `json:"certain" doc:"a HIT (the first match is certain), not only possible hits"`
	Matches []CheckMatch `json:"matches" doc:"HITs first, then possible hits, best first"`
	// Unsettled is the third answer: no hit, but NO HIT cannot be said
	// either, because the date of birth of the check leaves alerts open.
	Unsettled bool         `json:"unsettled" doc:"no hit, but NO HIT cannot be said: a name was checked without a full date of birth (none, only a year, or one that cannot be a date), or with one a typing error away from an alert's that is left open; check again with the date of birth from the document"`
	Open      []CheckMatch `json:"open" doc:"alerts the date of birth checked leaves open (when unsettled), best first; empty when a name was checked without a full date of birth and no alert is close"`
	// CheckDate: the check must be made again with the date of birth from
	// the document (Unsettled, or a possible hit marked CheckDate).
	CheckDate bool `json:"check_date" doc:"check again with the date of birth from the identity document: the check is unsettled, or a possible hit's date of birth does not agree with the check's"`
}

// maxOpen is how many alerts an unsettled check lists.
const maxOpen = 10

// Check checks one search box against every alert in force on this node
// that the caller may see. Every check is audited with its purpose.
func (s *Service) Check(ctx context.Context, actor *auth.Principal, query, purpose string) (CheckResult, error) {
	const op = "alerts.Check"
	if err := auth.Authorize(actor, auth.ActAlertsCheck); err != nil {
		return CheckResult{}, err
	}
	purpose, err := validate.Field(op, "purpose", purpose, 500, false)
	if err != nil {
		return CheckResult{}, err
	}
	res, err := s.check(ctx, actor, query, "", "")
	if err != nil {
		return CheckResult{}, err
	}
	var ids []string
	for _, m := range res.Matches {
		ids = append(ids, m.AlertID)
	}
	detail := "no hit"
	switch {
	case res.Hit:
		detail = "hit " + strings.Join(ids, ",")
	case res.Unsettled:
		detail = "unsettled " + strconv.Itoa(len(res.Open))
	}
	detail += "; matches=" + strconv.Itoa(len(res.Matches))
	if err := s.d.Audit.Record(ctx, s.auditEntryPurpose(actor, "alerts.check", textutil.Clip(purpose, 500), detail)); err != nil {
		return CheckResult{}, err
	}
	return res, nil
}

func (s *Service) auditEntryPurpose(actor *auth.Principal, action, purpose, detail string) audit.Entry {
	e := s.auditEntry(actor, action, "check", detail)
	e.Purpose = purpose
	return e
}

// check is Check without the audit entry (BatchCheck audits the batch).
// check runs one check; sex and nationality, when a batch row gives them
// from the travel document, are compared beside the query.
func (s *Service) check(ctx context.Context, actor *auth.Principal, query, sex, nationality string) (CheckResult, error) {
	const op = "alerts.Check"
	pr, err := ParseQuery(query)
	if err != nil {
		return CheckResult{}, err
	}
	switch entity.ParseSex(sex) {
	case entity.SexMale:
		pr.Sex = "m"
	case entity.SexFemale:
		pr.Sex = "f"
	}
	pr.Nationality = knownCountry(nationality)
	res := CheckResult{Query: strings.TrimSpace(query), Probe: pr, Matches: []CheckMatch{}}
	var people []entity.Person
	if p, ok := s.probeRecord(pr); ok {
		people = append(people, p)
	}
	res.Open = []CheckMatch{}
	date := readProbeDate(pr.DateOfBirth, s.d.Clock.Now())
	found, err := s.search(ctx, s.d.Store, people, pr.Identifiers, searchOpts{check: true, date: date})
	if err != nil {
		return CheckResult{}, unavailable(op, err)
	}
	var open []CheckMatch
	for _, f := range found {
		if !auth.AlertVisible(actor, s.facts(actor, f.Alert)) {
			continue
		}
		a := f.Alert
		m := CheckMatch{AlertID: a.ID, Certain: f.Score >= highScore && !f.DateToCheck && !f.OtherName, CheckDate: f.DateToCheck, Band: match.BandMedium, Score: f.Score, Action: a.Action, Warnings: a.Warnings, DoNotAct: a.DoNotAct,
			FlagReason: a.FlagReason, Kind: a.Kind, Sub: a.Sub, Subject: a.Subject, Label: a.Label, OriginNode: a.OriginNode, Authority: a.Authority,
			WarrantRef: a.WarrantRef, InterpolRef: a.InterpolRef, Person: a.Person, Object: a.Object, Misused: a.Misused, Exact: f.Exact, Explanation: f.Explanation, Photo: a.Photo != nil}
		if m.Certain {
			m.Band = match.BandHigh
		}
		if a.Object != nil {
			m.DocStatus = a.Object.DocStatus
		}
		if m.Explanation == nil {
			m.Explanation = []match.FieldExplanation{}
		}
		if f.Unsettled {
			m.Band = match.BandLow
			open = append(open, m)
			continue
		}
		res.Matches = append(res.Matches, m)
	}
	// HITs first: a possible hit whose date does not agree may score
	// above a HIT, and the first match is what a batch row reports.
	slices.SortStableFunc(res.Matches, func(a, b CheckMatch) int {
		switch {
		case a.Certain == b.Certain:
			return 0
		case a.Certain:
			return -1
		}
		return 1
	})
	if len(res.Matches) > 20 {
		res.Matches = res.Matches[:20]
	}
	res.Hit = len(res.Matches) > 0
	res.Certain = res.Hit && res.Matches[0].Certain
	if !res.Hit && len(open) > 0 {
		res.Unsettled, res.Open = true, open[:min(len(open), maxOpen)]
	}
	// A name without a full date of birth cannot be told NO HIT: a name
	// typed with one letter wrong shares no key with its alert, and a
	// common one has namesakes. The date from the document settles it.
	if !res.Hit && len(people) > 0 && date != dateFull {
		res.Unsettled = true
	}
	for _, m := range res.Matches {
		res.CheckDate = res.CheckDate || m.CheckDate
	}
	res.CheckDate = res.CheckDate || res.Unsettled
	return res, nil
}
