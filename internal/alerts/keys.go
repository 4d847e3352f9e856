package alerts

import (
	"slices"
	"strings"

	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/match"
)

// Candidate keys. A person alert gets the matching engine's own index keys
// (match.IndexKeys, the keys the case database's candidate index uses) for
// its name and for each previous name or alias, so a check finds it across
// scripts, diacritics, name order and typos; every identifier (document,
// national number, plate, VIN, serial number) gets an exact key on its
// normalised form. Only the candidates sharing keys with a check are
// scored by the engine.
const tagIdent byte = 200

// identNorm is the comparable form of an identifier: folded to Latin
// without diacritics, letters and digits only, upper case. "БГ 123-АБ" and
// "bg123ab" are the same plate.
func identNorm(s string) string {
	var b strings.Builder
	for _, r := range entity.Fold(s) {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		}
	}
	return b.String()
}

func hashKey(tag byte, s string) int64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	h ^= uint64(tag)
	h *= prime
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= prime
	}
	return int64(h)
}

// identifiers lists the normalised identifiers of an alert's subject.
func identifiers(a Alert) []string {
	var raw []string
	if a.Person != nil {
		raw = append(raw, a.Person.Documents...)
		raw = append(raw, a.Person.NationalIDs...)
	}
	if a.Object != nil {
		raw = append(raw, a.Object.Identifiers()...)
	}
	var out []string
	for _, v := range raw {
		if n := identNorm(v); len(n) >= 4 && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// personRecords are the engine records of a person alert: one for the
// name and one per previous name or alias, each with the date of birth,
// sex and first national number.
func personRecords(a Alert, region string) []entity.Person {
	p := a.Person
	if p == nil {
		return nil
	}
	base := map[string]string{match.ColID: a.ID, match.ColDOB: p.DateOfBirth, match.ColSex: p.Sex}
	if len(p.Nationalities) == 1 {
		// A dual national may travel on either passport: compared only
		// when there is one.
		base[match.ColNationality] = p.Nationalities[0]
	}
	if len(p.NationalIDs) > 0 {
		base[match.ColPersonalID] = p.NationalIDs[0]
	}
	var out []entity.Person
	if p.GivenName != "" || p.FamilyName != "" {
		v := clone(base)
		v[match.ColGiven], v[match.ColFamily] = p.GivenName, p.FamilyName
		out = append(out, match.PersonFromFields(v, region))
	}
	for _, n := range p.Names {
		v := clone(base)
		v[match.ColFull] = n
		out = append(out, match.PersonFromFields(v, region))
	}
	return out
}

// preparePersons is personRecords in the engine's comparison form.
func preparePersons(a Alert, region string) []match.Prepared {
	ps := personRecords(a, region)
	out := make([]match.Prepared, len(ps))
	for i := range ps {
		out[i] = *match.Prepare(&ps[i])
	}
	return out
}

func clone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+2)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// alertKeys are all candidate keys of an alert, deduplicated.
func alertKeys(a Alert, region string) []int64 {
	var out []int64
	for _, p := range personRecords(a, region) {
		for _, k := range match.IndexKeys(&p, nil) {
			out = append(out, int64(k))
		}
	}
	for _, id := range identifiers(a) {
		out = append(out, hashKey(tagIdent, id))
	}
	slices.Sort(out)
	return slices.Compact(out)
}
