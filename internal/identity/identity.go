// Package identity holds a node's Ed25519 signing key. The key signs audit
// checkpoints and federation envelopes; its public half is what peers and
// auditors pin.
package identity

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/errs"
)

// KeyFile is the private key's file name inside the data directory.
const KeyFile = "node.key"

// Node is this node's identity.
type Node struct {
	ID   string
	Key  ed25519.PrivateKey
	Name string
	// Previous are the node's earlier keys, newest first: they signed
	// older audit checkpoints and, during a rotation, the announcement of
	// the new key.
	Previous []Retired
}

// Retired is an earlier key of the node.
type Retired struct {
	Key       ed25519.PrivateKey
	RetiredAt time.Time
	Revoked   bool // retired because it was compromised
}

// Files of earlier keys: node.key.retired-20260102T030405Z and
// node.key.revoked-…; node.key.next is a key being rotated in.
const (
	retiredPrefix = KeyFile + ".retired-"
	revokedPrefix = KeyFile + ".revoked-"
	nextFile      = KeyFile + ".next"
	stampLayout   = "20060102T150405.000000000Z"
)

// Original is the node's first key: what must not change when the signing
// key is rotated (the key JIT evidence files are encrypted with is derived
// from it) comes from here.
func (n *Node) Original() ed25519.PrivateKey {
	if len(n.Previous) > 0 {
		return n.Previous[len(n.Previous)-1].Key
	}
	return n.Key
}

// PreviousPublic lists the public halves of the earlier keys.
func (n *Node) PreviousPublic() []ed25519.PublicKey {
	var out []ed25519.PublicKey
	for _, r := range n.Previous {
		out = append(out, r.Key.Public().(ed25519.PublicKey))
	}
	return out
}

// Public returns the public key.
func (n *Node) Public() ed25519.PublicKey { return n.Key.Public().(ed25519.PublicKey) }

// PublicString is the public key as base64 text, the form used in peer
// configuration and checkpoints.
func (n *Node) PublicString() string { return EncodePublic(n.Public()) }

// Sign signs msg.
func (n *Node) Sign(msg []byte) []byte { return ed25519.Sign(n.Key, msg) }

// EncodePublic renders a public key as base64.
func EncodePublic(pub ed25519.PublicKey) string { return base64.StdEncoding.EncodeToString(pub) }

// DecodePublic parses a base64 public key.
func DecodePublic(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, errs.New(errs.Invalid, "identity.DecodePublic", "public key must be 32 bytes in base64")
	}
	return ed25519.PublicKey(b), nil
}

// LoadOrCreate reads the node key from dir, creating it (mode 0600) on
// first use, with the node's earlier keys. A rotation that was interrupted
// after it was announced is completed.
func LoadOrCreate(dir, nodeID, name string) (*Node, error) {
	const op = "identity.LoadOrCreate"
	if _, err := os.Stat(filepath.Join(dir, nextFile)); err == nil {
		if err := CommitRotation(dir, time.Now(), false); err != nil {
			return nil, err
		}
	}
	n, err := loadOrCreate(dir, nodeID, name)
	if err != nil {
		return nil, err
	}
	if n.Previous, err = loadPrevious(dir); err != nil {
		return nil, err
	}
	return n, nil
}

// Load reads the node key and the earlier keys without creating or
// changing anything (for read-only tools such as doctor and audit verify).
// RotationPending reports a rotation that the next start will complete.
func Load(dir, nodeID, name string) (*Node, error) {
	path := filepath.Join(dir, KeyFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "identity.Load", "cannot read node key "+path, err)
	}
	priv, err := parseKey(path, data)
	if err != nil {
		return nil, err
	}
	n := &Node{ID: nodeID, Key: priv, Name: name}
	if n.Previous, err = loadPrevious(dir); err != nil {
		return nil, err
	}
	return n, nil
}

// RotationPending reports whether a key rotation in dir was announced but
// not completed (the next start completes it).
func RotationPending(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, nextFile))
	return err == nil
}

