package store_test

import (
	"context"

	"github.com/gisgw/gisgw/responder/pipeline"
	"github.com/gisgw/gisgw/responder/store"
)

// A store.Store is the daemon's pipeline.Store, with the UnfinishedMessages probe the
// pipeline looks for. Checked here because package store must not import the pipeline.
var (
	_ pipeline.Store = store.Store(nil)
	_ interface {
		UnfinishedMessages(context.Context) (int, error)
	} = store.Store(nil)
)
