package directory

import (
	"context"
	"time"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// The SQL of taking in a peer's snapshot: a peer's record replaces the local
// copy's fields; stamp then keeps the peer's version and change time.

// rowOwnerVersion reads the owner and version of a directory row;
// sql.ErrNoRows when there is none.
func rowOwnerVersion(ctx context.Context, q store.Querier, table, id string) (owner string, version int64, err error) {
	if !directoryTable(table) {
		return "", 0, errs.Newf(errs.Internal, "directory", "%s is not a directory table", table)
	}
	err = q.QueryRowContext(ctx, `SELECT owner_node, version FROM `+table+` WHERE id = ?`, id).Scan(&owner, &version)
	return owner, version, err
}

// mechanismCodeTaken reports whether a mechanism other than id has code.
func mechanismCodeTaken(ctx context.Context, q store.Querier, code, id string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM dir_mechanisms WHERE code = ? AND id <> ?`, code, id).Scan(&n)
	return n > 0, err
}

// agreementTitleTaken reports whether an agreement other than id has the
// title (compared folded).
func agreementTitleTaken(ctx context.Context, q store.Querier, title, id string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM dir_agreements WHERE title_key = ? AND id <> ?`, fold(title), id).Scan(&n)
	return n > 0, err
}

func replaceMechanismRow(ctx context.Context, tx *store.Tx, id string, in MechanismInput) error {
	_, err := tx.ExecContext(ctx, `UPDATE dir_mechanisms SET code = ?, name = ?, former_names = ?, kind = ?, purpose = ?, members = ?, founded = ?, themes = ?, secretariat_city = ?, secretariat_country = ?,
					website = ?, parent_id = ?, status = ?, status_note = ?, sources = ?, seed_hash = '', search = ? WHERE id = ?`,
		in.Code, in.Name, store.JSONText(in.FormerNames), in.Kind, in.Purpose, store.JSONText(in.Members), in.Founded, store.JSONText(in.Themes), in.SecretariatCity, in.SecretariatCountry,
		in.Website, in.ParentID, in.Status, in.StatusNote, store.JSONText(in.Sources), mechanismSearch(in), id)
	return err
}

func replaceAgencyRow(ctx context.Context, tx *store.Tx, id string, in AgencyInput, search string) error {
	_, err := tx.ExecContext(ctx, `UPDATE dir_agencies SET country = ?, code = ?, name = ?, name_key = ?, local_name = ?, acronym = ?, type = ?, jurisdiction = ?, parent_id = ?, languages = ?, website = ?, sources = ?,
					seed_hash = '', search = ? WHERE id = ?`,
		in.Country, in.Code, in.Name, fold(in.Name), in.LocalName, in.Acronym, in.Type, in.Jurisdiction, in.ParentID, store.JSONText(in.Languages), in.Website, store.JSONText(in.Sources),
		search, id)
	return err
}

func replaceContactRow(ctx context.Context, tx *store.Tx, id string, in ContactPointInput, search string) error {
	_, err := tx.ExecContext(ctx, `UPDATE dir_contact_points SET country = ?, agency_id = ?, mechanism_id = ?, role = ?, title = ?, channels = ?, languages = ?, always_on = ?, hours = ?, time_zone = ?,
					holder_name = ?, holder_title = ?, holder_since = ?, deputy_name = ?, deputy_title = ?, notes = ?, sources = ?, seed_hash = '', search = ? WHERE id = ?`,
		in.Country, in.AgencyID, in.MechanismID, in.Role, in.Title, store.JSONText(in.Channels), store.JSONText(in.Languages), store.BoolInt(in.AlwaysOn), in.Hours, in.TimeZone,
		in.HolderName, in.HolderTitle, in.HolderSince, in.DeputyName, in.DeputyTitle, in.Notes, store.JSONText(in.Sources), search, id)
	return err
}

// setContactConfirmation keeps the owner's confirmation of a contact point,
// so staleness travels with the record.
func setContactConfirmation(ctx context.Context, tx *store.Tx, id string, at time.Time, by string) error {
	_, err := tx.ExecContext(ctx, `UPDATE dir_contact_points SET confirmed_at = ?, confirmed_by = ? WHERE id = ?`, store.FormatTime(at), by, id)
	return err
}

func replaceAgreementRow(ctx context.Context, tx *store.Tx, id string, c cleanedAgreement) error {
	_, err := tx.ExecContext(ctx, `UPDATE dir_agreements SET title = ?, title_key = ?, short_name = ?, types = ?, multilateral = ?, parties = ?, signed = ?, ratified = ?, in_force = ?, ended = ?,
					legal_basis = ?, scope = ?, mechanism_id = ?, status = ?, status_note = ?, sources = ?, seed_hash = '', search = ? WHERE id = ?`,
		c.Title, fold(c.Title), c.ShortName, store.JSONText(c.Types), store.BoolInt(c.Multilateral), store.JSONText(c.parties), string(c.signed), string(c.ratified), string(c.inForce), string(c.ended),
		c.LegalBasis, c.Scope, c.MechanismID, c.Status, c.StatusNote, store.JSONText(c.Sources), agreementSearch(c), id)
	return err
}

// stamp keeps the peer's version and change time, so a later snapshot is
// compared against what the owner published, not against local time.
func (s *Service) stamp(ctx context.Context, q store.Querier, table, id string, m Meta) error {
	_, err := q.ExecContext(ctx, `UPDATE `+table+` SET version = ?, updated_at = ?, updated_by = ? WHERE id = ?`, m.Version, store.FormatTime(m.UpdatedAt), m.UpdatedBy, id)
	return err
}
