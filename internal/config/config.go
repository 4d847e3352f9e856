// Package config holds a node's typed configuration. Values come from, in
// order of precedence: command-line flags, LIAISON_* environment variables,
// an optional config file (KEY=VALUE lines), then defaults. Secrets are
// marked so they are never printed or logged.
package config

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/errs"
)

// Config is everything a node needs to run.
type Config struct {
	ConfigFile         string
	DataDir            string
	DB                 string
	Addr               string
	NodeID             string
	NodeName           string
	PublicURL          string
	AdminPassword      string
	SecureCookies      bool
	SessionTTL         time.Duration
	LogLevel           string
	LogFormat          string
	MaxBodyBytes       int64
	InsecureFederation bool
	FederationAddr     string
	ShutdownTimeout    time.Duration
	// InstanceSync is, on PostgreSQL, how often an instance checks the
	// leadership and catches up with the other instances' writes.
	InstanceSync time.Duration
	// TrustedProxies lists the reverse proxies (addresses or CIDR ranges,
	// comma-separated) whose X-Forwarded-For and X-Forwarded-Proto headers
	// are believed.
	TrustedProxies string
	// MetricsAddr serves /metrics on its own listen address; MetricsToken
	// serves it on the main address to holders of this bearer token.
	MetricsAddr  string
	MetricsToken string
	// AuditRetention is how long access records keep their content.
	AuditRetention time.Duration
	// AuditWitnessInterval is how often the audit checkpoint goes to peers
	// for witnessing.
	AuditWitnessInterval time.Duration
	// Exchange module: response deadlines, retention and e-mail notifications.
	ExchangeUrgentDeadline   time.Duration
	ExchangeDatabaseDeadline time.Duration
	ExchangeDefaultDeadline  time.Duration
	ExchangeRetention        time.Duration
	ExchangeRetentionAction  string // delete or anonymise at the review date
	SMTPAddr                 string
	// MLA module: deadlines of judicial requests.
	MLARecogniseDeadline time.Duration
	MLAExtension         time.Duration
	MLAExecuteDeadline   time.Duration
	SMTPFrom             string
	SMTPUsername         string
	SMTPPassword         string
	// Scheduled backups: every BackupEvery (0: none) an encrypted backup
	// goes to BackupDir, keeping the newest BackupKeep.
	BackupEvery          time.Duration
	BackupKeep           int64
	BackupDir            string
	BackupRecipient      string // age public keys, separated by commas or spaces
	BackupRecipientsFile string
	// Alerts module: deadline of the issuer's answer to a hit report and of
	// the answer to a firearms tracing request.
	AlertsHitDeadline   time.Duration
	AlertsTraceDeadline time.Duration
	// Review periods of alerts by kind, and how long before the review
	// date the issuer is warned.
	AlertsReviewCheck, AlertsReviewMissing, AlertsReviewJudicial, AlertsReviewArrest, AlertsReviewObject time.Duration
	AlertsReviewWarning                                                                                  time.Duration
	// Operations room: time to file the end-of-operation report, and the
	// deadline for authorising urgent surveillance where the host state
	// declared none.
	OpsReportWithin         time.Duration
	OpsSurveillanceDeadline time.Duration
	// Privacy-preserving matching: the regional secret the encoding keys
	// are derived from (empty: private mode off), the previous one during
	// a rotation, an optional linkage schema file (default: the regional
	// schema built in), and whether received queries must be private.
	PPRLSecret         string
	PPRLPreviousSecret string
	PPRLSchema         string
	PPRLRequirePrivate bool
}

// Default returns the defaults for a single node.
func Default() Config {
	return Config{
		DataDir:         "./liaison-data",
		Addr:            "127.0.0.1:8080",
		NodeID:          "local",
		NodeName:        "Liaison node",
		SecureCookies:   true,
		SessionTTL:      8 * time.Hour,
		LogLevel:        "info",
		LogFormat:       "text",
		MaxBodyBytes:    1 << 20,
		ShutdownTimeout: 10 * time.Second,
		InstanceSync:    2 * time.Second,
		AuditRetention:  3 * 365 * 24 * time.Hour,

		AuditWitnessInterval: 10 * time.Minute,

		ExchangeUrgentDeadline:   8 * time.Hour,
		ExchangeDatabaseDeadline: 3 * 24 * time.Hour,
		ExchangeDefaultDeadline:  7 * 24 * time.Hour,
		ExchangeRetention:        3 * 365 * 24 * time.Hour,
		ExchangeRetentionAction:  "delete",

		MLARecogniseDeadline: 30 * 24 * time.Hour,
		MLAExtension:         30 * 24 * time.Hour,
		MLAExecuteDeadline:   90 * 24 * time.Hour,

		BackupKeep:           7,
		AlertsHitDeadline:    12 * time.Hour,
		AlertsTraceDeadline:  30 * 24 * time.Hour,
		AlertsReviewCheck:    365 * 24 * time.Hour,
		AlertsReviewMissing:  365 * 24 * time.Hour,
		AlertsReviewJudicial: 3 * 365 * 24 * time.Hour,
		AlertsReviewArrest:   5 * 365 * 24 * time.Hour,
		AlertsReviewObject:   5 * 365 * 24 * time.Hour,
		AlertsReviewWarning:  122 * 24 * time.Hour,

		OpsReportWithin:         24 * time.Hour,
		OpsSurveillanceDeadline: 5 * time.Hour,
	}
}

