// Storage: every SQL statement of the alerts module, as typed methods.

package alerts

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/store"
)

const alertCols = `id, origin_node, kind, sub, subject, label, person, object, warnings, action, reason, authority, warrant_ref, interpol_ref, misused,
	case_refs, status, hidden, closed_reason, agency, created_by, created_at, updated_at, validated_by, validated_at, review_due, digest, envelope_id,
	signature, legal_basis, flag_reason, flagged_by, flagged_at, photo_sha256, links`

func ft(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return store.FormatTime(t)
}

func pt(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	return store.ParseTime(s)
}

func jsonOrEmpty(v any) string {
	b, _ := json.Marshal(v)
	if string(b) == "null" {
		return ""
	}
	return string(b)
}

// insertAlert writes a new alert row.
func insertAlert(ctx context.Context, tx *store.Tx, a Alert) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO alerts (`+alertCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.OriginNode, a.Kind, a.Sub, a.Subject, a.Label, jsonOrEmpty(a.Person), jsonOrEmpty(a.Object), store.JSONText(a.Warnings), a.Action, a.Reason,
		a.Authority, a.WarrantRef, a.InterpolRef, jsonOrEmpty(a.Misused), store.JSONText(a.CaseRefs), a.Status, store.BoolInt(a.Hidden), a.ClosedReason,
		a.Agency, a.CreatedBy, ft(a.CreatedAt), ft(a.UpdatedAt), a.ValidatedBy, ft(a.ValidatedAt), ft(a.ReviewDue), a.Digest, a.EnvelopeID, a.Signature,
		a.LegalBasis, a.FlagReason, "", "", photoSHA(a), store.JSONText(a.Links))
	return err
}

// replaceContent overwrites the content of an alert (a draft edited, or
// a recipient's copy replaced by a newer version from the issuer).
func replaceContent(ctx context.Context, tx *store.Tx, a Alert) error {
	_, err := tx.ExecContext(ctx, `UPDATE alerts SET kind = ?, sub = ?, subject = ?, label = ?, person = ?, object = ?, warnings = ?, action = ?, reason = ?,
		authority = ?, warrant_ref = ?, interpol_ref = ?, misused = ?, case_refs = ?, status = ?, hidden = ?, review_due = ?, digest = ?, envelope_id = ?,
		signature = ?, legal_basis = ?, validated_by = ?, validated_at = ?, updated_at = ?, photo_sha256 = ?, links = ? WHERE id = ?`,
		a.Kind, a.Sub, a.Subject, a.Label, jsonOrEmpty(a.Person), jsonOrEmpty(a.Object), store.JSONText(a.Warnings), a.Action, a.Reason, a.Authority,
		a.WarrantRef, a.InterpolRef, jsonOrEmpty(a.Misused), store.JSONText(a.CaseRefs), a.Status, store.BoolInt(a.Hidden), ft(a.ReviewDue), a.Digest,
		a.EnvelopeID, a.Signature, a.LegalBasis, a.ValidatedBy, ft(a.ValidatedAt), ft(a.UpdatedAt), photoSHA(a), store.JSONText(a.Links), a.ID)
	return err
}

// setStatus moves an alert from one status to another; it reports false
// when the alert was not in status from any more.
func setStatus(ctx context.Context, tx *store.Tx, id, from, to, reason string, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE alerts SET status = ?, closed_reason = ?, updated_at = ? WHERE id = ? AND status = ?`, to, reason, ft(at), id, from)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

func setValidated(ctx context.Context, tx *store.Tx, id, by string, at, review time.Time, digest string) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE alerts SET status = ?, validated_by = ?, validated_at = ?, review_due = ?, digest = ?, updated_at = ? WHERE id = ? AND status = ?`,
		StatusActive, by, ft(at), ft(review), digest, ft(at), id, StatusDraft)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

func setHidden(ctx context.Context, tx *store.Tx, id string, hidden bool, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE alerts SET hidden = ?, updated_at = ? WHERE id = ?`, store.BoolInt(hidden), ft(at), id)
	return err
}

func setReview(ctx context.Context, tx *store.Tx, id string, due, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE alerts SET review_due = ?, review_warned = 0, updated_at = ? WHERE id = ?`, ft(due), ft(at), id)
	return err
}

func setWarned(ctx context.Context, tx *store.Tx, id string) error {
	_, err := tx.ExecContext(ctx, `UPDATE alerts SET review_warned = 1 WHERE id = ?`, id)
	return err
}

// setLocalFlag records this node's own flag on a partner's alert.
func setLocalFlag(ctx context.Context, tx *store.Tx, id, reason, by string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE alerts SET flag_reason = ?, flagged_by = ?, flagged_at = ?, updated_at = ? WHERE id = ?`, reason, by, ft(at), ft(at), id)
	return err
}

