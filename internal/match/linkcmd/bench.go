package linkcmd

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver for the pg_trgm comparison

	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/match"
	"github.com/liaison-wb/liaison/internal/match/synth"
)

// Bench implements `liaison bench match [--records N[,N...]] [--link N]
// [--postgres URL] [--seed S]`: synthetic Western Balkan linkage and
// deduplication with quality against the generator's truth, throughput,
// comparisons and peak heap, optionally side by side with PostgreSQL
// pg_trgm similarity search on the same linkage data.
func Bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench match", flag.ContinueOnError)
	records := fs.String("records", "100000", "deduplication sizes, comma-separated (0 skips)")
	linkN := fs.Int("link", 5000, "records per side for the linkage run (0 skips)")
	pgURL := fs.String("postgres", "", "also run pg_trgm similarity search on the linkage data (postgres://...)")
	seed := fs.Uint64("seed", 1, "generator seed")
	quiet := fs.Bool("quiet", false, "no progress output")
	pos, err := parse(fs, args, stderr, "")
	if err != nil {
		return err
	}
	if len(pos) > 1 || (len(pos) == 1 && pos[0] != "match") {
		return usagef("unknown benchmark %q; usage: liaison bench match [--records N] [--link N] [--postgres URL]", strings.Join(pos, " "))
	}
	var sizes []int
	for _, s := range strings.Split(*records, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 {
			return usagef("--records %q: want non-negative integers separated by commas", *records)
		}
		if n > 0 {
			sizes = append(sizes, n)
		}
	}
	if *linkN < 0 {
		return usagef("--link %d: must not be negative", *linkN)
	}
	fmt.Fprintf(stdout, "liaison bench match: GOMAXPROCS=%d, %s/%s, seed %d\n", runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, *seed)
	if *linkN > 0 {
		lt, err := benchLink(ctx, *linkN, *seed, stdout)
		if err != nil {
			return err
		}
		if *pgURL != "" {
			if err := benchPG(ctx, *pgURL, lt, stdout); err != nil {
				return fmt.Errorf("pg_trgm comparison: %w", err)
			}
		}
	}
	for _, n := range sizes {
		if err := benchDedupe(ctx, n, *seed, *quiet, stdout, stderr); err != nil {
			return err
		}
	}
	return nil
}

// peakHeap samples the heap until stopped and reports the high-water
// marks of HeapSys (heap memory obtained from the OS) and HeapInuse.
type peakHeap struct {
	sys, inuse atomic.Uint64
	stop       chan struct{}
	wg         sync.WaitGroup
}

func startPeak() *peakHeap {
	runtime.GC()
	p := &peakHeap{stop: make(chan struct{})}
	p.sample()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.sample()
			case <-p.stop:
				return
			}
		}
	}()
	return p
}

func (p *peakHeap) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.HeapSys > p.sys.Load() {
		p.sys.Store(ms.HeapSys)
	}
	if ms.HeapInuse > p.inuse.Load() {
		p.inuse.Store(ms.HeapInuse)
	}
}

