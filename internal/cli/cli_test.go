package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/liaison-wb/liaison/internal/cli"
)

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), args, cli.Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return env[k] }})
	return result{code, out.String(), errb.String()}
}

func TestUsageAndVersion(t *testing.T) {
	cases := []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"version"}, 0, "liaison dev"},
		{[]string{"help"}, 0, "Commands:"},
		{nil, 2, "Commands:"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"serve", "--no-such-flag"}, 2, "flag provided but not defined"},
		{[]string{"serve", "--log-level", "loud"}, 2, "log-level must be"},
		{[]string{"user"}, 2, "missing subcommand"},
		{[]string{"user", "add"}, 2, "takes 1 argument"},
		{[]string{"audit"}, 2, "audit verify"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := run(t, nil, "", tc.args...)
			if r.code != tc.code || !strings.Contains(r.stdout+r.stderr, tc.contains) {
				t.Fatalf("code %d, output %q %q; want %d containing %q", r.code, r.stdout, r.stderr, tc.code, tc.contains)
			}
			if strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 && tc.code != 0 && !strings.Contains(r.stderr, "Usage:") {
				t.Fatalf("error must be one line: %q", r.stderr)
			}
		})
	}
}

func TestServeConfigPrecedenceAndRedaction(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "liaison.conf")
	writeFile(t, file, "# node settings\nnode-id = me\nLIAISON_LOG_LEVEL=debug\nadmin-password = s3cret-from-file\n")
	env := map[string]string{"LIAISON_CONFIG": file, "LIAISON_NODE_ID": "mk", "LIAISON_DB": "postgres://liaison:topsecret@db.internal:5432/liaison"}
	r := run(t, env, "", "serve", "--print-config", "--addr", ":9999")
	if r.code != 0 {
		t.Fatalf("code %d %s", r.code, r.stderr)
	}
	for _, want := range []string{"addr=:9999", "node-id=mk", "log-level=debug", "admin-password=[redacted]", "db=postgres://[redacted]@db.internal:5432/liaison"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("missing %q in\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "topsecret") || strings.Contains(r.stdout, "s3cret") {
		t.Fatal("secret printed")
	}
	writeFile(t, file, "colour = blue\n")
	if r := run(t, env, "", "serve", "--print-config"); r.code != 2 || !strings.Contains(r.stderr, `unknown setting "colour"`) {
		t.Fatalf("unknown setting: %d %q", r.code, r.stderr)
	}
}

func TestServeWithUnreachableDatabase(t *testing.T) {
	r := run(t, nil, "", "serve", "--db", "postgres://x@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", "--data", t.TempDir())
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	last := lines[len(lines)-1] // earlier lines are the structured start-up log
	if r.code != 1 || !strings.HasPrefix(last, "liaison serve: PostgreSQL is not reachable at 127.0.0.1:1") {
		t.Fatalf("code %d, stderr %q", r.code, r.stderr)
	}
}

