// Package config reads gisgw's configuration: one YAML file, then GISGW_* environment
// overrides, then command-line flags for the essentials. Decoding is strict (an unknown or
// misspelt key is an error naming it), the zero value of every setting means "the default",
// and secrets print as [redacted] wherever the configuration is shown or logged.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Secret is a password, token or key passphrase. It never prints its value.
type Secret string

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString keeps %#v from printing the value either.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// MarshalYAML writes the redaction, so a dumped configuration carries no secret.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalText is used by JSON and slog.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Reveal returns the value, for the one place that needs it.
func (s Secret) Reveal() string { return string(s) }

// Duration is a time.Duration written as "90s", "15m", "2h".
type Duration time.Duration

func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (use e.g. 30s, 15m, 2h)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Config is the whole configuration.
type Config struct {
	DB            string         `yaml:"db"`     // postgres:// URL or SQLite file path
	Listen        string         `yaml:"listen"` // dashboard, /metrics, /healthz
	Log           Log            `yaml:"log"`
	GIS           GIS            `yaml:"gis"`
	Signing       Signing        `yaml:"signing"`
	Organizations []Organization `yaml:"organizations"`
	Pipeline      Pipeline       `yaml:"pipeline"`
	Dashboard     Dashboard      `yaml:"dashboard"`
	Alerts        Alerts         `yaml:"alerts"`
	Review        Review         `yaml:"review"`
	// Calendar lists production-calendar files (xmlcalendar.ru XML) laid over the embedded
	// calendar: a year added or corrected without a rebuild.
	Calendar []string `yaml:"calendar"`
	// DocumentsDir is the folder of the court-act files. A relative document path recorded by
	// an import is resolved against it when the file is uploaded, so one store works on the
	// host and in a container that mounts the folder elsewhere; absolute paths stay as they are.
	DocumentsDir string `yaml:"documents_dir"`
}

// DocumentPath is where the court-act file recorded as p is read from: p itself when it is
// absolute (or no documents_dir is set), else p inside documents_dir.
func (c Config) DocumentPath(p string) string {
	if p == "" || filepath.IsAbs(p) || c.DocumentsDir == "" {
		return p
	}
	return filepath.Join(c.DocumentsDir, p)
}

type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // json or text
}

// GIS is how to reach GIS ZhKKh.
type GIS struct {
	Endpoint           string     `yaml:"endpoint"` // https://api.dom.gosuslugi.ru, or http://127.0.0.1:8080 to a local stunnel
	ClientCert         string     `yaml:"client_cert"`
	ClientKey          string     `yaml:"client_key"`
	CA                 string     `yaml:"ca"`
	InsecureSkipVerify bool       `yaml:"insecure_skip_verify"`
	BasicUser          string     `yaml:"basic_user"` // test stands only
	BasicPassword      Secret     `yaml:"basic_password"`
	Timeout            Duration   `yaml:"timeout"`
	Poll               []Duration `yaml:"poll"`       // getState schedule; the last value repeats
	PollLimit          Duration   `yaml:"poll_limit"` // longest getState polling of one message; default 2h
	DumpDir            string     `yaml:"dump_dir"`
	Retry              Retry      `yaml:"retry"`
	// FirstPullDays limits how many days back an organization's first pull reaches; 0: as
	// far as GIS keeps sub-requests (since 2022-01-01, when answers through GIS began), so
	// that earlier automatic answers and answers sent elsewhere are counted.
	FirstPullDays int `yaml:"first_pull_days"`
}

// Signing is the organization's key for XAdES signatures.
// Retry bounds the retries of one GIS call after a transient failure (EXP001000, HTTP 5xx,
// a dropped connection); each retry is a fresh message. Zero values take the defaults.
type Retry struct {
	Initial    Duration `yaml:"initial"`     // first wait; default 2s
	Max        Duration `yaml:"max"`         // cap of one wait; default 1m
	MaxElapsed Duration `yaml:"max_elapsed"` // give up on the call after this long; default 5m
	MaxRetries int      `yaml:"max_retries"` // default 5
}

type Signing struct {
	Key  string `yaml:"key"`  // PEM PKCS#8
	Cert string `yaml:"cert"` // PEM or DER
	// Container is a CryptoPro CSP key container folder (header.key, masks.key, …) used
	// instead of Key; Cert may then be left empty when the container carries the
	// certificate. KeyPassword is the container's PIN.
	Container   string `yaml:"container"`
	KeyPassword Secret `yaml:"key_password"`
	// RefuseExpired refuses to sign while the certificate is outside its validity (GIS
	// rejects such a signature anyway): the daemon runs, sends nothing and says why; false
	// only warns. Unset means true.
	RefuseExpired *bool `yaml:"refuse_expired"`
}

