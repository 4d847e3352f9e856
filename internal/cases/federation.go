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
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/entity"
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

// Markings are the protective markings of a release.
type Markings struct {
	Classification        string `json:"classification" enum:"unclassified,restricted,confidential" doc:"security classification (secret information does not travel through the exchange)"`
	HandlingCode          string `json:"handling_code" enum:"H0,H1,H2,H3" doc:"H0 law enforcement use; H1 not for court without permission; H2 not to be disseminated further without permission; H3 other restrictions (see reason)"`
	SourceEvaluation      string `json:"source_evaluation" enum:"A,B,C,X" doc:"4x4 source evaluation"`
	InformationEvaluation string `json:"information_evaluation" enum:"1,2,3,4" doc:"4x4 information evaluation"`
	Restrictions          string `json:"restrictions,omitempty" maxLength:"1000" doc:"the restriction when H3 is set"`
	OnwardAllowed         bool   `json:"onward_allowed,omitempty" doc:"the requester may pass the details to another country or body without asking (not with H2)"`
}

func (m *Markings) validate(op string) error {
	m.Classification = strings.ToLower(strings.TrimSpace(m.Classification))
	m.HandlingCode = strings.ToUpper(strings.TrimSpace(m.HandlingCode))
	m.SourceEvaluation = strings.ToUpper(strings.TrimSpace(m.SourceEvaluation))
	m.InformationEvaluation = strings.TrimSpace(m.InformationEvaluation)
	m.Restrictions = textutil.Clip(strings.TrimSpace(m.Restrictions), 1000)
	switch {
	case !slices.Contains([]string{"unclassified", "restricted", "confidential"}, m.Classification):
		return errs.New(errs.Invalid, op, "classification must be unclassified, restricted or confidential (secret information does not travel through the exchange)")
	case !slices.Contains([]string{"H0", "H1", "H2", "H3"}, m.HandlingCode):
		return errs.New(errs.Invalid, op, "handling_code must be H0, H1, H2 or H3")
	case !slices.Contains([]string{"A", "B", "C", "X"}, m.SourceEvaluation):
		return errs.New(errs.Invalid, op, "source_evaluation must be A, B, C or X")
	case !slices.Contains([]string{"1", "2", "3", "4"}, m.InformationEvaluation):
		return errs.New(errs.Invalid, op, "information_evaluation must be 1, 2, 3 or 4")
	case m.HandlingCode == "H3" && m.Restrictions == "":
		return errs.New(errs.Invalid, op, "handling code H3 needs the restriction written in restrictions")
	case m.HandlingCode == "H2" && m.OnwardAllowed:
		return errs.New(errs.Invalid, op, "H2 (no dissemination without permission) contradicts allowing onward transmission")
	}
	return nil
}

// ReleaseMessage is an owner's decision on a hit as it is sent through
// the secure exchange.
type ReleaseMessage struct {
	To       string // requesting node
	Subject  string // shown in NCU queues: no personal data
	CaseRefs []string
	Body     string
	Markings Markings
	Entity   *ReleasedEntity // nil for a refusal
}

// ReleasedEntity is the released part of a local entity.
type ReleasedEntity struct {
	Kind   string
	Label  string
	Fields map[string]string
}

// ExchangeSender opens a secure-exchange thread with one message to
// another node and returns the thread ID and the envelope ID waiting for
// this node's NCU.
//
// It writes inside the caller's transaction: the hit's decision, its audit
// entry, the exchange message and the notice to the requester commit
// together or not at all.
type ExchangeSender func(ctx context.Context, tx *store.Tx, p *auth.Principal, m ReleaseMessage) (threadID, envelopeID string, err error)

