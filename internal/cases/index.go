package cases

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/match"
	"github.com/liaison-wb/liaison/internal/match/candidx"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
	"github.com/liaison-wb/liaison/internal/validate"
)

// Candidate index. Every stored entity gets a few 64-bit blocking keys,
// kept beside it (cases_entities.ix_keys) and in the in-memory index; a
// query computes the same keys and takes the entities sharing most of
// them, then only those are scored by the matching engine. Person keys are the engine's own blocking keys
// (match.IndexKeys) so a pair the engine would compare in a batch link is
// also found here: identifier (whole and both halves), full date of birth, phonetic keys of
// two name tokens (order-free, script- and diacritic-free), a name token's
// phonetic key with birth year+month, year+day or month+day (one typo in
// the date still leaves keys), and the phone number. Other kinds are keyed
// by their normalised identifiers (plate, VIN, E.164, IMEI, IBAN, account,
// document and weapon serial numbers, registration number, folded name).
const (
	// Non-person kinds; numbered apart from the engine's person key tags.
	tagPlate byte = iota + 64
	tagVIN
	tagIMEI
	tagIBAN
	tagAcct
	tagDoc
	tagSerial
	tagOrgName
	tagOrgReg
	tagAddr
)

// candidateLimit bounds how many stored entities are scored per query;
// tiedCandidateLimit how far past it the candidates tied with the last
// one (sharing as many keys: namesakes found by the name alone) are
// scored too, rather than cut at random.
const (
	candidateLimit     = 32
	tiedCandidateLimit = 96
)

func hashKey(tag byte, parts ...string) int64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	h ^= uint64(tag)
	h *= prime
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			h ^= uint64(p[i])
			h *= prime
		}
		h ^= 0xff
		h *= prime
	}
	return int64(h)
}

// personVariants turns stored person fields into engine records: the
// record itself and one per alias (as a full name).
func personVariants(id string, f map[string]string, aliases []string, region string) []entity.Person {
	vals := map[string]string{}
	for k, v := range f {
		vals[k] = v
	}
	vals[match.ColID] = id
	out := []entity.Person{match.PersonFromFields(vals, region)}
	for _, a := range aliases {
		v := map[string]string{}
		for k, x := range vals {
			v[k] = x
		}
		delete(v, match.ColGiven)
		delete(v, match.ColFamily)
		v[match.ColFull] = a
		out = append(out, match.PersonFromFields(v, region))
	}
	return out
}

// personKeys are the index keys of one person record: the matching
// engine's own blocking keys (match.IndexKeys), so a pair the engine would
// compare in a batch link is also found here.
func personKeys(p entity.Person, out []int64) []int64 {
	for _, k := range match.IndexKeys(&p, nil) {
		out = append(out, int64(k))
	}
	return out
}

// phoneKey is the key shared by a phone entity and the persons using it.
func phoneKey(e164 string) int64 { return int64(match.PhoneKey(e164)) }

// identKeys are the exact-identifier keys of a non-person entity, each
// with the field it came from.
func identKeys(kind entity.Kind, f map[string]string, aliases []string) (keys []int64, fields []string) {
	add := func(tag byte, field, v string) {
		if v != "" {
			keys = append(keys, hashKey(tag, v))
			fields = append(fields, field)
		}
	}
	switch kind {
	case entity.KindVehicle:
		add(tagPlate, "plate", f["plate"])
		add(tagVIN, "vin", f["vin"])
	case entity.KindPhone:
		if v := f["number"]; v != "" {
			keys, fields = append(keys, phoneKey(v)), append(fields, "number")
		}
		add(tagIMEI, "imei", alnumUpper(f["imei"]))
	case entity.KindAccount:
		add(tagIBAN, "iban", f["iban"])
		add(tagAcct, "number", alnumUpper(f["number"]))
	case entity.KindDocument:
		add(tagDoc, "number", f["number"])
	case entity.KindWeapon:
		add(tagSerial, "serial", f["serial"])
	case entity.KindOrganisation:
		add(tagOrgReg, "reg_no", alnumUpper(f["reg_no"]))
		add(tagOrgName, "name", strings.Join(entity.Tokens(entity.Fold(f["name"])), " "))
		for _, a := range aliases {
			add(tagOrgName, "name", strings.Join(entity.Tokens(entity.Fold(a)), " "))
		}
	case entity.KindAddress:
		if f[match.ColAddress1] != "" {
			add(tagAddr, "address", strings.Join(match.AddressTokens(f[match.ColAddress1]), " ")+"|"+alnumUpper(f[match.ColStreetNumber])+"|"+entity.Fold(f[match.ColCity]))
		}
	}
	return keys, fields
}

