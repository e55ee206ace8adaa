package config_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/config"
)

const org = "6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"
const exec = "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"

func TestExampleFileIsValid(t *testing.T) {
	t.Parallel()
	c, err := config.Load("../../deploy/gisgw.example.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("example config does not validate: %v", err)
	}
	if len(c.Organizations) != 1 || c.Organizations[0].OrgPPAGUID != org {
		t.Errorf("organizations = %+v", c.Organizations)
	}
	if time.Duration(c.GIS.Poll[1]) != time.Minute || c.Pipeline.BatchSize != 100 {
		t.Errorf("poll/batch = %v %d", c.GIS.Poll, c.Pipeline.BatchSize)
	}
}

func TestStrictDecodingNamesTheKey(t *testing.T) {
	t.Parallel()
	cases := map[string]struct{ yaml, want string }{
		"unknown top key":    {"db: x\ndatabse: y\n", "databse"},
		"unknown nested key": {"gis:\n  endpiont: http://x\n", "endpiont"},
		"bad duration":       {"pipeline:\n  pull_interval: soon\n", `"soon" is not a duration`},
		"wrong type":         {"pipeline:\n  batch_size: many\n", "batch_size"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Parse(strings.NewReader(c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want mention of %q", err, c.want)
			}
			if !strings.Contains(err.Error(), "line") {
				t.Errorf("error %q has no line number", err)
			}
		})
	}
}

func TestValidateNamesEveryBadKey(t *testing.T) {
	t.Parallel()
	c := config.Config{
		GIS:           config.GIS{Endpoint: "ftp://x", ClientCert: "a.pem"},
		Organizations: []config.Organization{{OrgPPAGUID: "nope", ExecutorGUID: exec}, {OrgPPAGUID: org}},
		Pipeline:      config.Pipeline{BatchSize: 101},
	}.WithDefaults()
	err := c.Validate()
	if err == nil {
		t.Fatal("want errors")
	}
	for _, key := range []string{"db:", "gis.endpoint:", "gis.client_cert:", "organizations[0].org_ppa_guid:", "organizations[1].executor_guid:", "pipeline.batch_size:"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s:\n%v", key, err)
		}
	}
}

func TestEnvAndFlagsOverride(t *testing.T) {
	t.Parallel()
	c, err := config.Parse(strings.NewReader("db: file.db\ngis:\n  endpoint: http://a\n"))
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=/bin", "GISGW_ENDPOINT=http://b", "GISGW_ORG=" + org, "GISGW_EXECUTOR=" + exec, "GISGW_KEY_PASSWORD=hunter2", "GISGW_PIPELINE_BATCH_SIZE=20"}
	if err := c.ApplyEnv(env); err != nil {
		t.Fatal(err)
	}
	if c.GIS.Endpoint != "http://b" || c.Organizations[0].OrgPPAGUID != org || c.Pipeline.BatchSize != 20 || c.Signing.KeyPassword.Reveal() != "hunter2" {
		t.Fatalf("env not applied: %+v", c)
	}
	if err := c.ApplyFlags(config.Flags{DB: "postgres://x", Endpoint: "http://c"}); err != nil {
		t.Fatal(err)
	}
	if c.DB != "postgres://x" || c.GIS.Endpoint != "http://c" {
		t.Fatalf("flags not applied: db=%s endpoint=%s", c.DB, c.GIS.Endpoint)
	}
	if err := c.WithDefaults().Validate(); err != nil {
		t.Fatal(err)
	}
	if err := c.ApplyEnv([]string{"GISGW_ENDPONT=x"}); err == nil || !strings.Contains(err.Error(), "GISGW_ENDPONT") {
		t.Fatalf("unknown variable not reported: %v", err)
	}
	if err := c.ApplyEnv([]string{"GISGW_PIPELINE_BATCH_SIZE=lots"}); err == nil {
		t.Fatal("bad number accepted")
	}
	two := config.Config{Organizations: []config.Organization{{}, {}}}
	if err := two.ApplyFlags(config.Flags{Org: org}); err == nil {
		t.Fatal("--org with two organizations accepted")
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-Пароль"
	c := config.Config{
		DB:        "x.db",
		GIS:       config.GIS{Endpoint: "http://x", BasicPassword: secret},
		Signing:   config.Signing{KeyPassword: secret},
		Dashboard: config.Dashboard{Token: secret, Users: map[string]config.Secret{"officer": secret}},
		Alerts:    config.Alerts{SMTP: config.SMTP{Password: secret}},
	}
	var dump bytes.Buffer
	if err := c.Dump(&dump); err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(c)
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "config", c)
	outputs := map[string]string{
		"dump": dump.String(), "json": string(js), "slog": logged.String(),
		"%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c),
	}
	for how, out := range outputs {
		if strings.Contains(out, secret) {
			t.Errorf("%s shows the secret:\n%s", how, out)
		}
	}
	if !strings.Contains(dump.String(), "[redacted]") {
		t.Errorf("dump does not show that a secret is set:\n%s", dump.String())
	}
}