// RefusesExpired is RefuseExpired with its default applied.
func (s Signing) RefusesExpired() bool { return s.RefuseExpired == nil || *s.RefuseExpired }

// Organization is one organization the daemon answers for.
type Organization struct {
	OrgPPAGUID   string `yaml:"org_ppa_guid"`
	Name         string `yaml:"name"`
	ExecutorGUID string `yaml:"executor_guid"` // the employee registered in GIS who answers
	// OperatorSignature marks every message for this organization IsOperatorSignature=true:
	// a settlement centre signs with its own key for several organizations (LEGAL-RULES
	// §10.9). An organization signing with its own key leaves it false.
	OperatorSignature bool `yaml:"operator_signature"`
}

// Pipeline tunes the daemon's work loop.
type Pipeline struct {
	BatchSize    int      `yaml:"batch_size"`     // actions per importDSRResponsesRequest, 1..100
	Concurrency  int      `yaml:"concurrency"`    // messages in flight
	PullInterval Duration `yaml:"pull_interval"`  // how often to ask GIS for new sub-requests
	PullWindow   Duration `yaml:"pull_window"`    // deprecated: gis.first_pull_days; used when that is 0
	PullRetry    Duration `yaml:"pull_retry"`     // first wait after a failed pull, doubling; default 5s
	PullRetryMax Duration `yaml:"pull_retry_max"` // longest wait between failed pulls; default 5m
	// RefreshEvery is how often the same overdue open sub-requests are looked up in GIS at
	// most (each look-up is an export); default 5m.
	RefreshEvery Duration `yaml:"refresh_every"`
	// RecheckEvery is how often the daemon decides the answers GIS holds again, to offer a
	// correction of those the data no longer support (LEGAL-RULES §10.7); default 1h.
	RecheckEvery Duration `yaml:"recheck_every"`
	FileRetry    Duration `yaml:"file_retry"`     // first retry of an answer whose court-act file failed; default 15s
	FileRetryMax Duration `yaml:"file_retry_max"` // longest wait between those retries; default 1m
	// UnreadyAfter failed passes in a row of one organization make /readyz answer 503;
	// default 3.
	UnreadyAfter int      `yaml:"unready_after"`
	Lease        Duration `yaml:"lease"`         // how long a replica holds work before another may take it
	Settle       Duration `yaml:"settle"`        // how long a message GIS never acknowledged waits before it is checked and resent
	ShutdownWait Duration `yaml:"shutdown_wait"` // how long SIGTERM waits for in-flight work
}

// MinDashboardToken is the shortest dashboard.token accepted, in characters (the dashboard
// refuses a shorter one too).
const MinDashboardToken = 24

// Dashboard is the compliance officers' web view.
type Dashboard struct {
	Token Secret            `yaml:"token"` // bearer token or ?token= login
	Users map[string]Secret `yaml:"users"` // basic-auth users: name → password
	URL   string            `yaml:"url"`   // how people reach the dashboard (links in alerts); empty: no links
}

// Alerts tells officers about deadlines and failures.
type Alerts struct {
	DaysBefore int      `yaml:"days_before"` // working days before a deadline
	Every      Duration `yaml:"every"`       // how often due alerts are checked; default 30s
	Webhook    string   `yaml:"webhook"`
	SMTP       SMTP     `yaml:"smtp"`
	To         []string `yaml:"to"`
	// Inventory sends the previous month's inventory of court-confirmed debts to the
	// channels above on the first working day of each month (the XLSX attached to the e-mail).
	Inventory bool `yaml:"inventory"`
}

// Review is what happens to sub-requests that wait for a person.
type Review struct {
	// OnDeadline maps a review reason code to what happens one working day before the
	// deadline when no person has acted: OnDeadlineWait (the default) or OnDeadlineNoDebt.
	// match's no_house defaults to OnDeadlineNoDebt (LEGAL-RULES §10.8); "debt" is refused.
	OnDeadline map[string]string `yaml:"on_deadline"`
}

// The values of review.on_deadline.
const (
	OnDeadlineWait   = "wait"
	OnDeadlineNoDebt = "no_debt"
)

