package alerts_test

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/liaison-wb/liaison/internal/alerts"
)

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"Marko Petrović 12.03.1985", "ПЕТРОВИЋ Марко 1985-03-12", "BG 123-AB", "WVWZZZ1JZXW000001", "0101985710018", "", " , ; ", "19850312", "31.02.2000", "ё\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := alerts.ParseQuery(s)
		if err != nil {
			if !utf8.ValidString(err.Error()) {
				t.Fatalf("error message is not valid UTF-8: %q", err.Error())
			}
			return
		}
		// Every word without digits is part of the name.
		for _, tok := range strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == ',' || r == ';' }) {
			if !strings.ContainsFunc(tok, unicode.IsDigit) && !strings.Contains(p.Name, tok) {
				t.Fatalf("word %q of %q missing from the name %q", tok, s, p.Name)
			}
		}
		if len(p.Identifiers) > 12 {
			t.Fatalf("too many identifiers from %q", s)
		}
		for _, id := range p.Identifiers {
			if len(id) < 4 || strings.ToUpper(id) != id || !utf8.ValidString(id) {
				t.Fatalf("bad identifier %q from %q", id, s)
			}
		}
	})
}

func FuzzParseWire(f *testing.F) {
	svc := alerts.New(alerts.Deps{NodeID: "me"}, alerts.Config{})
	f.Add(`{"id":"0193","origin_node":"rs","kind":"check","person":{"family_name":"B"},"action":"a","reason":"r","authority":"x","status":"active","digest":""}`)
	f.Add(`{"alert_id":"x","kind":"status","status":"withdrawn","reason":"r","at":"2026-01-01T00:00:00Z"}`)
	f.Add(`{"alert_id":"x","kind":"review","review_due":"2026-01-01T00:00:00Z","at":"2026-01-01T00:00:00Z"}`)
	f.Add(`{"id":"h","alert_id":"a","place":"p","checked_at":"2026-01-01T00:00:00Z","due":"2026-01-01T12:00:00Z","action_taken":"held"}`)
	f.Add(`{}`)
	f.Add(`[`)
	f.Fuzz(func(t *testing.T, s string) {
		if a, err := svc.ParsePublish("rs", []byte(s)); err == nil {
			if a.OriginNode != "rs" || alerts.Digest(a) != a.Digest || !alerts.InForce(a.Status) || (a.Person == nil) == (a.Object == nil) {
				t.Fatalf("accepted an inconsistent alert: %+v", a)
			}
		}
		_, _ = alerts.ParseUpdate([]byte(s))
		if h, err := alerts.ParseHit([]byte(s)); err == nil && (h.Place == "" || h.ActionTaken == "") {
			t.Fatalf("accepted a hit report without place or action: %+v", h)
		}
	})
}

func FuzzParseFiles(f *testing.F) {
	f.Add("ref,given_name,family_name,date_of_birth\n1,Marko,Petrović,1985-03-12\n")
	f.Add("query\n\"BG 123 AB\"\n\"a\"\"b\n")
	f.Add("ref;plate\n;\n")
	f.Add(importHeader + "check,discreet,Ana,Kovačević,,1991-07-02,,,,,,,a,b,c,,me|al:x\n")
	f.Add("kind,unknown\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		rows, bad, err := alerts.ParseBatch(strings.NewReader(s))
		if err == nil {
			for _, r := range rows {
				if strings.TrimSpace(r.Query) == "" || r.Line < 2 {
					t.Fatalf("row without query or line: %+v", r)
				}
			}
			for _, b := range bad {
				if b.Line < 1 || !utf8.ValidString(b.Msg) {
					t.Fatalf("bad row report: %+v", b)
				}
			}
		}
		lines, bad, err := alerts.ParseImport(strings.NewReader(s), alerts.FormatCSV)
		if err == nil {
			for _, l := range lines {
				if (l.Draft.Person == nil) == (l.Draft.Object == nil) || l.Line < 2 {
					t.Fatalf("import line: %+v", l)
				}
			}
			_ = bad
		}
		_, _, _ = alerts.ParseImport(strings.NewReader(s), alerts.FormatJSON)
	})
}

// A date of birth typed with a typo stays the date of birth (the engine
// compares it digit by digit) instead of becoming an identifier.
func TestParseQueryKeepsMistypedDates(t *testing.T) {
	for _, c := range []struct{ in, dob, id, notID string }{
		{"Marko Petrović 12.03.1985", "1985-03-12", "", "12031985"},
		{"Marko Petrović 13.16.1998.", "13.16.1998", "", "13161998"},
		{"Marko Petrović 95.1.1966", "95.1.1966", "", "9511966"},
		{"Marko Petrović 19785315", "19785315", "19785315", ""},
		{"BG 123-AB", "", "BG123AB", ""},
		{"Arta Kola 1978", "1978", "", "1978"},
		{"Amar Hajdarević 1993-07", "1993-07", "", "199307"},
		{"Ivan Gajić 10.3.7951.", "10.3.7951", "", "1037951"},
		{"A123 1978", "", "1978", ""},
	} {
		p, err := alerts.ParseQuery(c.in)
		if err != nil {
			t.Fatal(err)
		}
		if p.DateOfBirth != c.dob || (c.id != "" && !slices.Contains(p.Identifiers, c.id)) || (c.notID != "" && slices.Contains(p.Identifiers, c.notID)) {
			t.Errorf("%q: date %q identifiers %v, want date %q, identifier %q, not %q", c.in, p.DateOfBirth, p.Identifiers, c.dob, c.id, c.notID)
		}
	}
}
