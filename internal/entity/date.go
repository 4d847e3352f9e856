package entity

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Date is a calendar date that may be partial: Month and/or Day are 0 when
// unknown. The zero Date means "no date".
type Date struct {
	Year, Month, Day int
}

// ErrDate reports an unparseable or impossible date.
var ErrDate = errors.New("invalid date")

// IsZero reports whether the date is unknown.
func (d Date) IsZero() bool { return d.Year == 0 }

// Full reports whether year, month and day are all known.
func (d Date) Full() bool { return d.Year != 0 && d.Month != 0 && d.Day != 0 }

// String renders YYYY-MM-DD, YYYY-MM or YYYY.
func (d Date) String() string {
	switch {
	case d.Year == 0:
		return ""
	case d.Month == 0:
		return fmt.Sprintf("%04d", d.Year)
	case d.Day == 0:
		return fmt.Sprintf("%04d-%02d", d.Year, d.Month)
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// Digits renders the date as 8 characters YYYYMMDD with "00" for unknown
// parts; used for typo-tolerant comparison.
func (d Date) Digits() string {
	if d.Year == 0 {
		return ""
	}
	return fmt.Sprintf("%04d%02d%02d", d.Year, d.Month, d.Day)
}

// Valid reports whether the date exists in the proleptic Gregorian calendar
// (partial dates are valid when their known parts are).
func (d Date) Valid() bool {
	if d.Year < 1000 || d.Year > 2999 {
		return false
	}
	if d.Month == 0 {
		return d.Day == 0
	}
	if d.Month < 1 || d.Month > 12 {
		return false
	}
	if d.Day == 0 {
		return true
	}
	return d.Day >= 1 && d.Day <= daysIn(d.Year, d.Month)
}

func daysIn(y, m int) int {
	switch m {
	case 4, 6, 9, 11:
		return 30
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	}
	return 31
}

// ParseDate accepts YYYYMMDD, YYYY-MM-DD, YYYY/MM/DD, DD.MM.YYYY, D.M.YYYY
// (with or without the trailing dot), DD/MM/YYYY, DD-MM-YYYY and the
// partial forms YYYY, YYYY-MM, YYYYMM, MM.YYYY and MM/YYYY. Surrounding
// spaces and spaces after dots are ignored. When the layout is recognised
// but the date is impossible (month 13, 31 February) the parts are still
// returned with the error, so matchers can compare typo'd dates digit-wise;
// so is D.M.YYY, a day-first date whose year has three digits.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, ".")
	s = strings.ReplaceAll(s, " ", "")
	if s == "" {
		return Date{}, fmt.Errorf("%w: empty", ErrDate)
	}
	var d Date
	if allDigits(s) {
		switch len(s) {
		case 8:
			d = Date{atoi(s[:4]), atoi(s[4:6]), atoi(s[6:])}
		case 6:
			d = Date{Year: atoi(s[:4]), Month: atoi(s[4:])}
		case 4:
			d = Date{Year: atoi(s)}
		default:
			return Date{}, fmt.Errorf("%w: %q", ErrDate, s)
		}
		// FEBRL and registries write unknown parts as 00.
		return d, checkDate(d, s)
	}
	sep := byte(0)
	for _, c := range []byte{'-', '.', '/'} {
		if strings.IndexByte(s, c) >= 0 {
			sep = c
			break
		}
	}
	if sep == 0 {
		return Date{}, fmt.Errorf("%w: %q", ErrDate, s)
	}
	parts := strings.Split(s, string(sep))
	for _, p := range parts {
		if p == "" || !allDigits(p) || len(p) > 4 {
			return Date{}, fmt.Errorf("%w: %q", ErrDate, s)
		}
	}
	switch {
	case len(parts) == 3 && len(parts[0]) == 4:
		d = Date{atoi(parts[0]), atoi(parts[1]), atoi(parts[2])}
	case len(parts) == 3 && len(parts[2]) == 4:
		d = Date{atoi(parts[2]), atoi(parts[1]), atoi(parts[0])}
	case len(parts) == 3 && len(parts[2]) == 3 && len(parts[0]) <= 2 && len(parts[1]) <= 2:
		// 20.5.986.: a year typed with a digit missing or as 0986; read
		// as typed (and refused as a date) so that a search compares it
		// digit by digit instead of dropping it.
		d = Date{atoi(parts[2]), atoi(parts[1]), atoi(parts[0])}
	case len(parts) == 2 && len(parts[0]) == 4:
		d = Date{Year: atoi(parts[0]), Month: atoi(parts[1])}
	case len(parts) == 2 && len(parts[1]) == 4:
		d = Date{Year: atoi(parts[1]), Month: atoi(parts[0])}
	default:
		return Date{}, fmt.Errorf("%w: %q", ErrDate, s)
	}
	return d, checkDate(d, s)
}

func checkDate(d Date, s string) error {
	if d.Month == 0 && d.Day != 0 {
		return fmt.Errorf("%w: %q has a day but no month", ErrDate, s)
	}
	if !d.Valid() {
		return fmt.Errorf("%w: %q", ErrDate, s)
	}
	return nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
