package assets_test

import (
	"testing"

	"github.com/liaison-wb/liaison/internal/assets"
)

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"", "12500", "12,500.50", "12.500,50", "1 250 000", "0.5", "-5", "1e5", "12.345.6789", ",5", "1,,234", "٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := assets.ParseAmount(s)
		if err != nil {
			return
		}
		if c < 0 {
			t.Fatalf("%q parsed to a negative amount %d", s, c)
		}
		// What is formatted parses back to the same amount.
		back, err := assets.ParseAmount(assets.FormatAmount(c))
		if err != nil || back != c {
			t.Fatalf("%q → %d → %q → %d %v", s, c, assets.FormatAmount(c), back, err)
		}
	})
}

func FuzzParseRequestWire(f *testing.F) {
	f.Add(`{"id":"1","origin_node":"rs","target_node":"ba","purpose":"trace","subject":"x"}`)
	f.Add(`{"id":"1","origin_node":"me","target_node":"ba","purpose":"trace","subject":"x"}`)
	f.Add(`{`)
	f.Fuzz(func(t *testing.T, s string) {
		r, err := assets.ParseRequestWire("rs", "ba", []byte(s))
		if err == nil && (r.Direction != "incoming" || r.Status != assets.ReqReceived || r.OriginNode != "rs" || r.Answer != "") {
			t.Fatalf("accepted %+v", r)
		}
	})
}
