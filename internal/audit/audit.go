// Package audit is the node's append-only, tamper-evident access log. Every
// entry is a leaf of an RFC 6962 Merkle tree; the node signs checkpoints
// (tree size + root) with its Ed25519 key, so anyone holding the public key
// can check that no entry was altered, removed or reordered.
package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/identity"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// Outcomes of an audited action.
const (
	OK     = "ok"
	Denied = "denied"
	Failed = "failed"
)

// Entry is one audited event: who did what to which object, why, and when.
type Entry struct {
	Index   int64     `json:"index"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Agency  string    `json:"agency"`
	Action  string    `json:"action"`
	Object  string    `json:"object"`
	Purpose string    `json:"purpose"`
	Outcome string    `json:"outcome"`
	Detail  string    `json:"detail"`
}

// Limits keep single entries bounded: each text field is cut at this many
// runes, with "…" marking the cut.
const maxFieldLen = 4096

// leafData is the canonical byte form of an entry that the tree commits to.
func leafData(e Entry) []byte {
	b, _ := json.Marshal(struct {
		V       int    `json:"v"`
		Index   int64  `json:"index"`
		At      string `json:"at"`
		Actor   string `json:"actor"`
		Agency  string `json:"agency"`
		Action  string `json:"action"`
		Object  string `json:"object"`
		Purpose string `json:"purpose"`
		Outcome string `json:"outcome"`
		Detail  string `json:"detail"`
	}{1, e.Index, store.FormatTime(e.At), e.Actor, e.Agency, e.Action, e.Object, e.Purpose, e.Outcome, e.Detail})
	return b
}

// LeafHash is the RFC 6962 leaf hash of an entry.
func LeafHash(e Entry) []byte { return rfc6962.DefaultHasher.HashLeaf(leafData(e)) }

// Checkpoint is a signed tree head.
type Checkpoint struct {
	Size      int64     `json:"tree_size"`
	Root      []byte    `json:"root_hash"`
	At        time.Time `json:"at"`
	NodeID    string    `json:"node_id"`
	PublicKey string    `json:"public_key"`
	Signature []byte    `json:"signature"`
	// Note is the same checkpoint as a C2SP tlog-checkpoint signed note
	// (empty for checkpoints signed before notes were introduced).
	Note string `json:"note,omitempty"`
}

// SignedText is the exact text the node signs for a checkpoint.
func (c Checkpoint) SignedText() []byte {
	return []byte(fmt.Sprintf("liaison audit checkpoint v1\nnode: %s\nsize: %d\nroot: %s\ntime: %s\n",
		c.NodeID, c.Size, base64.StdEncoding.EncodeToString(c.Root), store.FormatTime(c.At)))
}

// VerifySignature checks the checkpoint against pub.
func (c Checkpoint) VerifySignature(pub ed25519.PublicKey) bool {
	return ed25519.Verify(pub, c.SignedText(), c.Signature)
}

// Log appends entries and signs checkpoints. It is safe for concurrent use;
// appends are serialised because leaf indexes must be dense.
type Log struct {
	st     *store.Store
	node   *identity.Node
	signer note.Signer
	clock  clock.Clock
	logger *slog.Logger

	mu   sync.Mutex // guards the tree state
	rng  *compact.Range
	size int64

	qmu      sync.Mutex // guards the group-commit queue
	queue    []*appendReq
	flushing bool

	drainMu sync.Mutex    // one outbox drain at a time
	wake    chan struct{} // an outbox entry was committed
}

var factory = &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}

// Open loads the current tree state from the store.
func Open(ctx context.Context, st *store.Store, node *identity.Node, clk clock.Clock, logger *slog.Logger) (*Log, error) {
	signer, err := NoteSigner(node.ID, node.Key)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, "audit.Open", "cannot use the node key for checkpoints", err)
	}
	l := &Log{st: st, node: node, signer: signer, clock: clk, logger: logger, wake: make(chan struct{}, 1)}
	if err := l.open(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

// open loads the tree from the node's own signed head of the latest size.
// The head is written with every append, so a head that does not match
// the stored tree means the database was changed behind the node's back:
// the node refuses to start rather than sign over it. Another instance of
// the node may append while this one starts; its head is then newer than
// the entries read a moment before, and the check is made again.
func (l *Log) open(ctx context.Context) error {
	const op = "audit.Open"
	for attempt := 1; ; attempt++ {
		var stored int64
		if err := l.st.QueryRowContext(ctx, `SELECT COALESCE(MAX(idx)+1, 0) FROM audit_log`).Scan(&stored); err != nil {
			return errs.Wrap(errs.Unavailable, op, "cannot read audit log", err)
		}
		head, err := Head(ctx, l.st)
		switch {
		case errs.Is(err, errs.NotFound):
			return l.openWithoutHead(ctx, stored)
		case err != nil:
			return err
		case head.Size > stored && attempt < 5:
			continue
		case head.Size != stored:
			return errs.Newf(errs.Internal, op, "the audit log does not match its latest signed checkpoint (%d entries signed, %d stored): the database was changed outside the node; run liaison audit verify --witnesses and restore from a backup", head.Size, stored)
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.reload(ctx, l.st)
	}
}

// openWithoutHead loads a log that has no signed head. A missing head is
// signed anew, and unless the node is merely upgrading from a version
// without heads, the log records that it had to, which verify reports.
func (l *Log) openWithoutHead(ctx context.Context, size int64) error {
	const op = "audit.Open"
	hashes, err := fetchNodes(ctx, l.st, compact.RangeNodes(0, uint64(size), nil))
	if err != nil {
		return errs.Wrap(errs.Internal, op, "audit tree is incomplete; run liaison audit verify", err)
	}
	rng, err := factory.NewRange(0, uint64(size), hashes)
	if err != nil {
		return errs.Wrap(errs.Internal, op, "audit tree is inconsistent; run liaison audit verify", err)
	}
	l.rng, l.size = rng, size
	upgrade := l.size == 0
	if latest, err := LatestCheckpoint(ctx, l.st); err == nil && latest.Size == l.size && bytes.Equal(latest.Root, l.root()) {
		upgrade = true
	}
	if upgrade {
		return l.st.InTx(ctx, func(tx *store.Tx) error { return l.writeHead(ctx, tx, l.clock.Now(), l.size, l.root()) })
	}
	l.logger.Error("audit log has no signed checkpoint of its latest size; signing one and recording the gap", "entries", l.size)
	// The append below signs the new head in its own transaction.
	_, err = l.Append(ctx, Entry{Actor: "system", Action: headRecreatedAction, Object: pruneObject, Outcome: Failed,
		Detail: fmt.Sprintf("the log had %d entries and no signed checkpoint of that size", l.size)})
	return err
}

// Rekey makes the log sign its head with the node's current key after a
// key rotation; the caller then appends the rotation's record, which the
// new key signs.
func (l *Log) Rekey(ctx context.Context) error {
	signer, err := NoteSigner(l.node.ID, l.node.Key)
	if err != nil {
		return errs.Wrap(errs.Internal, "audit.Rekey", "cannot use the node key for checkpoints", err)
	}
	l.mu.Lock()
	l.signer = signer
	l.mu.Unlock()
	return nil
}

// root is the tree's current root hash; the caller holds l.mu or owns l.
func (l *Log) root() []byte {
	if l.size == 0 {
		return rfc6962.DefaultHasher.EmptyRoot()
	}
	r, _ := l.rng.GetRootHash(nil)
	return r
}

// headRecreatedAction marks an entry written when a node found its signed
// head missing; verify reports it.
const headRecreatedAction = "audit.head.recreated"

// writeHead signs and stores the checkpoint of size inside tx.
func (l *Log) writeHead(ctx context.Context, tx *store.Tx, at time.Time, size int64, root []byte) error {
	text, err := SignCheckpointNote(CheckpointBody(l.node.ID, size, root), l.signer)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_head (id, tree_size, root_hash, at, note) VALUES (1, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET tree_size = excluded.tree_size, root_hash = excluded.root_hash, at = excluded.at, note = excluded.note`,
		size, root, store.FormatTime(at), text)
	return err
}

