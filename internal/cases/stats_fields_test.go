package cases

import (
	"testing"

	"github.com/liaison-wb/liaison/internal/match"
)

// profileFields reads the profile's fields exactly as PersonFromFields does.
func TestProfileFieldsAsPersonFromFields(t *testing.T) {
	for _, f := range []map[string]string{
		{},
		{match.ColGiven: "Marko", match.ColDOB: "1980-02-03", match.ColSex: "M", match.ColNationality: "Serbia"},
		{match.ColDOB: "03.02.1980", match.ColSex: "female", match.ColNationality: "AL"},
		{match.ColDOB: "1980", match.ColPersonalID: "0101990710006", match.ColNationality: "Србија"},
		{match.ColDOB: "not a date", match.ColSex: "x", match.ColPersonalID: "12345", match.ColPhone: "060 123 4567"},
	} {
		want, got := match.PersonFromFields(f, "RS"), profileFields(f)
		if got.DOB != want.DOB || got.Sex != want.Sex || got.PersonalID != want.PersonalID || got.Nationality != want.Nationality {
			t.Errorf("%v: got %+v, want %+v", f, got, want)
		}
	}
}
