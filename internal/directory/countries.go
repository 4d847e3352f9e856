package directory

import (
	"context"
	"strings"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
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

// Countries lists every country, participants first.
func (s *Service) Countries(ctx context.Context, p *auth.Principal) ([]Country, error) {
	cs, err := s.countries(ctx)
	if err != nil {
		return nil, err
	}
	return cs, s.record(ctx, p, "directory.country.list", "directory/countries", "")
}

// Country returns one country by code.
func (s *Service) Country(ctx context.Context, p *auth.Principal, code string) (Country, error) {
	c, err := s.country(ctx, s.st, code)
	if err != nil {
		return c, err
	}
	return c, s.record(ctx, p, "directory.country.view", "directory/country/"+c.Code, "")
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
