// Package federation lets nodes exchange signed envelopes over HTTPS with
// mutual TLS. Each node keeps its data at home; what leaves goes through a
// transactional outbox, waits for the national contact unit where the type
// is sensitive, and is delivered by a worker that retries until the peer
// acknowledges. Receivers verify the sender, signature, freshness and
// uniqueness, store envelopes once and hand them to the domain handler
// registered for their type exactly once.
package federation

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"regexp"
	"time"

	"github.com/liaison-wb/liaison/internal/errs"
)

// Envelope is the unit of exchange between nodes (DESIGN.md section 6).
// Conversation and Seq order messages that belong together.
type Envelope struct {
	ID           string          `json:"id"`
	From         string          `json:"from"`
	To           string          `json:"to"`
	Type         string          `json:"type"`
	Conversation string          `json:"conversation"`
	Seq          int64           `json:"seq"`
	CreatedAt    time.Time       `json:"created_at"`
	Payload      json.RawMessage `json:"payload"`
	Signature    []byte          `json:"signature"`
}

// MaxPayloadBytes bounds one envelope's payload.
const MaxPayloadBytes = 4 << 20

var nodeIDRE = regexp.MustCompile(`^[a-z][a-z0-9-]{1,31}$`)

// ValidNodeID reports whether id has the form of a node ID (al, rs, selec…).
func ValidNodeID(id string) bool { return nodeIDRE.MatchString(id) }

// canonical is the byte string the signature covers: every field except the
// signature, length-prefixed so no two envelopes share an encoding, with the
// payload in compact, HTML-escaped JSON form.
func (e *Envelope) canonical() ([]byte, error) {
	// Compact and HTML-escaped, because that is how encoding/json writes a
	// RawMessage: the form survives any number of JSON round trips. An
	// absent payload travels as null.
	raw := []byte(e.Payload)
	if len(raw) == 0 {
		raw = []byte("null")
	}
	var compact, payload bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, err
	}
	json.HTMLEscape(&payload, compact.Bytes())
	var b bytes.Buffer
	b.WriteString("liaison-envelope-v1")
	for _, f := range []string{e.ID, e.From, e.To, e.Type, e.Conversation, e.CreatedAt.UTC().Format(time.RFC3339Nano)} {
		writeField(&b, []byte(f))
	}
	var seq [8]byte
	binary.BigEndian.PutUint64(seq[:], uint64(e.Seq))
	writeField(&b, seq[:])
	writeField(&b, payload.Bytes())
	return b.Bytes(), nil
}

func writeField(b *bytes.Buffer, f []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(f)))
	b.Write(n[:])
	b.Write(f)
}

// Sign sets the signature with the sender's key.
func (e *Envelope) Sign(key ed25519.PrivateKey) error {
	c, err := e.canonical()
	if err != nil {
		return errs.Wrap(errs.Invalid, "federation.Sign", "payload is not valid JSON", err)
	}
	e.Signature = ed25519.Sign(key, c)
	return nil
}

// VerifySignature checks the signature against the sender's public key.
func (e *Envelope) VerifySignature(pub ed25519.PublicKey) bool {
	c, err := e.canonical()
	if err != nil || len(e.Signature) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(pub, c, e.Signature)
}

// Digest identifies the envelope's exact content (for replay detection).
func (e *Envelope) Digest() [32]byte {
	c, _ := e.canonical()
	return sha256.Sum256(append(c, e.Signature...))
}

// Rejection codes: stable problem types a receiver answers with.
const (
	CodeUnknownSender = "unknown-sender"
	CodeSuspended     = "peer-suspended"
	CodeBadSignature  = "bad-signature"
	CodeReplay        = "replay"
	CodeClockSkew     = "clock-skew"
	CodeWrongNode     = "wrong-recipient"
	CodeMalformed     = "malformed-envelope"
	CodeUnknownType   = "unknown-type"
	CodeTooLarge      = "too-large"
	CodeCertMismatch  = "certificate-mismatch"
)

func reject(kind errs.Kind, code, msg string) *errs.E {
	return &errs.E{Kind: kind, Op: "federation.receive", Msg: msg, Code: code}
}
