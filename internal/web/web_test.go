package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
	"github.com/liaison-wb/liaison/internal/web"
)

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func problem(t *testing.T, resp *http.Response) web.Problem {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json", ct)
	}
	var p web.Problem
	if err := json.Unmarshal([]byte(body(t, resp)), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// login logs in through the form and returns the CSRF token of the dashboard.
func login(t *testing.T, c *http.Client, base, user string) string {
	t.Helper()
	resp, err := c.PostForm(base+"/login", url.Values{"username": {user}, "password": {testutil.Password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login status %d", resp.StatusCode)
	}
	resp, _ = c.Get(base + "/")
	m := csrfRE.FindStringSubmatch(body(t, resp))
	if m == nil {
		t.Fatal("no CSRF token on the dashboard")
	}
	return m[1]
}

func TestBrowserFlowsAndBadInput(t *testing.T) {
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			clk := clock.NewFake(time.Now())
			n := testutil.Start(t, testutil.Options{Store: be.Options(t), Clock: clk})
			n.AddUser(t, "officer1", auth.RoleOfficer)
			c := testutil.Client()

			// Wrong password: the form again with a clear message.
			resp, _ := c.PostForm(n.URL+"/login", url.Values{"username": {"officer1"}, "password": {"nope nope nope"}})
			if b := body(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(strings.ToLower(b), "wrong username or password") {
				t.Fatalf("wrong password: %d", resp.StatusCode)
			}
			// Anonymous dashboard → login.
			resp, _ = c.Get(n.URL + "/")
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
				t.Fatalf("anonymous dashboard: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			csrf := login(t, c, n.URL, "officer1")
			cookies := c.Jar.Cookies(mustURL(n.URL))
			if len(cookies) != 1 || cookies[0].Name != "liaison_session_rs" {
				t.Fatalf("cookies %v", cookies)
			}
			// Set-Cookie flags.
			resp, _ = c.PostForm(n.URL+"/login", url.Values{"username": {"officer1"}, "password": {testutil.Password}})
			resp.Body.Close()
			sc := resp.Header.Get("Set-Cookie")
			for _, flag := range []string{"HttpOnly", "Secure", "SameSite=Lax"} {
				if !strings.Contains(sc, flag) {
					t.Errorf("session cookie lacks %s: %s", flag, sc)
				}
			}
			csrf = login(t, c, n.URL, "officer1")

			// State change without CSRF token: refused with a readable page.
			resp, _ = c.PostForm(n.URL+"/account/tokens", url.Values{"name": {"x"}})
			if b := body(t, resp); resp.StatusCode != http.StatusForbidden || !strings.Contains(b, "did not come from this site") {
				t.Fatalf("missing CSRF: %d", resp.StatusCode)
			}
			// With the token it works.
			// POST/redirect/GET: the token is shown once on the account page,
			// never in an address, and a reload no longer shows it.
			resp, _ = c.PostForm(n.URL+"/account/tokens", url.Values{"name": {"export"}, "csrf_token": {csrf}})
			resp.Body.Close()
			shown := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(shown, "/account?shown=") || strings.Contains(shown, auth.TokenPrefix) {
				t.Fatalf("token create: %d %q", resp.StatusCode, shown)
			}
			resp, _ = c.Get(n.URL + shown)
			if b := body(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(b, auth.TokenPrefix) {
				t.Fatalf("token page: %d", resp.StatusCode)
			}
			resp, _ = c.Get(n.URL + shown)
			if b := body(t, resp); strings.Contains(b, auth.TokenPrefix) {
				t.Fatal("the token is shown again on reload")
			}
			// Cross-site form post is refused by origin checks even with a token.
			req, _ := http.NewRequest("POST", n.URL+"/account/tokens", strings.NewReader(url.Values{"name": {"x"}, "csrf_token": {csrf}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			resp, _ = c.Do(req)
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("cross-site post: %d", resp.StatusCode)
			}
			// Officer may not open user admin: readable 403 page.
			resp, _ = c.Get(n.URL + "/admin/users")
			if b := body(t, resp); resp.StatusCode != http.StatusForbidden || !strings.Contains(b, "your role does not allow") {
				t.Fatalf("forbidden page: %d", resp.StatusCode)
			}
			// Session expires after the idle timeout.
			clk.Advance(9 * time.Hour)
			resp, _ = c.Get(n.URL + "/account")
			resp.Body.Close()
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "expired=1") {
				t.Fatalf("expired session: %d %s", resp.StatusCode, loc)
			}
			resp, _ = c.Get(n.URL + "/login?expired=1")
			if b := body(t, resp); !strings.Contains(b, "session has expired") {
				t.Fatal("expired message missing")
			}
		})
	}
}

func TestAPIBadInput(t *testing.T) {
	n := testutil.Start(t, testutil.Options{Config: func(c *config.Config) { c.MaxBodyBytes = 4096 }})
	admin := n.AddUser(t, "admin2", auth.RoleAdmin)
	// Accounts are managed with a login session (API tokens cannot).
	sess := testutil.Client()
	csrf := login(t, sess, n.URL, "admin2")
	const session = "session"
	do := func(method, path, token, body string) *http.Response {
		req, _ := http.NewRequest(method, n.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		c := testutil.Client()
		switch token {
		case "":
		case session:
			c = sess
			req.Header.Set("X-CSRF-Token", csrf)
		default:
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	cases := []struct {
		name, method, path, token, body string
		status                          int
		typ                             string
	}{
		{"no credentials", "GET", "/api/v1/users", "", "", 401, "unauthenticated"},
		{"bad token", "GET", "/api/v1/users", "lia_forged", "", 401, "bad-token"},
		{"malformed json", "POST", "/api/v1/users", session, `{"username": "x",`, 400, "invalid"},
		{"validation", "POST", "/api/v1/users", session, `{"username":"ab","display_name":"","agency":"rs","roles":[],"password":"short"}`, 422, "validation"},
		{"unknown role", "POST", "/api/v1/users", session, `{"username":"abc","display_name":"A","agency":"rs","roles":["boss"],"password":"long enough password"}`, 400, "invalid"},
		{"too large", "POST", "/api/v1/users", session, `{"username":"` + strings.Repeat("a", 5000) + `"}`, 413, "too-large"},
		{"unknown route", "GET", "/api/v1/nothing-here", admin, "", 404, "not-found"},
		{"missing proof", "GET", "/api/v1/audit/entries/99999/proof", admin, "", 404, "not-found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := do(tc.method, tc.path, tc.token, tc.body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body(t, resp))
			}
			p := problem(t, resp)
			if p.Type != web.ProblemTypePrefix+tc.typ || p.Status != tc.status || p.Title == "" {
				t.Fatalf("problem %+v, want type %s", p, tc.typ)
			}
		})
	}
	// A created user appears, duplicates conflict.
	good := `{"username":"mira","display_name":"Mira","agency":"rs-mup","roles":["analyst"],"password":"long enough password"}`
	if resp := do("POST", "/api/v1/users", session, good); resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, body(t, resp))
	}
	if p := problem(t, do("POST", "/api/v1/users", session, good)); p.Status != 409 || !strings.Contains(p.Detail, "already exists") {
		t.Fatalf("duplicate: %+v", p)
	}
}

func TestHealthMetricsHeadersAndOpenAPI(t *testing.T) {
	const metricsToken = "metrics-token-for-tests"
	n := testutil.Start(t, testutil.Options{Config: func(c *config.Config) { c.MetricsToken = metricsToken }})
	c := testutil.Client()
	c.Transport = bearerTransport{metricsToken}
	// In this order: /metrics lists request counters only once a request
	// has been counted.
	for _, tc := range []struct{ path, want string }{{"/healthz", "ok"}, {"/readyz", "ready"}, {"/metrics", "liaison_db_open_connections"}} {
		path, want := tc.path, tc.want
		resp, err := c.Get(n.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		if b := body(t, resp); resp.StatusCode != 200 || !strings.Contains(b, want) {
			t.Errorf("%s: %d %q", path, resp.StatusCode, b[:min(len(b), 200)])
		}
	}
	// The counter of a request is updated just after its response is sent,
	// so give the server a moment before concluding it is missing.
	var metrics string
	for i := 0; i < 40; i++ {
		resp, _ := c.Get(n.URL + "/metrics")
		if metrics = body(t, resp); strings.Contains(metrics, `route="GET /healthz"`) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(metrics, `route="GET /healthz"`) || !strings.Contains(metrics, "liaison_db_open_connections") {
		t.Error("metrics lack per-route counts or DB pool stats")
	}
	c = testutil.Client()
	var resp *http.Response
	resp, _ = c.Get(n.URL + "/login")
	resp.Body.Close()
	h := resp.Header
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("nosniff missing")
	}
	resp, _ = c.Get(n.URL + "/api/openapi.json")
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body(t, resp)), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi version %q", doc.OpenAPI)
	}
	for _, rt := range n.Web.Routes() {
		if rt.API && strings.HasPrefix(rt.Pattern, "/api/v1/") {
			if _, ok := doc.Paths[rt.Pattern][strings.ToLower(rt.Method)]; !ok {
				t.Errorf("%s %s missing from the OpenAPI document", rt.Method, rt.Pattern)
			}
		}
	}
	resp, _ = c.Get(n.URL + "/api/docs")
	if b := body(t, resp); !strings.Contains(b, "/api/v1/audit/checkpoint") {
		t.Error("docs page lacks operations")
	}
	resp, _ = c.Get(n.URL + "/no/such/page")
	if b := body(t, resp); resp.StatusCode != 404 || !strings.Contains(b, "does not exist") {
		t.Errorf("404 page: %d", resp.StatusCode)
	}
}

func TestAuditAPIProofVerifies(t *testing.T) {
	n := testutil.Start(t, testutil.Options{})
	tok := n.AddUser(t, "dpo", auth.RoleAuditor)
	c := testutil.Client()
	get := func(path string, v any) {
		req, _ := http.NewRequest("GET", n.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body(t, resp))
		}
		if err := json.Unmarshal([]byte(body(t, resp)), v); err != nil {
			t.Fatal(err)
		}
	}
	var entries []map[string]any
	get("/api/v1/audit/entries?actor=dpo&purpose=quarterly+review", &entries)
	if len(entries) == 0 {
		t.Fatal("login of dpo must be in the log")
	}
	var out web.ProofOutput
	get("/api/v1/audit/entries/1/proof", &out)
	if out.Checkpoint == nil {
		t.Fatal("no checkpoint with proof")
	}
	pub := n.Identity.Public()
	if !out.Checkpoint.VerifySignature(pub) {
		t.Fatal("checkpoint signature does not verify with the node key")
	}
	if err := verifyInclusion(out); err != nil {
		t.Fatal(err)
	}
	// Reading the log is itself logged, with the stated purpose.
	get("/api/v1/audit/entries?action=audit.list", &entries)
	if len(entries) == 0 || entries[len(entries)-1]["purpose"] != "quarterly review" {
		t.Fatalf("audit read not audited with purpose: %v", entries)
	}
}

func mustURL(s string) *url.URL {
	u, _ := url.Parse(s)
	return u
}

// bearerTransport sends a metrics bearer token on every request.
type bearerTransport struct{ token string }

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if r.URL.Path == "/metrics" {
		r.Header.Set("Authorization", "Bearer "+b.token)
	}
	return http.DefaultTransport.RoundTrip(r)
}
