package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/activities"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/testutil"
	"github.com/liaison-wb/liaison/internal/web"
)

func actCall(t *testing.T, method, u, token string, in any) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, u, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

func actWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// euTraining is an EU-funded activity as a partner on the SELEC node
// publishes it.
func euTraining() activities.Input {
	return activities.Input{Title: "Training on financial investigations and asset recovery",
		Description: "Parallel financial investigations, tracing and confiscation of criminal assets.", Kind: "training",
		Implementer: "UNODC", Donor: "European Union (IPA III)", Budget: 450000, Currency: "EUR", Countries: []string{"RS"},
		Agencies: []activities.Beneficiary{{Country: "RS", Agency: "Ministry of Interior – Criminal Police Directorate"}},
		Themes:   []string{"money_laundering"}, StartDate: "2027-03-01", EndDate: "2027-09-30", Beneficiaries: 120,
		ContactName: "Ana Kovač", ContactEmail: "ana.kovac@unodc.example"}
}

// TestActivitiesAPIAndReplication: a partner on the SELEC node publishes an
// activity; it reaches the Serbian node through the federation, where a
// second partner's Serbian-language draft is checked against it, the
// overlap resolved and the draft published back to SELEC. Each node keeps
// ownership of its entries.
func TestActivitiesAPIAndReplication(t *testing.T) {
	insecure := func(c *config.Config) { c.InsecureFederation = true }
	selec := testutil.Start(t, testutil.Options{NodeID: "selec", Config: insecure})
	rs := testutil.Start(t, testutil.Options{NodeID: "rs", Config: insecure})
	testutil.PeerAll(t, selec, rs)
	selecPartner := selec.AddUser(t, "partner", auth.RolePartner)
	rsPartner := rs.AddUser(t, "partner", auth.RolePartner)
	rsOfficer := rs.AddUser(t, "officer", auth.RoleOfficer)
	rsNCU := rs.AddUser(t, "ncu", auth.RoleNCUOperator)

	// Draft and publish on SELEC.
	resp, b := actCall(t, "POST", selec.URL+"/api/v1/activities", selecPartner, euTraining())
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	var draft web.ActivityDraft
	_ = json.Unmarshal(b, &draft)
	if draft.Activity.Status != "draft" || len(draft.Overlaps) != 0 {
		t.Fatalf("draft: %+v", draft)
	}
	eu := draft.Activity
	resp, b = actCall(t, "POST", selec.URL+"/api/v1/activities/"+eu.ID+"/publish", selecPartner, map[string]string{})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("publish: %d %s", resp.StatusCode, b)
	}

	// It reaches the Serbian node, owned by SELEC.
	var got activities.Activity
	actWait(t, "replication to rs", func() bool {
		resp, b := actCall(t, "GET", rs.URL+"/api/v1/activities/"+eu.ID, rsOfficer, nil)
		_ = json.Unmarshal(b, &got)
		return resp.StatusCode == http.StatusOK
	})
	if got.OwnerNode != "selec" || !got.Published || got.Version != 2 {
		t.Fatalf("replicated: %+v", got)
	}
	// Serbia cannot change SELEC's entry.
	in := euTraining()
	in.Version = got.Version
	resp, b = actCall(t, "PUT", rs.URL+"/api/v1/activities/"+eu.ID, rsPartner, in)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "not-owner") {
		t.Fatalf("update of a peer's entry: %d %s", resp.StatusCode, b)
	}
	// SELEC updates it; the new version replaces the old one in Serbia.
	in.Version, in.Title, in.Status = 2, "Training on financial investigations and asset recovery (phase II)", "ongoing"
	resp, b = actCall(t, "PUT", selec.URL+"/api/v1/activities/"+eu.ID, selecPartner, in)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("update: %d %s", resp.StatusCode, b)
	}
	actWait(t, "version 3 at rs", func() bool {
		_, b := actCall(t, "GET", rs.URL+"/api/v1/activities/"+eu.ID, rsOfficer, nil)
		_ = json.Unmarshal(b, &got)
		return got.Version == 3
	})
	if got.Status != "ongoing" || !strings.Contains(got.Title, "phase II") {
		t.Fatalf("update not replicated: %+v", got)
	}

	// A Serbian-language draft on rs overlaps it.
	us := activities.Input{Title: "Obuka o finansijskim istragama", Description: "Obuka za policijske službenike: finansijske istrage i oduzimanje imovine.",
		Kind: "training", Implementer: "OPDAT", Donor: "United States (INL)", Budget: 200000, Currency: "USD", Countries: []string{"RS"},
		Agencies: []activities.Beneficiary{{Country: "RS", Agency: "Ministry of Interior - Criminal Police Directorate"}},
		Themes:   []string{"Pranje novca"}, StartDate: "2027-05-01", EndDate: "2027-06-30"}
	resp, b = actCall(t, "POST", rs.URL+"/api/v1/activities/check", rsPartner, us)
	var ovs []activities.Overlap
	_ = json.Unmarshal(b, &ovs)
	if resp.StatusCode != http.StatusOK || len(ovs) != 1 || ovs[0].Activity.ID != eu.ID || ovs[0].Summary == "" {
		t.Fatalf("check: %d %s", resp.StatusCode, b)
	}
	resp, b = actCall(t, "POST", rs.URL+"/api/v1/activities", rsPartner, us)
	_ = json.Unmarshal(b, &draft)
	if resp.StatusCode != http.StatusCreated || len(draft.Overlaps) != 1 {
		t.Fatalf("create with overlap: %d %s", resp.StatusCode, b)
	}
	resp, b = actCall(t, "POST", rs.URL+"/api/v1/activities/"+draft.Activity.ID+"/publish", rsPartner, map[string]string{})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(string(b), "unresolved-overlaps") {
		t.Fatalf("publish with open overlap: %d %s", resp.StatusCode, b)
	}
	resp, b = actCall(t, "POST", rs.URL+"/api/v1/activities/"+draft.Activity.ID+"/resolutions", rsPartner,
		activities.ResolutionInput{With: eu.ID, Decision: "proceed", Reason: "Different audience: border police, agreed with UNODC"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("resolve: %d %s", resp.StatusCode, b)
	}
	resp, b = actCall(t, "POST", rs.URL+"/api/v1/activities/"+draft.Activity.ID+"/publish", rsPartner, map[string]string{"status": "planned"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("publish: %d %s", resp.StatusCode, b)
	}
	actWait(t, "replication to selec", func() bool {
		resp, _ := actCall(t, "GET", selec.URL+"/api/v1/activities/"+draft.Activity.ID, selecPartner, nil)
		return resp.StatusCode == http.StatusOK
	})
	// The resolution travels with the entry.
	_, b = actCall(t, "GET", selec.URL+"/api/v1/activities/"+draft.Activity.ID+"/overlaps", selecPartner, nil)
	_ = json.Unmarshal(b, &ovs)
	if len(ovs) != 1 || ovs[0].Resolution == nil || ovs[0].Resolution.Decision != "proceed" {
		t.Fatalf("overlaps at selec: %s", b)
	}

	// Needs declared by Serbia reach SELEC; the gap map shows them.
	resp, b = actCall(t, "POST", rs.URL+"/api/v1/activities/needs", rsNCU, activities.NeedInput{Country: "RS", Agency: "Criminal Police Directorate",
		Theme: "cybercrime", Priority: 1, Title: "Mobile forensics outside Belgrade"})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("need: %d %s", resp.StatusCode, b)
	}
	var gap activities.GapMap
	actWait(t, "need at selec", func() bool {
		_, b := actCall(t, "GET", selec.URL+"/api/v1/activities/gap", selecPartner, nil)
		_ = json.Unmarshal(b, &gap)
		return len(gap.UnmetNeeds) == 1
	})
	if gap.Activities != 2 || gap.UnmetNeeds[0].Title != "Mobile forensics outside Belgrade" {
		t.Fatalf("gap: %+v", gap)
	}

	// Officers read but cannot draft.
	resp, _ = actCall(t, "POST", rs.URL+"/api/v1/activities", rsOfficer, us)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("officer drafts: %d", resp.StatusCode)
	}

	// Exports.
	for format, ct := range map[string]string{"csv": "text/csv", "xlsx": "spreadsheetml", "json": "application/json"} {
		resp, b := actCall(t, "GET", rs.URL+"/api/v1/activities/export?format="+format, rsOfficer, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), ct) || len(b) < 100 {
			t.Fatalf("export %s: %d %s", format, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if format == "csv" && !strings.Contains(string(b), "phase II") {
			t.Fatalf("csv export: %s", b)
		}
		if format == "xlsx" {
			rows, err := activities.ReadTable("xlsx", b)
			if err != nil || len(rows) != 3 {
				t.Fatalf("xlsx export: %v %d rows", err, len(rows))
			}
		}
	}
}

