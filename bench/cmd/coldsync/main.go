// Command coldsync measures what a sync costs upstream: for each strategy (feed, full) it runs a
// first sync of a cold tenant and then a re-sync after a share of the vehicles changed, against
// the Hrizn simulator served over loopback HTTP, and reports the time taken and the calls made
// (counted by the client and checked against the simulator's own count). Results are JSON lines
// on stdout for bench/cmd/report.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/feedgate/feedgate/bench/internal/cli"
	"github.com/feedgate/feedgate/inventory"
	"github.com/feedgate/feedgate/upstream"
	"github.com/feedgate/feedgate/upstream/hriznsim"
)

// result is one sync, a line of the report's cold-path table.
type result struct {
	Table       string         `json:"table"`
	Strategy    string         `json:"strategy"`
	Phase       string         `json:"phase"` // "first" or "resync"
	Vehicles    int            `json:"vehicles"`
	Changed     int            `json:"changed"`
	SyncMS      float64        `json:"sync_ms"`
	Calls       int            `json:"calls"`
	CallsByKind map[string]int `json:"calls_by_kind"`
	SimCalls    int            `json:"sim_calls"`
}

func main() { cli.Main(run) }

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("coldsync", flag.ContinueOnError)
	n := fs.Int("vehicles", 5000, "inventory size")
	share := fs.Float64("change", 0.01, "share of the vehicles changed before the re-sync")
	timeout := fs.Duration("timeout", 2*time.Minute, "bound on each sync")
	if err := fs.Parse(args); err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	for _, strategy := range []string{upstream.StrategyFeed, upstream.StrategyFull} {
		rs, err := measure(strategy, *n, *share, *timeout)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if err := enc.Encode(r); err != nil {
				return fmt.Errorf("coldsync: write result: %w", err)
			}
		}
	}
	return nil
}

// measure runs a first sync and a re-sync with one strategy against a fresh simulator, so that
// the strategies never share state.
func measure(strategy string, n int, share float64, timeout time.Duration) ([]result, error) {
	sim := hriznsim.New(hriznsim.Options{Vehicles: n})
	defer sim.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("coldsync: listen: %w", err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	client, err := upstream.NewClient(upstream.Options{
		BaseURL: "http://" + ln.Addr().String() + "/v1", APIKey: "hzk_sim_read", Timeout: timeout,
	})
	if err != nil {
		return nil, fmt.Errorf("coldsync: %w", err)
	}
	syncer, err := upstream.NewSyncer(upstream.SyncerOptions{
		Clients: upstream.ClientMap{"bench": client}, Strategy: strategy,
	})
	if err != nil {
		return nil, fmt.Errorf("coldsync: %w", err)
	}

	sync := func(phase string, changed int, prev *inventory.Snapshot) (result, *inventory.Snapshot, error) {
		sim.ResetStats()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		start := time.Now()
		snap, rep, err := syncer.SyncWithReport(ctx, "bench", prev)
		took := time.Since(start)
		if err != nil {
			return result{}, nil, fmt.Errorf("coldsync: %s %s sync: %w", strategy, phase, err)
		}
		sc := sim.Stats()
		if sc.Total != rep.TotalCalls() {
			return result{}, nil, fmt.Errorf("coldsync: %s %s sync: the client counted %d calls, the simulator %d",
				strategy, phase, rep.TotalCalls(), sc.Total)
		}
		return result{
			Table: "coldsync", Strategy: strategy, Phase: phase, Vehicles: snap.Len(), Changed: changed,
			SyncMS: float64(took.Microseconds()) / 1000, Calls: rep.TotalCalls(), CallsByKind: rep.Calls,
			SimCalls: sc.Total,
		}, snap, nil
	}

	first, snap, err := sync("first", 0, nil)
	if err != nil {
		return nil, err
	}
	changed := len(sim.ChangeVehicles("", max(1, int(float64(n)*share))))
	if changed == 0 {
		return nil, errors.New("coldsync: the simulator changed no vehicle")
	}
	again, _, err := sync("resync", changed, snap)
	if err != nil {
		return nil, err
	}
	return []result{first, again}, nil
}
