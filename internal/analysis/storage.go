package analysis

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/store"
)

// The scoreboard reads the records other modules keep (exchange threads,
// hit/no-hit queries, judicial requests, JITs, operations, the directory's
// agreements and implementation record) through the typed readers below;
// it never writes them.

func jsonList(s string) []string {
	var out []string
	_ = json.Unmarshal([]byte(s), &out)
	return out
}

// exMessageRow is one request, answer or refusal of an exchange thread.
type exMessageRow struct {
	thread, origin string
	parties        []string
	created        time.Time
	deadline       time.Time
	node, kind     string
	at             time.Time
}

func exchangeMessages(ctx context.Context, q store.Querier) ([]exMessageRow, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (exMessageRow, error) {
		var x exMessageRow
		var parties, created, deadline, at string
		err := r.Scan(&x.thread, &x.origin, &parties, &created, &deadline, &x.node, &x.kind, &at)
		x.parties, x.created, x.deadline, x.at = jsonList(parties), store.ParseTime(created), store.ParseTime(deadline), store.ParseTime(at)
		return x, err
	}, `SELECT t.id, t.origin_node, t.parties, t.created_at, t.deadline_at, m.node, m.kind, m.created_at
		FROM ex_threads t JOIN ex_messages m ON m.thread_id = t.id
		WHERE m.kind IN ('request', 'answer', 'refusal') ORDER BY t.id, m.created_at`)
}

// queryRow is a hit/no-hit query this node sent, with the hits per peer.
type queryRow struct {
	id      string
	peers   []string
	created time.Time
}

func sentQueries(ctx context.Context, q store.Querier) ([]queryRow, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (queryRow, error) {
		var x queryRow
		var peers, created string
		err := r.Scan(&x.id, &peers, &created)
		x.peers, x.created = jsonList(peers), store.ParseTime(created)
		return x, err
	}, `SELECT id, peers, created_at FROM cases_queries`)
}

// peerAt is one dated event with a peer, with a count.
type peerAt struct {
	peer string
	at   time.Time
	n    int
}

func scanPeerAt(r store.Scanner) (peerAt, error) {
	var x peerAt
	var at string
	err := r.Scan(&x.peer, &at, &x.n)
	x.at = store.ParseTime(at)
	return x, err
}

// queryHits are the hits answered by peers (one row per item that hit).
func queryHits(ctx context.Context, q store.Querier) ([]peerAt, error) {
	return store.Collect(ctx, q, scanPeerAt, `SELECT peer, answered_at, 1 FROM cases_query_results WHERE hit = 1`)
}

// releasesReceived are the details owners released to this node.
func releasesReceived(ctx context.Context, q store.Querier) ([]peerAt, error) {
	return store.Collect(ctx, q, scanPeerAt, `SELECT peer, received_at, 1 FROM cases_releases WHERE refused = 0`)
}

// inboundQueries are the queries peers sent here, with how many items hit.
func inboundQueries(ctx context.Context, q store.Querier) ([]peerAt, error) {
	return store.Collect(ctx, q, scanPeerAt, `SELECT peer, received_at, hits FROM cases_inbound`)
}

// releasesGiven are the hits this node released to the asking peer.
func releasesGiven(ctx context.Context, q store.Querier) ([]peerAt, error) {
	return store.Collect(ctx, q, scanPeerAt, `SELECT peer, decided_at, 1 FROM cases_hits WHERE state = 'released'`)
}

type mlaRow struct {
	origin, target, status, basis string
	sent, closed                  time.Time
}

func mlaRequests(ctx context.Context, q store.Querier) ([]mlaRow, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (mlaRow, error) {
		var x mlaRow
		var sent, closed string
		err := r.Scan(&x.origin, &x.target, &x.status, &x.basis, &sent, &closed)
		x.sent, x.closed = store.ParseTime(sent), store.ParseTime(closed)
		return x, err
	}, `SELECT origin_node, target_node, status, legal_basis_id, sent_at, closed_at FROM mla_requests WHERE status != 'draft'`)
}

// groupRow is a JIT or an operation: the nodes taking part.
type groupRow struct {
	kind, origin, basis string
	nodes               []string
	created             time.Time
}

func jitWorkspaces(ctx context.Context, q store.Querier) ([]groupRow, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (groupRow, error) {
		var x groupRow
		var nodes, created string
		err := r.Scan(&x.kind, &x.origin, &x.basis, &nodes, &created)
		x.nodes, x.created = jsonList(nodes), store.ParseTime(created)
		return x, err
	}, `SELECT kind, leader_node, legal_basis, parties, created_at FROM jit_workspaces`)
}

