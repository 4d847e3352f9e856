package federation

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/liaison-wb/liaison/internal/errs"
)

// Files in the data directory holding the node's TLS identity.
const (
	CertFile = "federation-cert.pem"
	KeyFile  = "federation-key.pem"
)

// LoadOrCreateTLS returns the node's federation certificate, creating a
// self-signed one on first use. Peers pin it by SHA-256 fingerprint, so no
// certificate authority is involved.
func LoadOrCreateTLS(dir, nodeID string) (tls.Certificate, error) {
	const op = "federation.TLS"
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	if _, err := os.Stat(certPath); errors.Is(err, os.ErrNotExist) {
		if err := createCert(dir, nodeID, certPath, keyPath); err != nil {
			return tls.Certificate{}, errs.Wrap(errs.Unavailable, op, "cannot create the federation certificate in "+dir, err)
		}
	}
	c, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return tls.Certificate{}, errs.Wrap(errs.Invalid, op, "cannot load the federation certificate "+certPath, err)
	}
	return c, nil
}

func createCert(dir, nodeID, certPath, keyPath string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "liaison-" + nodeID, Organization: []string{"Liaison federation"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost", "liaison-" + nodeID},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// Fingerprint is the hex SHA-256 of a certificate's DER bytes.
func Fingerprint(der []byte) string {
	h := sha256.Sum256(der)
	return hex.EncodeToString(h[:])
}

// CertFingerprint returns the fingerprint of the node's own certificate.
func CertFingerprint(c tls.Certificate) string {
	if len(c.Certificate) == 0 {
		return ""
	}
	return Fingerprint(c.Certificate[0])
}

// ServerTLS requires a client certificate whose fingerprint is pinned for
// some active peer; the inbox later checks it belongs to the envelope's sender.
func ServerTLS(cert tls.Certificate, known func(fingerprint string) bool) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAnyClientCert,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 || !known(Fingerprint(raw[0])) {
				return errors.New("client certificate is not pinned for any peer")
			}
			return nil
		},
	}
}

// ClientTLS presents the node's certificate and accepts only the server
// certificate pinned for the peer.
func ClientTLS(cert tls.Certificate, pinned string) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		Certificates:       []tls.Certificate{cert},
		InsecureSkipVerify: true, // replaced by the pin check below; there is no CA
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 || pinned == "" || Fingerprint(raw[0]) != pinned {
				return errors.New("peer certificate does not match the pinned fingerprint")
			}
			return nil
		},
	}
}
