package match

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/match/synth"
)

func registerSample(t testing.TB, n int) []entity.Person {
	t.Helper()
	g := synth.New(99)
	out := make([]entity.Person, n)
	for i := range out {
		out[i] = personOf(g.Render(g.Identity(), "", false), false)
	}
	return out
}

// u is counted on the register: agreement that is common between
// different persons of this register (the same city, sex, a common
// surname) weighs little; agreement that is rare (the same identifier,
// date of birth or phone) weighs a lot.
func TestFitRegisterCountsAgreementBetweenDifferentPersons(t *testing.T) {
	m := FitRegister(registerSample(t, 5000), 100000, 1)
	if !m.Household || !m.Fitted {
		t.Fatalf("register model flags: household %v fitted %v", m.Household, m.Fitted)
	}
	checks := []struct {
		f      Field
		level  int
		lo, hi float64 // bits
	}{
		{FieldID, 1, 20, 30},
		{FieldDOB, 1, 11, 17},
		{FieldPhone, 1, 15, 30},
		{FieldSex, 1, 0.5, 1.5},
		{FieldGiven, 1, 3, 10},
		{FieldDOB, 4, -7, -4},
		{FieldID, int(IDNearSerial), -2, 4}, // beside a date of birth already counted
		{FieldGiven, 5, -7, -3},
	}
	for _, c := range checks {
		if w := m.Weight(c.f, c.level); w < c.lo || w > c.hi {
			t.Errorf("%s %s: %.1f bits, want %.0f..%.0f", c.f, c.f.Levels()[c.level], w, c.lo, c.hi)
		}
	}
	// Without a register, the population's values apply.
	empty := FitRegister(nil, 1000, 1)
	if w := empty.Weight(FieldDOB, 1); math.Abs(w-math.Log2(registerM[FieldDOB][1]/populationU[FieldDOB][1])) > 1e-9 {
		t.Errorf("empty register: date weight %.2f", w)
	}
	if empty.Freq[FieldGiven] != nil {
		t.Error("name frequencies from an empty register")
	}
}

