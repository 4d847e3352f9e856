package activities

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"strconv"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// Round is a periodic joint prioritisation round: beneficiary countries and
// partners give points to the needs in the register; the result is a
// shared priority list with every vote and comment visible to the
// participants.
type Round struct {
	ID          string    `json:"id"`
	OwnerNode   string    `json:"owner_node"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Status      string    `json:"status" enum:"open,closed"`
	ClosesOn    string    `json:"closes_on,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
	ClosedAt    time.Time `json:"closed_at,omitzero"`
}

// RoundInput opens a round.
type RoundInput struct {
	Title       string `json:"title" maxLength:"200"`
	Description string `json:"description,omitempty" maxLength:"5000"`
	ClosesOn    string `json:"closes_on,omitempty" maxLength:"10" doc:"YYYY-MM-DD"`
}

// Vote is one participant's points for one need.
type Vote struct {
	Voter       string    `json:"voter"`
	VoterAgency string    `json:"voter_agency"`
	VoterRole   string    `json:"voter_role" doc:"beneficiary (NCU) or partner"`
	Points      int       `json:"points" doc:"1 (low) to 5 (top priority)"`
	Comment     string    `json:"comment,omitempty"`
	At          time.Time `json:"at"`
}

// VoteInput gives points to a need.
type VoteInput struct {
	NeedID  string `json:"need_id" maxLength:"64"`
	Points  int    `json:"points" minimum:"1" maximum:"5"`
	Comment string `json:"comment,omitempty" maxLength:"2000"`
}

// Ranked is one need of the shared priority list.
type Ranked struct {
	Rank  int    `json:"rank"`
	Need  Need   `json:"need"`
	Total int    `json:"total_points"`
	Votes []Vote `json:"votes"`
}

// RoundResult is a round with its priority list.
type RoundResult struct {
	Round Round    `json:"round"`
	List  []Ranked `json:"priorities"`
}

// OpenRound starts a prioritisation round.
func (s *Service) OpenRound(ctx context.Context, p *auth.Principal, in RoundInput) (Round, error) {
	const op = "activities.OpenRound"
	if err := s.authorize(ctx, p, auth.ActRoundManage, "rounds"); err != nil {
		return Round{}, err
	}
	var err error
	if in.Title, err = text(op, "title", in.Title, 200, true); err != nil {
		return Round{}, err
	}
	if in.Description, err = text(op, "description", in.Description, 5000, false); err != nil {
		return Round{}, err
	}
	if in.ClosesOn, err = parseDay(op, "closes_on", in.ClosesOn, false); err != nil {
		return Round{}, err
	}
	r := Round{ID: store.NewID(), OwnerNode: s.d.Node, Title: in.Title, Description: in.Description, Status: "open", ClosesOn: in.ClosesOn, CreatedAt: s.d.Clock.Now(), CreatedBy: p.Username}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := insertRound(ctx, tx, r); err != nil {
			return err
		}
		return s.recordTx(ctx, tx, p, "activities.round.open", "round/"+r.ID, r.Title)
	})
	if err != nil {
		return Round{}, dbErr(op, err)
	}
	return r, nil
}

// CloseRound ends voting.
func (s *Service) CloseRound(ctx context.Context, p *auth.Principal, id string) error {
	const op = "activities.CloseRound"
	if err := s.authorize(ctx, p, auth.ActRoundManage, "round/"+id); err != nil {
		return err
	}
	err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		closed, err := closeRound(ctx, tx, id, s.d.Clock.Now())
		if err != nil {
			return err
		}
		if !closed {
			return errs.New(errs.NotFound, op, "no open round with that ID")
		}
		return s.recordTx(ctx, tx, p, "activities.round.close", "round/"+id, "")
	})
	return dbErr(op, err)
}

// Rounds lists the rounds, newest first.
func (s *Service) Rounds(ctx context.Context, p *auth.Principal) ([]Round, error) {
	if err := s.authorize(ctx, p, auth.ActActivityView, "rounds"); err != nil {
		return nil, err
	}
	out, err := rounds(ctx, s.d.Store)
	return out, dbErr("activities.Rounds", err)
}

// CastVote records (or replaces) the caller's points for one need.
func (s *Service) CastVote(ctx context.Context, p *auth.Principal, roundID string, in VoteInput) error {
	const op = "activities.CastVote"
	if err := s.authorize(ctx, p, auth.ActRoundVote, "round/"+roundID); err != nil {
		return err
	}
	if in.Points < 1 || in.Points > 5 {
		return errs.New(errs.Invalid, op, "points must be 1 (low) to 5 (top priority)")
	}
	comment, err := text(op, "comment", in.Comment, 2000, false)
	if err != nil {
		return err
	}
	role := "partner"
	if p.Has(auth.RoleNCUOperator) {
		role = "beneficiary"
	} else if !p.Has(auth.RolePartner) {
		role = "administrator"
	}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		status, err := roundStatus(ctx, tx, roundID)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.New(errs.NotFound, op, "no such round")
		}
		if err != nil {
			return err
		}
		if status != "open" {
			return errs.New(errs.Conflict, op, "this round is closed")
		}
		found, err := needExists(ctx, tx, in.NeedID)
		if err != nil {
			return err
		}
		if !found {
			return errs.New(errs.Invalid, op, "no need with that ID in the register")
		}
		v := Vote{Voter: p.Username, VoterAgency: p.Agency, VoterRole: role, Points: in.Points, Comment: comment, At: s.d.Clock.Now()}
		if err := putVote(ctx, tx, roundID, in.NeedID, v); err != nil {
			return err
		}
		return s.recordTx(ctx, tx, p, "activities.round.vote", "round/"+roundID, "need "+in.NeedID+": "+strconv.Itoa(in.Points))
	})
	return dbErr(op, err)
}

// Result returns the shared priority list of a round: needs ordered by
// total points, then by declared priority. Votes and comments are shown to
// participants (users who may vote).
func (s *Service) Result(ctx context.Context, p *auth.Principal, roundID string) (RoundResult, error) {
	const op = "activities.Result"
	if err := s.authorize(ctx, p, auth.ActActivityView, "round/"+roundID); err != nil {
		return RoundResult{}, err
	}
	r, err := roundByID(ctx, s.d.Store, roundID)
	if errors.Is(err, sql.ErrNoRows) {
		return RoundResult{}, errs.New(errs.NotFound, op, "no such round")
	}
	if err != nil {
		return RoundResult{}, dbErr(op, err)
	}
	needs, err := s.needs(ctx, "", "")
	if err != nil {
		return RoundResult{}, dbErr(op, err)
	}
	votes, err := votesOf(ctx, s.d.Store, roundID)
	if err != nil {
		return RoundResult{}, dbErr(op, err)
	}
	participant := auth.Can(p, auth.ActRoundVote)
	res := RoundResult{Round: r, List: []Ranked{}}
	for _, n := range needs {
		if n.Status == "closed" {
			continue
		}
		x := Ranked{Need: n, Votes: []Vote{}}
		for _, v := range votes[n.ID] {
			x.Total += v.Points
			if participant {
				x.Votes = append(x.Votes, v)
			}
		}
		res.List = append(res.List, x)
	}
	sort.SliceStable(res.List, func(i, j int) bool {
		if res.List[i].Total != res.List[j].Total {
			return res.List[i].Total > res.List[j].Total
		}
		return res.List[i].Need.Priority < res.List[j].Need.Priority
	})
	for i := range res.List {
		res.List[i].Rank = i + 1
	}
	return res, nil
}
