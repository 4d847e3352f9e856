package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/liaison-wb/liaison/internal/app"
	"github.com/liaison-wb/liaison/internal/assets"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/buildinfo"
	"github.com/liaison-wb/liaison/internal/demo"
	"github.com/liaison-wb/liaison/internal/exchange"
	"github.com/liaison-wb/liaison/internal/i18n"
	"github.com/liaison-wb/liaison/internal/mla"
	"github.com/liaison-wb/liaison/internal/operations"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestTranslatedPagesWalk starts demo nodes with their seed data, logs in
// as every demo role, and visits every page of the menu plus one detail page
// of each kind in every language. It fails when a page shows a raw
// catalogue key or field name, a text left in English although another
// language translates it, or (in Serbian Cyrillic) a Latin word that is
// not an acronym, a code, a product name or data.
func TestTranslatedPagesWalk(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three demo nodes")
	}
	ctx := context.Background()
	f, err := demo.Start(ctx, demo.Options{Dir: t.TempDir(), Nodes: []string{"rs", "me", "ba"}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close(context.Background()) })
	rs := f.Nodes[0]
	seedWalkData(t, rs)
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}

	var all []map[string]map[string]bool
	// Pages per role: the menu, then the pages linked from there within the
	// same module (sub-pages and one detail page of each kind), two levels deep.
	type page struct{ role, path string }
	var pagesToVisit []page
	for _, u := range demo.Users {
		c := walkClient(t, rs.BaseURL(), u.Username)
		seen := map[string]bool{}
		queue := append([]string{"/"}, linksOf(getPage(t, c, rs.BaseURL()+"/", "en"), true)...)
		for depth := 0; depth < 3 && len(queue) > 0; depth++ {
			var next []string
			for _, p := range queue {
				if seen[pageKind(p)] {
					continue
				}
				seen[pageKind(p)] = true
				b := getPage(t, c, rs.BaseURL()+p, "en")
				if b == "" {
					continue
				}
				pagesToVisit = append(pagesToVisit, page{u.Username, p})
				if p == "/" {
					continue
				}
				module := "/" + strings.SplitN(p[1:], "/", 2)[0]
				for _, l := range linksOf(b, false) {
					if strings.HasPrefix(l, module) && !seen[pageKind(l)] {
						next = append(next, l)
					}
				}
			}
			queue = next
		}
	}
	// The agreement with the demo's declared terms, and the form that
	// declares them, whichever agreement the walk happened to open.
	if b, err := rs.Ops.LegalBasis(ctx, &auth.Principal{Username: "ncu", Roles: []auth.Role{auth.RoleNCUOperator}}, operations.KindPursuit, "ba"); err == nil && b.AgreementID != "" {
		pagesToVisit = append(pagesToVisit, page{"ncu", "/directory/agreements/" + b.AgreementID}, page{"ncu", "/directory/agreements/" + b.AgreementID + "/terms"})
	}
	if os.Getenv("LIAISON_WALK_DUMP") != "" {
		defer func() {
			seen := map[string]bool{}
			for _, texts := range all {
				for tx := range texts["en"] {
					if texts["sr-Cyrl"][tx] && hasWord(tx) && !seen[tx] {
						seen[tx] = true
						fmt.Fprintln(os.Stderr, "SAME", tx)
					}
				}
			}
		}()
	}
	if len(pagesToVisit) < 40 {
		t.Fatalf("only %d pages found to walk", len(pagesToVisit))
	}

	langs := []string{}
	for _, l := range i18n.Languages {
		langs = append(langs, l.Code)
	}
	clients := map[string]*http.Client{}
	problems := map[string]bool{}
	report := func(format string) { problems[format] = true }
	all = make([]map[string]map[string]bool, len(pagesToVisit))
	for i, pg := range pagesToVisit {
		c := clients[pg.role]
		if c == nil {
			c = walkClient(t, rs.BaseURL(), pg.role)
			clients[pg.role] = c
		}
		all[i] = map[string]map[string]bool{}
		for _, l := range langs {
			all[i][l] = visibleTexts(getPage(t, c, rs.BaseURL()+pg.path, l))
		}
	}
	// Words that may stay in Latin script in Serbian Cyrillic: data (text
	// shown the same in every language on some page: names, node IDs,
	// agencies) and the Latin words the Cyrillic catalogue itself quotes
	// (role codes, command lines), which the catalogue tests vet.
	// Texts are compared in segments ("Правни основ: Order of the judge ·
	// Lawful interception"), as pages join labels and data in one line.
	dataWords := map[string]bool{buildinfo.Version: true}
	for _, texts := range all {
		segs := map[string]map[string]bool{}
		for _, l := range langs {
			segs[l] = map[string]bool{}
			for tx := range texts[l] {
				for _, sg := range segmentRE.Split(tx, -1) {
					segs[l][sg] = true
				}
			}
		}
		for sg := range segs["en"] {
			data := true
			for _, l := range langs {
				data = data && segs[l][sg]
			}
			if data {
				for _, w := range strings.FieldsFunc(sg, notWordRune) {
					dataWords[w] = true
				}
			}
		}
	}
	for _, k := range cat.Keys() {
		if v, ok := cat.Lookup("sr-Cyrl", k); ok {
			for _, w := range strings.FieldsFunc(v, notWordRune) {
				dataWords[w] = true
			}
		}
	}
	for i, pg := range pagesToVisit {
		texts := all[i]
		where := pg.role + " " + pg.path
		for _, l := range langs {
			for tx := range texts[l] {
				if k := rawKey(cat, tx); k != "" {
					report(where + " [" + l + "]: raw key " + k + " in " + quote(tx))
				}
				if strings.Contains(tx, "%!") {
					report(where + " [" + l + "]: broken format in " + quote(tx))
				}
				if l == "en" {
					continue
				}
				if pg.path == "/audit" && (auditCodeRE.MatchString(tx) || auditObjectRE.MatchString(tx) || auditDetailRE.MatchString(tx)) {
					continue // recorded codes and details; the newest entries change while the walk goes on
				}
				// Shown as in English while another language's page says it otherwise.
				if texts["en"][tx] && hasWord(tx) && !catalogueHas(cat, l, strings.TrimPrefix(tx, attrMark)) {
					for _, o := range langs[1:] {
						if o != l && !texts[o][tx] {
							report(where + " [" + l + "]: left in English (" + o + " translates it): " + quote(tx))
							break
						}
					}
				}
			}
		}
		// Serbian Cyrillic: Latin words only in acronyms, codes, product
		// names and data.
		for tx := range texts["sr-Cyrl"] {
			if pg.path == "/audit" && auditCodeRE.MatchString(tx) {
				continue // the audit log shows the recorded action and object codes
			}
			if auditObjectRE.MatchString(strings.TrimPrefix(tx, attrMark)) {
				continue // a recorded object (user/partner), shown as recorded wherever recent activity is listed
			}
			if w := latinWord(strings.TrimPrefix(tx, attrMark), dataWords); w != "" {
				report(where + " [sr-Cyrl]: Latin word " + quote(w) + " in " + quote(tx))
			}
		}
	}
	var list []string
	for p := range problems {
		list = append(list, p)
	}
	sort.Strings(list)
	for _, p := range list {
		t.Error(p)
	}
	t.Logf("walked %d pages × %d languages", len(pagesToVisit), len(langs))
	for _, p := range pagesToVisit {
		t.Log(p.role, p.path)
	}
}

