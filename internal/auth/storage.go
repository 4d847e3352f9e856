// Storage of accounts, sessions, API tokens and second factors: every SQL
// statement of the package is here, behind typed functions; the service
// holds none.

package auth

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/store"
)

// ---- users ----

// insertUser stores a new account with its password hash.
func insertUser(ctx context.Context, tx *store.Tx, u User, hash string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO users (id, username, display_name, agency, roles, email, password_hash, must_change_password, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Username, u.DisplayName, u.Agency, joinRoles(u.Roles), u.Email, hash, store.BoolInt(u.MustChangePassword), store.FormatTime(now), store.FormatTime(now))
	return err
}

const userCols = `id, username, display_name, agency, roles, email, totp_enabled, disabled, must_change_password, created_at`

func scanUser(r interface{ Scan(...any) error }) (User, error) {
	var u User
	var roles, created string
	var totp, disabled, must int
	if err := r.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Agency, &roles, &u.Email, &totp, &disabled, &must, &created); err != nil {
		return u, err
	}
	u.Roles, u.TOTPEnabled, u.Disabled, u.MustChangePassword = splitRoles(roles), totp == 1, disabled == 1, must == 1
	u.CreatedAt = store.ParseTime(created)
	return u, nil
}

// allUsers lists every account ordered by username (nil when there is none).
func allUsers(ctx context.Context, q store.Querier) ([]User, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY username`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// userByName reads one account by its (lower-case) username;
// sql.ErrNoRows when there is none.
func userByName(ctx context.Context, q store.Querier, username string) (User, error) {
	return scanUser(q.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE username = ?`, username))
}

// countUsers returns the number of accounts.
func countUsers(ctx context.Context, q store.Querier) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