func scanAlert(row interface{ Scan(...any) error }, self string) (Alert, error) {
	var a Alert
	var jc store.JSONColumns
	var person, object, warnings, misused, caseRefs, created, updated, validated, review, flaggedBy, flaggedAt, photoSum, links string
	var hidden int
	err := row.Scan(&a.ID, &a.OriginNode, &a.Kind, &a.Sub, &a.Subject, &a.Label, &person, &object, &warnings, &a.Action, &a.Reason, &a.Authority,
		&a.WarrantRef, &a.InterpolRef, &misused, &caseRefs, &a.Status, &hidden, &a.ClosedReason, &a.Agency, &a.CreatedBy, &created, &updated,
		&a.ValidatedBy, &validated, &review, &a.Digest, &a.EnvelopeID, &a.Signature, &a.LegalBasis, &a.FlagReason, &flaggedBy, &flaggedAt, &photoSum, &links)
	if err != nil {
		return a, err
	}
	if person != "" {
		a.Person = &WantedPerson{}
		jc.Decode("person", person, a.Person)
	}
	if object != "" {
		a.Object = &WantedObject{}
		jc.Decode("object", object, a.Object)
	}
	if misused != "" {
		a.Misused = &Misused{}
		jc.Decode("misused", misused, a.Misused)
	}
	jc.Decode("warnings", warnings, &a.Warnings)
	jc.Decode("case_refs", caseRefs, &a.CaseRefs)
	jc.Decode("links", links, &a.Links)
	if a.Links == nil {
		a.Links = []string{}
	}
	if photoSum != "" {
		a.Photo = &PhotoInfo{SHA256: photoSum} // the rest is read by Get
	}
	if a.Warnings == nil {
		a.Warnings = []string{}
	}
	if a.CaseRefs == nil {
		a.CaseRefs = []string{}
	}
	a.Hidden = hidden == 1
	a.Local = a.OriginNode == self
	a.DoNotAct = a.FlagReason != ""
	a.CreatedAt, a.UpdatedAt, a.ValidatedAt, a.ReviewDue = pt(created), pt(updated), pt(validated), pt(review)
	a.Recipients, a.Flags = []Recipient{}, []Flag{}
	return a, jc.Err("alerts.scan", "alert "+a.ID)
}

func (s *Service) loadAlert(ctx context.Context, q store.Querier, id string) (Alert, error) {
	return scanAlert(q.QueryRowContext(ctx, `SELECT `+alertCols+` FROM alerts WHERE id = ?`, strings.TrimSpace(id)), s.d.NodeID)
}

