package cases

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/match"
	"github.com/liaison-wb/liaison/internal/store"
)

// TypeStats carries aggregate statistics to a peer. It is not sensitive:
// it holds only counts, and cells under MinCell are suppressed.
const TypeStats = "cases.stats"

// MinCell is the smallest count shared with other nodes; smaller cells
// could point at individuals and are left out.
const MinCell = 3

// Count is one labelled count.
type Count struct {
	Label string `json:"label"`
	N     int    `json:"n"`
}

// Profile describes the persons in one role.
type Profile struct {
	Persons     int     `json:"persons"`
	AgeBands    []Count `json:"age_bands" doc:"age at the time the case was opened: <18, 18-24, 25-34, 35-44, 45-54, 55+, unknown"`
	Sex         []Count `json:"sex"`
	Nationality []Count `json:"nationality"`
}

// YearStats is one year of a crime area.
type YearStats struct {
	Year          int     `json:"year"`
	Cases         int     `json:"cases"`
	Routes        []Count `json:"routes" doc:"countries crossed, in order"`
	ModusOperandi []Count `json:"modus_operandi" doc:"modus operandi phrases (comma or semicolon separated in cases)"`
}

// AreaStats are the aggregate statistics of one crime area.
type AreaStats struct {
	CrimeArea    string      `json:"crime_area"`
	Cases        int         `json:"cases"`
	ByStatus     []Count     `json:"by_status"`
	Perpetrators Profile     `json:"perpetrators" doc:"persons with role suspect"`
	Victims      Profile     `json:"victims"`
	Years        []YearStats `json:"years"`
}

// Statistics is a node's aggregate view.
type Statistics struct {
	Node       string      `json:"node"`
	At         time.Time   `json:"at"`
	Suppressed bool        `json:"suppressed" doc:"cells under 3 left out (shared form)"`
	Areas      []AreaStats `json:"areas"`
}

type counter map[string]int

func (c counter) list(min int) []Count {
	out := []Count{}
	for k, v := range c {
		if v >= min {
			out = append(out, Count{k, v})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Label < out[j].Label
	})
	return out
}

func ageBand(dob, at entity.Date) string {
	if dob.Year == 0 || at.Year == 0 {
		return "unknown"
	}
	age := at.Year - dob.Year
	if dob.Month > 0 && at.Month > 0 && (at.Month < dob.Month || at.Month == dob.Month && dob.Day > 0 && at.Day < dob.Day) {
		age--
	}
	switch {
	case age < 18:
		return "<18"
	case age < 25:
		return "18-24"
	case age < 35:
		return "25-34"
	case age < 45:
		return "35-44"
	case age < 55:
		return "45-54"
	}
	return "55+"
}

// caseOpened is the date a case's statistics count from: its opening
// date, or the day it was created when the opening date has no year.
func caseOpened(opened, created string) entity.Date {
	d, _ := entity.ParseDate(opened)
	if d.Year == 0 {
		t := store.ParseTime(created)
		d = entity.Date{Year: t.Year(), Month: int(t.Month()), Day: t.Day()}
	}
	return d
}

// personProfile is what the statistics count of a person: the date of
// birth and sex (from the personal ID when not given) and the
// nationality ("unknown" when not given).
func personProfile(f map[string]string, region string) (dob entity.Date, sex, nat string) {
	pp := match.PersonFromFields(f, region)
	dob = pp.DOB
	if dob.IsZero() {
		dob = pp.PersonalID.DOB
	}
	if pp.Sex == entity.SexUnknown {
		pp.Sex = pp.PersonalID.Sex
	}
	nat = pp.Nationality
	if nat == "" {
		nat = "unknown"
	}
	return dob, pp.Sex.String(), nat
}

// moPhrases splits a modus operandi into the phrases counted.
func moPhrases(mo string) []string {
	var out []string
	for _, phrase := range strings.FieldsFunc(mo, func(c rune) bool { return c == ',' || c == ';' || c == '\n' }) {
		if ph := strings.TrimSpace(entity.Fold(phrase)); ph != "" && len(ph) <= 80 {
			out = append(out, ph)
		}
	}
	return out
}

