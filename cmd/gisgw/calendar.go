package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/config"
)

func calendarDueCommand() command {
	return command{"print the answer deadline for a request sent on DATE (5 working days)", runCalendarDue}
}

func runCalendarDue(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "calendar due", "Usage: gisgw calendar due DATE [--config FILE] [--calendar FILE ...]\n\n"+
		"Prints the deadline (YYYY-MM-DD) for a sub-request sent on DATE (YYYY-MM-DD or DD.MM.YYYY):\n"+
		"the 5th working day after it, the day of sending not counted, by the federal production\n"+
		"calendar; see docs/calendar.md. GIS's own responseDate is binding.")
	var files []string
	fs.Func("calendar", "an xmlcalendar.ru XML `FILE` that adds or replaces one year (repeatable, one file per year)", func(s string) error {
		files = append(files, s)
		return nil
	})
	configPath := fs.String("config", "", "configuration `FILE` whose calendar files are laid over the embedded calendar (before any --calendar)")
	date, err := fs.parse(args, "DATE")
	if err != nil {
		return err
	}
	if *configPath != "" {
		cfg, err := config.Load(*configPath, nil)
		if err != nil {
			return err
		}
		files = append(cfg.Calendar, files...)
	}
	sent, err := parseCLIDate(date)
	if err != nil {
		return err
	}
	cal, err := calendar.New(files...)
	if err != nil {
		return err
	}
	due := cal.Due(sent)
	if cal.Estimated(sent) {
		var missing []string
		for y := sent.Year(); y <= due.Year(); y++ {
			if !cal.Covers(y) {
				missing = append(missing, fmt.Sprint(y))
			}
		}
		fmt.Fprintf(env.stderr, "warning: no production calendar for %s; the deadline is an estimate "+
			"(Monday-Friday without the ТК ст. 112 holidays); rely on GIS's responseDate or add the year with --calendar FILE\n",
			strings.Join(missing, ", "))
	}
	_, err = fmt.Fprintln(env.stdout, due.Format(time.DateOnly))
	return err
}

// parseCLIDate reads YYYY-MM-DD or DD.MM.YYYY as a calendar date at 00:00 UTC.
func parseCLIDate(s string) (time.Time, error) {
	for _, layout := range []string{time.DateOnly, "02.01.2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("DATE %q: want YYYY-MM-DD or DD.MM.YYYY", s)
}
