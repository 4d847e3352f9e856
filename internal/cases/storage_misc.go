// Storage of provenance records, import reports, statistics (own and
// shared) and recorded routes: every SQL statement of these tables is
// here, behind typed functions.

package cases

import (
	"context"
	"encoding/json"
	"time"

	"github.com/liaison-wb/liaison/internal/store"
)

// ---- provenance

const provenanceCols = `pv.id, pv.case_id, c.reference, pv.entity_id, pv.source_node, pv.source_agency, pv.thread_id, pv.message_id, pv.entity_index, pv.sent_at, pv.markings, pv.marking_label, pv.original, pv.imported_by, pv.imported_agency, pv.imported_at`

// storedOriginal is the provided entity as kept in cases_provenance.
type storedOriginal struct {
	ProvidedEntity
	Unmapped map[string]string `json:"unmapped,omitempty"`
}

func scanProvenance(r scanner) (Provenance, error) {
	var pr Provenance
	var sent, mk, orig, at string
	if err := r.Scan(&pr.ID, &pr.CaseID, &pr.CaseReference, &pr.EntityID, &pr.SourceNode, &pr.SourceAgency, &pr.ThreadID, &pr.MessageID, &pr.EntityIndex, &sent, &mk, &pr.MarkingLabel, &orig, &pr.ImportedBy, &pr.ImportedAgency, &at); err != nil {
		return pr, err
	}
	var o storedOriginal
	var jc store.JSONColumns
	jc.Decode("original", orig, &o)
	if err := jc.Err("cases.scanProvenance", "provenance "+pr.ID); err != nil {
		return pr, err
	}
	pr.Original, pr.Unmapped = o.ProvidedEntity, o.Unmapped
	pr.Markings, pr.SentAt, pr.ImportedAt = json.RawMessage(mk), store.ParseTime(sent), store.ParseTime(at)
	return pr, nil
}

// provenanceOfImport reads the record of one provided entity filed into a
// case; sql.ErrNoRows when it was not.
func provenanceOfImport(ctx context.Context, q store.Querier, caseID, sourceNode, messageID string, index int) (Provenance, error) {
	return scanProvenance(q.QueryRowContext(ctx, `SELECT `+provenanceCols+` FROM cases_provenance pv JOIN cases_cases c ON c.id = pv.case_id
		WHERE pv.case_id = ? AND pv.source_node = ? AND pv.message_id = ? AND pv.entity_index = ?`, caseID, sourceNode, messageID, index))
}

// insertProvenance stores a provenance record; markings is its JSON.
func insertProvenance(ctx context.Context, tx *store.Tx, pr Provenance, markings string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO cases_provenance (id, case_id, entity_id, source_node, source_agency, thread_id, message_id, entity_index, sent_at, markings, marking_label, original, imported_by, imported_agency, imported_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, pr.ID, pr.CaseID, pr.EntityID, pr.SourceNode, pr.SourceAgency, pr.ThreadID,
		pr.MessageID, pr.EntityIndex, fmtOptTime(pr.SentAt), markings, pr.MarkingLabel, jsonText(storedOriginal{pr.Original, pr.Unmapped}), pr.ImportedBy, pr.ImportedAgency, store.FormatTime(pr.ImportedAt))
	return err
}

// provenanceRecords reads the provenance of a case's entities (caseRef,
// its reference or ID) and/or of one entity, oldest first.
func provenanceRecords(ctx context.Context, q store.Querier, caseRef, entityID string) ([]Provenance, error) {
	query := `SELECT ` + provenanceCols + ` FROM cases_provenance pv JOIN cases_cases c ON c.id = pv.case_id WHERE 1 = 1`
	var args []any
	if caseRef != "" {
		query += ` AND (c.reference = ? OR c.id = ?)`
		args = append(args, caseRef, caseRef)
	}
	if entityID != "" {
		query += ` AND pv.entity_id = ?`
		args = append(args, entityID)
	}
	return store.Collect(ctx, q, scanProvenance, query+` ORDER BY pv.imported_at, pv.id`, args...)
}

// ---- imports

func insertImport(ctx context.Context, tx *store.Tx, rep ImportResult, filename, by string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO cases_imports (id, format, filename, sha256, rows_total, created, unchanged, rejected, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		rep.ID, rep.Format, filename, rep.SHA256, rep.Rows, rep.Created, rep.Unchanged, len(rep.Rejected), by, store.FormatTime(at))
	return err
}

// ---- statistics

// caseStatRow is what the statistics need of a case.
type caseStatRow struct {
	id, area, status, opened, created, mo string
	route                                 []string
}

