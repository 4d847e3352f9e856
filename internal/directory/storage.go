package directory

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// The directory's SQL: typed reads and writes over store.Querier (or
// *store.Tx for writes). Service code holds no SQL.

func countryNode(ctx context.Context, q store.Querier, code string) (string, error) {
	var node string
	err := q.QueryRowContext(ctx, `SELECT node FROM dir_countries WHERE code = ?`, code).Scan(&node)
	return node, err
}

func countCountries(ctx context.Context, q store.Querier, code string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM dir_countries WHERE code = ?`, code).Scan(&n)
	return n, err
}

func updateAgencyRow(ctx context.Context, tx *store.Tx, id string, in AgencyInput, search string, at time.Time, by string) (sql.Result, error) {
	return tx.ExecContext(ctx, `UPDATE dir_agencies SET country = ?, code = ?, name = ?, name_key = ?, local_name = ?, acronym = ?, type = ?, jurisdiction = ?, parent_id = ?, languages = ?, website = ?, sources = ?,
			version = version + 1, seed_hash = '', search = ?, updated_at = ?, updated_by = ? WHERE id = ? AND (? = 0 OR version = ?)`,
		in.Country, in.Code, in.Name, fold(in.Name), in.LocalName, in.Acronym, in.Type, in.Jurisdiction, in.ParentID, store.JSONText(in.Languages), in.Website, store.JSONText(in.Sources),
		search, store.FormatTime(at), by, id, in.Version, in.Version)
}

// agenciesOwnedBy lists the agencies node is the authority for, by name.
func agenciesOwnedBy(ctx context.Context, q store.Querier, node string) ([]Agency, error) {
	const op = "directory.NodeAgencies"
	out, err := store.Collect(ctx, q, scanAgency, `SELECT `+agencyCols+` FROM dir_agencies WHERE owner_node = ? ORDER BY name`, node)
	return out, dbErr(op, err)
}

// nodeCountries lists the country codes this node is the authority for.
func (s *Service) nodeCountries(ctx context.Context, q store.Querier) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT code FROM dir_countries WHERE node = ?`, s.node)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "directory", "cannot read countries", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out[c] = true
	}
	return out, rows.Err()
}

const agencyCols = `id, owner_node, country, code, name, local_name, acronym, type, jurisdiction, parent_id, languages, website, sources, version, seed_hash, updated_at, updated_by`

func scanAgency(r store.Scanner) (Agency, error) {
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

func (s *Service) agency(ctx context.Context, q store.Querier, id string) (Agency, error) {
	a, err := scanAgency(q.QueryRowContext(ctx, `SELECT `+agencyCols+` FROM dir_agencies WHERE id = ?`, strings.TrimSpace(id)))
	if err != nil {
		return a, dbErr("directory.Agency", store.NotFound(err, "directory.Agency", "no such agency"))
	}
	return a, nil
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
	out, err := store.Collect(ctx, s.st, scanAgency, q+` ORDER BY country, name`, args...)
	return out, dbErr(op, err)
}

const countryCols = `code, name, local_names, kind, parent, node, time_zone, languages, note, sources, owner_node, version, seed_hash, updated_at, updated_by`

func scanCountry(r store.Scanner) (Country, error) {
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

func (s *Service) countries(ctx context.Context) ([]Country, error) {
	const op = "directory.Countries"
	out, err := store.Collect(ctx, s.st, scanCountry, `SELECT `+countryCols+` FROM dir_countries ORDER BY CASE kind WHEN 'participant' THEN 0 WHEN 'entity' THEN 1 WHEN 'eu' THEN 2 WHEN 'partner' THEN 3 ELSE 4 END, CASE WHEN parent = '' THEN code ELSE parent END, parent, name`)
	return out, dbErr(op, err)
}

func (s *Service) country(ctx context.Context, q store.Querier, code string) (Country, error) {
	c, err := scanCountry(q.QueryRowContext(ctx, `SELECT `+countryCols+` FROM dir_countries WHERE code = ?`, strings.ToUpper(strings.TrimSpace(code))))
	if err != nil {
		return c, dbErr("directory.Country", store.NotFound(err, "directory.Country", "no country with code "+textutil.Ellipsis(code, 20)))
	}
	return c, nil
}

// directoryTable reports whether table is one of the directory's record
// tables keyed by id, the only ones a table name may be built from.
func directoryTable(table string) bool {
	switch table {
	case "dir_agencies", "dir_contact_points", "dir_mechanisms", "dir_agreements":
		return true
	}
	return false
}

// rowExists reports whether table (a directory table) has a row id.
func rowExists(ctx context.Context, q store.Querier, table, id string) (bool, error) {
	if !directoryTable(table) {
		return false, errs.Newf(errs.Internal, "directory", "%s is not a directory table", table)
	}
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE id = ?`, id).Scan(&n)
	return n > 0, err
}

// countryNodes maps every country code to the node that is the authority
// for its entries ("" when none is).
func countryNodes(ctx context.Context, q store.Querier) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT code, node FROM dir_countries`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var code, node string
		if err := rows.Scan(&code, &node); err != nil {
			return nil, err
		}
		out[code] = node
	}
	return out, rows.Err()
}
