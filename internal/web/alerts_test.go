package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/alerts"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/testutil"
)

func TestAlertsAPIAndBatchDownload(t *testing.T) {
	n := testutil.Start(t, testutil.Options{})
	ctx := context.Background()
	author := principal(t, n, "author", auth.RoleOfficer)
	second := principal(t, n, "second", auth.RoleOfficer)
	a, err := n.Alerts.Create(ctx, author, alerts.AlertDraft{Kind: alerts.KindObject, Sub: "seizure",
		Object: &alerts.WantedObject{Type: "vehicle", Plate: "NS 123-AB", Make: "Škoda", Model: "Octavia"},
		Action: "Seize the vehicle.", Reason: "Stolen in Novi Sad.", Authority: "PU Novi Sad"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Alerts.Validate(ctx, second, a.ID); err != nil {
		t.Fatal(err)
	}
	token := n.AddUser(t, "border", auth.RoleOfficer)
	partner := n.AddUser(t, "donor", auth.RolePartner)
	call := func(tok, method, path, ctype string, body io.Reader) (*http.Response, []byte) {
		req, _ := http.NewRequest(method, n.URL+path, body)
		req.Header.Set("Authorization", "Bearer "+tok)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, body := call(token, "POST", "/api/v1/alerts/check", "application/json", strings.NewReader(`{"query":"ns123ab","purpose":"traffic stop"}`))
	var res alerts.CheckResult
	if resp.StatusCode != 200 || json.Unmarshal(body, &res) != nil || !res.Hit || res.Matches[0].AlertID != a.ID || res.Matches[0].Action != "Seize the vehicle." {
		t.Fatalf("API check: %d %s", resp.StatusCode, body)
	}
	if resp, _ := call(partner, "POST", "/api/v1/alerts/check", "application/json", strings.NewReader(`{"query":"ns123ab"}`)); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("partner checks: %d", resp.StatusCode)
	}
	resp, body = call(token, "POST", "/api/v1/alerts/check/batch", "application/json", strings.NewReader(`{"rows":[{"ref":"1","query":"Jovan Jovanović"},{"ref":"2","query":"NS 123 AB"}]}`))
	var batch []alerts.BatchResult
	if resp.StatusCode != 200 || json.Unmarshal(body, &batch) != nil || len(batch) != 2 || batch[0].Hit || !batch[1].Hit {
		t.Fatalf("API batch: %d %s", resp.StatusCode, body)
	}
	// A row whose sex cannot be read is refused by its place in the list
	// and its field, as a file's row is by line and column.
	resp, body = call(token, "POST", "/api/v1/alerts/check/batch", "application/json",
		strings.NewReader(`{"rows":[{"ref":"1","query":"Jovan Jovanović","sex":"M"},{"ref":"2","query":"Ana Marić","sex":"X"}]}`))
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "row 2, field sex: the sex cannot be read; use M or F") {
		t.Fatalf("API batch with an unreadable sex: %d %s", resp.StatusCode, body)
	}
	// The same list uploaded on the check screen comes back as CSV; a
	// passenger without a date of birth is asked for it.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "bus.csv")
	fw.Write([]byte("ref,given_name,family_name,date_of_birth,plate\n1,Jovan,Jovanović,1990-01-01,\n2,,,,NS 123 AB\n3,,,,\n4,Ana,Marić,,\n"))
	mw.WriteField("purpose", "bus at Batrovci")
	mw.Close()
	resp, body = call(token, "POST", "/alerts/check/batch", mw.FormDataContentType(), &buf)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(string(body), "3,2,NS 123 AB,HIT,"+a.ID) || !strings.Contains(string(body), "2,1,Jovan Jovanović 1990-01-01,NO HIT") || !strings.Contains(string(body), "4,,,REFUSED") ||
		!strings.Contains(string(body), "5,4,Ana Marić,CHECK DATE OF BIRTH,,") {
		t.Fatalf("batch download: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	resp, body = call(token, "GET", "/api/openapi.json", "", nil)
	for _, p := range []string{"/api/v1/alerts/check", "/api/v1/alerts/{id}/hits", "/api/v1/alerts/hits/{id}/answer", "/api/v1/alerts/{id}/flag", "/api/v1/alerts/{id}/photo", "remove_photo", "links", "focal_point_id"} {
		if !strings.Contains(string(body), `"`+p+`"`) {
			t.Errorf("OpenAPI lacks %s", p)
		}
	}
}

func TestFirearmsPages(t *testing.T) {
	insecure := func(c *config.Config) { c.InsecureFederation = true }
	n := testutil.Start(t, testutil.Options{Config: insecure})
	token := n.AddUser(t, "armourer", auth.RoleOfficer)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path, form string) (*http.Response, string) {
		req, _ := http.NewRequest(method, n.URL+path, strings.NewReader(form))
		req.Header.Set("Authorization", "Bearer "+token)
		if form != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, _ := do("POST", "/alerts/firearms", "serial=ZAS-M70-998877&type=assault_rifle&status=seized&manufacturer=Zastava&country_made=RS&place=Horgo%C5%A1&route=Turkey+%E2%80%93+Serbia+%E2%80%93+Hungary")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/alerts/firearms?ok=recorded" {
		t.Fatalf("record: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := do("GET", "/alerts/firearms?ok=recorded", "")
	if resp.StatusCode != 200 || !strings.Contains(body, "ZAS-M70-998877") || !strings.Contains(body, "no alert on its serial number") || !strings.Contains(body, "Turkey – Serbia – Hungary") {
		t.Fatalf("firearms page: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := do("POST", "/alerts/firearms", "serial=&type=pistol&status=seized"); resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "form=") {
		t.Fatalf("record without serial: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// With a peer and the directory's firearms focal points (SEESAC), the
	// tracing form names the requested country's focal point.
	me := testutil.Start(t, testutil.Options{NodeID: "me", Config: insecure})
	testutil.Peer(t, n, me)
	if err := n.Dir.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	if resp, body = do("GET", "/alerts/firearms", ""); resp.StatusCode != 200 || !strings.Contains(body, "Firearms focal point, ") || !strings.Contains(body, "Luka Popović") {
		t.Fatalf("focal point in the tracing form: %d\n%s", resp.StatusCode, body)
	}
}

// The compose form drafts a person alert with warnings, aliases, a misused
// identity and a recipient; a second officer validates it on its page.
func TestAlertComposeAndValidateForms(t *testing.T) {
	rs := testutil.Start(t, testutil.Options{NodeID: "rs", Config: func(c *config.Config) { c.InsecureFederation = true }})
	me := testutil.Start(t, testutil.Options{NodeID: "me", Config: func(c *config.Config) { c.InsecureFederation = true }})
	testutil.Peer(t, rs, me)
	author := rs.AddUser(t, "author", auth.RoleOfficer)
	second := rs.AddUser(t, "second", auth.RoleOfficer)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(tok, path string, form url.Values) *http.Response {
		req, _ := http.NewRequest("POST", rs.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	get := func(tok, path string) string {
		req, _ := http.NewRequest("GET", rs.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if page := get(author, "/alerts/new"); !strings.Contains(page, `name="recipient" value="me"`) {
		t.Fatalf("compose form without the partner:\n%s", page)
	}
	form := url.Values{"kind": {"judicial"}, "sub": {"witness"}, "subject": {"person"}, "given_name": {"Jelena"}, "family_name": {"Marić"},
		"names": {"Јелена Марић\nJelena Popović"}, "date_of_birth": {"02.04.1990"}, "sex": {"f"}, "warnings": {"health_risk"},
		"action": {"Serve the summons to appear before the Higher Court in Belgrade."}, "reason": {"Witness in case K-12/26."}, "authority": {"Higher Court in Belgrade"},
		"misused_name": {"Jelena Marić"}, "misused_dob": {"1990-04-02"}, "misused_note": {"The genuine holder lives in Vienna."}, "misused_consent": {"1"},
		"recipient": {"me"}, "basis_me": {""}}
	resp := post(author, "/alerts", form)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/alerts/") || !strings.HasSuffix(loc, "?ok=created") {
		t.Fatalf("compose: %d %s", resp.StatusCode, loc)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(loc, "/alerts/"), "?ok=created")
	if page := get(author, loc); !strings.Contains(page, "Draft saved") || !strings.Contains(page, "Jelena Popović") || !strings.Contains(page, "The genuine holder lives in Vienna.") {
		t.Fatalf("draft page:\n%s", page)
	}
	if resp := post(author, "/alerts/"+id+"/validate", url.Values{}); resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "form=") {
		t.Fatalf("author validates: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp := post(second, "/alerts/"+id+"/validate", url.Values{}); resp.Header.Get("Location") != "/alerts/"+id+"?ok=validated" {
		t.Fatalf("second officer validates: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if page := get(second, "/alerts/"+id); !strings.Contains(page, `id="alert-status">active`) || !strings.Contains(page, "health risk") {
		t.Fatalf("validated page:\n%s", page)
	}
	// A form without the action is refused with the field marked.
	form.Del("action")
	if resp := post(author, "/alerts", form); !strings.Contains(resp.Header.Get("Location"), "/alerts/new?form=") {
		t.Fatalf("compose without action: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}