func loadOrCreate(dir, nodeID, name string) (*Node, error) {
	const op = "identity.LoadOrCreate"
	path := filepath.Join(dir, KeyFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		_, priv, gerr := ed25519.GenerateKey(rand.Reader)
		if gerr != nil {
			return nil, errs.Wrap(errs.Internal, op, "cannot generate node key", gerr)
		}
		der, merr := x509.MarshalPKCS8PrivateKey(priv)
		if merr != nil {
			return nil, errs.Wrap(errs.Internal, op, "cannot encode node key", merr)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, errs.Wrap(errs.Unavailable, op, "cannot create data directory "+dir, err)
		}
		data = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
		f, ferr := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if ferr != nil {
			return nil, errs.Wrap(errs.Unavailable, op, "cannot write node key "+path, ferr)
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return nil, errs.Wrap(errs.Unavailable, op, "cannot write node key "+path, err)
		}
		if err := f.Close(); err != nil {
			return nil, errs.Wrap(errs.Unavailable, op, "cannot write node key "+path, err)
		}
		return &Node{ID: nodeID, Key: priv, Name: name}, nil
	}
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, op, "cannot read node key "+path, err)
	}
	priv, err := parseKey(path, data)
	if err != nil {
		return nil, err
	}
	return &Node{ID: nodeID, Key: priv, Name: name}, nil
}

func parseKey(path string, data []byte) (ed25519.PrivateKey, error) {
	const op = "identity.LoadOrCreate"
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errs.New(errs.Invalid, op, "node key "+path+" is not a PEM private key")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, op, "node key "+path+" cannot be parsed", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, errs.New(errs.Invalid, op, "node key "+path+" is not an Ed25519 key")
	}
	return priv, nil
}

func loadPrevious(dir string) ([]Retired, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "identity.LoadOrCreate", "cannot read "+dir, err)
	}
	var out []Retired
	for _, e := range entries {
		name := e.Name()
		var stamp string
		var revoked bool
		switch {
		case strings.HasPrefix(name, retiredPrefix):
			stamp = strings.TrimPrefix(name, retiredPrefix)
		case strings.HasPrefix(name, revokedPrefix):
			stamp, revoked = strings.TrimPrefix(name, revokedPrefix), true
		default:
			continue
		}
		at, err := time.Parse(stampLayout, stamp)
		if err != nil {
			continue
		}
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, errs.Wrap(errs.Unavailable, "identity.LoadOrCreate", "cannot read "+path, err)
		}
		k, err := parseKey(path, data)
		if err != nil {
			return nil, err
		}
		out = append(out, Retired{Key: k, RetiredAt: at, Revoked: revoked})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].RetiredAt.After(out[j].RetiredAt) })
	return out, nil
}

// PrepareRotation writes a new key as node.key.next (mode 0600) and
// returns it; CommitRotation makes it the node key. Between the two the
// caller announces the new key, signed with the old one.
func PrepareRotation(dir string) (ed25519.PrivateKey, error) {
	const op = "identity.Rotate"
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, "cannot generate a key", err)
	}
	if err := writeKey(filepath.Join(dir, nextFile), priv); err != nil {
		return nil, err
	}
	return priv, nil
}

// AbortRotation removes a prepared key that was not announced.
func AbortRotation(dir string) { os.Remove(filepath.Join(dir, nextFile)) }

// CommitRotation keeps the current key as node.key.retired-TIME (or
// .revoked-TIME) and makes node.key.next the node key.
func CommitRotation(dir string, now time.Time, revoked bool) error {
	const op = "identity.Rotate"
	prefix := retiredPrefix
	if revoked {
		prefix = revokedPrefix
	}
	old := filepath.Join(dir, prefix+now.UTC().Format(stampLayout))
	if err := os.Rename(filepath.Join(dir, KeyFile), old); err != nil {
		return errs.Wrap(errs.Unavailable, op, "cannot keep the old node key", err)
	}
	if err := os.Rename(filepath.Join(dir, nextFile), filepath.Join(dir, KeyFile)); err != nil {
		return errs.Wrap(errs.Unavailable, op, "cannot install the new node key", err)
	}
	return nil
}

func writeKey(path string, priv ed25519.PrivateKey) error {
	const op = "identity.writeKey"
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return errs.Wrap(errs.Internal, op, "cannot encode the key", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return errs.Wrap(errs.Unavailable, op, "cannot write "+path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return errs.Wrap(errs.Unavailable, op, "cannot write "+path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return errs.Wrap(errs.Unavailable, op, "cannot write "+path, err)
	}
	return f.Close()
}
