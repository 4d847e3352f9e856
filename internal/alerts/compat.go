package alerts

import (
	"context"
	"strings"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// Existing is an alert already held on this node on the same subject as a
// proposed one, found by the matching engine.
type Existing struct {
	ID         string  `json:"id"`
	OriginNode string  `json:"origin_node"`
	Kind       string  `json:"kind"`
	Status     string  `json:"status"`
	Label      string  `json:"label"`
	Score      float64 `json:"score"`
	Compatible bool    `json:"compatible" doc:"false: an alert of the same country that contradicts the proposed one"`
}

// Compatibility is the result of the duplicate and compatibility check.
type Compatibility struct {
	Existing []Existing `json:"existing"`
}

func (c Compatibility) refusal(op string) error {
	var bad []string
	for _, e := range c.Existing {
		if !e.Compatible {
			bad = append(bad, e.Kind+" alert "+e.ID+" ("+e.Status+")")
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return &errs.E{Kind: errs.Conflict, Op: op, Code: "incompatible",
		Msg: "this country already has an alert on the same subject that this one would contradict or duplicate: " + strings.Join(bad, "; ") + "; withdraw it or change it instead"}
}

// compatibility finds the alerts not ended on the same subject: those of
// this country are checked against the compatibility table; those of other
// countries are listed for the author to see.
func (s *Service) compatibility(ctx context.Context, q store.Querier, a Alert) (Compatibility, error) {
	out := Compatibility{Existing: []Existing{}}
	ms, err := s.findSubject(ctx, q, a, false)
	if err != nil {
		return out, err
	}
	for _, m := range ms {
		if m.Alert.ID == a.ID || Final(m.Alert.Status) {
			continue
		}
		if m.Alert.Hidden && m.Alert.OriginNode != a.OriginNode {
			continue
		}
		e := Existing{ID: m.Alert.ID, OriginNode: m.Alert.OriginNode, Kind: m.Alert.Kind, Status: m.Alert.Status, Label: m.Alert.Label, Score: m.Score, Compatible: true}
		// Only a certain match of this country's own alert is refused; a
		// possible one is listed for the author to judge.
		if m.Alert.OriginNode == a.OriginNode && m.Score >= highScore {
			e.Compatible = compatible(m.Alert.Kind, a.Kind)
		}
		out.Existing = append(out.Existing, e)
	}
	return out, nil
}
