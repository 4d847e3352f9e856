package web

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/i18n"
)

type pages struct {
	cat    *i18n.Catalog
	byName map[string]*template.Template
}

func parsePages(cat *i18n.Catalog) (*pages, error) {
	funcs := template.FuncMap{
		"fmtTime": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
		"seconds":    func(d time.Duration) int64 { return int64(d.Seconds()) },
		"upper":      strings.ToUpper,
		"urgentItem": func(summary string) bool { return strings.Contains(strings.ToLower(summary), "urgent") },
		"age": func(sec int64) string {
			d := time.Duration(sec) * time.Second
			switch {
			case d < time.Minute:
				return strconv.FormatInt(sec, 10) + " s"
			case d < time.Hour:
				return strconv.Itoa(int(d.Minutes())) + " min"
			case d < 48*time.Hour:
				return strconv.Itoa(int(d.Hours())) + " h"
			}
			return strconv.Itoa(int(d.Hours()/24)) + " d"
		},
		// pathEscape makes a value one path segment: a case reference such
		// as RS-KT-117/2026 keeps its slash inside the segment.
		"pathEscape": url.PathEscape,
		"short": func(b []byte) string {
			s := base64.StdEncoding.EncodeToString(b)
			if len(s) > 12 {
				return s[:12] + "…"
			}
			return s
		},
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{cat: cat, byName: map[string]*template.Template{}}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, err
		}
		p.byName[base] = t
	}
	return p, nil
}

type navItem struct {
	Key     string
	Href    string
	Enabled bool
	Action  auth.Action
	Count   int // work waiting behind the entry, shown as a badge
}

// navigation lists the modules; entries without a route yet are shown as
// planned so users see the whole tool from the first day.
var navigation = []navItem{
	{Key: "nav.dashboard", Href: "/", Enabled: true, Action: auth.ActDashboard},
	{Key: "nav.directory", Href: "/directory", Enabled: true, Action: auth.ActDirView},
	{Key: "nav.exchange", Href: "/exchange", Enabled: true, Action: auth.ActExchangeList}, {Key: "nav.cases", Href: "/cases", Enabled: true, Action: auth.ActCasesView}, {Key: "nav.jit", Href: "/jit", Enabled: true, Action: auth.ActJITView},
	{Key: "nav.mla", Href: "/mla", Enabled: true, Action: auth.ActMLAView}, {Key: "nav.assetrecovery", Href: "/asset-recovery", Enabled: true, Action: auth.ActARView},
	{Key: "nav.alerts", Href: "/alerts/check", Enabled: true, Action: auth.ActAlertsCheck},
	{Key: "nav.operations", Href: "/operations", Enabled: true, Action: auth.ActOpsView}, {Key: "nav.analysis", Href: "/analysis", Enabled: true, Action: auth.ActAnalysisView}, {Key: "nav.activities", Href: "/activities", Enabled: true, Action: auth.ActActivityView},
	{Key: "nav.notices", Href: "/federation/notices", Enabled: true, Action: auth.ActNoticeRead},
	{Key: "nav.ncu", Href: "/federation/queue", Enabled: true, Action: auth.ActNCUQueue},
	{Key: "nav.federation", Href: "/federation", Enabled: true, Action: auth.ActFederationView},
	{Key: "nav.users", Href: "/admin/users", Enabled: true, Action: auth.ActUserList},
	{Key: "nav.audit", Href: "/audit", Enabled: true, Action: auth.ActAuditList},
	{Key: "nav.account", Href: "/account", Enabled: true, Action: auth.ActAccountView},
	{Key: "nav.apidocs", Href: "/api/docs", Enabled: true, Action: auth.ActAPIDocs},
}

// pageData is what every template sees.
type pageData struct {
	Title    string
	Lang     string
	Langs    []i18n.Language
	P        *auth.Principal
	CSRF     string
	NodeID   string
	NodeName string
	Version  string
	Flash    string
	Error    string
	Active   string
	Nav      []navItem
	Data     any
	Back     string // path the language switcher returns to
	// Failed is the failed submit this page was redirected with (see
	// failForm): templates fill the form in again and mark its fields.
	Failed *formFailure
	cat    *i18n.Catalog
}

