package cases

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// Federation message types.
//
// A query is not sensitive: it goes straight to the selected peers so that
// hit/no-hit stays fast, and it is audited on both sides with the user,
// agency, purpose and case reference. An answer is not sensitive either: it
// carries only per item hit or no-hit, an opaque reference and a score
// band. The released details themselves travel as a secure-exchange
// message (exchange.message: protective markings, the owner's NCU gate,
// routing by the requesting NCU, the requester's exchange inbox); a
// cases.release notice then tells the requesting node which exchange
// thread answers which hit. The notice carries no personal data (no
// field, no reason), only the query, the opaque reference, released or
// refused, the markings and the thread ID.
const (
	TypeQuery   = "cases.query"
	TypeAnswer  = "cases.answer"
	TypeRelease = "cases.release"
)

// MaxBatch bounds the items of one query.
const MaxBatch = 10000

// QueryItem is one searched entity in a query envelope.
type QueryItem struct {
	N int `json:"n" doc:"position of the item in the query"`
	Probe
}

type queryPayload struct {
	QueryID   string      `json:"query_id"`
	Purpose   string      `json:"purpose"`
	CaseRef   string      `json:"case_ref"`
	Requester string      `json:"requester"`
	Agency    string      `json:"agency"`
	Items     []QueryItem `json:"items"`
}

// AnswerItem is the whole answer for one item: hit or no-hit, an opaque
// reference meaningful only to the owner, and a score band.
type AnswerItem struct {
	N         int    `json:"n"`
	Hit       bool   `json:"hit"`
	Reference string `json:"reference,omitempty"`
	Band      string `json:"band,omitempty"`
}

type answerPayload struct {
	QueryID string       `json:"query_id"`
	Results []AnswerItem `json:"results"`
}

// RegisterFederation registers the message types; call before the
// federation service runs.
func (s *Service) RegisterFederation(f *federation.Service) {
	s.fed = f
	f.Register(TypeQuery, federation.TypeSpec{Handle: s.handleQuery})
	f.Register(TypeAnswer, federation.TypeSpec{Handle: s.handleAnswer})
	f.Register(TypeRelease, federation.TypeSpec{Handle: s.handleRelease})
	f.Register(TypeStats, federation.TypeSpec{Handle: s.handleStats})
}

// QueryInput is a cross-border hit/no-hit search.
type QueryInput struct {
	Purpose string   `json:"purpose" minLength:"1" maxLength:"500" doc:"why the search is made; recorded on both sides"`
	CaseRef string   `json:"case_ref" minLength:"1" maxLength:"100" doc:"the requesting case reference"`
	Peers   []string `json:"peers" minItems:"1" maxItems:"20" doc:"node IDs to ask"`
	Items   []Probe  `json:"items" minItems:"1" maxItems:"10000"`
}

// OutQuery is a query sent by this node, with the answers so far.
type OutQuery struct {
	ID        string       `json:"id"`
	Purpose   string       `json:"purpose"`
	CaseRef   string       `json:"case_ref"`
	Peers     []string     `json:"peers"`
	Items     []QueryItem  `json:"items"`
	CreatedBy string       `json:"created_by"`
	Agency    string       `json:"agency"`
	CreatedAt time.Time    `json:"created_at"`
	Results   []PeerResult `json:"results"`
	Releases  []Release    `json:"releases"`
	Hits      int          `json:"hits"`
	Pending   []string     `json:"pending_peers" doc:"peers that have not answered yet"`
}

// PeerResult is one peer's answer for one item.
type PeerResult struct {
	Peer string `json:"peer"`
	AnswerItem
	AnsweredAt time.Time `json:"answered_at"`
}

// Release is an owner's decision on a hit as this node learnt it: the
// details (or the reason for a refusal) are in the exchange thread.
type Release struct {
	ID         string            `json:"id"`
	Peer       string            `json:"peer"`
	Reference  string            `json:"reference"`
	Refused    bool              `json:"refused"`
	ThreadID   string            `json:"thread_id" doc:"secure-exchange thread with the released details or the refusal; visible once both NCUs let it pass"`
	Reason     string            `json:"reason,omitempty" doc:"only in releases received before they travelled through the exchange"`
	Kind       string            `json:"kind,omitempty"`
	Fields     map[string]string `json:"fields" doc:"only in releases received before they travelled through the exchange"`
	Markings   Markings          `json:"markings"`
	ReleasedBy string            `json:"released_by"`
	RoutedTo   string            `json:"routed_to"`
	ReceivedAt time.Time         `json:"received_at"`
}

