package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/identity"
	"github.com/liaison-wb/liaison/internal/match/synth"
	"github.com/liaison-wb/liaison/internal/store"
)

const casesUsage = "cases import FILE [--format csv|json|ftm] [--dry-run] [--kind K] [--case REF] [--map HEADER=field] | export [FILE] | fit"

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func runCases(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usagef("missing subcommand: %s", casesUsage)
	}
	sub, rest := args[0], args[1:]
	if sub != "import" && sub != "export" && sub != "fit" {
		return usagef("unknown subcommand %q: use %s", sub, casesUsage)
	}
	fs := flagSet(env, "cases "+sub, casesUsage)
	cfg, load := nodeConfig(fs)
	format := fs.String("format", "", "import: csv, json or ftm (default: from the file extension)")
	dry := fs.Bool("dry-run", false, "import: validate and report every rejected row without writing")
	kind := fs.String("kind", "", "import: entity kind of CSV rows without a kind column (default person)")
	caseRef := fs.String("case", "", "import: case reference for rows without a case column")
	var maps multiFlag
	fs.Var(&maps, "map", "import: CSV column mapping HEADER=field (repeatable; field may be ignore)")
	pos, err := parseInterspersed(fs, rest)
	if err != nil {
		return err
	}
	node, err := openNode(ctx, env, cfg, load)
	if err != nil {
		return err
	}
	defer node.Close(context.Background())
	switch sub {
	case "import":
		if len(pos) != 1 {
			return usagef("cases import takes one FILE")
		}
		f, err := os.Open(pos[0])
		if err != nil {
			return fmt.Errorf("cannot open %s: %w", pos[0], err)
		}
		defer f.Close()
		if *format == "" {
			switch strings.ToLower(filepath.Ext(pos[0])) {
			case ".json":
				*format = cases.FormatJSON
			case ".ftm", ".ndjson", ".jsonl":
				*format = cases.FormatFtM
			default:
				*format = cases.FormatCSV
			}
		}
		mapping := map[string]string{}
		for _, m := range maps {
			h, fld, ok := strings.Cut(m, "=")
			if !ok {
				return usagef("--map %q must be HEADER=field", m)
			}
			mapping[strings.TrimSpace(h)] = strings.TrimSpace(fld)
		}
		rep, err := node.Cases.Import(ctx, cliActor, f, cases.ImportOptions{Format: *format, Filename: filepath.Base(pos[0]), Kind: *kind, Case: *caseRef, Mapping: mapping, DryRun: *dry,
			Progress: rowProgress(env.Stderr, "importing", time.Now)})
		if err != nil {
			return err
		}
		if !*dry {
			fmt.Fprintln(env.Stderr)
		}
		what := "imported"
		if *dry {
			what = "dry run (nothing written)"
		}
		fmt.Fprintf(env.Stdout, "%s: %d rows, %d new, %d already stored, %d relations, %d cases, %d rejected\n", what, rep.Rows, rep.Created, rep.Unchanged, rep.Relations, rep.Cases, len(rep.Rejected))
		for _, r := range rep.Rejected {
			col := ""
			if r.Column != "" {
				col = ", column " + r.Column
			}
			fmt.Fprintf(env.Stdout, "rejected: row %d%s: %s\n", r.Row, col, r.Msg)
		}
	case "export":
		var n int
		err := writeOutput(pos, env.Stdout, func(w io.Writer) (err error) {
			n, err = node.Cases.ExportFtM(ctx, cliActor, w)
			return err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "exported %d FollowTheMoney entities\n", n)
	case "fit":
		n, err := node.Cases.FitModel(ctx, cliActor, 0)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "match weights learnt from %d persons\n", n)
	}
	return nil
}