// moveHead signs and stores the checkpoint of size inside tx, provided the
// stored head is still the one of size from (errHeadMoved otherwise):
// several instances of one node may append (each its own requests'
// entries), and one that read an older head must not write a tree that
// forks from the signed one. The statement locks the head row either way
// until tx ends.
// moveHeadSQL stores the head of a size, root, time and note, provided
// the stored head is of the size given last.
const moveHeadSQL = `INSERT INTO audit_head (id, tree_size, root_hash, at, note) VALUES (1, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET tree_size = excluded.tree_size, root_hash = excluded.root_hash, at = excluded.at, note = excluded.note
		WHERE audit_head.tree_size = ?`

// insertEntries is the multi-row insert of entries with their leaf
// hashes, and its arguments.
func insertEntries(entries []Entry, leaves [][]byte) (string, []any) {
	args := make([]any, 0, 10*len(entries))
	for i, e := range entries {
		args = append(args, e.Index, store.FormatTime(e.At), e.Actor, e.Agency, e.Action, e.Object, e.Purpose, e.Outcome, e.Detail, leaves[i])
	}
	return `INSERT INTO audit_log (idx, at, actor, agency, action, object, purpose, outcome, detail, leaf_hash) VALUES ` +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", len(entries)), ", "), args
}

// insertNodes is the multi-row insert of tree nodes, and its arguments.
func insertNodes(nodes []treeNode) (string, []any) {
	args := make([]any, 0, 3*len(nodes))
	for _, n := range nodes {
		args = append(args, int64(n.id.Level), int64(n.id.Index), n.hash)
	}
	return `INSERT INTO audit_nodes (level, idx, hash) VALUES ` + strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", len(nodes)), ", "), args
}