// Stats computes aggregate statistics per crime area. With shared set,
// cells under MinCell are suppressed (the form sent to other nodes).
//
// The counting is done by the database (GROUP BY over the statistics
// columns of migration 0030); cases and links not yet derived, or
// derived by another version of the code, are derived first.
func (s *Service) Stats(ctx context.Context, p *auth.Principal, shared bool) (Statistics, error) {
	const op = "cases.Stats"
	minCell := 1
	if shared {
		minCell = MinCell
	}
	if err := s.refreshStats(ctx); err != nil {
		return Statistics{}, unavailable(op, err)
	}
	accs := areaAccs{}
	get := accs.get
	texts, err := statTexts(ctx, s.d.Store)
	if err != nil {
		return Statistics{}, unavailable(op, err)
	}
	err = eachCaseCount(ctx, s.d.Store, func(r caseCount) error {
		a := get(r.area)
		a.cases["all"] += r.n
		a.status[r.status] += r.n
		y := a.years[r.year]
		if y == nil {
			y = &[3]counter{{}, {}, {}}
			a.years[r.year] = y
		}
		y[0]["cases"] += r.n
		t, err := texts.get(r.text)
		if err != nil {
			return err
		}
		if len(t.route) > 0 {
			y[1][strings.Join(t.route, "→")] += r.n
		}
		for _, ph := range t.phrases {
			y[2][ph] += r.n
		}
		return nil
	})
	if err != nil {
		return Statistics{}, unavailable(op, err)
	}
	// Persons in merged entities are counted by the first query and taken
	// off by the second (merges are few).
	for i, merged := range []bool{false, true} {
		sign := 1 - 2*i
		err = eachPersonCount(ctx, s.d.Store, merged, func(r personCount) {
			a := accs[r.area]
			if a == nil {
				return
			}
			acc := &a.perp
			if r.role == "victim" {
				acc = &a.vict
			}
			n := sign * r.n
			acc[0]["all"] += n
			acc[1][r.band] += n
			acc[2][r.sex] += n
			acc[3][r.nat] += n
		})
		if err != nil {
			return Statistics{}, unavailable(op, err)
		}
	}
	return s.statistics(accs, shared, minCell), s.record(ctx, entry(p, "cases.stats", "cases/stats", "", "shared="+strconv.FormatBool(shared)))
}

// areaAcc holds the counters of one crime area.
type areaAcc struct {
	cases, status counter
	perp, vict    [4]counter // persons, age, sex, nationality
	years         map[int]*[3]counter
}

// areaAccs are the counters by crime area.
type areaAccs map[string]*areaAcc

func (accs areaAccs) get(a string) *areaAcc {
	if x, ok := accs[a]; ok {
		return x
	}
	x := &areaAcc{cases: counter{}, status: counter{}, years: map[int]*[3]counter{}}
	for i := range x.perp {
		x.perp[i], x.vict[i] = counter{}, counter{}
	}
	accs[a] = x
	return x
}

// statistics assembles the counters into Statistics, leaving out cells
// under minCell.
func (s *Service) statistics(accs areaAccs, shared bool, minCell int) Statistics {
	st := Statistics{Node: s.d.NodeID, At: s.now(), Suppressed: shared, Areas: []AreaStats{}}
	names := make([]string, 0, len(accs))
	for a := range accs {
		names = append(names, a)
	}
	sort.Strings(names)
	prof := func(c [4]counter) Profile {
		n := c[0]["all"]
		if n < minCell {
			return Profile{AgeBands: []Count{}, Sex: []Count{}, Nationality: []Count{}}
		}
		return Profile{Persons: n, AgeBands: c[1].list(minCell), Sex: c[2].list(minCell), Nationality: c[3].list(minCell)}
	}
	for _, name := range names {
		a := accs[name]
		if a.cases["all"] < minCell {
			continue
		}
		as := AreaStats{CrimeArea: name, Cases: a.cases["all"], ByStatus: a.status.list(minCell), Perpetrators: prof(a.perp), Victims: prof(a.vict), Years: []YearStats{}}
		years := make([]int, 0, len(a.years))
		for y := range a.years {
			years = append(years, y)
		}
		sort.Ints(years)
		for _, y := range years {
			c := a.years[y]
			if c[0]["cases"] < minCell {
				continue
			}
			as.Years = append(as.Years, YearStats{Year: y, Cases: c[0]["cases"], Routes: c[1].list(minCell), ModusOperandi: c[2].list(minCell)})
		}
		st.Areas = append(st.Areas, as)
	}
	return st
}

// ShareStats sends the suppressed aggregate statistics to a peer.
func (s *Service) ShareStats(ctx context.Context, p *auth.Principal, peer string) (string, error) {
	const op = "cases.ShareStats"
	if s.fed == nil {
		return "", errs.New(errs.Unavailable, op, "federation is not configured on this node")
	}
	st, err := s.Stats(ctx, p, true)
	if err != nil {
		return "", err
	}
	var id string
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = s.fed.Enqueue(ctx, tx, federation.Outgoing{To: peer, Type: TypeStats, Payload: st, Summary: "aggregate case statistics", Actor: p})
		if err != nil {
			return err
		}
		return s.queue(ctx, tx, entry(p, "cases.stats.share", "peer/"+peer, "", fmt.Sprintf("areas=%d", len(st.Areas))))
	})
	if err != nil {
		return "", unavailable(op, err)
	}
	s.fed.Notify()
	return id, nil
}