// DefaultOnDeadline is review.on_deadline before the file's entries: every reason not listed
// waits for a person, except a house that matches no house of the organization. decide's
// no_premises only restates the match reason that found nothing (it never comes alone), so
// it does not hold back what that reason's setting says.
func DefaultOnDeadline() map[string]string {
	return map[string]string{"no_house": OnDeadlineNoDebt, "no_premises": OnDeadlineNoDebt}
}

// NoDebtAtDeadline lists, sorted, the reason codes whose sub-requests are answered "no debt"
// one working day before the deadline: the defaults with the file's entries laid over.
func (r Review) NoDebtAtDeadline() []string {
	policy := DefaultOnDeadline()
	maps.Copy(policy, r.OnDeadline)
	var out []string
	for code, v := range policy {
		if v == OnDeadlineNoDebt {
			out = append(out, code)
		}
	}
	slices.Sort(out)
	return out
}

// ReviewCodes lists the review reason codes review.on_deadline accepts: those of
// responder/match and responder/decide, written out because those packages' tests import
// this one (a test keeps the list equal to their constants).
func ReviewCodes() []string {
	return []string{
		"no_match", "no_house", "ambiguous", "address_only", "unparsed_details", "unit_from_address", "no_unit",
		"room_as_flat", "building",
		"no_premises", "partial_period", "unknown_months", "no_document", "no_debtors", "no_period", "bad_period",
		"future_cancel", "unknown_balance", "no_sent_date",
	}
}

type SMTP struct {
	Addr     string `yaml:"addr"`
	From     string `yaml:"from"`
	User     string `yaml:"user"`
	Password Secret `yaml:"password"`
}

// Defaults.
const (
	DefaultListen       = "127.0.0.1:8686"
	DefaultBatchSize    = 100
	DefaultConcurrency  = 4
	DefaultPullInterval = 15 * time.Minute
	DefaultPullRetry    = 5 * time.Second
	DefaultPullRetryMax = 5 * time.Minute
	DefaultRefreshEvery = 5 * time.Minute
	DefaultRecheckEvery = time.Hour
	DefaultFileRetry    = 15 * time.Second
	DefaultFileRetryMax = time.Minute
	DefaultUnreadyAfter = 3
	DefaultAlertEvery   = 30 * time.Second
	DefaultLease        = 5 * time.Minute
	DefaultShutdownWait = 30 * time.Second
	DefaultTimeout      = 60 * time.Second
	DefaultPollLimit    = 2 * time.Hour
	DefaultAlertDays    = 2
)

// DefaultPoll is the getState schedule GIS's documentation asks for.
var DefaultPoll = []time.Duration{10 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute}

