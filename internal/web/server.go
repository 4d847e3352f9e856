// Package web is the HTTP transport: the JSON API under /api/v1 (with an
// OpenAPI document generated from the Go handlers), the server-rendered UI,
// health and metrics. Handlers stay thin: they decode, call a domain
// service, and encode. Authorisation is decided by auth.Authorize for every
// route, in one place (guard).
package web

import (
	"context"
	"embed"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/liaison-wb/liaison/internal/activities"
	"github.com/liaison-wb/liaison/internal/alerts"
	"github.com/liaison-wb/liaison/internal/analysis"
	"github.com/liaison-wb/liaison/internal/assets"
	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/directory"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/exchange"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/i18n"
	"github.com/liaison-wb/liaison/internal/identity"
	"github.com/liaison-wb/liaison/internal/jit"
	"github.com/liaison-wb/liaison/internal/mla"
	"github.com/liaison-wb/liaison/internal/operations"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/witness"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// Deps are the services the transport calls.
type Deps struct {
	Store         *store.Store
	Audit         *audit.Log
	Auth          *auth.Service
	Node          *identity.Node
	Clock         clock.Clock
	Logger        *slog.Logger
	Catalog       *i18n.Catalog
	Federation    *federation.Service
	Exchange      *exchange.Service
	Directory     *directory.Service
	Activities    *activities.Service
	Cases         *cases.Service
	MLA           *mla.Service
	Alerts        *alerts.Service
	Ops           *operations.Service
	Analysis      *analysis.Service
	Assets        *assets.Service
	JIT           *jit.Service
	Witness       *witness.Service
	Version       string
	SecureCookies bool
	MaxBodyBytes  int64
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto headers are believed.
	TrustedProxies []netip.Prefix
	// MetricsToken, when set, is the bearer token /metrics requires.
	// MetricsElsewhere means /metrics is served on its own listen address
	// (see MetricsHandler) and not on the main one. With neither, /metrics
	// is not served.
	MetricsToken     string
	MetricsElsewhere bool
}

// Route is one registered endpoint and the action that guards it.
type Route struct {
	Method  string
	Pattern string
	Action  auth.Action
	API     bool
}

// Server holds the routes and middleware of one node.
type Server struct {
	d       Deps
	mux     *http.ServeMux
	api     huma.API
	routes  []Route
	metrics *metrics
	pages   *pages
	cookie  string
	forms   *formStash // failed form submits waiting to be shown again

	// bodyLimits are the body limits routes declared at registration, by
	// their mux pattern ("POST /alerts"); any other route has
	// Deps.MaxBodyBytes. Written only while routes are registered.
	bodyLimits map[string]int64

	streamsDone chan struct{} // closed when the server shuts down: event streams end
	streamsOnce sync.Once
}

type ctxKey int

const principalKey ctxKey = iota

// PrincipalFrom returns the authenticated caller, or nil.
func PrincipalFrom(ctx context.Context) *auth.Principal {
	p, _ := ctx.Value(principalKey).(*auth.Principal)
	return p
}

// New builds the server and registers every route.
func New(d Deps) (*Server, error) {
	huma.NewError = newHumaError
	s := &Server{d: d, mux: http.NewServeMux(), bodyLimits: map[string]int64{}, cookie: "liaison_session_" + d.Node.ID, streamsDone: make(chan struct{})}
	s.metrics = newMetrics(d.Store)
	s.metrics.reg.MustRegister(newQueueCollector(s))
	if d.Federation != nil {
		s.metrics.reg.MustRegister(d.Federation.Collector())
	}
	var err error
	if s.forms, err = newFormStash(d.Store, d.Node); err != nil {
		return nil, err
	}
	if s.pages, err = parsePages(d.Catalog); err != nil {
		return nil, err
	}
	cfg := huma.DefaultConfig("Liaison API", d.Version)
	cfg.Info.Description = "JSON API of a Liaison node: regional cooperation between police, prosecution and justice agencies. " +
		"Authenticate with a bearer token (create one under Account in the web UI). Errors are RFC 9457 problem documents."
	cfg.OpenAPIPath = "/api/openapi"
	cfg.DocsPath = ""
	cfg.SchemasPath = "/api/schemas"
	cfg.Transformers = nil
	cfg.CreateHooks = nil
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "API token beginning with lia_"},
	}
	cfg.Security = []map[string][]string{{"bearer": {}}}
	s.api = humago.New(s.mux, cfg)
	s.api.UseMiddleware(s.humaGuard)
	for _, p := range []string{"/api/openapi.json", "/api/openapi.yaml", "/api/openapi-3.0.json", "/api/openapi-3.0.yaml", "/api/schemas/{schema}"} {
		s.routes = append(s.routes, Route{Method: http.MethodGet, Pattern: p, Action: auth.ActAPIDocs, API: true})
	}
	s.registerAPI()
	s.registerFederation()
	s.registerWitness()
	s.registerDirectory()
	s.registerExchange()
	s.registerCases()
	s.registerActivities()
	s.registerMLA()
	s.registerAlerts()
	s.registerOperations()
	s.registerAnalysis()
	s.registerAssetRecovery()
	s.registerJIT()
	s.registerUI()
	return s, nil
}

