package cli_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/cli"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/testutil"
)

func startFedNode(t *testing.T, id string) *testutil.Node {
	return testutil.Start(t, testutil.Options{NodeID: id, Config: func(c *config.Config) { c.FederationAddr = "127.0.0.1:0" }})
}

// closedPort returns a loopback address nobody listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// writeExpiredCert replaces the federation certificate in dir with one that
// expired ten days ago.
func writeExpiredCert(t *testing.T, dir string) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "liaison-rs"},
		NotBefore: time.Now().AddDate(-1, 0, 0), NotAfter: time.Now().AddDate(0, 0, -10)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	os.WriteFile(filepath.Join(dir, federation.KeyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	os.WriteFile(filepath.Join(dir, federation.CertFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

type doctorJSON struct {
	OK     bool `json:"ok"`
	Checks []struct {
		Name, Status, Message string
	} `json:"checks"`
}

func (d doctorJSON) check(t *testing.T, name string) (status, msg string) {
	t.Helper()
	for _, c := range d.Checks {
		if c.Name == name {
			return c.Status, c.Message
		}
	}
	t.Fatalf("no check %q in %+v", name, d.Checks)
	return "", ""
}

func doctor(t *testing.T, dir, id string) (result, doctorJSON) {
	t.Helper()
	r := run(t, nil, "", "doctor", "--data", dir, "--node-id", id, "--json", "--peer-timeout", "5s", "--min-free-mb", "1")
	var d doctorJSON
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatalf("doctor --json: %v\n%s\n%s", err, r.stdout, r.stderr)
	}
	return r, d
}

func TestDoctorHealthyNodeAndInjectedFaults(t *testing.T) {
	a, b := startFedNode(t, "rs"), startFedNode(t, "al")
	testutil.Peer(t, a, b)
	dir := a.Cfg.DataDir

	// A healthy node: every check passes, the peer answers a signed probe.
	r, d := doctor(t, dir, "rs")
	if r.code != 0 || !d.OK {
		t.Fatalf("healthy node: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if st, msg := d.check(t, "peer al"); st != "ok" || !strings.Contains(msg, "clock skew") {
		t.Fatalf("peer al: %s %s", st, msg)
	}
	if st, msg := d.check(t, "tls-cert"); st != "ok" || !strings.Contains(msg, "days") {
		t.Fatalf("tls-cert: %s %s", st, msg)
	}

	// Text output: one line per check, exit 1 and a one-line reason when one fails.
	ctx := context.Background()
	if err := a.Fed.AddPeer(ctx, nil, federation.Peer{ID: "xk", URL: "https://" + closedPort(t), PublicKey: b.Identity.PublicString(), CertSHA256: strings.Repeat("ab", 32)}); err != nil {
		t.Fatal(err)
	}
	tr := run(t, nil, "", "doctor", "--data", dir, "--node-id", "rs", "--min-free-mb", "1")
	if tr.code != 1 || !strings.Contains(tr.stdout, "FAIL  peer xk") || !strings.Contains(tr.stdout, "OK    peer al") {
		t.Fatalf("unreachable peer: %d\n%s", tr.code, tr.stdout)
	}
	if lines := strings.Split(strings.TrimSpace(tr.stderr), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "checks failed: peer xk") {
		t.Fatalf("stderr %q", tr.stderr)
	}
	if st, msg := func() (string, string) { _, d := doctor(t, dir, "rs"); return d.check(t, "peer xk") }(); st != "fail" || !strings.Contains(msg, "unreachable") {
		t.Fatalf("peer xk: %s %s", st, msg)
	}
	if err := a.Fed.SetSuspended(ctx, nil, "xk", true); err != nil {
		t.Fatal(err)
	}

	// Wrong permissions on the node key.
	keyPath := filepath.Join(dir, "node.key")
	if err := os.Chmod(keyPath, 0o644); err != nil {
		t.Fatal(err)
	}
	r, d = doctor(t, dir, "rs")
	if st, msg := d.check(t, "node-key"); r.code != 1 || st != "fail" || !strings.Contains(msg, "mode 0644") {
		t.Fatalf("key mode: %d %s %s", r.code, st, msg)
	}
	os.Chmod(keyPath, 0o600)

	// An expired federation certificate.
	writeExpiredCert(t, dir)
	r, d = doctor(t, dir, "rs")
	if st, msg := d.check(t, "tls-cert"); r.code != 1 || st != "fail" || !strings.Contains(msg, "expired") {
		t.Fatalf("expired cert: %d %s %s", r.code, st, msg)
	}
}

func TestDoctorBadConfigAndMissingDatabase(t *testing.T) {
	r := run(t, nil, "", "doctor", "--data", t.TempDir(), "--node-id", "rs", "--min-free-mb", "1")
	if r.code != 1 || !strings.Contains(r.stdout, "FAIL  database") || !strings.Contains(r.stdout, "no database at") {
		t.Fatalf("missing database: %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, "", "doctor", "--data", t.TempDir(), "--log-level", "loud")
	if r.code != 1 || !strings.Contains(r.stdout, "FAIL  config") {
		t.Fatalf("bad config: %d %s %s", r.code, r.stdout, r.stderr)
	}
}

func TestMigrateCheckListsPendingWithoutApplying(t *testing.T) {
	data := t.TempDir()
	r := run(t, nil, "", "migrate", "--check", "--data", data)
	if r.code != 0 || !strings.Contains(r.stdout, "0001_foundation") {
		t.Fatalf("new database: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(data, "liaison.db")); err == nil {
		t.Fatal("--check created the database")
	}
	if r = run(t, nil, "", "migrate", "--data", data); r.code != 0 {
		t.Fatalf("migrate: %d %s", r.code, r.stderr)
	}
	if r = run(t, nil, "", "migrate", "--check", "--data", data); r.code != 0 || !strings.Contains(r.stdout, "up to date") {
		t.Fatalf("up to date: %d %s", r.code, r.stdout)
	}
	// Pretend the binary is newer than the database by one migration.
	db, err := sql.Open("sqlite", filepath.Join(data, "liaison.db"))
	if err != nil {
		t.Fatal(err)
	}
	var last int
	var name string
	db.QueryRow(`SELECT version, name FROM schema_migrations ORDER BY version DESC LIMIT 1`).Scan(&last, &name)
	if _, err := db.Exec(`DELETE FROM schema_migrations WHERE version = ?`, last); err != nil {
		t.Fatal(err)
	}
	r = run(t, nil, "", "migrate", "--check", "--data", data)
	if r.code != 0 || !strings.Contains(r.stdout, "1 migration(s) would be applied") || !strings.Contains(r.stdout, name) {
		t.Fatalf("pending: %d %s", r.code, r.stdout)
	}
	r = run(t, nil, "", "doctor", "--data", data, "--min-free-mb", "1")
	if r.code != 1 || !strings.Contains(r.stdout, "1 pending migration(s)") {
		t.Fatalf("doctor pending: %d %s", r.code, r.stdout)
	}
	// A database newer than the binary.
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 'x')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if r = run(t, nil, "", "migrate", "--check", "--data", data); r.code != 1 || !strings.Contains(r.stderr, "9999") {
		t.Fatalf("newer database: %d %s", r.code, r.stderr)
	}
}

func TestServeWarnsBeforeApplyingMigrations(t *testing.T) {
	data := t.TempDir()
	if r := run(t, nil, "", "migrate", "--data", data); r.code != 0 {
		t.Fatalf("migrate: %d %s", r.code, r.stderr)
	}
	db, err := sql.Open("sqlite", filepath.Join(data, "liaison.db"))
	if err != nil {
		t.Fatal(err)
	}
	var last int
	db.QueryRow(`SELECT MAX(version) FROM schema_migrations`).Scan(&last)
	// Forget the last migration: serve sees it pending and warns before it
	// applies it (re-applying may then fail; only the warning matters here).
	db.Exec(`DELETE FROM schema_migrations WHERE version = ?`, last)
	db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var out, errb strings.Builder
	cli.Run(ctx, []string{"serve", "--data", data, "--addr", "127.0.0.1:0", "--admin-password", "long enough password"}, cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	if !strings.Contains(errb.String(), "take a backup first") || !strings.Contains(errb.String(), fmt.Sprintf("%04d_", last)) {
		t.Fatalf("no backup warning in\n%s", errb.String())
	}
}
