package witness_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/cli"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
	"github.com/liaison-wb/liaison/internal/witness"
)

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs a node with a mutual-TLS federation listener at fedAddr.
func start(t *testing.T, id string, opt store.Options, dataDir, fedAddr string, noCleanup bool) *testutil.Node {
	t.Helper()
	return testutil.Start(t, testutil.Options{NodeID: id, Store: opt, NoCleanup: noCleanup, Config: func(c *config.Config) {
		if dataDir != "" {
			c.DataDir = dataDir
		}
		c.FederationAddr = fedAddr
		c.AuditWitnessInterval = 0 // the test publishes itself
	}})
}

func record(t *testing.T, n *testutil.Node, count int) {
	t.Helper()
	for i := 0; i < count; i++ {
		if err := n.Audit.Record(context.Background(), audit.Entry{Actor: "officer", Action: "case.read", Object: fmt.Sprintf("case/%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
}

// cosignedAtLeast waits until every peer in ids has cosigned a checkpoint
// of n's log of at least size entries.
func cosignedAtLeast(t *testing.T, n *testutil.Node, size int64, ids ...string) {
	t.Helper()
	defer func() {
		if t.Failed() {
			dump(t, n)
		}
	}()
	testutil.WaitFor(t, fmt.Sprintf("cosignatures of %d entries from %v", size, ids), 60*time.Second, func() bool {
		st, err := n.Witness.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		ok := 0
		for _, c := range st.Cosignatures {
			for _, id := range ids {
				if c.Witness == id && c.Status == witness.StatusCosigned && c.Size >= size {
					ok++
				}
			}
		}
		return ok == len(ids)
	})
}

func TestWitnessesCatchALogCutBackWithItsCheckpoints(t *testing.T) {
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) { witnessScenario(t, be.Options(t)) })
	}
}

func witnessScenario(t *testing.T, optA store.Options) {
	ctx := context.Background()
	dirA, addrA := t.TempDir(), freeAddr(t)
	a := start(t, "rs", optA, dirA, addrA, true)
	b := start(t, "ba", store.Options{}, "", "127.0.0.1:0", false)
	c := start(t, "me", store.Options{}, "", "127.0.0.1:0", false)
	testutil.PeerAll(t, a, b, c)

	// First round: the witnesses trust the first checkpoint they see.
	record(t, a, 20)
	first, err := a.Witness.Publish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cosignedAtLeast(t, a, first, "ba", "me")

	// The log grows; the next checkpoint comes with a consistency proof.
	old, err := a.Audit.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	record(t, a, 15)
	second, err := a.Witness.Publish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cosignedAtLeast(t, a, second, "ba", "me")

	rep, held, err := a.Witness.Verify(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || len(rep.Witnessed) != 2 || len(held) != 2 {
		t.Fatalf("honest log: problems %v, witnessed %+v, held %+v", rep.Problems, rep.Witnessed, held)
	}
	for _, w := range rep.Witnessed {
		if !w.OK || w.Size <= old.Size || w.At.IsZero() {
			t.Fatalf("witness %+v", w)
		}
	}
	bStatus, _ := b.Witness.Status(ctx)
	if len(bStatus.Witnessed) != 1 || bStatus.Witnessed[0].Peer != "rs" || len(bStatus.Alarms) != 0 {
		t.Fatalf("witness ba: %+v", bStatus)
	}

	// A database administrator stops the node and cuts the log back to an
	// older checkpoint, deleting the later checkpoints and putting the older
	// signed note back as the head: no node key is needed for that.
	closeCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	a.Close(closeCtx)
	cancel()
	cutBack(t, optA, dirA, old)
	st := storetest.Open(t, storeOpts(optA, dirA))
	alone, err := audit.Verify(ctx, st, audit.VerifyOptions{Pinned: a.Identity.Public(), NodeID: "rs"})
	if err != nil || !alone.OK() {
		t.Fatalf("the cut-back log still verifies on its own (that is the threat): %v %v", alone.Problems, err)
	}
	st.Close()

	// The command line checks the stopped node's log against the witnesses.
	var out, errb bytes.Buffer
	args := []string{"audit", "verify", "--data", dirA, "--witnesses"}
	if optA.URL != "" {
		args = append(args, "--db", optA.URL)
	}
	code := cli.Run(ctx, args, cli.Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	if code != 1 || !strings.Contains(out.String(), "witness ba: holds") || !strings.Contains(out.String(), "DOES NOT MATCH") ||
		!strings.Contains(out.String(), "entries were removed") {
		t.Fatalf("cli exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}

	// Restarted, the node checks itself against the witnesses and fails.
	a2 := start(t, "rs", optA, dirA, addrA, false)
	rep, _, err = a2.Witness.Verify(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(rep.Problems, "\n")
	if rep.OK() || !strings.Contains(joined, "witness ba holds a checkpoint") || !strings.Contains(joined, "witness me holds a checkpoint") {
		t.Fatalf("cut-back log against witnesses: %q", rep.Problems)
	}

	// Its next checkpoint is refused by the witnesses, who raise an alarm.
	if _, err := a2.Witness.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	for _, w := range []*testutil.Node{b, c} {
		testutil.WaitFor(t, "an alarm on "+w.Cfg.NodeID, 60*time.Second, func() bool {
			s, err := w.Witness.Status(ctx)
			return err == nil && len(s.Alarms) > 0 && s.Alarms[0].Peer == "rs"
		})
	}
	testutil.WaitFor(t, "the refusal reaching rs", 60*time.Second, func() bool {
		s, _ := a2.Witness.Status(ctx)
		for _, c := range s.Cosignatures {
			if c.Status != witness.StatusRefused {
				return false
			}
		}
		return len(s.Cosignatures) == 2
	})
}

// storeOpts opens the database a node in dir uses.
func storeOpts(opt store.Options, dir string) store.Options {
	if opt.URL != "" {
		return store.Options{URL: opt.URL}
	}
	return store.Options{DataDir: dir}
}

// cutBack rewrites the stopped node's database to an earlier checkpoint.
func cutBack(t *testing.T, opt store.Options, dir string, cp audit.Checkpoint) {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, storeOpts(opt, dir))
	defer st.Close()
	exec := func(q string, args ...any) {
		if _, err := st.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`DELETE FROM audit_log WHERE idx >= ?`, cp.Size)
	exec(`DELETE FROM audit_checkpoints WHERE tree_size > ?`, cp.Size)
	exec(`UPDATE audit_head SET tree_size = ?, root_hash = ?, note = ?`, cp.Size, cp.Root, cp.Note)
	// Subtree hashes over removed leaves go too, so that the node appends again.
	rows, err := st.QueryContext(ctx, `SELECT level, idx FROM audit_nodes`)
	if err != nil {
		t.Fatal(err)
	}
	var drop [][2]int64
	for rows.Next() {
		var level, idx int64
		if err := rows.Scan(&level, &idx); err != nil {
			t.Fatal(err)
		}
		if (idx+1)<<level > cp.Size {
			drop = append(drop, [2]int64{level, idx})
		}
	}
	rows.Close()
	for _, d := range drop {
		exec(`DELETE FROM audit_nodes WHERE level = ? AND idx = ?`, d[0], d[1])
	}
}

// dump logs a node's witnessing state and outbox when a test fails.
func dump(t *testing.T, n *testutil.Node) {
	st, err := n.Witness.Status(context.Background())
	t.Logf("%s witness status: %+v %v", n.Cfg.NodeID, st, err)
	rows, err := n.Store.QueryContext(context.Background(), `SELECT peer, type, seq, state, attempts, last_error FROM fed_outbox ORDER BY created_at`)
	if err != nil {
		t.Log(err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var peer, typ, state, lastErr string
		var seq, attempts int64
		_ = rows.Scan(&peer, &typ, &seq, &state, &attempts, &lastErr)
		t.Logf("outbox %s %s #%d %s attempts=%d %s", peer, typ, seq, state, attempts, lastErr)
	}
}
