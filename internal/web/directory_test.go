package web_test

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/directory"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// call sends a JSON request with a bearer token and decodes the answer.
func call(t *testing.T, method, u, token string, body any, out any) (int, http.Header, string) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, u, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
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
	return resp.StatusCode, resp.Header, string(raw)
}

func TestDirectoryAPI(t *testing.T) {
	n := testutil.Start(t, testutil.Options{NodeID: "rs"})
	adminTok := n.AddUser(t, "dir-admin", auth.RoleAdmin)
	officerTok := n.AddUser(t, "dir-officer", auth.RoleOfficer)
	api := n.URL + "/api/v1/directory"

	agency := directory.AgencyInput{Country: "RS", Code: "rs-uks", Name: "Criminal Police Directorate", LocalName: "Управа криминалистичке полиције", Type: "police"}
	var a directory.Agency
	if st, _, body := call(t, "POST", api+"/agencies", adminTok, agency, &a); st != http.StatusCreated || a.OwnerNode != "rs" {
		t.Fatalf("create agency: %d %s", st, body)
	}
	for _, tc := range []struct {
		name, method, path, token string
		body                      any
		status                    int
		problem, detail           string
	}{
		{"duplicate agency", "POST", "/agencies", adminTok, agency, 409, "conflict", "already exists in RS"},
		{"officer may not edit", "POST", "/agencies", officerTok, agency, 403, "forbidden", "role"},
		{"anonymous", "GET", "/agencies", "", nil, 401, "unauthenticated", ""},
		{"other country", "POST", "/agencies", adminTok, directory.AgencyInput{Country: "AL", Code: "al-asp", Name: "State Police", Type: "police"}, 403, "not-owner", "maintained by node al"},
		{"contact point with no holder", "POST", "/contact-points", adminTok, directory.ContactPointInput{Country: "RS", Role: "ncu", AlwaysOn: true,
			Channels: []directory.Channel{{Kind: "phone", Value: "+381 11 1"}}}, 400, "invalid", "needs a current holder"},
		{"in force before signature", "POST", "/agreements", adminTok, directory.AgreementInput{Title: "RS-AL police cooperation", Types: []string{"police_cooperation"},
			Parties: []directory.Party{{Country: "RS"}, {Country: "AL"}}, Signed: "2020-05-01", InForce: "2020-04-01"}, 400, "invalid", "cannot enter into force (2020-04-01) before it was signed (2020-05-01)"},
		{"unknown role", "GET", "/lookup?country=RS&role=wizard", officerTok, nil, 400, "invalid", "not known"},
		{"missing agency", "GET", "/agencies/00000000-0000-0000-0000-000000000000", officerTok, nil, 404, "not-found", "no such agency"},
		{"bad export format", "GET", "/export?format=xml", officerTok, nil, 422, "validation", ""},
		{"csv needs a kind", "GET", "/export?format=csv", officerTok, nil, 400, "invalid", "one kind of record"},
		{"regional record", "POST", "/mechanisms/RCC/status", adminTok, map[string]string{"status": "dormant"}, 403, "not-owner", "seed file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, h, body := call(t, tc.method, api+tc.path, tc.token, tc.body, nil)
			if st != tc.status || !strings.Contains(h.Get("Content-Type"), "application/problem+json") {
				t.Fatalf("status %d (%s) want %d: %s", st, h.Get("Content-Type"), tc.status, body)
			}
			var p struct{ Type, Detail string }
			_ = json.Unmarshal([]byte(body), &p)
			if p.Type != "urn:liaison:problem:"+tc.problem || !strings.Contains(p.Detail, tc.detail) || strings.Contains(body, "goroutine") {
				t.Fatalf("problem %+v", p)
			}
		})
	}

	var cp directory.ContactPoint
	in := directory.ContactPointInput{Country: "RS", AgencyID: a.ID, Role: "24/7", HolderName: "Nikola Stanković", AlwaysOn: true,
		Channels: []directory.Channel{{Kind: "secure", Value: "SIENA: RS-247"}, {Kind: "phone", Value: "+381 11 306 0000"}}}
	if st, _, body := call(t, "POST", api+"/contact-points", adminTok, in, &cp); st != 201 || cp.Role != "desk_24_7" {
		t.Fatalf("create contact point: %d %s", st, body)
	}
	var res directory.LookupResult
	q := url.Values{"country": {"Србија"}, "role": {"SIRENE"}}
	if st, _, body := call(t, "GET", api+"/lookup?"+q.Encode(), officerTok, nil, &res); st != 200 || len(res.Contacts) != 1 || res.Contacts[0].Holder.Name != "Nikola Stanković" {
		t.Fatalf("lookup: %d %s", st, body)
	}
	var h directory.Handover
	if st, _, body := call(t, "POST", api+"/contact-points/"+cp.ID+"/handover", adminTok, directory.HandoverInput{ToHolder: "Milica Đorđević", OpenItems: []string{"Hit on SELEC request 2026/114"}}, &h); st != 201 || h.State != "done" {
		t.Fatalf("handover: %d %s", st, body)
	}
	var detail struct {
		Holder    directory.Person     `json:"holder"`
		Handovers []directory.Handover `json:"handovers"`
	}
	if st, _, body := call(t, "GET", api+"/contact-points/"+cp.ID, officerTok, nil, &detail); st != 200 || detail.Holder.Name != "Milica Đorđević" || len(detail.Handovers) != 1 {
		t.Fatalf("after handover: %d %s", st, body)
	}
	var hits []directory.SearchHit
	if st, _, body := call(t, "GET", api+"/search?q="+url.QueryEscape("milica djordjevic"), officerTok, nil, &hits); st != 200 || len(hits) != 1 {
		t.Fatalf("search: %d %s", st, body)
	}
	var m directory.Matrix
	if st, _, body := call(t, "GET", api+"/matrix?type=extradition", officerTok, nil, &m); st != 200 || len(m.Countries) != 6 || len(m.Cell("RS", "AL").Items) == 0 {
		t.Fatalf("matrix: %d %s", st, body)
	}
	var im directory.Implementation
	if st, _, body := call(t, "GET", api+"/mechanisms/SEEPAG/implementation", officerTok, nil, &im); st != 200 || !im.NoData {
		t.Fatalf("implementation: %d %s", st, body)
	}

	// Export: CSV with a header row, JSON with every kind.
	st, hdr, body := call(t, "GET", api+"/export?format=csv&kind=contact-points", officerTok, nil, nil)
	if st != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") || !strings.Contains(hdr.Get("Content-Disposition"), ".csv") {
		t.Fatalf("csv export: %d %v", st, hdr)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) != 2 || rows[0][0] != "id" || rows[1][5] != "Milica Đorđević" {
		t.Fatalf("csv rows %v %v", rows, err)
	}
	var doc directory.ExportDoc
	if st, _, body := call(t, "GET", api+"/export?format=json", officerTok, nil, &doc); st != 200 || len(doc.Mechanisms) < 14 || len(doc.Agencies) != 1 || doc.Node != "rs" {
		t.Fatalf("json export: %d %.300s", st, body)
	}

	// The operations are in the OpenAPI document with who may call them.
	_, _, oas := call(t, "GET", n.URL+"/api/openapi.json", "", nil, nil)
	for _, want := range []string{`"/api/v1/directory/lookup"`, `"/api/v1/directory/contact-points/{id}/handover"`, `"/api/v1/directory/matrix"`, `"/api/v1/directory/export"`, "Access: roles admin."} {
		if !strings.Contains(oas, want) {
			t.Errorf("OpenAPI lacks %s", want)
		}
	}
}

