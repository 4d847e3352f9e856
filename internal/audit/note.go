package audit

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strings"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/transparency-dev/formats/log"
)

// Checkpoints and cosignatures use the transparency-log ecosystem's formats,
// so any tool that speaks them can check a node's log:
//   - C2SP tlog-checkpoint: a signed note whose body is
//     "<origin>\n<size>\n<base64 root>\n", signed by the node's Ed25519 key
//     under the key name Origin(node);
//   - C2SP tlog-cosignature (cosignature/v1): a witness's timestamped
//     Ed25519 signature over the same body, under the key name
//     WitnessName(witness).

// Origin is the checkpoint origin (and note key name) of a node's audit log.
func Origin(nodeID string) string { return "liaison.audit/" + nodeID }

// WitnessName is the key name under which a node cosigns other logs.
func WitnessName(nodeID string) string { return "liaison.witness/" + nodeID }

// CheckpointBody is the C2SP checkpoint body for a tree.
func CheckpointBody(nodeID string, size int64, root []byte) []byte {
	return log.Checkpoint{Origin: Origin(nodeID), Size: uint64(size), Hash: root}.Marshal()
}

// signerKey builds the note signer key string for an Ed25519 private key.
func signerKey(name string, key ed25519.PrivateKey) (string, error) {
	vkey, err := note.NewEd25519VerifierKey(name, key.Public().(ed25519.PublicKey))
	if err != nil {
		return "", err
	}
	// name+hash+key; the base64 key may itself contain '+'.
	_, rest, _ := strings.Cut(vkey, "+")
	hash, _, ok := strings.Cut(rest, "+")
	if !ok {
		return "", fmt.Errorf("unexpected verifier key form")
	}
	return "PRIVATE+KEY+" + name + "+" + hash + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, key.Seed()...)), nil
}

// NoteSigner signs this node's checkpoints.
func NoteSigner(nodeID string, key ed25519.PrivateKey) (note.Signer, error) {
	skey, err := signerKey(Origin(nodeID), key)
	if err != nil {
		return nil, err
	}
	return note.NewSigner(skey)
}

// NoteVerifier checks a node's checkpoint signatures.
func NoteVerifier(nodeID string, pub ed25519.PublicKey) (note.Verifier, error) {
	vkey, err := note.NewEd25519VerifierKey(Origin(nodeID), pub)
	if err != nil {
		return nil, err
	}
	return note.NewVerifier(vkey)
}

// Cosigner produces this node's cosignature/v1 signatures as a witness.
func Cosigner(nodeID string, key ed25519.PrivateKey) (note.Signer, error) {
	skey, err := signerKey(WitnessName(nodeID), key)
	if err != nil {
		return nil, err
	}
	return fnote.NewSignerForCosignatureV1(skey)
}

// CosignatureVerifier checks a witness's cosignatures.
func CosignatureVerifier(witnessID string, pub ed25519.PublicKey) (note.Verifier, error) {
	vkey, err := note.NewEd25519VerifierKey(WitnessName(witnessID), pub)
	if err != nil {
		return nil, err
	}
	return fnote.NewVerifierForCosignatureV1(vkey)
}

// SignCheckpointNote returns the signed note of a checkpoint body.
func SignCheckpointNote(body []byte, signer note.Signer) (string, error) {
	b, err := note.Sign(&note.Note{Text: string(body)}, signer)
	return string(b), err
}

// OpenCheckpointNote checks a signed checkpoint of nodeID's log with its
// key and returns its size and root. Extra verifiers (witnesses) are
// optional: their signatures are returned when present and valid.
func OpenCheckpointNote(text string, nodeID string, pub ed25519.PublicKey, witnesses ...note.Verifier) (size int64, root []byte, n *note.Note, err error) {
	v, err := NoteVerifier(nodeID, pub)
	if err != nil {
		return 0, nil, nil, err
	}
	cp, _, n, err := log.ParseCheckpoint([]byte(text), Origin(nodeID), v, witnesses...)
	if err != nil {
		return 0, nil, nil, err
	}
	if cp.Size > 1<<62 {
		return 0, nil, nil, fmt.Errorf("checkpoint size out of range")
	}
	return int64(cp.Size), cp.Hash, n, nil
}

// HasSignatureOf reports whether n carries a verified signature by v.
func HasSignatureOf(n *note.Note, v note.Verifier) bool {
	for _, s := range n.Sigs {
		if s.Name == v.Name() && s.Hash == v.KeyHash() {
			return true
		}
	}
	return false
}

// Cosign adds this witness's cosignature to a signed checkpoint note that
// was already verified (the log's signature is kept).
func Cosign(text string, logVerifier note.Verifier, cosigner note.Signer) (string, error) {
	n, err := note.Open([]byte(text), note.VerifierList(logVerifier))
	if err != nil {
		return "", err
	}
	// Only the log's verified signature is kept, then ours is added.
	n.UnverifiedSigs = nil
	b, err := note.Sign(n, cosigner)
	if err != nil {
		return "", err
	}
	if !bytes.HasPrefix(b, []byte(n.Text)) {
		return "", fmt.Errorf("cosigned note changed its text")
	}
	return string(b), nil
}
