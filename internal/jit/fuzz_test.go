package jit

import (
	"strings"
	"testing"
)

func FuzzParseMemberLines(f *testing.F) {
	for _, s := range []string{"amra@ba, police, SIPA, Amra Hodžić", "ana@rs,leader\n\nx@me, observer", "@, ,", "a@b", "a@B, POLICE,,", "a@rs, king"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := ParseMemberLines(s)
		if err != nil {
			return
		}
		for _, m := range ms {
			if _, err := cleanMember("fuzz", m); err != nil {
				t.Fatalf("accepted an invalid member %+v: %v", m, err)
			}
			if m.Node != strings.ToLower(m.Node) {
				t.Fatalf("node not lower-cased: %q", m.Node)
			}
		}
	})
}

func FuzzParseTaskLines(f *testing.F) {
	for _, s := range []string{"Surveil warehouse | amra@ba | 2026-12-01", "x", "a | b", "t || 2026-13-01", "|", "t | | "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := ParseTaskLines(s)
		if err != nil {
			return
		}
		for _, x := range ts {
			if x.Title == "" || (x.Owner != "" && !strings.Contains(x.Owner, "@")) {
				t.Fatalf("accepted %+v", x)
			}
			if x.DueDate != "" {
				if _, err := normDate("fuzz", "d", x.DueDate); err != nil {
					t.Fatalf("bad date accepted: %q", x.DueDate)
				}
			}
		}
	})
}

func TestParseLines(t *testing.T) {
	ms, err := ParseMemberLines("amra@BA, Police, SIPA, Amra Hodžić\n\nana@rs, leader")
	if err != nil || len(ms) != 2 || ms[0].Node != "ba" || ms[0].Role != "police" || ms[0].Name != "Amra Hodžić" || ms[1].Agency != "" {
		t.Fatalf("%+v %v", ms, err)
	}
	if _, err := ParseMemberLines("ok@rs, police\nbroken"); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("error must name the line: %v", err)
	}
	ts, err := ParseTaskLines("Surveil | amra@ba | 2026-12-01\nReport")
	if err != nil || len(ts) != 2 || ts[0].DueDate != "2026-12-01" || ts[0].Owner != "amra@ba" {
		t.Fatalf("%+v %v", ts, err)
	}
	if _, err := ParseTaskLines("x | amra@ba | 1.12.2026"); err == nil {
		t.Fatal("bad date accepted")
	}
}
