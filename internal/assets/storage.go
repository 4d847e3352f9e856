// Storage of asset recovery: every SQL statement of the module is here,
// behind typed functions; the services hold none.

package assets

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/store"
)

func insertRequest(ctx context.Context, tx *store.Tx, r ARORequest) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO ar_requests (id, direction, origin_node, target_node, purpose, subject, details, case_ref, status, answer, agency, created_by, created_at, answered_by, answered_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.Direction, r.OriginNode, r.TargetNode, r.Purpose, r.Subject, r.Details, r.CaseRef, r.Status, r.Answer,
		r.Agency, r.CreatedBy, store.FormatTime(r.CreatedAt), r.AnsweredBy, "")
	return err
}

const reqCols = `id, direction, origin_node, target_node, purpose, subject, details, case_ref, status, answer, agency, created_by, created_at, answered_by, answered_at`

func scanRequest(row store.Scanner) (ARORequest, error) {
	var r ARORequest
	var c, a string
	err := row.Scan(&r.ID, &r.Direction, &r.OriginNode, &r.TargetNode, &r.Purpose, &r.Subject, &r.Details, &r.CaseRef, &r.Status, &r.Answer, &r.Agency, &r.CreatedBy, &c, &r.AnsweredBy, &a)
	r.CreatedAt = store.ParseTime(c)
	if a != "" {
		r.AnsweredAt = store.ParseTime(a)
	}
	return r, err
}

// requestByID reads one request; sql.ErrNoRows when there is none.
func requestByID(ctx context.Context, q store.Querier, id string) (ARORequest, error) {
	return scanRequest(q.QueryRowContext(ctx, `SELECT `+reqCols+` FROM ar_requests WHERE id = ?`, id))
}

// requestExists reports whether this node holds request id.
func requestExists(ctx context.Context, q store.Querier, id string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM ar_requests WHERE id = ?`, id).Scan(&n)
	return n > 0, err
}

// agencyRequests lists an agency's requests, newest first.
func agencyRequests(ctx context.Context, q store.Querier, agency string) ([]ARORequest, error) {
	return store.Collect(ctx, q, scanRequest, `SELECT `+reqCols+` FROM ar_requests WHERE agency = ? ORDER BY created_at DESC LIMIT 500`, agency)
}

// setAnswer records the answer to (or refusal of) a request.
func setAnswer(ctx context.Context, tx *store.Tx, id, status, text, by string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE ar_requests SET status = ?, answer = ?, answered_by = ?, answered_at = ? WHERE id = ?`,
		status, text, by, store.FormatTime(at), id)
	return err
}

// outgoingState reads the target and status of an outgoing request.
func outgoingState(ctx context.Context, q store.Querier, id string) *sql.Row {
	return q.QueryRowContext(ctx, `SELECT target_node, status FROM ar_requests WHERE id = ? AND direction = 'outgoing'`, id)
}

// moveRequest gives a received request held by agency from to agency to.
func moveRequest(ctx context.Context, tx *store.Tx, id, from, to string) error {
	_, err := tx.ExecContext(ctx, `UPDATE ar_requests SET agency = ? WHERE id = ? AND agency = ?`, to, id, from)
	return err
}

const assetCols = `id, kind, description, identifier, country, person, case_ref, value_cents, currency, step, agency, created_by, created_at, updated_at`

func scanAsset(row store.Scanner) (Asset, error) {
	var a Asset
	var c, u string
	if err := row.Scan(&a.ID, &a.Kind, &a.Description, &a.Identifier, &a.Country, &a.Person, &a.CaseRef, &a.ValueCents, &a.Currency, &a.Step, &a.Agency, &a.CreatedBy, &c, &u); err != nil {
		return a, err
	}
	a.CreatedAt, a.UpdatedAt = store.ParseTime(c), store.ParseTime(u)
	a.KindLabel, a.StepLabel, a.Value = KindLabels[a.Kind], StepLabels[a.Step], FormatAmount(a.ValueCents)
	return a, nil
}

