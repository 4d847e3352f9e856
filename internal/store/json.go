package store

import "encoding/json"

// JSONText encodes a list or object kept in a TEXT column. A nil slice is
// stored as [] so readers never meet null.
func JSONText(v any) string {
	b, _ := json.Marshal(v)
	if string(b) == "null" {
		return "[]"
	}
	return string(b)
}

// ParseJSON decodes a TEXT column written by JSONText; an unreadable value
// gives the zero value, as for an empty column.
func ParseJSON[T any](s string) T {
	var v T
	_ = json.Unmarshal([]byte(s), &v)
	return v
}
