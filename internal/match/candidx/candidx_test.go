package candidx

import (
	"context"
	"strconv"
	"testing"
)

func ids(cs []Cand[string, int]) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func TestLookupRanksBySharedKeysAndSkipsCommonKeys(t *testing.T) {
	x := New[string, int]()
	x.Add([]Item[string, int]{{ID: "a", Keys: []int64{1, 2, 3}, Rec: 1}, {ID: "b", Keys: []int64{1, 2}, Rec: 2}, {ID: "c", Keys: []int64{1}, Rec: 3}}, true)
	if got := ids(x.Lookup([]int64{1, 2, 3}, 10, 100)); len(got) != 3 || got[0] != "a" || got[1] != "b" || got[2] != "c" {
		t.Fatalf("ranking: %v", got)
	}
	// Key 1 has 3 postings: above common=2 it is skipped.
	if got := ids(x.Lookup([]int64{1}, 10, 2)); len(got) != 0 {
		t.Fatalf("common key not skipped: %v", got)
	}
	if got := ids(x.Lookup([]int64{1, 2, 3}, 1, 100)); len(got) != 1 || got[0] != "a" {
		t.Fatalf("limit: %v", got)
	}
}

// Records tied with the last one kept are kept too, up to the tie limit:
// the index cannot tell them apart.
func TestLookupKeepsTiesUpToTheirLimit(t *testing.T) {
	x := New[string, int]()
	var items []Item[string, int]
	items = append(items, Item[string, int]{ID: "best", Keys: []int64{1, 2}, Rec: 0})
	for i := 0; i < 10; i++ {
		items = append(items, Item[string, int]{ID: "tied" + strconv.Itoa(i), Keys: []int64{1}, Rec: i})
	}
	x.Add(items, true)
	for _, tc := range []struct{ limit, ties, want int }{{3, 3, 3}, {3, 8, 8}, {3, 100, 11}, {1, 100, 1}, {11, 11, 11}} {
		got := ids(x.LookupTies([]int64{1, 2}, tc.limit, tc.ties, 100))
		if len(got) != tc.want || got[0] != "best" {
			t.Errorf("limit %d, ties %d: %v, want %d records, best first", tc.limit, tc.ties, got, tc.want)
		}
	}
}

func TestRemoveReplaceAndFold(t *testing.T) {
	x := New[string, int]()
	var items []Item[string, int]
	for i := 0; i < 70000; i++ { // past the fold threshold
		items = append(items, Item[string, int]{ID: strconv.Itoa(i), Keys: []int64{int64(i)}, Rec: i})
	}
	x.Add(items, true)
	if st := x.Stats(); st.Live != 70000 || st.Postings != 70000 {
		t.Fatalf("stats: %+v", st)
	}
	x.Add([]Item[string, int]{{ID: items[5].ID, Keys: []int64{-5}, Rec: -5}}, true)
	if got := x.Lookup([]int64{5}, 10, 100); len(got) != 0 {
		t.Fatalf("replaced record still found by its old key: %v", got)
	}
	if got := x.Lookup([]int64{-5}, 10, 100); len(got) != 1 || got[0].Rec != -5 {
		t.Fatalf("replacement: %v", got)
	}
	x.Remove([]string{items[6].ID})
	if got := x.Lookup([]int64{6}, 10, 100); len(got) != 0 || x.Live() != 69999 {
		t.Fatalf("removed record found: %v live %d", got, x.Live())
	}
}

// A removal that races the start-up build leaves a tombstone: the build
// does not bring the record back; a later write does.
func TestBuildDoesNotReviveRemoved(t *testing.T) {
	x := New[string, int]()
	x.Remove([]string{"gone"})
	st, err := x.Build(context.Background(), func(ctx context.Context, known func([]string) []bool, emit func([]Item[string, int])) error {
		rows := []Item[string, int]{{ID: "gone", Keys: []int64{1}}, {ID: "kept", Keys: []int64{1}}}
		k := known([]string{"gone", "kept"})
		if !k[0] || k[1] {
			t.Fatalf("known: %v", k)
		}
		emit(rows)
		return nil
	})
	if err != nil || !st.Ready || x.State() != Ready {
		t.Fatalf("build: %+v %v", st, err)
	}
	if got := ids(x.Lookup([]int64{1}, 10, 100)); len(got) != 1 || got[0] != "kept" {
		t.Fatalf("after build: %v", got)
	}
	x.Add([]Item[string, int]{{ID: "gone", Keys: []int64{1}}}, true)
	if got := ids(x.Lookup([]int64{1}, 10, 100)); len(got) != 2 {
		t.Fatalf("re-added: %v", got)
	}
}

