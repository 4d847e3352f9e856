package activities

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// The registry's SQL: typed reads and writes over store.Querier (or
// *store.Tx for writes). Service code holds no SQL.

// countryName reads the directory's name of a country.
func countryName(ctx context.Context, q store.Querier, code string) (string, error) {
	var n string
	err := q.QueryRowContext(ctx, `SELECT name FROM dir_countries WHERE code = ?`, code).Scan(&n)
	return n, err
}

// practices searches the best-practice library, newest first.
func practices(ctx context.Context, q store.Querier, query string) ([]Practice, error) {
	sq := `SELECT ` + practiceCols + ` FROM act_practices WHERE 1=1`
	var args []any
	for _, w := range Words(query) {
		sq += ` AND search LIKE ?`
		args = append(args, "% "+w+"%")
	}
	return store.Collect(ctx, q, scanPractice, sq+` ORDER BY updated_at DESC LIMIT 500`, args...)
}

// countryNames reads the directory's country table: code → name.
func countryNames(ctx context.Context, q store.Querier) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT code, name FROM dir_countries`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var c, n string
		if err := rows.Scan(&c, &n); err != nil {
			return nil, err
		}
		out[c] = n
	}
	return out, rows.Err()
}

const activityCols = `id, owner_node, version, status, published, title, description, kind, implementer, donor, budget, currency, countries, agencies, themes, start_date, end_date, expected_results, indicators, beneficiaries, contact_name, contact_email, contact_phone, documents, resolutions, merged_into, search, created_at, created_by, updated_at, updated_by, published_at`

func scanActivity(r store.Scanner) (Activity, error) {
	var jc store.JSONColumns
	var a Activity
	var pub int
	var countries, agencies, themes, indicators, documents, resolutions, search, created, updated, published string
	err := r.Scan(&a.ID, &a.OwnerNode, &a.Version, &a.Status, &pub, &a.Title, &a.Description, &a.Kind, &a.Implementer, &a.Donor, &a.Budget, &a.Currency,
		&countries, &agencies, &themes, &a.StartDate, &a.EndDate, &a.ExpectedResults, &indicators, &a.Beneficiaries, &a.ContactName, &a.ContactEmail, &a.ContactPhone,
		&documents, &resolutions, &a.MergedInto, &search, &created, &a.CreatedBy, &updated, &a.UpdatedBy, &published)
	if err != nil {
		return a, err
	}
	a.Published = pub == 1
	a.Countries = store.ParseJSON[[]string](&jc, "countries", countries)
	a.Agencies = store.ParseJSON[[]Beneficiary](&jc, "agencies", agencies)
	a.Themes = store.ParseJSON[[]string](&jc, "themes", themes)
	a.Indicators = store.ParseJSON[[]string](&jc, "indicators", indicators)
	a.Documents = store.ParseJSON[[]Document](&jc, "documents", documents)
	a.Resolutions = store.ParseJSON[[]Resolution](&jc, "resolutions", resolutions)
	a.CreatedAt, a.UpdatedAt, a.PublishedAt = store.ParseTime(created), store.ParseTime(updated), store.ParseTime(published)
	a.emptyLists()
	return a, jc.Err("activities.scanActivity", "activity "+a.ID)
}

// writeActivity inserts or replaces the row of a.
func writeActivity(ctx context.Context, q store.Querier, a Activity, insert bool) error {
	vals := []any{a.OwnerNode, a.Version, a.Status, store.BoolInt(a.Published), a.Title, a.Description, a.Kind, a.Implementer, a.Donor, a.Budget, a.Currency,
		store.JSONText(a.Countries), store.JSONText(a.Agencies), store.JSONText(a.Themes), a.StartDate, a.EndDate, a.ExpectedResults, store.JSONText(a.Indicators), a.Beneficiaries,
		a.ContactName, a.ContactEmail, a.ContactPhone, store.JSONText(a.Documents), store.JSONText(a.Resolutions), a.MergedInto, activitySearch(a),
		store.FormatTime(a.CreatedAt), a.CreatedBy, store.FormatTime(a.UpdatedAt), a.UpdatedBy, formatOptTime(a.PublishedAt)}
	if insert {
		_, err := q.ExecContext(ctx, `INSERT INTO act_activities (`+activityCols+`) VALUES (?`+strings.Repeat(", ?", 31)+`)`, append([]any{a.ID}, vals...)...)
		return err
	}
	cols := strings.Split(activityCols, ", ")[1:]
	_, err := q.ExecContext(ctx, `UPDATE act_activities SET `+strings.Join(cols, " = ?, ")+` = ? WHERE id = ?`, append(vals, a.ID)...)
	return err
}

func (s *Service) get(ctx context.Context, q store.Querier, id string) (Activity, error) {
	a, err := scanActivity(q.QueryRowContext(ctx, `SELECT `+activityCols+` FROM act_activities WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, errs.New(errs.NotFound, "activities.Get", "no such activity")
	}
	return a, dbErr("activities.Get", err)
}

