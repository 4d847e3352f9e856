package pprl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/match"
)

// goldenInputs are the records of the golden encoding vectors.
var goldenInputs = []map[string]string{
	{"given_name": "Miloš", "family_name": "Petrović", "date_of_birth": "1984-03-07", "sex": "m", "personal_id": "0703984710123", "city": "Beograd", "phone": "+381641234567"},
	{"full_name": "Милош Петровић", "date_of_birth": "07.03.1984", "sex": "M", "city": "Београд"},
	{"given_name": "Arben", "family_name": "Krasniqi", "father_name": "Ilir", "date_of_birth": "19900215", "nationality": "Kosovo"},
	{"given_name": "Ana", "family_name": "Stojanovska", "address_1": "ul. Partizanska 12", "postcode": "1000", "city": "Skopje"},
	{"family_name": "Hadžić"},
}

const goldenSecret = "liaison golden-vector secret (public, tests only)"

type goldenVector struct {
	Input       map[string]string `json:"input"`
	Fingerprint string            `json:"fingerprint"`
	Encoding    string            `json:"encoding"`
	Bits        int               `json:"bits"`
	Blocks      []string          `json:"blocks"`
}

func goldenVectors(t *testing.T, s *Schema) []goldenVector {
	k, err := NewKey(s, []byte(goldenSecret))
	if err != nil {
		t.Fatal(err)
	}
	var out []goldenVector
	for _, in := range goldenInputs {
		p := match.PersonFromFields(in, "RS")
		e := k.Encode(&p)
		v := goldenVector{Input: in, Fingerprint: k.Fingerprint(), Encoding: e.String(), Bits: e.Count, Blocks: []string{}}
		for _, b := range k.BlockKeys(&p, nil) {
			v.Blocks = append(v.Blocks, fmt.Sprintf("%016x", b))
		}
		out = append(out, v)
	}
	return out
}

// TestGoldenVectors: the same input under the same schema and secret gives
// the same encoding on every node, now and after any refactoring. Another
// implementation can check itself against testdata/golden_vectors.json.
func TestGoldenVectors(t *testing.T) {
	got, err := json.MarshalIndent(goldenVectors(t, DefaultSchema()), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	const path = "testdata/golden_vectors.json"
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encodings differ from %s (rerun with -update only for an intended schema change)", path)
	}
}

// TestScriptsEncodeAlike: the same person written in Latin with
// diacritics and in Cyrillic, name order swapped, encodes identically.
func TestScriptsEncodeAlike(t *testing.T) {
	k := testKey(t, DefaultSchema())
	a := match.PersonFromFields(map[string]string{"given_name": "Miloš", "family_name": "Petrović", "date_of_birth": "1984-03-07"}, "")
	b := match.PersonFromFields(map[string]string{"given_name": "Петровић", "family_name": "Милош", "date_of_birth": "07.03.1984"}, "")
	ea, eb := k.Encode(&a), k.Encode(&b)
	if d := Dice(ea.Bits, eb.Bits, ea.Count, eb.Count); d != 1 {
		t.Fatalf("dice %v, want 1", d)
	}
	c := match.PersonFromFields(map[string]string{"given_name": "Milos", "family_name": "Petrovic", "date_of_birth": "1984-07-03"}, "")
	ec := k.Encode(&c)
	if d := Dice(ea.Bits, ec.Bits, ea.Count, ec.Count); d < 0.8 || d == 1 {
		t.Fatalf("day/month swap: dice %v, want high but not 1", d)
	}
	other, _ := NewKey(DefaultSchema(), []byte("another regional secret entirely"))
	eo := other.Encode(&a)
	if d := Dice(ea.Bits, eo.Bits, ea.Count, eo.Count); d > 0.6 {
		t.Fatalf("other key: dice %v, want unrelated", d)
	}
	if other.Check() == k.Check() {
		t.Fatal("different secrets share a check value")
	}
}

