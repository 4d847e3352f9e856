package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
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
	Head        *Checkpoint // the signed checkpoint of the latest size
	Witnessed   []WitnessResult
	Problems    []string
}

// Witnessed is a checkpoint of this node's log held by a peer (a witness),
// fetched from that peer. Verify checks the local log against it.
type Witnessed struct {
	Witness string
	Size    int64
	Root    []byte
	At      time.Time // the witness's cosignature time
}

// WitnessResult says whether the local log agrees with one witness.
type WitnessResult struct {
	Witnessed
	OK bool
}

// OK reports whether no problem was found.
func (r Report) OK() bool { return len(r.Problems) == 0 }

const maxProblems = 20

func (r *Report) problem(format string, args ...any) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// Pinned, when not nil, is the key every checkpoint must be signed by.
	Pinned ed25519.PublicKey
	// Previous are the node's earlier keys (before a key rotation): older
	// checkpoints signed by them are accepted. The latest must be signed by
	// Pinned.
	Previous []ed25519.PublicKey
	// NodeID names the log's origin; needed to check checkpoint notes.
	NodeID string
	// Witnessed are checkpoints held by peers, checked against the log.
	Witnessed []Witnessed
	// Progress, when not nil, is called every 100,000 entries.
	Progress func(done int64)
}

// target is a tree size whose root the log must reproduce.
type target struct {
	size     int64
	root     []byte
	witness  int // index in Report.Witnessed, or -1
	mismatch func(r *Report)
}

