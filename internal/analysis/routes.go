package analysis

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/errs"
)

// RouteQuery selects the journeys recorded on cases over a period.
type RouteQuery struct {
	From string `query:"from" json:"from" maxLength:"10" doc:"first day, YYYY-MM-DD (default: a year before the last day)"`
	To   string `query:"to" json:"to" maxLength:"10" doc:"last day, YYYY-MM-DD (default: today)"`
	Area string `query:"area" json:"area,omitempty" maxLength:"64" doc:"only cases of this crime area"`
}

// RouteSegment is one leg between two consecutive stops, in the
// direction travelled, with how often it was travelled in the period.
type RouteSegment struct {
	From     cases.Place `json:"from"`
	To       cases.Place `json:"to"`
	Journeys int         `json:"journeys" doc:"recorded journeys that travelled this leg"`
	Cases    int         `json:"cases" doc:"cases those journeys are recorded on"`
}

// RouteReport is the route frequencies of a period.
type RouteReport struct {
	From     string         `json:"from"`
	To       string         `json:"to"`
	Area     string         `json:"area,omitempty"`
	Journeys int            `json:"journeys" doc:"journeys recorded in the period"`
	Cases    int            `json:"cases" doc:"cases with a journey in the period"`
	Segments []RouteSegment `json:"segments" doc:"the most travelled first"`
}

func (q *RouteQuery) normalise(today time.Time) error {
	const op = "analysis.Routes"
	day := func(v string) (time.Time, error) {
		t, err := time.Parse(time.DateOnly, strings.TrimSpace(v))
		if err != nil {
			return t, errs.Newf(errs.Invalid, op, "%q is not a date (use YYYY-MM-DD)", v)
		}
		return t, nil
	}
	to := today.UTC().Truncate(24 * time.Hour)
	var err error
	if q.To != "" {
		if to, err = day(q.To); err != nil {
			return err
		}
	}
	from := to.AddDate(-1, 0, 1)
	if q.From != "" {
		if from, err = day(q.From); err != nil {
			return err
		}
	}
	if from.After(to) {
		return errs.New(errs.Invalid, op, "the first day is after the last")
	}
	q.From, q.To = from.Format(time.DateOnly), to.Format(time.DateOnly)
	q.Area = strings.TrimSpace(q.Area)
	if q.Area != "" && !slices.Contains(cases.CrimeAreas, q.Area) {
		return errs.Newf(errs.Invalid, op, "crime area %q is unknown", q.Area)
	}
	return nil
}

// Routes counts the legs of the journeys recorded on cases over a
// period: how many journeys travelled each leg and on how many cases.
// Reading is audited.
func (s *Service) Routes(ctx context.Context, p *auth.Principal, q RouteQuery) (RouteReport, error) {
	const op = "analysis.Routes"
	if err := auth.Authorize(p, auth.ActAnalysisView); err != nil {
		return RouteReport{}, err
	}
	if err := q.normalise(s.d.Clock.Now()); err != nil {
		return RouteReport{}, err
	}
	rep := RouteReport{From: q.From, To: q.To, Area: q.Area, Segments: []RouteSegment{}}
	var err error
	if rep.Journeys, rep.Cases, err = routeTotals(ctx, s.d.Store, q); err != nil {
		return RouteReport{}, unavailable(op, err)
	}
	legs, err := routeLegs(ctx, s.d.Store, q)
	if err != nil {
		return RouteReport{}, unavailable(op, err)
	}
	for _, l := range legs {
		a, okA := cases.PlaceByCode(l.from)
		b, okB := cases.PlaceByCode(l.to)
		if !okA || !okB {
			continue // a place since removed from the gazetteer
		}
		rep.Segments = append(rep.Segments, RouteSegment{From: a, To: b, Journeys: l.journeys, Cases: l.cases})
	}
	slices.SortStableFunc(rep.Segments, func(x, y RouteSegment) int {
		if x.Journeys != y.Journeys {
			return y.Journeys - x.Journeys
		}
		return strings.Compare(x.From.Code+x.To.Code, y.From.Code+y.To.Code)
	})
	return rep, s.record(ctx, s.entry(p, "analysis.routes", "cases/routes", fmt.Sprintf("%s..%s area=%s journeys=%d", q.From, q.To, q.Area, rep.Journeys)))
}

// RoutesCSV is a route report's legs as CSV, one row per leg.
func RoutesCSV(r RouteReport) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"from_code", "from", "to_code", "to", "journeys", "cases", "period_from", "period_to"})
	for _, s := range r.Segments {
		_ = w.Write([]string{s.From.Code, s.From.Name, s.To.Code, s.To.Name, strconv.Itoa(s.Journeys), strconv.Itoa(s.Cases), r.From, r.To})
	}
	w.Flush()
	return buf.Bytes()
}