// runCasesBench measures hit/no-hit answering against a synthetic register:
// single-query latency and throughput, and one large batch.
func runCasesBench(ctx context.Context, env Env, args []string) error {
	fs := flagSet(env, "bench search", "bench search [--persons N] [--queries N] [--batch N] [--clients N] [--show-errors N] [--load bulk|import] [--db postgres://…] [--dir DIR]")
	loadVia := fs.String("load", "bulk", "how the persons are loaded: bulk (the bulk loader) or import (CSV files of 100,000 rows through liaison cases import's path)")
	persons := fs.Int("persons", 1_000_000, "persons stored on the answering node")
	queries := fs.Int("queries", 2000, "single-entity queries in the latency run (half known, half unknown)")
	batch := fs.Int("batch", 10000, "entities in the batch query")
	clients := fs.Int("clients", 4, "concurrent single queries")
	db := fs.String("db", "", "PostgreSQL URL (a fresh schema is created and dropped unless --schema is given); default SQLite in --dir")
	schema := fs.String("schema", "", "PostgreSQL schema to keep (created if missing, reused by a later run with as many persons)")
	dir := fs.String("dir", "", "directory for the SQLite database (default: a temporary directory); a database left there by an earlier run with as many persons is reused")
	showErrors := fs.Int("show-errors", 0, "print up to this many missed known persons and false hits of the batch, with the record sought and the candidate's explanation")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *persons < 100 || *queries < 1 || *batch < 1 || *clients < 1 || *showErrors < 0 {
		return usagef("--persons must be at least 100; --queries, --batch and --clients positive; --show-errors not negative")
	}
	if *loadVia != "bulk" && *loadVia != "import" {
		return usagef("--load is bulk or import")
	}
	st, al, closeBench, err := openBenchStore(ctx, *db, *schema, *dir, "search", "ba")
	if err != nil {
		return err
	}
	defer closeBench()
	lg := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := cases.New(cases.Deps{Store: st, Audit: al, Clock: clock.System{}, Logger: lg, NodeID: "ba", Region: "BA"})

	var stored int
	_ = st.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases_entities`).Scan(&stored)
	reuse := stored >= *persons // a --dir from an earlier run: regenerate the queries only
	fmt.Fprintf(env.Stdout, "hit/no-hit search benchmark: %d persons, %s\n", *persons, st.Dialect)
	g := synth.New(20261123)
	var known []*synth.Identity
	var knownRows []map[string]string // each known person as stored
	want := *queries/2 + *batch/2
	every := max(*persons/max(want, 1), 1)
	t0 := time.Now()
	chunk := 50000
	if *loadVia == "import" {
		chunk = 100_000
	}
	buf := make([]map[string]string, 0, chunk)
	for i := 0; i < *persons; i++ {
		idn := g.Identity()
		buf = append(buf, benchFields(g.Render(idn, "", false)))
		if i%every == 0 && len(known) < want {
			known = append(known, idn)
			knownRows = append(knownRows, buf[len(buf)-1])
		}
		if len(buf) == chunk || i == *persons-1 {
			if reuse {
				buf = buf[:0]
				continue
			}
			if *loadVia == "import" {
				if err := benchImport(ctx, svc, buf, i+1); err != nil {
					return err
				}
			} else if err := svc.BulkLoad(ctx, cliActor, "bench", buf); err != nil {
				return err
			}
			buf = buf[:0]
			fmt.Fprintf(env.Stderr, "\rloaded %d persons (%.0f/s)", i+1, float64(i+1)/time.Since(t0).Seconds())
		}
	}
	fmt.Fprintln(env.Stderr)
	load := time.Since(t0)
	if reuse {
		fmt.Fprintf(env.Stdout, "reusing the %d persons already stored\n", stored)
	} else {
		fmt.Fprintf(env.Stdout, "load: %s (%.0f persons/s)\n", load.Round(time.Second), float64(*persons)/load.Seconds())
	}

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
	fmt.Fprintf(env.Stdout, "in-memory index: %d entities, %d postings, built in %s (streamed from the database: %s); Go heap %d MiB (before building %d MiB), process RSS %s\n",
		ixs.Entities, ixs.Postings, ixs.Build.Round(time.Millisecond), map[bool]string{true: "yes", false: "no, filled while loading"}[reuse],
		m1.HeapAlloc>>20, m0.HeapAlloc>>20, rss())

	sought := map[*cases.QueryItem]map[string]string{} // known person of a query, as stored
	// Queries: noisy renderings of stored persons (Cyrillic, swapped
	// names, typos — expected hits) and fresh persons (expected no-hits).
	mk := func(n int, offset int) ([]cases.QueryItem, []bool) {
		items := make([]cases.QueryItem, n)
		isKnown := make([]bool, n)
		for i := range items {
			var row synth.Row
			if i%2 == 0 && offset+i/2 < len(known) {
				row = g.Render(known[offset+i/2], "", true)
				isKnown[i] = true
				sought[&items[i]] = knownRows[offset+i/2]
			} else {
				row = g.Render(g.Identity(), "", true)
			}
			items[i] = cases.QueryItem{N: i + 1, Probe: cases.Probe{Kind: "person", Fields: benchFields(row)}}
		}
		return items, isKnown
	}
	single, singleKnown := mk(*queries, 0)
	hits := make([]bool, len(single))
	run, err := runConcurrently(len(single), *clients, func(i int) error {
		res, err := svc.MatchBatch(ctx, single[i:i+1])
		if err == nil {
			hits[i] = res[0] != nil
		}
		return err
	})
	if err != nil {
		return err
	}
	tp, fp, kn := quality(hits, singleKnown)
	fmt.Fprintf(env.Stdout, "single queries: %s\n", run.summary(*clients, "queries"))
	fmt.Fprintf(env.Stdout, "  hits on known persons %d/%d (%.1f%%), hits on unknown persons %d/%d\n", tp, kn, 100*float64(tp)/float64(max(kn, 1)), fp, len(single)-kn)

	items, batchKnown := mk(*batch, *queries/2)
	t2 := time.Now()
	res, err := svc.MatchBatch(ctx, items)
	if err != nil {
		return err
	}
	bt := time.Since(t2)
	bh := make([]bool, len(res))
	for i, r := range res {
		bh[i] = r != nil
	}
	tp, fp, kn = quality(bh, batchKnown)
	fmt.Fprintf(env.Stdout, "batch of %d entities answered in %s (%.0f entities/s)\n", len(items), bt.Round(time.Millisecond), float64(len(items))/bt.Seconds())
	fmt.Fprintf(env.Stdout, "  hits on known persons %d/%d (%.1f%%), hits on unknown persons %d/%d\n", tp, kn, 100*float64(tp)/float64(max(kn, 1)), fp, len(items)-kn)
	best := func(i int) *cases.Candidate { // the best candidate under the hit bands, for a miss
		cs, err := svc.Search(ctx, cliActor, items[i].Probe, "bench search: explaining a miss")
		if err != nil || len(cs) == 0 {
			return nil
		}
		return &cs[0]
	}
	showMatchErrors(env.Stdout, *showErrors, items, res, batchKnown, func(i int) map[string]string { return sought[&items[i]] }, best)
	return nil
}

// showMatchErrors prints up to n missed known persons and n false hits of
// a batch: what was sought, what is stored, and how the candidate scored.
func showMatchErrors(w io.Writer, n int, items []cases.QueryItem, res []*cases.Candidate, known []bool, stored func(i int) map[string]string, best func(i int) *cases.Candidate) {
	fields := func(f map[string]string) string {
		keys := slices.Sorted(maps.Keys(f))
		var b strings.Builder
		for _, k := range keys {
			if f[k] != "" {
				fmt.Fprintf(&b, " %s=%q", k, f[k])
			}
		}
		return b.String()
	}
	explain := func(c *cases.Candidate) {
		for _, e := range c.Explanation {
			fmt.Fprintf(w, "    %s %s %.1f bits (%s | %s)\n", e.Field, e.Level, e.Weight, e.Left, e.Right)
		}
	}
	misses, falseHits := 0, 0
	for i, r := range res {
		switch {
		case known[i] && r == nil && misses < n:
			misses++
			fmt.Fprintf(w, "missed:\n  sought:%s\n  stored:%s\n", fields(items[i].Probe.Fields), fields(stored(i)))
			if c := best(i); c != nil {
				fmt.Fprintf(w, "  best candidate (%s, score %.3f, %.1f bits):%s\n", c.Band, c.Score, c.Weight, fields(c.Entity.Fields))
				explain(c)
			}
		case !known[i] && r != nil && falseHits < n:
			falseHits++
			fmt.Fprintf(w, "false hit (%s, score %.3f, %.1f bits):\n  sought:%s\n  found: %s\n", r.Band, r.Score, r.Weight, fields(items[i].Probe.Fields), fields(r.Entity.Fields))
			explain(r)
		}
	}
}

func quality(hit, known []bool) (tp, fp, nKnown int) {
	for i := range hit {
		if known[i] {
			nKnown++
			if hit[i] {
				tp++
			}
		} else if hit[i] {
			fp++
		}
	}
	return
}

// benchFields maps a synthetic row to person fields.
// benchImport loads persons as one CSV file through the import path.
func benchImport(ctx context.Context, svc *cases.Service, persons []map[string]string, upTo int) error {
	cols := []string{"given_name", "family_name", "father_name", "full_name", "date_of_birth", "sex", "personal_id", "address_1", "street_number", "city", "postcode", "country", "phone", "nationality"}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(cols)
	row := make([]string, len(cols))
	for _, f := range persons {
		for i, c := range cols {
			row[i] = f[c]
		}
		_ = w.Write(row)
	}
	w.Flush()
	rep, err := svc.Import(ctx, cliActor, &b, cases.ImportOptions{Format: cases.FormatCSV, Filename: fmt.Sprintf("bench-%d.csv", upTo)})
	if err != nil {
		return err
	}
	if len(rep.Rejected) > 0 {
		return fmt.Errorf("bench import: %d rows rejected, the first: row %d: %s", len(rep.Rejected), rep.Rejected[0].Row, rep.Rejected[0].Msg)
	}
	return nil
}

func benchFields(r synth.Row) map[string]string {
	f := map[string]string{}
	for k, v := range r {
		if v == "" || k == "id" {
			continue
		}
		if k == "surname" {
			k = "family_name"
		}
		f[k] = v
	}
	return f
}

// writeOutput runs write on the file named by pos[0], or on stdout when no
// file is named. A file that cannot be closed is an error: a full disk shows
// there, and an export must not look complete when it is not.
func writeOutput(pos []string, stdout io.Writer, write func(io.Writer) error) error {
	if len(pos) == 0 {
		return write(stdout)
	}
	f, err := os.Create(pos[0])
	if err != nil {
		return fmt.Errorf("cannot create %s: %w", pos[0], err)
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", pos[0], err)
	}
	return nil
}

// openBenchStore opens the database a benchmark loads: a fresh schema of
// the PostgreSQL server db (kept under the name keep when given), or SQLite
// in dir (a temporary directory when empty), with an audit log signed by a
// throw-away key of node nodeID. close releases all of it.
func openBenchStore(ctx context.Context, db, keep, dir, what, nodeID string) (st *store.Store, al *audit.Log, close func(), err error) {
	var cleanups []func()
	close = func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}
	defer func() {
		if err != nil {
			close()
		}
	}()
	opt := store.Options{}
	if db != "" {
		u, drop, err := benchSchema(ctx, db, keep)
		if err != nil {
			return nil, nil, close, err
		}
		cleanups = append(cleanups, drop)
		opt.URL = u
	} else {
		if dir == "" {
			tmp, err := os.MkdirTemp("", "liaison-bench-"+what+"-")
			if err != nil {
				return nil, nil, close, err
			}
			cleanups = append(cleanups, func() { os.RemoveAll(tmp) })
			dir = tmp
		}
		opt.DataDir = dir
	}
	if st, err = store.Open(ctx, opt); err != nil {
		return nil, nil, close, err
	}
	cleanups = append(cleanups, func() { st.Close() })
	keyDir, err := os.MkdirTemp("", "liaison-bench-key-")
	if err != nil {
		return nil, nil, close, err
	}
	cleanups = append(cleanups, func() { os.RemoveAll(keyDir) })
	id, err := identity.LoadOrCreate(keyDir, nodeID, "bench")
	if err != nil {
		return nil, nil, close, err
	}
	al, err = audit.Open(ctx, st, id, clock.System{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, nil, close, err
	}
	return st, al, close, nil
}

func benchSchema(ctx context.Context, base, keep string) (string, func(), error) {
	db, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("PostgreSQL is not reachable: %w", err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	schema := "bench_search_" + hex.EncodeToString(b)
	create := "CREATE SCHEMA "
	if keep != "" {
		for _, r := range keep {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
				db.Close()
				return "", nil, usagef("--schema: lower-case letters, digits and _ only")
			}
		}
		schema, create = keep, "CREATE SCHEMA IF NOT EXISTS "
	}
	if _, err := db.ExecContext(ctx, create+schema); err != nil {
		db.Close()
		return "", nil, err
	}
	u, err := url.Parse(base)
	if err != nil {
		db.Close()
		return "", nil, err
	}
	qv := u.Query()
	qv.Set("search_path", schema)
	u.RawQuery = qv.Encode()
	return u.String(), func() {
		if keep == "" {
			_, _ = db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		}
		db.Close()
	}, nil
}

// rss is the process's resident set size as the kernel reports it.
func rss() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