type setting struct {
	name   string // flag name; env name is LIAISON_ + upper(name with - → _)
	help   string
	secret bool
	value  flag.Value
}

func (s setting) env() string {
	return "LIAISON_" + strings.ToUpper(strings.ReplaceAll(s.name, "-", "_"))
}

func (c *Config) settings() []setting {
	return []setting{
		{name: "config", help: "optional config file with KEY=VALUE lines (flag or LIAISON_* names)", value: (*stringValue)(&c.ConfigFile)},
		{name: "data", help: "data directory: SQLite database, node keys", value: (*stringValue)(&c.DataDir)},
		{name: "db", help: "database URL: empty for SQLite in the data directory, or postgres://user@host:5432/db", secret: true, value: (*stringValue)(&c.DB)},
		{name: "addr", help: "HTTP listen address", value: (*stringValue)(&c.Addr)},
		{name: "node-id", help: "this node's federation ID, e.g. rs, al, xk, selec", value: (*stringValue)(&c.NodeID)},
		{name: "node-name", help: "human-readable node name shown in the UI", value: (*stringValue)(&c.NodeName)},
		{name: "public-url", help: "URL at which users and peers reach this node (default derived from --addr)", value: (*stringValue)(&c.PublicURL)},
		{name: "admin-password", help: "password for the first admin account, created on first start (default: random, printed once)", secret: true, value: (*stringValue)(&c.AdminPassword)},
		{name: "secure-cookies", help: "mark session cookies Secure (browsers still accept them on http://localhost)", value: (*boolValue)(&c.SecureCookies)},
		{name: "session-ttl", help: "idle lifetime of a login session", value: (*durationValue)(&c.SessionTTL)},
		{name: "log-level", help: "debug, info, warn or error", value: (*stringValue)(&c.LogLevel)},
		{name: "log-format", help: "text or json", value: (*stringValue)(&c.LogFormat)},
		{name: "max-body-bytes", help: "largest accepted request body in bytes", value: (*int64Value)(&c.MaxBodyBytes)},
		{name: "insecure-federation", help: "allow plain-HTTP federation without mutual TLS (local demos only)", value: (*boolValue)(&c.InsecureFederation)},
		{name: "federation-addr", help: "listen address of the mutual-TLS federation endpoint for peers, e.g. :8443 (empty: none)", value: (*stringValue)(&c.FederationAddr)},
		{name: "trusted-proxies", help: "reverse proxies whose X-Forwarded-For and X-Forwarded-Proto headers are believed: addresses or CIDR ranges, comma-separated, e.g. 127.0.0.1,10.0.0.0/24 (empty: none)", value: (*stringValue)(&c.TrustedProxies)},
		{name: "metrics-addr", help: "separate listen address for Prometheus /metrics, e.g. 127.0.0.1:9090 (empty: none)", value: (*stringValue)(&c.MetricsAddr)},
		{name: "metrics-token", help: "bearer token that /metrics on the main address requires (empty: /metrics is not served there)", secret: true, value: (*stringValue)(&c.MetricsToken)},
		{name: "shutdown-timeout", help: "how long to wait for requests to finish on shutdown", value: (*durationValue)(&c.ShutdownTimeout)},
		{name: "instance-sync", help: "PostgreSQL with several instances of the node: how often a standby tries to take over the background work and each instance catches up with the others' writes", value: (*durationValue)(&c.InstanceSync)},
		{name: "audit-retention", help: "how long audit records keep who, what and why before they are erased (hash and time stay; 0 keeps for ever), e.g. 1095d", value: (*durationValue)(&c.AuditRetention)},
		{name: "audit-witness-interval", help: "how often the signed audit checkpoint is sent to peers to witness, e.g. 10m", value: (*durationValue)(&c.AuditWitnessInterval)},
		{name: "exchange-urgent-deadline", help: "response deadline of urgent requests", value: (*durationValue)(&c.ExchangeUrgentDeadline)},
		{name: "exchange-database-deadline", help: "response deadline of requests for standard information available in a database", value: (*durationValue)(&c.ExchangeDatabaseDeadline)},
		{name: "exchange-default-deadline", help: "response deadline of other requests", value: (*durationValue)(&c.ExchangeDefaultDeadline)},
		{name: "exchange-retention", help: "review date of exchange threads after creation (deleted then unless a reason to keep is recorded)", value: (*durationValue)(&c.ExchangeRetention)},
		{name: "exchange-retention-action", help: "what happens to an exchange thread at its review date without a reason to keep: delete or anonymise (a thread may set its own)", value: (*stringValue)(&c.ExchangeRetentionAction)},
		{name: "mla-recognise-deadline", help: "time the requested side has to decide on recognising a judicial request, from receipt", value: (*durationValue)(&c.MLARecogniseDeadline)},
		{name: "mla-extension", help: "one extension of the recognition deadline of a judicial request", value: (*durationValue)(&c.MLAExtension)},
		{name: "mla-execute-deadline", help: "time the requested side has to execute a judicial request, from recognition", value: (*durationValue)(&c.MLAExecuteDeadline)},
		{name: "alerts-hit-deadline", help: "time the issuing country has to answer a hit report on its alert", value: (*durationValue)(&c.AlertsHitDeadline)},
		{name: "ops-report-within", help: "time to file the end-of-operation report after a hot pursuit, surveillance or controlled delivery ended", value: (*durationValue)(&c.OpsReportWithin)},
		{name: "ops-surveillance-deadline", help: "deadline for authorising urgent cross-border surveillance where the host state declared none in the directory", value: (*durationValue)(&c.OpsSurveillanceDeadline)},
		{name: "alerts-trace-deadline", help: "time a country has to answer a firearms tracing request", value: (*durationValue)(&c.AlertsTraceDeadline)},
		{name: "alerts-review-check", help: "review period of alerts for a discreet, inquiry or specific check, from validation or the last extension", value: (*durationValue)(&c.AlertsReviewCheck)},
		{name: "alerts-review-missing", help: "review period of alerts on missing persons", value: (*durationValue)(&c.AlertsReviewMissing)},
		{name: "alerts-review-judicial", help: "review period of alerts on persons sought for a judicial procedure", value: (*durationValue)(&c.AlertsReviewJudicial)},
		{name: "alerts-review-arrest", help: "review period of alerts for arrest with a view to surrender or extradition", value: (*durationValue)(&c.AlertsReviewArrest)},
		{name: "alerts-review-object", help: "review period of alerts on objects", value: (*durationValue)(&c.AlertsReviewObject)},
		{name: "alerts-review-warning", help: "how long before an alert's review date its issuer is warned", value: (*durationValue)(&c.AlertsReviewWarning)},
		{name: "smtp-addr", help: "SMTP relay host:port for e-mail notifications (empty: no e-mail)", value: (*stringValue)(&c.SMTPAddr)},
		{name: "smtp-from", help: "sender address of e-mail notifications", value: (*stringValue)(&c.SMTPFrom)},
		{name: "smtp-username", help: "SMTP user name (empty: no authentication)", value: (*stringValue)(&c.SMTPUsername)},
		{name: "smtp-password", help: "SMTP password", secret: true, value: (*stringValue)(&c.SMTPPassword)},
		{name: "backup-every", help: "take an encrypted backup this often while serving, e.g. 24h (0: no scheduled backups)", value: (*durationValue)(&c.BackupEvery)},
		{name: "backup-keep", help: "how many scheduled backups to keep in backup-dir", value: (*int64Value)(&c.BackupKeep)},
		{name: "backup-dir", help: "directory of scheduled backups, best on another disk", value: (*stringValue)(&c.BackupDir)},
		{name: "backup-recipient", help: "age public key(s) scheduled backups are encrypted to, separated by commas", value: (*stringValue)(&c.BackupRecipient)},
		{name: "pprl-secret", help: "regional secret (at least 16 bytes) from which the keys of privacy-preserving encodings are derived; the same on every node of the region (empty: private hit/no-hit off)", secret: true, value: (*stringValue)(&c.PPRLSecret)},
		{name: "pprl-previous-secret", help: "the regional secret before a rotation: private queries under it are still answered", secret: true, value: (*stringValue)(&c.PPRLPreviousSecret)},
		{name: "pprl-schema", help: "linkage schema file (JSON, clkhash v3 structure) instead of the built-in regional schema", value: (*stringValue)(&c.PPRLSchema)},
		{name: "pprl-require-private", help: "answer only private hit/no-hit queries; plain ones get a configuration error", value: (*boolValue)(&c.PPRLRequirePrivate)},
		{name: "backup-recipients-file", help: "file of age public keys, one a line, scheduled backups are encrypted to", value: (*stringValue)(&c.BackupRecipientsFile)},
	}
}

