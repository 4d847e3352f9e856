package validate_test

import (
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/validate"
)

func TestField(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
		max           int
		required      bool
	}{
		{in: "  Horgoš crossing ", want: "Horgoš crossing", max: 300},
		{in: "   ", want: "", max: 300},
		{in: "  ", max: 300, required: true, err: "the place is required"},
		{in: "abcd", max: 3, err: "the place is limited to 3 characters"},
		{in: "čćžšđ", want: "čćžšđ", max: 5},
		{in: "a\x00b", max: 300, err: "contains a NUL character"},
		{in: "\xff", max: 300, err: "is not valid UTF-8 text"},
		{in: "2026-02-30", max: 300, err: "is not a real date"},
		{in: "20.5.986.", max: 300, err: "is not a real date"}, // a year missing a digit
	} {
		got, err := validate.Field("test", "place", tc.in, tc.max, tc.required)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%q: %q, %v; want %q", tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err) || !errs.Is(err, errs.Invalid)):
			t.Errorf("%q: error %v, want an invalid-input error with %q", tc.in, err, tc.err)
		}
	}
}
