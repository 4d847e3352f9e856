package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/operations"
	"github.com/liaison-wb/liaison/internal/testutil"
)

func opsNodes(t testing.TB, ids ...string) []*testutil.Node {
	t.Helper()
	var ns []*testutil.Node
	for _, id := range ids {
		ns = append(ns, testutil.Start(t, testutil.Options{NodeID: id, Config: func(c *config.Config) { c.InsecureFederation = true }}))
	}
	testutil.PeerAll(t, ns...)
	return ns
}

func pageText(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestOperationsPages: the form says which countries an operation may
// enter and why not the others before anything is sent; a hot pursuit
// notified through the form (Post/Redirect/Get) is on the board and its
// page; a refused country and a bad position come back on the form,
// translated.
func TestOperationsPages(t *testing.T) {
	ns := opsNodes(t, "rs", "ba", "xk")
	rs := ns[0]
	rs.AddUser(t, "milan", auth.RoleOfficer)
	c := testutil.Client()
	csrf := login(t, c, rs.URL, "milan")

	code, page := pageText(t, c, rs.URL+"/operations/new?kind=hot_pursuit")
	if code != 200 || !strings.Contains(page, `value="ba"`) || !strings.Contains(page, `id="nobasis-xk"`) || !strings.Contains(page, "PCC SEE") {
		t.Fatalf("form %d: basis for ba, refusal for xk expected", code)
	}
	if strings.Contains(page, `name="country" value="xk"`) {
		t.Fatal("a country without legal basis can be ticked")
	}
	form := url.Values{"csrf_token": {csrf}, "kind": {"hot_pursuit"}, "title": {"Black Audi towards Zvornik"}, "country": {"ba"}, "unit": {"Traffic police Loznica"},
		"offence": {"armed robbery"}, "target_vehicle": {"Audi A6 BG-987-XY"}, "position": {"44°23'N 19°06'E"}, "where": {"Mali Zvornik bridge"}}
	resp, err := c.PostForm(rs.URL+"/operations", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/operations/") || !strings.Contains(loc, "ok=opened") {
		t.Fatalf("create: %d %s", resp.StatusCode, loc)
	}
	code, page = pageText(t, c, rs.URL+loc)
	if code != 200 || !strings.Contains(page, "Black Audi towards Zvornik") || !strings.Contains(page, `id="ops-track"`) && !strings.Contains(page, `class="ops-pos`) {
		t.Fatalf("operation page %d", code)
	}
	if !strings.Contains(page, "The operation is open") || !strings.Contains(page, `id="ops-chain" class="small ok"`) {
		t.Fatal("no confirmation or chain status on the page")
	}
	code, page = pageText(t, c, rs.URL+"/operations")
	if code != 200 || !strings.Contains(page, "Black Audi towards Zvornik") || !strings.Contains(page, `<svg class="ops-map"`) || !strings.Contains(page, `data-live="/operations/events"`) {
		t.Fatalf("board %d", code)
	}

	// Kosovo: refused with the reason, in the user's language, nothing sent.
	form.Set("country", "xk")
	form.Set("title", "Pursuit towards Jarinje")
	c.Jar.SetCookies(mustURL(rs.URL), []*http.Cookie{{Name: "liaison_lang", Value: "sr-Latn"}})
	resp, err = c.PostForm(rs.URL+"/operations", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc = resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "/operations/new?kind=hot_pursuit&form=") {
		t.Fatalf("refusal: %d %s", resp.StatusCode, loc)
	}
	_, page = pageText(t, c, rs.URL+loc)
	if !strings.Contains(page, "ijedan sporazum na snazi u imeniku između RS i XK") || !strings.Contains(page, `value="Pursuit towards Jarinje"`) {
		i := strings.Index(page, "<main")
		t.Fatalf("refusal not shown in place, translated, with the form filled in: %s", page[i:min(len(page), i+3000)])
	}
	form.Set("country", "ba")
	form.Set("position", "north of the bridge")
	resp, _ = c.PostForm(rs.URL+"/operations", form)
	resp.Body.Close()
	_, page = pageText(t, c, rs.URL+resp.Header.Get("Location"))
	if !strings.Contains(page, "oložaj nije razumljiv") {
		t.Fatal("a bad position is not explained")
	}
	_, page = pageText(t, c, rs.URL+"/operations")
	if strings.Contains(page, "Pursuit towards Jarinje") {
		t.Fatal("a refused operation is on the board")
	}

	// An exercise is watermarked on the board and on its page.
	if strings.Contains(page, `id="ops-exercise"`) {
		t.Fatal("exercise banner without an exercise")
	}
	ex := url.Values{"csrf_token": {csrf}, "kind": {"incident"}, "title": {"Exercise: bus crash at Batrovci"}, "incident_type": {"mass_casualty"}, "severity": {"3"},
		"location": {"Batrovci"}, "lead_org": {"Sector for emergency management"}, "commander": {"Col. Marić"}, "exercise": {"1"}}
	resp, err = c.PostForm(rs.URL+"/operations", ex)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, page = pageText(t, c, rs.URL+resp.Header.Get("Location"))
	if !strings.Contains(page, `class="ops-watermark"`) || !strings.Contains(page, `id="ops-exercise"`) {
		t.Fatal("no exercise watermark on the incident's page")
	}
	_, page = pageText(t, c, rs.URL+"/operations")
	if !strings.Contains(page, `id="ops-exercise"`) || !strings.Contains(page, "ops-row-exercise") {
		t.Fatal("no exercise banner on the board")
	}
}

// TestOperationsEventStream: the board's event stream announces a change
// received from a partner node.
func TestOperationsEventStream(t *testing.T) {
	ns := opsNodes(t, "rs", "ba")
	rs, ba := ns[0], ns[1]
	ba.AddUser(t, "ba-ncu", auth.RoleNCUOperator)
	c := testutil.Client()
	login(t, c, ba.URL, "ba-ncu")
	req, _ := http.NewRequest("GET", ba.URL+"/operations/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := c.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	lines := bufio.NewScanner(resp.Body)
	next := func() string {
		if !lines.Scan() {
			t.Fatalf("stream ended: %v", lines.Err())
		}
		return lines.Text()
	}
	for next() != "event: hello" {
	}
	rsPol := &auth.Principal{Username: "ana", Agency: "rs-traffic", Roles: []auth.Role{auth.RoleOfficer}}
	o, err := rs.Ops.Open(context.Background(), rsPol, opsPursuit("ba"))
	if err != nil {
		t.Fatal(err)
	}
	for next() != "event: change" {
	}
	if d := next(); d != "data: "+o.ID {
		t.Fatalf("change %q, want %s", d, o.ID)
	}
	// Without Accept: text/event-stream the address answers at once.
	resp2, err := c.Get(ba.URL + "/operations/events")
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusBadRequest {
		t.Fatalf("plain GET: %d", resp2.StatusCode)
	}
}

func opsPursuit(host string) operations.OpenInput {
	return operations.OpenInput{Kind: operations.KindPursuit, Title: "Stolen Audi A6 fleeing towards Zvornik", Countries: []string{host},
		Details:  operations.OpDetails{Unit: "Traffic police Loznica", Offence: "armed robbery", TargetVehicle: "Audi A6, black, BG-987-XY", Direction: "towards Zvornik"},
		Position: "44.3870, 19.1050", Where: "Mali Zvornik, approaching the bridge"}
}

// TestOperationsAPI: the JSON API opens a surveillance request, the
// partner's NCU authorises it through its own API, the log verifies; a
// pair without an agreement is a problem document with code
// no-legal-basis; the legal basis can be asked beforehand.
func TestOperationsAPI(t *testing.T) {
	ns := opsNodes(t, "rs", "me", "xk")
	rs, me := ns[0], ns[1]
	rsTok := rs.AddUser(t, "team", auth.RoleOfficer)
	meTok := me.AddUser(t, "me-ncu", auth.RoleNCUOperator)
	analyst := rs.AddUser(t, "analyst", auth.RoleAnalyst)
	call := func(n *testutil.Node, tok, method, path, body string) (int, string, []byte) {
		req, _ := http.NewRequest(method, n.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), b
	}
	code, _, body := call(rs, rsTok, "GET", "/api/v1/operations/legal-basis?kind=surveillance&node=xk", "")
	var basis operations.Basis
	if code != 200 || json.Unmarshal(body, &basis) != nil || basis.Allowed || basis.Code != "no-agreement" {
		t.Fatalf("legal basis RS–XK: %d %s", code, body)
	}
	req := `{"kind":"surveillance","title":"Courier to Bar","countries":["%s"],"details":{"unit":"SBPOK team 2","persons":["Petar V."],"route":"Bijelo Polje – Podgorica – Bar"}}`
	code, ctype, body := call(rs, rsTok, "POST", "/api/v1/operations", fmt.Sprintf(req, "xk"))
	if code != 400 || ctype != "application/problem+json" || !strings.Contains(string(body), "no-legal-basis") {
		t.Fatalf("no agreement: %d %s %s", code, ctype, body)
	}
	code, _, body = call(rs, rsTok, "POST", "/api/v1/operations", fmt.Sprintf(req, "me"))
	var o operations.Operation
	if code != 201 || json.Unmarshal(body, &o) != nil || o.Status != operations.StRequested || o.LegalBasis != "PCC SEE" {
		t.Fatalf("open: %d %s", code, body)
	}
	if code, _, _ := call(rs, analyst, "GET", "/api/v1/operations/"+o.ID, ""); code != 403 {
		t.Fatalf("analyst reads an operation: %d", code)
	}
	testutil.WaitFor(t, "the request in Montenegro", 20*time.Second, func() bool {
		code, _, _ := call(me, meTok, "GET", "/api/v1/operations/"+o.ID, "")
		return code == 200
	})
	code, _, body = call(me, meTok, "POST", "/api/v1/operations/"+o.ID+"/actions", `{"kind":"authorise","text":"accompanied by Montenegrin officers from Bijelo Polje"}`)
	if code != 200 || !strings.Contains(string(body), `"status":"authorised"`) {
		t.Fatalf("authorise: %d %s", code, body)
	}
	testutil.WaitFor(t, "the authorisation in Serbia", 20*time.Second, func() bool {
		_, _, body := call(rs, rsTok, "GET", "/api/v1/operations/"+o.ID, "")
		return strings.Contains(string(body), `"status":"authorised"`)
	})
	code, _, body = call(rs, rsTok, "POST", "/api/v1/operations/"+o.ID+"/actions", `{"kind":"position","position":"91, 19"}`)
	if code != 400 || !strings.Contains(string(body), "outside the range") {
		t.Fatalf("bad position: %d %s", code, body)
	}
	if code, _, body := call(rs, rsTok, "GET", "/api/v1/operations/"+o.ID+"/verify", ""); code != 200 || !strings.Contains(string(body), `"intact":true`) {
		t.Fatalf("verify: %d %s", code, body)
	}
}
