package alerts

import (
	"context"
	"slices"

	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/match"
)

// FitModel learns the matching engine's weights by EM (no labels) from
// the candidate pairs of a sample of checks against the alerts in force —
// the pairs a check scores — the way match.Link fits a model on the
// pairs of a linkage. The register alone cannot be used: a register holds
// one alert per wanted person, so it has almost no matching pairs to
// learn from. It returns the model and the number of pairs it was fitted
// on; give it to the service through Deps.Model. A node normally uses the
// case database's fitted model (liaison cases fit).
func (s *Service) FitModel(ctx context.Context, queries []string) (*match.Model, int, error) {
	const op = "alerts.FitModel"
	s.ensureIndex(ctx)
	counts := map[match.Pattern]int64{}
	def := match.NewModel()
	pairs := 0
	for _, q := range queries {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		pr, err := ParseQuery(q)
		if err != nil {
			continue
		}
		p, ok := s.probeRecord(pr)
		if !ok {
			continue
		}
		keys := make([]int64, 0, 16)
		for _, k := range match.IndexKeys(&p, nil) {
			keys = append(keys, int64(k))
		}
		slices.Sort(keys)
		keys = slices.Compact(keys)
		var right []entity.Person
		for _, c := range s.ix.Lookup(keys, candidateLimit, commonKey) {
			right = append(right, c.Rec.persons...)
		}
		if len(right) == 0 {
			continue
		}
		res, err := match.Link(ctx, []entity.Person{p}, right, match.Options{Model: def, Threshold: 1e-300, Workers: 1, MaxBlock: len(right) + 2})
		if err != nil {
			return nil, 0, errs.Wrap(errs.Internal, op, "fitting failed", err)
		}
		for _, x := range res.Pairs {
			counts[x.Pattern]++
		}
		pairs += len(res.Pairs)
	}
	if pairs < 100 {
		return nil, pairs, errs.Newf(errs.Conflict, op, "only %d candidate pairs; at least 100 are needed to learn weights", pairs)
	}
	m := match.NewModel()
	m.FitEM(counts, 0)
	return m, pairs, nil
}
