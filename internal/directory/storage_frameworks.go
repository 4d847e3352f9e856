package directory

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// The SQL of mechanisms, agreements and their record of use.

func updateAgreementRow(ctx context.Context, tx *store.Tx, id string, c cleanedAgreement, version int64, at time.Time, by string) (sql.Result, error) {
	return tx.ExecContext(ctx, `UPDATE dir_agreements SET title = ?, title_key = ?, short_name = ?, types = ?, multilateral = ?, parties = ?, signed = ?, ratified = ?, in_force = ?, ended = ?,
			legal_basis = ?, scope = ?, mechanism_id = ?, status = ?, status_note = ?, sources = ?, version = version + 1, seed_hash = '', search = ?, updated_at = ?, updated_by = ? WHERE id = ? AND (? = 0 OR version = ?)`,
		c.Title, fold(c.Title), c.ShortName, store.JSONText(c.Types), store.BoolInt(c.Multilateral), store.JSONText(c.parties), string(c.signed), string(c.ratified), string(c.inForce), string(c.ended),
		c.LegalBasis, c.Scope, c.MechanismID, c.Status, c.StatusNote, store.JSONText(c.Sources), agreementSearch(c), store.FormatTime(at), by, id, version, version)
}

func updateMechanismRow(ctx context.Context, tx *store.Tx, id string, in MechanismInput, at time.Time, by string) (sql.Result, error) {
	return tx.ExecContext(ctx, `UPDATE dir_mechanisms SET code = ?, name = ?, former_names = ?, kind = ?, purpose = ?, members = ?, founded = ?, themes = ?, secretariat_city = ?, secretariat_country = ?,
			website = ?, parent_id = ?, status = ?, status_note = ?, sources = ?, version = version + 1, seed_hash = '', search = ?, updated_at = ?, updated_by = ? WHERE id = ? AND (? = 0 OR version = ?)`,
		in.Code, in.Name, store.JSONText(in.FormerNames), in.Kind, in.Purpose, store.JSONText(in.Members), in.Founded, store.JSONText(in.Themes), in.SecretariatCity, in.SecretariatCountry,
		in.Website, in.ParentID, in.Status, in.StatusNote, store.JSONText(in.Sources), mechanismSearch(in), store.FormatTime(at), by, id, in.Version, in.Version)
}

// setStatusRow records the assessed status of an agreement or mechanism;
// table is dir_agreements or dir_mechanisms.
func setStatusRow(ctx context.Context, tx *store.Tx, table, id, status, note string, at time.Time, by string) error {
	if table != "dir_agreements" && table != "dir_mechanisms" {
		return errs.Newf(errs.Internal, "directory.SetStatus", "no status column in %s", table)
	}
	_, err := tx.ExecContext(ctx, `UPDATE `+table+` SET status = ?, status_note = ?, version = version + 1, seed_hash = '', updated_at = ?, updated_by = ? WHERE id = ?`,
		status, note, store.FormatTime(at), by, id)
	return err
}

func insertManualActivity(ctx context.Context, tx *store.Tx, a Activity) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO dir_activity (id, owner_node, subject_kind, subject_id, kind, count, occurred_on, note, source, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'manual', ?, ?)`,
		a.ID, a.OwnerNode, a.SubjectKind, a.SubjectID, a.Kind, a.Count, string(a.OccurredOn), a.Note, a.CreatedBy, store.FormatTime(a.CreatedAt))
	return err
}

// manualActivities lists the activities recorded by hand for a subject,
// newest first.
func manualActivities(ctx context.Context, q store.Querier, subjectKind, id string) ([]Activity, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, subject_kind, subject_id, kind, count, occurred_on, note, owner_node, created_by, created_at FROM dir_activity WHERE subject_kind = ? AND subject_id = ? ORDER BY occurred_on DESC, created_at DESC`, subjectKind, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Activity
	for rows.Next() {
		var a Activity
		var day, created string
		if err := rows.Scan(&a.ID, &a.SubjectKind, &a.SubjectID, &a.Kind, &a.Count, &day, &a.Note, &a.OwnerNode, &a.CreatedBy, &created); err != nil {
			return nil, err
		}
		a.OccurredOn, a.CreatedAt = Day(day), store.ParseTime(created)
		out = append(out, a)
	}
	return out, rows.Err()
}

const agrCols = `id, owner_node, title, short_name, types, multilateral, parties, signed, ratified, in_force, ended, legal_basis, scope, mechanism_id, status, status_note, sources, version, seed_hash, updated_at, updated_by`

func scanAgreement(r store.Scanner) (Agreement, error) {
	var jc store.JSONColumns
	var a Agreement
	var types, parties, sources, seed, updated, signed, ratified, inForce, ended string
	var multi int
	err := r.Scan(&a.ID, &a.OwnerNode, &a.Title, &a.ShortName, &types, &multi, &parties, &signed, &ratified, &inForce, &ended, &a.LegalBasis, &a.Scope, &a.MechanismID,
		&a.Status, &a.StatusNote, &sources, &a.Version, &seed, &updated, &a.UpdatedBy)
	a.Types, a.Parties, a.Sources = store.ParseJSON[[]string](&jc, "types", types), store.ParseJSON[[]Party](&jc, "parties", parties), store.ParseJSON[[]string](&jc, "sources", sources)
	if a.Parties == nil {
		a.Parties = []Party{}
	}
	a.Multilateral, a.Signed, a.Ratified, a.InForce, a.Ended = multi == 1, Day(signed), Day(ratified), Day(inForce), Day(ended)
	a.Seeded, a.UpdatedAt = seed != "", store.ParseTime(updated)
	if err == nil {
		err = jc.Err("directory.scanAgreement", "agreement "+a.ID)
	}
	return a, err
}

