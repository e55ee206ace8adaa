package app

import (
	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/pipeline"
	"github.com/gisgw/gisgw/responder/store"
)

// NewDecider gives the decide benchmark the daemon's decider (match, court acts, rules,
// deadline cross-check); it decides a claimed batch with a few queries (pipeline.BatchDecider).
func NewDecider(st store.Store, cal *calendar.Calendar) pipeline.Decider { return newDecider(st, cal) }