// setUserDisabled disables or re-enables an account.
func setUserDisabled(ctx context.Context, tx *store.Tx, id string, disabled bool, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?`, store.BoolInt(disabled), store.FormatTime(now), id)
	return err
}

// principalRow is what a principal is built from.
type principalRow struct {
	Username, DisplayName, Agency string
	Roles                         []Role
	Disabled, MustChangePassword  bool
}

// principalByUserID reads the account behind a principal; sql.ErrNoRows
// when there is none.
func principalByUserID(ctx context.Context, q store.Querier, id string) (principalRow, error) {
	var r principalRow
	var roles string
	var disabled, must int
	err := q.QueryRowContext(ctx, `SELECT username, display_name, agency, roles, disabled, must_change_password FROM users WHERE id = ?`, id).
		Scan(&r.Username, &r.DisplayName, &r.Agency, &roles, &disabled, &must)
	r.Roles, r.Disabled, r.MustChangePassword = splitRoles(roles), disabled == 1, must == 1
	return r, err
}

// activeAgencies lists the distinct agency codes of enabled accounts.
func activeAgencies(ctx context.Context, q store.Querier) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT agency FROM users WHERE disabled = 0 AND agency <> '' ORDER BY agency`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// ---- login ----

// loginRow is what a login checks about an account.
type loginRow struct {
	ID, Agency, PasswordHash, TOTPSecret string
	TOTPEnabled, Disabled                bool
}

// loginAccount reads the account a login names; sql.ErrNoRows when there
// is none.
func loginAccount(ctx context.Context, q store.Querier, username string) (loginRow, error) {
	var r loginRow
	var totpEnabled, disabled int
	err := q.QueryRowContext(ctx, `SELECT id, agency, password_hash, totp_secret, totp_enabled, disabled FROM users WHERE username = ?`, username).
		Scan(&r.ID, &r.Agency, &r.PasswordHash, &r.TOTPSecret, &totpEnabled, &disabled)
	r.TOTPEnabled, r.Disabled = totpEnabled == 1, disabled == 1
	return r, err
}

// reserveLoginAttempt counts one password check against account id in one
// conditional UPDATE (atomic on SQLite and PostgreSQL): it succeeds only
// while the account has attempts left (fewer than max) or its lock has
// expired by now; the attempt that uses up the last one sets the lock to
// lockUntil, and a restart after an expired lock sets it to firstLock. It
// reports whether the attempt was reserved.
func reserveLoginAttempt(ctx context.Context, q store.Querier, id string, max int, now, lockUntil time.Time, firstLock string) (bool, error) {
	nowS, lockS := store.FormatTime(now), store.FormatTime(lockUntil)
	res, err := q.ExecContext(ctx, `UPDATE users SET
		failed_logins = CASE WHEN locked_until <> '' AND locked_until <= ? THEN 1 ELSE failed_logins + 1 END,
		locked_until = CASE WHEN locked_until <> '' AND locked_until <= ? THEN ? WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until END
		WHERE id = ? AND ((locked_until = '' AND failed_logins < ?) OR (locked_until <> '' AND locked_until <= ?))`,
		nowS, nowS, firstLock, max, lockS, id, max, nowS)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// releaseLoginAttempt gives back one reserved attempt of account id,
// lifting the lock when fewer than max remain counted.
func releaseLoginAttempt(ctx context.Context, q store.Querier, id string, max int) error {
	_, err := q.ExecContext(ctx, `UPDATE users SET failed_logins = failed_logins - 1,
		locked_until = CASE WHEN failed_logins - 1 < ? THEN '' ELSE locked_until END
		WHERE id = ? AND failed_logins > 0`, max, id)
	return err
}

// clearFailedLogins resets the failure count and lock of an account.
func clearFailedLogins(ctx context.Context, tx *store.Tx, id string) error {
	_, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = 0, locked_until = '' WHERE id = ?`, id)
	return err
}

// recordTOTPStep records step as the account's last used one-time code
// step, only if it is newer than the recorded one (one conditional UPDATE,
// so two parallel uses of one code cannot both pass); it reports whether
// it was newer.
func recordTOTPStep(ctx context.Context, q store.Querier, userID string, step int64) (bool, error) {
	res, err := q.ExecContext(ctx, `UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`, step, userID, step)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ---- sessions ----

// sessionRow is a stored login session.
type sessionRow struct {
	UserID, CSRFToken            string
	ExpiresAt, AbsoluteExpiresAt time.Time
}

// insertSession stores a new session under the hash of its token.
func insertSession(ctx context.Context, tx *store.Tx, tokenHash, userID, csrf string, created, expires, absolute time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, absolute_expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		tokenHash, userID, csrf, store.FormatTime(created), store.FormatTime(expires), store.FormatTime(absolute))
	return err
}

// sessionByHash reads a session by the hash of its token; sql.ErrNoRows
// when there is none.
func sessionByHash(ctx context.Context, q store.Querier, tokenHash string) (sessionRow, error) {
	var r sessionRow
	var expires, absolute string
	err := q.QueryRowContext(ctx, `SELECT user_id, csrf_token, expires_at, absolute_expires_at FROM sessions WHERE token_hash = ?`, tokenHash).
		Scan(&r.UserID, &r.CSRFToken, &expires, &absolute)
	r.ExpiresAt, r.AbsoluteExpiresAt = store.ParseTime(expires), store.ParseTime(absolute)
	return r, err
}

// deleteSession ends the session with this token hash.
func deleteSession(ctx context.Context, q store.Querier, tokenHash string) error {
	_, err := q.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
	return err
}

// extendSession moves the idle expiry of a session.
func extendSession(ctx context.Context, q store.Querier, tokenHash string, expires time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE sessions SET expires_at = ? WHERE token_hash = ?`, store.FormatTime(expires), tokenHash)
	return err
}

// deleteUserSessions ends every session of an account.
func deleteUserSessions(ctx context.Context, tx *store.Tx, userID string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
	return err
}

// deleteOtherSessions ends every session of an account but the one with
// token hash keepHash.
func deleteOtherSessions(ctx context.Context, tx *store.Tx, userID, keepHash string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?`, userID, keepHash)
	return err
}

// ---- passwords and second factors ----

// passwordHashOf reads an account's password hash; sql.ErrNoRows when
// there is no such account.
func passwordHashOf(ctx context.Context, q store.Querier, userID string) (string, error) {
	var hash string
	err := q.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = ?`, userID).Scan(&hash)
	return hash, err
}

// setPassword stores a new password hash and clears must-change.
func setPassword(ctx context.Context, tx *store.Tx, userID, hash string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, must_change_password = 0, updated_at = ? WHERE id = ?`, hash, store.FormatTime(now), userID)
	return err
}

// totpState reads an account's active second-factor secret and whether it
// is on; sql.ErrNoRows when there is no such account.
func totpState(ctx context.Context, q store.Querier, userID string) (secret string, enabled bool, err error) {
	var on int
	err = q.QueryRowContext(ctx, `SELECT totp_secret, totp_enabled FROM users WHERE id = ?`, userID).Scan(&secret, &on)
	return secret, on == 1, err
}

// totpPendingOf reads the secret being enrolled ("" when none);
// sql.ErrNoRows when there is no such account.
func totpPendingOf(ctx context.Context, q store.Querier, userID string) (string, error) {
	var pending string
	err := q.QueryRowContext(ctx, `SELECT totp_pending FROM users WHERE id = ?`, userID).Scan(&pending)
	return pending, err
}

// setTOTPPending stores a secret being enrolled.
func setTOTPPending(ctx context.Context, tx *store.Tx, userID, secret string) error {
	_, err := tx.ExecContext(ctx, `UPDATE users SET totp_pending = ? WHERE id = ?`, secret, userID)
	return err
}

// activateTOTP makes the pending secret the active one with step as its
// last used step, only while pending is still the one being enrolled and
// step is newer than the last used; it reports whether it did.
func activateTOTP(ctx context.Context, tx *store.Tx, userID, pending string, step int64) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = totp_pending, totp_pending = '', totp_enabled = 1, totp_last_step = ? WHERE id = ? AND totp_pending = ? AND totp_last_step < ?`,
		step, userID, pending, step)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// clearTOTP turns an account's second factor off.
