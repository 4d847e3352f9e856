package match

import (
	"github.com/liaison-wb/liaison/internal/entity"
)

// NormalForm is a person record in the matching engine's comparison form:
// names script-folded to Latin, case- and diacritic-folded and tokenised;
// the date of birth as eight digits (00 for an unknown part), completed
// from a JMBG or Albanian number when missing; sex completed from the
// personal number; identifier, phone and address parts normalised. The
// privacy-preserving encodings (internal/match/pprl) are built from it, so
// that they see exactly what the engine compares.
type NormalForm struct {
	// Names holds every name token of the record (given, family, and a
	// father's name inferred from a full name's middle), in no particular
	// role: encodings compare names order-free.
	Names []string
	// Father holds the explicitly recorded father's name tokens.
	Father      []string
	DOB         string // YYYYMMDD, "" when unknown
	Sex         string // "m", "f" or ""
	ID          string
	Street      []string // street name tokens (street words canonical)
	StreetNo    string
	City        string
	Postcode    string
	Phone       string
	Nationality string
}

// Normal returns the comparison form of a person record.
func Normal(p *entity.Person) NormalForm {
	r := prepare(p)
	return normalOf(&r)
}

// NormalWithKeys returns the comparison form and the index keys
// (IndexKeys) of a person, preparing the record once.
func NormalWithKeys(p *entity.Person) (NormalForm, []uint64) {
	r := prepare(p)
	return normalOf(&r), r.keys(nil, false)
}

func normalOf(r *prepared) NormalForm {
	var n NormalForm
	if r.fromFull {
		n.Names = append(n.Names, r.full...)
	} else {
		n.Names = append(n.Names, r.given.toks...)
		n.Names = append(n.Names, r.family.toks...)
		if !r.explicitFather {
			n.Names = append(n.Names, r.father.toks...)
		}
	}
	if r.explicitFather {
		n.Father = r.father.toks
	}
	if len(r.dobRaw) == 8 {
		n.DOB = r.dobRaw
	}
	switch r.sex {
	case entity.SexMale:
		n.Sex = "m"
	case entity.SexFemale:
		n.Sex = "f"
	}
	n.ID = r.id
	n.Street = r.street.toks
	n.StreetNo = r.streetNo
	n.City = r.city
	n.Postcode = r.postcode
	n.Phone = r.phone
	n.Nationality = r.nationality
	return n
}

// BatchKeys appends the blocking keys batch linkage uses: IndexKeys plus
// the broad name-prefix and address keys. Privacy-preserving batch linkage
// passes them through a keyed hash.
func BatchKeys(p *entity.Person, out []uint64) []uint64 {
	r := prepare(p)
	return r.blockKeys(out)
}
