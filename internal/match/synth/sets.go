package synth

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// Record is a generated row with its true entity and household
// (relatives share it), so that a model can learn what a household member
// looks like.
type Record struct {
	Row       Row
	Entity    int
	Household int
}

// DedupeSet generates one file's worth of records for about n entities:
// each entity has 0–3 noisy duplicates, and some have relatives (hard
// non-matches). Records are shuffled; ids do not reveal the truth.
func DedupeSet(seed uint64, n int) []Record {
	g := New(seed)
	var out []Record
	g.dedupeEach(n, func(r Record) { out = append(out, r) })
	g.r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	for i := range out {
		out[i].Row["id"] = fmt.Sprintf("P%07d", i+1)
	}
	return out
}

// DedupeEach streams the records of a deduplication set for n entities
// without shuffling (for benchmarks that cannot hold all rows as maps).
// Ids are "E<entity>-<k>".
func DedupeEach(seed uint64, n int, fn func(Record)) {
	New(seed).dedupeEach(n, fn)
}

func (g *Generator) dedupeEach(n int, fn func(Record)) {
	made := 0
	emit := func(id *Identity) {
		made++
		fn(Record{Row: g.Render(id, fmt.Sprintf("E%d-0", id.Entity), false), Entity: id.Entity, Household: id.Household})
		dups := 0
		switch u := g.r.Float64(); {
		case u < 0.5:
		case u < 0.8:
			dups = 1
		case u < 0.95:
			dups = 2
		default:
			dups = 3
		}
		for k := 0; k < dups; k++ {
			fn(Record{Row: g.Render(id, fmt.Sprintf("E%d-%d", id.Entity, k+1), true), Entity: id.Entity, Household: id.Household})
		}
	}
	for made < n {
		id := g.Identity()
		emit(id)
		if g.chance(0.12) && made < n {
			emit(g.Relative(id))
		}
	}
}

// LinkSets generates two files of n records each, as kept by two agencies:
// about 60% of the right-hand people are also on the left (noisy), the
// rest are other people, including relatives of left-hand people.
func LinkSets(seed uint64, n int) (left, right []Record) {
	g := New(seed)
	ids := make([]*Identity, n)
	for i := range ids {
		ids[i] = g.Identity()
		left = append(left, Record{Row: g.Render(ids[i], "", g.chance(0.5)), Entity: ids[i].Entity, Household: ids[i].Household})
	}
	for len(right) < n {
		var id *Identity
		switch u := g.r.Float64(); {
		case u < 0.6:
			id = ids[g.r.IntN(n)]
		case u < 0.7:
			id = g.Relative(ids[g.r.IntN(n)])
		default:
			id = g.Identity()
		}
		right = append(right, Record{Row: g.Render(id, "", true), Entity: id.Entity, Household: id.Household})
	}
	// One record per person on each side, as one agency's register would be.
	right = uniqueEntities(right)
	g.r.Shuffle(len(right), func(i, j int) { right[i], right[j] = right[j], right[i] })
	for i := range left {
		left[i].Row["id"] = "L" + strconv.Itoa(i+1)
	}
	for i := range right {
		right[i].Row["id"] = "R" + strconv.Itoa(i+1)
	}
	return left, right
}

func uniqueEntities(rs []Record) []Record {
	seen := map[int]bool{}
	out := rs[:0]
	for _, r := range rs {
		if !seen[r.Entity] {
			seen[r.Entity] = true
			out = append(out, r)
		}
	}
	return out
}

// AltHeaders renames columns to the alternative names of the CSV contract,
// so tests exercise header detection on the second file.
var AltHeaders = map[string]string{
	"id": "rec_id", "given_name": "first_name", "surname": "last_name", "date_of_birth": "dob",
	"personal_id": "national_id", "father_name": "Father_Name", "city": "suburb",
}

// WriteCSV writes records with the standard columns; rename maps column
// names to the header written (nil keeps them).
func WriteCSV(w io.Writer, rs []Record, rename map[string]string) error {
	cw := csv.NewWriter(w)
	head := make([]string, len(Columns))
	for i, c := range Columns {
		head[i] = c
		if r, ok := rename[c]; ok {
			head[i] = r
		}
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	row := make([]string, len(Columns))
	for _, r := range rs {
		for i, c := range Columns {
			row[i] = r.Row[c]
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
