// Storage of the module's hit reports, firearms, tracing requests and
// index pages: every SQL statement outside storage.go is here.

package alerts

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// agencyFilter is the agency whose rows a reader sees, "" for an NCU
// operator, who sees every agency's.
func agencyFilter(actor *auth.Principal) string {
	if actor.Has(auth.RoleNCUOperator) {
		return ""
	}
	return actor.Agency
}

// ownRows narrows a query to one agency's rows when agency is set.
func ownRows(query, agency string) (string, []any) {
	if agency == "" {
		return query, nil
	}
	return query + ` WHERE agency = ?`, []any{agency}
}

// routedTables are the tables whose received rows an NCU can route again.
var routedTables = map[string]bool{"alerts_hits": true, "alerts_traces": true}

// rowExists reports whether table holds a row with this id (a received
// message applied before).
func rowExists(ctx context.Context, q store.Querier, table, id string) (bool, error) {
	if !routedTables[table] {
		return false, errs.New(errs.Internal, "alerts.rowExists", "unknown table "+table)
	}
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE id = ?`, id).Scan(&n)
	return n > 0, err
}

// moveRow gives a received row held by agency from to agency to.
func moveRow(ctx context.Context, tx *store.Tx, table, id, from, to string) error {
	if !routedTables[table] {
		return errs.New(errs.Internal, "alerts.moveRow", "unknown table "+table)
	}
	_, err := tx.ExecContext(ctx, `UPDATE `+table+` SET agency = ? WHERE id = ? AND agency = ?`, to, id, from)
	return err
}

// listHits reads hit reports (one agency's, or all), open ones first.
func listHits(ctx context.Context, q store.Querier, agency string) ([]HitReport, error) {
	query, args := ownRows(`SELECT `+hitCols+` FROM alerts_hits`, agency)
	return store.Collect(ctx, q, func(r store.Scanner) (HitReport, error) { return scanHit(r) },
		query+` ORDER BY CASE WHEN status = 'answered' THEN 1 ELSE 0 END, due LIMIT 500`, args...)
}

// lateHit is a received hit report whose answer is overdue.
type lateHit struct{ id, alert, place, due string }

// overdueHitReports reads received hit reports past their answer deadline
// that are not yet noted as overdue.
func overdueHitReports(ctx context.Context, q store.Querier, now time.Time) ([]lateHit, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (lateHit, error) {
		var l lateHit
		err := r.Scan(&l.id, &l.alert, &l.place, &l.due)
		return l, err
	}, `SELECT id, alert_id, place, due FROM alerts_hits WHERE direction = 'incoming' AND status = ? AND due <= ? AND overdue_noted = 0 LIMIT 500`, HitReceived, ft(now))
}

// markHitOverdue notes that a hit report's overdue answer is on the timeline.
func markHitOverdue(ctx context.Context, tx *store.Tx, id string) error {
	_, err := tx.ExecContext(ctx, `UPDATE alerts_hits SET overdue_noted = 1 WHERE id = ?`, id)
	return err
}

// countOpenHits counts received hit reports waiting for an answer.
func countOpenHits(ctx context.Context, q store.Querier, agency string) (int, error) {
	query, args := `SELECT COUNT(*) FROM alerts_hits WHERE direction = 'incoming' AND status = ?`, []any{HitReceived}
	if agency != "" {
		query += ` AND agency = ?`
		args = append(args, agency)
	}
	var n int
	err := q.QueryRowContext(ctx, query, args...).Scan(&n)
	return n, err
}

// insertFirearm stores a firearm record with its normalised serial number.
func insertFirearm(ctx context.Context, tx *store.Tx, f Firearm) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO alerts_firearms (`+firearmCols+`, serial_norm) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, f.Manufacturer, f.CountryMade, f.Serial, f.Year, f.Model, f.Calibre, f.Type, f.ImportMarking, f.Status, store.JSONText(f.Persons),
		store.JSONText(f.CaseRefs), f.Place, f.Route, ft(f.EventAt), f.Agency, f.CreatedBy, ft(f.CreatedAt), identNorm(f.Serial))
	return err
}

// firearmByID reads one firearm record; sql.ErrNoRows when none.
func firearmByID(ctx context.Context, q store.Querier, id string) (Firearm, error) {
	return scanFirearm(q.QueryRowContext(ctx, `SELECT `+firearmCols+` FROM alerts_firearms WHERE id = ?`, id))
}

// listFirearms reads firearm records (one agency's, or all), newest first.
func listFirearms(ctx context.Context, q store.Querier, agency string) ([]Firearm, error) {
	query, args := ownRows(`SELECT `+firearmCols+` FROM alerts_firearms`, agency)
	return store.Collect(ctx, q, func(r store.Scanner) (Firearm, error) { return scanFirearm(r) }, query+` ORDER BY created_at DESC, id LIMIT 1000`, args...)
}

// firearmDimensions are the columns seized firearms are counted by.
var firearmDimensions = map[string]bool{"type": true, "country_made": true, "route": true}

// seizedFirearmsBy counts seized firearms by one column ("unknown" for empty).
func seizedFirearmsBy(ctx context.Context, q store.Querier, col string) ([]FirearmStat, error) {
	if !firearmDimensions[col] {
		return nil, errs.New(errs.Internal, "alerts.seizedFirearmsBy", "unknown column "+col)
	}
	return store.Collect(ctx, q, func(r store.Scanner) (FirearmStat, error) {
		var st FirearmStat
		err := r.Scan(&st.Value, &st.Count)
		if st.Value == "" {
			st.Value = "unknown"
		}
		return st, err
	}, `SELECT `+col+`, COUNT(*) FROM alerts_firearms WHERE status = ? GROUP BY `+col, "seized")
}

func insertTrace(ctx context.Context, tx *store.Tx, t Trace) error {
	mj, err := json.Marshal(t.Markings)
	if err != nil {
		return errs.Wrap(errs.Internal, "alerts.insertTrace", "", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO alerts_traces (`+traceCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.Direction, t.FromNode, t.ToNode, t.FirearmID, string(mj), t.Circumstances, t.LegalBasisID, t.LegalBasis, t.FocalPoint, t.Requester,
		t.Status, ft(t.Due), t.Answer, t.Agency, t.CreatedBy, ft(t.CreatedAt), ft(t.UpdatedAt))
	return err
}

