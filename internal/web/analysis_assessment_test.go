package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/liaison-wb/liaison/internal/analysis"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/browsertest"
	"github.com/liaison-wb/liaison/internal/i18n"
	"github.com/liaison-wb/liaison/internal/testutil"
)

func postForm(t *testing.T, c *http.Client, u string, v url.Values) *http.Response {
	t.Helper()
	resp, err := c.PostForm(u, v)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// asEditForm is a valid edit of a draft assessment with one threat.
func asEditForm(csrf, version string) url.Values {
	return url.Values{"csrf_token": {csrf}, "version": {version}, "threats": {"1"}, "title": {"Regional drugs assessment 2025"},
		"summary": {"Cocaine through the ports."}, "sec_trends": {"Seizures doubled; Шкодра–Подгорица."}, "sec_routes": {"Port route."}, "sec_routes_restricted": {"1"},
		"th_title_0": {"Cocaine through Adriatic ports"}, "th_t_0": {"5"}, "th_twhy_0": {"Capable groups"}, "th_v_0": {"4"}, "th_vwhy_0": {"Few scanners"},
		"th_i_0": {"4"}, "th_iwhy_0": {"Violence"}, "priorities": {"1 | Container profiling training | ME AL | for port police"}}
}

// TestAssessmentPages: a form with a bad field comes back with what was
// typed and the field named; a valid draft is scored, submitted, approved
// by the NCU (not the analyst) and read by an officer as the public
// version, as a page and as a PDF.
func TestAssessmentPages(t *testing.T) {
	ns := opsNodes(t, "selec")
	n := ns[0]
	n.AddUser(t, "vesna", auth.RoleAnalyst)
	n.AddUser(t, "nada", auth.RoleNCUOperator)
	n.AddUser(t, "milan", auth.RoleOfficer)
	c := testutil.Client()
	csrf := login(t, c, n.URL, "vesna")

	resp := postForm(t, c, n.URL+"/analysis/assessments", url.Values{"csrf_token": {csrf}, "crime_area": {"thb"}, "period": {"last year"}, "title": {"THB in the region"}})
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/analysis/assessments?form=") {
		t.Fatalf("bad period: %d %s", resp.StatusCode, loc)
	}
	code, page := pageText(t, c, n.URL+loc)
	if code != 200 || !strings.Contains(page, `id="as-period-err"`) || !strings.Contains(page, `value="THB in the region"`) || !strings.Contains(page, `value="last year" aria-invalid="true"`) ||
		!strings.Contains(page, `<option value="thb" selected>`) {
		i := strings.Index(page, `id="as-new"`)
		t.Fatalf("form after a bad period %d: %s", code, page[max(0, i):min(len(page), i+2500)])
	}
	resp = postForm(t, c, n.URL+"/analysis/assessments", url.Values{"csrf_token": {csrf}, "crime_area": {"drugs"}, "period": {"2025"}, "title": {"Regional drugs assessment 2025"}})
	loc = resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/analysis/assessments/") {
		t.Fatalf("create: %d %s", resp.StatusCode, loc)
	}
	page0 := strings.SplitN(loc, "?", 2)[0]
	id := strings.TrimPrefix(page0, "/analysis/assessments/")
	code, page = pageText(t, c, n.URL+loc)
	if code != 200 || !strings.Contains(page, `id="as-edit-form"`) || !strings.Contains(page, `for="th-t-0"`) {
		t.Fatalf("assessment page %d", code)
	}

	bad := asEditForm(csrf, "1")
	bad.Set("th_t_0", "7")
	resp = postForm(t, c, n.URL+page0, bad)
	loc = resp.Header.Get("Location")
	code, page = pageText(t, c, n.URL+loc)
	if !strings.Contains(loc, "form=") || code != 200 || !strings.Contains(page, `id="th-t-0-err"`) || !strings.Contains(page, `value="Few scanners"`) ||
		!strings.Contains(page, "Seizures doubled; Шкодра–Подгорица.") {
		i := strings.Index(page, `id="as-edit-form"`)
		t.Fatalf("edit with a score of 7 %s %d: %s", loc, code, page[max(0, i):min(len(page), i+3000)])
	}
	resp = postForm(t, c, n.URL+page0, asEditForm(csrf, "1"))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != page0+"?ok=saved" {
		t.Fatalf("save: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	code, page = pageText(t, c, n.URL+page0)
	if code != 200 || !strings.Contains(page, `id="as-threats"`) || !strings.Contains(page, "<strong>80</strong>") || !strings.Contains(page, `data-node="selec"`) {
		t.Fatalf("after save %d", code)
	}
	if resp := postForm(t, c, n.URL+page0+"/submit", url.Values{"csrf_token": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("submit: %d", resp.StatusCode)
	}
	if resp := postForm(t, c, n.URL+page0+"/approve", url.Values{"csrf_token": {csrf}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("analyst approves: %d", resp.StatusCode)
	}
	nc := testutil.Client()
	ncsrf := login(t, nc, n.URL, "nada")
	if resp := postForm(t, nc, n.URL+page0+"/approve", url.Values{"csrf_token": {ncsrf}}); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != page0+"?ok=approve" {
		t.Fatalf("approve: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	o := testutil.Client()
	login(t, o, n.URL, "milan")
	code, page = pageText(t, o, n.URL+page0+"?version=restricted")
	if code != 200 || !strings.Contains(page, `id="as-version"`) || strings.Contains(page, "Port route.") || !strings.Contains(page, "Seizures doubled") {
		t.Fatalf("officer's page %d: the restricted section must not show", code)
	}
	if code, _ := pageText(t, o, n.URL+"/analysis/contributions/selec/x"); code != http.StatusForbidden {
		t.Fatalf("officer on contributions: %d", code)
	}
	r, err := o.Get(n.URL + "/api/v1/analysis/assessments/" + id + "/pdf")
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(doc), "%PDF-") || !strings.Contains(r.Header.Get("Content-Disposition"), "public") {
		t.Fatalf("PDF %d %s %s", r.StatusCode, r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"))
	}
	if code, spec := pageText(t, o, n.URL+"/api/openapi.json"); code != 200 || !strings.Contains(spec, `"/api/v1/analysis/assessments/{id}/needs"`) ||
		!strings.Contains(spec, `"/api/v1/analysis/contributions/{node}/{id}/approve"`) || !strings.Contains(spec, `"assessment-pdf"`) {
		t.Fatalf("OpenAPI document %d lacks the assessment operations", code)
	}
	o.Jar.SetCookies(mustURL(n.URL), []*http.Cookie{{Name: "liaison_lang", Value: "mk"}})
	if code, doc := pageText(t, o, n.URL+page0+"/pdf"); code != 200 || !strings.HasPrefix(doc, "%PDF-") || !strings.HasSuffix(strings.TrimSpace(doc), "%%EOF") {
		t.Fatalf("PDF page in Macedonian: %d", code)
	}
	// The risk chart's numbers download as CSV.
	if code, doc := pageText(t, o, n.URL+page0+"/threats.csv"); code != 200 || !strings.HasPrefix(doc, "threat,threat_score,vulnerability,impact,risk,level\n") || strings.Count(doc, "\n") < 2 {
		t.Fatalf("threats CSV %d: %q", code, doc)
	}
	// The templates' questions are shown in the reader's language.
	if code, page := pageText(t, o, n.URL+"/analysis/assessments"); code != 200 || !strings.Contains(page, "Запленувања по супстанца") || strings.Contains(page, "Seizures by substance") {
		t.Fatalf("template questions in Macedonian: %d", code)
	}
	a, err := n.Analysis.Assessment(context.Background(), &auth.Principal{Username: "milan", Roles: []auth.Role{auth.RoleOfficer}}, id, false)
	if err != nil || !a.Public || a.State != analysis.AStateApproved {
		t.Fatalf("officer's version: %+v %v", a, err)
	}
}

// TestBrowserAssessmentPage: SELEC's analyst sees the assessment's title,
// the risk of each threat and the sections by country; every control of
// the edit form is inside the window and labelled at 1366×768; a score out
// of range comes back marked, with what was typed kept.
func TestBrowserAssessmentPage(t *testing.T) {
	ns := opsNodes(t, "selec")
	n := ns[0]
	n.AddUser(t, "vesna", auth.RoleAnalyst)
	an := &auth.Principal{Username: "vesna", Agency: "selec", Roles: []auth.Role{auth.RoleAnalyst}}
	a, err := n.Analysis.CreateAssessment(context.Background(), an, analysis.AssessmentInput{CrimeArea: "drugs", Period: "2025", Title: "SEE drugs threat assessment 2025",
		Paragraphs: []analysis.Paragraph{{Section: analysis.SecTrends, Text: "Seizures doubled."}},
		Threats: []analysis.Threat{{Title: "Cocaine through Adriatic ports", Threat: analysis.Score{Value: 5, Reasoning: "Capable groups"},
			Vulnerability: analysis.Score{Value: 4, Reasoning: "Few scanners"}, Impact: analysis.Score{Value: 4, Reasoning: "Violence"}}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t)
	setViewport(ctx, t, layoutViewports[0])
	browsertest.Login(ctx, t, n.URL, "vesna", testutil.Password)
	browsertest.Do(ctx, t, chromedp.Navigate(n.URL+"/analysis/assessments/"+a.ID), chromedp.WaitVisible(chromedp.CSS(`#as-heading`)))
	if s := browsertest.Text(ctx, t, "#as-heading"); s != "SEE drugs threat assessment 2025" {
		t.Fatalf("heading %q", s)
	}
	mustSee(ctx, t, "#as-bars progress")
	if s := browsertest.Text(ctx, t, "#as-bars"); !strings.Contains(s, "80") {
		t.Fatalf("risk bars %q", s)
	}
	mustSee(ctx, t, "#as-pdf")
	everyControlVisible(ctx, t, "#as-edit-form")
	mustSee(ctx, t, "#as-submit")
	evalString(ctx, t, `(document.querySelector("#th-t-0").value = "")`)
	typeIn(ctx, t, "#th-t-0", "9")
	typeIn(ctx, t, "#th-title-1", "Synthetic drugs online")
	browsertest.Do(ctx, t, chromedp.Click(chromedp.CSS(`#as-save`)), chromedp.WaitVisible(chromedp.CSS(`#th-t-0-err`)))
	if v := evalString(ctx, t, `document.querySelector("#th-t-0").getAttribute("aria-invalid") + " " + document.querySelector("#th-title-1").value`); v != "true Synthetic drugs online" {
		t.Fatalf("after the error: %q", v)
	}
	mustSee(ctx, t, "#th-t-0")
	browsertest.Screenshot(ctx, t, "analysis-assessment")

	// The list: both forms usable at 1366×768, the assessment listed.
	browsertest.Do(ctx, t, chromedp.Navigate(n.URL+"/analysis/assessments"), chromedp.WaitVisible(chromedp.CSS(`#as-list`)))
	if s := browsertest.Text(ctx, t, "#as-list"); !strings.Contains(s, "SEE drugs threat assessment 2025") {
		t.Fatalf("list %q", s)
	}
	everyControlVisible(ctx, t, "#as-new")
	everyControlVisible(ctx, t, "#co-new")

	// A contribution's page: the template's questions beside each section.
	c, err := n.Analysis.CreateContribution(context.Background(), an, analysis.ContributionInput{RegionalNode: "pccsee", CrimeArea: "firearms", Period: "2025-Q3",
		Title: "Firearms, third quarter", Paragraphs: []analysis.Paragraph{{Section: analysis.SecRoutes, Text: "Converted pistols by post."}}})
	if err != nil {
		t.Fatal(err)
	}
	co := "/analysis/contributions/selec/" + c.ID
	browsertest.Do(ctx, t, chromedp.Navigate(n.URL+co), chromedp.WaitVisible(chromedp.CSS(`#co-edit-form`)))
	everyControlVisible(ctx, t, "#co-edit-form")
	mustSee(ctx, t, "#co-submit")
	if s := browsertest.Text(ctx, t, "#co-e-sec-routes-q"); !strings.Contains(s, "Destination countries in the EU") {
		t.Fatalf("questions of the routes section: %q", s)
	}

	// No layout problem and no serious accessibility violation on any of
	// the pages, at both sizes.
	for _, v := range layoutViewports {
		setViewport(ctx, t, v)
		for _, p := range []string{"/analysis/assessments", "/analysis/assessments/" + a.ID, "/analysis/assessments/" + a.ID + "?version=public", co} {
			browsertest.Do(ctx, t, chromedp.Navigate(n.URL+p), chromedp.WaitReady(chromedp.CSS(`footer.foot`)))
			problems := evalStrings(ctx, t, layoutProblemsJS, false)
			if v.name == "laptop" {
				evalBool(ctx, t, axeSource+"\n;true")
				problems = append(problems, evalStrings(ctx, t, axeJS, true)...)
			}
			if len(problems) > 0 {
				t.Errorf("%s %s: %s", v.name, p, strings.Join(problems, "; "))
			}
		}
	}
}

// Every question of every template has its text in each language, and the
// English catalogue says what the template says.
func TestAssessmentTemplateQuestionsTranslated(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tpl := range analysis.Templates() {
		for _, sec := range tpl.Sections {
			for i, q := range sec.Questions {
				key := fmt.Sprintf("as.q.%s.%s.%d", tpl.CrimeArea, sec.Key, i+1)
				if en, ok := cat.Lookup("en", key); !ok || en != q {
					t.Errorf("%s: English %q, template %q", key, en, q)
				}
				for _, lang := range i18n.Languages {
					if _, ok := cat.Lookup(lang.Code, key); !ok {
						t.Errorf("%s: no %s text", key, lang.Code)
					}
				}
			}
		}
	}
}