// SendQuery asks peers whether they know the given entities.
func (s *Service) SendQuery(ctx context.Context, p *auth.Principal, in QueryInput) (OutQuery, error) {
	const op = "cases.SendQuery"
	if s.fed == nil {
		return OutQuery{}, errs.New(errs.Unavailable, op, "federation is not configured on this node")
	}
	in.Purpose, in.CaseRef = textutil.Clip(strings.TrimSpace(in.Purpose), 500), textutil.Clip(strings.TrimSpace(in.CaseRef), 100)
	if len(in.Purpose) < 5 {
		return OutQuery{}, errs.New(errs.Invalid, op, "purpose is required: say why you search (at least 5 characters)")
	}
	if in.CaseRef == "" {
		return OutQuery{}, errs.New(errs.Invalid, op, "case_ref is required: the case this search is for")
	}
	peers := cleanList(in.Peers, 32)
	if len(peers) == 0 {
		return OutQuery{}, errs.New(errs.Invalid, op, "choose at least one peer to ask")
	}
	if len(in.Items) == 0 {
		return OutQuery{}, errs.New(errs.Invalid, op, "add at least one entity to search for")
	}
	if len(in.Items) > MaxBatch {
		return OutQuery{}, errs.Newf(errs.TooLarge, op, "at most %d entities per query", MaxBatch)
	}
	items := make([]QueryItem, len(in.Items))
	for i, pr := range in.Items {
		kind, f, err := s.prepareProbe(pr)
		if err != nil {
			return OutQuery{}, errs.Newf(errs.Invalid, op, "item %d: %v", i+1, err)
		}
		items[i] = QueryItem{N: i + 1, Probe: Probe{Kind: string(kind), Fields: f}}
	}
	q := OutQuery{ID: store.NewID(), Purpose: in.Purpose, CaseRef: in.CaseRef, Peers: peers, Items: items, CreatedBy: p.Username, Agency: p.Agency,
		CreatedAt: s.now(), Results: []PeerResult{}, Releases: []Release{}, Pending: peers}
	payload := queryPayload{QueryID: q.ID, Purpose: q.Purpose, CaseRef: q.CaseRef, Requester: p.Username, Agency: p.Agency, Items: items}
	err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO cases_queries (id, purpose, case_ref, peers, items, created_by, agency, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			q.ID, q.Purpose, q.CaseRef, jsonText(peers), jsonText(items), p.Username, p.Agency, store.FormatTime(q.CreatedAt)); err != nil {
			return err
		}
		for _, peer := range peers {
			if _, err := s.fed.Enqueue(ctx, tx, federation.Outgoing{To: peer, Type: TypeQuery, Conversation: q.ID, Payload: payload,
				Summary: fmt.Sprintf("hit/no-hit query %s: %d item(s), case %s", q.ID, len(items), q.CaseRef), Actor: p}); err != nil {
				return err
			}
		}
		// A search that cannot be logged must not happen: the query, its
		// envelopes and its audit entry commit together.
		return s.queue(ctx, tx, entry(p, "cases.query.send", "query/"+q.ID, q.Purpose,
			fmt.Sprintf("case=%s peers=%s items=%d", q.CaseRef, strings.Join(peers, ","), len(items))))
	})
	if err != nil {
		return OutQuery{}, unavailable(op, err)
	}
	s.fed.Notify()
	return q, nil
}

