package exchange_test

import (
	"context"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/exchange"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

// Stored data that cannot be read is an error naming the row and column,
// never a thread that silently lost its parties or its message entities.
func TestCorruptedJSONColumnIsAnError(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "rs")
		rs := c.Nodes["rs"]
		off := user(t, rs, "rs-officer", "rs-police", auth.RoleOfficer)
		th, err := rs.Exchange.Compose(ctx, off, exchange.NewThread{Subject: "Vehicle check", Agencies: []string{"rs-customs"}, Body: "Please check BG-123-AA.",
			Markings: exchange.MessageMarkings{Classification: "restricted", Handling: []string{"H0"}, Reliability: "B", Accuracy: 2, OnwardAllowed: true}})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{`UPDATE ex_threads SET parties = '["rs",' WHERE id = ?`, `UPDATE ex_messages SET entities = '{' WHERE thread_id = ?`} {
			if _, err := rs.Store.ExecContext(ctx, `UPDATE ex_threads SET parties = '["rs"]' WHERE id = ?`, th.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := rs.Store.ExecContext(ctx, q, th.ID); err != nil {
				t.Fatal(err)
			}
			_, err := rs.Exchange.Thread(ctx, off, th.ID)
			if !errs.Is(err, errs.Internal) || !strings.Contains(err.Error(), "cannot be read (column") {
				t.Fatalf("%s: reading the thread gave %v, want an internal error naming the column", q, err)
			}
			if safe := errs.SafeMessage(err); strings.Contains(safe, "column") || strings.Contains(safe, th.ID) {
				t.Fatalf("the message shown to users carries internals: %q", safe)
			}
		}
	})
}
