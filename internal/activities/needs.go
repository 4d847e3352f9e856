package activities

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// Need is a need declared by a beneficiary country: what an agency lacks
// for a theme, and how urgent it is.
type Need struct {
	ID          string    `json:"id"`
	OwnerNode   string    `json:"owner_node"`
	Version     int64     `json:"version"`
	Country     string    `json:"country"`
	Agency      string    `json:"agency,omitempty"`
	Theme       string    `json:"theme"`
	Priority    int       `json:"priority" doc:"1 (highest) to 5"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Status      string    `json:"status" enum:"open,addressed,closed"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	UpdatedBy   string    `json:"updated_by"`
}

// NeedInput declares or changes a need.
type NeedInput struct {
	Country     string `json:"country" maxLength:"10"`
	Agency      string `json:"agency,omitempty" maxLength:"200"`
	Theme       string `json:"theme" maxLength:"60"`
	Priority    int    `json:"priority" minimum:"1" maximum:"5"`
	Title       string `json:"title" maxLength:"300"`
	Description string `json:"description,omitempty" maxLength:"5000"`
	Status      string `json:"status,omitempty" enum:"open,addressed,closed,"`
	Version     int64  `json:"version,omitempty"`
}

// cleanNeed checks a need; countryChecked skips the country (checked by
// the caller).
func (s *Service) cleanNeed(ctx context.Context, op string, in NeedInput, countryChecked bool) (NeedInput, error) {
	var err error
	if !countryChecked {
		in.Country = strings.ToUpper(strings.TrimSpace(in.Country))
		node, err := countryNode(ctx, s.d.Store, in.Country)
		if errors.Is(err, sql.ErrNoRows) {
			return in, errs.Newf(errs.Invalid, op, "country: unknown country code %q", textutil.Ellipsis(in.Country, 20))
		}
		if err != nil {
			return in, dbErr(op, err)
		}
		if node != "" && node != s.d.Node {
			return in, &errs.E{Kind: errs.Forbidden, Op: op, Code: "not-owner", Msg: "needs of " + in.Country + " are declared on node " + node + ", the country's own node"}
		}
	}
	if in.Agency, err = text(op, "agency", in.Agency, 200, false); err != nil {
		return in, err
	}
	t, ok := resolveTheme(in.Theme)
	if !ok {
		return in, errs.Newf(errs.Invalid, op, "theme %q is not in the theme list", textutil.Ellipsis(in.Theme, 60))
	}
	in.Theme = t
	if in.Priority < 1 || in.Priority > 5 {
		return in, errs.New(errs.Invalid, op, "priority must be 1 (highest) to 5")
	}
	if in.Title, err = text(op, "title", in.Title, 300, true); err != nil {
		return in, err
	}
	if in.Description, err = text(op, "description", in.Description, 5000, false); err != nil {
		return in, err
	}
	switch in.Status {
	case "":
		in.Status = "open"
	case "open", "addressed", "closed":
	default:
		return in, errs.New(errs.Invalid, op, "status must be open, addressed or closed")
	}
	return in, nil
}

// CreateNeed declares a need of this node's country and publishes it to
// every peer.
func (s *Service) CreateNeed(ctx context.Context, p *auth.Principal, in NeedInput) (Need, error) {
	const op = "activities.CreateNeed"
	if err := s.authorize(ctx, p, auth.ActNeedEdit, "needs"); err != nil {
		return Need{}, err
	}
	in, err := s.cleanNeed(ctx, op, in, false)
	if err != nil {
		return Need{}, err
	}
	now := s.d.Clock.Now()
	by, _ := actorOf(p)
	n := Need{ID: store.NewID(), OwnerNode: s.d.Node, Version: 1, Country: in.Country, Agency: in.Agency, Theme: in.Theme, Priority: in.Priority,
		Title: in.Title, Description: in.Description, Status: in.Status, CreatedAt: now, UpdatedAt: now, UpdatedBy: by}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := writeNeed(ctx, tx, n, true); err != nil {
			return err
		}
		if err := s.replicate(ctx, tx, p, Publication{Kind: "need", Need: &n}); err != nil {
			return err
		}
		return s.recordTx(ctx, tx, p, "activities.need.create", "need/"+n.ID, n.Country+" "+n.Theme+": "+n.Title)
	})
	if err != nil {
		return Need{}, dbErr(op, err)
	}
	s.notify(true)
	return n, nil
}