// Verify recomputes every leaf hash and the tree from the stored entries,
// and checks every checkpoint's root and signature, the signed checkpoint of
// the latest size (which must cover the whole log) and any checkpoints held
// by witnesses. It never trusts stored hashes, except of entries erased
// after the retention period: their stored hash still has to fit the signed
// tree, and a retention record must cover them.
func Verify(ctx context.Context, q store.Querier, opt VerifyOptions) (Report, error) {
	var rep Report
	pinned := opt.Pinned
	cps, err := checkpoints(ctx, q)
	if err != nil {
		return rep, err
	}
	rep.Checkpoints = len(cps)
	if len(cps) > 0 {
		rep.Latest = &cps[len(cps)-1]
	}
	var targets []target
	for _, cp := range cps {
		pub, perr := identity.DecodePublic(cp.PublicKey)
		if perr != nil {
			rep.problem("checkpoint at size %d has an unreadable public key", cp.Size)
			continue
		}
		if pinned != nil && !bytes.Equal(pub, pinned) && !containsKey(opt.Previous, pub) {
			rep.problem("checkpoint at size %d is signed by a key other than the node's key", cp.Size)
		}
		if !cp.VerifySignature(pub) {
			rep.problem("checkpoint at size %d has an invalid signature", cp.Size)
		}
		if cp.Note != "" {
			if size, root, _, err := OpenCheckpointNote(cp.Note, cp.NodeID, pub); err != nil || size != cp.Size || !bytes.Equal(root, cp.Root) {
				rep.problem("checkpoint at size %d has a signed note that does not verify or does not match it", cp.Size)
			}
		}
		targets = append(targets, target{size: cp.Size, root: cp.Root, witness: -1, mismatch: func(r *Report) {
			r.problem("entries 0..%d do not match the checkpoint signed at %s: an entry was altered, removed or reordered", cp.Size-1, cp.At.Format("2006-01-02 15:04:05"))
		}})
	}

	head, herr := Head(ctx, q)
	switch {
	case herr == nil:
		rep.Head = &head
		if opt.NodeID == "" {
			// The key, not the origin line, is what is trusted.
			origin, _, _ := strings.Cut(head.Note, "\n")
			opt.NodeID = strings.TrimPrefix(origin, Origin(""))
		}
		if pinned == nil && rep.Latest != nil {
			pinned, _ = identity.DecodePublic(rep.Latest.PublicKey)
		}
		if opt.NodeID == "" || pinned == nil {
			rep.problem("the signature of the latest checkpoint cannot be checked without the node ID and public key")
		} else if size, root, _, err := OpenCheckpointNote(head.Note, opt.NodeID, pinned); err != nil || size != head.Size || !bytes.Equal(root, head.Root) {
			rep.problem("the checkpoint of the latest size (%d entries) is not validly signed by the node's key", head.Size)
		}
		targets = append(targets, target{size: head.Size, root: head.Root, witness: -1, mismatch: func(r *Report) {
			r.problem("entries 0..%d do not match the node's signed checkpoint of its latest size: an entry was altered, removed or reordered", head.Size-1)
		}})
	case errs.Is(herr, errs.NotFound):
	default:
		return rep, herr
	}
	for i, w := range opt.Witnessed {
		rep.Witnessed = append(rep.Witnessed, WitnessResult{Witnessed: w, OK: true})
		targets = append(targets, target{size: w.Size, root: w.Root, witness: i,
			mismatch: func(r *Report) {
				r.Witnessed[i].OK = false
				r.problem("witness %s holds a checkpoint of %d entries (cosigned %s) that the local log does not reproduce: entries were altered, removed or reordered", w.Witness, w.Size, w.At.Format("2006-01-02 15:04:05"))
			}})
	}
	sort.SliceStable(targets, func(i, j int) bool { return targets[i].size < targets[j].size })

	rows, err := q.QueryContext(ctx, `SELECT idx, at, actor, agency, action, object, purpose, outcome, detail, leaf_hash, pruned FROM audit_log ORDER BY idx`)
	if err != nil {
		return rep, errs.Wrap(errs.Unavailable, "audit.Verify", "cannot read audit log", err)
	}
	defer rows.Close()
	rng := factory.NewEmptyRange(0)
	next := 0
	var expect int64
	checkRoot := func() {
		for next < len(targets) && targets[next].size == expect {
			root, _ := rng.GetRootHash(nil)
			if expect == 0 {
				root = rfc6962.DefaultHasher.EmptyRoot()
			}
			if !bytes.Equal(root, targets[next].root) {
				targets[next].mismatch(&rep)
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
		case e.Action == headRecreatedAction:
			rep.problem("at entry %d (%s) the node found no signed checkpoint of the log's latest size: checkpoints were deleted, or the log was changed while the node was stopped; check it against the witnesses (liaison audit verify --witnesses)",
				e.Index, e.At.Format("2006-01-02 15:04:05"))
		}
		if err := rng.Append(leaf, nil); err != nil {
			return rep, errs.Wrap(errs.Internal, "audit.Verify", "tree append", err)
		}
		expect++
		rep.Entries = expect
		checkRoot()
		if opt.Progress != nil && expect%100000 == 0 {
			opt.Progress(expect)
		}
	}
	if err := rows.Err(); err != nil {
		return rep, errs.Wrap(errs.Unavailable, "audit.Verify", "cannot read audit log", err)
	}
	if lastErased >= 0 && (lastErased >= covered.Through || !lastErasedAt.Before(covered.Before)) {
		rep.problem("entry %d (recorded %s) was erased, but no retention record covers it: content was removed outside the retention process",
			lastErased, lastErasedAt.Format("2006-01-02 15:04:05"))
	}
	for ; next < len(targets); next++ {
		t := targets[next]
		if w := t.witness; w >= 0 {
			rep.Witnessed[w].OK = false
			rep.problem("witness %s holds a checkpoint of %d entries (cosigned %s) but the local log has only %d: entries were removed", rep.Witnessed[w].Witness, t.size, rep.Witnessed[w].At.Format("2006-01-02 15:04:05"), expect)
			continue
		}
		rep.problem("the log has %d entries but a checkpoint was signed at size %d: entries were removed", expect, t.size)
	}
	if rep.Head != nil && rep.Head.Size < expect {
		// A running node appends while it is verified: a newer head that
		// covers every entry read (and reproduces their root) settles it.
		if h, err := Head(ctx, q); err == nil && h.Size >= expect && pinned != nil {
			size, root, _, nerr := OpenCheckpointNote(h.Note, opt.NodeID, pinned)
			current, _ := rng.GetRootHash(nil)
			if nerr == nil && size == h.Size && (h.Size > expect || bytes.Equal(root, current)) {
				rep.Head = &h
			}
		}
	}
	switch {
	case rep.Head == nil && expect > 0:
		rep.problem("the log has %d entries but no signed checkpoint of its latest size: checkpoints were deleted", expect)
	case rep.Head != nil && rep.Head.Size < expect:
		rep.problem("entries %d..%d are not covered by the node's signed checkpoint of its latest size (%d entries): they were added outside the node", rep.Head.Size, expect-1, rep.Head.Size)
	}
	return rep, nil
}

func checkpoints(ctx context.Context, q store.Querier) ([]Checkpoint, error) {
	rows, err := q.QueryContext(ctx, `SELECT tree_size, root_hash, at, node_id, public_key, signature, note FROM audit_checkpoints ORDER BY tree_size`)
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

func containsKey(keys []ed25519.PublicKey, k ed25519.PublicKey) bool {
	for _, x := range keys {
		if bytes.Equal(x, k) {
			return true
		}
	}
	return false
}