func operations(ctx context.Context, q store.Querier) ([]groupRow, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (groupRow, error) {
		var x groupRow
		var nodes, created string
		err := r.Scan(&x.kind, &x.origin, &x.basis, &nodes, &created)
		x.nodes, x.created = jsonList(nodes), store.ParseTime(created)
		return x, err
	}, `SELECT kind, origin_node, legal_basis_id, nodes, created_at FROM ops_operations WHERE exercise = 0`)
}

type agreementRow struct {
	id, title, short, status, ended string
	parties                         []string
}

func agreements(ctx context.Context, q store.Querier) ([]agreementRow, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (agreementRow, error) {
		var x agreementRow
		var parties string
		err := r.Scan(&x.id, &x.title, &x.short, &x.status, &x.ended, &parties)
		var ps []struct {
			Country string `json:"country"`
		}
		_ = json.Unmarshal([]byte(parties), &ps)
		for _, p := range ps {
			x.parties = append(x.parties, p.Country)
		}
		return x, err
	}, `SELECT id, title, short_name, status, ended, parties FROM dir_agreements ORDER BY title`)
}

// manualUse sums the implementation record's manual entries per agreement.
func manualUse(ctx context.Context, q store.Querier) (map[string]int, error) {
	rows, err := store.Collect(ctx, q, func(r store.Scanner) (peerAt, error) {
		var x peerAt
		err := r.Scan(&x.peer, &x.n)
		return x, err
	}, `SELECT subject_id, SUM(count) FROM dir_activity WHERE subject_kind = 'agreement' GROUP BY subject_id`)
	out := map[string]int{}
	for _, r := range rows {
		out[r.peer] = r.n
	}
	return out, err
}

// nodeCountries maps node IDs to the countries they are the authority for.
func nodeCountries(ctx context.Context, q store.Querier) (map[string]string, error) {
	rows, err := store.Collect(ctx, q, func(r store.Scanner) ([2]string, error) {
		var x [2]string
		err := r.Scan(&x[0], &x[1])
		return x, err
	}, `SELECT node, code FROM dir_countries WHERE node != '' AND parent = '' ORDER BY code`)
	out := map[string]string{}
	for _, r := range rows {
		if _, ok := out[r[0]]; !ok {
			out[r[0]] = r[1]
		}
	}
	return out, err
}

// saveShared keeps the newest aggregate a peer shared of one kind.
func saveShared(ctx context.Context, tx *store.Tx, peer, kind string, payload []byte, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO analysis_shared (peer, kind, payload, received_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (peer, kind) DO UPDATE SET payload = excluded.payload, received_at = excluded.received_at`, peer, kind, string(payload), store.FormatTime(at))
	return err
}

type sharedRow struct {
	peer, kind string
	payload    []byte
	at         time.Time
}

// sharedOf lists what peers shared of kinds starting with prefix.
func sharedOf(ctx context.Context, q store.Querier, prefix string) ([]sharedRow, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (sharedRow, error) {
		var x sharedRow
		var payload, at string
		err := r.Scan(&x.peer, &x.kind, &payload, &at)
		x.payload, x.at = []byte(payload), store.ParseTime(at)
		return x, err
	}, `SELECT peer, kind, payload, received_at FROM analysis_shared WHERE kind LIKE ? ORDER BY peer, kind`, prefix+"%")
}

func insertTable(ctx context.Context, tx *store.Tx, t Table) error {
	defs, _ := json.Marshal(t.Definitions)
	cells, _ := json.Marshal(t.Cells)
	_, err := tx.ExecContext(ctx, `INSERT INTO analysis_tables (id, indicator_set, title, period, jurisdiction, source, definitions, cells, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, t.ID, t.Set, t.Title, t.Period, t.Jurisdiction, t.Source, string(defs), string(cells), t.CreatedBy,
		store.FormatTime(t.CreatedAt), store.FormatTime(t.UpdatedAt))
	return err
}

const tableCols = `id, indicator_set, title, period, jurisdiction, source, definitions, cells, created_by, created_at, updated_at`

func scanTable(self string) func(r store.Scanner) (Table, error) {
	return func(r store.Scanner) (Table, error) {
		var t Table
		var defs, cells, created, updated string
		err := r.Scan(&t.ID, &t.Set, &t.Title, &t.Period, &t.Jurisdiction, &t.Source, &defs, &cells, &t.CreatedBy, &created, &updated)
		t.Node, t.CreatedAt, t.UpdatedAt = self, store.ParseTime(created), store.ParseTime(updated)
		t.Definitions, t.Cells = []Definition{}, []TableCell{}
		_ = json.Unmarshal([]byte(defs), &t.Definitions)
		_ = json.Unmarshal([]byte(cells), &t.Cells)
		return t, err
	}
}

func listTables(ctx context.Context, q store.Querier, self string) ([]Table, error) {
	return store.Collect(ctx, q, scanTable(self), `SELECT `+tableCols+` FROM analysis_tables ORDER BY indicator_set, period DESC, jurisdiction, created_at`)
}

// getTable returns sql.ErrNoRows when there is no such table.
func getTable(ctx context.Context, q store.Querier, self, id string) (Table, error) {
	return scanTable(self)(q.QueryRowContext(ctx, `SELECT `+tableCols+` FROM analysis_tables WHERE id = ?`, id))
}

type relRow struct{ from, to, typ string }

// inArgs turns ids into placeholders and arguments.
func inArgs(ids []string) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return strings.TrimSuffix(strings.Repeat("?,", len(ids)), ","), args
}

