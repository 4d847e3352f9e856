package cases

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/match"
	"github.com/liaison-wb/liaison/internal/match/candidx"
	"github.com/liaison-wb/liaison/internal/match/pprl"
)

// Privacy-preserving hit/no-hit. With a regional secret configured, every
// node keeps, beside the candidate index, an index of keyed Bloom-filter
// encodings (internal/match/pprl) of its stored entities, maintained at
// import and on every change through the same calls. A private query
// carries for each item only its encoding and keyed blocking keys (the
// engine's blocking keys through a keyed hash); the owner looks the keys
// up, scores the candidates' encodings with Dice, turns Dice into a match
// probability with the fitted Dice model and answers with the engine's
// decision bands exactly as for a plain query. Neither side sees the
// other's personal data until the owner releases a hit.
//
// The query carries the schema digest and key check value; an owner that
// derives another check value answers with a configuration error instead
// of no-hits. During a key rotation the previous key is still answered,
// and the new key's index is built in the background.

// Query modes.
const (
	ModePlain   = "plain"
	ModePrivate = "private"
)

// Configuration errors a peer may answer instead of hits.
const (
	ErrCodeKeyMismatch     = "pprl-key-mismatch"
	ErrCodeSchemaMismatch  = "pprl-schema-mismatch"
	ErrCodeNotConfigured   = "pprl-not-configured"
	ErrCodePrivateRequired = "private-mode-required"
	ErrCodeKeyRotating     = "pprl-key-rotating"
)

// PrivateConfig configures privacy-preserving matching on a node.
type PrivateConfig struct {
	// Schema is the linkage schema; nil for the regional default.
	Schema *pprl.Schema
	// Secret is the regional secret the keys are derived from; empty
	// turns private mode off. Never logged.
	Secret []byte
	// Previous is the secret before a rotation: queries under it are still
	// answered until every partner has moved.
	Previous []byte
	// RequirePrivate refuses plain queries from peers: they are answered
	// with a configuration error, never matched.
	RequirePrivate bool
}

// PrivateProbe is one item of a private query on the wire: only the keyed
// encoding (base64) and the keyed blocking keys (base64 of little-endian
// 64-bit words).
type PrivateProbe struct {
	CLK    string `json:"clk,omitempty" doc:"keyed Bloom-filter encoding of a person, base64"`
	Blocks string `json:"blocks" doc:"keyed blocking keys, base64"`
}

// privRec is what the private index keeps of an entity: whether it is a
// person and, for persons, the encodings of the record and of each alias.
// Other kinds are found by their keyed identifier keys alone, which are
// tagged by kind.
type privRec struct {
	person bool
	encs   []pprl.Encoding
}

type privIndex struct {
	key *pprl.Key
	ix  *candidx.Index[int64, privRec]
}

// privState holds the current key's index, the previous key's during a
// rotation, and the next key's while it is built.
type privState struct {
	mu                  sync.RWMutex
	cur, prev, building *privIndex
	model               *pprl.DiceModel
}

func newPrivIndex(k *pprl.Key) *privIndex {
	return &privIndex{key: k, ix: candidx.New[int64, privRec]()}
}

// setupPrivate derives the keys from the configuration.
func (s *Service) setupPrivate() error {
	c := s.d.Private
	if len(c.Secret) == 0 {
		return nil
	}
	if c.Schema == nil {
		c.Schema = pprl.DefaultSchema()
		s.d.Private.Schema = c.Schema
	}
	k, err := pprl.NewKey(c.Schema, c.Secret)
	if err != nil {
		return err
	}
	s.pv.cur = newPrivIndex(k)
	// The field-wise model when the schema has the default's field groups,
	// household members pooled with the other non-matches (Pooled).
	s.pv.model = pprl.DefaultDiceModel().ForSchema(c.Schema).Pooled()
	if len(c.Previous) > 0 {
		pk, err := pprl.NewKey(c.Schema, c.Previous)
		if err != nil {
			return err
		}
		s.pv.prev = newPrivIndex(pk)
	}
	return nil
}

// PrivateEnabled reports whether this node can send and answer private
// queries.
func (s *Service) PrivateEnabled() bool {
	s.pv.mu.RLock()
	defer s.pv.mu.RUnlock()
	return s.pv.cur != nil
}

// RequirePrivate reports whether this node answers only private queries.
func (s *Service) RequirePrivate() bool { return s.d.Private.RequirePrivate }

// PrivateFingerprint is the schema digest and key check value of the
// current key ("" when private mode is off).
func (s *Service) PrivateFingerprint() string {
	s.pv.mu.RLock()
	defer s.pv.mu.RUnlock()
	if s.pv.cur == nil {
		return ""
	}
	return s.pv.cur.key.Fingerprint()
}

func (s *Service) privIndexes() []*privIndex {
	s.pv.mu.RLock()
	defer s.pv.mu.RUnlock()
	var out []*privIndex
	for _, px := range []*privIndex{s.pv.cur, s.pv.prev, s.pv.building} {
		if px != nil {
			out = append(out, px)
		}
	}
	return out
}