func TestUserCommandsAndAuditVerify(t *testing.T) {
	data := t.TempDir()
	r := run(t, nil, "", "user", "add", "ana", "--name", "Ana Kovač", "--agency", "ba-sipa", "--roles", "officer,analyst", "--data", data)
	if r.code != 0 || !strings.Contains(r.stdout, "created user ana") || !strings.Contains(r.stdout, "one-time password:") {
		t.Fatalf("add: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, `First start: created user "admin"`) {
		t.Fatal("first start must print the admin one-time password")
	}
	r = run(t, nil, "long enough password\n", "user", "add", "--password-stdin", "--name", "Dino", "--agency", "ba-sipa", "--roles", "prosecutor", "dino", "--data", data)
	if r.code != 0 || strings.Contains(r.stdout, "one-time password") {
		t.Fatalf("add from stdin: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r = run(t, nil, "", "user", "add", "ana", "--name", "A", "--agency", "x", "--roles", "officer", "--data", data); r.code != 1 || !strings.Contains(r.stderr, "already exists") {
		t.Fatalf("duplicate: %d %q", r.code, r.stderr)
	}
	if r = run(t, nil, "", "user", "add", "eve", "--name", "E", "--agency", "x", "--roles", "chief", "--data", data); r.code != 1 || !strings.Contains(r.stderr, `unknown role "chief"`) {
		t.Fatalf("bad role: %d %q", r.code, r.stderr)
	}
	// The auditor role is granted on the command line, never together with admin.
	if r = run(t, nil, "", "user", "add", "dpo", "--name", "D", "--agency", "x", "--roles", "auditor", "--data", data); r.code != 0 {
		t.Fatalf("auditor from the command line: %d %q", r.code, r.stderr)
	}
	if r = run(t, nil, "", "user", "add", "both", "--name", "B", "--agency", "x", "--roles", "admin,auditor", "--data", data); r.code != 1 || !strings.Contains(r.stderr, "both administrator and auditor") {
		t.Fatalf("admin and auditor: %d %q", r.code, r.stderr)
	}
	if r = run(t, nil, "", "user", "disable", "ana", "--data", data); r.code != 0 {
		t.Fatalf("disable: %d %q", r.code, r.stderr)
	}
	r = run(t, nil, "", "user", "list", "--data", data)
	if r.code != 0 || !strings.Contains(r.stdout, "ana") || !strings.Contains(r.stdout, "disabled") || !strings.Contains(r.stdout, "officer,analyst") && !strings.Contains(r.stdout, "analyst,officer") {
		t.Fatalf("list: %q", r.stdout)
	}
	r = run(t, nil, "", "audit", "verify", "--data", data)
	if r.code != 0 || !strings.Contains(r.stdout, "audit log OK") {
		t.Fatalf("verify: %d %q %q", r.code, r.stdout, r.stderr)
	}
	// Tamper with the database directly: verification must fail.
	db, err := sql.Open("sqlite", filepath.Join(data, "liaison.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE audit_log SET actor = 'nobody' WHERE idx = 1`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	r = run(t, nil, "", "audit", "verify", "--data", data)
	if r.code != 1 || !strings.Contains(r.stdout, "entry 1 was altered") || !strings.Contains(r.stderr, "verification FAILED") {
		t.Fatalf("tampered verify: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r = run(t, nil, "", "audit", "verify", "--data", t.TempDir()); r.code != 2 {
		t.Fatalf("verify on empty dir: %d %q", r.code, r.stderr)
	}
}

func TestMigrate(t *testing.T) {
	r := run(t, nil, "", "migrate", "--data", t.TempDir())
	if r.code != 0 || !strings.Contains(r.stdout, "schema version") {
		t.Fatalf("%d %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestNodeIDIsBoundToTheDatabase(t *testing.T) {
	data := t.TempDir()
	if r := run(t, nil, "", "user", "list", "--data", data, "--node-id", "rs"); r.code != 0 {
		t.Fatalf("%d %q", r.code, r.stderr)
	}
	r := run(t, nil, "", "user", "list", "--data", data, "--node-id", "me")
	if r.code != 2 || !strings.Contains(r.stderr, `belongs to node "rs"`) {
		t.Fatalf("mismatched node ID: %d %q", r.code, r.stderr)
	}
}

func TestLinkAndDedupeCommands(t *testing.T) {
	dir := t.TempDir()
	left := filepath.Join(dir, "left.csv")
	right := filepath.Join(dir, "right.csv")
	writeFile(t, left, "id,given_name,surname,date_of_birth\nL1,Marko,Petrović,1985-03-14\nL2,Arben,Krasniqi,1990-07-01\n")
	writeFile(t, right, "rec_id,first_name,last_name,dob\nR1,Марко,Петровић,14.03.1985\nR2,Ana,Kovač,1979-11-30\n")
	r := run(t, nil, "", "link", left, right)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "left_id,right_id,score\n") || !strings.Contains(r.stdout, "L1,R1,") {
		t.Fatalf("link: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "L2,") {
		t.Fatalf("link matched unrelated records: %q", r.stdout)
	}
	if r := run(t, nil, "", "link", left); r.code != 2 {
		t.Fatalf("one file: code %d", r.code)
	}
	bad := filepath.Join(dir, "bad.csv")
	writeFile(t, bad, "name,dob\nMarko,1985\n")
	if r := run(t, nil, "", "dedupe", bad); r.code == 0 || !strings.Contains(r.stderr, "bad.csv") {
		t.Fatalf("missing id column: %d %q", r.code, r.stderr)
	}
	if r := run(t, nil, "", "bench"); r.code != 2 {
		t.Fatalf("bench without a name: %d", r.code)
	}
}

func TestFederationCommands(t *testing.T) {
	data := t.TempDir()
	r := run(t, nil, "", "federation", "init", "--data", data, "--node-id", "rs")
	if r.code != 0 || !strings.Contains(r.stdout, "certificate SHA-256:") || !strings.Contains(r.stdout, "liaison federation peer add rs https://") {
		t.Fatalf("init: %d %q %q", r.code, r.stdout, r.stderr)
	}
	// The peer's key: a second node's init.
	other := run(t, nil, "", "federation", "init", "--data", t.TempDir(), "--node-id", "me")
	var key string
	for _, line := range strings.Split(other.stdout, "\n") {
		if k, ok := strings.CutPrefix(line, "public key:"); ok {
			key = strings.TrimSpace(k)
		}
	}
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"peer", "add", "me", "http://127.0.0.1:9", key}, 1, "--insecure-federation"},
		{[]string{"peer", "add", "me", "https://me.example:8443", "not-a-key", "--cert-sha256", strings.Repeat("a", 64)}, 1, "Ed25519"},
		{[]string{"peer", "add", "me"}, 2, "takes 3 argument"},
		{[]string{"peer", "add", "me", "https://me.example:8443", key, "--cert-sha256", strings.Repeat("ab", 32), "--name", "Montenegro"}, 0, "peer me saved"},
		{[]string{"peer", "suspend", "me"}, 0, "peer me suspended"},
		{[]string{"peer", "suspend", "zz"}, 1, `no peer "zz"`},
		{[]string{"status"}, 0, "suspended"},
		{[]string{"peer", "frob"}, 2, "unknown subcommand"},
	}
	for _, tc := range cases {
		r := run(t, nil, "", append(append([]string{"federation"}, tc.args...), "--data", data, "--node-id", "rs")...)
		if r.code != tc.code || !strings.Contains(r.stdout+r.stderr, tc.want) {
			t.Errorf("%v: code %d, out %q %q; want %d with %q", tc.args, r.code, r.stdout, r.stderr, tc.code, tc.want)
		}
	}
}

func TestAuditPrune(t *testing.T) {
	data := t.TempDir()
	if r := run(t, nil, "long enough password\n", "user", "add", "--password-stdin", "--name", "Dino", "--agency", "ba-sipa", "--roles", "prosecutor", "dino", "--data", data); r.code != 0 {
		t.Fatalf("add: %d %q", r.code, r.stderr)
	}
	for _, bad := range [][]string{{"--older-than", "banana"}, {"--older-than", "0d"}, {"extra"}} {
		if r := run(t, nil, "", append([]string{"audit", "prune", "--data", data}, bad...)...); r.code != 2 {
			t.Fatalf("prune %v: exit %d %q, want a usage error", bad, r.code, r.stderr)
		}
	}
	time.Sleep(1100 * time.Millisecond) // records must be older than the one-second cut-off
	archive := filepath.Join(t.TempDir(), "audit-archive.jsonl")
	r := run(t, nil, "", "audit", "prune", "--data", data, "--older-than", "1s", "--archive", archive)
	if r.code != 0 || !strings.Contains(r.stdout, "erased") || strings.Contains(r.stdout, "erased 0 ") {
		t.Fatalf("prune: %d %q %q", r.code, r.stdout, r.stderr)
	}
	b, err := os.ReadFile(archive)
	if err != nil || !strings.Contains(string(b), "dino") || !strings.Contains(string(b), `"leaf_hash":"`) {
		t.Fatalf("archive: %v %q", err, b)
	}
	r = run(t, nil, "", "audit", "verify", "--data", data)
	if r.code != 0 || !strings.Contains(r.stdout, "erased after the retention period") {
		t.Fatalf("verify after prune: %d %q %q", r.code, r.stdout, r.stderr)
	}
	// An existing archive is never overwritten.
	if r := run(t, nil, "", "audit", "prune", "--data", data, "--older-than", "1s", "--archive", archive); r.code != 1 || !strings.Contains(r.stderr, "must not exist") {
		t.Fatalf("prune onto an existing archive: %d %q", r.code, r.stderr)
	}
}

// --help on any command or subcommand prints its usage and flags and
// exits 0: asking for help is not a usage error.
func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{
		{"serve"}, {"link"}, {"dedupe"}, {"bench", "match"}, {"bench", "alerts"},
		{"cases", "import"}, {"cases", "export"}, {"alerts", "check"}, {"alerts", "import"},
		{"analysis", "import"}, {"assessment", "create"}, {"federation", "status"},
		{"federation", "peer", "add"}, {"restore"}, {"backup"}, {"user", "add"}, {"directory", "search"},
	} {
		r := run(t, nil, "", append(args, "--help")...)
		if r.code != 0 || !strings.Contains(r.stderr, "Usage: liaison") || !strings.Contains(r.stderr, "  -") {
			t.Errorf("%v --help: exit %d, stderr:\n%.300s", args, r.code, r.stderr)
		}
	}
}
