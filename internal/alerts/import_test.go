package alerts_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/alerts"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

const importHeader = "kind,sub,given_name,family_name,names,date_of_birth,object_type,plate,serial,doc_number,doc_status,warnings,action,reason,authority,warrant_ref,recipients\n"

func TestImportIsAllOrNothingWithLineNumbers(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "rs", "me")
		rs := c.Nodes["rs"]
		pol := user(t, rs, "rs-police", "rs-police-dir", auth.RoleOfficer)
		bad := importHeader +
			"check,discreet,Ana,Kovačević,Ана Ковачевић,1991-07-02,,,,,,,Report companions.,Courier.,PU Beograd,,me\n" + // line 2: fine
			"arrest,,Petar,Petrović,,1980-01-01,,,,,,armed,Arrest.,Robbery.,VJT Beograd,,me\n" + // line 3: no warrant
			"object,seizure,,,,,vehicle,BG 123 AB,,,,,Seize.,Stolen.,PU Beograd,,xk\n" + // line 4: xk not a partner
			"object,seizure,,,,,document_issued,,,P1234567,,,Seize.,Stolen.,PU Beograd,,\n" + // line 5: no document status
			"check,discreet,Ana,Kovacevic,,1991-07-02,,,,,,,Report.,Again.,PU Beograd,,\n" // line 6: same subject as line 2
		res, err := rs.Alerts.Import(ctx, pol, strings.NewReader(bad), alerts.FormatCSV, false)
		if err != nil {
			t.Fatal(err)
		}
		var lines []int
		for _, e := range res.Errors {
			lines = append(lines, e.Line)
		}
		if res.Created != 0 || len(lines) != 4 || lines[0] != 3 || lines[1] != 4 || lines[2] != 5 || lines[3] != 6 {
			t.Fatalf("import with bad rows: %+v", res)
		}
		if as, _ := rs.Alerts.List(ctx, pol, alerts.Filter{}); len(as) != 0 {
			t.Fatalf("half-imported: %d alerts written", len(as))
		}
		good := importHeader +
			"check,discreet,Ana,Kovačević,Ана Ковачевић,1991-07-02,,,,,,,Report companions.,Courier.,PU Beograd,,me\n" +
			"object,seizure,,,,,firearm,,CZ75-B-123456,,,,Seize.,Stolen from a dealer.,PU Kragujevac,,\n" +
			"object,seizure,,,,,document_issued,,,P1234567,stolen,,Seize.,Stolen.,PU Beograd,,me\n"
		res, err = rs.Alerts.Import(ctx, pol, strings.NewReader(good), alerts.FormatCSV, false)
		if err != nil || res.Created != 3 || len(res.Errors) != 0 {
			t.Fatalf("import: %+v %v", res, err)
		}
		a, err := rs.Alerts.Get(ctx, pol, res.IDs[0])
		if err != nil || a.Status != alerts.StatusDraft || a.Person.Names[0] != "Ана Ковачевић" || len(a.Recipients) != 1 {
			t.Fatalf("imported draft: %+v %v", a, err)
		}
		// Export reads back as an import.
		pol2 := user(t, rs, "rs-police-2", "rs-police-dir", auth.RoleOfficer)
		for _, id := range res.IDs {
			if _, err := rs.Alerts.Validate(ctx, pol2, id); err != nil {
				t.Fatal(err)
			}
		}
		var buf bytes.Buffer
		n, err := rs.Alerts.Export(ctx, pol, &buf)
		if err != nil || n != 3 {
			t.Fatalf("export: %d %v", n, err)
		}
		// Importing the export again is refused: every alert duplicates one in force.
		again, err := rs.Alerts.Import(ctx, pol, &buf, alerts.FormatJSON, false)
		if err != nil || again.Created != 0 || len(again.Errors) != 3 || !strings.Contains(again.Errors[0].Msg, "already has an alert") {
			t.Fatalf("re-import: %+v %v", again, err)
		}
	})
}

func TestBatchCheck(t *testing.T) {
	b := storetest.Backends()[0]
	ctx := context.Background()
	c := startCluster(t, b, "rs", "me")
	p := setup(t, c)
	a := publish(t, p, arrestDraft("me"))
	list := "ref;given_name;family_name;date_of_birth;document;plate\n" +
		"1;Jovan;Jovanović;1990-01-01;;\n" +
		"2;Марко;Петровић;12.03.1985;;\n" +
		"3;;;;;\n" +
		"4;Ana;Ivić;1970-05-05;012345678;\n"
	rows, bad, err := alerts.ParseBatch(strings.NewReader(list))
	if err != nil || len(rows) != 3 || len(bad) != 1 || bad[0].Line != 4 {
		t.Fatalf("parse: %+v %+v %v", rows, bad, err)
	}
	res, err := p.me.Alerts.BatchCheck(ctx, p.mePol, rows, "bus Sarajevo–Podgorica at Hum")
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Hit || !res[1].Hit || res[1].Matches[0].AlertID != a.ID || !res[2].Hit {
		t.Fatalf("batch: %+v", res)
	}
	var out bytes.Buffer
	if err := alerts.WriteBatchCSV(&out, res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "3,2,Марко Петровић 12.03.1985,HIT,"+a.ID) || !strings.Contains(out.String(), "2,1,Jovan Jovanović 1990-01-01,NO HIT") {
		t.Fatalf("CSV:\n%s", out.String())
	}
	if _, err := p.me.Alerts.BatchCheck(ctx, p.mePartner, rows, ""); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("partner batch check: %v", err)
	}
}

