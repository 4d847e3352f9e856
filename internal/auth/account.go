package auth

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// errSessionOnly refuses account management through an API token.
var errSessionOnly = &errs.E{Kind: errs.Forbidden, Op: "auth.Account", Code: "session-required",
	Msg: "API tokens cannot manage accounts, tokens, passwords or second factors; log in to the web interface"}

// checkCurrentPassword verifies the account's password (under the hashing
// semaphore) before a sensitive change.
func (s *Service) checkCurrentPassword(ctx context.Context, p *Principal, password, op string) error {
	if p == nil || p.ViaToken {
		return errSessionOnly
	}
	hash, err := passwordHashOf(ctx, s.st, p.UserID)
	if err != nil {
		return store.NotFound(err, op, "account not found")
	}
	release, err := s.acquireHash(ctx)
	if err != nil {
		return err
	}
	ok := CheckPassword(hash, password)
	release()
	if !ok {
		return &errs.E{Kind: errs.Invalid, Op: op, Msg: "the current password is wrong", Code: "bad-credentials"}
	}
	return nil
}

// ChangePassword sets a new password after checking the current one, ends
// the user's other sessions and revokes all of the user's API tokens.
func (s *Service) ChangePassword(ctx context.Context, p *Principal, current, next, keepToken string) error {
	const op = "auth.ChangePassword"
	if err := s.checkCurrentPassword(ctx, p, current, op); err != nil {
		return err
	}
	if err := checkPasswordStrength(next, p.Username); err != nil {
		return err
	}
	if next == current {
		return errs.New(errs.Invalid, op, "the new password must differ from the current one")
	}
	nh, err := HashPassword(next)
	if err != nil {
		return errs.Wrap(errs.Internal, op, "", err)
	}
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		if err := setPassword(ctx, tx, p.UserID, nh, s.clock.Now()); err != nil {
			return err
		}
		if err := revokeUserTokens(ctx, tx, p.UserID); err != nil {
			return err
		}
		if err := deleteOtherSessions(ctx, tx, p.UserID, hashToken(keepToken)); err != nil {
			return err
		}
		return s.audit.Queue(ctx, tx, entry(p, "account.password", "user/"+p.Username, "API tokens revoked"))
	})
	if err != nil {
		return errs.Wrap(errs.Unavailable, op, "could not change the password", err)
	}
	return nil
}

// checkTOTPChange authorises a change of the second factor: the current
// password always, and a current (unused) code when the factor is on.
func (s *Service) checkTOTPChange(ctx context.Context, p *Principal, password, code, op string) error {
	if err := s.checkCurrentPassword(ctx, p, password, op); err != nil {
		return err
	}
	secret, enabled, err := totpState(ctx, s.st, p.UserID)
	if err != nil {
		return store.NotFound(err, op, "account not found")
	}
	if enabled {
		ok, err := s.acceptTOTP(ctx, p.UserID, secret, code, s.clock.Now())
		if err != nil {
			return err
		}
		if !ok {
			return &errs.E{Kind: errs.Invalid, Op: op, Msg: "enter a current one-time code from your authenticator app (each code works once)", Code: "bad-totp"}
		}
	}
	return nil
}

// BeginTOTP starts enrolling a new second-factor secret and returns it. The
// active factor (if any) stays in force until the new one is confirmed.
func (s *Service) BeginTOTP(ctx context.Context, p *Principal, password, code string) (string, error) {
	const op = "auth.BeginTOTP"
	if err := s.checkTOTPChange(ctx, p, password, code, op); err != nil {
		return "", err
	}
	secret := NewTOTPSecret()
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		if err := setTOTPPending(ctx, tx, p.UserID, secret); err != nil {
			return err
		}
		return s.audit.Queue(ctx, tx, entry(p, "account.totp.begin", "user/"+p.Username, ""))
	})
	if err != nil {
		return "", errs.Wrap(errs.Unavailable, op, "could not start enrolment", err)
	}
	return secret, nil
}

// ConfirmTOTP activates the secret being enrolled once the user proves a
// code from it.
func (s *Service) ConfirmTOTP(ctx context.Context, p *Principal, code string) error {
	const op = "auth.ConfirmTOTP"
	if p == nil || p.ViaToken {
		return errSessionOnly
	}
	pending, err := totpPendingOf(ctx, s.st, p.UserID)
	if err != nil {
		return store.NotFound(err, op, "account not found")
	}
	if pending == "" {
		return errs.New(errs.Invalid, op, "start enrolment first")
	}
	step, ok := MatchTOTP(pending, code, s.clock.Now())
	if !ok {
		return &errs.E{Kind: errs.Invalid, Op: op, Msg: "that code is not valid; check your device's clock and try again", Code: "bad-totp"}
	}
	return s.st.InTx(ctx, func(tx *store.Tx) error {
		ok, err := activateTOTP(ctx, tx, p.UserID, pending, step)
		if err != nil {
			return errs.Wrap(errs.Unavailable, op, "could not enable the second factor", err)
		}
		if !ok {
			return &errs.E{Kind: errs.Invalid, Op: op, Msg: "that code was already used; wait for the next one", Code: "bad-totp"}
		}
		return s.audit.Queue(ctx, tx, entry(p, "account.totp.enable", "user/"+p.Username, ""))
	})
}

// DisableTOTP turns the second factor off after checking the password and a
// current code.
func (s *Service) DisableTOTP(ctx context.Context, p *Principal, password, code string) error {
	const op = "auth.DisableTOTP"
	if err := s.checkTOTPChange(ctx, p, password, code, op); err != nil {
		return err
	}
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		if err := clearTOTP(ctx, tx, p.UserID); err != nil {
			return err
		}
		return s.audit.Queue(ctx, tx, entry(p, "account.totp.disable", "user/"+p.Username, ""))
	})
	if err != nil {
		return errs.Wrap(errs.Unavailable, op, "could not turn off the second factor", err)
	}
	return nil
}

