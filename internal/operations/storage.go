// Storage of operations: every SQL statement of the module, behind typed
// functions taking a store.Querier (the store or a transaction).

package operations

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/store"
)

func ft(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return store.FormatTime(t)
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

const opCols = `id, kind, origin_node, nodes, title, status, exercise, severity, details, legal_basis, legal_basis_id, conditions, deadline_at,
	units, agency, created_by, created_at, updated_at, last_text, has_pos, last_lat, last_lon, last_at`

func scanOp(row store.Scanner, self string) (Operation, error) {
	var o Operation
	var jc store.JSONColumns
	var nodes, details, conditions, deadline, units, created, updated, lastAt string
	var exercise, hasPos int
	var lat, lon float64
	err := row.Scan(&o.ID, &o.Kind, &o.OriginNode, &nodes, &o.Title, &o.Status, &exercise, &o.Severity, &details, &o.LegalBasis, &o.LegalBasisID,
		&conditions, &deadline, &units, &o.Agency, &o.CreatedBy, &created, &updated, &o.LastText, &hasPos, &lat, &lon, &lastAt)
	if err != nil {
		return o, err
	}
	jc.Decode("nodes", nodes, &o.Nodes)
	jc.Decode("details", details, &o.Details)
	jc.Decode("units", units, &o.Units)
	if conditions != "" {
		o.Terms = &OpTerms{}
		jc.Decode("conditions", conditions, o.Terms)
	}
	if o.Units == nil {
		o.Units = []string{}
	}
	o.Exercise = exercise == 1
	if hasPos == 1 {
		o.LastPos = &GeoPoint{Lat: lat, Lon: lon}
	}
	o.DeadlineAt, o.CreatedAt, o.UpdatedAt, o.LastAt = store.ParseTime(deadline), store.ParseTime(created), store.ParseTime(updated), store.ParseTime(lastAt)
	o.Local = o.OriginNode == self
	return o, jc.Err("operations.scan", "operation "+o.ID)
}

func termsText(t *OpTerms) string {
	if t == nil {
		return ""
	}
	return store.JSONText(t)
}

func insertOp(ctx context.Context, tx *store.Tx, o Operation) error {
	lat, lon, has := posCols(o.LastPos)
	_, err := tx.ExecContext(ctx, `INSERT INTO ops_operations (`+opCols+`, closed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.ID, o.Kind, o.OriginNode, store.JSONText(o.Nodes), o.Title, o.Status, store.BoolInt(o.Exercise), o.Severity, store.JSONText(o.Details),
		o.LegalBasis, o.LegalBasisID, termsText(o.Terms), ft(o.DeadlineAt), store.JSONText(o.Units), o.Agency, o.CreatedBy, ft(o.CreatedAt), ft(o.UpdatedAt),
		o.LastText, has, lat, lon, ft(o.LastAt), store.BoolInt(Closed(o.Status)))
	return err
}

func posCols(p *GeoPoint) (float64, float64, int) {
	if p == nil {
		return 0, 0, 0
	}
	return p.Lat, p.Lon, 1
}

// saveOp writes the header fields an event can change.
func saveOp(ctx context.Context, tx *store.Tx, o Operation) error {
	lat, lon, has := posCols(o.LastPos)
	_, err := tx.ExecContext(ctx, `UPDATE ops_operations SET nodes = ?, status = ?, deadline_at = ?, units = ?, updated_at = ?, last_text = ?, has_pos = ?,
		last_lat = ?, last_lon = ?, last_at = ?, closed = ? WHERE id = ?`,
		store.JSONText(o.Nodes), o.Status, ft(o.DeadlineAt), store.JSONText(o.Units), ft(o.UpdatedAt), o.LastText, has, lat, lon, ft(o.LastAt),
		store.BoolInt(Closed(o.Status)), o.ID)
	return err
}

func loadOp(ctx context.Context, q store.Querier, self, id string) (Operation, error) {
	return scanOp(q.QueryRowContext(ctx, `SELECT `+opCols+` FROM ops_operations WHERE id = ?`, strings.TrimSpace(id)), self)
}

// listOps returns operations, the most recently updated first; open only
// unless all is set.
func listOps(ctx context.Context, q store.Querier, self string, all bool, kind string, limit int) ([]Operation, error) {
	where, args := []string{"1 = 1"}, []any{}
	if !all {
		where = append(where, "closed = 0")
	}
	if kind != "" {
		where, args = append(where, "kind = ?"), append(args, kind)
	}
	args = append(args, limit)
	return store.Collect(ctx, q, func(r store.Scanner) (Operation, error) { return scanOp(r, self) },
		`SELECT `+opCols+` FROM ops_operations WHERE `+strings.Join(where, " AND ")+` ORDER BY updated_at DESC, id LIMIT ?`, args...)
}

// dueSurveillance returns urgent surveillance opened on this node whose
// authorisation deadline has passed.
func dueSurveillance(ctx context.Context, q store.Querier, self string, now time.Time) ([]Operation, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (Operation, error) { return scanOp(r, self) },
		`SELECT `+opCols+` FROM ops_operations WHERE kind = ? AND status = ? AND origin_node = ? AND deadline_at <> '' AND deadline_at <= ?`,
		KindSurveillance, StUrgent, self, ft(now))
}

const eventCols = `seq, id, at, node, actor, kind, text, status, has_pos, lat, lon, data, prev_hash, hash`

func scanEvent(r store.Scanner) (OpEvent, error) {
	var e OpEvent
	var at, data string
	var has int
	var lat, lon float64
	if err := r.Scan(&e.Seq, &e.ID, &at, &e.Node, &e.Actor, &e.Kind, &e.Text, &e.Status, &has, &lat, &lon, &data, &e.PrevHash, &e.Hash); err != nil {
		return e, err
	}
	if has == 1 {
		e.Pos = &GeoPoint{Lat: lat, Lon: lon}
	}
	e.At = store.ParseTime(at)
	var jc store.JSONColumns
	jc.Decode("data", data, &e.Data)
	return e, jc.Err("operations.scan", "event "+e.ID)
}

func events(ctx context.Context, q store.Querier, opID string) ([]OpEvent, error) {
	return store.Collect(ctx, q, scanEvent, `SELECT `+eventCols+` FROM ops_events WHERE op_id = ? ORDER BY seq`, opID)
}

// lastLink returns the sequence number and hash of the newest entry of an
// operation's log (0 and the genesis hash for an empty log).
func lastLink(ctx context.Context, q store.Querier, opID string) (int64, string, error) {
	var seq int64
	var hash string
	err := q.QueryRowContext(ctx, `SELECT seq, hash FROM ops_events WHERE op_id = ? ORDER BY seq DESC LIMIT 1`, opID).Scan(&seq, &hash)
	if isNoRows(err) {
		return 0, genesis(opID), nil
	}
	return seq, hash, err
}

func eventKnown(ctx context.Context, q store.Querier, id string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM ops_events WHERE id = ?`, id).Scan(&n)
	return n > 0, err
}

func insertEvent(ctx context.Context, tx *store.Tx, opID string, e OpEvent) error {
	lat, lon, has := posCols(e.Pos)
	_, err := tx.ExecContext(ctx, `INSERT INTO ops_events (op_id, `+eventCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		opID, e.Seq, e.ID, ft(e.At), e.Node, e.Actor, e.Kind, e.Text, e.Status, has, lat, lon, store.JSONText(e.Data), e.PrevHash, e.Hash)
	return err
}

func countEvents(ctx context.Context, q store.Querier, opID, kind string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM ops_events WHERE op_id = ? AND kind = ?`, opID, kind).Scan(&n)
	return n, err
}

func setCountry(ctx context.Context, tx *store.Tx, opID string, c OpCountry) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM ops_countries WHERE op_id = ? AND node = ?`, opID, c.Node); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO ops_countries (op_id, node, state, note, at) VALUES (?, ?, ?, ?, ?)`, opID, c.Node, c.State, c.Note, ft(c.At))
	return err
}

func countries(ctx context.Context, q store.Querier, opID string) ([]OpCountry, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (OpCountry, error) {
		var c OpCountry
		var at string
		err := r.Scan(&c.Node, &c.State, &c.Note, &at)
		c.At = store.ParseTime(at)
		return c, err
	}, `SELECT node, state, note, at FROM ops_countries WHERE op_id = ? ORDER BY node`, opID)
}

func countryMap(ctx context.Context, q store.Querier, opID string) (map[string]string, error) {
	cs, err := countries(ctx, q, opID)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, c := range cs {
		m[c.Node] = c.State
	}
	return m, nil
}

func setOrg(ctx context.Context, tx *store.Tx, opID string, o OpOrg) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM ops_orgs WHERE op_id = ? AND org = ?`, opID, o.Org); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO ops_orgs (op_id, org, state, at) VALUES (?, ?, ?, ?)`, opID, o.Org, o.State, ft(o.At))
	return err
}

func orgs(ctx context.Context, q store.Querier, opID string) ([]OpOrg, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (OpOrg, error) {
		var o OpOrg
		var at string
		err := r.Scan(&o.Org, &o.State, &at)
		o.At = store.ParseTime(at)
		return o, err
	}, `SELECT org, state, at FROM ops_orgs WHERE op_id = ? ORDER BY org`, opID)
}

func scanTask(r store.Scanner) (OpTask, error) {
	var t OpTask
	var at string
	err := r.Scan(&t.ID, &t.Title, &t.Priority, &t.Assignee, &t.State, &at)
	t.UpdatedAt = store.ParseTime(at)
	return t, err
}

func tasks(ctx context.Context, q store.Querier, opID string) ([]OpTask, error) {
	return store.Collect(ctx, q, scanTask, `SELECT id, title, priority, assignee, state, updated_at FROM ops_tasks WHERE op_id = ? ORDER BY id`, opID)
}

func task(ctx context.Context, q store.Querier, opID, id string) (OpTask, error) {
	return scanTask(q.QueryRowContext(ctx, `SELECT id, title, priority, assignee, state, updated_at FROM ops_tasks WHERE op_id = ? AND id = ?`, opID, id))
}

func insertTask(ctx context.Context, tx *store.Tx, opID string, t OpTask) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO ops_tasks (id, op_id, title, priority, assignee, state, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.ID, opID, t.Title, t.Priority, t.Assignee, t.State, ft(t.UpdatedAt))
	return err
}

func updateTask(ctx context.Context, tx *store.Tx, opID string, t OpTask) error {
	_, err := tx.ExecContext(ctx, `UPDATE ops_tasks SET assignee = ?, state = ?, updated_at = ? WHERE op_id = ? AND id = ?`, t.Assignee, t.State, ft(t.UpdatedAt), opID, t.ID)
	return err
}

// declaredTerms reads what country declared under an agreement.
func declaredTerms(ctx context.Context, q store.Querier, agreementID, country string) (OpTerms, bool, error) {
	t := OpTerms{AgreementID: agreementID, Country: country}
	var pursuit, apprehend int
	err := q.QueryRowContext(ctx, `SELECT pursuit, pursuit_km, pursuit_hours, apprehend, surveillance_min, note FROM ops_terms WHERE agreement_id = ? AND country = ?`,
		agreementID, country).Scan(&pursuit, &t.PursuitKm, &t.PursuitHours, &apprehend, &t.SurveillanceMinutes, &t.Note)
	if isNoRows(err) {
		return t, false, nil
	}
	if err != nil {
		return t, false, err
	}
	t.Pursuit, t.Apprehend, t.Declared = pursuit == 1, apprehend == 1, true
	return t, true, nil
}

// agreementTerms reads every state's declaration under an agreement, by
// country.
func agreementTerms(ctx context.Context, q store.Querier, agreementID string) ([]Declaration, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (Declaration, error) {
		d := Declaration{OpTerms: OpTerms{AgreementID: agreementID, Declared: true}}
		var pursuit, apprehend int
		var at string
		err := r.Scan(&d.Country, &pursuit, &d.PursuitKm, &d.PursuitHours, &apprehend, &d.SurveillanceMinutes, &d.Note, &d.DeclaredBy, &at)
		d.Pursuit, d.Apprehend, d.DeclaredAt = pursuit == 1, apprehend == 1, store.ParseTime(at)
		return d, err
	}, `SELECT country, pursuit, pursuit_km, pursuit_hours, apprehend, surveillance_min, note, updated_by, updated_at FROM ops_terms WHERE agreement_id = ? ORDER BY country`, agreementID)
}

func putTerms(ctx context.Context, tx *store.Tx, t OpTerms, by string, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM ops_terms WHERE agreement_id = ? AND country = ?`, t.AgreementID, t.Country); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO ops_terms (agreement_id, country, pursuit, pursuit_km, pursuit_hours, apprehend, surveillance_min, note, updated_by, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, t.AgreementID, t.Country, store.BoolInt(t.Pursuit), t.PursuitKm, t.PursuitHours, store.BoolInt(t.Apprehend),
		t.SurveillanceMinutes, t.Note, by, ft(at))
	return err
}

