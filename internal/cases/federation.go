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
	"strings"
	"sync"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/match/pprl"
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

// MaxPrivateBatch bounds the items of one private query: each person
// carries its encodings (record-level and field-group filters, about 380
// bytes of base64) and keyed blocking keys, and the query must fit in one
// federation envelope (federation.MaxPayloadBytes).
const MaxPrivateBatch = 5000

// QueryItem is one searched entity in a query envelope.
type QueryItem struct {
	N int `json:"n" doc:"position of the item in the query"`
	Probe
	// Private holds the item of a private query as it travels (and as the
	// owner keeps it): only keyed encodings; Fields are then empty.
	Private *PrivateProbe `json:"private,omitempty"`
}

type queryPayload struct {
	QueryID   string      `json:"query_id"`
	Mode      string      `json:"mode,omitempty"`
	Key       string      `json:"pprl_key,omitempty"` // schema digest / key check value
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
	// Error is a peer's configuration error instead of an answer
	// (pprl-key-mismatch, pprl-schema-mismatch, pprl-not-configured,
	// private-mode-required): the query was not matched there.
	Error string `json:"error,omitempty" enum:",pprl-key-mismatch,pprl-schema-mismatch,pprl-not-configured,private-mode-required,pprl-key-rotating"`
}

type answerPayload struct {
	QueryID string       `json:"query_id"`
	Results []AnswerItem `json:"results"`
	Error   string       `json:"error,omitempty"`
}

// RegisterFederation registers the message types; call before the
// federation service runs.
func (s *Service) RegisterFederation(f *federation.Service) {
	s.fed = f
	f.Register(TypeQuery, federation.TypeSpec{Handle: s.handleQuery})
	f.Register(TypeAnswer, federation.TypeSpec{Handle: s.handleAnswer})
	f.Register(TypeRelease, federation.TypeSpec{Handle: s.handleRelease})
	f.Register(TypeStats, federation.TypeSpec{Handle: s.handleStats})
	s.registerDeconf(f)
}

// QueryInput is a cross-border hit/no-hit search.
type QueryInput struct {
	Purpose string   `json:"purpose" minLength:"1" maxLength:"500" doc:"why the search is made; recorded on both sides"`
	CaseRef string   `json:"case_ref" minLength:"1" maxLength:"100" doc:"the requesting case reference"`
	Peers   []string `json:"peers" minItems:"1" maxItems:"20" doc:"node IDs to ask"`
	Items   []Probe  `json:"items" minItems:"1" maxItems:"10000"`
	Mode    string   `json:"mode,omitempty" enum:"plain,private" doc:"plain sends the probe's fields; private sends only keyed Bloom-filter encodings and keyed blocking keys (default plain)"`
}

