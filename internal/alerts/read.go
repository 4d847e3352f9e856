// Reading alerts: one with its recipients, flags, hits and timeline, or a
// filtered list. What a user sees is decided by auth.AlertVisible.

package alerts

import (
	"context"
	"slices"
	"strings"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
)

func (s *Service) facts(actor *auth.Principal, a Alert) auth.AlertFacts {
	return auth.AlertFacts{InForce: InForce(a.Status), Hidden: a.Hidden, OwnAgency: a.Local && actor != nil && a.Agency == actor.Agency}
}

// visible returns an alert the caller may see; any other is "no such alert".
func (s *Service) visible(ctx context.Context, actor *auth.Principal, id string) (Alert, error) {
	a, err := s.loadAlert(ctx, s.d.Store, id)
	if isNoRows(err) || (err == nil && !auth.AlertVisible(actor, s.facts(actor, a))) {
		return Alert{}, errs.New(errs.NotFound, "alerts.Get", "no such alert")
	}
	if err != nil {
		return Alert{}, unavailable("alerts.Get", err)
	}
	return a, nil
}

// Get returns an alert with its recipients, flags, hit reports and
// timeline. Every read is audited.
func (s *Service) Get(ctx context.Context, actor *auth.Principal, id string) (Alert, error) {
	const op = "alerts.Get"
	if err := auth.Authorize(actor, auth.ActAlertsView); err != nil {
		return Alert{}, err
	}
	a, err := s.visible(ctx, actor, id)
	if err != nil {
		return Alert{}, err
	}
	if a.Local {
		if a.Recipients, err = recipients(ctx, s.d.Store, a.ID); err != nil {
			return Alert{}, unavailable(op, err)
		}
		if a.Flags, err = flags(ctx, s.d.Store, a.ID); err != nil {
			return Alert{}, unavailable(op, err)
		}
	}
	hs, err := hitsOf(ctx, s.d.Store, a.ID)
	if err != nil {
		return Alert{}, unavailable(op, err)
	}
	a.Hits = []HitReport{}
	for _, h := range hs {
		if h.Agency == actor.Agency || actor.Has(auth.RoleNCUOperator) || s.facts(actor, a).OwnAgency {
			s.hitFlags(&h)
			a.Hits = append(a.Hits, h)
		}
	}
	if a.Local && a.Status == StatusDraft {
		comp, err := s.compatibility(ctx, s.d.Store, a)
		if err != nil {
			return Alert{}, unavailable(op, err)
		}
		a.Existing = comp.Existing // hidden alerts of other countries are left out
	}
	if a.Photo != nil {
		if a.Photo, err = photoInfo(ctx, s.d.Store, a.ID); err != nil {
			return Alert{}, unavailable(op, err)
		}
	}
	if a.Linked, err = s.linked(ctx, actor, a.Links); err != nil {
		return Alert{}, unavailable(op, err)
	}
	if a.Events, err = events(ctx, s.d.Store, a.ID); err != nil {
		return Alert{}, unavailable(op, err)
	}
	return a, s.audit(ctx, actor, "alerts.read", a.ID, "")
}

// Filter narrows a listing.
type Filter struct {
	Status string `json:"status,omitempty"`
	Kind   string `json:"kind,omitempty"`
	Origin string `json:"origin,omitempty" doc:"local, foreign or a node ID"`
}

// List returns the alerts the caller may see, newest first. Listing is
// audited.
func (s *Service) List(ctx context.Context, actor *auth.Principal, f Filter) ([]Alert, error) {
	const op = "alerts.List"
	if err := auth.Authorize(actor, auth.ActAlertsView); err != nil {
		return nil, err
	}
	if f.Status != "" && !slices.Contains(Statuses, f.Status) {
		return nil, errs.Newf(errs.Invalid, op, "status %s is not known", quote(f.Status))
	}
	if f.Kind != "" && !slices.Contains(Kinds, f.Kind) {
		return nil, errs.Newf(errs.Invalid, op, "kind %s is not known", quote(f.Kind))
	}
	f.Origin = strings.ToLower(strings.TrimSpace(f.Origin))
	if len(f.Origin) > 32 {
		return nil, errs.New(errs.Invalid, op, "origin is local, foreign or a node ID")
	}
	all, err := s.listAlerts(ctx, listFilter{Status: f.Status, Kind: f.Kind, Origin: f.Origin})
	if err != nil {
		return nil, unavailable(op, err)
	}
	out := []Alert{}
	for _, a := range all {
		if auth.AlertVisible(actor, s.facts(actor, a)) {
			out = append(out, a)
		}
	}
	return out, s.audit(ctx, actor, "alerts.list", "list", "status="+f.Status+" kind="+f.Kind+" origin="+f.Origin)
}