// T translates a catalogue key for the page's language.
func (d pageData) T(key string, args ...any) string { return d.cat.T(d.Lang, key, args...) }

// ActionWords says an audit action code in words: a phrase of its own
// ("auditact.auth.login"), else the module and the verb ("auditact.mod.jit" and
// "auditact.verb.view"), else the code itself.
func (d pageData) ActionWords(code string) string {
	if msg, ok := d.cat.Lookup(d.Lang, "auditact."+code); ok {
		return msg
	}
	parts := strings.Split(code, ".")
	mod, ok := d.cat.Lookup(d.Lang, "auditact.mod."+parts[0])
	if !ok || len(parts) < 2 {
		return code
	}
	verb, ok := d.cat.Lookup(d.Lang, "auditact.verb."+parts[len(parts)-1])
	if !ok {
		verb = strings.Join(parts[1:], " ")
	}
	return mod + ": " + verb
}

// TypeWords names a federation message type in words ("msgtype.<type>"),
// else shows the type.
func (d pageData) TypeWords(typ string) string {
	if msg, ok := d.cat.Lookup(d.Lang, "msgtype."+typ); ok {
		return msg
	}
	return typ
}

// L translates a code of a vocabulary, e.g. L "crime." "drugs", and shows
// the fallback (e.g. the stored English name), or else the code itself, when
// the vocabulary has no entry for it (free text).
func (d pageData) L(prefix string, code any, fallback ...string) string {
	c := fmt.Sprint(code)
	if _, ok := d.cat.Lookup(i18n.Default, prefix+c); !ok {
		if len(fallback) > 0 && fallback[0] != "" {
			return fallback[0]
		}
		return c
	}
	return d.T(prefix + c)
}

// Err shows a message a domain package returns in English (an error, a
// note) in the page's language when the errors catalogue has it.
func (d pageData) Err(msg string) string { return d.cat.TranslateError(d.Lang, msg) }

// Can reports whether the viewer's role allows an action, to show or hide controls.
func (d pageData) Can(action string) bool { return auth.Can(d.P, auth.Action(action)) }