// entityKeys are all index keys of an entity, deduplicated.
func entityKeys(kind entity.Kind, f map[string]string, aliases []string, region string) []int64 {
	var out []int64
	if kind == entity.KindPerson {
		for _, p := range personVariants("", f, aliases, region) {
			out = personKeys(p, out)
		}
	} else {
		out, _ = identKeys(kind, f, aliases)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Candidate is a stored entity found for a query, with its score.
type Candidate struct {
	Entity      Entity                   `json:"entity"`
	Score       float64                  `json:"score" doc:"posterior match probability 0..1"`
	Weight      float64                  `json:"weight" doc:"total match weight in bits"`
	Band        string                   `json:"band" enum:"high,medium,low"`
	Explanation []match.FieldExplanation `json:"explanation" doc:"per-field agreement level and weight"`
}

// Score bands. A cross-border answer reports a hit only for high and
// medium; a low candidate is "no hit".
// They are the matching engine's decision bands (match.Band).
const (
	BandHigh   = match.BandHigh
	BandMedium = match.BandMedium
	BandLow    = match.BandLow
	highScore  = match.HighScore
	medScore   = match.MediumScore
	// dupScore is the lower bar for duplicate suggestions inside a node,
	// which a person reviews before merging.
	dupScore = 0.6
)

func band(score float64) string { return match.Band(score) }

// Probe is what is searched for: a kind and its fields (the same field
// names as stored entities).
type Probe struct {
	Kind   string            `json:"kind" doc:"person, organisation, vehicle, phone, account, document, weapon or address"`
	Fields map[string]string `json:"fields"`
}

// prepareProbe validates and normalises a probe like an entity, except
// that an impossible date of birth is compared digit by digit rather than
// refused: a query is what the document or the file says.
func (s *Service) prepareProbe(pr Probe) (entity.Kind, map[string]string, error) {
	in := EntityInput{Kind: pr.Kind, Fields: pr.Fields}
	kind, err := s.normalise(&in, validate.ProbeValue)
	if err != nil {
		return "", nil, err
	}
	return kind, in.Fields, nil
}

// entitiesByPK reads live entities by primary key (the database is the
// source of truth for what the in-memory index found).
func (s *Service) entitiesByPK(ctx context.Context, q store.Querier, pks []int64) (map[int64]Entity, error) {
	out := make(map[int64]Entity, len(pks))
	for len(pks) > 0 {
		n := min(len(pks), 500)
		got, err := liveEntitiesByPK(ctx, q, pks[:n])
		if err != nil {
			return nil, err
		}
		for _, e := range got {
			out[e.pk] = e
		}
		pks = pks[n:]
	}
	return out, nil
}

// ensureIndex makes sure the in-memory index answers: it builds it on
// first use when nothing started building it (tests, tools) and waits for
// a build under way (the first seconds after a start), since the index is
// the only way to candidates.
func (s *Service) ensureIndex(ctx context.Context) error {
	if s.ix.State() == candidx.Ready {
		return nil
	}
	if _, err := s.WarmIndex(ctx); err != nil {
		return errs.WrapPlain(errs.Unavailable, "cases.search", "the candidate index is not available; try again shortly", err)
	}
	return nil
}

// scored is a candidate scored before it is read back from the database:
// pk identifies it; ent is set when it was already read.
type scored struct {
	pk          int64
	ent         *Entity
	score       float64
	weight      float64
	band        string
	explanation []match.FieldExplanation
	pattern     match.Pattern // the pair's agreement pattern (persons)
}

// match scores the stored entities against one probe, best first;
// candidates below minScore are dropped. The probe must be normalised.
func (s *Service) match(ctx context.Context, q store.Querier, kind entity.Kind, f map[string]string, minScore float64) ([]Candidate, error) {
	sc, err := s.score(ctx, q, kind, f, minScore)
	if err != nil || len(sc) == 0 {
		return nil, err
	}
	return s.hydrate(ctx, q, sc)
}

// hydrate reads the scored candidates' entities (those not read yet) and
// drops any no longer live.
func (s *Service) hydrate(ctx context.Context, q store.Querier, sc []scored) ([]Candidate, error) {
	var need []int64
	for _, c := range sc {
		if c.ent == nil {
			need = append(need, c.pk)
		}
	}
	var got map[int64]Entity
	if len(need) > 0 {
		var err error
		if got, err = s.entitiesByPK(ctx, q, need); err != nil {
			return nil, err
		}
	}
	out := make([]Candidate, 0, len(sc))
	for _, c := range sc {
		var e Entity
		if c.ent != nil {
			e = *c.ent
		} else if g, ok := got[c.pk]; ok {
			e = g
		} else {
			continue
		}
		out = append(out, Candidate{Entity: e, Score: c.score, Weight: c.weight, Band: c.band, Explanation: c.explanation})
	}
	return out, nil
}

// score finds and scores candidates for one probe, best first.
func (s *Service) score(ctx context.Context, q store.Querier, kind entity.Kind, f map[string]string, minScore float64) ([]scored, error) {
	if err := s.ensureIndex(ctx); err != nil {
		return nil, err
	}
	if kind == entity.KindPerson {
		return s.scorePerson(ctx, q, f, minScore)
	}
	keys, fields := identKeys(kind, f, nil)
	var cands []Entity
	found := s.ix.Lookup(keys, candidateLimit, commonKey)
	pks := make([]int64, len(found))
	for i, c := range found {
		pks[i] = c.ID
	}
	got, err := s.entitiesByPK(ctx, q, pks)
	if err != nil {
		return nil, err
	}
	for _, pk := range pks {
		if e, ok := got[pk]; ok {
			cands = append(cands, e)
		}
	}
	var out []scored
	for _, c := range cands {
		var ck []int64
		if c.Kind == string(entity.KindPerson) {
			if ph := c.Fields[match.ColPhone]; ph != "" {
				p := personVariants(c.ID, c.Fields, nil, s.d.Region)[0]
				ck = []int64{phoneKey(p.Phone)}
			}
		} else {
			ck, _ = identKeys(entity.Kind(c.Kind), c.Fields, c.Aliases)
		}
		var ex []match.FieldExplanation
		for i, k := range keys {
			if slices.Contains(ck, k) {
				ex = append(ex, match.FieldExplanation{Field: fields[i], Level: "exact", Weight: 10, Left: f[fields[i]], Right: f[fields[i]]})
			}
		}
		if len(ex) == 0 {
			continue
		}
		out = append(out, scored{pk: c.pk, ent: &c, score: 1, weight: 10 * float64(len(ex)), band: BandHigh, explanation: ex})
	}
	return out, nil
}

func (s *Service) scorePerson(ctx context.Context, q store.Querier, f map[string]string, minScore float64) ([]scored, error) {
	probe := personVariants("probe", f, nil, s.d.Region)[0]
	keys := personKeys(probe, nil)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	// right holds the candidates' engine records; owner[i] the candidate
	// that right[i] belongs to.
	var right []entity.Person
	var owner []int
	var pks []int64
	var ents []*Entity
	for _, c := range s.ix.LookupTies(keys, candidateLimit, tiedCandidateLimit, commonKey) {
		if !c.Rec.person {
			continue
		}
		persons, err := candPersons(c)
		if err != nil {
			return nil, errs.Wrap(errs.Internal, "cases.search", "the candidate index holds an unreadable record", err)
		}
		for range persons {
			owner = append(owner, len(pks))
		}
		right = append(right, persons...)
		pks = append(pks, c.ID)
		ents = append(ents, nil)
	}
	if len(right) == 0 {
		return nil, nil
	}
	model, err := s.Model(ctx)
	if err != nil {
		return nil, err
	}
	// A pair's weight depends on the prior (the household explanation):
	// the register's size now, not the one the model was fitted at (a
	// model kept by FitModel stays while the register grows).
	prior := match.RegisterPrior(s.ix.Live())
	if model.Prior != prior {
		model = model.WithPrior(prior)
	}
	// Every compared candidate is kept: the posteriors are shared between
	// them below, so the threshold applies afterwards.
	prepared := make([]*match.Prepared, len(right))
	for i := range right {
		prepared[i] = match.Prepare(&right[i])
	}
	res := match.Search(model, []entity.Person{probe}, prepared, 1e-300)
	best := map[int]scored{}
	for _, p := range res.Pairs {
		o := owner[p.Right]
		w := res.PairWeight(p)
		if b, ok := best[o]; ok && b.weight >= w {
			continue
		}
		ex := res.Explain(p)
		fields := make([]match.FieldExplanation, 0, len(ex.Fields))
		for _, fe := range ex.Fields {
			if fe.Level != "missing" && fe.Level != "" {
				fields = append(fields, fe)
			}
		}
		best[o] = scored{pk: pks[o], ent: ents[o], weight: w, explanation: fields, pattern: p.Pattern}
	}
	owners := make([]int, 0, len(best))
	weights := make([]float64, 0, len(best))
	patterns := make([]match.Pattern, 0, len(best))
	for o, c := range best {
		owners = append(owners, o)
		weights = append(weights, c.weight)
		patterns = append(patterns, c.pattern)
	}
	// One person recorded twice (two cases, not merged yet) is not two
	// rivals: both records are answered as hits.
	for i, post := range match.JointPosteriors(match.ExclusivePosteriors(weights, prior), patterns) {
		c := best[owners[i]]
		c.score, c.band = post, band(post)
		if post < minScore {
			delete(best, owners[i])
			continue
		}
		best[owners[i]] = c
	}
	out := make([]scored, 0, len(best))
	for _, c := range best {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].weight != out[j].weight {
			return out[i].weight > out[j].weight
		}
		return out[i].pk < out[j].pk
	})
	return out, nil
}