func (l *Log) moveHead(ctx context.Context, tx *store.Tx, at time.Time, from, size int64, root []byte) error {
	text, err := SignCheckpointNote(CheckpointBody(l.node.ID, size, root), l.signer)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, moveHeadSQL, size, root, store.FormatTime(at), text, from)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return errHeadMoved
	}
	return nil
}

// Head is the signed checkpoint of the log's latest size.
func Head(ctx context.Context, q store.Querier) (Checkpoint, error) {
	var cp Checkpoint
	var at string
	err := q.QueryRowContext(ctx, `SELECT tree_size, root_hash, at, note FROM audit_head WHERE id = 1`).Scan(&cp.Size, &cp.Root, &at, &cp.Note)
	if err != nil {
		return Checkpoint{}, store.NotFound(err, "audit.Head", "the audit log has no signed checkpoint of its latest size")
	}
	cp.At = store.ParseTime(at)
	return cp, nil
}

func fetchNodes(ctx context.Context, q store.Querier, ids []compact.NodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	for i, id := range ids {
		if err := q.QueryRowContext(ctx, `SELECT hash FROM audit_nodes WHERE level = ? AND idx = ?`, int64(id.Level), int64(id.Index)).Scan(&out[i]); err != nil {
			return nil, fmt.Errorf("node level %d index %d: %w", id.Level, id.Index, err)
		}
	}
	return out, nil
}

// Append records entries and returns them with index and time set. Audit
// failures are returned so callers can refuse the action: an access that
// cannot be logged must not happen.
//
// Concurrent callers are group-committed: whoever finds no commit in
// progress writes everything queued so far in one transaction, so many
// requests share one database commit. The leader then hands the next
// commit to the first caller still waiting and returns: a caller never
// writes other callers' entries after its own are stored, so its request
// is not held up by a steady stream of others.
func (l *Log) Append(ctx context.Context, entries ...Entry) ([]Entry, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	req := &appendReq{entries: entries, done: make(chan appendRes, 1)}
	l.qmu.Lock()
	l.queue = append(l.queue, req)
	leader := !l.flushing
	if leader {
		l.flushing = true
	}
	l.qmu.Unlock()
	if leader {
		l.flushBatch(context.WithoutCancel(ctx))
	}
	res := <-req.done
	for res.lead {
		// This caller's entries are in the next batch: it commits them.
		l.flushBatch(context.WithoutCancel(ctx))
		res = <-req.done
	}
	return res.entries, res.err
}