// WithDefaults returns c with every unset setting at its default.
func (c Config) WithDefaults() Config {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "json"
	}
	if c.GIS.Timeout == 0 {
		c.GIS.Timeout = Duration(DefaultTimeout)
	}
	if c.GIS.PollLimit == 0 {
		c.GIS.PollLimit = Duration(DefaultPollLimit)
	}
	if len(c.GIS.Poll) == 0 {
		for _, d := range DefaultPoll {
			c.GIS.Poll = append(c.GIS.Poll, Duration(d))
		}
	}
	p := &c.Pipeline
	if p.BatchSize == 0 {
		p.BatchSize = DefaultBatchSize
	}
	if p.Concurrency == 0 {
		p.Concurrency = DefaultConcurrency
	}
	if p.PullInterval == 0 {
		p.PullInterval = Duration(DefaultPullInterval)
	}
	if p.PullRetry == 0 {
		p.PullRetry = Duration(DefaultPullRetry)
	}
	if p.PullRetryMax == 0 {
		p.PullRetryMax = Duration(max(DefaultPullRetryMax, time.Duration(p.PullRetry)))
	}
	if p.RefreshEvery == 0 {
		p.RefreshEvery = Duration(DefaultRefreshEvery)
	}
	if p.RecheckEvery == 0 {
		p.RecheckEvery = Duration(DefaultRecheckEvery)
	}
	if p.FileRetry == 0 {
		p.FileRetry = Duration(DefaultFileRetry)
	}
	if p.FileRetryMax == 0 {
		p.FileRetryMax = Duration(max(DefaultFileRetryMax, time.Duration(p.FileRetry)))
	}
	if p.UnreadyAfter == 0 {
		p.UnreadyAfter = DefaultUnreadyAfter
	}
	if c.Alerts.Every == 0 {
		c.Alerts.Every = Duration(DefaultAlertEvery)
	}
	if p.Lease == 0 {
		p.Lease = Duration(DefaultLease)
	}
	if p.ShutdownWait == 0 {
		p.ShutdownWait = Duration(DefaultShutdownWait)
	}
	if c.Alerts.DaysBefore == 0 {
		c.Alerts.DaysBefore = DefaultAlertDays
	}
	if c.Signing.RefuseExpired == nil {
		refuse := true
		c.Signing.RefuseExpired = &refuse
	}
	return c
}

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Validate checks a configuration with defaults applied; every message names the key.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, a...)))
	}
	if c.DB == "" {
		bad("db", "required: a postgres:// URL or a SQLite file path")
	}
	if c.GIS.Endpoint == "" {
		bad("gis.endpoint", "required, e.g. https://api.dom.gosuslugi.ru")
	} else if u, err := url.Parse(c.GIS.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("gis.endpoint", "%q is not an http(s) URL", Redact(c.GIS.Endpoint))
	}
	if (c.GIS.ClientCert == "") != (c.GIS.ClientKey == "") {
		bad("gis.client_cert", "client_cert and client_key go together")
	}
	if c.DocumentsDir != "" && !filepath.IsAbs(c.DocumentsDir) {
		bad("documents_dir", "%q must be an absolute path (the daemon's working folder is not the importer's)", c.DocumentsDir)
	}
	if c.Signing.Container != "" && c.Signing.Key != "" {
		bad("signing.container", "give either signing.key or signing.container, not both")
	}
	if len(c.Organizations) == 0 {
		bad("organizations", "at least one organization is required (org_ppa_guid, executor_guid)")
	}
	seen := map[string]bool{}
	for i, o := range c.Organizations {
		key := fmt.Sprintf("organizations[%d]", i)
		if !guidRE.MatchString(o.OrgPPAGUID) {
			bad(key+".org_ppa_guid", "%q is not a GUID", o.OrgPPAGUID)
		} else if seen[strings.ToLower(o.OrgPPAGUID)] {
			bad(key+".org_ppa_guid", "%s is listed twice", o.OrgPPAGUID)
		}
		seen[strings.ToLower(o.OrgPPAGUID)] = true
		if !guidRE.MatchString(o.ExecutorGUID) {
			bad(key+".executor_guid", "%q is not a GUID (the employee's GUID from the GIS cabinet, Администрирование → Сотрудники)", o.ExecutorGUID)
		}
	}
	if c.Pipeline.BatchSize < 1 || c.Pipeline.BatchSize > 100 {
		bad("pipeline.batch_size", "%d is outside 1..100 (GIS accepts at most 100 actions per message)", c.Pipeline.BatchSize)
	}
	if c.Pipeline.Concurrency < 1 || c.Pipeline.Concurrency > 32 {
		bad("pipeline.concurrency", "%d is outside 1..32", c.Pipeline.Concurrency)
	}
	for i, d := range c.GIS.Poll {
		if d <= 0 {
			bad(fmt.Sprintf("gis.poll[%d]", i), "must be positive")
		}
	}
	if c.GIS.FirstPullDays < 0 {
		bad("gis.first_pull_days", "must not be negative (0: as far back as GIS keeps sub-requests)")
	}
	for _, s := range []struct {
		key string
		d   Duration
	}{
		{"pipeline.pull_retry", c.Pipeline.PullRetry}, {"pipeline.pull_retry_max", c.Pipeline.PullRetryMax},
		{"pipeline.refresh_every", c.Pipeline.RefreshEvery}, {"pipeline.recheck_every", c.Pipeline.RecheckEvery},
		{"pipeline.file_retry", c.Pipeline.FileRetry},
		{"pipeline.file_retry_max", c.Pipeline.FileRetryMax}, {"alerts.every", c.Alerts.Every},
	} {
		if s.d < 0 {
			bad(s.key, "must be positive")
		}
	}
	if c.Pipeline.PullRetryMax < c.Pipeline.PullRetry {
		bad("pipeline.pull_retry_max", "must not be shorter than pipeline.pull_retry")
	}
	if c.Pipeline.FileRetryMax < c.Pipeline.FileRetry {
		bad("pipeline.file_retry_max", "must not be shorter than pipeline.file_retry")
	}
	if c.Pipeline.UnreadyAfter < 0 {
		bad("pipeline.unready_after", "must be positive (failed passes in a row before /readyz says 503)")
	}
	if c.GIS.PollLimit < 0 {
		bad("gis.poll_limit", "must be positive (the longest wait for GIS to process one message, e.g. 2h)")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q is not one of debug, info, warn, error", c.Log.Level)
	}
	switch c.Log.Format {
	case "json", "text":
	default:
		bad("log.format", "%q is not json or text", c.Log.Format)
	}
	if n := utf8.RuneCountInString(string(c.Dashboard.Token)); n > 0 && n < MinDashboardToken {
		bad("dashboard.token", "has %d characters, at least %d are required (a short token is guessed): generate one with 'openssl rand -base64 32'", n, MinDashboardToken)
	}
	if c.Alerts.DaysBefore < 0 {
		bad("alerts.days_before", "must not be negative")
	}
	codes := ReviewCodes()
	for _, code := range slices.Sorted(maps.Keys(c.Review.OnDeadline)) {
		key := "review.on_deadline." + code
		if !slices.Contains(codes, code) {
			bad(key, "%q is not a review reason code; known: %s", code, strings.Join(codes, ", "))
		}
		switch v := c.Review.OnDeadline[code]; v {
		case OnDeadlineWait, OnDeadlineNoDebt:
		case "debt":
			bad(key, "\"debt\" is refused: an automatic \"debt\" is never sent (LEGAL-RULES §10.8); use %s or %s", OnDeadlineWait, OnDeadlineNoDebt)
		default:
			bad(key, "%q is not %s or %s", v, OnDeadlineWait, OnDeadlineNoDebt)
		}
	}
	return errors.Join(errs...)
}

