package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/browsertest"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/exchange"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// anRequests has Serbia send Montenegro n requests (waiting for the NCU).
func anRequests(t *testing.T, rs *testutil.Node, n int) {
	t.Helper()
	officer := &auth.Principal{Username: "ana", Agency: "rs-police", Roles: []auth.Role{auth.RoleOfficer}}
	for i := 0; i < n; i++ {
		if _, err := rs.Exchange.Compose(context.Background(), officer, exchange.NewThread{Subject: "Vehicle check", Priority: exchange.PriorityNormal, Parties: []string{"me"},
			Body: "Please check the vehicle.", Markings: exchange.MessageMarkings{Classification: "restricted", Reliability: "B", Accuracy: 2}}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAnalysisScoreboardPages: the matrix, the partner's page with its
// table, the CSV export and sharing through the NCU (Post/Redirect/Get);
// officers are refused.
func TestAnalysisScoreboardPages(t *testing.T) {
	ns := opsNodes(t, "rs", "me")
	rs := ns[0]
	anRequests(t, rs, 3)
	rs.AddUser(t, "vesna", auth.RoleAnalyst)
	rs.AddUser(t, "milan", auth.RoleOfficer)
	c := testutil.Client()
	csrf := login(t, c, rs.URL, "vesna")
	code, page := pageText(t, c, rs.URL+"/analysis")
	if code != 200 || !strings.Contains(page, `id="an-matrix"`) || !strings.Contains(page, `href="/analysis/scoreboard/me"`) || !strings.Contains(page, ">3 / 0</a>") {
		t.Fatalf("matrix %d", code)
	}
	if !strings.Contains(page, "declaratory") {
		t.Fatal("no agreement flagged declaratory on a node with no recorded use")
	}
	code, page = pageText(t, c, rs.URL+"/analysis/scoreboard/me")
	if code != 200 || !strings.Contains(page, `id="an-chart"`) || !strings.Contains(page, `id="an-quarters"`) || !strings.Contains(page, "3 requests sent, 0 answered") {
		t.Fatalf("partner page %d", code)
	}
	code, csv := pageText(t, c, rs.URL+"/analysis/scoreboard.csv?partner=me")
	if code != 200 || !strings.HasPrefix(csv, "node,partner,quarter,requests_sent") || !strings.Contains(csv, "\nrs,me,total,3,0,") {
		t.Fatalf("CSV %d:\n%s", code, csv)
	}
	if code, _ := pageText(t, c, rs.URL+"/analysis/scoreboard/xk"); code != http.StatusNotFound {
		t.Fatalf("a partner with no record: %d", code)
	}
	resp, err := c.PostForm(rs.URL+"/analysis/scoreboard/share", url.Values{"csrf_token": {csrf}, "peer": {"me"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/analysis/scoreboard?ok=shared" {
		t.Fatalf("share: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	var state string
	if err := rs.Store.QueryRowContext(context.Background(), `SELECT state FROM fed_outbox WHERE type = 'analysis.scoreboard'`).Scan(&state); err != nil || state != "ncu_pending" {
		t.Fatalf("shared scoreboard %q %v, want waiting for the NCU", state, err)
	}

	o := testutil.Client()
	login(t, o, rs.URL, "milan")
	if code, _ := pageText(t, o, rs.URL+"/analysis"); code != http.StatusForbidden {
		t.Fatalf("officer on the scoreboard: %d", code)
	}
}

// TestBrowserAnalysisChart: what an analyst sees on a partner's page: the
// chart drawn, and its numbers in the table beside it.
func TestBrowserAnalysisChart(t *testing.T) {
	ns := opsNodes(t, "rs", "me")
	rs := ns[0]
	anRequests(t, rs, 4)
	rs.AddUser(t, "vesna", auth.RoleAnalyst)
	bc := browsertest.New(t)
	browsertest.Login(bc, t, rs.URL, "vesna", testutil.Password)
	browsertest.Do(bc, t, chromedp.Navigate(rs.URL+"/analysis/scoreboard/me"), chromedp.WaitVisible(chromedp.CSS(`#an-chart`)))
	browsertest.Do(bc, t, chromedp.Poll[chromedp.Void](`typeof Chart !== "undefined" && !!Chart.getChart(document.getElementById("an-chart"))`, chromedp.WithPollingTimeout(10*time.Second)))
	drawn, err := chromedp.Run(bc, chromedp.Evaluate[bool](`(() => { const c = document.getElementById("an-chart"); const r = c.getBoundingClientRect();
		return r.width > 100 && r.height > 50 && Chart.getChart(c).data.datasets[0].data.reduce((a, b) => a + b, 0) === 4 })()`))
	if err != nil || !drawn {
		t.Fatalf("the chart is not drawn with the 4 requests: %v", err)
	}
	if s := browsertest.Text(bc, t, "#an-quarters tr.total"); !strings.Contains(s, "4") {
		t.Fatalf("table total: %q", s)
	}
	if s := browsertest.Text(bc, t, "#an-summary"); !strings.Contains(s, "4 requests sent") {
		t.Fatalf("summary: %q", s)
	}
	browsertest.Screenshot(bc, t, "analysis-partner-chart")
}

func anUpload(t *testing.T, c *http.Client, base, csrf string, fields map[string]string, file string) (*http.Response, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf_token", csrf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", "gbv.csv")
	_, _ = fw.Write([]byte(file))
	mw.Close()
	req, _ := http.NewRequest("POST", base+"/analysis/statistics/import", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// TestAnalysisStatisticsPages: an import with errors comes back with each
// error by line, translated, and nothing saved; a good file lands on the
// table's page (chart, figures, definitions); the regional table lists it.
func TestAnalysisStatisticsPages(t *testing.T) {
	ns := opsNodes(t, "ba", "selec")
	ba := ns[0]
	ba.AddUser(t, "amra", auth.RoleAnalyst)
	c := testutil.Client()
	csrf := login(t, c, ba.URL, "amra")
	fields := map[string]string{"set": "gbv", "title": "GBV Republika Srpska 2025", "period": "2025", "jurisdiction": "BA-RS", "source": "RS Ministry of Interior",
		"definitions": "ipv_victims | Art. 190 Domestic violence, RS Criminal Code | victims per reported offence"}
	c.Jar.SetCookies(mustURL(ba.URL), []*http.Cookie{{Name: "liaison_lang", Value: "bs"}})
	resp, page := anUpload(t, c, ba.URL, csrf, fields, "indicator,sex,value\nipv_victims,female,640\nfemicide,female,3\nfemicides,female,x\n")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `id="an-row-errors"`) || !strings.Contains(page, "<td>3</td><td>indicator</td><td>nije pokazatelj ovog skupa</td>") ||
		!strings.Contains(page, "<td>4</td><td>value</td>") || !strings.Contains(page, `value="GBV Republika Srpska 2025"`) {
		i := strings.Index(page, "<main")
		t.Fatalf("import with errors %d: %s", resp.StatusCode, page[i:min(len(page), i+4000)])
	}
	if ts, _ := ba.Analysis.Tables(context.Background(), &auth.Principal{Username: "amra", Roles: []auth.Role{auth.RoleAnalyst}}); len(ts) != 0 {
		t.Fatal("a refused import saved a table")
	}
	c.Jar.SetCookies(mustURL(ba.URL), []*http.Cookie{{Name: "liaison_lang", Value: "en"}})
	resp, _ = anUpload(t, c, ba.URL, csrf, fields, "indicator,sex,value\nipv_victims,female,640\nfemicides,female,3\nprotection_orders_granted,,212\n")
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/analysis/statistics/") {
		t.Fatalf("import: %d %s", resp.StatusCode, loc)
	}
	code, page := pageText(t, c, ba.URL+loc)
	if code != 200 || !strings.Contains(page, "The table was imported.") || !strings.Contains(page, `id="an-table-chart"`) || !strings.Contains(page, "Art. 190 Domestic violence") ||
		!strings.Contains(page, "<td>640</td>") || !strings.Contains(page, `id="an-table-share"`) {
		t.Fatalf("table page %d", code)
	}
	code, page = pageText(t, c, ba.URL+"/analysis/statistics/regional?set=gbv&period=2025")
	if code != 200 || !strings.Contains(page, `id="an-contributions"`) || !strings.Contains(page, "BA-RS") || !strings.Contains(page, "victims per reported offence") ||
		strings.Contains(page, "<td>3</td>") {
		t.Fatalf("regional page %d (the 3 femicides must not show)", code)
	}
}

// TestAnalysisGraphPage: the link chart page lists the entities around
// one, the most central first, and the path to another.
func TestAnalysisGraphPage(t *testing.T) {
	ns := opsNodes(t, "rs")
	rs := ns[0]
	rs.AddUser(t, "vesna", auth.RoleAnalyst)
	an := &auth.Principal{Username: "vesna", Agency: "rs-police", Roles: []auth.Role{auth.RoleAnalyst}}
	ctx := context.Background()
	var ids []string
	for i := 0; i < 3; i++ {
		e, _, err := rs.Cases.CreateEntity(ctx, an, cases.EntityInput{Kind: "vehicle", Fields: map[string]string{"plate": fmt.Sprintf("NS-%03d-AB", i), "make": "Golf"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	for _, r := range [][2]int{{0, 1}, {1, 2}} {
		if _, err := rs.Cases.Relate(ctx, an, cases.RelationInput{From: ids[r[0]], To: ids[r[1]], Type: "related_to"}); err != nil {
			t.Fatal(err)
		}
	}
	c := testutil.Client()
	login(t, c, rs.URL, "vesna")
	code, page := pageText(t, c, rs.URL+"/analysis/graph?entity="+ids[1]+"&to="+ids[2])
	if code != 200 || !strings.Contains(page, `id="an-central"`) || !strings.Contains(page, `id="an-path"`) || strings.Count(page, "Golf") < 4 {
		i := strings.Index(page, "<main")
		t.Fatalf("graph page %d: %s", code, page[i:min(len(page), i+3000)])
	}
	if code, _ := pageText(t, c, rs.URL+"/api/v1/analysis/graph/path?from="+ids[0]+"&to="+ids[2]); code != 200 {
		t.Fatalf("path API %d", code)
	}
	if !strings.Contains(page, `<a href="/api/v1/analysis/graph/export?depth=1&amp;entity=`) || !strings.Contains(page, `id="an-export-path-gexf"`) || !strings.Contains(page, `id="an-cy"`) || !strings.Contains(page, "/assets/cytoscape.min.js") {
		i := strings.Index(page, "an-exports")
		t.Fatalf("the page has no drawing or export links: %s", page[max(i, 0):min(len(page), max(i, 0)+800)])
	}
	// Exports: GraphML and GEXF are well-formed XML with the three entities.
	for _, f := range []string{"graphml", "gexf", "ftm"} {
		resp, err := c.Get(rs.URL + "/api/v1/analysis/graph/export?format=" + f + "&entity=" + ids[1])
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") || strings.Count(string(b), ids[0]) == 0 || strings.Count(string(b), ids[2]) == 0 {
			t.Fatalf("%s export: %d %s", f, resp.StatusCode, b)
		}
		if f != "ftm" {
			var v struct{ XMLName xml.Name }
			if err := xml.Unmarshal(b, &v); err != nil {
				t.Fatalf("%s export is not XML: %v", f, err)
			}
		}
	}
	if code, _ := pageText(t, c, rs.URL+"/api/v1/analysis/graph/export?format=graphml"); code != http.StatusBadRequest {
		t.Fatalf("export without an entity: %d", code)
	}
	if code, page := pageText(t, c, rs.URL+"/cases/e/"+ids[1]); code != 200 || !strings.Contains(page, `<a href="/analysis/graph?entity=`+ids[1]+`&amp;depth=2" id="entity-link-chart">Open in the link chart</a>`) {
		t.Fatalf("entity page %d has no link to the chart", code)
	}
}

// TestBrowserLinkChart: the link chart is drawn by cytoscape.js from the
// API; its tools are labelled and on screen; expanding a node adds its
// neighbours; pinning and annotating survive a reload (local storage).
func TestBrowserLinkChart(t *testing.T) {
	ns := opsNodes(t, "rs")
	rs := ns[0]
	rs.AddUser(t, "vesna", auth.RoleAnalyst)
	an := &auth.Principal{Username: "vesna", Agency: "rs-police", Roles: []auth.Role{auth.RoleAnalyst}}
	ctx := context.Background()
	// A chain 0–1–2–3 with a star of four around 1: depth 1 from 0 shows 0 and 1.
	var ids []string
	for i := range 8 {
		e, _, err := rs.Cases.CreateEntity(ctx, an, cases.EntityInput{Kind: "vehicle", Fields: map[string]string{"plate": fmt.Sprintf("NS-%03d-AB", i), "make": "Golf"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	for _, r := range [][2]int{{0, 1}, {1, 2}, {2, 3}, {1, 4}, {1, 5}, {1, 6}, {1, 7}} {
		if _, err := rs.Cases.Relate(ctx, an, cases.RelationInput{From: ids[r[0]], To: ids[r[1]], Type: "related_to"}); err != nil {
			t.Fatal(err)
		}
	}
	bc := browsertest.New(t)
	browsertest.Login(bc, t, rs.URL, "vesna", testutil.Password)
	browsertest.Do(bc, t, chromedp.Navigate(rs.URL+"/analysis/graph?entity="+ids[0]+"&depth=1"), chromedp.WaitVisible(chromedp.CSS(`#an-cy`)))
	browsertest.Do(bc, t, chromedp.Poll[chromedp.Void](`!!window.liaisonChart && window.liaisonChart.nodes().length === 2`, chromedp.WithPollingTimeout(10*time.Second)))
	drawn, err := chromedp.Run(bc, chromedp.Evaluate[bool](`(() => { const c = document.querySelector("#an-cy canvas"); if (!c) return false;
		const r = document.getElementById("an-cy").getBoundingClientRect(); return r.width > 300 && r.height > 300 && c.width > 0 })()`))
	if err != nil || !drawn {
		t.Fatalf("the chart has no canvas: %v", err)
	}
	// Every tool is visible, inside the viewport and has a name.
	bad, err := chromedp.Run(bc, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#an-cy-tools button, #an-cy-tools input, #g-types input, #g-kinds input")).filter(e => {
		const r = e.getBoundingClientRect();
		const name = e.tagName === "BUTTON" ? e.textContent.trim() : (e.labels && e.labels.length ? e.labels[0].textContent.trim() : "");
		return !(r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= window.innerWidth && name !== "");
	}).map(e => e.id || e.name + "=" + e.value)`))
	if err != nil || len(bad) != 0 {
		t.Fatalf("tools hidden, off screen or unlabelled: %v %v", bad, err)
	}
	// Expand the neighbour: its five further neighbours are added.
	browsertest.Do(bc, t, chromedp.Evaluate[chromedp.Void](`void window.liaisonChart.getElementById("`+ids[1]+`").select()`),
		chromedp.Click(chromedp.CSS(`#an-cy-expand`)),
		chromedp.Poll[chromedp.Void](`window.liaisonChart.nodes().length === 7`, chromedp.WithPollingTimeout(10*time.Second)))
	// A double-click on a node expands it too: 2's neighbour 3 joins.
	browsertest.Do(bc, t, chromedp.Evaluate[chromedp.Void](`void window.liaisonChart.getElementById("`+ids[2]+`").emit("dbltap")`),
		chromedp.Poll[chromedp.Void](`window.liaisonChart.nodes().length === 8 && window.liaisonChart.getElementById("`+ids[3]+`").length === 1`, chromedp.WithPollingTimeout(10*time.Second)))
	// Ticking a kind filters the drawing at once: only the opened vehicle stays.
	browsertest.Do(bc, t, chromedp.Click(chromedp.CSS(`#g-kinds input[value="phone"]`)),
		chromedp.Poll[chromedp.Void](`window.liaisonChart.nodes(":visible").length === 1`, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.Click(chromedp.CSS(`#g-kinds input[value="phone"]`)),
		chromedp.Poll[chromedp.Void](`window.liaisonChart.nodes(":visible").length === 8`, chromedp.WithPollingTimeout(5*time.Second)))
	// The path between two selected entities is drawn: 0, 1, 2, 3.
	browsertest.Do(bc, t, chromedp.Evaluate[chromedp.Void](`window.liaisonChart.nodes().unselect(); window.liaisonChart.getElementById("`+ids[0]+`").select(); void window.liaisonChart.getElementById("`+ids[3]+`").select()`),
		chromedp.Click(chromedp.CSS(`#an-cy-path`)),
		chromedp.Poll[chromedp.Void](`window.liaisonChart.nodes(".path").length === 4 && window.liaisonChart.edges(".path").length === 3`, chromedp.WithPollingTimeout(10*time.Second)))
	// Pin and annotate the opened entity; both are there after a reload.
	browsertest.Do(bc, t, chromedp.Evaluate[chromedp.Void](`window.liaisonChart.nodes().unselect(); void window.liaisonChart.getElementById("`+ids[0]+`").select()`),
		chromedp.Click(chromedp.CSS(`#an-cy-pin`)),
		chromedp.SendKeys(chromedp.CSS(`#an-cy-note`), "seen at Batrovci"),
		chromedp.Click(chromedp.CSS(`#an-cy-note-save`)),
		chromedp.WaitVisible(chromedp.CSS(`#an-cy-notes li`)))
	if s := browsertest.Text(bc, t, "#an-cy-info"); !strings.Contains(s, "8 entities") {
		t.Fatalf("info: %q", s)
	}
	browsertest.Screenshot(bc, t, "analysis-link-chart")
	browsertest.Do(bc, t, chromedp.Reload(), chromedp.Poll[chromedp.Void](`!!window.liaisonChart && window.liaisonChart.nodes().length === 2`, chromedp.WithPollingTimeout(10*time.Second)))
	kept, err := chromedp.Run(bc, chromedp.Evaluate[bool](`(() => { const n = window.liaisonChart.getElementById("`+ids[0]+`"); return n.locked() && n.data("note") === "seen at Batrovci" })()`))
	if err != nil || !kept {
		t.Fatalf("the pin or the annotation was lost: %v", err)
	}
	if s := browsertest.Text(bc, t, "#an-cy-notes"); !strings.Contains(s, "seen at Batrovci") {
		t.Fatalf("notes: %q", s)
	}
}

// anRouteCase makes a migrant smuggling case with journeys Gevgelija –
// Skopje – Tabanovce – Belgrade (twice) and Skopje – Tabanovce – Niš.
func anRouteCase(t *testing.T, n *testutil.Node, p *auth.Principal) string {
	t.Helper()
	ctx := context.Background()
	c, err := n.Cases.CreateCase(ctx, p, cases.CaseInput{Reference: "RS-GP-2026-7", Title: "Smuggling via Tabanovce", CrimeArea: "migrant_smuggling"})
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC()
	for i, stops := range [][]string{{"MKGEV", "MKSKP", "BCP-TABANOVCE", "RSBEG"}, {"MKGEV", "MKSKP", "BCP-TABANOVCE", "RSBEG"}, {"MKSKP", "BCP-TABANOVCE", "RSINI"}} {
		if _, err := n.Cases.AddRoute(ctx, p, c.ID, cases.RouteInput{TravelledOn: today.AddDate(0, 0, -10*(i+1)).Format(time.DateOnly), Stops: stops}); err != nil {
			t.Fatal(err)
		}
	}
	return c.ID
}

// TestAnalysisRoutesPage: a route recorded through the case page's form
// (and refused with the reason when a stop is unknown) is counted on the
// route map, whose table and CSV carry the same numbers.
func TestAnalysisRoutesPage(t *testing.T) {
	ns := opsNodes(t, "rs")
	rs := ns[0]
	rs.AddUser(t, "vesna", auth.RoleAnalyst)
	an := &auth.Principal{Username: "vesna", Agency: "rs-police", Roles: []auth.Role{auth.RoleAnalyst}}
	id := anRouteCase(t, rs, an)
	c := testutil.Client()
	csrf := login(t, c, rs.URL, "vesna")
	day := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	resp, err := c.PostForm(rs.URL+"/cases/c/"+id+"/routes", url.Values{"csrf_token": {csrf}, "travelled_on": {day}, "stops": {"MKSKP > Atlantis"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	code, page := pageText(t, c, rs.URL+resp.Header.Get("Location"))
	if !strings.Contains(page, "Stop 2: &#34;Atlantis&#34; is not a place of the gazetteer.") || !strings.Contains(page, `value="MKSKP &gt; Atlantis"`) {
		t.Fatalf("bad route: %d %s", code, page)
	}
	resp, err = c.PostForm(rs.URL+"/cases/c/"+id+"/routes", url.Values{"csrf_token": {csrf}, "travelled_on": {day}, "stops": {"mkskp > BCP-TABANOVCE, RSBEG"}, "note": {"van, 12 people"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	code, page = pageText(t, c, rs.URL+resp.Header.Get("Location"))
	if code != 200 || !strings.Contains(page, "The route was recorded.") || !strings.Contains(page, `<td>Skopje → Tabanovce – Preševo <small class="muted">(border crossing)</small> → Beograd</td><td>van, 12 people</td>`) {
		i := strings.Index(page, `<main`)
		t.Fatalf("case page %d: %s", code, page[max(i, 0):min(len(page), max(i, 0)+1500)])
	}
	code, page = pageText(t, c, rs.URL+"/analysis/routes")
	if code != 200 || !strings.Contains(page, `id="an-route-map"`) || strings.Count(page, `class="an-route-leg"`) != 4 || !strings.Contains(page, `data-journeys="4"`) ||
		!strings.Contains(page, "<strong>4</strong> journeys, <strong>1</strong> cases") || !strings.Contains(page, `id="an-routes-csv"`) {
		t.Fatalf("routes page %d: %s", code, page)
	}
	code, page = pageText(t, c, rs.URL+"/api/v1/analysis/routes/export?area=migrant_smuggling")
	if code != 200 || !strings.Contains(page, "MKSKP,Skopje,BCP-TABANOVCE,Tabanovce – Preševo,4,1,") {
		t.Fatalf("csv %d: %s", code, page)
	}
	if code, page = pageText(t, c, rs.URL+"/analysis/routes?area=drugs"); code != 200 || !strings.Contains(page, "<strong>0</strong> journeys") {
		t.Fatalf("drugs routes %d", code)
	}
	if code, _ = pageText(t, c, rs.URL+"/api/v1/analysis/routes?from=2026-02-30"); code != http.StatusBadRequest {
		t.Fatalf("bad date: %d", code)
	}
	// Through the API: the gazetteer, a route on the case, and a refusal.
	tok := tokenAt(t, rs, "ana", "rs-police", auth.RoleOfficer)
	resp = apiCall(t, "GET", rs.URL+"/api/v1/cases/places", tok, "")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"code":"BCP-HORGOS"`) {
		t.Fatalf("places: %d %s", resp.StatusCode, b)
	}
	resp = apiCall(t, "POST", rs.URL+"/api/v1/cases/RS-GP-2026-7/routes", tok, `{"travelled_on":"`+day+`","stops":["RSBEG","BCP-HORGOS","HUSZE"]}`)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(b), `"stops":["RSBEG","BCP-HORGOS","HUSZE"]`) {
		t.Fatalf("route by API: %d %s", resp.StatusCode, b)
	}
	resp = apiCall(t, "POST", rs.URL+"/api/v1/cases/RS-GP-2026-7/routes", tok, `{"travelled_on":"`+day+`","stops":["RSBEG","RSBEG"]}`)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "stop 2 repeats the stop before it") {
		t.Fatalf("repeated stop by API: %d %s", resp.StatusCode, b)
	}
}

// TestBrowserRouteMap: the route map shows the legs on the offline map,
// the widest for the most travelled, with labelled filters on screen.
func TestBrowserRouteMap(t *testing.T) {
	ns := opsNodes(t, "rs")
	rs := ns[0]
	rs.AddUser(t, "vesna", auth.RoleAnalyst)
	anRouteCase(t, rs, &auth.Principal{Username: "vesna", Agency: "rs-police", Roles: []auth.Role{auth.RoleAnalyst}})
	bc := browsertest.New(t)
	browsertest.Login(bc, t, rs.URL, "vesna", testutil.Password)
	browsertest.Do(bc, t, chromedp.Navigate(rs.URL+"/analysis/graph"), chromedp.Click(chromedp.CSS(`#nav-an-routes`)), chromedp.WaitVisible(chromedp.CSS(`#an-route-map`)))
	shown, err := chromedp.Run(bc, chromedp.Evaluate[bool](`(() => { const m = document.getElementById("an-route-map").getBoundingClientRect();
		const legs = Array.from(document.querySelectorAll("#an-route-map .an-route-leg"));
		const w = legs.map(l => parseFloat(l.getAttribute("stroke-width")));
		const top = legs.find(l => l.getAttribute("data-journeys") === "3");
		return m.width > 400 && m.height > 300 && legs.length === 4 && top && parseFloat(top.getAttribute("stroke-width")) === Math.max(...w) &&
			legs.every(l => { const r = l.getBoundingClientRect(); return r.width + r.height > 0 && r.left >= m.left - 1 && r.right <= m.right + 1 }) })()`))
	if err != nil || !shown {
		t.Fatalf("the route map does not show the four legs: %v", err)
	}
	bad, err := chromedp.Run(bc, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#an-routes-form input, #an-routes-form select, #an-routes-form button, #an-routes-csv")).filter(e => {
		const r = e.getBoundingClientRect();
		const name = e.tagName === "BUTTON" || e.tagName === "A" ? e.textContent.trim() : (e.labels && e.labels.length ? e.labels[0].textContent.trim() : "");
		return !(r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= window.innerWidth && name !== "");
	}).map(e => e.id)`))
	if err != nil || len(bad) != 0 {
		t.Fatalf("controls hidden, off screen or unlabelled: %v %v", bad, err)
	}
	if s := browsertest.Text(bc, t, "#an-routes-table tbody tr"); !strings.Contains(s, "Skopje") || !strings.Contains(s, "3") {
		t.Fatalf("first leg: %q", s)
	}
	browsertest.Screenshot(bc, t, "analysis-route-map")
}

// TestAnalysisStatisticsXLSXImport: a workbook goes through the same
// upload as CSV, its errors listed by sheet row, and a good one is saved.
func TestAnalysisStatisticsXLSXImport(t *testing.T) {
	ns := opsNodes(t, "ba")
	ba := ns[0]
	ba.AddUser(t, "amra", auth.RoleAnalyst)
	c := testutil.Client()
	csrf := login(t, c, ba.URL, "amra")
	fields := map[string]string{"set": "gbv", "title": "GBV Brčko 2025", "period": "2025", "jurisdiction": "BA-BD", "source": "Brčko District Police"}
	book := func(rows [][]any) string {
		f := excelize.NewFile()
		defer f.Close()
		for r, row := range rows {
			for i, v := range row {
				cell, _ := excelize.CoordinatesToCellName(i+1, r+1)
				_ = f.SetCellValue("Sheet1", cell, v)
			}
		}
		var buf bytes.Buffer
		_ = f.Write(&buf)
		return buf.String()
	}
	resp, page := anUpload(t, c, ba.URL, csrf, fields, book([][]any{{"indicator", "sex", "value"}, {"ipv_victims", "female", 64}, {"femicide", "female", 3}}))
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "<td>3</td><td>indicator</td>") {
		t.Fatalf("workbook with an error: %d", resp.StatusCode)
	}
	resp, _ = anUpload(t, c, ba.URL, csrf, fields, book([][]any{{"indicator", "sex", "value"}, {"ipv_victims", "female", 64}, {"femicides", "female", 3}}))
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/analysis/statistics/") {
		t.Fatalf("good workbook: %d", resp.StatusCode)
	}
	code, page := pageText(t, c, ba.URL+resp.Header.Get("Location"))
	if code != 200 || !strings.Contains(page, "<td>64</td>") {
		t.Fatalf("imported table %d", code)
	}
	// The API takes the workbook as base64.
	tok := tokenAt(t, ba, "edin", "ba-sipa", auth.RoleAnalyst)
	wb := base64.StdEncoding.EncodeToString([]byte(book([][]any{{"indicator", "value"}, {"femicides", 2}, {"femicidez", 1}})))
	resp = apiCall(t, "POST", ba.URL+"/api/v1/analysis/tables", tok, `{"table":{"set":"gbv","title":"GBV Brčko 2024","period":"2024","jurisdiction":"BA-BD"},"xlsx":"`+wb+`"}`)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"saved":false`) || !strings.Contains(string(b), `{"line":3,"column":"indicator","code":"indicator","value":"femicidez"}`) {
		t.Fatalf("xlsx through the API: %d %s", resp.StatusCode, b)
	}
}

// TestBrowserLinkChartAt5000: a chart of 5,000 entities (an entity, 50
// linked to it, 99 more around each) is drawn, laid out in rings by depth,
// and stays responsive to a zoom.
func TestBrowserLinkChartAt5000(t *testing.T) {
	ns := opsNodes(t, "rs")
	rs := ns[0]
	rs.AddUser(t, "vesna", auth.RoleAnalyst)
	ctx := context.Background()
	now := store.FormatTime(time.Now())
	err := rs.Store.InTx(ctx, func(tx *store.Tx) error {
		for i := range 5000 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO cases_entities (id, kind, label, fields, fingerprint, created_at) VALUES (?, ?, ?, '{}', ?, ?)`,
				fmt.Sprintf("e%05d", i), []string{"person", "vehicle", "phone", "account"}[i%4], fmt.Sprintf("entity %d", i), fmt.Sprintf("f%05d", i), now); err != nil {
				return err
			}
			if i == 0 {
				continue
			}
			from := 0 // 1..50 hang on 0, the others on 1..50
			if i > 50 {
				from = 1 + (i-51)%50
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO cases_relations (id, from_id, to_id, type, created_at) VALUES (?, ?, ?, 'related_to', ?)`,
				fmt.Sprintf("r%05d", i), fmt.Sprintf("e%05d", from), fmt.Sprintf("e%05d", i), now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	bc := browsertest.New(t)
	browsertest.Login(bc, t, rs.URL, "vesna", testutil.Password)
	start := time.Now()
	browsertest.Do(bc, t, chromedp.Navigate(rs.URL+"/analysis/graph?entity=e00000&depth=2"),
		chromedp.Poll[chromedp.Void](`!!window.liaisonChart && window.liaisonChart.nodes().length === 5000 && window.liaisonChart.nodes()[4999].position().x !== 0`, chromedp.WithPollingTimeout(60*time.Second)))
	t.Logf("5,000 entities drawn %v after opening the page", time.Since(start))
	if api, err := chromedp.Run(bc, chromedp.Evaluate[float64](`performance.getEntriesByType("resource").filter(e => e.name.includes("/graph/neighbours")).map(e => e.duration)[0] || 0`)); err == nil {
		t.Logf("of which the chart's API read took %.0f ms", api)
	}
	ms, err := chromedp.Run(bc, chromedp.Evaluate[float64](`new Promise(done => { const cy = window.liaisonChart; const t0 = performance.now();
		cy.one("render", () => requestAnimationFrame(() => done(performance.now() - t0))); cy.zoom({ level: cy.zoom() * 1.5, renderedPosition: { x: 300, y: 300 } }); })`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("a zoom at 5,000 entities renders in %.0f ms", ms)
	if ms > 2000 {
		t.Errorf("a zoom took %.0f ms to render at 5,000 entities", ms)
	}
	browsertest.Screenshot(bc, t, "analysis-link-chart-5000")
}

// TestBrowserLinkChartAndRoutesLayout: the link chart with its drawing,
// the route map and a case page with its routes pass the layout checks
// and axe at laptop and tablet width.
func TestBrowserLinkChartAndRoutesLayout(t *testing.T) {
	ns := opsNodes(t, "rs")
	rs := ns[0]
	rs.AddUser(t, "vesna", auth.RoleAnalyst)
	an := &auth.Principal{Username: "vesna", Agency: "rs-police", Roles: []auth.Role{auth.RoleAnalyst}}
	caseID := anRouteCase(t, rs, an)
	var ids []string
	for i := range 4 {
		e, _, err := rs.Cases.CreateEntity(context.Background(), an, cases.EntityInput{Kind: "vehicle", Fields: map[string]string{"plate": fmt.Sprintf("NS-%03d-AB", i), "make": "Golf"}, Case: "RS-GP-2026-7", Role: "object"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	for i := 1; i < 4; i++ {
		if _, err := rs.Cases.Relate(context.Background(), an, cases.RelationInput{From: ids[0], To: ids[i], Type: "owns"}); err != nil {
			t.Fatal(err)
		}
	}
	bc := browsertest.New(t)
	browsertest.Login(bc, t, rs.URL, "vesna", testutil.Password)
	var problems []string
	for _, v := range layoutViewports {
		setViewport(bc, t, v)
		for _, p := range []string{"/analysis/graph?entity=" + ids[0] + "&to=" + ids[3], "/analysis/routes", "/cases/c/" + caseID} {
			browsertest.Do(bc, t, chromedp.Navigate(rs.URL+p), chromedp.WaitReady(chromedp.CSS(`footer.foot`)))
			if strings.HasPrefix(p, "/analysis/graph") {
				browsertest.Do(bc, t, chromedp.Poll[chromedp.Void](`!!window.liaisonChart && window.liaisonChart.nodes().length === 4`, chromedp.WithPollingTimeout(10*time.Second)))
			}
			for _, pr := range evalStrings(bc, t, layoutProblemsJS, false) {
				problems = append(problems, fmt.Sprintf("%s %s: %s", v.name, p, pr))
			}
			evalBool(bc, t, axeSource+"\n;true")
			for _, pr := range evalStrings(bc, t, axeJS, true) {
				problems = append(problems, fmt.Sprintf("%s %s: axe %s", v.name, p, pr))
			}
		}
	}
	if len(problems) > 0 {
		t.Fatalf("%d layout or accessibility problems:\n%s", len(problems), strings.Join(problems, "\n"))
	}
}
