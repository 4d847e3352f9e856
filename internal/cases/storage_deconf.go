// Storage of regional target deconfliction: this node's registrations,
// partners' registrations as received (keyed encodings only) and the
// notices for the NCU. Every SQL statement of these tables is here.

package cases

import (
	"context"
	"time"

	"github.com/liaison-wb/liaison/internal/store"
)

// caseTargets reads the live entities of a case with their fields.
func caseTargets(ctx context.Context, q store.Querier, caseID string) ([]Entity, error) {
	return store.Collect(ctx, q, scanEntity, `SELECT e.pk, e.id, e.kind, e.label, e.fields, e.aliases, e.source, e.merged_into, e.created_by, e.created_at
		FROM cases_case_entities ce JOIN cases_entities e ON e.id = ce.entity_id WHERE ce.case_id = ? AND e.merged_into = '' ORDER BY e.pk`, caseID)
}

// closeCase marks a case closed; false when it was closed already.
func closeCase(ctx context.Context, tx *store.Tx, id, day string, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE cases_cases SET status = 'closed', closed_on = ?, updated_at = ? WHERE id = ? AND status <> 'closed'`, day, store.FormatTime(at), id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func insertDeconfReg(ctx context.Context, tx *store.Tx, r DeconfRegistration, targets []DeconfTarget) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO cases_deconf_regs (id, case_id, case_ref, contact, agency, peers, pprl_key, targets, state, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.CaseID, r.CaseRef, r.Contact, r.Agency, jsonText(r.Peers), r.Key, jsonText(targets), r.State, r.CreatedBy, store.FormatTime(r.CreatedAt))
	return err
}

const deconfRegCols = `id, case_id, case_ref, contact, agency, peers, pprl_key, targets, state, created_by, created_at, closed_at`

type regRow struct {
	DeconfRegistration
	targets []DeconfTarget
}

func scanReg(r store.Scanner) (regRow, error) {
	var x regRow
	var peers, targets, at, closed string
	if err := r.Scan(&x.ID, &x.CaseID, &x.CaseRef, &x.Contact, &x.Agency, &peers, &x.Key, &targets, &x.State, &x.CreatedBy, &at, &closed); err != nil {
		return x, err
	}
	var jc store.JSONColumns
	jc.Decode("peers", peers, &x.Peers)
	jc.Decode("targets", targets, &x.targets)
	x.CreatedAt, x.ClosedAt = store.ParseTime(at), store.ParseTime(closed)
	x.Targets = len(x.targets)
	return x, jc.Err("cases.deconf", "registration "+x.ID)
}

// activeRegs reads this node's active registrations.
func activeRegs(ctx context.Context, q store.Querier) ([]regRow, error) {
	return store.Collect(ctx, q, scanReg, `SELECT `+deconfRegCols+` FROM cases_deconf_regs WHERE state = 'active' ORDER BY created_at`)
}

// caseRegs reads the registrations of a case (all states), newest first.
func caseRegs(ctx context.Context, q store.Querier, caseID string) ([]regRow, error) {
	return store.Collect(ctx, q, scanReg, `SELECT `+deconfRegCols+` FROM cases_deconf_regs WHERE case_id = ? ORDER BY created_at DESC`, caseID)
}

// withdrawReg marks a registration withdrawn; false when it was not active.
func withdrawReg(ctx context.Context, tx *store.Tx, id string, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE cases_deconf_regs SET state = 'withdrawn', closed_at = ? WHERE id = ? AND state = 'active'`, store.FormatTime(at), id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// regByID reads one of this node's registrations.
func regByID(ctx context.Context, q store.Querier, id string) (regRow, error) {
	return scanReg(q.QueryRowContext(ctx, `SELECT `+deconfRegCols+` FROM cases_deconf_regs WHERE id = ?`, id))
}

// remoteReg is a partner's registration as received.
type remoteReg struct {
	peer, regID, contact, agency, key string
	targets                           []DeconfTarget
}

func upsertRemoteReg(ctx context.Context, tx *store.Tx, r remoteReg, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO cases_deconf_remote (peer, reg_id, contact, agency, pprl_key, targets, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (peer, reg_id) DO UPDATE SET contact = excluded.contact, agency = excluded.agency, pprl_key = excluded.pprl_key, targets = excluded.targets, received_at = excluded.received_at`,
		r.peer, r.regID, r.contact, r.agency, r.key, jsonText(r.targets), store.FormatTime(at))
	return err
}

func deleteRemoteReg(ctx context.Context, tx *store.Tx, peer, regID string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM cases_deconf_remote WHERE peer = ? AND reg_id = ?`, peer, regID)
	return err
}

// remoteRegs reads the partners' registrations received from the given
// peers.
func remoteRegs(ctx context.Context, q store.Querier, peers []string) ([]remoteReg, error) {
	if len(peers) == 0 {
		return nil, nil
	}
	args := make([]any, len(peers))
	for i, p := range peers {
		args[i] = p
	}
	return store.Collect(ctx, q, func(r store.Scanner) (remoteReg, error) {
		var x remoteReg
		var targets string
		if err := r.Scan(&x.peer, &x.regID, &x.contact, &x.agency, &x.key, &targets); err != nil {
			return x, err
		}
		var jc store.JSONColumns
		jc.Decode("targets", targets, &x.targets)
		return x, jc.Err("cases.deconf", "registration "+x.regID+" of "+x.peer)
	}, `SELECT peer, reg_id, contact, agency, pprl_key, targets FROM cases_deconf_remote WHERE peer IN (`+placeholders(len(peers))+`) ORDER BY received_at`, args...)
}

// countRemoteRegs counts the partners' registrations held here.
func countRemoteRegs(ctx context.Context, q store.Querier) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases_deconf_remote`).Scan(&n)
	return n, err
}

// insertNotice records a deconfliction notice; false when it exists.
func insertNotice(ctx context.Context, tx *store.Tx, n DeconfNotice) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO cases_deconf_notices (id, local_reg, peer, remote_reg, local_contact, remote_contact, remote_agency, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?)
		ON CONFLICT (local_reg, peer, remote_reg) DO NOTHING`, n.ID, n.LocalReg, n.Peer, n.RemoteReg, n.LocalContact, n.RemoteContact, n.RemoteAgency, store.FormatTime(n.CreatedAt))
	if err != nil {
		return false, err
	}
	c, err := res.RowsAffected()
	return c > 0, err
}

