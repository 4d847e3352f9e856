package directory

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// The SQL of contact points and handovers.

func updateContactRow(ctx context.Context, tx *store.Tx, id string, in ContactPointInput, search string, at time.Time, by string) (sql.Result, error) {
	now := store.FormatTime(at)
	return tx.ExecContext(ctx, `UPDATE dir_contact_points SET country = ?, agency_id = ?, mechanism_id = ?, role = ?, title = ?, channels = ?, languages = ?, always_on = ?, hours = ?, time_zone = ?,
			holder_name = ?, holder_title = ?, holder_since = ?, deputy_name = ?, deputy_title = ?, notes = ?, sources = ?, confirmed_at = ?, confirmed_by = ?,
			version = version + 1, seed_hash = '', search = ?, updated_at = ?, updated_by = ? WHERE id = ? AND (? = 0 OR version = ?)`,
		in.Country, in.AgencyID, in.MechanismID, in.Role, in.Title, store.JSONText(in.Channels), store.JSONText(in.Languages), store.BoolInt(in.AlwaysOn), in.Hours, in.TimeZone,
		in.HolderName, in.HolderTitle, in.HolderSince, in.DeputyName, in.DeputyTitle, in.Notes, store.JSONText(in.Sources), now, by,
		search, now, by, id, in.Version, in.Version)
}

func confirmContactRow(ctx context.Context, tx *store.Tx, id string, at time.Time, by string) error {
	now := store.FormatTime(at)
	_, err := tx.ExecContext(ctx, `UPDATE dir_contact_points SET confirmed_at = ?, confirmed_by = ?, version = version + 1, updated_at = ?, updated_by = ? WHERE id = ?`,
		now, by, now, by, id)
	return err
}

const cpCols = `c.id, c.owner_node, c.country, c.agency_id, COALESCE(a.name, ''), c.mechanism_id, c.role, c.title, c.channels, c.languages, c.always_on, c.hours, c.time_zone,
	c.holder_name, c.holder_title, c.holder_since, c.deputy_name, c.deputy_title, c.notes, c.confirmed_at, c.confirmed_by, c.sources, c.version, c.seed_hash, c.updated_at, c.updated_by`

const cpFrom = ` FROM dir_contact_points c LEFT JOIN dir_agencies a ON a.id = c.agency_id`

func (s *Service) scanContact(r store.Scanner) (ContactPoint, error) {
	var jc store.JSONColumns
	var c ContactPoint
	var channels, langs, sources, seed, updated, confirmed, since string
	var always int
	err := r.Scan(&c.ID, &c.OwnerNode, &c.Country, &c.AgencyID, &c.AgencyName, &c.MechanismID, &c.Role, &c.Title, &channels, &langs, &always, &c.Hours, &c.TimeZone,
		&c.Holder.Name, &c.Holder.Title, &since, &c.Deputy.Name, &c.Deputy.Title, &c.Notes, &confirmed, &c.ConfirmedBy, &sources, &c.Version, &seed, &updated, &c.UpdatedBy)
	c.Channels, c.Languages, c.Sources = store.ParseJSON[[]Channel](&jc, "channels", channels), store.ParseJSON[[]string](&jc, "langs", langs), store.ParseJSON[[]string](&jc, "sources", sources)
	if c.Channels == nil {
		c.Channels = []Channel{}
	}
	c.AlwaysOn, c.HolderSince = always == 1, Day(since)
	c.ConfirmedAt, c.UpdatedAt, c.Seeded = store.ParseTime(confirmed), store.ParseTime(updated), seed != ""
	c.RoleLabel = Label(ContactRoles, c.Role)
	c.Stale = s.clock.Now().Sub(c.ConfirmedAt) > StaleAfter
	if err == nil {
		err = jc.Err("directory.scanContact", "contact point "+c.ID)
	}
	return c, err
}

