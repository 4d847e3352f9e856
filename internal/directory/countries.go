package directory

import (
	"context"
	"strings"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// Country is a participant, one of its entities, a partner state or an
// organisation that can be party to agreements.
type Country struct {
	Code       string   `json:"code" doc:"AL, BA, ME, MK, RS, XK; BA-BIH, BA-SRP, BA-BRC for the entities and Brčko District; ISO 3166 codes of partners; EU"`
	Name       string   `json:"name"`
	LocalNames []string `json:"local_names"`
	Kind       string   `json:"kind"`
	Parent     string   `json:"parent,omitempty"`
	Node       string   `json:"node,omitempty" doc:"node that is the authority for this country's entries"`
	TimeZone   string   `json:"time_zone,omitempty"`
	Languages  []string `json:"languages"`
	Note       string   `json:"note,omitempty"`
	Meta
}

const countryCols = `code, name, local_names, kind, parent, node, time_zone, languages, note, sources, owner_node, version, seed_hash, updated_at, updated_by`

func scanCountry(r interface{ Scan(...any) error }) (Country, error) {
	var jc store.JSONColumns
	var c Country
	var local, langs, sources, seed, updated string
	err := r.Scan(&c.Code, &c.Name, &local, &c.Kind, &c.Parent, &c.Node, &c.TimeZone, &langs, &c.Note, &sources, &c.OwnerNode, &c.Version, &seed, &updated, &c.UpdatedBy)
	c.LocalNames, c.Languages, c.Sources = store.ParseJSON[[]string](&jc, "local", local), store.ParseJSON[[]string](&jc, "langs", langs), store.ParseJSON[[]string](&jc, "sources", sources)
	c.Seeded, c.UpdatedAt = seed != "", store.ParseTime(updated)
	if err == nil {
		err = jc.Err("directory.scanCountry", "country "+c.Code)
	}
	return c, err
}

// Countries lists every country, participants first.
func (s *Service) Countries(ctx context.Context, p *auth.Principal) ([]Country, error) {
	cs, err := s.countries(ctx)
	if err != nil {
		return nil, err
	}
	return cs, s.record(ctx, p, "directory.country.list", "directory/countries", "")
}

func (s *Service) countries(ctx context.Context) ([]Country, error) {
	const op = "directory.Countries"
	rows, err := s.st.QueryContext(ctx, `SELECT `+countryCols+` FROM dir_countries ORDER BY CASE kind WHEN 'participant' THEN 0 WHEN 'entity' THEN 1 WHEN 'eu' THEN 2 WHEN 'partner' THEN 3 ELSE 4 END, CASE WHEN parent = '' THEN code ELSE parent END, parent, name`)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	out := []Country{}
	for rows.Next() {
		c, err := scanCountry(rows)
		if err != nil {
			return nil, dbErr(op, err)
		}
		out = append(out, c)
	}
	return out, dbErr(op, rows.Err())
}

// Country returns one country by code.
func (s *Service) Country(ctx context.Context, p *auth.Principal, code string) (Country, error) {
	c, err := s.country(ctx, s.st, code)
	if err != nil {
		return c, err
	}
	return c, s.record(ctx, p, "directory.country.view", "directory/country/"+c.Code, "")
}

func (s *Service) country(ctx context.Context, q store.Querier, code string) (Country, error) {
	c, err := scanCountry(q.QueryRowContext(ctx, `SELECT `+countryCols+` FROM dir_countries WHERE code = ?`, strings.ToUpper(strings.TrimSpace(code))))
	if err != nil {
		return c, dbErr("directory.Country", store.NotFound(err, "directory.Country", "no country with code "+textutil.Ellipsis(code, 20)))
	}
	return c, nil
}

// ResolveCountry finds a country from a code or a name in any language or
// script ("Srbija", "Србија", "Kosova", "BiH").
func (s *Service) ResolveCountry(ctx context.Context, in string) (Country, error) {
	const op = "directory.ResolveCountry"
	in = strings.TrimSpace(in)
	if in == "" {
		return Country{}, errs.New(errs.Invalid, op, "a country is required")
	}
	if c, err := s.country(ctx, s.st, in); err == nil {
		return c, nil
	}
	cs, err := s.countries(ctx)
	if err != nil {
		return Country{}, err
	}
	f := fold(in)
	for _, c := range cs {
		if fold(c.Name) == f {
			return c, nil
		}
		for _, n := range c.LocalNames {
			if fold(n) == f {
				return c, nil
			}
		}
	}
	return Country{}, errs.Newf(errs.NotFound, op, "no country matches %q; use a code such as AL, BA, ME, MK, RS or XK", textutil.Ellipsis(in, 40))
}
