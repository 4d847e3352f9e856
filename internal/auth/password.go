package auth

import (
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/liaison-wb/liaison/internal/errs"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters following the OWASP password storage guidance
// (19 MiB, 2 iterations, 1 lane); stored with each hash so they can change.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns a PHC-formatted argon2id hash.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches the stored hash.
func CheckPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var mem, iters uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iters, &threads); err != nil || mem == 0 || iters == 0 || threads == 0 || mem > 1<<20 || iters > 20 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 128 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, iters, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked when a user does not exist, so response time does
// not reveal which usernames exist.
var dummyHash, _ = HashPassword("liaison-timing-equaliser")

// commonPasswords is a list of a few thousand of the most used passwords and
// their usual variants (from the well-known public breach lists, plus
// regional words and years), one per line, lower case.
//
//go:embed common_passwords.txt
var commonPasswordsText string

var commonPasswords = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, l := range strings.Split(commonPasswordsText, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			m[l] = struct{}{}
		}
	}
	return m
}()

// checkPasswordStrength refuses short, very long and easily guessed
// passwords: one repeated character, only spaces, the username, or one of
// the bundled common passwords.
func checkPasswordStrength(pw, username string) error {
	const op = "auth.Password"
	if len([]rune(pw)) < MinPasswordLen {
		return errs.Newf(errs.Invalid, op, "password must have at least %d characters", MinPasswordLen)
	}
	if len(pw) > 1024 {
		return errs.New(errs.Invalid, op, "password is too long")
	}
	if strings.TrimSpace(pw) == "" {
		return &errs.E{Kind: errs.Invalid, Op: op, Code: "weak-password", Msg: "password must not be only spaces"}
	}
	first, _ := utf8.DecodeRuneInString(pw)
	if strings.Trim(pw, string(first)) == "" {
		return &errs.E{Kind: errs.Invalid, Op: op, Code: "weak-password", Msg: "password must not be one character repeated"}
	}
	lower := strings.ToLower(strings.TrimSpace(pw))
	if username != "" && (lower == strings.ToLower(username) || strings.ReplaceAll(lower, " ", "") == strings.ToLower(username)) {
		return &errs.E{Kind: errs.Invalid, Op: op, Code: "weak-password", Msg: "password must not be the username"}
	}
	if _, common := commonPasswords[lower]; common {
		return &errs.E{Kind: errs.Invalid, Op: op, Code: "weak-password", Msg: "this password is one of the most common passwords; choose another"}
	}
	return nil
}

// checkRoleSeparation keeps administration and audit apart: no account
// holds both roles, and only the command line on the server (actor nil) or
// another auditor grants the auditor role.
func checkRoleSeparation(actor *Principal, roles []Role) error {
	const op = "auth.Roles"
	hasAdmin, hasAuditor := false, false
	for _, r := range roles {
		hasAdmin = hasAdmin || r == RoleAdmin
		hasAuditor = hasAuditor || r == RoleAuditor
	}
	if hasAdmin && hasAuditor {
		return &errs.E{Kind: errs.Invalid, Op: op, Code: "role-separation", Msg: "an account cannot be both administrator and auditor"}
	}
	if hasAuditor && actor != nil && !actor.Console && !actor.Has(RoleAuditor) {
		return &errs.E{Kind: errs.Forbidden, Op: op, Code: "role-separation", Msg: "the auditor role is granted only on the server's command line or by another auditor"}
	}
	return nil
}
