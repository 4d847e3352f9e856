package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
)

func vcsInfo(settings ...string) *debug.BuildInfo {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/liaison-wb/liaison", Version: "(devel)"}}
	for i := 0; i+1 < len(settings); i += 2 {
		bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
	}
	return bi
}

func TestVersionFromVCSStamp(t *testing.T) {
	in := From("dev", "", vcsInfo("vcs", "git", "vcs.revision", "0123456789abcdef0123456789abcdef01234567", "vcs.time", "2026-12-01T10:00:00Z", "vcs.modified", "true"))
	if in.Commit != "0123456789abcdef0123456789abcdef01234567" || !in.Modified || in.Time != "2026-12-01T10:00:00Z" {
		t.Fatalf("%+v", in)
	}
	s := in.String()
	if s != "liaison dev (commit 0123456789ab+modified of 2026-12-01T10:00:00Z, go1.26.8)" {
		t.Fatalf("%q", s)
	}
	if strings.Contains(s, "unknown") {
		t.Fatal("says unknown")
	}
}

func TestLinkerValuesWin(t *testing.T) {
	in := From("1.4.0", "feedc0ffee12", vcsInfo("vcs.revision", "0123456789abcdef", "vcs.modified", "true", "vcs.time", "2026-12-01T10:00:00Z"))
	if in.Version != "1.4.0" || in.Commit != "feedc0ffee12" || in.Modified {
		t.Fatalf("%+v", in)
	}
}

func TestModuleVersionOfGoInstall(t *testing.T) {
	bi := vcsInfo()
	bi.Main.Version = "v1.3.0"
	if in := From("dev", "", bi); in.Version != "1.3.0" || in.Commit != NotStamped {
		t.Fatalf("%+v", in)
	}
	if in := From("dev", "", nil); in.Version != "dev" || in.Commit != NotStamped || strings.Contains(in.String(), "unknown") {
		t.Fatalf("%+v", in)
	}
}

func TestRunningBinary(t *testing.T) {
	if s := String(); !strings.HasPrefix(s, "liaison ") || strings.Contains(s, "unknown") {
		t.Fatalf("%q", s)
	}
}

func TestLinkerCommitKeepsItsSuffix(t *testing.T) {
	if s := From("1.0.0", "0123456789abcdef0123+modified", nil).ShortCommit(); s != "0123456789ab+modified" {
		t.Fatal(s)
	}
}