// Register adds every setting as a flag on fs and returns a function that,
// after fs.Parse, fills unset values from the environment and config file.
func (c *Config) Register(fs *flag.FlagSet) func(getenv func(string) string) error {
	set := c.settings()
	for _, s := range set {
		fs.Var(s.value, s.name, fmt.Sprintf("%s (env %s)", s.help, s.env()))
	}
	return func(getenv func(string) string) error {
		explicit := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
		fromEnv := map[string]string{}
		for _, s := range set {
			if v := getenv(s.env()); v != "" {
				fromEnv[s.name] = v
			}
		}
		if !explicit["config"] {
			if v, ok := fromEnv["config"]; ok {
				c.ConfigFile = v
			}
		}
		fromFile := map[string]string{}
		if c.ConfigFile != "" {
			var err error
			if fromFile, err = readFile(c.ConfigFile, set); err != nil {
				return err
			}
		}
		for _, s := range set {
			if explicit[s.name] || s.name == "config" {
				continue
			}
			v, ok := fromEnv[s.name]
			src := "environment variable " + s.env()
			if !ok {
				v, ok = fromFile[s.name]
				src = "config file " + c.ConfigFile
			}
			if !ok {
				continue
			}
			if err := s.value.Set(v); err != nil {
				return errs.Newf(errs.Invalid, "config", "%s: invalid value for %s: %v", src, s.name, err)
			}
		}
		return c.Validate()
	}
}