func TestHardeningOptions(t *testing.T) {
	for _, h := range []Hardening{{Balance: true}, {XORFold: 1}, {Balance: true, XORFold: 1}} {
		s := *DefaultSchema()
		s.ClkConfig.Hardening = h
		k := testKey(t, &s)
		a := match.PersonFromFields(map[string]string{"given_name": "Miloš", "family_name": "Petrović", "date_of_birth": "1984-03-07"}, "")
		e := k.Encode(&a)
		if len(e.Bits) != 16 {
			t.Fatalf("%+v: %d words", h, len(e.Bits))
		}
		if h.Balance && e.Count != 512 {
			t.Fatalf("balanced encoding has %d bits set, want 512", e.Count)
		}
		round, err := s.ParseEncoding(e.String())
		if err != nil || Dice(round.Bits, e.Bits, round.Count, e.Count) != 1 || !slices.Equal(round.Fields, e.Fields) {
			t.Fatalf("wire round trip: %v", err)
		}
		off := 0
		for _, g := range s.ClkConfig.FieldGroups {
			n := popcount(e.Fields[off : off+g.L/64])
			off += g.L / 64
			switch {
			case g.Identifier == "names" || g.Identifier == "birth":
				if h.Balance && n != g.L/2 || n == 0 {
					t.Fatalf("%+v: group %s has %d bits set", h, g.Identifier, n)
				}
			case g.Identifier == "personal_id" || g.Identifier == "street" || g.Identifier == "place":
				if n != 0 {
					t.Fatalf("%+v: empty group %s has %d bits set, want none", h, g.Identifier, n)
				}
			}
		}
	}
}

// TestFieldGroups: each group filter compares its own fields: a day/month
// swap lowers only the date of birth group, another street only the
// address group; the groups' bits are not the record-level bits.
func TestFieldGroups(t *testing.T) {
	s := DefaultSchema()
	k := testKey(t, s)
	base := map[string]string{"given_name": "Miloš", "family_name": "Petrović", "date_of_birth": "1984-03-07", "address_1": "Kneza Miloša 12", "city": "Beograd"}
	groupDice := func(a, b Encoding) map[string]float64 {
		out := map[string]float64{}
		off := 0
		for _, g := range s.ClkConfig.FieldGroups {
			x, y := a.Fields[off:off+g.L/64], b.Fields[off:off+g.L/64]
			off += g.L / 64
			out[g.Identifier] = Dice(x, y, popcount(x), popcount(y))
		}
		return out
	}
	enc := func(change map[string]string) Encoding {
		f := maps.Clone(base)
		maps.Copy(f, change)
		p := match.PersonFromFields(f, "RS")
		return k.Encode(&p)
	}
	a := enc(nil)
	if len(a.Fields) != s.FieldWords() {
		t.Fatalf("%d field words, want %d", len(a.Fields), s.FieldWords())
	}
	swap := groupDice(a, enc(map[string]string{"date_of_birth": "1984-07-03"}))
	if swap["birth"] >= 0.95 || swap["names"] != 1 || swap["street"] != 1 {
		t.Fatalf("day/month swap: %v", swap)
	}
	street := groupDice(a, enc(map[string]string{"address_1": "Bulevar oslobođenja 3"}))
	if street["street"] >= 0.9 || street["names"] != 1 || street["birth"] != 1 {
		t.Fatalf("other street: %v", street)
	}
	// One mistyped digit of the identifier keeps most of its group's
	// bits; another number, even of a person born the same day, keeps
	// few (the group compares the digits by position).
	withID := func(id string) Encoding { return enc(map[string]string{"personal_id": id}) }
	id := withID("0703984710123")
	typo := groupDice(id, withID("0703984710723"))["personal_id"]
	twin := groupDice(id, withID("0703984715568"))["personal_id"]
	diff := groupDice(id, withID("1512990845031"))["personal_id"]
	t.Logf("personal_id group dice: typo %.3f, same date part %.3f, other %.3f", typo, twin, diff)
	if typo < 0.85 || typo >= 1 || twin > typo-0.1 || diff > twin {
		t.Fatalf("personal_id group dice: typo %.3f, same date part %.3f, other %.3f", typo, twin, diff)
	}
	// The names group filter is not the record-level filter folded.
	if d := Dice(a.Bits[:4], a.Fields[:4], popcount(a.Bits[:4]), popcount(a.Fields[:4])); d > 0.7 {
		t.Fatalf("names group resembles the record-level filter: dice %v", d)
	}
	m := DefaultDiceModel()
	same, _ := m.Compare(&a, &a)
	other, _ := m.Compare(&a, ptr(enc(map[string]string{"given_name": "Ana", "family_name": "Hoxha", "date_of_birth": "1990-01-01"})))
	if same <= 0 || other >= 0 {
		t.Fatalf("field-wise weight: same %v, other %v", same, other)
	}
}

func ptr[T any](v T) *T { return &v }