// eachCaseStat calls fn with every case.
func eachCaseStat(ctx context.Context, q store.Querier, fn func(caseStatRow)) error {
	rows, err := q.QueryContext(ctx, `SELECT id, crime_area, status, opened_on, created_at, route, modus_operandi FROM cases_cases`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r caseStatRow
		var route string
		if err := rows.Scan(&r.id, &r.area, &r.status, &r.opened, &r.created, &route, &r.mo); err != nil {
			return err
		}
		var jc store.JSONColumns
		jc.Decode("route", route, &r.route)
		if err := jc.Err("cases.Stats", "case "+r.id); err != nil {
			return err
		}
		fn(r)
	}
	return rows.Err()
}

// eachCasePerson calls fn with every live person who is a suspect or a
// victim in a case, with the case and the role.
func eachCasePerson(ctx context.Context, q store.Querier, fn func(caseID, role string, fields map[string]string)) error {
	rows, err := q.QueryContext(ctx, `SELECT ce.case_id, ce.role, e.fields FROM cases_case_entities ce JOIN cases_entities e ON e.id = ce.entity_id
		WHERE e.kind = 'person' AND e.merged_into = '' AND ce.role IN ('suspect', 'victim')`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var caseID, role, fields string
		if err := rows.Scan(&caseID, &role, &fields); err != nil {
			return err
		}
		var f map[string]string
		var jc store.JSONColumns
		jc.Decode("fields", fields, &f)
		if err := jc.Err("cases.Stats", "person of case "+caseID); err != nil {
			return err
		}
		fn(caseID, role, f)
	}
	return rows.Err()
}

// saveSharedStats replaces the statistics a peer shared.
func saveSharedStats(ctx context.Context, tx *store.Tx, peer string, st Statistics, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM cases_shared_stats WHERE peer = ?`, peer); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO cases_shared_stats (peer, stats, received_at) VALUES (?, ?, ?)`, peer, jsonText(st), store.FormatTime(at))
	return err
}

// sharedStats reads the statistics peers shared, by peer.
func sharedStats(ctx context.Context, q store.Querier) ([]Statistics, error) {
	rows, err := q.QueryContext(ctx, `SELECT peer, stats FROM cases_shared_stats ORDER BY peer`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Statistics{}
	for rows.Next() {
		var peer, raw string
		if err := rows.Scan(&peer, &raw); err != nil {
			return nil, err
		}
		var st Statistics
		var jc store.JSONColumns
		jc.Decode("stats", raw, &st)
		if err := jc.Err("cases.SharedStats", "statistics of "+peer); err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// ---- routes

func insertRoute(ctx context.Context, tx *store.Tx, r Route) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO cases_routes (id, case_id, travelled_on, note, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		r.ID, r.CaseID, r.TravelledOn, r.Note, r.CreatedBy, store.FormatTime(r.CreatedAt)); err != nil {
		return err
	}
	for i, p := range r.Stops {
		if _, err := tx.ExecContext(ctx, `INSERT INTO cases_route_stops (route_id, seq, place) VALUES (?, ?, ?)`, r.ID, i, p); err != nil {
			return err
		}
	}
	return nil
}

// routesOfCase reads a case's routes, the most recent journey first, with
// their stops in order.
func routesOfCase(ctx context.Context, q store.Querier, caseID string) ([]Route, error) {
	routes, err := store.Collect(ctx, q, func(r store.Scanner) (Route, error) {
		var x Route
		var ca string
		err := r.Scan(&x.ID, &x.CaseID, &x.TravelledOn, &x.Note, &x.CreatedBy, &ca)
		x.CreatedAt, x.Stops = store.ParseTime(ca), []string{}
		return x, err
	}, `SELECT id, case_id, travelled_on, note, created_by, created_at FROM cases_routes WHERE case_id = ? ORDER BY travelled_on DESC, created_at DESC`, caseID)
	if err != nil || len(routes) == 0 {
		return routes, err
	}
	type stop struct {
		route, place string
	}
	stops, err := store.Collect(ctx, q, func(r store.Scanner) (stop, error) {
		var x stop
		err := r.Scan(&x.route, &x.place)
		return x, err
	}, `SELECT s.route_id, s.place FROM cases_route_stops s JOIN cases_routes r ON r.id = s.route_id WHERE r.case_id = ? ORDER BY s.route_id, s.seq`, caseID)
	if err != nil {
		return nil, err
	}
	at := make(map[string]int, len(routes))
	for i, r := range routes {
		at[r.ID] = i
	}
	for _, s := range stops {
		if i, ok := at[s.route]; ok {
			routes[i].Stops = append(routes[i].Stops, s.place)
		}
	}
	return routes, nil
}
