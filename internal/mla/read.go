// Reading requests: one with its timeline, or a filtered list.

package mla

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
)

// visible returns a request held by the caller's agency.
func (s *Service) visible(ctx context.Context, actor *auth.Principal, id string) (Request, error) {
	r, err := s.requestByID(ctx, s.d.Store, strings.TrimSpace(id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (actor == nil || r.Agency != actor.Agency)) {
		return Request{}, errs.New(errs.NotFound, "mla.Get", "no such request")
	}
	if err != nil {
		return Request{}, dbErr("mla.Get", "cannot read the request", err)
	}
	return r, nil
}

// Get returns a request with its timeline. Reading is audited.
func (s *Service) Get(ctx context.Context, actor *auth.Principal, id string) (Request, error) {
	if err := auth.Authorize(actor, auth.ActMLAView); err != nil {
		return Request{}, err
	}
	r, err := s.visible(ctx, actor, id)
	if err != nil {
		return Request{}, err
	}
	if r.Events, err = requestEvents(ctx, s.d.Store, r.ID); err != nil {
		return Request{}, dbErr("mla.Get", "cannot read the timeline", err)
	}
	return r, s.audit(ctx, actor, "mla.request.read", r.ID, "")
}

// Filter narrows a listing.
type Filter struct {
	Direction string
	Status    string
	Overdue   bool // only requests past a deadline
	DueSoon   bool // only requests with a deadline within the reminder period
}

// List returns the requests held by the caller's agency, newest first.
func (s *Service) List(ctx context.Context, actor *auth.Principal, f Filter) ([]Request, error) {
	const op = "mla.List"
	if err := auth.Authorize(actor, auth.ActMLAView); err != nil {
		return nil, err
	}
	if f.Direction != "" && f.Direction != Outgoing && f.Direction != Incoming {
		return nil, errs.New(errs.Invalid, op, "direction must be outgoing or incoming")
	}
	if f.Status != "" && !slices.Contains(Statuses, f.Status) {
		return nil, errs.Newf(errs.Invalid, op, "status %s is not known", quote(f.Status))
	}
	all, err := s.listRequests(ctx, s.d.Store, actor.Agency, f.Direction, f.Status)
	if err != nil {
		return nil, dbErr(op, "cannot list requests", err)
	}
	out := []Request{}
	for _, r := range all {
		if (f.Overdue && r.Overdue == "") || (f.DueSoon && !r.DueSoon) {
			continue
		}
		out = append(out, r)
	}
	return out, s.audit(ctx, actor, "mla.request.list", "list", "direction="+f.Direction+" status="+f.Status)
}
