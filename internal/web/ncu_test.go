package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/exchange"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// sendToMontenegro starts a Serbian and a Montenegrin node (Montenegro with
// the demo directory, so its agencies are known), sends an exchange request
// from Serbia, approves it at the Serbian NCU and waits until it waits for
// routing at the Montenegrin NCU. It returns both nodes, the queue item and
// the thread ID.
func sendToMontenegro(t *testing.T, meStore store.Options) (rs, me *testutil.Node, item federation.QueueItem, thread string) {
	t.Helper()
	insecure := func(c *config.Config) { c.InsecureFederation = true }
	rs = testutil.Start(t, testutil.Options{NodeID: "rs", Config: insecure})
	me = testutil.Start(t, testutil.Options{NodeID: "me", Config: insecure, Store: meStore})
	testutil.Peer(t, rs, me)
	ctx := context.Background()
	if err := me.Dir.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	officer := &auth.Principal{Username: "officer", Agency: "rs-mup", Roles: []auth.Role{auth.RoleOfficer}}
	th, err := rs.Exchange.Compose(ctx, officer, exchange.NewThread{Subject: "Stolen Audi A6 seen in Bar", Priority: exchange.PriorityNormal, Parties: []string{"me"},
		Body: "Please check the port records for PG-AB-123.", Markings: exchange.MessageMarkings{Classification: "restricted", Handling: []string{"H0"}, Reliability: "B", Accuracy: 2, OnwardAllowed: true},
		Entities: []exchange.MessageEntity{{Kind: "vehicle", Label: "Audi A6", Fields: map[string]string{"plate": "PG-AB-123"}}}})
	if err != nil {
		t.Fatal(err)
	}
	ncu := &auth.Principal{Username: "ncu", Roles: []auth.Role{auth.RoleNCUOperator}}
	q, err := rs.Fed.Queue(ctx, ncu)
	if err != nil || len(q) != 1 {
		t.Fatalf("Serbian queue: %v %v", q, err)
	}
	if err := rs.Fed.Approve(ctx, ncu, q[0].ID); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		q, err := me.Fed.Queue(ctx, ncu)
		if err != nil {
			t.Fatal(err)
		}
		if len(q) == 1 {
			return rs, me, q[0], th.ID
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the request never reached the Montenegrin NCU")
	return
}

// TestNCURoutingValidation: routing offers the node's agencies from the
// directory, refuses an unknown code (UI and API) without losing the
// choice, and a routed message can be routed again, its thread moving to
// the new agency. The Montenegrin node runs on every test database.
func TestNCURoutingValidation(t *testing.T) {
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) { testNCURoutingValidation(t, be.Options(t)) })
	}
}

