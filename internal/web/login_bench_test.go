package web_test

import (
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// BenchmarkLogin60Simultaneous sends 60 login attempts at the same moment
// (20 right passwords, 20 wrong ones, 20 unknown users, each from its own
// address through a trusted proxy) per iteration against a real node, and
// reports throughput, how many were told to retry, and the peak Go heap.
//
//	go test ./internal/web -run '^$' -bench Login60 -benchtime 5x
func BenchmarkLogin60Simultaneous(b *testing.B) {
	n := testutil.Start(b, testutil.Options{Config: func(c *config.Config) { c.TrustedProxies = "127.0.0.1" }})
	for i := 0; i < 20; i++ {
		n.AddUser(b, fmt.Sprintf("bench%02d", i), auth.RoleOfficer)
	}
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
		}
	}()
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var ok, busy, other atomic.Int64
	b.ResetTimer()
	start := time.Now()
	for it := 0; it < b.N; it++ {
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for i := 0; i < 60; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				user, pw := fmt.Sprintf("bench%02d", i%20), testutil.Password
				switch i / 20 {
				case 1:
					pw = "a wrong password here"
				case 2:
					user = fmt.Sprintf("ghost%02d", i)
				}
				<-gate
				// Distinct addresses per iteration keep the per-address
				// limit out of the measure.
				status, _, _, err := postLogin(testutil.Client(), n.URL, user, pw, fmt.Sprintf("10.%d.%d.%d", it/250, it%250, i+1))
				switch {
				case err != nil:
					other.Add(1)
				case status == http.StatusSeeOther:
					ok.Add(1)
				case status == http.StatusTooManyRequests:
					busy.Add(1)
				default:
					// 422: wrong password or unknown user, as intended.
				}
			}()
		}
		close(gate)
		wg.Wait()
		// Right passwords must not lock anyone out across iterations.
		if it%2 == 1 {
			for i := 0; i < 20; i++ {
				n.Store.ExecContext(b.Context(), `UPDATE users SET failed_logins = 0, locked_until = '' WHERE username = ?`, fmt.Sprintf("bench%02d", i))
			}
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	close(stop)
	attempts := float64(60 * b.N)
	b.ReportMetric(attempts/elapsed.Seconds(), "attempts/s")
	b.ReportMetric(float64(ok.Load())/float64(b.N), "ok/burst")
	b.ReportMetric(float64(busy.Load())/float64(b.N), "429/burst")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(base.HeapInuse)/(1<<20), "base-heap-MiB")
	if other.Load() > 0 {
		b.Fatalf("%d requests failed", other.Load())
	}
}