func keyedInt64(k *pprl.Key, keys []int64) []int64 {
	raw := make([]uint64, len(keys))
	for i, x := range keys {
		raw[i] = uint64(x)
	}
	kb := k.KeyedBlocks(raw, nil)
	out := make([]int64, len(kb))
	for i, x := range kb {
		out[i] = int64(x)
	}
	return out
}

// privItem computes what the private index keeps of an indexed entity.
func (px *privIndex) item(it memItem) candidx.Item[int64, privRec] {
	out := candidx.Item[int64, privRec]{ID: it.ID, Keys: keyedInt64(px.key, it.Keys), Rec: privRec{person: it.Rec.person}}
	// The candidate index keeps a person's engine records as bytes.
	for b := it.Blob; len(b) > 0; {
		p, rest, err := entity.ReadPersonBinary(b)
		if err != nil {
			break
		}
		out.Rec.encs = append(out.Rec.encs, px.key.Encode(&p))
		b = rest
	}
	return out
}

func (px *privIndex) add(items []memItem, replace bool) {
	if len(items) == 0 {
		return
	}
	conv := make([]candidx.Item[int64, privRec], len(items))
	if len(items) == 1 {
		conv[0] = px.item(items[0])
	} else {
		// An import adds a chunk at a time: encode it on every core.
		parallel(len(items), func(i int) { conv[i] = px.item(items[i]) })
	}
	px.ix.Add(conv, replace)
}

// indexAdd puts entities into the candidate index and every private index.
func (s *Service) indexAdd(items []memItem, replace bool) {
	s.ix.Add(items, replace)
	for _, px := range s.privIndexes() {
		px.add(items, replace)
	}
}

// indexSetDead marks entities merged (or restored) in every index.
func (s *Service) indexSetDead(pks []int64, dead bool) {
	s.ix.SetDead(pks, dead)
	for _, px := range s.privIndexes() {
		px.ix.SetDead(pks, dead)
	}
}

// buildPrivate encodes every live entity into px (in the background at
// startup and after a key rotation).
func (s *Service) buildPrivate(ctx context.Context, px *privIndex) error {
	t0 := time.Now()
	st, err := px.ix.Build(ctx, func(ctx context.Context, known func([]int64) []bool, emit func([]candidx.Item[int64, privRec])) error {
		return s.streamEntities(ctx, known, func(items []memItem) {
			conv := make([]candidx.Item[int64, privRec], len(items))
			parallel(len(items), func(i int) { conv[i] = px.item(items[i]) })
			emit(conv)
		})
	})
	if err == nil && st.Build > 0 && time.Since(t0) >= st.Build {
		s.d.Logger.Info("cases: private encoding index built", "entities", st.Entities, "took", st.Build.Round(time.Millisecond), "key", px.key.Fingerprint())
	}
	return err
}

// WarmPrivate builds the private indexes not built yet.
func (s *Service) WarmPrivate(ctx context.Context) error {
	for _, px := range s.privIndexes() {
		if err := s.buildPrivate(ctx, px); err != nil {
			return err
		}
	}
	return nil
}

// RotateKey starts using a new regional secret: the node's entities are
// re-encoded under it in the background; when that is done the new key
// becomes current and the old one previous (still answered, so partners
// can rotate one after another). Returns the new fingerprint.
func (s *Service) RotateKey(ctx context.Context, secret []byte) (string, error) {
	const op = "cases.RotateKey"
	if s.d.Private.Schema == nil || !s.PrivateEnabled() {
		return "", errs.New(errs.Invalid, op, "private matching is not configured on this node")
	}
	k, err := pprl.NewKey(s.d.Private.Schema, secret)
	if err != nil {
		return "", errs.New(errs.Invalid, op, "the regional secret must be at least 16 bytes")
	}
	px := newPrivIndex(k)
	s.pv.mu.Lock()
	if s.pv.building != nil {
		s.pv.mu.Unlock()
		return "", errs.New(errs.Conflict, op, "a key rotation is already running")
	}
	s.pv.building = px
	s.pv.mu.Unlock()
	go func() {
		err := s.buildPrivate(context.WithoutCancel(ctx), px)
		s.pv.mu.Lock()
		defer s.pv.mu.Unlock()
		s.pv.building = nil
		if err != nil {
			s.d.Logger.Error("cases: re-encoding under the new key failed; the old key stays", "err", err)
			return
		}
		s.pv.prev, s.pv.cur = s.pv.cur, px
		s.d.Logger.Info("cases: regional key rotated", "key", k.Fingerprint())
	}()
	return k.Fingerprint(), nil
}

// RotationDone reports whether no key rotation is running.
func (s *Service) RotationDone() bool {
	s.pv.mu.RLock()
	defer s.pv.mu.RUnlock()
	return s.pv.building == nil
}

func parallel(n int, fn func(i int)) {
	workers := min(n, 4)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				fn(i)
			}
		}(w)
	}
	wg.Wait()
}