func testNCURoutingValidation(t *testing.T, st store.Options) {
	_, me, item, thread := sendToMontenegro(t, st)
	ncuTok := tokenAt(t, me, "ncu", "me-ncu", auth.RoleNCUOperator)
	customs := tokenAt(t, me, "customs", "me-uc", auth.RoleOfficer)
	police := tokenAt(t, me, "police", "me-up", auth.RoleOfficer)
	c := testutil.Client()
	csrf := login(t, c, me.URL, "ncu")

	// The queue shows the type as words and opens a preview.
	resp, _ := c.Get(me.URL + "/federation/queue")
	b := body(t, resp)
	if !strings.Contains(b, "Exchange message") || strings.Contains(b, ">exchange.message<") || !strings.Contains(b, `href="/federation/queue/`+item.ID+`"`) {
		t.Fatalf("queue page:\n%s", b)
	}
	resp, _ = c.Get(me.URL + "/federation/queue/" + item.ID)
	b = body(t, resp)
	for _, want := range []string{"Stolen Audi A6 seen in Bar", "Please check the port records", "vehicle: Audi A6 — plate=PG-AB-123", "RESTRICTED · H0", `<option value="me-up"`, "Police Directorate", `<option value="me-uc"`} {
		if !strings.Contains(b, want) {
			t.Errorf("preview lacks %q", want)
		}
	}

	// An unknown code is refused; the page comes back with the field marked.
	route := func(path, agency string) *http.Response {
		t.Helper()
		resp, err := c.PostForm(me.URL+path, url.Values{"csrf_token": {csrf}, "agency": {agency}})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp = route("/federation/queue/"+item.ID+"/route", "me-polic")
	b = followFailedForm(t, c, me.URL, resp, "/federation/queue/"+item.ID)
	if !strings.Contains(b, `aria-invalid="true"`) || !strings.Contains(b, "Choose one of this country") || !strings.Contains(b, `<option value="me-polic" selected>`) {
		t.Fatalf("refused code not explained:\n%s", b)
	}
	// The API refuses it too.
	resp = apiCall(t, "POST", me.URL+"/api/v1/federation/queue/"+item.ID+"/route", ncuTok, `{"agency":"me-polic"}`)
	if p := problem(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(p.Detail, "not a national agency of this node") {
		t.Fatalf("API route to an unknown agency: %d %+v", resp.StatusCode, p)
	}
	// The API lists the targets with the preview.
	resp = apiCall(t, "GET", me.URL+"/api/v1/federation/queue/"+item.ID, ncuTok, "")
	var detail struct {
		Preview struct{ Title string }
		Targets []struct{ Code string }
	}
	if err := json.Unmarshal([]byte(body(t, resp)), &detail); err != nil || detail.Preview.Title != "Stolen Audi A6 seen in Bar" || len(detail.Targets) < 4 {
		t.Fatalf("API queue item: %+v %v", detail, err)
	}

	// Routed to the wrong agency (customs), then routed again to the police.
	resp = route("/federation/queue/"+item.ID+"/route", "me-uc")
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/federation/queue?ok=route" {
		t.Fatalf("route: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	threadStatus := func(tok string) int {
		resp := apiCall(t, "GET", me.URL+"/api/v1/exchange/threads/"+thread, tok, "")
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := 0; i < 200 && threadStatus(customs) != http.StatusOK; i++ {
		time.Sleep(50 * time.Millisecond)
	}
	if threadStatus(customs) != http.StatusOK || threadStatus(police) != http.StatusNotFound {
		t.Fatal("the thread did not reach customs first")
	}
	resp, _ = c.Get(me.URL + "/federation/queue")
	if b := body(t, resp); !strings.Contains(b, `id="ncu-routed"`) || !strings.Contains(b, "<code>me-uc</code>") {
		t.Fatalf("routed list lacks the message:\n%s", b)
	}
	resp = route("/federation/queue/"+item.ID+"/reroute", "nobody")
	followFailedForm(t, c, me.URL, resp, "/federation/queue/"+item.ID)
	resp = route("/federation/queue/"+item.ID+"/reroute", "me-up")
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/federation/queue?ok=reroute" {
		t.Fatalf("reroute: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if threadStatus(police) != http.StatusOK || threadStatus(customs) != http.StatusNotFound {
		t.Fatal("the thread did not move to the police")
	}
	// And back by the API.
	resp = apiCall(t, "POST", me.URL+"/api/v1/federation/queue/"+item.ID+"/reroute", ncuTok, `{"agency":"me-uc"}`)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || threadStatus(customs) != http.StatusOK {
		t.Fatalf("API reroute: %d", resp.StatusCode)
	}
}

// TestFormsPostRedirectGet: a thread reply refused without a reason and a
// forward without permission send the browser back to the thread, filled in,
// with the field marked; a good reply redirects to the thread.
func TestFormsPostRedirectGet(t *testing.T) {
	n := testutil.Start(t, testutil.Options{})
	police := tokenAt(t, n, "police", "rs-police", auth.RoleOfficer)
	tokenAt(t, n, "customs", "rs-customs", auth.RoleOfficer)
	resp := apiCall(t, "POST", n.URL+"/api/v1/exchange/threads", police, `{"subject":"Fuel tanker fraud","priority":"normal","agencies":["rs-customs"],"body":"Please check tanker BG-777.",
		"markings":{"classification":"restricted","handling":[],"reliability":"B","accuracy":2,"onward_allowed":true}}`)
	var th struct{ ID string }
	if err := json.Unmarshal([]byte(body(t, resp)), &th); err != nil || th.ID == "" {
		t.Fatalf("create: %v", err)
	}
	c := testutil.Client()
	csrf := login(t, c, n.URL, "customs")
	page := "/exchange/threads/" + url.PathEscape(th.ID)
	resp, _ = c.PostForm(n.URL+page+"/reply", url.Values{"csrf_token": {csrf}, "kind": {"refusal"}, "body": {"We cannot check tankers this week."},
		"classification": {"restricted"}, "reliability": {"B"}, "accuracy": {"2"}, "handling": {"H1"}})
	b := followFailedForm(t, c, n.URL, resp, page)
	for _, want := range []string{`id="r-reason"`, `aria-invalid="true" aria-describedby="r-reason-err"`, "Give a reason", "We cannot check tankers this week.", `<option value="refusal" selected>`, `value="H1" id="m-H1" checked`} {
		if !strings.Contains(b, want) {
			t.Errorf("reply form after the error lacks %q", want)
		}
	}
	if strings.Contains(b, "a reason is required") {
		t.Error("the bare service message is shown")
	}
	resp, _ = c.PostForm(n.URL+page+"/reply", url.Values{"csrf_token": {csrf}, "kind": {"refusal"}, "body": {"We cannot check tankers this week."}, "reason": {"No capacity."},
		"classification": {"restricted"}, "reliability": {"B"}, "accuracy": {"2"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != page+"?ok=sent" {
		t.Fatalf("reply: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Messages come back capitalised as sentences, in the page's language.
	resp, _ = c.PostForm(n.URL+"/exchange", url.Values{"csrf_token": {csrf}, "subject": {"x"}, "body": {"y"}})
	b = followFailedForm(t, c, n.URL, resp, "/exchange/new")
	if !strings.Contains(b, "Choose at least one recipient") || !strings.Contains(b, `aria-describedby="c-to-err"`) {
		t.Fatalf("compose without recipient:\n%s", b)
	}

	// An administrator's failed user form: values back, the password not.
	n.AddUser(t, "boss", auth.RoleAdmin)
	a := testutil.Client()
	acsrf := login(t, a, n.URL, "boss")
	resp, _ = a.PostForm(n.URL+"/admin/users", url.Values{"csrf_token": {acsrf}, "username": {"mira"}, "display_name": {"Mira Jović"}, "agency": {"rs-police"},
		"roles": {"analyst"}, "password": {"short"}})
	b = followFailedForm(t, a, n.URL, resp, "/admin/users")
	if !strings.Contains(b, `value="Mira Jović"`) || !strings.Contains(b, `value="analyst" checked`) || strings.Contains(b, `value="short"`) {
		t.Fatalf("user form after the error:\n%s", b)
	}
}