// APIToken describes a bearer token (never its secret after creation).
type APIToken struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Scopes    []string  `json:"scopes"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	LastUsed  time.Time `json:"last_used_at,omitzero"`
	Revoked   bool      `json:"revoked"`
}

// TokenPrefix marks Liaison bearer tokens so leaked ones are recognisable.
const TokenPrefix = "lia_"

// Token scopes. A token may do what its owner's roles allow, limited to its
// scopes, and never manage accounts, tokens, passwords or second factors.
const (
	ScopeRead = "read" // GET requests only
	ScopeAll  = "all"  // every module action the owner may perform
)

// ParseScopes reads and checks a comma- or space-separated scope list:
// "read", "all", an action name (e.g. "exchange.message.send") or an action
// prefix ending in ".*" (e.g. "exchange.*"). Empty means read-only.
func ParseScopes(s string) ([]string, error) {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		f = strings.ToLower(strings.TrimSpace(f))
		if !validScope(f) {
			return nil, errs.Newf(errs.Invalid, "auth.ParseScopes", "unknown token scope %q; use read, all, an action name or a prefix such as exchange.*", f)
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		out = []string{ScopeRead}
	}
	return out, nil
}

func validScope(sc string) bool {
	if sc == ScopeRead || sc == ScopeAll {
		return true
	}
	prefix, wild := strings.CutSuffix(sc, ".*")
	for a := range policy {
		if sessionOnly[a] {
			continue
		}
		if (!wild && string(a) == sc) || (wild && strings.HasPrefix(string(a), prefix+".")) {
			return true
		}
	}
	return false
}

// tokenAllows reports whether a token with scopes may perform a; safe is
// true for requests that only read (GET, HEAD).
func tokenAllows(scopes []string, a Action, safe bool) bool {
	for _, sc := range scopes {
		switch {
		case sc == ScopeAll:
			return true
		case sc == ScopeRead:
			if safe {
				return true
			}
		case strings.HasSuffix(sc, ".*"):
			if strings.HasPrefix(string(a), strings.TrimSuffix(sc, "*")) {
				return true
			}
		case sc == string(a):
			return true
		}
	}
	return false
}

// CreateToken issues a bearer token for p with the given scopes (see
// ParseScopes); the secret is returned only once. Only a login session can
// create tokens.
func (s *Service) CreateToken(ctx context.Context, p *Principal, name string, scopes []string) (APIToken, string, error) {
	const op = "auth.CreateToken"
	if p == nil || p.ViaToken {
		return APIToken{}, "", errSessionOnly
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return APIToken{}, "", errs.New(errs.Invalid, op, "token name is required (at most 100 characters)")
	}
	scopes, err := ParseScopes(strings.Join(scopes, " "))
	if err != nil {
		return APIToken{}, "", err
	}
	now := s.clock.Now()
	secret := TokenPrefix + randomToken()
	t := APIToken{ID: store.NewID(), Name: name, Scopes: scopes, CreatedAt: now, ExpiresAt: now.Add(s.cfg.TokenTTL)}
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		if err := insertToken(ctx, tx, t, p.UserID, hashToken(secret)); err != nil {
			return err
		}
		return s.audit.Queue(ctx, tx, entry(p, "token.create", "token/"+t.ID, name+" scopes="+strings.Join(scopes, " ")))
	})
	if err != nil {
		return APIToken{}, "", errs.Wrap(errs.Unavailable, op, "could not create the token", err)
	}
	return t, secret, nil
}

// ListTokens lists p's tokens.
func (s *Service) ListTokens(ctx context.Context, p *Principal) ([]APIToken, error) {
	out, err := userTokens(ctx, s.st, p.UserID)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "auth.ListTokens", "cannot read tokens", err)
	}
	return out, nil
}

// RevokeToken revokes one of p's tokens.
func (s *Service) RevokeToken(ctx context.Context, p *Principal, id string) error {
	if p == nil || p.ViaToken {
		return errSessionOnly
	}
	return s.st.InTx(ctx, func(tx *store.Tx) error {
		found, err := revokeUserToken(ctx, tx, id, p.UserID)
		if err != nil {
			return errs.Wrap(errs.Unavailable, "auth.RevokeToken", "could not revoke the token", err)
		}
		if !found {
			return errs.New(errs.NotFound, "auth.RevokeToken", "no such token")
		}
		return s.audit.Queue(ctx, tx, entry(p, "token.revoke", "token/"+id, ""))
	})
}

var errBadToken = &errs.E{Kind: errs.Unauthenticated, Op: "auth.Token", Msg: "the API token is invalid, expired or revoked", Code: "bad-token"}

// TokenPrincipal resolves a bearer token.
func (s *Service) TokenPrincipal(ctx context.Context, secret string) (*Principal, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 100 {
		return nil, errBadToken
	}
	t, err := tokenByHash(ctx, s.st, hashToken(secret))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errBadToken
	}
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "auth.Token", "cannot check the token", err)
	}
	now := s.clock.Now()
	if t.Revoked || now.After(t.ExpiresAt) {
		return nil, errBadToken
	}
	if now.Sub(t.LastUsed) > time.Minute {
		// Last use is informational; the request goes on without it.
		if err := touchToken(ctx, s.st, t.ID, now); err != nil {
			s.logger.WarnContext(ctx, "could not record an API token's last use", "token_id", t.ID, "user_id", t.UserID, "err", err)
		}
	}
	p, err := s.principalByID(ctx, t.UserID)
	if err != nil {
		return nil, err
	}
	p.ViaToken = true
	p.TokenScopes = t.Scopes
	return p, nil
}
