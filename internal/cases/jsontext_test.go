package cases

import (
	"encoding/json"
	"testing"
)

// jsonFields and jsonStrings are encoding/json's output, byte for byte,
// whatever the text (escapes, HTML characters, invalid UTF-8, U+2028).
func FuzzJSONFields(f *testing.F) {
	for _, s := range [][2]string{{"given_name", "Đorđe"}, {"a\"b", "<x>&\\"}, {"\u2028", "\xff\xfe"}, {"", "\t\n\x01"}, {"family_name", "O'Brien"}} {
		f.Add(s[0], s[1], "date_of_birth")
	}
	f.Fuzz(func(t *testing.T, k, v, k2 string) {
		m := map[string]string{k: v, k2: v + k}
		want, _ := json.Marshal(m)
		if got := jsonFields(m); got != string(want) {
			t.Fatalf("jsonFields(%q) = %s, want %s", m, got, want)
		}
		if got := jsonFields(nil); got != "null" {
			t.Fatalf("jsonFields(nil) = %s", got)
		}
		for _, list := range [][]string{nil, {v}, {k, v, k2}} {
			want, _ := json.Marshal(nz(list))
			if got := jsonStrings(list); got != string(want) {
				t.Fatalf("jsonStrings(%q) = %s, want %s", list, got, want)
			}
		}
	})
}
