// Package synth generates realistic synthetic Western Balkan person
// records with known truth, for quality tests and benchmarks: names and
// places from all six countries, Serbian/Macedonian Cyrillic and Latin
// spellings, missing diacritics, swapped name order, patronymics, JMBG /
// Albanian / Kosovo numbers with typos, day/month swaps, missing fields,
// and relatives (same surname, father and address) as hard non-matches.
package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/liaison-wb/liaison/internal/entity"
)

// Identity is the true description of one person.
type Identity struct {
	Entity     int
	Household  int // the entity whose household this is (its own, or a sibling's)
	Country    int // index into countries
	Group      group
	Female     bool
	Given      string
	Family     string
	Father     string
	DOB        entity.Date
	PersonalID string
	Street     string
	StreetNo   string
	Place      int
	Phone      string // national significant number without trunk 0
	Nation     string
}

// Row is one generated record: column name → value.
type Row map[string]string

// Columns is the column order of generated CSV files.
var Columns = []string{"id", "given_name", "surname", "father_name", "full_name", "date_of_birth", "sex",
	"personal_id", "address_1", "street_number", "city", "postcode", "country", "phone", "nationality"}

// Generator produces identities and noisy records deterministically.
type Generator struct {
	r    *rand.Rand
	next int
	// issued holds the personal numbers given out: a registry never
	// issues one number twice, and two persons sharing one would make
	// false hits no matcher should avoid.
	issued map[string]struct{}
}

