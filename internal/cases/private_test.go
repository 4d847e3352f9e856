package cases_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

const (
	regionalSecret = "western-balkans regional pprl secret 2026"
	otherSecret    = "a different secret that another region uses"
)

// startPrivateNode starts a node with mutual-TLS federation on loopback
// and the given regional secret.
func startPrivateNode(t *testing.T, id string, be storetest.Backend, secret string, require bool) *testutil.Node {
	return testutil.Start(t, testutil.Options{NodeID: id, Store: be.Options(t), Config: func(c *config.Config) {
		c.FederationAddr = "127.0.0.1:0"
		c.PPRLSecret = secret
		c.PPRLRequirePrivate = require
	}})
}

var asker = &auth.Principal{Username: "ana", Agency: "rs-mup", Roles: []auth.Role{auth.RoleOfficer}}

func waitResults(t *testing.T, n *testutil.Node, id string, want int) cases.OutQuery {
	t.Helper()
	var got cases.OutQuery
	var err error
	testutil.WaitFor(t, "answers to query "+id, 30*time.Second, func() bool {
		got, err = n.Cases.Query(context.Background(), asker, id)
		return err == nil && len(got.Results) >= want
	})
	return got
}

// TestPrivateHitNoHitAcrossNodes: two nodes over real federation (mutual
// TLS, signed envelopes). A private query finds a person stored in Latin
// script from a probe in Cyrillic with a typo and without the identifier;
// a probe of someone else gives no hit; the raw query envelope holds no
// name, date or number in clear, not even inside base64 fields; the owner
// learns nothing of the probe and its release flow is unchanged.
func TestPrivateHitNoHitAcrossNodes(t *testing.T) {
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			rs := startPrivateNode(t, "rs", be, regionalSecret, false)
			ba := startPrivateNode(t, "ba", be, regionalSecret, true)
			testutil.PeerAll(t, rs, ba)

			owner := &auth.Principal{Username: "amra", Agency: "ba-sipa", Roles: []auth.Role{auth.RoleOfficer}}
			in := person("Marko", "Petrović", "1985-03-12", "1203985170006")
			in.Fields["city"] = "Bijeljina"
			mustEntity(t, ba.Cases, in)
			mustEntity(t, ba.Cases, person("Marko", "Petrović", "1962-11-02", ""))
			mustEntity(t, ba.Cases, cases.EntityInput{Kind: "vehicle", Fields: map[string]string{"plate": "A12-K-345", "make": "Audi"}})
			if _, err := ba.Cases.WarmIndex(ctx); err != nil {
				t.Fatal(err)
			}

			q, err := rs.Cases.SendQuery(ctx, asker, cases.QueryInput{Mode: cases.ModePrivate, Purpose: "identify courier in cocaine investigation", CaseRef: "RS-KT-99/2026", Peers: []string{"ba"},
				Items: []cases.Probe{
					{Kind: "person", Fields: map[string]string{"full_name": "Петровиќ Марко", "date_of_birth": "12.03.1985", "city": "Бијељина"}},
					{Kind: "person", Fields: map[string]string{"given_name": "Ivana", "family_name": "Kovač", "date_of_birth": "1970-07-07"}},
					{Kind: "vehicle", Fields: map[string]string{"plate": "А12К345"}},
				}})
			if err != nil {
				t.Fatal(err)
			}
			if q.Mode != cases.ModePrivate {
				t.Fatalf("mode %q", q.Mode)
			}
			got := waitResults(t, rs, q.ID, 3)
			byItem := map[int]cases.PeerResult{}
			for _, r := range got.Results {
				byItem[r.N] = r
			}
			if !byItem[1].Hit || byItem[1].Reference == "" || byItem[1].Error != "" {
				t.Errorf("Cyrillic probe with a typo, no identifier: %+v, want a hit", byItem[1])
			}
			if byItem[2].Hit {
				t.Errorf("unknown person: %+v, want no hit", byItem[2])
			}
			if !byItem[3].Hit {
				t.Errorf("vehicle by keyed plate: %+v, want a hit", byItem[3])
			}
			if got.Mode != cases.ModePrivate {
				t.Errorf("stored mode %q", got.Mode)
			}

			// The query envelope as the owner received it.
			assertEnvelopeOpaque(t, ba, "rs", cases.TypeQuery, []string{"Petrov", "Петров", "Marko", "Марко", "Ivana", "Kova", "1985", "12.03.1985", "19850312", "1203985170006", "1970", "1970-07-07",
				"A12", "А12", "345", "Бијељина", "Bijeljina", "Kovač"})

			// The owner's hit says who asked and that it was private, and
			// nothing of the probe.
			hits, err := ba.Cases.Hits(ctx, owner, "new")
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) != 2 {
				t.Fatalf("owner hits %d, want 2", len(hits))
			}
			for _, h := range hits {
				if h.Asked.Mode != cases.ModePrivate || len(h.Asked.Fields) != 0 || h.Asked.Requester != "ana" {
					t.Errorf("hit asked: %+v", h.Asked)
				}
			}

			// A plain query to a node that requires private mode is not
			// matched: the requester sees a clear configuration error.
			q2, err := rs.Cases.SendQuery(ctx, asker, cases.QueryInput{Purpose: "identify courier in cocaine investigation", CaseRef: "RS-KT-99/2026", Peers: []string{"ba"},
				Items: []cases.Probe{{Kind: "person", Fields: map[string]string{"given_name": "Marko", "family_name": "Petrović", "date_of_birth": "1985-03-12"}}}})
			if err != nil {
				t.Fatal(err)
			}
			got2 := waitResults(t, rs, q2.ID, 1)
			if r := got2.Results[0]; r.Hit || r.Error != cases.ErrCodePrivateRequired {
				t.Errorf("plain query to a private-only node: %+v", r)
			}
		})
	}
}