// Search finds stored entities like the probe, best first, with score
// explanations. The purpose is recorded in the audit log.
func (s *Service) Search(ctx context.Context, p *auth.Principal, pr Probe, purpose string) ([]Candidate, error) {
	const op = "cases.Search"
	kind, f, err := s.prepareProbe(pr)
	if err != nil {
		return nil, errs.Newf(errs.Invalid, op, "%v", err)
	}
	out, err := s.match(ctx, s.d.Store, kind, f, 0.05)
	if err != nil {
		return nil, unavailable(op, err)
	}
	if len(out) > 50 {
		out = out[:50]
	}
	if out == nil {
		out = []Candidate{}
	}
	if err := s.record(ctx, entry(p, "cases.search", "cases/"+string(kind), textutil.Clip(strings.TrimSpace(purpose), 500), searchDetail(len(out)))); err != nil {
		return nil, err
	}
	return out, nil
}

func searchDetail(n int) string {
	return "results=" + strconv.Itoa(n)
}

// registerSample is how many stored persons the register model's u
// probabilities are counted on (random pairs among them).
const (
	registerSample = 20000
	registerPairs  = 200000
)

// Model is the node's matching model for queries against its register
// (match.FitRegister): the one kept by FitModel, or one fitted on a sample
// of the persons stored, refitted as the register grows (when it has
// doubled since), so a node that has just imported its database scores
// with its own name and date frequencies.
func (s *Service) Model(ctx context.Context) (*match.Model, error) {
	n := s.ix.Live()
	fresh := func() (*match.Model, bool) {
		s.mu.RLock()
		defer s.mu.RUnlock()
		return s.model, s.model != nil && (s.modelStored || n < 2*s.modelN+1000)
	}
	if m, ok := fresh(); ok {
		return m, nil
	}
	s.fitMu.Lock()
	defer s.fitMu.Unlock()
	if m, ok := fresh(); ok {
		return m, nil
	}
	stored := true
	raw, err := storedModel(ctx, s.d.Store)
	var m *match.Model
	switch {
	case errors.Is(err, sql.ErrNoRows):
		stored = false
	case err != nil:
		return nil, err
	default:
		if m, err = match.ReadModel(strings.NewReader(raw)); err != nil {
			s.d.Logger.Warn("cases: stored model unreadable; fitting one on the stored persons", "err", err)
			stored = false
		}
	}
	fittedOn := n
	if !stored {
		recs, err := s.registerSample(ctx, registerSample)
		if err != nil {
			return nil, err
		}
		fittedOn = max(n, len(recs))
		m = match.FitRegister(recs, registerPairs, 1)
		m.Prior = match.RegisterPrior(fittedOn)
	}
	s.mu.Lock()
	s.model, s.modelN, s.modelStored = m, fittedOn, stored
	s.mu.Unlock()
	return m, nil
}