// New returns a generator with a fixed seed.
func New(seed uint64) *Generator {
	return &Generator{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// zipf picks an index in [0,n) with a Zipf-like skew (s≈1), so some names
// are much more common than others, as in real registers.
func (g *Generator) zipf(n int) int {
	// Inverse-CDF of a continuous 1/x law on [1, n+1).
	u := g.r.Float64()
	x := math.Exp(u*math.Log(float64(n)+1)) - 1
	i := int(x)
	if i >= n {
		i = n - 1
	}
	return i
}

// pick draws a name: Zipf-skewed 30% of the time, uniform otherwise, so
// the commonest name has a few percent of the population as in real
// registers (pure Zipf over a short list would give it ~18%).
func (g *Generator) pick(xs []string) string {
	if g.chance(0.3) {
		return xs[g.zipf(len(xs))]
	}
	return xs[g.r.IntN(len(xs))]
}

func (g *Generator) chance(p float64) bool { return g.r.Float64() < p }

func (g *Generator) weighted(w []float64) int {
	u := g.r.Float64()
	for i, x := range w {
		if u < x {
			return i
		}
		u -= x
	}
	return len(w) - 1
}

// Identity creates a new random person.
func (g *Generator) Identity() *Identity {
	g.next++
	ci := g.weighted([]float64{0.3, 0.08, 0.17, 0.12, 0.18, 0.15})
	c := &countries[ci]
	id := &Identity{Entity: g.next, Household: g.next, Country: ci, Group: c.groups[g.weighted(c.weights)]}
	id.Female = g.chance(0.5)
	if id.Female {
		id.Given = g.pick(femaleNames[id.Group])
	} else {
		id.Given = g.pick(maleNames[id.Group])
	}
	id.Family = g.familyName(id.Group, id.Female)
	id.Father = g.pick(maleNames[id.Group])
	id.DOB = g.dob()
	g.assignID(id)
	g.assignAddress(id)
	id.Phone = strings.TrimPrefix(c.mobile[g.r.IntN(len(c.mobile))], "0") + fmt.Sprintf("%06d", g.r.IntN(1000000))
	if ci == 0 || c.code == "AL" || g.chance(0.5) {
		id.Phone += strconv.Itoa(g.r.IntN(10))
	}
	id.Nation = c.code
	return id
}

func (g *Generator) familyName(grp group, female bool) string {
	f := g.pick(surnames[grp])
	if female && grp == grpMacedonian {
		switch {
		case strings.HasSuffix(f, "ski"):
			f = strings.TrimSuffix(f, "ski") + "ska"
		case strings.HasSuffix(f, "ev") || strings.HasSuffix(f, "ov"):
			f += "a"
		}
	}
	return f
}

func (g *Generator) dob() entity.Date {
	y := 1940 + g.r.IntN(67)
	m := 1 + g.r.IntN(12)
	d := 1 + g.r.IntN(28)
	if g.chance(0.1) {
		d = 1 + g.r.IntN(daysIn(y, m))
	}
	return entity.Date{Year: y, Month: m, Day: d}
}

func daysIn(y, m int) int {
	for d := 31; d > 28; d-- {
		if (entity.Date{Year: y, Month: m, Day: d}).Valid() {
			return d
		}
	}
	return 28
}

func (g *Generator) assignID(id *Identity) {
	if g.issued == nil {
		g.issued = map[string]struct{}{}
	}
	for {
		g.drawID(id)
		if _, taken := g.issued[id.PersonalID]; !taken {
			g.issued[id.PersonalID] = struct{}{}
			return
		}
	}
}

// drawID draws a personal number of the identity's country for its date
// of birth and sex.
func (g *Generator) drawID(id *Identity) {
	c := &countries[id.Country]
	d := id.DOB
	switch c.idKind {
	case "jmbg":
		for {
			rr := c.region[0] + g.r.IntN(c.region[1]-c.region[0]+1)
			bbb := g.r.IntN(500)
			if id.Female {
				bbb += 500
			}
			s := fmt.Sprintf("%02d%02d%03d%02d%03d", d.Day, d.Month, d.Year%1000, rr, bbb)
			if k := entity.JMBGCheckDigit(s); k >= 0 {
				id.PersonalID = s + strconv.Itoa(k)
				return
			}
		}
	case "al":
		m := d.Month
		if id.Female {
			m += 50
		}
		dec := byte('A' + (d.Year-1900)/10)
		if d.Year < 1900 {
			dec = 'A'
		}
		id.PersonalID = fmt.Sprintf("%c%d%02d%02d%03d%c", dec, d.Year%10, m, d.Day, g.r.IntN(1000), 'A'+rune(g.r.IntN(23)))
	default:
		id.PersonalID = fmt.Sprintf("1%09d", g.r.IntN(1000000000))
	}
}

func (g *Generator) assignAddress(id *Identity) {
	c := &countries[id.Country]
	id.Place = g.zipf(len(c.places))
	id.Street = g.pick(c.streets)
	id.StreetNo = strconv.Itoa(1 + g.zipf(150))
	if g.chance(0.1) {
		id.StreetNo += string(rune('a' + g.r.IntN(3)))
	}
}

// Relative returns a sibling of id: same family name, father, address and
// sometimes phone and birth year; a different person.
func (g *Generator) Relative(id *Identity) *Identity {
	g.next++
	r := *id
	r.Entity = g.next
	r.Female = g.chance(0.5)
	for {
		if r.Female {
			r.Given = g.pick(femaleNames[r.Group])
		} else {
			r.Given = g.pick(maleNames[r.Group])
		}
		if r.Given != id.Given {
			break
		}
	}
	if r.Female != id.Female && r.Group == grpMacedonian {
		r.Family = g.familyName(r.Group, r.Female)
	}
	if g.chance(0.15) {
		r.DOB = id.DOB // twin
	} else {
		r.DOB = g.dob()
		if g.chance(0.5) {
			r.DOB.Year = id.DOB.Year + g.r.IntN(9) - 4
		}
	}
	g.assignID(&r)
	if !g.chance(0.5) {
		r.Phone = id.Phone[:len(id.Phone)-3] + fmt.Sprintf("%03d", g.r.IntN(1000))
	}
	return &r
}

// Render produces a record for an identity. With noise, the record is a
// realistic second registration of the same person by another agency.
func (g *Generator) Render(id *Identity, recID string, noise bool) Row {
	c := &countries[id.Country]
	given, family, father := id.Given, id.Family, id.Father
	pl := c.places[id.Place]
	city := pl.names[0]
	street := id.Street
	dob := id.DOB
	pid := id.PersonalID
	phone := "0" + id.Phone
	nation := c.names[0]
	sex := "M"
	if id.Female {
		sex = "F"
	}
	if g.chance(0.3) {
		sex = map[string]string{"M": "m", "F": "ž"}[sex]
		if id.Group == grpAlbanian {
			sex = map[string]string{"m": "mashkull", "ž": "femër"}[sex]
		}
	}
	row := Row{"id": recID}
	fullName := false
	cyr := false
	if noise {
		// Budget of corruptions so every duplicate stays recognisable.
		budget := 1 + g.r.IntN(4)
		try := func(p float64) bool {
			if budget > 0 && g.chance(p) {
				budget--
				return true
			}
			return false
		}
		if (id.Group == grpSerb || id.Group == grpMacedonian) && g.chance(0.3) {
			cyr = true // not a corruption: a legitimate spelling
		}
		if id.Group == grpAlbanian && g.chance(0.15) {
			// Registered by a Serbian-language authority.
			given, family, father = slavicise(given), slavicise(family), slavicise(father)
			if g.chance(0.4) {
				cyr = true
			}
		}
		if !cyr && g.chance(0.35) {
			given, family, father = stripDiacritics(given, g), stripDiacritics(family, g), stripDiacritics(father, g)
			city, street = stripDiacritics(city, g), stripDiacritics(street, g)
		}
		if id.Group == grpAlbanian && g.chance(0.25) {
			family = albanianForm(family)
		}
		if try(0.3) {
			if g.chance(0.5) {
				given = typo(g, given)
			} else {
				family = typo(g, family)
			}
		}
		if try(0.15) {
			given, family = family, given
		}
		if g.chance(0.15) {
			fullName = true
		}
		if try(0.12) {
			dob.Month, dob.Day = dob.Day, dob.Month
			if !dob.Valid() {
				dob = id.DOB
			}
		}
		if try(0.12) {
			s := dob.Digits()
			i := g.r.IntN(8)
			s = s[:i] + strconv.Itoa(g.r.IntN(10)) + s[i+1:]
			d, _ := entity.ParseDate(s)
			if d.Year != 0 {
				dob = d
			}
		}
		if try(0.08) {
			dob = entity.Date{}
		} else if try(0.04) {
			dob = entity.Date{Year: dob.Year}
		}
		if try(0.12) {
			b := []byte(pid)
			i := g.r.IntN(len(b))
			if b[i] >= '0' && b[i] <= '9' {
				b[i] = byte('0' + g.r.IntN(10))
			}
			pid = string(b)
		}
		if g.chance(0.2) {
			pid = ""
		}
		if g.chance(0.4) {
			father = ""
		}
		if g.chance(0.25) {
			street = ""
			row["street_number"] = ""
		} else if try(0.1) {
			street = g.pick(c.streets)
		}
		if g.chance(0.3) && len(pl.names) > 1 {
			city = pl.names[1+g.r.IntN(len(pl.names)-1)]
		}
		if g.chance(0.15) {
			city = ""
		}
		if g.chance(0.4) {
			phone = ""
		} else if g.chance(0.5) {
			phone = "+" + entity.CallingCode(c.code) + " " + id.Phone[:2] + " " + id.Phone[2:]
		}
		if g.chance(0.2) {
			sex = ""
		}
		if g.chance(0.4) {
			nation = ""
		} else if g.chance(0.5) {
			nation = c.names[1+g.r.IntN(len(c.names)-1)]
		}
	} else if g.chance(0.3) {
		father = ""
	}
	if cyr {
		given, family, father = toCyrillic(given, id.Group), toCyrillic(family, id.Group), toCyrillic(father, id.Group)
		if g.chance(0.5) {
			street = toCyrillic(street, id.Group)
		}
	}
	if fullName {
		switch g.r.IntN(4) {
		case 0:
			row["full_name"] = join(given, family)
		case 1:
			row["full_name"] = join(given, father, family)
		case 2:
			if father != "" {
				row["full_name"] = given + " (" + father + ") " + family
			} else {
				row["full_name"] = join(given, family)
			}
		default:
			row["full_name"] = strings.ToUpper(family) + " " + given
		}
	} else {
		row["given_name"], row["surname"], row["father_name"] = given, family, father
	}
	if !dob.IsZero() {
		row["date_of_birth"] = formatDate(g, dob)
	}
	row["sex"] = sex
	row["personal_id"] = pid
	if street != "" {
		row["address_1"] = street
		if _, ok := row["street_number"]; !ok {
			row["street_number"] = id.StreetNo
		}
	}
	row["city"] = city
	if city != "" {
		row["postcode"] = pl.postcode
	}
	row["country"] = c.names[0]
	row["phone"] = phone
	row["nationality"] = nation
	return row
}

func join(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}

func formatDate(g *Generator, d entity.Date) string {
	if !d.Full() {
		return d.String()
	}
	switch g.r.IntN(4) {
	case 0:
		return fmt.Sprintf("%04d%02d%02d", d.Year, d.Month, d.Day)
	case 1:
		return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
	case 2:
		return fmt.Sprintf("%02d.%02d.%04d", d.Day, d.Month, d.Year)
	}
	return fmt.Sprintf("%d.%d.%d.", d.Day, d.Month, d.Year)
}

// typo applies one keyboard-style error: substitution, deletion,
// insertion or transposition of adjacent letters.
func typo(g *Generator, s string) string {
	r := []rune(s)
	if len(r) < 4 {
		return s
	}
	i := 1 + g.r.IntN(len(r)-2)
	letters := []rune("aeiounrstlkmvdjcpbg")
	switch g.r.IntN(4) {
	case 0:
		r[i] = letters[g.r.IntN(len(letters))]
	case 1:
		r = append(r[:i], r[i+1:]...)
	case 2:
		r = append(r[:i], append([]rune{letters[g.r.IntN(len(letters))]}, r[i:]...)...)
	default:
		r[i], r[i+1] = r[i+1], r[i]
	}
	return string(r)
}

// stripDiacritics writes a name as typed on a keyboard without regional
// letters (č → c, đ → dj or d, ë → e, ç → c).
func stripDiacritics(s string, g *Generator) string {
	if g.chance(0.3) {
		return stripD.Replace(s)
	}
	return stripDj.Replace(s)
}

var (
	stripDj = strings.NewReplacer("č", "c", "ć", "c", "š", "s", "ž", "z", "đ", "dj", "Č", "C", "Ć", "C", "Š", "S",
		"Ž", "Z", "Đ", "Dj", "ë", "e", "Ë", "E", "ç", "c", "Ç", "C", "ǵ", "g", "Ǵ", "G")
	stripD = strings.NewReplacer("č", "c", "ć", "c", "š", "s", "ž", "z", "đ", "d", "Č", "C", "Ć", "C", "Š", "S",
		"Ž", "Z", "Đ", "D", "ë", "e", "Ë", "E", "ç", "c", "Ç", "C", "ǵ", "g", "Ǵ", "G")
	slavReplacer = strings.NewReplacer("Xh", "Dž", "xh", "dž", "Sh", "Š", "sh", "š", "Zh", "Ž", "zh", "ž", "Gj", "Đ", "gj", "đ",
		"Ç", "Č", "ç", "č", "Q", "Ć", "q", "ć", "Ë", "E", "ë", "e", "Y", "I", "y", "i", "Rr", "R", "rr", "r", "Ll", "L", "ll", "l")
	srDigraphs = strings.NewReplacer("Gj", "G\x00j", "gj", "g\x00j", "Kj", "K\x00j", "kj", "k\x00j", "Dz", "D\x00z", "dz", "d\x00z")
)

// albanianForm switches between the definite and indefinite endings
// (Hoxha/Hoxhë, Rama/Ramë) as clerks write them.
func albanianForm(s string) string {
	switch {
	case strings.HasSuffix(s, "a"):
		return strings.TrimSuffix(s, "a") + "ë"
	case strings.HasSuffix(s, "ë"):
		return strings.TrimSuffix(s, "ë") + "a"
	}
	return s
}

// slavicise spells an Albanian name the way Serbian-language registers
// do: ç → č, q → ć, xh → dž, sh → š, zh → ž, gj → đ, ë → e, y → i.
func slavicise(s string) string { return slavReplacer.Replace(s) }

var latToCyr = []string{
	"Lj", "Љ", "lj", "љ", "Nj", "Њ", "nj", "њ", "Dž", "Џ", "dž", "џ", "Gj", "Ѓ", "gj", "ѓ", "Kj", "Ќ", "kj", "ќ",
	"Ǵ", "Ѓ", "ǵ", "ѓ", "Dz", "Ѕ", "dz", "ѕ",
	"A", "А", "B", "Б", "V", "В", "G", "Г", "D", "Д", "Đ", "Ђ", "E", "Е", "Ž", "Ж", "Z", "З", "I", "И", "J", "Ј",
	"K", "К", "L", "Л", "M", "М", "N", "Н", "O", "О", "P", "П", "R", "Р", "S", "С", "T", "Т", "Ć", "Ћ", "U", "У",
	"F", "Ф", "H", "Х", "C", "Ц", "Č", "Ч", "Š", "Ш",
	"a", "а", "b", "б", "v", "в", "g", "г", "d", "д", "đ", "ђ", "e", "е", "ž", "ж", "z", "з", "i", "и", "j", "ј",
	"k", "к", "l", "л", "m", "м", "n", "н", "o", "о", "p", "п", "r", "р", "s", "с", "t", "т", "ć", "ћ", "u", "у",
	"f", "ф", "h", "х", "c", "ц", "č", "ч", "š", "ш",
}

var cyrReplacer = strings.NewReplacer(latToCyr...)

// toCyrillic writes a Serbian or Macedonian Latin name in Cyrillic.
func toCyrillic(s string, grp group) string {
	if grp != grpMacedonian {
		// Serbian has no Ѓ/Ќ/Ѕ: keep gj, kj, dz as two letters.
		s = srDigraphs.Replace(s)
	}
	return strings.ReplaceAll(cyrReplacer.Replace(s), "\x00", "")
}
