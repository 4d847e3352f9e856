package match

import (
	"slices"
	"strings"

	"github.com/liaison-wb/liaison/internal/entity"
)

// Blocking keys. Every key is built so that it survives swapped name
// order, and the set is redundant so that a duplicate with one typo in
// the name and one in the date of birth still shares at least one key.
const (
	keyID         byte = iota + 1 // personal identifier
	keyIDHead                     // first half of the identifier (typo in the second half)
	keyIDTail                     // second half
	keyDOB                        // full date of birth
	keyNamePair                   // phonetic keys of two name tokens, sorted
	keyTokYM                      // phonetic name token + birth year and month
	keyTokYD                      // phonetic name token + birth year and day
	keyTokMD                      // phonetic name token + month and day, sorted (day/month swap)
	keyPostStreet                 // postcode + street number
	keyPhone                      // phone number
	keyNamePrefix                 // first three letters of two name tokens, sorted, + birth decade
)

func hashKey(tag byte, parts ...string) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	h ^= uint64(tag)
	h *= prime
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			h ^= uint64(p[i])
			h *= prime
		}
		h ^= 0xff
		h *= prime
	}
	return h
}

// IndexKeys appends the blocking keys of a person for a persistent candidate
// index (the case database's hit/no-hit search). They are the keys batch
// linkage uses, without the broad name-prefix and address keys, whose
// posting lists grow too long to look up per query at a million records.
func IndexKeys(p *entity.Person, out []uint64) []uint64 {
	r := prepare(p)
	return r.keys(out, false)
}

// PhoneKey is the key IndexKeys gives a person's phone number, so that a
// phone entity can be found by the people who use the same number.
func PhoneKey(e164 string) uint64 { return hashKey(keyPhone, e164) }

// blockKeys appends the blocking keys of a prepared record.
func (r *prepared) blockKeys(out []uint64) []uint64 { return r.keys(out, true) }

// keys appends the blocking keys; broad adds the name-prefix keys that
// help batch linkage recall.
func (r *prepared) keys(out []uint64, broad bool) []uint64 {
	if len(r.id) >= 5 {
		out = append(out, hashKey(keyID, r.id))
		if len(r.id) >= 8 {
			h := len(r.id) / 2
			out = append(out, hashKey(keyIDHead, r.id[:h]), hashKey(keyIDTail, r.id[h:]))
		}
	}
	full := len(r.dobRaw) == 8 && !hasUnknown(r.dobRaw)
	if full {
		out = append(out, hashKey(keyDOB, r.dobRaw))
	}
	// Name tokens used for keys: first given and last family token, or all
	// tokens of a full name (role unknown).
	var toks [4]string
	var ph [4]string
	n := 0
	add := func(t string) {
		if n < len(toks) && len(t) > 1 && !slices.Contains(toks[:n], t) {
			toks[n] = t
			ph[n] = phoneticOf(t)
			n++
		}
	}
	if r.fromFull {
		for _, t := range r.full {
			add(t)
		}
	} else {
		if len(r.given.toks) > 0 {
			add(r.given.toks[0])
		}
		if len(r.family.toks) > 0 {
			add(r.family.toks[len(r.family.toks)-1])
		}
	}
	decade := ""
	if len(r.dobRaw) >= 3 {
		decade = r.dobRaw[:3]
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			a, b := ph[i], ph[j]
			if a > b {
				a, b = b, a
			}
			out = append(out, hashKey(keyNamePair, a, b))
			if !broad {
				continue
			}
			pa, pb := prefix(toks[i], 3), prefix(toks[j], 3)
			if pa > pb {
				pa, pb = pb, pa
			}
			out = append(out, hashKey(keyNamePrefix, pa, pb, decade))
		}
	}
	if len(r.dobRaw) == 8 {
		y, mo, d := r.dobRaw[:4], r.dobRaw[4:6], r.dobRaw[6:8]
		md1, md2 := mo, d
		if md1 > md2 {
			md1, md2 = md2, md1
		}
		for i := 0; i < n; i++ {
			if mo != "00" {
				out = append(out, hashKey(keyTokYM, ph[i], y, mo))
			}
			if d != "00" {
				out = append(out, hashKey(keyTokYD, ph[i], y, d))
			}
			if full {
				out = append(out, hashKey(keyTokMD, ph[i], md1, md2))
			}
		}
	}
	// Postcode and street number find a person whose names were both
	// mistyped at the address given (no name key survives such a query).
	if r.postcode != "" && r.streetNo != "" {
		out = append(out, hashKey(keyPostStreet, r.postcode, r.streetNo))
	}
	if len(r.phone) >= 6 {
		out = append(out, PhoneKey(r.phone))
	}
	return out
}

func phoneticOf(tok string) string { return entity.Phonetic(tok) }

func prefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// blockEntry is one (key, record) membership.
type blockEntry struct {
	h    uint64
	rank int32 // position of the record in sort-key order
	rec  int32
}

// blockIndex is a sorted list of key memberships. Records sharing a key
// form a run; runs longer than maxBlock are treated by sorted
// neighbourhood: each member is compared only with the window nearest
// members in sort-key order.
type blockIndex struct {
	rec      []int32 // record of each entry, grouped by key, in sort-key order
	runStart []int32 // first entry of the run of each entry
	runEnd   []int32
	offsets  []int32 // CSR: entries of record i are at pos[offsets[i]:offsets[i+1]]
	pos      []int32
	blocks   int
	oversize int
}

func buildIndex(recs []prepared, keys [][]uint64) *blockIndex {
	n := len(recs)
	// Rank records by sort key so that runs come out ordered for sorted
	// neighbourhood.
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c := strings.Compare(recs[a].sortKey, recs[b].sortKey); c != 0 {
			return c
		}
		return int(a - b)
	})
	rank := make([]int32, n)
	for r, i := range order {
		rank[i] = int32(r)
	}
	total := 0
	for _, k := range keys {
		total += len(k)
	}
	ents := make([]blockEntry, 0, total)
	for i, ks := range keys {
		for _, h := range ks {
			ents = append(ents, blockEntry{h, rank[i], int32(i)})
		}
	}
	slices.SortFunc(ents, func(a, b blockEntry) int {
		switch {
		case a.h < b.h:
			return -1
		case a.h > b.h:
			return 1
		}
		return int(a.rank - b.rank)
	})
	idx := &blockIndex{
		rec:      make([]int32, len(ents)),
		runStart: make([]int32, len(ents)),
		runEnd:   make([]int32, len(ents)),
		offsets:  make([]int32, n+1),
		pos:      make([]int32, len(ents)),
	}
	for s := 0; s < len(ents); {
		e := s + 1
		for e < len(ents) && ents[e].h == ents[s].h {
			e++
		}
		for q := s; q < e; q++ {
			idx.rec[q] = ents[q].rec
			idx.runStart[q], idx.runEnd[q] = int32(s), int32(e)
		}
		if e-s > 1 {
			idx.blocks++
		}
		s = e
	}
	for _, e := range ents {
		idx.offsets[e.rec+1]++
	}
	for i := 0; i < n; i++ {
		idx.offsets[i+1] += idx.offsets[i]
	}
	fill := slices.Clone(idx.offsets[:n])
	for q, e := range ents {
		idx.pos[fill[e.rec]] = int32(q)
		fill[e.rec]++
	}
	return idx
}
