package gateway

import "time"

// SyncRecord is one finished sync of a tenant, as the admin page charts it.
type SyncRecord struct {
	At       time.Time     `json:"at"`
	Duration time.Duration `json:"duration_ns"`
	Vehicles int           `json:"vehicles"`
	OK       bool          `json:"ok"`
	// Calls is the number of upstream HTTP attempts the sync made.
	Calls int `json:"upstream_calls"`
}