type appendReq struct {
	entries []Entry
	done    chan appendRes
}

type appendRes struct {
	entries []Entry
	err     error
	// lead: commit the next batch (which holds this request).
	lead bool
}

// maxBatch bounds the requests one group commit writes.
const maxBatch = 512

// flushBatch commits the queued requests (up to maxBatch), answers them,
// and passes the lead to the first request still queued, if any. The
// caller holds the lead (l.flushing).
func (l *Log) flushBatch(ctx context.Context) {
	l.qmu.Lock()
	n := min(len(l.queue), maxBatch)
	batch := l.queue[:n:n]
	l.queue = l.queue[n:]
	l.qmu.Unlock()
	var all []Entry
	for _, r := range batch {
		all = append(all, r.entries...)
	}
	var out []Entry
	var err error
	if len(all) > 0 {
		out, err = l.commit(ctx, all, false, nil)
	}
	for _, r := range batch {
		if err != nil {
			r.done <- appendRes{err: err}
			continue
		}
		r.done <- appendRes{entries: out[:len(r.entries):len(r.entries)]}
		out = out[len(r.entries):]
	}
	l.qmu.Lock()
	if len(l.queue) == 0 {
		l.queue = nil
		l.flushing = false
		l.qmu.Unlock()
		return
	}
	next := l.queue[0]
	l.qmu.Unlock()
	next.done <- appendRes{lead: true}
}

// commit writes entries in one transaction and advances the tree. Entries
// are stamped with the current time unless keepTime (entries drained from
// the outbox keep the time of the change that queued them); also, when not
// nil, runs inside the same transaction.
//
// Several instances of one node may share its database (PostgreSQL), and
// each appends its own requests' entries: the transaction moves the
// signed head only from the size this instance holds and, when another
// instance moved it, starts again from the tree that head signs, so the
// log never forks.
func (l *Log) commit(ctx context.Context, entries []Entry, keepTime bool, also func(*store.Tx) error) ([]Entry, error) {
	const op = "audit.Append"
	l.mu.Lock()
	defer l.mu.Unlock()
	for locked := false; ; locked = true {
		out, rng, err := l.commitOnce(ctx, entries, keepTime, also, locked)
		if errors.Is(err, errHeadMoved) && !locked {
			// Another instance appended: start again, this time locking
			// the head before reading the tree it signs, so that a busy
			// neighbour cannot make this append miss again.
			continue
		}
		if err != nil {
			if errors.Is(err, errTampered) || errors.Is(err, errDrainedElsewhere) {
				return nil, err
			}
			l.logger.Error("audit append failed", "err", err)
			return nil, errs.Wrap(errs.Unavailable, op, "the audit log could not be written, so the action was not performed", err)
		}
		l.rng = rng
		l.size += int64(len(out))
		return out, nil
	}
}

// errHeadMoved: the signed head is no longer the one this instance holds.
var errHeadMoved = errors.New("the audit head was moved by another instance")

