// Package validate holds the input rules every transport applies before a
// domain service sees a value: text is valid UTF-8 without NUL bytes,
// header-like values have no control characters, date-shaped values are
// real dates, entity field values have a bounded length, and JSON bodies have
// no duplicate keys. The web API applies them to every JSON body (see JSON);
// imports apply them to every cell (see FieldValue).
package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/errs"
)

// MaxFieldValue is the longest accepted entity field value, in characters.
const MaxFieldValue = 1000

// MaxDepth bounds the nesting of a JSON body.
const MaxDepth = 64

// Error names the offending field (a JSON location such as
// body.fields.family_name, or a column) and says what is wrong.
type Error struct {
	Location string
	Msg      string
}

func (e *Error) Error() string { return e.Location + ": " + e.Msg }

var (
	isoDate = regexp.MustCompile(`^\d{4}-\d{1,2}-\d{1,2}$`)
	dotDate = regexp.MustCompile(`^\d{1,2}\.\d{1,2}\.\d{3,4}\.?$`)
)

// headerLike fields end up in HTTP headers or file names.
func headerLike(key string) bool {
	k := strings.ToLower(key)
	return k == "content_type" || k == "contenttype" || k == "mime_type" || k == "filename" || k == "file_name"
}

// Text checks one text value whose field is named key; it returns "" when
// the value is acceptable.
func Text(key, v string) string { return text(key, v, true) }

// text is Text; realDates refuses date-shaped values that are not dates.
func text(key, v string, realDates bool) string {
	if !utf8.ValidString(v) {
		return "is not valid UTF-8 text"
	}
	if strings.IndexByte(v, 0) >= 0 {
		return "contains a NUL character"
	}
	if headerLike(key) {
		for _, r := range v {
			if unicode.IsControl(r) {
				return "must not contain control characters such as CR or LF"
			}
		}
	}
	if t := strings.TrimSpace(v); realDates && (isoDate.MatchString(t) || dotDate.MatchString(t)) {
		if _, err := entity.ParseDate(t); err != nil {
			return fmt.Sprintf("%q is not a real date", t)
		}
	}
	return ""
}

// FieldValue checks an entity field value: Text, and at most MaxFieldValue
// characters.
func FieldValue(key, v string) string { return fieldValue(key, v, true) }

// ProbeValue checks a value that is searched for rather than stored: as
// FieldValue, except that an impossible date (a typo such as 31.02.1980 or
// month 13, as written on a damaged document) is accepted, because the
// matching engine compares it digit by digit.
func ProbeValue(key, v string) string { return fieldValue(key, v, false) }

func fieldValue(key, v string, realDates bool) string {
	if m := text(key, v, realDates); m != "" {
		return m
	}
	if utf8.RuneCountInString(v) > MaxFieldValue {
		return fmt.Sprintf("is longer than %d characters", MaxFieldValue)
	}
	return ""
}

// JSON checks a JSON body: it must be one valid JSON value with no duplicate
// keys, and every string in it must pass Text (FieldValue for the values of
// a "fields" object). Locations start with prefix, e.g. "body".
func JSON(body []byte, prefix string) *Error { return checkJSON(body, prefix, true) }

// QueryJSON checks the body of a search or check as JSON does, except that
// impossible dates are accepted (see ProbeValue).
func QueryJSON(body []byte, prefix string) *Error { return checkJSON(body, prefix, false) }

