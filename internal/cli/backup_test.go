package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/store/storetest"
)

func TestBackupAndRestoreCommands(t *testing.T) {
	dir := t.TempDir()
	data, key := filepath.Join(dir, "node"), filepath.Join(dir, "backup.key")
	if r := run(t, nil, "", "user", "list", "--data", data, "--node-id", "rs"); r.code != 0 {
		t.Fatalf("first start: %d %s", r.code, r.stderr)
	}
	r := run(t, nil, "", "backup", "keygen", "--out", key)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	recipient := lines[len(lines)-1]
	if r.code != 0 || !strings.HasPrefix(recipient, "age1") {
		t.Fatalf("keygen: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if info, _ := os.Stat(key); info == nil || info.Mode().Perm() != 0o600 {
		t.Fatal("key file must be mode 0600")
	}
	if r := run(t, nil, "", "backup", "--data", data, "--node-id", "rs", "--out", filepath.Join(dir, "x.age")); r.code != 2 || !strings.Contains(r.stderr, "always encrypted") {
		t.Fatalf("no recipient: %d %q", r.code, r.stderr)
	}
	out := filepath.Join(dir, "rs.age")
	r = run(t, nil, "", "backup", "--data", data, "--node-id", "rs", "--out", out, "--recipient", recipient)
	if r.code != 0 || !strings.Contains(r.stdout, "backup of node rs written") || !strings.Contains(r.stderr, "VACUUM INTO") {
		t.Fatalf("backup: %d %q %q", r.code, r.stdout, r.stderr)
	}
	// doctor now sees the backup.
	if r := run(t, nil, "", "doctor", "--data", data, "--node-id", "rs", "--min-free-mb", "1"); !strings.Contains(r.stdout, "OK    backup") {
		t.Fatalf("doctor after backup: %s", r.stdout)
	}
	if r := run(t, nil, "", "restore", out, "--identity", key, "--data", data, "--node-id", "rs"); r.code != 1 || !strings.Contains(r.stderr, "not empty") {
		t.Fatalf("restore over the live node: %d %q", r.code, r.stderr)
	}
	if r := run(t, nil, "", "restore", out, "--identity", key, "--data", filepath.Join(dir, "other"), "--node-id", "al"); r.code != 1 || !strings.Contains(r.stderr, "--force-node-id") {
		t.Fatalf("restore as another node: %d %q", r.code, r.stderr)
	}
	target := filepath.Join(dir, "restored")
	r = run(t, nil, "", "restore", "--identity", key, out, "--data", target, "--node-id", "rs")
	if r.code != 0 || !strings.Contains(r.stdout, "audit log OK") {
		t.Fatalf("restore: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := run(t, nil, "", "audit", "verify", "--data", target, "--node-id", "rs"); r.code != 0 {
		t.Fatalf("audit verify of the restored node: %d %q", r.code, r.stderr)
	}
}

func TestFederationKeyRotateCommand(t *testing.T) {
	data := t.TempDir()
	if r := run(t, nil, "", "federation", "init", "--data", data, "--node-id", "rs"); r.code != 0 {
		t.Fatalf("init: %d %s", r.code, r.stderr)
	}
	if r := run(t, nil, "", "federation", "key", "revoke", "--data", data, "--node-id", "rs"); r.code != 2 || !strings.Contains(r.stderr, "needs a --reason") {
		t.Fatalf("revoke without reason: %d %q", r.code, r.stderr)
	}
	r := run(t, nil, "", "federation", "key", "rotate", "--grace", "3d", "--data", data, "--node-id", "rs")
	if r.code != 0 || !strings.Contains(r.stdout, "new node key:") || !strings.Contains(r.stdout, "re-signed") {
		t.Fatalf("rotate: %d %q %q", r.code, r.stdout, r.stderr)
	}
	retired, _ := filepath.Glob(filepath.Join(data, "node.key.retired-*"))
	if len(retired) != 1 {
		t.Fatalf("retired keys: %v", retired)
	}
	if r := run(t, nil, "", "audit", "verify", "--data", data, "--node-id", "rs"); r.code != 0 {
		t.Fatalf("audit verify after rotation: %d %q %q", r.code, r.stdout, r.stderr)
	}
	os.Chmod(retired[0], 0o640)
	if r := run(t, nil, "", "doctor", "--data", data, "--node-id", "rs", "--min-free-mb", "1"); r.code != 1 || !strings.Contains(r.stdout, "node.key.retired-") {
		t.Fatalf("doctor on a readable retired key: %d %s", r.code, r.stdout)
	}
}

func TestDoctorAndBackupOnPostgres(t *testing.T) {
	pg := os.Getenv(storetest.EnvPostgres)
	if pg == "" {
		t.Skip("needs " + storetest.EnvPostgres)
	}
	url, data, dir := storetest.FreshSchema(t, pg), t.TempDir(), t.TempDir()
	if r := run(t, nil, "", "migrate", "--check", "--db", url, "--data", data); r.code != 0 || !strings.Contains(r.stdout, "0001_foundation") {
		t.Fatalf("check on an empty schema: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r := run(t, nil, "", "user", "list", "--db", url, "--data", data, "--node-id", "mk"); r.code != 0 {
		t.Fatalf("first start: %d %s", r.code, r.stderr)
	}
	r := run(t, nil, "", "doctor", "--db", url, "--data", data, "--node-id", "mk", "--min-free-mb", "1")
	if r.code != 0 || !strings.Contains(r.stdout, "reachable (postgres)") || !strings.Contains(r.stdout, "WARN  backup") {
		t.Fatalf("doctor: %d %s %s", r.code, r.stdout, r.stderr)
	}
	key := filepath.Join(dir, "k.txt")
	r = run(t, nil, "", "backup", "keygen", "--out", key)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	out := filepath.Join(dir, "mk.age")
	if r := run(t, nil, "", "backup", "--db", url, "--data", data, "--node-id", "mk", "--out", out, "--recipient", lines[len(lines)-1]); r.code != 0 || !strings.Contains(r.stderr, "REPEATABLE READ") {
		t.Fatalf("backup: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r := run(t, nil, "", "doctor", "--db", url, "--data", data, "--node-id", "mk", "--min-free-mb", "1"); !strings.Contains(r.stdout, "OK    backup") {
		t.Fatalf("doctor after backup: %s", r.stdout)
	}
	url2 := storetest.FreshSchema(t, pg)
	if r := run(t, nil, "", "restore", out, "--identity", key, "--db", url2, "--data", filepath.Join(dir, "restored"), "--node-id", "mk"); r.code != 0 || !strings.Contains(r.stdout, "audit log OK") {
		t.Fatalf("restore: %d %s %s", r.code, r.stdout, r.stderr)
	}
}