// commitOnce is one attempt of commit; the caller holds l.mu. Unless
// locked, the head is moved first, only if it is still the one this
// instance holds: that one statement both locks it for the rest of the
// transaction and tells whether another instance appended meanwhile
// (errHeadMoved), which saves a round trip on every append. Locked, the
// head is locked and read first, and the tree it signs reloaded when
// another instance moved it.
func (l *Log) commitOnce(ctx context.Context, entries []Entry, keepTime bool, also func(*store.Tx) error, locked bool) ([]Entry, *compact.Range, error) {
	if !locked && also == nil && l.st.Dialect == store.Postgres && len(entries) <= maxOneStatement {
		return l.commitOneStatement(ctx, entries, keepTime)
	}
	var out []Entry
	var rng *compact.Range
	err := l.st.InTx(ctx, func(tx *store.Tx) error {
		if locked {
			var cur int64
			switch err := tx.QueryRowContext(ctx, `SELECT tree_size FROM audit_head WHERE id = 1`+tx.ForUpdate()).Scan(&cur); {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return err
			case cur != l.size:
				if err := l.reload(ctx, tx); err != nil {
					return err
				}
			}
		}
		var leaves [][]byte
		var nodes []treeNode
		var err error
		out, leaves, nodes, rng, err = l.grow(entries, keepTime)
		if err != nil {
			return err
		}
		newSize := l.size + int64(len(out))
		newRoot, err := rng.GetRootHash(nil)
		if err != nil {
			return errs.Wrap(errs.Internal, "audit.Append", "audit tree root", err)
		}
		// The signed head moves with the entries, so the log never has
		// entries that no signed checkpoint covers.
		if err := l.moveHead(ctx, tx, l.clock.Now(), l.size, newSize, newRoot); err != nil {
			return err
		}
		if also != nil {
			if err := also(tx); err != nil {
				return err
			}
		}
		// Multi-row inserts (bounded to stay under parameter limits):
		// appends are on the hot path of every request.
		for start := 0; start < len(out); start += 500 {
			end := min(len(out), start+500)
			q, args := insertEntries(out[start:end], leaves[start:end])
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return err
			}
		}
		for len(nodes) > 0 {
			chunk := nodes[:min(len(nodes), 500)]
			nodes = nodes[len(chunk):]
			q, args := insertNodes(chunk)
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
	return out, rng, err
}

// maxOneStatement bounds the entries commitOneStatement writes: ten
// parameters an entry, under PostgreSQL's 65,535.
const maxOneStatement = 500

// commitOneStatement is commitOnce on PostgreSQL as one statement in its
// own implicit transaction: the head moved, the entries and their tree
// nodes inserted, and the commit, in one round trip instead of five (an
// audited check waits on them). The statement fails, undoing its inserts,
// when the head is no longer the one this instance holds: the head's
// conditional upsert then returns no row and the final select divides by
// zero (errHeadMoved; commit then retries locked, as in the transaction).
func (l *Log) commitOneStatement(ctx context.Context, entries []Entry, keepTime bool) ([]Entry, *compact.Range, error) {
	out, leaves, nodes, rng, err := l.grow(entries, keepTime)
	if err != nil {
		return nil, nil, err
	}
	newSize := l.size + int64(len(out))
	newRoot, err := rng.GetRootHash(nil)
	if err != nil {
		return nil, nil, errs.Wrap(errs.Internal, "audit.Append", "audit tree root", err)
	}
	text, err := SignCheckpointNote(CheckpointBody(l.node.ID, newSize, newRoot), l.signer)
	if err != nil {
		return nil, nil, err
	}
	args := []any{newSize, newRoot, store.FormatTime(l.clock.Now()), text, l.size}
	entriesSQL, entryArgs := insertEntries(out, leaves)
	q := `WITH head AS (` + moveHeadSQL + ` RETURNING 1), entries AS (` + entriesSQL + `)`
	args = append(args, entryArgs...)
	if len(nodes) > 0 {
		nodesSQL, nodeArgs := insertNodes(nodes)
		q += `, nodes AS (` + nodesSQL + `)`
		args = append(args, nodeArgs...)
	}
	q += ` SELECT 1 / (SELECT count(*) FROM head)::int`
	var one int
	switch err := l.st.QueryRowWriteContext(ctx, q, args...).Scan(&one); {
	case store.IsDivisionByZero(err), store.IsUniqueViolation(err):
		// Another instance appended: its entries hold these indexes, or
		// its head this size.
		return nil, nil, errHeadMoved
	case err != nil:
		return nil, nil, err
	}
	return out, rng, nil
}

// treeNode is a Merkle tree node an append adds.
type treeNode struct {
	id   compact.NodeID
	hash []byte
}

// grow computes the entries' indexes, times and leaf hashes and the tree
// after them, without changing l; the caller holds l.mu.
func (l *Log) grow(entries []Entry, keepTime bool) ([]Entry, [][]byte, []treeNode, *compact.Range, error) {
	const op = "audit.Append"
	rng, err := factory.NewRange(0, uint64(l.size), l.rng.Hashes())
	if err != nil {
		return nil, nil, nil, nil, errs.Wrap(errs.Internal, op, "audit tree state", err)
	}
	now := l.clock.Now()
	var nodes []treeNode
	visit := func(id compact.NodeID, h []byte) { nodes = append(nodes, treeNode{id, h}) }
	out := make([]Entry, len(entries))
	leaves := make([][]byte, len(entries))
	for i, e := range entries {
		e.Index = l.size + int64(i)
		if !keepTime || e.At.IsZero() {
			e.At = now
		}
		e.Actor, e.Agency, e.Action, e.Object = textutil.Ellipsis(e.Actor, maxFieldLen), textutil.Ellipsis(e.Agency, maxFieldLen), textutil.Ellipsis(e.Action, maxFieldLen), textutil.Ellipsis(e.Object, maxFieldLen)
		e.Purpose, e.Detail = textutil.Ellipsis(e.Purpose, maxFieldLen), textutil.Ellipsis(e.Detail, maxFieldLen)
		if e.Outcome == "" {
			e.Outcome = OK
		}
		leaves[i] = LeafHash(e)
		if err := rng.Append(leaves[i], visit); err != nil {
			return nil, nil, nil, nil, errs.Wrap(errs.Internal, op, "audit tree append", err)
		}
		out[i] = e
	}
	return out, leaves, nodes, rng, nil
}

// errTampered marks a stored tree that is not the one its head signs.
var errTampered = errors.New("the audit log does not match its signed head")

// reload reads, through q, the tree state of the latest signed head; the
// caller holds l.mu. Entries and head commit together, so the head's size
// and the stored tree agree unless the database was changed outside the
// node.
func (l *Log) reload(ctx context.Context, q store.Querier) error {
	const op = "audit.reload"
	head, err := Head(ctx, q)
	if err != nil {
		return err
	}
	hashes, err := fetchNodes(ctx, q, compact.RangeNodes(0, uint64(head.Size), nil))
	if err != nil {
		return errs.Wrap(errs.Internal, op, "audit tree is incomplete; run liaison audit verify", errors.Join(errTampered, err))
	}
	rng, err := factory.NewRange(0, uint64(head.Size), hashes)
	if err != nil {
		return errs.Wrap(errs.Internal, op, "audit tree is inconsistent; run liaison audit verify", errors.Join(errTampered, err))
	}
	root := rfc6962.DefaultHasher.EmptyRoot()
	if head.Size > 0 {
		if root, err = rng.GetRootHash(nil); err != nil {
			return errs.Wrap(errs.Internal, op, "audit tree is inconsistent; run liaison audit verify", errors.Join(errTampered, err))
		}
	}
	if !bytes.Equal(root, head.Root) {
		return errs.Wrap(errs.Internal, op, fmt.Sprintf("the audit log does not match its latest signed checkpoint (%d entries signed): the database was changed outside the node; run liaison audit verify --witnesses and restore from a backup", head.Size), errTampered)
	}
	l.rng, l.size = rng, head.Size
	return nil
}

// Record is Append for a single entry, discarding the stored copy.
func (l *Log) Record(ctx context.Context, e Entry) error {
	_, err := l.Append(ctx, e)
	return err
}

// Size is the number of entries.
func (l *Log) Size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size
}

// Checkpoint returns a signed checkpoint for the current tree, signing a new
// one only when entries were added since the last.
func (l *Log) Checkpoint(ctx context.Context) (Checkpoint, error) {
	const op = "audit.Checkpoint"
	l.mu.Lock()
	defer l.mu.Unlock()
	// Another instance of the node may have appended since this one did.
	if head, err := Head(ctx, l.st); err == nil && head.Size != l.size {
		if err := l.reload(ctx, l.st); err != nil {
			return Checkpoint{}, err
		}
	}
	latest, err := LatestCheckpoint(ctx, l.st)
	if err == nil && latest.Size == l.size {
		return latest, nil
	}
	if err != nil && !errs.Is(err, errs.NotFound) {
		return Checkpoint{}, err
	}
	cp := Checkpoint{Size: l.size, Root: l.root(), At: l.clock.Now(), NodeID: l.node.ID, PublicKey: l.node.PublicString()}
	cp.Signature = l.node.Sign(cp.SignedText())
	if cp.Note, err = SignCheckpointNote(CheckpointBody(cp.NodeID, cp.Size, cp.Root), l.signer); err != nil {
		return Checkpoint{}, errs.Wrap(errs.Internal, op, "cannot sign checkpoint", err)
	}
	_, err = l.st.ExecContext(ctx, `INSERT INTO audit_checkpoints (tree_size, root_hash, at, node_id, public_key, signature, note) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		cp.Size, cp.Root, store.FormatTime(cp.At), cp.NodeID, cp.PublicKey, cp.Signature, cp.Note)
	if err != nil {
		return Checkpoint{}, errs.Wrap(errs.Unavailable, op, "cannot store checkpoint", err)
	}
	return cp, nil
}

// Run signs a checkpoint every interval while entries keep arriving, and a
// final one when ctx ends.
func (l *Log) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if _, err := l.Checkpoint(context.WithoutCancel(ctx)); err != nil {
				l.logger.Error("final audit checkpoint failed", "err", err)
			}
			return
		case <-t.C:
			if _, err := l.Checkpoint(ctx); err != nil && ctx.Err() == nil {
				l.logger.Error("audit checkpoint failed", "err", err)
			}
		}
	}
}

// LatestCheckpoint reads the newest stored checkpoint.
func LatestCheckpoint(ctx context.Context, q store.Querier) (Checkpoint, error) {
	row := q.QueryRowContext(ctx, `SELECT tree_size, root_hash, at, node_id, public_key, signature, note FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1`)
	cp, err := scanCheckpoint(row)
	if err != nil {
		return Checkpoint{}, store.NotFound(err, "audit.LatestCheckpoint", "no checkpoint has been signed yet")
	}
	return cp, nil
}

type scanner interface{ Scan(...any) error }

func scanCheckpoint(r scanner) (Checkpoint, error) {
	var cp Checkpoint
	var at string
	if err := r.Scan(&cp.Size, &cp.Root, &at, &cp.NodeID, &cp.PublicKey, &cp.Signature, &cp.Note); err != nil {
		return cp, err
	}
	cp.At = store.ParseTime(at)
	return cp, nil
}

// Filter selects entries for listing.
type Filter struct {
	Actor  string
	Object string
	Action string
	Before int64 // only entries with index < Before; 0 for newest
	Limit  int
}

// List returns entries newest first, leaving out entries erased after the
// retention period.
func List(ctx context.Context, q store.Querier, f Filter) ([]Entry, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	where, args := []string{"pruned = 0"}, []any{}
	if f.Actor != "" {
		where, args = append(where, "actor = ?"), append(args, f.Actor)
	}
	if f.Object != "" {
		where, args = append(where, "object = ?"), append(args, f.Object)
	}
	if f.Action != "" {
		where, args = append(where, "action = ?"), append(args, f.Action)
	}
	if f.Before > 0 {
		where, args = append(where, "idx < ?"), append(args, f.Before)
	}
	args = append(args, f.Limit)
	rows, err := q.QueryContext(ctx, `SELECT idx, at, actor, agency, action, object, purpose, outcome, detail FROM audit_log WHERE `+strings.Join(where, " AND ")+` ORDER BY idx DESC LIMIT ?`, args...)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "audit.List", "cannot read audit log", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var at string
		if err := rows.Scan(&e.Index, &at, &e.Actor, &e.Agency, &e.Action, &e.Object, &e.Purpose, &e.Outcome, &e.Detail); err != nil {
			return nil, errs.Wrap(errs.Unavailable, "audit.List", "cannot read audit log", err)
		}
		e.At = store.ParseTime(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// InclusionProof proves that entry index is in the tree of the given size.
type InclusionProof struct {
	Index    int64    `json:"index"`
	TreeSize int64    `json:"tree_size"`
	LeafHash []byte   `json:"leaf_hash"`
	Hashes   [][]byte `json:"hashes"`
}

// ProveInclusion builds an inclusion proof for entry index against the tree
// of size (0 means the latest checkpoint).
func (l *Log) ProveInclusion(ctx context.Context, index, size int64) (InclusionProof, error) {
	const op = "audit.ProveInclusion"
	if size == 0 {
		cp, err := l.Checkpoint(ctx)
		if err != nil {
			return InclusionProof{}, err
		}
		size = cp.Size
	}
	if index < 0 || index >= size || size > l.Size() {
		return InclusionProof{}, errs.Newf(errs.NotFound, op, "entry %d is not in a tree of size %d", index, size)
	}
	nodes, err := proof.Inclusion(uint64(index), uint64(size))
	if err != nil {
		return InclusionProof{}, errs.Wrap(errs.Invalid, op, "cannot build proof", err)
	}
	hashes, err := fetchNodes(ctx, l.st, nodes.IDs)
	if err != nil {
		return InclusionProof{}, errs.Wrap(errs.Internal, op, "audit tree is incomplete", err)
	}
	p, err := nodes.Rehash(hashes, rfc6962.DefaultHasher.HashChildren)
	if err != nil {
		return InclusionProof{}, errs.Wrap(errs.Internal, op, "cannot build proof", err)
	}
	var leaf []byte
	if err := l.st.QueryRowContext(ctx, `SELECT leaf_hash FROM audit_log WHERE idx = ?`, index).Scan(&leaf); err != nil {
		return InclusionProof{}, store.NotFound(err, op, "entry not found")
	}
	return InclusionProof{Index: index, TreeSize: size, LeafHash: leaf, Hashes: p}, nil
}

// VerifyInclusion checks p against a checkpoint root.
func VerifyInclusion(p InclusionProof, root []byte) error {
	return proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(p.Index), uint64(p.TreeSize), p.LeafHash, p.Hashes, root)
}

// ProveConsistency proves that the tree of size from is a prefix of the
// tree of size to (RFC 6962 consistency proof).
func (l *Log) ProveConsistency(ctx context.Context, from, to int64) ([][]byte, error) {
	const op = "audit.ProveConsistency"
	if from < 0 || from > to || to > l.Size() {
		return nil, errs.Newf(errs.Invalid, op, "no consistency proof from %d to %d entries", from, to)
	}
	if from == 0 || from == to {
		return nil, nil
	}
	nodes, err := proof.Consistency(uint64(from), uint64(to))
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, op, "cannot build proof", err)
	}
	hashes, err := fetchNodes(ctx, l.st, nodes.IDs)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, "audit tree is incomplete", err)
	}
	p, err := nodes.Rehash(hashes, rfc6962.DefaultHasher.HashChildren)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, "cannot build proof", err)
	}
	return p, nil
}

// VerifyConsistency checks a consistency proof between two tree heads.
func VerifyConsistency(fromSize, toSize int64, fromRoot, toRoot []byte, p [][]byte) error {
	if fromSize == 0 {
		return nil
	}
	return proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(fromSize), uint64(toSize), p, fromRoot, toRoot)
}
