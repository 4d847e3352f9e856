package textutil

import (
	"slices"
	"strings"
)

// CleanList returns the entries of a list typed by a person: each trimmed
// and then passed through each (nil keeps it as it is), empty ones and
// repeats left out, in their first order. The result is never nil, so it
// encodes as [] rather than null.
func CleanList(in []string, each func(string) string) []string {
	out := []string{}
	for _, v := range in {
		v = strings.TrimSpace(v)
		if each != nil {
			v = each(v)
		}
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
