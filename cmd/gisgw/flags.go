package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// errHelp reports that -h printed the command's usage: the command then does nothing and
// the process exits 0.
var errHelp = errors.New("help shown")

// cmdFlags is one command's flag set. -h, -help and --help print the usage on stdout (the
// user asked for it); a flag or argument error prints it on stderr.
type cmdFlags struct {
	*flag.FlagSet
	stdout io.Writer
	usage  string
}

// newFlags makes the flag set of "gisgw name"; usage is the text printed above the flags.
func newFlags(env *cliEnv, name, usage string) *cmdFlags {
	f := &cmdFlags{FlagSet: flag.NewFlagSet("gisgw "+name, flag.ContinueOnError), stdout: env.stdout, usage: usage}
	f.SetOutput(env.stderr)
	f.Usage = func() { f.printUsage(f.Output()) }
	return f
}

func (f *cmdFlags) printUsage(w io.Writer) {
	out := f.Output()
	f.SetOutput(w)
	defer f.SetOutput(out)
	fmt.Fprintln(w, strings.TrimRight(f.usage, "\n"))
	f.PrintDefaults()
}

// parse parses args; positional arguments may stand before, between or after the flags (the
// flag package alone stops at the first one). arg names the one positional argument the
// command takes ("" = none), for the error when the count is wrong. It returns that argument.
func (f *cmdFlags) parse(args []string, arg string) (string, error) {
	pos, err := f.parseQuiet(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		f.printUsage(f.stdout)
		return "", errHelp
	case err != nil:
		f.Usage()
		return "", err
	case arg == "" && len(pos) > 0:
		return "", fmt.Errorf("unexpected arguments %q; see %s -h", strings.Join(pos, " "), f.Name())
	case arg != "" && len(pos) != 1:
		f.Usage()
		return "", fmt.Errorf("give exactly one %s (got %d)", arg, len(pos))
	case arg == "":
		return "", nil
	}
	return pos[0], nil
}

// parseQuiet parses with the flag package's own messages off: parse prints the usage on the
// right stream and the error reaches the user once, from main.
func (f *cmdFlags) parseQuiet(args []string) ([]string, error) {
	out, usage := f.Output(), f.Usage
	f.SetOutput(io.Discard)
	f.Usage = func() {}
	defer func() { f.SetOutput(out); f.Usage = usage }()
	var positional []string
	for {
		if err := f.Parse(args); err != nil {
			return nil, err
		}
		if f.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, f.Arg(0))
		args = f.Args()[1:]
	}
}
