package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// PermissionProblem is a file with secrets that group or others may read.
type PermissionProblem struct {
	What string      // "signing key", …
	File string      // its path
	Mode fs.FileMode // its permissions
}

// Fix is the command that cures the problem.
func (p PermissionProblem) Fix() string { return "chmod 600 " + p.File }

func (p PermissionProblem) String() string {
	return fmt.Sprintf("%s %s is readable by group or others (mode %#o); run: %s", p.What, p.File, p.Mode, p.Fix())
}

// PermissionProblems lists the files holding secrets that group or others may read: the
// signing key, the TLS client key, and the configuration file at configPath (none when
// empty) when the file itself holds a secret. Each problem names the file and the fix.
// A file that does not exist is not a problem here; loading it reports that.
func PermissionProblems(configPath string, c Config) ([]PermissionProblem, error) {
	var problems []PermissionProblem
	check := func(what, path string) error {
		if path == "" {
			return nil
		}
		fi, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("check permissions of %s: %w", what, err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			problems = append(problems, PermissionProblem{What: what, File: path, Mode: perm})
		}
		return nil
	}
	if configPath != "" {
		b, err := os.ReadFile(configPath)
		if err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
		fileOnly, err := Parse(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", configPath, err)
		}
		if fileOnly.hasInlineSecrets() {
			if err := check("configuration file (it holds secrets)", configPath); err != nil {
				return nil, err
			}
		}
	}
	if err := check("signing key", c.Signing.Key); err != nil {
		return nil, err
	}
	if err := check("TLS client key", c.GIS.ClientKey); err != nil {
		return nil, err
	}
	return problems, nil
}

// hasInlineSecrets reports whether the configuration itself carries a secret, rather
// than leaving them to GISGW_* variables.
func (c Config) hasInlineSecrets() bool {
	if c.GIS.BasicPassword != "" || c.Signing.KeyPassword != "" || c.Dashboard.Token != "" ||
		c.Alerts.SMTP.Password != "" || c.Alerts.Webhook != "" || len(c.Dashboard.Users) > 0 {
		return true
	}
	for _, s := range []string{c.DB, c.GIS.Endpoint, c.Dashboard.URL} {
		if Redact(s) != s {
			return true
		}
	}
	return false
}
