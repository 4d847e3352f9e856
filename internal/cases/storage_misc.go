// Storage of provenance records, import reports, statistics (own and
// shared) and recorded routes: every SQL statement of these tables is
// here, behind typed functions.

package cases

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/liaison-wb/liaison/internal/entity"
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

// statVer is the version of the code that derives the statistics columns
// of cases and case links (migration 0030). Rows stamped with an older
// version (0: never derived) are derived again before counting; raise it
// when caseOpened, personProfile, ageBand or moPhrases change.
const statVer = 1

// statPage is how many rows one transaction derives.
const statPage = 5000

// statAnalyze is how many rows derived in one refresh make it refresh the
// tables' planner statistics too: the planner must see that the rows are
// no longer waiting (st_ver) to pick the indexes.
const statAnalyze = 10000

// refreshStats derives the statistics columns of the cases and case links
// written since the last run (or by an older version of the code).
func (s *Service) refreshStats(ctx context.Context) error {
	nc, err := s.refreshCaseStats(ctx)
	if err != nil {
		return err
	}
	nl, err := s.refreshLinkStats(ctx)
	if err != nil {
		return err
	}
	if nc+nl >= statAnalyze {
		return s.d.Store.Analyze(ctx, "cases_cases", "cases_case_entities")
	}
	return nil
}

// eachStale reads the rows of query (rows waiting for their statistics
// columns) a page of statPage at a time and hands each page to write, in
// its own transaction, before reading the next: query must return only
// rows still waiting, so the pages written drop out of it. Reading a page
// at a time keeps no read open across the writes (on SQLite a read held
// open stops the write-ahead log from being checkpointed).
func eachStale[T comparable](ctx context.Context, st *store.Store, scan func(store.Scanner) (T, error), write func(*store.Tx, []T) error, query string, args ...any) (int, error) {
	query += " LIMIT " + strconv.Itoa(statPage)
	n := 0
	var first T
	for {
		page, err := store.Collect(ctx, st, scan, query, args...)
		if err != nil || len(page) == 0 {
			return n, err
		}
		if n > 0 && page[0] == first {
			return n, fmt.Errorf("cases: statistics columns of %v were not written", first)
		}
		first = page[0]
		if err := st.InTx(ctx, func(tx *store.Tx) error { return write(tx, page) }); err != nil {
			return n, err
		}
		n += len(page)
		if len(page) < statPage {
			return n, nil
		}
	}
}

// refreshCaseStats derives the year, route and modus operandi of the
// cases waiting for them and reports how many it derived. Route and modus
// operandi texts are entries of cases_stat_texts; two refreshes at once
// adding the same text twice only split its count over two entries,
// summed again by label.
func (s *Service) refreshCaseStats(ctx context.Context) (int, error) {
	type row struct {
		id, opened, created, route, mo string
	}
	var texts map[[2]string]int64
	return eachStale(ctx, s.d.Store, func(r store.Scanner) (row, error) {
		var x row
		err := r.Scan(&x.id, &x.opened, &x.created, &x.route, &x.mo)
		return x, err
	}, func(tx *store.Tx, page []row) error {
		if texts == nil {
			all, err := store.Collect(ctx, tx, func(r store.Scanner) (statText, error) {
				var x statText
				err := r.Scan(&x.id, &x.route, &x.mo)
				return x, err
			}, `SELECT id, route, modus_operandi FROM cases_stat_texts`)
			if err != nil {
				return err
			}
			texts = make(map[[2]string]int64, len(all))
			for _, t := range all {
				texts[[2]string{t.route, t.mo}] = t.id
			}
		}
		ins, err := tx.Prepared(ctx, `INSERT INTO cases_stat_texts (route, modus_operandi) VALUES (?, ?) RETURNING id`)
		if err != nil {
			return err
		}
		rows := make([][]any, 0, len(page))
		for _, c := range page {
			k := [2]string{c.route, c.mo}
			id, ok := texts[k]
			if !ok {
				if err := ins.QueryRowContext(ctx, c.route, c.mo).Scan(&id); err != nil {
					texts = nil // entries added in this transaction are rolled back with it
					return err
				}
				texts[k] = id
			}
			rows = append(rows, []any{statVer, caseOpened(c.opened, c.created).Year, id, c.id})
		}
		if err := tx.UpdateMany(ctx, store.BulkUpdate{Table: "cases_cases", Key: []string{"id"}, Set: []string{"st_ver", "st_year", "st_text"}}, rows); err != nil {
			texts = nil
			return err
		}
		return nil
	}, `SELECT id, opened_on, created_at, route, modus_operandi FROM cases_cases WHERE st_ver < ?`, statVer)
}

