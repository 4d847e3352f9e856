package auth

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// errBadLogin is the one answer for a wrong password, an unknown user and a
// locked account, so that the answer does not reveal which accounts exist.
var errBadLogin = &errs.E{Kind: errs.Unauthenticated, Op: "auth.Login",
	Msg: "wrong username or password (after repeated failures an account is locked for a while)", Code: "bad-credentials"}

// Login checks credentials and opens a session.
//
// Every password check is paid for in advance: an attempt is reserved for the
// source address (in memory) and for the account (one conditional update in
// the database) before the password is hashed, so parallel guesses cannot
// check more passwords than the limits allow. Hashes run under a small
// semaphore that bounds memory; over it the caller is told to retry later.
func (s *Service) Login(ctx context.Context, in LoginInput) (*Session, error) {
	const op = "auth.Login"
	now := s.clock.Now()
	username := strings.ToLower(strings.TrimSpace(in.Username))
	deny := func(agency, detail string) {
		_ = s.audit.Record(ctx, audit.Entry{Actor: username, Agency: agency, Action: "auth.login", Object: "user/" + username, Outcome: audit.Denied, Detail: detail})
	}
	ipRelease, err := s.reserveIP(in.RemoteIP, now)
	if err != nil {
		deny("", "rate limited from "+in.RemoteIP)
		return nil, err
	}
	failed := true // the address reservation stays a failure unless cleared
	defer func() { ipRelease(failed) }()

	// Wait for a hashing slot before touching the account, so a busy answer
	// does not use up one of the account's attempts.
	hashRelease, err := s.acquireHash(ctx)
	if err != nil {
		failed = false
		return nil, err
	}
	defer hashRelease()

	acct, err := loginAccount(ctx, s.st, username)
	id, agency := acct.ID, acct.Agency
	if errors.Is(err, sql.ErrNoRows) {
		CheckPassword(dummyHash, in.Password)
		deny("", "unknown user from "+in.RemoteIP)
		return nil, errBadLogin
	}
	if err != nil {
		failed = false
		return nil, errs.Wrap(errs.Unavailable, op, "login is unavailable", err)
	}
	reserved, err := s.reserveAttempt(ctx, id, now)
	if err != nil {
		failed = false
		return nil, err
	}
	if !reserved {
		// Locked: answer exactly as for an unknown user, after the same work.
		CheckPassword(dummyHash, in.Password)
		deny(agency, "account locked, from "+in.RemoteIP)
		return nil, errBadLogin
	}
	pwOK := CheckPassword(acct.PasswordHash, in.Password)
	reason := ""
	switch {
	case !pwOK:
		reason = "wrong password"
	case acct.Disabled:
		reason = "account disabled"
	case acct.TOTPEnabled && strings.TrimSpace(in.TOTPCode) == "":
		// The password was right; asking for the code is not a failure.
		failed = false
		if err := s.unreserveAttempt(ctx, id); err != nil {
			return nil, err
		}
		deny(agency, "one-time code missing")
		return nil, &errs.E{Kind: errs.Unauthenticated, Op: op, Msg: "enter the one-time code from your authenticator app", Code: "totp-required"}
	case acct.TOTPEnabled:
		ok, err := s.acceptTOTP(ctx, id, acct.TOTPSecret, in.TOTPCode, now)
		if err != nil {
			return nil, err
		}
		if !ok {
			reason = "wrong or reused one-time code"
		}
	}
	if reason != "" {
		deny(agency, reason+" from "+in.RemoteIP)
		if acct.Disabled && pwOK {
			return nil, &errs.E{Kind: errs.Unauthenticated, Op: op, Msg: "this account is disabled", Code: "account-disabled"}
		}
		return nil, errBadLogin
	}
	failed = false
	sess := &Session{Token: randomToken(), CSRFToken: randomToken(), ExpiresAt: now.Add(s.cfg.SessionTTL)}
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		if err := clearFailedLogins(ctx, tx, id); err != nil {
			return err
		}
		if err := insertSession(ctx, tx, hashToken(sess.Token), id, sess.CSRFToken, now, sess.ExpiresAt, now.Add(s.cfg.SessionMax)); err != nil {
			return err
		}
		// No session without its audit entry.
		return s.audit.Queue(ctx, tx, audit.Entry{Actor: username, Agency: agency, Action: "auth.login", Object: "user/" + username, Detail: "from " + in.RemoteIP})
	})
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, op, "login is unavailable", err)
	}
	p, err := s.principalByID(ctx, id)
	if err != nil {
		return nil, err
	}
	p.CSRFToken = sess.CSRFToken
	sess.Principal = p
	return sess, nil
}