// TestActivitiesImportUI: a partner uploads a CSV through the UI; the
// preview names rows and columns at fault and saves nothing, the
// confirmed import saves the valid rows as drafts.
func TestActivitiesImportUI(t *testing.T) {
	n := testutil.Start(t, testutil.Options{NodeID: "selec"})
	n.AddUser(t, "partner", auth.RolePartner)
	c := testutil.Client()
	csrf := login(t, c, n.URL, "partner")
	csv := "Naziv;Vrsta;Donor;Implementing partner;Država;Agency;Tema;Početak;Kraj;Budžet;Valuta;Notes\n" +
		"Obuka o sajber kriminalu;obuka;EU;Council of Europe;RS;Ministry of Interior;Cybercrime;01.03.2027;30.06.2027;120.000;EUR;x\n" +
		"Oprema za granične prelaze;oprema;Germany;GIZ;AL;Border Police;border_security;2027-13-01;2027-12-01;1000000;EUR;\n" +
		"Mentoring prosecutors;mentoring;USA;OPDAT;ME;Special State Prosecutor;corruption;2027-01-01;2027-12-31;lots;USD;\n"
	upload := func(confirm bool) string {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("csrf_token", csrf)
		if confirm {
			_ = mw.WriteField("confirm", "1")
		}
		fw, _ := mw.CreateFormFile("file", "activities.csv")
		_, _ = fw.Write([]byte(csv))
		mw.Close()
		req, _ := http.NewRequest("POST", n.URL+"/activities/import", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("import status %d", resp.StatusCode)
		}
		return body(t, resp)
	}
	page := upload(false)
	for _, want := range []string{"Preview", "3 rows read, 1 valid, 2 errors, 0 drafts saved", "Početak", "start_date", "Budžet", "budget &#34;lots&#34;", "Notes"} {
		if !strings.Contains(page, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	page = upload(true)
	if !strings.Contains(page, "1 drafts saved") {
		t.Fatalf("import: %s", page)
	}
	resp, _ := c.Get(n.URL + "/activities?drafts=1")
	if p := body(t, resp); !strings.Contains(p, "Obuka o sajber kriminalu") {
		t.Fatal("imported draft not listed")
	}
	// Every page of the registry renders.
	for _, path := range []string{"/activities", "/activities/new", "/activities/strategic", "/activities/experts", "/activities/needs", "/activities/import"} {
		resp, _ := c.Get(n.URL + path)
		if b := body(t, resp); resp.StatusCode != http.StatusOK || strings.Contains(b, "act.") || !strings.Contains(b, "</html>") {
			t.Errorf("%s: %d (untranslated key or error)", path, resp.StatusCode)
		}
	}
	_ = url.Values{}
}

// TestActivitiesNeedsRoundsEventsUI: the NCU declares a need through the
// form, the administrator opens a round, a partner votes with a comment,
// and an event with participants appears in the experts' networks, all
// through the server-rendered forms (no JavaScript).
func TestActivitiesNeedsRoundsEventsUI(t *testing.T) {
	n := testutil.Start(t, testutil.Options{NodeID: "rs"})
	n.AddUser(t, "ncu", auth.RoleNCUOperator)
	n.AddUser(t, "partner", auth.RolePartner)
	n.AddUser(t, "boss", auth.RoleAdmin)
	post := func(c *http.Client, path string, v url.Values) (*http.Response, string) {
		t.Helper()
		resp, err := c.PostForm(n.URL+path, v)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body(t, resp)
	}
	ncu := testutil.Client()
	csrf := login(t, ncu, n.URL, "ncu")
	resp, b := post(ncu, "/activities/needs", url.Values{"csrf_token": {csrf}, "country": {"RS"}, "agency": {"Criminal Police Directorate"},
		"theme": {"cybercrime"}, "priority": {"1"}, "title": {"Mobile device forensics outside Belgrade"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("declare need: %d %s", resp.StatusCode, b)
	}
	// Numbers and lists typed wrongly are refused with the field named, never stored as 0 or skipped.
	resp, _ = post(ncu, "/activities/needs", url.Values{"csrf_token": {csrf}, "country": {"RS"}, "theme": {"drugs"}, "priority": {"high"}, "title": {"Drug lab"}})
	if b := followFailedForm(t, ncu, n.URL, resp, "/activities/needs"); !strings.Contains(b, "Priority must be a whole number") || !strings.Contains(b, "Drug lab") {
		t.Fatalf("need with a priority in words:\n%s", b)
	}
	resp, _ = post(ncu, "/activities/needs", url.Values{"csrf_token": {csrf}, "country": {"AL"}, "theme": {"drugs"}, "priority": {"1"}, "title": {"x"}})
	if b := followFailedForm(t, ncu, n.URL, resp, "/activities/needs"); !strings.Contains(b, "declared on node al") {
		t.Fatal("need for another country: no explanation")
	}
	admin := testutil.Client()
	csrf = login(t, admin, n.URL, "boss")
	resp, _ = post(admin, "/activities/rounds", url.Values{"csrf_token": {csrf}, "title": {"Priorities 2027"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("open round: %d", resp.StatusCode)
	}
	roundURL := resp.Header.Get("Location")
	roundID := strings.TrimSuffix(strings.TrimPrefix(roundURL, "/activities/rounds/"), "?ok=round")
	needs, err := n.Acts.Needs(t.Context(), &auth.Principal{Username: "test", Roles: []auth.Role{auth.RoleOfficer}}, "RS", "")
	if err != nil || len(needs) != 1 {
		t.Fatalf("needs: %v %+v", err, needs)
	}
	partner := testutil.Client()
	csrf = login(t, partner, n.URL, "partner")
	resp, _ = post(partner, "/activities/rounds/"+roundID+"/vote", url.Values{"csrf_token": {csrf}, "need_id": {needs[0].ID}, "points": {"5"}, "comment": {"No certified lab outside Belgrade"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("vote: %d", resp.StatusCode)
	}
	resp, _ = partner.Get(n.URL + "/activities/rounds/" + roundID)
	if b := body(t, resp); !strings.Contains(b, "No certified lab outside Belgrade") || !strings.Contains(b, "Mobile device forensics") {
		t.Fatal("round page lacks the vote and comment")
	}
	resp, b = post(partner, "/activities/events", url.Values{"csrf_token": {csrf}, "title": {"Regional workshop on mobile forensics"}, "kind": {"training"},
		"start_date": {"10.04.2027"}, "country": {"RS"}, "city": {"Novi Sad"}, "themes": {"cybercrime"}, "participants": {"RS: Ministry of Interior: 7\nME: Police Directorate: 3"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("event: %d %s", resp.StatusCode, b)
	}
	resp, _ = post(partner, "/activities/events", url.Values{"csrf_token": {csrf}, "title": {"Workshop with a typo"}, "kind": {"training"},
		"start_date": {"11.04.2027"}, "country": {"RS"}, "city": {"Niš"}, "themes": {"cybercrime"}, "participants": {"RS: Ministry of Interior: 7\nME Police Directorate 3"}})
	if b := followFailedForm(t, partner, n.URL, resp, "/activities/experts"); !strings.Contains(strings.ToLower(b), "participants, line 2") || !strings.Contains(b, "Workshop with a typo") {
		t.Fatalf("event with a malformed participants line:\n%.2000s", b)
	}
	resp, _ = partner.Get(n.URL + "/activities/experts?q=" + url.QueryEscape("радионица форензика"))
	if b := body(t, resp); !strings.Contains(b, "Regional workshop on mobile forensics") || !strings.Contains(b, "ME · Police Directorate: 3") {
		t.Fatal("event not found by a Cyrillic search")
	}
	resp, _ = partner.Get(n.URL + "/activities/strategic?year=2027")
	if b := body(t, resp); !strings.Contains(b, "Mobile device forensics outside Belgrade") || !strings.Contains(b, `class="gap"`) {
		t.Fatal("gap map does not show the unmet need")
	}
}