// relationsTouching returns the relations with one end in ids, in
// batches of 400 IDs. Both halves are answered from covering indexes
// (the UNIQUE (from_id, to_id, type) index and cases_relations_to_cover);
// a relation with both ends in the batch comes from the first half only,
// so no sort is needed to drop duplicates.
func relationsTouching(ctx context.Context, q store.Querier, ids []string) ([]relRow, error) {
	var out []relRow
	for start := 0; start < len(ids); start += 400 {
		ph, args := inArgs(ids[start:min(len(ids), start+400)])
		rows, err := store.Collect(ctx, q, func(r store.Scanner) (relRow, error) {
			var x relRow
			err := r.Scan(&x.from, &x.to, &x.typ)
			return x, err
		}, `SELECT from_id, to_id, type FROM cases_relations WHERE from_id IN (`+ph+`)
			UNION ALL SELECT from_id, to_id, type FROM cases_relations WHERE to_id IN (`+ph+`) AND from_id NOT IN (`+ph+`)`, slices.Concat(args, args, args)...)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

type entRow struct{ id, kind, label string }

// entitiesByID reads the kind and label of entities not merged into another.
func entitiesByID(ctx context.Context, q store.Querier, ids []string) (map[string]entRow, error) {
	out := make(map[string]entRow, len(ids))
	for start := 0; start < len(ids); start += 400 {
		ph, args := inArgs(ids[start:min(len(ids), start+400)])
		rows, err := store.Collect(ctx, q, func(r store.Scanner) (entRow, error) {
			var x entRow
			err := r.Scan(&x.id, &x.kind, &x.label)
			return x, err
		}, `SELECT id, kind, label FROM cases_entities WHERE merged_into = '' AND id IN (`+ph+`)`, args...)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out[r.id] = r
		}
	}
	return out, nil
}

// ---- routes recorded on cases

type legRow struct {
	from, to        string
	journeys, cases int
}

func routeFilter(q RouteQuery) (string, []any) {
	where := ` WHERE r.travelled_on >= ? AND r.travelled_on <= ?`
	args := []any{q.From, q.To}
	if q.Area != "" {
		where += ` AND r.case_id IN (SELECT id FROM cases_cases WHERE crime_area = ?)`
		args = append(args, q.Area)
	}
	return where, args
}

// routeTotals counts the journeys of a period and the cases they are on.
func routeTotals(ctx context.Context, q store.Querier, rq RouteQuery) (journeys, cases int, err error) {
	where, args := routeFilter(rq)
	err = q.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT r.case_id) FROM cases_routes r`+where, args...).Scan(&journeys, &cases)
	return journeys, cases, err
}

// routeLegs counts consecutive stops of the journeys of a period.
func routeLegs(ctx context.Context, q store.Querier, rq RouteQuery) ([]legRow, error) {
	where, args := routeFilter(rq)
	return store.Collect(ctx, q, func(r store.Scanner) (legRow, error) {
		var x legRow
		err := r.Scan(&x.from, &x.to, &x.journeys, &x.cases)
		return x, err
	}, `SELECT a.place, b.place, COUNT(*), COUNT(DISTINCT r.case_id)
		FROM cases_route_stops a
		JOIN cases_route_stops b ON b.route_id = a.route_id AND b.seq = a.seq + 1
		JOIN cases_routes r ON r.id = a.route_id`+where+`
		GROUP BY a.place, b.place`, args...)
}