// alertsByID reads alerts by ID, in force only when inForce is set.
func (s *Service) alertsByID(ctx context.Context, q store.Querier, ids []string, inForce bool) (map[string]Alert, error) {
	out := map[string]Alert{}
	for len(ids) > 0 {
		n := min(len(ids), 400)
		args := make([]any, 0, n+3)
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		// The status is tested here, not in SQL: beside it, SQLite may
		// choose the status index and scan every alert in force.
		qs := `SELECT ` + alertCols + ` FROM alerts WHERE id IN (` + placeholders(n) + `)`
		rows, err := q.QueryContext(ctx, qs, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			a, err := scanAlert(rows, s.d.NodeID)
			if err != nil {
				rows.Close()
				return nil, err
			}
			if inForce && !InForce(a.Status) {
				continue
			}
			out[a.ID] = a
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		ids = ids[n:]
	}
	return out, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// listFilter narrows listAlerts.
type listFilter struct {
	Status string
	Kind   string
	Origin string // "local", "foreign" or a node ID
	Limit  int
}

func (s *Service) listAlerts(ctx context.Context, f listFilter) ([]Alert, error) {
	q := `SELECT ` + alertCols + ` FROM alerts WHERE 1 = 1`
	var args []any
	if f.Status != "" {
		q += ` AND status = ?`
		args = append(args, f.Status)
	}
	if f.Kind != "" {
		q += ` AND kind = ?`
		args = append(args, f.Kind)
	}
	switch f.Origin {
	case "":
	case "local":
		q += ` AND origin_node = ?`
		args = append(args, s.d.NodeID)
	case "foreign":
		q += ` AND origin_node <> ?`
		args = append(args, s.d.NodeID)
	default:
		q += ` AND origin_node = ?`
		args = append(args, f.Origin)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 500
	}
	rows, err := s.d.Store.QueryContext(ctx, q+` ORDER BY updated_at DESC, id LIMIT `+strconv.Itoa(f.Limit), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		a, err := scanAlert(rows, s.d.NodeID)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// origins lists the alerts issued by origin, not final, of the given
// kinds; used by the compatibility check.
func (s *Service) alertIDsByOrigin(ctx context.Context, q store.Querier, origin string) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT id FROM alerts WHERE origin_node = ? AND status NOT IN (?, ?, ?, ?)`, origin, StatusWithdrawn, StatusExpired, StatusDeleted, StatusActionTaken)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// replaceKeys replaces the candidate keys of an alert.
func replaceKeys(ctx context.Context, tx *store.Tx, id string, keys []int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM alerts_keys WHERE alert_id = ?`, id); err != nil {
		return err
	}
	return insertKeys(ctx, tx, id, keys)
}

// insertKeys adds the candidate keys of an alert that has none yet.
func insertKeys(ctx context.Context, tx *store.Tx, id string, keys []int64) error {
	for len(keys) > 0 {
		n := min(len(keys), 200)
		args := make([]any, 0, 2*n)
		vals := make([]string, 0, n)
		for _, k := range keys[:n] {
			vals = append(vals, "(?, ?)")
			args = append(args, k, id)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO alerts_keys (k, alert_id) VALUES `+strings.Join(vals, ", "), args...); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

func deleteKeys(ctx context.Context, tx *store.Tx, id string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM alerts_keys WHERE alert_id = ?`, id)
	return err
}

// candidateIDs returns the alerts sharing the most keys with a query,
// each key contributing at most perKey alerts.
func candidateIDs(ctx context.Context, q store.Querier, keys []int64, limit, perKey int) ([]string, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	var b strings.Builder
	args := make([]any, 0, len(keys)+1)
	b.WriteString(`SELECT alert_id FROM (`)
	for i, k := range keys {
		if i > 0 {
			b.WriteString(` UNION ALL `)
		}
		b.WriteString(`SELECT alert_id FROM (SELECT alert_id FROM alerts_keys WHERE k = ? LIMIT ` + strconv.Itoa(perKey) + `) AS k` + strconv.Itoa(i))
		args = append(args, k)
	}
	b.WriteString(`) AS u GROUP BY alert_id ORDER BY COUNT(*) DESC, alert_id LIMIT ?`)
	args = append(args, limit)
	rows, err := q.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func insertRecipient(ctx context.Context, tx *store.Tx, id string, r Recipient) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO alerts_recipients (alert_id, node, legal_basis_id, legal_basis, sent_at) VALUES (?, ?, ?, ?, ?)`,
		id, r.Node, r.LegalBasisID, r.LegalBasis, ft(r.SentAt))
	return err
}

func deleteRecipients(ctx context.Context, tx *store.Tx, id string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM alerts_recipients WHERE alert_id = ?`, id)
	return err
}

func markSent(ctx context.Context, tx *store.Tx, id, node string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE alerts_recipients SET sent_at = ? WHERE alert_id = ? AND node = ?`, ft(at), id, node)
	return err
}

func recipients(ctx context.Context, q store.Querier, id string) ([]Recipient, error) {
	rows, err := q.QueryContext(ctx, `SELECT node, legal_basis_id, legal_basis, sent_at FROM alerts_recipients WHERE alert_id = ? ORDER BY node`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Recipient{}
	for rows.Next() {
		var r Recipient
		var sent string
		if err := rows.Scan(&r.Node, &r.LegalBasisID, &r.LegalBasis, &sent); err != nil {
			return nil, err
		}
		r.SentAt = pt(sent)
		out = append(out, r)
	}
	return out, rows.Err()
}

// upsertFlag records a recipient's flag (or its lifting) on the issuer.
func upsertFlag(ctx context.Context, tx *store.Tx, id string, f Flag) error {
	res, err := tx.ExecContext(ctx, `UPDATE alerts_flags SET reason = ?, actor = ?, at = ?, lifted = ? WHERE alert_id = ? AND node = ?`,
		f.Reason, f.Actor, ft(f.At), store.BoolInt(f.Lifted), id, f.Node)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO alerts_flags (alert_id, node, reason, actor, at, lifted) VALUES (?, ?, ?, ?, ?, ?)`,
		id, f.Node, f.Reason, f.Actor, ft(f.At), store.BoolInt(f.Lifted))
	return err
}

func setLiftAsked(ctx context.Context, tx *store.Tx, id, node string, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE alerts_flags SET lift_asked = ? WHERE alert_id = ? AND node = ? AND lifted = 0`, ft(at), id, node)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

func flags(ctx context.Context, q store.Querier, id string) ([]Flag, error) {
	rows, err := q.QueryContext(ctx, `SELECT node, reason, actor, at, lifted, lift_asked FROM alerts_flags WHERE alert_id = ? ORDER BY node`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Flag{}
	for rows.Next() {
		var f Flag
		var at, asked string
		var lifted int
		if err := rows.Scan(&f.Node, &f.Reason, &f.Actor, &at, &lifted, &asked); err != nil {
			return nil, err
		}
		f.At, f.Lifted, f.LiftAsked = pt(at), lifted == 1, pt(asked)
		out = append(out, f)
	}
	return out, rows.Err()
}

func insertEvent(ctx context.Context, tx *store.Tx, id string, e AlertEvent) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO alerts_events (id, alert_id, at, node, actor, kind, status, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		store.NewID(), id, ft(e.At), e.Node, e.Actor, e.Kind, e.Status, e.Note)
	return err
}

func events(ctx context.Context, q store.Querier, id string) ([]AlertEvent, error) {
	rows, err := q.QueryContext(ctx, `SELECT at, node, actor, kind, status, note FROM alerts_events WHERE alert_id = ? ORDER BY at, id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []AlertEvent{}
	for rows.Next() {
		var e AlertEvent
		var at string
		if err := rows.Scan(&at, &e.Node, &e.Actor, &e.Kind, &e.Status, &e.Note); err != nil {
			return nil, err
		}
		e.At = pt(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

const hitCols = `id, alert_id, direction, reporter_node, issuer_node, place, checked_at, check_reason, route, companions, vehicle, action_taken, status,
	due, answer, outcome, answered_by, answered_at, agency, created_by, created_at`

func insertHit(ctx context.Context, tx *store.Tx, h HitReport) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO alerts_hits (`+hitCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		h.ID, h.AlertID, h.Direction, h.ReporterNode, h.IssuerNode, h.Place, ft(h.CheckedAt), h.CheckReason, h.Route, h.Companions, h.Vehicle,
		h.ActionTaken, h.Status, ft(h.Due), h.Answer, h.Outcome, h.AnsweredBy, ft(h.AnsweredAt), h.Agency, h.CreatedBy, ft(h.CreatedAt))
	return err
}

func setHitAnswer(ctx context.Context, tx *store.Tx, id, answer, outcome, by string, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE alerts_hits SET status = ?, answer = ?, outcome = ?, answered_by = ?, answered_at = ? WHERE id = ? AND status <> ?`,
		HitAnswered, answer, outcome, by, ft(at), id, HitAnswered)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

func scanHit(row interface{ Scan(...any) error }) (HitReport, error) {
	var h HitReport
	var checked, due, answered, created string
	err := row.Scan(&h.ID, &h.AlertID, &h.Direction, &h.ReporterNode, &h.IssuerNode, &h.Place, &checked, &h.CheckReason, &h.Route, &h.Companions,
		&h.Vehicle, &h.ActionTaken, &h.Status, &due, &h.Answer, &h.Outcome, &h.AnsweredBy, &answered, &h.Agency, &h.CreatedBy, &created)
	h.CheckedAt, h.Due, h.AnsweredAt, h.CreatedAt = pt(checked), pt(due), pt(answered), pt(created)
	return h, err
}

func loadHit(ctx context.Context, q store.Querier, id string) (HitReport, error) {
	return scanHit(q.QueryRowContext(ctx, `SELECT `+hitCols+` FROM alerts_hits WHERE id = ?`, strings.TrimSpace(id)))
}

func hitsOf(ctx context.Context, q store.Querier, alertID string) ([]HitReport, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+hitCols+` FROM alerts_hits WHERE alert_id = ? ORDER BY created_at, id`, alertID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []HitReport{}
	for rows.Next() {
		h, err := scanHit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// dueAlerts lists the alerts in force whose review date is before until
// and, when warned is false, that have not been warned about yet.
func (s *Service) reviewCandidates(ctx context.Context, until time.Time, onlyUnwarned bool) ([]Alert, error) {
	q := `SELECT ` + alertCols + ` FROM alerts WHERE origin_node = ? AND review_due <> '' AND review_due <= ? AND status IN (?, ?, ?)`
	if onlyUnwarned {
		q += ` AND review_warned = 0`
	}
	rows, err := s.d.Store.QueryContext(ctx, q+` ORDER BY review_due LIMIT 500`, s.d.NodeID, ft(until), StatusActive, StatusHit, StatusNotPossible)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		a, err := scanAlert(rows, s.d.NodeID)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func photoSHA(a Alert) string {
	if a.Photo == nil {
		return ""
	}
	return a.Photo.SHA256
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