// Agreeing on a common name is weaker evidence than agreeing on a rare one.
func TestNameFrequencyWeights(t *testing.T) {
	m := FitRegister(registerSample(t, 5000), 10000, 1)
	var common, rare string
	var cf, rf float64 = 0, 2
	for name, f := range m.Freq[FieldFamily] {
		if f > cf {
			common, cf = name, f
		}
		if f < rf {
			rare, rf = name, f
		}
	}
	wc, wr := m.nameWeight(FieldFamily, 1, common), m.nameWeight(FieldFamily, 1, rare)
	if !(wc < wr) || wc <= 0 {
		t.Errorf("common %q (%.4f): %.1f bits; rare %q (%.4f): %.1f bits", common, cf, wc, rare, rf, wr)
	}
	if w := m.nameWeight(FieldFamily, 1, "neverseenbefore"); w < wr {
		t.Errorf("unseen name weighs %.1f bits, less than the rarest seen (%.1f)", w, wr)
	}
	if w := m.nameWeight(FieldFamily, 3, common); w != m.Weight(FieldFamily, 3) {
		t.Errorf("frequency applied below exact agreement: %.1f", w)
	}
	var buf bytes.Buffer
	if err := m.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadModel(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Household || back.nameWeight(FieldFamily, 1, common) != wc || back.Weight(FieldDOB, 1) != m.Weight(FieldDOB, 1) {
		t.Error("register model does not survive JSON")
	}
}

func TestExclusivePosteriors(t *testing.T) {
	prior := RegisterPrior(1_000_000) // 2^-21
	tests := []struct {
		name    string
		weights []float64
		check   func(p []float64) bool
	}{
		{"none", nil, func(p []float64) bool { return len(p) == 0 }},
		{"one strong", []float64{40}, func(p []float64) bool { return p[0] > 0.999 }},
		{"one weak", []float64{15}, func(p []float64) bool { return p[0] < 0.05 }},
		{"two equal strong", []float64{40, 40}, func(p []float64) bool { return math.Abs(p[0]-0.5) < 0.01 && math.Abs(p[1]-0.5) < 0.01 }},
		{"namesake beside the person", []float64{40, 25}, func(p []float64) bool { return p[0] > 0.99 && p[1] < 0.001 }},
		{"many namesakes", []float64{24, 24, 24, 24, 24, 24, 24, 24}, func(p []float64) bool { return p[0] < 0.2 }},
	}
	for _, tt := range tests {
		p := ExclusivePosteriors(tt.weights, prior)
		sum := 0.0
		for _, x := range p {
			sum += x
		}
		if !tt.check(p) || sum > 1+1e-9 {
			t.Errorf("%s: %v", tt.name, p)
		}
	}
	if RegisterPrior(10) != RegisterPrior(MinRegister) {
		t.Error("a small register raises the prior")
	}
}

func TestJointPosteriors(t *testing.T) {
	var exact, exactDate, closeDate Pattern
	exact = exact.with(FieldGiven, 1).with(FieldFamily, 1)
	exactDate = exact.with(FieldDOB, int(DateExact))
	closeDate = exact.with(FieldDOB, int(DateClose))
	otherName := exactDate.with(FieldFamily, 3)
	tests := []struct {
		name     string
		posts    []float64
		patterns []Pattern
		want     []float64
	}{
		{"none", nil, nil, []float64{}},
		{"one alone", []float64{0.7}, []Pattern{exactDate}, []float64{0.7}},
		{"two the probe cannot tell apart", []float64{0.49, 0.49}, []Pattern{exactDate, exactDate}, []float64{0.98, 0.98}},
		{"agreeing otherwise", []float64{0.49, 0.3}, []Pattern{exactDate, otherName}, []float64{0.49, 0.3}},
		{"no agreeing date: namesakes stay rivals", []float64{0.2, 0.2, 0.2}, []Pattern{closeDate, closeDate, closeDate}, []float64{0.2, 0.2, 0.2}},
		{"no date at all", []float64{0.2, 0.2}, []Pattern{exact, exact}, []float64{0.2, 0.2}},
		{"capped at one", []float64{0.6, 0.6}, []Pattern{exactDate, exactDate}, []float64{1, 1}},
	}
	for _, tt := range tests {
		got := JointPosteriors(slices.Clone(tt.posts), tt.patterns)
		if len(got) != len(tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
			continue
		}
		for i := range got {
			if math.Abs(got[i]-tt.want[i]) > 1e-12 {
				t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
				break
			}
		}
	}
}

// Numbers that encode the date of birth: persons born on the same day
// share the prefix, so only the rest tells them apart.
func TestCompareIDsWithBirthDate(t *testing.T) {
	mk := func(id string) prepared {
		p := entity.Person{PersonalID: entity.ParsePersonalID(id)}
		return prepare(&p)
	}
	tests := []struct {
		a, b string
		want IDAgreement
	}{
		{"1701967147933", "1701967147933", IDExact},
		{"1701967147933", "1701967847935", IDDisagree},   // same birthday, other person
		{"1701967147933", "1701967147833", IDNearSerial}, // one digit mistyped, or a neighbour
		{"1701967147933", "1701968147933", IDNearSerial}, // typo in the date part, or a neighbour with the same serial
		{"1802983795318", "1802986795319", IDDisagree},   // two numbers, each with its check digit
		{"F15324826D", "F10324826D", IDNearSerial},       // Albanian: the month's sex coding
		{"J10814295A", "J10824295P", IDDisagree},         // date and check letter differ
		{"1701967147933", "170196714793", IDOneEdit},     // not a JMBG: compared whole
		{"E15107824B", "E15107897B", IDDisagree},         // Albanian, same birthday
		{"E15107824B", "E15107824C", IDNearSerial},
		{"1780313762", "1780313761", IDOneEdit}, // Kosovo: no date part
	}
	for _, tt := range tests {
		a, b := mk(tt.a), mk(tt.b)
		if got := compareIDs(&a, &b); got != tt.want {
			t.Errorf("%s vs %s: %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// A brother (same father, address and phone, other given name and date of
// birth) is not the person: the household fields count once.
func TestHouseholdCountsOnce(t *testing.T) {
	m := FitRegister(registerSample(t, 5000), 50000, 1)
	var p Pattern
	p = p.with(FieldGiven, 5).with(FieldFamily, 1).with(FieldFather, 1).with(FieldDOB, 4).
		with(FieldAddress, 1).with(FieldPhone, 1).with(FieldRegion, 1).with(FieldNationality, 1)
	w, _ := m.Score(p)
	sum := 0.0
	for f := Field(0); f < NumFields; f++ {
		sum += m.Weight(f, p.Level(f))
	}
	if w >= sum-5 {
		t.Fatalf("household counted field by field: %.1f bits of %.1f", w, sum)
	}
	if post := ExclusivePosteriors([]float64{w}, RegisterPrior(100000))[0]; post >= MediumScore {
		t.Errorf("brother scores %.3f (%.1f bits)", post, w)
	}
}

// A file's model learns how many household members a record has: data
// with relatives (same surname, father and address) keeps the household
// explanation, data without any (FEBRL) drops it, so a duplicate with a
// corrupted given name there is not taken for a twin.
func TestHouseholdMembersLearntFromTheFile(t *testing.T) {
	toPerson := func(r synth.Row, id string) entity.Person {
		v := map[string]string{ColID: id}
		for k, x := range r {
			if k == "surname" {
				k = ColFamily
			}
			if k != "id" {
				v[k] = x
			}
		}
		return PersonFromFields(v, "RS")
	}
	g := synth.New(7)
	var withRelatives []entity.Person
	for i := range 3000 {
		id := g.Identity()
		withRelatives = append(withRelatives, toPerson(g.Render(id, "", false), "p"+strconv.Itoa(i)))
		if i%2 == 0 {
			withRelatives = append(withRelatives, toPerson(g.Render(g.Relative(id), "", false), "r"+strconv.Itoa(i)))
		}
		if i%3 == 0 {
			withRelatives = append(withRelatives, toPerson(g.Render(id, "", true), "d"+strconv.Itoa(i)))
		}
	}
	rel, err := Dedupe(context.Background(), withRelatives, Options{})
	if err != nil {
		t.Fatal(err)
	}
	febrl, err := Dedupe(context.Background(), withoutIDs(loadCSV(t, filepath.Join(febrlDir, "dataset1.csv"))), Options{})
	if err != nil {
		t.Fatal(err)
	}
	hr, hf := rel.Model.HouseholdMembers, febrl.Model.HouseholdMembers
	t.Logf("household members learnt: with relatives %.3f, FEBRL dataset1 %.3f", hr, hf)
	if hf > 0.5 {
		t.Errorf("FEBRL (no households): %.3f household members per record", hf)
	}
	if hr < 3*hf || hr < 1 {
		t.Errorf("with relatives: %.3f household members per record (FEBRL %.3f)", hr, hf)
	}
	// The figure is part of the model's JSON.
	var b bytes.Buffer
	if err := rel.Model.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	back, err := ReadModel(&b)
	if err != nil || back.HouseholdMembers != hr {
		t.Fatalf("household members after JSON: %v %v", back.HouseholdMembers, err)
	}
}

// Names in the region say the sex, and family names the country: beside
// an agreeing given name the sex is weighed against how often different
// persons with that given name share it (nearly always), so agreeing on
// both counts about once, while a different sex beside the same given
// name still weighs against the pair.
func TestSexWeighedBesideTheGivenName(t *testing.T) {
	m := FitRegister(registerSample(t, 5000), 100000, 1)
	var p Pattern
	sameSex := p.with(FieldSex, 1)
	diffSex := p.with(FieldSex, 2)
	alone := m.patternWeight(sameSex, FieldSex)
	beside := m.patternWeight(sameSex.with(FieldGiven, 1), FieldSex)
	against := m.patternWeight(diffSex.with(FieldGiven, 1), FieldSex)
	againstClose := m.patternWeight(diffSex.with(FieldGiven, 2), FieldSex)
	t.Logf("sex same alone %.2f, beside the same given name %.2f; different beside it %.2f, beside a close one (Dragan, Dragana) %.2f", alone, beside, against, againstClose)
	if alone < 0.5 || math.Abs(beside) > 0.2 || against > 0 || against > beside || againstClose > -1 {
		t.Errorf("sex weights: alone %.2f, beside %.2f, different beside %.2f, beside a close name %.2f", alone, beside, against, againstClose)
	}
	// Kept in the model's JSON.
	var b bytes.Buffer
	if err := m.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	back, err := ReadModel(&b)
	if err != nil || back.UCond != m.UCond {
		t.Fatalf("conditional u after JSON: %v %v", back.UCond, err)
	}
}

// A family name says the state as well as the nationality: Basha is
// Albanian, Popović Serbian. Beside an agreeing family name the same
// state is nearly no evidence, so two namesakes of one country are not
// taken for one person on that account; a different state beside it still
// weighs against the pair.
func TestStateWeighedBesideTheFamilyName(t *testing.T) {
	m := FitRegister(registerSample(t, 5000), 100000, 1)
	var p Pattern
	same := p.with(FieldRegion, 1)
	diff := p.with(FieldRegion, 2)
	alone := m.patternWeight(same, FieldRegion)
	beside := m.patternWeight(same.with(FieldFamily, 1), FieldRegion)
	against := m.patternWeight(diff.with(FieldFamily, 1), FieldRegion)
	t.Logf("state same alone %.2f, beside the same family name %.2f; different beside it %.2f", alone, beside, against)
	if alone < 1 || beside > alone/2 || against > 0 {
		t.Errorf("state weights: alone %.2f, beside %.2f, different beside %.2f", alone, beside, against)
	}
}

// A model written before the state conditional existed (two entries in
// u_conditional) still reads, and weighs the state beside a family name by
// the stated shares.
func TestModelWithFewerConditionalsReads(t *testing.T) {
	in := `{"prior": 0.001, "u_conditional": [[[0.98, 0.02], [0.9, 0.1]], [[0.8, 0.2], [0.7, 0.3]]], "fields": {}}`
	m, err := ReadModel(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if m.UCond[0][0] != [2]float64{0.98, 0.02} || m.UCond[2] != statedUCond(2) {
		t.Fatalf("conditionals read: %v", m.UCond)
	}
	tooMany := `{"prior": 0.001, "u_conditional": [[[0.5,0.5],[0.5,0.5]],[[0.5,0.5],[0.5,0.5]],[[0.5,0.5],[0.5,0.5]],[[0.5,0.5],[0.5,0.5]]], "fields": {}}`
	if _, err := ReadModel(strings.NewReader(tooMany)); err == nil {
		t.Fatal("four conditionals read without error")
	}
}
