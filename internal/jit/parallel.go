package jit

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/match"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

var errSQLNoRows = sql.ErrNoRows

// Deconfliction thresholds: a person pair at or above PersonThreshold
// (posterior match probability of the matching engine) or an address at or
// above AddressThreshold in the same city is reported.
const (
	PersonThreshold  = 0.8
	AddressThreshold = 0.9
)

var personFields = []string{match.ColGiven, match.ColFamily, match.ColFull, match.ColDOB, match.ColPersonalID, match.ColNationality, match.ColFather}
var locationFields = []string{"address", "city", "country"}

func cleanTarget(op string, in TargetInput) (Target, error) {
	t := Target{ID: store.NewID(), Kind: strings.ToLower(strings.TrimSpace(in.Kind)), Fields: map[string]string{}}
	var allowed []string
	switch t.Kind {
	case "person":
		allowed = personFields
	case "location":
		allowed = locationFields
	default:
		return t, errs.New(errs.Invalid, op, "a target is a person or a location")
	}
	for _, k := range allowed {
		if v := textutil.Clip(strings.TrimSpace(in.Fields[k]), 300); v != "" {
			t.Fields[k] = v
		}
	}
	for k := range in.Fields {
		if !slices.Contains(allowed, k) && strings.TrimSpace(in.Fields[k]) != "" {
			return t, errs.Newf(errs.Invalid, op, "field %q is not used for a %s target; use %s", textutil.Clip(strings.TrimSpace(k), 40), t.Kind, strings.Join(allowed, ", "))
		}
	}
	f := t.Fields
	switch t.Kind {
	case "person":
		name := strings.TrimSpace(f[match.ColGiven] + " " + f[match.ColFamily])
		if name == "" {
			name = f[match.ColFull]
		}
		if name == "" && f[match.ColPersonalID] == "" {
			return t, errs.New(errs.Invalid, op, "a person target needs a name or a personal number")
		}
		t.Label = name
		if d := f[match.ColDOB]; d != "" {
			t.Label += " (" + d + ")"
		}
	case "location":
		if f["address"] == "" {
			return t, errs.New(errs.Invalid, op, "a location target needs an address")
		}
		t.Label = f["address"]
		if c := f["city"]; c != "" {
			t.Label += ", " + c
		}
	}
	return t, nil
}

// AddTarget declares a target of the caller's party. The leader compares it
// with the other parties' targets and replicates a warning for each match.
func (s *Service) AddTarget(ctx context.Context, p *auth.Principal, wsID string, in TargetInput) (TimelineEvent, error) {
	t, err := cleanTarget("jit.AddTarget", in)
	if err != nil {
		return TimelineEvent{}, err
	}
	return s.change(ctx, p, auth.ActParallelEdit, wsID, EvTargetAdd, change{Target: &t})
}

// AddExchange adds a line to the exchange plan; every party agrees again.
func (s *Service) AddExchange(ctx context.Context, p *auth.Principal, wsID string, in ExchangeInput) (TimelineEvent, error) {
	x := ExchangeItem{ID: store.NewID(), What: textutil.Clip(strings.TrimSpace(in.What), 1000), From: strings.ToLower(strings.TrimSpace(in.From)), To: strings.ToLower(strings.TrimSpace(in.To)),
		Channel: textutil.Clip(strings.TrimSpace(in.Channel), 200), Schedule: textutil.Clip(strings.TrimSpace(in.Schedule), 200)}
	if x.What == "" {
		return TimelineEvent{}, errs.New(errs.Invalid, "jit.AddExchange", "say what is to be exchanged")
	}
	return s.change(ctx, p, auth.ActParallelEdit, wsID, EvExchangeAdd, change{Exchange: &x})
}

// AgreeExchange records the caller's party's agreement to the exchange plan.
func (s *Service) AgreeExchange(ctx context.Context, p *auth.Principal, wsID string) (TimelineEvent, error) {
	return s.change(ctx, p, auth.ActParallelEdit, wsID, EvAgree, change{})
}

// deconflict compares a new target with the targets of the other parties.
func (s *Service) deconflict(ctx context.Context, ws *Workspace, t Target) []Warning {
	var out []Warning
	for _, o := range ws.Targets {
		if o.ID == t.ID || o.Node == t.Node || o.Kind != t.Kind {
			continue
		}
		var score float64
		var why string
		switch t.Kind {
		case "person":
			score, why = s.comparePersons(ctx, t, o)
			if score < PersonThreshold {
				continue
			}
		case "location":
			score, why = compareLocations(t, o)
			if score < AddressThreshold {
				continue
			}
		}
		out = append(out, Warning{ID: store.NewID(), TargetA: o.ID, TargetB: t.ID, NodeA: o.Node, NodeB: t.Node, Kind: t.Kind, Score: score,
			Explanation: o.Label + " (" + o.Node + ") ~ " + t.Label + " (" + t.Node + "): " + why})
	}
	return out
}

func (s *Service) comparePersons(ctx context.Context, a, b Target) (float64, string) {
	pa := match.PersonFromFields(withID(a), strings.ToUpper(a.Node))
	pb := match.PersonFromFields(withID(b), strings.ToUpper(b.Node))
	if pa.PersonalID.Number != "" && pa.PersonalID.Number == pb.PersonalID.Number {
		return 1, "same personal number"
	}
	res, err := match.Link(ctx, []entity.Person{pa}, []entity.Person{pb}, match.Options{Model: match.NewModel(), Threshold: 1e-9, Workers: 1, MaxBlock: 4})
	if err != nil || len(res.Pairs) == 0 {
		return 0, ""
	}
	best := res.Pairs[0]
	var parts []string
	for _, fe := range res.Explain(best).Fields {
		if fe.Level != "" && fe.Level != "missing" {
			parts = append(parts, fmt.Sprintf("%s %s", fe.Field, fe.Level))
		}
	}
	return best.Score, fmt.Sprintf("match probability %.2f (%s)", best.Score, strings.Join(parts, ", "))
}

func withID(t Target) map[string]string {
	m := map[string]string{match.ColID: t.ID}
	for k, v := range t.Fields {
		m[k] = v
	}
	return m
}

func compareLocations(a, b Target) (float64, string) {
	ca, cb := entity.Fold(a.Fields["city"]), entity.Fold(b.Fields["city"])
	if ca != "" && cb != "" && ca != cb {
		return 0, ""
	}
	sim := match.AddressSimilarity(a.Fields["address"], b.Fields["address"])
	return sim, fmt.Sprintf("address similarity %.2f", sim)
}
