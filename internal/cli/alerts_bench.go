package cli

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/alerts"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/match"
	"github.com/liaison-wb/liaison/internal/match/synth"
	"github.com/liaison-wb/liaison/internal/store"
)

// runAlertsBench measures checks against a synthetic register of alerts in
// force (persons and objects): single-check latency and throughput, one
// batch check, and recall and false hits on noisy renderings.
func runAlertsBench(ctx context.Context, env Env, args []string) error {
	fs := flagSet(env, "bench alerts", "bench alerts [--alerts N] [--checks N] [--batch N] [--clients N] [--show-errors N] [--peers N] [--db postgres://… [--schema NAME]] [--dir DIR] [--cpuprofile FILE]")
	n := fs.Int("alerts", 1_000_000, "alerts in force on the checking node (4 in 5 persons, the rest vehicles and firearms)")
	checks := fs.Int("checks", 2000, "single checks in the latency run (half known persons, half unknown)")
	batch := fs.Int("batch", 10000, "rows of the batch check")
	clients := fs.Int("clients", 4, "concurrent single checks")
	db := fs.String("db", "", "PostgreSQL URL (a fresh schema is created and dropped unless --schema is given); default SQLite in --dir")
	schema := fs.String("schema", "", "PostgreSQL schema to keep (created if missing, reused by a later run with as many alerts)")
	dir := fs.String("dir", "", "directory for the SQLite database (default: a temporary directory); a register left there by an earlier run with as many alerts is reused")
	peers := fs.Int("peers", 0, "instead of checks, measure replication: the alerts go from one node to this many partner nodes on loopback")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	showErrors := fs.Int("show-errors", 0, "print up to this many alerted persons the single checks (name and date of birth) did not find as HIT, and false HITs, after the second check, with the person's record and what the check found")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	if *n < 10 || *checks < 1 || *batch < 1 || *clients < 1 || *peers < 0 || *showErrors < 0 {
		return usagef("--alerts must be at least 10; --checks, --batch and --clients positive; --peers and --show-errors not negative")
	}
	if *peers > 0 {
		return runAlertsReplication(ctx, env, *n, *peers, *db, *dir)
	}
	if *schema != "" && *db == "" {
		return usagef("--schema names a PostgreSQL schema: give --db as well")
	}
	st, al, closeBench, err := openBenchStore(ctx, *db, *schema, *dir, "alerts", "rs")
	if err != nil {
		return err
	}
	defer closeBench()
	lg := slog.New(slog.NewTextHandler(io.Discard, nil))
	// The checks use the register model fitted below on the alerted
	// persons (a node uses the one fitted on its case database).
	var fitted *match.Model
	model := func(context.Context) (*match.Model, error) {
		if fitted == nil {
			return match.FitRegister(nil, 0, 1), nil
		}
		return fitted, nil
	}
	var sample []entity.Person
	svc := alerts.New(alerts.Deps{Store: st, Audit: al, Clock: clock.System{}, Logger: lg, NodeID: "rs", Region: "RS", Model: model}, alerts.Config{})
	actor := &auth.Principal{Username: "bench", Agency: "rs-bench", Roles: []auth.Role{auth.RoleNCUOperator, auth.RoleOfficer}, Console: true}

	fmt.Fprintf(env.Stdout, "alerts check benchmark: %d alerts in force, %s\n", *n, st.Dialect)
	g := synth.New(20261204)
	var known []*synth.Identity
	var plates []string
	const fitN = 20000 // alerted persons the model's u is counted on
	want := *checks/2 + *batch/2
	every := max(*n*4/5/max(want, 1), 1)
	// A register left by an earlier run in --dir of the same size is
	// reused: the generator is seeded, so its alerts are the ones that
	// would be loaded again.
	var held int
	if kept := *dir; (*db == "" && kept != "") || *schema != "" {
		if *schema != "" {
			kept = "schema " + *schema
		}
		_ = st.QueryRowContext(ctx, `SELECT COUNT(*) FROM alerts`).Scan(&held)
		if held == *n {
			fmt.Fprintf(env.Stdout, "reusing the %d alerts already in %s\n", held, kept)
		} else if held != 0 {
			return usagef("%s holds %d alerts, not %d: give an empty one or one from a run of the same size", kept, held, *n)
		}
	}
	reuse := held == *n
	t0 := time.Now()
	const chunk = 5000
	buf := make([]alerts.AlertDraft, 0, chunk)
	density := newNameDensity()
	for i := 0; i < *n; i++ {
		d, idn := syntheticAlert(g, i)
		switch {
		case idn != nil:
			density.add(idn)
			if i%every == 0 && len(known) < want {
				known = append(known, idn)
			}
			if len(sample) < fitN {
				sample = append(sample, match.PersonFromFields(map[string]string{match.ColGiven: idn.Given, match.ColFamily: idn.Family, match.ColDOB: idn.DOB.String(),
					match.ColPersonalID: idn.PersonalID, match.ColSex: d.Person.Sex, match.ColNationality: idn.Nation}, "RS"))
			}
		case d.Object.Plate != "" && len(plates) < 100:
			plates = append(plates, d.Object.Plate)
		}
		if reuse {
			continue
		}
		buf = append(buf, d)
		if len(buf) == chunk || i == *n-1 {
			if err := svc.BulkLoad(ctx, actor, buf); err != nil {
				return err
			}
			buf = buf[:0]
			fmt.Fprintf(env.Stderr, "\rloaded %d alerts (%.0f/s)", i+1, float64(i+1)/time.Since(t0).Seconds())
		}
	}
	if !reuse {
		fmt.Fprintln(env.Stderr)
	}
	load := time.Since(t0)
	var keys int64
	_ = st.QueryRowContext(ctx, `SELECT COUNT(*) FROM alerts_keys`).Scan(&keys)
	if reuse {
		fmt.Fprintf(env.Stdout, "load: none (register reused), %d candidate keys (%.1f per alert)\n", keys, float64(keys)/float64(*n))
	} else {
		fmt.Fprintf(env.Stdout, "load: %s (%.0f alerts/s), %d candidate keys (%.1f per alert)\n", load.Round(time.Second), float64(*n)/load.Seconds(), keys, float64(keys)/float64(*n))
	}
	density.report(env)
	born := density.compact()
	density = nil
	// On PostgreSQL the load leaves every page to be marked visible by
	// autovacuum and gigabytes of it to be written out by the next
	// checkpoint: both would run during the checks and make each commit
	// wait behind them. The benchmark does them at once, so that the
	// figures below are those of a node at rest.
	if st.Dialect == store.Postgres && !reuse {
		tv := time.Now()
		if _, err := st.ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
			return err
		}
		if _, err := st.ExecContext(ctx, `CHECKPOINT`); err != nil {
			fmt.Fprintf(env.Stderr, "checkpoint after the load not made (%v); the checks may wait behind it\n", err)
		}
		fmt.Fprintf(env.Stdout, "vacuum and checkpoint after the load: %s\n", time.Since(tv).Round(time.Millisecond))
	}

	// The index as a node builds it at start: streamed from the database.
	// (The loading service's own index, filled as it loaded, is dropped.)
	svc = alerts.New(alerts.Deps{Store: st, Audit: al, Clock: clock.System{}, Logger: lg, NodeID: "rs", Region: "RS", Model: model}, alerts.Config{})
	runtime.GC()
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	ixs, err := svc.WarmIndex(ctx)
	if err != nil {
		return err
	}
	runtime.GC()
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	fmt.Fprintf(env.Stdout, "index: built from the database in %s: %d alerts, %d postings; Go heap %d MiB (%d MiB more than before the build)\n",
		ixs.Build.Round(time.Millisecond), ixs.Entities, ixs.Postings, m1.HeapAlloc>>20, (int64(m1.HeapAlloc)-int64(m0.HeapAlloc))>>20)

	// Checks: noisy renderings of alerted persons (Cyrillic, swapped names,
	// typos — expected hits), fresh persons (expected no hits) and plates.
	query := func(r synth.Row) string {
		name := r["full_name"]
		if name == "" {
			name = strings.TrimSpace(r["given_name"] + " " + r["surname"])
		}
		return strings.TrimSpace(name + " " + r["date_of_birth"])
	}
	// Each person check is classed by the date of birth it carries, so
	// the figures show what a name alone can and cannot find.
	// again is, per row, the check typed a second time when the first left
	// alerts open: the same name (and number) with the date of birth read
	// from the identity document.
	var again map[int]string
	// truth is, per row, the alerted person's record (for --show-errors).
	var truth map[int]string
	// twin is, per row, whether a person never alerted shares full name
	// and date of birth with an alerted person: no check by name and date
	// can tell them apart.
	var twin []bool
	mk := func(count, offset int, travelDocument, documentNumber bool) ([]alerts.BatchRow, []bool, []string) {
		rows := make([]alerts.BatchRow, count)
		isKnown := make([]bool, count)
		class := make([]string, count)
		twin = make([]bool, count)
		again = make(map[int]string, count)
		truth = make(map[int]string, count)
		for i := range rows {
			var row synth.Row
			var idn *synth.Identity
			if i%2 == 0 && offset+i/2 < len(known) {
				idn = known[offset+i/2]
				isKnown[i] = true
			} else {
				idn = g.Identity()
				twin[i] = born.has(idn)
			}
			row = g.Render(idn, "", true)
			class[i] = dateClass(row["date_of_birth"], idn.DOB)
			q := query(row)
			name := row["full_name"]
			if name == "" {
				name = strings.TrimSpace(row["given_name"] + " " + row["surname"])
			}
			second := strings.TrimSpace(name + " " + idn.DOB.String())
			if documentNumber {
				// The personal number read from an identity card or
				// passport, as rendered: dropped one time in five,
				// sometimes with a digit mistyped.
				q = strings.TrimSpace(q + " " + row["personal_id"])
				second = strings.TrimSpace(second + " " + row["personal_id"])
			}
			again[i] = second
			truth[i] = fmt.Sprintf("%s %s %s, %s", idn.Given, idn.Family, idn.DOB, idn.PersonalID)
			if q == "" {
				q = "nobody"
			}
			if i%20 == 19 && len(plates) > 0 {
				q, isKnown[i], class[i] = plates[i%len(plates)], true, "plate"
			}
			rows[i] = alerts.BatchRow{Line: i + 2, Query: q}
			if travelDocument && class[i] != "plate" {
				// A passenger list gives sex and nationality from the
				// travel document (as rendered: any spelling, sometimes
				// missing).
				rows[i].Sex, rows[i].Nationality = row["sex"], row["nationality"]
			}
		}
		return rows, isKnown, class
	}
	tf := time.Now()
	fitted = match.FitRegister(sample, 200000, 1)
	fmt.Fprintf(env.Stdout, "model: register model, u counted on random pairs of %d alerted persons in %s\n", len(sample), time.Since(tf).Round(time.Millisecond))

	// runSingle makes the checks of rows with the clients and reports their
	// speed and quality.
	runSingle := func(what string, rows []alerts.BatchRow, known []bool, class []string, twins []bool, show int) error {
		hits := make([]bool, len(rows))
		certain := make([]bool, len(rows))
		open := make([]bool, len(rows))
		askDate := make([]bool, len(rows))
		run, err := runConcurrently(len(rows), *clients, func(i int) error {
			res, err := svc.Check(ctx, actor, rows[i].Query, "benchmark")
			if err == nil {
				hits[i], certain[i], open[i], askDate[i] = res.Hit, res.Certain, res.Unsettled, res.CheckDate
			}
			return err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s: %s\n", what, run.summary(*clients, "checks"))
		reportQuality(env, certain, hits, known, class, twins)
		reportUnsettled(env, open, known, class, "unsettled (check the date of birth)")
		// The officer types the checks that ask for it again with the date
		// of birth from the document.
		var redo []int
		for i := range rows {
			if askDate[i] {
				redo = append(redo, i)
			}
		}
		hits2, certain2 := slices.Clone(hits), slices.Clone(certain)
		if _, err := runConcurrently(len(redo), *clients, func(k int) error {
			i := redo[k]
			res, err := svc.Check(ctx, actor, again[i], "benchmark")
			if err == nil {
				hits2[i], certain2[i] = res.Hit, res.Certain
			}
			return err
		}); err != nil {
			return err
		}
		reportUnsettled(env, askDate, known, class, "asked for the date of birth (unsettled or possible hit)")
		fmt.Fprintf(env.Stdout, "  after these %d checks were typed again with the date of birth from the document:\n", len(redo))
		reportQuality(env, certain2, hits2, known, class, twins)
		if show > 0 {
			return showCheckErrors(ctx, env, svc, actor, show, rows, known, certain2, func(i int) (string, string, bool) {
				return truth[i], again[i], slices.Contains(redo, i)
			})
		}
		return nil
	}
	single, singleKnown, singleClass := mk(*checks, 0, false, false)
	if err := runSingle("single checks (name and date of birth)", single, singleKnown, singleClass, twin, *showErrors); err != nil {
		return err
	}
	docs, docsKnown, docsClass := mk(*checks, 0, false, true)
	if err := runSingle("single checks (name, date of birth and personal number from the identity document)", docs, docsKnown, docsClass, twin, 0); err != nil {
		return err
	}

	rows, batchKnown, batchClass := mk(*batch, *checks/2, true, false)
	batchTwin := twin
	t2 := time.Now()
	res, err := svc.BatchCheck(ctx, actor, rows, "benchmark")
	if err != nil {
		return err
	}
	bt := time.Since(t2)
	bh := make([]bool, len(res))
	bc := make([]bool, len(res))
	bo := make([]bool, len(res))
	ba := make([]bool, len(res))
	var redo []alerts.BatchRow
	var redoAt []int
	for i, r := range res {
		bh[i], bc[i], bo[i], ba[i] = r.Hit, r.Certain, r.Unsettled, r.CheckDate
		if r.CheckDate {
			row := rows[i]
			row.Query = again[i]
			redo, redoAt = append(redo, row), append(redoAt, i)
		}
	}
	fmt.Fprintf(env.Stdout, "batch check of %d rows (a passenger list: the query with sex and nationality) in %s (%.0f rows/s)\n", len(rows), bt.Round(time.Millisecond), float64(len(rows))/bt.Seconds())
	reportQuality(env, bc, bh, batchKnown, batchClass, batchTwin)
	reportUnsettled(env, bo, batchKnown, batchClass, "unsettled (check the date of birth)")
	reportUnsettled(env, ba, batchKnown, batchClass, "asked for the date of birth (unsettled or possible hit)")
	if len(redo) > 0 {
		res2, err := svc.BatchCheck(ctx, actor, redo, "benchmark")
		if err != nil {
			return err
		}
		for k, r := range res2 {
			i := redoAt[k]
			bh[i], bc[i] = r.Hit, r.Certain
		}
	}
	fmt.Fprintf(env.Stdout, "  after these %d rows were checked again with the date of birth from the document:\n", len(redo))
	reportQuality(env, bc, bh, batchKnown, batchClass, batchTwin)
	return nil
}

// showCheckErrors prints up to n alerted persons that rows did not find as
// HIT and n false HITs, with the person's record, the checks typed and
// what the last one found (the best matches and open alerts with the
// weight of every field). The last check is made again, outside the
// timing.
func showCheckErrors(ctx context.Context, env Env, svc *alerts.Service, actor *auth.Principal, n int, rows []alerts.BatchRow, known, certain []bool, row func(i int) (truth, again string, redone bool)) error {
	w := env.Stdout
	explain := func(what string, ms []alerts.CheckMatch) {
		for k, m := range ms {
			if k == 3 {
				fmt.Fprintf(w, "    … %d more\n", len(ms)-k)
				break
			}
			fmt.Fprintf(w, "    %s %s (%s, score %.3f)\n", what, m.Label, m.Band, m.Score)
			for _, e := range m.Explanation {
				fmt.Fprintf(w, "      %s %s %.1f bits (%s | %s)\n", e.Field, e.Level, e.Weight, e.Left, e.Right)
			}
		}
	}
	misses, falseHits := 0, 0
	for i := range rows {
		miss := known[i] && !certain[i] && misses < n
		falseHit := !known[i] && certain[i] && falseHits < n
		if !miss && !falseHit {
			continue
		}
		truth, again, redone := row(i)
		q := rows[i].Query
		if miss {
			misses++
			fmt.Fprintf(w, "missed: %s\n  checked: %q\n", truth, q)
		} else {
			falseHits++
			fmt.Fprintf(w, "false HIT: %s\n  checked: %q\n", truth, q)
		}
		if redone {
			q = again
			fmt.Fprintf(w, "  again:   %q\n", q)
		}
		res, err := svc.Check(ctx, actor, q, "benchmark")
		if err != nil {
			return err
		}
		explain("found", res.Matches)
		explain("open", res.Open)
	}
	return nil
}

// reportUnsettled prints how many checks gave an answer (unsettled:
// neither HIT nor NO HIT; or asked for the date of birth), in all and by
// date class.
func reportUnsettled(env Env, open, known []bool, class []string, what string) {
	tp, fp, kn := quality(open, known)
	fmt.Fprintf(env.Stdout, "  %s: alerted subjects %d/%d (%.1f%%), others %d/%d (%.2f%%)\n", what, tp, kn, 100*float64(tp)/float64(max(kn, 1)),
		fp, len(known)-kn, 100*float64(fp)/float64(max(len(known)-kn, 1)))
	for _, c := range []string{"date as recorded", "date mistyped", "no date or year only"} {
		var o, k []bool
		for i := range known {
			if class[i] == c {
				o, k = append(o, open[i]), append(k, known[i])
			}
		}
		if len(k) == 0 {
			continue
		}
		tp, fp, kn := quality(o, k)
		fmt.Fprintf(env.Stdout, "    %-21s alerted %d/%d (%.1f%%), others %d/%d (%.2f%%)\n", c+":", tp, kn, 100*float64(tp)/float64(max(kn, 1)),
			fp, len(k)-kn, 100*float64(fp)/float64(max(len(k)-kn, 1)))
	}
}

// dateClass says how the date of birth of a check compares with the
// person's own: as recorded, mistyped (swapped or one digit wrong), or
// missing or only a year.
func dateClass(typed string, dob entity.Date) string {
	d, _ := entity.ParseDate(typed)
	switch {
	case d.Year == 0 || d.Month == 0 || d.Day == 0:
		return "no date or year only"
	case d == dob:
		return "date as recorded"
	}
	return "date mistyped"
}

// reportQuality prints recall and false hits for HIT alone and for HIT or
// possible hit, in all and by the date the check carried.
func reportQuality(env Env, certain, any, known []bool, class []string, twin []bool) {
	classes := []string{"date as recorded", "date mistyped", "no date or year only", "plate"}
	for _, r := range []struct {
		what string
		hits []bool
	}{{"HIT", certain}, {"HIT or possible hit", any}} {
		tp, fp, kn := quality(r.hits, known)
		fmt.Fprintf(env.Stdout, "  %s: alerted subjects %d/%d (%.1f%%), others %d/%d (%.2f%%)\n", r.what, tp, kn, 100*float64(tp)/float64(max(kn, 1)),
			fp, len(known)-kn, 100*float64(fp)/float64(max(len(known)-kn, 1)))
		var twins, twinHits int
		for i, t := range twin {
			if t {
				twins++
				if r.hits[i] {
					twinHits++
				}
			}
		}
		fmt.Fprintf(env.Stdout, "    others born the same day as an alerted namesake: %d/%d of the others, %d of them a %s\n", twins, len(known)-kn, twinHits, r.what)
		for _, c := range classes {
			var h, k []bool
			for i := range known {
				if class[i] == c {
					h, k = append(h, r.hits[i]), append(k, known[i])
				}
			}
			if len(k) == 0 {
				continue
			}
			tp, fp, kn := quality(h, k)
			fmt.Fprintf(env.Stdout, "    %-21s alerted %d/%d (%.1f%%), others %d/%d (%.2f%%)\n", c+":", tp, kn, 100*float64(tp)/float64(max(kn, 1)),
				fp, len(k)-kn, 100*float64(fp)/float64(max(len(k)-kn, 1)))
		}
	}
}

// syntheticAlert is alert i of a benchmark register: four in five are
// persons from g (returned too), the rest stolen vehicles and firearms.
func syntheticAlert(g *synth.Generator, i int) (alerts.AlertDraft, *synth.Identity) {
	d := alerts.AlertDraft{Action: "Act as the alert says.", Reason: "Synthetic alert.", Authority: "Bench authority"}
	switch {
	case i%5 != 4:
		idn := g.Identity()
		p := &alerts.WantedPerson{GivenName: idn.Given, FamilyName: idn.Family, DateOfBirth: idn.DOB.String(), Sex: "m", Nationalities: []string{idn.Nation}}
		if idn.Female {
			p.Sex = "f"
		}
		if idn.PersonalID != "" {
			p.NationalIDs = []string{idn.PersonalID}
		}
		d.Kind, d.Person, d.WarrantRef = []string{alerts.KindArrest, alerts.KindCheck, alerts.KindMissing, alerts.KindJudicial}[i%4], p, "K-"+strconv.Itoa(i)
		return d, idn
	case i%10 == 4:
		d.Kind, d.Object = alerts.KindObject, &alerts.WantedObject{Type: "vehicle", Plate: fmt.Sprintf("BG%06dAB", i)}
	default:
		d.Kind, d.Object = alerts.KindObject, &alerts.WantedObject{Type: "firearm", Serial: fmt.Sprintf("CZ75-%08d", i)}
	}
	return d, nil
}

// nameDensity counts how often the register's persons share a full name,
// and a full name and date of birth: what a check by name and date alone
// can tell apart, whatever the engine.
type nameDensity struct {
	names, dated map[string]int32
	born         []uint64 // bornKey of every person
	persons      int
}

func newNameDensity() *nameDensity {
	return &nameDensity{names: map[string]int32{}, dated: map[string]int32{}}
}

func (d *nameDensity) add(idn *synth.Identity) {
	name := idn.Given + " " + idn.Family
	d.names[name]++
	d.dated[name+" "+idn.DOB.String()]++
	d.born = append(d.born, bornKey(idn.Given, idn.Family, idn.DOB))
	d.persons++
}

func (d *nameDensity) report(env Env) {
	if d.persons == 0 {
		return
	}
	var pairs float64
	top, topN := "", int32(0)
	for name, c := range d.names {
		pairs += float64(c) * float64(c-1)
		if c > topN || c == topN && name < top {
			top, topN = name, c
		}
	}
	var shared int
	for _, c := range d.dated {
		if c > 1 {
			shared += int(c)
		}
	}
	fmt.Fprintf(env.Stdout, "register: %d alerted persons, %d full names; a person shares the full name with %.0f others on average (most common: %s, %d); %.2f%% share full name and date of birth with another\n",
		d.persons, len(d.names), pairs/float64(d.persons), top, topN, 100*float64(shared)/float64(d.persons))
}

// bornSet holds, as sorted hashes, the full names and dates of birth of
// the register's persons.
type bornSet []uint64

func bornKey(given, family string, dob entity.Date) uint64 {
	h := fnv.New64a()
	h.Write([]byte(given + "\x00" + family + "\x00" + dob.String()))
	return h.Sum64()
}

// compact keeps what has needs, a few bytes a person.
func (d *nameDensity) compact() bornSet {
	out := make(bornSet, 0, d.persons)
	out = append(out, d.born...)
	slices.Sort(out)
	return slices.Compact(out)
}

func (b bornSet) has(idn *synth.Identity) bool {
	_, ok := slices.BinarySearch(b, bornKey(idn.Given, idn.Family, idn.DOB))
	return ok
}
