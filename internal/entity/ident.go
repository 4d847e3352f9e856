package entity

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Identifier errors. Parsers return the normalised value together with
// ErrChecksum so that a mistyped number can still be compared digit-wise.
var (
	ErrFormat   = errors.New("invalid format")
	ErrChecksum = errors.New("checksum mismatch")
	ErrDOB      = errors.New("date of birth does not match identifier")
)

// Sex is a person's recorded sex.
type Sex uint8

// Sex values.
const (
	SexUnknown Sex = iota
	SexMale
	SexFemale
)

func (s Sex) String() string {
	switch s {
	case SexMale:
		return "M"
	case SexFemale:
		return "F"
	}
	return ""
}

// ParseSex understands the usual codes in English and the regional
// languages (m/f, male/female, muški/ženski, mashkull/femër, м/ж).
func ParseSex(s string) Sex {
	switch Fold(strings.TrimSpace(s)) {
	case "m", "male", "man", "musko", "muski", "mushko", "mashkull", "mashk", "1":
		return SexMale
	case "f", "female", "woman", "w", "z", "zensko", "zenski", "femer", "femre", "fem", "2", "zh", "zhenski", "zhensko":
		return SexFemale
	}
	return SexUnknown
}

// digitsOnly strips spaces, dashes, dots and slashes; it returns "" if any
// other character remains.
func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '/' || r == '\u00a0':
		default:
			return ""
		}
	}
	return b.String()
}

// JMBG is a parsed Unique Master Citizen Number (JMBG in Serbia, Bosnia and
// Herzegovina and Montenegro, EMBG in North Macedonia): DDMMYYYRRBBBK.
type JMBG struct {
	Number string // 13 digits
	DOB    Date
	Sex    Sex
	Region int // RR: 10–19 BiH, 20–29 ME, 41–49 MK, 71–79 RS, 80–89 Vojvodina, 91–96 Kosovo
}

// ParseJMBG validates a JMBG/EMBG: 13 digits, a real date of birth and the
// mod-11 check digit (K = 11 − S mod 11, 11 → 0, 10 is never issued).
// Separators (space, dash, dot) are ignored. On ErrChecksum the result is
// filled in; on ErrFormat only Number may be set.
func ParseJMBG(s string) (JMBG, error) {
	d := digitsOnly(strings.TrimSpace(s))
	if len(d) != 13 {
		return JMBG{}, fmt.Errorf("JMBG %q: %w: need 13 digits", s, ErrFormat)
	}
	j := JMBG{Number: d}
	yyy := atoi(d[4:7])
	year := 2000 + yyy
	if yyy >= 800 {
		year = 1000 + yyy
	}
	j.DOB = Date{year, atoi(d[2:4]), atoi(d[0:2])}
	j.Region = atoi(d[7:9])
	if atoi(d[9:12]) < 500 {
		j.Sex = SexMale
	} else {
		j.Sex = SexFemale
	}
	if !j.DOB.Full() || !j.DOB.Valid() {
		return j, fmt.Errorf("JMBG %q: %w: bad date of birth", s, ErrFormat)
	}
	if JMBGCheckDigit(d[:12]) != int(d[12]-'0') {
		return j, fmt.Errorf("JMBG %q: %w", s, ErrChecksum)
	}
	return j, nil
}

// JMBGCheckDigit computes the check digit for the first 12 digits, or -1
// when the weighted sum gives 10 (such numbers are not issued).
func JMBGCheckDigit(first12 string) int {
	if len(first12) != 12 {
		return -1
	}
	w := [6]int{7, 6, 5, 4, 3, 2}
	sum := 0
	for i := 0; i < 6; i++ {
		sum += w[i] * (int(first12[i]-'0') + int(first12[i+6]-'0'))
	}
	m := 11 - sum%11
	switch m {
	case 11:
		return 0
	case 10:
		return -1
	}
	return m
}

// CheckDOB returns ErrDOB when a known date of birth contradicts the one
// encoded in the number (partial dates compare on their known parts).
func (j JMBG) CheckDOB(dob Date) error {
	if dob.IsZero() || j.DOB.IsZero() {
		return nil
	}
	if dob.Year != j.DOB.Year || (dob.Month != 0 && dob.Month != j.DOB.Month) ||
		(dob.Day != 0 && dob.Day != j.DOB.Day) {
		return fmt.Errorf("JMBG %s encodes %s, record says %s: %w", j.Number, j.DOB, dob, ErrDOB)
	}
	return nil
}

