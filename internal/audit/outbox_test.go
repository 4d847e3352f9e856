package audit_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

func TestOutboxCommitsWithTheChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		l, node := newLog(t, st)
		changed := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

		// A change that fails leaves no audit entry.
		boom := errors.New("constraint failed")
		err := st.InTx(ctx, func(tx *store.Tx) error {
			if err := l.Queue(ctx, tx, audit.Entry{Actor: "ana", Action: "case.edit", Object: "case/1"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		// A change that commits keeps its entries, with the change's time.
		if err := st.InTx(ctx, func(tx *store.Tx) error {
			return l.Queue(ctx, tx, audit.Entry{Actor: "ana", Action: "case.edit", Object: "case/2"}, audit.Entry{Actor: "ana", Action: "case.read", Object: "case/2"})
		}); err != nil {
			t.Fatal(err)
		}
		if n, _ := l.Pending(ctx); n != 2 {
			t.Fatalf("pending %d, want 2", n)
		}
		// The node stops before draining; a new start drains exactly once.
		l2, err := audit.Open(ctx, st, node, clock.NewFake(changed.Add(time.Hour)), slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if n, err := l2.Drain(ctx); err != nil || n != 2 {
			t.Fatalf("drained %d, %v", n, err)
		}
		if n, err := l2.Drain(ctx); err != nil || n != 0 {
			t.Fatalf("second drain %d, %v", n, err)
		}
		es, err := audit.List(ctx, st, audit.Filter{Object: "case/2"})
		if err != nil || len(es) != 2 {
			t.Fatalf("entries %+v %v", es, err)
		}
		if !es[0].At.Equal(changed) {
			t.Fatalf("entry time %s, want the time of the change %s", es[0].At, changed)
		}
		if none, _ := audit.List(ctx, st, audit.Filter{Object: "case/1"}); len(none) != 0 {
			t.Fatalf("rolled-back change audited: %+v", none)
		}
		rep, err := audit.Verify(ctx, st, audit.VerifyOptions{Pinned: node.Public(), NodeID: node.ID})
		if err != nil || !rep.OK() {
			t.Fatalf("verify: %v %v", rep.Problems, err)
		}
	})
}

func TestUnreadableOutboxEntryIsKeptVisible(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		l, _ := newLog(t, st)
		exec(t, st, `INSERT INTO audit_outbox (entry) VALUES ('{"actor": "ana", "action": ')`)
		if n, err := l.Drain(ctx); err != nil || n != 1 {
			t.Fatalf("drained %d, %v", n, err)
		}
		es, _ := audit.List(ctx, st, audit.Filter{Action: "audit.outbox.unreadable"})
		if len(es) != 1 || es[0].Outcome != audit.Failed || !strings.Contains(es[0].Detail, `"actor": "ana"`) {
			t.Fatalf("unreadable entry: %+v", es)
		}
	})
}

// On PostgreSQL a change can take a lower outbox sequence number and
// commit while a drain is between reading the outbox and removing what
// it read: its entry waits for the next round instead of being removed
// unlogged.
func TestDrainKeepsAnEntryThatCommitsLate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		if st.Dialect != store.Postgres {
			t.Skip("needs two writers at once")
		}
		ctx := context.Background()
		l, _ := newLog(t, st)
		// hold runs fn in a transaction that stays open until released.
		hold := func(fn func(tx *store.Tx) error) (release func() error) {
			started, rel, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
			go func() {
				done <- st.InTx(ctx, func(tx *store.Tx) error {
					if err := fn(tx); err != nil {
						return err
					}
					close(started)
					<-rel
					return nil
				})
			}()
			<-started
			return func() error { close(rel); return <-done }
		}
		commitLate := hold(func(tx *store.Tx) error { return l.Queue(ctx, tx, audit.Entry{Actor: "u", Action: "late"}) })
		if err := st.InTx(ctx, func(tx *store.Tx) error { return l.Queue(ctx, tx, audit.Entry{Actor: "u", Action: "early"}) }); err != nil {
			t.Fatal(err)
		}
		// The drain reads the outbox, then waits for the head.
		freeHead := hold(func(tx *store.Tx) error {
			var n int64
			return tx.QueryRowContext(ctx, `SELECT tree_size FROM audit_head WHERE id = 1 FOR UPDATE`).Scan(&n)
		})
		drained := make(chan error, 1)
		go func() { _, err := l.Drain(ctx); drained <- err }()
		testutil.WaitFor(t, "the drain to wait for the audit head", 10*time.Second, func() bool {
			var waiting int
			_ = st.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_locks WHERE NOT granted`).Scan(&waiting)
			return waiting > 0
		})
		if err := commitLate(); err != nil {
			t.Fatal(err)
		}
		if err := freeHead(); err != nil {
			t.Fatal(err)
		}
		if err := <-drained; err != nil {
			t.Fatal(err)
		}
		if _, err := l.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		for _, action := range []string{"early", "late"} {
			es, err := audit.List(ctx, st, audit.Filter{Action: action, Limit: 10})
			if err != nil || len(es) != 1 {
				t.Errorf("%s: %d entries (%v), want 1", action, len(es), err)
			}
		}
	})
}