func (s *Service) list(ctx context.Context, f Filter, drafts bool) ([]Activity, error) {
	q := `SELECT ` + activityCols + ` FROM act_activities WHERE (published = 1`
	args := []any{}
	if drafts {
		q += ` OR owner_node = ?`
		args = append(args, s.d.Node)
	}
	q += `)`
	if c := strings.ToUpper(strings.TrimSpace(f.Country)); c != "" {
		q += ` AND countries LIKE ?`
		args = append(args, `%"`+c+`"%`)
	}
	if f.Theme != "" {
		t, ok := resolveTheme(f.Theme)
		if !ok {
			return nil, errs.Newf(errs.Invalid, "activities.List", "theme %q is not in the theme list", textutil.Ellipsis(f.Theme, 40))
		}
		q += ` AND themes LIKE ?`
		args = append(args, `%"`+t+`"%`)
	}
	if f.Kind != "" {
		k, ok := resolve(Kinds, f.Kind)
		if !ok {
			return nil, errs.Newf(errs.Invalid, "activities.List", "kind %q is not known; use one of %s", textutil.Ellipsis(f.Kind, 40), slugList(Kinds))
		}
		q += ` AND kind = ?`
		args = append(args, k)
	}
	if f.Status != "" {
		q += ` AND status = ?`
		args = append(args, f.Status)
	}
	if f.Owner != "" {
		q += ` AND owner_node = ?`
		args = append(args, f.Owner)
	}
	if f.Year > 0 {
		y := strconv.Itoa(f.Year)
		q += ` AND start_date <= ? AND end_date >= ?`
		args = append(args, y+"-12-31", y+"-01-01")
	}
	for _, w := range Words(f.Query + " " + f.Agency) {
		q += ` AND search LIKE ?`
		args = append(args, "% "+w+"%")
	}
	return store.Collect(ctx, s.d.Store, scanActivity, q+` ORDER BY start_date DESC, title LIMIT 5000`, args...)
}

const eventCols = `id, owner_node, version, title, kind, activity_id, start_date, end_date, country, city, themes, description, participants, materials, contact_name, contact_email, search, created_at, updated_at, updated_by`

func scanEvent(r store.Scanner) (Event, error) {
	var jc store.JSONColumns
	var e Event
	var themes, parts, mats, search, c, u string
	err := r.Scan(&e.ID, &e.OwnerNode, &e.Version, &e.Title, &e.Kind, &e.ActivityID, &e.StartDate, &e.EndDate, &e.Country, &e.City, &themes, &e.Description,
		&parts, &mats, &e.ContactName, &e.ContactEmail, &search, &c, &u, &e.UpdatedBy)
	e.Themes, e.Participants, e.Materials = store.ParseJSON[[]string](&jc, "themes", themes), store.ParseJSON[[]Participation](&jc, "parts", parts), store.ParseJSON[[]Document](&jc, "mats", mats)
	e.CreatedAt, e.UpdatedAt = store.ParseTime(c), store.ParseTime(u)
	if err == nil {
		err = jc.Err("activities.scanEvent", "event "+e.ID)
	}
	return e, err
}

