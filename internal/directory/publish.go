package directory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
)

// TypeSnapshot carries a node's own directory records to its peers. It is
// not sensitive: directory entries are professional contact data meant to
// be shared across the federation.
const TypeSnapshot = "directory.snapshot"

const (
	inboundPrefix   = "directory.inbound/"   // staged snapshot from a peer
	publishedPrefix = "directory.published/" // hash last sent to a peer
)

// Publisher replicates the directory through the federation layer: each
// node sends a snapshot of the records it owns to every active peer when
// they change, and applies the snapshots it receives.
type Publisher struct {
	dir *Service
	fed *federation.Service
}

// NewPublisher registers the snapshot type with the federation layer. Call
// it before the federation worker starts.
func NewPublisher(dir *Service, fed *federation.Service) *Publisher {
	p := &Publisher{dir: dir, fed: fed}
	fed.Register(TypeSnapshot, federation.TypeSpec{Handle: p.stage})
	return p
}

// stage keeps the received snapshot (newest per peer) in the handler's
// transaction; Apply takes it in afterwards with the directory's own
// validation, which uses its own transactions.
func (p *Publisher) stage(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	return putSetting(ctx, tx, inboundPrefix+in.From, string(in.Payload))
}

func snapshotHash(doc ExportDoc) (string, []byte, error) {
	stamp := doc.ExportedAt
	doc.ExportedAt = time.Time{}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", nil, err
	}
	h := sha256.Sum256(b)
	doc.ExportedAt = stamp
	full, err := json.Marshal(doc)
	return hex.EncodeToString(h[:]), full, err
}

// Publish sends this node's records to every active peer that has not yet
// received this exact version. It returns how many peers were sent to.
func (p *Publisher) Publish(ctx context.Context) (int, error) {
	const op = "directory.Publish"
	doc, err := p.dir.Snapshot(ctx)
	if err != nil {
		return 0, err
	}
	hash, body, err := snapshotHash(doc)
	if err != nil {
		return 0, errs.Wrap(errs.Internal, op, "cannot encode the snapshot", err)
	}
	peers, err := p.fed.Peers(ctx)
	if err != nil {
		return 0, err
	}
	sent := 0
	err = p.dir.st.InTx(ctx, func(tx *store.Tx) error {
		for _, peer := range peers {
			if peer.Suspended {
				continue
			}
			last, err := setting(ctx, tx, publishedPrefix+peer.ID)
			if err != nil {
				return err
			}
			if last == hash {
				continue
			}
			if _, err := p.fed.Enqueue(ctx, tx, federation.Outgoing{To: peer.ID, Type: TypeSnapshot, Conversation: "directory-snapshot",
				Payload: json.RawMessage(body), Summary: "directory records of " + doc.Owner}); err != nil {
				return err
			}
			if err := putSetting(ctx, tx, publishedPrefix+peer.ID, hash); err != nil {
				return err
			}
			sent++
		}
		if sent == 0 {
			return nil
		}
		return p.dir.audit.Queue(ctx, tx, audit.Entry{Actor: "directory", Action: "directory.publish", Object: "directory/" + doc.Owner, Detail: "to " + strconv.Itoa(sent) + " peer(s)"})
	})
	if err != nil || sent == 0 {
		return 0, err
	}
	p.fed.Notify()
	return sent, nil
}

// Apply takes in every staged snapshot.
func (p *Publisher) Apply(ctx context.Context) ([]ApplyReport, error) {
	items, err := stagedSnapshots(ctx, p.dir.st)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "directory.Apply", "cannot read staged snapshots", err)
	}
	var out []ApplyReport
	for _, it := range items {
		var doc ExportDoc
		var rep ApplyReport
		if err := json.Unmarshal([]byte(it.body), &doc); err != nil {
			p.dir.logger.Warn("unreadable directory snapshot", "from", it.from, "err", err)
		} else if rep, err = p.dir.ApplySnapshot(ctx, it.from, doc); err != nil {
			p.dir.logger.Warn("directory snapshot refused", "from", it.from, "err", err)
		}
		out = append(out, rep)
		// Remove it unless a newer one arrived meanwhile.
		if err := clearStagedSnapshot(ctx, p.dir.st, it); err != nil {
			return out, errs.Wrap(errs.Unavailable, "directory.Apply", "cannot clear a staged snapshot", err)
		}
	}
	return out, nil
}

// Run publishes and applies every interval until ctx ends.
func (p *Publisher) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := p.Publish(ctx); err != nil && ctx.Err() == nil {
			p.dir.logger.Warn("directory publish failed", "err", err)
		}
		if _, err := p.Apply(ctx); err != nil && ctx.Err() == nil {
			p.dir.logger.Warn("directory apply failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
