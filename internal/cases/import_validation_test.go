package cases_test

import (
	"context"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

// Impossible dates, NUL bytes and over-long values are refused with the row
// and the column, not stored.
func TestImportRefusesBadValuesNamingRowAndColumn(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t, storetest.SQLite(t))
	if _, err := s.CreateCase(ctx, officer, cases.CaseInput{Reference: "BA-2", Title: "t", CrimeArea: "drugs"}); err != nil {
		t.Fatal(err)
	}
	csv := "Ime;Prezime;Datum rođenja;case\n" +
		"Jelena;Kovač;1980-02-31;BA-2\n" +
		"Ivan;Horvat;1980-13-45;BA-2\n" +
		"Ana;Ba\x00bić;1990-01-01;BA-2\n" +
		"Edin;" + strings.Repeat("H", 1200) + ";1990-01-01;BA-2\n" +
		"Marko;Marković;1980-02-29;BA-2\n" +
		"Vesna;Petrović;20.5.986.;BA-2\n"
	rep, err := s.Import(ctx, officer, strings.NewReader(csv), cases.ImportOptions{Format: "csv", DryRun: true,
		Mapping: map[string]string{"Ime": "given_name", "Prezime": "family_name", "Datum rođenja": "date_of_birth"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{2: "Datum rođenja", 3: "Datum rođenja", 4: "Prezime", 5: "Prezime", 7: "Datum rođenja"}
	if len(rep.Rejected) != len(want) || rep.Created != 1 {
		t.Fatalf("report %+v", rep)
	}
	for _, r := range rep.Rejected {
		if want[r.Row] != r.Column || r.Msg == "" {
			t.Errorf("row %d: %+v, want column %q", r.Row, r, want[r.Row])
		}
	}
	// The same rules through the entity API.
	_, _, err = s.CreateEntity(ctx, officer, cases.EntityInput{Kind: "person", Case: "BA-2", Fields: map[string]string{"family_name": "X", "date_of_birth": "1980-02-31"}})
	if err == nil || !strings.Contains(err.Error(), "date_of_birth") {
		t.Fatalf("impossible date through the API: %v", err)
	}
	// A search may carry the date as mistyped: it is compared digit by
	// digit, not refused and not dropped.
	if _, _, err := s.CreateEntity(ctx, officer, cases.EntityInput{Kind: "person", Case: "BA-2", Fields: map[string]string{"given_name": "Vesna", "family_name": "Petrović",
		"date_of_birth": "1986-05-20", "personal_id": "2005986715005"}}); err != nil {
		t.Fatal(err)
	}
	found, err := s.Search(ctx, officer, cases.Probe{Kind: "person", Fields: map[string]string{"given_name": "Весна", "family_name": "Петровић", "date_of_birth": "20.5.986."}}, "test")
	if err != nil || len(found) == 0 || found[0].Entity.Fields["family_name"] != "Petrović" {
		t.Fatalf("search with a year missing a digit: %+v, %v", found, err)
	}
}