// releaseNotice links a hit to the exchange thread carrying the decision.
type releaseNotice struct {
	QueryID    string   `json:"query_id"`
	Reference  string   `json:"reference"`
	Refused    bool     `json:"refused"`
	ThreadID   string   `json:"thread_id"`
	Markings   Markings `json:"markings"`
	ReleasedBy string   `json:"released_by"`
	Agency     string   `json:"agency"`
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
	// Audit first: a search that cannot be logged must not happen.
	if err := s.record(ctx, entry(p, "cases.query.send", "query/"+q.ID, q.Purpose,
		fmt.Sprintf("case=%s peers=%s items=%d", q.CaseRef, strings.Join(peers, ","), len(items)))); err != nil {
		return OutQuery{}, err
	}
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
		return nil
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

// Hit is an item in the owner's hit inbox: what was asked, by whom and
// why, and which local entity it matched.
type Hit struct {
	Reference string            `json:"reference"`
	QueryID   string            `json:"query_id"`
	Peer      string            `json:"peer"`
	Item      int               `json:"item"`
	Score     float64           `json:"score"`
	Band      string            `json:"band"`
	Asked     Asked             `json:"asked"`
	Entity    Entity            `json:"entity"`
	State     string            `json:"state" enum:"new,released,refused"`
	DecidedBy string            `json:"decided_by,omitempty"`
	DecidedAt time.Time         `json:"decided_at,omitzero"`
	Reason    string            `json:"reason,omitempty"`
	Released  map[string]string `json:"released,omitempty"`
	ThreadID  string            `json:"thread_id,omitempty" doc:"secure-exchange thread that carries the decision to the requesting node"`
	CreatedAt time.Time         `json:"created_at"`
}

// Asked is the query item as the requesting node sent it.
type Asked struct {
	Kind      string            `json:"kind"`
	Fields    map[string]string `json:"fields"`
	Requester string            `json:"requester"`
	Agency    string            `json:"agency"`
	Purpose   string            `json:"purpose"`
	CaseRef   string            `json:"case_ref"`
}

const hitCols = `h.reference, h.query_id, h.peer, h.item, h.score, h.band, h.asked, h.state, h.decided_by, h.decided_at, h.reason, h.released, h.created_at, h.thread_id, ` +
	`e.pk, e.id, e.kind, e.label, e.fields, e.aliases, e.source, e.merged_into, e.created_by, e.created_at`

func scanHit(r interface{ Scan(...any) error }) (Hit, error) {
	var jc store.JSONColumns
	var h Hit
	var score, asked, dat, rel, cat string
	var e Entity
	var f, a, eat string
	err := r.Scan(&h.Reference, &h.QueryID, &h.Peer, &h.Item, &score, &h.Band, &asked, &h.State, &h.DecidedBy, &dat, &h.Reason, &rel, &cat, &h.ThreadID,
		&e.pk, &e.ID, &e.Kind, &e.Label, &f, &a, &e.Source, &e.MergedInto, &e.CreatedBy, &eat)
	if err != nil {
		return h, err
	}
	var perr error
	if h.Score, perr = strconv.ParseFloat(score, 64); perr != nil {
		return h, errs.Wrap(errs.Internal, "cases.scanHit", "stored data of hit "+h.Reference+" cannot be read (column score)", perr)
	}
	jc.Decode("asked", asked, &h.Asked)
	if rel != "" {
		jc.Decode("rel", rel, &h.Released)
	}
	jc.Decode("f", f, &e.Fields)
	jc.Decode("a", a, &e.Aliases)
	e.Aliases = nz(e.Aliases)
	e.CreatedAt = store.ParseTime(eat)
	h.Entity = e
	h.DecidedAt, h.CreatedAt = store.ParseTime(dat), store.ParseTime(cat)
	if err == nil {
		err = jc.Err("cases.scanHit", "hit "+h.Reference)
	}
	return h, err
}

// Hits lists the owner's hit inbox (state "new", "released", "refused" or
// "" for all), newest first. Reading is audited.
func (s *Service) Hits(ctx context.Context, p *auth.Principal, state string) ([]Hit, error) {
	q := `SELECT ` + hitCols + ` FROM cases_hits h JOIN cases_entities e ON e.id = h.entity_id`
	var args []any
	if state != "" {
		q += ` WHERE h.state = ?`
		args = append(args, state)
	}
	rows, err := s.d.Store.QueryContext(ctx, q+` ORDER BY h.created_at DESC LIMIT 500`, args...)
	if err != nil {
		return nil, unavailable("cases.Hits", err)
	}
	defer rows.Close()
	out := []Hit{}
	for rows.Next() {
		h, err := scanHit(rows)
		if err != nil {
			return nil, unavailable("cases.Hits", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("cases.Hits", err)
	}
	return out, s.record(ctx, entry(p, "cases.hits.list", "hits", "", "state="+state))
}

// GetHit returns one hit; audited.
func (s *Service) GetHit(ctx context.Context, p *auth.Principal, ref string) (Hit, error) {
	h, err := scanHit(s.d.Store.QueryRowContext(ctx, `SELECT `+hitCols+` FROM cases_hits h JOIN cases_entities e ON e.id = h.entity_id WHERE h.reference = ?`, ref))
	if err != nil {
		return Hit{}, store.NotFound(err, "cases.GetHit", "no such hit")
	}
	return h, s.record(ctx, entry(p, "cases.hit.read", "hit/"+ref, h.Asked.Purpose, "entity/"+h.Entity.ID))
}

// ReleaseInput is the owner's decision on a hit.
type ReleaseInput struct {
	Refuse   bool     `json:"refuse,omitempty" doc:"refuse to release; a reason is required"`
	Reason   string   `json:"reason,omitempty" maxLength:"1000"`
	Fields   []string `json:"fields,omitempty" maxItems:"50" doc:"names of the entity's fields to release"`
	Markings Markings `json:"markings"`
}

// Release decides a hit: the selected fields (or a refusal with its
// reason) go to the requesting node as a secure-exchange message with
// protective markings, which waits for this node's NCU and is routed by the
// requesting NCU into the requesting agency's exchange inbox. A
// cases.release notice without personal data links the hit to that
// thread on the requesting node. It returns the exchange envelope's ID.
func (s *Service) Release(ctx context.Context, p *auth.Principal, ref string, in ReleaseInput) (string, error) {
	const op = "cases.Release"
	if s.fed == nil || s.d.Exchange == nil {
		return "", errs.New(errs.Unavailable, op, "the secure exchange with other countries is not configured on this node")
	}
	in.Reason = textutil.Clip(strings.TrimSpace(in.Reason), 1000)
	if in.Refuse && in.Reason == "" {
		return "", errs.New(errs.Invalid, op, "a reason is required to refuse")
	}
	if in.Refuse && in.Markings.Classification == "" {
		// A refusal says only that and why: the owner's own statement.
		in.Markings = Markings{Classification: "unclassified", HandlingCode: "H0", SourceEvaluation: "A", InformationEvaluation: "1"}
	}
	if !in.Refuse && len(in.Fields) == 0 {
		return "", errs.New(errs.Invalid, op, "choose the fields to release (or refuse with a reason)")
	}
	if err := in.Markings.validate(op); err != nil {
		return "", err
	}
	h, err := scanHit(s.d.Store.QueryRowContext(ctx, `SELECT `+hitCols+` FROM cases_hits h JOIN cases_entities e ON e.id = h.entity_id WHERE h.reference = ?`, ref))
	if err != nil {
		return "", store.NotFound(err, op, "no such hit")
	}
	if h.State != "new" {
		return "", errs.Newf(errs.Conflict, op, "this hit was already %s", h.State)
	}
	released := map[string]string{}
	if !in.Refuse {
		for _, f := range in.Fields {
			f = strings.TrimSpace(f)
			if f == "aliases" {
				released[f] = strings.Join(h.Entity.Aliases, "; ")
				continue
			}
			v, ok := h.Entity.Fields[f]
			if !ok {
				return "", errs.Newf(errs.Invalid, op, "the entity has no field %q", f)
			}
			released[f] = v
		}
	}
	state, action := "released", "cases.release"
	if in.Refuse {
		state, action = "refused", "cases.refuse"
	}
	msg := ReleaseMessage{To: h.Peer, CaseRefs: []string{h.Asked.CaseRef}, Markings: in.Markings}
	asked := fmt.Sprintf("your hit/no-hit query %s, item %d (reference %s, %s match), asked by %s (%s) for case %s: %q",
		h.QueryID, h.Item, ref, h.Band, h.Asked.Requester, h.Asked.Agency, h.Asked.CaseRef, h.Asked.Purpose)
	if in.Refuse {
		msg.Subject = "Hit/no-hit: release refused (reference " + ref + ")"
		msg.Body = "The release of details on " + asked + " is refused.\n\nReason: " + in.Reason + "\n\nDecided by " + p.Username + " (" + p.Agency + ")."
	} else {
		lbl := label(entity.Kind(h.Entity.Kind), released)
		if lbl == "" {
			lbl = h.Entity.Kind + " " + ref
		}
		msg.Subject = "Hit/no-hit: details released (reference " + ref + ")"
		msg.Body = "Details released on " + asked + ".\n\nReleased fields: " + strings.Join(sortedKeys(released), ", ") +
			"\n\nDecided by " + p.Username + " (" + p.Agency + "). The protective markings of this message apply to the released details."
		msg.Entity = &ReleasedEntity{Kind: h.Entity.Kind, Label: textutil.Clip(strings.TrimSpace(lbl), 200), Fields: released}
	}
	var envID string
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		// The claim fails when another officer decided the hit meanwhile.
		res, err := tx.ExecContext(ctx, `UPDATE cases_hits SET state = ?, decided_by = ?, decided_at = ?, reason = ?, released = ? WHERE reference = ? AND state = 'new'`,
			state, p.Username, store.FormatTime(s.now()), in.Reason, jsonText(released), ref)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.New(errs.Conflict, op, "this hit was decided meanwhile")
		}
		threadID, env, err := s.d.Exchange(ctx, tx, p, msg)
		if err != nil {
			return err
		}
		envID = env
		if _, err := tx.ExecContext(ctx, `UPDATE cases_hits SET thread_id = ?, envelope_id = ? WHERE reference = ?`, threadID, envID, ref); err != nil {
			return err
		}
		notice := releaseNotice{QueryID: h.QueryID, Reference: ref, Refused: in.Refuse, ThreadID: threadID, Markings: in.Markings, ReleasedBy: p.Username, Agency: p.Agency}
		if _, err := s.fed.Enqueue(ctx, tx, federation.Outgoing{To: h.Peer, Type: TypeRelease, Conversation: h.QueryID, Payload: notice,
			Summary: fmt.Sprintf("hit/no-hit %s for query %s: exchange thread %s", state, h.QueryID, threadID), Actor: p}); err != nil {
			return err
		}
		return s.d.Audit.Queue(ctx, tx, entry(p, action, "hit/"+ref, h.Asked.Purpose, fmt.Sprintf("query=%s to=%s entity/%s fields=%s reason=%s thread=%s",
			h.QueryID, h.Peer, h.Entity.ID, strings.Join(sortedKeys(released), ","), in.Reason, threadID)))
	})
	if err != nil {
		if errs.Is(err, errs.Conflict) || errs.Is(err, errs.Invalid) || errs.Is(err, errs.Forbidden) {
			return "", err
		}
		return "", unavailable(op, err)
	}
	s.fed.Notify()
	return envID, nil
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (s *Service) handleRelease(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	var r releaseNotice
	if err := json.Unmarshal(in.Payload, &r); err != nil {
		return errs.Wrap(errs.Invalid, "cases.handleRelease", "malformed release notice", err)
	}
	var purpose, agency string
	if err := tx.QueryRowContext(ctx, `SELECT purpose, agency FROM cases_queries WHERE id = ?`, r.QueryID).Scan(&purpose, &agency); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return errs.New(errs.NotFound, "cases.handleRelease", "release for an unknown query")
		}
		return err
	}
	// The notice goes to the agency that asked; the details follow in
	// the exchange thread, which the NCU routes.
	routed := in.RoutedTo
	if routed == "" {
		routed = agency
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO cases_releases (id, query_id, peer, reference, refused, markings, released_by, routed_to, received_at, thread_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, in.ID, r.QueryID, in.From, textutil.Clip(strings.TrimSpace(r.Reference), 64), store.BoolInt(r.Refused), jsonText(r.Markings),
		textutil.Clip(strings.TrimSpace(r.ReleasedBy), 100), routed, store.FormatTime(s.now()), textutil.Clip(strings.TrimSpace(r.ThreadID), 64))
	if err != nil {
		return err
	}
	what := "released"
	if r.Refused {
		what = "refused"
	}
	return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: in.From + ":" + textutil.Clip(strings.TrimSpace(r.ReleasedBy), 100), Agency: textutil.Clip(strings.TrimSpace(r.Agency), 100), Action: "cases.release.receive",
		Object: "query/" + r.QueryID, Purpose: purpose, Detail: fmt.Sprintf("%s ref=%s thread=%s", what, textutil.Clip(strings.TrimSpace(r.Reference), 64), textutil.Clip(strings.TrimSpace(r.ThreadID), 64))})
}

// CountHits counts the owner's hits in a state, without reading them (menus
// show it on every page, so it is not audited).
func (s *Service) CountHits(ctx context.Context, state string) (int, error) {
	var n int
	if err := s.d.Store.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases_hits WHERE state = ?`, state).Scan(&n); err != nil {
		return 0, unavailable("cases.CountHits", err)
	}
	return n, nil
}
