package runner

import (
	"fmt"

	"github.com/perfgate/perfgate/internal/load"
	"github.com/perfgate/perfgate/internal/shard"
)

// ShardOptions turns the load options of the whole load into shard sp's:
// the closed model's workers split (remainder to the low indices), the
// open model's slots taken by the engine (load.Options.Shard). A shard
// left with no worker is an error naming the most shards the load allows.
func ShardOptions(opts load.Options, sp shard.Spec) (load.Options, error) {
	if !sp.Sharded() {
		return opts, nil
	}
	opts.Shard = sp
	if opts.Model == load.Closed || opts.Model == "" {
		total := opts.Workers
		if total == 0 {
			total = load.DefaultWorkers
		}
		opts.Workers = sp.Workers(total)
		if opts.Workers == 0 {
			return opts, fmt.Errorf("shard %s: load.workers is %d, fewer than the %d shards, so this shard would have no worker: use at most %d shards or more workers", sp, total, sp.Count, total)
		}
	}
	return opts, nil
}