// A passenger list's sex and nationality columns are compared beside the
// name and date (the explanation shows them); a sex that cannot be read is
// refused with its line and column, a nationality that is not a known
// country is left aside.
func TestBatchCheckReadsSexAndNationality(t *testing.T) {
	b := storetest.Backends()[0]
	ctx := context.Background()
	c := startCluster(t, b, "rs", "me")
	p := setup(t, c)
	a := publish(t, p, arrestDraft("me"))
	list := "ref,full_name,date_of_birth,sex,nationality\n" +
		"1,Марко Петровић,12.03.1985,M,Srbija\n" +
		"2,Marko Petrović,12.03.1985,ženski,SRB\n" +
		"3,Marko Petrović,12.03.1985,x,\n" +
		"4,Marko Petrović,12.03.1985,,Atlantis\n"
	rows, bad, err := alerts.ParseBatch(strings.NewReader(list))
	if err != nil || len(rows) != 3 || len(bad) != 1 || bad[0].Line != 4 || bad[0].Column != "sex" {
		t.Fatalf("parse: %+v %+v %v", rows, bad, err)
	}
	if rows[0].Sex != "M" || rows[0].Nationality != "Srbija" {
		t.Fatalf("row 1: %+v", rows[0])
	}
	res, err := p.me.Alerts.BatchCheck(ctx, p.mePol, rows, "bus Niš–Podgorica")
	if err != nil {
		t.Fatal(err)
	}
	level := func(r alerts.BatchResult, field string) string {
		for _, m := range r.Matches {
			if m.AlertID != a.ID {
				continue
			}
			for _, f := range m.Explanation {
				if f.Field == field {
					return f.Level
				}
			}
			return "absent"
		}
		return "no match"
	}
	if l := level(res[0], "sex"); l != "same" {
		t.Errorf("row 1 sex level %q", l)
	}
	if l := level(res[0], "nationality"); l != "same" {
		t.Errorf("row 1 nationality level %q", l)
	}
	if l := level(res[1], "sex"); l != "different" {
		t.Errorf("row 2 sex level %q", l)
	}
	if l := level(res[2], "nationality"); l != "absent" {
		t.Errorf("row 4: an unknown nationality is compared (%q)", l)
	}
	// The API's rows are checked the same way, and the refusal names the
	// row (1-based) and the field.
	_, err = p.me.Alerts.BatchCheck(ctx, p.mePol, []alerts.BatchRow{{Line: 1, Query: "Ana Marić", Sex: "F"}, {Line: 2, Query: "Marko Petrović", Sex: "unknown"}}, "")
	if !errs.Is(err, errs.Invalid) || errs.SafeMessage(err) != "row 2, field sex: the sex cannot be read; use M or F" {
		t.Fatalf("unreadable sex in the API: %v", err)
	}
	// An empty or overlong query is refused the same way, by row and field.
	for _, tt := range []struct{ q, want string }{
		{"  ", "row 2, field query: nothing to check in this row"},
		{strings.Repeat("Marko ", 40), "row 2, field query: a check is limited to 200 characters"},
	} {
		_, err = p.me.Alerts.BatchCheck(ctx, p.mePol, []alerts.BatchRow{{Line: 1, Query: "Ana Marić"}, {Line: 2, Query: tt.q}}, "")
		if !errs.Is(err, errs.Invalid) || errs.SafeMessage(err) != tt.want {
			t.Fatalf("query %q in the API: %v", tt.q, err)
		}
	}
}

