package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// tokenAt creates a user of a given agency and returns a bearer token.
func tokenAt(t *testing.T, n *testutil.Node, name, agency string, roles ...auth.Role) string {
	t.Helper()
	ctx := context.Background()
	if _, err := n.Auth.CreateUser(ctx, nil, auth.NewUser{Username: name, DisplayName: name, Agency: agency, Roles: roles, Password: testutil.Password}); err != nil {
		t.Fatal(err)
	}
	sess, err := n.Auth.Login(ctx, auth.LoginInput{Username: name, Password: testutil.Password})
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := n.Auth.CreateToken(ctx, sess.Principal, "test", []string{auth.ScopeAll})
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

func apiCall(t *testing.T, method, u, token, payload string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(payload))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestExchangeAPIAndAuthorisation(t *testing.T) {
	n := testutil.Start(t, testutil.Options{})
	police := tokenAt(t, n, "police", "rs-police", auth.RoleOfficer)
	customs := tokenAt(t, n, "customs", "rs-customs", auth.RoleAnalyst)
	border := tokenAt(t, n, "border", "rs-border", auth.RoleOfficer)
	auditor := tokenAt(t, n, "dpo", "rs-police", auth.RoleAuditor)
	ncu := tokenAt(t, n, "ncu", "rs-ncu", auth.RoleNCUOperator)
	base := n.URL + "/api/v1/exchange"

	bad := []struct {
		name, payload string
		status        int
		detail        string
	}{
		{"no recipient", `{"subject":"s","priority":"normal","body":"b","markings":{"classification":"restricted","handling":[],"reliability":"A","accuracy":1,"onward_allowed":true}}`, 400, "at least one recipient"},
		{"bad markings", `{"subject":"s","priority":"normal","body":"b","agencies":["rs-customs"],"markings":{"classification":"restricted","handling":["H2"],"reliability":"A","accuracy":1,"onward_allowed":true}}`, 400, "contradicts"},
		{"bad classification", `{"subject":"s","priority":"normal","body":"b","agencies":["rs-customs"],"markings":{"classification":"top","handling":[],"reliability":"A","accuracy":1,"onward_allowed":true}}`, 422, "classification"},
		{"not a peer", `{"subject":"s","priority":"normal","body":"b","parties":["zz"],"markings":{"classification":"restricted","handling":[],"reliability":"A","accuracy":1,"onward_allowed":true}}`, 400, "not a peer"},
	}
	for _, tc := range bad {
		resp := apiCall(t, "POST", base+"/threads", police, tc.payload)
		p := problem(t, resp)
		if resp.StatusCode != tc.status || !strings.Contains(p.Detail+jsonString(p), tc.detail) {
			t.Errorf("%s: %d %+v", tc.name, resp.StatusCode, p)
		}
	}

	resp := apiCall(t, "POST", base+"/threads", police, `{"subject":"Cigarette smuggling via Bar","crime_area":"smuggling","priority":"normal","database_info":true,
		"agencies":["rs-customs"],"body":"Container MSKU 123 suspected.","markings":{"classification":"confidential","handling":["H0","H1"],"reliability":"B","accuracy":3,"onward_allowed":false},
		"entities":[{"kind":"organisation","label":"Balkan Trade d.o.o.","fields":{"reg_no":"12345"}}],
		"attachments":[{"name":"manifest.txt","data":"`+"Q29udGFpbmVyIE1TS1UgMTIz"+`"}]}`)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, body(t, resp))
	}
	var th struct {
		ID       string `json:"id"`
		Marking  string `json:"marking"`
		Messages []struct {
			ID           string `json:"id"`
			MarkingLabel string `json:"marking_label"`
			Attachments  []struct {
				ID     string `json:"id"`
				SHA256 string `json:"sha256"`
			} `json:"attachments"`
		} `json:"messages"`
	}
	if err := json.Unmarshal([]byte(body(t, resp)), &th); err != nil {
		t.Fatal(err)
	}
	if th.Marking != "CONFIDENTIAL · H0 H1 · no onward transmission" || !strings.HasPrefix(th.Messages[0].MarkingLabel, "CONFIDENTIAL · H0 H1 · B3") {
		t.Fatalf("markings: %q / %q", th.Marking, th.Messages[0].MarkingLabel)
	}
	for _, tc := range []struct {
		name, token string
		status      int
	}{
		{"owner", police, 200}, {"shared agency", customs, 200}, {"other agency", border, 404}, {"auditor", auditor, 403}, {"ncu of another agency", ncu, 404},
	} {
		resp := apiCall(t, "GET", base+"/threads/"+th.ID, tc.token, "")
		if resp.StatusCode != tc.status {
			t.Errorf("%s reads the thread: %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
		resp.Body.Close()
	}
	// The NCU sees routing metadata without content.
	resp = apiCall(t, "GET", base+"/routing", ncu, "")
	if b := body(t, resp); resp.StatusCode != 200 || !strings.Contains(b, th.ID) || strings.Contains(b, "Cigarette") || strings.Contains(b, "MSKU") {
		t.Fatalf("routing: %d %s", resp.StatusCode, b)
	}
	// The auditor sees the audit trail of the reads, not the content.
	var reads int
	_ = n.Store.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = ? AND object = ?`, "exchange.thread.read", "thread/"+th.ID).Scan(&reads)
	if reads != 3 { // the creator (in the create response), the owner and the shared agency
		t.Fatalf("reads audited: %d", reads)
	}
	resp = apiCall(t, "GET", base+"/threads/"+th.ID+"/attachments/"+th.Messages[0].Attachments[0].ID, customs, "")
	if b := body(t, resp); resp.StatusCode != 200 || !strings.Contains(b, "Q29udGFpbmVyIE1TS1UgMTIz") {
		t.Fatalf("attachment: %d %s", resp.StatusCode, b)
	}
	// Search: Cyrillic query finds Latin text.
	resp = apiCall(t, "GET", base+"/threads?q="+url.QueryEscape("Цигарет")+"&purpose=test", customs, "")
	if b := body(t, resp); !strings.Contains(b, th.ID) {
		t.Fatalf("cyrillic search: %s", b)
	}
	resp = apiCall(t, "GET", base+"/threads?q=smuggling", border, "")
	if b := body(t, resp); strings.Contains(b, th.ID) {
		t.Fatalf("search leaks to another agency: %s", b)
	}
	resp = apiCall(t, "GET", base+"/threads?deadline_before=tomorrow", police, "")
	if p := problem(t, resp); resp.StatusCode != 400 || !strings.Contains(p.Detail, "deadline_before") {
		t.Fatalf("bad deadline filter: %d %+v", resp.StatusCode, p)
	}
	// Refusal without reason is a clear 400.
	resp = apiCall(t, "POST", base+"/threads/"+th.ID+"/messages", customs, `{"kind":"refusal","body":"","markings":{"classification":"restricted","handling":[],"reliability":"A","accuracy":1,"onward_allowed":false}}`)
	if p := problem(t, resp); resp.StatusCode != 400 || !strings.Contains(p.Detail, "reason is required") {
		t.Fatalf("refusal without reason: %d %+v", resp.StatusCode, p)
	}
	resp = apiCall(t, "POST", base+"/threads/"+th.ID+"/messages", customs, `{"kind":"answer","body":"Container cleared on 2026-11-20.","markings":{"classification":"restricted","handling":["H0"],"reliability":"A","accuracy":1,"onward_allowed":false}}`)
	if resp.StatusCode != 201 {
		t.Fatalf("answer: %d %s", resp.StatusCode, body(t, resp))
	}
	resp.Body.Close()
	resp = apiCall(t, "GET", base+"/notifications", customs, "")
	if b := body(t, resp); !strings.Contains(b, `"kind":"shared"`) {
		t.Fatalf("notifications: %s", b)
	}
	resp = apiCall(t, "GET", base+"/dashboard", police, "")
	if b := body(t, resp); resp.StatusCode != 200 || b != "[]" && !strings.HasPrefix(b, "[") {
		t.Fatalf("dashboard: %s", b)
	}
	// Read state is per user: a colleague at customs still has the notification unread.
	customs2 := tokenAt(t, n, "customs2", "rs-customs", auth.RoleOfficer)
	resp = apiCall(t, "POST", base+"/notifications/read", customs, "")
	resp.Body.Close()
	resp = apiCall(t, "GET", base+"/notifications?unread=true", customs, "")
	if b := strings.TrimSpace(body(t, resp)); b != "[]" {
		t.Fatalf("unread after reading: %s", b)
	}
	resp = apiCall(t, "GET", base+"/notifications?unread=true", customs2, "")
	if b := body(t, resp); !strings.Contains(b, `"kind":"shared"`) {
		t.Fatalf("colleague's unread notifications: %s", b)
	}
	// Retention action per thread.
	resp = apiCall(t, "POST", base+"/threads/"+th.ID+"/retention", police, `{"action":"anonymise"}`)
	if b := body(t, resp); resp.StatusCode != 200 || !strings.Contains(b, `"retention_action":"anonymise"`) {
		t.Fatalf("retention action: %d %s", resp.StatusCode, b)
	}
	resp = apiCall(t, "POST", base+"/threads/"+th.ID+"/retention", border, `{"action":"delete"}`)
	if resp.StatusCode != 404 {
		t.Fatalf("retention action by another agency: %d", resp.StatusCode)
	}
	resp.Body.Close()
	resp = apiCall(t, "POST", base+"/threads/"+th.ID+"/retention", auditor, `{"action":"delete"}`)
	if resp.StatusCode != 403 {
		t.Fatalf("retention action by the auditor: %d", resp.StatusCode)
	}
	resp.Body.Close()
	// Import of a received entity into a local case of the case database.
	resp = apiCall(t, "POST", n.URL+"/api/v1/cases", customs, `{"reference":"RS-C-77","title":"Cigarettes","crime_area":"excise_fraud"}`)
	if resp.StatusCode != 201 && resp.StatusCode != 200 {
		t.Fatalf("create case: %d %s", resp.StatusCode, body(t, resp))
	}
	resp.Body.Close()
	imp := base + "/threads/" + th.ID + "/messages/" + th.Messages[0].ID + "/entities/0/import"
	resp = apiCall(t, "POST", imp, customs, `{"case_ref":"RS-C-77","role":"associate"}`)
	b := body(t, resp)
	if resp.StatusCode != 201 || !strings.Contains(b, `"case_entity_id"`) || !strings.Contains(b, `"created":true`) {
		t.Fatalf("import: %d %s", resp.StatusCode, b)
	}
	resp = apiCall(t, "POST", imp, customs, `{"case_ref":"RS-C-77","role":"associate"}`)
	if b := body(t, resp); resp.StatusCode != 201 || !strings.Contains(b, `"already_imported":true`) {
		t.Fatalf("second import: %d %s", resp.StatusCode, b)
	}
	resp = apiCall(t, "POST", imp, customs, `{"case_ref":"RS-NONE"}`)
	if p := problem(t, resp); resp.StatusCode != 404 || !strings.Contains(p.Detail, "RS-NONE") {
		t.Fatalf("import into an unknown case: %d %+v", resp.StatusCode, p)
	}
	resp = apiCall(t, "GET", n.URL+"/api/v1/cases/RS-C-77", customs, "")
	if b := body(t, resp); resp.StatusCode != 200 || !strings.Contains(b, "Balkan Trade") {
		t.Fatalf("case after import: %d %s", resp.StatusCode, b)
	}
	// The auditor sees the audit trail of all this, not the content.
	_, _ = n.Audit.Drain(context.Background())
	resp = apiCall(t, "GET", n.URL+"/api/v1/audit/entries?limit=200", auditor, "")
	if b := body(t, resp); resp.StatusCode != 200 || !strings.Contains(b, "exchange.entity.import") || !strings.Contains(b, "exchange.thread.retention") ||
		strings.Contains(b, "Cigarette") || strings.Contains(b, "MSKU") {
		t.Fatalf("audit trail for the auditor: %d %s", resp.StatusCode, b)
	}
	resp = apiCall(t, "GET", base+"/threads?q=smuggling", auditor, "")
	if resp.StatusCode != 403 {
		t.Fatalf("auditor searches content: %d", resp.StatusCode)
	}
	resp.Body.Close()
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestExchangeUIPages(t *testing.T) {
	n := testutil.Start(t, testutil.Options{})
	tokenAt(t, n, "police", "rs-police", auth.RoleOfficer)
	c := testutil.Client()
	csrf := login(t, c, n.URL, "police")
	resp, _ := c.Get(n.URL + "/exchange/new")
	if b := body(t, resp); resp.StatusCode != 200 || !strings.Contains(b, `name="classification"`) || !strings.Contains(b, `value="H2"`) {
		t.Fatalf("compose page: %d", resp.StatusCode)
	}
	form := url.Values{"csrf_token": {csrf}, "subject": {"Stolen Škoda"}, "priority": {"urgent"}, "agencies": {"rs-border"}, "body": {"Plate NS-001-AA"},
		"classification": {"restricted"}, "handling": {"H0", "H3"}, "handling_note": {"not before 1 December"}, "reliability": {"B"}, "accuracy": {"2"},
		"entities": {"vehicle | NS-001-AA | plate=NS-001-AA; make=Škoda"}}
	resp, _ = c.PostForm(n.URL+"/exchange", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("compose: %d %s", resp.StatusCode, body(t, resp))
	}
	loc := resp.Header.Get("Location")
	resp.Body.Close()
	resp, _ = c.Get(n.URL + loc)
	b := body(t, resp)
	if resp.StatusCode != 200 || !strings.Contains(b, "RESTRICTED · H0 H3 · B2 · no onward transmission · not before 1 December") || !strings.Contains(b, "NS-001-AA") {
		t.Fatalf("thread page: %d\n%s", resp.StatusCode, b)
	}
	// Bad entity line: the browser is sent back to the form, which comes
	// back with a clear message and the input kept.
	form.Set("entities", "spaceship | X")
	resp, _ = c.PostForm(n.URL+"/exchange", form)
	if b := followFailedForm(t, c, n.URL, resp, "/exchange/new"); !strings.Contains(b, "not one of person") || !strings.Contains(b, "Stolen Škoda") {
		t.Fatalf("bad entity: %s", b)
	}
	resp, _ = c.Get(n.URL + "/exchange?q=skoda")
	if b := body(t, resp); resp.StatusCode != 200 || !strings.Contains(b, "Stolen Škoda") || !strings.Contains(b, "RESTRICTED · H0 H3") {
		t.Fatalf("inbox: %d", resp.StatusCode)
	}
	resp, _ = c.Get(n.URL + "/exchange/threads/nope")
	if resp.StatusCode != 404 {
		t.Fatalf("unknown thread: %d", resp.StatusCode)
	}
	resp.Body.Close()
}
