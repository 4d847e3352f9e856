package web

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/liaison-wb/liaison/internal/errs"
)

// Helpers shared by the HTML form handlers of every module.

// formStatus maps a service error to the status and safe message shown on a
// re-rendered form.
func (s *Server) formStatus(err error, path string) (int, string) {
	p := problemFor(s.d.Logger, err, path)
	return p.Status, p.Detail
}

// splitList splits a comma, semicolon or line separated field into trimmed,
// non-empty items.
func splitList(v string) []string {
	var out []string
	for _, x := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' || r == ';' || r == '\r' }) {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// Thousands are grouped with spaces, dots or commas across the region
// (1 500 000, 1.500.000, 1,500,000).
var groupedWhole = regexp.MustCompile(`^\d{1,3}([.,]\d{3})+$`)

// parseWhole reads a whole number typed by a user. Empty is 0. Anything else
// that is not a whole number is refused with the field's name rather than
// silently stored as 0.
func parseWhole(v, field string) (int64, error) {
	v = strings.Join(strings.Fields(strings.ReplaceAll(v, "\u00a0", " ")), "")
	if v == "" {
		return 0, nil
	}
	if groupedWhole.MatchString(v) {
		v = strings.NewReplacer(".", "", ",", "").Replace(v)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, errs.Newf(errs.Invalid, "web.form", "%s must be a whole number, e.g. 1200 or 1 200", field)
	}
	return n, nil
}

// formRetry shows a form page again after a failed submit: the page's data
// is reloaded and the error shown above the form. When the page itself
// cannot be loaded, the error page is shown instead.
func (s *Server) formRetry(w http.ResponseWriter, r *http.Request, err error, load func() (map[string]any, error), show func(status int, data map[string]any, msg string)) {
	data, lerr := load()
	if lerr != nil {
		s.uiError(w, r, lerr)
		return
	}
	status, msg := s.formStatus(err, r.URL.Path)
	show(status, data, msg)
}