// Parse decodes YAML strictly: unknown keys and wrong types are errors with line numbers.
func Parse(r io.Reader) (Config, error) {
	var c Config
	data, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return c, nil // an empty file is a valid, all-default configuration
		}
		return c, fmt.Errorf("config: %s", nameKeys(data, err))
	}
	return c, nil
}

var lineRE = regexp.MustCompile(`line (\d+): `)

// nameKeys adds the dotted key to yaml's "line N: ..." messages, which name only the line.
func nameKeys(data []byte, err error) string {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return err.Error()
	}
	return lineRE.ReplaceAllStringFunc(err.Error(), func(m string) string {
		n, _ := strconv.Atoi(lineRE.FindStringSubmatch(m)[1])
		if key := keyAtLine(&root, n, ""); key != "" {
			return fmt.Sprintf("line %d (%s): ", n, key)
		}
		return m
	})
}

func keyAtLine(n *yaml.Node, line int, prefix string) string {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if k := keyAtLine(c, line, prefix); k != "" {
				return k
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if prefix != "" {
				key = prefix + "." + key
			}
			if n.Content[i].Line == line {
				return key
			}
			if k := keyAtLine(n.Content[i+1], line, key); k != "" {
				return k
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if k := keyAtLine(c, line, fmt.Sprintf("%s[%d]", prefix, i)); k != "" {
				return k
			}
		}
	}
	return ""
}

// Load reads the file at path (none when path is empty), then applies GISGW_* variables
// from environ (os.Environ() in production).
func Load(path string, environ []string) (Config, error) {
	var c Config
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("read config: %w", err)
		}
		if c, err = Parse(bytes.NewReader(b)); err != nil {
			return c, fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := c.ApplyEnv(environ); err != nil {
		return c, err
	}
	return c, nil
}

