package identity

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/liaison-wb/liaison/internal/errs"
)

func TestLoadOrCreateKeepsTheKey(t *testing.T) {
	dir := t.TempDir()
	a, err := LoadOrCreate(dir, "rs", "")
	if err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(filepath.Join(dir, KeyFile))
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", info.Mode().Perm())
	}
	b, err := LoadOrCreate(dir, "rs", "")
	if err != nil || a.PublicString() != b.PublicString() {
		t.Fatalf("key changed on reload: %v", err)
	}
	pub, err := DecodePublic(a.PublicString())
	if err != nil || !pub.Equal(a.Public()) {
		t.Fatal("public key round trip")
	}
	if _, err := DecodePublic("not-a-key"); !errs.Is(err, errs.Invalid) {
		t.Fatal("bad public key accepted")
	}
	os.WriteFile(filepath.Join(dir, KeyFile), []byte("garbage"), 0o600)
	if _, err := LoadOrCreate(dir, "rs", ""); !errs.Is(err, errs.Invalid) {
		t.Fatalf("corrupt key: %v", err)
	}
}
