package web

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/identity"
	"github.com/liaison-wb/liaison/internal/store"
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
	// formStashPerUser bounds what one account can keep waiting.
	formStashPerUser = 50
)

// formStash holds failed submits (and secrets shown once) until they are
// shown or expire. It lives in the database, so the page after a redirect
// may be served by any instance of the node; the payload is sealed with
// AES-GCM under a key derived from the node's identity, since it can hold
// a new API token or second-factor secret.
type formStash struct {
	st   *store.Store
	aead cipher.AEAD
}

func newFormStash(st *store.Store, node *identity.Node) (*formStash, error) {
	key, err := hkdf.Key(sha256.New, node.Original().Seed(), nil, "liaison web form stash v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &formStash{st: st, aead: aead}, nil
}

// stashed is what is sealed.
type stashed struct {
	Form    string              `json:"form"`
	Values  map[string][]string `json:"values"`
	Errors  map[string]string   `json:"errors"`
	Message string              `json:"message"`
	Status  int                 `json:"status"`
}

func (st *formStash) put(ctx context.Context, f *formFailure, now time.Time) (string, error) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	plain, err := json.Marshal(stashed{Form: f.Form, Values: f.Values, Errors: f.Errors, Message: f.Message, Status: f.Status})
	if err != nil {
		return "", err
	}
	nonce := make([]byte, st.aead.NonceSize())
	_, _ = rand.Read(nonce)
	// The ID and the user are bound to the sealed text.
	sealed := st.aead.Seal(nonce, nonce, plain, []byte(id+"\x00"+f.User))
	err = st.st.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM web_stash WHERE expires_at < ?`, store.FormatTime(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM web_stash WHERE username = ? AND id NOT IN
			(SELECT id FROM web_stash WHERE username = ? ORDER BY expires_at DESC LIMIT ?)`, f.User, f.User, formStashPerUser-1); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO web_stash (id, username, expires_at, payload) VALUES (?, ?, ?, ?)`,
			id, f.User, store.FormatTime(now.Add(formStashTTL)), base64.StdEncoding.EncodeToString(sealed))
		return err
	})
	return id, err
}

// open unseals a row read for id and user; nil when it cannot be read.
func (st *formStash) open(id, user, payload string) *formFailure {
	raw, err := base64.StdEncoding.DecodeString(payload)
	if err != nil || len(raw) < st.aead.NonceSize() {
		return nil
	}
	n := st.aead.NonceSize()
	plain, err := st.aead.Open(nil, raw[:n], raw[n:], []byte(id+"\x00"+user))
	if err != nil {
		return nil
	}
	var x stashed
	if json.Unmarshal(plain, &x) != nil {
		return nil
	}
	return &formFailure{User: user, Form: x.Form, Values: url.Values(x.Values), Errors: x.Errors, Message: x.Message, Status: x.Status}
}

func (st *formStash) get(ctx context.Context, id, user string, now time.Time) *formFailure {
	var payload string
	err := st.st.QueryRowContext(ctx, `SELECT payload FROM web_stash WHERE id = ? AND username = ? AND expires_at >= ?`, id, user, store.FormatTime(now)).Scan(&payload)
	if err != nil {
		return nil // gone, expired, someone else's, or the database is down: the page shows without it
	}
	return st.open(id, user, payload)
}

// take returns the entry and forgets it, for what is shown only once; of
// two instances asked at once, one gets it.
func (st *formStash) take(ctx context.Context, id, user string, now time.Time) *formFailure {
	var payload, expires string
	err := st.st.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRowContext(ctx, `DELETE FROM web_stash WHERE id = ? AND username = ? RETURNING payload, expires_at`, id, user).Scan(&payload, &expires)
	})
	if err != nil || expires < store.FormatTime(now) {
		return nil
	}
	return st.open(id, user, payload)
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
	id, perr := s.forms.put(r.Context(), f, s.d.Clock.Now())
	if perr != nil {
		s.uiError(w, r, errs.Wrap(errs.Unavailable, "web.form", "the form could not be kept; try again", perr))
		return
	}
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
	return s.forms.get(r.Context(), id, p.Username, s.d.Clock.Now())
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