func clearTOTP(ctx context.Context, tx *store.Tx, userID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = '', totp_pending = '', totp_enabled = 0 WHERE id = ?`, userID)
	return err
}

// ---- API tokens ----

// insertToken stores a new token of userID under the hash of its secret.
func insertToken(ctx context.Context, tx *store.Tx, t APIToken, userID, secretHash string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at, scopes) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.ID, userID, t.Name, secretHash, store.FormatTime(t.CreatedAt), store.FormatTime(t.ExpiresAt), strings.Join(t.Scopes, " "))
	return err
}

// userTokens lists an account's tokens, newest first (nil when none).
func userTokens(ctx context.Context, q store.Querier, userID string) ([]APIToken, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, name, scopes, created_at, expires_at, last_used_at, revoked FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		var t APIToken
		var sc, c, e, l string
		var rev int
		if err := rows.Scan(&t.ID, &t.Name, &sc, &c, &e, &l, &rev); err != nil {
			return nil, err
		}
		t.Scopes = strings.Fields(sc)
		t.CreatedAt, t.ExpiresAt, t.LastUsed, t.Revoked = store.ParseTime(c), store.ParseTime(e), store.ParseTime(l), rev == 1
		out = append(out, t)
	}
	return out, rows.Err()
}

// revokeUserToken revokes token id of userID; it reports whether there was
// such a token.
func revokeUserToken(ctx context.Context, tx *store.Tx, id, userID string) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked = 1 WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// revokeUserTokens revokes every token of an account.
func revokeUserTokens(ctx context.Context, tx *store.Tx, userID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked = 1 WHERE user_id = ?`, userID)
	return err
}

// tokenRow is a stored API token as a bearer check needs it.
type tokenRow struct {
	ID, UserID string
	Scopes     []string
	ExpiresAt  time.Time
	LastUsed   time.Time
	Revoked    bool
}

// tokenByHash reads a token by the hash of its secret; sql.ErrNoRows when
// there is none.
func tokenByHash(ctx context.Context, q store.Querier, secretHash string) (tokenRow, error) {
	var r tokenRow
	var scopes, expires, lastUsed string
	var revoked int
	err := q.QueryRowContext(ctx, `SELECT id, user_id, scopes, expires_at, last_used_at, revoked FROM api_tokens WHERE token_hash = ?`, secretHash).
		Scan(&r.ID, &r.UserID, &scopes, &expires, &lastUsed, &revoked)
	r.Scopes, r.ExpiresAt, r.LastUsed, r.Revoked = strings.Fields(scopes), store.ParseTime(expires), store.ParseTime(lastUsed), revoked == 1
	return r, err
}

// touchToken records when a token was last used.
func touchToken(ctx context.Context, q store.Querier, id string, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, store.FormatTime(now), id)
	return err
}

// MailRecipients reads the e-mail addresses of the active users of an
// agency (of every agency when agency is "") holding role (any when ""):
// modules that e-mail notifications ask here instead of reading accounts.
func MailRecipients(ctx context.Context, q store.Querier, agency, role string) ([]string, error) {
	query := `SELECT email, roles FROM users WHERE disabled = 0 AND email != ''`
	var args []any
	if agency != "" {
		query += ` AND agency = ?`
		args = append(args, agency)
	}
	type recipient struct {
		email string
		roles []Role
	}
	all, err := store.Collect(ctx, q, func(r store.Scanner) (recipient, error) {
		var rc recipient
		var roles string
		err := r.Scan(&rc.email, &roles)
		rc.roles = splitRoles(roles)
		return rc, err
	}, query, args...)
	if err != nil {
		return nil, err
	}
	var to []string
	for _, rc := range all {
		if role == "" || slices.Contains(rc.roles, Role(role)) {
			to = append(to, rc.email)
		}
	}
	return to, nil
}