// OutQuery is a query sent by this node, with the answers so far.
type OutQuery struct {
	ID        string       `json:"id"`
	Purpose   string       `json:"purpose"`
	CaseRef   string       `json:"case_ref"`
	Mode      string       `json:"mode" enum:"plain,private"`
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
	var key *pprl.Key
	switch in.Mode {
	case "", ModePlain:
		in.Mode = ModePlain
	case ModePrivate:
		s.pv.mu.RLock()
		if s.pv.cur != nil {
			key = s.pv.cur.key
		}
		s.pv.mu.RUnlock()
		if key == nil {
			return OutQuery{}, &errs.E{Kind: errs.Invalid, Op: op, Code: ErrCodeNotConfigured, Msg: "private queries need a regional secret on this node (LIAISON_PPRL_SECRET)"}
		}
		if len(in.Items) > MaxPrivateBatch {
			return OutQuery{}, errs.Newf(errs.TooLarge, op, "at most %d entities per private query (each carries its encodings); split the batch", MaxPrivateBatch)
		}
	default:
		return OutQuery{}, errs.New(errs.Invalid, op, "mode must be plain or private")
	}
	items := make([]QueryItem, len(in.Items))
	for i, pr := range in.Items {
		kind, f, err := s.prepareProbe(pr)
		if err != nil {
			return OutQuery{}, errs.Newf(errs.Invalid, op, "item %d: %v", i+1, err)
		}
		items[i] = QueryItem{N: i + 1, Probe: Probe{Kind: string(kind), Fields: f}}
	}
	q := OutQuery{ID: store.NewID(), Purpose: in.Purpose, CaseRef: in.CaseRef, Mode: in.Mode, Peers: peers, Items: items, CreatedBy: p.Username, Agency: p.Agency,
		CreatedAt: s.now(), Results: []PeerResult{}, Releases: []Release{}, Pending: peers}
	payload := queryPayload{QueryID: q.ID, Mode: in.Mode, Purpose: q.Purpose, CaseRef: q.CaseRef, Requester: p.Username, Agency: p.Agency, Items: items}
	summary := fmt.Sprintf("hit/no-hit query %s: %d item(s), case %s", q.ID, len(items), q.CaseRef)
	if key != nil {
		// Only the encodings travel; the probe in clear stays here.
		wire := make([]QueryItem, len(items))
		for i, it := range items {
			pp := s.privateProbe(key, entity.Kind(it.Kind), it.Fields)
			wire[i] = QueryItem{N: it.N, Probe: Probe{Kind: it.Kind}, Private: &pp}
		}
		payload.Items, payload.Key = wire, key.Fingerprint()
		summary = fmt.Sprintf("private hit/no-hit query %s: %d item(s), case %s", q.ID, len(items), q.CaseRef)
	}
	err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := insertQuery(ctx, tx, q); err != nil {
			return err
		}
		for _, peer := range peers {
			if _, err := s.fed.Enqueue(ctx, tx, federation.Outgoing{To: peer, Type: TypeQuery, Conversation: q.ID, Payload: payload,
				Summary: summary, Actor: p}); err != nil {
				return err
			}
		}
		// A search that cannot be logged must not happen: the query, its
		// envelopes and its audit entry commit together.
		return s.queue(ctx, tx, entry(p, "cases.query.send", "query/"+q.ID, q.Purpose,
			fmt.Sprintf("case=%s peers=%s items=%d mode=%s", q.CaseRef, strings.Join(peers, ","), len(items), q.Mode)))
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
	if err := insertInbound(ctx, tx, inbound{id: in.ID, queryID: textutil.Clip(strings.TrimSpace(q.QueryID), 64), peer: in.From, purpose: textutil.Clip(strings.TrimSpace(q.Purpose), 500),
		caseRef: textutil.Clip(strings.TrimSpace(q.CaseRef), 100), requester: textutil.Clip(strings.TrimSpace(q.Requester), 100), agency: textutil.Clip(strings.TrimSpace(q.Agency), 100),
		items: q.Items, mode: queryMode(q.Mode), key: textutil.Clip(strings.TrimSpace(q.Key), 64)}, s.now()); err != nil {
		return err
	}
	if err := s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: in.From + ":" + textutil.Clip(strings.TrimSpace(q.Requester), 100), Agency: textutil.Clip(strings.TrimSpace(q.Agency), 100), Action: "cases.query.receive",
		Object: "query/" + textutil.Clip(strings.TrimSpace(q.QueryID), 64), Purpose: textutil.Clip(strings.TrimSpace(q.Purpose), 500), Detail: fmt.Sprintf("from=%s case=%s items=%d mode=%s", in.From, textutil.Clip(strings.TrimSpace(q.CaseRef), 100), len(q.Items), queryMode(q.Mode))}); err != nil {
		return err
	}
	s.notify()
	return nil
}

// queryMode is the mode of a received query (plain unless it says private).
func queryMode(m string) string {
	if m == ModePrivate {
		return ModePrivate
	}
	return ModePlain
}

