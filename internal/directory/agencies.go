package directory

import (
	"context"
	"regexp"
	"strings"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// Agency is a police, prosecution, justice or other authority.
type Agency struct {
	ID           string   `json:"id"`
	Country      string   `json:"country"`
	Code         string   `json:"code" doc:"short stable code, e.g. rs-mup"`
	Name         string   `json:"name"`
	LocalName    string   `json:"local_name,omitempty" doc:"name in the official language and script"`
	Acronym      string   `json:"acronym,omitempty"`
	Type         string   `json:"type"`
	Jurisdiction string   `json:"jurisdiction,omitempty" doc:"territorial or subject jurisdiction, e.g. state level, Republika Srpska, organised crime"`
	ParentID     string   `json:"parent_id,omitempty"`
	Languages    []string `json:"languages"`
	Website      string   `json:"website,omitempty"`
	Meta
}

// AgencyInput creates or changes an agency.
type AgencyInput struct {
	Country      string   `json:"country" maxLength:"10"`
	Code         string   `json:"code" maxLength:"40" doc:"lower-case letters, digits and dashes, e.g. rs-mup"`
	Name         string   `json:"name" maxLength:"300"`
	LocalName    string   `json:"local_name,omitempty" maxLength:"300"`
	Acronym      string   `json:"acronym,omitempty" maxLength:"40"`
	Type         string   `json:"type" maxLength:"40" doc:"police, border_police, customs, prosecution, court, ministry, fiu, aro, inspectorate, regional_body"`
	Jurisdiction string   `json:"jurisdiction,omitempty" maxLength:"300"`
	ParentID     string   `json:"parent_id,omitempty" maxLength:"64"`
	Languages    []string `json:"languages,omitempty" maxItems:"10"`
	Website      string   `json:"website,omitempty" maxLength:"300"`
	Sources      []string `json:"sources,omitempty" maxItems:"20"`
	Version      int64    `json:"version,omitempty" doc:"for updates: the version you edited; a newer stored version is a conflict"`
}

var agencyCodeRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,39}$`)

func (s *Service) cleanAgency(ctx context.Context, q store.Querier, op string, in AgencyInput) (AgencyInput, error) {
	var err error
	in.Country = strings.ToUpper(strings.TrimSpace(in.Country))
	in.Code = strings.ToLower(strings.TrimSpace(in.Code))
	if in.Name, err = text(op, "name", in.Name, 300, true); err != nil {
		return in, err
	}
	if in.LocalName, err = text(op, "local name", in.LocalName, 300, false); err != nil {
		return in, err
	}
	if in.Acronym, err = text(op, "acronym", in.Acronym, 40, false); err != nil {
		return in, err
	}
	if in.Jurisdiction, err = text(op, "jurisdiction", in.Jurisdiction, 300, false); err != nil {
		return in, err
	}
	if in.Website, err = text(op, "website", in.Website, 300, false); err != nil {
		return in, err
	}
	if in.Website != "" && !strings.HasPrefix(in.Website, "https://") && !strings.HasPrefix(in.Website, "http://") {
		return in, errs.New(errs.Invalid, op, "website must start with https:// or http://")
	}
	if !agencyCodeRE.MatchString(in.Code) {
		return in, errs.New(errs.Invalid, op, "code must be 2-40 characters: lower-case letters, digits and dashes (e.g. rs-mup)")
	}
	if t, ok := resolveCode(AgencyTypes, in.Type); ok {
		in.Type = t
	} else {
		return in, errs.Newf(errs.Invalid, op, "agency type %q is not known; use one of %s", textutil.Ellipsis(in.Type, 40), slugs(AgencyTypes))
	}
	if in.Languages, err = cleanLanguages(op, in.Languages); err != nil {
		return in, err
	}
	if in.Sources, err = cleanSources(op, in.Sources); err != nil {
		return in, err
	}
	if cs, err := s.checkCountries(ctx, q, op, "country", []string{in.Country}); err != nil {
		return in, err
	} else if len(cs) == 0 {
		return in, errs.New(errs.Invalid, op, "country is required")
	}
	in.ParentID = strings.TrimSpace(in.ParentID)
	if in.ParentID != "" {
		if _, err := s.agency(ctx, q, in.ParentID); err != nil {
			if errs.Is(err, errs.NotFound) {
				return in, errs.New(errs.Invalid, op, "the parent agency does not exist")
			}
			return in, err
		}
	}
	return in, nil
}

func agencySearch(in AgencyInput, countryNames string) string {
	return searchText(in.Name, in.LocalName, in.Acronym, in.Code, in.Country, countryNames, Label(AgencyTypes, in.Type), in.Jurisdiction)
}

func (s *Service) countryWords(ctx context.Context, q store.Querier, code string) string {
	c, err := s.country(ctx, q, code)
	if err != nil {
		return ""
	}
	return c.Name + " " + strings.Join(c.LocalNames, " ")
}

// CreateAgency adds an agency of this node's country.
func (s *Service) CreateAgency(ctx context.Context, p *auth.Principal, in AgencyInput) (Agency, error) {
	const op = "directory.CreateAgency"
	if err := auth.Authorize(p, auth.ActDirEdit); err != nil {
		return Agency{}, err
	}
	var id string
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if in, err = s.cleanAgency(ctx, tx, op, in); err != nil {
			return err
		}
		if err := s.checkCountryOwned(ctx, tx, op, in.Country); err != nil {
			return err
		}
		if err := s.duplicateAgency(ctx, tx, op, in, ""); err != nil {
			return err
		}
		id = store.NewID()
		if err := s.insertAgency(ctx, tx, id, s.node, in, "", actorName(p)); err != nil {
			return err
		}
		return s.recordTx(ctx, tx, p, "directory.agency.create", "directory/agency/"+id, in.Country+" "+in.Code+" "+in.Name)
	})
	if err != nil {
		return Agency{}, err
	}
	return s.agency(ctx, s.st, id)
}

func actorName(p *auth.Principal) string {
	a, _ := actorOf(p)
	return a
}

// UpdateAgency changes an agency this node owns.
func (s *Service) UpdateAgency(ctx context.Context, p *auth.Principal, id string, in AgencyInput) (Agency, error) {
	const op = "directory.UpdateAgency"
	cur, err := s.agency(ctx, s.st, id)
	if err != nil {
		return Agency{}, err
	}
	if err := s.mayEdit(ctx, p, op, auth.ActDirEdit, cur.OwnerNode, "directory/agency/"+id); err != nil {
		return Agency{}, err
	}
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if in, err = s.cleanAgency(ctx, tx, op, in); err != nil {
			return err
		}
		if in.Country != cur.Country {
			if err := s.checkCountryOwned(ctx, tx, op, in.Country); err != nil {
				return err
			}
		}
		if in.ParentID == id {
			return errs.New(errs.Invalid, op, "an agency cannot be its own parent")
		}
		if err := s.duplicateAgency(ctx, tx, op, in, id); err != nil {
			return err
		}
		res, err := updateAgencyRow(ctx, tx, id, in, agencySearch(in, s.countryWords(ctx, tx, in.Country)), s.clock.Now(), actorName(p))
		if err != nil {
			return dbErr(op, err)
		}
		if err := versionConflict(op, res); err != nil {
			return err
		}
		return s.recordTx(ctx, tx, p, "directory.agency.update", "directory/agency/"+id, in.Country+" "+in.Code+" "+in.Name)
	})
	if err != nil {
		return Agency{}, err
	}
	return s.agency(ctx, s.st, id)
}

func versionConflict(op string, res interface{ RowsAffected() (int64, error) }) error {
	n, err := res.RowsAffected()
	if err != nil {
		return dbErr(op, err)
	}
	if n == 0 {
		return &errs.E{Kind: errs.Conflict, Op: op, Code: "version-conflict", Msg: "someone else changed this entry since you opened it; reload and apply your change again"}
	}
	return nil
}

// Agency returns one agency.
func (s *Service) Agency(ctx context.Context, p *auth.Principal, id string) (Agency, error) {
	a, err := s.agency(ctx, s.st, id)
	if err != nil {
		return a, err
	}
	return a, s.record(ctx, p, "directory.agency.view", "directory/agency/"+id, "")
}

// AgencyFilter narrows a listing.
type AgencyFilter struct {
	Country string // a code; BA also lists the entities' agencies
	Type    string
}

// Agencies lists agencies, by country and name.
func (s *Service) Agencies(ctx context.Context, p *auth.Principal, f AgencyFilter) ([]Agency, error) {
	out, err := s.agencies(ctx, f)
	if err != nil {
		return nil, err
	}
	return out, s.record(ctx, p, "directory.agency.list", "directory/agencies", "country="+f.Country+" type="+f.Type)
}

// NodeAgencies lists the agencies this node is the authority for (the
// national agencies its NCU routes incoming messages to), by name. It is
// reference data of the node itself and is not audited.
func (s *Service) NodeAgencies(ctx context.Context) ([]Agency, error) {
	return agenciesOwnedBy(ctx, s.st, s.node)
}
