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

	"github.com/liaison-wb/liaison/internal/errs"
)

// KeyFile is the private key's file name inside the data directory.
const KeyFile = "node.key"

// Node is this node's identity.
type Node struct {
	ID   string
	Key  ed25519.PrivateKey
	Name string
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

// LoadOrCreate reads the node key from dir, creating it (mode 0600) on first use.
func LoadOrCreate(dir, nodeID, name string) (*Node, error) {
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
	return &Node{ID: nodeID, Key: priv, Name: name}, nil
}
