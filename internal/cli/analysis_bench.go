package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/liaison-wb/liaison/internal/analysis"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/match"
	"github.com/liaison-wb/liaison/internal/store"
)

// runAnalysisBench measures the analysis targets of the case database:
// case statistics, link-chart neighbourhoods and shortest paths, and the
// exchange scoreboard of a node with six partners and a year of records.
func runAnalysisBench(ctx context.Context, env Env, args []string) error {
	fs := flagSet(env, "bench analysis", "bench analysis [--cases N] [--entities N] [--relations N] [--queries N] [--db postgres://…] [--dir DIR]")
	nCases := fs.Int("cases", 1_000_000, "cases (each with a suspect and a victim)")
	nEnt := fs.Int("entities", 1_000_000, "entities of the link chart (clustered groups plus hubs)")
	nRel := fs.Int("relations", 3_000_000, "relations between the entities")
	queries := fs.Int("queries", 200, "random entities (and pairs) for the chart queries")
	threads := fs.Int("threads", 12000, "exchange threads in the scoreboard year")
	db := fs.String("db", "", "PostgreSQL URL (a fresh schema is created and dropped); default SQLite in --dir")
	dir := fs.String("dir", "", "directory for the SQLite database (default: a temporary directory)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *nEnt < 100 || *nCases < 1 || *nRel < 1 || *queries < 1 || *threads < 6 {
		return usagef("--entities must be at least 100; --cases, --relations and --queries positive; --threads at least 6")
	}
	st, al, closeBench, err := openBenchStore(ctx, *db, "", *dir, "analysis", "rs")
	if err != nil {
		return err
	}
	defer closeBench()
	lg := slog.New(slog.NewTextHandler(io.Discard, nil))
	cs := cases.New(cases.Deps{Store: st, Audit: al, Clock: clock.System{}, Logger: lg, NodeID: "rs", Region: "RS"})
	an := analysis.New(analysis.Deps{Store: st, Audit: al, Cases: cs, Clock: clock.System{}, Logger: lg, NodeID: "rs"})
	actor := &auth.Principal{Username: "bench", Agency: "rs-bench", Roles: []auth.Role{auth.RoleAnalyst}, Console: true}
	fmt.Fprintf(env.Stdout, "analysis benchmark: %d cases, %d entities, %d relations, %s\n", *nCases, *nEnt, *nRel, st.Dialect)

	l := &benchLoader{st: st, stderr: env.Stderr}
	t0 := time.Now()
	if err := l.entities(ctx, *nEnt); err != nil {
		return err
	}
	if err := l.relations(ctx, *nEnt, *nRel); err != nil {
		return err
	}
	if err := l.cases(ctx, *nCases, *nEnt); err != nil {
		return err
	}
	if err := l.scoreboard(ctx, *threads); err != nil {
		return err
	}
	if _, err := st.ExecContext(ctx, `ANALYZE`); err != nil {
		return err
	}
	var rels int
	_ = st.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases_relations`).Scan(&rels)
	fmt.Fprintf(env.Stdout, "load: %s (%d distinct relations stored)\n", time.Since(t0).Round(time.Second), rels)

	// Case statistics, end to end (as the statistics page computes them).
	// The loader writes the tables directly, as an import would, so the
	// first run also derives the statistics columns of every case and
	// link; the second is what the statistics page costs afterwards.
	t := time.Now()
	if _, err := cs.Stats(ctx, actor, false); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "statistics, first run (deriving the statistics columns of the loaded cases): %s\n", time.Since(t).Round(time.Millisecond))
	// Deriving rewrote every case and link. On PostgreSQL, autovacuum
	// would now clean up the old row versions and mark the pages
	// all-visible (what lets index-only scans skip the table); the
	// benchmark does it at once, so that the figures below are those of
	// a node at rest, not of one in the middle of that clean-up.
	if st.Dialect == store.Postgres {
		t = time.Now()
		if _, err := st.ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "vacuum: %s\n", time.Since(t).Round(time.Millisecond))
	}
	t = time.Now()
	stats, err := cs.Stats(ctx, actor, false)
	if err != nil {
		return err
	}
	total := 0
	for _, a := range stats.Areas {
		total += a.Cases
	}
	fmt.Fprintf(env.Stdout, "statistics: %s (%d crime areas, %d cases)\n", time.Since(t).Round(time.Millisecond), len(stats.Areas), total)

	r := rand.New(rand.NewPCG(7, 11))
	ent := func() string { return benchEntityID(r.IntN(*nEnt)) }
	measure := func(name string, f func() (int, error)) error {
		d := make([]time.Duration, 0, *queries)
		nodes := 0
		for i := 0; i < *queries; i++ {
			t := time.Now()
			n, err := f()
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			d = append(d, time.Since(t))
			nodes += n
		}
		slices.Sort(d)
		q := func(p float64) time.Duration {
			return d[min(len(d)-1, int(p*float64(len(d))))].Round(10 * time.Microsecond)
		}
		fmt.Fprintf(env.Stdout, "%s: p50 %s  p95 %s  p99 %s  max %s  (%d queries, %.0f entities per chart)\n", name, q(0.50), q(0.95), q(0.99), d[len(d)-1].Round(10*time.Microsecond), len(d), float64(nodes)/float64(len(d)))
		return nil
	}
	for _, depth := range []int{1, 2} {
		if err := measure(fmt.Sprintf("neighbours depth %d (limit 5000)", depth), func() (int, error) {
			c, err := an.Neighbours(ctx, actor, analysis.NeighbourQuery{Entity: ent(), Depth: depth, Limit: 5000})
			return len(c.Nodes), err
		}); err != nil {
			return err
		}
	}
	if err := measure("shortest path", func() (int, error) {
		c, err := an.ShortestPath(ctx, actor, analysis.PathQuery{From: ent(), To: ent()})
		return len(c.Nodes), err
	}); err != nil {
		return err
	}

	// The scoreboard: this node and six partners, a year of requests.
	d := make([]time.Duration, 0, 20)
	for i := 0; i < 20; i++ {
		t := time.Now()
		sb, err := an.Scoreboard(ctx, actor)
		if err != nil {
			return err
		}
		if len(sb.Pairs) != 6 {
			return fmt.Errorf("scoreboard: %d partners, want 6", len(sb.Pairs))
		}
		d = append(d, time.Since(t))
	}
	slices.Sort(d)
	fmt.Fprintf(env.Stdout, "scoreboard (7 nodes, %d threads in a year): median %s  max %s\n", *threads, d[len(d)/2].Round(10*time.Microsecond), d[len(d)-1].Round(10*time.Microsecond))
	return nil
}

func benchEntityID(i int) string { return fmt.Sprintf("e%08d", i) }

// benchLoader writes synthetic rows with multi-row INSERT statements in
// large transactions.
type benchLoader struct {
	st     *store.Store
	stderr io.Writer
}

// bulk writes n rows into b.Table (row(i) gives the values of row i)
// with Tx.InsertMany, a large transaction at a time: COPY on PostgreSQL,
// multi-row INSERTs on SQLite.
func (l *benchLoader) bulk(ctx context.Context, what string, b store.Bulk, n int, row func(i int) []any) error {
	const perCall, perTx = 5000, 50000
	t0 := time.Now()
	for start := 0; start < n; start += perTx {
		end := min(start+perTx, n)
		err := l.st.InTx(ctx, func(tx *store.Tx) error {
			rows := make([][]any, 0, perCall)
			for s := start; s < end; s += perCall {
				rows = rows[:0]
				for i := s; i < min(s+perCall, end); i++ {
					rows = append(rows, row(i))
				}
				if err := tx.InsertMany(ctx, b, rows, nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("loading %s: %w", what, err)
		}
		fmt.Fprintf(l.stderr, "\rloaded %d %s (%.0f/s)   ", end, what, float64(end)/time.Since(t0).Seconds())
	}
	fmt.Fprintln(l.stderr)
	return nil
}

var benchGiven = []string{"Marko", "Ana", "Ilir", "Elira", "Nikola", "Jelena", "Amir", "Lejla", "Stefan", "Vesna"}
var benchNat = []string{"RS", "AL", "BA", "ME", "MK", "XK"}

// entities: every other entity is a person, the rest vehicles, phones and
// companies.
func (l *benchLoader) entities(ctx context.Context, n int) error {
	now := store.FormatTime(time.Now())
	return l.bulk(ctx, "entities", store.Bulk{Table: "cases_entities", Columns: []string{"id", "kind", "label", "fields", "fingerprint", "created_at"}}, n, func(i int) []any {
		id := benchEntityID(i)
		kind, fields := "vehicle", map[string]string{"plate": fmt.Sprintf("BG%06dXY", i)}
		switch i % 6 {
		case 0, 2, 4:
			kind = "person"
			fields = map[string]string{match.ColGiven: benchGiven[i%len(benchGiven)], match.ColFamily: fmt.Sprintf("Family%d", i),
				match.ColDOB: fmt.Sprintf("%04d-%02d-%02d", 1950+i%55, 1+i%12, 1+i%28), match.ColSex: []string{"M", "F"}[i/6%2], match.ColNationality: benchNat[i%len(benchNat)]}
		case 3:
			kind, fields = "phone", map[string]string{"number": fmt.Sprintf("+38160%07d", i)}
		case 5:
			kind, fields = "company", map[string]string{"name": fmt.Sprintf("Company %d d.o.o.", i)}
		}
		b, _ := json.Marshal(fields)
		return []any{id, kind, fmt.Sprintf("%s %d", kind, i), string(b), "f" + id, now}
	})
}

// relations: entities form groups of 25 (four in five relations stay in
// the group), one entity in 1,000 is a hub that draws a tenth of the
// relations, and the rest join random entities.
func (l *benchLoader) relations(ctx context.Context, nEnt, n int) error {
	now := store.FormatTime(time.Now())
	r := rand.New(rand.NewPCG(3, 5))
	types := []string{"member_of", "owns", "uses", "called", "paid", "travelled_with"}
	const group = 25
	hubs := max(nEnt/1000, 1)
	return l.bulk(ctx, "relations", store.Bulk{Table: "cases_relations", Columns: []string{"id", "from_id", "to_id", "type", "created_at"}, Conflict: "from_id, to_id, type"}, n, func(i int) []any {
		a := r.IntN(nEnt)
		var b int
		switch x := r.IntN(10); {
		case x < 8:
			base := a - a%group
			b = min(base+r.IntN(group), nEnt-1)
		case x < 9:
			b = r.IntN(hubs) * 1000 % nEnt
		default:
			b = r.IntN(nEnt)
		}
		if b == a {
			b = (a + 1) % nEnt
		}
		return []any{fmt.Sprintf("r%09d", i), benchEntityID(a), benchEntityID(b), types[r.IntN(len(types))], now}
	})
}

// cases: spread over eight crime areas and five years, each with a
// suspect and a victim among the person entities.
func (l *benchLoader) cases(ctx context.Context, n, nEnt int) error {
	now := store.FormatTime(time.Now())
	areas := []string{"drugs", "trafficking_in_human_beings", "migrant_smuggling", "firearms", "cybercrime", "money_laundering", "corruption", "vehicle_crime"}
	statuses := []string{"open", "open", "closed", "suspended"}
	mos := []string{"concealment in lorries", "front companies; cash couriers", "online recruitment", "fake documents, bribery"}
	routes := []string{`["AL","ME","BA","HR"]`, `["MK","RS","HU"]`, `["XK","RS","BA"]`, `[]`}
	if err := l.bulk(ctx, "cases", store.Bulk{Table: "cases_cases", Columns: []string{"id", "reference", "title", "crime_area", "status", "opened_on", "modus_operandi", "route", "created_at", "updated_at"}}, n, func(i int) []any {
		id := fmt.Sprintf("c%08d", i)
		opened := fmt.Sprintf("%04d-%02d-%02d", 2021+i%5, 1+i%12, 1+i%28)
		return []any{id, "RS-" + id, "Case " + id, areas[i%len(areas)], statuses[i%len(statuses)], opened, mos[i%len(mos)], routes[i%len(routes)], now, now}
	}); err != nil {
		return err
	}
	persons := nEnt / 6 * 3 // entities i with i%6 in {0,2,4}
	person := func(k int) string { return benchEntityID(k/3*6 + k%3*2) }
	return l.bulk(ctx, "case persons", store.Bulk{Table: "cases_case_entities", Columns: []string{"case_id", "entity_id", "role"}}, 2*n, func(i int) []any {
		c := i / 2
		role := "suspect"
		k := (2 * c) % persons
		if i%2 == 1 {
			role, k = "victim", (2*c+1)%persons
		}
		return []any{fmt.Sprintf("c%08d", c), person(k), role}
	})
}

// scoreboard: a year of requests from this node to six partners, five in
// six answered (as BenchmarkScoreboard in internal/analysis).
func (l *benchLoader) scoreboard(ctx context.Context, n int) error {
	partners := []string{"al", "ba", "me", "mk", "xk", "selec"}
	start := time.Now().UTC().AddDate(-1, 0, 0)
	step := 365 * 24 * time.Hour / time.Duration(n)
	at := func(i int) time.Time { return start.Add(time.Duration(i) * step) }
	if err := l.bulk(ctx, "threads", store.Bulk{Table: "ex_threads", Columns: []string{"id", "subject", "priority", "parties", "origin_node", "agency", "status", "created_at", "updated_at", "deadline_at", "review_at"}}, n, func(i int) []any {
		a := at(i)
		return []any{fmt.Sprintf("t%07d", i), "bench", "normal", `["` + partners[i%len(partners)] + `"]`, "rs", "rs-police", "open",
			store.FormatTime(a), store.FormatTime(a), store.FormatTime(a.Add(72 * time.Hour)), store.FormatTime(a)}
	}); err != nil {
		return err
	}
	answered := n - n/6
	return l.bulk(ctx, "messages", store.Bulk{Table: "ex_messages", Columns: []string{"id", "thread_id", "kind", "node", "author", "agency", "body", "classification", "reliability", "accuracy", "created_at"}}, n+answered, func(i int) []any {
		if i < n {
			return []any{fmt.Sprintf("t%07dq", i), fmt.Sprintf("t%07d", i), "request", "rs", "a", "rs-police", "x", "restricted", "B", 2, store.FormatTime(at(i))}
		}
		j := i - n
		j = j/5*6 + j%5 // threads with j%6 != 5
		return []any{fmt.Sprintf("t%07da", j), fmt.Sprintf("t%07d", j), "answer", partners[j%len(partners)], "b", "x", "x", "restricted", "B", 2, store.FormatTime(at(j).Add(time.Duration(j%96) * time.Hour))}
	})
}