// handleQuery stores a received query; the worker answers it outside the
// delivery transaction (matching a large batch must not hold the writer).
func (s *Service) handleQuery(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	var q queryPayload
	if err := json.Unmarshal(in.Payload, &q); err != nil {
		return errs.Wrap(errs.Invalid, "cases.handleQuery", "malformed query", err)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO cases_inbound (id, query_id, peer, purpose, case_ref, requester, agency, items, state, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)
		ON CONFLICT (id) DO NOTHING`, in.ID, textutil.Clip(strings.TrimSpace(q.QueryID), 64), in.From, textutil.Clip(strings.TrimSpace(q.Purpose), 500), textutil.Clip(strings.TrimSpace(q.CaseRef), 100), textutil.Clip(strings.TrimSpace(q.Requester), 100), textutil.Clip(strings.TrimSpace(q.Agency), 100),
		jsonText(q.Items), store.FormatTime(s.now()))
	if err != nil {
		return err
	}
	if err := s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: in.From + ":" + textutil.Clip(strings.TrimSpace(q.Requester), 100), Agency: textutil.Clip(strings.TrimSpace(q.Agency), 100), Action: "cases.query.receive",
		Object: "query/" + textutil.Clip(strings.TrimSpace(q.QueryID), 64), Purpose: textutil.Clip(strings.TrimSpace(q.Purpose), 500), Detail: fmt.Sprintf("from=%s case=%s items=%d", in.From, textutil.Clip(strings.TrimSpace(q.CaseRef), 100), len(q.Items))}); err != nil {
		return err
	}
	s.notify()
	return nil
}

type inbound struct {
	id, queryID, peer, purpose, caseRef, requester, agency string
	items                                                  []QueryItem
	attempts                                               int
	unreadable                                             error
}

// AnswerPending matches every received query not answered yet against
// local data and sends the answers. It returns the number answered. A query
// that cannot be answered now (its peer is suspended, the database is busy)
// waits for a retry with backoff and its reason recorded; the others go on.
func (s *Service) AnswerPending(ctx context.Context) (int, error) {
	done := 0
	for {
		now := s.now()
		rows, err := s.d.Store.QueryContext(ctx, `SELECT id, query_id, peer, purpose, case_ref, requester, agency, items, attempts FROM cases_inbound
			WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY received_at LIMIT 20`, store.FormatTime(now))
		if err != nil {
			return done, err
		}
		var todo []inbound
		for rows.Next() {
			var q inbound
			var items string
			if err := rows.Scan(&q.id, &q.queryID, &q.peer, &q.purpose, &q.caseRef, &q.requester, &q.agency, &items, &q.attempts); err != nil {
				rows.Close()
				return done, err
			}
			if err := json.Unmarshal([]byte(items), &q.items); err != nil {
				q.unreadable = err
			}
			todo = append(todo, q)
		}
		rows.Close()
		if len(todo) == 0 {
			return done, nil
		}
		for _, q := range todo {
			err := q.unreadable
			if err != nil {
				s.d.Logger.Error("cases: stored query cannot be read", "inbound", q.id, "query", q.queryID, "peer", q.peer, "err", err)
				err = errs.Wrap(errs.Internal, "cases.answer", "the stored query cannot be read", err)
			} else {
				err = s.answer(ctx, q)
			}
			if err != nil {
				if ctx.Err() != nil {
					return done, ctx.Err()
				}
				if rerr := s.retryLater(ctx, q, err); rerr != nil {
					return done, rerr
				}
				continue
			}
			done++
		}
	}
}

// Answering gives up after this many attempts (about a week with the
// backoff below); the query then shows as failed.
const maxAnswerAttempts = 200

// retryLater records why a query could not be answered and when to try again.
func (s *Service) retryLater(ctx context.Context, q inbound, cause error) error {
	attempts := q.attempts + 1
	wait := min(time.Second<<min(attempts, 12), time.Hour)
	state := "pending"
	if attempts >= maxAnswerAttempts || errs.Is(cause, errs.Internal) {
		state = "failed"
	}
	s.d.Logger.Warn("cases: query not answered", "inbound", q.id, "query", q.queryID, "peer", q.peer, "attempt", attempts, "retry_in", wait, "state", state, "err", cause)
	_, err := s.d.Store.ExecContext(ctx, `UPDATE cases_inbound SET attempts = ?, next_attempt_at = ?, last_error = ?, state = ? WHERE id = ? AND state = 'pending'`,
		attempts, store.FormatTime(s.now().Add(wait)), textutil.Clip(strings.TrimSpace(errs.SafeMessage(cause)), 500), state, q.id)
	return err
}

type localHit struct {
	item      QueryItem
	entity    Entity
	score     float64
	band      string
	reference string
}

// MatchBatch matches items against local data with a few parallel
// workers and returns for each item its best candidate at or above the
// medium band (nil for no hit). The candidates of the whole batch are read
// back from the database together.
func (s *Service) MatchBatch(ctx context.Context, items []QueryItem) ([]*Candidate, error) {
	found := make([][]scored, len(items))
	workers := min(len(items), max(runtime.GOMAXPROCS(0), 4))
	var mu sync.Mutex
	var first error
	one := func(i int) {
		kind, f, err := s.prepareProbe(items[i].Probe)
		if err != nil {
			return // an item we cannot read is a no-hit
		}
		cs, err := s.score(ctx, s.d.Store, kind, f, medScore)
		if err != nil {
			mu.Lock()
			if first == nil {
				first = err
			}
			mu.Unlock()
			return
		}
		// Best score first (score, not weight, decides the band).
		sort.SliceStable(cs, func(a, b int) bool { return cs[a].score > cs[b].score })
		found[i] = cs
	}
	if workers <= 1 {
		// A single query runs in the caller's goroutine: no hand-offs
		// to wait for on a busy machine.
		for i := range items {
			one(i)
		}
	} else {
		var wg sync.WaitGroup
		next := make(chan int)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					one(i)
				}
			}()
		}
		for i := range items {
			if ctx.Err() != nil {
				break
			}
			next <- i
		}
		close(next)
		wg.Wait()
	}
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var need []int64
	for _, cs := range found {
		for _, c := range cs {
			if c.ent == nil {
				need = append(need, c.pk)
			}
		}
	}
	got, err := s.entitiesByPK(ctx, s.d.Store, need)
	if err != nil {
		return nil, err
	}
	out := make([]*Candidate, len(items))
	for i, cs := range found {
		for _, c := range cs {
			e := c.ent
			if e == nil {
				g, ok := got[c.pk]
				if !ok {
					continue // merged or gone since it was indexed
				}
				e = &g
			}
			out[i] = &Candidate{Entity: *e, Score: c.score, Weight: c.weight, Band: c.band, Explanation: c.explanation}
			break
		}
	}
	return out, nil
}

func randomRef() string {
	b := make([]byte, 15)
	_, _ = rand.Read(b)
	return "H-" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}

func (s *Service) answer(ctx context.Context, q inbound) error {
	const op = "cases.answer"
	best, err := s.MatchBatch(ctx, q.items)
	if err != nil {
		return unavailable(op, err)
	}
	results := make([]AnswerItem, len(q.items))
	var hits []localHit
	for i, it := range q.items {
		results[i] = AnswerItem{N: it.N}
		if c := best[i]; c != nil {
			h := localHit{item: it, entity: c.Entity, score: c.Score, band: c.Band, reference: randomRef()}
			hits = append(hits, h)
			results[i] = AnswerItem{N: it.N, Hit: true, Reference: h.reference, Band: h.band}
		}
	}
	// Audited in the transaction that records the hits and sends the
	// answer: who asked, why, for which case, and which local entities were
	// hit. A failed attempt leaves no entry, so a retry does not repeat one.
	entries := []audit.Entry{{Actor: q.peer + ":" + q.requester, Agency: q.agency, Action: "cases.query.answer", Object: "query/" + q.queryID,
		Purpose: q.purpose, Detail: fmt.Sprintf("from=%s case=%s items=%d hits=%d", q.peer, q.caseRef, len(q.items), len(hits))}}
	for _, h := range hits {
		entries = append(entries, audit.Entry{Actor: q.peer + ":" + q.requester, Agency: q.agency, Action: "cases.hit", Object: "entity/" + h.entity.ID,
			Purpose: q.purpose, Detail: fmt.Sprintf("query=%s item=%d ref=%s band=%s", q.queryID, h.item.N, h.reference, h.band)})
	}
	now := store.FormatTime(s.now())
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE cases_inbound SET state = 'answered', hits = ?, answered_at = ? WHERE id = ? AND state = 'pending'`, len(hits), now, q.id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // answered meanwhile
		}
		for _, h := range hits {
			asked := map[string]any{"kind": h.item.Kind, "fields": h.item.Fields, "requester": q.requester, "agency": q.agency, "purpose": q.purpose, "case_ref": q.caseRef}
			if _, err := tx.ExecContext(ctx, `INSERT INTO cases_hits (reference, inbound_id, query_id, peer, item, entity_id, score, band, asked, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?)`,
				h.reference, q.id, q.queryID, q.peer, h.item.N, h.entity.ID, strconv.FormatFloat(h.score, 'f', 4, 64), h.band, jsonText(asked), now); err != nil {
				return err
			}
		}
		if _, err := s.fed.Enqueue(ctx, tx, federation.Outgoing{To: q.peer, Type: TypeAnswer, Conversation: q.queryID, Payload: answerPayload{QueryID: q.queryID, Results: results},
			Summary: fmt.Sprintf("hit/no-hit answer to query %s", q.queryID)}); err != nil {
			return err
		}
		return s.d.Audit.Queue(ctx, tx, entries...)
	})
	if err != nil {
		return unavailable(op, err)
	}
	s.fed.Notify()
	return nil
}