// Records' bytes come back as stored through replacements, merges and
// removals, and after the arena is compacted.
func TestBlobsSurviveReplaceRemoveAndCompaction(t *testing.T) {
	x := New[string, int]()
	blob := func(id string, v int) []byte { return []byte(id + "=" + strconv.Itoa(v)) }
	const n = 3000
	big := make([]byte, 4096) // enough replacements to force compactions
	for round := range 4 {
		var items []Item[string, int]
		for i := range n {
			id := strconv.Itoa(i)
			items = append(items, Item[string, int]{ID: id, Keys: []int64{int64(i)}, Rec: round, Blob: append(blob(id, round), big...)})
		}
		x.Add(items, true)
	}
	x.Remove([]string{"5"})
	x.SetDead([]string{"6"}, true)
	x.SetDead([]string{"6"}, false)
	if x.blobs.dead > max(arenaChunk, x.blobs.live) {
		t.Fatalf("arena never compacted: %d dead bytes, %d live", x.blobs.dead, x.blobs.live)
	}
	for i := range n {
		id := strconv.Itoa(i)
		got := x.Lookup([]int64{int64(i)}, 5, 100)
		if id == "5" {
			if len(got) != 0 {
				t.Fatalf("removed record found: %v", ids(got))
			}
			continue
		}
		if len(got) != 1 || got[0].Rec != 3 || string(got[0].Blob[:len(blob(id, 3))]) != string(blob(id, 3)) || len(got[0].Blob) != len(blob(id, 3))+len(big) {
			t.Fatalf("record %s: %d found, blob %.20q", id, len(got), got[0].Blob)
		}
	}
}

func TestPairsShareAKey(t *testing.T) {
	x := New[string, int]()
	x.Add([]Item[string, int]{{ID: "a", Keys: []int64{1, 2}, Rec: 1}, {ID: "b", Keys: []int64{2}, Rec: 1}, {ID: "c", Keys: []int64{1, 2}, Rec: 1},
		{ID: "p", Keys: []int64{2}, Rec: 0}, {ID: "z", Keys: []int64{9}, Rec: 1}}, true)
	x.Remove([]string{"c"})
	got := x.Pairs(func(r int) bool { return r == 1 }, 10, 100)
	if len(got) != 1 || got[0] != [2]string{"a", "b"} {
		t.Fatalf("pairs: %v", got)
	}
}

// A large batch goes straight into the sorted postings; small batches go
// through the delta map. Either way the same lookups find the same
// records in the same order, including records replaced in the batch.
func TestBulkAddMatchesSmallAdds(t *testing.T) {
	items := func(from, n int) []Item[string, int] {
		out := make([]Item[string, int], 0, n)
		for i := from; i < from+n; i++ {
			// Keys shared by many records (i%7, i%1000) and one of its own.
			out = append(out, Item[string, int]{ID: strconv.Itoa(i % 50_000), Keys: []int64{int64(i % 7), 100 + int64(i%1000), 1_000_000 + int64(i)}, Rec: i})
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		batches []int // sizes of the batches added, in order
	}{
		{"one large batch", []int{60_000}},
		{"small then large", []int{100, 59_900}},
		{"large then small", []int{40_000, 10, 19_990}},
		{"two large", []int{30_000, 30_000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bulk, small := New[string, int](), New[string, int]()
			from := 0
			for _, n := range tc.batches {
				bulk.Add(items(from, n), true)
				for i := from; i < from+n; i += 500 {
					small.Add(items(i, min(500, from+n-i)), true)
				}
				from += n
			}
			if b, s := bulk.Stats(), small.Stats(); b.Live != s.Live || b.Live != 50_000 {
				t.Fatalf("live: bulk %+v small %+v", b, s)
			}
			for _, q := range [][]int64{{3}, {100 + 42}, {1_000_000 + 59_999}, {1_000_000 + 5}, {1, 100 + 1, 1_000_000 + 1001}} {
				b, s := bulk.Lookup(q, 20, 100_000), small.Lookup(q, 20, 100_000)
				if len(b) != len(s) {
					t.Fatalf("lookup %v: bulk %v small %v", q, ids(b), ids(s))
				}
				for i := range b {
					if b[i].ID != s[i].ID || b[i].Rec != s[i].Rec || b[i].Shared != s[i].Shared {
						t.Fatalf("lookup %v: bulk %v small %v", q, ids(b), ids(s))
					}
				}
			}
			// Record 5 was replaced by record 50,005 (same ID): its own key
			// no longer finds it.
			if got := bulk.Lookup([]int64{1_000_000 + 5}, 10, 100); len(got) != 0 {
				t.Fatalf("replaced record found by its old key: %v", ids(got))
			}
		})
	}
}
