package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	c := Default()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	apply := c.Register(fs)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	return c, apply(func(k string) string { return env[k] })
}

func TestPrecedenceFlagEnvFileDefault(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.conf")
	os.WriteFile(file, []byte("addr=:1111\nnode-id=al\nLIAISON_SESSION_TTL=2h\n"), 0o600)
	c, err := load(t, []string{"--config", file, "--addr", ":3333"}, map[string]string{"LIAISON_NODE_ID": "xk", "LIAISON_ADDR": ":2222"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":3333" || c.NodeID != "xk" || c.SessionTTL != 2*time.Hour || c.LogLevel != "info" {
		t.Fatalf("got addr=%s node=%s ttl=%s level=%s", c.Addr, c.NodeID, c.SessionTTL, c.LogLevel)
	}
}

func TestValidationErrors(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--log-format", "xml"}, nil, "log-format"},
		{[]string{"--node-id", "a b"}, nil, "node-id"},
		{[]string{"--db", "mysql://x"}, nil, "db must be"},
		{[]string{"--max-body-bytes", "10"}, nil, "max-body-bytes"},
		{nil, map[string]string{"LIAISON_SESSION_TTL": "soon"}, "LIAISON_SESSION_TTL"},
		{nil, map[string]string{"LIAISON_SECURE_COOKIES": "maybe"}, "secure-cookies"},
		{nil, map[string]string{"LIAISON_CONFIG": "/does/not/exist"}, "cannot read config file"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			_, err := load(t, tc.args, tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want mention of %q", err, tc.want)
			}
		})
	}
}

func TestRedaction(t *testing.T) {
	c := Default()
	c.DB = "postgres://liaison:pa55@db:5432/l"
	c.AdminPassword = "hunter2hunter2"
	c.PPRLSecret, c.PPRLPreviousSecret = "regional-secret-xyz-2026", "regional-secret-old-2025"
	all := strings.Join(c.Redacted(), "\n")
	if strings.Contains(all, "pa55") || strings.Contains(all, "hunter2") || strings.Contains(all, "regional-secret") || !strings.Contains(all, "db=postgres://[redacted]@db:5432/l") {
		t.Fatalf("redaction failed:\n%s", all)
	}
}

// FuzzConfigFile: the config file reader never panics and either accepts a
// line or names it.
func FuzzConfigFile(f *testing.F) {
	for _, seed := range []string{"addr=:8080\n", "# comment\n\nnode-id = rs\n", "=\n", "colour=blue", "LIAISON_DB=\"postgres://x\"\n", "a\x00=b"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, content string) {
		path := filepath.Join(t.TempDir(), "c.conf")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Skip()
		}
		c := Default()
		_, err := readFile(path, c.settings())
		if err != nil && !strings.Contains(err.Error(), path) {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}

func TestParseDuration(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"30s", 30 * time.Second, false},
		{"8h", 8 * time.Hour, false},
		{"30d", 30 * day, false},
		{"1095d", 1095 * day, false},
		{" 7d ", 7 * day, false},
		{"0d", 0, false},
		{"0", 0, false},
		{"-1d", 0, true},
		{"-5h", 0, true},
		{"1.5d", 0, true},
		{"d", 0, true},
		{"99999999d", 0, true},
		{"three years", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30s", "8h", "1095d", "-1d", "1.5d", "", "9223372036854775807d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %v: negative durations must be refused", s, d)
		}
		// What String prints must read back to the same value.
		v := durationValue(d)
		back, err := ParseDuration(v.String())
		if err != nil || back != d {
			t.Fatalf("round trip of %v via %q gave %v, %v", d, v.String(), back, err)
		}
	})
}

func TestScheduledBackupSettings(t *testing.T) {
	c := Default()
	c.BackupEvery = 24 * time.Hour
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "backup-dir") {
		t.Fatalf("no dir: %v", err)
	}
	c.BackupDir = "/var/backups/liaison"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "always encrypted") {
		t.Fatalf("no recipient: %v", err)
	}
	c.BackupRecipient = "age1aaa, age1bbb"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if r := c.BackupRecipients(); len(r) != 2 || r[1] != "age1bbb" {
		t.Fatalf("%q", r)
	}
}

func TestPPRLSettings(t *testing.T) {
	c := Default()
	c.PPRLSecret = "too short"
	if err := c.Validate(); err == nil {
		t.Fatal("a regional secret under 16 bytes was accepted")
	}
	c = Default()
	c.PPRLRequirePrivate = true
	if err := c.Validate(); err == nil {
		t.Fatal("require-private without a secret was accepted")
	}
	c.PPRLSecret = "a long enough regional secret"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}
