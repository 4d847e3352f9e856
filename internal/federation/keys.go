package federation

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/identity"
	"github.com/liaison-wb/liaison/internal/store"
)

// Key rotation and revocation. A node announces a new signing key to every
// peer in an envelope signed by its current key. A rotation keeps the old
// key trusted at each peer for a grace period (envelopes signed before the
// rotation and still on their way are accepted); a revocation stops trust
// in the old key at once and puts the notice in the receiving NCU's queue,
// whose operator should confirm the new key's fingerprint with the sender
// by another channel. The receiver applies the change while it receives
// the announcement, so the envelopes after it in the same delivery already
// verify with the new key. The sender delivers a pending announcement
// alone, with delivery signatures by the old key, before anything else to
// that peer, and re-signs its undelivered envelopes with the new key.
const (
	TypeKeyRotate = "federation.key.rotate"
	TypeKeyRevoke = "federation.key.revoke"
	// CodeBadKeyChange refuses an announcement that does not fit the peer's keys.
	CodeBadKeyChange = "bad-key-change"
	// MaxGrace bounds the grace period a peer may ask for.
	MaxGrace = 30 * 24 * time.Hour
)

// KeyChange is the payload of a key announcement.
type KeyChange struct {
	Summary    string    `json:"summary"`
	OldKey     string    `json:"old_key"`
	NewKey     string    `json:"new_key"`
	GraceUntil time.Time `json:"grace_until,omitzero"`
	Reason     string    `json:"reason,omitempty"`
}

func (s *Service) registerKeyTypes() {
	noop := func(ctx context.Context, tx *store.Tx, in Incoming) error { return nil }
	s.Register(TypeKeyRotate, TypeSpec{Handle: noop})
	s.Register(TypeCertRenew, TypeSpec{Handle: noop})
	s.Register(TypeKeyRevoke, TypeSpec{Handle: noop, NotifyNCU: true, Describe: func(from string, payload json.RawMessage) (Preview, error) {
		var kc KeyChange
		if err := json.Unmarshal(payload, &kc); err != nil {
			return Preview{}, err
		}
		return Preview{Title: "Node " + from + " revoked its signing key",
			Body:   "Messages signed with the revoked key are refused from now on. Confirm the new key with " + from + " by telephone or another channel before routing this notice.",
			Fields: []PreviewField{{Label: "revoked key", Value: kc.OldKey}, {Label: "new key", Value: kc.NewKey}, {Label: "reason", Value: kc.Reason}}}, nil
	}})
}

// trustedKeys are the keys a peer's signatures may be made with now: its
// current key and, during a grace period, its previous one.
func (s *Service) trustedKeys(p Peer) []ed25519.PublicKey {
	var out []ed25519.PublicKey
	if k, err := identity.DecodePublic(p.PublicKey); err == nil {
		out = append(out, k)
	}
	if p.PrevPublicKey != "" && s.d.Clock.Now().Before(p.PrevKeyUntil) {
		if k, err := identity.DecodePublic(p.PrevPublicKey); err == nil {
			out = append(out, k)
		}
	}
	return out
}

// verifyAny reports whether sig (base64) signs text by one of keys.
func verifyAny(keys []ed25519.PublicKey, text []byte, sig string) bool {
	b, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return false
	}
	for _, k := range keys {
		if ed25519.Verify(k, text, b) {
			return true
		}
	}
	return false
}

// signerOf returns which of keys signed env, or nil.
func signerOf(env *Envelope, keys []ed25519.PublicKey) ed25519.PublicKey {
	for _, k := range keys {
		if env.VerifySignature(k) {
			return k
		}
	}
	return nil
}

// applyKeyChange records a peer's key announcement while it is received.
// It returns the keys to check the rest of the delivery with, or a reason
// to refuse the announcement.
func (s *Service) applyKeyChange(ctx context.Context, tx *store.Tx, peer Peer, env *Envelope, signer ed25519.PublicKey, now time.Time) ([]ed25519.PublicKey, string, error) {
	var kc KeyChange
	if err := json.Unmarshal(env.Payload, &kc); err != nil {
		return nil, "unreadable key announcement", nil
	}
	newKey, err := identity.DecodePublic(kc.NewKey)
	if err != nil {
		return nil, "the announced key is not an Ed25519 key", nil
	}
	current, err := peerPublicKey(ctx, tx, peer.ID)
	if err != nil {
		return nil, "", err
	}
	if identity.EncodePublic(signer) != current || kc.OldKey != current {
		return nil, "a key announcement must be signed by the peer's current key and name it", nil
	}
	revoked, err := keyRevoked(ctx, tx, kc.NewKey)
	if err != nil {
		return nil, "", err
	}
	if revoked || bytes.Equal(newKey, signer) {
		return nil, "the announced key was revoked or is the current one", nil
	}
	if env.Type == TypeKeyRevoke {
		if err := replacePeerKey(ctx, tx, peer.ID, kc.NewKey); err != nil {
			return nil, "", err
		}
		if err := insertRevokedKey(ctx, tx, kc.OldKey, peer.ID, store.FormatTime(now), kc.Reason); err != nil {
			return nil, "", err
		}
		s.d.Logger.Warn("peer revoked its key", "peer", peer.ID, "revoked", kc.OldKey, "new", kc.NewKey)
		return []ed25519.PublicKey{newKey}, "", nil
	}
	until := kc.GraceUntil
	if until.After(now.Add(MaxGrace)) {
		until = now.Add(MaxGrace)
	}
	if until.Before(now) {
		until = now
	}
	if err := rotatePeerKey(ctx, tx, peer.ID, kc.NewKey, kc.OldKey, store.FormatTime(until)); err != nil {
		return nil, "", err
	}
	s.d.Logger.Info("peer rotated its key", "peer", peer.ID, "new", kc.NewKey, "old_trusted_until", until)
	return []ed25519.PublicKey{newKey, signer}, "", nil
}

