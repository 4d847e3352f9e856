package cases

import (
	"encoding/json"
	"slices"
	"unicode/utf8"
)

// jsonFields is jsonText for an entity's fields, byte for byte, without
// reflection: an import encodes every row's fields.
func jsonFields(f map[string]string) string {
	if f == nil {
		return "null"
	}
	keys := make([]string, 0, len(f))
	n := 2
	for k, v := range f {
		keys = append(keys, k)
		n += len(k) + len(v) + 6
	}
	slices.Sort(keys)
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, f[k])
	}
	return string(append(b, '}'))
}

// jsonStrings is jsonText for a list of strings (nil is an empty list).
func jsonStrings(list []string) string {
	if len(list) == 0 {
		return "[]"
	}
	b := append(make([]byte, 0, 64), '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return string(append(b, ']'))
}

// appendJSONString appends s quoted as encoding/json quotes it. Text that
// needs no escaping (the common case) is copied; anything else is left to
// encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				return appendMarshalled(b, s)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			return appendMarshalled(b, s)
		}
		i += size
	}
	return append(append(append(b, '"'), s...), '"')
}

func appendMarshalled(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}
