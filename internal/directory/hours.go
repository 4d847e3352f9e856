package directory

import (
	"fmt"
	"strings"
	"time"
)

// OfficeHours are a contact point's opening times as operators write them:
// "Mon-Fri 08:00-16:00", "Mon-Thu 07:30-15:30; Fri 07:30-14:00",
// "Sat, Sun 09:00-13:00", "daily 08:00-20:00" or just "08:00-16:00" (every
// day). A span may cross midnight ("Fri 22:00-06:00").
type OfficeHours struct {
	spans []hoursSpan
}

type hoursSpan struct {
	days     [7]bool // indexed by time.Weekday
	from, to int     // minutes after midnight
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// maxHoursSpans bounds what one text can describe.
const maxHoursSpans = 14

// ParseHours reads office hours; the error says which part it could not read.
func ParseHours(text string) (OfficeHours, error) {
	var h OfficeHours
	fields := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return r == ' ' || r == ',' || r == ';' || r == '\t' })
	var days [7]bool
	anyDay := false
	for _, f := range fields {
		if from, to, ok := parseTimeRange(f); ok {
			if !anyDay {
				for d := range days {
					days[d] = true
				}
			}
			if len(h.spans) == maxHoursSpans {
				return OfficeHours{}, fmt.Errorf("too many opening times")
			}
			h.spans = append(h.spans, hoursSpan{days: days, from: from, to: to})
			days, anyDay = [7]bool{}, false
			continue
		}
		if f == "daily" || f == "every" || f == "day" {
			for d := range days {
				days[d] = true
			}
			anyDay = true
			continue
		}
		a, b, isRange := strings.Cut(f, "-")
		first, ok1 := dayOf(a)
		if !ok1 {
			return OfficeHours{}, fmt.Errorf("%q is neither a day (Mon … Sun) nor a time range (08:00-16:00)", f)
		}
		last := first
		if isRange {
			var ok2 bool
			if last, ok2 = dayOf(b); !ok2 {
				return OfficeHours{}, fmt.Errorf("%q is not a day range such as Mon-Fri", f)
			}
		}
		for d := first; ; d = (d + 1) % 7 {
			days[d] = true
			if d == last {
				break
			}
		}
		anyDay = true
	}
	if anyDay {
		return OfficeHours{}, fmt.Errorf("days without opening times")
	}
	if len(h.spans) == 0 {
		return OfficeHours{}, fmt.Errorf("no opening times such as Mon-Fri 08:00-16:00")
	}
	return h, nil
}

func dayOf(s string) (time.Weekday, bool) {
	if len(s) < 3 {
		return 0, false
	}
	d, ok := dayNames[s[:3]]
	return d, ok
}

func parseTimeRange(s string) (from, to int, ok bool) {
	a, b, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, false
	}
	from, ok1 := parseClock(a)
	to, ok2 := parseClock(b)
	return from, to, ok1 && ok2 && from != to
}

func parseClock(s string) (int, bool) {
	hh, mm, found := strings.Cut(s, ":")
	if !found || len(hh) == 0 || len(hh) > 2 || len(mm) != 2 {
		return 0, false
	}
	h, m := 0, 0
	for _, c := range hh {
		if c < '0' || c > '9' {
			return 0, false
		}
		h = h*10 + int(c-'0')
	}
	for _, c := range mm {
		if c < '0' || c > '9' {
			return 0, false
		}
		m = m*10 + int(c-'0')
	}
	if h == 24 && m == 0 {
		return 24 * 60, true
	}
	if h > 23 || m > 59 {
		return 0, false
	}
	return h*60 + m, true
}

// Open reports whether the hours include the moment t, read in t's location.
func (h OfficeHours) Open(t time.Time) bool {
	min := t.Hour()*60 + t.Minute()
	day := t.Weekday()
	yesterday := (day + 6) % 7
	for _, s := range h.spans {
		if s.from < s.to {
			if s.days[day] && min >= s.from && min < s.to {
				return true
			}
			continue
		}
		// Crossing midnight: the evening of a listed day, or the early
		// morning after it.
		if (s.days[day] && min >= s.from) || (s.days[yesterday] && min < s.to) {
			return true
		}
	}
	return false
}

// Availability of a contact point at a moment.
const (
	AvailableAlways  = "always"  // staffed 24/7
	AvailableOpen    = "open"    // within office hours
	AvailableClosed  = "closed"  // outside office hours
	AvailableUnknown = "unknown" // hours missing or unreadable
)

// AvailabilityAt says whether a contact point can be reached at now, in its
// own time zone (else the country's, else UTC).
func (c ContactPoint) AvailabilityAt(now time.Time, countryZone string) string {
	if c.AlwaysOn {
		return AvailableAlways
	}
	h, err := ParseHours(c.Hours)
	if err != nil {
		return AvailableUnknown
	}
	zone := c.TimeZone
	if zone == "" {
		zone = countryZone
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" {
		loc = time.UTC
	}
	if h.Open(now.In(loc)) {
		return AvailableOpen
	}
	return AvailableClosed
}
