package activities

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// Threshold is the overlap score from which an existing activity is shown
// to the partner and must be resolved before the draft is published.
const Threshold = 0.45

// window is how far apart two activities may be and still count as
// overlapping in time (partially): follow-up trainings half a year later
// still compete for the same officers.
const window = 180 * 24 * time.Hour

// Weights of the factors; they add up to 1.
const (
	wAgency = 0.35
	wTheme  = 0.20
	wKind   = 0.10
	wTime   = 0.15
	wText   = 0.20
)

// Factor is one part of an overlap score with its explanation.
type Factor struct {
	Factor      string  `json:"factor" enum:"agency,theme,kind,time,text"`
	Score       float64 `json:"score" doc:"0..1 for this factor"`
	Weight      float64 `json:"weight"`
	Explanation string  `json:"explanation"`
}

// Summary identifies an activity in overlap lists.
type Summary struct {
	ID          string   `json:"id"`
	OwnerNode   string   `json:"owner_node"`
	Title       string   `json:"title"`
	Kind        string   `json:"kind"`
	Status      string   `json:"status"`
	Donor       string   `json:"donor"`
	Implementer string   `json:"implementer"`
	Countries   []string `json:"countries"`
	StartDate   string   `json:"start_date"`
	EndDate     string   `json:"end_date"`
	Contact     string   `json:"contact,omitempty"`
}

func summaryOf(a Activity) Summary {
	c := a.ContactName
	if a.ContactEmail != "" {
		c = strings.TrimSpace(c + " <" + a.ContactEmail + ">")
	}
	return Summary{ID: a.ID, OwnerNode: a.OwnerNode, Title: a.Title, Kind: a.Kind, Status: a.Status, Donor: a.Donor, Implementer: a.Implementer,
		Countries: a.Countries, StartDate: a.StartDate, EndDate: a.EndDate, Contact: c}
}

// Overlap is an existing or planned activity that overlaps a draft.
type Overlap struct {
	Activity   Summary     `json:"activity"`
	Score      float64     `json:"score" doc:"0..1; shown from 0.45"`
	Factors    []Factor    `json:"factors"`
	Summary    string      `json:"summary" doc:"one-line explanation"`
	Resolution *Resolution `json:"resolution,omitempty" doc:"how the publisher resolved it, if recorded"`
}

func day(s string) time.Time {
	t, _ := time.Parse("2006-01-02", s)
	return t
}

