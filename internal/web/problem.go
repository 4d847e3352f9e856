package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-wb/liaison/internal/errs"
)

// ProblemTypePrefix starts every problem type; the suffix is a stable code.
const ProblemTypePrefix = "urn:liaison:problem:"

// Problem is an RFC 9457 problem details document.
type Problem struct {
	Type     string              `json:"type"`
	Title    string              `json:"title"`
	Status   int                 `json:"status"`
	Detail   string              `json:"detail,omitempty"`
	Instance string              `json:"instance,omitempty"`
	Errors   []*huma.ErrorDetail `json:"errors,omitempty"`

	retryAfter time.Duration
}

// GetHeaders adds Retry-After to rate-limited answers sent by huma.
func (p *Problem) GetHeaders() http.Header {
	h := http.Header{}
	if p.retryAfter > 0 {
		h.Set("Retry-After", retryAfterValue(p.retryAfter))
	}
	return h
}

func retryAfterValue(d time.Duration) string {
	return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second)))
}

func (p *Problem) Error() string  { return p.Detail }
func (p *Problem) GetStatus() int { return p.Status }

// ContentType makes huma send application/problem+json.
func (p *Problem) ContentType(string) string { return "application/problem+json" }

// statusOf maps an error kind to its HTTP status, in one place.
func statusOf(k errs.Kind) int {
	switch k {
	case errs.Invalid:
		return http.StatusBadRequest
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict:
		return http.StatusConflict
	case errs.Unauthenticated:
		return http.StatusUnauthorized
	case errs.Forbidden:
		return http.StatusForbidden
	case errs.TooLarge:
		return http.StatusRequestEntityTooLarge
	case errs.RateLimited:
		return http.StatusTooManyRequests
	case errs.Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

func codeForStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid"
	case http.StatusUnprocessableEntity:
		return "validation"
	case http.StatusNotFound:
		return "not-found"
	case http.StatusMethodNotAllowed:
		return "method-not-allowed"
	case http.StatusConflict:
		return "conflict"
	case http.StatusUnauthorized:
		return "unauthenticated"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusRequestEntityTooLarge:
		return "too-large"
	case http.StatusTooManyRequests:
		return "rate-limited"
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	if status >= 500 {
		return "internal"
	}
	return "error"
}

// problemFor converts any error into a problem, logging internal causes.
func problemFor(logger *slog.Logger, err error, instance string) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = errs.New(errs.TooLarge, "web", "the request body is too large")
	}
	kind := errs.KindOf(err)
	status := statusOf(kind)
	if status >= 500 {
		logger.Error("request failed", "err", err, "path", instance)
	} else {
		logger.Debug("request refused", "err", err, "path", instance)
	}
	return &Problem{Type: ProblemTypePrefix + errs.CodeOf(err), Title: http.StatusText(status), Status: status,
		Detail: errs.SafeMessage(err), Instance: instance, retryAfter: errs.RetryAfterOf(err)}
}

// newHumaError replaces huma's default error constructor so validation and
// framework errors use the same problem types as domain errors.
func newHumaError(status int, msg string, details ...error) huma.StatusError {
	p := &Problem{Type: ProblemTypePrefix + codeForStatus(status), Title: http.StatusText(status), Status: status, Detail: msg}
	for _, d := range details {
		if d == nil {
			continue
		}
		var ed *huma.ErrorDetail
		if errors.As(d, &ed) {
			p.Errors = append(p.Errors, ed)
			continue
		}
		if status >= 500 {
			// Never leak internal causes to clients.
			continue
		}
		p.Errors = append(p.Errors, &huma.ErrorDetail{Message: d.Error()})
	}
	if status >= 500 {
		p.Detail = "internal error; the event has been logged"
	}
	return p
}

func writeProblem(w http.ResponseWriter, p *Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	if p.retryAfter > 0 {
		w.Header().Set("Retry-After", retryAfterValue(p.retryAfter))
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
