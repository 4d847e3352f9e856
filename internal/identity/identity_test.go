package identity

import (
	"os"
	"path/filepath"
	"testing"
	"time"

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

func TestRotationKeepsEarlierKeysAndCompletesAfterACrash(t *testing.T) {
	dir := t.TempDir()
	first, err := LoadOrCreate(dir, "rs", "")
	if err != nil {
		t.Fatal(err)
	}
	next, err := PrepareRotation(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := CommitRotation(dir, time.Now(), false); err != nil {
		t.Fatal(err)
	}
	n, err := LoadOrCreate(dir, "rs", "")
	if err != nil || !n.Key.Equal(next) || len(n.Previous) != 1 || !n.Previous[0].Key.Equal(first.Key) || !n.Original().Equal(first.Key) {
		t.Fatalf("after rotation: %v", err)
	}
	// A rotation announced but not committed (crash) is completed on load.
	third, err := PrepareRotation(dir)
	if err != nil {
		t.Fatal(err)
	}
	n, err = LoadOrCreate(dir, "rs", "")
	if err != nil || !n.Key.Equal(third) || len(n.Previous) != 2 || !n.Previous[0].Key.Equal(next) || !n.Original().Equal(first.Key) {
		t.Fatalf("after an interrupted rotation: %v %d", err, len(n.Previous))
	}
	for _, e := range mustReadDir(t, dir) {
		if info, _ := e.Info(); info.Mode().Perm() != 0o600 {
			t.Fatalf("%s has mode %v", e.Name(), info.Mode().Perm())
		}
	}
}

func mustReadDir(t *testing.T, dir string) []os.DirEntry {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}