func writeEvent(ctx context.Context, q store.Querier, e Event, insert bool) error {
	search := searchText(e.Title, e.Description, e.City)
	vals := []any{e.OwnerNode, e.Version, e.Title, e.Kind, e.ActivityID, e.StartDate, e.EndDate, e.Country, e.City, store.JSONText(e.Themes), e.Description,
		store.JSONText(e.Participants), store.JSONText(e.Materials), e.ContactName, e.ContactEmail, search, store.FormatTime(e.CreatedAt), store.FormatTime(e.UpdatedAt), e.UpdatedBy}
	if insert {
		_, err := q.ExecContext(ctx, `INSERT INTO act_events (`+eventCols+`) VALUES (?`+strings.Repeat(", ?", len(vals))+`)`, append([]any{e.ID}, vals...)...)
		return err
	}
	cols := strings.Split(eventCols, ", ")[1:]
	_, err := q.ExecContext(ctx, `UPDATE act_events SET `+strings.Join(cols, " = ?, ")+` = ? WHERE id = ?`, append(vals, e.ID)...)
	return err
}

func (s *Service) events(ctx context.Context, query string) ([]Event, error) {
	q := `SELECT ` + eventCols + ` FROM act_events WHERE 1=1`
	var args []any
	for _, w := range Words(query) {
		q += ` AND search LIKE ?`
		args = append(args, "% "+w+"%")
	}
	return store.Collect(ctx, s.d.Store, scanEvent, q+` ORDER BY start_date DESC LIMIT 2000`, args...)
}

const practiceCols = `id, owner_node, version, title, summary, language, themes, link, event_id, search, created_at, updated_at, updated_by`

func scanPractice(r store.Scanner) (Practice, error) {
	var jc store.JSONColumns
	var x Practice
	var themes, search, c, u string
	err := r.Scan(&x.ID, &x.OwnerNode, &x.Version, &x.Title, &x.Summary, &x.Language, &themes, &x.Link, &x.EventID, &search, &c, &u, &x.UpdatedBy)
	x.Themes = store.ParseJSON[[]string](&jc, "themes", themes)
	x.CreatedAt, x.UpdatedAt = store.ParseTime(c), store.ParseTime(u)
	if err == nil {
		err = jc.Err("activities.scanPractice", "practice "+x.ID)
	}
	return x, err
}

func writePractice(ctx context.Context, q store.Querier, x Practice, insert bool) error {
	search := searchText(x.Title, x.Summary)
	vals := []any{x.OwnerNode, x.Version, x.Title, x.Summary, x.Language, store.JSONText(x.Themes), x.Link, x.EventID, search, store.FormatTime(x.CreatedAt), store.FormatTime(x.UpdatedAt), x.UpdatedBy}
	if insert {
		_, err := q.ExecContext(ctx, `INSERT INTO act_practices (`+practiceCols+`) VALUES (?`+strings.Repeat(", ?", len(vals))+`)`, append([]any{x.ID}, vals...)...)
		return err
	}
	cols := strings.Split(practiceCols, ", ")[1:]
	_, err := q.ExecContext(ctx, `UPDATE act_practices SET `+strings.Join(cols, " = ?, ")+` = ? WHERE id = ?`, append(vals, x.ID)...)
	return err
}

// countryNode reads the node that is the authority for a country;
// sql.ErrNoRows for an unknown country.
func countryNode(ctx context.Context, q store.Querier, code string) (string, error) {
	var node string
	err := q.QueryRowContext(ctx, `SELECT node FROM dir_countries WHERE code = ?`, code).Scan(&node)
	return node, err
}

// needByID reads one need; sql.ErrNoRows when there is none.
func needByID(ctx context.Context, q store.Querier, id string) (Need, error) {
	return scanNeed(q.QueryRowContext(ctx, `SELECT `+needCols+` FROM act_needs WHERE id = ?`, id))
}

