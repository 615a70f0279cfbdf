package report

import "github.com/perfgate/perfgate/internal/config"

// runToRun judges the fixtures' baselines of one session run against run
// (gates.session_drift 0%), so their regressions fail as the renderers
// need to show them.
var runToRun = config.Gates{SessionDrift: new(config.Percent)}
