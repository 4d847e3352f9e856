package federation

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// Renewing the federation certificate. Peers pin the certificate's
// fingerprint, so a new certificate is announced to each of them, signed
// with the node key; they pin the new one and keep the previous one pinned
// for a grace period. Until every peer has the announcement the node keeps
// presenting its previous certificate (as a server to everyone, as a client
// to the peers still to be told), then switches. The running node reloads
// the certificate files when they change: no restart.

// Files of the previous certificate, kept during a renewal.
const (
	PrevCertFile = "federation-cert.previous.pem"
	PrevKeyFile  = "federation-key.previous.pem"
)

// TypeCertRenew announces a new federation certificate.
const TypeCertRenew = "federation.cert.renew"

// CertChange is the payload of a certificate announcement.
type CertChange struct {
	Summary    string    `json:"summary"`
	OldSHA256  string    `json:"old_sha256"`
	NewSHA256  string    `json:"new_sha256"`
	GraceUntil time.Time `json:"grace_until"`
}

// Certs holds the node's federation certificates and reloads them from the
// data directory when they change.
type Certs struct {
	dir string
	mu  sync.RWMutex
	cur tls.Certificate
	// prev is the certificate being replaced, while peers learn the new one.
	prev    *tls.Certificate
	modTime time.Time
}

// LoadCerts reads the certificates in dir (creating one on first use).
func LoadCerts(dir, nodeID string) (*Certs, error) {
	cur, err := LoadOrCreateTLS(dir, nodeID)
	if err != nil {
		return nil, err
	}
	c := &Certs{dir: dir, cur: cur}
	c.loadPrev()
	if info, err := os.Stat(filepath.Join(dir, CertFile)); err == nil {
		c.modTime = info.ModTime()
	}
	return c, nil
}

// StaticCerts wraps one certificate that never changes.
func StaticCerts(cert tls.Certificate) *Certs { return &Certs{cur: cert} }

func (c *Certs) loadPrev() {
	p, err := tls.LoadX509KeyPair(filepath.Join(c.dir, PrevCertFile), filepath.Join(c.dir, PrevKeyFile))
	if err == nil {
		c.prev = &p
	} else {
		c.prev = nil
	}
}

// Current is the newest certificate.
func (c *Certs) Current() tls.Certificate {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.cur
}

// Previous is the certificate being replaced, or nil.
func (c *Certs) Previous() *tls.Certificate {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.prev
}

// Reload rereads the files if the certificate file changed.
func (c *Certs) Reload() (bool, error) {
	if c.dir == "" {
		return false, nil
	}
	info, err := os.Stat(filepath.Join(c.dir, CertFile))
	if err != nil {
		return false, errs.Wrap(errs.Unavailable, "federation.Certs", "cannot read the federation certificate", err)
	}
	c.mu.RLock()
	same := info.ModTime().Equal(c.modTime)
	c.mu.RUnlock()
	if same {
		return false, nil
	}
	cur, err := tls.LoadX509KeyPair(filepath.Join(c.dir, CertFile), filepath.Join(c.dir, KeyFile))
	if err != nil {
		return false, errs.Wrap(errs.Invalid, "federation.Certs", "cannot load the federation certificate", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cur, c.modTime = cur, info.ModTime()
	c.loadPrev()
	return true, nil
}

// renewFiles keeps the current certificate as the previous one and makes a
// new one.
func (c *Certs) renewFiles(nodeID string) error {
	for _, f := range [][2]string{{CertFile, PrevCertFile}, {KeyFile, PrevKeyFile}} {
		if err := os.Rename(filepath.Join(c.dir, f[0]), filepath.Join(c.dir, f[1])); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return createCert(c.dir, nodeID, filepath.Join(c.dir, CertFile), filepath.Join(c.dir, KeyFile))
}

// announcingCert reports whether a certificate announcement to peer (any
// peer when peer is "") is still undelivered.
func (s *Service) announcingCert(ctx context.Context, peer string) bool {
	n, err := pendingCertAnnouncements(ctx, s.d.Store, peer)
	return err == nil && n > 0
}

// presented picks the certificate to show: the previous one while some
// peer (or the given one) has not learnt the new one.
func (s *Service) presented(peer string) *tls.Certificate {
	if s.d.Certs == nil {
		return nil
	}
	if prev := s.d.Certs.Previous(); prev != nil && s.announcingCert(context.Background(), peer) {
		return prev
	}
	cur := s.d.Certs.Current()
	return &cur
}

// ServerTLSConfig is the mutual-TLS configuration of the federation
// listener, following certificate renewals.
func (s *Service) ServerTLSConfig() *tls.Config {
	cfg := ServerTLS(tls.Certificate{}, s.KnownCertificate)
	cfg.Certificates = nil
	cfg.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		if c := s.presented(""); c != nil {
			return c, nil
		}
		return nil, errors.New("no federation certificate")
	}
	return cfg
}

// clientTLS presents this node's certificate to peer p and accepts the
// server certificates pinned for it (the previous one during its grace).
func (s *Service) clientTLS(p Peer) *tls.Config {
	pins := map[string]bool{p.CertSHA256: p.CertSHA256 != ""}
	if p.PrevCertSHA256 != "" && s.d.Clock.Now().Before(p.PrevCertUntil) {
		pins[p.PrevCertSHA256] = true
	}
	cfg := ClientTLS(tls.Certificate{}, p.CertSHA256)
	cfg.Certificates = nil
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		if c := s.presented(p.ID); c != nil {
			return c, nil
		}
		return &tls.Certificate{}, nil
	}
	cfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 || !pins[Fingerprint(raw[0])] {
			return errors.New("peer certificate does not match the pinned fingerprint")
		}
		return nil
	}
	return cfg
}

