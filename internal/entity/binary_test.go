package entity

import (
	"reflect"
	"testing"
)

func TestPersonBinaryRoundTrip(t *testing.T) {
	for _, p := range []Person{
		{},
		{ID: "p1", Name: Name{Given: []string{"marko"}, Family: []string{"petrovic"}, Father: []string{"jovan"}, FromFull: true, FatherInferred: true},
			DOB: Date{1985, 3, 12}, DOBRaw: "12.03.1985", Sex: SexMale,
			PersonalID: PersonalID{Kind: "jmbg", Number: "1203985170006", DOB: Date{1985, 3, 12}, Sex: SexMale, Valid: true},
			Address:    Address{StreetNumber: "7", Street: "knez mihailova", City: "beograd", Country: "RS"}, Phone: "+381641234567", Nationality: "RS"},
		{Name: Name{Family: []string{"hoxha", "krasniqi"}}, DOB: Date{Year: 1970}, Nationality: "XK"},
	} {
		b := AppendPersonBinary([]byte("prefix"), p)
		got, rest, err := ReadPersonBinary(append(b[len("prefix"):], 0xEE))
		if err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
		if !reflect.DeepEqual(got, p) || len(rest) != 1 || rest[0] != 0xEE {
			t.Errorf("round trip:\n got %+v rest %v\nwant %+v", got, rest, p)
		}
	}
	for _, bad := range [][]byte{nil, {9}, {personCodecVersion}, {personCodecVersion, 0, 200}} {
		if _, _, err := ReadPersonBinary(bad); err == nil {
			t.Errorf("%v read as a person", bad)
		}
	}
}

// Any bytes either fail to read or read as a person whose binary form
// reads back the same.
func FuzzReadPersonBinary(f *testing.F) {
	f.Add(AppendPersonBinary(nil, Person{Name: Name{Given: []string{"ana"}}, DOB: Date{1990, 1, 2}}))
	f.Add([]byte{personCodecVersion, 7, 0, 1, 3, 'a', 'b', 'c'})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, _, err := ReadPersonBinary(b)
		if err != nil {
			return
		}
		again, rest, err := ReadPersonBinary(AppendPersonBinary(nil, p))
		if err != nil || len(rest) != 0 || !reflect.DeepEqual(again, p) {
			t.Fatalf("%+v read back as %+v (%v)", p, again, err)
		}
	})
}
