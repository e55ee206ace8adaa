package store_test

import (
	"github.com/gisgw/gisgw/responder/alert"
	"github.com/gisgw/gisgw/responder/pipeline"
	"github.com/gisgw/gisgw/responder/store"
)

// A store.Store is every consumer's port. Checked here because package store must not
// import its consumers.
var (
	_ pipeline.Store = store.Store(nil)
	_ alert.Store    = store.Store(nil)
)