func (s *Service) insertContact(ctx context.Context, q store.Querier, id, owner string, in ContactPointInput, seedHash, by string) error {
	now := store.FormatTime(s.clock.Now())
	_, err := q.ExecContext(ctx, `INSERT INTO dir_contact_points (id, owner_node, country, agency_id, mechanism_id, role, title, channels, languages, always_on, hours, time_zone,
		holder_name, holder_title, holder_since, deputy_name, deputy_title, notes, confirmed_at, confirmed_by, sources, version, seed_hash, search, created_at, updated_at, updated_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)`,
		id, owner, in.Country, in.AgencyID, in.MechanismID, in.Role, in.Title, store.JSONText(in.Channels), store.JSONText(in.Languages), store.BoolInt(in.AlwaysOn), in.Hours, in.TimeZone,
		in.HolderName, in.HolderTitle, in.HolderSince, in.DeputyName, in.DeputyTitle, in.Notes, now, by, store.JSONText(in.Sources), seedHash, s.contactSearch(ctx, q, in), now, now, by)
	return dbErr("directory.CreateContactPoint", err)
}

func (s *Service) contact(ctx context.Context, q store.Querier, id string) (ContactPoint, error) {
	c, err := s.scanContact(q.QueryRowContext(ctx, `SELECT `+cpCols+cpFrom+` WHERE c.id = ?`, strings.TrimSpace(id)))
	if err != nil {
		return c, dbErr("directory.ContactPoint", store.NotFound(err, "directory.ContactPoint", "no such contact point"))
	}
	if err := s.attachPending(ctx, q, []*ContactPoint{&c}); err != nil {
		return c, err
	}
	return c, nil
}