// Routes lists every registered endpoint; the authorisation test walks it.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// API exposes the huma API, e.g. to render the OpenAPI document.
func (s *Server) API() huma.API { return s.api }

// Handler is the complete HTTP handler with middleware.
func (s *Server) Handler() http.Handler {
	var h http.Handler = s.mux
	h = s.authenticate(h)
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.uiError(w, r, &errs.E{Kind: errs.Forbidden, Op: "web.origin", Code: "cross-origin",
			Msg: "cross-origin requests are not allowed; send the request from this site or with an API token and no browser origin headers"})
	}))
	h = cop.Handler(h)
	h = s.limitBody(h)
	h = s.securityHeaders(h)
	h = s.clientAddress(h)
	h = s.metrics.instrument(s.mux, h)
	h = s.recoverPanics(h)
	return h
}

// routeOption changes how a route registered with handle is served.
type routeOption func(*routeConfig)

type routeConfig struct {
	maxBody int64
}

// maxBody lets a route accept bodies up to n bytes (a form that may carry a
// photo) instead of Deps.MaxBodyBytes.
func maxBody(n int64) routeOption {
	return func(c *routeConfig) { c.maxBody = n }
}

// handle registers a non-API route guarded by action.
func (s *Server) handle(method, pattern string, action auth.Action, h http.HandlerFunc, opts ...routeOption) {
	var cfg routeConfig
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.maxBody > 0 {
		s.bodyLimits[method+" "+pattern] = cfg.maxBody
	}
	s.routes = append(s.routes, Route{Method: method, Pattern: pattern, Action: action})
	s.mux.HandleFunc(method+" "+pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := s.guard(r, action); err != nil {
			s.uiError(w, r, err)
			return
		}
		h(w, r)
	})
}

// guard is the single check every request passes: authorisation by the
// policy, then CSRF for cookie-authenticated state changes.
func (s *Server) guard(r *http.Request, action auth.Action) error {
	p := PrincipalFrom(r.Context())
	if err := auth.AuthorizeRequest(p, action, isSafeMethod(r.Method)); err != nil {
		if p != nil && errs.Is(err, errs.Forbidden) {
			_ = s.d.Audit.Record(r.Context(), audit.Entry{Actor: p.Username, Agency: p.Agency, Action: string(action),
				Object: r.Method + " " + r.URL.Path, Outcome: audit.Denied, Detail: errs.SafeMessage(err)})
		}
		return err
	}
	// Public actions (login) do not use the session, so there is nothing to
	// forge; cross-origin posts to them are still stopped by origin checks.
	if p != nil && !p.ViaToken && !isSafeMethod(r.Method) && !isPublicAction(action) {
		tok := r.Header.Get("X-CSRF-Token")
		if tok == "" {
			tok = r.PostFormValue("csrf_token")
		}
		if tok == "" || tok != p.CSRFToken {
			return &errs.E{Kind: errs.Forbidden, Op: "web.csrf", Msg: "the form has expired or did not come from this site; reload the page and try again", Code: "csrf"}
		}
	}
	return nil
}

func isSafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func (s *Server) humaGuard(ctx huma.Context, next func(huma.Context)) {
	op := ctx.Operation()
	action, _ := op.Metadata["action"].(auth.Action)
	r, _ := humago.Unwrap(ctx)
	if err := s.guard(r, action); err != nil {
		p := problemFor(s.d.Logger, err, r.URL.Path)
		ctx.SetHeader("Content-Type", "application/problem+json")
		ctx.SetStatus(p.Status)
		_ = json.NewEncoder(ctx.BodyWriter()).Encode(p)
		return
	}
	if p := s.checkJSONBody(r); p != nil {
		ctx.SetHeader("Content-Type", "application/problem+json")
		ctx.SetStatus(p.Status)
		_ = json.NewEncoder(ctx.BodyWriter()).Encode(p)
		return
	}
	next(ctx)
}

