package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/testutil"
)

func casesCall(t *testing.T, method, u, token, contentType string, payload string, out any) (int, string) {
	t.Helper()
	var r io.Reader
	if payload != "" {
		r = strings.NewReader(payload)
	}
	req, _ := http.NewRequest(method, u, r)
	if payload != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := testutil.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, u, raw, err)
		}
	}
	return resp.StatusCode, string(raw)
}

func TestCasesAPI(t *testing.T) {
	n := testutil.Start(t, testutil.Options{NodeID: "ba"})
	officer := n.AddUser(t, "officer", auth.RoleOfficer)
	partner := n.AddUser(t, "partner", auth.RolePartner)
	const js = "application/json"

	code, raw := casesCall(t, "POST", n.URL+"/api/v1/cases", officer, js, `{"reference":"BA-1","title":"Heroin","crime_area":"drugs","route":["Turkey","BG","RS"]}`, nil)
	if code != http.StatusCreated || !strings.Contains(raw, `"route":["TR","BG","RS"]`) {
		t.Fatalf("create case: %d %s", code, raw)
	}
	code, raw = casesCall(t, "POST", n.URL+"/api/v1/cases", officer, js, `{"reference":"BA-2","title":"x","crime_area":"knitting"}`, nil)
	if code != http.StatusBadRequest || !strings.Contains(raw, "crime_area") || !strings.Contains(raw, "urn:liaison:problem:invalid") {
		t.Fatalf("bad crime area: %d %s", code, raw)
	}
	var created struct{ Entity cases.Entity }
	code, raw = casesCall(t, "POST", n.URL+"/api/v1/cases/entities", officer, js,
		`{"kind":"person","fields":{"given_name":"Emir","family_name":"Hodžić","date_of_birth":"1980-02-03"},"case":"BA-1","role":"suspect"}`, &created)
	if code != http.StatusCreated {
		t.Fatalf("create entity: %d %s", code, raw)
	}
	code, raw = casesCall(t, "POST", n.URL+"/api/v1/cases/entities", officer, js, `{"kind":"account","fields":{"iban":"BA39 1290 0794 0102 8495"}}`, nil)
	if code != http.StatusBadRequest || !strings.Contains(raw, "iban") {
		t.Fatalf("bad IBAN accepted: %d %s", code, raw)
	}
	var res []cases.Candidate
	code, raw = casesCall(t, "POST", n.URL+"/api/v1/cases/search", officer, js, `{"kind":"person","fields":{"full_name":"Хоџић Емир","date_of_birth":"03.02.1980"},"purpose":"check"}`, &res)
	if code != 200 || len(res) != 1 || res[0].Entity.ID != created.Entity.ID || len(res[0].Explanation) == 0 {
		t.Fatalf("search: %d %s", code, raw)
	}
	// A search compares a date with a typo (month 13) digit by digit, while
	// storing such a date is refused.
	code, raw = casesCall(t, "POST", n.URL+"/api/v1/cases/search", officer, js, `{"kind":"person","fields":{"given_name":"Emir","family_name":"Hodžić","date_of_birth":"1980-02-33"},"purpose":"check"}`, &res)
	if code != 200 || len(res) != 1 || res[0].Entity.ID != created.Entity.ID {
		t.Fatalf("search with a mistyped date: %d %s", code, raw)
	}
	code, raw = casesCall(t, "POST", n.URL+"/api/v1/cases/entities", officer, js, `{"kind":"person","fields":{"given_name":"Emir","family_name":"Hodžić","date_of_birth":"1980-13-03"}}`, nil)
	if code != http.StatusBadRequest || !strings.Contains(raw, "not a real date") {
		t.Fatalf("impossible date stored: %d %s", code, raw)
	}
	// Import dry run through the API reports rejected rows by line and column.
	var rep cases.ImportResult
	code, raw = casesCall(t, "POST", n.URL+"/api/v1/cases/import?format=csv&dry_run=true&case=BA-1", officer, "text/csv",
		"given_name,family_name,dob\nSead,Kovač,1999-01-01\nX,Y,unknown\n", &rep)
	if code != 200 || rep.Created != 1 || len(rep.Rejected) != 1 || rep.Rejected[0].Row != 3 || rep.Rejected[0].Column != "dob" {
		t.Fatalf("import dry run: %d %s", code, raw)
	}
	code, _ = casesCall(t, "POST", n.URL+"/api/v1/cases/search", partner, js, `{"kind":"person","fields":{"full_name":"A"},"purpose":"x"}`, nil)
	if code != http.StatusForbidden {
		t.Fatalf("partner searches cases: %d", code)
	}
	code, raw = casesCall(t, "GET", n.URL+"/api/v1/cases/export", officer, "", "", nil)
	if code != 200 || !strings.Contains(raw, `"schema":"Person"`) {
		t.Fatalf("export: %d %s", code, raw)
	}
	code, raw = casesCall(t, "GET", n.URL+"/api/openapi.json", officer, "", "", nil)
	for _, op := range []string{"send-hit-query", "release-hit", "import-entities", "search-entities", "list-hits", "get-case-stats"} {
		if !strings.Contains(raw, `"operationId":"`+op+`"`) {
			t.Errorf("OpenAPI lacks %s", op)
		}
	}
}