type inbound struct {
	id, queryID, peer, purpose, caseRef, requester, agency string
	mode, key                                              string
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
		todo, err := dueInbound(ctx, s.d.Store, now, 20)
		if err != nil {
			return done, err
		}
		if len(todo) == 0 {
			return done, nil
		}
		for _, q := range todo {
			err := q.unreadable
			if err != nil {
				s.d.Logger.Error("cases: stored query cannot be read", "inbound", q.id, "query", q.queryID, "peer", q.peer, "err", err)
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
	return retryInbound(ctx, s.d.Store, q.id, attempts, s.now().Add(wait), textutil.Clip(strings.TrimSpace(errs.SafeMessage(cause)), 500), state)
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
			// An item this node cannot read (the requester checked it
			// under its own rules) is a no-hit; the field, not the value,
			// is logged.
			field := ""
			if fe, ok := errors.AsType[*FieldError](err); ok {
				field = fe.Field
			}
			s.d.Logger.Warn("cases: a query item could not be read; answered no hit", "item", items[i].N, "field", field)
			return
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
	var best []*Candidate
	var err error
	refused := ""
	switch {
	case q.mode == ModePrivate:
		px, code := s.privIndexFor(q.key)
		if code == ErrCodeKeyRotating {
			return errs.New(errs.Unavailable, op, "re-encoding under the new regional key; the query is answered when it is done")
		}
		if px == nil {
			refused = code
			s.d.Logger.Error("cases: private query not answerable: the regional key or schema differs from the requester's", "peer", q.peer, "query", q.queryID, "error", code, "theirs", q.key, "ours", s.PrivateFingerprint())
			break
		}
		best, err = s.matchPrivate(ctx, px, q.items)
	case s.d.Private.RequirePrivate:
		refused = ErrCodePrivateRequired
	default:
		best, err = s.MatchBatch(ctx, q.items)
	}
	if err != nil {
		return unavailable(op, err)
	}
	if best == nil {
		best = make([]*Candidate, len(q.items))
	}
	results := make([]AnswerItem, len(q.items))
	var hits []localHit
	for i, it := range q.items {
		results[i] = AnswerItem{N: it.N, Error: refused}
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
		Purpose: q.purpose, Detail: answerDetail(q, len(hits), refused)}}
	for _, h := range hits {
		entries = append(entries, audit.Entry{Actor: q.peer + ":" + q.requester, Agency: q.agency, Action: "cases.hit", Object: "entity/" + h.entity.ID,
			Purpose: q.purpose, Detail: fmt.Sprintf("query=%s item=%d ref=%s band=%s", q.queryID, h.item.N, h.reference, h.band)})
	}
	now := s.now()
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		claimed, err := markAnswered(ctx, tx, q.id, len(hits), now)
		if err != nil || !claimed {
			return err // !claimed: answered meanwhile
		}
		for _, h := range hits {
			asked := map[string]any{"kind": h.item.Kind, "fields": h.item.Fields, "requester": q.requester, "agency": q.agency, "purpose": q.purpose, "case_ref": q.caseRef, "mode": q.mode}
			if err := insertHit(ctx, tx, newHit{reference: h.reference, inboundID: q.id, queryID: q.queryID, peer: q.peer, item: h.item.N, entityID: h.entity.ID,
				score: h.score, band: h.band, asked: asked}, now); err != nil {
				return err
			}
		}
		if _, err := s.fed.Enqueue(ctx, tx, federation.Outgoing{To: q.peer, Type: TypeAnswer, Conversation: q.queryID, Payload: answerPayload{QueryID: q.queryID, Results: results, Error: refused},
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

func answerDetail(q inbound, hits int, refused string) string {
	d := fmt.Sprintf("from=%s case=%s items=%d hits=%d mode=%s", q.peer, q.caseRef, len(q.items), hits, q.mode)
	if refused != "" {
		d += " refused=" + refused
	}
	return d
}

func (s *Service) handleAnswer(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	var a answerPayload
	if err := json.Unmarshal(in.Payload, &a); err != nil {
		return errs.Wrap(errs.Invalid, "cases.handleAnswer", "malformed answer", err)
	}
	by, purpose, _, err := queryAsker(ctx, tx, a.QueryID)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return errs.New(errs.NotFound, "cases.handleAnswer", "answer to an unknown query")
		}
		return err
	}
	now := s.now()
	hits := 0
	for _, r := range a.Results {
		b := ""
		if r.Hit {
			hits++
			b = r.Band
		}
		r.Reference, r.Band = textutil.Clip(strings.TrimSpace(r.Reference), 64), textutil.Clip(strings.TrimSpace(b), 10)
		r.Error = answerError(r.Error, a.Error)
		if err := insertQueryResult(ctx, tx, a.QueryID, in.From, r, now); err != nil {
			return err
		}
	}
	return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: by, Action: "cases.answer.receive", Object: "query/" + a.QueryID, Purpose: purpose,
		Detail: fmt.Sprintf("from=%s items=%d hits=%d%s", in.From, len(a.Results), hits, errDetail(a.Error))})
}