// reserveAttempt counts one password check against the account before it
// is made. It is one conditional UPDATE, atomic on SQLite and PostgreSQL:
// it succeeds only while the account has attempts left (or its lock has
// expired), and the attempt that uses up the last one also sets the lock.
// A successful login clears the count.
func (s *Service) reserveAttempt(ctx context.Context, id string, now time.Time) (bool, error) {
	lockUntil := now.Add(s.cfg.LockoutDuration)
	max := s.cfg.MaxFailedLogins
	firstLock := ""
	if max <= 1 {
		firstLock = store.FormatTime(lockUntil)
	}
	ok, err := reserveLoginAttempt(ctx, s.st, id, max, now, lockUntil, firstLock)
	if err != nil {
		return false, errs.Wrap(errs.Unavailable, "auth.Login", "login is unavailable", err)
	}
	return ok, nil
}

// unreserveAttempt gives back an attempt that turned out not to be a guess
// (right password, one-time code still to come).
func (s *Service) unreserveAttempt(ctx context.Context, id string) error {
	if err := releaseLoginAttempt(ctx, s.st, id, s.cfg.MaxFailedLogins); err != nil {
		return errs.Wrap(errs.Unavailable, "auth.Login", "login is unavailable", err)
	}
	return nil
}

var errBusy = &errs.E{Kind: errs.RateLimited, Op: "auth.Login", Code: "busy", RetryAfter: 5 * time.Second,
	Msg: "the server is busy checking other logins; try again in a few seconds"}

// acquireHash waits, for at most HashWait, for one of the few slots in which
// a password may be hashed.
func (s *Service) acquireHash(ctx context.Context) (func(), error) {
	release := func() { <-s.hashSem }
	select {
	case s.hashSem <- struct{}{}:
		return release, nil
	default:
	}
	t := time.NewTimer(s.cfg.HashWait)
	defer t.Stop()
	select {
	case s.hashSem <- struct{}{}:
		return release, nil
	case <-t.C:
		return nil, errBusy
	case <-ctx.Done():
		return nil, errBusy
	}
}

// reserveIP counts a failure for the source address before the password is
// checked and bounds the checks in progress from it. The returned function
// ends the check: with failed false the reserved failure is taken back.
func (s *Service) reserveIP(ip string, now time.Time) (func(failed bool), error) {
	if ip == "" {
		return func(bool) {}, nil
	}
	s.ipMu.Lock()
	defer s.ipMu.Unlock()
	cut := now.Add(-s.cfg.LockoutDuration)
	kept := s.ipFailures[ip][:0]
	for _, t := range s.ipFailures[ip] {
		if t.After(cut) {
			kept = append(kept, t)
		}
	}
	s.ipFailures[ip] = kept
	if len(kept) >= s.cfg.MaxFailuresPerIP {
		retry := s.cfg.LockoutDuration
		if len(kept) > 0 {
			retry = kept[0].Add(s.cfg.LockoutDuration).Sub(now)
		}
		return nil, &errs.E{Kind: errs.RateLimited, Op: "auth.Login", Code: "rate-limited", RetryAfter: retry,
			Msg: "too many failed logins from your address; try again later"}
	}
	if s.ipInFlight[ip] >= s.cfg.MaxConcurrentPerIP {
		return nil, &errs.E{Kind: errs.RateLimited, Op: "auth.Login", Code: "rate-limited", RetryAfter: 2 * time.Second,
			Msg: "too many logins in progress from your address; try again in a moment"}
	}
	s.ipInFlight[ip]++
	s.ipFailures[ip] = append(s.ipFailures[ip], now)
	return func(failed bool) {
		s.ipMu.Lock()
		defer s.ipMu.Unlock()
		if s.ipInFlight[ip]--; s.ipInFlight[ip] <= 0 {
			delete(s.ipInFlight, ip)
		}
		if !failed {
			// Take back one reservation (the newest with this time).
			fs := s.ipFailures[ip]
			for i := len(fs) - 1; i >= 0; i-- {
				if fs[i].Equal(now) {
					s.ipFailures[ip] = append(fs[:i], fs[i+1:]...)
					break
				}
			}
		}
		if len(s.ipFailures[ip]) == 0 {
			delete(s.ipFailures, ip)
		}
	}, nil
}

// acceptTOTP checks a one-time code and refuses one whose time step was
// already used (or is older than the last used): the step is recorded with
// a conditional UPDATE, so two parallel uses of one code cannot both pass.
func (s *Service) acceptTOTP(ctx context.Context, userID, secret, code string, now time.Time) (bool, error) {
	step, ok := MatchTOTP(secret, code, now)
	if !ok {
		return false, nil
	}
	fresh, err := recordTOTPStep(ctx, s.st, userID, step)
	if err != nil {
		return false, errs.Wrap(errs.Unavailable, "auth.TOTP", "cannot check the one-time code", err)
	}
	return fresh, nil
}
