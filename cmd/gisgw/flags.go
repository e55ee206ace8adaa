package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
)

// parseArgs parses fs and returns the positional arguments, which may stand before, between
// or after the flags (the flag package alone stops at the first one).
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// parseNoArgs parses the flags of a command that takes no positional argument. help is true
// when -h printed the usage: the command then does nothing and succeeds.
func parseNoArgs(fs *flag.FlagSet, args []string) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, err
	}
	if fs.NArg() > 0 {
		return false, fmt.Errorf("unexpected arguments %q", strings.Join(fs.Args(), " "))
	}
	return false, nil
}