// A check that cannot tell the wanted person from anyone else of that name
// (no date of birth, only a year, a date that cannot be one, or a date one
// typing error away) is not a NO HIT, nor a HIT: it is unsettled, or a
// possible hit, and asks for the date from the document, listing the
// alerts left open with their warning markers and date of birth. A name
// without a full date is always asked for its date, even when no alert is
// close: a misspelt name may share no key with its alert. A date that
// disagrees outright is a NO HIT. The batch result says so per row.
func TestCheckWithoutDateIsUnsettled(t *testing.T) {
	b := storetest.Backends()[0]
	ctx := context.Background()
	c := startCluster(t, b, "rs", "me")
	p := setup(t, c)
	a := publish(t, p, arrestDraft("me"))
	const (
		noHit = iota
		hit
		possible  // a possible hit whose date must be checked
		unsettled // no hit, the alert left open
		askDate   // no hit, no alert open, the date asked for
	)
	for _, tc := range []struct {
		q    string
		want int
		or   int // another answer as good
	}{
		{"Marko Petrović", unsettled, unsettled},
		{"ПЕТРОВИЋ Марко", unsettled, unsettled},
		{"Petrovic Marko 1985", unsettled, unsettled},
		{"Marko Petrović 12.03.1985", hit, hit},
		{"Marko Petrović 1991-07-21", noHit, noHit},
		{"Jovan Jovanović", askDate, askDate},
		{"Jovan Jovanović 1990-01-01", noHit, noHit},
		// Dates that cannot be dates of birth are asked for again: the
		// name and what the digits share may make a possible hit.
		{"Marko Petrović 12.3.985.", possible, unsettled},
		{"Marko Petrović 3.18.1985.", possible, unsettled},
		{"Marko Petrović 12.03.2985", possible, unsettled},
		{"Jovan Jovanović 31.02.1990", askDate, askDate},
	} {
		res, err := p.me.Alerts.Check(ctx, p.mePol, tc.q, "")
		if err != nil {
			t.Fatal(err)
		}
		// HITs come first, and the result says HIT when the first match is.
		for k := 1; k < len(res.Matches); k++ {
			if res.Matches[k].Certain && !res.Matches[k-1].Certain {
				t.Fatalf("check %q: a HIT after a possible hit: %+v", tc.q, res.Matches)
			}
		}
		if res.Certain != (res.Hit && res.Matches[0].Certain) {
			t.Fatalf("check %q: certain %v (%+v)", tc.q, res.Certain, res)
		}
		got := noHit
		switch {
		case res.Hit && res.Certain:
			got = hit
		case res.Hit && res.Matches[0].CheckDate:
			got = possible
		case res.Hit:
			t.Fatalf("check %q: a possible hit that does not ask for the date: %+v", tc.q, res)
		case res.Unsettled && len(res.Open) > 0:
			got = unsettled
		case res.Unsettled:
			got = askDate
		}
		if got != tc.want && got != tc.or {
			t.Fatalf("check %q: answer %d, want %d (%+v)", tc.q, got, tc.want, res)
		}
		if res.CheckDate != (got == possible || got == unsettled || got == askDate) {
			t.Fatalf("check %q: check_date %v (%+v)", tc.q, res.CheckDate, res)
		}
		if got == unsettled {
			if len(res.Open) != 1 || res.Open[0].AlertID != a.ID || res.Open[0].Band != "low" || !slices.Contains(res.Open[0].Warnings, "armed") || res.Open[0].Person.DateOfBirth != "1985-03-12" {
				t.Fatalf("check %q: open %+v", tc.q, res.Open)
			}
		} else if len(res.Open) != 0 {
			t.Fatalf("check %q: open alerts beside a settled answer: %+v", tc.q, res.Open)
		}
	}
	// A full date one typing error away is never a HIT nor a NO HIT: a
	// possible hit that asks for the date, or the alert is left open with
	// its own date shown.
	for _, q := range []string{"Marko Petrović 13.03.1985", "Marko Petrović 03.12.1985"} {
		res, _ := p.me.Alerts.Check(ctx, p.mePol, q, "")
		switch {
		case res.Hit && (res.Certain || !res.Matches[0].CheckDate):
			t.Fatalf("%q, one typing error away, is a HIT or a possible hit that does not ask for the date: %+v", q, res)
		case !res.Hit && (!res.Unsettled || res.Open[0].Person.DateOfBirth != "1985-03-12"):
			t.Fatalf("%q, one typing error away: %+v", q, res)
		}
	}

	rows := []alerts.BatchRow{{Line: 2, Query: "Marko Petrović"}, {Line: 3, Query: "Jovan Jovanović 1990-01-01"}}
	res, err := p.me.Alerts.BatchCheck(ctx, p.mePol, rows, "bus Sarajevo–Podgorica at Hum")
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Hit || !res[0].Unsettled || res[1].Unsettled {
		t.Fatalf("batch: %+v", res)
	}
	var out bytes.Buffer
	if err := alerts.WriteBatchCSV(&out, res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "2,,Marko Petrović,CHECK DATE OF BIRTH,"+a.ID+",rs,arrest") || !strings.Contains(out.String(), "3,,Jovan Jovanović 1990-01-01,NO HIT") {
		t.Fatalf("CSV:\n%s", out.String())
	}
}
