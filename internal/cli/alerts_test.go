package cli_test

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAlertsImportExportCheck(t *testing.T) {
	data := t.TempDir()
	dir := t.TempDir()
	if r := run(t, nil, "", "user", "add", "pol", "--name", "Petar Polić", "--agency", "rs-mup", "--roles", "officer", "--data", data); r.code != 0 {
		t.Fatalf("user add: %+v", r)
	}
	header := "kind,sub,given_name,family_name,date_of_birth,object_type,serial,action,reason,authority,warrant_ref\n"
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte(header+
		"check,discreet,Ana,Kovačević,1991-07-02,,,Report companions.,Courier.,PU Beograd,\n"+
		"arrest,,Petar,Petrović,1980-01-01,,,Arrest.,Robbery.,VJT Beograd,\n"+
		"object,seizure,,,,firearm,CZ75-B-1,Seize.,,PU Kragujevac,\n"), 0o600)
	r := run(t, nil, "", "alerts", "import", bad, "--data", data)
	if r.code != 2 || !strings.Contains(r.stderr, "--user") {
		t.Fatalf("import without --user: %+v", r)
	}
	r = run(t, nil, "", "alerts", "import", bad, "--user", "pol", "--data", data)
	if r.code != 1 || !strings.Contains(r.stdout, "refused: line 3") || !strings.Contains(r.stdout, "refused: line 4") || !strings.Contains(r.stderr, "nothing was imported") {
		t.Fatalf("bad import: %+v", r)
	}
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte(header+
		"check,discreet,Ana,Kovačević,1991-07-02,,,Report companions.,Courier.,PU Beograd,\n"+
		"object,seizure,,,,firearm,CZ75-B-1,Seize.,Stolen.,PU Kragujevac,\n"), 0o600)
	if r = run(t, nil, "", "alerts", "import", good, "--dry-run", "--user", "pol", "--data", data); r.code != 0 || !strings.Contains(r.stdout, "nothing written") {
		t.Fatalf("dry run: %+v", r)
	}
	if r = run(t, nil, "", "alerts", "import", good, "--user", "pol", "--data", data); r.code != 0 || !strings.Contains(r.stdout, "imported 2 alerts as drafts") {
		t.Fatalf("import: %+v", r)
	}
	out := filepath.Join(dir, "export.json")
	if r = run(t, nil, "", "alerts", "export", out, "--user", "pol", "--data", data); r.code != 0 || !strings.Contains(r.stderr, "exported 2 alerts") {
		t.Fatalf("export: %+v", r)
	}
	if b, _ := os.ReadFile(out); !strings.Contains(string(b), "Kovačević") {
		t.Fatalf("export file: %s", b)
	}
	// An export that cannot be written is a failure, never a short file
	// reported as complete.
	if _, err := os.Stat("/dev/full"); err == nil {
		if r = run(t, nil, "", "alerts", "export", "/dev/full", "--user", "pol", "--data", data); r.code != 1 || strings.Contains(r.stderr, "exported") {
			t.Fatalf("export to a full disk: %+v", r)
		}
	}
	// Drafts are not checked against: the bus list gives no hit.
	list := filepath.Join(dir, "bus.csv")
	os.WriteFile(list, []byte("ref,given_name,family_name,date_of_birth\n1,Ana,Kovačević,1991-07-02\n2,,,\n"), 0o600)
	r = run(t, nil, "", "alerts", "check", list, "--purpose", "bus at Horgoš", "--data", data)
	if r.code != 0 || !strings.Contains(r.stdout, "2,1,Ana Kovačević 1991-07-02,NO HIT") || !strings.Contains(r.stderr, "refused: line 3") {
		t.Fatalf("check: %+v", r)
	}
}

// The alerts benchmark runs end to end on a tiny register (the real run
// is documented in docs/PERFORMANCE.md).
func TestBenchAlertsSmoke(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	dir := t.TempDir()
	r := run(t, nil, "", "bench", "alerts", "--alerts", "60", "--checks", "10", "--batch", "10", "--clients", "2", "--dir", dir, "--cpuprofile", prof)
	if st, err := os.Stat(prof); err != nil || st.Size() == 0 {
		t.Fatalf("cpu profile: %v", err)
	}
	if r.code != 0 || !strings.Contains(r.stdout, "single checks (name and date of birth): 10 with 2 clients") ||
		!strings.Contains(r.stdout, "personal number from the identity document): 10 with 2 clients") || !strings.Contains(r.stdout, "batch check of 10 rows") ||
		!strings.Contains(r.stdout, "date as recorded:") || !strings.Contains(r.stdout, "register: 48 alerted persons") {
		t.Fatalf("bench alerts: %+v", r)
	}
	t.Log(r.stdout)
	// The register left in the directory is reused by a run of the same
	// size (with the same figures: the generator is seeded), refused by
	// another, and --show-errors prints what the checks missed.
	again := run(t, nil, "", "bench", "alerts", "--alerts", "60", "--checks", "10", "--batch", "10", "--clients", "2", "--dir", dir, "--show-errors", "5")
	quality := func(out string) string {
		var keep []string
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, "alerted") && !strings.HasPrefix(l, "model:") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	if again.code != 0 || !strings.Contains(again.stdout, "reusing the 60 alerts already in") || quality(again.stdout) != quality(r.stdout) {
		t.Fatalf("bench alerts on the same register:\n%s\nfirst run:\n%s", again.stdout, r.stdout)
	}
	if other := run(t, nil, "", "bench", "alerts", "--alerts", "80", "--checks", "10", "--batch", "10", "--dir", dir); other.code != 2 || !strings.Contains(other.stderr, "holds 60 alerts, not 80") {
		t.Fatalf("bench alerts on a register of another size: %+v", other)
	}
	if bad := run(t, nil, "", "bench", "alerts", "--show-errors", "-1"); bad.code != 2 || !strings.Contains(bad.stderr, "--show-errors not negative") {
		t.Fatalf("negative --show-errors: %+v", bad)
	}
	if bad := run(t, nil, "", "bench", "alerts", "--schema", "kept"); bad.code != 2 || !strings.Contains(bad.stderr, "give --db as well") {
		t.Fatalf("--schema without --db: %+v", bad)
	}
	// On PostgreSQL a schema named by --schema is kept and reused like a
	// directory.
	pg := os.Getenv("LIAISON_TEST_POSTGRES")
	if pg == "" {
		return
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	schema := "alerts_bench_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		db, err := sql.Open("pgx", pg)
		if err == nil {
			_, _ = db.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE")
			db.Close()
		}
	})
	first := run(t, nil, "", "bench", "alerts", "--alerts", "60", "--checks", "10", "--batch", "10", "--clients", "2", "--db", pg, "--schema", schema)
	second := run(t, nil, "", "bench", "alerts", "--alerts", "60", "--checks", "10", "--batch", "10", "--clients", "2", "--db", pg, "--schema", schema)
	if first.code != 0 || second.code != 0 || !strings.Contains(second.stdout, "reusing the 60 alerts already in schema "+schema) || quality(second.stdout) != quality(first.stdout) {
		t.Fatalf("bench alerts on a kept PostgreSQL schema:\n%+v\nfirst run:\n%+v", second, first)
	}
}
