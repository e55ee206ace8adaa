// Command gisgw answers GIS ZhKKh debt sub-requests: it pulls them, checks the organization's
// own records of court acts, and posts signed answers before the deadline.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/gisgw/gisgw/responder/config"
)

var version = "dev"

// command is one sub-command. run gets the arguments after the command's name.
type command struct {
	summary string
	run     func(ctx context.Context, env *cliEnv, args []string) error
}

// cliEnv carries the process's streams and clock so commands stay testable.
type cliEnv struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	now    func() time.Time // nil: the wall clock
}

// commands lists every sub-command; names with a space are two-word commands ("gis export").
func commands() map[string]command {
	return map[string]command{
		"version": {"print the version", func(_ context.Context, env *cliEnv, args []string) error {
			if _, err := newFlags(env, "version", "Usage: gisgw version\n\nPrints the version.").parse(args, ""); err != nil {
				return err
			}
			_, err := fmt.Fprintln(env.stdout, "gisgw", version)
			return err
		}},
		"migrate":           migrateCommand(),
		"import premises":   importPremisesCommand(),
		"import court-acts": importCourtActsCommand(),
		"import agreements": importAgreementsCommand(),
		"sign":              signCommand(),
		"verify":            verifyCommand(),
		"key import":        keyImportCommand(),
		"key check":         keyCheckCommand(),
		"gis export":        gisExportCommand(),
		"gis state":         gisStateCommand(),
		"calendar due":      calendarDueCommand(),
		"report deadlines":  reportDeadlinesCommand(),
		"report inventory":  reportInventoryCommand(),
		"review list":       reviewListCommand(),
		"review show":       reviewShowCommand(),
		"review decide":     reviewDecideCommand(),
		"run":               runCommand(),
		"demo":              demoCommand(),
		"health":            healthCommand(),
	}
}

func main() {
	os.Exit(run(os.Args[1:], &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}))
}

func run(args []string, env *cliEnv) int {
	if env.now == nil {
		env.now = time.Now
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.stdout, cmds)
		return 0
	}
	name, rest := args[0], args[1:]
	if len(rest) > 0 {
		if _, ok := cmds[name+" "+rest[0]]; ok {
			name, rest = name+" "+rest[0], rest[1:]
		}
	}
	c, ok := cmds[name]
	if !ok && groupUsage(env.stderr, cmds, args) {
		return 2
	}
	if !ok {
		fmt.Fprintf(env.stderr, "gisgw: unknown command %q; run 'gisgw help' for the list\n", strings.Join(args[:1], " "))
		return 2
	}
	if err := c.run(ctx, env, rest); err != nil {
		if errors.Is(err, errHelp) {
			return 0
		}
		// Commands with their own exit codes (key check) have printed their report.
		var ec exitCodeError
		if errors.As(err, &ec) {
			fmt.Fprintf(env.stderr, "gisgw %s: %s\n", name, ec.msg)
			return ec.code
		}
		// A DSN or URL in an error may carry a password.
		fmt.Fprintf(env.stderr, "gisgw %s: %s\n", name, config.Redact(err.Error()))
		return 1
	}
	return 0
}

// groupUsage prints the sub-commands of a command group ("gisgw import" alone, or with an
// unknown sub-command) and reports whether args[0] is a group. The exit status is then 2:
// no command ran.
func groupUsage(w io.Writer, cmds map[string]command, args []string) bool {
	group := args[0]
	var subs []string
	for n := range cmds {
		if strings.HasPrefix(n, group+" ") {
			subs = append(subs, n)
		}
	}
	if len(subs) == 0 {
		return false
	}
	sort.Strings(subs)
	if len(args) > 1 && !strings.HasPrefix(args[1], "-") {
		fmt.Fprintf(w, "gisgw %s: unknown sub-command %q\n\n", group, args[1])
	}
	fmt.Fprintf(w, "Usage: gisgw %s SUBCOMMAND [flags]\n\nSub-commands:\n", group)
	for _, n := range subs {
		fmt.Fprintf(w, "  %-20s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintf(w, "\nRun 'gisgw %s SUBCOMMAND -h' for its flags.\n", group)
	return true
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "gisgw answers GIS ZhKKh debt sub-requests.\n\nUsage: gisgw COMMAND [flags]\n\nCommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-20s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'gisgw COMMAND -h' for a command's flags.")
}