// TestSchemaFieldGroupErrors: a bad field group is refused with a message
// naming it.
func TestSchemaFieldGroupErrors(t *testing.T) {
	for _, c := range []struct{ groups, want string }{
		{`[{"identifier":"","l":128,"features":[{"identifier":"name","bitsPerToken":4}]}]`, "identifier required"},
		{`[{"identifier":"g","l":100,"features":[{"identifier":"name","bitsPerToken":4}]}]`, `field group "g": l must be a power of two`},
		{`[{"identifier":"g","l":64,"features":[{"identifier":"name","bitsPerToken":4}]}]`, "at least 128 with balancing"},
		{`[{"identifier":"g","l":128,"features":[]}]`, "want 1..8 features"},
		{`[{"identifier":"g","l":128,"features":[{"identifier":"shoe_size","bitsPerToken":4}]}]`, `feature "shoe_size" is not a hashed feature`},
		{`[{"identifier":"g","l":128,"features":[{"identifier":"name","bitsPerToken":0}]}]`, "bitsPerToken must be 1..32"},
		{`[{"identifier":"g","l":128,"features":[{"identifier":"name","bitsPerToken":4},{"identifier":"name","bitsPerToken":4}]}]`, "appears twice"},
		{`[{"identifier":"g","l":128,"features":[{"identifier":"name","bitsPerToken":4}]},{"identifier":"g","l":128,"features":[{"identifier":"sex","bitsPerToken":4}]}]`, `field group "g" appears twice`},
		{`[{"identifier":"g","l":128,"features":[{"identifier":"name","bitsPerToken":4}],"bits":3}]`, "unknown field"},
		{`[{"identifier":"g","l":128,"features":[{"identifier":"personal_id","bitsPerToken":3,"comparison":{"type":"ngram","n":0}}]}]`, `field group "g": feature "personal_id": ngram n must be 1..4`},
		{`[{"identifier":"g","l":128,"features":[{"identifier":"personal_id","bitsPerToken":3,"comparison":{"type":"soundex"}}]}]`, `comparison type "soundex" unknown`},
		{`[{"identifier":"g","l":128,"features":[{"identifier":"personal_id","bitsPerToken":3,"comparison":{"type":"exact","positional":true}}]}]`, "takes no n or positional"},
		{`[{"identifier":"g","l":128,"features":[{"identifier":"personal_id","bitsPerToken":3,"comparison":{"type":"ngram","n":1,"positional":true}},{"identifier":"personal_id","bitsPerToken":2,"comparison":{"type":"ngram","n":1,"positional":true}}]}]`, "appears twice"},
	} {
		_, err := ParseSchema([]byte(replaceGroups(t, c.groups)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("groups %s: error %v, want %q", c.groups, err, c.want)
		}
	}
}

// replaceGroups returns the default schema document with other field
// groups.
func replaceGroups(t *testing.T, groups string) string {
	var doc map[string]any
	if err := json.Unmarshal(DefaultSchemaJSON(), &doc); err != nil {
		t.Fatal(err)
	}
	var g any
	if err := json.Unmarshal([]byte(groups), &g); err != nil {
		t.Fatal(err)
	}
	doc["clkConfig"].(map[string]any)["fieldGroups"] = g
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestModelForSchema: the field-wise model is used only with the field
// groups it was fitted for; otherwise the record-level Dice decides.
func TestModelForSchema(t *testing.T) {
	m := DefaultDiceModel()
	if got := m.ForSchema(DefaultSchema()); len(got.Groups) == 0 {
		t.Fatal("default schema: field groups dropped")
	}
	s, err := ParseSchema([]byte(replaceGroups(t, `[{"identifier":"names","l":128,"features":[{"identifier":"name","bitsPerToken":4}]}]`)))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.ForSchema(s); len(got.Groups) != 0 {
		t.Fatal("other field groups: the default groups' m and u kept")
	}
	k := testKey(t, s)
	p := goldenPerson()
	e := k.Encode(&p)
	if w, d := m.ForSchema(s).Compare(&e, &e); d != 1 || w != m.Weight(1) {
		t.Fatalf("record-level fallback: weight %v dice %v", w, d)
	}
}

func TestDice1024MatchesScalar(t *testing.T) {
	k := testKey(t, DefaultSchema())
	a := match.PersonFromFields(map[string]string{"given_name": "Ana", "family_name": "Hoxha"}, "")
	b := match.PersonFromFields(map[string]string{"given_name": "Anna", "family_name": "Hoxhaj"}, "")
	ea, eb := k.Encode(&a), k.Encode(&b)
	d1 := Dice1024((*[16]uint64)(ea.Bits), (*[16]uint64)(eb.Bits), ea.Count, eb.Count)
	if d2 := diceScalar(ea.Bits, eb.Bits); d1 != d2 || d1 != Dice(ea.Bits, eb.Bits, ea.Count, eb.Count) {
		t.Fatalf("dice %v vs scalar %v", d1, d2)
	}
}

func goldenPerson() entity.Person {
	return match.PersonFromFields(goldenInputs[0], "RS")
}

// TestRecordOnlySchemaIsV1: the default schema without its field groups,
// under the earlier id, is the earlier default (liaison-wb-persons-v1)
// exactly: same digest and key check value, and the record-level filter
// of every golden vector is unchanged, so a region may keep encodings
// without field groups.
func TestRecordOnlySchemaIsV1(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(DefaultSchemaJSON(), &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc["clkConfig"].(map[string]any), "fieldGroups")
	doc["id"] = "liaison-wb-persons-v1"
	b, _ := json.Marshal(doc)
	s, err := ParseSchema(b)
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewKey(s, []byte(goldenSecret))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := k.Fingerprint(), "9243ef86a8aab7dc/3183fc1b6ae9b860"; got != want {
		t.Fatalf("fingerprint %s, want the v1 schema's %s", got, want)
	}
	full := goldenVectors(t, DefaultSchema())
	for i, in := range goldenInputs {
		p := match.PersonFromFields(in, "RS")
		e := k.Encode(&p)
		if len(e.Fields) != 0 {
			t.Fatal("field groups without a fieldGroups setting")
		}
		fe, err := DefaultSchema().ParseEncoding(full[i].Encoding)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(e.Bits, fe.Bits) {
			t.Fatalf("vector %d: record-level filter differs from the default encoding's", i)
		}
	}
}

// TestV2SchemaUnchanged: the v2 document (the whole identifier as the
// personal_id group's one token) still parses to the v2 digest and
// encodes as v2 did, so a region that keeps v2 is not moved by the
// group-only tokenisation added for v3.
func TestV2SchemaUnchanged(t *testing.T) {
	doc := strings.Replace(string(DefaultSchemaJSON()),
		`{"identifier": "personal_id", "bitsPerToken": 3, "comparison": {"type": "ngram", "n": 1, "positional": true}}`,
		`{"identifier": "personal_id", "bitsPerToken": 10}`, 1)
	doc = strings.Replace(doc, `"liaison-wb-persons-v3"`, `"liaison-wb-persons-v2"`, 1)
	s, err := ParseSchema([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewKey(s, []byte(goldenSecret))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := k.Fingerprint(), "042c44b5f00437fd/afa1bee3dd5fa58b"; got != want {
		t.Fatalf("fingerprint %s, want the v2 schema's %s", got, want)
	}
	// The model fitted for v3's groups is not used on v2's: the personal_id
	// group has the same name and length but other levels.
	if m := DefaultDiceModel().ForSchema(s); len(m.Groups) != 0 {
		t.Fatal("v3's group model used with the v2 layout")
	}
	if m := DefaultDiceModel().ForSchema(DefaultSchema()); len(m.Groups) != len(DefaultSchema().ClkConfig.FieldGroups) {
		t.Fatal("the default model's groups not used with the default schema")
	}
	// The first golden vector (it has an identifier) as v2 encoded it.
	const v2 = "jaJm2agRV1VDwT2+3+6loErVUyJxwx1uYsCHTfmigZ9ub8K6/+8s+gNE2/L/+yQM7uuK2PB/MFie8pQYDcbSp8vG5DmQJDYHOhsVtVrUWt1AKwjBBdKvTqsq4Wd9ZXyd5BGIr1poiE6tyvOCtASgYi5RsnPRdQlezm8K1apzQXAGb0BK5DQD+jo1b7gC/PpOZEQ9XmgnfBOfpfzkiQqLvwAAAAAAAAAAAAAAAAAAAACe3nlJTJ5FQfSnWhdZYoTxAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAC8PljERPqvTzNISDlY+0ht42+bdObRGQxFtkBWzHJzxvq5KvTax+ark0DLhii4FNhRJk4kD4WzuAkn9OX9zrwa"
	p := goldenPerson()
	if got := k.Encode(&p).String(); got != v2 {
		t.Fatalf("v2 encoding changed:\n%s\nwant\n%s", got, v2)
	}
}