// Validate checks values that flags cannot.
func (c *Config) Validate() error {
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return errs.Newf(errs.Invalid, "config", "log-level must be debug, info, warn or error, not %q", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return errs.Newf(errs.Invalid, "config", "log-format must be text or json, not %q", c.LogFormat)
	}
	if c.NodeID == "" || strings.ContainsAny(c.NodeID, " /\\:") {
		return errs.Newf(errs.Invalid, "config", "node-id %q must be a short identifier such as rs or selec", c.NodeID)
	}
	switch c.ExchangeRetentionAction {
	case "delete", "anonymise", "":
	default:
		return errs.Newf(errs.Invalid, "config", "exchange-retention-action must be delete or anonymise, not %q", c.ExchangeRetentionAction)
	}
	if _, err := c.TrustedProxyPrefixes(); err != nil {
		return err
	}
	for name, v := range map[string]string{"pprl-secret": c.PPRLSecret, "pprl-previous-secret": c.PPRLPreviousSecret} {
		if v != "" && len(v) < 16 {
			return errs.Newf(errs.Invalid, "config", "%s must be at least 16 bytes", name)
		}
	}
	if c.PPRLRequirePrivate && c.PPRLSecret == "" {
		return errs.New(errs.Invalid, "config", "pprl-require-private needs pprl-secret")
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		return errs.New(errs.Invalid, "config", "metrics-token must have at least 16 characters")
	}
	if c.MaxBodyBytes < 1024 {
		return errs.New(errs.Invalid, "config", "max-body-bytes must be at least 1024")
	}
	if c.SessionTTL < time.Minute {
		return errs.New(errs.Invalid, "config", "session-ttl must be at least 1m")
	}
	if c.BackupEvery > 0 {
		switch {
		case c.BackupEvery < time.Minute:
			return errs.New(errs.Invalid, "config", "backup-every must be at least 1m")
		case c.BackupDir == "":
			return errs.New(errs.Invalid, "config", "backup-every needs backup-dir")
		case c.BackupRecipient == "" && c.BackupRecipientsFile == "":
			return errs.New(errs.Invalid, "config", "backup-every needs backup-recipient or backup-recipients-file: backups are always encrypted")
		case c.BackupKeep < 1:
			return errs.New(errs.Invalid, "config", "backup-keep must be at least 1")
		}
	}
	if c.DB != "" && !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") && !strings.HasPrefix(c.DB, "sqlite:") {
		return errs.New(errs.Invalid, "config", "db must be empty (SQLite in the data directory), sqlite:PATH or a postgres:// URL")
	}
	return nil
}

