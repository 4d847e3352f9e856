package analysis

import (
	"context"
	"encoding/json"
	"time"

	"github.com/liaison-wb/liaison/internal/store"
)

func optTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return store.FormatTime(*t)
}

func parseOptTime(s string) *time.Time {
	if s == "" {
		return nil
	}
	t := store.ParseTime(s)
	return &t
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

const contributionCols = `node, id, regional_node, crime_area, period, title, sections, state, version, created_by, submitted_by, approved_by, note, created_at, updated_at, approved_at`

func scanContribution(r store.Scanner) (NationalContribution, error) {
	var c NationalContribution
	var secs, created, updated, approved string
	err := r.Scan(&c.Node, &c.ID, &c.Regional, &c.CrimeArea, &c.Period, &c.Title, &secs, &c.State, &c.Version, &c.CreatedBy, &c.SubmittedBy, &c.ApprovedBy,
		&c.Note, &created, &updated, &approved)
	c.Paragraphs = []Paragraph{}
	_ = json.Unmarshal([]byte(secs), &c.Paragraphs)
	c.CreatedAt, c.UpdatedAt, c.ApprovedAt = store.ParseTime(created), store.ParseTime(updated), parseOptTime(approved)
	return c, err
}

// insertContribution writes a new contribution row.
func insertContribution(ctx context.Context, tx *store.Tx, c NationalContribution) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO analysis_contributions (`+contributionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Node, c.ID, c.Regional, c.CrimeArea, c.Period, c.Title, jsonText(c.Paragraphs), c.State, c.Version, c.CreatedBy, c.SubmittedBy, c.ApprovedBy,
		c.Note, store.FormatTime(c.CreatedAt), store.FormatTime(c.UpdatedAt), optTime(c.ApprovedAt))
	return err
}

// updateContribution rewrites a contribution; the version guards against
// lost updates: it returns false when the row changed since it was read.
func updateContribution(ctx context.Context, tx *store.Tx, c NationalContribution, readVersion int64) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE analysis_contributions SET regional_node = ?, crime_area = ?, period = ?, title = ?, sections = ?, state = ?,
		version = ?, submitted_by = ?, approved_by = ?, note = ?, updated_at = ?, approved_at = ? WHERE node = ? AND id = ? AND version = ?`,
		c.Regional, c.CrimeArea, c.Period, c.Title, jsonText(c.Paragraphs), c.State, c.Version, c.SubmittedBy, c.ApprovedBy, c.Note,
		store.FormatTime(c.UpdatedAt), optTime(c.ApprovedAt), c.Node, c.ID, readVersion)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// saveReceived keeps the newest version of a contribution a national node
// sent: a resend replaces the earlier copy.
func saveReceived(ctx context.Context, tx *store.Tx, c NationalContribution) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO analysis_contributions (`+contributionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (node, id) DO UPDATE SET title = excluded.title, sections = excluded.sections, crime_area = excluded.crime_area,
		period = excluded.period, version = excluded.version, approved_by = excluded.approved_by, updated_at = excluded.updated_at,
		approved_at = excluded.approved_at`,
		c.Node, c.ID, c.Regional, c.CrimeArea, c.Period, c.Title, jsonText(c.Paragraphs), CStateReceived, c.Version, c.CreatedBy, c.SubmittedBy, c.ApprovedBy,
		"", store.FormatTime(c.CreatedAt), store.FormatTime(c.UpdatedAt), optTime(c.ApprovedAt))
	return err
}

// getContribution returns sql.ErrNoRows when there is none.
func getContribution(ctx context.Context, q store.Querier, node, id string) (NationalContribution, error) {
	return scanContribution(q.QueryRowContext(ctx, `SELECT `+contributionCols+` FROM analysis_contributions WHERE node = ? AND id = ?`, node, id))
}

// listContributions lists contributions, newest first; node "" for all.
func listContributions(ctx context.Context, q store.Querier) ([]NationalContribution, error) {
	return store.Collect(ctx, q, scanContribution, `SELECT `+contributionCols+` FROM analysis_contributions ORDER BY crime_area, period DESC, node, created_at DESC`)
}