const needCols = `id, owner_node, version, country, agency, theme, priority, title, description, status, search, created_at, updated_at, updated_by`

func scanNeed(r store.Scanner) (Need, error) {
	var n Need
	var search, c, u string
	err := r.Scan(&n.ID, &n.OwnerNode, &n.Version, &n.Country, &n.Agency, &n.Theme, &n.Priority, &n.Title, &n.Description, &n.Status, &search, &c, &u, &n.UpdatedBy)
	n.CreatedAt, n.UpdatedAt = store.ParseTime(c), store.ParseTime(u)
	return n, err
}

func writeNeed(ctx context.Context, q store.Querier, n Need, insert bool) error {
	search := searchText(n.Title, n.Description, n.Agency, ThemeLabel(n.Theme))
	if insert {
		_, err := q.ExecContext(ctx, `INSERT INTO act_needs (`+needCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			n.ID, n.OwnerNode, n.Version, n.Country, n.Agency, n.Theme, n.Priority, n.Title, n.Description, n.Status, search, store.FormatTime(n.CreatedAt), store.FormatTime(n.UpdatedAt), n.UpdatedBy)
		return err
	}
	_, err := q.ExecContext(ctx, `UPDATE act_needs SET owner_node = ?, version = ?, country = ?, agency = ?, theme = ?, priority = ?, title = ?, description = ?, status = ?, search = ?, created_at = ?, updated_at = ?, updated_by = ? WHERE id = ?`,
		n.OwnerNode, n.Version, n.Country, n.Agency, n.Theme, n.Priority, n.Title, n.Description, n.Status, search, store.FormatTime(n.CreatedAt), store.FormatTime(n.UpdatedAt), n.UpdatedBy, n.ID)
	return err
}

func (s *Service) needs(ctx context.Context, country, theme string) ([]Need, error) {
	q := `SELECT ` + needCols + ` FROM act_needs WHERE 1=1`
	var args []any
	if c := strings.ToUpper(strings.TrimSpace(country)); c != "" {
		q += ` AND country = ?`
		args = append(args, c)
	}
	if theme != "" {
		t, ok := resolveTheme(theme)
		if !ok {
			return nil, errs.Newf(errs.Invalid, "activities.Needs", "theme %q is not in the theme list", textutil.Ellipsis(theme, 40))
		}
		q += ` AND theme = ?`
		args = append(args, t)
	}
	return store.Collect(ctx, s.d.Store, scanNeed, q+` ORDER BY priority, country, title`, args...)
}

