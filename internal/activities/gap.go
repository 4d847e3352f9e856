package activities

import (
	"context"
	"sort"
	"strconv"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/directory"
)

// CrowdedAt is the number of activities in one country and theme from which
// the gap map flags the cell as crowded.
const CrowdedAt = 3

// Cell is one country × theme (or agency × theme) cell of the gap map.
// An activity counts fully in every cell it touches (Activities); its
// budget is split evenly over its countries and themes (FundingEUR), so
// the cells add up to the total funding.
type Cell struct {
	Theme         string  `json:"theme"`
	Activities    int     `json:"activities"`
	FundingEUR    float64 `json:"funding_eur"`
	Beneficiaries int     `json:"beneficiaries" doc:"people expected to benefit, from activities"`
	Participants  int     `json:"participants" doc:"event participants"`
	Needs         int     `json:"needs" doc:"open needs declared"`
	TopPriority   int     `json:"top_priority,omitempty" doc:"highest priority (1 = highest) among open needs"`
	Gap           bool    `json:"gap" doc:"an open need with no activity"`
	Crowded       bool    `json:"crowded" doc:"many activities on the same theme"`
}

// Row is one country or agency of the gap map.
type Row struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Cells []Cell `json:"cells"`
}

// YearPoint is the funding and number of activities running in one year.
type YearPoint struct {
	Year         int     `json:"year"`
	Activities   int     `json:"activities"`
	FundingEUR   float64 `json:"funding_eur"`
	Participants int     `json:"participants"`
}

// GapMap is the regional picture: what is funded where, against what the
// beneficiary countries say they need.
type GapMap struct {
	Year        int              `json:"year,omitempty" doc:"only activities running in this year; 0 for all"`
	Themes      []directory.Code `json:"themes"`
	Countries   []Row            `json:"countries"`
	Agencies    []Row            `json:"agencies"`
	ByYear      []YearPoint      `json:"by_year"`
	UnmetNeeds  []Need           `json:"unmet_needs" doc:"open needs with no activity for that country and theme"`
	TotalEUR    float64          `json:"total_eur"`
	Activities  int              `json:"activities"`
	RateWarning string           `json:"rate_note"`
}