func seedWalkData(t *testing.T, n *app.Node) {
	t.Helper()
	ctx := context.Background()
	pros := &auth.Principal{Username: "prosecutor", Agency: "rs-mup", Roles: []auth.Role{auth.RoleProsecutor}}
	if _, err := n.MLA.Create(ctx, pros, mla.Draft{TargetNode: "me", Kind: "banking", Title: "Marko Marković", Facts: "—", Measures: "—", Channel: "formal"}); err != nil {
		t.Fatal(err)
	}
	off := &auth.Principal{Username: "officer", Agency: "rs-mup", Roles: []auth.Role{auth.RoleOfficer}}
	if _, err := n.Exchange.Compose(ctx, off, exchange.NewThread{Subject: "PG-AB-123", CrimeArea: "drugs", Priority: exchange.PriorityUrgent, Parties: []string{"me"},
		Body: "—", Markings: exchange.MessageMarkings{Classification: "restricted", Handling: []string{"H0"}, Reliability: "B", Accuracy: 2},
		Entities: []exchange.MessageEntity{{Kind: "vehicle", Label: "PG-AB-123", Fields: map[string]string{"plate": "PG-AB-123"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Assets.Create(ctx, off, assets.NewAsset{Kind: "vehicle", Description: "Audi A6 PG-AB-123", Country: "ME", Currency: "EUR", Value: "25000",
		First: assets.StepInput{Step: "traced", Date: "2026-01-10", Authority: "MUP"}}); err != nil {
		t.Fatal(err)
	}
}

func walkClient(t *testing.T, base, user string) *http.Client {
	t.Helper()
	c := testutil.Client()
	resp, err := c.PostForm(base+"/login", url.Values{"username": {user}, "password": {demo.Password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: %d", user, resp.StatusCode)
	}
	return c
}

// getPage returns an HTML page, or "" for links that are not pages
// (downloads, pages the role may not open).
func getPage(t *testing.T, c *http.Client, u, lang string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.AddCookie(&http.Cookie{Name: "liaison_lang", Value: lang})
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b := body(t, resp)
	if resp.StatusCode >= 500 {
		t.Errorf("GET %s [%s]: %d", u, lang, resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		return ""
	}
	return b
}

var (
	navRE  = regexp.MustCompile(`<nav class="side"[\s\S]*?</nav>`)
	hrefRE = regexp.MustCompile(`href="(/[^"#?]*)`)
	idRE   = regexp.MustCompile(`^[0-9a-f]{8}-|[0-9]`)
)

// linksOf lists the page's own links (the side menu's only with nav).
func linksOf(page string, nav bool) []string {
	var out []string
	seen := map[string]bool{}
	if nav {
		page = navRE.FindString(page)
	} else {
		page = navRE.ReplaceAllString(page, "")
	}
	for _, m := range hrefRE.FindAllStringSubmatch(page, -1) {
		p := html.UnescapeString(m[1])
		if strings.HasPrefix(p, "/assets/") || strings.HasPrefix(p, "/api/") || p == "/logout" || strings.Contains(p, ".") ||
			strings.Contains(p, "download") || strings.Contains(p, "export") || seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
	}
	return out
}

// pageKind is the path with its item IDs replaced, so one page of each kind is walked.
func pageKind(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if idRE.MatchString(s) || len(s) > 24 {
			parts[i] = "*"
		}
	}
	return strings.Join(parts, "/")
}

var (
	scriptRE = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<code.*?</code>|<pre.*?</pre>|<!--.*?-->`)
	tagRE    = regexp.MustCompile(`<[^>]*>`)
	chartRE  = regexp.MustCompile(`data-chart="([^"]*)"`)
	attrRE   = regexp.MustCompile(`\s(?:placeholder|title|aria-label|alt)="([^"]*)"`)
)

// visibleTexts returns the text nodes and the user-visible attribute values
// of a page, trimmed.
func visibleTexts(page string) map[string]bool {
	out := map[string]bool{}
	if i := strings.Index(page, "<body"); i >= 0 {
		page = page[i:]
	}
	page = scriptRE.ReplaceAllString(page, "<x>")
	// Chart legends and axis labels travel as JSON in data-chart.
	for _, m := range chartRE.FindAllStringSubmatch(page, -1) {
		var spec struct {
			Labels []string `json:"labels"`
			Series []struct {
				Label string `json:"label"`
			} `json:"series"`
		}
		if json.Unmarshal([]byte(html.UnescapeString(m[1])), &spec) == nil {
			for _, l := range spec.Labels {
				out[l] = true
			}
			for _, sr := range spec.Series {
				out[sr.Label] = true
			}
		}
	}
	for _, m := range attrRE.FindAllStringSubmatch(page, -1) {
		// Attributes may show input syntax (given_name=Marko): marked so
		// that field names there are not reported.
		if s := strings.TrimSpace(html.UnescapeString(m[1])); s != "" {
			out[attrMark+s] = true
		}
	}
	for _, s := range tagRE.Split(page, -1) {
		if s = strings.Join(strings.Fields(html.UnescapeString(s)), " "); s != "" {
			out[s] = true
		}
	}
	return out
}

var (
	segmentRE   = regexp.MustCompile(` · |: | — | → `)
	auditCodeRE = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$`)
	// auditDetailRE matches recorded details such as "country=XK type=".
	auditDetailRE = regexp.MustCompile(`^[a-z_]+=\S*( [a-z_]+=\S*)*$`)
	// auditObjectRE matches recorded objects such as directory/country/XK.
	auditObjectRE = regexp.MustCompile(`^[a-z][a-z0-9_.-]*(/[A-Za-z0-9_.:-]+)+$`)
	keyLikeRE     = regexp.MustCompile(`\b[a-z]+(?:\.[a-z0-9_]+)+\b`)
	fieldLikeRE   = regexp.MustCompile(`(?:^|[\s(:])([a-z]+(?:_[a-z0-9]+)+)(?:$|[\s),:;.])`)
)

const attrMark = "\x00"

// rawKey returns a catalogue key or snake_case field name shown as text.
func rawKey(cat *i18n.Catalog, tx string) string {
	tx, attr := strings.CutPrefix(tx, attrMark)
	for _, m := range keyLikeRE.FindAllString(tx, -1) {
		if cat.T("en", m) != m {
			return m
		}
	}
	if m := fieldLikeRE.FindStringSubmatch(tx); m != nil && !attr {
		return m[1]
	}
	return ""
}

// hasWord: a text worth comparing has a word of four letters or more.
func hasWord(tx string) bool {
	n := 0
	for _, r := range tx {
		if unicode.IsLetter(r) {
			n++
			if n >= 4 {
				return true
			}
		} else {
			n = 0
		}
	}
	return false
}

// catalogueHas reports whether some message of lang is (or contains) the
// text, so words that are the same in both languages (Status, Admin) pass.
func catalogueHas(cat *i18n.Catalog, lang, tx string) bool {
	if catValues == nil {
		catValues = map[string][]string{}
		keys := cat.Keys()
		for _, l := range i18n.Languages {
			for _, k := range keys {
				if v, ok := cat.Lookup(l.Code, k); ok {
					catValues[l.Code] = append(catValues[l.Code], v)
				}
			}
		}
	}
	// "— Malta (MT)": a name with its code is checked as the name.
	tx = strings.TrimPrefix(codeSuffixRE.ReplaceAllString(tx, ""), "— ")
	for _, v := range catValues[lang] {
		if strings.Contains(v, tx) {
			return true
		}
	}
	return false
}

var (
	catValues    map[string][]string
	codeSuffixRE = regexp.MustCompile(`\s*\([A-Z0-9-]{2,}\)$`)
)

// latinWord returns a Latin-script word of tx that is not an acronym, code
// or product name.
func latinWord(tx string, data map[string]bool) string {
	for _, w := range strings.FieldsFunc(tx, notWordRune) {
		if !data[w] && !i18n.KeptInCyrillic(w) && hasLatinRune(w) {
			return w
		}
	}
	return ""
}

func notWordRune(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

func hasLatinRune(w string) bool {
	for _, r := range w {
		if unicode.Is(unicode.Latin, r) {
			return true
		}
	}
	return false
}

func quote(s string) string {
	if r := []rune(s); len(r) > 100 {
		s = string(r[:100]) + "…"
	}
	return `"` + s + `"`
}

// TestTranslatedErrorMessages: error pages and form errors show the
// message in the user's language when the catalogue has it.
func TestTranslatedErrorMessages(t *testing.T) {
	n := testutil.Start(t, testutil.Options{})
	n.AddUser(t, "officer1", auth.RoleOfficer)
	c := testutil.Client()
	login(t, c, n.URL, "officer1")
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, key string }{{"/no-such-page", "err.notfound"}, {"/admin/users", "err.forbidden"}} {
		for _, l := range i18n.Languages {
			req, _ := http.NewRequest(http.MethodGet, n.URL+tc.path, nil)
			req.AddCookie(&http.Cookie{Name: "liaison_lang", Value: l.Code})
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if b := body(t, resp); !strings.Contains(b, html.EscapeString(cat.T(l.Code, tc.key))) {
				t.Errorf("%s [%s]: %d, no %q", tc.path, l.Code, resp.StatusCode, cat.T(l.Code, tc.key))
			}
		}
	}
}

// TestTranslatedFormattedErrors: a domain error with arguments ("a user
// named "ana" already exists") reaches the form in the user's language with
// its argument kept.
func TestTranslatedFormattedErrors(t *testing.T) {
	n := testutil.Start(t, testutil.Options{})
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range i18n.Languages {
		c := testutil.Client()
		csrf := login(t, c, n.URL, "admin")
		req, _ := http.NewRequest(http.MethodPost, n.URL+"/admin/users", strings.NewReader(url.Values{"csrf_token": {csrf}, "username": {"admin"}, "display_name": {"A"},
			"agency": {"rs-mup"}, "roles": {"officer"}, "password": {"a long enough passphrase"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "liaison_lang", Value: l.Code})
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		req, _ = http.NewRequest(http.MethodGet, n.URL+resp.Header.Get("Location"), nil)
		req.AddCookie(&http.Cookie{Name: "liaison_lang", Value: l.Code})
		resp, err = c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		want := html.EscapeString(sentenceOf(fmt.Sprintf(cat.T(l.Code, "err.auth.user-named-already-exists"), "admin")))
		if b := body(t, resp); !strings.Contains(b, want) {
			t.Errorf("[%s] the page lacks %q", l.Code, want)
		}
	}
}

// sentenceOf is how the UI shows a message: capital first letter, full stop.
func sentenceOf(msg string) string {
	r := []rune(msg)
	return strings.ToUpper(string(r[0])) + string(r[1:]) + "."
}