func (s *Service) handleStats(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	var st Statistics
	if err := json.Unmarshal(in.Payload, &st); err != nil {
		return errs.Wrap(errs.Invalid, "cases.handleStats", "malformed statistics", err)
	}
	st.Node = in.From
	if err := saveSharedStats(ctx, tx, in.From, st, s.now()); err != nil {
		return err
	}
	return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: "federation", Action: "cases.stats.receive", Object: "peer/" + in.From, Detail: fmt.Sprintf("areas=%d", len(st.Areas))})
}

// SharedStats lists the statistics peers have shared with this node.
func (s *Service) SharedStats(ctx context.Context, p *auth.Principal) ([]Statistics, error) {
	out, err := sharedStats(ctx, s.d.Store)
	if err != nil {
		return nil, unavailable("cases.SharedStats", err)
	}
	return out, nil
}

// DuplicatePair is a suggested duplicate within this node.
type DuplicatePair struct {
	A           EntitySlim               `json:"a"`
	B           EntitySlim               `json:"b"`
	Score       float64                  `json:"score"`
	Band        string                   `json:"band"`
	Explanation []match.FieldExplanation `json:"explanation"`
}

// Duplicates suggests entities of this node that describe the same thing:
// persons by the matching engine (up to 50,000 persons, with the node's
// model), other kinds by identical identifiers.
func (s *Service) Duplicates(ctx context.Context, p *auth.Principal, limit int) ([]DuplicatePair, error) {
	const op = "cases.Duplicates"
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	ents, err := liveEntities(ctx, s.d.Store, string(entity.KindPerson), 50000)
	if err != nil {
		return nil, unavailable(op, err)
	}
	var recs []entity.Person
	var owner []int
	for i, e := range ents {
		for _, v := range personVariants(e.ID, e.Fields, e.Aliases, s.d.Region) {
			recs = append(recs, v)
			owner = append(owner, i)
		}
	}
	out := []DuplicatePair{}
	if len(recs) > 1 {
		model, err := s.Model(ctx)
		if err != nil {
			return nil, unavailable(op, err)
		}
		res, err := match.Dedupe(ctx, recs, match.Options{Model: model, Threshold: dupScore})
		if err != nil {
			return nil, unavailable(op, err)
		}
		seen := map[[2]int]bool{}
		for _, pr := range res.Pairs {
			a, b := owner[pr.Left], owner[pr.Right]
			if a == b {
				continue
			}
			if a > b {
				a, b = b, a
			}
			if seen[[2]int{a, b}] {
				continue
			}
			seen[[2]int{a, b}] = true
			ex := res.Explain(pr)
			var fields []match.FieldExplanation
			for _, fe := range ex.Fields {
				if fe.Level != "missing" && fe.Level != "" {
					fields = append(fields, fe)
				}
			}
			out = append(out, DuplicatePair{A: slim(ents[a]), B: slim(ents[b]), Score: pr.Score, Band: band(pr.Score), Explanation: fields})
		}
	}
	pairs, err := s.identicalPairs(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, pr := range pairs {
		a, b := pr[0], pr[1]
		if seen[a.ID+b.ID] {
			continue
		}
		seen[a.ID+b.ID] = true
		out = append(out, DuplicatePair{A: a, B: b, Score: 1, Band: BandHigh, Explanation: []match.FieldExplanation{{Field: "identifier", Level: "exact"}}})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, s.record(ctx, entry(p, "cases.duplicates", "cases/duplicates", "", "pairs="+strconv.Itoa(len(out))))
}

// identicalPairs finds up to 1000 pairs of live entities of the same kind
// (other than persons) that share an identifier key, through the
// in-memory index; each pair is confirmed on the stored entities.
func (s *Service) identicalPairs(ctx context.Context) ([][2]EntitySlim, error) {
	if err := s.ensureIndex(ctx); err != nil {
		return nil, err
	}
	found := s.ix.Pairs(func(r memRec) bool { return !r.person }, 1000, commonKey)
	pks := make([]int64, 0, 2*len(found))
	for _, p := range found {
		pks = append(pks, p[0], p[1])
	}
	ents, err := s.entitiesByPK(ctx, s.d.Store, pks)
	if err != nil {
		return nil, unavailable("cases.Duplicates", err)
	}
	var out [][2]EntitySlim
	for _, p := range found {
		a, okA := ents[p[0]]
		b, okB := ents[p[1]]
		if !okA || !okB || a.Kind != b.Kind {
			continue
		}
		ka := entityKeys(entity.Kind(a.Kind), a.Fields, a.Aliases, s.d.Region)
		kb := entityKeys(entity.Kind(b.Kind), b.Fields, b.Aliases, s.d.Region)
		if slices.ContainsFunc(ka, func(k int64) bool { return slices.Contains(kb, k) }) {
			out = append(out, [2]EntitySlim{slim(a), slim(b)})
		}
	}
	return out, nil
}

func slim(e Entity) EntitySlim { return EntitySlim{ID: e.ID, Kind: e.Kind, Label: e.Label} }