// SectorStats are the joint patrols of one border sector.
type SectorStats struct {
	Sector    string `json:"sector"`
	Patrols   int    `json:"patrols"`
	Confirmed int    `json:"confirmed"`
	Reported  int    `json:"reported"`
	Checks    int    `json:"checks" doc:"persons and vehicles checked, from the patrol reports"`
}

// patrolReports returns, per joint patrol held here, its sector, status and
// the checks of its reports.
func patrolRows(ctx context.Context, q store.Querier) ([]struct {
	ID, Details, Status string
}, error) {
	type row = struct{ ID, Details, Status string }
	return store.Collect(ctx, q, func(r store.Scanner) (row, error) {
		var x row
		err := r.Scan(&x.ID, &x.Details, &x.Status)
		return x, err
	}, `SELECT id, details, status FROM ops_operations WHERE kind = ? ORDER BY id`, KindPatrol)
}

func reportedChecks(ctx context.Context, q store.Querier) (map[string]int, error) {
	type row struct {
		op   string
		data string
	}
	rows, err := store.Collect(ctx, q, func(r store.Scanner) (row, error) {
		var x row
		err := r.Scan(&x.op, &x.data)
		return x, err
	}, `SELECT e.op_id, e.data FROM ops_events e JOIN ops_operations o ON o.id = e.op_id WHERE o.kind = ? AND e.kind = ?`, KindPatrol, EvReport)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, r := range rows {
		var jc store.JSONColumns
		d := store.ParseJSON[OpEventData](&jc, "data", r.data)
		out[r.op] += d.Checks
	}
	return out, nil
}

// tamperForTest changes a stored log entry's text without fixing its hash,
// as someone with access to the database could.
func tamperForTest(ctx context.Context, q store.Querier, opID string, seq int64, text string) error {
	_, err := q.ExecContext(ctx, `UPDATE ops_events SET text = ? WHERE op_id = ? AND seq = ?`, text, opID, seq)
	return err
}

// opVersion is an operation's identity, the time of its last change and
// the length of its log (every action is logged).
type opVersion struct {
	id, updated string
	logged      int64
}

// openVersions reads the open operations' versions and those of the
// operations changed since.
func openVersions(ctx context.Context, q store.Querier, since time.Time) ([]opVersion, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (opVersion, error) {
		var v opVersion
		return v, r.Scan(&v.id, &v.updated, &v.logged)
	}, `SELECT o.id, o.updated_at, (SELECT COUNT(*) FROM ops_events e WHERE e.op_id = o.id) FROM ops_operations o WHERE o.closed = 0 OR o.updated_at >= ?`, ft(since))
}
