package backup_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/backup"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

func keyPair(t *testing.T) (age.Recipient, age.Identity) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id.Recipient(), id
}

func insecure(c *config.Config) { c.InsecureFederation = true }

// TestBackupUnderWritesRestoresAnIdenticalNode backs up a node while it
// keeps writing (audit entries, accounts, federation messages), restores
// the backup into an empty data directory and database, and checks the
// restored node: every table with the snapshot's rows, the audit log
// verifying, and a federation exchange with its peer working.
func TestBackupUnderWritesRestoresAnIdenticalNode(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			srcOpt := b.Options(t)
			a := testutil.Start(t, testutil.Options{NodeID: "rs", Store: srcOpt, Config: insecure, NoCleanup: true})
			peer := testutil.Start(t, testutil.Options{NodeID: "al", Config: insecure})
			testutil.Peer(t, a, peer)
			testutil.RoundTrip(t, a, "al")

			// Write load until the backup is done.
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var writes atomic.Int64
			for w := 0; w < 3; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						var err error
						switch i % 3 {
						case 0:
							err = a.Audit.Record(ctx, audit.Entry{Actor: fmt.Sprintf("load-%d", w), Action: "test.write", Object: fmt.Sprintf("obj/%d", i)})
						case 1:
							_, err = a.Fed.Ping(ctx, nil, "al")
						case 2:
							_, err = a.Store.ExecContext(ctx, `INSERT INTO node_settings (key, value) VALUES (?, ?)`, fmt.Sprintf("load/%d/%d", w, i), "x")
						}
						if err != nil {
							t.Errorf("write under backup: %v", err)
							return
						}
						writes.Add(1)
					}
				}(w)
			}
			testutil.WaitFor(t, "some writes", 10*time.Second, func() bool { return writes.Load() > 30 })
			rcpt, id := keyPair(t)
			var buf bytes.Buffer
			var progress []string
			m, err := backup.Write(ctx, &buf, []age.Recipient{rcpt}, backup.Source{Store: a.Store, DataDir: a.Cfg.DataDir, Progress: func(s string) { progress = append(progress, s) }})
			before := writes.Load()
			testutil.WaitFor(t, "writes after the snapshot", 10*time.Second, func() bool { return writes.Load() > before+30 })
			close(stop)
			wg.Wait()
			if err != nil {
				t.Fatal(err)
			}
			if len(progress) == 0 {
				t.Fatal("no progress output")
			}
			// The snapshot covers every table of the live database.
			live, err := a.Store.CountRows(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for table := range live {
				if _, ok := m.Tables[table]; !ok {
					t.Errorf("table %s is not in the backup", table)
				}
			}
			if m.NodeID != "rs" || m.Tables["audit_log"] == 0 || m.Tables["fed_outbox"] == 0 || len(m.Files) < 3 {
				t.Fatalf("manifest %+v", m)
			}
			liveAudit := live["audit_log"]
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			a.Close(cctx)
			cancel()

			// Restore into an empty data directory and database.
			tgtOpt := b.Options(t)
			dataDir := t.TempDir()
			if tgtOpt.DataDir != "" {
				dataDir = tgtOpt.DataDir
			}
			res, err := backup.Restore(ctx, bytes.NewReader(buf.Bytes()), []age.Identity{id}, backup.Target{DataDir: dataDir, DB: tgtOpt.URL, NodeID: "rs"})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Audit.OK() || res.Audit.Entries != m.Tables["audit_log"] {
				t.Fatalf("audit after restore: %+v (manifest %d entries)", res.Audit, m.Tables["audit_log"])
			}
			if m.Tables["audit_log"] >= liveAudit {
				t.Fatalf("the backup (%d entries) should predate the writes that followed it (%d)", m.Tables["audit_log"], liveAudit)
			}
			for _, f := range m.Files {
				info, err := os.Stat(filepath.Join(dataDir, f.Name))
				if err != nil || info.Mode().Perm() != f.Mode {
					t.Fatalf("file %s: %v %v", f.Name, err, info)
				}
			}

			// The restored node starts, has its keys and still federates.
			r := testutil.Start(t, testutil.Options{NodeID: "rs", Store: store.Options{URL: tgtOpt.URL, DataDir: dataDir}, Config: insecure})
			if r.Identity.PublicString() != a.Identity.PublicString() {
				t.Fatal("the restored node has another key")
			}
			if err := peer.Fed.AddPeer(ctx, nil, federation.Peer{ID: "rs", URL: r.FederationURL(), PublicKey: r.Identity.PublicString()}); err != nil {
				t.Fatal(err)
			}
			if err := r.Fed.RetryNow(ctx, ""); err != nil {
				t.Fatal(err)
			}
			testutil.RoundTrip(t, r, "al")
			rep, err := audit.Verify(ctx, r.Store, audit.VerifyOptions{Pinned: r.Identity.Public()})
			if err != nil || !rep.OK() {
				t.Fatalf("audit verify of the running restored node: %v %v", err, rep.Problems)
			}
		})
	}
}

func sqliteNode(t *testing.T) (*testutil.Node, backup.Manifest, []byte, age.Identity) {
	t.Helper()
	n := testutil.Start(t, testutil.Options{NodeID: "rs"})
	rcpt, id := keyPair(t)
	var buf bytes.Buffer
	m, err := backup.Write(context.Background(), &buf, []age.Recipient{rcpt}, backup.Source{Store: n.Store, DataDir: n.Cfg.DataDir})
	if err != nil {
		t.Fatal(err)
	}
	return n, m, buf.Bytes(), id
}

