package cases

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

// A bulk import that the database refuses late (a row near the end of a
// big file, after earlier chunks went in by COPY on PostgreSQL and by
// multi-row statements on SQLite) leaves nothing: no entity, no case link,
// no import record, and nothing in the in-memory index. The same file
// without the refused row then imports whole and is searchable.
func TestBulkImportRefusedLateLeavesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		p := &auth.Principal{Username: "ana", Agency: "rs-mup", Roles: []auth.Role{auth.RoleOfficer}}
		s := testService(t, st)
		if _, err := s.CreateCase(ctx, p, CaseInput{Reference: "RS-BULK-1", Title: "bulk", CrimeArea: "drugs"}); err != nil {
			t.Fatal(err)
		}
		// The database refuses any entity whose fields name "Zzfail".
		trigger := []string{`CREATE TRIGGER refuse_zzfail BEFORE INSERT ON cases_entities WHEN NEW.fields LIKE '%Zzfail%' BEGIN SELECT RAISE(ABORT, 'refused by test'); END`}
		if st.Dialect == store.Postgres {
			trigger = []string{
				`CREATE FUNCTION refuse_zzfail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.fields LIKE '%Zzfail%' THEN RAISE EXCEPTION 'refused by test'; END IF; RETURN NEW; END $$`,
				`CREATE TRIGGER refuse_zzfail BEFORE INSERT ON cases_entities FOR EACH ROW EXECUTE FUNCTION refuse_zzfail()`,
			}
		}
		for _, q := range trigger {
			if _, err := st.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		file := func(bad bool) string {
			var b strings.Builder
			b.WriteString("given_name,family_name,date_of_birth,case,role\n")
			for i := range 3500 {
				given := fmt.Sprintf("Marko%d", i)
				if bad && i == 3400 {
					given = "Zzfail"
				}
				fmt.Fprintf(&b, "%s,Marković,19%02d-02-%02d,RS-BULK-1,suspect\n", given, 40+i%60, 1+i%28)
			}
			return b.String()
		}
		count := func(table string) int {
			t.Helper()
			var n int
			if err := st.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		var seen []int
		_, err := s.Import(ctx, p, strings.NewReader(file(true)), ImportOptions{Format: FormatCSV, Filename: "big.csv",
			Progress: func(done, total int) { seen = append(seen, done) }})
		if err == nil || !strings.Contains(err.Error(), "nothing was stored") {
			t.Fatalf("refused import: %v", err)
		}
		// Chunks of 1,000, 2,000 and 500 rows: the refused row is in the third.
		if !slices.Equal(seen, []int{1000, 3000}) {
			t.Fatalf("chunks written before the refusal: %v (want 2 of 3)", seen)
		}
		if e, l, i := count("cases_entities"), count("cases_case_entities"), count("cases_imports"); e != 0 || l != 0 || i != 0 {
			t.Fatalf("after a refused import: %d entities, %d case links, %d imports", e, l, i)
		}
		if n := s.ix.Live(); n != 0 {
			t.Fatalf("after a refused import the index holds %d entities", n)
		}
		rep, err := s.Import(ctx, p, strings.NewReader(file(false)), ImportOptions{Format: FormatCSV, Filename: "big.csv"})
		if err != nil || rep.Created != 3500 || len(rep.Rejected) != 0 {
			t.Fatalf("import without the refused row: %+v %v", rep, err)
		}
		if e, l := count("cases_entities"), count("cases_case_entities"); e != 3500 || l != 3500 {
			t.Fatalf("after the import: %d entities, %d case links", e, l)
		}
		if n := s.ix.Live(); n != 3500 {
			t.Fatalf("the index holds %d entities, want 3500", n)
		}
		// Re-importing changes nothing (conflicts skipped on both paths).
		rep, err = s.Import(ctx, p, strings.NewReader(file(false)), ImportOptions{Format: FormatCSV, Filename: "big.csv"})
		if err != nil || rep.Created != 0 || rep.Unchanged != 3500 || count("cases_entities") != 3500 || count("cases_case_entities") != 3500 {
			t.Fatalf("re-import: %+v %v", rep, err)
		}
	})
}

// An import's chunks start small (the writer waits only for the first
// thousand rows to be prepared) and double up to entityBatch.
func TestChunkBounds(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want []int
	}{
		{0, []int{0}},
		{1, []int{0, 1}},
		{1000, []int{0, 1000}},
		{1001, []int{0, 1000, 1001}},
		{3500, []int{0, 1000, 3000, 3500}},
		{20_000, []int{0, 1000, 3000, 7000, 11_000, 15_000, 19_000, 20_000}},
	} {
		if got := chunkBounds(tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("chunkBounds(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
}

// The fingerprint is stored and makes re-imports idempotent: its value
// for a given entity never changes (these were computed before the
// encoding was rewritten for speed).
func TestFingerprintStable(t *testing.T) {
	for _, tc := range []struct {
		kind    entity.Kind
		fields  map[string]string
		aliases []string
		want    string
	}{
		{entity.KindPerson, map[string]string{"given_name": "Đorđe", "family_name": "Petrović", "date_of_birth": "1980-03-12"}, []string{"Đole", "Pera"},
			"e95e584737bc42b634dc9d3644350a1aa657ae3a6bc31f0984358a824aef72cf"},
		{entity.KindVehicle, map[string]string{"plate": "BG-123-AA"}, nil, "a547b272fd108f9fc6e3694310c267f7cb33156518802d1a4c5bec4c03d2ca4b"},
		{entity.KindPerson, map[string]string{}, nil, "38a81e87e79631e602bf5fbd307ce2fcd382b1670c585ea09032aac778a80531"},
	} {
		if got := fingerprint(tc.kind, tc.fields, tc.aliases); got != tc.want {
			t.Errorf("fingerprint(%s, %v, %v) = %s, want %s", tc.kind, tc.fields, tc.aliases, got, tc.want)
		}
	}
}
