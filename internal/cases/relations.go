// Relations between entities, and merging duplicate entities.

package cases

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// Relation is a typed link between two entities.
type Relation struct {
	ID        string    `json:"id"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Type      string    `json:"type"`
	Note      string    `json:"note,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// RelationInput creates a relation.
type RelationInput struct {
	From string `json:"from" maxLength:"64"`
	To   string `json:"to" maxLength:"64"`
	Type string `json:"type" doc:"member_of, owns, uses, called, paid, travelled_with or related_to"`
	Note string `json:"note,omitempty" maxLength:"1000"`
}

// Relate links two entities; an identical relation is not duplicated.
func (s *Service) Relate(ctx context.Context, p *auth.Principal, in RelationInput) (Relation, error) {
	const op = "cases.Relate"
	in.Type = strings.ToLower(strings.TrimSpace(in.Type))
	if !slices.Contains(RelationTypes, in.Type) {
		return Relation{}, errs.Newf(errs.Invalid, op, "type %q is not a relation type (%s)", in.Type, strings.Join(RelationTypes, ", "))
	}
	if in.From == in.To {
		return Relation{}, errs.New(errs.Invalid, op, "an entity cannot be related to itself")
	}
	r := Relation{ID: store.NewID(), From: in.From, To: in.To, Type: in.Type, Note: textutil.Clip(strings.TrimSpace(in.Note), 1000), CreatedAt: s.now()}
	created := false
	err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		created, err = s.relate(ctx, tx, &r)
		if err != nil || !created {
			return err
		}
		return s.queue(ctx, tx, entry(p, "cases.relation.create", "entity/"+r.From, "", r.Type+" entity/"+r.To))
	})
	if err != nil {
		return Relation{}, unavailable(op, err)
	}
	return r, nil
}

func (s *Service) relate(ctx context.Context, tx *store.Tx, r *Relation) (bool, error) {
	n, err := countEntitiesIn(ctx, tx, r.From, r.To)
	if err != nil {
		return false, err
	}
	if n != 2 {
		return false, errs.New(errs.NotFound, "cases.Relate", "both entities must exist")
	}
	return insertRelation(ctx, tx, *r)
}

func (s *Service) relationsOf(ctx context.Context, id string) ([]Relation, error) {
	out, err := relationsOf(ctx, s.d.Store, id)
	if err != nil {
		return nil, unavailable("cases.relations", err)
	}
	return out, nil
}

func (s *Service) relationsAmong(ctx context.Context, ids []string) ([]Relation, error) {
	if len(ids) == 0 || len(ids) > 400 {
		return []Relation{}, nil
	}
	out, err := relationsAmong(ctx, s.d.Store, ids)
	if err != nil {
		return nil, unavailable("cases.relations", err)
	}
	return out, nil
}

// Merge marks dup as a duplicate of keep: dup disappears from searches and
// answers, its cases and relations stay recorded under its own ID (so the
// provenance of every fact is kept), and Unmerge restores it.
func (s *Service) Merge(ctx context.Context, p *auth.Principal, keep, dup string) error {
	const op = "cases.Merge"
	if keep == dup {
		return errs.New(errs.Invalid, op, "choose two different entities")
	}
	var dupPK int64
	err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		k1, m1, err := entityKind(ctx, tx, keep)
		if err != nil {
			return store.NotFound(err, op, "no such entity "+keep)
		}
		k2, _, err := entityKind(ctx, tx, dup)
		if err != nil {
			return store.NotFound(err, op, "no such entity "+dup)
		}
		if k1 != k2 {
			return errs.New(errs.Invalid, op, "only entities of the same kind can be merged")
		}
		if m1 != "" {
			return errs.New(errs.Conflict, op, "the entity to keep is itself merged into another")
		}
		// Anything merged into dup now points at keep.
		var merged bool
		if dupPK, merged, err = mergeEntity(ctx, tx, keep, dup); err != nil {
			return err
		}
		if !merged {
			return errs.New(errs.Conflict, op, "the duplicate is already merged")
		}
		return s.queue(ctx, tx, entry(p, "cases.entity.merge", "entity/"+dup, "", "merged into entity/"+keep))
	})
	if err != nil {
		return unavailable(op, err)
	}
	s.indexSetDead([]int64{dupPK}, true)
	return nil
}

// Unmerge restores a merged entity.
func (s *Service) Unmerge(ctx context.Context, p *auth.Principal, id string) error {
	var pk int64
	err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if pk, err = unmergeEntity(ctx, tx, id); err != nil {
			return err
		}
		return s.queue(ctx, tx, entry(p, "cases.entity.unmerge", "entity/"+id, "", ""))
	})
	if errors.Is(err, sql.ErrNoRows) {
		return errs.New(errs.Conflict, "cases.Unmerge", "the entity is not merged")
	}
	if err != nil {
		return unavailable("cases.Unmerge", err)
	}
	s.indexSetDead([]int64{pk}, false)
	return nil
}