func (s *Service) handleAnswer(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	var a answerPayload
	if err := json.Unmarshal(in.Payload, &a); err != nil {
		return errs.Wrap(errs.Invalid, "cases.handleAnswer", "malformed answer", err)
	}
	var by, purpose string
	if err := tx.QueryRowContext(ctx, `SELECT created_by, purpose FROM cases_queries WHERE id = ?`, a.QueryID).Scan(&by, &purpose); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return errs.New(errs.NotFound, "cases.handleAnswer", "answer to an unknown query")
		}
		return err
	}
	now := store.FormatTime(s.now())
	hits := 0
	for _, r := range a.Results {
		b := ""
		if r.Hit {
			hits++
			b = r.Band
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO cases_query_results (query_id, peer, item, hit, reference, band, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (query_id, peer, item) DO NOTHING`,
			a.QueryID, in.From, r.N, store.BoolInt(r.Hit), textutil.Clip(strings.TrimSpace(r.Reference), 64), textutil.Clip(strings.TrimSpace(b), 10), now); err != nil {
			return err
		}
	}
	return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: by, Action: "cases.answer.receive", Object: "query/" + a.QueryID, Purpose: purpose,
		Detail: fmt.Sprintf("from=%s items=%d hits=%d", in.From, len(a.Results), hits)})
}

// Query returns one query sent by this node with answers and releases.
// Releases are shown to the agency the NCU routed them to and to the NCU.
func (s *Service) Query(ctx context.Context, p *auth.Principal, id string) (OutQuery, error) {
	const op = "cases.Query"
	var q OutQuery
	var peers, items, at string
	err := s.d.Store.QueryRowContext(ctx, `SELECT id, purpose, case_ref, peers, items, created_by, agency, created_at FROM cases_queries WHERE id = ?`, id).
		Scan(&q.ID, &q.Purpose, &q.CaseRef, &peers, &items, &q.CreatedBy, &q.Agency, &at)
	if err != nil {
		return q, store.NotFound(err, op, "no such query")
	}
	if q.CreatedBy != p.Username && q.Agency != p.Agency && !p.Has(auth.RoleNCUOperator) {
		return OutQuery{}, errs.New(errs.NotFound, op, "no such query")
	}
	var jc store.JSONColumns
	jc.Decode("peers", peers, &q.Peers)
	jc.Decode("items", items, &q.Items)
	if err := jc.Err(op, "query "+q.ID); err != nil {
		return q, err
	}
	q.CreatedAt = store.ParseTime(at)
	q.Results, q.Releases = []PeerResult{}, []Release{}
	rows, err := s.d.Store.QueryContext(ctx, `SELECT peer, item, hit, reference, band, answered_at FROM cases_query_results WHERE query_id = ? ORDER BY item, peer`, id)
	if err != nil {
		return q, unavailable(op, err)
	}
	answered := map[string]bool{}
	for rows.Next() {
		var r PeerResult
		var hit int
		var at string
		if err := rows.Scan(&r.Peer, &r.N, &hit, &r.Reference, &r.Band, &at); err != nil {
			rows.Close()
			return q, unavailable(op, err)
		}
		r.Hit, r.AnsweredAt = hit == 1, store.ParseTime(at)
		if r.Hit {
			q.Hits++
		}
		answered[r.Peer] = true
		q.Results = append(q.Results, r)
	}
	rows.Close()
	q.Pending = []string{}
	for _, peer := range q.Peers {
		if !answered[peer] {
			q.Pending = append(q.Pending, peer)
		}
	}
	rq := `SELECT id, peer, reference, refused, reason, fields, markings, released_by, routed_to, received_at, thread_id FROM cases_releases WHERE query_id = ?`
	args := []any{id}
	if !p.Has(auth.RoleNCUOperator) {
		rq += ` AND routed_to = ?`
		args = append(args, p.Agency)
	}
	rrows, err := s.d.Store.QueryContext(ctx, rq+` ORDER BY received_at`, args...)
	if err != nil {
		return q, unavailable(op, err)
	}
	for rrows.Next() {
		var r Release
		var refused int
		var f, m, at string
		if err := rrows.Scan(&r.ID, &r.Peer, &r.Reference, &refused, &r.Reason, &f, &m, &r.ReleasedBy, &r.RoutedTo, &at, &r.ThreadID); err != nil {
			rrows.Close()
			return q, unavailable(op, err)
		}
		r.Refused, r.ReceivedAt = refused == 1, store.ParseTime(at)
		jc.Decode("fields", f, &r.Fields)
		jc.Decode("markings", m, &r.Markings)
		if err := jc.Err(op, "release "+r.ID); err != nil {
			rrows.Close()
			return q, err
		}
		if r.Fields == nil {
			r.Fields = map[string]string{}
		}
		q.Releases = append(q.Releases, r)
	}
	rrows.Close()
	return q, s.record(ctx, entry(p, "cases.query.read", "query/"+id, q.Purpose, fmt.Sprintf("hits=%d releases=%d", q.Hits, len(q.Releases))))
}

// QuerySummary is a line in the list of sent queries.
type QuerySummary struct {
	ID        string    `json:"id"`
	Purpose   string    `json:"purpose"`
	CaseRef   string    `json:"case_ref"`
	Peers     []string  `json:"peers"`
	Items     int       `json:"items"`
	Hits      int       `json:"hits"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// Queries lists queries sent by the caller's agency (all for the NCU).
func (s *Service) Queries(ctx context.Context, p *auth.Principal) ([]QuerySummary, error) {
	q := `SELECT q.id, q.purpose, q.case_ref, q.peers, q.items, q.created_by, q.created_at,
		(SELECT COUNT(*) FROM cases_query_results r WHERE r.query_id = q.id AND r.hit = 1) FROM cases_queries q`
	var args []any
	if !p.Has(auth.RoleNCUOperator) {
		q += ` WHERE q.agency = ?`
		args = append(args, p.Agency)
	}
	rows, err := s.d.Store.QueryContext(ctx, q+` ORDER BY q.created_at DESC LIMIT 200`, args...)
	if err != nil {
		return nil, unavailable("cases.Queries", err)
	}
	defer rows.Close()
	out := []QuerySummary{}
	for rows.Next() {
		var r QuerySummary
		var peers, items, at string
		if err := rows.Scan(&r.ID, &r.Purpose, &r.CaseRef, &peers, &items, &r.CreatedBy, &at, &r.Hits); err != nil {
			return nil, unavailable("cases.Queries", err)
		}
		var jc store.JSONColumns
		jc.Decode("peers", peers, &r.Peers)
		var its []json.RawMessage
		jc.Decode("items", items, &its)
		if err := jc.Err("cases.Queries", "query "+r.ID); err != nil {
			return nil, err
		}
		r.Items, r.CreatedAt = len(its), store.ParseTime(at)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("cases.Queries", err)
	}
	return out, s.record(ctx, entry(p, "cases.query.list", "queries", "", ""))
}