// contributionsFor lists received contributions of one crime area and
// period, and this node's own approved ones.
func contributionsFor(ctx context.Context, q store.Querier, self, area, period string) ([]NationalContribution, error) {
	return store.Collect(ctx, q, scanContribution, `SELECT `+contributionCols+` FROM analysis_contributions
		WHERE crime_area = ? AND period = ? AND (state = ? OR (node = ? AND state = ?)) ORDER BY node, approved_at, id`,
		area, period, CStateReceived, self, CStateApproved)
}

const assessmentCols = `id, crime_area, period, title, summary, sections, contributions, threats, priorities, state, version, created_by, submitted_by,
	approved_by, superseded_by, note, created_at, updated_at, approved_at, needs_sent_at`

func scanAssessment(self string) func(r store.Scanner) (Assessment, error) {
	return func(r store.Scanner) (Assessment, error) {
		var a Assessment
		var secs, contribs, threats, prios, created, updated, approved, needs string
		err := r.Scan(&a.ID, &a.CrimeArea, &a.Period, &a.Title, &a.Summary, &secs, &contribs, &threats, &prios, &a.State, &a.Version, &a.CreatedBy,
			&a.SubmittedBy, &a.ApprovedBy, &a.SupersededBy, &a.Note, &created, &updated, &approved, &needs)
		a.Node = self
		a.Paragraphs, a.Contributions, a.Threats, a.Priorities = []Paragraph{}, []NationalContribution{}, []Threat{}, []Priority{}
		_ = json.Unmarshal([]byte(secs), &a.Paragraphs)
		_ = json.Unmarshal([]byte(contribs), &a.Contributions)
		_ = json.Unmarshal([]byte(threats), &a.Threats)
		_ = json.Unmarshal([]byte(prios), &a.Priorities)
		a.CreatedAt, a.UpdatedAt, a.ApprovedAt, a.NeedsSentAt = store.ParseTime(created), store.ParseTime(updated), parseOptTime(approved), parseOptTime(needs)
		return a, err
	}
}

func insertAssessment(ctx context.Context, tx *store.Tx, a Assessment) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO analysis_assessments (`+assessmentCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.CrimeArea, a.Period, a.Title, a.Summary, jsonText(a.Paragraphs), jsonText(a.Contributions), jsonText(a.Threats), jsonText(a.Priorities),
		a.State, a.Version, a.CreatedBy, a.SubmittedBy, a.ApprovedBy, a.SupersededBy, a.Note, store.FormatTime(a.CreatedAt), store.FormatTime(a.UpdatedAt),
		optTime(a.ApprovedAt), optTime(a.NeedsSentAt))
	return err
}

// updateAssessment rewrites an assessment read at readVersion; false when
// it changed since.
func updateAssessment(ctx context.Context, tx *store.Tx, a Assessment, readVersion int64) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE analysis_assessments SET title = ?, summary = ?, sections = ?, contributions = ?, threats = ?, priorities = ?,
		state = ?, version = ?, submitted_by = ?, approved_by = ?, superseded_by = ?, note = ?, updated_at = ?, approved_at = ?, needs_sent_at = ?
		WHERE id = ? AND version = ?`,
		a.Title, a.Summary, jsonText(a.Paragraphs), jsonText(a.Contributions), jsonText(a.Threats), jsonText(a.Priorities), a.State, a.Version,
		a.SubmittedBy, a.ApprovedBy, a.SupersededBy, a.Note, store.FormatTime(a.UpdatedAt), optTime(a.ApprovedAt), optTime(a.NeedsSentAt), a.ID, readVersion)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// getAssessment returns sql.ErrNoRows when there is none.
func getAssessment(ctx context.Context, q store.Querier, self, id string) (Assessment, error) {
	return scanAssessment(self)(q.QueryRowContext(ctx, `SELECT `+assessmentCols+` FROM analysis_assessments WHERE id = ?`, id))
}

func listAssessments(ctx context.Context, q store.Querier, self string) ([]Assessment, error) {
	return store.Collect(ctx, q, scanAssessment(self), `SELECT `+assessmentCols+` FROM analysis_assessments ORDER BY created_at DESC, id`)
}

// approvedOf lists the approved assessments of a crime area but one.
func approvedOf(ctx context.Context, q store.Querier, self, area, except string) ([]Assessment, error) {
	return store.Collect(ctx, q, scanAssessment(self), `SELECT `+assessmentCols+` FROM analysis_assessments WHERE crime_area = ? AND state = ? AND id != ?`,
		area, AStateApproved, except)
}
