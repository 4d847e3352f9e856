package web_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// api sends a JSON request with a bearer token (or none).
func api(t *testing.T, method, u, token, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := testutil.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// postLogin posts the login form, claiming to come from addr through the
// node's trusted proxy (when addr is not empty).
func postLogin(c *http.Client, base, user, password, addr string) (int, string, http.Header, error) {
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(url.Values{"username": {user}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if addr != "" {
		req.Header.Set("X-Forwarded-For", addr)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b), resp.Header, nil
}

func countAudit(t *testing.T, n *testutil.Node, object, detailPrefix string) int {
	t.Helper()
	var c int
	if err := n.Store.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login' AND object = ? AND detail LIKE ?`, object, detailPrefix+"%").Scan(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// burst sends one login per password at the same moment, each from its own
// address, and returns how many logged in.
func burst(t *testing.T, base, user string, passwords []string) int {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	start := make(chan struct{})
	ok := 0
	for i, p := range passwords {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := testutil.Client()
			<-start
			status, _, _, err := postLogin(c, base, user, p, fmt.Sprintf("198.51.100.%d", i+1))
			if err != nil {
				t.Error(err)
				return
			}
			if status == http.StatusSeeOther {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	return ok
}

// Parallel guesses from many addresses cannot check more passwords than the
// account's limit, and once it is reached the right password among 40
// parallel guesses does not log in.
func TestParallelLoginGuessesCannotBypassLockout(t *testing.T) {
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			n := testutil.Start(t, testutil.Options{Store: be.Options(t), Config: func(c *config.Config) { c.TrustedProxies = "127.0.0.1" }})
			n.AddUser(t, "target", auth.RoleOfficer)
			wrong := make([]string, 40)
			for i := range wrong {
				wrong[i] = fmt.Sprintf("wrong password %02d", i)
			}
			if got := burst(t, n.URL, "target", wrong); got != 0 {
				t.Fatalf("%d wrong guesses logged in", got)
			}
			max := auth.DefaultSettings().MaxFailedLogins
			if checked := countAudit(t, n, "user/target", "wrong password"); checked > max {
				t.Fatalf("%d passwords checked in parallel, the limit is %d", checked, max)
			}
			withRight := append([]string(nil), wrong...)
			withRight[17] = testutil.Password
			if got := burst(t, n.URL, "target", withRight); got != 0 {
				t.Fatalf("the right password among parallel guesses logged in after the lock (%d)", got)
			}
			if checked := countAudit(t, n, "user/target", "wrong password"); checked > max {
				t.Fatalf("%d passwords checked, the limit is %d", checked, max)
			}
		})
	}
}

// 60 simultaneous failures from one address check no more passwords than
// the per-address limit, and refusals say when to retry.
func TestParallelFailuresFromOneAddress(t *testing.T) {
	n := testutil.Start(t, testutil.Options{})
	var wg sync.WaitGroup
	start := make(chan struct{})
	var mu sync.Mutex
	limited, noRetry := 0, 0
	for i := 0; i < 60; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			status, _, h, err := postLogin(testutil.Client(), n.URL, fmt.Sprintf("nobody%02d", i), "not the password at all", "")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if status == http.StatusTooManyRequests {
				limited++
				if h.Get("Retry-After") == "" {
					noRetry++
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	var checked int
	n.Store.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login' AND detail LIKE 'unknown user from %'`).Scan(&checked)
	if checked > auth.DefaultSettings().MaxFailuresPerIP {
		t.Fatalf("%d logins checked from one address, the limit is %d", checked, auth.DefaultSettings().MaxFailuresPerIP)
	}
	if limited == 0 || noRetry > 0 {
		t.Fatalf("limited %d, without Retry-After %d", limited, noRetry)
	}
}

// A locked account answers exactly like an unknown one.
func TestLockedAndUnknownAccountsAnswerAlike(t *testing.T) {
	n := testutil.Start(t, testutil.Options{})
	n.AddUser(t, "locked1", auth.RoleOfficer)
	c := testutil.Client()
	for i := 0; i < auth.DefaultSettings().MaxFailedLogins; i++ {
		postLogin(c, n.URL, "locked1", "not the password!", "")
	}
	var lockedDur, unknownDur time.Duration
	var lockedBody, unknownBody string
	var lockedStatus, unknownStatus int
	for i := 0; i < 3; i++ {
		t0 := time.Now()
		lockedStatus, lockedBody, _, _ = postLogin(c, n.URL, "locked1", testutil.Password, "")
		lockedDur += time.Since(t0)
		t0 = time.Now()
		unknownStatus, unknownBody, _, _ = postLogin(c, n.URL, "unknown1", testutil.Password, "")
		unknownDur += time.Since(t0)
	}
	if lockedStatus != unknownStatus || strings.ReplaceAll(lockedBody, "locked1", "X") != strings.ReplaceAll(unknownBody, "unknown1", "X") {
		t.Fatalf("locked %d and unknown %d answers differ", lockedStatus, unknownStatus)
	}
	// Both run one password hash; the locked answer is not instant.
	if lockedDur*4 < unknownDur {
		t.Fatalf("locked account answered in %v, unknown in %v", lockedDur/3, unknownDur/3)
	}
}

func TestRedirectsStayOnSite(t *testing.T) {
	n := testutil.Start(t, testutil.Options{})
	n.AddUser(t, "walker", auth.RoleOfficer)
	c := testutil.Client()
	for _, next := range []string{"/%09/evil.example", "/\t/evil.example", "//evil.example", "/\\evil.example", "https://evil.example/"} {
		resp, err := c.PostForm(n.URL+"/login", url.Values{"username": {"walker"}, "password": {testutil.Password}, "next": {next}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/" {
			t.Errorf("login next=%q: %d %q", next, resp.StatusCode, loc)
		}
	}
	for _, tc := range []struct{ back, referer string }{
		{"/%09/127.0.0.2:8999/", ""}, {"/%5C%5Cevil.example", ""},
		{"", "https://attacker.example//evil.example/path"}, {"", "https://attacker.example/exchange"},
	} {
		req, _ := http.NewRequest("GET", n.URL+"/lang?l=sq&back="+url.QueryEscape(tc.back), nil)
		if tc.referer != "" {
			req.Header.Set("Referer", tc.referer)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); loc != "/" {
			t.Errorf("/lang back=%q referer=%q → %q", tc.back, tc.referer, loc)
		}
	}
	req, _ := http.NewRequest("GET", n.URL+"/lang?l=en", nil)
	req.Header.Set("Referer", n.URL+"/exchange")
	resp, _ := c.Do(req)
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "/exchange" {
		t.Errorf("same-site Referer → %q", loc)
	}
}

// Tokens have scopes, cannot manage the account and die with a password
// change; the second factor needs the password (and a code) to change.
func TestTokensAndSecondFactorNeedASession(t *testing.T) {
	n := testutil.Start(t, testutil.Options{})
	full := n.AddUser(t, "holder", auth.RoleOfficer)
	ctx := context.Background()
	sess, err := n.Auth.Login(ctx, auth.LoginInput{Username: "holder", Password: testutil.Password})
	if err != nil {
		t.Fatal(err)
	}
	_, readOnly, err := n.Auth.CreateToken(ctx, sess.Principal, "reader", nil)
	if err != nil {
		t.Fatal(err)
	}
	// A token cannot create tokens (which would outlive it) nor use account pages.
	if p := problem(t, api(t, "POST", n.URL+"/api/v1/tokens", full, `{"name":"child"}`)); p.Status != 403 || !strings.HasSuffix(p.Type, "session-required") {
		t.Fatalf("token creating a token: %+v", p)
	}
	for _, path := range []string{"/account/totp/begin", "/account/totp/disable", "/account/password", "/account/tokens"} {
		req, _ := http.NewRequest("POST", n.URL+path, strings.NewReader("current="+url.QueryEscape(testutil.Password)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+full)
		resp, _ := testutil.Client().Do(req)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("token on %s: %d", path, resp.StatusCode)
		}
	}
	// Read-only scope: GET yes, POST no.
	if resp := api(t, "GET", n.URL+"/api/v1/me", readOnly, ""); resp.StatusCode != 200 {
		t.Fatalf("read-only GET: %d", resp.StatusCode)
	}
	if p := problem(t, api(t, "POST", n.URL+"/api/v1/federation/notices", readOnly, `{"to":"xx","subject":"s","text":"t"}`)); p.Status != 403 || !strings.HasSuffix(p.Type, "token-scope") {
		t.Fatalf("read-only POST: %+v", p)
	}
	// Second factor through the session: the password is required.
	c := testutil.Client()
	csrf := login(t, c, n.URL, "holder")
	follow := func(resp *http.Response) (*http.Response, string) {
		t.Helper()
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST answered %d, want a redirect", resp.StatusCode)
		}
		loc := resp.Header.Get("Location")
		resp, _ = c.Get(n.URL + loc)
		return resp, loc
	}
	resp, _ := c.PostForm(n.URL+"/account/password", url.Values{"csrf_token": {csrf}, "current": {"not my password"}, "new": {"a new and longer passphrase"}})
	resp, _ = follow(resp)
	if b := body(t, resp); !strings.Contains(b, `id="current-err"`) {
		t.Fatalf("a wrong current password is not marked: %s", b)
	}
	resp, _ = c.PostForm(n.URL+"/account/totp/begin", url.Values{"csrf_token": {csrf}})
	resp, _ = follow(resp)
	if b := body(t, resp); !strings.Contains(b, "The current password is wrong.") || !strings.Contains(b, `id="totp-current-err"`) {
		t.Fatalf("TOTP begin without password does not mark the field: %s", b)
	}
	resp, _ = c.PostForm(n.URL+"/account/totp/begin", url.Values{"csrf_token": {csrf}, "current": {testutil.Password}})
	resp, loc := follow(resp)
	if b := body(t, resp); !strings.Contains(b, "otpauth://") || strings.Contains(loc, "otpauth") {
		t.Fatalf("TOTP begin with password: %q", loc)
	}
	// A wrong confirmation code keeps the secret on the page and marks the code.
	resp, _ = c.PostForm(n.URL+"/account/totp/confirm", url.Values{"csrf_token": {csrf}, "code": {"000000"}, "shown": {strings.TrimPrefix(loc, "/account?shown=")}})
	resp, _ = follow(resp)
	if b := body(t, resp); !strings.Contains(b, "otpauth://") || !strings.Contains(b, `id="code-err"`) {
		t.Fatalf("TOTP confirm with a wrong code: %s", b)
	}
	// A password change revokes every token.
	resp, _ = c.PostForm(n.URL+"/account/password", url.Values{"csrf_token": {csrf}, "current": {testutil.Password}, "new": {"a new and longer passphrase"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("password change: %d", resp.StatusCode)
	}
	for _, tok := range []string{full, readOnly} {
		if resp := api(t, "GET", n.URL+"/api/v1/me", tok, ""); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("token after password change: %d", resp.StatusCode)
		}
	}
}

func TestRoleSeparationAndWeakPasswordsThroughTheAPI(t *testing.T) {
	n := testutil.Start(t, testutil.Options{})
	c := testutil.Client()
	csrf := login(t, c, n.URL, "admin")
	post := func(body string) *http.Response {
		req, _ := http.NewRequest("POST", n.URL+"/api/v1/users", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", csrf)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	user := func(name, roles, pw string) string {
		return fmt.Sprintf(`{"username":%q,"display_name":"X","agency":"rs-agency","roles":[%s],"password":%q}`, name, roles, pw)
	}
	if p := problem(t, post(user("both1", `"admin","auditor"`, "a fine long passphrase"))); p.Status != 400 || !strings.HasSuffix(p.Type, "role-separation") {
		t.Fatalf("admin+auditor: %+v", p)
	}
	if p := problem(t, post(user("aud1", `"auditor"`, "a fine long passphrase"))); p.Status != 403 || !strings.HasSuffix(p.Type, "role-separation") {
		t.Fatalf("admin granting auditor: %+v", p)
	}
	for _, pw := range []string{"aaaaaaaaaaaaaa", "              ", "weakling.user", "password123456", "qwertyuiopasdf"} {
		if p := problem(t, post(user("weakling.user", `"officer"`, pw))); p.Status != 400 {
			t.Fatalf("weak password %q: %+v", pw, p)
		}
	}
	if resp := post(user("demo.like", `"officer"`, "liaison-demo-2026")); resp.StatusCode != http.StatusCreated {
		t.Fatalf("demo password refused: %d %s", resp.StatusCode, body(t, resp))
	}
}

func TestOutboxStatusOnlyForAuthorAgencyAndNCU(t *testing.T) {
	n := testutil.Start(t, testutil.Options{})
	ctx := context.Background()
	key := make([]byte, 32)
	rand.Read(key)
	if err := n.Fed.AddPeer(ctx, nil, federation.Peer{ID: "xx", Name: "Nowhere", URL: "https://127.0.0.1:1", PublicKey: n.Identity.PublicString(), CertSHA256: hex.EncodeToString(key)}); err != nil {
		t.Fatal(err)
	}
	author := n.AddUser(t, "author1", auth.RoleOfficer)
	_, err := n.Auth.CreateUser(ctx, nil, auth.NewUser{Username: "other1", DisplayName: "o", Agency: "other-agency", Roles: []auth.Role{auth.RoleOfficer, auth.RoleAdmin}, Password: testutil.Password})
	if err != nil {
		t.Fatal(err)
	}
	sess, _ := n.Auth.Login(ctx, auth.LoginInput{Username: "other1", Password: testutil.Password})
	_, other, _ := n.Auth.CreateToken(ctx, sess.Principal, "t", []string{auth.ScopeAll})
	ncu := n.AddUser(t, "ncu1", auth.RoleNCUOperator)
	resp := api(t, "POST", n.URL+"/api/v1/federation/notices", author, `{"to":"xx","subject":"s","text":"t"}`)
	var sent struct {
		ID string `json:"id"`
	}
	json.Unmarshal([]byte(body(t, resp)), &sent)
	if sent.ID == "" {
		t.Fatalf("notice not sent: %d", resp.StatusCode)
	}
	for tok, want := range map[string]int{author: 200, ncu: 200, other: 404} {
		if resp := api(t, "GET", n.URL+"/api/v1/federation/outbox/"+sent.ID, tok, ""); resp.StatusCode != want {
			t.Errorf("outbox read: %d, want %d", resp.StatusCode, want)
		}
	}
	var reads int
	n.Store.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'federation.outbox.view'`).Scan(&reads)
	if reads != 3 {
		t.Fatalf("%d outbox reads audited, want 3", reads)
	}
}

// Bad input is refused by the one validation layer, naming the field.
func TestAPIBodyValidationNamesTheField(t *testing.T) {
	n := testutil.Start(t, testutil.Options{})
	tok := n.AddUser(t, "val1", auth.RoleOfficer)
	long := strings.Repeat("N", 900*1024)
	for _, tc := range []struct{ path, body, loc string }{
		{"/api/v1/cases/entities", `{"kind":"person","kind":"vehicle","fields":{"family_name":"A"}}`, "body.kind"},
		{"/api/v1/cases/entities", `{"kind":"person","fields":{"family_name":"A\u0000B"}}`, "body.fields.family_name"},
		{"/api/v1/cases/entities", "{\"kind\":\"person\",\"fields\":{\"family_name\":\"A\xff\xfeB\"}}", "body.fields.family_name"},
		{"/api/v1/cases/entities", `{"kind":"person","fields":{"family_name":"A","date_of_birth":"1980-02-31"}}`, "body.fields.date_of_birth"},
		{"/api/v1/cases/entities", `{"kind":"person","fields":{"family_name":"A","date_of_birth":"1980-13-45"}}`, "body.fields.date_of_birth"},
		{"/api/v1/cases/entities", `{"kind":"person","fields":{"family_name":"` + long[:2000] + `"}}`, "body.fields.family_name"},
		{"/api/v1/jit/none/evidence", `{"title":"t","content_type":"text/plain\r\nX-Injected: 1","sha256":"00"}`, "body.content_type"},
	} {
		resp := api(t, "POST", n.URL+tc.path, tok, tc.body)
		p := problem(t, resp)
		if p.Status != 400 || len(p.Errors) == 0 || p.Errors[0].Location != tc.loc {
			t.Errorf("%s %.60q: %+v", tc.path, tc.body, p)
		}
	}
}

func TestMetricsNeedTokenOrOwnAddress(t *testing.T) {
	n := testutil.Start(t, testutil.Options{})
	if resp, _ := http.Get(n.URL + "/metrics"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("metrics without configuration: %d", resp.StatusCode)
	}
	const secret = "metrics-secret-0123456789"
	n = testutil.Start(t, testutil.Options{Config: func(c *config.Config) { c.MetricsToken = secret }})
	if resp, _ := http.Get(n.URL + "/metrics"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("metrics without token: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", n.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	if resp, _ := http.DefaultClient.Do(req); resp.StatusCode != 200 || !strings.Contains(body(t, resp), "liaison_db_open_connections") {
		t.Fatalf("metrics with token: %d", resp.StatusCode)
	}
	n = testutil.Start(t, testutil.Options{Config: func(c *config.Config) { c.MetricsAddr = "127.0.0.1:0"; c.MetricsToken = secret }})
	if resp, _ := http.DefaultClient.Do(req); resp == nil {
		t.Fatal("no answer")
	}
	req, _ = http.NewRequest("GET", n.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	if resp, _ := http.DefaultClient.Do(req); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("metrics on the main address with a metrics address: %d", resp.StatusCode)
	}
	if resp, err := http.Get(n.MetricsURL()); err != nil || resp.StatusCode != 200 || !strings.Contains(body(t, resp), "liaison_http_requests_total") {
		t.Fatalf("metrics address: %v", err)
	}
}

// Behind a trusted proxy the per-address limit applies to the real client,
// and HSTS follows the original scheme.
func TestTrustedProxy(t *testing.T) {
	n := testutil.Start(t, testutil.Options{Config: func(c *config.Config) { c.TrustedProxies = "127.0.0.0/8" }})
	n.AddUser(t, "behind", auth.RoleOfficer)
	c := testutil.Client()
	for i := 0; i < auth.DefaultSettings().MaxFailuresPerIP; i++ {
		postLogin(c, n.URL, fmt.Sprintf("nobody%d", i), "not the password at all", "203.0.113.9")
	}
	if status, _, _, _ := postLogin(c, n.URL, "nobody", "not the password at all", "203.0.113.9"); status != http.StatusTooManyRequests {
		t.Fatalf("attacker not limited: %d", status)
	}
	if status, _, _, _ := postLogin(c, n.URL, "behind", testutil.Password, "203.0.113.10, 127.0.0.1"); status != http.StatusSeeOther {
		t.Fatalf("another client behind the same proxy locked out: %d", status)
	}
	req, _ := http.NewRequest("GET", n.URL+"/login", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, _ := c.Do(req)
	resp.Body.Close()
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Fatal("no HSTS for an HTTPS client behind the proxy")
	}
	// Without trust the headers are ignored.
	m := testutil.Start(t, testutil.Options{NodeID: "al"})
	req, _ = http.NewRequest("GET", m.URL+"/login", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, _ = c.Do(req)
	resp.Body.Close()
	if resp.Header.Get("Strict-Transport-Security") != "" {
		t.Fatal("HSTS from an untrusted X-Forwarded-Proto")
	}
}

func TestCrossOriginProblemAndHugeChunkedInbox(t *testing.T) {
	n := testutil.Start(t, testutil.Options{Config: func(c *config.Config) { c.InsecureFederation = true }})
	req, _ := http.NewRequest("POST", n.URL+"/api/v1/tokens", strings.NewReader(`{"name":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if p := problem(t, resp); p.Status != 403 || !strings.HasSuffix(p.Type, "cross-origin") {
		t.Fatalf("cross-origin: %+v", p)
	}
	pr, pw := io.Pipe()
	go func() {
		chunk := make([]byte, 1<<20)
		for i := 0; i < 50; i++ {
			if _, err := pw.Write(chunk); err != nil {
				return
			}
		}
		pw.Close()
	}()
	req, _ = http.NewRequest("POST", n.URL+federation.InboxPath, pr)
	req.ContentLength = -1 // chunked
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	pr.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("50 MB chunked delivery: %d", resp.StatusCode)
	}
}
