package operations

import (
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/liaison-wb/liaison/internal/errs"
)

// GeoPoint is a WGS 84 position in decimal degrees.
type GeoPoint struct {
	Lat float64 `json:"lat" minimum:"-90" maximum:"90"`
	Lon float64 `json:"lon" minimum:"-180" maximum:"180"`
}

// String writes the point as "44.81250, 20.46120".
func (p GeoPoint) String() string {
	return strconv.FormatFloat(p.Lat, 'f', 5, 64) + ", " + strconv.FormatFloat(p.Lon, 'f', 5, 64)
}

func (p GeoPoint) valid() bool {
	return !math.IsNaN(p.Lat) && !math.IsNaN(p.Lon) && p.Lat >= -90 && p.Lat <= 90 && p.Lon >= -180 && p.Lon <= 180
}

// ParsePoint reads a position as officers type it: decimal degrees
// ("44.8125, 20.4612", "44,8125 20,4612", "N44.8125 E20.4612") or degrees,
// minutes and seconds ("44°48'45\"N 20°27'40\"E", "44 48 45 N, 20 27 40 E").
// Latitude comes first unless the hemisphere letters say otherwise.
func ParsePoint(s string) (GeoPoint, error) {
	const op = "operations.ParsePoint"
	bad := func() error {
		return errs.New(errs.Invalid, op, "the position is not understood; write latitude and longitude, e.g. 44.8125, 20.4612")
	}
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 100 {
		return GeoPoint{}, bad()
	}
	// Two decimal numbers with decimal commas: "44,8125 20,4612".
	if strings.Count(s, ",") == 2 && !strings.Contains(s, ".") {
		if f := strings.Fields(s); len(f) == 2 {
			s = strings.ReplaceAll(f[0], ",", ".") + " " + strings.ReplaceAll(f[1], ",", ".")
		}
	}
	// Tokenise into numbers and hemisphere letters.
	type coord struct {
		parts []float64
		hemi  rune
	}
	var cs []coord
	cur := coord{}
	flush := func() {
		if len(cur.parts) > 0 || cur.hemi != 0 {
			cs = append(cs, cur)
		}
		cur = coord{}
	}
	rs := []rune(s)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case r == ',' || r == ';':
			flush()
			i++
		case unicode.IsSpace(r) || r == '°' || r == '\'' || r == '"' || r == '′' || r == '″' || r == 'º':
			i++
		case strings.ContainsRune("NSEWnsew", r):
			h := unicode.ToUpper(r)
			if len(cur.parts) == 0 && cur.hemi == 0 {
				cur.hemi = h // prefix form: N44.8
			} else if cur.hemi == 0 {
				cur.hemi = h
				flush()
			} else {
				flush()
				cur.hemi = h
			}
			i++
		case r == '-' || r == '+' || r == '.' || unicode.IsDigit(r):
			j := i + 1
			for j < len(rs) && (rs[j] == '.' || unicode.IsDigit(rs[j])) {
				j++
			}
			v, err := strconv.ParseFloat(string(rs[i:j]), 64)
			if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
				return GeoPoint{}, bad()
			}
			if len(cur.parts) == 3 {
				return GeoPoint{}, bad()
			}
			cur.parts = append(cur.parts, v)
			i = j
		default:
			return GeoPoint{}, bad()
		}
	}
	flush()
	// "44.8125 20.4612" without separator: two single numbers in one group.
	if len(cs) == 1 && len(cs[0].parts) == 2 && cs[0].hemi == 0 {
		cs = []coord{{parts: cs[0].parts[:1]}, {parts: cs[0].parts[1:]}}
	}
	if len(cs) != 2 {
		return GeoPoint{}, bad()
	}
	val := func(c coord) (float64, bool) {
		v := c.parts[0]
		if len(c.parts) > 1 {
			if v < 0 || c.parts[1] < 0 || c.parts[1] >= 60 || v != math.Trunc(v) {
				return 0, false
			}
			v += c.parts[1] / 60
		}
		if len(c.parts) > 2 {
			if c.parts[2] < 0 || c.parts[2] >= 60 || c.parts[1] != math.Trunc(c.parts[1]) {
				return 0, false
			}
			v += c.parts[2] / 3600
		}
		if c.hemi == 'S' || c.hemi == 'W' {
			if v < 0 {
				return 0, false
			}
			v = -v
		}
		return v, true
	}
	if len(cs[0].parts) == 0 || len(cs[1].parts) == 0 {
		return GeoPoint{}, bad()
	}
	a, ok1 := val(cs[0])
	b, ok2 := val(cs[1])
	if !ok1 || !ok2 {
		return GeoPoint{}, bad()
	}
	p := GeoPoint{Lat: a, Lon: b}
	latHemi := func(h rune) bool { return h == 'N' || h == 'S' }
	lonHemi := func(h rune) bool { return h == 'E' || h == 'W' }
	switch {
	case lonHemi(cs[0].hemi) && (latHemi(cs[1].hemi) || cs[1].hemi == 0):
		p = GeoPoint{Lat: b, Lon: a}
	case (cs[0].hemi != 0 && !latHemi(cs[0].hemi)) || (cs[1].hemi != 0 && !lonHemi(cs[1].hemi)):
		return GeoPoint{}, bad()
	}
	if !p.valid() {
		return GeoPoint{}, errs.New(errs.Invalid, op, "the position is outside the range of latitudes and longitudes")
	}
	p.Lat, p.Lon = math.Round(p.Lat*1e6)/1e6, math.Round(p.Lon*1e6)/1e6
	return p, nil
}

// ParsePoints reads several positions, one a line or separated by "|" or
// ";" between pairs, e.g. a patrol sector's outline.
func ParsePoints(s string) ([]GeoPoint, error) {
	var out []GeoPoint
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '|' }) {
		if strings.TrimSpace(part) == "" {
			continue
		}
		p, err := ParsePoint(part)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
		if len(out) > 50 {
			return nil, errs.New(errs.Invalid, "operations.ParsePoints", "an outline has at most 50 points")
		}
	}
	return out, nil
}