// UpdateNeed changes a need of this node.
func (s *Service) UpdateNeed(ctx context.Context, p *auth.Principal, id string, in NeedInput) (Need, error) {
	const op = "activities.UpdateNeed"
	if err := s.authorize(ctx, p, auth.ActNeedEdit, "need/"+id); err != nil {
		return Need{}, err
	}
	in, err := s.cleanNeed(ctx, op, in, false)
	if err != nil {
		return Need{}, err
	}
	var out Need
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		n, err := needByID(ctx, tx, id)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.New(errs.NotFound, op, "no such need")
		}
		if err != nil {
			return err
		}
		if err := s.ownerCheck(n.OwnerNode, op); err != nil {
			return err
		}
		if in.Version != 0 && in.Version != n.Version {
			return &errs.E{Kind: errs.Conflict, Op: op, Code: "version-conflict", Msg: "someone changed this need since you opened it; reload and apply your change again"}
		}
		n.Country, n.Agency, n.Theme, n.Priority, n.Title, n.Description, n.Status = in.Country, in.Agency, in.Theme, in.Priority, in.Title, in.Description, in.Status
		n.Version++
		n.UpdatedAt, n.UpdatedBy = s.d.Clock.Now(), p.Username
		out = n
		if err := writeNeed(ctx, tx, n, false); err != nil {
			return err
		}
		if err := s.replicate(ctx, tx, p, Publication{Kind: "need", Need: &n}); err != nil {
			return err
		}
		return s.recordTx(ctx, tx, p, "activities.need.update", "need/"+id, "version "+strconv.FormatInt(n.Version, 10))
	})
	if err := s.refused(ctx, p, err, "activities.need.update", "need/"+id); err != nil {
		return Need{}, err
	}
	s.notify(true)
	return out, nil
}

// Needs lists the needs register, highest priority first.
func (s *Service) Needs(ctx context.Context, p *auth.Principal, country, theme string) ([]Need, error) {
	if err := s.authorize(ctx, p, auth.ActActivityView, "needs"); err != nil {
		return nil, err
	}
	out, err := s.needs(ctx, country, theme)
	return out, dbErr("activities.Needs", err)
}

// DeclareNeedsTx declares needs inside the caller's transaction, for a
// regional assessment's priorities ("training follows risk analysis"): the
// regional node owns the needs it declares for the countries the priority
// names, so countries with their own node are allowed here; each need is
// checked as CreateNeed checks it, published to every peer and audited
// with its source. The caller calls Notify after the commit.
func (s *Service) DeclareNeedsTx(ctx context.Context, tx *store.Tx, p *auth.Principal, source string, ins []NeedInput) ([]Need, error) {
	const op = "activities.DeclareNeeds"
	if err := auth.Authorize(p, auth.ActAssessmentNeeds); err != nil {
		return nil, err
	}
	now := s.d.Clock.Now()
	by, _ := actorOf(p)
	out := make([]Need, 0, len(ins))
	for _, in := range ins {
		in.Country = strings.ToUpper(strings.TrimSpace(in.Country))
		if _, err := countryNode(ctx, tx, in.Country); errors.Is(err, sql.ErrNoRows) {
			return nil, errs.Newf(errs.Invalid, op, "country: unknown country code %q", textutil.Ellipsis(in.Country, 20))
		} else if err != nil {
			return nil, err
		}
		// The ownership rule of cleanNeed is about the declaring node;
		// here the regional node declares, so check the rest only.
		c, err := s.cleanNeed(ctx, op, NeedInput{Country: "", Agency: in.Agency, Theme: in.Theme, Priority: in.Priority, Title: in.Title,
			Description: in.Description, Status: in.Status}, true)
		if err != nil {
			return nil, err
		}
		n := Need{ID: store.NewID(), OwnerNode: s.d.Node, Version: 1, Country: in.Country, Agency: c.Agency, Theme: c.Theme, Priority: c.Priority,
			Title: c.Title, Description: c.Description, Status: c.Status, CreatedAt: now, UpdatedAt: now, UpdatedBy: by}
		if err := writeNeed(ctx, tx, n, true); err != nil {
			return nil, err
		}
		if err := s.replicate(ctx, tx, p, Publication{Kind: "need", Need: &n}); err != nil {
			return nil, err
		}
		if err := s.recordTx(ctx, tx, p, "activities.need.create", "need/"+n.ID, n.Country+" "+n.Theme+": "+n.Title+" (from "+source+")"); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// Notify wakes the federation after needs declared in a caller's
// transaction were committed.
func (s *Service) Notify() { s.notify(true) }
