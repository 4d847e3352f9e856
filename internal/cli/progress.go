package cli

import (
	"fmt"
	"io"
	"time"
)

// rowProgress returns a progress callback that redraws one terminal line
// with the rows done, the rate and the time left, at most five times a
// second and once at the end.
func rowProgress(w io.Writer, what string, now func() time.Time) func(done, total int) {
	start := now()
	var last time.Time
	return func(done, total int) {
		t := now()
		if done < total && t.Sub(last) < 200*time.Millisecond {
			return
		}
		last = t
		elapsed := t.Sub(start).Seconds()
		rate := 0.0
		if elapsed > 0 {
			rate = float64(done) / elapsed
		}
		eta := "--"
		if rate > 0 && total >= done {
			eta = (time.Duration(float64(total-done)/rate) * time.Second).Round(time.Second).String()
		}
		pct := 100.0
		if total > 0 {
			pct = 100 * float64(done) / float64(total)
		}
		fmt.Fprintf(w, "\r%s: %d/%d rows (%.0f%%), %.0f rows/s, %s left   ", what, done, total, pct, rate, eta)
	}
}
