package exchange

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/identity"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

var (
	benchGiven   = []string{"Marko", "Đorđe", "Nikola", "Stefan", "Milan", "Arben", "Besnik", "Driton", "Emir", "Edin", "Ivana", "Jelena", "Ana", "Arta", "Blerta", "Mirsad", "Dragan", "Zoran", "Goran", "Aleksandar", "Luka", "Filip", "Petar", "Vesna", "Milica", "Fatmir", "Ilir", "Kujtim", "Amir", "Haris"}
	benchSurname = []string{"Petrović", "Jovanović", "Marković", "Nikolić", "Đorđević", "Stojanović", "Hoxha", "Krasniqi", "Berisha", "Gashi", "Shala", "Hodžić", "Begić", "Delić", "Kovačević", "Popović", "Ilić", "Pavlović", "Stanković", "Kelmendi", "Morina", "Rama", "Bajrami", "Dimitrovski", "Trajkovski", "Nikolovski", "Vukčević", "Radović", "Bulatović", "Šehović"}
	benchPlaces  = []string{"Beograd", "Podgorica", "Tirana", "Skopje", "Sarajevo", "Priština", "Novi Sad", "Niš", "Bar", "Durrës", "Ohrid", "Tuzla", "Mostar", "Prizren", "Rožaje", "Bitola", "Shkodër", "Kotor", "Subotica", "Zenica"}
	benchCrime   = []string{"heroin", "cocaine", "cannabis", "firearms", "smuggling", "trafficking", "fraud", "laundering", "cigarettes", "migrants", "extortion", "corruption", "vehicle", "theft", "cybercrime", "counterfeit"}
)

