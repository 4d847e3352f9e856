package alerts

import (
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/entity"
)

// What a check's date of birth can settle: a full date that can be a date
// of birth; none (or only a year or month); or a full date the officer
// mistyped, which counts as none.
func TestReadProbeDate(t *testing.T) {
	today := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		raw  string
		want probeDate
	}{
		{"", dateNone},
		{"1985", dateNone},
		{"1985-03", dateNone},
		{"1985-03-12", dateFull},
		{"12.03.1985", dateFull},
		{"19850312", dateFull},
		{"2026-12-05", dateFull},
		{"2026-12-06", dateInvalid}, // tomorrow
		{"12.03.2985", dateInvalid},
		{"3.18.1985", dateInvalid}, // month 18
		{"19874305", dateInvalid},
		{"31.02.1990", dateInvalid},
		{"12.3.985", dateInvalid}, // a digit lost from the year
		{"08.08.1899", dateInvalid},
		{"not a date", dateNone},
	} {
		if got := readProbeDate(tt.raw, today); got != tt.want {
			t.Errorf("readProbeDate(%q) = %d, want %d", tt.raw, got, tt.want)
		}
	}
}

func FuzzReadProbeDate(f *testing.F) {
	for _, s := range []string{"1985-03-12", "12.3.985", "3.18.1985", "19874305", "1985", "", "00.00.0000", "29.02.2000"} {
		f.Add(s)
	}
	today := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		got := readProbeDate(raw, today)
		d, err := entity.ParseDate(raw)
		switch {
		case got == dateFull && (err != nil || !d.Full() || d.Year < 1900 || d.Year > 2026):
			t.Fatalf("%q (%v, %v) read as a full date of birth", raw, d, err)
		case got == dateFull && time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC).Day() != d.Day:
			t.Fatalf("%q is not a calendar date but was read as one", raw)
		case got == dateNone && d.Full():
			t.Fatalf("%q has a full date but was read as none", raw)
		}
	})
}
