// Package analysis turns what a node already holds into aggregates that can
// be shared without personal data: the cooperation scoreboard ("declared
// versus practised"), harmonised statistics tables and link charts over the
// case database. What leaves the node goes through the NCU queue.
package analysis

import (
	"context"
	"log/slog"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
)

// Deps are the service's collaborators.
type Deps struct {
	Store  *store.Store
	Audit  *audit.Log
	Fed    *federation.Service // nil: nothing is shared
	Cases  *cases.Service      // case statistics; nil: no computed profiles
	Needs  NeedsRegistry       // activity registry; nil: priorities cannot become needs
	Clock  clock.Clock
	Logger *slog.Logger
	NodeID string
}

// Service is the analysis module of one node.
type Service struct {
	d Deps
}

// New builds the service; call Register before the federation starts.
func New(d Deps) *Service {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	if d.NodeID == "" && d.Fed != nil {
		d.NodeID = d.Fed.NodeID()
	}
	return &Service{d: d}
}

// NodeID is this node's federation ID.
func (s *Service) NodeID() string { return s.d.NodeID }

func (s *Service) entry(p *auth.Principal, action, object, detail string) audit.Entry {
	e := audit.Entry{Actor: "system", Action: action, Object: object, Detail: detail}
	if p != nil {
		e.Actor, e.Agency = p.Username, p.Agency
	}
	return e
}

func unavailable(op string, err error) error {
	return errs.WrapPlain(errs.Unavailable, op, "the analysis data cannot be read or written now", err)
}

func (s *Service) record(ctx context.Context, e audit.Entry) error {
	return unavailable("analysis.audit", s.d.Audit.Record(ctx, e))
}
