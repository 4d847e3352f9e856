package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"time"

	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/identity"
	"github.com/liaison-wb/liaison/internal/store"
)

// Report is the outcome of a full verification.
type Report struct {
	Entries     int64
	Erased      int64 // entries whose content was erased after the retention period
	Checkpoints int
	Latest      *Checkpoint
	Problems    []string
}

// OK reports whether no problem was found.
func (r Report) OK() bool { return len(r.Problems) == 0 }

const maxProblems = 20

func (r *Report) problem(format string, args ...any) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// Verify recomputes every leaf hash and the tree from the stored entries,
// and checks every checkpoint's root and signature. When pinned is not nil,
// checkpoints must be signed by that key. It never trusts stored hashes,
// except of entries erased after the retention period: their stored hash
// still has to fit the signed tree, and a retention record must cover them.
func Verify(ctx context.Context, q store.Querier, pinned ed25519.PublicKey, progress func(done int64)) (Report, error) {
	var rep Report
	cps, err := checkpoints(ctx, q)
	if err != nil {
		return rep, err
	}
	rep.Checkpoints = len(cps)
	if len(cps) > 0 {
		rep.Latest = &cps[len(cps)-1]
	}
	for _, cp := range cps {
		pub, perr := identity.DecodePublic(cp.PublicKey)
		if perr != nil {
			rep.problem("checkpoint at size %d has an unreadable public key", cp.Size)
			continue
		}
		if pinned != nil && !bytes.Equal(pub, pinned) {
			rep.problem("checkpoint at size %d is signed by a key other than the node's key", cp.Size)
		}
		if !cp.VerifySignature(pub) {
			rep.problem("checkpoint at size %d has an invalid signature", cp.Size)
		}
	}

	rows, err := q.QueryContext(ctx, `SELECT idx, at, actor, agency, action, object, purpose, outcome, detail, leaf_hash, pruned FROM audit_log ORDER BY idx`)
	if err != nil {
		return rep, errs.Wrap(errs.Unavailable, "audit.Verify", "cannot read audit log", err)
	}
	defer rows.Close()
	rng := factory.NewEmptyRange(0)
	next := 0
	var expect int64
	checkRoot := func() {
		for next < len(cps) && cps[next].Size == expect {
			root, _ := rng.GetRootHash(nil)
			if expect == 0 {
				root = rfc6962.DefaultHasher.EmptyRoot()
			}
			if !bytes.Equal(root, cps[next].Root) {
				rep.problem("entries 0..%d do not match the checkpoint signed at %s: an entry was altered, removed or reordered", expect-1, cps[next].At.Format("2006-01-02 15:04:05"))
			}
			next++
		}
	}
	checkRoot()
	var covered PruneRecord // the widest retention record seen
	var lastErased int64 = -1
	var lastErasedAt time.Time
	for rows.Next() {
		var e Entry
		var at string
		var stored []byte
		var pruned int64
		if err := rows.Scan(&e.Index, &at, &e.Actor, &e.Agency, &e.Action, &e.Object, &e.Purpose, &e.Outcome, &e.Detail, &stored, &pruned); err != nil {
			return rep, errs.Wrap(errs.Unavailable, "audit.Verify", "cannot read audit log", err)
		}
		e.At = store.ParseTime(at)
		if e.Index != expect {
			rep.problem("entry %d is missing (next stored entry is %d)", expect, e.Index)
			return rep, nil
		}
		leaf := LeafHash(e)
		switch {
		case pruned != 0:
			// Content is gone by design; the stored hash must still fit the
			// signed tree, which checkRoot proves.
			leaf = stored
			rep.Erased++
			lastErased, lastErasedAt = e.Index, e.At
		case !bytes.Equal(leaf, stored):
			rep.problem("entry %d was altered: its content does not match its recorded hash", e.Index)
		case e.Action == pruneAction && e.Object == pruneObject:
			var rec PruneRecord
			if json.Unmarshal([]byte(e.Detail), &rec) == nil && rec.Through > covered.Through {
				covered = rec
			}
		}
		if err := rng.Append(leaf, nil); err != nil {
			return rep, errs.Wrap(errs.Internal, "audit.Verify", "tree append", err)
		}
		expect++
		rep.Entries = expect
		checkRoot()
		if progress != nil && expect%100000 == 0 {
			progress(expect)
		}
	}
	if err := rows.Err(); err != nil {
		return rep, errs.Wrap(errs.Unavailable, "audit.Verify", "cannot read audit log", err)
	}
	if lastErased >= 0 && (lastErased >= covered.Through || !lastErasedAt.Before(covered.Before)) {
		rep.problem("entry %d (recorded %s) was erased, but no retention record covers it: content was removed outside the retention process",
			lastErased, lastErasedAt.Format("2006-01-02 15:04:05"))
	}
	if next < len(cps) {
		rep.problem("the log has %d entries but a checkpoint was signed at size %d: entries were removed", expect, cps[len(cps)-1].Size)
	}
	return rep, nil
}

func checkpoints(ctx context.Context, q store.Querier) ([]Checkpoint, error) {
	rows, err := q.QueryContext(ctx, `SELECT tree_size, root_hash, at, node_id, public_key, signature FROM audit_checkpoints ORDER BY tree_size`)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "audit.Verify", "cannot read checkpoints", err)
	}
	defer rows.Close()
	var out []Checkpoint
	for rows.Next() {
		cp, err := scanCheckpoint(rows)
		if err != nil {
			return nil, errs.Wrap(errs.Unavailable, "audit.Verify", "cannot read checkpoints", err)
		}
		out = append(out, cp)
	}
	return out, rows.Err()
}
