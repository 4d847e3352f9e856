package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/identity"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

// The stash lives in the database, so a page after a redirect may come
// from another instance of the node (one that opened the same database
// with the same node identity); what it keeps is sealed, bound to its user,
// shown once when asked to, and gone after its time.
func TestFormStashIsSharedSealedAndBounded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		dir := t.TempDir()
		node, err := identity.LoadOrCreate(dir, "rs", "Serbia")
		if err != nil {
			t.Fatal(err)
		}
		a, _ := newFormStash(st, node)
		again, _ := identity.LoadOrCreate(dir, "rs", "Serbia")
		b, _ := newFormStash(st, again) // another instance of the same node
		now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
		const secret = "lia_0123456789abcdef"
		id, err := a.put(ctx, &formFailure{User: "holder", Form: "token-secret", Values: url.Values{"secret": {secret}}}, now)
		if err != nil {
			t.Fatal(err)
		}
		var raw string
		if err := st.QueryRowContext(ctx, `SELECT payload FROM web_stash WHERE id = ?`, id).Scan(&raw); err != nil || strings.Contains(raw, secret) || strings.Contains(raw, "token-secret") {
			t.Fatalf("stored in clear: %q %v", raw, err)
		}
		if f := b.get(ctx, id, "holder", now); f == nil || f.V("secret") != secret || f.Form != "token-secret" {
			t.Fatalf("other instance reads %+v", f)
		}
		if f := b.get(ctx, id, "someone", now); f != nil {
			t.Fatal("another user reads the stash")
		}
		if f := b.take(ctx, id, "holder", now); f == nil || f.V("secret") != secret {
			t.Fatalf("take: %+v", f)
		}
		if f := a.take(ctx, id, "holder", now); f != nil {
			t.Fatal("shown twice")
		}
		old, _ := a.put(ctx, &formFailure{User: "holder", Form: "x"}, now)
		if f := a.get(ctx, old, "holder", now.Add(formStashTTL+time.Second)); f != nil {
			t.Fatal("read after its time")
		}
		for i := 0; i < formStashPerUser+10; i++ {
			if _, err := a.put(ctx, &formFailure{User: "busy", Form: "x"}, now.Add(time.Duration(i)*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
		}
		var n int
		_ = st.QueryRowContext(ctx, `SELECT COUNT(*) FROM web_stash WHERE username = 'busy'`).Scan(&n)
		if n != formStashPerUser {
			t.Fatalf("one account keeps %d rows, want %d", n, formStashPerUser)
		}
		// A node with another identity cannot read what this one sealed.
		other, _ := identity.LoadOrCreate(t.TempDir(), "rs", "Serbia")
		c, _ := newFormStash(st, other)
		kept, _ := a.put(ctx, &formFailure{User: "holder", Form: "x"}, now)
		if f := c.get(ctx, kept, "holder", now); f != nil {
			t.Fatal("unsealed with another key")
		}
	})
}