// Gap computes the gap map over published, not cancelled activities.
func (s *Service) Gap(ctx context.Context, p *auth.Principal, year int) (GapMap, error) {
	const op = "activities.Gap"
	if err := s.authorize(ctx, p, auth.ActActivityView, "gap"); err != nil {
		return GapMap{}, err
	}
	all, err := s.list(ctx, Filter{}, false)
	if err != nil {
		return GapMap{}, dbErr(op, err)
	}
	needs, err := s.needs(ctx, "", "")
	if err != nil {
		return GapMap{}, dbErr(op, err)
	}
	events, err := s.events(ctx, "")
	if err != nil {
		return GapMap{}, dbErr(op, err)
	}
	names, err := countryNames(ctx, s.d.Store)
	if err != nil {
		return GapMap{}, dbErr(op, err)
	}
	g := GapMap{Year: year, Themes: directory.Themes, UnmetNeeds: []Need{},
		RateWarning: "budgets in other currencies are converted to euro at fixed indicative rates"}
	themeIdx := map[string]int{}
	for i, t := range directory.Themes {
		themeIdx[t.Slug] = i
	}
	newRow := func(key, label string) *Row {
		r := &Row{Key: key, Label: label, Cells: make([]Cell, len(directory.Themes))}
		for i, t := range directory.Themes {
			r.Cells[i].Theme = t.Slug
		}
		return r
	}
	countryRows := map[string]*Row{}
	for _, c := range Participants {
		countryRows[c] = newRow(c, names[c])
	}
	agencyRows := map[string]*Row{}
	years := map[int]*YearPoint{}
	ys := strconv.Itoa(year)
	for _, a := range all {
		if a.Status == "cancelled" {
			continue
		}
		if year > 0 && (a.StartDate > ys+"-12-31" || a.EndDate < ys+"-01-01") {
			continue
		}
		g.Activities++
		eur := ToEUR(a.Budget, a.Currency)
		g.TotalEUR += eur
		share := eur / float64(max(1, len(a.Countries)*len(a.Themes)))
		for _, c := range a.Countries {
			r, ok := countryRows[c]
			if !ok {
				r = newRow(c, names[c])
				countryRows[c] = r
			}
			for _, t := range a.Themes {
				if i, ok := themeIdx[t]; ok {
					r.Cells[i].Activities++
					r.Cells[i].FundingEUR += share
					r.Cells[i].Beneficiaries += a.Beneficiaries / max(1, len(a.Countries))
				}
			}
		}
		for _, b := range a.Agencies {
			// Spelling variants of one agency share a row.
			key := b.Country + " · " + sortedWords(b.Agency)
			r, ok := agencyRows[key]
			if !ok {
				r = newRow(b.Country+" · "+b.Agency, b.Agency)
				agencyRows[key] = r
			}
			for _, t := range a.Themes {
				if i, ok := themeIdx[t]; ok {
					r.Cells[i].Activities++
					r.Cells[i].FundingEUR += eur / float64(max(1, len(a.Agencies)*len(a.Themes)))
				}
			}
		}
		y0, _ := strconv.Atoi(a.StartDate[:4])
		y1, _ := strconv.Atoi(a.EndDate[:4])
		span := max(1, y1-y0+1)
		for y := y0; y <= y1 && y-y0 < 50; y++ {
			yp := years[y]
			if yp == nil {
				yp = &YearPoint{Year: y}
				years[y] = yp
			}
			yp.Activities++
			yp.FundingEUR += eur / float64(span)
		}
	}
	for _, e := range events {
		if year > 0 && e.StartDate[:4] != ys {
			continue
		}
		n := e.Total()
		y, _ := strconv.Atoi(e.StartDate[:4])
		if yp := years[y]; yp != nil {
			yp.Participants += n
		} else {
			years[y] = &YearPoint{Year: y, Participants: n}
		}
		for _, pt := range e.Participants {
			r, ok := countryRows[pt.Country]
			if !ok {
				continue
			}
			for _, t := range e.Themes {
				if i, ok := themeIdx[t]; ok {
					r.Cells[i].Participants += pt.Count
				}
			}
		}
	}
	for _, n := range needs {
		if n.Status != "open" {
			continue
		}
		r, ok := countryRows[n.Country]
		if !ok {
			r = newRow(n.Country, names[n.Country])
			countryRows[n.Country] = r
		}
		i, ok := themeIdx[n.Theme]
		if !ok {
			continue
		}
		c := &r.Cells[i]
		c.Needs++
		if c.TopPriority == 0 || n.Priority < c.TopPriority {
			c.TopPriority = n.Priority
		}
	}
	for _, n := range needs {
		if n.Status != "open" {
			continue
		}
		if i, ok := themeIdx[n.Theme]; ok && countryRows[n.Country].Cells[i].Activities == 0 {
			g.UnmetNeeds = append(g.UnmetNeeds, n)
		}
	}
	for _, r := range countryRows {
		for i := range r.Cells {
			c := &r.Cells[i]
			c.Gap = c.Needs > 0 && c.Activities == 0
			c.Crowded = c.Activities >= CrowdedAt
		}
	}
	for _, k := range sortedKeys(countryRows) {
		g.Countries = append(g.Countries, *countryRows[k])
	}
	for _, k := range sortedKeys(agencyRows) {
		g.Agencies = append(g.Agencies, *agencyRows[k])
	}
	for _, y := range years {
		g.ByYear = append(g.ByYear, *y)
	}
	sort.Slice(g.ByYear, func(i, j int) bool { return g.ByYear[i].Year < g.ByYear[j].Year })
	if g.Agencies == nil {
		g.Agencies = []Row{}
	}
	if g.ByYear == nil {
		g.ByYear = []YearPoint{}
	}
	return g, nil
}