// registerSample reads up to limit stored persons in engine form.
func (s *Service) registerSample(ctx context.Context, limit int) ([]entity.Person, error) {
	// Every stride-th entity, so the sample spans the whole register (the
	// first rows are often one source or one region).
	persons, err := personFields(ctx, s.d.Store, limit, s.ix.Live()/max(2*limit, 1))
	if err != nil {
		return nil, err
	}
	recs := make([]entity.Person, 0, len(persons))
	for _, e := range persons {
		recs = append(recs, personVariants(e.ID, e.Fields, nil, s.d.Region)[0])
	}
	return recs, nil
}

// FitModel fits the register model (match.FitRegister) on up to sample
// persons stored on this node (default 50,000) and keeps it for searches
// and answers, instead of the one refitted automatically.
func (s *Service) FitModel(ctx context.Context, p *auth.Principal, sample int) (int, error) {
	const op = "cases.FitModel"
	if sample <= 0 {
		sample = 50000
	}
	recs, err := s.registerSample(ctx, sample)
	if err != nil {
		return 0, unavailable(op, err)
	}
	if len(recs) < 100 {
		return len(recs), errs.Newf(errs.Conflict, op, "only %d persons stored; at least 100 are needed to learn weights (default weights stay in use)", len(recs))
	}
	fitted := match.FitRegister(recs, registerPairs, 1)
	fitted.Prior = match.RegisterPrior(max(s.ix.Live(), len(recs)))
	var buf bytes.Buffer
	if err := fitted.WriteJSON(&buf); err != nil {
		return 0, errs.Wrap(errs.Internal, op, "fitting failed", err)
	}
	m, err := match.ReadModel(bytes.NewReader(buf.Bytes()))
	if err != nil {
		return 0, errs.Wrap(errs.Internal, op, "fitting failed", err)
	}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := saveModel(ctx, tx, buf.String(), len(recs), s.now()); err != nil {
			return err
		}
		return s.queue(ctx, tx, entry(p, "cases.model.fit", "cases/model", "", "records="+strconv.Itoa(len(recs))))
	})
	if err != nil {
		return 0, unavailable(op, err)
	}
	s.mu.Lock()
	s.model, s.modelN, s.modelStored = m, s.ix.Live(), true
	s.mu.Unlock()
	return len(recs), nil
}