func TestEmptyFileIsAllDefaults(t *testing.T) {
	t.Parallel()
	c, err := config.Parse(strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	c = c.WithDefaults()
	if c.Listen != config.DefaultListen || time.Duration(c.Pipeline.Lease) != config.DefaultLease {
		t.Fatalf("defaults = %+v", c)
	}
}

func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("../../deploy/gisgw.example.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("gis: [1, 2\n"))
	f.Add([]byte("organizations:\n  - org_ppa_guid: &a x\n    name: *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		_ = c.WithDefaults().Validate()
	})
}

func TestPollLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		yaml    string
		want    time.Duration
		wantErr string
	}{
		{"", config.DefaultPollLimit, ""},
		{"gis:\n  poll_limit: 45m\n", 45 * time.Minute, ""},
		{"gis:\n  poll_limit: -1m\n", 0, "gis.poll_limit"},
		{"gis:\n  poll_limit: later\n", 0, `"later" is not a duration`},
	} {
		c, err := config.Parse(strings.NewReader(tc.yaml))
		if err == nil {
			c = c.WithDefaults()
			err = c.Validate()
		}
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: err = %v, want %q", tc.yaml, err, tc.wantErr)
			}
			continue
		}
		if time.Duration(c.GIS.PollLimit) != tc.want {
			t.Errorf("%q: poll_limit = %s, want %s", tc.yaml, time.Duration(c.GIS.PollLimit), tc.want)
		}
	}
	if config.DefaultPollLimit != 2*time.Hour {
		t.Errorf("default poll limit %s, want 2h", config.DefaultPollLimit)
	}
}

func TestResilienceSettings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		yaml    string
		check   func(c config.Config) bool
		wantErr string
	}{
		{"", func(c config.Config) bool {
			p := c.Pipeline
			return c.GIS.FirstPullDays == 0 && time.Duration(p.PullRetry) == 5*time.Second && time.Duration(p.PullRetryMax) == 5*time.Minute &&
				time.Duration(p.RefreshEvery) == 5*time.Minute && time.Duration(p.FileRetry) == 15*time.Second &&
				time.Duration(p.FileRetryMax) == time.Minute && p.UnreadyAfter == 3 && time.Duration(c.Alerts.Every) == 30*time.Second
		}, ""},
		{"gis:\n  first_pull_days: 90\npipeline:\n  file_retry: 1s\n  file_retry_max: 4s\n", func(c config.Config) bool {
			return c.GIS.FirstPullDays == 90 && time.Duration(c.Pipeline.FileRetry) == time.Second && time.Duration(c.Pipeline.FileRetryMax) == 4*time.Second
		}, ""},
		{"gis:\n  first_pull_days: -1\n", nil, "gis.first_pull_days"},
		{"pipeline:\n  pull_retry: 1m\n  pull_retry_max: 1s\n", nil, "pipeline.pull_retry_max"},
		{"pipeline:\n  file_retry: 2m\n  file_retry_max: 1m\n", nil, "pipeline.file_retry_max"},
		{"pipeline:\n  refresh_every: -1s\n", nil, "pipeline.refresh_every"},
		{"pipeline:\n  unready_after: -2\n", nil, "pipeline.unready_after"},
	} {
		c, err := config.Parse(strings.NewReader(tc.yaml))
		if err != nil {
			t.Fatalf("%q: %v", tc.yaml, err)
		}
		c = c.WithDefaults()
		c.DB, c.GIS.Endpoint = "x.db", "http://127.0.0.1:1"
		c.Organizations = []config.Organization{{OrgPPAGUID: org, ExecutorGUID: exec}}
		err = c.Validate()
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: err = %v, want %q", tc.yaml, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !tc.check(c) {
			t.Errorf("%q: %v, %+v %+v", tc.yaml, err, c.GIS, c.Pipeline)
		}
	}
}

func TestDashboardTokenLength(t *testing.T) {
	t.Parallel()
	base, err := config.Load("../../deploy/gisgw.example.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, token string
		wantErr     bool
	}{
		{"unset: the dashboard is off or uses users", "", false},
		{"one character", "x", true},
		{"23 characters", strings.Repeat("я", 23), true},
		{"24 characters", strings.Repeat("я", 24), false},
		{"from openssl rand -base64 32", "q8Xh1mYk3V9tZ2bWc7Rf0Ls5Np4Gj6Ed8Ua1Yo3Ti0=", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := base
			c.Dashboard.Token = config.Secret(tc.token)
			err := c.WithDefaults().Validate()
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "dashboard.token") || !strings.Contains(err.Error(), "at least 24") {
				t.Fatalf("Validate = %v; want a dashboard.token error asking for at least 24 characters", err)
			}
			if strings.Contains(err.Error(), tc.token) {
				t.Errorf("the error shows the token: %v", err)
			}
		})
	}
}
