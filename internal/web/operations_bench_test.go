package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/operations"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// BenchmarkOperationsBoard500 renders the operations board with 500 open
// operations (hot pursuits into Bosnia and Herzegovina with positions,
// joint patrols with sector outlines, incidents) over HTTP as the NCU sees
// it: the authorised, audited read, the table and the SVG map.
func BenchmarkOperationsBoard500(b *testing.B) {
	ns := opsNodes(b, "rs", "ba")
	rs := ns[0]
	ctx := context.Background()
	pol := &auth.Principal{Username: "ana", Agency: "rs-agency", Roles: []auth.Role{auth.RoleOfficer}}
	for i := range 500 {
		in := operations.OpenInput{Title: fmt.Sprintf("Operation %d", i), Position: fmt.Sprintf("%.4f, %.4f", 42+float64(i%300)/100, 19+float64(i%170)/100), Where: "on the road"}
		switch i % 5 {
		case 0, 1, 2:
			in.Kind, in.Countries = operations.KindPursuit, []string{"ba"}
			in.Details = operations.OpDetails{Unit: "Traffic police", Offence: "robbery", TargetVehicle: "Audi A6"}
		case 3:
			in.Kind, in.Countries, in.Position = operations.KindPatrol, []string{"ba"}, ""
			in.Details = operations.OpDetails{Sector: fmt.Sprintf("Drina sector %d", i%7), Start: "2026-12-07", End: "2026-12-13", Commander: "Insp. Perić",
				SectorArea: []operations.GeoPoint{{Lat: 44.3, Lon: 19.1}, {Lat: 44.2, Lon: 19.3}, {Lat: 44.0, Lon: 19.2}}}
		default:
			in.Kind, in.Severity = operations.KindIncident, 1+i%5
			in.Details = operations.OpDetails{IncidentType: "border", Location: "Mali Zvornik", LeadOrg: "Border police", Commander: "Col. Ilić"}
		}
		if _, err := rs.Ops.Open(ctx, pol, in); err != nil {
			b.Fatal(err)
		}
	}
	rs.AddUser(b, "ncu-bench", auth.RoleNCUOperator)
	c := testutil.Client()
	resp, err := c.PostForm(rs.URL+"/login", map[string][]string{"username": {"ncu-bench"}, "password": {testutil.Password}})
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	get := func() int {
		resp, err := c.Get(rs.URL + "/operations")
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
		return strings.Count(string(body), `<tr data-id=`)
	}
	if n := get(); n != 500 {
		b.Fatalf("%d operations on the board", n)
	}
	b.ResetTimer()
	for b.Loop() {
		get()
	}
}
