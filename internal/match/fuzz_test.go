package match

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/entity"
)

// FuzzReadPersons: any input either parses or gives an *InputError; it
// never panics, and parsed records can be deduplicated.
func FuzzReadPersons(f *testing.F) {
	f.Add("id,given_name,surname,dob\n1,Marko,Petrović,17.03.1985\n2,Марко,Петровић,1985-03-17\n")
	f.Add("rec_id, full_name, jmbg\n a, Agron (Ilir) Hoxha, 1703985710028\n")
	f.Add("id,surname\n1,\"x\n")
	f.Add("\xef\xbb\xbfid,phone,country\n1,063 123,Srbija\n2,+381631,RS\n")
	f.Fuzz(func(t *testing.T, s string) {
		recs, err := ReadPersons(strings.NewReader(s), "f.csv", TableOptions{DefaultRegion: "RS"})
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q is not a one-line InputError", err)
			}
			return
		}
		if len(recs) > 50 {
			recs = recs[:50]
		}
		res, err := Dedupe(context.Background(), recs, Options{Workers: 1})
		if err != nil || len(res.Clusters) != len(recs) {
			t.Fatalf("dedupe: %v", err)
		}
		for _, p := range res.Pairs {
			if p.Score < 0 || p.Score > 1 {
				t.Fatalf("score %v out of range", p.Score)
			}
		}
	})
}

// FuzzCompare: comparators are symmetric and bounded on arbitrary names
// and dates.
func FuzzCompare(f *testing.F) {
	f.Add("Marko Petrović", "Petrovic Marko", "19850317", "17.03.1985")
	f.Add("Ђорђе", "Gjorgje", "1985", "")
	f.Add("", "x", "99999999", "00000000")
	f.Fuzz(func(t *testing.T, a, b, da, db string) {
		if s := JaroWinkler(a, b); s < 0 || s > 1 || s != JaroWinkler(b, a) {
			t.Fatalf("JaroWinkler(%q,%q) = %v", a, b, s)
		}
		ta, tb := entity.Tokens(a), entity.Tokens(b)
		if s := TokenSetSimilarity(ta, tb); s < 0 || s > 1.0000001 {
			t.Fatalf("TokenSetSimilarity = %v", s)
		}
		pa := entity.Person{Name: entity.ParseName("", "", "", a), DOBRaw: da}
		pb := entity.Person{Name: entity.ParseName("", "", "", b), DOBRaw: db}
		pa.DOB, _ = entity.ParseDate(da)
		pb.DOB, _ = entity.ParseDate(db)
		ra, rb := prepare(&pa), prepare(&pb)
		if compare(&ra, &rb).Level(FieldDOB) != compare(&rb, &ra).Level(FieldDOB) {
			t.Fatalf("date comparison not symmetric for %q %q", da, db)
		}
		_ = AddressSimilarity(a, b)
	})
}
