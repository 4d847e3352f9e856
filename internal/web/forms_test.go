package web

import (
	"reflect"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/activities"
	"github.com/liaison-wb/liaison/internal/errs"
)

func TestParseWhole(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"", 0, false},
		{"  ", 0, false},
		{"1200", 1200, false},
		{"1 500 000", 1500000, false},
		{"1\u00a0500", 1500, false},
		{"1.500.000", 1500000, false},
		{"1,500,000", 1500000, false},
		{"-3", -3, false},
		{"1.5", 0, true},
		{"12,5", 0, true},
		{"1.50.000", 0, true},
		{"EUR 100", 0, true},
		{"ten", 0, true},
		{"99999999999999999999", 0, true},
	}
	for _, tt := range tests {
		got, err := parseWhole(tt.in, "Budget")
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseWhole(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && (!errs.Is(err, errs.Invalid) || !strings.Contains(errs.SafeMessage(err), "Budget must be a whole number")) {
			t.Errorf("parseWhole(%q) error %q must name the field", tt.in, errs.SafeMessage(err))
		}
	}
}

func TestParseParticipants(t *testing.T) {
	got, err := parseParticipants("RS: Ministry of Interior: 7\r\n\n ME: Police Directorate: 3 \nBA: SIPA: Unit: 2")
	want := []activities.Participation{{Country: "RS", Agency: "Ministry of Interior", Count: 7}, {Country: "ME", Agency: "Police Directorate", Count: 3},
		{Country: "BA", Agency: "SIPA: Unit", Count: 2}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("parseParticipants = %+v, %v", got, err)
	}
	for _, bad := range []string{"RS: Ministry of Interior", "RS: Ministry: seven", ": Ministry: 3", "RS: : 3", "RS: Ministry: -1", "ok: a: 1\nbroken"} {
		if _, err := parseParticipants(bad); err == nil || !strings.Contains(errs.SafeMessage(err), "participants, line") {
			t.Errorf("parseParticipants(%q) = %v; want a refusal naming the line", bad, err)
		}
	}
}

func TestSplitList(t *testing.T) {
	got := splitList(" rs-mup, al-asp;\r\n\nme-uprava ,, ")
	if want := []string{"rs-mup", "al-asp", "me-uprava"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("splitList = %q, want %q", got, want)
	}
}

func FuzzParseWhole(f *testing.F) {
	for _, s := range []string{"1200", "1 500 000", "1.500.000", "1,5", "-3", "", "١٢٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseWhole(s, "Count")
		if err != nil {
			return
		}
		// Whatever is accepted is made of digits, an optional sign, and
		// grouping; and nothing non-empty turns into a silent 0.
		if strings.TrimSpace(strings.ReplaceAll(s, "\u00a0", " ")) != "" && n == 0 && !strings.ContainsAny(s, "0") {
			t.Fatalf("parseWhole(%q) = 0 without an error", s)
		}
	})
}

func FuzzParseParticipants(f *testing.F) {
	f.Add("RS: Ministry of Interior: 7\nME: Police Directorate: 3")
	f.Add("broken")
	f.Add("::1")
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := parseParticipants(s)
		if err != nil {
			return
		}
		nonBlank := 0
		for _, l := range strings.Split(strings.ReplaceAll(s, "\r", ""), "\n") {
			if strings.TrimSpace(l) != "" {
				nonBlank++
			}
		}
		if len(ps) != nonBlank {
			t.Fatalf("%d non-blank lines gave %d participants: a line was dropped", nonBlank, len(ps))
		}
		for _, p := range ps {
			if p.Country == "" || p.Agency == "" || p.Count < 0 {
				t.Fatalf("accepted an incomplete participant %+v", p)
			}
		}
	})
}

func TestSuggestedTargetAndSentence(t *testing.T) {
	ts := []routeTarget{{Code: "me-up", Name: "Police Directorate"}, {Code: "me-vdt", Name: "Supreme State Prosecutor's Office", Acronym: "VDT"}, {Code: "me-ncu", Name: "me-ncu"}}
	for named, want := range map[string]string{
		"":                   "",
		"me-up":              "me-up",
		"ME-VDT":             "me-vdt",
		"Ana Raičević (VDT)": "me-vdt",
		"Head of unit, Police Directorate, Podgorica": "me-up",
		"someone else": "",
	} {
		if got := suggestedTarget(ts, named); got != want {
			t.Errorf("suggestedTarget(%q) = %q, want %q", named, got, want)
		}
	}
	for in, want := range map[string]string{"a reason is required": "A reason is required.", "Done.": "Done.", "čekaj?": "Čekaj?", "": ""} {
		if got := sentence(in); got != want {
			t.Errorf("sentence(%q) = %q, want %q", in, got, want)
		}
	}
}
