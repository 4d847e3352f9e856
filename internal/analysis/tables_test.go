package analysis_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/analysis"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

func gbv() analysis.IndicatorSet { s, _ := analysis.SetOf("gbv"); return s }

// TestParseCSVReportsEveryRowByLine: every problem of the file is named
// by line and column, and a file with a problem yields no cells.
func TestParseCSVReportsEveryRowByLine(t *testing.T) {
	data := "indicator;sex;relationship;form;value\n" +
		"ipv_victims;female;current_partner;physical;812\n" +
		"ipv_victimz;female;;;3\n" +
		"femicides;woman;;;2\n" +
		"protection_orders_granted;;;;-4\n" +
		"ipv_victims;female;current_partner;physical;10\n"
	cells, errs := analysis.ParseCSV(gbv(), []byte(data))
	if cells != nil {
		t.Fatalf("cells from a file with errors: %+v", cells)
	}
	want := []analysis.ImportError{{Line: 3, Column: "indicator", Code: "indicator", Value: "ipv_victimz"}, {Line: 4, Column: "sex", Code: "breakdown", Value: "woman"},
		{Line: 5, Column: "value", Code: "value", Value: "-4"}, {Line: 6, Code: "duplicate", Value: "2"}}
	if fmt.Sprint(errs) != fmt.Sprint(want) {
		t.Fatalf("errors\n got %+v\nwant %+v", errs, want)
	}
	if _, errs := analysis.ParseCSV(gbv(), []byte("sex,value\nfemale,3\n")); len(errs) != 1 || errs[0].Code != "header" || errs[0].Column != "indicator" {
		t.Fatalf("missing column: %+v", errs)
	}
	cells, errs = analysis.ParseCSV(gbv(), []byte("\ufeffIndicator,Sex,Value\nfemicides,female,4\nipv_victims,female,1 204\n"))
	if len(errs) != 0 || len(cells) != 2 || *cells[1].Value != 1204 {
		t.Fatalf("good file: %+v %+v", cells, errs)
	}
}

func FuzzParseCSV(f *testing.F) {
	f.Add([]byte("indicator,sex,value\nfemicides,female,4\n"))
	f.Add([]byte("indicator;value\n\"ipv_victims\";\"12\"\n;;\n"))
	f.Add([]byte("indicator,value\n\"unterminated,3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cells, errs := analysis.ParseCSV(gbv(), data)
		if cells != nil && len(errs) > 0 {
			t.Fatal("cells and errors together")
		}
		for _, e := range errs {
			if e.Line < 1 || e.Code == "" {
				t.Fatalf("row error without line or code: %+v", e)
			}
		}
		for _, c := range cells {
			if c.Value == nil || *c.Value < 0 {
				t.Fatalf("cell without a value: %+v", c)
			}
		}
	})
}

func gbvCSV(femicides, granted int) []byte {
	return []byte(fmt.Sprintf("indicator,sex,relationship,form,value\nipv_victims,female,current_partner,physical,812\nipv_victims,female,former_partner,sexual,3\n"+
		"femicides,female,,,%d\nprotection_orders_granted,,,,%d\nperpetrators_convicted,male,,,0\n", femicides, granted))
}