// AlbanianID is a parsed Albanian personal number (numri personal, NID),
// e.g. J00101001A: a decade letter (A = 1900s … J = 1990s, K = 2000s),
// the last digit of the birth year, the month (+50 for women), the day,
// a three-digit serial and a check letter.
type AlbanianID struct {
	Number string // upper case, 10 characters
	DOB    Date
	Sex    Sex
}

// ParseAlbanianID validates structure, decade letter, birth date and sex
// coding. The check-letter algorithm is not published, so the last
// character is only required to be a letter A–W; it is not verified.
func ParseAlbanianID(s string) (AlbanianID, error) {
	n := strings.ToUpper(strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '.' {
			return -1
		}
		return r
	}, strings.TrimSpace(s)))
	if len(n) != 10 || n[0] < 'A' || n[0] > 'N' || !allDigits(n[1:9]) || n[9] < 'A' || n[9] > 'W' {
		return AlbanianID{}, fmt.Errorf("Albanian personal number %q: %w", s, ErrFormat)
	}
	id := AlbanianID{Number: n}
	year := 1900 + int(n[0]-'A')*10 + int(n[1]-'0')
	month := atoi(n[2:4])
	id.Sex = SexMale
	if month > 50 {
		month -= 50
		id.Sex = SexFemale
	}
	id.DOB = Date{year, month, atoi(n[4:6])}
	if !id.DOB.Valid() || month == 0 || id.DOB.Day == 0 {
		return id, fmt.Errorf("Albanian personal number %q: %w: bad date of birth", s, ErrFormat)
	}
	return id, nil
}

// ParseKosovoID validates a Kosovo personal number: exactly 10 digits
// (issued by the Civil Registration Agency; no public check-digit rule, so
// only the shape is validated).
func ParseKosovoID(s string) (string, error) {
	d := digitsOnly(strings.TrimSpace(s))
	if len(d) != 10 {
		return "", fmt.Errorf("Kosovo personal number %q: %w: need 10 digits", s, ErrFormat)
	}
	return d, nil
}

// IDKind tells which national scheme a personal identifier follows.
type IDKind string

// Identifier kinds recognised by ParsePersonalID.
const (
	IDUnknown  IDKind = ""
	IDJMBG     IDKind = "jmbg"
	IDAlbanian IDKind = "al"
	IDKosovo   IDKind = "xk"
	IDOther    IDKind = "other"
)

// PersonalID is any national personal identifier in comparison form.
type PersonalID struct {
	Kind   IDKind
	Number string // upper-case alphanumerics only
	DOB    Date   // encoded date of birth, if the scheme has one
	Sex    Sex
	Valid  bool // structure and (where defined) checksum are correct
}

// ParsePersonalID recognises JMBG/EMBG, Albanian and Kosovo numbers; other
// values are kept as upper-case alphanumerics with Kind IDOther.
func ParsePersonalID(s string) PersonalID {
	s = strings.TrimSpace(s)
	if s == "" {
		return PersonalID{}
	}
	if j, err := ParseJMBG(s); j.Number != "" {
		return PersonalID{Kind: IDJMBG, Number: j.Number, DOB: j.DOB, Sex: j.Sex, Valid: err == nil}
	}
	if a, err := ParseAlbanianID(s); a.Number != "" {
		return PersonalID{Kind: IDAlbanian, Number: a.Number, DOB: a.DOB, Sex: a.Sex, Valid: err == nil}
	}
	if k, err := ParseKosovoID(s); err == nil {
		return PersonalID{Kind: IDKosovo, Number: k, Valid: true}
	}
	n := alnumUpper(s)
	if n == "" {
		return PersonalID{}
	}
	return PersonalID{Kind: IDOther, Number: n}
}

func alnumUpper(s string) string {
	var b strings.Builder
	for _, r := range Fold(s) {
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r - 'a' + 'A')
		} else if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ibanLength lists ISO 13616 IBAN lengths per country.