func packKeys(keys []int64) string {
	b := make([]byte, 8*len(keys))
	for i, k := range keys {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(k))
	}
	return base64.StdEncoding.EncodeToString(b)
}

func unpackKeys(s string) ([]int64, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b)%8 != 0 || len(b) > 8*256 {
		return nil, errors.New("blocking keys unreadable")
	}
	out := make([]int64, len(b)/8)
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return out, nil
}

// privateProbe encodes a normalised probe under the current key.
func (s *Service) privateProbe(k *pprl.Key, kind entity.Kind, f map[string]string) PrivateProbe {
	if kind == entity.KindPerson {
		p := personVariants("probe", f, nil, s.d.Region)[0]
		raw := personKeys(p, nil)
		return PrivateProbe{CLK: k.Encode(&p).String(), Blocks: packKeys(keyedInt64(k, raw))}
	}
	keys, _ := identKeys(kind, f, nil)
	return PrivateProbe{Blocks: packKeys(keyedInt64(k, keys))}
}

// privateCandidateLimit bounds the encodings scored per private item.
const privateCandidateLimit = 64

// privIndexFor finds the index of a query's fingerprint, or the
// configuration error to answer.
func (s *Service) privIndexFor(fp string) (*privIndex, string) {
	s.pv.mu.RLock()
	defer s.pv.mu.RUnlock()
	if s.pv.cur == nil {
		return nil, ErrCodeNotConfigured
	}
	for _, px := range []*privIndex{s.pv.cur, s.pv.prev} {
		if px != nil && px.key.Fingerprint() == fp {
			return px, ""
		}
	}
	if b := s.pv.building; b != nil && b.key.Fingerprint() == fp {
		return nil, ErrCodeKeyRotating
	}
	digest, _, _ := cutFP(fp)
	if digest != s.pv.cur.key.Schema().Digest() {
		return nil, ErrCodeSchemaMismatch
	}
	return nil, ErrCodeKeyMismatch
}

func cutFP(fp string) (string, string, bool) {
	for i := 0; i < len(fp); i++ {
		if fp[i] == '/' {
			return fp[:i], fp[i+1:], true
		}
	}
	return fp, "", false
}

// privBest is the best stored entity for a private item.
type privBest struct {
	pk    int64
	score float64
	dice  float64
}

// scorePrivate looks a private item's keyed blocking keys up in px and
// scores the candidates' encodings with Dice and the fitted Dice model;
// nil when nothing reaches the medium band.
func (s *Service) scorePrivate(px *privIndex, it QueryItem) *privBest {
	if it.Private == nil {
		return nil
	}
	keys, err := unpackKeys(it.Private.Blocks)
	if err != nil {
		return nil // an item we cannot read is a no-hit
	}
	kind, ok := entity.ParseKind(it.Kind)
	if !ok {
		return nil
	}
	var probe pprl.Encoding
	if kind == entity.KindPerson {
		if probe, err = px.key.Schema().ParseEncoding(it.Private.CLK); err != nil {
			return nil
		}
	}
	var b *privBest
	for _, c := range px.ix.Lookup(keys, privateCandidateLimit, commonKey) {
		if c.Rec.person != (kind == entity.KindPerson) {
			continue
		}
		var score, dice float64
		if kind == entity.KindPerson {
			// The best of the record's and its aliases' encodings.
			for i := range c.Rec.encs {
				sc, d := s.pv.model.Match(&probe, &c.Rec.encs[i])
				if sc > score || (sc == score && d > dice) {
					score, dice = sc, d
				}
			}
		} else {
			score, dice = 1, 1 // an exact keyed identifier
		}
		if score < medScore {
			continue
		}
		if b == nil || score > b.score || (score == b.score && dice > b.dice) {
			b = &privBest{pk: c.ID, score: score, dice: dice}
		}
	}
	return b
}

// matchPrivate scores private items against px and returns for each its
// best candidate at or above the medium band (nil for no hit).
func (s *Service) matchPrivate(ctx context.Context, px *privIndex, items []QueryItem) ([]*Candidate, error) {
	if px.ix.State() != candidx.Ready {
		if err := s.buildPrivate(ctx, px); err != nil {
			return nil, err
		}
	}
	found := make([]*privBest, len(items))
	for i, it := range items {
		found[i] = s.scorePrivate(px, it)
	}
	var need []int64
	for _, b := range found {
		if b != nil {
			need = append(need, b.pk)
		}
	}
	got, err := s.entitiesByPK(ctx, s.d.Store, need)
	if err != nil {
		return nil, err
	}
	out := make([]*Candidate, len(items))
	for i, b := range found {
		if b == nil {
			continue
		}
		e, ok := got[b.pk]
		if !ok {
			continue
		}
		out[i] = &Candidate{Entity: e, Score: b.score, Band: band(b.score),
			Explanation: []match.FieldExplanation{{Field: "encoding", Level: "dice " + strconv.FormatFloat(b.dice, 'f', 3, 64)}}}
	}
	return out, nil
}
