package federation

import "testing"

// A renewal written by another process (liaison federation cert renew) is
// picked up by Reload, with the previous certificate kept.
func TestCertsReloadAfterRenewalByAnotherProcess(t *testing.T) {
	dir := t.TempDir()
	running, err := LoadCerts(dir, "rs")
	if err != nil {
		t.Fatal(err)
	}
	old := CertFingerprint(running.Current())
	if changed, err := running.Reload(); err != nil || changed {
		t.Fatalf("reload without a change: %v %v", changed, err)
	}
	cli, err := LoadCerts(dir, "rs")
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.renewFiles("rs"); err != nil {
		t.Fatal(err)
	}
	changed, err := running.Reload()
	if err != nil || !changed {
		t.Fatalf("reload after renewal: %v %v", changed, err)
	}
	if CertFingerprint(running.Current()) == old || running.Previous() == nil || CertFingerprint(*running.Previous()) != old {
		t.Fatal("the running node did not take the new certificate and keep the old one")
	}
}