// insertAsset stores a new asset.
func insertAsset(ctx context.Context, tx *store.Tx, a Asset) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO ar_assets (id, kind, description, identifier, country, person, case_ref, value_cents, currency, step, agency, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, a.Kind, a.Description, a.Identifier, a.Country, a.Person, a.CaseRef, a.ValueCents, a.Currency, a.Step,
		a.Agency, a.CreatedBy, store.FormatTime(a.CreatedAt), store.FormatTime(a.UpdatedAt))
	return err
}

func insertStep(ctx context.Context, tx *store.Tx, assetID string, st Step) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO ar_steps (id, asset_id, step, on_date, authority, decision_ref, value_cents, skip_reason, note, recorded_by, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, st.ID, assetID, st.Step, st.Date, st.Authority, st.DecisionRef, st.ValueCents, st.SkipReason, st.Note, st.RecordedBy, store.FormatTime(st.RecordedAt))
	return err
}

// moveStep advances an asset from step from to step to; false when it is
// no longer at from.
func moveStep(ctx context.Context, tx *store.Tx, id, from, to string, now time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE ar_assets SET step = ?, updated_at = ? WHERE id = ? AND step = ?`, to, store.FormatTime(now), id, from)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// assetByID reads one asset without its steps; sql.ErrNoRows when none.
func assetByID(ctx context.Context, q store.Querier, id string) (Asset, error) {
	return scanAsset(q.QueryRowContext(ctx, `SELECT `+assetCols+` FROM ar_assets WHERE id = ?`, id))
}

// assetSteps reads an asset's steps in order.
func assetSteps(ctx context.Context, q store.Querier, id string) ([]Step, error) {
	return store.Collect(ctx, q, func(row store.Scanner) (Step, error) {
		var st Step
		var at string
		err := row.Scan(&st.ID, &st.Step, &st.Date, &st.Authority, &st.DecisionRef, &st.ValueCents, &st.SkipReason, &st.Note, &st.RecordedBy, &at)
		st.RecordedAt, st.StepLabel = store.ParseTime(at), StepLabels[st.Step]
		return st, err
	}, `SELECT id, step, on_date, authority, decision_ref, value_cents, skip_reason, note, recorded_by, recorded_at FROM ar_steps WHERE asset_id = ? ORDER BY on_date, recorded_at`, id)
}

// listAssets reads assets matching f, most recently changed first.
func listAssets(ctx context.Context, q store.Querier, f Filter) ([]Asset, error) {
	query := `SELECT ` + assetCols + ` FROM ar_assets WHERE 1=1`
	var args []any
	if f.CaseRef != "" {
		query += ` AND case_ref = ?`
		args = append(args, f.CaseRef)
	}
	if f.Person != "" {
		query += ` AND LOWER(person) LIKE ?`
		args = append(args, "%"+strings.ToLower(f.Person)+"%")
	}
	if f.Step != "" {
		query += ` AND step = ?`
		args = append(args, f.Step)
	}
	if f.Country != "" {
		query += ` AND country = ?`
		args = append(args, f.Country)
	}
	return store.Collect(ctx, q, scanAsset, query+` ORDER BY updated_at DESC LIMIT 1000`, args...)
}

// valuesByStep sums the value of assets at each step by country, year of
// the step and currency.
func valuesByStep(ctx context.Context, q store.Querier) ([]ValueRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT a.country, SUBSTR(st.on_date, 1, 4), st.step, a.currency, COUNT(*),
		SUM(CASE WHEN st.value_cents > 0 THEN st.value_cents ELSE a.value_cents END)
		FROM ar_steps st JOIN ar_assets a ON a.id = st.asset_id
		GROUP BY a.country, SUBSTR(st.on_date, 1, 4), st.step, a.currency
		ORDER BY a.country, SUBSTR(st.on_date, 1, 4), a.currency`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ValueRow{}
	for rows.Next() {
		var r ValueRow
		if err := rows.Scan(&r.Country, &r.Year, &r.Step, &r.Currency, &r.Count, &r.ValueCents); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
