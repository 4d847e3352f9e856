package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/validate"
)

// checkJSONBody is the one place where JSON request bodies of the API are
// checked, after authorisation and before any handler decodes them
// (validate.JSON): valid UTF-8, no NUL bytes, no duplicate keys, real dates,
// bounded entity field values, no control characters in header-like values.
// A refusal is a problem document whose errors name the field (for arrays,
// with the row index). The body is put back for the decoder.
func (s *Server) checkJSONBody(r *http.Request) *Problem {
	if isSafeMethod(r.Method) || r.Body == nil || r.Body == http.NoBody || !isJSON(r.Header.Get("Content-Type")) {
		return nil
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return problemFor(s.d.Logger, err, r.URL.Path)
		}
		return problemFor(s.d.Logger, errs.Wrap(errs.Invalid, "web.body", "cannot read the request body", err), r.URL.Path)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil
	}
	if r.Header.Get("Content-Type") == "" && trimmed[0] != '{' && trimmed[0] != '[' {
		return nil // not JSON (e.g. a CSV file sent without a type)
	}
	if !json.Valid(body) {
		return nil // malformed: the decoder answers with its own problem
	}
	check := validate.JSON
	if queryPaths[r.URL.Path] {
		check = validate.QueryJSON
	}
	if ve := check(body, "body"); ve != nil {
		return &Problem{Type: ProblemTypePrefix + "invalid-input", Title: http.StatusText(http.StatusBadRequest), Status: http.StatusBadRequest,
			Detail: ve.Location + " " + ve.Msg, Instance: r.URL.Path, Errors: []*huma.ErrorDetail{{Location: ve.Location, Message: ve.Msg}}}
	}
	return nil
}

// queryPaths are the searches and checks: what they look for is compared as
// written, so an impossible date (a typo on a document) is matched digit by
// digit instead of refused.
var queryPaths = map[string]bool{
	"/api/v1/cases/search":       true,
	"/api/v1/cases/queries":      true,
	"/api/v1/alerts/check":       true,
	"/api/v1/alerts/check/batch": true,
}

func isJSON(ct string) bool {
	if ct == "" {
		return true // huma reads a body without a type as JSON; see checkJSONBody
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return true // let the decoder refuse it, after the checks
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}