// assertEnvelopeOpaque checks every stored envelope of a type from a peer:
// none of the values appears in clear, in the raw bytes or inside any
// string that decodes as base64.
func assertEnvelopeOpaque(t *testing.T, n *testutil.Node, peer, typ string, values []string) {
	t.Helper()
	rows, err := n.Store.QueryContext(context.Background(), `SELECT envelope FROM fed_inbox WHERE peer = ? AND type = ?`, peer, typ)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		seen++
		// Long values must not appear anywhere in the raw bytes. Short
		// ones (a year, "345") could occur by chance in the envelope's
		// random ID, timestamps or signature, so those are blanked before
		// the short values are looked for.
		for _, v := range values {
			if len(v) >= 6 && strings.Contains(raw, v) {
				t.Errorf("%s envelope holds %q in clear", typ, v)
			}
		}
		var meta map[string]any
		if err := json.Unmarshal([]byte(raw), &meta); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"id", "created_at", "conversation", "signature", "seq"} {
			delete(meta, k)
		}
		if pl, ok := meta["payload"].(map[string]any); ok {
			delete(pl, "query_id")
		}
		stripped, _ := json.Marshal(meta)
		blobs := []string{string(stripped)}
		var walk func(v any)
		walk = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				for _, y := range x {
					walk(y)
				}
			case []any:
				for _, y := range x {
					walk(y)
				}
			case string:
				for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
					if b, err := enc.DecodeString(x); err == nil {
						blobs = append(blobs, string(b))
						var inner any
						if json.Unmarshal(b, &inner) == nil {
							walk(inner)
						}
					}
				}
			}
		}
		walk(meta)
		for _, b := range blobs {
			for _, v := range values {
				if v != "" && strings.Contains(b, v) {
					t.Errorf("%s envelope holds %q in clear", typ, v)
				}
			}
		}
		if len(blobs) < 3 {
			t.Errorf("no base64 fields decoded in %s envelope; the assertion looked at nothing", typ)
		}
	}
	if seen == 0 {
		t.Fatalf("no %s envelope from %s stored", typ, peer)
	}
}