// publishedBetween lists the published activities, other than excludeID and
// not cancelled, that overlap the days from–to.
func publishedBetween(ctx context.Context, q store.Querier, excludeID, from, to string) ([]Activity, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+activityCols+` FROM act_activities WHERE published = 1 AND status <> 'cancelled' AND id <> ? AND end_date >= ? AND start_date <= ?`, excludeID, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Activity
	for rows.Next() {
		b, err := scanActivity(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

func insertRound(ctx context.Context, tx *store.Tx, r Round) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO act_rounds (`+roundCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.OwnerNode, r.Title, r.Description, r.Status, r.ClosesOn, store.FormatTime(r.CreatedAt), r.CreatedBy, "")
	return err
}

// closeRound closes an open round; false when no open round has that ID.
func closeRound(ctx context.Context, tx *store.Tx, id string, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE act_rounds SET status = 'closed', closed_at = ? WHERE id = ? AND status = 'open'`, store.FormatTime(at), id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// rounds lists the rounds, newest first.
func rounds(ctx context.Context, q store.Querier) ([]Round, error) {
	return store.Collect(ctx, q, scanRound, `SELECT `+roundCols+` FROM act_rounds ORDER BY created_at DESC`)
}

// roundByID reads one round; sql.ErrNoRows when there is none.
func roundByID(ctx context.Context, q store.Querier, id string) (Round, error) {
	return scanRound(q.QueryRowContext(ctx, `SELECT `+roundCols+` FROM act_rounds WHERE id = ?`, id))
}

// roundStatus reads the status of a round; sql.ErrNoRows when there is none.
func roundStatus(ctx context.Context, q store.Querier, id string) (string, error) {
	var status string
	err := q.QueryRowContext(ctx, `SELECT status FROM act_rounds WHERE id = ?`, id).Scan(&status)
	return status, err
}

func needExists(ctx context.Context, q store.Querier, id string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM act_needs WHERE id = ?`, id).Scan(&n)
	return n > 0, err
}

// putVote records v for a need in a round, replacing the voter's earlier vote.
func putVote(ctx context.Context, tx *store.Tx, roundID, needID string, v Vote) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM act_votes WHERE round_id = ? AND need_id = ? AND voter = ?`, roundID, needID, v.Voter); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO act_votes (round_id, need_id, voter, voter_agency, voter_role, points, comment, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		roundID, needID, v.Voter, v.VoterAgency, v.VoterRole, v.Points, v.Comment, store.FormatTime(v.At))
	return err
}

// votesOf reads the votes of a round by need, oldest first.
func votesOf(ctx context.Context, q store.Querier, roundID string) (map[string][]Vote, error) {
	rows, err := q.QueryContext(ctx, `SELECT need_id, voter, voter_agency, voter_role, points, comment, at FROM act_votes WHERE round_id = ? ORDER BY at`, roundID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	votes := map[string][]Vote{}
	for rows.Next() {
		var need, at string
		var v Vote
		if err := rows.Scan(&need, &v.Voter, &v.VoterAgency, &v.VoterRole, &v.Points, &v.Comment, &at); err != nil {
			return nil, err
		}
		v.At = store.ParseTime(at)
		votes[need] = append(votes[need], v)
	}
	return votes, rows.Err()
}

const roundCols = `id, owner_node, title, description, status, closes_on, created_at, created_by, closed_at`

func scanRound(r store.Scanner) (Round, error) {
	var x Round
	var c, cl string
	err := r.Scan(&x.ID, &x.OwnerNode, &x.Title, &x.Description, &x.Status, &x.ClosesOn, &c, &x.CreatedBy, &cl)
	x.CreatedAt, x.ClosedAt = store.ParseTime(c), store.ParseTime(cl)
	return x, err
}

// ownEntries counts the activities and needs node owns.
func ownEntries(ctx context.Context, q store.Querier, node string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM act_activities WHERE owner_node = ?) + (SELECT COUNT(*) FROM act_needs WHERE owner_node = ?)`, node, node).Scan(&n)
	return n, err
}

// firstCountryOf reads the first participant country node is the authority
// for; sql.ErrNoRows for a node without a country (a regional node).
func firstCountryOf(ctx context.Context, q store.Querier, node string) (string, error) {
	var country string
	err := q.QueryRowContext(ctx, `SELECT code FROM dir_countries WHERE node = ? AND parent = '' ORDER BY code LIMIT 1`, node).Scan(&country)
	return country, err
}

// publicationTable is the table of published entries of kind, "" for an
// unknown kind.
func publicationTable(kind string) string {
	switch kind {
	case "activity":
		return "act_activities"
	case "need":
		return "act_needs"
	case "event":
		return "act_events"
	case "practice":
		return "act_practices"
	}
	return ""
}

// entryOwnerVersion reads the owner and version of a published entry of
// kind; sql.ErrNoRows when there is none.
func entryOwnerVersion(ctx context.Context, q store.Querier, kind, id string) (owner string, version int64, err error) {
	table := publicationTable(kind)
	if table == "" {
		return "", 0, errs.Newf(errs.Internal, "activities", "no entries of kind %q", kind)
	}
	err = q.QueryRowContext(ctx, `SELECT owner_node, version FROM `+table+` WHERE id = ?`, id).Scan(&owner, &version)
	return owner, version, err
}