func TestCasesPages(t *testing.T) {
	n := testutil.Start(t, testutil.Options{NodeID: "rs", Config: func(c *config.Config) { c.InsecureFederation = true }})
	n.AddUser(t, "officer", auth.RoleOfficer)
	c := testutil.Client()
	csrf := login(t, c, n.URL, "officer")
	post := func(path string, v url.Values) (int, string) {
		t.Helper()
		v.Set("csrf_token", csrf)
		resp, err := c.PostForm(n.URL+path, v)
		if err != nil {
			t.Fatal(err)
		}
		loc := resp.Header.Get("Location")
		b := body(t, resp)
		if resp.StatusCode == http.StatusSeeOther {
			resp, err = c.Get(n.URL + loc)
			if err != nil {
				t.Fatal(err)
			}
			return resp.StatusCode, body(t, resp)
		}
		return resp.StatusCode, b
	}
	code, page := post("/cases", url.Values{"reference": {"RS-9"}, "title": {"Arms"}, "crime_area": {"firearms"}, "route": {"BA, RS, HU"}})
	if code != 200 || !strings.Contains(page, "BA → RS → HU") {
		t.Fatalf("case page: %d", code)
	}
	d, err := n.Cases.GetCase(t.Context(), &auth.Principal{Username: "t"}, "RS-9")
	if err != nil {
		t.Fatal(err)
	}
	code, page = post("/cases/c/"+d.Case.ID+"/entities", url.Values{"kind": {"weapon"}, "fields": {"type: pistol\nserial: ab-12345"}})
	if code != 200 || !strings.Contains(page, "AB12345") {
		t.Fatalf("add weapon: %d", code)
	}
	code, page = post("/cases/c/"+d.Case.ID+"/entities", url.Values{"kind": {"weapon"}, "fields": {"type: pistol"}})
	// Refused: the browser is sent back to the case page with the message
	// and the fields typed (POST/redirect/GET).
	if code != http.StatusOK || !strings.Contains(page, "serial") || !strings.Contains(page, `class="flash err"`) || !strings.Contains(page, "type: pistol") {
		t.Fatalf("weapon without serial: %d", code)
	}
	code, page = post("/cases/import", url.Values{"format": {"csv"}, "kind": {"vehicle"}, "content": {"Tablice,make\nBG 123-AA,Audi\n,\n"}, "step": {"dryrun"}})
	if code != 200 || !strings.Contains(page, "Tablice") || !strings.Contains(page, "the row is empty") {
		t.Fatalf("import wizard: %d %s", code, page)
	}
	code, page = post("/cases/search", url.Values{"kind": {"weapon"}, "serial": {"AB 12345"}, "purpose": {"test"}})
	if code != 200 || !strings.Contains(page, "Serial number: exact") {
		t.Fatalf("search page: %d", code)
	}
	for _, p := range []string{"/cases", "/cases/search", "/cases/queries", "/cases/hits", "/cases/import", "/cases/duplicates", "/cases/stats"} {
		resp, err := c.Get(n.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		if b := body(t, resp); resp.StatusCode != 200 || strings.Contains(b, "cases.") {
			t.Errorf("%s: %d (untranslated key or error)", p, resp.StatusCode)
		}
	}
	_ = time.Second
}

// An analyst shares the aggregate statistics with a peer from the
// statistics page; the peer lists them.
func TestCasesShareStatsPage(t *testing.T) {
	rs := testutil.Start(t, testutil.Options{NodeID: "rs", Config: func(c *config.Config) { c.InsecureFederation = true }})
	ba := testutil.Start(t, testutil.Options{NodeID: "ba", Config: func(c *config.Config) { c.InsecureFederation = true }})
	testutil.PeerAll(t, rs, ba)
	rs.AddUser(t, "analyst", auth.RoleAnalyst)
	rs.AddUser(t, "officer", auth.RoleOfficer)
	ctx := t.Context()
	if _, err := rs.Cases.CreateCase(ctx, &auth.Principal{Username: "t", Agency: "rs-mup"}, cases.CaseInput{Reference: "RS-1", Title: "x", CrimeArea: "drugs"}); err != nil {
		t.Fatal(err)
	}
	c := testutil.Client()
	csrf := login(t, c, rs.URL, "analyst")
	resp, err := c.Get(rs.URL + "/cases/stats")
	if err != nil {
		t.Fatal(err)
	}
	if b := body(t, resp); !strings.Contains(b, `id="share-stats"`) || !strings.Contains(b, `value="ba"`) {
		t.Fatalf("no share form for the analyst")
	}
	resp, err = c.PostForm(rs.URL+"/cases/stats/share", url.Values{"csrf_token": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	if b := body(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(b, "at least one peer") {
		t.Fatalf("share without a peer: %d", resp.StatusCode)
	}
	resp, err = c.PostForm(rs.URL+"/cases/stats/share", url.Values{"csrf_token": {csrf}, "peer": {"ba"}})
	if err != nil {
		t.Fatal(err)
	}
	body(t, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/cases/stats?ok=shared" {
		t.Fatalf("share: %d", resp.StatusCode)
	}
	if resp, err = c.Get(rs.URL + "/cases/stats?ok=shared"); err != nil {
		t.Fatal(err)
	}
	if b := body(t, resp); !strings.Contains(b, "Statistics shared") {
		t.Fatal("no confirmation after sharing")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := ba.Cases.SharedStats(ctx, &auth.Principal{Username: "x", Agency: "ba-sipa", Roles: []auth.Role{auth.RoleAnalyst}})
		if err == nil && len(got) == 1 && got[0].Node == "rs" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("statistics not received: %+v %v", got, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// An officer may read statistics but not share them.
	c2 := testutil.Client()
	csrf2 := login(t, c2, rs.URL, "officer")
	resp, err = c2.PostForm(rs.URL+"/cases/stats/share", url.Values{"csrf_token": {csrf2}, "peer": {"ba"}})
	if err != nil {
		t.Fatal(err)
	}
	body(t, resp)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("officer shares statistics: %d", resp.StatusCode)
	}
}
