package cli

import (
	"strings"
	"testing"
	"time"
)

func TestRowProgressShowsRateAndTimeLeft(t *testing.T) {
	var b strings.Builder
	t0 := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	clock := t0
	p := rowProgress(&b, "importing", func() time.Time { return clock })
	clock = t0.Add(2 * time.Second)
	p(1000, 5000)
	if got := b.String(); !strings.Contains(got, "1000/5000 rows (20%), 500 rows/s, 8s left") {
		t.Fatalf("line: %q", got)
	}
	b.Reset()
	clock = clock.Add(50 * time.Millisecond)
	p(1100, 5000) // too soon: not redrawn
	if b.Len() != 0 {
		t.Fatalf("redrawn after 50 ms: %q", b.String())
	}
	clock = clock.Add(time.Second)
	p(5000, 5000) // the end is always drawn
	if !strings.Contains(b.String(), "5000/5000 rows (100%)") || !strings.Contains(b.String(), "0s left") {
		t.Fatalf("final line: %q", b.String())
	}
}
