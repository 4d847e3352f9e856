// Storage of mutual witnessing: every SQL statement of the package is here,
// behind typed functions; the service holds none.

package witness

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/liaison-wb/liaison/internal/store"
)

// ---- this node's log, as its witnesses hold it ----

// heldSize is the size of this node's log that witness last said it holds.
func heldSize(ctx context.Context, q store.Querier, witness string) (int64, error) {
	var size int64
	err := q.QueryRowContext(ctx, `SELECT tree_size FROM audit_cosignatures WHERE witness = ?`, witness).Scan(&size)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return size, err
}

// saveCosignature keeps a witness's latest answer, replacing the one before.
func saveCosignature(ctx context.Context, tx *store.Tx, witness string, msg cosignatureMsg, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_cosignatures (witness, tree_size, note, status, detail, received_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (witness) DO UPDATE SET tree_size = excluded.tree_size, note = excluded.note, status = excluded.status, detail = excluded.detail, received_at = excluded.received_at`,
		witness, msg.Size, msg.Note, msg.Status, msg.Detail, store.FormatTime(at))
	return err
}

// cosignatures lists the latest answer of each witness, by witness (nil
// when there is none).
func cosignatures(ctx context.Context, q store.Querier) ([]Cosignature, error) {
	rows, err := q.QueryContext(ctx, `SELECT witness, tree_size, status, detail, received_at FROM audit_cosignatures ORDER BY witness`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Cosignature
	for rows.Next() {
		var c Cosignature
		var at string
		if err := rows.Scan(&c.Witness, &c.Size, &c.Status, &c.Detail, &at); err != nil {
			return nil, err
		}
		c.ReceivedAt = store.ParseTime(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// ---- peers' logs, as this node witnesses them ----

// heldCheckpoint is a peer's checkpoint kept here as its witness.
type heldCheckpoint struct {
	size int64
	root []byte
	note string
}

// witnessed reads the checkpoint held of log origin; false when none is.
func witnessed(ctx context.Context, q store.Querier, origin string) (heldCheckpoint, bool, error) {
	var h heldCheckpoint
	err := q.QueryRowContext(ctx, `SELECT tree_size, root_hash, note FROM audit_witnessed WHERE origin = ?`, origin).Scan(&h.size, &h.root, &h.note)
	if errors.Is(err, sql.ErrNoRows) {
		return h, false, nil
	}
	return h, err == nil, err
}

// saveWitnessed keeps the (cosigned) checkpoint of peer's log origin,
// replacing the one held before.
func saveWitnessed(ctx context.Context, tx *store.Tx, origin, peer string, size int64, root []byte, note string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_witnessed (origin, peer, tree_size, root_hash, note, received_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (origin) DO UPDATE SET tree_size = excluded.tree_size, root_hash = excluded.root_hash, note = excluded.note, received_at = excluded.received_at`,
		origin, peer, size, root, note, store.FormatTime(at))
	return err
}

// witnessedLogs lists the peers' logs held here, by peer (nil when none).
func witnessedLogs(ctx context.Context, q store.Querier) ([]WitnessedLog, error) {
	rows, err := q.QueryContext(ctx, `SELECT peer, tree_size, received_at FROM audit_witnessed ORDER BY peer`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []WitnessedLog
	for rows.Next() {
		var w WitnessedLog
		var at string
		if err := rows.Scan(&w.Peer, &w.Size, &at); err != nil {
			return nil, err
		}
		w.ReceivedAt = store.ParseTime(at)
		out = append(out, w)
	}
	return out, rows.Err()
}

// insertAlarm records a refused peer checkpoint.
func insertAlarm(ctx context.Context, tx *store.Tx, peer string, held heldCheckpoint, newSize int64, newNote, reason string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_witness_alarms (id, peer, held_size, held_note, new_size, new_note, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		store.NewID(), peer, held.size, held.note, newSize, newNote, reason, store.FormatTime(at))
	return err
}

// latestAlarms lists the 50 latest alarms, newest first (nil when none).
func latestAlarms(ctx context.Context, q store.Querier) ([]Alarm, error) {
	rows, err := q.QueryContext(ctx, `SELECT peer, held_size, new_size, reason, at FROM audit_witness_alarms ORDER BY at DESC LIMIT 50`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Alarm
	for rows.Next() {
		var a Alarm
		var at string
		if err := rows.Scan(&a.Peer, &a.HeldSize, &a.NewSize, &a.Reason, &at); err != nil {
			return nil, err
		}
		a.At = store.ParseTime(at)
		out = append(out, a)
	}
	return out, rows.Err()
}
