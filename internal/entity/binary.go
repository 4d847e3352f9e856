package entity

import (
	"encoding/binary"
	"errors"
)

// A compact binary form of Person for in-memory indexes: a million
// persons held as Go structs cost hundreds of bytes each in string and
// slice headers and give the collector millions of pointers to scan; as
// bytes in one arena they cost what their text does. Extra is not kept.
//
// Layout: a version byte, a flags byte (FromFull, FatherInferred,
// PersonalID.Valid), then uvarint-length-prefixed strings and uvarint
// numbers in a fixed order.

const personCodecVersion = 1

const (
	flagFromFull = 1 << iota
	flagFatherInferred
	flagIDValid
)

// ErrPersonBinary reports bytes that are not a person in binary form.
var ErrPersonBinary = errors.New("not a person in binary form")

// AppendPersonBinary appends p's binary form to dst.
func AppendPersonBinary(dst []byte, p Person) []byte {
	var flags byte
	if p.Name.FromFull {
		flags |= flagFromFull
	}
	if p.Name.FatherInferred {
		flags |= flagFatherInferred
	}
	if p.PersonalID.Valid {
		flags |= flagIDValid
	}
	dst = append(dst, personCodecVersion, flags)
	str := func(s string) {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	strs := func(ss []string) {
		dst = binary.AppendUvarint(dst, uint64(len(ss)))
		for _, s := range ss {
			str(s)
		}
	}
	date := func(d Date) {
		dst = binary.AppendUvarint(dst, uint64(max(d.Year, 0)))
		dst = binary.AppendUvarint(dst, uint64(max(d.Month, 0)))
		dst = binary.AppendUvarint(dst, uint64(max(d.Day, 0)))
	}
	str(p.ID)
	strs(p.Name.Given)
	strs(p.Name.Family)
	strs(p.Name.Father)
	date(p.DOB)
	str(p.DOBRaw)
	dst = append(dst, byte(p.Sex))
	str(string(p.PersonalID.Kind))
	str(p.PersonalID.Number)
	date(p.PersonalID.DOB)
	dst = append(dst, byte(p.PersonalID.Sex))
	a := p.Address
	for _, s := range [...]string{a.StreetNumber, a.Street, a.Line2, a.City, a.Postcode, a.Region, a.Country, p.Phone, p.Nationality} {
		str(s)
	}
	return dst
}

// ReadPersonBinary reads one person from the start of b and returns it with
// the bytes after it.
func ReadPersonBinary(b []byte) (Person, []byte, error) {
	var p Person
	bad := false
	byte1 := func() byte {
		if bad || len(b) == 0 {
			bad = true
			return 0
		}
		v := b[0]
		b = b[1:]
		return v
	}
	num := func(limit uint64) uint64 {
		if bad {
			return 0
		}
		v, n := binary.Uvarint(b)
		if n <= 0 || v > limit {
			bad = true
			return 0
		}
		b = b[n:]
		return v
	}
	str := func() string {
		n := num(uint64(len(b)))
		if bad || n > uint64(len(b)) {
			bad = true
			return ""
		}
		s := string(b[:n])
		b = b[n:]
		return s
	}
	strs := func() []string {
		n := num(uint64(len(b)))
		if bad || n == 0 {
			return nil
		}
		out := make([]string, n)
		for i := range out {
			out[i] = str()
		}
		return out
	}
	date := func() Date {
		return Date{Year: int(num(9999)), Month: int(num(12)), Day: int(num(31))}
	}
	if byte1() != personCodecVersion {
		return Person{}, nil, ErrPersonBinary
	}
	flags := byte1()
	p.ID = str()
	p.Name.Given, p.Name.Family, p.Name.Father = strs(), strs(), strs()
	p.Name.FromFull, p.Name.FatherInferred = flags&flagFromFull != 0, flags&flagFatherInferred != 0
	p.DOB = date()
	p.DOBRaw = str()
	p.Sex = Sex(byte1())
	p.PersonalID.Kind = IDKind(str())
	p.PersonalID.Number = str()
	p.PersonalID.DOB = date()
	p.PersonalID.Sex = Sex(byte1())
	p.PersonalID.Valid = flags&flagIDValid != 0
	a := &p.Address
	for _, s := range [...]*string{&a.StreetNumber, &a.Street, &a.Line2, &a.City, &a.Postcode, &a.Region, &a.Country, &p.Phone, &p.Nationality} {
		*s = str()
	}
	if bad {
		return Person{}, nil, ErrPersonBinary
	}
	return p, b, nil
}
