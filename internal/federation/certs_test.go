package federation_test

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// servedFingerprint is the certificate a node's federation listener presents.
func servedFingerprint(t *testing.T, n *testutil.Node, client tls.Certificate) string {
	t.Helper()
	conn, err := tls.Dial("tcp", strings.TrimPrefix(n.FederationURL(), "https://"), &tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{client}, MinVersion: tls.VersionTLS13})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return federation.Fingerprint(conn.ConnectionState().PeerCertificates[0].Raw)
}

// TestCertificateRenewalWithoutRestart renews a running node's federation
// certificate: peers learn the new fingerprint, messages keep flowing both
// ways, and the listener switches to the new certificate once every peer
// has it, all without restarting.
func TestCertificateRenewalWithoutRestart(t *testing.T) {
	ctx := context.Background()
	m := mode{"mtls", true}
	a := startNode(t, "rs", store.Options{}, m, "", "")
	b := startNode(t, "al", store.Options{}, m, "", "")
	c := startNode(t, "xk", store.Options{}, m, "", "")
	testutil.PeerAll(t, a, b, c)
	testutil.RoundTrip(t, a, "al")
	old := federation.CertFingerprint(a.FedTLS)

	// xk refuses rs for a while: the announcement to it stays pending.
	if err := c.Fed.SetSuspended(ctx, nil, "rs", true); err != nil {
		t.Fatal(err)
	}
	res, err := a.Fed.RenewCert(ctx, nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if res.OldSHA256 != old || res.NewSHA256 == old || len(res.Announced) != 2 {
		t.Fatalf("renewal %+v", res)
	}
	sendSeq(t, a, "al", "c1", 1, 5)
	testutil.WaitFor(t, "al pins the new certificate", 20*time.Second, func() bool {
		p, _ := b.Fed.Peer(ctx, "rs")
		return p.CertSHA256 == res.NewSHA256 && p.PrevCertSHA256 == old
	})
	testutil.WaitFor(t, "messages after the renewal", 20*time.Second, func() bool { return countGot(t, b, "rs", "c1") == 5 })
	// While xk has not got the new certificate, rs keeps serving the old one,
	// and al, which has, still talks to rs both ways.
	if fp := servedFingerprint(t, a, b.FedTLS); fp != old {
		t.Fatalf("a serves %s while an announcement is pending, want the old %s", fp, old)
	}
	testutil.RoundTrip(t, b, "rs")

	if err := c.Fed.SetSuspended(ctx, nil, "rs", false); err != nil {
		t.Fatal(err)
	}
	a.Fed.RetryNow(ctx, "xk")
	testutil.WaitFor(t, "xk pins the new certificate", 20*time.Second, func() bool {
		p, _ := c.Fed.Peer(ctx, "rs")
		return p.CertSHA256 == res.NewSHA256
	})
	testutil.WaitFor(t, "the listener switches to the new certificate", 10*time.Second, func() bool {
		return servedFingerprint(t, a, b.FedTLS) == res.NewSHA256
	})
	testutil.RoundTrip(t, b, "rs")
	testutil.RoundTrip(t, c, "rs")
	testutil.RoundTrip(t, a, "al")

	// After the grace period the old certificate is no longer accepted from rs.
	if _, err := b.Store.ExecContext(ctx, `UPDATE fed_peers SET prev_cert_until = ? WHERE id = 'rs'`, store.FormatTime(time.Now().Add(-time.Second))); err != nil {
		t.Fatal(err)
	}
	if b.Fed.KnownCertificate(old) {
		t.Fatal("the old certificate is still pinned after the grace period")
	}
	if !b.Fed.KnownCertificate(res.NewSHA256) {
		t.Fatal("the new certificate is not pinned")
	}
}