// Score compares a draft with another activity. ok is false when they share
// no beneficiary country (they can never overlap).
func Score(a, b Activity) (Overlap, bool) {
	var o Overlap
	o.Activity = summaryOf(b)
	// Beneficiaries.
	var sharedAg []string
	for _, x := range a.Agencies {
		for _, y := range b.Agencies {
			if sameAgency(x, y) {
				sharedAg = append(sharedAg, y.Agency+" ("+y.Country+")")
				break
			}
		}
	}
	var sharedC []string
	for _, c := range a.Countries {
		if slices.Contains(b.Countries, c) {
			sharedC = append(sharedC, c)
		}
	}
	if len(sharedC) == 0 {
		return o, false
	}
	switch {
	case len(sharedAg) > 0:
		o.Factors = append(o.Factors, Factor{"agency", 1, wAgency, "same beneficiary agency: " + strings.Join(sharedAg, ", ")})
	case len(a.Agencies) == 0 || len(b.Agencies) == 0:
		o.Factors = append(o.Factors, Factor{"agency", 0.5, wAgency, "same beneficiary country (" + strings.Join(sharedC, ", ") + "); agencies not named on both"})
	default:
		o.Factors = append(o.Factors, Factor{"agency", 0.3, wAgency, "same beneficiary country (" + strings.Join(sharedC, ", ") + "), different agencies"})
	}
	// Themes.
	var sharedT []string
	for _, t := range a.Themes {
		if slices.Contains(b.Themes, t) {
			sharedT = append(sharedT, ThemeLabel(t))
		}
	}
	if len(sharedT) > 0 {
		m := min(len(a.Themes), len(b.Themes))
		o.Factors = append(o.Factors, Factor{"theme", float64(len(sharedT)) / float64(m), wTheme, "themes in common: " + strings.Join(sharedT, ", ")})
	} else {
		o.Factors = append(o.Factors, Factor{"theme", 0, wTheme, "no theme in common"})
	}
	// Type.
	if a.Kind == b.Kind {
		o.Factors = append(o.Factors, Factor{"kind", 1, wKind, "same type: " + Label(Kinds, a.Kind)})
	} else {
		o.Factors = append(o.Factors, Factor{"kind", 0, wKind, "different type (" + Label(Kinds, b.Kind) + ")"})
	}
	// Time window.
	as, ae, bs, be := day(a.StartDate), day(a.EndDate), day(b.StartDate), day(b.EndDate)
	switch {
	case !as.After(be) && !bs.After(ae):
		from, to := maxTime(as, bs), minTime(ae, be)
		shared := to.Sub(from).Hours()/24 + 1
		shorter := min(ae.Sub(as).Hours()/24+1, be.Sub(bs).Hours()/24+1)
		sc := 0.6 + 0.4*min(1, shared/shorter)
		o.Factors = append(o.Factors, Factor{"time", sc, wTime, fmt.Sprintf("periods overlap %s to %s (%.0f days)", from.Format("2006-01-02"), to.Format("2006-01-02"), shared)})
	default:
		gap := bs.Sub(ae)
		if as.After(be) {
			gap = as.Sub(be)
		}
		if gap <= window {
			sc := 0.5 * (1 - float64(gap)/float64(window))
			o.Factors = append(o.Factors, Factor{"time", sc, wTime, fmt.Sprintf("%.0f days apart", gap.Hours()/24)})
		} else {
			o.Factors = append(o.Factors, Factor{"time", 0, wTime, fmt.Sprintf("%.0f days apart", gap.Hours()/24)})
		}
	}
	// Text.
	ts, shared := TextSimilarity(a.Title, a.Description, b.Title, b.Description)
	if len(shared) > 0 {
		o.Factors = append(o.Factors, Factor{"text", ts, wText, fmt.Sprintf("similar title and description (%.2f): %s", ts, strings.Join(shared, ", "))})
	} else {
		o.Factors = append(o.Factors, Factor{"text", ts, wText, "titles and descriptions differ"})
	}
	var parts []string
	for _, f := range o.Factors {
		o.Score += f.Score * f.Weight
		if f.Score >= 0.5 {
			parts = append(parts, f.Explanation)
		}
	}
	o.Score = float64(int(o.Score*1000+0.5)) / 1000
	o.Summary = strings.Join(parts, "; ")
	return o, true
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// overlaps scores a against every published activity that is not
// cancelled and overlaps in time within the window, best first.
func (s *Service) overlaps(ctx context.Context, q store.Querier, a Activity) ([]Overlap, error) {
	from := day(a.StartDate).Add(-window).Format("2006-01-02")
	to := day(a.EndDate).Add(window).Format("2006-01-02")
	cands, err := publishedBetween(ctx, q, a.ID, from, to)
	if err != nil {
		return nil, err
	}
	res := map[string]Resolution{}
	for _, r := range a.Resolutions {
		res[r.With] = r
	}
	out := []Overlap{}
	for _, b := range cands {
		o, ok := Score(a, b)
		if !ok || o.Score < Threshold {
			continue
		}
		if r, ok := res[b.ID]; ok {
			o.Resolution = &r
		}
		out = append(out, o)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out, nil
}

// Check runs the overlap check on an unsaved draft.
func (s *Service) Check(ctx context.Context, p *auth.Principal, in Input) ([]Overlap, error) {
	const op = "activities.Check"
	if err := s.authorize(ctx, p, auth.ActActivityEdit, "activities"); err != nil {
		return nil, err
	}
	in, err := s.clean(ctx, op, in)
	if err != nil {
		return nil, err
	}
	out, err := s.overlaps(ctx, s.d.Store, fromInput(Activity{}, in))
	return out, dbErr(op, err)
}

// Overlaps runs the overlap check on a saved activity, with the resolutions
// recorded so far.
func (s *Service) Overlaps(ctx context.Context, p *auth.Principal, id string) ([]Overlap, error) {
	const op = "activities.Overlaps"
	if err := s.authorize(ctx, p, auth.ActActivityView, "activity/"+id); err != nil {
		return nil, err
	}
	a, err := s.get(ctx, s.d.Store, id)
	if err != nil {
		return nil, err
	}
	if !s.visible(p, a) {
		return nil, errs.New(errs.NotFound, op, "no such activity")
	}
	out, err := s.overlaps(ctx, s.d.Store, a)
	return out, dbErr(op, err)
}

// ResolutionInput records how an overlap is resolved.
type ResolutionInput struct {
	With     string `json:"with" maxLength:"64" doc:"ID of the overlapping activity"`
	Decision string `json:"decision" enum:"coordinate,merge,proceed"`
	Reason   string `json:"reason,omitempty" maxLength:"2000" doc:"required for proceed; for coordinate, what was agreed with whom"`
}

// Resolve records the decision on one overlap of a draft. Merging withdraws
// the draft in favour of the existing activity.
func (s *Service) Resolve(ctx context.Context, p *auth.Principal, id string, in ResolutionInput) (Activity, error) {
	const op = "activities.Resolve"
	if err := s.authorize(ctx, p, auth.ActActivityEdit, "activity/"+id); err != nil {
		return Activity{}, err
	}
	dec, ok := resolve(Decisions, in.Decision)
	if !ok {
		return Activity{}, errs.Newf(errs.Invalid, op, "decision %q is not known; use coordinate, merge or proceed", textutil.Ellipsis(in.Decision, 20))
	}
	reason, err := text(op, "reason", in.Reason, 2000, false)
	if err != nil {
		return Activity{}, err
	}
	if dec == "proceed" && len([]rune(reason)) < 10 {
		return Activity{}, errs.New(errs.Invalid, op, "to proceed despite an overlap, give a reason (at least 10 characters) the other partner can read")
	}
	var out Activity
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		a, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.ownerCheck(a.OwnerNode, op); err != nil {
			return err
		}
		if a.Published || a.MergedInto != "" {
			return errs.New(errs.Conflict, op, "overlaps are resolved while the activity is a draft; this one is already published or merged")
		}
		ovs, err := s.overlaps(ctx, tx, a)
		if err != nil {
			return err
		}
		var found *Overlap
		for i := range ovs {
			if ovs[i].Activity.ID == in.With {
				found = &ovs[i]
			}
		}
		if found == nil {
			return errs.New(errs.Invalid, op, "that activity does not overlap this draft (any more); run the overlap check again")
		}
		r := Resolution{With: in.With, Decision: dec, Reason: reason, Score: found.Score, By: p.Username, At: s.d.Clock.Now()}
		kept := []Resolution{}
		for _, x := range a.Resolutions {
			if x.With != in.With {
				kept = append(kept, x)
			}
		}
		a.Resolutions = append(kept, r)
		if dec == "merge" {
			a.MergedInto, a.Status = in.With, "cancelled"
		}
		a.Version++
		a.UpdatedAt, a.UpdatedBy = s.d.Clock.Now(), p.Username
		out = a
		if err := writeActivity(ctx, tx, a, false); err != nil {
			return err
		}
		return s.recordTx(ctx, tx, p, "activities.resolve", "activity/"+id, dec+" with "+in.With+": "+reason)
	})
	return out, s.refused(ctx, p, err, "activities.resolve", "activity/"+id)
}

