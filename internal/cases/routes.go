// Routes recorded on cases: ordered places and border crossings of one
// journey, with the day travelled.

package cases

import (
	"context"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// MaxRouteStops is the most stops one recorded route has.
const MaxRouteStops = 20

// Route is one journey recorded on a case.
type Route struct {
	ID          string    `json:"id"`
	CaseID      string    `json:"case_id"`
	TravelledOn string    `json:"travelled_on" doc:"YYYY-MM-DD"`
	Stops       []string  `json:"stops" doc:"place codes in the order travelled (see /api/v1/cases/places)"`
	Note        string    `json:"note,omitempty"`
	CreatedBy   string    `json:"created_by,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// RouteInput records a route.
type RouteInput struct {
	TravelledOn string   `json:"travelled_on" maxLength:"10" doc:"YYYY-MM-DD"`
	Stops       []string `json:"stops" minItems:"2" maxItems:"20" doc:"place codes in the order travelled: towns (UN/LOCODE) and border crossings (BCP-…)"`
	Note        string   `json:"note,omitempty" maxLength:"500"`
}

func (in *RouteInput) normalise(today time.Time) error {
	const op = "cases.AddRoute"
	day, err := normDay(op, "travelled_on", in.TravelledOn)
	if err != nil {
		return err
	}
	if day == "" {
		return errs.New(errs.Invalid, op, "a route needs the day it was travelled")
	}
	if day > today.UTC().Format(time.DateOnly) {
		return errs.New(errs.Invalid, op, "a route cannot be travelled in the future")
	}
	in.TravelledOn = day
	if len(in.Stops) < 2 || len(in.Stops) > MaxRouteStops {
		return errs.Newf(errs.Invalid, op, "a route has from 2 to %d stops", MaxRouteStops)
	}
	for i, c := range in.Stops {
		pl, ok := PlaceByCode(c)
		if !ok {
			return errs.Newf(errs.Invalid, op, "stop %d: %q is not a place of the gazetteer", i+1, c)
		}
		if i > 0 && in.Stops[i-1] == pl.Code {
			return errs.Newf(errs.Invalid, op, "stop %d repeats the stop before it", i+1)
		}
		in.Stops[i] = pl.Code
	}
	in.Note = textutil.Clip(strings.TrimSpace(in.Note), 500)
	return nil
}

// AddRoute records a journey on a case.
func (s *Service) AddRoute(ctx context.Context, p *auth.Principal, caseIDOrRef string, in RouteInput) (Route, error) {
	const op = "cases.AddRoute"
	in.Stops = append([]string(nil), in.Stops...)
	if err := in.normalise(s.now()); err != nil {
		return Route{}, err
	}
	id, _, err := caseKey(ctx, s.d.Store, caseIDOrRef)
	if err != nil {
		return Route{}, store.NotFound(err, op, "no such case")
	}
	r := Route{ID: store.NewID(), CaseID: id, TravelledOn: in.TravelledOn, Stops: in.Stops, Note: in.Note, CreatedAt: s.now()}
	if p != nil {
		r.CreatedBy = p.Username
	}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := insertRoute(ctx, tx, r); err != nil {
			return err
		}
		return s.queue(ctx, tx, entry(p, "cases.route.create", "case/"+id, "", r.TravelledOn+" "+strings.Join(r.Stops, " > ")))
	})
	if err != nil {
		return Route{}, unavailable(op, err)
	}
	return r, nil
}
