package main

import (
	"strings"
	"testing"
)

// TestHelpEveryCommand: -h, -help and --help print the command's usage on stdout and succeed
// without doing anything; an unknown flag prints the usage on stderr, the error once, and
// fails. Every command in the list is covered, so a new one is too.
func TestHelpEveryCommand(t *testing.T) {
	t.Parallel()
	for name := range commands() {
		words := strings.Fields(name)
		for _, help := range []string{"-h", "-help", "--help"} {
			t.Run(name+" "+help, func(t *testing.T) {
				t.Parallel()
				code, stdout, stderr := runCLI(t, append(words, help)...)
				if code != 0 || stderr != "" {
					t.Errorf("code %d, stderr %q; want 0 and nothing on stderr", code, stderr)
				}
				if want := "Usage: gisgw " + name; !strings.HasPrefix(stdout, want) || !strings.Contains(stdout, "\n\n") {
					t.Errorf("stdout %q; want the usage, starting %q", stdout, want)
				}
			})
		}
		t.Run(name+" unknown flag", func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCLI(t, append(words, "--no-such-flag")...)
			if code != 1 || stdout != "" {
				t.Errorf("code %d, stdout %q; want 1 and nothing on stdout", code, stdout)
			}
			if !strings.HasPrefix(stderr, "Usage: gisgw "+name) || strings.Count(stderr, "flag provided but not defined: -no-such-flag") != 1 {
				t.Errorf("stderr %q; want the usage and the error once", stderr)
			}
		})
	}
}