// announcing reports whether a key announcement to peer waits in the
// outbox: until it is delivered, deliveries to peer are signed with the
// previous key, which is the one peer knows.
func (s *Service) announcing(ctx context.Context, peer string) bool {
	n, err := pendingKeyAnnouncements(ctx, s.d.Store, peer)
	return err == nil && n > 0
}

// signingKey is the key that signs deliveries and calls to peer.
func (s *Service) signingKey(ctx context.Context, peer string) ed25519.PrivateKey {
	if len(s.d.Node.Previous) > 0 && s.announcing(ctx, peer) {
		return s.d.Node.Previous[0].Key
	}
	return s.d.Node.Key
}

// KeyRotation is the outcome of RotateKey.
type KeyRotation struct {
	OldKey     string    `json:"old_key"`
	NewKey     string    `json:"new_key"`
	Announced  []string  `json:"announced_to"`
	Skipped    []string  `json:"skipped_suspended"`
	GraceUntil time.Time `json:"grace_until,omitzero"`
	Resigned   int       `json:"resigned"`
}

// RotateKey makes a new node key in dataDir and announces it to every
// active peer, signed with the current key. With revoke, peers stop
// trusting the current key at once; otherwise they accept it for grace.
// Undelivered envelopes are re-signed with the new key. A running node
// must be restarted afterwards to sign with the new key.
func (s *Service) RotateKey(ctx context.Context, actor *auth.Principal, dataDir string, grace time.Duration, revoke bool, reason string) (KeyRotation, error) {
	const op = "federation.RotateKey"
	if grace < 0 || grace > MaxGrace {
		return KeyRotation{}, errs.Newf(errs.Invalid, op, "the grace period must be between 0 and %s", MaxGrace)
	}
	reason = strings.TrimSpace(reason)
	if revoke && reason == "" {
		return KeyRotation{}, errs.New(errs.Invalid, op, "a revocation needs a reason (e.g. key file exposed)")
	}
	now := s.d.Clock.Now()
	newKey, err := identity.PrepareRotation(dataDir)
	if err != nil {
		return KeyRotation{}, err
	}
	oldKey := s.d.Node.Key
	res := KeyRotation{OldKey: s.d.Node.PublicString(), NewKey: identity.EncodePublic(newKey.Public().(ed25519.PublicKey))}
	typ, action := TypeKeyRotate, "federation.key.rotate"
	kc := KeyChange{Summary: "new signing key of " + s.d.Node.ID, OldKey: res.OldKey, NewKey: res.NewKey, Reason: reason}
	if revoke {
		typ, action = TypeKeyRevoke, "federation.key.revoke"
		kc.Summary = "signing key of " + s.d.Node.ID + " revoked"
	} else {
		kc.GraceUntil = now.Add(grace).UTC()
		res.GraceUntil = kc.GraceUntil
	}
	peers, err := s.Peers(ctx)
	if err != nil {
		identity.AbortRotation(dataDir)
		return res, err
	}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		// Re-sign what has not left yet (before the announcements are
		// queued, which must stay signed by the old key).
		ps, err := unsentEnvelopes(ctx, tx)
		if err != nil {
			return err
		}
		for _, p := range ps {
			var env Envelope
			if err := json.Unmarshal([]byte(p.raw), &env); err != nil {
				continue
			}
			if env.Type == TypeKeyRotate || env.Type == TypeKeyRevoke {
				continue
			}
			if err := env.Sign(newKey); err != nil {
				return err
			}
			raw, _ := json.Marshal(env)
			if err := setOutboxEnvelope(ctx, tx, p.id, string(raw)); err != nil {
				return err
			}
			res.Resigned++
		}
		for _, p := range peers {
			if p.Suspended {
				res.Skipped = append(res.Skipped, p.ID)
				continue
			}
			if _, err := s.Enqueue(ctx, tx, Outgoing{To: p.ID, Type: typ, Payload: kc, Summary: kc.Summary, Actor: actor}); err != nil {
				return err
			}
			res.Announced = append(res.Announced, p.ID)
		}
		detail := "new key " + res.NewKey + ", previous " + res.OldKey
		if revoke {
			detail += " revoked: " + reason
		}
		return s.d.Audit.Queue(ctx, tx, actorEntry(actor, action, "node-key/"+s.d.Node.ID, detail))
	})
	if err != nil {
		identity.AbortRotation(dataDir)
		return res, errs.Wrap(errs.Unavailable, op, "could not announce the new key", err)
	}
	if err := identity.CommitRotation(dataDir, now, revoke); err != nil {
		return res, err
	}
	s.d.Node.Previous = append([]identity.Retired{{Key: oldKey, RetiredAt: now, Revoked: revoke}}, s.d.Node.Previous...)
	s.d.Node.Key = newKey
	s.mu.Lock()
	s.clients = map[string]*http.Client{}
	s.mu.Unlock()
	if err := s.d.Audit.Rekey(ctx); err != nil {
		return res, err
	}
	if err := s.d.Audit.Record(ctx, audit.Entry{Actor: "system", Action: action + ".signed", Object: "node-key/" + s.d.Node.ID, Detail: "the audit log is signed with the new key from here on"}); err != nil {
		return res, err
	}
	wake(s.wakeOut)
	return res, nil
}
