// Package errs is Liaison's one error vocabulary. Domain code returns *E with
// a Kind and a message that is safe to show to a user; transports (HTTP, CLI,
// federation) map the Kind once to a status or exit code and log the cause.
package errs

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error for every transport.
type Kind int

const (
	Internal        Kind = iota // unexpected failure; details only in logs
	Invalid                     // bad input from the caller
	NotFound                    // object does not exist or is not visible
	Conflict                    // duplicate or state conflict
	Unauthenticated             // no or bad credentials
	Forbidden                   // authenticated but not allowed
	TooLarge                    // input exceeds a size limit
	RateLimited                 // too many attempts
	Unavailable                 // dependency (database, peer) unreachable
)

var kindNames = map[Kind]string{
	Internal:        "internal",
	Invalid:         "invalid",
	NotFound:        "not-found",
	Conflict:        "conflict",
	Unauthenticated: "unauthenticated",
	Forbidden:       "forbidden",
	TooLarge:        "too-large",
	RateLimited:     "rate-limited",
	Unavailable:     "unavailable",
}

// String is the stable slug used in problem types and logs.
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return "internal"
}

// E is a domain error.
type E struct {
	Kind Kind
	Op   string // operation, e.g. "auth.Login"
	Msg  string // safe to show to users
	Code string // optional finer-grained stable code, e.g. "bad-signature"
	Err  error  // underlying cause, never shown to users
	// RetryAfter tells a rate-limited caller when to try again (0: unknown).
	RetryAfter time.Duration
}

func (e *E) Error() string {
	msg := e.Msg
	if msg == "" {
		msg = e.Kind.String()
	}
	if e.Op != "" {
		msg = e.Op + ": " + msg
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *E) Unwrap() error { return e.Err }

// New builds a domain error with a safe message.
func New(kind Kind, op, msg string) *E { return &E{Kind: kind, Op: op, Msg: msg} }

// Newf builds a domain error with a formatted safe message.
func Newf(kind Kind, op, format string, args ...any) *E {
	return &E{Kind: kind, Op: op, Msg: fmt.Sprintf(format, args...)}
}

// Wrap attaches a kind and safe message to a cause.
//
// An internal failure (bad stored data, a bug) stays internal however it is
// wrapped, so it is logged with its details and not taken for an outage
// that a retry would cure.
func Wrap(kind Kind, op, msg string, err error) *E {
	var inner *E
	if errors.As(err, &inner) && inner.Kind == Internal {
		kind = Internal
	}
	return &E{Kind: kind, Op: op, Msg: msg, Err: err}
}

// WrapPlain wraps err with kind and a safe message unless it already is a
// domain error (whose kind and message stand); nil stays nil. Storage
// failures go through it: a driver error becomes an outage the user is
// told about, a rule the storage code reported keeps its own meaning.
func WrapPlain(kind Kind, op, msg string, err error) error {
	if err == nil {
		return nil
	}
	var e *E
	if errors.As(err, &e) {
		return err
	}
	return Wrap(kind, op, msg, err)
}

// KindOf reports the kind of err; errors that are not *E are Internal.
func KindOf(err error) Kind {
	var e *E
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Is reports whether err is a domain error of the given kind.
func Is(err error, kind Kind) bool { return err != nil && KindOf(err) == kind }

// SafeMessage is what a user may see for err.
func SafeMessage(err error) string {
	var e *E
	if errors.As(err, &e) && e.Kind != Internal && e.Msg != "" {
		return e.Msg
	}
	return "internal error; the event has been logged"
}

// CodeOf returns the finer-grained code of err, or the kind slug.
func CodeOf(err error) string {
	var e *E
	if errors.As(err, &e) {
		if e.Code != "" {
			return e.Code
		}
		return e.Kind.String()
	}
	return Internal.String()
}

// RetryAfterOf returns how long a rate-limited caller should wait, or 0.
func RetryAfterOf(err error) time.Duration {
	var e *E
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}