// TestHarmonisedTablesMergedRegionally: Bosnia and Herzegovina reports its
// Federation, Republika Srpska and Brčko District separately, North
// Macedonia and Serbia their own tables, each with its definitions; what
// SELEC receives carries no cell under 5, and the regional table keeps
// every contribution's definitions and notes side by side.
func TestHarmonisedTablesMergedRegionally(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "ba", "mk", "selec")
		ba, mk, selec := c["ba"], c["mk"], c["selec"]
		baAn := user(t, ba, "ba-analyst", "ba-sipa", auth.RoleAnalyst)
		baNCU := user(t, ba, "ba-ncu", "ba-ncu", auth.RoleNCUOperator)
		mkAn := user(t, mk, "mk-analyst", "mk-mvr", auth.RoleAnalyst)
		mkNCU := user(t, mk, "mk-ncu", "mk-ncu", auth.RoleNCUOperator)
		selNCU := user(t, selec, "selec-ncu", "selec-ncu", auth.RoleNCUOperator)
		selAn := user(t, selec, "selec-analyst", "selec-analysis", auth.RoleAnalyst)

		// A file with an error saves nothing.
		var before int
		_ = ba.Store.QueryRowContext(ctx, `SELECT COUNT(*) FROM analysis_tables`).Scan(&before)
		rep, err := ba.Analysis.ImportTable(ctx, baAn, analysis.TableInput{Set: "gbv", Title: "GBV FBiH 2025", Period: "2025", Jurisdiction: "BA-FBIH"},
			[]byte("indicator,value\nfemicides,7\nipv_victims,x\n"))
		if err != nil || rep.Saved || len(rep.Errors) != 1 || rep.Errors[0].Line != 3 {
			t.Fatalf("bad file: %+v %v", rep, err)
		}
		var after int
		_ = ba.Store.QueryRowContext(ctx, `SELECT COUNT(*) FROM analysis_tables`).Scan(&after)
		if after != before {
			t.Fatal("a refused import wrote a table")
		}
		if _, err := ba.Analysis.ImportTable(ctx, baAn, analysis.TableInput{Set: "gbv", Title: "x", Period: "last year", Jurisdiction: "BA-FBIH"}, gbvCSV(5, 5)); !errs.Is(err, errs.Invalid) {
			t.Fatalf("bad period: %v", err)
		}

		notes := map[string]string{"BA-FBIH": "Art. 222 Domestic violence, FBiH Criminal Code", "BA-RS": "Art. 190 Domestic violence, RS Criminal Code",
			"BA-BD": "Art. 218 Domestic violence, Brčko District Criminal Code"}
		var ids []string
		for _, j := range []string{"BA-FBIH", "BA-RS", "BA-BD"} {
			rep, err := ba.Analysis.ImportTable(ctx, baAn, analysis.TableInput{Set: "gbv", Title: "GBV " + j + " 2025", Period: "2025", Jurisdiction: j,
				Source: "entity police records", Definitions: []analysis.Definition{{Indicator: "ipv_victims", NationalOffence: notes[j], Note: "victims counted per reported offence"}}}, gbvCSV(2, 40))
			if err != nil || !rep.Saved {
				t.Fatalf("import %s: %+v %v", j, rep, err)
			}
			ids = append(ids, rep.Table.ID)
		}
		rep, err = mk.Analysis.ImportTable(ctx, mkAn, analysis.TableInput{Set: "gbv", Title: "GBV MK 2025", Period: "2025", Jurisdiction: "MK",
			Source: "coordinative body for gender-based violence", Definitions: []analysis.Definition{{Indicator: "ipv_victims", NationalOffence: "Law on prevention and protection from violence against women", Note: "includes family violence outside the couple"}}}, gbvCSV(9, 3))
		if err != nil || !rep.Saved {
			t.Fatal(rep, err)
		}
		for _, id := range ids {
			if _, err := ba.Analysis.ShareTable(ctx, baAn, id, analysis.ShareInput{Peers: []string{"selec"}}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := mk.Analysis.ShareTable(ctx, mkAn, rep.Table.ID, analysis.ShareInput{Peers: []string{"selec"}}); err != nil {
			t.Fatal(err)
		}

		// The raw envelopes: no count from 1 to 4, no author.
		for _, n := range []*testutil.Node{ba, mk} {
			rows, err := n.Store.QueryContext(ctx, `SELECT envelope, state FROM fed_outbox WHERE type = ?`, analysis.TypeTable)
			if err != nil {
				t.Fatal(err)
			}
			k := 0
			for rows.Next() {
				var raw, state string
				if err := rows.Scan(&raw, &state); err != nil {
					t.Fatal(err)
				}
				k++
				if state != federation.OutNCUPending || strings.Contains(raw, "analyst") {
					t.Fatalf("envelope %s: %s", state, raw)
				}
				var env struct{ Payload json.RawMessage }
				if err := json.Unmarshal([]byte(raw), &env); err != nil {
					t.Fatal(err)
				}
				var payload struct {
					Cells []map[string]any `json:"cells"`
				}
				if err := json.Unmarshal(env.Payload, &payload); err != nil || len(payload.Cells) != 5 {
					t.Fatalf("payload %s: %v", env.Payload, err)
				}
				suppressed := 0
				for _, c := range payload.Cells {
					if v, ok := c["value"].(float64); ok && v > 0 && v < analysis.MinCell {
						t.Fatalf("%s shares a cell of %v: %s", n.Cfg.NodeID, v, env.Payload)
					}
					if c["suppressed"] == true {
						suppressed++
					}
				}
				if suppressed == 0 {
					t.Fatalf("nothing suppressed in %s", env.Payload)
				}
			}
			rows.Close()
			if k == 0 {
				t.Fatalf("no table envelope on %s", n.Cfg.NodeID)
			}
		}
		testutil.ApproveAll(t, ba, baNCU)
		testutil.ApproveAll(t, mk, mkNCU)
		for i := 0; i < 4; i++ {
			testutil.RouteIncoming(t, selec, selNCU, analysis.TypeTable, "selec-analysis")
		}
		var r analysis.Regional
		testutil.WaitFor(t, "four contributions on SELEC", wait, func() bool {
			r, err = selec.Analysis.RegionalTable(ctx, selAn, "gbv", "2025")
			return err == nil && len(r.Contributions) == 4
		})
		got := map[string]string{}
		for _, c := range r.Contributions {
			if len(c.Definitions) != 1 {
				t.Fatalf("contribution %s lost its definitions: %+v", c.Jurisdiction, c)
			}
			got[c.Jurisdiction] = c.Definitions[0].NationalOffence + " / " + c.Definitions[0].Note
		}
		for j, note := range notes {
			if !strings.HasPrefix(got[j], note) {
				t.Fatalf("%s: %q", j, got[j])
			}
		}
		if !strings.Contains(got["MK"], "includes family violence outside the couple") {
			t.Fatalf("MK: %q", got["MK"])
		}
		for _, row := range r.Rows {
			if row.Indicator == "ipv_victims" && row.Relationship == "current_partner" && row.Total != 4*812 {
				t.Fatalf("IPV total %d", row.Total)
			}
			if row.Indicator == "femicides" && row.Total != 9 { // BiH's 2s suppressed, MK's 9 kept
				t.Fatalf("femicides: %+v", row)
			}
		}
	})
}