func (p *peakHeap) done() (sys, inuse uint64) {
	close(p.stop)
	p.wg.Wait()
	p.sample()
	return p.sys.Load(), p.inuse.Load()
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// linkTask is the generated linkage data, kept for the PostgreSQL run.
type linkTask struct {
	left, right []entity.Person
	truth       map[[2]string]bool
	seconds     float64
	precision   float64
	recall      float64
}

func benchLink(ctx context.Context, n int, seed uint64, stdout io.Writer) (*linkTask, error) {
	l, r := synth.LinkSets(seed, n)
	var lb, rb bytes.Buffer
	if err := synth.WriteCSV(&lb, l, nil); err != nil {
		return nil, err
	}
	if err := synth.WriteCSV(&rb, r, synth.AltHeaders); err != nil {
		return nil, err
	}
	byEnt := map[int]string{}
	for _, x := range l {
		byEnt[x.Entity] = x.Row["id"]
	}
	truth := map[[2]string]bool{}
	for _, x := range r {
		if id, ok := byEnt[x.Entity]; ok {
			truth[[2]string{id, x.Row["id"]}] = true
		}
	}
	peak := startPeak()
	t0 := time.Now()
	left, err := match.ReadPersons(&lb, "left.csv", match.TableOptions{})
	if err != nil {
		return nil, err
	}
	right, err := match.ReadPersons(&rb, "right.csv", match.TableOptions{})
	if err != nil {
		return nil, err
	}
	res, err := match.Link(ctx, left, right, match.Options{})
	if err != nil {
		return nil, err
	}
	el := time.Since(t0)
	sys, inuse := peak.done()
	tp := 0
	for _, p := range res.Pairs {
		if truth[[2]string{left[p.Left].ID, right[p.Right].ID}] {
			tp++
		}
	}
	prec := float64(tp) / float64(max(1, len(res.Pairs)))
	rec := float64(tp) / float64(max(1, len(truth)))
	fmt.Fprintf(stdout, "link %d x %d: %.3fs end to end (CSV parse, normalise, block, compare, EM), %.0f records/s, %d comparisons, %d pairs, precision %.4f recall %.4f, peak heap %.0f MiB (in use %.0f MiB)\n",
		len(left), len(right), el.Seconds(), float64(len(left)+len(right))/el.Seconds(), res.Stats.Comparisons, len(res.Pairs), prec, rec, mib(sys), mib(inuse))
	fmt.Fprintf(stdout, "  stages: prepare %.3fs, block %.3fs, compare %.3fs, fit+score %.3fs; %d blocks, %d oversized\n",
		res.Stats.Prepare.Seconds(), res.Stats.Block.Seconds(), res.Stats.Compare.Seconds(), res.Stats.Fit.Seconds(), res.Stats.Blocks, res.Stats.OversizedBlocks)
	return &linkTask{left: left, right: right, truth: truth, seconds: el.Seconds(), precision: prec, recall: rec}, nil
}

// synthColumns maps generator columns to column kinds.
var synthColumns = map[string]string{
	"id": match.ColID, "given_name": match.ColGiven, "surname": match.ColFamily, "father_name": match.ColFather,
	"full_name": match.ColFull, "date_of_birth": match.ColDOB, "sex": match.ColSex, "personal_id": match.ColPersonalID,
	"address_1": match.ColAddress1, "street_number": match.ColStreetNumber, "city": match.ColCity,
	"postcode": match.ColPostcode, "country": match.ColCountry, "phone": match.ColPhone, "nationality": match.ColNationality,
}

func benchDedupe(ctx context.Context, n int, seed uint64, quiet bool, stdout, stderr io.Writer) error {
	// About 1.75 records per entity; generate straight into persons.
	recs := make([]entity.Person, 0, n)
	ents := make([]int32, 0, n)
	vals := map[string]string{}
	synth.DedupeEach(seed, int(float64(n)/1.75)+1, func(r synth.Record) {
		if len(recs) >= n {
			return
		}
		clear(vals)
		for k, v := range r.Row {
			vals[synthColumns[k]] = v
		}
		recs = append(recs, match.PersonFromFields(vals, ""))
		ents = append(ents, int32(r.Entity))
	})
	opt := match.Options{}
	if !quiet && n >= 20000 {
		opt.Progress = newReporter(stderr)
	}
	peak := startPeak()
	t0 := time.Now()
	res, err := match.Dedupe(ctx, recs, opt)
	if err != nil {
		return err
	}
	el := time.Since(t0)
	sys, inuse := peak.done()
	p, r := pairwiseQuality(res.Clusters, ents)
	fmt.Fprintf(stdout, "dedupe %d: %.3fs (normalise, block, compare, EM, cluster), %.0f records/s, %d comparisons (%.1f per record), %d pairs, pairwise precision %.4f recall %.4f, peak heap %.0f MiB (in use %.0f MiB)\n",
		n, el.Seconds(), float64(n)/el.Seconds(), res.Stats.Comparisons, float64(res.Stats.Comparisons)/float64(n), len(res.Pairs), p, r, mib(sys), mib(inuse))
	fmt.Fprintf(stdout, "  stages: prepare %.3fs, block %.3fs, compare %.3fs, fit+score %.3fs; %d blocks, %d oversized\n",
		res.Stats.Prepare.Seconds(), res.Stats.Block.Seconds(), res.Stats.Compare.Seconds(), res.Stats.Fit.Seconds(), res.Stats.Blocks, res.Stats.OversizedBlocks)
	return nil
}

// pairwiseQuality is pairwise precision and recall of clusters against
// true entity labels.
func pairwiseQuality(clusters []int, truth []int32) (precision, recall float64) {
	type key struct {
		c int
		t int32
	}
	byC, byT, both := map[int]int{}, map[int32]int{}, map[key]int{}
	for i, c := range clusters {
		byC[c]++
		byT[truth[i]]++
		both[key{c, truth[i]}]++
	}
	pairs := func(n int) int { return n * (n - 1) / 2 }
	pred, act, tp := 0, 0, 0
	for _, n := range byC {
		pred += pairs(n)
	}
	for _, n := range byT {
		act += pairs(n)
	}
	for _, n := range both {
		tp += pairs(n)
	}
	precision, recall = 1, 1
	if pred > 0 {
		precision = float64(tp) / float64(pred)
	}
	if act > 0 {
		recall = float64(tp) / float64(act)
	}
	return
}

// benchPG links the same data with pg_trgm: the right side is loaded into
// a table with a GIN trigram index on the folded full name; every left
// record asks for its most similar name (the % operator, pg_trgm's
// default 0.3 limit) with the same date of birth or none, and a pair is
// reported at similarity >= 0.5. Names are given to PostgreSQL already
// folded and transliterated by our normaliser, which favours pg_trgm.
func benchPG(ctx context.Context, url string, lt *linkTask, stdout io.Writer) error {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	schema := fmt.Sprintf("liaison_bench_%d", os.Getpid())
	if _, err := conn.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		return err
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "DROP SCHEMA "+schema+" CASCADE")
	}()
	if _, err := conn.ExecContext(ctx, "SET search_path TO "+schema+", public"); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA "+schema); err != nil {
		return err
	}
	name := func(p *entity.Person) string { return strings.Join(p.Name.AllTokens(), " ") }
	dob := func(p *entity.Person) string {
		if p.DOB.Year != 0 {
			return p.DOB.Digits()
		}
		return ""
	}
	t0 := time.Now()
	if _, err := conn.ExecContext(ctx, "CREATE TABLE r (id text PRIMARY KEY, name text NOT NULL, dob text NOT NULL)"); err != nil {
		return err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	stmt, err := tx.PrepareContext(ctx, "INSERT INTO r VALUES ($1, $2, $3)")
	if err != nil {
		return err
	}
	for i := range lt.right {
		p := &lt.right[i]
		if _, err := stmt.ExecContext(ctx, p.ID, name(p), dob(p)); err != nil {
			tx.Rollback()
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "CREATE INDEX r_name_trgm ON r USING gin (name gin_trgm_ops); ANALYZE r"); err != nil {
		return err
	}
	load := time.Since(t0)
	q, err := conn.PrepareContext(ctx, `SELECT id, similarity(name, $1) AS s FROM r
		WHERE name % $1 AND ($2 = '' OR dob = '' OR dob = $2)
		ORDER BY s DESC, id LIMIT 1`)
	if err != nil {
		return err
	}
	defer q.Close()
	tp, found := 0, 0
	for i := range lt.left {
		p := &lt.left[i]
		var id string
		var s float64
		err := q.QueryRowContext(ctx, name(p), dob(p)).Scan(&id, &s)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return err
		}
		if s >= 0.5 {
			found++
			if lt.truth[[2]string{p.ID, id}] {
				tp++
			}
		}
	}
	el := time.Since(t0)
	prec := float64(tp) / float64(max(1, found))
	rec := float64(tp) / float64(max(1, len(lt.truth)))
	fmt.Fprintf(stdout, "pg_trgm link %d x %d: %.3fs (load+index %.3fs, %d similarity queries), %d pairs, precision %.4f recall %.4f\n",
		len(lt.left), len(lt.right), el.Seconds(), load.Seconds(), len(lt.left), found, prec, rec)
	fmt.Fprintf(stdout, "  liaison vs pg_trgm: %.1fx faster; precision %.4f vs %.4f, recall %.4f vs %.4f\n",
		el.Seconds()/lt.seconds, lt.precision, prec, lt.recall, rec)
	return nil
}