func TestDirectoryPages(t *testing.T) {
	n := testutil.Start(t, testutil.Options{NodeID: "me"})
	adminTok := n.AddUser(t, "me-admin", auth.RoleAdmin)
	partnerTok := n.AddUser(t, "me-partner", auth.RolePartner)
	get := func(path, token string) (int, string) {
		req, _ := http.NewRequest("GET", n.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := testutil.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post := func(path, token string, form url.Values) (int, string, string) {
		req, _ := http.NewRequest("POST", n.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := testutil.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		loc := resp.Header.Get("Location")
		if resp.StatusCode == http.StatusSeeOther && strings.Contains(loc, "form=") {
			// A refused form: the browser is sent back to the form page,
			// which shows the message and the values typed.
			st, page := get(loc, token)
			if st != http.StatusOK || !strings.Contains(page, `class="flash err"`) {
				t.Fatalf("form page after a failed submit: %d", st)
			}
			return http.StatusUnprocessableEntity, loc, page
		}
		return resp.StatusCode, loc, string(b)
	}
	// An admin adds an agency and a contact point through the forms.
	st, loc, body := post("/directory/agencies", adminTok, url.Values{"country": {"ME"}, "code": {"me-up"}, "name": {"Police Directorate"}, "local_name": {"Uprava policije"}, "type": {"police"}})
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/directory/agencies/") {
		t.Fatalf("agency form: %d %s %.300s", st, loc, body)
	}
	st, _, body = post("/directory/agencies", adminTok, url.Values{"country": {"ME"}, "code": {"me-up2"}, "name": {"POLICE DIRECTORATE"}, "type": {"police"}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "already exists in ME") || !strings.Contains(body, `value="me-up2"`) {
		t.Fatalf("duplicate agency form: %d %.500s", st, body)
	}
	st, _, body = post("/directory/contacts", adminTok, url.Values{"country": {"ME"}, "role": {"ncu"}, "always_on": {"1"}, "phone": {"+382 20 000 000"}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "needs a current holder") {
		t.Fatalf("contact without holder: %d %.500s", st, body)
	}
	st, loc, _ = post("/directory/contacts", adminTok, url.Values{"country": {"ME"}, "role": {"gbv"}, "holder_name": {"Ivana Vujović"}, "hours": {"Mon-Fri 08:00-16:00"},
		"time_zone": {"Europe/Podgorica"}, "email": {"gbv@example.me"}, "languages": {"sr, en"}})
	if st != http.StatusSeeOther {
		t.Fatalf("contact form: %d", st)
	}
	st, _, body = post(strings.SplitN(loc, "?", 2)[0]+"/handover", adminTok, url.Values{"to_holder": {"Ana Popović"}, "effective_from": {"2001-01-01"}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "cannot start in the past") || !strings.Contains(body, `value="Ana Popović"`) {
		t.Fatalf("handover in the past: %d %.400s", st, body)
	}
	st, _, body = post("/directory/agreements", adminTok, url.Values{"title": {"ME-AL readmission"}, "types": {"readmission"}, "parties": {"ME, AL"}, "signed": {"2021-06-01"}, "in_force": {"2021-01-01"}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "before it was signed") {
		t.Fatalf("agreement form: %d %.400s", st, body)
	}

	// Every authenticated role reads every page.
	for _, path := range []string{"/directory", "/directory?country=ME&role=gbv", "/directory/search?q=uprava", "/directory/matrix", "/directory/matrix?type=mla&extra=AT",
		"/directory/agencies", "/directory/contacts", "/directory/mechanisms", "/directory/agreements", "/directory/countries/XK", "/directory/mechanisms/SELEC",
		"/directory/export?format=csv&kind=mechanisms"} {
		st, body := get(path, partnerTok)
		if st != 200 {
			t.Errorf("%s: %d %.300s", path, st, body)
		}
	}
	_, body = get("/directory?country=ME&role=gbv", partnerTok)
	if !strings.Contains(body, "Ivana Vujović") {
		t.Errorf("lookup page lacks the holder")
	}
	_, body = get("/directory/search?q="+url.QueryEscape("управа полиције"), partnerTok)
	if !strings.Contains(body, "Police Directorate") {
		t.Errorf("Cyrillic search did not find the Latin entry")
	}
	_, body = get("/directory/countries/XK", partnerTok)
	if !strings.Contains(body, "without prejudice to positions on status") {
		t.Errorf("Kosovo page lacks the designation note")
	}
	_, body = get("/directory/mechanisms/SEEPAG", partnerTok)
	if !strings.Contains(body, "No data yet") || strings.Contains(body, `action="/directory/mechanisms/`) {
		t.Errorf("mechanism page: no-data notice or forms for a partner wrong")
	}
	if st, body := get("/directory/agencies/nope", partnerTok); st != 404 || strings.Contains(body, "goroutine") {
		t.Errorf("missing agency: %d", st)
	}
	if st, body := get("/directory/matrix?extra=ZZ", partnerTok); st != 400 || !strings.Contains(strings.ToLower(body), "unknown country code(s): zz") {
		t.Errorf("matrix bad extra: %d %.300s", st, body)
	}
}
