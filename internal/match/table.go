package match

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/liaison-wb/liaison/internal/entity"
)

// Column kinds understood by ReadPersons (the KIND of --field COLUMN=KIND).
const (
	ColID           = "id"
	ColGiven        = "given_name"
	ColFamily       = "family_name"
	ColFull         = "full_name"
	ColDOB          = "date_of_birth"
	ColSex          = "sex"
	ColPersonalID   = "personal_id"
	ColStreetNumber = "street_number"
	ColAddress1     = "address_1"
	ColAddress2     = "address_2"
	ColCity         = "city"
	ColPostcode     = "postcode"
	ColState        = "state"
	ColCountry      = "country"
	ColPhone        = "phone"
	ColNationality  = "nationality"
	ColFather       = "father_name"
	ColIgnore       = "ignore"
)

// ColumnKinds lists the valid column kinds.
var ColumnKinds = []string{ColID, ColGiven, ColFamily, ColFull, ColDOB, ColSex,
	ColPersonalID, ColStreetNumber, ColAddress1, ColAddress2, ColCity,
	ColPostcode, ColState, ColCountry, ColPhone, ColNationality, ColFather, ColIgnore}

// headerAliases maps normalised header names to column kinds: the names of
// the command-line contract plus common regional spellings.
var headerAliases = map[string]string{
	"id": ColID, "rec_id": ColID, "record_id": ColID,
	"given_name": ColGiven, "first_name": ColGiven, "firstname": ColGiven, "given": ColGiven, "ime": ColGiven, "emri": ColGiven,
	"surname": ColFamily, "family_name": ColFamily, "last_name": ColFamily, "lastname": ColFamily, "prezime": ColFamily, "mbiemri": ColFamily,
	"full_name": ColFull, "name": ColFull, "fullname": ColFull, "ime_i_prezime": ColFull, "emri_mbiemri": ColFull,
	"date_of_birth": ColDOB, "dob": ColDOB, "birth_date": ColDOB, "datum_rodjenja": ColDOB, "datelindja": ColDOB,
	"sex": ColSex, "gender": ColSex, "pol": ColSex, "gjinia": ColSex,
	"personal_id": ColPersonalID, "national_id": ColPersonalID, "soc_sec_id": ColPersonalID, "jmbg": ColPersonalID, "embg": ColPersonalID,
	"personal_number": ColPersonalID, "numri_personal": ColPersonalID, "nid": ColPersonalID,
	"street_number": ColStreetNumber, "house_number": ColStreetNumber, "broj": ColStreetNumber,
	"address_1": ColAddress1, "address": ColAddress1, "street": ColAddress1, "adresa": ColAddress1, "adresa_1": ColAddress1, "ulica": ColAddress1, "rruga": ColAddress1,
	"address_2": ColAddress2, "adresa_2": ColAddress2,
	"suburb": ColCity, "city": ColCity, "town": ColCity, "municipality": ColCity, "grad": ColCity, "opstina": ColCity, "qyteti": ColCity, "komuna": ColCity,
	"postcode": ColPostcode, "postal_code": ColPostcode, "zip": ColPostcode, "postanski_broj": ColPostcode,
	"state": ColState, "region": ColState,
	"country": ColCountry, "drzava": ColCountry, "shteti": ColCountry,
	"phone": ColPhone, "telephone": ColPhone, "mobile": ColPhone, "telefon": ColPhone, "tel": ColPhone,
	"nationality": ColNationality, "citizenship": ColNationality, "drzavljanstvo": ColNationality, "shtetesia": ColNationality,
	"father_name": ColFather, "fathers_name": ColFather, "father": ColFather, "patronymic": ColFather, "ime_oca": ColFather, "atesia": ColFather, "emri_i_babait": ColFather,
}

// normHeader lower-cases, trims and folds a header name, turning spaces
// and dashes into underscores.
func normHeader(h string) string {
	h = entity.Fold(strings.TrimSpace(h))
	h = strings.NewReplacer(" ", "_", "-", "_", "'", "").Replace(h)
	return h
}

// InputError reports bad input with its position. Line and Column are
// 1-based; 0 means not applicable.
type InputError struct {
	File         string
	Line, Column int
	Header       string // column header, when known
	Msg          string
}

