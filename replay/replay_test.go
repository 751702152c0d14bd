package replay

import (
	"testing"
	"time"

	"github.com/feedgate/feedgate/internal/testredis"
)

// TestReplayGuards runs the same contract over the memory and the Redis guard.
func TestReplayGuards(t *testing.T) {
	rs := testredis.Start(t)
	guards := map[string]Guard{
		"memory": NewMemory(MemoryOptions{MaxIDs: 3}),
		"redis":  NewRedis(rs.Client(), "test:", nil),
	}
	for name, g := range guards {
		t.Run(name, func(t *testing.T) {
			for i, step := range []struct {
				id  string
				dup bool
			}{{"a", false}, {"a", true}, {"b", false}, {"c", false}, {"b", true}} {
				dup, err := g.Seen(t.Context(), step.id, time.Minute)
				if err != nil || dup != step.dup {
					t.Fatalf("step %d (%s): dup %v err %v", i, step.id, dup, err)
				}
			}
		})
	}
	// The memory guard is bounded: past MaxIDs the oldest id is forgotten.
	m := NewMemory(MemoryOptions{MaxIDs: 2})
	for _, id := range []string{"a", "b", "c"} {
		_, _ = m.Seen(t.Context(), id, time.Hour)
	}
	if m.Len() != 2 {
		t.Fatalf("memory guard holds %d ids", m.Len())
	}
	if dup, _ := m.Seen(t.Context(), "a", time.Hour); dup {
		t.Error("the oldest id was not forgotten")
	}
}
