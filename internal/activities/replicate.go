package activities

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
)

// TypePublish is the federation message type that carries a published
// entry to every peer. It is not sensitive: activities, needs, events and
// practices are public to the federation.
const TypePublish = "activities.publish"

// Publication is the payload of TypePublish: one entry of its owner node.
type Publication struct {
	Kind     string    `json:"kind" enum:"activity,need,event,practice"`
	Activity *Activity `json:"activity,omitempty"`
	Need     *Need     `json:"need,omitempty"`
	Event    *Event    `json:"event,omitempty"`
	Practice *Practice `json:"practice,omitempty"`
}

func (p Publication) ref() (id, owner string, version int64) {
	switch {
	case p.Activity != nil:
		return p.Activity.ID, p.Activity.OwnerNode, p.Activity.Version
	case p.Need != nil:
		return p.Need.ID, p.Need.OwnerNode, p.Need.Version
	case p.Event != nil:
		return p.Event.ID, p.Event.OwnerNode, p.Event.Version
	case p.Practice != nil:
		return p.Practice.ID, p.Practice.OwnerNode, p.Practice.Version
	}
	return "", "", 0
}

// Register binds the replication type to the federation service; call it
// before the node starts.
func (s *Service) Register(f *federation.Service) {
	f.Register(TypePublish, federation.TypeSpec{Sensitive: false, Handle: s.handle})
}

// replicate enqueues pub for every active peer inside the caller's
// transaction, so the change and its messages commit together.
func (s *Service) replicate(ctx context.Context, tx *store.Tx, p *auth.Principal, pub Publication) error {
	if s.d.Fed == nil {
		return nil
	}
	peers, err := s.d.Fed.Peers(ctx)
	if err != nil {
		return err
	}
	id, _, v := pub.ref()
	for _, peer := range peers {
		if peer.Suspended {
			continue
		}
		// One conversation per entry keeps versions in order at each peer.
		if _, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: peer.ID, Type: TypePublish, Conversation: "activities/" + id,
			Payload: pub, Summary: pub.Kind + " " + id + " v" + strconv.FormatInt(v, 10), Actor: p}); err != nil {
			return err
		}
	}
	return nil
}

// handle applies a publication from a peer: only the sender's own entries,
// only when newer than what is stored. Anything else is ignored (and
// logged), never an error, so a stale or foreign entry cannot block the
// peer's conversation.
func (s *Service) handle(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	var pub Publication
	if err := json.Unmarshal(in.Payload, &pub); err != nil {
		s.d.Logger.Warn("activities: unreadable publication", "from", in.From, "id", in.ID, "err", err)
		return nil
	}
	id, owner, version := pub.ref()
	if id == "" || owner != in.From || owner == s.d.Node {
		s.d.Logger.Warn("activities: publication refused: a node may only publish its own entries", "from", in.From, "owner", owner, "id", id)
		return nil
	}
	if publicationTable(pub.Kind) == "" {
		return nil
	}
	curOwner, curVersion, err := entryOwnerVersion(ctx, tx, pub.Kind, id)
	insert := errors.Is(err, sql.ErrNoRows)
	switch {
	case err != nil && !insert:
		return err
	case !insert && curOwner != owner:
		s.d.Logger.Warn("activities: publication refused: entry owned by another node", "from", in.From, "owner", curOwner, "id", id)
		return nil
	case !insert && curVersion >= version:
		return nil
	}
	switch {
	case pub.Activity != nil && pub.Kind == "activity":
		a := *pub.Activity
		a.Published = true
		return writeActivity(ctx, tx, a, insert)
	case pub.Need != nil && pub.Kind == "need":
		return writeNeed(ctx, tx, *pub.Need, insert)
	case pub.Event != nil && pub.Kind == "event":
		return writeEvent(ctx, tx, *pub.Event, insert)
	case pub.Practice != nil && pub.Kind == "practice":
		return writePractice(ctx, tx, *pub.Practice, insert)
	}
	return nil
}