func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d", e.Line)
	}
	if e.Column > 0 {
		fmt.Fprintf(&b, ", column %d", e.Column)
		if e.Header != "" {
			fmt.Fprintf(&b, " (%s)", e.Header)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// TableOptions configure ReadPersons.
type TableOptions struct {
	// Fields maps extra column headers (as written, case-insensitive) to
	// column kinds; it overrides the built-in header names.
	Fields map[string]string
	// DefaultRegion is the ISO region for phone numbers without a country
	// code when the record has no recognisable country ("RS").
	DefaultRegion string
}

// ReadPersons reads person records from CSV with a header row. Columns
// are found by header name (see headerAliases and the command-line
// contract); values are trimmed. name is used in error messages. Errors
// are *InputError naming the line and column.
func ReadPersons(r io.Reader, name string, opt TableOptions) ([]entity.Person, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3)
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return nil, &InputError{File: name, Line: 1, Msg: "file is UTF-16; save it as UTF-8"}
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &InputError{File: name, Line: 1, Msg: "empty file: a header row is required"}
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	header = cloneStrings(header)
	overrides := map[string]string{}
	for col, kind := range opt.Fields {
		overrides[normHeader(col)] = kind
	}
	kinds := make([]string, len(header))
	seen := map[string]int{}
	idCol := -1
	for i, h := range header {
		if !utf8.ValidString(h) {
			return nil, &InputError{File: name, Line: 1, Column: i + 1, Msg: "header is not valid UTF-8 (mixed or legacy encoding?)"}
		}
		nh := normHeader(h)
		k, ok := overrides[nh]
		if !ok {
			k = headerAliases[nh]
		}
		if k == "" || k == ColIgnore {
			continue
		}
		if prev, dup := seen[k]; dup {
			return nil, &InputError{File: name, Line: 1, Column: i + 1, Header: strings.TrimSpace(h),
				Msg: fmt.Sprintf("column maps to %s like column %d (%s); use --field to disambiguate", k, prev+1, strings.TrimSpace(header[prev]))}
		}
		seen[k] = i
		kinds[i] = k
		if k == ColID {
			idCol = i
		}
	}
	if idCol < 0 {
		return nil, &InputError{File: name, Line: 1, Msg: "no id column (expected a header named id or rec_id, or --field COLUMN=id)"}
	}
	var out []entity.Person
	ids := map[string]int{}
	vals := make(map[string]string, len(kinds))
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			return nil, &InputError{File: name, Line: line, Msg: fmt.Sprintf("row has %d fields, header has %d", len(rec), len(header))}
		}
		clear(vals)
		for i, v := range rec {
			if !utf8.ValidString(v) {
				l, c := cr.FieldPos(i)
				return nil, &InputError{File: name, Line: l, Column: i + 1, Header: strings.TrimSpace(header[i]),
					Msg: fmt.Sprintf("invalid UTF-8 at byte %d of the field (mixed or legacy encoding such as Windows-1250?)", c)}
			}
			if kinds[i] != "" {
				vals[kinds[i]] = strings.TrimSpace(v)
			}
		}
		id := vals[ColID]
		if id == "" {
			return nil, &InputError{File: name, Line: line, Column: idCol + 1, Header: strings.TrimSpace(header[idCol]), Msg: "empty id"}
		}
		if prev, dup := ids[id]; dup {
			return nil, &InputError{File: name, Line: line, Column: idCol + 1, Header: strings.TrimSpace(header[idCol]),
				Msg: fmt.Sprintf("duplicate id %q (first on line %d)", id, prev)}
		}
		ids[id] = line
		out = append(out, personFromValues(vals, opt.DefaultRegion))
	}
	return out, nil
}

// cloneStrings copies a reused csv record.
func cloneStrings(s []string) []string { return append([]string(nil), s...) }

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &InputError{File: name, Line: pe.Line, Column: pe.Column, Msg: pe.Err.Error()}
	}
	return &InputError{File: name, Msg: err.Error()}
}

// PersonFromFields builds a person from column-kind → value pairs (the
// same interpretation as ReadPersons).
func PersonFromFields(vals map[string]string, defaultRegion string) entity.Person {
	return personFromValues(vals, defaultRegion)
}

func personFromValues(v map[string]string, defaultRegion string) entity.Person {
	p := entity.Person{ID: v[ColID]}
	p.Name = entity.ParseName(v[ColGiven], v[ColFamily], v[ColFather], v[ColFull])
	if s := v[ColDOB]; s != "" {
		d, err := entity.ParseDate(s)
		switch {
		case err == nil:
			p.DOB = d
		case d.Year != 0:
			p.DOBRaw = d.Digits()
		default:
			p.DOBRaw = s
		}
	}
	p.Sex = entity.ParseSex(v[ColSex])
	p.PersonalID = entity.ParsePersonalID(v[ColPersonalID])
	p.Address = entity.Address{
		StreetNumber: v[ColStreetNumber],
		Street:       v[ColAddress1],
		Line2:        v[ColAddress2],
		City:         v[ColCity],
		Postcode:     v[ColPostcode],
		Region:       v[ColState],
	}
	if c := v[ColCountry]; c != "" {
		p.Address.Country = entity.ParseCountry(c)
	}
	if n := v[ColNationality]; n != "" {
		p.Nationality = entity.ParseCountry(n)
	}
	if ph := v[ColPhone]; ph != "" {
		region := defaultRegion
		if len(p.Address.Country) == 2 && entity.CallingCode(p.Address.Country) != "" {
			region = p.Address.Country
		} else if len(p.Nationality) == 2 && entity.CallingCode(p.Nationality) != "" && region == "" {
			region = p.Nationality
		}
		if e, err := entity.NormalizePhone(ph, region); err == nil {
			p.Phone = e
		} else {
			p.Phone = digitsOnlyStr(ph)
		}
	}
	return p
}