func TestBackupIsUnreadableWithoutTheIdentity(t *testing.T) {
	_, _, data, _ := sqliteNode(t)
	for _, plain := range []string{"PRIVATE KEY", "audit_log", "manifest.json", "SQLite format"} {
		if bytes.Contains(data, []byte(plain)) {
			t.Fatalf("the backup contains %q in clear", plain)
		}
	}
	_, other := keyPair(t)
	dir := t.TempDir()
	_, err := backup.Restore(context.Background(), bytes.NewReader(data), []age.Identity{other}, backup.Target{DataDir: dir, NodeID: "rs"})
	if !errs.Is(err, errs.Forbidden) || !strings.Contains(errs.SafeMessage(err), "cannot decrypt") {
		t.Fatalf("wrong identity: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a refused restore left %d files", len(entries))
	}
	if _, err := backup.Write(context.Background(), &bytes.Buffer{}, nil, backup.Source{}); !errs.Is(err, errs.Invalid) {
		t.Fatalf("a backup without recipients: %v", err)
	}
}

func TestRestoreRefusesANonEmptyTargetAndAnotherNode(t *testing.T) {
	ctx := context.Background()
	_, m, data, id := sqliteNode(t)
	ids := []age.Identity{id}

	full := t.TempDir()
	os.WriteFile(filepath.Join(full, "notes.txt"), []byte("x"), 0o600)
	if _, err := backup.Restore(ctx, bytes.NewReader(data), ids, backup.Target{DataDir: full, NodeID: "rs"}); !errs.Is(err, errs.Conflict) || !strings.Contains(errs.SafeMessage(err), "not empty") {
		t.Fatalf("non-empty directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(full, "notes.txt")); err != nil {
		t.Fatal("a refused restore touched the directory")
	}

	dir := filepath.Join(t.TempDir(), "new")
	_, err := backup.Restore(ctx, bytes.NewReader(data), ids, backup.Target{DataDir: dir, NodeID: "al"})
	if !errs.Is(err, errs.Conflict) || !strings.Contains(errs.SafeMessage(err), "--force-node-id") {
		t.Fatalf("another node: %v", err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Fatal("a refused restore created the directory")
	}
	res, err := backup.Restore(ctx, bytes.NewReader(data), ids, backup.Target{DataDir: dir, NodeID: "al", ForceNodeID: true})
	if err != nil || res.Manifest.NodeID != m.NodeID {
		t.Fatalf("forced: %v", err)
	}
	st, err := store.Connect(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if id, _ := st.NodeID(ctx); id != "al" {
		t.Fatalf("node id after a forced restore: %q", id)
	}
	// A second restore into the now used directory is refused.
	if _, err := backup.Restore(ctx, bytes.NewReader(data), ids, backup.Target{DataDir: dir, NodeID: "al"}); !errs.Is(err, errs.Conflict) {
		t.Fatalf("second restore: %v", err)
	}
}

func TestRestoreRefusesADatabaseWithTables(t *testing.T) {
	pg := os.Getenv(storetest.EnvPostgres)
	if pg == "" {
		t.Skip("needs " + storetest.EnvPostgres)
	}
	_, _, data, id := sqliteNode(t)
	url := storetest.FreshSchema(t, pg)
	storetest.Open(t, store.Options{URL: url})
	_, err := backup.Restore(context.Background(), bytes.NewReader(data), []age.Identity{id}, backup.Target{DataDir: t.TempDir(), DB: url, NodeID: "rs"})
	if !errs.Is(err, errs.Conflict) || !strings.Contains(errs.SafeMessage(err), "already has") {
		t.Fatalf("non-empty database: %v", err)
	}
	// An SQLite backup restores into an empty PostgreSQL schema.
	url2 := storetest.FreshSchema(t, pg)
	res, err := backup.Restore(context.Background(), bytes.NewReader(data), []age.Identity{id}, backup.Target{DataDir: t.TempDir(), DB: url2, NodeID: "rs"})
	if err != nil || !res.Audit.OK() {
		t.Fatalf("SQLite backup into PostgreSQL: %v %+v", err, res.Audit.Problems)
	}
}

func TestScheduledBackupsKeepTheNewest(t *testing.T) {
	n := testutil.Start(t, testutil.Options{NodeID: "rs"})
	rcpt, id := keyPair(t)
	// The backup directory inside the data directory must not back itself up.
	dir := filepath.Join(n.Cfg.DataDir, "backups")
	tick := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	s := backup.Schedule{Every: time.Hour, Keep: 2, Dir: dir, Recipients: []age.Recipient{rcpt}, Logger: testutil.Logger(t),
		Source: backup.Source{Store: n.Store, DataDir: n.Cfg.DataDir, Exclude: []string{dir}, Now: func() time.Time { return tick }}}
	var files []string
	for i := 0; i < 4; i++ {
		tick = tick.Add(24 * time.Hour)
		f, err := s.Once(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 || entries[0].Name() != filepath.Base(files[2]) || entries[1].Name() != filepath.Base(files[3]) {
		t.Fatalf("kept %v", entries)
	}
	f, err := os.Open(files[3])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := backup.Restore(context.Background(), f, []age.Identity{id}, backup.Target{DataDir: t.TempDir(), NodeID: "rs"})
	if err != nil || !res.Audit.OK() {
		t.Fatalf("restore of a scheduled backup: %v", err)
	}
	for _, file := range res.Manifest.Files {
		if strings.HasPrefix(file.Name, "backups/") {
			t.Fatalf("the backup holds an earlier backup: %s", file.Name)
		}
	}
	rec, ok, err := n.Store.LastOps(context.Background(), store.SettingLastBackup)
	if err != nil || !ok || rec.File != files[3] {
		t.Fatalf("last backup record %+v %v %v", rec, ok, err)
	}
}