func readFile(path string, set []setting) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, "config", "cannot read config file "+path, err)
	}
	defer f.Close()
	byName := map[string]string{}
	for _, s := range set {
		byName[s.name] = s.name
		byName[s.env()] = s.name
	}
	out := map[string]string{}
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		k, v, ok := strings.Cut(text, "=")
		if !ok {
			return nil, errs.Newf(errs.Invalid, "config", "%s line %d: expected KEY=VALUE", path, line)
		}
		k = strings.TrimSpace(k)
		name, known := byName[k]
		if !known {
			return nil, errs.Newf(errs.Invalid, "config", "%s line %d: unknown setting %q", path, line, k)
		}
		out[name] = strings.Trim(strings.TrimSpace(v), `"`)
	}
	if err := sc.Err(); err != nil {
		return nil, errs.Wrap(errs.Invalid, "config", "cannot read config file "+path, err)
	}
	return out, nil
}

// Redacted lists every setting as name=value with secrets hidden, for logs
// and `liaison serve --print-config`.
func (c *Config) Redacted() []string {
	var out []string
	for _, s := range c.settings() {
		v := s.value.String()
		if s.secret && v != "" {
			v = redact(s.name, v)
		}
		out = append(out, s.name+"="+v)
	}
	sort.Strings(out)
	return out
}

func redact(name, v string) string {
	if name == "db" {
		// Keep the host visible for operators; drop credentials.
		if at := strings.LastIndex(v, "@"); at >= 0 {
			if scheme := strings.Index(v, "://"); scheme >= 0 && scheme < at {
				return v[:scheme+3] + "[redacted]" + v[at:]
			}
		}
		return v
	}
	return "[redacted]"
}

// BackupRecipients splits BackupRecipient into keys.
func (c *Config) BackupRecipients() []string {
	return strings.FieldsFunc(c.BackupRecipient, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })
}

// UsesPostgres reports whether the configured database is PostgreSQL.
func (c *Config) UsesPostgres() bool {
	return strings.HasPrefix(c.DB, "postgres://") || strings.HasPrefix(c.DB, "postgresql://")
}

type stringValue string

func (s *stringValue) Set(v string) error { *s = stringValue(v); return nil }
func (s *stringValue) String() string {
	if s == nil {
		return ""
	}
	return string(*s)
}

type boolValue bool

func (b *boolValue) Set(v string) error {
	p, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("want true or false")
	}
	*b = boolValue(p)
	return nil
}
func (b *boolValue) String() string {
	if b == nil {
		return "false"
	}
	return strconv.FormatBool(bool(*b))
}
func (b *boolValue) IsBoolFlag() bool { return true }

type int64Value int64

func (i *int64Value) Set(v string) error {
	p, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return fmt.Errorf("want a whole number")
	}
	*i = int64Value(p)
	return nil
}
func (i *int64Value) String() string {
	if i == nil {
		return "0"
	}
	return strconv.FormatInt(int64(*i), 10)
}

type durationValue time.Duration

func (d *durationValue) Set(v string) error {
	p, err := ParseDuration(v)
	if err != nil {
		return err
	}
	*d = durationValue(p)
	return nil
}

// ParseDuration reads a Go duration (30s, 15m, 8h) or a whole number of days
// (30d, 1095d): retention and legal deadlines are set in days.
func ParseDuration(v string) (time.Duration, error) {
	bad := fmt.Errorf("want a duration such as 30s, 15m, 8h or 30d")
	v = strings.TrimSpace(v)
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n < 0 || n > 100*366 {
			return 0, bad
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	p, err := time.ParseDuration(v)
	if err != nil || p < 0 {
		return 0, bad
	}
	return p, nil
}
func (d *durationValue) String() string {
	if d == nil {
		return "0s"
	}
	if p := time.Duration(*d); p >= 24*time.Hour && p%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(p/(24*time.Hour)), 10) + "d"
	}
	return time.Duration(*d).String()
}

// TrustedProxyPrefixes parses TrustedProxies.
func (c *Config) TrustedProxyPrefixes() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(c.TrustedProxies, func(r rune) bool { return r == ',' || r == ' ' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, errs.Newf(errs.Invalid, "config", "trusted-proxies: %q is neither an address nor a CIDR range", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
