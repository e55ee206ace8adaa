package config_test

import (
	"strings"
	"testing"

	"github.com/gisgw/gisgw/responder/config"
)

func TestRedact(t *testing.T) {
	t.Parallel()
	const hook = "https://hooks.example.org/services/T0/B1/Xyz123?key=k3y-Val&token=t0k"
	cases := []struct {
		name, in   string
		secretURLs []string
		want       string
	}{
		{"postgres URL password", "postgres://gisgw:p4ss@db.local:5432/gisgw?sslmode=disable", nil,
			"postgres://gisgw:[redacted]@db.local:5432/gisgw?sslmode=disable"},
		{"postgresql URL password with escapes", "postgresql://gisgw:p%40ss%2Fw@db/gisgw", nil,
			"postgresql://gisgw:[redacted]@db/gisgw"},
		{"password in the URL query", "postgres://db/gisgw?user=gisgw&password=p4ss&sslmode=require", nil,
			"postgres://db/gisgw?user=gisgw&password=[redacted]&sslmode=require"},
		{"user without password stays", "postgres://gisgw@db/gisgw", nil, "postgres://gisgw@db/gisgw"},
		{"http user-info", "https://sit:s3cret@sit01.dom.test.gosuslugi.ru:10081/ext-bus", nil,
			"https://sit:[redacted]@sit01.dom.test.gosuslugi.ru:10081/ext-bus"},
		{"key=value DSN", "host=db user=gisgw password=p4ss dbname=gisgw", nil,
			"host=db user=gisgw password=[redacted] dbname=gisgw"},
		{"key=value DSN, quoted password with spaces", "host=db password='p4 ss\\'x' sslpassword=k3y dbname=gisgw", nil,
			"host=db password=[redacted] sslpassword=[redacted] dbname=gisgw"},
		{"key=value DSN, upper case and spaces", "host=db PASSWORD = p4ss", nil, "host=db PASSWORD = [redacted]"},
		{"inside a log line", `open store: failed to connect to postgres://gisgw:p4ss@db/gisgw: refused`, nil,
			`open store: failed to connect to postgres://gisgw:[redacted]@db/gisgw: refused`},
		{"webhook: path and query", hook, []string{hook}, "https://hooks.example.org/[redacted]?[redacted]"},
		{"webhook inside an error", `Post "` + hook + `": dial tcp: connection refused`, []string{hook},
			`Post "https://hooks.example.org/[redacted]?[redacted]": dial tcp: connection refused`},
		{"webhook path alone", "POST /services/T0/B1/Xyz123 answered 404", []string{hook}, "POST [redacted] answered 404"},
		{"webhook with user-info", "https://u:pw@hooks.example.org/h/abc", []string{"https://u:pw@hooks.example.org/h/abc"},
			"https://u:[redacted]@hooks.example.org/[redacted]"},
		{"webhook without path or query", "https://hooks.example.org", []string{"https://hooks.example.org"}, "https://hooks.example.org"},
		{"no secret stays as it is", "/var/lib/gisgw/gisgw.db", []string{""}, "/var/lib/gisgw/gisgw.db"},
		{"empty", "", nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := config.Redact(tc.in, tc.secretURLs...); got != tc.want {
				t.Errorf("Redact(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestDumpShowsNoSecret: a configuration with every kind of secret (Secret settings, a DSN
// password, URL user-info, a webhook key in its path and query) dumps without any of them,
// and each redacted place says [redacted].
func TestDumpShowsNoSecret(t *testing.T) {
	t.Parallel()
	secrets := []string{"dbp4ss", "sitp4ss", "dashp4ss", "T0B1Xyz", "k3yVal", "keyp4ss", "t0ken", "smtpp4ss", "officerp4ss", "urlp4ss"}
	c := config.Config{
		DB:        "postgres://gisgw:dbp4ss@db.local/gisgw?sslmode=disable",
		GIS:       config.GIS{Endpoint: "https://sit:sitp4ss@sit01.example.org:10081", BasicPassword: "sitp4ss"},
		Signing:   config.Signing{KeyPassword: "keyp4ss"},
		Dashboard: config.Dashboard{Token: "t0ken", Users: map[string]config.Secret{"officer": "officerp4ss"}, URL: "https://me:dashp4ss@gisgw.example.org"},
		Alerts:    config.Alerts{Webhook: "https://hooks.example.org/services/T0B1Xyz?key=k3yVal", SMTP: config.SMTP{Password: "smtpp4ss"}},
	}.WithDefaults()
	var b strings.Builder
	if err := c.Dump(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("the dump shows %q:\n%s", s, out)
		}
	}
	for _, want := range []string{
		"postgres://gisgw:[redacted]@db.local/gisgw", "https://sit:[redacted]@sit01.example.org:10081",
		"https://hooks.example.org/[redacted]?[redacted]", "https://me:[redacted]@gisgw.example.org",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the dump lacks %q:\n%s", want, out)
		}
	}
	if c.DB != "postgres://gisgw:dbp4ss@db.local/gisgw?sslmode=disable" {
		t.Errorf("Dump changed the configuration: %q", c.DB)
	}
}
