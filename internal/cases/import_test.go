package cases_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

const importCSV = `ref;Ime;Prezime;Datum rođenja;JMBG;case;role;aliases
p1;Marko;Petrović;12.03.1985;1203985170006;BA-1;suspect;"Marko Petrovic;Pera"
p2;Jelena;Kovač;28.02.1980;;BA-1;victim;
p3;;;;;BA-1;;
p4;Ana;Babić;1990-01-01;;NO-SUCH;suspect;
p5;Ivan;Horvat;1977-05-05;;BA-1;boss;
p6;Edin;Hodžić;1970-1-1x;;BA-1;;
`

func TestImportCSVDryRunAndIdempotence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s, _ := newService(t, st)
		if _, err := s.CreateCase(ctx, officer, cases.CaseInput{Reference: "BA-1", Title: "t", CrimeArea: "drugs"}); err != nil {
			t.Fatal(err)
		}
		opt := cases.ImportOptions{Format: "csv", Filename: "x.csv", Mapping: map[string]string{"Datum rođenja": "date_of_birth"}, DryRun: true}
		rep, err := s.Import(ctx, officer, strings.NewReader(importCSV), opt)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Rows != 6 || rep.Created != 2 || len(rep.Rejected) != 4 {
			t.Fatalf("dry run: %+v", rep)
		}
		want := map[int]string{4: "", 5: "NO-SUCH", 6: "role", 7: "Datum rođenja"}
		for _, r := range rep.Rejected {
			w, ok := want[r.Row]
			if !ok {
				t.Errorf("unexpected rejection %+v", r)
			}
			if w != "" && !strings.Contains(r.Column+r.Msg, w) {
				t.Errorf("row %d: %+v, want mention of %q", r.Row, r, w)
			}
			if r.Msg == "" {
				t.Errorf("row %d rejected without a reason", r.Row)
			}
		}
		var n int
		st.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases_entities`).Scan(&n)
		if n != 0 {
			t.Fatalf("dry run wrote %d entities", n)
		}
		opt.DryRun = false
		var progress []int
		opt.Progress = func(done, total int) { progress = append(progress, done) }
		rep, err = s.Import(ctx, officer, strings.NewReader(importCSV), opt)
		if err != nil || rep.Created != 2 || len(rep.Rejected) != 4 || len(progress) == 0 {
			t.Fatalf("import: %+v %v %v", rep, err, progress)
		}
		rep, err = s.Import(ctx, officer, strings.NewReader(importCSV), opt)
		if err != nil || rep.Created != 0 || rep.Unchanged != 2 {
			t.Fatalf("re-import changed something: %+v %v", rep, err)
		}
		d, err := s.GetCase(ctx, officer, "BA-1")
		if err != nil || len(d.Entities) != 2 {
			t.Fatalf("case: %+v %v", d, err)
		}
		// Aliases are searchable.
		res, err := s.Search(ctx, officer, cases.Probe{Kind: "person", Fields: map[string]string{"full_name": "Pera", "date_of_birth": "1985-03-12"}}, "t")
		if err != nil {
			t.Fatal(err)
		}
		_ = res
	})
}

const ftmDoc = `{"id":"p1","schema":"Person","properties":{"firstName":["Agron"],"lastName":["Krasniqi"],"name":["Agron Krasniqi"],"birthDate":["1979-04-02"],"nationality":["xk"],"alias":["Agroni"]}}
{"id":"c1","schema":"Company","properties":{"name":["Adriatik Trans shpk"],"registrationNumber":["810123456"],"jurisdiction":["al"]}}
{"id":"v1","schema":"Vehicle","properties":{"registrationNumber":["AA 123 BB"],"model":["Passat"]}}
{"id":"b1","schema":"BankAccount","properties":{"iban":["AL47 2121 1009 0000 0002 3569 8741"]}}
{"id":"o1","schema":"Ownership","properties":{"owner":["p1"],"asset":["c1"]}}
{"id":"o2","schema":"Ownership","properties":{"owner":["c1"],"asset":["v1"]}}
{"id":"x1","schema":"Airplane","properties":{"name":["x"]}}
not json
`

func TestImportExportFtM(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s, _ := newService(t, st)
		rep, err := s.Import(ctx, officer, strings.NewReader(ftmDoc), cases.ImportOptions{Format: "ftm"})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Created != 4 || rep.Relations != 2 || len(rep.Rejected) != 2 {
			t.Fatalf("ftm import: %+v", rep)
		}
		var out bytes.Buffer
		n, err := s.ExportFtM(ctx, officer, &out)
		if err != nil || n != 6 {
			t.Fatalf("export: %d %v", n, err)
		}
		if !strings.Contains(out.String(), `"schema":"Person"`) || !strings.Contains(out.String(), "Krasniqi") || !strings.Contains(out.String(), `"schema":"Ownership"`) {
			t.Fatalf("export: %s", out.String())
		}
		// Round trip into a second node: same entities, same relations.
		st2 := storetest.SQLite(t)
		s2, _ := newService(t, st2)
		rep2, err := s2.Import(ctx, officer, bytes.NewReader(out.Bytes()), cases.ImportOptions{Format: "ftm"})
		if err != nil || rep2.Created != 4 || rep2.Relations != 2 || len(rep2.Rejected) != 0 {
			t.Fatalf("round trip: %+v %v", rep2, err)
		}
		res, err := s2.Search(ctx, officer, cases.Probe{Kind: "account", Fields: map[string]string{"iban": "AL47212110090000000235698741"}}, "t")
		if err != nil || len(res) != 1 {
			t.Fatalf("iban search after round trip: %+v %v", res, err)
		}
	})
}

func TestImportJSON(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	s, _ := newService(t, st)
	doc := `{"cases":[{"reference":"ME-7","title":"Cigarettes","crime_area":"excise_fraud","route":["AL","ME","BA"]}],
	"entities":[{"ref":"a","kind":"person","fields":{"given_name":"Vuk","family_name":"Đukanović"},"case":"ME-7","role":"suspect"},
	{"ref":"b","kind":"phone","fields":{"number":"+382 67 123 456"},"case":"ME-7"},
	{"ref":"c","kind":"account","fields":{"iban":"ME25 5050 0001 2345 6789 51"}}],
	"relations":[{"from":"a","to":"b","type":"uses"},{"from":"a","to":"zz","type":"paid"},{"from":"a","to":"b","type":"likes"}]}`
	rep, err := s.Import(ctx, officer, strings.NewReader(doc), cases.ImportOptions{Format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Cases != 1 || rep.Created != 3 || rep.Relations != 1 || len(rep.Rejected) != 2 {
		t.Fatalf("json import: %+v", rep)
	}
}

// An import refused half-way (here: cancelled after its first chunk of a
// thousand rows, written by COPY on PostgreSQL) leaves the database as it
// was; the same file then imports whole.
func TestImportRefusedHalfwayStoresNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s, _ := newService(t, st)
		var csv strings.Builder
		csv.WriteString("given_name,family_name,date_of_birth\n")
		for i := range 2200 {
			fmt.Fprintf(&csv, "Petar%d,Perić,19%02d-01-%02d\n", i, 40+i%60, 1+i%28)
		}
		count := func(table string) int {
			t.Helper()
			var n int
			if err := st.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var seen []int
		_, err := s.Import(ctx, officer, strings.NewReader(csv.String()), cases.ImportOptions{Format: cases.FormatCSV, Filename: "p.csv",
			Progress: func(done, total int) {
				seen = append(seen, done)
				cancel()
			}})
		if err == nil || !strings.Contains(err.Error(), "nothing was stored") {
			t.Fatalf("cancelled import: %v", err)
		}
		if len(seen) != 1 || seen[0] != 1000 {
			t.Fatalf("progress before the cancellation: %v", seen)
		}
		if n, m := count("cases_entities"), count("cases_imports"); n != 0 || m != 0 {
			t.Fatalf("after a refused import: %d entities, %d imports", n, m)
		}
		rep, err := s.Import(context.Background(), officer, strings.NewReader(csv.String()), cases.ImportOptions{Format: cases.FormatCSV, Filename: "p.csv"})
		if err != nil || rep.Created != 2200 || rep.ID == "" || count("cases_entities") != 2200 {
			t.Fatalf("import again: %+v %v", rep, err)
		}
	})
}
