package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

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

// A failed form submit follows POST/redirect/GET too: the values typed, the
// message for each field in error and the message above the form are kept
// on the server for a few minutes under a random ID, and the browser is sent
// back to the form's page with ?form=ID. The page shows the form filled in
// again with the fields marked, a reload shows the same, and nothing is
// submitted twice. This is the one mechanism every HTML form uses.

// formFailure is one failed submit.
type formFailure struct {
	User    string
	Form    string // which form on the page failed, e.g. "reply"
	Values  url.Values
	Errors  map[string]string // field name → translated message
	Message string            // shown above the form
	Status  int
	expires time.Time
}

// V is the first value typed into a field.
func (f *formFailure) V(name string) string {
	if f == nil {
		return ""
	}
	return f.Values.Get(name)
}

// Has reports whether a check box or multiple select had value v.
func (f *formFailure) Has(name, v string) bool {
	if f == nil {
		return false
	}
	return slices.Contains(f.Values[name], v)
}

// Err is the message for a field, or "".
func (f *formFailure) Err(name string) string {
	if f == nil {
		return ""
	}
	return f.Errors[name]
}

// Is reports whether the failure belongs to the named form of the page.
func (f *formFailure) Is(form string) bool { return f != nil && f.Form == form }

// Map is the values as a field → value map, for templates that read
// .Data.Form.field.
func (f *formFailure) Map() map[string]string {
	out := map[string]string{}
	if f != nil {
		for k, v := range f.Values {
			if len(v) > 0 {
				out[k] = v[0]
			}
		}
	}
	return out
}

const (
	formStashTTL = 15 * time.Minute
	formStashMax = 2000
)

// formStash holds failed submits until they are shown or expire.
type formStash struct {
	mu sync.Mutex
	m  map[string]*formFailure
}

func (st *formStash) put(f *formFailure, now time.Time) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.m == nil {
		st.m = map[string]*formFailure{}
	}
	for id, x := range st.m {
		if now.After(x.expires) || len(st.m) >= formStashMax {
			delete(st.m, id)
		}
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	f.expires = now.Add(formStashTTL)
	st.m[id] = f
	return id
}

func (st *formStash) get(id, user string, now time.Time) *formFailure {
	st.mu.Lock()
	defer st.mu.Unlock()
	f := st.m[id]
	if f == nil || f.User != user || now.After(f.expires) {
		return nil
	}
	return f
}

// take returns the entry and forgets it, for what is shown only once.
func (st *formStash) take(id, user string, now time.Time) *formFailure {
	f := st.get(id, user, now)
	if f != nil {
		st.mu.Lock()
		delete(st.m, id)
		st.mu.Unlock()
	}
	return f
}

// fieldError is a check the web layer makes before calling a service, so
// the message is in the reader's language and next to its field.
type fieldError struct {
	Field string
	Key   string // catalogue key of the message
}

func (e *fieldError) Error() string { return e.Field + ": " + e.Key }

// needField returns a fieldError when value is blank.
func needField(value, field, key string) error {
	if strings.TrimSpace(value) == "" {
		return &fieldError{Field: field, Key: key}
	}
	return nil
}

// codeFields maps stable error codes of the services to the form field they
// are about and the translated message shown next to it.
var codeFields = map[string]fieldError{
	"no-onward-dissemination": {Field: "permission", Key: "form.err.permission"},
	"unknown-agency":          {Field: "agency", Key: "form.err.agency"},
	"bad-credentials":         {Field: "current", Key: "form.err.current"},
	"bad-totp":                {Field: "code", Key: "form.err.totp"},
}

// failForm keeps a failed submit and redirects to page (the form's page,
// path and query) so it is shown again, filled in, with err explained.
// Errors that are not about the input (not found, forbidden, unavailable)
// are shown as an error page instead.
func (s *Server) failForm(w http.ResponseWriter, r *http.Request, page, form string, err error) {
	lang := s.lang(r)
	f := &formFailure{Form: form, Values: url.Values{}, Errors: map[string]string{}, Status: http.StatusUnprocessableEntity}
	if p := PrincipalFrom(r.Context()); p != nil {
		f.User = p.Username
	}
	for k, v := range r.PostForm {
		// Secrets are never kept or sent back.
		if k != "csrf_token" && !strings.Contains(k, "password") && k != "current" && k != "new" && k != "totp" {
			f.Values[k] = v
		}
	}
	var fe *fieldError
	switch {
	case errors.As(err, &fe):
		f.Errors[fe.Field] = s.d.Catalog.T(lang, fe.Key)
		f.Message = s.d.Catalog.T(lang, "form.err.fix")
	default:
		p := problemFor(s.d.Logger, err, r.URL.Path)
		if p.Status == http.StatusNotFound || p.Status == http.StatusForbidden && errs.CodeOf(err) == "" || p.Status >= 500 {
			s.uiError(w, r, err)
			return
		}
		f.Status, f.Message = p.Status, sentence(s.errText(lang, p.Detail))
		if cf, ok := codeFields[errs.CodeOf(err)]; ok {
			f.Errors[cf.Field] = s.d.Catalog.T(lang, cf.Key)
			f.Message = s.d.Catalog.T(lang, "form.err.fix")
		}
	}
	id := s.forms.put(f, s.d.Clock.Now())
	sep := "?"
	if strings.Contains(page, "?") {
		sep = "&"
	}
	http.Redirect(w, r, page+sep+"form="+id, http.StatusSeeOther)
}

// failedForm returns the failed submit a page was redirected with, if any.
func (s *Server) failedForm(r *http.Request) *formFailure {
	id := r.URL.Query().Get("form")
	p := PrincipalFrom(r.Context())
	if id == "" || p == nil {
		return nil
	}
	return s.forms.get(id, p.Username, s.d.Clock.Now())
}

// sentence makes a service message a sentence: capital first letter, full stop.
func sentence(msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return msg
	}
	r, n := utf8.DecodeRuneInString(msg)
	msg = string(unicode.ToUpper(r)) + msg[n:]
	if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "?") && !strings.HasSuffix(msg, "!") {
		msg += "."
	}
	return msg
}
