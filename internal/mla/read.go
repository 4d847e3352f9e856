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
	r, err := s.scan(s.d.Store.QueryRowContext(ctx, `SELECT `+reqCols+` FROM mla_requests WHERE id = ?`, strings.TrimSpace(id)))
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
	rows, err := s.d.Store.QueryContext(ctx, `SELECT id, at, node, actor, kind, status, note FROM mla_events WHERE request_id = ? ORDER BY at, id`, r.ID)
	if err != nil {
		return Request{}, dbErr("mla.Get", "cannot read the timeline", err)
	}
	defer rows.Close()
	r.Events = []RequestEvent{}
	for rows.Next() {
		var e RequestEvent
		var at string
		if err := rows.Scan(&e.ID, &at, &e.Node, &e.Actor, &e.Kind, &e.Status, &e.Note); err != nil {
			return Request{}, dbErr("mla.Get", "cannot read the timeline", err)
		}
		e.At = pt(at)
		r.Events = append(r.Events, e)
	}
	if err := rows.Err(); err != nil {
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
	q := `SELECT ` + reqCols + ` FROM mla_requests WHERE agency = ?`
	args := []any{actor.Agency}
	if f.Direction != "" {
		if f.Direction != Outgoing && f.Direction != Incoming {
			return nil, errs.New(errs.Invalid, op, "direction must be outgoing or incoming")
		}
		q += ` AND direction = ?`
		args = append(args, f.Direction)
	}
	if f.Status != "" {
		if !slices.Contains(Statuses, f.Status) {
			return nil, errs.Newf(errs.Invalid, op, "status %s is not known", quote(f.Status))
		}
		q += ` AND status = ?`
		args = append(args, f.Status)
	}
	rows, err := s.d.Store.QueryContext(ctx, q+` ORDER BY updated_at DESC LIMIT 1000`, args...)
	if err != nil {
		return nil, dbErr(op, "cannot list requests", err)
	}
	defer rows.Close()
	out := []Request{}
	for rows.Next() {
		r, err := s.scan(rows)
		if err != nil {
			return nil, dbErr(op, "cannot list requests", err)
		}
		if (f.Overdue && r.Overdue == "") || (f.DueSoon && !r.DueSoon) {
			continue
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr(op, "cannot list requests", err)
	}
	return out, s.audit(ctx, actor, "mla.request.list", "list", "direction="+f.Direction+" status="+f.Status)
}
