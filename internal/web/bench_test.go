package web_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// BenchmarkAuthenticatedAPIRequest measures a full round trip over loopback
// for GET /api/v1/me with a bearer token: token lookup, policy, handler,
// JSON encoding.
func BenchmarkAuthenticatedAPIRequest(b *testing.B) {
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			n := testutil.Start(b, testutil.Options{Store: be.Options(b)})
			tok := n.AddUser(b, "bench", auth.RoleOfficer)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
			req, _ := http.NewRequest("GET", n.URL+"/api/v1/me", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Fatalf("status %d", resp.StatusCode)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}
