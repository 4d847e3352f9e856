package analysis

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// Federation message types. Both carry aggregates only; both are sensitive
// so that nothing leaves before the NCU has seen it.
const (
	TypeScoreboard = "analysis.scoreboard"
	TypeTable      = "analysis.table"
)

// Register binds the message types to the federation layer.
func (s *Service) Register(f *federation.Service) {
	f.Register(TypeScoreboard, federation.TypeSpec{Sensitive: true, Handle: s.handleScoreboard, Describe: describeScoreboard})
	f.Register(TypeTable, federation.TypeSpec{Sensitive: true, Handle: s.handleTable, Describe: describeTable})
	f.Register(TypeContribution, federation.TypeSpec{Sensitive: true, Handle: s.handleContribution, Describe: describeContribution})
}

func describeScoreboard(from string, payload json.RawMessage) (federation.Preview, error) {
	b, err := ParseScoreboard(from, payload)
	if err != nil {
		return federation.Preview{}, err
	}
	return federation.Preview{Title: "cooperation scoreboard of " + b.Node, Fields: []federation.PreviewField{
		{Label: "partners", Value: fmt.Sprint(len(b.Pairs))}, {Label: "agreements", Value: fmt.Sprint(len(b.Agreements))}}}, nil
}

// ParseScoreboard decodes and checks a scoreboard received from node from.
func ParseScoreboard(from string, raw []byte) (Scoreboard, error) {
	const op = "analysis.receive"
	var b Scoreboard
	if err := json.Unmarshal(raw, &b); err != nil {
		return Scoreboard{}, errs.Wrap(errs.Invalid, op, "malformed scoreboard", err)
	}
	if b.Node != from || len(b.Pairs) > 500 || len(b.Agreements) > 2000 {
		return Scoreboard{}, errs.New(errs.Invalid, op, "scoreboard from another node or too large")
	}
	for _, p := range b.Pairs {
		if p.Partner == "" || len(p.Partner) > 32 || len(p.Quarters) > 400 {
			return Scoreboard{}, errs.New(errs.Invalid, op, "scoreboard from another node or too large")
		}
	}
	return b, nil
}

// ShareInput names the partners an aggregate goes to.
type ShareInput struct {
	Peers []string `json:"peers" minItems:"1" maxItems:"20" doc:"partner or regional nodes"`
}

func (s *Service) cleanPeers(op string, in ShareInput) ([]string, error) {
	var out []string
	for _, p := range in.Peers {
		p = strings.ToLower(strings.TrimSpace(p))
		if p == "" || p == s.d.NodeID || slices.Contains(out, p) {
			continue
		}
		if len(p) > 32 {
			return nil, errs.Newf(errs.Invalid, op, "%q is not a peer of this node", textutil.Ellipsis(p, 32))
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, errs.New(errs.Invalid, op, "choose at least one partner node to share with")
	}
	if s.d.Fed == nil {
		return nil, errs.New(errs.Unavailable, op, "federation is not configured on this node")
	}
	return out, nil
}

// ShareScoreboard sends this node's scoreboard (counts only) to partners.
// The envelopes wait for the NCU; nothing leaves before it approves.
func (s *Service) ShareScoreboard(ctx context.Context, p *auth.Principal, in ShareInput) ([]string, error) {
	const op = "analysis.ShareScoreboard"
	if err := auth.Authorize(p, auth.ActAnalysisShare); err != nil {
		return nil, err
	}
	peers, err := s.cleanPeers(op, in)
	if err != nil {
		return nil, err
	}
	var ids []string
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		b, err := s.compute(ctx, tx)
		if err != nil {
			return err
		}
		for _, peer := range peers {
			id, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: peer, Type: TypeScoreboard, Payload: b,
				Summary: "cooperation scoreboard (aggregate counts)", Actor: p})
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return s.d.Audit.Queue(ctx, tx, s.entry(p, "analysis.scoreboard.share", "analysis/scoreboard", "to="+strings.Join(peers, ",")))
	})
	if err != nil {
		return nil, unavailable(op, err)
	}
	s.d.Fed.Notify()
	return ids, nil
}

func (s *Service) handleScoreboard(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	b, err := ParseScoreboard(in.From, in.Payload)
	if err != nil {
		return err
	}
	raw, _ := json.Marshal(b)
	if err := saveShared(ctx, tx, in.From, "scoreboard", raw, s.d.Clock.Now()); err != nil {
		return err
	}
	return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: "federation", Action: "analysis.scoreboard.receive", Object: "peer/" + in.From,
		Detail: fmt.Sprintf("partners=%d", len(b.Pairs))})
}

// Scoreboards returns this node's scoreboard followed by those partners
// shared with it, by node. Reading is audited.
func (s *Service) Scoreboards(ctx context.Context, p *auth.Principal) ([]Scoreboard, error) {
	const op = "analysis.Scoreboards"
	own, err := s.Scoreboard(ctx, p)
	if err != nil {
		return nil, err
	}
	rows, err := sharedOf(ctx, s.d.Store, "scoreboard")
	if err != nil {
		return nil, unavailable(op, err)
	}
	out := []Scoreboard{own}
	for _, r := range rows {
		var b Scoreboard
		if json.Unmarshal(r.payload, &b) == nil {
			b.Node = r.peer
			out = append(out, b)
		}
	}
	return out, nil
}
