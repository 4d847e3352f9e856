package directory_test

import (
	"context"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/directory"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestSnapshotsTravelThroughTheFederation: Montenegro's administrator adds
// an agency and a contact point; the records reach Serbia's node as a
// signed envelope and can be looked up there, still owned by Montenegro.
func TestSnapshotsTravelThroughTheFederation(t *testing.T) {
	insecure := func(c *config.Config) { c.InsecureFederation = true }
	me := testutil.Start(t, testutil.Options{NodeID: "me", Config: insecure})
	rs := testutil.Start(t, testutil.Options{NodeID: "rs", Config: insecure})
	testutil.Peer(t, me, rs)
	ctx := context.Background()
	admin := &auth.Principal{Username: "admin", Agency: "me-admin", Roles: []auth.Role{auth.RoleAdmin}}
	up, err := me.Dir.CreateAgency(ctx, admin, directory.AgencyInput{Country: "ME", Code: "me-up-test", Name: "Police Directorate (test)", LocalName: "Uprava policije", Type: "police"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := me.Dir.CreateContactPoint(ctx, admin, directory.ContactPointInput{Country: "ME", AgencyID: up.ID, Role: "aro", HolderName: "Dejan Mugoša",
		Hours: "Mon-Fri 07:00-15:00", Channels: []directory.Channel{{Kind: "email", Value: "aro@up.example"}}}); err != nil {
		t.Fatal(err)
	}
	n, err := me.DirPub.Publish(ctx)
	if err != nil || n != 1 {
		t.Fatalf("publish: %d %v", n, err)
	}
	if n, _ := me.DirPub.Publish(ctx); n != 0 {
		t.Fatal("an unchanged directory must not be sent again")
	}
	officer := &auth.Principal{Username: "o", Agency: "rs-mup", Roles: []auth.Role{auth.RoleOfficer}}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := rs.DirPub.Apply(ctx); err != nil {
			t.Fatal(err)
		}
		res, err := rs.Dir.Lookup(ctx, officer, "ME", "asset recovery")
		if err == nil {
			for _, c := range res.Contacts {
				if c.Holder.Name == "Dejan Mugoša" {
					if c.OwnerNode != "me" {
						t.Fatalf("replicated record owned by %q", c.OwnerNode)
					}
					return
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("Montenegro's contact point never reached Serbia's node")
}
