// Package auth holds accounts, login sessions, API tokens, second factors and
// the single authorisation policy.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// Principal is the authenticated caller of a request.
type Principal struct {
	UserID             string
	Username           string
	DisplayName        string
	Agency             string
	Roles              []Role
	MustChangePassword bool
	CSRFToken          string // set for cookie sessions
	ViaToken           bool   // authenticated by bearer token
	TokenScopes        []string
	// Console marks commands run on the server's command line (never set
	// for HTTP requests).
	Console bool
}

// Has reports whether the principal holds role r.
func (p *Principal) Has(r Role) bool {
	if p == nil {
		return false
	}
	for _, x := range p.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// User is an account as shown to administrators.
type User struct {
	ID                 string    `json:"id"`
	Username           string    `json:"username"`
	DisplayName        string    `json:"display_name"`
	Agency             string    `json:"agency"`
	Roles              []Role    `json:"roles"`
	Email              string    `json:"email,omitempty"`
	TOTPEnabled        bool      `json:"totp_enabled"`
	Disabled           bool      `json:"disabled"`
	MustChangePassword bool      `json:"must_change_password"`
	CreatedAt          time.Time `json:"created_at"`
}

// Settings tune login behaviour.
type Settings struct {
	SessionTTL       time.Duration // idle timeout
	SessionMax       time.Duration // absolute lifetime
	MaxFailedLogins  int           // per account before lock-out
	LockoutDuration  time.Duration
	MaxFailuresPerIP int // per source address within LockoutDuration
	TokenTTL         time.Duration
	// MaxConcurrentHashes bounds password hashes running at once (each
	// argon2id hash holds 19 MiB); HashWait is how long a login waits for a
	// free slot before it is answered "busy, retry later".
	MaxConcurrentHashes int
	HashWait            time.Duration
	// MaxConcurrentPerIP bounds password checks in progress from one address.
	MaxConcurrentPerIP int
}

// DefaultSettings are sane for an agency deployment.
func DefaultSettings() Settings {
	return Settings{SessionTTL: 8 * time.Hour, SessionMax: 12 * time.Hour, MaxFailedLogins: 5,
		LockoutDuration: 15 * time.Minute, MaxFailuresPerIP: 30, TokenTTL: 90 * 24 * time.Hour,
		MaxConcurrentHashes: 4, HashWait: 2 * time.Second, MaxConcurrentPerIP: 4}
}

// Service manages accounts and authentication.
type Service struct {
	st     *store.Store
	audit  *audit.Log
	clock  clock.Clock
	logger *slog.Logger
	cfg    Settings

	hashSem chan struct{}

	ipMu       sync.Mutex
	ipFailures map[string][]time.Time
	ipInFlight map[string]int
}

// NewService builds the service.
func NewService(st *store.Store, al *audit.Log, clk clock.Clock, logger *slog.Logger, cfg Settings) *Service {
	d := DefaultSettings()
	if cfg.MaxConcurrentHashes <= 0 {
		cfg.MaxConcurrentHashes = d.MaxConcurrentHashes
	}
	if cfg.HashWait <= 0 {
		cfg.HashWait = d.HashWait
	}
	if cfg.MaxConcurrentPerIP <= 0 {
		cfg.MaxConcurrentPerIP = d.MaxConcurrentPerIP
	}
	return &Service{st: st, audit: al, clock: clk, logger: logger, cfg: cfg, hashSem: make(chan struct{}, cfg.MaxConcurrentHashes),
		ipFailures: map[string][]time.Time{}, ipInFlight: map[string]int{}}
}

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,62}[a-z0-9]$`)

// MinPasswordLen is the shortest accepted password.
const MinPasswordLen = 12

// NewUser is the input for creating an account.
type NewUser struct {
	Username           string
	DisplayName        string
	Agency             string
	Roles              []Role
	Email              string
	Password           string
	MustChangePassword bool
}

// ParseRoles reads a comma- or space-separated role list.
func ParseRoles(s string) ([]Role, error) {
	var out []Role
	seen := map[Role]bool{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		r := Role(strings.ToLower(strings.TrimSpace(f)))
		if !ValidRole(r) {
			names := make([]string, len(AllRoles))
			for i, x := range AllRoles {
				names[i] = string(x)
			}
			return nil, errs.Newf(errs.Invalid, "auth.ParseRoles", "unknown role %q; roles are %s", f, strings.Join(names, ", "))
		}
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, errs.New(errs.Invalid, "auth.ParseRoles", "at least one role is required")
	}
	return out, nil
}

func joinRoles(rs []Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	sort.Strings(s)
	return strings.Join(s, " ")
}

func splitRoles(s string) []Role {
	var out []Role
	for _, f := range strings.Fields(s) {
		out = append(out, Role(f))
	}
	return out
}

// CreateUser adds an account. actor is the administrator doing it ("" for the system).
func (s *Service) CreateUser(ctx context.Context, actor *Principal, in NewUser) (User, error) {
	const op = "auth.CreateUser"
	in.Username = strings.ToLower(strings.TrimSpace(in.Username))
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	in.Agency = strings.TrimSpace(in.Agency)
	switch {
	case !usernameRE.MatchString(in.Username):
		return User{}, errs.New(errs.Invalid, op, "username must be 3-64 characters: lower-case letters, digits, dot, dash or underscore")
	case in.DisplayName == "" || len(in.DisplayName) > 200:
		return User{}, errs.New(errs.Invalid, op, "display name is required (at most 200 characters)")
	case in.Agency == "" || len(in.Agency) > 100:
		return User{}, errs.New(errs.Invalid, op, "agency is required (at most 100 characters)")
	case len(in.Roles) == 0:
		return User{}, errs.New(errs.Invalid, op, "at least one role is required")
	}
	for _, r := range in.Roles {
		if !ValidRole(r) {
			return User{}, errs.Newf(errs.Invalid, op, "unknown role %q", r)
		}
	}
	if err := checkRoleSeparation(actor, in.Roles); err != nil {
		return User{}, err
	}
	if err := checkPasswordStrength(in.Password, in.Username); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return User{}, errs.Wrap(errs.Internal, op, "", err)
	}
	now := s.clock.Now()
	u := User{ID: store.NewID(), Username: in.Username, DisplayName: in.DisplayName, Agency: in.Agency,
		Roles: in.Roles, Email: strings.TrimSpace(in.Email), MustChangePassword: in.MustChangePassword, CreatedAt: now}
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		err := insertUser(ctx, tx, u, hash, now)
		if store.IsUniqueViolation(err) {
			return errs.Newf(errs.Conflict, op, "a user named %q already exists", u.Username)
		}
		if err != nil {
			return errs.Wrap(errs.Unavailable, op, "could not save the user", err)
		}
		return s.audit.Queue(ctx, tx, entry(actor, "user.create", "user/"+u.Username, "roles="+joinRoles(u.Roles)+" agency="+u.Agency))
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

func entry(actor *Principal, action, object, detail string) audit.Entry {
	e := audit.Entry{Actor: "system", Agency: "", Action: action, Object: object, Detail: detail}
	if actor != nil {
		e.Actor, e.Agency = actor.Username, actor.Agency
	}
	return e
}

// ListUsers returns all accounts ordered by username.
func (s *Service) ListUsers(ctx context.Context, actor *Principal) ([]User, error) {
	out, err := allUsers(ctx, s.st)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "auth.ListUsers", "cannot read users", err)
	}
	if err := s.audit.Record(ctx, entry(actor, "user.list", "users", "")); err != nil {
		return nil, err
	}
	return out, nil
}

// UserByName looks up one account.
func (s *Service) UserByName(ctx context.Context, username string) (User, error) {
	u, err := userByName(ctx, s.st, strings.ToLower(username))
	if err != nil {
		return User{}, store.NotFound(err, "auth.UserByName", "no such user: "+username)
	}
	return u, nil
}

// SetDisabled disables or re-enables an account; disabling ends its sessions
// and revokes its tokens.
func (s *Service) SetDisabled(ctx context.Context, actor *Principal, username string, disabled bool) error {
	const op = "auth.SetDisabled"
	u, err := s.UserByName(ctx, username)
	if err != nil {
		return err
	}
	if actor != nil && actor.UserID == u.ID && disabled {
		return errs.New(errs.Conflict, op, "you cannot disable your own account")
	}
	action := "user.enable"
	if disabled {
		action = "user.disable"
	}
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		if err := setUserDisabled(ctx, tx, u.ID, disabled, s.clock.Now()); err != nil {
			return err
		}
		if disabled {
			if err := deleteUserSessions(ctx, tx, u.ID); err != nil {
				return err
			}
			if err := revokeUserTokens(ctx, tx, u.ID); err != nil {
				return err
			}
		}
		return s.audit.Queue(ctx, tx, entry(actor, action, "user/"+u.Username, ""))
	})
	if err != nil {
		return errs.Wrap(errs.Unavailable, op, "could not update the user", err)
	}
	return nil
}

// CountUsers returns the number of accounts.
func (s *Service) CountUsers(ctx context.Context) (int, error) {
	n, err := countUsers(ctx, s.st)
	if err != nil {
		return 0, errs.Wrap(errs.Unavailable, "auth.CountUsers", "cannot read users", err)
	}
	return n, nil
}

// EnsureAdmin creates the first administrator when the node has no users.
// With an empty password a random one-time password is generated and must be
// changed at first login. It returns the password when it created the account.
func (s *Service) EnsureAdmin(ctx context.Context, agency, password string) (created bool, pw string, err error) {
	n, err := s.CountUsers(ctx)
	if err != nil || n > 0 {
		return false, "", err
	}
	oneTime := password == ""
	if oneTime {
		password = RandomPassword()
	}
	_, err = s.CreateUser(ctx, nil, NewUser{Username: "admin", DisplayName: "Node administrator", Agency: agency,
		Roles: []Role{RoleAdmin}, Password: password, MustChangePassword: oneTime})
	if err != nil {
		return false, "", err
	}
	return true, password, nil
}

// RandomPassword returns a 20-character password from an unambiguous alphabet.
func RandomPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// LoginInput is what the login form or API sends.
type LoginInput struct {
	Username string
	Password string
	TOTPCode string
	RemoteIP string
}

// Session is a new login.
type Session struct {
	Token     string
	CSRFToken string
	ExpiresAt time.Time
	Principal *Principal
}

func (s *Service) principalByID(ctx context.Context, id string) (*Principal, error) {
	r, err := principalByUserID(ctx, s.st, id)
	if err != nil {
		return nil, store.NotFound(err, "auth.principal", "account not found")
	}
	if r.Disabled {
		return nil, &errs.E{Kind: errs.Unauthenticated, Op: "auth.principal", Msg: "this account is disabled", Code: "account-disabled"}
	}
	return &Principal{UserID: id, Username: r.Username, DisplayName: r.DisplayName, Agency: r.Agency,
		Roles: r.Roles, MustChangePassword: r.MustChangePassword}, nil
}

var errSessionExpired = &errs.E{Kind: errs.Unauthenticated, Op: "auth.Session", Msg: "your session has expired; please log in again", Code: "session-expired"}

// SessionPrincipal resolves a session cookie value, extending the idle timeout.
func (s *Service) SessionPrincipal(ctx context.Context, token string) (*Principal, error) {
	if token == "" || len(token) > 100 {
		return nil, errSessionExpired
	}
	now := s.clock.Now()
	th := hashToken(token)
	sr, err := sessionByHash(ctx, s.st, th)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errSessionExpired
	}
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "auth.Session", "cannot check your session", err)
	}
	if now.After(sr.ExpiresAt) || now.After(sr.AbsoluteExpiresAt) {
		// The session is refused either way; a failed clean-up leaves an
		// expired row that the next attempt removes.
		if err := deleteSession(ctx, s.st, th); err != nil {
			s.logger.WarnContext(ctx, "could not delete an expired session", "user_id", sr.UserID, "err", err)
		}
		return nil, errSessionExpired
	}
	// Extend the idle timeout at most once a minute to keep reads cheap.
	if sr.ExpiresAt.Sub(now) < s.cfg.SessionTTL-time.Minute {
		if err := extendSession(ctx, s.st, th, now.Add(s.cfg.SessionTTL)); err != nil {
			s.logger.WarnContext(ctx, "could not extend a session's idle timeout", "user_id", sr.UserID, "err", err)
		}
	}
	p, err := s.principalByID(ctx, sr.UserID)
	if err != nil {
		return nil, err
	}
	p.CSRFToken = sr.CSRFToken
	return p, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, p *Principal, token string) error {
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		if err := deleteSession(ctx, tx, hashToken(token)); err != nil {
			return err
		}
		return s.audit.Queue(ctx, tx, entry(p, "auth.logout", "user/"+p.Username, ""))
	})
	if err != nil {
		return errs.Wrap(errs.Unavailable, "auth.Logout", "could not end the session", err)
	}
	return nil
}