var ibanLength = map[string]int{
	"AL": 28, "BA": 20, "ME": 22, "MK": 19, "RS": 22, "XK": 20,
	"AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24,
	"DE": 22, "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FO": 18, "FR": 27,
	"GB": 22, "GI": 23, "GL": 18, "GR": 27, "HR": 21, "HU": 28, "IE": 22,
	"IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27,
	"MD": 24, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24,
	"SE": 24, "SI": 19, "SK": 24, "SM": 27, "TR": 26, "UA": 29, "VA": 22,
}

// NormalizeIBAN removes spaces and dashes, upper-cases and validates the
// country length and the ISO 13616 mod-97 check. On ErrChecksum the
// normalised value is returned too.
func NormalizeIBAN(s string) (string, error) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r == ' ' || r == '-' || r == '\u00a0':
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'):
			b.WriteRune(r)
		default:
			return "", fmt.Errorf("IBAN %q: %w: unexpected %q", s, ErrFormat, r)
		}
	}
	n := b.String()
	if len(n) < 5 || n[0] < 'A' || n[0] > 'Z' || n[1] < 'A' || n[1] > 'Z' || !allDigits(n[2:4]) {
		return "", fmt.Errorf("IBAN %q: %w", s, ErrFormat)
	}
	if want, ok := ibanLength[n[:2]]; ok && len(n) != want {
		return "", fmt.Errorf("IBAN %q: %w: %s IBANs have %d characters", s, ErrFormat, n[:2], want)
	} else if !ok && (len(n) < 15 || len(n) > 34) {
		return "", fmt.Errorf("IBAN %q: %w: length", s, ErrFormat)
	}
	if ibanMod97(n[4:]+n[:4]) != 1 {
		return n, fmt.Errorf("IBAN %q: %w", s, ErrChecksum)
	}
	return n, nil
}

func ibanMod97(s string) int {
	r := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			v := int(c-'A') + 10
			r = (r*100 + v) % 97
		} else {
			r = (r*10 + int(c-'0')) % 97
		}
	}
	return r
}

// callingCodes maps ISO regions to country calling codes: the six Western
// Balkan countries and the common EU/EEA destinations.
var callingCodes = map[string]string{
	"AL": "355", "BA": "387", "ME": "382", "MK": "389", "RS": "381", "XK": "383",
	"HR": "385", "SI": "386", "BG": "359", "GR": "30", "IT": "39", "DE": "49",
	"AT": "43", "CH": "41", "FR": "33", "NL": "31", "BE": "32", "SE": "46",
	"HU": "36", "RO": "40", "TR": "90", "GB": "44", "ES": "34", "PL": "48",
	"CZ": "420", "SK": "421", "DK": "45", "NO": "47", "FI": "358", "PT": "351",
	"IE": "353", "LU": "352", "CY": "357", "MT": "356", "US": "1",
}

// keepTrunkZero lists regions whose leading 0 is part of the number.
var keepTrunkZero = map[string]bool{"IT": true, "SM": true, "VA": true}

// CallingCode returns the country calling code of an ISO region ("RS" →
// "381"), or "".
func CallingCode(region string) string { return callingCodes[strings.ToUpper(region)] }

// NormalizePhone converts a phone number to E.164 ("+38163123456").
// Numbers starting with + or 00 are international; others are national
// numbers of defaultRegion whose trunk prefix 0 is removed (except Italy).
// Formatting characters ( ) . - / and spaces are ignored.
func NormalizePhone(s, defaultRegion string) (string, error) {
	s = strings.TrimSpace(s)
	intl := false
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && b.Len() == 0 && !intl:
			intl = true
		case r == ' ' || r == '-' || r == '.' || r == '/' || r == '(' || r == ')' || r == '\u00a0':
		default:
			return "", fmt.Errorf("phone %q: %w: unexpected %q at %d", s, ErrFormat, r, i)
		}
	}
	d := b.String()
	if !intl && strings.HasPrefix(d, "00") {
		intl, d = true, d[2:]
	}
	if !intl {
		region := strings.ToUpper(defaultRegion)
		cc := callingCodes[region]
		if cc == "" {
			return "", fmt.Errorf("phone %q: %w: national number without a known default region", s, ErrFormat)
		}
		if !keepTrunkZero[region] {
			d = strings.TrimPrefix(d, "0")
		}
		d = cc + d
	}
	// Users often keep the trunk 0 after the country code: +381 (0)63 ...
	for _, cc := range callingCodes {
		if cc != "1" && strings.HasPrefix(d, cc+"0") && len(d) > len(cc)+1 && d[len(cc)+1] != '0' && !keepTrunkZero[regionOf(cc)] {
			d = cc + d[len(cc)+1:]
			break
		}
	}
	if len(d) < 8 || len(d) > 15 || d[0] == '0' {
		return "", fmt.Errorf("phone %q: %w: length", s, ErrFormat)
	}
	return "+" + d, nil
}

