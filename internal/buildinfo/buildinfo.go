// Package buildinfo reports which build of liaison is running. The version
// and commit come, in order of precedence, from the linker:
//
//	go build -ldflags "-X github.com/liaison-wb/liaison/internal/buildinfo.Version=1.2.0 -X github.com/liaison-wb/liaison/internal/buildinfo.Commit=$(git rev-parse HEAD)"
//
// then from the version control information the Go toolchain stamps into
// every binary built from a git checkout (vcs.revision, vcs.time,
// vcs.modified; turned off by -buildvcs=false), then from the module version
// of `go install …@v1.2.0`.
package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Set by the linker; these are the only package-level variables because the
// linker can only write to variables.
var (
	Version = "dev"
	Commit  = ""
)

// NotStamped is what Commit reads when neither the linker nor the toolchain
// recorded one (a build with -buildvcs=false outside a release script).
const NotStamped = "not stamped (build with scripts or -buildvcs=true)"

// Info describes the running build.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Time      string `json:"time,omitempty"` // commit time, RFC 3339
	Modified  bool   `json:"modified"`       // built from a checkout with uncommitted changes
	GoVersion string `json:"go_version"`
}

// Read returns the running binary's build information.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return From(Version, Commit, bi)
}

// From combines linker values with the toolchain's build information (nil
// when there is none). Linker values win.
func From(version, commit string, bi *debug.BuildInfo) Info {
	in := Info{Version: version, Commit: commit, GoVersion: runtime.Version()}
	if bi != nil {
		if bi.GoVersion != "" {
			in.GoVersion = bi.GoVersion
		}
		vcs := map[string]string{}
		for _, s := range bi.Settings {
			vcs[s.Key] = s.Value
		}
		if in.Commit == "" {
			in.Commit = vcs["vcs.revision"]
			in.Modified = vcs["vcs.modified"] == "true"
		}
		in.Time = vcs["vcs.time"]
		if (in.Version == "" || in.Version == "dev") && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			in.Version = strings.TrimPrefix(bi.Main.Version, "v")
		}
	}
	if in.Version == "" {
		in.Version = "dev"
	}
	if in.Commit == "" {
		in.Commit = NotStamped
	}
	return in
}

// ShortCommit is the first 12 hex digits of a full revision.
func (in Info) ShortCommit() string {
	c, suffix, _ := strings.Cut(in.Commit, "+")
	if len(c) > 12 && !strings.Contains(c, " ") {
		c = c[:12]
	}
	if suffix != "" && !in.Modified {
		c += "+" + suffix
	}
	if in.Modified {
		c += "+modified"
	}
	return c
}

// String is the one-line version report.
func (in Info) String() string {
	s := "liaison " + in.Version + " (commit " + in.ShortCommit()
	if in.Time != "" {
		s += " of " + in.Time
	}
	return s + ", " + in.GoVersion + ")"
}

// String is the one-line version report of the running binary.
func String() string { return Read().String() }