func (s *Server) lang(r *http.Request) string {
	if c, err := r.Cookie("liaison_lang"); err == nil && s.d.Catalog.Has(c.Value) {
		return c.Value
	}
	return s.d.Catalog.Match(r.Header.Get("Accept-Language"))
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, titleKey, active string, data any, flash, errMsg string) {
	p := PrincipalFrom(r.Context())
	failed := s.failedForm(r)
	if errMsg == "" && failed != nil {
		errMsg = failed.Message
	}
	d := pageData{Lang: s.lang(r), Langs: i18n.Languages, P: p, NodeID: s.d.Node.ID, NodeName: s.d.Node.Name,
		Version: s.d.Version, Flash: flash, Error: sentence(s.errText(s.lang(r), errMsg)), Active: active, Data: data, Failed: failed, cat: s.d.Catalog}
	d.Title = d.T(titleKey)
	if r.Method == http.MethodGet {
		// Path only: queries may hold search terms that do not belong in logs.
		d.Back = r.URL.Path
	}
	if p != nil {
		d.CSRF = p.CSRFToken
		counts := s.badges(r.Context(), p)
		for _, n := range navigation {
			if !n.Enabled || auth.Can(p, n.Action) {
				n.Count = counts[n.Key]
				d.Nav = append(d.Nav, n)
			}
		}
	}
	t, ok := s.pages.byName[name]
	if !ok {
		http.Error(w, "template missing", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := t.ExecuteTemplate(w, "layout", d); err != nil {
		s.d.Logger.Error("render page", "page", name, "err", err)
	}
}

// uiError shows err as a page (or problem JSON under /api/), sending
// anonymous users to the login page.
func (s *Server) uiError(w http.ResponseWriter, r *http.Request, err error) {
	if isAPI(r) {
		writeProblem(w, problemFor(s.d.Logger, err, r.URL.Path))
		return
	}
	if errs.Is(err, errs.Unauthenticated) && r.Method == http.MethodGet {
		q := url.Values{}
		if r.URL.Path != "/" {
			q.Set("next", r.URL.RequestURI())
		}
		if r.Context().Value(expiredKey) != nil {
			q.Set("expired", "1")
		}
		target := "/login"
		if len(q) > 0 {
			target += "?" + q.Encode()
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	if errs.CodeOf(err) == "password-change-required" && r.Method == http.MethodGet {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	}
	p := problemFor(s.d.Logger, err, r.URL.Path)
	s.render(w, r, p.Status, "error", "error.title", "", map[string]string{"Message": s.errText(s.lang(r), p.Detail)}, "", "")
}

func (s *Server) registerUI() {
	s.handle("GET", "/healthz", auth.ActHealth, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	s.handle("GET", "/readyz", auth.ActHealth, func(w http.ResponseWriter, r *http.Request) {
		if err := s.d.Store.Ping(r.Context()); err != nil {
			writeProblem(w, problemFor(s.d.Logger, err, r.URL.Path))
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ready\n"))
	})
	s.handle("GET", "/metrics", auth.ActMetrics, s.metricsHandler())
	assets, _ := fs.Sub(assetFS, "assets")
	files := http.StripPrefix("/assets/", http.FileServerFS(assets))
	s.handle("GET", "/assets/", auth.ActAssets, func(w http.ResponseWriter, r *http.Request) {
		// Files only: the folder itself is not listed.
		name := strings.TrimPrefix(r.URL.Path, "/assets/")
		if st, err := fs.Stat(assets, strings.TrimSuffix(name, "/")); name == "" || strings.HasSuffix(name, "/") || err != nil || st.IsDir() {
			s.uiError(w, r, errs.New(errs.NotFound, "web", "this page does not exist"))
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
	s.handle("GET", "/lang", auth.ActLanguage, s.setLanguage)
	s.handle("GET", "/login", auth.ActLoginView, s.loginPage)
	s.handle("POST", "/login", auth.ActLogin, s.loginSubmit)
	s.handle("POST", "/logout", auth.ActLogout, s.logout)
	s.handle("GET", "/{$}", auth.ActDashboard, s.dashboard)
	s.handle("GET", "/account", auth.ActAccountView, s.accountPage)
	s.handle("POST", "/account/password", auth.ActAccountPassword, s.accountPassword)
	s.handle("POST", "/account/totp/begin", auth.ActAccountTOTP, s.totpBegin)
	s.handle("POST", "/account/totp/confirm", auth.ActAccountTOTP, s.totpConfirm)
	s.handle("POST", "/account/totp/disable", auth.ActAccountTOTP, s.totpDisable)
	s.handle("POST", "/account/tokens", auth.ActTokenCreate, s.tokenCreate)
	s.handle("POST", "/account/tokens/{id}/revoke", auth.ActTokenRevoke, s.tokenRevoke)
	s.handle("GET", "/admin/users", auth.ActUserList, s.usersPage)
	s.handle("POST", "/admin/users", auth.ActUserCreate, s.userCreate)
	s.handle("POST", "/admin/users/{username}/disable", auth.ActUserDisable, s.userSetDisabled(true))
	s.handle("POST", "/admin/users/{username}/enable", auth.ActUserDisable, s.userSetDisabled(false))
	s.handle("GET", "/audit", auth.ActAuditList, s.auditPage)
	s.handle("POST", "/audit/verify", auth.ActAuditVerify, s.auditVerify)
	s.handle("GET", "/api/docs", auth.ActAPIDocs, s.apiDocs)
	// Everything else is a clear 404, as problem JSON under /api/.
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.uiError(w, r, errs.New(errs.NotFound, "web", "this page does not exist"))
	})
}

func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request) {
	l := r.URL.Query().Get("l")
	if s.d.Catalog.Has(l) {
		http.SetCookie(w, &http.Cookie{Name: "liaison_lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, Secure: s.d.SecureCookies})
	}
	// The page sends its own path: the Referrer-Policy is no-referrer.
	back := safeNext(r.URL.Query().Get("back"))
	if ref := r.Header.Get("Referer"); back == "/" && ref != "" {
		// Follow a Referer only when it is this site.
		if u, err := url.Parse(ref); err == nil && u.Host == r.Host && (u.Scheme == "http" || u.Scheme == "https") && u.User == nil {
			back = safeNext(u.EscapedPath())
		}
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

type loginForm struct {
	Username string
	Next     string
}

// safeNext keeps redirects on this site. It accepts only a path (with an
// optional query) that, parsed and decoded, has no scheme, no host, no
// backslash and no control characters, and does not start with "//";
// anything else becomes "/".
func safeNext(n string) string {
	if !isLocalPath(n) {
		return "/"
	}
	return n
}

func isLocalPath(n string) bool {
	if n == "" || len(n) > 2048 || n[0] != '/' {
		return false
	}
	if hasUnsafeRune(n) {
		return false
	}
	u, err := url.Parse(n)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return false
	}
	// Check the decoded forms too: browsers and proxies decode %09, %5C…
	for _, v := range []string{u.Path, u.RawQuery, u.Fragment} {
		d, err := url.PathUnescape(v)
		if err != nil || hasUnsafeRune(d) {
			return false
		}
	}
	d, _ := url.PathUnescape(u.EscapedPath())
	if !strings.HasPrefix(d, "/") || strings.HasPrefix(d, "//") {
		return false
	}
	return true
}

// hasUnsafeRune reports backslashes, control characters, invalid UTF-8 and
// (in a path) a second leading slash hidden after ignorable characters.
func hasUnsafeRune(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if r == '\\' || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
			return true
		}
	}
	return false
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if PrincipalFrom(r.Context()) != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	q := r.URL.Query()
	flash := ""
	switch {
	case q.Get("expired") != "":
		flash = s.d.Catalog.T(s.lang(r), "login.expired")
	case q.Get("bye") != "":
		flash = s.d.Catalog.T(s.lang(r), "login.loggedout")
	}
	s.render(w, r, http.StatusOK, "login", "login.title", "", loginForm{Next: q.Get("next")}, flash, "")
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, err)
		return
	}
	sess, err := s.d.Auth.Login(r.Context(), auth.LoginInput{Username: r.PostFormValue("username"), Password: r.PostFormValue("password"),
		TOTPCode: r.PostFormValue("totp"), RemoteIP: remoteIP(r)})
	if err != nil {
		p := problemFor(s.d.Logger, err, r.URL.Path)
		status := p.Status
		if status == http.StatusUnauthorized {
			// A failed form is not an HTTP authentication challenge.
			status = http.StatusUnprocessableEntity
		}
		if p.retryAfter > 0 {
			w.Header().Set("Retry-After", retryAfterValue(p.retryAfter))
		}
		s.render(w, r, status, "login", "login.title", "", loginForm{Username: r.PostFormValue("username"), Next: r.PostFormValue("next")}, "", p.Detail)
		return
	}
	s.setSessionCookie(w, sess.Token, sess.ExpiresAt)
	next := safeNext(r.PostFormValue("next"))
	if sess.Principal.MustChangePassword {
		next = "/account"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	p := PrincipalFrom(r.Context())
	if c, err := r.Cookie(s.cookie); err == nil {
		if err := s.d.Auth.Logout(r.Context(), p, c.Value); err != nil {
			s.uiError(w, r, err)
			return
		}
	}
	s.clearCookie(w)
	http.Redirect(w, r, "/login?bye=1", http.StatusSeeOther)
}

func (s *Server) accountData(r *http.Request, extra map[string]any) (map[string]any, error) {
	p := PrincipalFrom(r.Context())
	u, err := s.d.Auth.UserByName(r.Context(), p.Username)
	if err != nil {
		return nil, err
	}
	data := map[string]any{"TOTPEnabled": u.TOTPEnabled}
	if !p.MustChangePassword {
		toks, err := s.d.Auth.ListTokens(r.Context(), p)
		if err != nil {
			return nil, err
		}
		data["Tokens"] = toks
	}
	for k, v := range extra {
		data[k] = v
	}
	return data, nil
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, status int, extra map[string]any, flash, errMsg string) {
	data, err := s.accountData(r, extra)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, status, "account", "account.title", "nav.account", data, flash, errMsg)
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) {
	flash := ""
	switch r.URL.Query().Get("ok") {
	case "password":
		flash = s.d.Catalog.T(s.lang(r), "account.changed")
	case "totp":
		flash = s.d.Catalog.T(s.lang(r), "account.totp.enabled")
	case "totp-off":
		flash = s.d.Catalog.T(s.lang(r), "account.totp.disabled")
	}
	var extra map[string]any
	// A new second-factor secret or API token reaches the page through a
	// redirect, never in its address: the secret waits on the server under a
	// random ID bound to the user.
	if id := r.URL.Query().Get("shown"); id != "" {
		if f := s.forms.get(r.Context(), id, PrincipalFrom(r.Context()).Username, s.d.Clock.Now()); f != nil {
			switch f.Form {
			case "totp-secret":
				extra = map[string]any{"TOTPSecret": f.V("secret"), "TOTPURI": f.V("uri"), "Shown": id}
			case "token-secret":
				// A token is shown once: a reload no longer shows it.
				if f = s.forms.take(r.Context(), id, PrincipalFrom(r.Context()).Username, s.d.Clock.Now()); f != nil {
					extra = map[string]any{"NewToken": f.V("secret")}
				}
			}
		}
	}
	s.renderAccount(w, r, http.StatusOK, extra, flash, "")
}

// showOnAccount keeps a freshly made secret for the account page and sends
// the browser there (POST/redirect/GET).
func (s *Server) showOnAccount(w http.ResponseWriter, r *http.Request, kind string, values url.Values) {
	id, err := s.forms.put(r.Context(), &formFailure{User: PrincipalFrom(r.Context()).Username, Form: kind, Values: values}, s.d.Clock.Now())
	if err != nil {
		s.uiError(w, r, errs.Wrap(errs.Unavailable, "web.account", "the new secret could not be kept; try again", err))
		return
	}
	http.Redirect(w, r, "/account?shown="+id, http.StatusSeeOther)
}

func (s *Server) accountPassword(w http.ResponseWriter, r *http.Request) {
	p := PrincipalFrom(r.Context())
	c, _ := r.Cookie(s.cookie)
	keep := ""
	if c != nil {
		keep = c.Value
	}
	if err := s.d.Auth.ChangePassword(r.Context(), p, r.PostFormValue("current"), r.PostFormValue("new"), keep); err != nil {
		s.failForm(w, r, "/account", "password", err)
		return
	}
	http.Redirect(w, r, "/account?ok=password", http.StatusSeeOther)
}

func (s *Server) totpBegin(w http.ResponseWriter, r *http.Request) {
	p := PrincipalFrom(r.Context())
	secret, err := s.d.Auth.BeginTOTP(r.Context(), p, r.PostFormValue("current"), r.PostFormValue("code"))
	if err != nil {
		s.failForm(w, r, "/account", "totp", err)
		return
	}
	s.showOnAccount(w, r, "totp-secret", url.Values{"secret": {secret}, "uri": {auth.TOTPURI("Liaison "+s.d.Node.ID, p.Username, secret)}})
}

func (s *Server) totpConfirm(w http.ResponseWriter, r *http.Request) {
	if err := s.d.Auth.ConfirmTOTP(r.Context(), PrincipalFrom(r.Context()), r.PostFormValue("code")); err != nil {
		// The secret being confirmed stays on the page.
		page := "/account"
		if id := r.PostFormValue("shown"); id != "" {
			page += "?shown=" + url.QueryEscape(id)
		}
		s.failForm(w, r, page, "totp-confirm", err)
		return
	}
	http.Redirect(w, r, "/account?ok=totp", http.StatusSeeOther)
}

func (s *Server) totpDisable(w http.ResponseWriter, r *http.Request) {
	if err := s.d.Auth.DisableTOTP(r.Context(), PrincipalFrom(r.Context()), r.PostFormValue("current"), r.PostFormValue("code")); err != nil {
		s.failForm(w, r, "/account", "totp", err)
		return
	}
	http.Redirect(w, r, "/account?ok=totp-off", http.StatusSeeOther)
}

func (s *Server) tokenCreate(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	_, secret, err := s.d.Auth.CreateToken(r.Context(), PrincipalFrom(r.Context()), r.PostFormValue("name"), r.PostForm["scopes"])
	if err != nil {
		s.failForm(w, r, "/account", "token", err)
		return
	}
	s.showOnAccount(w, r, "token-secret", url.Values{"secret": {secret}})
}

func (s *Server) tokenRevoke(w http.ResponseWriter, r *http.Request) {
	if err := s.d.Auth.RevokeToken(r.Context(), PrincipalFrom(r.Context()), r.PathValue("id")); err != nil {
		s.uiError(w, r, err)
		return
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, form map[string]string, flash, errMsg string) {
	users, err := s.d.Auth.ListUsers(r.Context(), PrincipalFrom(r.Context()))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, status, "users", "users.title", "nav.users", map[string]any{"Users": users, "Roles": auth.AllRoles, "Form": form}, flash, errMsg)
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) {
	flash := ""
	if u := r.URL.Query().Get("created"); u != "" {
		flash = s.d.Catalog.T(s.lang(r), "users.created", u)
	}
	var form map[string]string
	if f := s.failedForm(r); f.Is("user") {
		form = f.Map()
	}
	s.renderUsers(w, r, http.StatusOK, form, flash, "")
}

func (s *Server) userCreate(w http.ResponseWriter, r *http.Request) {
	form := map[string]string{}
	for _, k := range []string{"username", "display_name", "agency", "email"} {
		form[k] = r.PostFormValue(k)
	}
	roles, err := auth.ParseRoles(strings.Join(r.PostForm["roles"], ","))
	if err == nil {
		_, err = s.d.Auth.CreateUser(r.Context(), PrincipalFrom(r.Context()), auth.NewUser{Username: form["username"], DisplayName: form["display_name"],
			Agency: form["agency"], Email: form["email"], Roles: roles, Password: r.PostFormValue("password"), MustChangePassword: true})
	}
	if err != nil {
		s.failForm(w, r, "/admin/users", "user", err)
		return
	}
	http.Redirect(w, r, "/admin/users?created="+url.QueryEscape(strings.ToLower(form["username"])), http.StatusSeeOther)
}

func (s *Server) userSetDisabled(disabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := s.d.Auth.SetDisabled(r.Context(), PrincipalFrom(r.Context()), r.PathValue("username"), disabled); err != nil {
			s.uiError(w, r, err)
			return
		}
		http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
	}
}

func (s *Server) auditPageData(r *http.Request) (map[string]any, error) {
	ctx := r.Context()
	q := r.URL.Query()
	f := audit.Filter{Actor: q.Get("actor"), Action: q.Get("action"), Object: q.Get("object"), Limit: 100}
	f.Before, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	p := PrincipalFrom(ctx)
	entries, err := audit.List(ctx, s.d.Store, f)
	if err != nil {
		return nil, err
	}
	// Reading the audit log is itself audited.
	if err := s.d.Audit.Record(ctx, audit.Entry{Actor: p.Username, Agency: p.Agency, Action: "audit.list", Object: "audit", Detail: r.URL.RawQuery}); err != nil {
		return nil, err
	}
	data := map[string]any{"Entries": entries, "Filter": f, "PublicKey": s.d.Node.PublicString()}
	if len(entries) == f.Limit {
		data["Older"] = entries[len(entries)-1].Index
	}
	if cp, err := audit.LatestCheckpoint(ctx, s.d.Store); err == nil {
		data["Checkpoint"] = &cp
	}
	return data, nil
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) {
	data, err := s.auditPageData(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "audit", "audit.title", "nav.audit", data, "", "")
}

func (s *Server) auditVerify(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if _, err := s.d.Audit.Checkpoint(ctx); err != nil {
		s.uiError(w, r, err)
		return
	}
	rep, err := audit.Verify(ctx, s.d.Store, audit.VerifyOptions{Pinned: s.d.Node.Public(), NodeID: s.d.Node.ID})
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	p := PrincipalFrom(ctx)
	outcome := audit.OK
	if !rep.OK() {
		outcome = audit.Failed
	}
	if err := s.d.Audit.Record(ctx, audit.Entry{Actor: p.Username, Agency: p.Agency, Action: "audit.verify", Object: "audit", Outcome: outcome, Detail: strings.Join(rep.Problems, "; ")}); err != nil {
		s.uiError(w, r, err)
		return
	}
	data, err := s.auditPageData(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	data["Report"] = rep
	s.render(w, r, http.StatusOK, "audit", "audit.title", "nav.audit", data, "", "")
}
