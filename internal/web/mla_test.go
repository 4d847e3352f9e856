package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// etS30 finds the seeded CoE MLA convention's ID.
func ets30(t *testing.T, n *testutil.Node) string {
	t.Helper()
	as, err := n.Dir.Agreements(context.Background(), nil, "RS", "mla")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if strings.Contains(a.ShortName, "ETS 30") {
			return a.ID
		}
	}
	t.Fatal("ETS 30 not seeded")
	return ""
}

func TestMLAPagesAndRoles(t *testing.T) {
	insecure := func(c *config.Config) { c.InsecureFederation = true }
	rs := testutil.Start(t, testutil.Options{NodeID: "rs", Config: insecure})
	me := testutil.Start(t, testutil.Options{NodeID: "me", Config: insecure})
	testutil.Peer(t, rs, me)
	tokenAt(t, rs, "police", "rs-pros", auth.RoleOfficer)
	tokenAt(t, rs, "prosecutor", "rs-pros", auth.RoleProsecutor)
	pol, pros := testutil.Client(), testutil.Client()
	polCSRF, prosCSRF := login(t, pol, rs.URL, "police"), login(t, pros, rs.URL, "prosecutor")

	resp, _ := pol.Get(rs.URL + "/mla/new")
	if b := body(t, resp); resp.StatusCode != 200 || !strings.Contains(b, "ETS 30") || !strings.Contains(b, `value="me"`) {
		t.Fatalf("new request form: %d", resp.StatusCode)
	}
	form := url.Values{"csrf_token": {polCSRF}, "target_node": {"me"}, "kind": {"banking"}, "title": {"Accounts of Marko Marković"},
		"facts": {"Cocaine trafficking through Bar."}, "measures": {"Account statements 2025."}, "legal_basis_id": {ets30(t, rs)},
		"channel": {"formal"}, "translations": {"sr*, bogus1"}}
	resp, _ = pol.PostForm(rs.URL+"/mla", form)
	if b := followFailedForm(t, pol, rs.URL, resp, "/mla/new"); !strings.Contains(b, "bogus1") || !strings.Contains(b, "Accounts of Marko Marković") {
		t.Fatalf("bad translation language: %s", b)
	}
	form.Set("translations", "sr*")
	resp, _ = pol.PostForm(rs.URL+"/mla", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", resp.StatusCode, body(t, resp))
	}
	loc := resp.Header.Get("Location")
	resp.Body.Close()
	id := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/mla/requests/")
	resp, _ = pol.Get(rs.URL + loc)
	if b := body(t, resp); resp.StatusCode != 200 || !strings.Contains(b, "Only a prosecutor signs") || strings.Contains(b, `id="mla-send"`) {
		t.Fatalf("detail for police: %d", resp.StatusCode)
	}
	// Police cannot send, even by posting directly.
	resp, _ = pol.PostForm(rs.URL+"/mla/requests/"+id+"/send", url.Values{"csrf_token": {polCSRF}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("police send: %d", resp.StatusCode)
	}
	resp.Body.Close()
	// Signing needs the prosecutor's explicit confirmation.
	resp, _ = pros.PostForm(rs.URL+"/mla/requests/"+id+"/send", url.Values{"csrf_token": {prosCSRF}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("unconfirmed send: %d", resp.StatusCode)
	}
	resp.Body.Close()
	resp, _ = pros.Get(rs.URL + resp.Header.Get("Location"))
	if b := body(t, resp); !strings.Contains(b, `data-status="draft"`) || !strings.Contains(b, "Confirm that you have checked the request") {
		t.Fatalf("detail after an unconfirmed send: %s", b)
	}
	resp, _ = pros.PostForm(rs.URL+"/mla/requests/"+id+"/send", url.Values{"csrf_token": {prosCSRF}, "confirm": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("prosecutor send: %d %s", resp.StatusCode, body(t, resp))
	}
	resp.Body.Close()
	resp, _ = pros.Get(rs.URL + "/mla/requests/" + id)
	if b := body(t, resp); !strings.Contains(b, `data-status="sent"`) || !strings.Contains(b, "SHA-256") || !strings.Contains(b, "mla-timeline") {
		t.Fatalf("detail after sending: %s", b)
	}
	resp, _ = pros.Get(rs.URL + "/mla/requests/" + id + "/print")
	if b := body(t, resp); resp.StatusCode != 200 || !strings.Contains(b, `class="print"`) || !strings.Contains(b, "/assets/mla.css") || !strings.Contains(b, "Signed by") {
		t.Fatalf("print: %d", resp.StatusCode)
	}
	resp, _ = pros.Get(rs.URL + "/mla?direction=outgoing")
	if b := body(t, resp); !strings.Contains(b, "Accounts of Marko Marković") || !strings.Contains(b, `href="/mla"`) {
		t.Fatalf("list or nav entry missing")
	}
	resp, _ = http.Get(rs.URL + "/assets/mla.css")
	if b := body(t, resp); resp.StatusCode != 200 || !strings.Contains(b, "@media print") {
		t.Fatalf("print stylesheet: %d", resp.StatusCode)
	}
	resp, _ = http.Get(rs.URL + "/api/openapi.json")
	if b := body(t, resp); !strings.Contains(b, "/api/v1/mla/requests/{id}/send") || !strings.Contains(b, "/api/v1/asset-recovery/dashboard") {
		t.Fatalf("OpenAPI lacks the MLA or asset recovery operations")
	}
}

func TestAssetRecoveryPages(t *testing.T) {
	n := testutil.Start(t, testutil.Options{})
	tokenAt(t, n, "aro", "rs-aro", auth.RoleOfficer)
	c := testutil.Client()
	csrf := login(t, c, n.URL, "aro")
	form := url.Values{"csrf_token": {csrf}, "kind": {"vehicle"}, "description": {"Audi Q7"}, "identifier": {"WAUZZZ4L78D012345"}, "country": {"rs"},
		"value": {"40.000,00"}, "currency": {"EUR"}, "step": {"traced"}, "date": {"2026-01-10"}, "authority": {"ARO Serbia"}}
	resp, _ := c.PostForm(n.URL+"/asset-recovery/assets", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create asset: %d %s", resp.StatusCode, body(t, resp))
	}
	loc := strings.SplitN(resp.Header.Get("Location"), "?", 2)[0]
	resp.Body.Close()
	step := url.Values{"csrf_token": {csrf}, "step": {"confiscated"}, "date": {"2026-02-01"}, "authority": {"Higher Court Belgrade"}}
	resp, _ = c.PostForm(n.URL+loc+"/steps", step)
	if b := followFailedForm(t, c, n.URL, resp, loc); !strings.Contains(strings.ToLower(b), "no freeze or seizure is recorded") || !strings.Contains(b, "Higher Court Belgrade") {
		t.Fatalf("skip without reason: %d", resp.StatusCode)
	}
	step.Set("step", "seized")
	resp, _ = c.PostForm(n.URL+loc+"/steps", step)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("seize: %d %s", resp.StatusCode, body(t, resp))
	}
	resp.Body.Close()
	resp, _ = c.Get(n.URL + loc)
	if b := body(t, resp); !strings.Contains(b, `data-step="seized"`) || !strings.Contains(b, "Higher Court Belgrade") {
		t.Fatalf("asset page: %s", b)
	}
	resp, _ = c.Get(n.URL + "/asset-recovery")
	if b := body(t, resp); resp.StatusCode != 200 || !strings.Contains(b, `data-chart="{`) || !strings.Contains(b, "40,000.00 EUR") || !strings.Contains(b, "/assets/chart.umd.js") {
		t.Fatalf("dashboard: %d %s", resp.StatusCode, b)
	}
}
