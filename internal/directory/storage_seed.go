package directory

import (
	"context"
	"time"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// The SQL of loading the versioned seed file.

// seedHashOf reads the seed hash of the row of table whose keyCol is key
// (code for countries, id otherwise); sql.ErrNoRows when there is none.
func seedHashOf(ctx context.Context, q store.Querier, table, keyCol, key string) (string, error) {
	if !(table == "dir_countries" && keyCol == "code" || directoryTable(table) && keyCol == "id") {
		return "", errs.Newf(errs.Internal, "directory.Seed", "no seed key %s.%s", table, keyCol)
	}
	var h string
	err := q.QueryRowContext(ctx, `SELECT seed_hash FROM `+table+` WHERE `+keyCol+` = ?`, key).Scan(&h)
	return h, err
}

func insertSeedCountry(ctx context.Context, tx *store.Tx, c SeedCountry, hash, search string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO dir_countries (code, name, local_names, kind, parent, node, time_zone, languages, note, sources, owner_node, version, seed_hash, search, updated_at, updated_by)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, 'seed')`,
		c.Code, c.Name, store.JSONText(c.LocalNames), c.Kind, c.Parent, c.Node, c.TimeZone, store.JSONText(c.Languages), c.Note, store.JSONText(c.Sources), RegionOwner, hash, search, store.FormatTime(at))
	return err
}

func updateSeedCountry(ctx context.Context, tx *store.Tx, c SeedCountry, hash, search string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE dir_countries SET name = ?, local_names = ?, kind = ?, parent = ?, node = ?, time_zone = ?, languages = ?, note = ?, sources = ?, version = version + 1, seed_hash = ?, search = ?, updated_at = ?, updated_by = 'seed' WHERE code = ?`,
		c.Name, store.JSONText(c.LocalNames), c.Kind, c.Parent, c.Node, c.TimeZone, store.JSONText(c.Languages), c.Note, store.JSONText(c.Sources), hash, search, store.FormatTime(at), c.Code)
	return err
}

func updateSeedMechanism(ctx context.Context, tx *store.Tx, id, owner string, in MechanismInput, hash string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE dir_mechanisms SET owner_node = ?, code = ?, name = ?, former_names = ?, kind = ?, purpose = ?, members = ?, founded = ?, themes = ?, secretariat_city = ?, secretariat_country = ?,
					website = ?, parent_id = ?, status = ?, status_note = ?, sources = ?, version = version + 1, seed_hash = ?, search = ?, updated_at = ?, updated_by = 'seed' WHERE id = ?`,
		owner, in.Code, in.Name, store.JSONText(in.FormerNames), in.Kind, in.Purpose, store.JSONText(in.Members), in.Founded, store.JSONText(in.Themes), in.SecretariatCity, in.SecretariatCountry,
		in.Website, in.ParentID, in.Status, in.StatusNote, store.JSONText(in.Sources), hash, mechanismSearch(in), store.FormatTime(at), id)
	return err
}

func updateSeedAgreement(ctx context.Context, tx *store.Tx, id, owner string, c cleanedAgreement, hash string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE dir_agreements SET owner_node = ?, title = ?, title_key = ?, short_name = ?, types = ?, multilateral = ?, parties = ?, signed = ?, ratified = ?, in_force = ?, ended = ?,
					legal_basis = ?, scope = ?, mechanism_id = ?, status = ?, status_note = ?, sources = ?, version = version + 1, seed_hash = ?, search = ?, updated_at = ?, updated_by = 'seed' WHERE id = ?`,
		owner, c.Title, fold(c.Title), c.ShortName, store.JSONText(c.Types), store.BoolInt(c.Multilateral), store.JSONText(c.parties), string(c.signed), string(c.ratified), string(c.inForce), string(c.ended),
		c.LegalBasis, c.Scope, c.MechanismID, c.Status, c.StatusNote, store.JSONText(c.Sources), hash, agreementSearch(c), store.FormatTime(at), id)
	return err
}
