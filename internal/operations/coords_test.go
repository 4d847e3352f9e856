package operations_test

import (
	"math"
	"testing"

	"github.com/liaison-wb/liaison/internal/operations"
)

func TestParsePoint(t *testing.T) {
	good := map[string]operations.GeoPoint{
		"44.8125, 20.4612":        {Lat: 44.8125, Lon: 20.4612},
		"44.8125 20.4612":         {Lat: 44.8125, Lon: 20.4612},
		"44,8125 20,4612":         {Lat: 44.8125, Lon: 20.4612},
		"N44.8125 E20.4612":       {Lat: 44.8125, Lon: 20.4612},
		"E20.4612, N44.8125":      {Lat: 44.8125, Lon: 20.4612},
		"44°48'45\"N 20°27'40\"E": {Lat: 44.8125, Lon: 20.461111},
		"44 48 45 N, 20 27 40 E":  {Lat: 44.8125, Lon: 20.461111},
		"42°26′N 19°16′E":         {Lat: 42.433333, Lon: 19.266667},
		"-33.86, 151.21":          {Lat: -33.86, Lon: 151.21},
		"33°51'S 151°12'E":        {Lat: -33.85, Lon: 151.2},
		"  41.9981 ; 21.4254  ":   {Lat: 41.9981, Lon: 21.4254},
	}
	for in, want := range good {
		p, err := operations.ParsePoint(in)
		if err != nil || math.Abs(p.Lat-want.Lat) > 1e-6 || math.Abs(p.Lon-want.Lon) > 1e-6 {
			t.Errorf("%q: %+v, %v; want %+v", in, p, err, want)
		}
	}
	for _, in := range []string{"", "44.8", "north", "95, 20", "44, 190", "44 61 00 N, 20 0 0 E", "44.8 N 20.4 N", "1.2.3, 4", "44, 20, 3", "44.5 48 N, 20 E"} {
		if p, err := operations.ParsePoint(in); err == nil {
			t.Errorf("%q accepted as %+v", in, p)
		}
	}
	pts, err := operations.ParsePoints("42.35, 19.35\n42.20, 19.50 | 42.05, 19.40")
	if err != nil || len(pts) != 3 {
		t.Fatalf("outline: %+v %v", pts, err)
	}
}

// FuzzParsePoint: any input either fails cleanly or gives a position in
// range whose written form reads back to the same position.
func FuzzParsePoint(f *testing.F) {
	for _, s := range []string{"44.8125, 20.4612", "44°48'45\"N 20°27'40\"E", "N44 E20", "-0.0, -0.0", "44 48 45 N, 20 27 40 E", "E20.4, N44.8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := operations.ParsePoint(s)
		if err != nil {
			return
		}
		if math.IsNaN(p.Lat) || math.IsNaN(p.Lon) || p.Lat < -90 || p.Lat > 90 || p.Lon < -180 || p.Lon > 180 {
			t.Fatalf("%q: out of range %+v", s, p)
		}
		q, err := operations.ParsePoint(p.String())
		if err != nil || math.Abs(q.Lat-p.Lat) > 1e-5 || math.Abs(q.Lon-p.Lon) > 1e-5 {
			t.Fatalf("%q: %+v written %q reads %+v, %v", s, p, p.String(), q, err)
		}
	})
}