func regionOf(cc string) string {
	for r, c := range callingCodes {
		if c == cc {
			return r
		}
	}
	return ""
}

// plateFold maps Cyrillic letters used on plates (look-alikes first) and
// Serbian Latin letters with diacritics to plain Latin.
var plateFold = map[rune]string{
	'А': "A", 'В': "B", 'Е': "E", 'К': "K", 'М': "M", 'Н': "H", 'О': "O",
	'Р': "P", 'С': "C", 'Т': "T", 'Х': "X", 'У': "Y", 'Ј': "J", 'І': "I",
	'Ѕ': "S", 'Š': "S", 'Đ': "D", 'Č': "C", 'Ć': "C", 'Ž': "Z",
	'Б': "B", 'Г': "G", 'Д': "D", 'Ђ': "D", 'Ж': "Z", 'З': "Z", 'И': "I",
	'Л': "L", 'Љ': "LJ", 'Њ': "NJ", 'П': "P", 'Ћ': "C", 'Ф': "F", 'Ц': "C",
	'Ч': "C", 'Џ': "DZ", 'Ш': "S", 'Ѓ': "GJ", 'Ќ': "KJ", 'Ë': "E", 'Ç': "C",
}

// NormalizePlate returns a vehicle registration plate in comparison form:
// upper case, separators removed, Cyrillic look-alike letters (А В Е К М Н
// О Р С Т Х У) mapped to the Latin letters they look like, other Cyrillic
// transliterated, and Š Đ Č Ć Ž folded to S D C C Z.
func NormalizePlate(s string) (string, error) {
	var b strings.Builder
	for _, r := range nfkc(s) {
		r = unicode.ToUpper(r)
		if t, ok := plateFold[r]; ok {
			b.WriteString(t)
			continue
		}
		switch {
		case (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'):
			b.WriteRune(r)
		case unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r):
		default:
			f := strings.ToUpper(Fold(string(r)))
			for _, c := range f {
				if (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') {
					b.WriteRune(c)
				}
			}
		}
	}
	p := b.String()
	if len(p) < 2 || len(p) > 12 {
		return "", fmt.Errorf("plate %q: %w", s, ErrFormat)
	}
	return p, nil
}

// vinValue is the ISO 3779 transliteration used for the check digit.
func vinValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'H':
		return int(c-'A') + 1
	case c >= 'J' && c <= 'N':
		return int(c-'J') + 1
	case c == 'P':
		return 7
	case c == 'R':
		return 9
	case c >= 'S' && c <= 'Z':
		return int(c-'S') + 2
	}
	return -1
}

// NormalizeVIN upper-cases, strips separators and validates a 17-character
// VIN (no I, O or Q) and its check digit (position 9, weights 8 7 6 5 4 3 2
// 10 0 9 8 7 6 5 4 3 2, mod 11, 10 → X). The check digit is mandatory only
// in North America, so ErrChecksum comes with the normalised VIN.
func NormalizeVIN(s string) (string, error) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r == ' ' || r == '-':
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r < 0x80:
			b.WriteRune(r)
		default:
			return "", fmt.Errorf("VIN %q: %w", s, ErrFormat)
		}
	}
	v := b.String()
	if len(v) != 17 {
		return "", fmt.Errorf("VIN %q: %w: need 17 characters", s, ErrFormat)
	}
	weights := [17]int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		val := vinValue(v[i])
		if val < 0 {
			return "", fmt.Errorf("VIN %q: %w: character %q not allowed", s, ErrFormat, v[i])
		}
		sum += val * weights[i]
	}
	want := byte('0' + sum%11)
	if sum%11 == 10 {
		want = 'X'
	}
	if v[8] != want {
		return v, fmt.Errorf("VIN %q: %w", s, ErrChecksum)
	}
	return v, nil
}
