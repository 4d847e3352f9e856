package analysis

import (
	"context"
	"strconv"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/errs"
)

// ProfileAreas are the crime areas of the trafficking and smuggling case profile.
var ProfileAreas = []string{"trafficking_human_beings", "migrant_smuggling"}

// ComputeProfile builds the trafficking and migrant smuggling case
// profile of year from this node's cases (cases opened that year; victims
// and perpetrators of all cases held, by sex, age band and nationality)
// and saves it as a table of set thb, to be completed by hand.
func (s *Service) ComputeProfile(ctx context.Context, p *auth.Principal, year int, jurisdiction string) (Table, error) {
	const op = "analysis.ComputeProfile"
	if err := auth.Authorize(p, auth.ActAnalysisEdit); err != nil {
		return Table{}, err
	}
	if s.d.Cases == nil {
		return Table{}, errs.New(errs.Unavailable, op, "the case database is not available on this node")
	}
	in := TableInput{Set: "thb", Title: "Trafficking and migrant smuggling case profile " + strconv.Itoa(year), Period: strconv.Itoa(year),
		Jurisdiction: jurisdiction, Source: "computed from the node's case database",
		Definitions: []Definition{
			{Indicator: "cases", NationalOffence: "cases of the crime areas trafficking_human_beings and migrant_smuggling opened in the period"},
			{Indicator: "victims", NationalOffence: "persons with role victim in those areas", Note: "all cases held on the node, not only those opened in the period; age at the opening of the case"},
			{Indicator: "perpetrators", NationalOffence: "persons with role suspect in those areas", Note: "all cases held on the node, not only those opened in the period"}}}
	_, in, err := s.cleanTable(op, in)
	if err != nil {
		return Table{}, err
	}
	st, err := s.d.Cases.Stats(ctx, p, false)
	if err != nil {
		return Table{}, err
	}
	var cells []TableCell
	n := func(v int) *int { return &v }
	for _, a := range st.Areas {
		if a.CrimeArea != ProfileAreas[0] && a.CrimeArea != ProfileAreas[1] {
			continue
		}
		for _, y := range a.Years {
			if y.Year == year {
				cells = append(cells, TableCell{Indicator: "cases", Area: a.CrimeArea, Value: n(y.Cases)})
			}
		}
		for _, role := range []struct {
			ind  string
			prof cases.Profile
		}{{"victims", a.Victims}, {"perpetrators", a.Perpetrators}} {
			if role.prof.Persons == 0 {
				continue
			}
			cells = append(cells, TableCell{Indicator: role.ind, Area: a.CrimeArea, Value: n(role.prof.Persons)})
			for _, c := range role.prof.Sex {
				sex := map[string]string{"F": "female", "M": "male"}[c.Label]
				if sex == "" {
					sex = "unknown"
				}
				cells = append(cells, TableCell{Indicator: role.ind, Area: a.CrimeArea, Sex: sex, Value: n(c.N)})
			}
			for _, c := range role.prof.AgeBands {
				cells = append(cells, TableCell{Indicator: role.ind, Area: a.CrimeArea, AgeBand: c.Label, Value: n(c.N)})
			}
			for _, c := range role.prof.Nationality {
				if len(c.Label) == 2 {
					cells = append(cells, TableCell{Indicator: role.ind, Area: a.CrimeArea, Nationality: c.Label, Value: n(c.N)})
				}
			}
		}
	}
	return s.saveTable(ctx, p, in, cells, "compute")
}
