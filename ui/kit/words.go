package kit

import "github.com/fleetdesk/fleetdesk/sync/api"

// Words is an error in the dealer's words (api.Describe's summary, the one mapping from errors to
// words), for a label that reports a failure in place: never the endpoint, status code or
// socket text a raw error carries. ShowError is the dialog form, with the detail one click away.
func Words(err error) string { return api.DescribeText(err) }