// certPinned reports whether fp is a certificate pinned for p now.
func (s *Service) certPinned(p Peer, fp string) bool {
	return fp == p.CertSHA256 || (p.PrevCertSHA256 != "" && fp == p.PrevCertSHA256 && s.d.Clock.Now().Before(p.PrevCertUntil))
}

// applyCertChange records a peer's certificate announcement while it is received.
func (s *Service) applyCertChange(ctx context.Context, tx *store.Tx, peer Peer, env *Envelope, now time.Time) (string, error) {
	var cc CertChange
	if err := json.Unmarshal(env.Payload, &cc); err != nil || len(cc.NewSHA256) != 64 {
		return "unreadable certificate announcement", nil
	}
	current, err := peerCertificate(ctx, tx, peer.ID)
	if err != nil {
		return "", err
	}
	if current != cc.OldSHA256 {
		return "the announcement does not name the certificate pinned for the peer", nil
	}
	until := cc.GraceUntil
	if until.After(now.Add(MaxGrace)) {
		until = now.Add(MaxGrace)
	}
	if err := renewPeerCertificate(ctx, tx, peer.ID, cc.NewSHA256, cc.OldSHA256, store.FormatTime(until)); err != nil {
		return "", err
	}
	tx.AfterCommit(func() {
		s.mu.Lock()
		delete(s.clients, peer.ID)
		s.mu.Unlock()
	})
	s.d.Logger.Info("peer renewed its federation certificate", "peer", peer.ID, "sha256", cc.NewSHA256)
	return "", nil
}

// CertRenewal is the outcome of RenewCert.
type CertRenewal struct {
	OldSHA256 string   `json:"old_sha256"`
	NewSHA256 string   `json:"new_sha256"`
	Announced []string `json:"announced_to"`
	Skipped   []string `json:"skipped_suspended"`
}

// RenewCert makes a new federation certificate, announces its fingerprint
// to every active peer and starts using it, without a restart, once they
// all have it. A node running in another process picks the new files up
// within RunCertReload's interval.
func (s *Service) RenewCert(ctx context.Context, actor *auth.Principal, grace time.Duration) (CertRenewal, error) {
	const op = "federation.RenewCert"
	if s.d.Certs == nil || s.d.Certs.dir == "" {
		return CertRenewal{}, errs.New(errs.Invalid, op, "this node has no federation certificate files")
	}
	if grace <= 0 || grace > MaxGrace {
		return CertRenewal{}, errs.Newf(errs.Invalid, op, "the grace period must be between 1s and %s", MaxGrace)
	}
	res := CertRenewal{OldSHA256: CertFingerprint(s.d.Certs.Current())}
	peers, err := s.Peers(ctx)
	if err != nil {
		return res, err
	}
	if err := s.d.Certs.renewFiles(s.d.Node.ID); err != nil {
		return res, errs.Wrap(errs.Unavailable, op, "cannot write the new certificate", err)
	}
	if _, err := s.d.Certs.Reload(); err != nil {
		return res, err
	}
	res.NewSHA256 = CertFingerprint(s.d.Certs.Current())
	cc := CertChange{Summary: "new federation certificate of " + s.d.Node.ID, OldSHA256: res.OldSHA256, NewSHA256: res.NewSHA256, GraceUntil: s.d.Clock.Now().Add(grace).UTC()}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		for _, p := range peers {
			if p.Suspended {
				res.Skipped = append(res.Skipped, p.ID)
				continue
			}
			if _, err := s.Enqueue(ctx, tx, Outgoing{To: p.ID, Type: TypeCertRenew, Payload: cc, Summary: cc.Summary, Actor: actor}); err != nil {
				return err
			}
			res.Announced = append(res.Announced, p.ID)
		}
		return s.d.Audit.Queue(ctx, tx, actorEntry(actor, "federation.cert.renew", "federation-cert/"+s.d.Node.ID, "new certificate "+res.NewSHA256+", previous "+res.OldSHA256))
	})
	if err != nil {
		return res, errs.Wrap(errs.Unavailable, op, "could not announce the new certificate", err)
	}
	wake(s.wakeOut)
	return res, nil
}

// RunCertReload rereads the certificate files every interval, so a
// renewal made by `liaison federation cert renew` takes effect without a
// restart.
func (s *Service) RunCertReload(ctx context.Context, interval time.Duration) {
	if s.d.Certs == nil {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if changed, err := s.d.Certs.Reload(); err != nil {
			s.d.Logger.Error("cannot reload the federation certificate", "err", err)
		} else if changed {
			s.d.Logger.Info("federation certificate reloaded", "sha256", CertFingerprint(s.d.Certs.Current()))
		}
	}
}