// envKeys maps GISGW_* variables to settings.
var envKeys = map[string]func(c *Config, v string) error{
	"GISGW_DB":                  func(c *Config, v string) error { c.DB = v; return nil },
	"GISGW_LISTEN":              func(c *Config, v string) error { c.Listen = v; return nil },
	"GISGW_LOG_LEVEL":           func(c *Config, v string) error { c.Log.Level = v; return nil },
	"GISGW_LOG_FORMAT":          func(c *Config, v string) error { c.Log.Format = v; return nil },
	"GISGW_ENDPOINT":            func(c *Config, v string) error { c.GIS.Endpoint = v; return nil },
	"GISGW_CLIENT_CERT":         func(c *Config, v string) error { c.GIS.ClientCert = v; return nil },
	"GISGW_CLIENT_KEY":          func(c *Config, v string) error { c.GIS.ClientKey = v; return nil },
	"GISGW_CA":                  func(c *Config, v string) error { c.GIS.CA = v; return nil },
	"GISGW_BASIC_USER":          func(c *Config, v string) error { c.GIS.BasicUser = v; return nil },
	"GISGW_BASIC_PASSWORD":      func(c *Config, v string) error { c.GIS.BasicPassword = Secret(v); return nil },
	"GISGW_DUMP_DIR":            func(c *Config, v string) error { c.GIS.DumpDir = v; return nil },
	"GISGW_DOCUMENTS_DIR":       func(c *Config, v string) error { c.DocumentsDir = v; return nil },
	"GISGW_KEY":                 func(c *Config, v string) error { c.Signing.Key = v; return nil },
	"GISGW_CERT":                func(c *Config, v string) error { c.Signing.Cert = v; return nil },
	"GISGW_CONTAINER":           func(c *Config, v string) error { c.Signing.Container = v; return nil },
	"GISGW_KEY_PASSWORD":        func(c *Config, v string) error { c.Signing.KeyPassword = Secret(v); return nil },
	"GISGW_DASHBOARD_TOKEN":     func(c *Config, v string) error { c.Dashboard.Token = Secret(v); return nil },
	"GISGW_SMTP_PASSWORD":       func(c *Config, v string) error { c.Alerts.SMTP.Password = Secret(v); return nil },
	"GISGW_ORG":                 func(c *Config, v string) error { return c.setSingleOrg(v, "") },
	"GISGW_EXECUTOR":            func(c *Config, v string) error { return c.setSingleOrg("", v) },
	"GISGW_PIPELINE_BATCH_SIZE": func(c *Config, v string) error { return setInt(&c.Pipeline.BatchSize, v) },
	"GISGW_PIPELINE_CONCURRENCY": func(c *Config, v string) error {
		return setInt(&c.Pipeline.Concurrency, v)
	},
	"GISGW_PULL_INTERVAL": func(c *Config, v string) error { return setDuration(&c.Pipeline.PullInterval, v) },
}

// ApplyEnv applies GISGW_* variables; an unknown GISGW_ variable is an error, so a typo does
// not go unnoticed.
func (c *Config) ApplyEnv(environ []string) error {
	var errs []error
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, "GISGW_") {
			continue
		}
		set, known := envKeys[k]
		if !known {
			if k == "GISGW_CONFIG" {
				continue
			}
			errs = append(errs, fmt.Errorf("environment %s: unknown setting", k))
			continue
		}
		if err := set(c, v); err != nil {
			errs = append(errs, fmt.Errorf("environment %s: %w", k, err))
		}
	}
	return errors.Join(errs...)
}

// Flags are the essentials that may be given on the command line; empty means "not given".
type Flags struct {
	DB, Endpoint, Org, Executor, Key, Cert, Listen string
}

// ApplyFlags overrides the configuration with the flags that were given.
func (c *Config) ApplyFlags(f Flags) error {
	if f.DB != "" {
		c.DB = f.DB
	}
	if f.Endpoint != "" {
		c.GIS.Endpoint = f.Endpoint
	}
	if f.Key != "" {
		c.Signing.Key = f.Key
	}
	if f.Cert != "" {
		c.Signing.Cert = f.Cert
	}
	if f.Listen != "" {
		c.Listen = f.Listen
	}
	if f.Org != "" || f.Executor != "" {
		if err := c.setSingleOrg(f.Org, f.Executor); err != nil {
			return fmt.Errorf("--org/--executor: %w", err)
		}
	}
	return nil
}

// setSingleOrg sets the organization (or its executor) when the configuration has at most
// one; with several organizations the file must say which executor answers for which.
func (c *Config) setSingleOrg(org, executor string) error {
	switch len(c.Organizations) {
	case 0:
		c.Organizations = []Organization{{}}
	case 1:
	default:
		return fmt.Errorf("the configuration lists %d organizations; set them in the file", len(c.Organizations))
	}
	if org != "" {
		c.Organizations[0].OrgPPAGUID = org
	}
	if executor != "" {
		c.Organizations[0].ExecutorGUID = executor
	}
	return nil
}

func setInt(dst *int, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", v)
	}
	*dst = n
	return nil
}

func setDuration(dst *Duration, v string) error {
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%q is not a duration (use e.g. 30s, 15m)", v)
	}
	*dst = Duration(d)
	return nil
}

// Dump writes the configuration as YAML with secrets redacted: the Secret settings, the
// passwords of the database DSN and of URLs, and the webhook's path and query.
func (c Config) Dump(w io.Writer) error {
	c.DB = Redact(c.DB)
	c.GIS.Endpoint = Redact(c.GIS.Endpoint)
	c.Dashboard.URL = Redact(c.Dashboard.URL)
	c.Alerts.Webhook = Redact(c.Alerts.Webhook, c.Alerts.Webhook)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return fmt.Errorf("dump config: %w", err)
	}
	return enc.Close()
}