// answerError keeps a known configuration error code of an answer.
func answerError(item, whole string) string {
	e := item
	if e == "" {
		e = whole
	}
	switch e {
	case ErrCodeKeyMismatch, ErrCodeSchemaMismatch, ErrCodeNotConfigured, ErrCodePrivateRequired, ErrCodeKeyRotating:
		return e
	case "":
		return ""
	}
	return "error"
}

func errDetail(e string) string {
	if e == "" {
		return ""
	}
	return " error=" + textutil.Clip(e, 40)
}

// Query returns one query sent by this node with answers and releases.
// Releases are shown to the agency the NCU routed them to and to the NCU.
func (s *Service) Query(ctx context.Context, p *auth.Principal, id string) (OutQuery, error) {
	const op = "cases.Query"
	q, err := queryByID(ctx, s.d.Store, id)
	if err != nil {
		return q, store.NotFound(err, op, "no such query")
	}
	if q.CreatedBy != p.Username && q.Agency != p.Agency && !p.Has(auth.RoleNCUOperator) {
		return OutQuery{}, errs.New(errs.NotFound, op, "no such query")
	}
	if q.Results, err = queryResults(ctx, s.d.Store, id); err != nil {
		return q, unavailable(op, err)
	}
	answered := map[string]bool{}
	for _, r := range q.Results {
		if r.Hit {
			q.Hits++
		}
		answered[r.Peer] = true
	}
	q.Pending = []string{}
	for _, peer := range q.Peers {
		if !answered[peer] {
			q.Pending = append(q.Pending, peer)
		}
	}
	routedTo := p.Agency
	if p.Has(auth.RoleNCUOperator) {
		routedTo = ""
	}
	if q.Releases, err = queryReleases(ctx, s.d.Store, id, routedTo); err != nil {
		return q, unavailable(op, err)
	}
	return q, s.record(ctx, entry(p, "cases.query.read", "query/"+id, q.Purpose, fmt.Sprintf("hits=%d releases=%d", q.Hits, len(q.Releases))))
}

// QuerySummary is a line in the list of sent queries.
type QuerySummary struct {
	ID        string    `json:"id"`
	Purpose   string    `json:"purpose"`
	CaseRef   string    `json:"case_ref"`
	Mode      string    `json:"mode" enum:"plain,private"`
	Peers     []string  `json:"peers"`
	Items     int       `json:"items"`
	Hits      int       `json:"hits"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// Queries lists queries sent by the caller's agency (all for the NCU).
func (s *Service) Queries(ctx context.Context, p *auth.Principal) ([]QuerySummary, error) {
	agency := p.Agency
	if p.Has(auth.RoleNCUOperator) {
		agency = ""
	}
	out, err := querySummaries(ctx, s.d.Store, agency)
	if err != nil {
		return nil, unavailable("cases.Queries", err)
	}
	return out, s.record(ctx, entry(p, "cases.query.list", "queries", "", ""))
}