// authenticate resolves the session cookie or bearer token into a principal.
// A bad bearer token is refused at once; a stale cookie is simply ignored
// so the login page still works.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if h := r.Header.Get("Authorization"); h != "" && r.URL.Path != "/metrics" {
			tok, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				writeProblem(w, problemFor(s.d.Logger, errs.New(errs.Unauthenticated, "web.auth", "use Authorization: Bearer <token>"), r.URL.Path))
				return
			}
			p, err := s.d.Auth.TokenPrincipal(ctx, strings.TrimSpace(tok))
			if err != nil {
				writeProblem(w, problemFor(s.d.Logger, err, r.URL.Path))
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, principalKey, p)))
			return
		}
		if c, err := r.Cookie(s.cookie); err == nil && c.Value != "" {
			p, err := s.d.Auth.SessionPrincipal(ctx, c.Value)
			if err == nil {
				next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, principalKey, p)))
				return
			}
			if !errs.Is(err, errs.Unauthenticated) {
				s.uiError(w, r, err)
				return
			}
			s.clearCookie(w)
			r = r.WithContext(context.WithValue(ctx, expiredKey, true))
		}
		next.ServeHTTP(w, r)
	})
}

const expiredKey ctxKey = 99

func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := s.d.MaxBodyBytes
		// The route the mux will choose says what body it takes.
		if _, pattern := s.mux.Handler(r); pattern != "" {
			if n, ok := s.bodyLimits[pattern]; ok {
				limit = n
			}
		}
		if r.ContentLength > limit {
			err := errs.New(errs.TooLarge, "web", "the request body is too large")
			if isAPI(r) {
				writeProblem(w, problemFor(s.d.Logger, err, r.URL.Path))
			} else {
				s.uiError(w, r, err)
			}
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

func isAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/federation/")
}

func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.originalHTTPS(r) {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.d.Logger.Error("panic serving request", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				writeProblem(w, &Problem{Type: ProblemTypePrefix + "internal", Title: "Internal Server Error", Status: 500, Detail: "internal error; the event has been logged"})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

const clientIPKey ctxKey = 98

// clientAddress records the address of the real client: the socket's, or,
// when the socket is a trusted proxy, the last address in X-Forwarded-For
// that is not a trusted proxy.
func (s *Server) clientAddress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientIPKey, s.clientIP(r))))
	})
}

func socketIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) trusted(ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range s.d.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (s *Server) clientIP(r *http.Request) string {
	ip := socketIP(r)
	if !s.trusted(ip) {
		return ip
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return ip // a malformed hop: believe nothing further left
		}
		ip = a.Unmap().String()
		if !s.trusted(ip) {
			return ip
		}
	}
	return ip
}

// originalHTTPS reports whether the client reached this node over HTTPS,
// directly or through a trusted proxy that says so.
func (s *Server) originalHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if !s.trusted(socketIP(r)) {
		return false
	}
	vs := r.Header.Values("X-Forwarded-Proto")
	if len(vs) == 0 {
		return false
	}
	parts := strings.Split(vs[len(vs)-1], ",")
	return strings.EqualFold(strings.TrimSpace(parts[len(parts)-1]), "https")
}

// remoteIP is the real client's address (see clientAddress).
func remoteIP(r *http.Request) string {
	if ip, ok := r.Context().Value(clientIPKey).(string); ok {
		return ip
	}
	return socketIP(r)
}

func (s *Server) setSessionCookie(w http.ResponseWriter, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: s.cookie, Value: token, Path: "/", HttpOnly: true, Secure: s.d.SecureCookies,
		SameSite: http.SameSiteLaxMode, Expires: expires})
}

func (s *Server) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.cookie, Value: "", Path: "/", HttpOnly: true, Secure: s.d.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// metrics are per server (no global registry) so several nodes can run in one process.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(st *store.Store) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "liaison_http_requests_total", Help: "HTTP requests by route, method and status."}, []string{"route", "method", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "liaison_http_request_duration_seconds", Help: "HTTP request latency by route.", Buckets: prometheus.DefBuckets}, []string{"route"})
	m.reg.MustRegister(m.requests, m.latency,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "liaison_db_open_connections", Help: "Open database connections (write and read pools)."}, func() float64 {
		ws, rs := st.Stats()
		return float64(ws.OpenConnections + rs.OpenConnections)
	}))
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "liaison_db_in_use_connections", Help: "Database connections in use."}, func() float64 {
		ws, rs := st.Stats()
		return float64(ws.InUse + rs.InUse)
	}))
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "liaison_db_wait_count_total", Help: "Times a request waited for a database connection."}, func() float64 {
		ws, rs := st.Stats()
		return float64(ws.WaitCount + rs.WaitCount)
	}))
	return m
}

// Registry lets other components (federation) add their metrics.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.reg }

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// instrument counts requests by route pattern (never by raw path, which
// would put identifiers into metric labels).
func (m *metrics) instrument(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		_, route := mux.Handler(r)
		next.ServeHTTP(rec, r)
		if route == "" {
			route = "unmatched"
		}
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		m.requests.WithLabelValues(route, r.Method, strconv.Itoa(rec.status)).Inc()
		m.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}