func traceEvent(ctx context.Context, tx *store.Tx, id string, e TraceEvent) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO alerts_trace_events (id, trace_id, at, node, actor, status, note) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		store.NewID(), id, ft(e.At), e.Node, e.Actor, e.Status, e.Note)
	return err
}

// traceByID reads one tracing request; sql.ErrNoRows when none.
func (s *Service) traceByID(ctx context.Context, q store.Querier, id string) (Trace, error) {
	return s.scanTrace(q.QueryRowContext(ctx, `SELECT `+traceCols+` FROM alerts_traces WHERE id = ?`, id))
}

// setTraceStatus moves a tracing request from status from to to, keeping
// the earlier answer when answer is empty; false when it is no longer in from.
func setTraceStatus(ctx context.Context, tx *store.Tx, id, from, to, answer string, now time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE alerts_traces SET status = ?, answer = CASE WHEN ? = '' THEN answer ELSE ? END, updated_at = ? WHERE id = ? AND status = ?`,
		to, answer, answer, ft(now), id, from)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// traceEvents reads a tracing request's timeline in order.
func traceEvents(ctx context.Context, q store.Querier, id string) ([]TraceEvent, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (TraceEvent, error) {
		var e TraceEvent
		var at string
		err := r.Scan(&at, &e.Node, &e.Actor, &e.Status, &e.Note)
		e.At = pt(at)
		return e, err
	}, `SELECT at, node, actor, status, note FROM alerts_trace_events WHERE trace_id = ? ORDER BY at, id`, id)
}

// listTraces reads tracing requests (one agency's, or all), newest first.
func (s *Service) listTraces(ctx context.Context, q store.Querier, agency string) ([]Trace, error) {
	query, args := ownRows(`SELECT `+traceCols+` FROM alerts_traces`, agency)
	return store.Collect(ctx, q, func(r store.Scanner) (Trace, error) { return s.scanTrace(r) }, query+` ORDER BY updated_at DESC, id LIMIT 1000`, args...)
}

// inForcePage reads up to n alerts after the given ID (in ID order) with
// what the index needs, keeping those in force; last is the last ID read
// ("" at the end).
func (s *Service) inForcePage(ctx context.Context, after string, n int) ([]Alert, string, error) {
	rows, err := s.d.Store.QueryContext(ctx, `SELECT id, status, person, object FROM alerts WHERE id > ? ORDER BY id LIMIT ?`, after, n)
	if err != nil {
		return nil, "", err
	}
	out, last, _, err := s.scanIndexRows(rows)
	return out, last, err
}

// changedSince reads the alerts changed at or after since: those in force
// with their data, the others by ID only.
func (s *Service) changedSince(ctx context.Context, since time.Time) (inForce []Alert, gone []string, err error) {
	rows, err := s.d.Store.QueryContext(ctx, `SELECT id, status, person, object FROM alerts WHERE updated_at >= ? ORDER BY id`, store.FormatTime(since))
	if err != nil {
		return nil, nil, err
	}
	inForce, _, gone, err = s.scanIndexRows(rows)
	return inForce, gone, err
}

// scanIndexRows reads (id, status, person, object) rows: the alerts in
// force, the last ID read, and the IDs of the alerts not in force.
func (s *Service) scanIndexRows(rows *sql.Rows) ([]Alert, string, []string, error) {
	defer rows.Close()
	var out []Alert
	var gone []string
	last := ""
	for rows.Next() {
		var a Alert
		var person, object string
		if err := rows.Scan(&a.ID, &a.Status, &person, &object); err != nil {
			return nil, "", nil, err
		}
		last = a.ID
		if !InForce(a.Status) {
			gone = append(gone, a.ID)
			continue
		}
		var jc store.JSONColumns
		if person != "" {
			a.Person = &WantedPerson{}
			jc.Decode("person", person, a.Person)
		}
		if object != "" {
			a.Object = &WantedObject{}
			jc.Decode("object", object, a.Object)
		}
		if err := jc.Err("alerts.index", "alert "+a.ID); err != nil {
			// Left out of the index, and said so; reading it fails visibly.
			s.d.Logger.Error("alerts: alert left out of the candidate index", "err", err)
			continue
		}
		out = append(out, a)
	}
	return out, last, gone, rows.Err()
}