// refreshLinkStats derives, for the links of cases to entities waiting
// for them, whether the link counts (a person as suspect or victim) and
// then the case's crime area and the person's age band, sex and
// nationality; it reports how many links it derived.
func (s *Service) refreshLinkStats(ctx context.Context) (int, error) {
	type row struct {
		caseID, entityID, role, kind, fields, area, opened, created string
	}
	return eachStale(ctx, s.d.Store, func(r store.Scanner) (row, error) {
		var x row
		err := r.Scan(&x.caseID, &x.entityID, &x.role, &x.kind, &x.fields, &x.area, &x.opened, &x.created)
		return x, err
	}, func(tx *store.Tx, page []row) error {
		rows := make([][]any, 0, len(page))
		for _, r := range page {
			counted, band, sex, nat := 0, "", "", ""
			if r.kind == string(entity.KindPerson) && (r.role == "suspect" || r.role == "victim") {
				var f map[string]string
				var jc store.JSONColumns
				jc.Decode("fields", r.fields, &f)
				if err := jc.Err("cases.Stats", "person of case "+r.caseID); err != nil {
					return err
				}
				var dob entity.Date
				dob, sex, nat = personProfile(f, s.d.Region)
				counted, band = 1, ageBand(dob, caseOpened(r.opened, r.created))
			}
			rows = append(rows, []any{statVer, counted, r.area, band, sex, nat, r.caseID, r.entityID})
		}
		return tx.UpdateMany(ctx, store.BulkUpdate{Table: "cases_case_entities", Key: []string{"case_id", "entity_id"},
			Set: []string{"st_ver", "st_counted", "st_area", "st_band", "st_sex", "st_nat"}}, rows)
	}, `SELECT ce.case_id, ce.entity_id, ce.role, e.kind, e.fields, c.crime_area, c.opened_on, c.created_at
		FROM cases_case_entities ce CROSS JOIN cases_entities e CROSS JOIN cases_cases c
		WHERE ce.st_ver < ? AND e.id = ce.entity_id AND c.id = ce.case_id`, statVer)
}

// statText is a route and modus operandi of cases.
type statText struct {
	id        int64
	route, mo string
}

// decodedText is a statText ready for counting.
type decodedText struct {
	route   []string
	phrases []string
}

// statTextSet decodes the texts of cases_stat_texts as counting needs them.
type statTextSet struct {
	raw  map[int64]statText
	done map[int64]decodedText
}

func (t *statTextSet) get(id int64) (decodedText, error) {
	if d, ok := t.done[id]; ok {
		return d, nil
	}
	r := t.raw[id]
	var d decodedText
	if r.route != "" {
		var jc store.JSONColumns
		jc.Decode("route", r.route, &d.route)
		if err := jc.Err("cases.Stats", "route of cases "+strconv.FormatInt(id, 10)); err != nil {
			return decodedText{}, err
		}
	}
	d.phrases = moPhrases(r.mo)
	t.done[id] = d
	return d, nil
}

// statTexts reads the routes and modi operandi of cases.
func statTexts(ctx context.Context, q store.Querier) (*statTextSet, error) {
	all, err := store.Collect(ctx, q, func(r store.Scanner) (statText, error) {
		var x statText
		err := r.Scan(&x.id, &x.route, &x.mo)
		return x, err
	}, `SELECT id, route, modus_operandi FROM cases_stat_texts`)
	if err != nil {
		return nil, err
	}
	t := &statTextSet{raw: make(map[int64]statText, len(all)), done: map[int64]decodedText{}}
	for _, x := range all {
		t.raw[x.id] = x
	}
	return t, nil
}

// caseCount is a number of cases of one crime area, year, status, route
// and modus operandi.
type caseCount struct {
	area, status string
	year         int
	text         int64
	n            int
}

// eachCaseCount counts the derived cases by crime area, year, status and
// text, along the index cases_cases_stats.
func eachCaseCount(ctx context.Context, q store.Querier, fn func(caseCount) error) error {
	rows, err := q.QueryContext(ctx, `SELECT crime_area, st_year, status, st_text, COUNT(*) FROM cases_cases WHERE st_ver = ?
		GROUP BY crime_area, st_year, status, st_text`, statVer)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r caseCount
		if err := rows.Scan(&r.area, &r.year, &r.status, &r.text, &r.n); err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// personCount is a number of persons in one role in cases of one crime
// area, of one age band, sex and nationality.
type personCount struct {
	area, role, band, sex, nat string
	n                          int
}

// eachPersonCount counts the derived links of suspects and victims, along
// the index cases_case_entities_stats; with merged set, only those to
// persons merged into another entity, found from the entities
// (cases_entities_kind; CROSS JOIN keeps SQLite from starting at the
// links, merged_into > ” lets it seek).
func eachPersonCount(ctx context.Context, q store.Querier, merged bool, fn func(personCount)) error {
	query := `SELECT st_area, role, st_band, st_sex, st_nat, COUNT(*) FROM cases_case_entities WHERE st_ver = ? AND st_counted = 1
		GROUP BY st_area, role, st_band, st_sex, st_nat`
	if merged {
		query = `SELECT ce.st_area, ce.role, ce.st_band, ce.st_sex, ce.st_nat, COUNT(*)
			FROM cases_entities e CROSS JOIN cases_case_entities ce
			WHERE ce.entity_id = e.id AND e.kind = 'person' AND e.merged_into > '' AND ce.st_ver = ? AND ce.st_counted = 1
			GROUP BY ce.st_area, ce.role, ce.st_band, ce.st_sex, ce.st_nat`
	}
	rows, err := q.QueryContext(ctx, query, statVer)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r personCount
		if err := rows.Scan(&r.area, &r.role, &r.band, &r.sex, &r.nat, &r.n); err != nil {
			return err
		}
		fn(r)
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