// TestPrivateKeyMismatchAndRotation: a node with another regional secret
// answers a private query with a key-mismatch configuration error (not
// no-hits). A rotation re-encodes in the background; queries under the
// previous key are still answered meanwhile and after, and once both
// nodes moved, queries under the new key hit.
func TestPrivateKeyMismatchAndRotation(t *testing.T) {
	be := storetest.Backends()[0]
	ctx := context.Background()
	rs := startPrivateNode(t, "rs", be, regionalSecret, false)
	ba := startPrivateNode(t, "ba", be, regionalSecret, false)
	me := startPrivateNode(t, "me", be, otherSecret, false)
	testutil.PeerAll(t, rs, ba, me)
	for _, n := range []*testutil.Node{ba, me} {
		mustEntity(t, n.Cases, person("Jelena", "Đukić", "1979-06-30", ""))
	}
	probe := []cases.Probe{{Kind: "person", Fields: map[string]string{"given_name": "Jelena", "family_name": "Djukic", "date_of_birth": "30.06.1979"}}}
	send := func() cases.OutQuery {
		q, err := rs.Cases.SendQuery(ctx, asker, cases.QueryInput{Mode: cases.ModePrivate, Purpose: "locate a witness", CaseRef: "RS-1/2026", Peers: []string{"ba", "me"}, Items: probe})
		if err != nil {
			t.Fatal(err)
		}
		return waitResults(t, rs, q.ID, 2)
	}
	check := func(stage string, got cases.OutQuery, baHit bool) {
		t.Helper()
		for _, r := range got.Results {
			switch r.Peer {
			case "ba":
				if r.Hit != baHit || r.Error != "" {
					t.Errorf("%s: ba answered %+v, want hit=%v", stage, r, baHit)
				}
			case "me":
				if r.Hit || r.Error != cases.ErrCodeKeyMismatch {
					t.Errorf("%s: me answered %+v, want %s", stage, r, cases.ErrCodeKeyMismatch)
				}
			}
		}
	}
	check("same key", send(), true)

	// ba rotates first: rs still uses the old key, which ba answers.
	newSecret := []byte("the rotated regional secret of 2027")
	fp, err := ba.Cases.RotateKey(ctx, newSecret)
	if err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "re-encoding on ba", 20*time.Second, ba.Cases.RotationDone)
	if ba.Cases.PrivateFingerprint() != fp || fp == rs.Cases.PrivateFingerprint() {
		t.Fatalf("fingerprints after rotation: ba %s rs %s", ba.Cases.PrivateFingerprint(), rs.Cases.PrivateFingerprint())
	}
	check("ba rotated, rs not yet", send(), true)
	// An entity stored after the rotation is encoded under both keys.
	mustEntity(t, ba.Cases, person("Vesna", "Ilić", "1990-01-02", ""))

	if _, err := rs.Cases.RotateKey(ctx, newSecret); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "re-encoding on rs", 20*time.Second, rs.Cases.RotationDone)
	if rs.Cases.PrivateFingerprint() != fp {
		t.Fatal("rs and ba differ after both rotated")
	}
	check("both rotated", send(), true)
	probe = []cases.Probe{{Kind: "person", Fields: map[string]string{"full_name": "Весна Илић", "date_of_birth": "1990-01-02"}}}
	got := send()
	for _, r := range got.Results {
		if r.Peer == "ba" && !r.Hit {
			t.Errorf("entity stored after the rotation not found under the new key: %+v", r)
		}
	}
}

// TestPrivateQueryOfMaxBatchFits: a private query of the largest batch of
// complete person records, field-group filters included, fits in one
// federation envelope; a larger one is refused with a clear reason.
func TestPrivateQueryOfMaxBatchFits(t *testing.T) {
	be := storetest.Backends()[0]
	rs := startPrivateNode(t, "rs", be, regionalSecret, false)
	ba := startPrivateNode(t, "ba", be, regionalSecret, false)
	testutil.PeerAll(t, rs, ba)
	items := make([]cases.Probe, cases.MaxPrivateBatch+1)
	for i := range items {
		items[i] = cases.Probe{Kind: "person", Fields: map[string]string{
			"given_name": "Aleksandra", "family_name": "Stojanovska-Petrović", "father_name": "Dragoljub",
			"date_of_birth": fmt.Sprintf("19%02d-%02d-%02d", 40+i%60, 1+i%12, 1+i%28), "sex": "f",
			"personal_id": fmt.Sprintf("%02d%02d9%02d71%04d", 1+i%28, 1+i%12, 40+i%60, i), "phone": fmt.Sprintf("+38164%07d", i),
			"address_1": "Bulevar oslobođenja", "street_number": "118", "city": "Novi Sad", "postcode": "21000", "nationality": "Srbija"}}
	}
	in := cases.QueryInput{Mode: cases.ModePrivate, Purpose: "batch check of a seized phone's contacts", CaseRef: "RS-KT-100/2026", Peers: []string{"ba"}, Items: items}
	if _, err := rs.Cases.SendQuery(context.Background(), asker, in); err == nil || !strings.Contains(err.Error(), "split the batch") {
		t.Fatalf("private query of %d items: %v, want refused", len(items), err)
	}
	in.Items = items[:cases.MaxPrivateBatch]
	if _, err := rs.Cases.SendQuery(context.Background(), asker, in); err != nil {
		t.Fatalf("private query of %d items: %v", cases.MaxPrivateBatch, err)
	}
}
