package directory

import (
	"context"
	"database/sql"
	"errors"
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

const agencyCols = `id, owner_node, country, code, name, local_name, acronym, type, jurisdiction, parent_id, languages, website, sources, version, seed_hash, updated_at, updated_by`

func scanAgency(r interface{ Scan(...any) error }) (Agency, error) {
	var jc store.JSONColumns
	var a Agency
	var langs, sources, seed, updated string
	err := r.Scan(&a.ID, &a.OwnerNode, &a.Country, &a.Code, &a.Name, &a.LocalName, &a.Acronym, &a.Type, &a.Jurisdiction, &a.ParentID, &langs, &a.Website, &sources, &a.Version, &seed, &updated, &a.UpdatedBy)
	a.Languages, a.Sources = store.ParseJSON[[]string](&jc, "langs", langs), store.ParseJSON[[]string](&jc, "sources", sources)
	a.Seeded, a.UpdatedAt = seed != "", store.ParseTime(updated)
	if err == nil {
		err = jc.Err("directory.scanAgency", "agency "+a.ID)
	}
	return a, err
}

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

// duplicateAgency explains a unique violation in the user's terms.
func (s *Service) duplicateAgency(ctx context.Context, q store.Querier, op string, in AgencyInput, selfID string) error {
	var id, code, name string
	err := q.QueryRowContext(ctx, `SELECT id, code, name FROM dir_agencies WHERE country = ? AND name_key = ? AND id <> ?`, in.Country, fold(in.Name), selfID).Scan(&id, &code, &name)
	if err == nil {
		return errs.Newf(errs.Conflict, op, "an agency named %q already exists in %s (code %s)", name, in.Country, code)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return dbErr(op, err)
	}
	err = q.QueryRowContext(ctx, `SELECT id, name FROM dir_agencies WHERE code = ? AND id <> ?`, in.Code, selfID).Scan(&id, &name)
	if err == nil {
		return errs.Newf(errs.Conflict, op, "the agency code %q is already used by %s", in.Code, name)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return dbErr(op, err)
	}
	return nil
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
		return s.insertAgency(ctx, tx, id, s.node, in, "", actorName(p))
	})
	if err != nil {
		return Agency{}, err
	}
	if err := s.record(ctx, p, "directory.agency.create", "directory/agency/"+id, in.Country+" "+in.Code+" "+in.Name); err != nil {
		return Agency{}, err
	}
	return s.agency(ctx, s.st, id)
}

func actorName(p *auth.Principal) string {
	a, _ := actorOf(p)
	return a
}

func (s *Service) insertAgency(ctx context.Context, q store.Querier, id, owner string, in AgencyInput, seedHash, by string) error {
	now := store.FormatTime(s.clock.Now())
	_, err := q.ExecContext(ctx, `INSERT INTO dir_agencies (id, owner_node, country, code, name, name_key, local_name, acronym, type, jurisdiction, parent_id, languages, website, sources, version, seed_hash, search, created_at, updated_at, updated_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)`,
		id, owner, in.Country, in.Code, in.Name, fold(in.Name), in.LocalName, in.Acronym, in.Type, in.Jurisdiction, in.ParentID, store.JSONText(in.Languages), in.Website, store.JSONText(in.Sources),
		seedHash, agencySearch(in, s.countryWords(ctx, q, in.Country)), now, now, by)
	if store.IsUniqueViolation(err) {
		return errs.Newf(errs.Conflict, "directory.CreateAgency", "an agency with code %q or name %q already exists in %s", in.Code, in.Name, in.Country)
	}
	return dbErr("directory.CreateAgency", err)
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
		res, err := tx.ExecContext(ctx, `UPDATE dir_agencies SET country = ?, code = ?, name = ?, name_key = ?, local_name = ?, acronym = ?, type = ?, jurisdiction = ?, parent_id = ?, languages = ?, website = ?, sources = ?,
			version = version + 1, seed_hash = '', search = ?, updated_at = ?, updated_by = ? WHERE id = ? AND (? = 0 OR version = ?)`,
			in.Country, in.Code, in.Name, fold(in.Name), in.LocalName, in.Acronym, in.Type, in.Jurisdiction, in.ParentID, store.JSONText(in.Languages), in.Website, store.JSONText(in.Sources),
			agencySearch(in, s.countryWords(ctx, tx, in.Country)), store.FormatTime(s.clock.Now()), actorName(p), id, in.Version, in.Version)
		if err != nil {
			return dbErr(op, err)
		}
		return versionConflict(op, res)
	})
	if err != nil {
		return Agency{}, err
	}
	if err := s.record(ctx, p, "directory.agency.update", "directory/agency/"+id, in.Country+" "+in.Code+" "+in.Name); err != nil {
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

func (s *Service) agency(ctx context.Context, q store.Querier, id string) (Agency, error) {
	a, err := scanAgency(q.QueryRowContext(ctx, `SELECT `+agencyCols+` FROM dir_agencies WHERE id = ?`, strings.TrimSpace(id)))
	if err != nil {
		return a, dbErr("directory.Agency", store.NotFound(err, "directory.Agency", "no such agency"))
	}
	return a, nil
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

func (s *Service) agencies(ctx context.Context, f AgencyFilter) ([]Agency, error) {
	const op = "directory.Agencies"
	q := `SELECT ` + agencyCols + ` FROM dir_agencies WHERE 1=1`
	var args []any
	if c := strings.ToUpper(strings.TrimSpace(f.Country)); c != "" {
		q += ` AND (country = ? OR country IN (SELECT code FROM dir_countries WHERE parent = ?))`
		args = append(args, c, c)
	}
	if f.Type != "" {
		t, ok := resolveCode(AgencyTypes, f.Type)
		if !ok {
			return nil, errs.Newf(errs.Invalid, op, "agency type %q is not known; use one of %s", textutil.Ellipsis(f.Type, 40), slugs(AgencyTypes))
		}
		q += ` AND type = ?`
		args = append(args, t)
	}
	rows, err := s.st.QueryContext(ctx, q+` ORDER BY country, name`, args...)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	out := []Agency{}
	for rows.Next() {
		a, err := scanAgency(rows)
		if err != nil {
			return nil, dbErr(op, err)
		}
		out = append(out, a)
	}
	return out, dbErr(op, rows.Err())
}

// NodeAgencies lists the agencies this node is the authority for (the
// national agencies its NCU routes incoming messages to), by name. It is
// reference data of the node itself and is not audited.
func (s *Service) NodeAgencies(ctx context.Context) ([]Agency, error) {
	const op = "directory.NodeAgencies"
	rows, err := s.st.QueryContext(ctx, `SELECT `+agencyCols+` FROM dir_agencies WHERE owner_node = ? ORDER BY name`, s.node)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	out := []Agency{}
	for rows.Next() {
		a, err := scanAgency(rows)
		if err != nil {
			return nil, dbErr(op, err)
		}
		out = append(out, a)
	}
	return out, dbErr(op, rows.Err())
}