func (s *Service) insertAgreement(ctx context.Context, q store.Querier, id, owner string, c cleanedAgreement, seedHash, by string) error {
	now := store.FormatTime(s.clock.Now())
	_, err := q.ExecContext(ctx, `INSERT INTO dir_agreements (id, owner_node, title, title_key, short_name, types, multilateral, parties, signed, ratified, in_force, ended, legal_basis, scope, mechanism_id, status, status_note, sources, version, seed_hash, search, created_at, updated_at, updated_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)`,
		id, owner, c.Title, fold(c.Title), c.ShortName, store.JSONText(c.Types), store.BoolInt(c.Multilateral), store.JSONText(c.parties), string(c.signed), string(c.ratified), string(c.inForce), string(c.ended),
		c.LegalBasis, c.Scope, c.MechanismID, c.Status, c.StatusNote, store.JSONText(c.Sources), seedHash, agreementSearch(c), now, now, by)
	if store.IsUniqueViolation(err) {
		return errs.Newf(errs.Conflict, "directory.CreateAgreement", "an agreement titled %q is already registered", c.Title)
	}
	return dbErr("directory.CreateAgreement", err)
}

func (s *Service) agreement(ctx context.Context, q store.Querier, id string) (Agreement, error) {
	a, err := scanAgreement(q.QueryRowContext(ctx, `SELECT `+agrCols+` FROM dir_agreements WHERE id = ?`, strings.TrimSpace(id)))
	if err != nil {
		return a, dbErr("directory.Agreement", store.NotFound(err, "directory.Agreement", "no such agreement"))
	}
	return a, nil
}

func (s *Service) agreements(ctx context.Context) ([]Agreement, error) {
	const op = "directory.Agreements"
	out, err := store.Collect(ctx, s.st, scanAgreement, `SELECT `+agrCols+` FROM dir_agreements ORDER BY multilateral DESC, title`)
	return out, dbErr(op, err)
}

const mechCols = `id, owner_node, code, name, former_names, kind, purpose, members, founded, themes, secretariat_city, secretariat_country, website, parent_id, status, status_note, sources, version, seed_hash, updated_at, updated_by`

func scanMechanism(r store.Scanner) (Mechanism, error) {
	var jc store.JSONColumns
	var m Mechanism
	var former, members, themes, sources, seed, updated string
	err := r.Scan(&m.ID, &m.OwnerNode, &m.Code, &m.Name, &former, &m.Kind, &m.Purpose, &members, &m.Founded, &themes, &m.SecretariatCity, &m.SecretariatCountry, &m.Website, &m.ParentID,
		&m.Status, &m.StatusNote, &sources, &m.Version, &seed, &updated, &m.UpdatedBy)
	m.FormerNames, m.Members, m.Themes, m.Sources = store.ParseJSON[[]string](&jc, "former", former), store.ParseJSON[[]string](&jc, "members", members), store.ParseJSON[[]string](&jc, "themes", themes), store.ParseJSON[[]string](&jc, "sources", sources)
	m.Seeded, m.UpdatedAt = seed != "", store.ParseTime(updated)
	if err == nil {
		err = jc.Err("directory.scanMechanism", "mechanism "+m.ID)
	}
	return m, err
}

func (s *Service) insertMechanism(ctx context.Context, q store.Querier, id, owner string, in MechanismInput, seedHash, by string) error {
	now := store.FormatTime(s.clock.Now())
	_, err := q.ExecContext(ctx, `INSERT INTO dir_mechanisms (id, owner_node, code, name, former_names, kind, purpose, members, founded, themes, secretariat_city, secretariat_country, website, parent_id, status, status_note, sources, version, seed_hash, search, created_at, updated_at, updated_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)`,
		id, owner, in.Code, in.Name, store.JSONText(in.FormerNames), in.Kind, in.Purpose, store.JSONText(in.Members), in.Founded, store.JSONText(in.Themes), in.SecretariatCity, in.SecretariatCountry, in.Website, in.ParentID,
		in.Status, in.StatusNote, store.JSONText(in.Sources), seedHash, mechanismSearch(in), now, now, by)
	if store.IsUniqueViolation(err) {
		return errs.Newf(errs.Conflict, "directory.CreateMechanism", "a mechanism with code %q already exists", in.Code)
	}
	return dbErr("directory.CreateMechanism", err)
}

func (s *Service) mechanism(ctx context.Context, q store.Querier, id string) (Mechanism, error) {
	id = strings.TrimSpace(id)
	m, err := scanMechanism(q.QueryRowContext(ctx, `SELECT `+mechCols+` FROM dir_mechanisms WHERE id = ? OR UPPER(code) = UPPER(?)`, id, id))
	if err != nil {
		return m, dbErr("directory.Mechanism", store.NotFound(err, "directory.Mechanism", "no such mechanism"))
	}
	return m, nil
}

func (s *Service) mechanisms(ctx context.Context) ([]Mechanism, error) {
	const op = "directory.Mechanisms"
	out, err := store.Collect(ctx, s.st, scanMechanism, `SELECT `+mechCols+` FROM dir_mechanisms ORDER BY code`)
	return out, dbErr(op, err)
}
