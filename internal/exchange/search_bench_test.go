package exchange

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
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
			if opt.DataDir == "" {
				opt.DataDir = dir
			}
			st := storetest.Open(t, opt)
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
			for done := 0; done < total; {
				var msgRows, termRows [][]any
				var threads []Thread
				for k := 0; k < 500 && done < total; k++ {
					person := pick(r, benchGiven) + " " + pick(r, benchSurname)
					th := Thread{ID: newID(), Subject: person + " — " + pick(r, benchCrime) + " " + pick(r, benchPlaces), CrimeArea: pick(r, benchCrime), Priority: PriorityNormal,
						CaseRefs: []string{fmt.Sprintf("RS-%d", r.IntN(100000))}, Parties: []string{"rs", pick(r, []string{"me", "al", "ba", "mk", "xk"})}, OriginNode: "rs",
						Agency: pick(r, agencies), Status: StatusOpen, CreatedAt: now, UpdatedAt: now.Add(time.Duration(done) * time.Second), ReviewAt: now.Add(3 * 365 * 24 * time.Hour)}
					threads = append(threads, th)
					for m := 0; m < perThread && done < total; m++ {
						var body strings.Builder
						for w := 0; w < 12+r.IntN(14); w++ {
							body.WriteString(words[zipf.Uint64()] + " ")
						}
						body.WriteString(pick(r, benchGiven) + " " + pick(r, benchSurname) + " " + pick(r, benchPlaces) + " " + pick(r, benchCrime))
						msg := Message{ID: newID(), Body: body.String()}
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
			t.Logf("%s: loaded %d messages in %v", b.Name, total, time.Since(start).Round(time.Second))
			if b.Name == "postgres" {
				_, _ = st.ExecContext(ctx, `ANALYZE`)
			}
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