// benchWords is a vocabulary of pseudo-words drawn with a Zipf distribution.
func benchWords(r *rand.Rand, n int) []string {
	syl := []string{"ka", "ri", "mo", "ve", "sto", "pla", "dri", "ne", "zu", "lo", "ban", "tek", "gor", "mi", "sha", "či", "đa", "vu", "je", "ro"}
	out := make([]string, n)
	for i := range out {
		k := 2 + r.IntN(3)
		var b strings.Builder
		for j := 0; j < k; j++ {
			b.WriteString(syl[r.IntN(len(syl))])
		}
		out[i] = b.String()
	}
	return out
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// TestSearchLatency loads LIAISON_BENCH_SEARCH messages (e.g. 1000000) in
// threads of 10 across 20 agencies and measures the latency of searches
// through List (visibility check, folded-term index, marking summary and
// the audit write included).
func TestSearchLatency(t *testing.T) {
	total, _ := strconv.Atoi(os.Getenv("LIAISON_BENCH_SEARCH"))
	if total <= 0 {
		t.Skip("set LIAISON_BENCH_SEARCH=N to measure")
	}
	for _, b := range storetest.Backends() {
		if only := os.Getenv("LIAISON_BENCH_BACKEND"); only != "" && only != b.Name {
			continue
		}
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			opt := b.Options(t)
			if keep := os.Getenv("LIAISON_BENCH_KEEP"); keep != "" {
				// Keep the loaded database for later runs: a directory for
				// SQLite, a schema of that name for PostgreSQL.
				opt = keptDatabase(t, b.Name, keep)
			}
			if opt.DataDir == "" {
				opt.DataDir = dir
			}
			st := storetest.Open(t, opt)
			var stored int
			if err := st.QueryRowContext(ctx, `SELECT COUNT(*) FROM ex_messages`).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			initial := stored
			node, err := identity.LoadOrCreate(dir, "rs", "bench")
			if err != nil {
				t.Fatal(err)
			}
			clk := clock.System{}
			al, err := audit.Open(ctx, st, node, clk, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			s := New(Deps{Store: st, Audit: al, Clock: clk, NodeID: "rs"}, Config{})
			r := rand.New(rand.NewPCG(1, 2))
			words := benchWords(r, 5000)
			zipf := rand.NewZipf(r, 1.1, 1, uint64(len(words)-1))
			agencies := make([]string, 20)
			for i := range agencies {
				agencies[i] = fmt.Sprintf("agency-%02d", i)
			}
			start := time.Now()
			const perThread = 10
			now := time.Now().UTC()
			// LIAISON_BENCH_GENERATE=N generates N messages and reaches the
			// total by copying them inside the database with new IDs (same
			// vocabulary, agencies and distribution; much faster to load).
			generate := total
			if g, _ := strconv.Atoi(os.Getenv("LIAISON_BENCH_GENERATE")); g > 0 && g < total {
				generate = g
			}
			for done := stored; done < generate; {
				var msgRows, termRows [][]any
				var threads []Thread
				for k := 0; k < 500 && done < generate; k++ {
					person := pick(r, benchGiven) + " " + pick(r, benchSurname)
					th := Thread{ID: store.NewID(), Subject: person + " — " + pick(r, benchCrime) + " " + pick(r, benchPlaces), CrimeArea: pick(r, benchCrime), Priority: PriorityNormal,
						CaseRefs: []string{fmt.Sprintf("RS-%d", r.IntN(100000))}, Parties: []string{"rs", pick(r, []string{"me", "al", "ba", "mk", "xk"})}, OriginNode: "rs",
						Agency: pick(r, agencies), Status: StatusOpen, CreatedAt: now, UpdatedAt: now.Add(time.Duration(done) * time.Second), ReviewAt: now.Add(3 * 365 * 24 * time.Hour)}
					threads = append(threads, th)
					for m := 0; m < perThread && done < generate; m++ {
						var body strings.Builder
						for w := 0; w < 12+r.IntN(14); w++ {
							body.WriteString(words[zipf.Uint64()] + " ")
						}
						body.WriteString(pick(r, benchGiven) + " " + pick(r, benchSurname) + " " + pick(r, benchPlaces) + " " + pick(r, benchCrime))
						msg := Message{ID: store.NewID(), Body: body.String()}
						search := messageSearchText(msg)
						msgRows = append(msgRows, []any{msg.ID, th.ID, KindFollowUp, "rs", "bench", th.Agency, msg.Body, "restricted", "[]", "B", 2, store.FormatTime(now), search})
						for _, term := range terms(search + " " + threadSearchText(th)) {
							termRows = append(termRows, []any{term, msg.ID, th.ID})
						}
						done++
					}
				}
				err := st.InTx(ctx, func(tx *store.Tx) error {
					for _, th := range threads {
						if err := insertThread(ctx, tx, th); err != nil {
							return err
						}
					}
					if err := bulkInsert(ctx, tx, `INSERT INTO ex_messages (id, thread_id, kind, node, author, agency, body, classification, handling, reliability, accuracy, created_at, search) VALUES `, msgRows, 100); err != nil {
						return err
					}
					return bulkInsert(ctx, tx, `INSERT INTO ex_terms (term, message_id, thread_id) VALUES `, termRows, 1000)
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			for copyNo := 1; stored < total && generate < total; copyNo++ {
				if err := st.QueryRowContext(ctx, `SELECT COUNT(*) FROM ex_messages`).Scan(&stored); err != nil {
					t.Fatal(err)
				}
				if stored >= total {
					break
				}
				sfx := ".c" + strconv.Itoa(copyNo)
				var have int
				_ = st.QueryRowContext(ctx, `SELECT COUNT(*) FROM ex_threads WHERE id LIKE ?`, "%"+sfx).Scan(&have)
				if have > 0 {
					continue
				}
				err := st.InTx(ctx, func(tx *store.Tx) error {
					for _, q := range []string{
						`INSERT INTO ex_threads (` + threadCols + `, search) SELECT id || ?, ` + strings.SplitN(threadCols, ", ", 2)[1] + `, search FROM ex_threads WHERE id NOT LIKE '%.c%'`,
						`INSERT INTO ex_messages (id, thread_id, kind, node, author, agency, body, classification, handling, reliability, accuracy, created_at, search)
							SELECT id || ?, thread_id || ?, kind, node, author, agency, body, classification, handling, reliability, accuracy, created_at, search FROM ex_messages WHERE id NOT LIKE '%.c%'`,
						`INSERT INTO ex_terms (term, message_id, thread_id) SELECT term, message_id || ?, thread_id || ? FROM ex_terms WHERE message_id NOT LIKE '%.c%'`,
					} {
						args := []any{sfx}
						if strings.Count(q, "?") == 2 {
							args = append(args, sfx)
						}
						if _, err := tx.ExecContext(ctx, q, args...); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%s: copy %d done after %v", b.Name, copyNo, time.Since(start).Round(time.Second))
			}
			t.Logf("%s: loaded %d messages in %v (%d were already stored)", b.Name, total, time.Since(start).Round(time.Second), initial)
			if b.Name == "postgres" && initial < total {
				// Settle the visibility map after a bulk load, as autovacuum would.
				_, _ = st.ExecContext(ctx, `VACUUM ANALYZE`)
			}
			r = rand.New(rand.NewPCG(3, 4)) // the same queries whether or not the data was loaded now
			var queries []string
			for i := 0; i < 300; i++ {
				switch i % 5 {
				case 0:
					queries = append(queries, pick(r, benchSurname))
				case 1:
					queries = append(queries, pick(r, benchGiven)+" "+pick(r, benchSurname))
				case 2:
					queries = append(queries, pick(r, benchPlaces)+" "+pick(r, benchCrime))
				case 3:
					f := terms(entity.Fold(pick(r, benchSurname)))[0]
					queries = append(queries, f[:min(5, len(f))]) // prefix
				default:
					queries = append(queries, "Петровић") // Cyrillic for a Latin name
				}
			}
			var lat []time.Duration
			hits := 0
			for i, q := range queries {
				p := &auth.Principal{Username: "analyst", Agency: agencies[i%len(agencies)]}
				t0 := time.Now()
				res, err := s.List(ctx, p, Filter{Query: q, Purpose: "benchmark"})
				lat = append(lat, time.Since(t0))
				if err != nil {
					t.Fatal(err)
				}
				hits += len(res)
			}
			slices.Sort(lat)
			pc := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
			t.Logf("%s: %d searches over %d messages: p50 %v, p95 %v, p99 %v, max %v; %.1f threads per result page on average",
				b.Name, len(lat), total, pc(0.5).Round(time.Microsecond), pc(0.95).Round(time.Microsecond), pc(0.99).Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond), float64(hits)/float64(len(lat)))
		})
	}
}

func bulkInsert(ctx context.Context, tx *store.Tx, prefix string, rows [][]any, per int) error {
	for len(rows) > 0 {
		n := min(per, len(rows))
		ph := "(?" + strings.Repeat(", ?", len(rows[0])-1) + ")"
		q := prefix + strings.TrimSuffix(strings.Repeat(ph+",", n), ",")
		var args []any
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// keptDatabase names a database that outlives the test: LIAISON_BENCH_KEEP
// is a directory for SQLite and a schema name for PostgreSQL.
func keptDatabase(t *testing.T, backend, keep string) store.Options {
	if backend == "sqlite" {
		if err := os.MkdirAll(keep, 0o700); err != nil {
			t.Fatal(err)
		}
		return store.Options{DataDir: keep}
	}
	base := os.Getenv(storetest.EnvPostgres)
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	schema := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, strings.ToLower(filepath.Base(keep)))
	if _, err := db.Exec(`CREATE SCHEMA IF NOT EXISTS ` + schema); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return store.Options{URL: u.String()}
}
