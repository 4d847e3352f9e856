package cli

import (
	"testing"

	"github.com/liaison-wb/liaison/internal/entity"
)

// The benchmark classes each check by the date of birth it carries.
func TestBenchDateClass(t *testing.T) {
	dob := entity.Date{Year: 2003, Month: 8, Day: 2}
	for _, c := range []struct{ typed, want string }{
		{"02.08.2003", "date as recorded"}, {"2003-08-02", "date as recorded"},
		{"03.08.2003", "date mistyped"}, {"08.02.2003", "date mistyped"},
		{"2003", "no date or year only"}, {"", "no date or year only"}, {"1.13.2003", "date mistyped"},
	} {
		if got := dateClass(c.typed, dob); got != c.want {
			t.Errorf("dateClass(%q) = %q, want %q", c.typed, got, c.want)
		}
	}
}