func (s *Service) contacts(ctx context.Context, f ContactFilter) ([]ContactPoint, error) {
	const op = "directory.ContactPoints"
	q := `SELECT ` + cpCols + cpFrom + ` WHERE 1=1`
	var args []any
	if c := strings.ToUpper(strings.TrimSpace(f.Country)); c != "" {
		q += ` AND (c.country = ? OR c.country IN (SELECT code FROM dir_countries WHERE parent = ?))`
		args = append(args, c, c)
	}
	if f.Role != "" {
		r, ok := resolveCode(ContactRoles, f.Role)
		if !ok {
			return nil, errs.Newf(errs.Invalid, op, "role %q is not known; use one of %s", textutil.Ellipsis(f.Role, 60), slugs(ContactRoles))
		}
		q += ` AND c.role = ?`
		args = append(args, r)
	}
	if f.AgencyID != "" {
		q += ` AND c.agency_id = ?`
		args = append(args, f.AgencyID)
	}
	if f.MechanismID != "" {
		q += ` AND c.mechanism_id = ?`
		args = append(args, f.MechanismID)
	}
	if f.StaleOnly {
		q += ` AND c.confirmed_at < ?`
		args = append(args, store.FormatTime(s.clock.Now().Add(-StaleAfter)))
	}
	rows, err := s.st.QueryContext(ctx, q+` ORDER BY c.country, c.role, c.title`, args...)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	out := []ContactPoint{}
	for rows.Next() {
		c, err := s.scanContact(rows)
		if err != nil {
			return nil, dbErr(op, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr(op, err)
	}
	ptrs := make([]*ContactPoint, len(out))
	for i := range out {
		ptrs[i] = &out[i]
	}
	return out, s.attachPending(ctx, s.st, ptrs)
}

func insertHandover(ctx context.Context, tx *store.Tx, h Handover, owner string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO dir_handovers (id, contact_point_id, owner_node, from_holder, to_holder, to_holder_title, to_deputy, to_deputy_title, effective_from, reason, open_items, reassigned, state, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`,
		h.ID, h.ContactPointID, owner, h.From, h.To.Name, h.To.Title, h.ToDeputy.Name, h.ToDeputy.Title, string(h.EffectiveFrom), h.Reason, store.JSONText(h.OpenItems), h.State, h.CreatedBy, store.FormatTime(h.CreatedAt))
	return err
}

// markHandoverDone marks a scheduled handover applied; false when it was
// applied concurrently.
func markHandoverDone(ctx context.Context, tx *store.Tx, id string, reassigned int, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE dir_handovers SET state = ?, reassigned = ?, applied_at = ? WHERE id = ? AND state = ?`,
		HandoverDone, reassigned, store.FormatTime(at), id, HandoverScheduled)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// setContactHolder gives a contact point the holder of handover h, which
// also confirms it.
func setContactHolder(ctx context.Context, tx *store.Tx, h Handover, deputy, deputyTitle, search string, at time.Time, by string) error {
	f := store.FormatTime(at)
	_, err := tx.ExecContext(ctx, `UPDATE dir_contact_points SET holder_name = ?, holder_title = ?, holder_since = ?, deputy_name = ?, deputy_title = ?,
			confirmed_at = ?, confirmed_by = ?, version = version + 1, seed_hash = '', search = ?, updated_at = ?, updated_by = ? WHERE id = ?`,
		h.To.Name, h.To.Title, string(h.EffectiveFrom), deputy, deputyTitle, f, by, search, f, by, h.ContactPointID)
	return err
}

// dueHandovers lists the scheduled handovers whose day has come.
func dueHandovers(ctx context.Context, q store.Querier, today Day) ([]Handover, error) {
	const op = "directory.applyDueHandovers"
	rows, err := q.QueryContext(ctx, `SELECT `+handoverCols+` FROM dir_handovers WHERE state = ? AND effective_from <= ?`, HandoverScheduled, string(today))
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	var due []Handover
	for rows.Next() {
		h, err := scanHandover(rows)
		if err != nil {
			return nil, dbErr(op, err)
		}
		due = append(due, h)
	}
	return due, dbErr(op, rows.Err())
}

// handoversOf lists the handovers of a contact point, newest first.
func handoversOf(ctx context.Context, q store.Querier, contactID string) ([]Handover, error) {
	return store.Collect(ctx, q, scanHandover, `SELECT `+handoverCols+` FROM dir_handovers WHERE contact_point_id = ? ORDER BY created_at DESC, id DESC`, contactID)
}

const handoverCols = `id, contact_point_id, from_holder, to_holder, to_holder_title, to_deputy, to_deputy_title, effective_from, reason, open_items, reassigned, state, created_by, created_at, applied_at`

func scanHandover(r store.Scanner) (Handover, error) {
	var jc store.JSONColumns
	var h Handover
	var eff, items, created, applied string
	err := r.Scan(&h.ID, &h.ContactPointID, &h.From, &h.To.Name, &h.To.Title, &h.ToDeputy.Name, &h.ToDeputy.Title, &eff, &h.Reason, &items, &h.Reassigned, &h.State, &h.CreatedBy, &created, &applied)
	h.EffectiveFrom, h.OpenItems = Day(eff), store.ParseJSON[[]string](&jc, "items", items)
	if h.OpenItems == nil {
		h.OpenItems = []string{}
	}
	h.CreatedAt, h.AppliedAt = store.ParseTime(created), store.ParseTime(applied)
	if err == nil {
		err = jc.Err("directory.scanHandover", "handover "+h.ID)
	}
	return h, err
}

func (s *Service) handover(ctx context.Context, id string) (Handover, error) {
	h, err := scanHandover(s.st.QueryRowContext(ctx, `SELECT `+handoverCols+` FROM dir_handovers WHERE id = ?`, id))
	return h, dbErr("directory.Handover", store.NotFound(err, "directory.Handover", "no such handover"))
}

func (s *Service) attachPending(ctx context.Context, q store.Querier, cps []*ContactPoint) error {
	if len(cps) == 0 {
		return nil
	}
	rows, err := q.QueryContext(ctx, `SELECT `+handoverCols+` FROM dir_handovers WHERE state = ?`, HandoverScheduled)
	if err != nil {
		return dbErr("directory.attachPending", err)
	}
	defer rows.Close()
	byCP := map[string]*Handover{}
	for rows.Next() {
		h, err := scanHandover(rows)
		if err != nil {
			return dbErr("directory.attachPending", err)
		}
		byCP[h.ContactPointID] = &h
	}
	for _, c := range cps {
		c.Pending = byCP[c.ID]
	}
	return dbErr("directory.attachPending", rows.Err())
}

// setContactConfirmedAt back-dates a contact point's confirmation (demo data).
func setContactConfirmedAt(ctx context.Context, tx *store.Tx, id string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE dir_contact_points SET confirmed_at = ? WHERE id = ?`, store.FormatTime(at), id)
	return err
}