func checkJSON(body []byte, prefix string, realDates bool) *Error {
	if !utf8.Valid(body) {
		// Name the string that holds the bad bytes.
		bad := firstInvalidUTF8(body)
		loc := prefix
		_ = walk(body, prefix, func(path string, start, end int64) bool {
			if int64(bad) >= start && int64(bad) < end {
				loc = path
				return false
			}
			return true
		}, nil)
		return &Error{Location: loc, Msg: "is not valid UTF-8 text"}
	}
	var out *Error
	err := walk(body, prefix, nil, func(path, key string, inFields bool, v string) bool {
		check := text
		if inFields {
			check = fieldValue
		}
		if m := check(key, v, realDates); m != "" {
			out = &Error{Location: path, Msg: m}
			return false
		}
		return true
	})
	if out != nil {
		return out
	}
	if err != nil {
		var ve *Error
		if errors.As(err, &ve) {
			return ve
		}
		return &Error{Location: prefix, Msg: "is not valid JSON: " + err.Error()}
	}
	return nil
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

type frame struct {
	object   bool
	keys     map[string]bool
	key      string // current key in an object
	index    int    // next index in an array
	path     string
	inFields bool
}

// walk visits every token. span is called with each value's byte range,
// str with each string value (and its key); either may stop the walk.
func walk(body []byte, prefix string, span func(path string, start, end int64) bool,
	str func(path, key string, inFields bool, v string) bool) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var stack []*frame
	expectKey, values := false, 0
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err == io.EOF {
			if len(stack) != 0 {
				return io.ErrUnexpectedEOF
			}
			return nil
		}
		if err != nil {
			return err
		}
		end := dec.InputOffset()
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		} else if values++; values > 1 {
			return &Error{Location: prefix, Msg: "has data after the JSON value"}
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			expectKey = len(stack) > 0 && stack[len(stack)-1].object
			continue
		}
		if top != nil && top.object && expectKey {
			k, _ := tok.(string)
			p := top.path + "." + k
			if span != nil && !span(p, start, end) {
				return nil
			}
			if m := Text("", k); m != "" {
				return &Error{Location: p, Msg: "key " + m}
			}
			if top.keys[k] {
				return &Error{Location: p, Msg: "appears twice in the same object"}
			}
			top.keys[k] = true
			top.key = k
			expectKey = false
			continue
		}
		path, key, inFields := prefix, "", false
		if top != nil {
			if top.object {
				path, key, inFields = top.path+"."+top.key, top.key, top.inFields
			} else {
				path, inFields = top.path+"["+strconv.Itoa(top.index)+"]", top.inFields
				top.index++
			}
		}
		if span != nil && !span(path, start, end) {
			return nil
		}
		switch t := tok.(type) {
		case json.Delim:
			if len(stack) >= MaxDepth {
				return &Error{Location: path, Msg: fmt.Sprintf("is nested deeper than %d levels", MaxDepth)}
			}
			f := &frame{object: t == '{', path: path, inFields: key == "fields" && t == '{'}
			if f.object {
				f.keys = map[string]bool{}
				expectKey = true
			}
			stack = append(stack, f)
			continue
		case string:
			if str != nil && !str(path, key, inFields, t) {
				return nil
			}
		}
		if top != nil && top.object {
			expectKey = true
		}
	}
}

// Field checks one text field of a form or request for a domain service:
// trimmed, required when asked, acceptable to Text and at most max
// characters. The error names the field in words ("the place of the
// check …") and is an invalid-input domain error of operation op.
func Field(op, name, v string, max int, required bool) (string, error) {
	v = strings.TrimSpace(v)
	if required && v == "" {
		return "", errs.Newf(errs.Invalid, op, "the %s is required", name)
	}
	if m := Text(name, v); m != "" {
		return "", errs.Newf(errs.Invalid, op, "the %s: %s", name, m)
	}
	if utf8.RuneCountInString(v) > max {
		return "", errs.Newf(errs.Invalid, op, "the %s is limited to %d characters", name, max)
	}
	return v, nil
}

// List checks a list of text fields as Field does (none required), drops
// empty and repeated values and allows at most maxItems.
func List(op, name string, in []string, maxItems, maxLen int) ([]string, error) {
	out := []string{}
	for _, v := range in {
		v, err := Field(op, name, v, maxLen, false)
		if err != nil {
			return nil, err
		}
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	if len(out) > maxItems {
		return nil, errs.Newf(errs.Invalid, op, "at most %d %s", maxItems, name)
	}
	return out, nil
}