// UnresolvedError lists the overlaps still to resolve.
type UnresolvedError struct{ Overlaps []Overlap }

// Publish makes a draft public to the federation once every overlap is
// resolved. status is planned (default) or ongoing.
func (s *Service) Publish(ctx context.Context, p *auth.Principal, id, status string) (Activity, error) {
	const op = "activities.Publish"
	if err := s.authorize(ctx, p, auth.ActActivityEdit, "activity/"+id); err != nil {
		return Activity{}, err
	}
	if status == "" {
		status = "planned"
	}
	if status != "planned" && status != "ongoing" && status != "completed" {
		return Activity{}, errs.New(errs.Invalid, op, "publish as planned, ongoing or completed")
	}
	var out Activity
	err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		a, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.ownerCheck(a.OwnerNode, op); err != nil {
			return err
		}
		if a.MergedInto != "" {
			return errs.New(errs.Conflict, op, "this draft was merged into activity "+a.MergedInto+" and is not published")
		}
		if a.Published {
			return errs.New(errs.Conflict, op, "this activity is already published")
		}
		ovs, err := s.overlaps(ctx, tx, a)
		if err != nil {
			return err
		}
		var open []string
		for _, o := range ovs {
			if o.Resolution == nil {
				open = append(open, fmt.Sprintf("%q (%s, score %.2f)", o.Activity.Title, o.Activity.OwnerNode, o.Score))
			}
		}
		if len(open) > 0 {
			return &errs.E{Kind: errs.Conflict, Op: op, Code: "unresolved-overlaps",
				Msg: fmt.Sprintf("record how each overlap is resolved (coordinate, merge or proceed with a reason) before publishing; unresolved: %s", strings.Join(open, "; "))}
		}
		now := s.d.Clock.Now()
		a.Published, a.Status, a.PublishedAt = true, status, now
		a.Version++
		a.UpdatedAt, a.UpdatedBy = now, p.Username
		if err := writeActivity(ctx, tx, a, false); err != nil {
			return err
		}
		out = a
		if err := s.replicate(ctx, tx, p, Publication{Kind: "activity", Activity: &a}); err != nil {
			return err
		}
		return s.recordTx(ctx, tx, p, "activities.publish", "activity/"+id, a.Title)
	})
	if err := s.refused(ctx, p, err, "activities.publish", "activity/"+id); err != nil {
		return Activity{}, err
	}
	s.notify(true)
	return out, nil
}