// closeNotices closes the open notices of a local registration or of a
// partner's registration.
func closeNotices(ctx context.Context, tx *store.Tx, localReg, peer, remoteReg string, at time.Time) error {
	if localReg != "" {
		_, err := tx.ExecContext(ctx, `UPDATE cases_deconf_notices SET state = 'closed', closed_at = ? WHERE local_reg = ? AND state = 'open'`, store.FormatTime(at), localReg)
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE cases_deconf_notices SET state = 'closed', closed_at = ? WHERE peer = ? AND remote_reg = ? AND state = 'open'`, store.FormatTime(at), peer, remoteReg)
	return err
}

// listNotices reads the newest 500 notices, of one state unless "".
func listNotices(ctx context.Context, q store.Querier, state string) ([]DeconfNotice, error) {
	query := `SELECT n.id, n.local_reg, n.peer, n.remote_reg, n.local_contact, n.remote_contact, n.remote_agency, n.state, n.created_at, n.closed_at, COALESCE(r.case_ref, '')
		FROM cases_deconf_notices n LEFT JOIN cases_deconf_regs r ON r.id = n.local_reg`
	var args []any
	if state != "" {
		query += ` WHERE n.state = ?`
		args = append(args, state)
	}
	return store.Collect(ctx, q, func(r store.Scanner) (DeconfNotice, error) {
		var n DeconfNotice
		var at, closed string
		err := r.Scan(&n.ID, &n.LocalReg, &n.Peer, &n.RemoteReg, &n.LocalContact, &n.RemoteContact, &n.RemoteAgency, &n.State, &at, &closed, &n.CaseRef)
		n.CreatedAt, n.ClosedAt = store.ParseTime(at), store.ParseTime(closed)
		return n, err
	}, query+` ORDER BY n.created_at DESC LIMIT 500`, args...)
}
