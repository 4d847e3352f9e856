// Storage of peers, their keys and certificates: every SQL statement about
// fed_peers and fed_revoked_keys is here, behind typed functions; the
// service holds none.

package federation

import (
	"context"

	"github.com/liaison-wb/liaison/internal/store"
)

const peerCols = `id, name, url, public_key, tls_cert_sha256, suspended, last_contact_at, last_error, failures, prev_public_key, prev_key_until, prev_tls_cert_sha256, prev_cert_until`

func scanPeer(r store.Scanner) (Peer, error) {
	var p Peer
	var susp int
	var last, until, certUntil string
	err := r.Scan(&p.ID, &p.Name, &p.URL, &p.PublicKey, &p.CertSHA256, &susp, &last, &p.LastError, &p.Failures, &p.PrevPublicKey, &until, &p.PrevCertSHA256, &certUntil)
	p.Suspended, p.LastContactAt, p.PrevKeyUntil, p.PrevCertUntil = susp == 1, store.ParseTime(last), store.ParseTime(until), store.ParseTime(certUntil)
	return p, err
}

// peerByID reads one peer; sql.ErrNoRows when there is none.
func peerByID(ctx context.Context, q store.Querier, id string) (Peer, error) {
	return scanPeer(q.QueryRowContext(ctx, `SELECT `+peerCols+` FROM fed_peers WHERE id = ?`, id))
}

// listPeers reads every peer ordered by ID.
func listPeers(ctx context.Context, q store.Querier) ([]Peer, error) {
	return store.Collect(ctx, q, scanPeer, `SELECT `+peerCols+` FROM fed_peers ORDER BY id`)
}

// peerSuspended reports whether peer id is suspended; sql.ErrNoRows when
// there is no such peer.
func peerSuspended(ctx context.Context, q store.Querier, id string) (bool, error) {
	var suspended int
	err := q.QueryRowContext(ctx, `SELECT suspended FROM fed_peers WHERE id = ?`, id).Scan(&suspended)
	return suspended == 1, err
}

// updatePeer changes a known peer's name, URL, pinned certificate and key
// (forgetting the previous key when the key changes). It reports whether
// the peer existed.
func updatePeer(ctx context.Context, tx *store.Tx, p Peer) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE fed_peers SET name = ?, url = ?, tls_cert_sha256 = ?,
			prev_public_key = CASE WHEN public_key = ? THEN prev_public_key ELSE '' END,
			prev_key_until = CASE WHEN public_key = ? THEN prev_key_until ELSE '' END,
			public_key = ? WHERE id = ?`, p.Name, p.URL, p.CertSHA256, p.PublicKey, p.PublicKey, p.PublicKey, p.ID)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// insertPeer adds a new peer.
func insertPeer(ctx context.Context, tx *store.Tx, p Peer, createdAt string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO fed_peers (id, name, url, public_key, tls_cert_sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)`, p.ID, p.Name, p.URL, p.PublicKey, p.CertSHA256, createdAt)
	return err
}

// setPeerSuspended suspends or resumes a peer; it reports whether the peer exists.
func setPeerSuspended(ctx context.Context, tx *store.Tx, id string, suspended bool) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE fed_peers SET suspended = ? WHERE id = ?`, store.BoolInt(suspended), id)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// certificateKnown reports whether fp is pinned, now or during its grace
// period, for an active peer.
func certificateKnown(ctx context.Context, q store.Querier, fp, now string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM fed_peers WHERE suspended = 0 AND (tls_cert_sha256 = ? OR (prev_tls_cert_sha256 = ? AND prev_cert_until > ?))`,
		fp, fp, now).Scan(&n)
	return n > 0, err
}

// keyRevoked reports whether a public key was revoked by its owner.
func keyRevoked(ctx context.Context, q store.Querier, key string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM fed_revoked_keys WHERE public_key = ?`, key).Scan(&n)
	return n > 0, err
}

// peerPublicKey reads a peer's current public key.
func peerPublicKey(ctx context.Context, q store.Querier, id string) (string, error) {
	var key string
	err := q.QueryRowContext(ctx, `SELECT public_key FROM fed_peers WHERE id = ?`, id).Scan(&key)
	return key, err
}

// peerCertificate reads the fingerprint pinned for a peer now.
func peerCertificate(ctx context.Context, q store.Querier, id string) (string, error) {
	var fp string
	err := q.QueryRowContext(ctx, `SELECT tls_cert_sha256 FROM fed_peers WHERE id = ?`, id).Scan(&fp)
	return fp, err
}

// replacePeerKey trusts newKey alone for a peer (after a revocation).
func replacePeerKey(ctx context.Context, tx *store.Tx, id, newKey string) error {
	_, err := tx.ExecContext(ctx, `UPDATE fed_peers SET public_key = ?, prev_public_key = '', prev_key_until = '' WHERE id = ?`, newKey, id)
	return err
}

// insertRevokedKey remembers a revoked key so it is never trusted again.
func insertRevokedKey(ctx context.Context, tx *store.Tx, key, peer, at, reason string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO fed_revoked_keys (public_key, peer, revoked_at, reason) VALUES (?, ?, ?, ?) ON CONFLICT (public_key) DO NOTHING`,
		key, peer, at, reason)
	return err
}

// rotatePeerKey trusts newKey for a peer and oldKey until until.
func rotatePeerKey(ctx context.Context, tx *store.Tx, id, newKey, oldKey, until string) error {
	_, err := tx.ExecContext(ctx, `UPDATE fed_peers SET public_key = ?, prev_public_key = ?, prev_key_until = ? WHERE id = ?`,
		newKey, oldKey, until, id)
	return err
}

// renewPeerCertificate pins newFP for a peer and oldFP until until.
func renewPeerCertificate(ctx context.Context, tx *store.Tx, id, newFP, oldFP, until string) error {
	_, err := tx.ExecContext(ctx, `UPDATE fed_peers SET tls_cert_sha256 = ?, prev_tls_cert_sha256 = ?, prev_cert_until = ? WHERE id = ?`,
		newFP, oldFP, until, id)
	return err
}

// peerDeliveryFailed counts a failed delivery to a peer.
func peerDeliveryFailed(ctx context.Context, tx *store.Tx, id, lastError string) error {
	_, err := tx.ExecContext(ctx, `UPDATE fed_peers SET failures = failures + 1, last_error = ? WHERE id = ?`, lastError, id)
	return err
}

// peerDelivered clears a peer's failures after a successful delivery.
func peerDelivered(ctx context.Context, tx *store.Tx, id, at string) error {
	_, err := tx.ExecContext(ctx, `UPDATE fed_peers SET failures = 0, last_error = '', last_contact_at = ? WHERE id = ?`, at, id)
	return err
}

// touchPeer records when a peer last delivered to this node.
func touchPeer(ctx context.Context, q store.Querier, id, at string) error {
	_, err := q.ExecContext(ctx, `UPDATE fed_peers SET last_contact_at = ? WHERE id = ?`, at, id)
	return err
}
